"""Writes of the tenancy layer: audit events appended to the hash chain, and its verification."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pandas as pd
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from carbon_platform.bulk import insert_frame

from .models import AuditEvent, Organisation

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_AUDIT_CHAIN_LOCK_ID = 727_001


def _json_safe(value: Any) -> Any:
    """Round-trip through JSON so that what is hashed is exactly what the JSONField stores and returns."""
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _event_hash(*, previous_hash: str, event: AuditEvent) -> str:
    content = {
        "actor_id": event.actor_id,
        "organisation_id": event.organisation_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "created_at": event.created_at.astimezone(UTC).isoformat(),
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous_hash}|{canonical}".encode()).hexdigest()


def _chained_events(*, actor, organisation, action: str, entries, created_at) -> list[AuditEvent]:
    """Unsaved events for (object, before, after) entries, each chained to the one before it.

    Call inside a transaction: on PostgreSQL an advisory lock serialises writers until commit, so two
    writers never chain to the same predecessor."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_CHAIN_LOCK_ID])
    previous_hash = (
        AuditEvent.objects.order_by("-id").values_list("event_hash", flat=True).first() or GENESIS_HASH
    )
    events = []
    for obj, before, after in entries:
        event = AuditEvent(
            actor=actor if getattr(actor, "pk", None) else None,
            organisation=organisation,
            action=action,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            before=_json_safe(before),
            after=_json_safe(after),
            created_at=created_at,
            previous_hash=previous_hash,
        )
        event.event_hash = previous_hash = _event_hash(previous_hash=previous_hash, event=event)
        events.append(event)
    return events


def audit_record(
    *,
    actor,
    organisation: Organisation | None,
    action: str,
    obj,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one event to the audit trail, chained to the last one; runs inside the caller's transaction."""
    with transaction.atomic():
        (event,) = _chained_events(
            actor=actor,
            organisation=organisation,
            action=action,
            entries=[(obj, before, after)],
            created_at=timezone.now(),
        )
        event.save()
    return event


def audit_record_many(
    *,
    actor,
    organisation: Organisation | None,
    action: str,
    entries: list[tuple[Any, dict | None, dict | None]],
) -> list[AuditEvent]:
    """Append one event per (object, before, after), chained in order, in one insert (bulk imports)."""
    with transaction.atomic():
        now = timezone.now()
        events = _chained_events(
            actor=actor, organisation=organisation, action=action, entries=entries, created_at=now
        )
        insert_frame(AuditEvent._meta.db_table, _event_rows(events, created_at=now))
        return events


def _event_rows(events: list[AuditEvent], *, created_at) -> pd.DataFrame:
    """The events as table rows; JSON as text (SQL NULL for None, as the JSONField stores it)."""

    def as_json(value):
        return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)

    return pd.DataFrame(
        {
            "actor_id": pd.array([event.actor_id for event in events], dtype="Int64"),
            "organisation_id": pd.array([event.organisation_id for event in events], dtype="Int64"),
            "action": [event.action for event in events],
            "object_type": [event.object_type for event in events],
            "object_id": [event.object_id for event in events],
            "before": [as_json(event.before) for event in events],
            "after": [as_json(event.after) for event in events],
            "created_at": connection.ops.adapt_datetimefield_value(created_at),
            "previous_hash": [event.previous_hash for event in events],
            "event_hash": [event.event_hash for event in events],
        }
    )


@dataclass(frozen=True)
class ChainVerdict:
    events_checked: int
    first_broken_event_id: int | None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_event_id is None


def audit_chain_verify() -> ChainVerdict:
    """Recompute every link of the chain in order and name the first event whose hash does not hold."""
    previous_hash = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != previous_hash:
            return ChainVerdict(checked, event.id, "previous_hash does not match the event before it")
        if _event_hash(previous_hash=previous_hash, event=event) != event.event_hash:
            return ChainVerdict(checked, event.id, "content does not match its hash")
        previous_hash = event.event_hash
        checked += 1
    return ChainVerdict(checked, None)
