"""The supplier's declaration form: a good draft saves, bad input gets a clear message and saves nothing."""

from datetime import date

import pytest
from django.urls import reverse

from carbon_platform.tenancy.models import AuditEvent
from disclosures.models import Declaration
from tests.factories import PlantFactory, ProductFactory


@pytest.fixture
def product(actors, materials):
    supplier = actors.supplier_a.membership.organisation
    return ProductFactory(
        supplier=supplier, material=materials["steel.hot_rolled_coil"], plant=PlantFactory(supplier=supplier)
    )


def _form(product, **overrides):
    data = {
        "product": product.id,
        "registration_number": "EPD-CN-0001",
        "standard": "EN 15804+A2",
        "issue_date": "2026-01-15",
        "valid_until": "2031-01-14",
        "declared_unit": "t",
        "declared_amount": "1",
        "gwp_a1_a3_kg_co2e": "2050.5",
    }
    data.update(overrides)
    return data


def test_supplier_saves_a_draft_and_sees_it_converted_per_kg(client, actors, product):
    client.force_login(actors.supplier_a)
    response = client.post(reverse("disclosures:declaration-create"), _form(product))
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("disclosures:declaration-detail", args=[declaration.pk])
    assert declaration.status == "draft"
    assert declaration.issue_date == date(2026, 1, 15)
    assert AuditEvent.objects.filter(action="created", object_id=str(declaration.pk)).count() == 1
    page = client.get(response.url)
    assert "2.0505" in page.content.decode()  # 2,050.5 kg CO2e per t shown as kg CO2e per kg


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"gwp_a1_a3_kg_co2e": "-5"}, "gwp_a1_a3_kg_co2e", "GWP A1-A3 cannot be negative."),
        ({"valid_until": "2025-12-31"}, "valid_until", "Valid-until must be after the issue date."),
        ({"declared_unit": "lb"}, "declared_unit", "lb is not a declared unit this form knows"),
        ({"declared_unit": "tonnes"}, "declared_unit", "tonnes is not a declared unit this form knows"),
        ({"gwp_a1_a3_kg_co2e": ""}, "gwp_a1_a3_kg_co2e", "This field is required."),
        ({"declared_unit": "m2"}, "mass_kg_per_declared_unit", "needs the mass per declared unit"),
        ({"declared_amount": "0"}, "declared_amount", "must be greater than zero"),
    ],
)
def test_bad_submission_names_the_field_and_saves_nothing(client, actors, product, overrides, field, message):
    client.force_login(actors.supplier_a)
    response = client.post(reverse("disclosures:declaration-create"), _form(product, **overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert message in response.content.decode()
    assert Declaration.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_supplier_cannot_declare_another_suppliers_product(client, actors, materials):
    other = ProductFactory(
        supplier=actors.supplier_b.membership.organisation, material=materials["aluminium.sheet"]
    )
    client.force_login(actors.supplier_a)
    response = client.post(reverse("disclosures:declaration-create"), _form(other))
    assert response.status_code == 400
    assert "product" in response.context["form"].errors
    assert Declaration.objects.count() == 0


def test_only_suppliers_reach_the_declaration_form(client, actors):
    client.force_login(actors.carmaker_a)
    assert client.get(reverse("disclosures:declaration-create")).status_code == 403
    client.force_login(actors.outsider)
    assert client.get(reverse("disclosures:declaration-create")).status_code == 403
    client.logout()
    assert client.get(reverse("disclosures:declaration-create")).status_code == 302


def test_product_choices_say_which_products_still_lack_an_approved_epd(client, actors, product, materials):
    from tests.factories import DeclarationFactory

    supplier = actors.supplier_a.membership.organisation
    declared = ProductFactory(
        supplier=supplier, material=materials["steel.hot_rolled_coil"], name="HRC declared"
    )
    DeclarationFactory(product=declared, status="approved")
    ProductFactory(supplier=actors.supplier_b.membership.organisation, name="Not mine")
    client.force_login(actors.supplier_a)
    page = client.get(reverse("disclosures:declaration-create")).content.decode()
    assert "HRC declared (has an approved EPD)" in page
    assert f"{product.name} (no approved EPD yet)" in page
    assert "Not mine" not in page
