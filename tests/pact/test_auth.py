"""Action Authenticate (PACT 2.3 "Action Authenticate", RFC 6749 sections 4.4 and 5.2) and the OpenId
Provider Configuration Document of the authentication flow."""

import json

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Application

from pact import services
from pact.models import Partner

from .conftest import HOST, basic


def token_request(
    body="grant_type=client_credentials", content_type="application/x-www-form-urlencoded", **headers
):
    return Client().post(
        "/auth/token", body, content_type=content_type, **({"secure": True, "HTTP_HOST": HOST} | headers)
    )


def test_client_credentials_with_http_basic_get_a_bearer_token(carmaker_a):
    response = token_request(HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["access_token"]
    assert body["expires_in"] == 3600
    assert body["scope"] == "read"
    token = AccessToken.objects.get(application__client_id=carmaker_a.client_id)
    assert token.application.api_client.organisation == carmaker_a.organisation


def test_a_wrong_secret_is_invalid_client_with_the_basic_scheme_named(carmaker_a):
    response = token_request(HTTP_AUTHORIZATION=basic(carmaker_a.client_id, "not-the-secret"))
    assert response.status_code == 401  # RFC 6749 5.2: the client used the Authorization header
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }
    assert not AccessToken.objects.exists()


def test_an_unknown_client_is_invalid_client(db):
    response = token_request(HTTP_AUTHORIZATION=basic("nobody", "nothing"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_credentials_must_come_by_http_basic_not_in_the_form(carmaker_a):
    response = token_request(
        f"grant_type=client_credentials&client_id={carmaker_a.client_id}&client_secret={carmaker_a.secret}"
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()


def test_a_missing_grant_type_is_invalid_request(carmaker_a):
    response = token_request("scope=read", HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]


def test_another_grant_type_is_unsupported_grant_type(carmaker_a):
    response = token_request(
        "grant_type=password&username=a&password=b",
        HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_the_body_must_be_a_form(carmaker_a):
    response = token_request(
        json.dumps({"grant_type": "client_credentials"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_an_unknown_scope_is_invalid_scope(carmaker_a):
    response = token_request(
        "grant_type=client_credentials&scope=admin",
        HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_an_application_of_no_organisation_is_unauthorized_client(carmaker_a):
    application = Application.objects.get(client_id=carmaker_a.client_id)
    application.api_client.delete()
    response = token_request(HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret))
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_get_is_not_allowed(carmaker_a):
    response = Client().get("/auth/token", secure=True, HTTP_HOST=HOST)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_no_token_over_plain_http(carmaker_a):
    """Host systems offer their actions under https only."""
    response = token_request(secure=False, HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret))
    assert response.status_code == 400
    assert "access_token" not in response.json()
    assert not AccessToken.objects.exists()


def test_behind_a_tls_proxy_the_forwarded_scheme_counts(settings, carmaker_a):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = token_request(
        secure=False,
        HTTP_X_FORWARDED_PROTO="https",
        HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret),
    )
    assert response.status_code == 200


def test_the_openid_configuration_points_at_the_token_endpoint(carmaker_a):
    response = Client().get("/.well-known/openid-configuration", secure=True, HTTP_HOST=HOST)
    assert response.status_code == 200
    document = response.json()
    assert document["token_endpoint"] == f"https://{HOST}/auth/token"
    assert document["issuer"] == f"https://{HOST}"
    assert document["grant_types_supported"] == ["client_credentials"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    # A data recipient uses token_endpoint as the AuthEndpoint.
    path = document["token_endpoint"].removeprefix(f"https://{HOST}")
    response = Client().post(
        path,
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        secure=True,
        HTTP_HOST=HOST,
        HTTP_AUTHORIZATION=basic(carmaker_a.client_id, carmaker_a.secret),
    )
    assert response.status_code == 200


def test_the_client_secret_is_stored_hashed(carmaker_a):
    application = Application.objects.get(client_id=carmaker_a.client_id)
    assert application.client_secret != carmaker_a.secret
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS


def test_the_management_command_registers_a_client(actors, capsys):
    from django.core.management import call_command

    organisation = actors.carmaker_a.membership.organisation
    call_command("pact_client_create", organisation.uscc, name="ERP")
    out = capsys.readouterr().out
    client_id = out.split("client_id:")[1].split()[0]
    secret = out.split("client_secret:")[1].split()[0]
    assert token_request(HTTP_AUTHORIZATION=basic(client_id, secret)).status_code == 200


@pytest.mark.parametrize("url", ["https://partner.example/pact", "http://partner.example"])
def test_partner_hosts_must_be_https_unless_allowed(settings, actors, url):
    settings.PACT_ALLOW_HTTP_PARTNERS = False
    partner = Partner(
        organisation=actors.carmaker_b.membership.organisation,
        name="B",
        base_url=url,
        client_id="x",
        client_secret="y",
    )
    if url.startswith("https"):
        partner.full_clean()
        assert partner.events_url == "https://partner.example/pact/2/events"
    else:
        with pytest.raises(Exception, match="https"):
            partner.full_clean()


def test_service_returns_the_secret_once(actors):
    api_client, secret = services.pact_client_create(
        organisation=actors.supplier_a.membership.organisation, name="MES"
    )
    assert api_client.application.client_secret != secret
