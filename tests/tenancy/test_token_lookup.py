"""The hand-written personal-token lookup (carbon_platform/tenancy/authentication.py) returns what the ORM's
select_related would, in one query, and authenticates exactly as DRF's TokenAuthentication does."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from carbon_platform.tenancy.authentication import token_with_organisation
from tests.factories import UserFactory


def _orm(key):
    return Token.objects.select_related("user__membership__organisation").get(key=key)


def test_a_members_token_comes_with_user_membership_and_organisation_in_one_query(actors):
    key = Token.objects.create(user=actors.carmaker_a).key
    expected = _orm(key)
    with CaptureQueriesContext(connection) as queries:
        token = token_with_organisation(key)
        organisation = token.user.membership.organisation
        role = token.user.membership.role
    assert len(queries.captured_queries) == 1
    assert (token.pk, token.user_id, token.created) == (expected.pk, expected.user_id, expected.created)
    assert isinstance(token.created, datetime) and token.created.tzinfo is not None
    assert token.user == expected.user and token.user.username == "carmaker_a"
    assert token.user.is_active is True and token.user.is_staff is False
    assert (organisation, organisation.kind, organisation.name) == (
        expected.user.membership.organisation,
        "carmaker",
        "Carmaker A",
    )
    assert role == expected.user.membership.role
    # A field not read loads on first access, as a deferred field does.
    assert token.user.email == expected.user.email


def test_a_user_of_no_organisation_has_no_membership(actors):
    key = Token.objects.create(user=actors.outsider).key
    token = token_with_organisation(key)
    assert token.user == actors.outsider
    with pytest.raises(type(actors.outsider).membership.RelatedObjectDoesNotExist):
        _ = token.user.membership


def test_an_unknown_key_is_none(db):
    assert token_with_organisation("0" * 40) is None


def test_the_api_answers_as_with_drfs_own_token_authentication(actors):
    key = Token.objects.create(user=actors.carmaker_a).key
    client = APIClient()
    assert client.get("/api/v1/materials/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    answer = client.get("/api/v1/materials/", HTTP_AUTHORIZATION="Token " + "f" * 40)
    assert (answer.status_code, answer.json()["detail"]) == (401, "Invalid token.")
    inactive = UserFactory(username="gone", organisation=actors.carmaker_a.membership.organisation)
    inactive.is_active = False
    inactive.save()
    answer = client.get(
        "/api/v1/materials/", HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=inactive).key}"
    )
    assert (answer.status_code, answer.json()["detail"]) == (401, "User inactive or deleted.")
    answer = client.get(
        "/api/v1/materials/", HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=actors.outsider).key}"
    )
    assert answer.status_code == 403  # signed in, but a member of no organisation
