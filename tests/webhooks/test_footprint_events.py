"""footprint.changed: after a run closes, the models of each subscribed carmaker whose new revision moved by
more than the subscription's threshold, with the run as the cause. Totals by hand:

    model   previous  new     delta   delta %
    up12    1000      1012    +12     +1.2
    up9     1000      1009    +9      +0.9
    up10    1000      1010    +10     +1.0   (exactly at a 1 % / 10 kg threshold: not more, so no event)
    down12  1000      988     -12     -1.2
    first   -         500     -       -      (a first footprint is no change)
    same    1000      1000    0       0      (a new revision whose total did not move)
"""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting import services as accounting_services
from accounting.models import RollupRun
from disclosures import services as disclosure_services
from tests.api.lists import footprint
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    ProductFactory,
    SubscriptionFactory,
    VehicleModelFactory,
)
from webhooks import outbound, services
from webhooks.models import Delivery


@pytest.mark.parametrize(
    ("previous", "new", "pct", "kg", "fires"),
    [
        ("1000", "1012", "1", None, True),  # 1.2 % > 1 %
        ("1000", "1009", "1", None, False),  # 0.9 %
        ("1000", "1010", "1", None, False),  # exactly 1 %: not more than it
        ("1000", "988", "1", None, True),  # -1.2 %: a fall counts as much as a rise
        ("1000", "1012", None, "10", True),  # 12 kg > 10 kg
        ("1000", "1009", None, "10", False),
        ("1000", "1012", "1.5", "10", True),  # 1.2 % is under 1.5 %, but 12 kg is over 10 kg: either fires
        ("1000", "1012", "1", "50", True),  # 12 kg is under 50 kg, but 1.2 % is over 1 %
        ("1000", "1009", "1", "10", False),  # under both
        ("1000", "1000.0001", None, None, True),  # no threshold: any change
        ("1000", "1000", None, None, False),
        ("0", "5", "50", None, True),  # from nothing, any rise is more than any percentage
    ],
)
def test_a_change_fires_when_it_is_more_than_either_threshold(previous, new, pct, kg, fires):
    assert (
        services.footprint_change_exceeds(
            previous_kg=Decimal(previous),
            new_kg=Decimal(new),
            threshold_pct=None if pct is None else Decimal(pct),
            threshold_kg=None if kg is None else Decimal(kg),
        )
        is fires
    )


@pytest.fixture
def run_with_changes(actors):
    """Carmaker A's six models of the table above and one of Carmaker B's (1000 -> 1100), all moved by one
    run that an approval of EPD-0001 v2 triggered."""
    carmaker_a = actors.carmaker_a.membership.organisation
    declaration = DeclarationFactory(registration_number="EPD-0001", version=2, status="approved")
    earlier = RollupRun.objects.create(trigger="full", status="succeeded")
    run = RollupRun.objects.create(
        trigger="declaration_approved",
        trigger_object=f"declaration:{declaration.pk}",
        status="succeeded",
    )
    models = {}
    for name, previous, new in [
        ("up12", "1000", "1012"),
        ("up9", "1000", "1009"),
        ("up10", "1000", "1010"),
        ("down12", "1000", "988"),
        ("first", None, "500"),
        ("same", "1000", "1000"),
    ]:
        vehicle = VehicleModelFactory(
            carmaker=carmaker_a, brand="Qilin", model_name=name, variant="", external_id=f"QL-{name}"
        )
        revision = 1
        if previous is not None:
            footprint(vehicle, revision=1, is_current=False, run=earlier, total=previous)
            revision = 2
        footprint(vehicle, revision=revision, run=run, total=new)
        models[name] = vehicle
    other = VehicleModelFactory(carmaker=actors.carmaker_b.membership.organisation)
    footprint(other, revision=1, is_current=False, run=earlier, total="1000")
    footprint(other, revision=2, run=run, total="1100")
    models["carmaker_b"] = other
    run.footprints_written = 7
    run.save()
    return run, models


def _models_of(delivery: Delivery) -> list[str]:
    return [change["model_name"] for change in delivery.payload["data"]["models"]]


def test_each_subscription_gets_the_models_of_its_carmaker_beyond_its_threshold(
    actors, run_with_changes, enqueued, django_capture_on_commit_callbacks
):
    run, models = run_with_changes
    carmaker_a = actors.carmaker_a.membership.organisation
    by_pct = SubscriptionFactory(organisation=carmaker_a, threshold_pct=Decimal("1"))
    by_kg = SubscriptionFactory(organisation=carmaker_a, threshold_kg_co2e=Decimal("11.5"))
    either = SubscriptionFactory(
        organisation=carmaker_a, threshold_pct=Decimal("1.5"), threshold_kg_co2e=Decimal("10")
    )
    any_change = SubscriptionFactory(organisation=carmaker_a)
    SubscriptionFactory(organisation=carmaker_a, event_types=["declaration.approved"])  # not this event
    SubscriptionFactory(organisation=carmaker_a, threshold_pct=Decimal("1"), is_active=False)  # paused

    with django_capture_on_commit_callbacks(execute=True):
        deliveries = services.footprint_events_emit(run=run)

    by_subscription = {delivery.subscription_id: delivery for delivery in deliveries}
    assert set(by_subscription) == {by_pct.pk, by_kg.pk, either.pk, any_change.pk}
    assert _models_of(by_subscription[by_pct.pk]) == ["up12", "down12"]
    assert _models_of(by_subscription[by_kg.pk]) == ["up12", "down12"]
    assert _models_of(by_subscription[either.pk]) == ["up12", "down12"]
    assert _models_of(by_subscription[any_change.pk]) == ["up12", "up9", "up10", "down12"]
    assert sorted(enqueued) == sorted(delivery.pk for delivery in deliveries)
    assert all(d.event_type == "footprint.changed" and d.status == "pending" for d in deliveries)


def test_the_payload_names_the_model_its_totals_its_change_and_the_cause(actors, run_with_changes, enqueued):
    run, models = run_with_changes
    subscription = SubscriptionFactory(
        organisation=actors.carmaker_a.membership.organisation, threshold_pct=Decimal("1")
    )
    (delivery,) = services.footprint_events_emit(run=run)
    delivery.refresh_from_db()
    payload = delivery.payload
    assert payload["id"] == str(delivery.event_id)
    assert payload["type"] == "footprint.changed"
    data = payload["data"]
    assert data["cause"] == {
        "rollup_run_id": run.pk,
        "trigger": "declaration_approved",
        "trigger_object": run.trigger_object,
        "description": "Declaration approved (EPD-0001 v2)",
        "run_status": "succeeded",
        "run_finished_at": None,
    }
    assert data["thresholds"] == {"threshold_pct": "1.000", "threshold_kg_co2e": None}
    assert (data["part"], data["parts"]) == (1, 1)
    up12, down12 = data["models"]
    assert up12 == {
        "vehicle_model_id": models["up12"].pk,
        "name": "Qilin up12 (2026)",
        "brand": "Qilin",
        "model_name": "up12",
        "variant": "",
        "model_year": 2026,
        "external_id": "QL-up12",
        "previous_revision": 1,
        "revision": 2,
        "previous_total_kg_co2e": "1000.0000",
        "total_kg_co2e": "1012.0000",
        "delta_kg_co2e": "12.0000",
        "delta_pct": "1.2000",
    }
    assert (down12["delta_kg_co2e"], down12["delta_pct"]) == ("-12.0000", "-1.2000")
    assert subscription.organisation_id == models["up12"].carmaker_id


def test_many_matches_go_out_in_parts(actors, run_with_changes, enqueued, monkeypatch):
    run, _models = run_with_changes
    monkeypatch.setattr(services, "FOOTPRINT_MODELS_PER_DELIVERY", 3)
    SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation)
    first, second = sorted(services.footprint_events_emit(run=run), key=lambda d: d.payload["data"]["part"])
    assert [(d.payload["data"]["part"], d.payload["data"]["parts"]) for d in (first, second)] == [
        (1, 2),
        (2, 2),
    ]
    assert _models_of(first) + _models_of(second) == ["up12", "up9", "up10", "down12"]
    assert first.event_id != second.event_id


def test_a_run_that_wrote_nothing_or_moved_nothing_beyond_thresholds_sends_nothing(
    actors, run_with_changes, enqueued
):
    run, _models = run_with_changes
    SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation, threshold_pct=Decimal("5"))
    assert services.footprint_events_emit(run=run) == []
    assert services.footprint_events_emit(run=RollupRun.objects.create(trigger="full")) == []
    assert enqueued == [] and not Delivery.objects.exists()


def _emit_queries(actors, models: int, subscriptions: int) -> int:
    carmaker = actors.carmaker_a.membership.organisation
    earlier = RollupRun.objects.create(trigger="full")
    run = RollupRun.objects.create(trigger="full", footprints_written=models)
    for index in range(models):
        vehicle = VehicleModelFactory(carmaker=carmaker)
        footprint(vehicle, revision=1, is_current=False, run=earlier, total="1000")
        footprint(vehicle, revision=2, run=run, total=str(1100 + index))
    for _index in range(subscriptions):
        SubscriptionFactory(organisation=carmaker, threshold_pct=Decimal("1"))
    with CaptureQueriesContext(connection) as captured:
        deliveries = services.footprint_events_emit(run=run)
    assert deliveries
    return len(captured.captured_queries)


def test_matching_takes_the_same_few_queries_for_3_or_30_models_and_1_or_5_subscriptions(actors, enqueued):
    few = _emit_queries(actors, models=3, subscriptions=1)
    many = _emit_queries(actors, models=30, subscriptions=4)
    assert many == few <= 6


def test_an_approval_sends_footprint_changed_with_its_cause_to_the_endpoint(
    actors, materials, endpoint, django_capture_on_commit_callbacks
):
    """End to end: 100 kg of hot-rolled coil on the BF-BOF default (2.1 kg/kg: 210 kg CO2e) drops to 190 kg
    CO2e (-20 kg, -9.5238 %) when the supplier's 1,900 kg CO2e/t EPD is approved."""
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof"
    )
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg="100", supplier_product=product)
    accounting_services.rollup_run_execute(
        run_id=accounting_services.rollup_run_create(trigger="full", model_ids=None).id
    )
    subscription = SubscriptionFactory(
        organisation=actors.carmaker_a.membership.organisation,
        target_url=endpoint.url,
        event_types=["footprint.changed"],
        threshold_pct=Decimal("5"),
    )
    declaration = DeclarationFactory(
        product=product,
        status="submitted",
        registration_number="EPD-HOOK-1",
        gwp_a1_a3_kg_co2e=Decimal("1900"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        disclosure_services.declaration_decide(
            actor=actors.auditor, declaration=declaration, decision="approve"
        )

    (delivery,) = Delivery.objects.filter(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    (request,) = endpoint.received
    event = json.loads(request.body)
    (change,) = event["data"]["models"]
    assert (change["previous_total_kg_co2e"], change["total_kg_co2e"]) == ("210.0000", "190.0000")
    assert (change["delta_kg_co2e"], change["delta_pct"]) == ("-20.0000", "-9.5238")
    run = RollupRun.objects.get(trigger="declaration_approved")
    assert event["data"]["cause"]["rollup_run_id"] == run.pk
    assert event["data"]["cause"]["description"] == "Declaration approved (EPD-HOOK-1 v1)"
    assert request.headers[outbound.EVENT_ID_HEADER] == str(delivery.event_id)
