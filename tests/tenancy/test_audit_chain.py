"""The audit trail: events chain by hash, the application cannot rewrite them, the verifier finds tampering."""

import pytest
from django.core.management import call_command
from django.db import connection

from carbon_platform.tenancy.models import AuditEvent
from carbon_platform.tenancy.services import GENESIS_HASH, audit_chain_verify, audit_record
from tests.factories import OrganisationFactory


@pytest.fixture
def three_events(actors):
    organisation = OrganisationFactory()
    return [
        audit_record(
            actor=actors.auditor,
            organisation=organisation,
            action="updated",
            obj=organisation,
            before={"name": f"v{i}"},
            after={"name": f"v{i + 1}"},
        )
        for i in range(3)
    ]


def test_each_event_chains_to_the_previous_one(three_events):
    first, second, third = three_events
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.event_hash
    assert third.previous_hash == second.event_hash
    assert audit_chain_verify().intact
    assert audit_chain_verify().events_checked == 3


def test_events_cannot_be_changed_or_deleted_through_the_application(three_events):
    event = three_events[0]
    event.after = {"name": "forged"}
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
    with pytest.raises(RuntimeError, match="append-only"):
        event.delete()


def test_verifier_names_the_first_event_edited_behind_the_applications_back(three_events):
    target = three_events[1]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET after = %s WHERE id = %s",
            ['{"name": "forged"}', target.id],
        )
    verdict = audit_chain_verify()
    assert verdict.first_broken_event_id == target.id
    assert verdict.reason == "content does not match its hash"


def test_verifier_notices_a_deleted_event(three_events):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [three_events[1].id])
    assert audit_chain_verify().first_broken_event_id == three_events[2].id


def test_verify_command_exits_non_zero_on_a_broken_chain(three_events, capsys):
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET action = 'approved' WHERE id = %s", [three_events[0].id]
        )
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    assert f"event {three_events[0].id}" in capsys.readouterr().err
