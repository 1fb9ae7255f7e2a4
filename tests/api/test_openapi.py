"""The OpenAPI schema: generated without a warning, valid, complete for /api/v1/, and browsable offline."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate

from tests.api.lists import api_routes

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _openapi_path(route: str) -> str:
    """`api/v1/^declarations/(?P<pk>[^/.]+)/decide/$` -> `/api/v1/declarations/{id}/decide/`."""
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    path = path.replace("\\.", ".").replace("{pk}", "{id}")
    return "/" + path


def test_the_schema_generates_with_no_warning_or_error_and_validates(tmp_path):
    GENERATOR_STATS.reset()
    # --fail-on-warn raises on any warning or error of the generator; --validate checks the OpenAPI 3 schema
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    written = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert written["openapi"].startswith("3.")
    assert written["info"]["title"] == "Carbon disclosure platform API"


def test_the_schema_passes_openapi_spec_validator(schema):
    validate(json.loads(json.dumps(schema, default=str)))  # raises on any violation, $refs included


def test_the_schema_lists_every_api_v1_route_of_the_urlconf(schema):
    expected = {
        _openapi_path(route)
        for route, pattern in api_routes()
        # DRF's API root views opt out of schemas (schema = None)
        if getattr(getattr(pattern.callback, "cls", None), "schema", True) is not None
    }
    documented = {path for path in schema["paths"] if path.startswith("/api/v1/")}
    assert "/api/v1/vehicle-models/{id}/contributions/" in expected
    assert expected == documented
    assert set(schema["paths"]) == documented  # nothing outside /api/v1/ (PACT has its own specification)


def test_every_operation_has_a_summary_and_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), where
            if "{" in path:
                assert "404" in responses, where
            if method in ("post", "put", "patch"):
                assert "400" in responses, where
            error = responses["403"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}, where


def _has_example(operation) -> bool:
    bodies = list(operation.get("requestBody", {}).get("content", {}).values())
    for code, response in operation["responses"].items():
        if code.startswith("2"):
            bodies += list(response.get("content", {}).values())
    return any("examples" in body for body in bodies)


def test_every_endpoint_group_has_an_example(schema):
    examples_by_tag: dict[str, int] = {}
    for operations in schema["paths"].values():
        for operation in operations.values():
            for tag in operation["tags"]:
                examples_by_tag[tag] = examples_by_tag.get(tag, 0) + _has_example(operation)
    assert len(examples_by_tag) >= 8
    assert all(examples_by_tag.values()), examples_by_tag


def test_errors_follow_the_application_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "field"}
    assert error["required"] == ["detail"]
    bad_request = schema["components"]["schemas"]["BadRequest"]
    assert {"$ref": "#/components/schemas/Error"} in bad_request["oneOf"]
    bom_import = schema["paths"]["/api/v1/boms/import/"]["post"]["responses"]["400"]
    body = bom_import["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[1]
    # a refused file (with its row errors) or a malformed request (no file)
    refused, malformed = schema["components"]["schemas"][ref]["oneOf"]
    assert malformed == {"$ref": "#/components/schemas/ValidationError"}
    assert {"detail", "field", "error_count", "errors"} <= set(
        schema["components"]["schemas"][refused["$ref"].rsplit("/", 1)[1]]["properties"]
    )
    assert body["examples"]


def test_lists_document_filters_sorting_and_their_exports(schema):
    vehicle_models = schema["paths"]["/api/v1/vehicle-models/"]["get"]
    names = {parameter["name"] for parameter in vehicle_models["parameters"]}
    assert {
        "brand",
        "segment",
        "powertrain",
        "model_year",
        "carmaker",
        "q",
        "ordering",
        "page",
        "format",
    } <= names
    ordering = next(p for p in vehicle_models["parameters"] if p["name"] == "ordering")
    assert "footprint_kg_co2e_per_kg" in ordering["description"]
    content = vehicle_models["responses"]["200"]["content"]
    assert set(content) == {
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    factors = {p["name"] for p in schema["paths"]["/api/v1/default-factors/"]["get"]["parameters"]}
    assert {"material", "route", "province", "basis"} <= factors
    assert "family" in {p["name"] for p in schema["paths"]["/api/v1/materials/"]["get"]["parameters"]}
    footprint = schema["components"]["schemas"]["Footprint"]["properties"]["by_supplier"]
    assert footprint["nullable"] is True


def test_the_security_schemes_cover_tokens_and_oauth2_client_credentials(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert set(schemes["oauth2"]["flows"]["clientCredentials"]["scopes"]) == {"read", "write"}


def test_the_schema_is_served_as_yaml_and_json(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["paths"]
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200 and json.loads(response.content)["openapi"].startswith("3.")


@pytest.mark.parametrize("url", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_the_docs_pages_render_with_local_assets_only(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    scripts = [asset for asset in assets if asset.endswith(".js")]
    assert scripts, html
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//")), asset
    for script in scripts:
        assert script.startswith("/static/drf_spectacular_sidecar/"), script
        assert finders.find(script.removeprefix("/static/")), f"{script} is not among the static files"
    assert "/api/schema/" in html
    assert "cdn." not in html and "unpkg" not in html
