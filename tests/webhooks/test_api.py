"""The webhooks API: carmakers only, each its own subscriptions; the secret once on creation and on request;
a test event, the delivery log with its filters, and redelivery of a failed delivery."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from carbon_platform.tenancy.models import AuditEvent
from tests.factories import DeliveryFactory, SubscriptionFactory
from webhooks.models import Delivery, Subscription

URL = "/api/v1/webhook-subscriptions/"
NEW = {
    "target_url": "https://hooks.carmaker-a.example/carbon",
    "event_types": ["declaration.approved", "footprint.changed"],
    "threshold_pct": "1",
}


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def subscription(actors):
    return SubscriptionFactory(organisation=actors.carmaker_a.membership.organisation, secret="the-secret")


def test_a_carmaker_subscribes_and_gets_the_secret_once(actors, materials):
    client = _client(actors.carmaker_a)
    created = client.post(URL, NEW, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    subscription = Subscription.objects.get()
    assert body["secret"] == subscription.secret and len(subscription.secret) >= 40
    assert body["event_types"] == ["footprint.changed", "declaration.approved"]
    assert (body["threshold_pct"], body["threshold_kg_co2e"], body["is_active"]) == ("1.000", None, True)
    assert (body["created_by"], body["deliveries_total"]) == ("carmaker_a", 0)
    assert subscription.organisation == actors.carmaker_a.membership.organisation
    listed = client.get(URL).json()["results"]
    assert [row["id"] for row in listed] == [subscription.pk]
    assert "secret" not in listed[0] and "secret" not in client.get(f"{URL}{subscription.pk}/").json()
    assert client.get(f"{URL}{subscription.pk}/secret/").json() == {"secret": subscription.secret}
    event = AuditEvent.objects.get(object_type="webhooks.Subscription", action="created")
    assert event.after["target_url"] == NEW["target_url"]
    assert subscription.secret not in str(event.after)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target_url": "http://hooks.carmaker-a.example/carbon"}, "target_url"),
        ({"target_url": "https://127.0.0.1/carbon"}, "target_url"),
        ({"target_url": "https://10.1.2.3/carbon"}, "target_url"),
        ({"target_url": "https://localhost/carbon"}, "target_url"),
        ({"target_url": "https://user:pw@hooks.carmaker-a.example/"}, "target_url"),
        ({"event_types": []}, "event_types"),
        ({"event_types": ["webhook.test"]}, "event_types"),
        ({"threshold_pct": "-1"}, "threshold_pct"),
    ],
)
def test_a_bad_subscription_is_refused_with_the_field_named(actors, change, field):
    response = _client(actors.carmaker_a).post(URL, {**NEW, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Subscription.objects.exists()


def test_plain_http_is_accepted_only_when_allowed(actors, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    response = _client(actors.carmaker_a).post(
        URL, {**NEW, "target_url": "http://hooks.carmaker-a.example/carbon"}, format="json"
    )
    assert response.status_code == 201


def test_only_carmakers_and_only_their_own_subscriptions(actors, subscription):
    assert APIClient().get(URL).status_code == 401
    for who in ("supplier_a", "auditor", "outsider"):
        client = _client(getattr(actors, who))
        assert client.get(URL).status_code == 403, who
        assert client.post(URL, NEW, format="json").status_code == 403, who
        assert client.get(f"{URL}{subscription.pk}/").status_code == 403, who
    refused = _client(actors.supplier_a).get(URL)
    assert refused.json() == {"detail": "This needs a carmaker account."}
    other = _client(actors.carmaker_b)
    assert other.get(URL).json()["results"] == []
    for method, path in [
        ("get", ""),
        ("get", "secret/"),
        ("get", "deliveries/"),
        ("patch", ""),
        ("delete", ""),
        ("post", "test/"),
    ]:
        response = getattr(other, method)(f"{URL}{subscription.pk}/{path}", {}, format="json")
        assert response.status_code == 404, (method, path)
    delivery = DeliveryFactory(subscription=subscription, status="failed")
    base = f"{URL}{subscription.pk}/deliveries/{delivery.pk}/"
    assert other.get(base).status_code == 404
    assert other.post(f"{base}redeliver/").status_code == 404
    assert Subscription.objects.get(pk=subscription.pk).revoked_at is None


def test_a_change_is_audited_and_revocation_erases_the_secret(actors, subscription, enqueued):
    client = _client(actors.carmaker_a)
    changed = client.patch(
        f"{URL}{subscription.pk}/", {"threshold_kg_co2e": "50", "is_active": False}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["threshold_kg_co2e"], changed.json()["is_active"]) == ("50.0000", False)
    update = AuditEvent.objects.get(object_type="webhooks.Subscription", action="updated")
    assert update.before == {"is_active": True, "threshold_kg_co2e": None}
    assert update.after == {"is_active": False, "threshold_kg_co2e": "50.0000"}
    pending = DeliveryFactory(subscription=subscription)

    assert client.delete(f"{URL}{subscription.pk}/").status_code == 204
    subscription.refresh_from_db()
    assert subscription.revoked_at is not None and subscription.secret == "" and not subscription.is_active
    pending.refresh_from_db()
    assert (pending.status, pending.error) == ("failed", "The subscription was revoked.")
    revoked = AuditEvent.objects.get(object_type="webhooks.Subscription", action="revoked")
    assert revoked.object_id == str(subscription.pk)
    assert client.get(f"{URL}{subscription.pk}/").status_code == 404
    assert client.get(URL).json()["results"] == []


def test_a_test_event_is_queued_for_an_active_subscription(
    actors, subscription, enqueued, django_capture_on_commit_callbacks
):
    client = _client(actors.carmaker_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{URL}{subscription.pk}/test/")
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert response.json()["id"] == delivery.pk and enqueued == [delivery.pk]
    assert (delivery.event_type, delivery.status) == ("webhook.test", "pending")
    assert delivery.payload["data"]["subscription_id"] == subscription.pk
    client.patch(f"{URL}{subscription.pk}/", {"is_active": False}, format="json")
    paused = client.post(f"{URL}{subscription.pk}/test/")
    assert paused.status_code == 400
    assert paused.json() == {"detail": "The subscription is not active; activate it first."}


def test_the_delivery_log_filters_and_shows_one_delivery_with_its_payload(actors, subscription):
    failed = DeliveryFactory(
        subscription=subscription,
        event_type="declaration.expired",
        status="failed",
        attempts=8,
        last_status_code=503,
        response_body_excerpt="busy",
        error="HTTP 503",
        payload={"type": "declaration.expired", "data": {"declaration": {"id": 1}}},
    )
    DeliveryFactory(subscription=subscription, status="succeeded", last_status_code=200)
    DeliveryFactory(status="failed")  # another carmaker's
    client = _client(actors.carmaker_a)
    url = f"{URL}{subscription.pk}/deliveries/"

    def ids(**params):
        return [row["id"] for row in client.get(url, params).json()["results"]]

    assert len(ids()) == 2
    assert ids(status="failed") == ids(event_type="declaration.expired") == [failed.pk]
    assert ids(status="pending") == []
    assert client.get(url, {"status": "lost"}).status_code == 400
    row = client.get(url, {"status": "failed"}).json()["results"][0]
    assert (row["attempts"], row["last_status_code"], row["response_body_excerpt"], row["error"]) == (
        8,
        503,
        "busy",
        "HTTP 503",
    )
    assert "payload" not in row
    detail = client.get(f"{url}{failed.pk}/").json()
    assert detail["payload"] == failed.payload
    assert detail["event_id"] == str(failed.event_id)


def test_a_failed_delivery_is_sent_again_once_with_the_same_event(
    actors, subscription, enqueued, django_capture_on_commit_callbacks
):
    failed = DeliveryFactory(subscription=subscription, status="failed", attempts=8)
    pending = DeliveryFactory(subscription=subscription)
    client = _client(actors.carmaker_a)
    base = f"{URL}{subscription.pk}/deliveries/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base}{failed.pk}/redeliver/")
    assert response.status_code == 201, response.json()
    again = Delivery.objects.get(pk=response.json()["id"])
    assert (again.event_id, again.payload, again.redelivery_of, again.attempts, again.status) == (
        failed.event_id,
        failed.payload,
        failed,
        0,
        "pending",
    )
    assert enqueued == [again.pk]
    twice = client.post(f"{base}{failed.pk}/redeliver/")
    assert twice.status_code == 400
    assert twice.json() == {"detail": f"This delivery was already sent again as delivery {again.pk}."}
    assert client.get(base, {"status": "failed"}).json()["results"][0]["redelivered_as"] == again.pk
    assert client.post(f"{base}{pending.pk}/redeliver/").status_code == 400


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.json()["results"])


def test_the_list_takes_the_same_queries_for_3_or_30_subscriptions(actors):
    carmaker = actors.carmaker_a.membership.organisation
    client = _client(actors.carmaker_a)
    for _ in range(3):
        DeliveryFactory(subscription=SubscriptionFactory(organisation=carmaker), status="failed")
    client.get(URL)
    few, rows = _list_queries(client)
    assert rows == 3
    for _ in range(27):
        DeliveryFactory(subscription=SubscriptionFactory(organisation=carmaker, created_by=actors.carmaker_a))
    many, rows = _list_queries(client)
    assert rows == 30
    assert many == few
