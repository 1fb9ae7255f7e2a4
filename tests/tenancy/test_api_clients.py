"""Machine clients on /api/v1/: client-credentials tokens from /auth/token act for their API client's
organisation, within the read and write scopes its admin granted, and stop working when it is revoked."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import AccessToken
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.models import BomLine
from carbon_platform.api import ApplicationError
from carbon_platform.tenancy import services
from carbon_platform.tenancy.choices import ApiScope
from carbon_platform.tenancy.models import ApiClient, AuditEvent
from tests.api.lists import contribution, footprint
from tests.factories import BomLineFactory, VehicleModelFactory

from .conftest import bearer, token_response

NEW_BOM = {
    "lines": [
        {"component": "Door", "system": "closures", "material": "steel.hot_rolled_coil", "mass_kg": "12"}
    ]
}


def org(user):
    return user.membership.organisation


@pytest.fixture
def models(actors, materials):
    """A model of carmaker A with a one-line BOM and a footprint, and one of carmaker B likewise."""
    coil = materials["steel.hot_rolled_coil"]
    made = {}
    for who in ("carmaker_a", "carmaker_b"):
        vehicle = VehicleModelFactory(carmaker=org(getattr(actors, who)))
        BomLineFactory(vehicle_model=vehicle, material=coil, component="Rail", mass_kg="100")
        contribution(footprint(vehicle), coil, kg="210")
        made[who] = vehicle
    return made


def bom_url(vehicle) -> str:
    return f"/api/v1/vehicle-models/{vehicle.pk}/bom/"


def test_a_read_token_reads_as_its_organisation_and_not_another_carmakers_detail(actors, models, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    api = erp.api()
    contributions = api.get(f"/api/v1/vehicle-models/{models['carmaker_a'].pk}/contributions/")
    assert contributions.status_code == 200, contributions.json()
    assert [row["kg_co2e"] for row in contributions.json()["results"]] == ["210.0000"]
    assert [line["component"] for line in api.get(bom_url(models["carmaker_a"])).json()["results"]] == [
        "Rail"
    ]
    # Carmaker B's supplier-level detail is not carmaker A's to see, whoever asks for A.
    assert api.get(f"/api/v1/vehicle-models/{models['carmaker_b'].pk}/contributions/").status_code == 404
    assert api.get(bom_url(models["carmaker_b"])).status_code == 404


def test_the_token_acts_as_the_clients_service_user(actors, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    api = erp.api()
    response = api.get("/api/v1/materials/")
    assert response.status_code == 200
    assert response.wsgi_request.user == erp.api_client.service_user
    assert response.wsgi_request.user.membership.organisation == org(actors.carmaker_a)


def test_replacing_a_bom_with_a_read_token_is_403_naming_the_write_scope(actors, models, client_of):
    api = client_of(org(actors.carmaker_a), "read").api()
    refused = api.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json")
    assert refused.status_code == 403
    assert "'write' scope" in refused.json()["detail"]
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope", scope="write"'
    assert list(
        BomLine.objects.filter(vehicle_model=models["carmaker_a"]).values_list("component", flat=True)
    ) == ["Rail"]


def test_narrowing_a_clients_scopes_narrows_the_tokens_it_already_has(actors, models, client_of):
    """A token carries the scopes asked at issue, for an hour; the operator narrowing the client's grant in
    the admin applies to it at the next request, on /api/v1 and on the PACT host."""
    credentials = client_of(org(actors.carmaker_a), "read", "write")
    token = credentials.token("read write")
    api = bearer(token)
    credentials.api_client.scopes = "read"
    credentials.api_client.save()
    refused = api.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json")
    assert refused.status_code == 403
    assert refused["WWW-Authenticate"] == 'Bearer realm="api", error="insufficient_scope", scope="write"'
    assert list(
        BomLine.objects.filter(vehicle_model=models["carmaker_a"]).values_list("component", flat=True)
    ) == ["Rail"]
    assert api.get(bom_url(models["carmaker_a"])).status_code == 200
    assert api.get("/2/footprints", secure=True).status_code == 200
    credentials.api_client.scopes = "write"
    credentials.api_client.save()
    pact = api.get("/2/footprints", secure=True)
    assert pact.status_code == 403
    assert pact.json()["code"] == "AccessDenied"
    assert api.get(bom_url(models["carmaker_a"])).status_code == 403


def test_replacing_a_bom_with_a_write_token_succeeds(actors, models, client_of):
    api = client_of(org(actors.carmaker_a), "read", "write").api()
    response = api.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["lines_written"] == 1
    assert list(
        BomLine.objects.filter(vehicle_model=models["carmaker_a"]).values_list("component", flat=True)
    ) == ["Door"]
    # Writing does not reach another carmaker's model either.
    assert api.put(bom_url(models["carmaker_b"]), NEW_BOM, format="json").status_code == 404


def test_a_client_that_may_write_can_still_ask_for_a_read_only_token(actors, models, client_of):
    erp = client_of(org(actors.carmaker_a), "read", "write")
    response = token_response(erp.client_id, erp.secret, "read")
    assert response.json()["scope"] == "read"
    api = bearer(response.json()["access_token"])
    assert api.get(bom_url(models["carmaker_a"])).status_code == 200
    assert api.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json").status_code == 403


def test_a_write_only_token_cannot_read(actors, models, client_of):
    api = client_of(org(actors.carmaker_a), "write").api()
    refused = api.get(bom_url(models["carmaker_a"]))
    assert refused.status_code == 403
    assert "'read' scope" in refused.json()["detail"]


def test_a_view_with_its_own_permissions_still_checks_the_scope(actors, models, client_of):
    """The BOM file import sets its own permission_classes; a read token still may not write through it."""
    api = client_of(org(actors.carmaker_a), "read").api()
    upload = SimpleUploadedFile("bom.csv", b"external_id,component\n", content_type="text/csv")
    refused = api.post("/api/v1/boms/import/", {"file": upload}, format="multipart")
    assert refused.status_code == 403
    assert "'write' scope" in refused.json()["detail"]


def test_a_token_without_scope_in_the_request_gets_every_granted_scope(actors, client_of):
    erp = client_of(org(actors.carmaker_a), "read", "write")
    body = token_response(erp.client_id, erp.secret).json()
    assert body["scope"] == "read write"
    assert AccessToken.objects.get(application=erp.api_client.application).scope == "read write"


@pytest.mark.parametrize("asked", ["write", "read write"])
def test_asking_for_a_scope_not_granted_is_invalid_scope(actors, client_of, asked):
    erp = client_of(org(actors.carmaker_a), "read")
    response = token_response(erp.client_id, erp.secret, asked)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "access_token" not in response.json()
    assert not AccessToken.objects.exists()


def test_an_expired_token_is_401_and_says_so(actors, models, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    token = erp.token()
    AccessToken.objects.filter(application=erp.api_client.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    response = bearer(token).get(bom_url(models["carmaker_a"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "The access token has expired: request a new one at /auth/token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Bearer two tokens"])
def test_an_unknown_or_malformed_bearer_token_is_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/materials/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_request_without_credentials_is_still_told_to_authenticate(db):
    response = APIClient().get("/api/v1/materials/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_client_loses_its_tokens_and_gets_no_new_one(actors, admin_a, models, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    api = erp.api()
    assert api.get(bom_url(models["carmaker_a"])).status_code == 200
    service_user = erp.api_client.service_user
    services.api_client_revoke(api_client=erp.api_client, actor=admin_a)
    assert api.get(bom_url(models["carmaker_a"])).status_code == 401
    assert token_response(erp.client_id, erp.secret).json()["error"] == "invalid_client"
    assert not AccessToken.objects.exists()
    assert not ApiClient.objects.exists()
    service_user.refresh_from_db()
    assert not service_user.is_active


def test_a_token_of_a_deactivated_service_user_is_refused(actors, models, client_of):
    erp = client_of(org(actors.carmaker_a), "read")
    api = erp.api()
    erp.api_client.service_user.is_active = False
    erp.api_client.service_user.save()
    response = api.get(bom_url(models["carmaker_a"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "This API client has been revoked."}


def test_personal_tokens_and_sessions_need_no_scope(actors, models):
    token = Token.objects.create(user=actors.carmaker_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json").status_code == 200
    session = APIClient()
    session.force_login(actors.carmaker_a)
    assert session.put(bom_url(models["carmaker_a"]), NEW_BOM, format="json").status_code == 200


def test_pact_actions_still_need_read(settings, actors, client_of):
    settings.PACT_REQUIRE_HTTPS = False
    write_only = client_of(org(actors.carmaker_a), "write").token()
    response = APIClient().get("/2/footprints", HTTP_AUTHORIZATION=f"Bearer {write_only}")
    assert response.status_code == 403
    assert response.json()["code"] == "AccessDenied"
    read = client_of(org(actors.carmaker_a), "read", name="PACT").token()
    assert APIClient().get("/2/footprints", HTTP_AUTHORIZATION=f"Bearer {read}").status_code == 200


def test_each_client_gets_a_service_user_of_its_organisation_who_cannot_sign_in(actors, client_of):
    erp = client_of(org(actors.carmaker_a), "read", "write", name="SAP ERP")
    user = erp.api_client.service_user
    assert user.membership.organisation == org(actors.carmaker_a)
    assert user.membership.role == "member"
    assert user.is_active and not user.has_usable_password()
    assert user.first_name == "SAP ERP"
    # Logins go through django-axes, which counts them per request: authenticate() needs the request.
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username=user.username, password="") is None
    )
    assert erp.api_client.scopes == "read write"
    assert erp.api_client.application.client_secret != erp.secret  # stored hashed


def test_api_client_management_is_for_the_organisations_admins(actors, admin_a, admin_b):
    with pytest.raises(ApplicationError, match="Only an admin of Carmaker A"):
        services.api_client_create(organisation=org(actors.carmaker_a), name="X", actor=actors.carmaker_a)
    with pytest.raises(ApplicationError, match="Only an admin of Carmaker A"):
        services.api_client_create(organisation=org(actors.carmaker_a), name="X", actor=admin_b)
    api_client, _secret = services.api_client_create(
        organisation=org(actors.carmaker_a), name="X", actor=admin_a
    )
    with pytest.raises(ApplicationError, match="Only an admin of Carmaker A"):
        services.api_client_revoke(api_client=api_client, actor=admin_b)
    with pytest.raises(ApplicationError, match="scopes read, write"):
        services.api_client_create(
            organisation=org(actors.carmaker_a), name="Y", scopes=["admin"], actor=admin_a
        )
    assert list(ApiClient.objects.values_list("name", flat=True)) == ["X"]
    assert AuditEvent.objects.filter(action="created", object_type="tenancy.ApiClient").count() == 1


def test_the_pact_command_makes_clients_with_service_users(actors, capsys):
    from django.core.management import call_command

    call_command("pact_client_create", org(actors.supplier_a).uscc, name="MES")
    api_client = ApiClient.objects.get(name="MES")
    assert api_client.service_user.membership.organisation == org(actors.supplier_a)
    assert api_client.scopes == "read"


def test_the_scopes_match_the_oauth2_settings():
    assert list(settings.OAUTH2_PROVIDER["SCOPES"]) == list(ApiScope.values)


def test_the_openapi_schema_names_the_scope_each_operation_needs(db):
    # The accounting routes only: generating the whole schema here, before tests/api, builds the filter
    # fields of the declarations list early, which DeclarationFilter's per-request status choices rely on not.
    patterns = [path("api/v1/", include("accounting.api.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    bom = schema["paths"]["/api/v1/vehicle-models/{id}/bom/"]
    assert {"oauth2": ["read"]} in bom["get"]["security"]
    assert {"oauth2": ["write"]} in bom["put"]["security"]
    assert {"tokenAuth": []} in bom["put"]["security"]
    scheme = schema["components"]["securitySchemes"]["oauth2"]
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/auth/token"
    assert "Bearer" in scheme["description"]
