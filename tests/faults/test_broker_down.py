"""Fault 2 (see tests/faults/__init__.py): the broker is unreachable while an auditor approves a declaration
through the review page. The approval is kept and acknowledged; once the broker is back, the sweep sends the
pending recompute and a worker brings the affected footprint up to date."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounting import services
from accounting.models import Footprint, RollupRun
from carbon_platform.tenancy.models import AuditEvent
from tests.factories import (
    aluminium_supply_chain,
)

from ._checks import assert_footprints_consistent
from ._stack import wait_for

pytestmark = pytest.mark.integration


def test_an_approval_with_the_broker_down_is_kept_and_caught_up_by_the_sweep(
    private_broker, start_worker, client
):
    redis_server = private_broker
    chain = aluminium_supply_chain()
    auditor, vehicle, declaration = chain.auditor, chain.vehicle, chain.declaration
    services.rollup_run_execute(run_id=services.rollup_run_create(trigger="full", model_ids=[vehicle.id]).id)
    before = Footprint.objects.get(vehicle_model=vehicle, is_current=True)
    assert before.primary_data_share == 0  # the default factor of the route, until a declaration is approved

    redis_server.stop()  # the broker goes away
    client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
    started = time.monotonic()
    response = client.post(
        reverse("disclosures:declaration-decide", args=[declaration.pk]),
        {"decision": "approve", "comment": ""},
        follow=True,
    )
    assert time.monotonic() - started < 15  # the failed enqueue gives up quickly
    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("disclosures:review-queue"), 302)]
    assert [(m.level_tag, str(m)) for m in response.context["messages"]] == [
        ("success", "Decision recorded: Approve.")
    ]
    declaration.refresh_from_db()
    assert declaration.status == "approved"
    assert AuditEvent.objects.filter(
        action="approved", object_type="disclosures.Declaration", object_id=str(declaration.pk), actor=auditor
    ).exists()
    run = RollupRun.objects.get(trigger="declaration_approved")
    assert (run.status, run.scope_model_ids) == ("pending", [vehicle.id])  # recorded, its message lost
    assert Footprint.objects.filter(vehicle_model=vehicle).count() == 1

    redis_server.start()  # the broker is back, on the same port, empty
    start_worker()
    assert services.rollup_runs_sweep() == []  # too young: its message may still be on the way
    later = timezone.now() + services.SWEEP_PENDING_AFTER + timedelta(seconds=30)
    assert services.rollup_runs_sweep(now=later) == [run.pk]  # beat's sweep, a few minutes on
    wait_for(
        lambda: RollupRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
        timeout_s=60,
        what="the swept run",
    )
    run.refresh_from_db()
    assert (run.status, run.footprints_written) == ("succeeded", 1), run.error
    after = Footprint.objects.get(vehicle_model=vehicle, is_current=True)
    assert after.revision == 2 and after.run_id == run.pk
    assert after.total_kg_co2e == Decimal("456.0000")  # 120 kg x 3,800 kg CO2e per t
    assert after.primary_data_share == 1
    assert after.contributions.get().declaration_id == declaration.pk
    assert_footprints_consistent([vehicle.id])
    assert services.rollup_runs_sweep(now=later) == []  # nothing left behind
