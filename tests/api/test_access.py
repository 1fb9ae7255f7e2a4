"""Who sees what: footprint totals are public to signed-in organisations; supplier-level detail (by supplier,
contributions, BOM lines, the supplier rows of the history) only for the carmaker that owns the model and auditors."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounting.models import BomLine, RollupRun
from carbon_platform.tenancy.models import AuditEvent
from tests.api.lists import contribution, footprint
from tests.factories import (
    BomLineFactory,
    DeclarationFactory,
    DefaultFactorFactory,
    MaterialFactory,
    ProductFactory,
    VehicleModelFactory,
)


def _client(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def model(actors, materials):
    """Carmaker A's model: revision 1 on a default, revision 2 after Supplier A's EPD was approved."""
    coil = materials["steel.hot_rolled_coil"]
    supplier = actors.supplier_a.membership.organisation
    product = ProductFactory(supplier=supplier, material=coil, name="HRC Q235B")
    declaration = DeclarationFactory(product=product, status="approved", registration_number="EPD-SECRET-1")
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation, brand="Qilin")
    BomLineFactory(
        vehicle_model=vehicle, material=coil, mass_kg="100", supplier_product=product, component="Rail"
    )
    first = footprint(
        vehicle, revision=1, is_current=False, run=RollupRun.objects.create(trigger="full"), total="210"
    )
    contribution(first, coil, supplier=supplier, kg="210", level=3)
    run = RollupRun.objects.create(
        trigger="declaration_approved", trigger_object=f"declaration:{declaration.pk}"
    )
    current = footprint(vehicle, revision=2, run=run, total="190", by_supplier={str(supplier.pk): 190.0})
    contribution(current, coil, supplier=supplier, declaration=declaration, kg="190")
    return vehicle


def test_anonymous_is_told_to_authenticate_with_401(model):
    response = APIClient().get("/api/v1/vehicle-models/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_user_of_no_organisation_is_refused(actors, model):
    for url in (
        "/api/v1/vehicle-models/",
        "/api/v1/materials/",
        f"/api/v1/vehicle-models/{model.pk}/footprint/",
    ):
        response = _client(actors.outsider).get(url)
        assert response.status_code == 403, url
        assert response.json() == {"detail": "Your account belongs to no organisation."}


@pytest.mark.parametrize("who", ["carmaker_a", "auditor"])
def test_owner_and_auditors_see_the_suppliers_of_a_footprint(actors, model, who):
    body = _client(getattr(actors, who)).get(f"/api/v1/vehicle-models/{model.pk}/footprint/").json()
    assert body["by_supplier"] == [
        {
            "supplier_id": actors.supplier_a.membership.organisation_id,
            "supplier": "Supplier A",
            "kg_co2e": 190.0,
        }
    ]


@pytest.mark.parametrize("who", ["carmaker_b", "supplier_a", "supplier_b"])
def test_everyone_else_sees_totals_and_breakdowns_but_no_supplier(actors, model, who):
    body = _client(getattr(actors, who)).get(f"/api/v1/vehicle-models/{model.pk}/footprint/").json()
    assert Decimal(body["total_kg_co2e"]) == Decimal("190")
    assert body["by_material"] == {"steel.hot_rolled_coil": 190.0}
    assert body["by_module"] == {"A1-A3": 190.0, "D": -12.5}
    assert body["by_data_source"] == {"1": 190.0}
    assert body["by_supplier"] is None
    assert "Supplier A" not in str(body)


def test_history_names_suppliers_and_declarations_only_for_owner_and_auditors(actors, model):
    url = f"/api/v1/vehicle-models/{model.pk}/history/"
    for who in ("carmaker_a", "auditor"):
        newest = _client(getattr(actors, who)).get(url).json()[0]
        assert newest["cause"] == "Declaration approved (EPD-SECRET-1 v1)"
        assert newest["changes"] == [
            {
                "material": "steel.hot_rolled_coil",
                "supplier": "Supplier A",
                "before": "L3: 5.00 kg x 2.0000",
                "after": "L1 EPD-SECRET-1 v1: 5.00 kg x 2.0000",
                "delta_kg_co2e": -20.0,
            }
        ]
    for who in ("carmaker_b", "supplier_b"):
        body = _client(getattr(actors, who)).get(url).json()
        assert [(r["revision"], r["delta_kg_co2e"], r["cause"], r["changes"]) for r in body] == [
            (2, -20.0, "Declaration approved", None),
            (1, None, "Full run", None),
        ]
        csv = _client(getattr(actors, who)).get(url, {"format": "csv"})
        text = b"".join(csv.streaming_content).decode()
        assert "Supplier A" not in text and "EPD-SECRET" not in text


def test_history_filters_by_when_a_revision_was_computed(actors, model):
    second = model.footprints.get(revision=2)
    body = (
        _client(actors.carmaker_a)
        .get(
            f"/api/v1/vehicle-models/{model.pk}/history/", {"computed_after": second.computed_at.isoformat()}
        )
        .json()
    )
    assert [(r["revision"], r["delta_kg_co2e"]) for r in body] == [(2, -20.0)]  # still measured against r1


def test_contributions_for_the_owner_and_auditors_404_for_other_carmakers_403_for_suppliers(actors, model):
    url = f"/api/v1/vehicle-models/{model.pk}/contributions/"
    for who in ("carmaker_a", "auditor"):
        rows = _client(getattr(actors, who)).get(url).json()["results"]
        assert [(r["material"], r["supplier"], r["level"], r["declaration"], r["kg_co2e"]) for r in rows] == [
            ("steel.hot_rolled_coil", "Supplier A", 1, "EPD-SECRET-1 v1", "190.0000")
        ]
    assert _client(actors.carmaker_b).get(url).status_code == 404
    refused = _client(actors.supplier_a).get(url)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "This needs a carmaker or auditor account."}
    assert _client(actors.carmaker_a).get("/api/v1/vehicle-models/999999/contributions/").status_code == 404
    assert APIClient().get(url).status_code == 401


def test_contributions_filter_by_material_supplier_level_and_declaration(actors, model, materials):
    current = model.footprints.get(is_current=True)
    contribution(current, materials["aluminium.casting"], kg="5", level=4)
    client = _client(actors.carmaker_a)
    url = f"/api/v1/vehicle-models/{model.pk}/contributions/"

    def materials_of(**params):
        return [r["material"] for r in client.get(url, params).json()["results"]]

    assert materials_of() == ["steel.hot_rolled_coil", "aluminium.casting"]  # largest first
    assert materials_of(material="aluminium.casting") == ["aluminium.casting"]
    assert materials_of(level=4) == ["aluminium.casting"]
    assert materials_of(supplier=actors.supplier_a.membership.organisation_id) == ["steel.hot_rolled_coil"]
    declaration = current.contributions.exclude(declaration=None).get().declaration_id
    assert materials_of(declaration=declaration) == ["steel.hot_rolled_coil"]
    assert materials_of(ordering="kg_co2e") == ["aluminium.casting", "steel.hot_rolled_coil"]


def test_the_bom_is_read_by_the_owner_and_auditors_only(actors, model):
    url = f"/api/v1/vehicle-models/{model.pk}/bom/"
    for who in ("carmaker_a", "auditor"):
        (line,) = _client(getattr(actors, who)).get(url).json()["results"]
        assert (line["component"], line["material"], line["mass_kg"], line["supplier"]) == (
            "Rail",
            "steel.hot_rolled_coil",
            "100.0000",
            "Supplier A",
        )
    assert _client(actors.carmaker_b).get(url).status_code == 404
    assert _client(actors.supplier_a).get(url).status_code == 403


def test_the_owner_replaces_the_bom_over_the_api(
    actors, model, materials, django_capture_on_commit_callbacks
):
    product = BomLine.objects.get(vehicle_model=model).supplier_product
    other = ProductFactory(supplier=actors.supplier_b.membership.organisation, material=product.material)
    lines = [
        {"component": "Rail", "system": "chassis", "material": "steel.hot_rolled_coil", "mass_kg": "40"},
        *[
            {
                "component": "Subframe",
                "system": "chassis",
                "material": "steel.hot_rolled_coil",
                "mass_kg": "18",
                "supplier_product": p.pk,
                "share": share,
            }
            for p, share in ((product, "0.6"), (other, "0.4"))
        ],
    ]
    response = _client(actors.carmaker_a).put(
        f"/api/v1/vehicle-models/{model.pk}/bom/", {"lines": lines}, format="json"
    )
    assert response.status_code == 200, response.json()
    run = RollupRun.objects.get(trigger="bom_changed")
    assert response.json() == {
        "vehicle_model": model.pk,
        "lines_written": 3,
        "mass_total_kg": "76.0000",
        "rollup_run": run.pk,
    }
    assert sorted(BomLine.objects.filter(vehicle_model=model).values_list("component", "share")) == [
        ("Rail", None),
        ("Subframe", Decimal("0.4000")),
        ("Subframe", Decimal("0.6000")),
    ]
    assert AuditEvent.objects.filter(object_type="accounting.VehicleModel", object_id=str(model.pk)).exists()


def test_only_the_owner_replaces_a_bom(actors, model):
    body = {
        "lines": [
            {"component": "X", "system": "chassis", "material": "steel.hot_rolled_coil", "mass_kg": "1"}
        ]
    }
    url = f"/api/v1/vehicle-models/{model.pk}/bom/"
    assert _client(actors.carmaker_b).put(url, body, format="json").status_code == 404
    refused = _client(actors.auditor).put(url, body, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only the carmaker that owns this model can do this."}
    assert _client(actors.supplier_a).put(url, body, format="json").status_code == 403
    assert BomLine.objects.get(vehicle_model=model).component == "Rail"


def test_a_bad_bom_is_refused_whole_and_names_every_bad_line(actors, model):
    client = _client(actors.carmaker_a)
    url = f"/api/v1/vehicle-models/{model.pk}/bom/"
    unknown = client.put(
        url,
        {
            "lines": [
                {"component": "A", "system": "chassis", "material": "steel.unobtainium", "mass_kg": "1"},
                {
                    "component": "B",
                    "system": "chassis",
                    "material": "steel.hot_rolled_coil",
                    "mass_kg": "1",
                    "supplier_product": 999999,
                },
            ]
        },
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json() == {
        "lines": [
            "line 1, material: unknown code steel.unobtainium",
            "line 2, supplier_product: no product 999999",
        ]
    }
    shares = client.put(
        url,
        {
            "lines": [
                {
                    "component": "A",
                    "system": "chassis",
                    "material": "steel.hot_rolled_coil",
                    "mass_kg": "1",
                    "share": "0.5",
                }
            ]
        },
        format="json",
    )
    assert shares.status_code == 400
    assert shares.json()["field"] == "lines"
    assert "shares add up to 0.5000, not 1" in shares.json()["detail"]
    malformed = client.put(
        url, {"lines": [{"component": "A", "system": "roof", "mass_kg": "x"}]}, format="json"
    )
    assert malformed.status_code == 400
    assert set(malformed.json()["lines"]["0"]) == {"system", "material", "mass_kg"}  # line by index
    assert client.put(url, {"lines": []}, format="json").status_code == 400
    assert BomLine.objects.get(vehicle_model=model).component == "Rail"


def test_materials_and_default_factors_are_read_by_any_organisation_with_their_filters(actors, materials):
    steel = MaterialFactory(code="steel.test_plate", family="steel")
    DefaultFactorFactory(
        material=steel, basis="typical", route="bf_bof", province="HE", kg_co2e_per_kg=Decimal("2.2")
    )
    DefaultFactorFactory(material=steel, basis="conservative")
    token = Token.objects.create(user=actors.supplier_b)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    families = {
        m["family"] for m in client.get("/api/v1/materials/", {"family": "aluminium"}).json()["results"]
    }
    assert families == {"aluminium"}
    assert (
        client.get("/api/v1/materials/", {"search": "test_plate"}).json()["results"][0]["code"]
        == "steel.test_plate"
    )

    def factors(**params):
        rows = client.get("/api/v1/default-factors/", {"material": "steel.test_plate", **params}).json()[
            "results"
        ]
        return [(r["basis"], r["route"], r["province"], r["kg_co2e_per_kg"]) for r in rows]

    assert factors() == [("conservative", "", "", "3.509000"), ("typical", "bf_bof", "HE", "2.200000")]
    assert factors(basis="typical") == [("typical", "bf_bof", "HE", "2.200000")]
    assert factors(route="bf_bof", province="HE") == [("typical", "bf_bof", "HE", "2.200000")]
    assert factors(province="YN") == []
    assert client.post("/api/v1/materials/", {"code": "x"}).status_code == 405


def test_declarations_filter_by_material_code_route_and_findings(actors, materials):
    supplier = actors.supplier_a.membership.organisation
    coil = ProductFactory(supplier=supplier, material=materials["steel.hot_rolled_coil"], route="bf_bof")
    casting = ProductFactory(supplier=supplier, material=materials["aluminium.casting"], route="secondary")
    DeclarationFactory(product=coil, status="submitted", registration_number="EPD-COIL")
    flagged = DeclarationFactory(product=casting, status="submitted", registration_number="EPD-CAST")
    flagged.findings.create(code="x", severity="error", message_en="x", message_zh="x")
    client = _client(actors.auditor)

    def numbers(**params):
        return sorted(
            d["registration_number"] for d in client.get("/api/v1/declarations/", params).json()["results"]
        )

    assert numbers() == ["EPD-CAST", "EPD-COIL"]
    assert numbers(material_code="aluminium.casting") == ["EPD-CAST"]
    assert numbers(route="bf_bof") == ["EPD-COIL"]
    assert numbers(severity="error") == ["EPD-CAST"]
    assert numbers(severity="clean") == ["EPD-COIL"]
    assert (
        client.get("/api/v1/declarations/", {"status": "draft"}).status_code == 400
    )  # auditors never see drafts


def test_the_model_page_hides_supplier_detail_from_other_organisations(client, actors, model):
    url = reverse("accounting:vehicle-model-detail", args=[model.pk])
    client.force_login(actors.carmaker_a)
    page = client.get(url).content.decode()
    assert "Supplier A" in page and "EPD-SECRET-1" in page and 'data-testid="contributions"' in page
    client.force_login(actors.carmaker_b)
    page = client.get(url).content.decode()
    assert 'data-testid="footprint-total"' in page and "190.0" in page
    assert "Supplier A" not in page and "EPD-SECRET" not in page and "Rail" not in page
    assert 'data-testid="by-supplier"' not in page and 'data-testid="contributions"' not in page
