"""Writes of the tenancy layer: API clients and personal API tokens, audit events appended to the hash
chain, and its verification."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pandas as pd
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from rest_framework import status
from rest_framework.authtoken.models import Token, TokenProxy

from carbon_platform.api import ApplicationError
from carbon_platform.bulk import insert_frame

from .choices import ApiScope, AuditAction, MembershipRole
from .models import ApiClient, AuditEvent, Membership, Organisation
from .selectors import is_organisation_admin, organisation_of

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


# --- API clients and personal API tokens ------------------------------------------------------------


def _require_admin(*, actor, organisation: Organisation) -> None:
    """Only an admin of the organisation manages its API access; no actor is the operator (CLI, admin)."""
    if actor is not None and not is_organisation_admin(user=actor, organisation=organisation):
        raise ApplicationError(
            _("Only an admin of %(organisation)s manages its API access.") % {"organisation": organisation},
            status_code=status.HTTP_403_FORBIDDEN,
        )


def _scopes_value(scopes: Iterable[str]) -> str:
    """The scopes as ApiClient stores them: known ones only, each once, in the order of ApiScope."""
    wanted = set(scopes)
    unknown = wanted - set(ApiScope.values)
    if unknown or not wanted:
        raise ApplicationError(
            _("Grant one or more of the scopes %(known)s.") % {"known": ", ".join(ApiScope.values)},
            field="scopes",
        )
    return " ".join(scope for scope in ApiScope.values if scope in wanted)


def _api_client_facts(api_client: ApiClient) -> dict:
    """What the audit trail keeps of a client: never its secret."""
    return {
        "name": api_client.name,
        "client_id": api_client.application.client_id,
        "scopes": api_client.scopes,
        "service_user": api_client.service_user.get_username(),
    }


def api_client_create(
    *, organisation: Organisation, name: str, scopes: Iterable[str] = (ApiScope.READ,), actor=None
) -> tuple[ApiClient, str]:
    """A confidential OAuth2 client-credentials application acting for the organisation, with its service
    user (a member who cannot sign in) and the scopes it is granted. Returns the client and its secret,
    which is stored hashed and can be shown only now."""
    _require_admin(actor=actor, organisation=organisation)
    Application = get_application_model()
    secret = generate_client_secret()
    with transaction.atomic():
        application = Application(
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=secret,  # hashed by save() (hash_client_secret): read the plain text from `secret`
        )
        application.full_clean()
        application.save()
        service_user = get_user_model()(username=f"api-client-{application.client_id}", first_name=name[:150])
        service_user.set_unusable_password()
        service_user.full_clean()
        service_user.save()
        membership = Membership(user=service_user, organisation=organisation, role=MembershipRole.MEMBER)
        membership.full_clean()
        membership.save()
        api_client = ApiClient(
            organisation=organisation,
            application=application,
            service_user=service_user,
            name=name,
            scopes=_scopes_value(scopes),
            created_by=actor,
        )
        api_client.full_clean()
        api_client.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            obj=api_client,
            after=_api_client_facts(api_client),
        )
    return api_client, secret


def api_client_revoke(*, api_client: ApiClient, actor=None) -> None:
    """Delete the client's application with every token it was issued, so the client can neither use a
    token nor get one, and deactivate its service user (kept: audit events name it as an actor)."""
    _require_admin(actor=actor, organisation=api_client.organisation)
    with transaction.atomic():
        audit_record(
            actor=actor,
            organisation=api_client.organisation,
            action=AuditAction.REVOKED,
            obj=api_client,
            before=_api_client_facts(api_client),
        )
        service_user = api_client.service_user
        service_user.is_active = False
        service_user.save(update_fields=["is_active"])
        # Cascades to the ApiClient row and to the application's access and refresh tokens.
        api_client.application.delete()


def _token_audit_object(token: Token) -> TokenProxy:
    """The token as the audit trail names it: DRF's proxy whose pk is the owner's id, never the key."""
    return TokenProxy(key=token.key, user=token.user, created=token.created)


def personal_token_create(*, user) -> Token:
    """A new personal API token for the user, replacing (regenerating) the one they had, if any. The key
    is the credential: show it once and do not log it."""
    with transaction.atomic():
        previous = Token.objects.select_for_update().filter(user=user).first()
        if previous is not None:
            previous.delete()
        token = Token.objects.create(user=user)
        audit_record(
            actor=user,
            organisation=organisation_of(user),
            action=AuditAction.UPDATED if previous else AuditAction.CREATED,
            obj=_token_audit_object(token),
            before={"user": user.get_username(), "created": previous.created} if previous else None,
            after={"user": user.get_username(), "created": token.created},
        )
    return token


def personal_token_revoke(*, token: Token, actor) -> None:
    """Revoke a personal API token: its owner may, and so may an admin of the owner's organisation."""
    owner_organisation = organisation_of(token.user)
    if actor.pk != token.user_id and not (
        owner_organisation is not None and is_organisation_admin(user=actor, organisation=owner_organisation)
    ):
        raise ApplicationError(
            _("Only the token's owner or an admin of their organisation can revoke it."),
            status_code=status.HTTP_403_FORBIDDEN,
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            organisation=owner_organisation,
            action=AuditAction.REVOKED,
            obj=_token_audit_object(token),
            before={"user": token.user.get_username(), "created": token.created},
        )
        token.delete()
