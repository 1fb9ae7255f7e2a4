"""Recompute triggers beyond approvals: a BOM replaced by its carmaker, a default factor corrected by the
operator. Each recomputes exactly the models it touches, with hand-computed results.

Hot-rolled coil: typical BF-BOF 2.1 kg/kg, conservative 3.509 kg/kg (accounting/data/default_factors.csv).
"""

from decimal import Decimal

import pytest

from accounting import services
from accounting.models import BomLine, DefaultFactor, Footprint, RollupRun
from carbon_platform.api import ApplicationError
from carbon_platform.tenancy.models import AuditEvent
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    OrganisationFactory,
    ProductFactory,
    UserFactory,
    VehicleModelFactory,
)


@pytest.fixture
def setup(actors, materials):
    coil = materials["steel.hot_rolled_coil"]
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    other = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="100")  # 100 x 3.509 = 350.9
    BomLineFactory(vehicle_model=other, material=materials["aluminium.casting"], mass_kg="10")
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    a = ProductFactory(supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof")
    b = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=coil, route="bf_bof")
    DeclarationFactory(product=b, status="approved", gwp_a1_a3_kg_co2e=Decimal("1900"))
    return vehicle, other, coil, a, b


def _total(vehicle):
    return Footprint.objects.get(vehicle_model=vehicle, is_current=True).total_kg_co2e


def test_a_replaced_bom_is_recomputed_with_its_60_40_split(actors, setup, django_capture_on_commit_callbacks):
    vehicle, other, coil, a, b = setup
    assert _total(vehicle) == Decimal("350.9")
    lines = [
        {
            "component": "Floor panel",
            "system": "body_in_white",
            "material": coil,
            "mass_kg": Decimal("100"),
            "supplier_product": a,
            "share": Decimal("0.6"),
        },
        {
            "component": "Floor panel",
            "system": "body_in_white",
            "material": coil,
            "mass_kg": Decimal("100"),
            "supplier_product": b,
            "share": Decimal("0.4"),
        },
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.bom_replace(actor=actors.carmaker_a, vehicle_model=vehicle, lines=lines)
    # 60 kg x 2.1 (A, no declaration: route default) + 40 kg x 1.9 (B's approved EPD) = 126 + 76
    assert _total(vehicle) == Decimal("202")
    vehicle.refresh_from_db()
    assert vehicle.bom_updated_at is not None
    run = RollupRun.objects.get(trigger="bom_changed")
    assert run.scope_model_ids == [vehicle.pk]
    assert AuditEvent.objects.get(object_type="accounting.VehicleModel").after == {
        "bom": {"lines": 2, "mass_kg": "200"}
    }


def test_a_bad_bom_names_every_bad_line_and_changes_nothing(actors, setup):
    vehicle, other, coil, a, b = setup
    lines = [
        {
            "component": "Floor panel",
            "system": "body_in_white",
            "material": coil,
            "mass_kg": Decimal("100"),
            "supplier_product": a,
            "share": Decimal("0.6"),
        },
        {
            "component": "Floor panel",
            "system": "body_in_white",
            "material": coil,
            "mass_kg": Decimal("-5"),
            "supplier_product": b,
            "share": Decimal("0.3"),
        },
        {
            "component": "Door",
            "system": "closures",
            "material": coil,
            "mass_kg": Decimal("5"),
            "colour": "red",
        },
    ]
    with pytest.raises(ApplicationError) as error:
        services.bom_replace(actor=actors.carmaker_a, vehicle_model=vehicle, lines=lines)
    message = error.value.message
    assert "line 2, mass_kg: a mass cannot be negative" in message
    assert "line 3: unknown fields colour" in message
    assert "component Floor panel (steel.hot_rolled_coil): shares add up to 0.6000, not 1" in message
    assert list(BomLine.objects.filter(vehicle_model=vehicle).values_list("mass_kg", flat=True)) == [
        Decimal("100")
    ]
    with pytest.raises(ApplicationError) as refused:
        services.bom_replace(actor=actors.carmaker_b, vehicle_model=vehicle, lines=[])
    assert refused.value.status_code == 403


def test_a_corrected_default_factor_recomputes_only_the_models_with_its_material(
    actors, setup, django_capture_on_commit_callbacks
):
    vehicle, other, coil, a, b = setup
    operator = UserFactory(organisation=OrganisationFactory(kind="operator"))
    conservative = DefaultFactor.objects.get(material=coil, basis="conservative")
    with django_capture_on_commit_callbacks(execute=True):
        services.default_factor_update(
            actor=operator,
            factor=conservative,
            kg_co2e_per_kg=Decimal("3.828"),
            source="CBAM x1.20 (2027)",
            year=2027,
        )
    assert _total(vehicle) == Decimal("382.8")  # 100 kg x 3.828
    run = RollupRun.objects.get(trigger="default_factor_changed")
    assert run.scope_model_ids == [vehicle.pk]  # the aluminium-only model is not touched
    with pytest.raises(ApplicationError, match="Only the platform operator"):
        services.default_factor_update(
            actor=actors.supplier_a, factor=conservative, kg_co2e_per_kg=Decimal("1"), source="x", year=2027
        )
    with pytest.raises(ApplicationError, match="cannot be negative"):
        services.default_factor_update(
            actor=operator, factor=conservative, kg_co2e_per_kg=Decimal("-1"), source="x", year=2027
        )
