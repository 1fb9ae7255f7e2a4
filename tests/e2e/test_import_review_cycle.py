"""In a real browser: a CSV with one bad row refused, fixed and committed; submitted; changes requested; resubmitted;
approved; and the carmaker's footprint moves.

Hand computation: 100 kg hot-rolled coil from Supplier A's BF-BOF product.
  before: no declaration -> typical BF-BOF 2.1 kg/kg -> 210.0 kg CO2e
  after:  1,900 kg CO2e per t approved -> 1.9 kg/kg  -> 190.0 kg CO2e
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from accounting import services as accounting_services
from disclosures.importers.tabular import COLUMNS
from tests.e2e.conftest import log_in, log_out
from tests.factories import BomLineFactory, ProductFactory, VehicleModelFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def vehicle(actors, materials):
    coil = materials["steel.hot_rolled_coil"]
    product = ProductFactory(
        supplier=actors.supplier_a.membership.organisation, material=coil, route="bf_bof", name="HRC Q355B"
    )
    vehicle = VehicleModelFactory(
        carmaker=actors.carmaker_a.membership.organisation, model_name="Import Sedan"
    )
    BomLineFactory(vehicle_model=vehicle, material=coil, mass_kg=Decimal("100"), supplier_product=product)
    run = accounting_services.rollup_run_create(trigger="full", model_ids=None, trigger_object="e2e")
    accounting_services.rollup_run_execute(run_id=run.id)
    return vehicle


def _csv(gwp_second_row: str) -> bytes:
    issue, until = date.today() - timedelta(days=20), date.today() + timedelta(days=4 * 365)
    header = ",".join(f'"{column.header}"' for column in COLUMNS)
    blanks = "," * (len(COLUMNS) - 12)
    rows = [
        f"HRC Q355B,EPD-E2E-IMP-1,EN 15804+A2,China EPD Programme,,,{issue},{until},t,1,,1900{blanks}",
        f"HRC Q355B,EPD-E2E-IMP-2,EN 15804+A2,China EPD Programme,,,{issue},{until},t,1,,{gwp_second_row}{blanks}",
    ]
    return "\n".join([header, *rows]).encode("utf-8")


def _upload(page, data: bytes, *, accepted: bool = True) -> None:
    page.goto("/imports/")
    page.set_input_files("#id_file", files=[{"name": "epds.csv", "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and check").click()
    if accepted:
        page.wait_for_url("**/imports/*/")
    else:  # refused: the upload page again, with every bad row named, and nothing stored
        page.wait_for_selector("table.errors")


def test_import_fix_submit_request_changes_resubmit_approve(page, actors, vehicle):
    from accounting.models import Footprint

    assert Footprint.objects.get(vehicle_model=vehicle, is_current=True).total_kg_co2e == Decimal("210")
    log_in(page, "supplier_a")
    _upload(page, _csv("19OO"), accepted=False)  # letter O typed for zeros
    bad_row = page.locator('tr[data-location="row 3"]')
    assert "'19OO' is not a number." in bad_row.inner_text()
    assert page.get_by_role("button", name="Commit import").count() == 0

    _upload(page, _csv("1950"))
    assert page.get_by_test_id("rows-invalid").inner_text() == "0"
    page.get_by_role("button", name="Commit import").click()
    page.wait_for_url("**/declarations/")
    assert "2 declarations saved as drafts" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="EPD-E2E-IMP-1").click()
    page.get_by_role("button", name="Submit for review").click()
    assert "Submitted" in page.locator(".status").inner_text()
    log_out(page)

    log_in(page, "auditor")
    page.get_by_role("link", name="EPD-E2E-IMP-1").click()
    assert "document.missing" in page.get_by_test_id("findings").inner_text()
    page.select_option("#id_decision", "request_changes")
    page.fill("#id_comment", "Name the verifier of this EPD.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/reviews/")
    log_out(page)

    log_in(page, "supplier_a")  # lands on the dashboard
    needs_action = page.locator("section", has_text="Needs your action")
    assert "Name the verifier of this EPD." in needs_action.inner_text()
    needs_action.get_by_role("link", name="EPD-E2E-IMP-1").click()
    page.get_by_role("link", name="Edit").click()
    page.fill("#id_verifier", "CQC Verification Centre")
    page.get_by_role("button", name="Save draft").click()
    assert "CQC Verification Centre" in page.locator("table.history").inner_text()
    page.get_by_role("button", name="Submit for review").click()
    assert "Submitted" in page.locator(".status").inner_text()
    log_out(page)

    log_in(page, "auditor")
    page.get_by_role("link", name="EPD-E2E-IMP-1").click()
    page.select_option("#id_decision", "approve")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url("**/reviews/")
    log_out(page)

    log_in(page, "carmaker_a")
    page.goto(f"/vehicle-models/{vehicle.pk}/")
    assert page.get_by_test_id("footprint-total").inner_text() == "190.0"
