"""Action Events (PACT 2.3): structured-mode CloudEvents at POST /2/events, answered 200 with an empty body.

Published events are recorded. A RequestCreated event is accepted at once; then, asynchronously (a Celery
task, in-process here), the host authenticates with the requester's host through the spec's flow (its
/.well-known/openid-configuration, else /auth/token, with the credentials the operator registered) and POSTs
a Fulfilled event with the matching footprints, or a Rejected one with the reason, to its /2/events. The
requester is a real HTTP server on 127.0.0.1 (tests/pact/requester.py)."""

import json
import uuid

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import RequestFactory

from pact import tasks, views
from pact.models import FootprintRequest, InboundEvent

from .conftest import HOST
from .spec import assert_product_footprint
from .test_errors import assert_error

CLOUDEVENTS = "application/cloudevents+json; charset=UTF-8"


def published(**overrides) -> dict:
    return {
        "type": "org.wbcsd.pathfinder.ProductFootprint.Published.v1",
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "//partner.example/2/events",
        "time": "2026-11-20T10:00:00Z",
        "data": {"pfIds": [str(uuid.uuid4())]},
    } | overrides


def request_created(source: str, product_ids, **overrides) -> dict:
    return {
        "type": "org.wbcsd.pathfinder.ProductFootprintRequest.Created.v1",
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": "2026-11-20T10:00:00Z",
        "data": {"pf": {"productIds": product_ids}, "comment": "Please send the current PCF."},
    } | overrides


def assert_accepted(response):
    assert response.status_code == 200, response.content
    assert response.content == b""
    assert "Content-Type" not in response


def vehicle_urn(vehicle) -> str:
    return f"urn:pact:carbon.test:product-id:vehicle-model-{vehicle.pk}"


# --- Published ---------------------------------------------------------------------------------------


def test_a_published_event_is_accepted_and_recorded(carmaker_b):
    event = published()
    assert_accepted(carmaker_b.client().post_event(event))
    recorded = InboundEvent.objects.get()
    assert (recorded.type, recorded.event_id, recorded.source) == (
        event["type"],
        event["id"],
        event["source"],
    )
    assert recorded.data == event["data"]
    assert recorded.organisation == carmaker_b.organisation


def test_a_redelivered_event_is_accepted_once(carmaker_b):
    client, event = carmaker_b.client(), published()
    assert_accepted(client.post_event(event))
    assert_accepted(client.post_event(event))
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    "pf_ids",
    [["urn:gtin:4712345060507"], ["not-a-uuid"], [], "f4b1225a-bd44-4c8e-861d-079e4e1dfd69", [42]],
)
def test_published_pf_ids_must_be_uuids(carmaker_b, pf_ids):
    response = carmaker_b.client().post_event(published(data={"pfIds": pf_ids}))
    assert_error(response, 400, "BadRequest")
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"specversion": "0.3"},
        {"id": ""},
        {"source": None},
        {"time": "yesterday"},
        {"data": "pfIds"},
    ],
)
def test_a_malformed_cloudevent_is_bad_request(carmaker_b, change):
    assert_error(carmaker_b.client().post_event(published(**change)), 400, "BadRequest")


def test_events_must_be_structured_mode_cloudevents(carmaker_b):
    client = carmaker_b.client()
    assert_error(client.post("/2/events", json.dumps(published()), "application/json"), 400, "BadRequest")
    assert_error(client.post("/2/events", "{not json", CLOUDEVENTS), 400, "BadRequest")
    assert_error(client.post("/2/events", "[]", CLOUDEVENTS), 400, "BadRequest")


@pytest.mark.parametrize(
    "event_type",
    [
        "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1",
        "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1",
        "com.example.Something.v1",
    ],
)
def test_events_this_host_does_not_process_are_not_implemented(carmaker_b, event_type):
    assert_error(carmaker_b.client().post_event(published(type=event_type)), 400, "NotImplemented")


# --- RequestCreated and its asynchronous answer ------------------------------------------------------


def test_a_request_is_accepted_and_fulfilled_on_the_requesters_host(world, carmaker_b, partner_b, requester):
    event = request_created(requester.source, [vehicle_urn(world.vehicle_a)])
    assert_accepted(carmaker_b.client().post_event(event))

    # Our host got a token from the requester's /auth/token with the registered credentials ...
    (token_request,) = requester.token_requests
    assert token_request.path == "/auth/token"
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.body == b"grant_type=client_credentials"
    # ... and posted the answer to its /2/events with that bearer token, as a structured CloudEvent.
    (delivered,) = requester.events
    assert delivered.headers["Authorization"] == f"Bearer {requester.issued_tokens[0]}"
    assert delivered.headers["Content-Type"] == CLOUDEVENTS
    answer = delivered.json()
    assert answer["type"] == "org.wbcsd.pathfinder.ProductFootprintRequest.Fulfilled.v1"
    assert answer["specversion"] == "1.0"
    assert uuid.UUID(answer["id"])
    assert answer["source"] == f"//{HOST}/2/events"
    assert answer["time"].endswith("Z")
    assert answer["data"]["requestEventId"] == event["id"]
    (pf,) = answer["data"]["pfs"]
    assert_product_footprint(pf)
    assert pf["productIds"][0] == vehicle_urn(world.vehicle_a)
    # The same PF as GetFootprint serves.
    assert carmaker_b.client().get(f"/2/footprints/{pf['id']}").json()["data"] == pf

    request = FootprintRequest.objects.get()
    assert (request.status, request.attempts, request.error_code) == ("fulfilled", 1, "")
    assert request.responded_at is not None


def test_the_answer_goes_out_only_after_the_request_was_accepted(world, carmaker_b, partner_b, requester):
    """With in-process tasks the answer is sent once the 200 has been written (the response's close())."""
    event = request_created(requester.source, [vehicle_urn(world.vehicle_a)])
    request = RequestFactory().post(
        "/2/events",
        json.dumps(event),
        content_type=CLOUDEVENTS,
        secure=True,
        HTTP_HOST=HOST,
        HTTP_AUTHORIZATION=f"Bearer {carmaker_b.token()}",
    )
    response = views.EventsView.as_view()(request)
    assert response.status_code == 200
    assert requester.events == [] and FootprintRequest.objects.get().status == "pending"
    # What the WSGI server does once the response is sent; as Django's test client does, the connection
    # is kept across the request_finished signal, since the test's transaction is still open.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert len(requester.events) == 1
    assert FootprintRequest.objects.get().status == "fulfilled"


def test_a_product_of_a_supplier_is_found_by_its_urn(world, carmaker_a, requester, actors):
    from pact.models import Partner

    Partner.objects.create(
        organisation=carmaker_a.organisation,
        name="Carmaker A host",
        base_url=requester.base_url,
        client_id=requester.client_id,
        client_secret=requester.client_secret,
    )
    urn = f"urn:pact:carbon.test:product-id:product-{world.product.pk}"
    assert_accepted(carmaker_a.client().post_event(request_created(requester.source, [urn])))
    (pf,) = requester.events[0].json()["data"]["pfs"]
    assert pf["productIds"] == [urn]
    assert pf["pcf"]["pCfExcludingBiogenic"] == "2.1"


def rejection(requester) -> dict:
    (delivered,) = requester.events
    answer = delivered.json()
    assert answer["type"] == "org.wbcsd.pathfinder.ProductFootprintRequest.Rejected.v1"
    assert set(answer["data"]) == {"requestEventId", "error"}
    assert set(answer["data"]["error"]) == {"code", "message"}
    return answer["data"]


def test_a_request_nothing_matches_is_rejected_with_no_such_footprint(
    world, carmaker_b, partner_b, requester
):
    event = request_created(requester.source, ["urn:gtin:4712345060507"])
    assert_accepted(carmaker_b.client().post_event(event))
    data = rejection(requester)
    assert data["requestEventId"] == event["id"]
    assert data["error"]["code"] == "NoSuchFootprint"
    assert FootprintRequest.objects.get().status == "rejected"


def test_a_product_without_a_footprint_yet_is_rejected_with_no_such_footprint(
    carmaker_b, partner_b, requester, actors
):
    from tests.factories import VehicleModelFactory

    vehicle = VehicleModelFactory(carmaker=carmaker_b.organisation)
    assert_accepted(carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(vehicle)])))
    assert rejection(requester)["error"]["code"] == "NoSuchFootprint"


def test_a_request_for_a_declaration_the_requester_may_not_read_is_rejected_access_denied(
    world, carmaker_b, partner_b, requester
):
    urn = f"urn:pact:carbon.test:product-id:product-{world.product.pk}"
    assert_accepted(carmaker_b.client().post_event(request_created(requester.source, [urn])))
    assert rejection(requester)["error"]["code"] == "AccessDenied"


def test_a_request_without_a_fragment_is_accepted_then_rejected_bad_request(
    world, carmaker_b, partner_b, requester
):
    """As the conformance test sends it: data.productId instead of data.pf."""
    event = request_created(requester.source, [], data={"productId": ["urn:null"], "comment": "?"})
    assert_accepted(carmaker_b.client().post_event(event))
    assert rejection(requester)["error"]["code"] == "BadRequest"


def test_a_request_from_a_source_that_is_no_registered_partner_is_bad_request(
    world, carmaker_b, partner_b, requester
):
    event = request_created("//elsewhere.example/2/events", [vehicle_urn(world.vehicle_a)])
    assert_error(carmaker_b.client().post_event(event), 400, "BadRequest")
    # Another organisation's partner is not this requester's either.
    assert_error(
        carmaker_b.client().post_event(request_created("//127.0.0.2/2/events", [])), 400, "BadRequest"
    )
    assert requester.events == [] and not FootprintRequest.objects.exists()


def test_the_token_endpoint_of_the_requesters_openid_configuration_is_used(
    world, carmaker_b, partner_b, requester
):
    requester.advertised_token_path = "/oauth2/token"
    assert_accepted(
        carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(world.vehicle_a)]))
    )
    assert [received.path for received in requester.token_requests] == ["/oauth2/token"]
    assert len(requester.events) == 1


def test_a_redelivered_request_is_answered_once(world, carmaker_b, partner_b, requester):
    client = carmaker_b.client()
    event = request_created(requester.source, [vehicle_urn(world.vehicle_a)])
    assert_accepted(client.post_event(event))
    assert_accepted(client.post_event(event))
    assert len(requester.events) == 1


@pytest.fixture
def worker_retries():
    """Let in-process tasks run their retries as a worker would (without waiting for the countdown)."""
    conf = tasks.footprint_request_respond.app.conf
    propagates = conf.get("task_eager_propagates")
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = propagates


def test_an_unreachable_requester_is_retried_then_the_request_fails(
    world, carmaker_b, partner_b, requester, monkeypatch, worker_retries
):
    from pact import services

    requester.failing_posts = 99
    monkeypatch.setattr(services, "MAX_DELIVERY_ATTEMPTS", 3)
    assert_accepted(
        carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(world.vehicle_a)]))
    )
    request = FootprintRequest.objects.get()
    assert request.status == "failed"
    assert request.attempts == 3  # the first try and two retries, then no more
    assert "503" in request.last_error
    assert len(requester.events) == 3
    assert len({received.json()["id"] for received in requester.events}) == 1  # the same event every time


def test_a_retry_delivers_the_same_answer(world, carmaker_b, partner_b, requester, worker_retries):
    requester.failing_posts = 1
    assert_accepted(
        carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(world.vehicle_a)]))
    )
    request = FootprintRequest.objects.get()
    assert (request.status, request.attempts, request.last_error) == ("fulfilled", 2, "")
    assert [received.json()["id"] for received in requester.events] == [request.response_event["id"]] * 2


def test_without_a_worker_a_failed_delivery_waits_for_the_sweep(world, carmaker_b, partner_b, requester):
    """In-process tasks (the demo) cannot wait for a retry: the request stays pending for the sweep."""
    from datetime import timedelta

    from django.utils import timezone

    from pact import services

    requester.failing_posts = 1
    assert_accepted(
        carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(world.vehicle_a)]))
    )
    request = FootprintRequest.objects.get()
    assert (request.status, request.attempts) == ("pending", 1)
    assert services.footprint_requests_sweep() == []  # its retry is not overdue yet
    assert services.footprint_requests_sweep(now=timezone.now() + timedelta(hours=2)) == [request.pk]
    assert FootprintRequest.objects.get().status == "fulfilled"
    assert len({received.json()["id"] for received in requester.events}) == 1


def test_retries_back_off_exponentially_within_hours():
    from pact import services

    countdowns = [tasks.retry_countdown(n) for n in range(services.MAX_DELIVERY_ATTEMPTS - 1)]
    assert countdowns[:3] == [30, 60, 120]
    assert countdowns == sorted(countdowns) and max(countdowns) == 3600
    assert sum(countdowns) < 3 * 24 * 3600  # never beyond the spec's three days


def test_the_sweep_sends_requests_whose_task_was_lost(world, carmaker_b, partner_b, requester, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from pact import services

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.footprint_request_respond, "delay", broker_down)
    assert_accepted(
        carmaker_b.client().post_event(request_created(requester.source, [vehicle_urn(world.vehicle_a)]))
    )
    assert requester.events == [] and FootprintRequest.objects.get().status == "pending"
    monkeypatch.undo()
    assert services.footprint_requests_sweep() == []  # too recent: its task may still be on its way
    later = timezone.now() + timedelta(minutes=3)
    assert services.footprint_requests_sweep(now=later) == [FootprintRequest.objects.get().pk]
    assert FootprintRequest.objects.get().status == "fulfilled"
    assert len(requester.events) == 1
