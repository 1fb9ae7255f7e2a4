"""Footprints written through the database: each fallback level with hand-computed values, revisions only on change."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounting import services
from accounting.models import Contribution, Footprint, RollupRun
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    DefaultFactorFactory,
    PlantFactory,
    ProductFactory,
    VehicleModelFactory,
)


def _recompute(model_ids, as_of=None):
    run = services.rollup_run_create(trigger="full", model_ids=model_ids)
    return services.rollup_run_execute(run_id=run.id, as_of=as_of)


@pytest.fixture
def supplier(actors):
    return actors.supplier_a.membership.organisation


@pytest.fixture
def vehicle(actors):
    return VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)


def test_level_one_uses_the_latest_approved_declaration_converted_from_tonnes(materials, supplier, vehicle):
    hrc = materials["steel.hot_rolled_coil"]
    product = ProductFactory(supplier=supplier, material=hrc)
    DeclarationFactory(product=product, status="approved", version=1, gwp_a1_a3_kg_co2e="2200")
    DeclarationFactory(
        product=product, status="approved", version=2, gwp_a1_a3_kg_co2e="2050", gwp_d_kg_co2e="-150"
    )
    BomLineFactory(vehicle_model=vehicle, material=hrc, supplier_product=product, mass_kg="400")
    _recompute([vehicle.id])
    footprint = Footprint.objects.get(vehicle_model=vehicle, is_current=True)
    assert footprint.total_kg_co2e == Decimal("820.0000")  # 400 kg x 2.05
    assert footprint.module_d_kg_co2e == Decimal("-60.0000")  # reported beside, not netted
    assert footprint.by_data_source["1"] == pytest.approx(820.0)
    contribution = Contribution.objects.get(footprint=footprint, material=hrc)
    assert contribution.declaration.version == 2
    assert contribution.kg_co2e_per_kg == Decimal("2.050000")


def test_level_two_is_the_plain_mean_of_the_suppliers_other_declarations(materials, supplier, vehicle):
    crc = materials["steel.cold_rolled_coil"]
    declared_1 = ProductFactory(supplier=supplier, material=crc)
    declared_2 = ProductFactory(supplier=supplier, material=crc)
    undeclared = ProductFactory(supplier=supplier, material=crc)
    DeclarationFactory(product=declared_1, status="approved", declared_unit="kg", gwp_a1_a3_kg_co2e="2.2")
    DeclarationFactory(product=declared_2, status="approved", declared_unit="t", gwp_a1_a3_kg_co2e="2400")
    BomLineFactory(vehicle_model=vehicle, material=crc, supplier_product=undeclared, mass_kg="100")
    _recompute([vehicle.id])
    footprint = Footprint.objects.get(vehicle_model=vehicle)
    assert footprint.total_kg_co2e == Decimal("230.0000")  # 100 kg x mean(2.2, 2.4)
    assert footprint.primary_data_share == 1
    assert footprint.by_data_source["2"] == pytest.approx(230.0)


def test_level_three_prefers_the_regional_default_for_the_plants_province(materials, supplier, vehicle):
    sheet = materials["aluminium.sheet"]
    DefaultFactorFactory(
        material=sheet, route="primary_hydro", province="YN", basis="typical", kg_co2e_per_kg=Decimal("3.5")
    )
    yunnan = ProductFactory(
        supplier=supplier,
        material=sheet,
        route="primary_hydro",
        plant=PlantFactory(supplier=supplier, province="YN"),
    )
    sichuan = ProductFactory(
        supplier=supplier,
        material=sheet,
        route="primary_hydro",
        plant=PlantFactory(supplier=supplier, province="SC"),
    )
    BomLineFactory(vehicle_model=vehicle, material=sheet, supplier_product=yunnan, mass_kg="10")
    BomLineFactory(vehicle_model=vehicle, material=sheet, supplier_product=sichuan, mass_kg="10")
    _recompute([vehicle.id])
    footprint = Footprint.objects.get(vehicle_model=vehicle)
    # 10 kg x 3.5 (Yunnan regional) + 10 kg x 4.0 (national hydro default from the reference data)
    assert footprint.total_kg_co2e == Decimal("75.0000")
    assert footprint.primary_data_share == 0
    assert footprint.conservative_line_count == 0


def test_level_four_conservative_default_for_unlinked_lines(materials, vehicle):
    BomLineFactory(vehicle_model=vehicle, material=materials["aluminium.casting"], mass_kg="25")
    BomLineFactory(vehicle_model=vehicle, material=materials["other.glass"], mass_kg="40")
    _recompute([vehicle.id])
    footprint = Footprint.objects.get(vehicle_model=vehicle)
    assert footprint.total_kg_co2e == Decimal("500.0000")  # 25 kg x 20.0; glass is outside the boundary
    assert footprint.conservative_line_count == 1
    assert footprint.mass_total_kg == Decimal("65.0000")
    assert footprint.mass_by_data_source["0"] == pytest.approx(40.0)


def test_expired_and_not_yet_approved_declarations_are_ignored(materials, supplier, vehicle):
    hrc = materials["steel.hot_rolled_coil"]
    product = ProductFactory(supplier=supplier, material=hrc)
    DeclarationFactory(
        product=product,
        status="approved",
        gwp_a1_a3_kg_co2e="1000",
        issue_date=date.today() - timedelta(days=2000),
        valid_until=date.today() - timedelta(days=1),
    )
    DeclarationFactory(product=product, status="submitted", gwp_a1_a3_kg_co2e="900")
    BomLineFactory(vehicle_model=vehicle, material=hrc, supplier_product=product, mass_kg="100")
    _recompute([vehicle.id])
    assert Footprint.objects.get(vehicle_model=vehicle).total_kg_co2e == Decimal(
        "210.0000"
    )  # BF-BOF default 2.1


def test_unchanged_inputs_write_no_new_revision_and_a_change_writes_exactly_one(materials, supplier, vehicle):
    hrc = materials["steel.hot_rolled_coil"]
    product = ProductFactory(supplier=supplier, material=hrc)
    BomLineFactory(vehicle_model=vehicle, material=hrc, supplier_product=product, mass_kg="100")
    first = _recompute([vehicle.id])
    second = _recompute([vehicle.id])
    assert (first.footprints_written, second.footprints_written) == (1, 0)
    DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e="1900")
    third = _recompute([vehicle.id])
    assert third.footprints_written == 1
    revisions = list(
        Footprint.objects.filter(vehicle_model=vehicle)
        .order_by("revision")
        .values_list("revision", "is_current", "total_kg_co2e")
    )
    assert revisions == [(1, False, Decimal("210.0000")), (2, True, Decimal("190.0000"))]


def test_a_run_records_progress_timings_and_is_not_executed_twice(materials, vehicle):
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg="10")
    run = _recompute([vehicle.id])
    assert run.status == "succeeded"
    assert (run.models_total, run.models_done, run.footprints_written) == (1, 1, 1)
    assert set(run.timings_s) == {"load_s", "engine_s", "write_s", "wall_s", "chunks"}
    assert services.rollup_run_execute(run_id=run.id) is None  # a redelivered task finds it finished
    assert RollupRun.objects.get(pk=run.pk).footprints_written == 1


def test_a_failed_run_records_its_error(materials, vehicle):
    BomLineFactory(vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg="10", share="0.5")
    run = services.rollup_run_create(trigger="full", model_ids=[vehicle.id])
    with pytest.raises(ValueError, match="add up to 100%"):
        services.rollup_run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "add up to 100%" in run.error
    assert not Footprint.objects.exists()


def test_database_refuses_two_current_footprints_for_one_model(materials, vehicle):
    from django.db import IntegrityError, transaction

    BomLineFactory(vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg="10")
    _recompute([vehicle.id])
    current = Footprint.objects.get(vehicle_model=vehicle)
    current.pk = None
    current.revision = 2
    with pytest.raises(IntegrityError), transaction.atomic():
        current.save()
    current.revision = 1
    current.is_current = False
    with pytest.raises(IntegrityError), transaction.atomic():
        current.save()  # duplicate revision number
