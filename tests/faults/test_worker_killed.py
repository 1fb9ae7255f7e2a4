"""Fault 1 of 4 (see tests/faults/__init__.py): a Celery worker killed with SIGKILL in the middle of a full
recompute, inside a write transaction; a new worker and the sweep finish the run with no duplicate revision
and no half-written footprint."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounting import services
from accounting.demo_data import load_reference_data
from accounting.models import BomLine, DefaultFactor, Footprint, RollupChunk, RollupRun, VehicleModel
from accounting.tasks import footprints_recompute_all
from tests.factories import OrganisationFactory, VehicleModelFactory

from ._checks import assert_footprints_consistent
from ._stack import wait_for

pytestmark = pytest.mark.integration

MODELS = 200
CHUNK_MODELS = 20  # 10 chunks
MATERIALS = ["steel.hot_rolled_coil", "steel.electrical", "aluminium.sheet", "aluminium.casting"]


def _fleet() -> list[int]:
    """200 models of four unlinked lines each (integer kg: every product of mass and factor is exact at the
    4 decimals stored, so contributions add up to the total exactly)."""
    materials = load_reference_data()
    carmaker = OrganisationFactory(kind="carmaker")
    fleet = VehicleModel.objects.bulk_create(
        VehicleModelFactory.build(carmaker=carmaker) for _ in range(MODELS)
    )
    BomLine.objects.bulk_create(
        BomLine(
            vehicle_model=vehicle,
            component=f"part {line}",
            system="body_in_white",
            material=materials[code],
            mass_kg=Decimal(10 + (number * 7 + line * 3) % 50),
        )
        for number, vehicle in enumerate(fleet)
        for line, code in enumerate(MATERIALS)
    )
    return [vehicle.id for vehicle in fleet]


def _in_transaction_elsewhere() -> int:
    """Backends of the test database, other than this one, with a transaction open."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
        )
        return cursor.fetchone()[0]


def test_a_run_whose_worker_is_killed_mid_write_completes_without_duplicates(start_worker, settings):
    settings.ROLLUP_CHUNK_MODELS = CHUNK_MODELS
    model_ids = _fleet()
    first = services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    assert first.status == "succeeded" and first.footprints_written == MODELS
    # Every conservative factor moves: the full run below must write revision 2 of every model.
    DefaultFactor.objects.filter(basis="conservative", material__code__in=MATERIALS).update(
        kg_co2e_per_kg=F("kg_co2e_per_kg") + Decimal("0.25")
    )

    # Each write batch pauses 0.6 s between its footprints and their contributions, in its transaction.
    doomed = start_worker(
        pool="prefork", concurrency=2, ROLLUP_CHUNK_MODELS=str(CHUNK_MODELS), FAULTS_WRITE_PAUSE_S="0.6"
    )
    footprints_recompute_all.delay()  # what beat sends every night
    run = wait_for(
        lambda: RollupRun.objects.filter(trigger="full").exclude(pk=first.pk).first(),
        timeout_s=30,
        what="the full run",
    )

    def mid_run_and_mid_write():
        done = RollupChunk.objects.filter(run=run, status="succeeded").count()
        return 2 <= done < 8 and _in_transaction_elsewhere() > 0

    wait_for(mid_run_and_mid_write, timeout_s=60, interval_s=0.02, what="a write in flight after 2 chunks")
    doomed.kill()  # SIGKILL to the worker and its pool processes
    killed_at = time.monotonic()
    statuses = dict(RollupChunk.objects.filter(run=run).values_list("index", "status"))
    assert "succeeded" in statuses.values() and "running" in statuses.values(), statuses
    in_flight = sorted(index for index, status in statuses.items() if status == "running")

    # The killed writes left nothing behind: PostgreSQL rolled their transactions back.
    wait_for(lambda: _in_transaction_elsewhere() == 0, timeout_s=10, what="the dead transactions to end")
    revisions = assert_footprints_consistent(model_ids)
    assert set(map(len, revisions.values())) <= {1, 2}

    start_worker(pool="prefork", concurrency=2, ROLLUP_CHUNK_MODELS=str(CHUNK_MODELS))
    # The new worker takes the chunks still queued; those the dead one had taken wait for the sweep.
    wait_for(
        lambda: (
            set(
                RollupChunk.objects.filter(run=run)
                .exclude(status="succeeded")
                .values_list("index", flat=True)
            )
            == set(in_flight)
        ),
        timeout_s=60,
        what="the queued chunks",
    )
    run.refresh_from_db()
    assert run.status == "running"
    assert services.rollup_runs_sweep() == []  # chunks finished moments ago: the run is not stale yet
    later = timezone.now() + services.SWEEP_RUNNING_AFTER + timedelta(minutes=1)
    assert services.rollup_runs_sweep(now=later) == [run.pk]  # beat's sweep, a quarter of an hour on

    wait_for(
        lambda: RollupRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout_s=60,
        what="the swept run to close",
    )
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    assert (run.models_total, run.models_done, run.footprints_written) == (MODELS, MODELS, MODELS)
    attempts = dict(RollupChunk.objects.filter(run=run).values_list("index", "attempts"))
    assert all(attempts[index] == 2 for index in in_flight), attempts  # killed once, then done
    assert time.monotonic() - killed_at < 120

    revisions = assert_footprints_consistent(model_ids)
    assert set(map(tuple, revisions.values())) == {(1, 2)}  # exactly one new revision per model
    assert Footprint.objects.filter(run=run).count() == MODELS
    conservative = dict(
        DefaultFactor.objects.filter(basis="conservative", material__code__in=MATERIALS).values_list(
            "material_id", "kg_co2e_per_kg"
        )
    )
    expected: dict[int, Decimal] = {}
    for vehicle_id, material_id, mass in BomLine.objects.filter(vehicle_model_id__in=model_ids).values_list(
        "vehicle_model_id", "material_id", "mass_kg"
    ):
        expected[vehicle_id] = expected.get(vehicle_id, Decimal(0)) + mass * conservative[material_id]
    totals = dict(
        Footprint.objects.filter(vehicle_model_id__in=model_ids, is_current=True).values_list(
            "vehicle_model_id", "total_kg_co2e"
        )
    )
    assert totals == expected
