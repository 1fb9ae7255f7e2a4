"""Reads of the tenancy layer."""

from .models import AuditEvent, Organisation


def organisation_of(user) -> Organisation | None:
    """The organisation a user belongs to, or None for users without a membership."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "membership", None)
    return membership.organisation if membership else None


def audit_events_for(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )
