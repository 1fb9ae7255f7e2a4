"""The footprint split by supplier and the list of lines on conservative defaults, by hand.

One model, hot-rolled coil throughout:
  100 kg from Supplier A's BF-BOF product, no declaration -> level 3, 2.1 kg/kg      -> 210.00 kg CO2e
   50 kg from Supplier B's product, 1,900 kg CO2e/t approved -> level 1, 1.9 kg/kg -> 95.00 kg CO2e
   20 kg with no supplier linked -> level 4, conservative 3.509 kg/kg               -> 70.18 kg CO2e
  total 375.18 kg CO2e
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounting import selectors, services
from accounting.models import Footprint
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory


@pytest.fixture
def footprint(actors, materials):
    coil = materials["steel.hot_rolled_coil"]
    supplier_a = actors.supplier_a.membership.organisation
    supplier_b = actors.supplier_b.membership.organisation
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    a = ProductFactory(supplier=supplier_a, material=coil, route="bf_bof")
    b = ProductFactory(supplier=supplier_b, material=coil, route="bf_bof")
    DeclarationFactory(product=b, status="approved", gwp_a1_a3_kg_co2e=Decimal("1900"))
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="100", supplier_product=a)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="50", supplier_product=b)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="20", component="Seat rail")
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    return Footprint.objects.get(vehicle_model=vehicle, is_current=True)


def test_by_supplier_is_stored_per_supplier_id_with_the_unlinked_lines_apart(footprint, actors):
    a = actors.supplier_a.membership.organisation_id
    b = actors.supplier_b.membership.organisation_id
    assert footprint.total_kg_co2e == Decimal("375.18")
    assert footprint.by_supplier == {str(a): 210.0, str(b): 95.0, "": 70.18}
    shares = selectors.footprint_breakdowns(footprint=footprint)["by_supplier"]
    assert [(s.label, s.kg_co2e) for s in shares] == [
        ("Supplier A", 210.0),
        ("Supplier B", 95.0),
        ("No supplier linked", 70.18),
    ]
    assert shares[0].pct == pytest.approx(100 * 210 / 375.18)


def test_api_lists_suppliers_largest_first(footprint, actors):
    client = APIClient()
    client.force_authenticate(actors.carmaker_a)
    body = client.get(f"/api/v1/vehicle-models/{footprint.vehicle_model_id}/footprint/").json()
    assert body["by_supplier"] == [
        {
            "supplier_id": actors.supplier_a.membership.organisation_id,
            "supplier": "Supplier A",
            "kg_co2e": 210.0,
        },
        {
            "supplier_id": actors.supplier_b.membership.organisation_id,
            "supplier": "Supplier B",
            "kg_co2e": 95.0,
        },
        {"supplier_id": None, "supplier": None, "kg_co2e": 70.18},
    ]


def test_the_model_page_lists_what_to_ask_suppliers_for_next(client, footprint, actors):
    lines = list(selectors.conservative_lines(vehicle_model=footprint.vehicle_model))
    assert [(line.component, line.mass_kg) for line in lines] == [("Seat rail", Decimal("20.0000"))]
    assert len(lines) == footprint.conservative_line_count
    client.force_login(actors.carmaker_a)
    page = client.get(
        reverse("accounting:vehicle-model-detail", args=[footprint.vehicle_model_id])
    ).content.decode()
    assert "Seat rail" in page and "No supplier linked" in page and "Supplier B" in page
