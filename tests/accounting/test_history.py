"""Footprint history with causes, by hand: 100 kg of hot-rolled coil from Supplier A's BF-BOF product.
revision 1: no declaration -> level 3, 2.1 kg/kg -> 210.00 kg CO2e
revision 2: 1,900 kg CO2e/t approved -> level 1, 1.9 kg/kg -> 190.00 kg CO2e (-20.00, the approval)
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounting import selectors, services
from accounting.models import RollupRun
from disclosures import services as disclosure_services
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory


@pytest.fixture
def approved(actors, materials, django_capture_on_commit_callbacks):
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof"
    )
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="100", supplier_product=product)
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    declaration = DeclarationFactory(
        product=product,
        status="submitted",
        registration_number="EPD-HIST-1",
        gwp_a1_a3_kg_co2e=Decimal("1900"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.declaration_decide(
            actor=actors.auditor, declaration=declaration, decision="approve"
        )
    return vehicle, declaration


def test_each_revision_names_its_cause_and_its_change_per_material_and_supplier(approved):
    vehicle, declaration = approved
    newest, first = selectors.footprint_history(vehicle_model=vehicle)
    assert (first.revision, first.total_kg_co2e, first.delta_kg_co2e, first.cause) == (
        1,
        210.0,
        None,
        "Full run",
    )
    assert (newest.revision, newest.total_kg_co2e, newest.delta_kg_co2e) == (2, 190.0, -20.0)
    assert newest.cause == "Declaration approved (EPD-HIST-1 v1)"
    run = RollupRun.objects.get(trigger="declaration_approved")
    assert newest.run_id == run.id  # the page links the cause to the run that computed it
    (change,) = newest.changes
    assert (change.material, change.supplier, change.delta_kg_co2e) == (
        "steel.hot_rolled_coil",
        "Supplier A",
        -20.0,
    )
    assert change.before == "L3: 100.00 kg x 2.1000"
    assert change.after == "L1 EPD-HIST-1 v1: 100.00 kg x 1.9000"
    assert sum(c.delta_kg_co2e for c in newest.changes) == pytest.approx(newest.delta_kg_co2e)


def test_history_in_the_api_and_on_the_model_page(client, actors, approved):
    vehicle, _declaration = approved
    api = APIClient()
    api.force_authenticate(actors.carmaker_a)
    body = api.get(f"/api/v1/vehicle-models/{vehicle.pk}/history/").json()
    assert [(r["revision"], r["delta_kg_co2e"]) for r in body] == [(2, -20.0), (1, None)]
    assert body[0]["changes"][0]["after"] == "L1 EPD-HIST-1 v1: 100.00 kg x 1.9000"
    client.force_login(actors.carmaker_a)
    page = client.get(reverse("accounting:vehicle-model-detail", args=[vehicle.pk])).content.decode()
    assert "Declaration approved (EPD-HIST-1 v1)" in page and "L3: 100.00 kg x 2.1000" in page
