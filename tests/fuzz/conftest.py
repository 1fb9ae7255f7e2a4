"""The fuzzing world: data for every /api/v1/ operation to find, and a tally of the examples sent."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounting import services as accounting_services
from accounting.choices import RollupTrigger
from accounting.models import DefaultFactor, RollupRun
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    DeliveryFactory,
    PlantFactory,
    ProductFactory,
    SubscriptionFactory,
    VehicleModelFactory,
)

# Examples sent per "actor METHOD path", over the whole session (printed by pytest_terminal_summary).
EXAMPLES: Counter = Counter()
STATUSES: Counter = Counter()


@dataclass
class World:
    tokens: dict
    # OpenAPI path parameter values that name real objects, per path template prefix
    ids: dict = field(default_factory=dict)


@pytest.fixture
def world(actors, materials, settings, tmp_path):
    """Supplier A with a plant, two products and declarations in every state; Carmaker A with three vehicle
    models whose BOMs buy them, rolled up for real (footprints, contributions, a run); an import batch; a
    webhook subscription with a delivery."""
    settings.MEDIA_ROOT = tmp_path
    supplier = actors.supplier_a.membership.organisation
    carmaker = actors.carmaker_a.membership.organisation
    coil = materials["steel.hot_rolled_coil"]
    sheet = materials["aluminium.sheet"]
    plant = PlantFactory(supplier=supplier)
    coil_product = ProductFactory(supplier=supplier, plant=plant, material=coil)
    sheet_product = ProductFactory(supplier=supplier, plant=plant, material=sheet)
    now = timezone.now()
    approved = DeclarationFactory(
        product=coil_product,
        plant=plant,
        status="approved",
        submitted_at=now - timedelta(days=3),
        decided_at=now - timedelta(days=2),
    )
    submitted = DeclarationFactory(product=sheet_product, status="submitted", submitted_at=now)
    draft = DeclarationFactory(product=sheet_product, status="draft")
    vehicles = [VehicleModelFactory(carmaker=carmaker) for _ in range(3)]
    for vehicle in vehicles:
        BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg=300, supplier_product=coil_product)
        BomLineFactory(vehicle_model=vehicle, material=sheet, mass_kg=80, supplier_product=sheet_product)
    run = accounting_services.rollup_run_create(
        trigger=RollupTrigger.FULL, model_ids=None, trigger_object="fuzz"
    )
    run = accounting_services.rollup_run_execute(run_id=run.id)
    assert run.status == "succeeded", run.error
    subscription = SubscriptionFactory(organisation=carmaker, created_by=actors.carmaker_a)
    delivery = DeliveryFactory(subscription=subscription)
    tokens = {
        "carmaker": Token.objects.create(user=actors.carmaker_a).key,
        "supplier": Token.objects.create(user=actors.supplier_a).key,
    }
    ids = {
        "/api/v1/vehicle-models/": [vehicle.pk for vehicle in vehicles],
        "/api/v1/declarations/": [approved.pk, submitted.pk, draft.pk],
        "/api/v1/plants/": [plant.pk],
        "/api/v1/products/": [coil_product.pk, sheet_product.pk],
        "/api/v1/materials/": [coil.pk, sheet.pk],
        "/api/v1/default-factors/": list(
            DefaultFactor.objects.filter(material=coil).order_by("id").values_list("pk", flat=True)[:2]
        ),
        "/api/v1/rollup-runs/": list(RollupRun.objects.values_list("pk", flat=True)),
        "/api/v1/webhook-subscriptions/": [subscription.pk],
        "deliveries": [delivery.pk],
    }
    return World(tokens=tokens, ids=ids)


def pytest_terminal_summary(terminalreporter):
    if not EXAMPLES:
        return
    by_actor = Counter()
    for key, count in EXAMPLES.items():
        by_actor[key.split(" ", 1)[0]] += count
    operations = {key.split(" ", 1)[1] for key in EXAMPLES}
    terminalreporter.write_sep("-", "schemathesis")
    terminalreporter.write_line(
        f"{sum(EXAMPLES.values())} examples over {len(operations)} operations "
        f"({', '.join(f'{actor}: {count}' for actor, count in sorted(by_actor.items()))}); "
        f"status codes: {dict(sorted(STATUSES.items()))}"
    )


@pytest.fixture(autouse=True)
def no_outbound_webhooks(monkeypatch):
    """Webhook deliveries the fuzzer triggers (test, redeliver, events) answer 204 without the network."""
    from webhooks import outbound

    def post(url, **kwargs):
        return outbound.Answer(status_code=204, body_excerpt="", duration_ms=1)

    monkeypatch.setattr(outbound, "post", post)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """schemathesis calls the WSGI app itself, not Django's test client: the app's request signals would close
    the database connection of the test's transaction (PostgreSQL closes it for real, as its autocommit is
    off inside the transaction). Disconnect them for the test, as the test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
