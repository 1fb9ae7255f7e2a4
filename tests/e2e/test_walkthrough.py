"""The whole flow in a real browser: supplier submits, auditor approves, the carmaker's footprint changes.

Hand computation (factors from accounting/data/default_factors.csv):
  line 1: 100 kg hot-rolled coil bought from Supplier A's BF-BOF product
          before: no declaration -> level 3, typical BF-BOF 2.1 kg/kg      -> 210.00 kg CO2e
          after:  1,850 kg CO2e per t approved -> level 1, 1.85 kg/kg       -> 185.00 kg CO2e
  line 2: 20 kg hot-rolled coil, no supplier -> level 4, conservative 3.509 ->  70.18 kg CO2e
  total before 280.18, after 255.18 kg CO2e; primary share after 100 / 120 kg.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounting import services as accounting_services
from accounting.models import Footprint
from tests.e2e.conftest import log_in, log_out
from tests.factories import BomLineFactory, ProductFactory, VehicleModelFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def vehicle(actors, materials):
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof", name="HRC Q235B"
    )
    vehicle = VehicleModelFactory(carmaker=actors.carmaker_a.membership.organisation, model_name="E2E Sedan")
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg=Decimal("100"), supplier_product=product)
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg=Decimal("20"))
    run = accounting_services.rollup_run_create(trigger="full", model_ids=None, trigger_object="e2e")
    accounting_services.rollup_run_execute(run_id=run.id)
    return vehicle


def _footprint_total_on_page(page, vehicle) -> str:
    page.goto(f"/vehicle-models/{vehicle.pk}/")
    return page.get_by_test_id("footprint-total").inner_text()


def test_supplier_submits_auditor_approves_carmaker_sees_the_new_footprint(page, actors, vehicle):
    log_in(page, "carmaker_a")
    assert _footprint_total_on_page(page, vehicle) == "280.2"
    log_out(page)

    log_in(page, "supplier_a")
    page.goto("/declarations/new/")
    page.select_option(
        "#id_product", page.locator("#id_product option", has_text="HRC Q235B").get_attribute("value")
    )
    page.fill("#id_registration_number", "EPD-E2E-0001")
    page.select_option("#id_standard", "EN 15804+A2")
    page.fill("#id_issue_date", (date.today() - timedelta(days=10)).isoformat())
    page.fill("#id_valid_until", (date.today() + timedelta(days=365 * 5)).isoformat())
    page.select_option("#id_declared_unit", "t")
    page.fill("#id_declared_amount", "1")
    page.fill("#id_gwp_a1_a3_kg_co2e", "1850")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_load_state()
    assert "Submitted" in page.locator(".status").inner_text()
    log_out(page)

    log_in(page, "auditor")
    page.goto("/reviews/")
    page.get_by_role("link", name="EPD-E2E-0001").click()
    page.select_option("#id_decision", "approve")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/reviews/")
    assert "Decision recorded: Approve." in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="EPD-E2E-0001").count() == 0  # left the queue
    log_out(page)

    log_in(page, "carmaker_a")
    assert _footprint_total_on_page(page, vehicle) == "255.2"
    api = page.request.get(f"/api/v1/vehicle-models/{vehicle.pk}/footprint/")
    assert api.ok, api.text()
    body = api.json()
    assert Decimal(str(body["total_kg_co2e"])) == Decimal("255.18")
    assert Footprint.objects.get(vehicle_model=vehicle, is_current=True).revision == 2
    # the history explains the move: the approved declaration, -25.00 kg CO2e on the BF-BOF coil line
    history = page.get_by_test_id("history")
    newest = history.locator("tbody tr").first
    assert newest.locator("td").first.inner_text() == "2"
    assert "-25.00" in newest.inner_text()
    assert "L3: 100.00 kg x 2.1000" in newest.inner_text()
    assert "L1 EPD-E2E-0001 v1: 100.00 kg x 1.8500" in newest.inner_text()
    newest.get_by_role("link", name="Declaration approved (EPD-E2E-0001 v1)").click()
    page.wait_for_url("**/rollup-runs/*/")
    assert page.get_by_test_id("run-status").inner_text() == "Succeeded"
    assert page.get_by_test_id("progress-pct").inner_text() == "100"


def test_bad_declaration_shows_the_field_error_and_saves_nothing(page, actors, vehicle):
    from disclosures.models import Declaration

    log_in(page, "supplier_a")
    page.goto("/declarations/new/")
    page.select_option("#id_product", index=1)
    page.fill("#id_registration_number", "EPD-E2E-BAD")
    page.select_option("#id_standard", "EN 15804+A2")
    page.fill("#id_issue_date", "2026-06-01")
    page.fill("#id_valid_until", "2026-01-01")
    page.select_option("#id_declared_unit", "t")
    page.fill("#id_declared_amount", "1")
    page.fill("#id_gwp_a1_a3_kg_co2e", "-3")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    errors = page.locator(".field.has-error").all_inner_texts()
    assert any("GWP A1-A3 cannot be negative." in text for text in errors), errors
    assert any("Valid-until must be after the issue date." in text for text in errors), errors
    assert Declaration.objects.count() == 0
