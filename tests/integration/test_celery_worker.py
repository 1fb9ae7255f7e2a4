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
from accounting.models import Footprint, RollupRun
from carbon_platform.celery import app as celery_app
from disclosures import services
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    OrganisationFactory,
    ProductFactory,
    UserFactory,
    VehicleModelFactory,
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
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
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
    materials = load_reference_data()
    supplier = OrganisationFactory(kind="supplier")
    auditor = UserFactory(organisation=OrganisationFactory(kind="auditor"))
    product = ProductFactory(
        supplier=supplier, material=materials["aluminium.extrusion"], route="primary_hydro"
    )
    vehicle = VehicleModelFactory()
    BomLineFactory(
        vehicle_model=vehicle,
        material=materials["aluminium.extrusion"],
        supplier_product=product,
        mass_kg="120",
    )
    declaration = DeclarationFactory(product=product, status="submitted", gwp_a1_a3_kg_co2e="3800")

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
