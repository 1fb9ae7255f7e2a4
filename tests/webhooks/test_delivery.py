"""Delivering an event to a real local HTTP endpoint: signed, retried with backoff, logged with every answer,
failed for good when it should be; and the Celery task wired to the service's countdown."""

import hashlib
import hmac
import json
import time
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from tests.factories import DeliveryFactory, SubscriptionFactory
from webhooks import outbound, services, tasks
from webhooks.models import Delivery


@pytest.fixture
def delivery(db, endpoint):
    subscription = SubscriptionFactory(target_url=endpoint.url, secret="s3cret-key")
    return DeliveryFactory(
        subscription=subscription,
        event_type="declaration.approved",
        payload={"id": "x", "type": "declaration.approved", "data": {"name": "钢 coil", "kg": "1.5000"}},
    )


def _due_now(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_delivery_is_signed_with_the_subscriptions_secret_over_timestamp_and_body(endpoint, delivery):
    before = int(time.time())
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    (request,) = endpoint.received
    assert request.path == "/hooks/carbon?source=platform"
    headers = request.headers
    assert headers["Content-Type"] == "application/json"
    assert headers[outbound.EVENT_ID_HEADER] == str(delivery.event_id)
    assert headers[outbound.EVENT_TYPE_HEADER] == "declaration.approved"
    timestamp = headers[outbound.TIMESTAMP_HEADER]
    assert before <= int(timestamp) <= time.time()
    expected = hmac.new(b"s3cret-key", f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert headers[outbound.SIGNATURE_HEADER] == f"sha256={expected}"
    assert json.loads(request.body) == delivery.payload
    # a different secret, timestamp or body does not match
    assert outbound.signature(secret="other", timestamp=timestamp, body=request.body) != f"sha256={expected}"
    assert outbound.signature(secret="s3cret-key", timestamp="1", body=request.body) != f"sha256={expected}"
    assert outbound.signature(secret="s3cret-key", timestamp=timestamp, body=request.body + b" ") != (
        f"sha256={expected}"
    )


def test_the_documented_verification_code_accepts_a_real_delivery(endpoint, delivery):
    services.delivery_attempt(delivery_id=delivery.pk)
    (request,) = endpoint.received
    namespace: dict = {}
    exec(outbound.VERIFY_EXAMPLE, namespace)  # the snippet on the page and in the API docs
    assert namespace["verify"]("s3cret-key", request.headers, request.body) is True
    assert namespace["verify"]("wrong-key", request.headers, request.body) is False
    stale = {**request.headers, outbound.TIMESTAMP_HEADER: str(int(time.time()) - 3600)}
    assert namespace["verify"]("s3cret-key", stale, request.body) is False


def test_a_500_is_retried_after_10_s_and_the_second_attempt_succeeds(endpoint, delivery):
    endpoint.answer(500, "database is down")
    started = timezone.now()
    assert services.delivery_attempt(delivery_id=delivery.pk) == 10
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.response_body_excerpt == "database is down"
    assert delivery.error == "HTTP 500"
    assert (
        started + timedelta(seconds=10) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    )

    assert services.delivery_attempt(delivery_id=delivery.pk) is None  # not due yet: a duplicate message
    assert len(endpoint.received) == 1

    _due_now(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.error) == (
        "succeeded",
        2,
        200,
        "",
    )
    assert delivery.response_body_excerpt == "ok"
    assert delivery.finished_at is not None and delivery.next_attempt_at is None
    assert [(entry["attempt"], entry["status_code"], entry["error"]) for entry in delivery.attempt_log] == [
        (1, 500, "HTTP 500"),
        (2, 200, ""),
    ]
    first, second = endpoint.received
    assert first.body == second.body  # the same event, byte for byte
    assert first.headers[outbound.EVENT_ID_HEADER] == second.headers[outbound.EVENT_ID_HEADER]


def test_the_backoff_grows_threefold_from_10_s_and_is_capped_at_30_minutes():
    assert [services.retry_countdown(attempt) for attempt in range(1, 9)] == [
        10,
        30,
        90,
        270,
        810,
        1800,
        1800,
        1800,
    ]


def test_an_endpoint_that_answers_too_late_is_a_timeout_tried_again(endpoint, delivery, settings):
    settings.WEBHOOKS_READ_TIMEOUT_S = 0.3
    endpoint.answer(200, "too late", delay_s=2)
    started = time.monotonic()
    assert services.delivery_attempt(delivery_id=delivery.pk) == 10
    assert time.monotonic() - started < 1.5  # the attempt gave up at the read timeout
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.error == "no answer within 0.3 s"
    assert delivery.attempt_log[0]["status_code"] is None


def test_an_endpoint_that_is_down_is_a_connection_error_tried_again(db, local_endpoints):
    subscription = SubscriptionFactory(target_url="http://127.0.0.1:9/hooks")  # discard port: nobody listens
    delivery = DeliveryFactory(subscription=subscription)
    assert services.delivery_attempt(delivery_id=delivery.pk) == 10
    delivery.refresh_from_db()
    assert delivery.error.startswith("cannot connect")
    assert delivery.status == "pending"


@pytest.mark.parametrize(
    ("status_code", "retried"),
    [
        (400, False),
        (401, False),
        (404, False),
        (410, False),
        (301, False),
        (408, True),
        (429, True),
        (502, True),
    ],
)
def test_which_answers_are_tried_again(endpoint, delivery, status_code, retried):
    endpoint.answer(status_code, "no")
    retry_in_s = services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (retry_in_s == 10) is retried
    assert delivery.status == ("pending" if retried else "failed")
    assert (delivery.last_status_code, delivery.error, delivery.response_body_excerpt) == (
        status_code,
        f"HTTP {status_code}",
        "no",
    )


def test_after_the_last_attempt_the_delivery_fails_for_good(endpoint, delivery, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTEMPTS", 3)
    for _attempt in range(3):
        endpoint.answer(503, "busy")
    assert services.delivery_attempt(delivery_id=delivery.pk) == 10
    _due_now(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) == 30
    _due_now(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.error) == (
        "failed",
        3,
        503,
        "HTTP 503",
    )
    assert delivery.next_attempt_at is None and delivery.finished_at is not None
    assert [entry["status_code"] for entry in delivery.attempt_log] == [503, 503, 503]
    _due_now(delivery)
    assert services.delivery_attempt(delivery_id=delivery.pk) is None  # nothing more is sent
    assert len(endpoint.received) == 3


def test_only_the_first_2_kb_of_an_answer_are_kept(endpoint, delivery):
    endpoint.answer(500, "x" * 5000)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.response_body_excerpt == "x" * 2048


def test_a_host_that_is_not_public_is_never_called(endpoint, delivery, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "127.0.0.1" in delivery.error and "non-public" in delivery.error
    assert endpoint.received == []


def test_a_delivery_of_a_paused_or_revoked_subscription_fails_without_a_call(endpoint, delivery):
    delivery.subscription.is_active = False
    delivery.subscription.save()
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error, delivery.attempts) == (
        "failed",
        "The subscription is not active.",
        0,
    )
    assert endpoint.received == []


def test_an_attempt_claimed_by_another_worker_is_not_made_twice(endpoint, delivery):
    # Another worker claimed attempt 1 a moment ago and is still waiting for the answer.
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=timezone.now() + services.ATTEMPT_LEASE
    )
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert endpoint.received == []


def test_the_task_runs_one_attempt_under_eager_celery_and_leaves_the_retry_scheduled(endpoint, delivery):
    endpoint.answer(500, "boom")
    services.deliveries_enqueue(delivery_ids=[delivery.pk])  # eager: the task runs here, once
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=8)
    assert len(endpoint.received) == 1
    _due_now(delivery)
    services.deliveries_enqueue(delivery_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 200)


def test_the_task_retries_itself_after_the_services_countdown(db, monkeypatch):
    monkeypatch.setattr(services, "delivery_attempt", lambda *, delivery_id: 270)
    with mock.patch.object(tasks.webhook_deliver, "retry", side_effect=Retry()) as retry:
        with pytest.raises(Retry):
            tasks.webhook_deliver(41)
    retry.assert_called_once_with(countdown=270)
    monkeypatch.setattr(services, "delivery_attempt", lambda *, delivery_id: None)
    with mock.patch.object(tasks.webhook_deliver, "retry") as retry:
        tasks.webhook_deliver(41)
    retry.assert_not_called()


def test_the_sweep_sends_again_the_deliveries_whose_task_was_lost(db, enqueued):
    now = timezone.now()
    lost = DeliveryFactory(next_attempt_at=now - timedelta(minutes=10))
    DeliveryFactory(next_attempt_at=now - timedelta(minutes=1))  # its task is on its way
    DeliveryFactory(next_attempt_at=now - timedelta(minutes=10), status="failed")
    assert services.deliveries_sweep(now=now) == [lost.pk]
    assert enqueued == [lost.pk]
