"""Reads of the tenancy layer."""

from django.db.models import Max, QuerySet
from rest_framework.authtoken.models import Token

from .choices import MembershipRole
from .models import ApiClient, AuditEvent, Organisation


def organisation_of(user) -> Organisation | None:
    """The organisation a user belongs to, or None for users without a membership."""
    if not getattr(user, "is_authenticated", False):
        return None
    membership = getattr(user, "membership", None)
    return membership.organisation if membership else None


def is_organisation_admin(*, user, organisation: Organisation) -> bool:
    """Whether the user is an admin (role) of that organisation."""
    membership = getattr(user, "membership", None) if getattr(user, "is_authenticated", False) else None
    return (
        membership is not None
        and membership.organisation_id == organisation.pk
        and membership.role == MembershipRole.ADMIN
    )


def audit_events_for(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("id")
    )


def api_clients_of(*, organisation: Organisation) -> QuerySet[ApiClient]:
    """The organisation's API clients, newest first, each with when it was last issued a token."""
    return (
        ApiClient.objects.filter(organisation=organisation)
        .select_related("application", "created_by")
        .annotate(last_token_issued_at=Max("application__accesstoken__created"))
        .order_by("-created_at", "-id")
    )


def personal_tokens_of(*, organisation: Organisation) -> QuerySet[Token]:
    """The personal API tokens of the organisation's members (keys are for their owners' eyes only)."""
    return (
        Token.objects.filter(user__membership__organisation=organisation)
        .select_related("user")
        .order_by("user__username")
    )


def personal_token_of(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()
