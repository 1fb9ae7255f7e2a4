"""Password reset and change: Django's views, throttled per address, with the password validators
refusing weak passwords wherever a user sets one."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

RESET = "/accounts/password_reset/"
WEAK_PASSWORDS = ["password", "12345678", "alice-smith", "short"]


@pytest.fixture
def user(db):
    return UserFactory(username="alice-smith", email="alice@supplier.example")


def reset_link(client, email="alice@supplier.example") -> str:
    response = client.post(RESET, {"email": email})
    assert response.status_code == 302
    match = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    # The link swaps its token for a session marker and redirects to the form.
    return client.get(match.group(1)).url


def test_the_password_validators_are_configured():
    from django.conf import settings

    names = {validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


def test_the_login_page_links_to_the_password_reset(db):
    assert RESET in Client().get("/accounts/login/").content.decode()


def test_a_reset_mails_a_link_that_sets_a_strong_password(user):
    client = Client()
    form_url = reset_link(client)
    assert mail.outbox[0].to == ["alice@supplier.example"]
    response = client.post(
        form_url, {"new_password1": "Steel-Coil-Kiln-42", "new_password2": "Steel-Coil-Kiln-42"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Steel-Coil-Kiln-42")


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_a_reset_refuses_a_weak_password(user, weak):
    client = Client()
    form_url = reset_link(client)
    response = client.post(form_url, {"new_password1": weak, "new_password2": weak})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert 'data-testid="password-errors"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password("pw")


@pytest.mark.parametrize("weak", WEAK_PASSWORDS)
def test_a_password_change_refuses_a_weak_password(user, weak):
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/", {"old_password": "pw", "new_password1": weak, "new_password2": weak}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password("pw")


def test_a_password_change_accepts_a_strong_password(user):
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw", "new_password1": "Steel-Coil-Kiln-42", "new_password2": "Steel-Coil-Kiln-42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Steel-Coil-Kiln-42")


def test_an_unknown_email_gets_the_same_answer_and_no_mail(user):
    response = Client().post(RESET, {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert response.url == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_resets_are_throttled_per_address(user, settings):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.PASSWORD_RESET_RATE_PER_HOUR):
        assert client.post(RESET, {"email": "alice@supplier.example"}).status_code == 302
    response = client.post(RESET, {"email": "alice@supplier.example"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 3600
    assert "Too many attempts; try again in" in response.content.decode()
    assert len(mail.outbox) == settings.PASSWORD_RESET_RATE_PER_HOUR
    # Another address is not held back by this one.
    other = Client(REMOTE_ADDR="203.0.113.9").post(RESET, {"email": "alice@supplier.example"})
    assert other.status_code == 302


def test_the_reset_limit_comes_from_the_settings(user, settings):
    settings.PASSWORD_RESET_RATE_PER_HOUR = 1
    client = Client()
    assert client.post(RESET, {"email": "alice@supplier.example"}).status_code == 302
    assert client.post(RESET, {"email": "nobody@nowhere.example"}).status_code == 429
