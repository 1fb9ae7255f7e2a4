"""The run page's progress bar moves by itself while workers finish chunks, and shows the closed run."""

import pytest
from playwright.sync_api import expect

from accounting import services
from tests.e2e.conftest import log_in
from tests.factories import BomLineFactory, VehicleModelFactory

pytestmark = pytest.mark.e2e


def test_the_progress_bar_follows_the_chunks_without_a_reload_by_hand(page, actors, materials, settings):
    settings.ROLLUP_CHUNK_MODELS = 1
    for mass in ("10", "20", "30", "40"):
        BomLineFactory(
            vehicle_model=VehicleModelFactory(), material=materials["steel.electrical"], mass_kg=mass
        )
    run = services.rollup_run_create(trigger="full", model_ids=None)
    chunk_ids = services.rollup_run_start(run_id=run.id)
    services.rollup_chunk_execute(chunk_id=chunk_ids[0])

    log_in(page, "carmaker_a")
    page.goto(f"/rollup-runs/{run.id}/")
    assert page.get_by_test_id("progress-pct").inner_text() == "25"
    assert page.get_by_test_id("run-status").inner_text() == "Running"

    services.rollup_chunk_execute(chunk_id=chunk_ids[1])  # a worker finishes a second chunk
    expect(page.get_by_test_id("progress-pct")).to_have_text("50", timeout=10_000)
    for chunk_id in chunk_ids[2:]:
        services.rollup_chunk_execute(chunk_id=chunk_id)
    services.rollup_run_close(run_id=run.id)  # the chord's callback
    expect(page.get_by_test_id("run-status")).to_have_text("Succeeded", timeout=10_000)
    assert page.get_by_test_id("progress-pct").inner_text() == "100"
    assert page.locator("#revisions").inner_text() == "4"
