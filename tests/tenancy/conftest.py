"""Tenancy fixtures: an admin of carmaker A, API clients with their secrets, and tokens from /auth/token."""

import base64

import pytest
from django.test import Client
from rest_framework.test import APIClient

from carbon_platform.tenancy import services
from tests.factories import UserFactory


def token_response(client_id: str, secret: str, scope: str | None = None):
    """POST /auth/token as a machine client does: HTTP Basic, client credentials, over https."""
    body = "grant_type=client_credentials" + (f"&scope={scope.replace(' ', '+')}" if scope else "")
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/auth/token",
        body,
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )


def bearer(access_token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return client


class Credentials:
    """An API client with the secret shown once at its creation."""

    def __init__(self, api_client, secret):
        self.api_client = api_client
        self.client_id = api_client.application.client_id
        self.secret = secret

    def token(self, scope: str | None = None) -> str:
        response = token_response(self.client_id, self.secret, scope)
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def api(self, scope: str | None = None) -> APIClient:
        return bearer(self.token(scope))


@pytest.fixture
def admin_a(actors):
    """An admin of carmaker A (the `carmaker_a` actor is a plain member of it)."""
    return UserFactory(
        username="admin_a", organisation=actors.carmaker_a.membership.organisation, organisation__role="admin"
    )


@pytest.fixture
def admin_b(actors):
    return UserFactory(
        username="admin_b", organisation=actors.carmaker_b.membership.organisation, organisation__role="admin"
    )


@pytest.fixture
def client_of(actors):
    """Make an API client of an organisation with the given scopes, as the API access page does."""

    def make(organisation, *scopes: str, name: str = "ERP") -> Credentials:
        return Credentials(
            *services.api_client_create(organisation=organisation, name=name, scopes=scopes or ["read"])
        )

    return make
