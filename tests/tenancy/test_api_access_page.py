"""The API access pages: an organisation admin manages API clients and revokes members' personal tokens;
every user creates, regenerates and revokes their own token. Secrets show once; every change is audited."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from carbon_platform.api import ApplicationError
from carbon_platform.tenancy import services
from carbon_platform.tenancy.models import ApiClient, AuditEvent
from carbon_platform.tenancy.services import audit_chain_verify

from .conftest import token_response

PAGE = "/organisation/api-access/"
MY_TOKEN = "/organisation/api-access/my-token/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def org(user):
    return user.membership.organisation


def token_works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/materials/").status_code == 200


def test_only_the_organisations_admins_manage_api_access(actors, admin_a, client_of):
    erp = client_of(org(actors.carmaker_a))
    for user in (actors.carmaker_a, actors.outsider):
        client = signed_in(user)
        assert client.get(PAGE).status_code == 403
        assert (
            client.post(reverse("tenancy:api-client-create"), {"name": "X", "scopes": ["read"]}).status_code
            == 403
        )
        assert client.post(reverse("tenancy:api-client-revoke", args=[erp.api_client.pk])).status_code == 403
    assert ApiClient.objects.count() == 1
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert signed_in(admin_a).get(PAGE).status_code == 200


def test_the_nav_leads_admins_to_the_admin_page_and_members_to_their_token(actors, admin_a):
    assert f'href="{PAGE}"' in signed_in(admin_a).get(MY_TOKEN).content.decode()
    member_page = signed_in(actors.carmaker_a).get(MY_TOKEN).content.decode()
    assert f'href="{MY_TOKEN}">API access' in member_page
    assert f'href="{PAGE}"' not in member_page


def test_the_admin_creates_a_client_and_sees_its_secret_once(actors, admin_a):
    client = signed_in(admin_a)
    response = client.post(
        reverse("tenancy:api-client-create"), {"name": "SAP ERP", "scopes": ["read", "write"]}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    api_client = ApiClient.objects.get()
    secret = response.context["new_secret"]
    page = response.content.decode()
    assert api_client.application.client_id in page
    assert secret in page
    assert (api_client.organisation, api_client.scopes, api_client.created_by) == (
        org(actors.carmaker_a),
        "read write",
        admin_a,
    )
    # The secret works at /auth/token, with the scopes the admin granted.
    issued = token_response(api_client.application.client_id, secret)
    assert issued.status_code == 200
    assert issued.json()["scope"] == "read write"
    # It is never shown again, nor kept in the audit trail; the client is listed with its last token.
    later = client.get(PAGE)
    assert secret not in later.content.decode()
    assert api_client.application.client_id in later.content.decode()
    assert later.context["clients"][0].last_token_issued_at is not None
    event = AuditEvent.objects.get(object_type="tenancy.ApiClient", object_id=str(api_client.pk))
    assert (event.action, event.actor, event.organisation) == ("created", admin_a, org(actors.carmaker_a))
    assert event.after["client_id"] == api_client.application.client_id
    assert secret not in json.dumps(event.after)
    assert audit_chain_verify().intact


def test_a_client_needs_a_name_and_a_scope(actors, admin_a):
    response = signed_in(admin_a).post(reverse("tenancy:api-client-create"), {"name": "ERP"})
    assert response.status_code == 400
    assert response.context["form"].errors["scopes"]
    assert response.context["new_secret"] is None
    assert not ApiClient.objects.exists()


def test_the_admin_revokes_a_client_and_the_audit_chain_still_verifies(actors, admin_a, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    token = erp.token()
    service_user = erp.api_client.service_user
    response = signed_in(admin_a).post(reverse("tenancy:api-client-revoke", args=[erp.api_client.pk]))
    assert response.status_code == 302 and response["Location"] == PAGE
    assert not ApiClient.objects.exists()
    assert not AccessToken.objects.exists()
    service_user.refresh_from_db()
    assert not service_user.is_active
    event = AuditEvent.objects.get(action="revoked")
    assert (event.object_type, event.object_id) == ("tenancy.ApiClient", str(erp.api_client.pk))
    assert (event.actor, event.organisation) == (admin_a, org(actors.carmaker_a))
    assert event.before["client_id"] == erp.client_id
    verdict = audit_chain_verify()
    assert verdict.intact and verdict.events_checked == 2  # created, revoked
    refused = APIClient().get("/api/v1/materials/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 401


def test_another_organisations_client_cannot_be_revoked(actors, admin_a, client_of):
    theirs = client_of(org(actors.carmaker_b))
    response = signed_in(admin_a).post(reverse("tenancy:api-client-revoke", args=[theirs.api_client.pk]))
    assert response.status_code == 404
    assert ApiClient.objects.filter(pk=theirs.api_client.pk).exists()
    assert not AuditEvent.objects.filter(action="revoked").exists()


def test_the_admin_page_lists_only_the_organisations_clients_and_tokens(actors, admin_a, client_of):
    client_of(org(actors.carmaker_a), name="Our ERP")
    client_of(org(actors.carmaker_b), name="Their ERP")
    services.personal_token_create(user=actors.carmaker_a)
    services.personal_token_create(user=actors.carmaker_b)
    response = signed_in(admin_a).get(PAGE)
    assert [c.name for c in response.context["clients"]] == ["Our ERP"]
    assert [t.user for t in response.context["tokens"]] == [actors.carmaker_a]
    page = response.content.decode()
    assert "Their ERP" not in page and "carmaker_b" not in page
    # Members' keys are their owners' only.
    assert Token.objects.get(user=actors.carmaker_a).key not in page


def test_a_user_creates_regenerates_and_revokes_their_personal_token(actors):
    client = signed_in(actors.supplier_a)
    assert client.get(MY_TOKEN).context["token"] is None
    created = client.post(reverse("tenancy:personal-token-create"))
    assert created.status_code == 200
    first_key = created.context["new_key"]
    assert first_key in created.content.decode()
    assert Token.objects.get(user=actors.supplier_a).key == first_key
    assert token_works(first_key)
    assert first_key not in client.get(MY_TOKEN).content.decode()

    regenerated = client.post(reverse("tenancy:personal-token-create"))
    second_key = regenerated.context["new_key"]
    assert second_key != first_key
    assert not token_works(first_key) and token_works(second_key)

    revoked = client.post(reverse("tenancy:personal-token-revoke"))
    assert revoked.status_code == 302
    assert not Token.objects.filter(user=actors.supplier_a).exists()
    assert not token_works(second_key)

    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["created", "updated", "revoked"]
    assert {(e.object_type, e.object_id, e.actor_id) for e in events} == {
        ("authtoken.TokenProxy", str(actors.supplier_a.pk), actors.supplier_a.pk)
    }
    trail = json.dumps([[e.object_id, e.before, e.after] for e in events])
    assert first_key not in trail and second_key not in trail
    assert audit_chain_verify().intact


def test_the_admin_revokes_a_members_token(actors, admin_a):
    key = services.personal_token_create(user=actors.carmaker_a).key
    response = signed_in(admin_a).post(reverse("tenancy:member-token-revoke", args=[actors.carmaker_a.pk]))
    assert response.status_code == 302
    assert not token_works(key)
    event = AuditEvent.objects.get(action="revoked")
    assert (event.actor, event.object_id, event.before["user"]) == (
        admin_a,
        str(actors.carmaker_a.pk),
        "carmaker_a",
    )


def test_tokens_of_other_organisations_and_other_members_are_out_of_reach(actors, admin_a, admin_b):
    theirs = services.personal_token_create(user=actors.carmaker_b).key
    colleague = services.personal_token_create(user=admin_a).key
    assert (
        signed_in(admin_a)
        .post(reverse("tenancy:member-token-revoke", args=[actors.carmaker_b.pk]))
        .status_code
        == 404
    )
    # A member who is not an admin cannot revoke a colleague's token.
    assert (
        signed_in(actors.carmaker_a)
        .post(reverse("tenancy:member-token-revoke", args=[admin_a.pk]))
        .status_code
        == 403
    )
    with pytest.raises(ApplicationError, match="Only the token's owner or an admin"):
        services.personal_token_revoke(token=Token.objects.get(user=admin_a), actor=actors.carmaker_a)
    with pytest.raises(ApplicationError, match="Only the token's owner or an admin"):
        services.personal_token_revoke(token=Token.objects.get(user=actors.carmaker_b), actor=admin_a)
    assert token_works(theirs) and token_works(colleague)
