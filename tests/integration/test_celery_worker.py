"""A real Celery worker process consumes the recompute task from Redis and the footprint lands in PostgreSQL."""

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from accounting.demo_data import load_reference_data
from accounting.models import Footprint, RollupChunk, RollupRun
from accounting.tasks import footprints_recompute_all
from carbon_platform.celery import app as celery_app
from disclosures import services
from tests.factories import (
    BomLineFactory,
    VehicleModelFactory,
    aluminium_supply_chain,
)

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
pytestmark = pytest.mark.integration


def _require_real_stack():
    reasons = []
    if not BROKER_URL.startswith("redis://"):
        reasons.append("CELERY_BROKER_URL is not a Redis URL")
    if connection.vendor != "postgresql":
        reasons.append("the database is not PostgreSQL")
    if reasons:
        message = "real-worker test needs Redis and PostgreSQL: " + "; ".join(reasons)
        if os.environ.get("REQUIRE_INTEGRATION") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def worker(transactional_db):
    _require_real_stack()
    celery_app.connection_for_write().default_channel.client.delete("celery")  # no stale messages
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carbon_platform.test_settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST'] or '127.0.0.1'}"
            f":{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": BROKER_URL,
        "ROLLUP_CHUNK_MODELS": "2",  # so that a handful of models fans out as a chord of several chunks
    }
    process = subprocess.Popen(
        [
            sys.executable,
            str(
                ROOT / "tests" / "celery_worker_main.py"
            ),  # `celery`, with what tasks send going to the broker
            "-A",
            "carbon_platform",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--hostname=integration@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output.append(line)
        if "ready." in line or process.poll() is not None:
            break
    if process.poll() is not None or not any("ready." in line for line in output):
        process.kill()
        pytest.fail("Celery worker did not start:\n" + "".join(output))
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        celery_app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_approval_is_recomputed_by_a_real_worker_through_redis(worker):
    chain = aluminium_supply_chain()
    auditor, vehicle, declaration = chain.auditor, chain.vehicle, chain.declaration

    services.declaration_decide(actor=auditor, declaration=declaration, decision="approve")
    run = RollupRun.objects.get()
    assert run.status == "pending"  # queued, not run in this process

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not Footprint.objects.filter(vehicle_model=vehicle).exists():
        time.sleep(0.25)
    footprint = Footprint.objects.get(vehicle_model=vehicle, is_current=True)
    assert footprint.total_kg_co2e == Decimal("456.0000")  # 120 kg x 3,800 kg CO2e per t
    assert footprint.primary_data_share == 1
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert run.footprints_written == 1


def test_a_full_run_fans_out_as_a_chord_whose_callback_closes_it(worker):
    materials = load_reference_data()
    fleet = [VehicleModelFactory() for _ in range(5)]
    for number, vehicle in enumerate(fleet, start=1):
        BomLineFactory(
            vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg=str(10 * number)
        )
    conservative = materials["steel.electrical"].default_factors.get(basis="conservative").kg_co2e_per_kg

    footprints_recompute_all.delay()  # what Celery beat sends every night
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not RollupRun.objects.filter(finished_at__isnull=False).exists():
        time.sleep(0.25)
    run = RollupRun.objects.get()
    assert run.status == "succeeded", run.error
    assert (run.models_total, run.models_done, run.footprints_written, run.timings_s["chunks"]) == (
        5,
        5,
        5,
        3,
    )
    chunks = RollupChunk.objects.filter(run=run).order_by("index")
    assert [(chunk.status, len(chunk.model_ids)) for chunk in chunks] == [
        ("succeeded", 2),
        ("succeeded", 2),
        ("succeeded", 1),
    ]
    totals = dict(Footprint.objects.filter(is_current=True).values_list("vehicle_model_id", "total_kg_co2e"))
    assert totals == {vehicle.id: 10 * n * conservative for n, vehicle in enumerate(fleet, start=1)}
