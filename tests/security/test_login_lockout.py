"""Failed logins lock a username out from one address for a while (django-axes), and the lockout page
tells nobody whether the account exists."""

import re

import pytest
from django.test import Client

from tests.factories import UserFactory

LOGIN = "/accounts/login/"


def attempt(username, password="wrong", address="198.51.100.7", path=LOGIN):
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def without_csrf_token(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


@pytest.fixture
def user(db):
    return UserFactory(username="alice")


def test_five_failures_lock_out_even_the_right_password(user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("alice").status_code == 200  # the form again, with its error
    assert attempt("alice").status_code == 429  # the fifth failure locks
    response = attempt("alice", password="pw")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many attempts; try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in Client().session


def test_below_the_limit_the_right_password_still_logs_in(user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt("alice")
    response = attempt("alice", password="pw")
    assert response.status_code == 302


def test_the_lockout_page_is_the_same_for_an_existing_and_an_unknown_username(user, settings):
    pages = {}
    for username in ("alice", "nobody-by-this-name"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt(username)
        response = attempt(username)
        assert response.status_code == 429
        pages[username] = without_csrf_token(response.content.decode())
    assert pages["alice"] == pages["nobody-by-this-name"]
    assert "alice" not in pages["alice"]
    assert "locked" not in pages["alice"].lower()


def test_the_lockout_holds_one_username_from_one_address_only(user, settings):
    UserFactory(username="bob")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("alice")
    assert attempt("alice", password="pw").status_code == 429
    assert attempt("alice", password="pw", address="203.0.113.9").status_code == 302
    assert attempt("bob", password="pw").status_code == 302


def test_the_admin_login_counts_and_refuses_too(user, settings):
    user.is_staff = True
    user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("alice", path="/admin/login/")
    assert attempt("alice", password="pw", path="/admin/login/").status_code == 429
    assert attempt("alice", password="pw").status_code == 429  # one count for every login form


def test_the_limit_and_the_wait_come_from_the_settings(user, settings):
    from datetime import timedelta

    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    attempt("alice")
    attempt("alice")
    response = attempt("alice", password="pw")
    assert response.status_code == 429
    assert "try again in 1 minute." in response.content.decode()


def test_behind_a_proxy_the_lockout_holds_the_client_not_everyone(user, settings):
    """Every request reaches Django from the TLS proxy's address; with TRUSTED_PROXY_COUNT=1 the lockout
    holds the address the proxy saw, so one client's failures do not lock alice out for everyone, and a
    client cannot escape its count by writing addresses of its own into X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1

    def through_proxy(client_address, password="wrong", spoofed=""):
        forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).post(
            LOGIN, {"username": "alice", "password": password}
        )

    for number in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("198.51.100.7", spoofed=f"192.0.2.{number}")
    assert through_proxy("198.51.100.7", password="pw", spoofed="192.0.2.99").status_code == 429
    assert through_proxy("203.0.113.9", password="pw").status_code == 302
