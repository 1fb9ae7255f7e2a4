"""The supplier and auditor API: the page operations through the same services, scoped by organisation."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from carbon_platform.tenancy.models import AuditEvent
from disclosures.importers.tabular import template_csv
from disclosures.models import Declaration
from tests.factories import BomLineFactory, DeclarationFactory, ProductFactory


@pytest.fixture
def product(actors, materials):
    return ProductFactory(
        supplier=actors.supplier_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        route="bf_bof",
        name="Hot-rolled coil Q235B",
    )


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


DRAFT = {
    "registration_number": "EPD-API-1",
    "issue_date": "2026-01-10",
    "valid_until": "2030-12-31",
    "declared_unit": "t",
    "declared_amount": "1",
    "gwp_a1_a3_kg_co2e": "2075.5",
}


def test_supplier_creates_edits_and_submits_over_the_api(actors, product):
    supplier = _client(actors.supplier_a)
    created = supplier.post("/api/v1/declarations/", {**DRAFT, "product": product.pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["source_format"], body["gwp_a1_a3_kg_co2e"]) == (
        "draft",
        "api",
        "2075.500000",
    )
    assert [f["code"] for f in body["findings"]] == ["document.missing"]
    edited = supplier.patch(f"/api/v1/declarations/{body['id']}/", {"verifier": "CQC"}, format="json")
    assert edited.json()["verifier"] == "CQC"
    assert AuditEvent.objects.filter(action="updated").get().after == {"verifier": "CQC"}
    submitted = supplier.post(f"/api/v1/declarations/{body['id']}/submit/")
    assert submitted.json()["status"] == "submitted"
    again = supplier.patch(f"/api/v1/declarations/{body['id']}/", {"verifier": "X"}, format="json")
    assert again.status_code == 400
    assert "this one is Submitted" in again.json()["detail"]


def test_bad_content_is_a_400_naming_the_field_and_saves_nothing(actors, product):
    supplier = _client(actors.supplier_a)
    response = supplier.post(
        "/api/v1/declarations/",
        {**DRAFT, "product": product.pk, "valid_until": "2025-01-01", "declared_unit": "lb"},
        format="json",
    )
    assert response.status_code == 400
    assert '"lb" is not a valid choice.' in response.json()["declared_unit"][0]
    response = supplier.post(
        "/api/v1/declarations/", {**DRAFT, "product": product.pk, "valid_until": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["valid_until"] == ["Valid-until must be after the issue date."]
    assert not Declaration.objects.exists()


def test_a_supplier_cannot_declare_another_suppliers_product(actors, product):
    response = _client(actors.supplier_b).post(
        "/api/v1/declarations/", {**DRAFT, "product": product.pk}, format="json"
    )
    assert response.status_code == 400
    assert "does not exist" in response.json()["product"][0]


def test_each_kind_of_organisation_sees_its_own_slice(actors, product, materials):
    draft = DeclarationFactory(product=product, registration_number="EPD-DRAFT")
    submitted = DeclarationFactory(product=product, status="submitted", registration_number="EPD-SUB")
    approved = DeclarationFactory(product=product, status="approved", registration_number="EPD-APP")
    BomLineFactory(
        vehicle_model__carmaker=actors.carmaker_a.membership.organisation,
        material=materials["steel.hot_rolled_coil"],
        supplier_product=product,
    )

    def numbers(user):
        return sorted(
            d["registration_number"] for d in _client(user).get("/api/v1/declarations/").json()["results"]
        )

    assert numbers(actors.supplier_a) == ["EPD-APP", "EPD-DRAFT", "EPD-SUB"]
    assert numbers(actors.supplier_b) == []
    assert numbers(actors.auditor) == ["EPD-APP", "EPD-SUB"]
    assert numbers(actors.carmaker_a) == ["EPD-APP"]  # approved, and in its BOMs
    assert numbers(actors.carmaker_b) == []
    assert _client(actors.supplier_b).get(f"/api/v1/declarations/{draft.pk}/").status_code == 404
    assert submitted.pk and approved.pk


def test_auditor_decides_over_the_api_and_suppliers_cannot(
    actors, product, django_capture_on_commit_callbacks
):
    submitted = DeclarationFactory(product=product, status="submitted")
    refused = _client(actors.supplier_a).post(
        f"/api/v1/declarations/{submitted.pk}/decide/", {"decision": "approve"}
    )
    assert refused.status_code == 403
    missing_comment = _client(actors.auditor).post(
        f"/api/v1/declarations/{submitted.pk}/decide/", {"decision": "reject"}, format="json"
    )
    assert missing_comment.status_code == 400
    assert missing_comment.json() == {
        "detail": "A comment is required to reject or request changes.",
        "field": "comment",
    }
    with django_capture_on_commit_callbacks(execute=True):
        decided = _client(actors.auditor).post(
            f"/api/v1/declarations/{submitted.pk}/decide/", {"decision": "approve"}, format="json"
        )
    assert decided.json()["status"] == "approved"
    assert decided.json()["reviews"][0]["decision"] == "approve"


def test_new_version_and_withdraw_over_the_api(actors, product, django_capture_on_commit_callbacks):
    approved = DeclarationFactory(product=product, status="approved", gwp_a1_a3_kg_co2e=Decimal("2000"))
    supplier = _client(actors.supplier_a)
    draft = supplier.post(f"/api/v1/declarations/{approved.pk}/new-version/").json()
    assert (draft["version"], draft["supersedes"], draft["status"]) == (2, approved.pk, "draft")
    assert (
        supplier.post(f"/api/v1/declarations/{approved.pk}/withdraw/", {}, format="json").status_code == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = supplier.post(
            f"/api/v1/declarations/{approved.pk}/withdraw/", {"reason": "Closed"}, format="json"
        )
    assert withdrawn.json()["status"] == "withdrawn"


def test_plants_and_products_over_the_api(actors, materials):
    supplier = _client(actors.supplier_a)
    plant = supplier.post("/api/v1/plants/", {"name": "Anshan works", "province": "LN"}, format="json").json()
    product = supplier.post(
        "/api/v1/products/",
        {
            "name": "CRC DC04",
            "material": "steel.cold_rolled_coil",
            "route": "bf_bof",
            "plant": plant["id"],
            "declared_unit": "t",
        },
        format="json",
    )
    assert product.status_code == 201, product.json()
    wrong = supplier.post(
        "/api/v1/products/",
        {"name": "X", "material": "steel.cold_rolled_coil", "route": "secondary"},
        format="json",
    )
    assert wrong.status_code == 400
    assert "is not a production route of" in wrong.json()["route"][0]
    assert _client(actors.carmaker_a).get("/api/v1/plants/").status_code == 403
    assert _client(actors.supplier_b).get("/api/v1/plants/").json()["results"] == []


def test_import_over_the_api_preview_then_commit(actors, product):
    supplier = _client(actors.supplier_a)
    data = template_csv().decode("utf-8-sig").replace("Hot-rolled coil Q235B", product.name).encode()
    batch = supplier.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("epd.csv", data)}, format="multipart"
    ).json()
    assert (batch["status"], batch["rows_valid"]) == ("validated", 1)
    assert batch["records"][0]["fields"]["gwp_a1_a3_kg_co2e"] == "2050.5"
    committed = supplier.post(f"/api/v1/imports/{batch['id']}/commit/").json()
    assert committed["status"] == "committed"
    assert Declaration.objects.get(pk=committed["declarations"][0]).registration_number == "EPD-CN-2026-0001"
