"""POST /auth/token is throttled per client id and per address, answering 429 in RFC 6749's error shape."""

import base64

import pytest
from django.test import Client


def basic(client_id, secret="guess"):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_request(client_id="guessed-client", address="198.51.100.7"):
    return Client(REMOTE_ADDR=address).post(
        "/auth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_AUTHORIZATION=basic(client_id),
    )


def test_past_the_limit_a_client_is_told_to_slow_down(db, settings):
    for _ in range(settings.TOKEN_RATE_PER_MINUTE):
        assert token_request().status_code == 401  # invalid_client, as usual
    response = token_request()
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "slow_down"


def test_the_limit_holds_a_client_id_across_addresses(db, settings):
    for n in range(settings.TOKEN_RATE_PER_MINUTE):
        token_request(address=f"198.51.100.{n + 1}")
    assert token_request(address="203.0.113.200").status_code == 429
    assert token_request(client_id="another-client", address="203.0.113.200").status_code == 401


def test_the_limit_holds_an_address_across_client_ids(db, settings):
    for n in range(settings.TOKEN_RATE_PER_MINUTE):
        token_request(client_id=f"client-{n}")
    assert token_request(client_id="yet-another").status_code == 429
    assert token_request(client_id="yet-another", address="203.0.113.9").status_code == 401


@pytest.mark.parametrize("limit", [1, 3])
def test_the_token_limit_comes_from_the_settings(db, settings, limit):
    settings.TOKEN_RATE_PER_MINUTE = limit
    for _ in range(limit):
        assert token_request().status_code == 401
    assert token_request().status_code == 429
