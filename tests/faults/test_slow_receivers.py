"""Faults 4 and 5 (see tests/faults/__init__.py): receivers that do not answer in time.

tests/webhooks/test_delivery.py already proves, one attempt at a time, that a webhook answered 500 or too
late is retried with a 10 s backoff growing threefold and fails for good after the last attempt, with every
answer logged; tests/pact/test_events.py that a partner host answering 503 is retried and then the request
fails. What they leave open, and this module shows:
- a real worker whose webhook receiver sleeps far past the read timeout keeps processing other tasks (a
  second delivery lands meanwhile), and retries the slow one after its backoff;
- a partner PACT host that accepts the connection but never answers is a timeout, retried with backoff, and
  the request is closed as failed with the reason recorded.
"""

import socket
import time

import pytest
from django.utils import timezone

from pact import tasks as pact_tasks
from pact.models import FootprintRequest, Partner
from tests.factories import DeliveryFactory, SubscriptionFactory
from tests.pact.conftest import carmaker_b, credentials_of, pact_settings, world  # noqa: F401 (fixtures)
from tests.pact.test_events import assert_accepted, request_created, vehicle_urn
from tests.webhooks.conftest import Endpoint
from webhooks import services as webhook_services
from webhooks.models import Delivery

from ._stack import wait_for

RECEIVER_SLEEP_S = 30


@pytest.mark.integration
def test_a_receiver_sleeping_past_the_timeout_does_not_hold_the_worker(start_worker):
    slow, fast = Endpoint(), Endpoint()
    slow.answer(200, "too late", delay_s=RECEIVER_SLEEP_S)  # then 200 "ok" at once
    try:
        start_worker(
            WEBHOOKS_ALLOW_HTTP="True", WEBHOOKS_ALLOW_PRIVATE_ADDRESSES="True", WEBHOOKS_READ_TIMEOUT_S="1"
        )  # one worker process, one task at a time (solo pool): the hardest case
        late = DeliveryFactory(subscription=SubscriptionFactory(target_url=slow.url))
        prompt = DeliveryFactory(subscription=SubscriptionFactory(target_url=fast.url))
        sent = time.monotonic()
        webhook_services.deliveries_enqueue(delivery_ids=[late.pk, prompt.pk])  # the slow one first

        wait_for(
            lambda: Delivery.objects.filter(pk=prompt.pk, status="succeeded").exists(),
            timeout_s=15,
            what="the second delivery",
        )
        assert time.monotonic() - sent < RECEIVER_SLEEP_S / 2  # the slow receiver is still asleep
        assert len(fast.received) == 1
        late.refresh_from_db()
        assert (late.status, late.attempts, late.last_status_code) == ("pending", 1, None)
        assert late.error in ("no answer within 1 s", "no answer within 1.0 s")
        assert late.next_attempt_at > timezone.now()  # the retry waits for its backoff (10 s)

        wait_for(
            lambda: Delivery.objects.filter(pk=late.pk, status="succeeded").exists(),
            timeout_s=30,
            what="the retry of the slow delivery",
        )
        late.refresh_from_db()
        assert late.attempts == 2
        assert [entry["status_code"] for entry in late.attempt_log] == [None, 200]
        assert len(slow.received) == 2
    finally:
        slow.stop()
        fast.stop()


@pytest.fixture
def silent_partner_host():
    """A host that accepts connections (the kernel's backlog) and never answers a byte."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.fixture
def worker_retries():
    """In-process tasks run their retries at once, as a worker would after each countdown."""
    conf = pact_tasks.footprint_request_respond.app.conf
    propagates = conf.get("task_eager_propagates")
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = propagates


def test_a_partner_host_that_never_answers_is_retried_then_the_request_fails(
    world,  # noqa: F811
    carmaker_b,  # noqa: F811
    actors,
    silent_partner_host,
    worker_retries,
    monkeypatch,
):
    from pact import outbound, services

    Partner.objects.create(
        organisation=actors.carmaker_b.membership.organisation,
        name="Carmaker B PACT host",
        base_url=f"http://127.0.0.1:{silent_partner_host}",
        client_id="carbon-platform",
        client_secret="s3cret",
    )
    monkeypatch.setattr(outbound, "TIMEOUT_S", 0.3)
    monkeypatch.setattr(services, "MAX_DELIVERY_ATTEMPTS", 3)
    started = time.monotonic()
    response = carmaker_b.client().post_event(
        request_created(f"//127.0.0.1:{silent_partner_host}/2/events", [vehicle_urn(world.vehicle_a)])
    )
    assert_accepted(response)  # the event is accepted at once; answering it is the worker's business
    request = FootprintRequest.objects.get()
    assert request.status == "failed"
    assert request.attempts == 3  # the first try and two retries (30 s, 60 s apart on a worker), no more
    assert "timed out" in request.last_error
    assert time.monotonic() - started < 10  # each attempt gave up at the timeout
    assert [pact_tasks.retry_countdown(n) for n in range(2)] == [30, 60]
