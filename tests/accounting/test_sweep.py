"""Lost messages and dead workers: an approval while the broker is down still commits, and the sweep sends
the pending run again later; a run stuck in 'running' past the time limit is sent again too."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounting import services, tasks
from accounting.models import Footprint, RollupRun
from carbon_platform.celery import app as celery_app
from disclosures import services as disclosure_services
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
    )


def test_approval_with_the_broker_down_commits_and_the_sweep_catches_up(
    actors, product, materials, monkeypatch, django_capture_on_commit_callbacks
):
    # 300 kg: before any declaration 300 x 2.1 (typical BF-BOF) = 630; after 1,800 kg/t approved 300 x 1.8 = 540
    line = BomLineFactory(
        material=materials["steel.hot_rolled_coil"], supplier_product=product, mass_kg="300"
    )
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=None).id)
    submitted = DeclarationFactory(product=product, status="submitted", gwp_a1_a3_kg_co2e=Decimal("1800"))

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.rollup_run_execute, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.declaration_decide(
            actor=actors.auditor, declaration=submitted, decision="approve"
        )
    submitted.refresh_from_db()
    assert submitted.status == "approved"  # the decision stands
    pending = RollupRun.objects.get(trigger="declaration_approved")
    assert pending.status == "pending"
    assert Footprint.objects.get(vehicle_model=line.vehicle_model, is_current=True).total_kg_co2e == Decimal(
        "630"
    )

    monkeypatch.undo()  # the broker is back (tasks run eagerly in tests)
    assert services.rollup_runs_sweep() == []  # too young: its message may still be on the way
    swept = services.rollup_runs_sweep(now=timezone.now() + timedelta(minutes=3))
    assert swept == [pending.id]
    pending.refresh_from_db()
    assert pending.status == "succeeded"
    assert Footprint.objects.get(vehicle_model=line.vehicle_model, is_current=True).total_kg_co2e == Decimal(
        "540"
    )


def test_a_run_whose_worker_died_is_sent_again_and_a_finished_one_never(actors, product, materials):
    line = BomLineFactory(
        material=materials["steel.hot_rolled_coil"], supplier_product=product, mass_kg="100"
    )
    stuck = services.rollup_run_create(trigger="full", model_ids=[line.vehicle_model_id])
    RollupRun.objects.filter(id=stuck.id).update(
        status="running", started_at=timezone.now() - timedelta(minutes=20)
    )
    done = services.rollup_run_create(trigger="full", model_ids=[line.vehicle_model_id])
    services.rollup_run_execute(run_id=done.id)
    recent = services.rollup_run_create(trigger="full", model_ids=[line.vehicle_model_id])
    RollupRun.objects.filter(id=recent.id).update(status="running", started_at=timezone.now())

    assert services.rollup_runs_sweep() == [stuck.id]
    stuck.refresh_from_db()
    assert stuck.status == "succeeded"
    assert Footprint.objects.get(vehicle_model=line.vehicle_model, is_current=True).total_kg_co2e == Decimal(
        "210"
    )


def test_the_sweep_is_on_the_beat_schedule():
    celery_app.loader.import_default_modules()  # what a worker does at start: autodiscover every tasks.py
    entry = celery_app.conf.beat_schedule["rollup-sweep"]
    assert entry["task"] == "accounting.tasks.rollup_runs_sweep"
    assert entry["task"] in celery_app.tasks
    for name, scheduled in celery_app.conf.beat_schedule.items():
        assert scheduled["task"] in celery_app.tasks, name
