"""One BOM, three lines, and what a supersession and an expiry in the middle of it do, by hand.

Hot-rolled coil throughout (accounting/data/default_factors.csv: typical BF-BOF 2.1 kg/kg, national, no
regional default; conservative 3.509 kg/kg):
  line 1: 200 kg from supplier A's product P1, EPD v1 2,000 kg CO2e/t (level 1)   -> 400.00
  line 2: 100 kg from supplier B's product P2, EPD 1,800 kg CO2e/t valid to D     -> 180.00
  line 3:  50 kg with no supplier (level 4, conservative)                         -> 175.45
  revision 1: 755.45 kg CO2e, primary share (400 + 180) / 755.45
Supersession: P1's v2 at 1,900 kg CO2e/t approved; v1 turns superseded.
  line 1: 200 x 1.9 = 380.00; revision 2: 735.45 (-20.00, only line 1 moved)
Expiry: the day after D, P2's EPD no longer counts; supplier B has no other coil EPD (no level 2), so
line 2 takes the BF-BOF route default: 100 x 2.1 = 210.00; revision 3: 765.45 (+30.00),
primary share 380 / 765.45.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounting import selectors, services
from accounting.models import Footprint
from disclosures import services as disclosure_services
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory, VehicleModelFactory

D = date.today() + timedelta(days=30)


def _recompute(vehicle, as_of):
    run = services.rollup_run_create(trigger="full", model_ids=[vehicle.id])
    services.rollup_run_execute(run_id=run.id, as_of=as_of)
    return Footprint.objects.get(vehicle_model=vehicle, is_current=True)


def test_supersession_and_expiry_in_the_middle_of_a_bom(
    actors, materials, django_capture_on_commit_callbacks
):
    coil = materials["steel.hot_rolled_coil"]
    p1 = ProductFactory(supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof")
    p2 = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=coil, route="bf_bof")
    v1 = DeclarationFactory(product=p1, status="approved", version=1, gwp_a1_a3_kg_co2e="2000")
    DeclarationFactory(product=p2, status="approved", gwp_a1_a3_kg_co2e="1800", valid_until=D)
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=p1, mass_kg="200")
    BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=p2, mass_kg="100")
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="50")

    first = _recompute(vehicle, as_of=date.today())
    assert first.total_kg_co2e == Decimal("755.4500")
    assert first.primary_data_share == Decimal(str(round(580 / 755.45, 6)))
    assert first.by_data_source == {"0": 0.0, "1": 580.0, "2": 0.0, "3": 0.0, "4": 175.45}

    v2 = DeclarationFactory(
        product=p1, status="submitted", version=2, supersedes=v1, gwp_a1_a3_kg_co2e="1900"
    )
    with django_capture_on_commit_callbacks(execute=True):  # the approval's recompute runs (eagerly)
        disclosure_services.declaration_decide(actor=actors.auditor, declaration=v2, decision="approve")
    v1.refresh_from_db()
    assert v1.status == "superseded"
    second = Footprint.objects.get(vehicle_model=vehicle, is_current=True)
    assert (second.revision, second.total_kg_co2e) == (2, Decimal("735.4500"))
    newest = selectors.footprint_history(vehicle_model=vehicle)[0]
    assert newest.delta_kg_co2e == -20.0
    (change,) = newest.changes  # line 2 and line 3 did not move
    assert change.before.startswith("L1 ") and "200.00 kg x 2.0000" in change.before
    assert change.after.startswith("L1 ") and "200.00 kg x 1.9000" in change.after

    third = _recompute(vehicle, as_of=D + timedelta(days=1))
    assert (third.revision, third.total_kg_co2e) == (3, Decimal("765.4500"))
    assert third.primary_data_share == Decimal(str(round(380 / 765.45, 6)))
    assert third.by_data_source == {"0": 0.0, "1": 380.0, "2": 0.0, "3": 210.0, "4": 175.45}
    assert third.mass_by_data_source == {"0": 0.0, "1": 200.0, "2": 0.0, "3": 100.0, "4": 50.0}
    assert third.conservative_line_count == 1


@pytest.mark.parametrize(
    ("unit", "amount", "value", "expected"),
    [("t", "1", "1900", "190.0000"), ("kg", "1", "1.9", "190.0000"), ("t", "2", "3800", "190.0000")],
)
def test_the_same_factor_declared_per_t_per_kg_or_per_2_t_gives_the_same_footprint(
    actors, materials, unit, amount, value, expected
):
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof"
    )
    DeclarationFactory(
        product=product,
        status="approved",
        declared_unit=unit,
        declared_amount=amount,
        gwp_a1_a3_kg_co2e=value,
    )
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, supplier_product=product, mass_kg="100")
    assert _recompute(vehicle, as_of=date.today()).total_kg_co2e == Decimal(expected)  # 100 kg x 1.9
