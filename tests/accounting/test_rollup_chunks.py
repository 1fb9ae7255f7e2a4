"""A run fans out in chunks (a Celery chord; eager here, a real worker in tests/integration), records its
progress per chunk, closes with summed totals, survives a failing or redelivered chunk, and shows in the
API and the browser."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounting import services, tasks
from accounting.models import Footprint, RollupChunk, RollupRun
from tests.factories import BomLineFactory, OrganisationFactory, UserFactory, VehicleModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(materials):
    """Five models with 10, 20, ... 50 kg of electrical steel on an unlinked line: each lands on the
    conservative default of steel.electrical, so model n's total is 10 n kg x that factor."""
    models = [VehicleModelFactory() for _ in range(5)]
    for number, vehicle in enumerate(models, start=1):
        BomLineFactory(
            vehicle_model=vehicle, material=materials["steel.electrical"], mass_kg=str(10 * number)
        )
    return models


def _conservative(materials) -> Decimal:
    return materials["steel.electrical"].default_factors.get(basis="conservative").kg_co2e_per_kg


def test_a_run_is_cut_into_chunks_that_fan_out_and_the_chord_closes_it(settings, fleet, materials):
    settings.ROLLUP_CHUNK_MODELS = 2
    run = services.rollup_run_create(trigger="full", model_ids=None)
    tasks.rollup_run_execute.delay(run.id)  # eager: the chord runs its three chunks, then the callback

    run.refresh_from_db()
    chunks = list(RollupChunk.objects.filter(run=run).order_by("index"))
    assert [chunk.model_ids for chunk in chunks] == [
        [fleet[0].id, fleet[1].id],
        [fleet[2].id, fleet[3].id],
        [fleet[4].id],
    ]
    assert all(chunk.status == "succeeded" and chunk.attempts == 1 for chunk in chunks)
    assert run.status == "succeeded"
    assert (run.models_total, run.models_done, run.footprints_written) == (5, 5, 5)
    assert run.timings_s["chunks"] == 3
    assert run.timings_s["write_s"] == pytest.approx(sum(c.timings_s["write_s"] for c in chunks), abs=0.01)
    factor = _conservative(materials)
    totals = dict(Footprint.objects.filter(is_current=True).values_list("vehicle_model_id", "total_kg_co2e"))
    assert totals == {vehicle.id: 10 * n * factor for n, vehicle in enumerate(fleet, start=1)}


def test_a_failing_chunk_fails_the_run_with_its_error_and_the_others_are_written(settings, fleet, materials):
    settings.ROLLUP_CHUNK_MODELS = 2
    # model 3 (second chunk) gets a multi-sourced component whose shares add up to 50%
    BomLineFactory(vehicle_model=fleet[2], material=materials["steel.electrical"], mass_kg="1", share="0.5")
    run = services.rollup_run_create(trigger="full", model_ids=None)
    tasks.rollup_run_execute.delay(run.id)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.error.startswith("chunk 1: EngineInputError") and "add up to 100%" in run.error
    assert list(RollupChunk.objects.filter(run=run).order_by("index").values_list("status", flat=True)) == [
        "succeeded",
        "failed",
        "succeeded",
    ]
    written = set(Footprint.objects.values_list("vehicle_model_id", flat=True))
    assert written == {fleet[0].id, fleet[1].id, fleet[4].id}
    assert run.footprints_written == 3


def test_a_redelivered_chunk_writes_no_second_revision_and_a_closed_run_ignores_it(settings, fleet):
    settings.ROLLUP_CHUNK_MODELS = 2
    run = services.rollup_run_create(trigger="full", model_ids=None)
    chunk_ids = services.rollup_run_start(run_id=run.id)
    first = services.rollup_chunk_execute(chunk_id=chunk_ids[0])
    assert services.rollup_chunk_execute(chunk_id=chunk_ids[0]) is None  # delivered twice: already done
    # the worker died after its revisions committed but before the chunk was marked done: delivered again
    RollupChunk.objects.filter(id=chunk_ids[0]).update(status="running")
    again = services.rollup_chunk_execute(chunk_id=chunk_ids[0])
    # its fingerprints are unchanged: no second revision, and the chunk's count is still the first's two
    assert (first.footprints_written, again.footprints_written, again.attempts) == (2, 2, 2)
    assert Footprint.objects.filter(vehicle_model__in=fleet[:2]).count() == 2

    assert services.rollup_run_close(run_id=run.id) is None  # two chunks still open
    assert services.rollup_run_start(run_id=run.id) == chunk_ids[1:]  # sent again: only what is left
    for chunk_id in chunk_ids[1:]:
        services.rollup_chunk_execute(chunk_id=chunk_id)
    closed = services.rollup_run_close(run_id=run.id)
    assert (closed.status, closed.models_done, closed.footprints_written) == ("succeeded", 5, 5)
    assert services.rollup_chunk_execute(chunk_id=chunk_ids[0]) is None
    assert services.rollup_run_start(run_id=run.id) is None


def test_the_sweep_resends_a_run_whose_chunks_went_quiet_but_not_one_still_moving(settings, fleet):
    settings.ROLLUP_CHUNK_MODELS = 2
    quiet = services.rollup_run_create(trigger="full", model_ids=None)
    services.rollup_run_start(run_id=quiet.id)
    long_ago = timezone.now() - timedelta(minutes=30)
    RollupRun.objects.filter(id=quiet.id).update(started_at=long_ago)
    RollupChunk.objects.filter(run=quiet, index=0).update(status="running", started_at=long_ago)

    moving = services.rollup_run_create(trigger="full", model_ids=[fleet[0].id])
    services.rollup_run_start(run_id=moving.id)
    RollupRun.objects.filter(id=moving.id).update(started_at=long_ago)
    RollupChunk.objects.filter(run=moving).update(status="running", started_at=timezone.now())

    assert services.rollup_runs_sweep() == [quiet.id]
    quiet.refresh_from_db()
    assert (quiet.status, quiet.footprints_written) == ("succeeded", 5)
    assert RollupChunk.objects.get(run=quiet, index=0).attempts == 1


def test_progress_is_live_in_the_api_and_the_page(settings, fleet):
    settings.ROLLUP_CHUNK_MODELS = 2
    run = services.rollup_run_create(trigger="full", model_ids=None)
    chunk_ids = services.rollup_run_start(run_id=run.id)
    services.rollup_chunk_execute(chunk_id=chunk_ids[0])

    user = UserFactory(organisation=OrganisationFactory(kind="carmaker"))
    api = APIClient()
    api.force_authenticate(user)
    body = api.get(f"/api/v1/rollup-runs/{run.id}/").json()
    assert (body["status"], body["models_done"], body["models_total"], body["progress_pct"]) == (
        "running",
        2,
        5,
        40,
    )
    assert (body["chunks_done"], body["chunks_total"], body["finished_at"]) == (1, 3, None)
    listed = api.get("/api/v1/rollup-runs/", {"status": "running"}).json()
    assert [item["id"] for item in listed["results"]] == [run.id]

    from django.test import Client

    browser = Client()
    browser.force_login(user)
    page = browser.get(f"/rollup-runs/{run.id}/").content.decode()
    assert (
        'id="progress-bar" data-pct="40"' in page
    )  # drawn by static/js/app.js: the CSP forbids inline styles
    assert f'data-progress-url="/api/v1/rollup-runs/{run.id}/"' in page and 'data-open="1"' in page

    for chunk_id in chunk_ids[1:]:
        services.rollup_chunk_execute(chunk_id=chunk_id)
    services.rollup_run_close(run_id=run.id)
    body = api.get(f"/api/v1/rollup-runs/{run.id}/").json()
    assert (body["status"], body["models_done"], body["progress_pct"]) == ("succeeded", 5, 100)
    listing = browser.get("/rollup-runs/").content.decode()
    assert f'data-testid="run-{run.id}"' in listing and "5 / 5" in listing


def test_anonymous_sees_no_runs(fleet):
    run = services.rollup_run_create(trigger="full", model_ids=None)
    assert APIClient().get(f"/api/v1/rollup-runs/{run.id}/").status_code in (401, 403)


def test_a_transient_database_error_is_retried_and_the_run_still_succeeds(settings, fleet, monkeypatch):
    from django.db import OperationalError

    from accounting import selectors

    settings.ROLLUP_CHUNK_MODELS = 2
    real_inputs, calls = selectors.rollup_inputs, []

    def flaky(**kwargs):
        calls.append(kwargs["model_ids"])
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_inputs(**kwargs)

    monkeypatch.setattr(selectors, "rollup_inputs", flaky)
    run = services.rollup_run_create(trigger="full", model_ids=None)
    chunk_ids = services.rollup_run_start(run_id=run.id)
    for chunk_id in chunk_ids:  # as the worker runs each message of the chord's group
        result = tasks.rollup_chunk_execute.apply(args=[chunk_id], throw=False)
        assert result.successful()
    tasks.rollup_run_close.apply(args=[run.id])

    run.refresh_from_db()
    assert run.status == "succeeded" and run.error == ""
    first = RollupChunk.objects.get(run=run, index=0)
    assert (first.status, first.attempts, first.error) == ("succeeded", 2, "")
    assert calls[0] == calls[1] == [fleet[0].id, fleet[1].id]  # the same chunk, computed again
    assert Footprint.objects.filter(is_current=True).count() == 5


def test_chunk_tasks_ack_late_and_have_time_limits():
    chunk_task = tasks.rollup_chunk_execute
    assert chunk_task.acks_late and not chunk_task.ignore_result  # redelivered if the worker dies; counted
    assert 0 < chunk_task.soft_time_limit < chunk_task.time_limit
    assert tasks.rollup_run_execute.acks_late and tasks.rollup_run_close.acks_late
