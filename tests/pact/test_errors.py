"""Error responses of the /2/ actions (PACT 2.3 "Error responses"): {"code", "message"} as JSON with the
code's HTTP status. A missing or unknown token is BadRequest (400), never AccessDenied; an expired one is
TokenExpired (401); a valid token without the rights is AccessDenied (403); a failure is InternalError."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken

from pact import selectors

from .conftest import PactClient

PUBLISHED = {
    "type": "org.wbcsd.pathfinder.ProductFootprint.Published.v1",
    "specversion": "1.0",
    "id": "event-1",
    "source": "//partner.example/2/events",
    "time": "2026-11-01T10:00:00Z",
    "data": {"pfIds": [str(uuid.uuid4())]},
}
ACTIONS = {
    "list": lambda client: client.get("/2/footprints"),
    "get": lambda client: client.get(f"/2/footprints/{uuid.uuid4()}"),
    "events": lambda client: client.post_event(PUBLISHED),
}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_missing_token_is_bad_request(db, action):
    assert_error(ACTIONS[action](PactClient()), 400, "BadRequest")


@pytest.mark.parametrize("action", ACTIONS)
def test_an_invalid_token_is_bad_request_not_access_denied(db, action):
    assert_error(ACTIONS[action](PactClient("very-invalid-access-token")), 400, "BadRequest")


@pytest.mark.parametrize("action", ACTIONS)
def test_another_authorization_scheme_is_bad_request(carmaker_a, action):
    client = PactClient()
    response = {
        "list": lambda: client.get("/2/footprints", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg=="),
        "get": lambda: client.get(f"/2/footprints/{uuid.uuid4()}", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg=="),
        "events": lambda: client.post_event(PUBLISHED, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg=="),
    }[action]()
    assert_error(response, 400, "BadRequest")


@pytest.mark.parametrize("action", ACTIONS)
def test_an_expired_token_is_token_expired(carmaker_a, action):
    client = carmaker_a.client()
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert_error(ACTIONS[action](client), 401, "TokenExpired")


@pytest.mark.parametrize("action", ACTIONS)
def test_a_token_without_the_read_scope_is_access_denied(carmaker_a, action):
    client = carmaker_a.client()
    AccessToken.objects.update(scope="write")
    assert_error(ACTIONS[action](client), 403, "AccessDenied")


@pytest.mark.parametrize("action", ACTIONS)
def test_plain_http_is_refused(carmaker_a, action):
    client = carmaker_a.client()
    response = {
        "list": lambda: client.get("/2/footprints", secure=False),
        "get": lambda: client.get(f"/2/footprints/{uuid.uuid4()}", secure=False),
        "events": lambda: client.post_event(PUBLISHED, secure=False),
    }[action]()
    assert_error(response, 400, "BadRequest")
    assert "data" not in response.json()


def test_another_method_is_bad_request(carmaker_a):
    client = carmaker_a.client()
    response = client.post("/2/footprints", "{}", "application/json")
    assert_error(response, 400, "BadRequest")
    assert response["Allow"] == "GET"
    assert_error(client.get("/2/events"), 400, "BadRequest")


def test_an_unexpected_failure_is_internal_error(carmaker_a, monkeypatch):
    client = carmaker_a.client()

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "footprint_page", broken)
    assert_error(client.get("/2/footprints"), 500, "InternalError")
