"""Fault 3, in-process (see tests/faults/__init__.py): a request whose database is unreachable answers 503
with Retry-After, in the form its client reads, never a 500. Runs on SQLite too: every query raises the
OperationalError that psycopg raises when PostgreSQL is down."""

import json
from unittest import mock

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from carbon_platform.middleware import RETRY_AFTER_S, DatabaseUnavailableMiddleware

MESSAGE = b"The service is temporarily unavailable. Please try again in a few seconds."


@pytest.fixture
def database_down(db):
    """From here on every query fails as when PostgreSQL is stopped."""
    error = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch("django.db.backends.utils.CursorWrapper._execute", side_effect=error) as patched:
        yield patched


@pytest.fixture
def signed_in(client, actors):
    client.force_login(actors.carmaker_a, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _assert_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_S)
    assert response["Cache-Control"] == "no-store"


def test_the_middleware_is_installed():
    assert "carbon_platform.middleware.DatabaseUnavailableMiddleware" in settings.MIDDLEWARE


def test_an_api_request_answers_503_as_json(signed_in, database_down):
    response = signed_in.get("/api/v1/vehicle-models/")
    _assert_unavailable(response)
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": MESSAGE.decode()}
    assert database_down.called


def test_an_api_request_with_a_token_answers_503_as_json(client, database_down):
    response = client.get("/api/v1/vehicle-models/", HTTP_AUTHORIZATION="Token 0123456789abcdef")
    _assert_unavailable(response)
    assert response.json() == {"detail": MESSAGE.decode()}


def test_a_page_answers_a_short_503_page(signed_in, database_down):
    response = signed_in.get("/vehicle-models/")
    _assert_unavailable(response)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert MESSAGE in response.content
    assert b"Traceback" not in response.content and len(response.content) < 1000


def test_a_pact_request_answers_503_in_the_pact_error_format(client, database_down):
    response = client.get("/2/footprints", HTTP_AUTHORIZATION="Bearer some-token", secure=True)
    _assert_unavailable(response)
    assert json.loads(response.content) == {"code": "InternalError", "message": MESSAGE.decode()}


def test_the_health_check_still_says_the_database_is_down(client, database_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "down"}


@pytest.mark.parametrize(
    "error", [OperationalError("server closed the connection"), InterfaceError("closed")]
)
def test_a_view_raising_a_database_connection_error_answers_503(error):
    request = RequestFactory().get("/vehicle-models/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    response = middleware.process_exception(request, error)
    _assert_unavailable(response)
    assert MESSAGE in response.content


def test_other_errors_are_left_to_django_as_500s():
    request = RequestFactory().get("/api/v1/vehicle-models/")
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    assert middleware.process_exception(request, ValueError("a bug")) is None


def test_a_bug_in_a_view_is_still_a_500(client, actors):
    client.raise_request_exception = False
    client.force_login(actors.carmaker_a, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch("accounting.selectors.vehicle_brands", side_effect=ValueError("a bug")):
        response = client.get("/vehicle-models/")
    assert response.status_code == 500
