"""Writes of the webhooks: subscriptions, the events that become deliveries, and each delivery attempt.

Events are matched in a few queries however many models a run touched, and every delivery is sent by its
own Celery task (tasks.webhook_deliver), which calls `delivery_attempt` once per attempt and waits
`retry_countdown` seconds before the next: 10 s, 30 s, 90 s, 270 s, 810 s, then every 30 minutes, for
MAX_ATTEMPTS attempts in all (about 1 h 20 min). Connection errors, timeouts, 408, 429 and 5xx answers are
tried again; any other answer that is not 2xx (a 3xx too: redirects are not followed) fails the delivery at
once, and a failed delivery can be sent again by hand (`delivery_redeliver`).
"""

import logging
import secrets
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounting.models import BomLine, Footprint, RollupRun
from carbon_platform.api import ApplicationError, reject_unknown_fields
from carbon_platform.tenancy.choices import AuditAction, OrganisationKind
from carbon_platform.tenancy.selectors import organisation_of
from carbon_platform.tenancy.services import audit_record
from disclosures.models import Declaration, Review

from . import outbound
from .choices import DeliveryStatus, EventType
from .models import Delivery, Subscription

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_FIRST_S = 10
RETRY_FACTOR = 3
# Below the Redis broker's visibility timeout (an hour), past which a waiting message is handed out twice.
RETRY_MAX_S = 1800
RETRYABLE_STATUS_CODES = {408, 429}
# While an attempt runs, the delivery is not due again for this long (more than the task's time limit), so a
# duplicate message does nothing; an attempt whose worker died is picked up by the sweep afterwards.
ATTEMPT_LEASE = timedelta(minutes=3)
# A pending delivery this long past its due time lost its task (broker down, worker gone): the sweep sends it.
SWEEP_AFTER = timedelta(minutes=5)
# footprint.changed: the models of one run matched by one subscription go in deliveries of at most this many.
FOOTPRINT_MODELS_PER_DELIVERY = 200
ERROR_MAX_CHARS = 2000

SUBSCRIPTION_FIELDS = [
    "target_url",
    "description",
    "event_types",
    "threshold_pct",
    "threshold_kg_co2e",
    "is_active",
]


def retry_countdown(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed attempt: 10, 30, 90, 270, 810, then 1800."""
    return min(RETRY_FIRST_S * RETRY_FACTOR ** (attempts - 1), RETRY_MAX_S)


# --- subscriptions ---------------------------------------------------------------------------------------


def _carmaker_of(actor):
    organisation = organisation_of(actor)
    if organisation is None or organisation.kind != OrganisationKind.CARMAKER:
        raise ApplicationError(_("Only carmakers subscribe to webhooks."), status_code=403)
    return organisation


def _owned(actor, subscription: Subscription):
    organisation = _carmaker_of(actor)
    if subscription.organisation_id != organisation.id or subscription.is_revoked:
        raise ApplicationError(_("No such webhook subscription."), status_code=404)
    return organisation


def _snapshot(subscription: Subscription) -> dict:
    """What the audit trail keeps of a subscription: everything but its secret."""
    return model_to_dict(subscription, fields=SUBSCRIPTION_FIELDS)


def subscription_create(*, actor, data: dict) -> Subscription:
    """A carmaker subscribes an endpoint to events; the new secret is on the returned object, for the caller
    to show once (the owner can read it again later; nobody else ever sees it)."""
    organisation = _carmaker_of(actor)
    reject_unknown_fields(data, SUBSCRIPTION_FIELDS)
    subscription = Subscription(
        organisation=organisation, created_by=actor, secret=secrets.token_urlsafe(32), **data
    )
    with transaction.atomic():
        subscription.full_clean()
        subscription.save()
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.CREATED,
            obj=subscription,
            after=_snapshot(subscription),
        )
    return subscription


def subscription_update(*, actor, subscription: Subscription, data: dict) -> Subscription:
    """Change the URL, events, thresholds, description or active flag; the audit event keeps the diff."""
    organisation = _owned(actor, subscription)
    reject_unknown_fields(data, SUBSCRIPTION_FIELDS)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = _snapshot(subscription)
        for name, value in data.items():
            setattr(subscription, name, value)
        subscription.full_clean()
        subscription.save()
        after = _snapshot(subscription)
        changed = sorted(name for name in after if before[name] != after[name])
        if changed:
            audit_record(
                actor=actor,
                organisation=organisation,
                action=AuditAction.UPDATED,
                obj=subscription,
                before={name: before[name] for name in changed},
                after={name: after[name] for name in changed},
            )
    return subscription


def subscription_revoke(*, actor, subscription: Subscription) -> Subscription:
    """Stop a subscription for good: no more events, its secret erased, its pending deliveries failed. The
    row and its delivery log stay for the audit trail."""
    organisation = _owned(actor, subscription)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        before = _snapshot(subscription)
        now = timezone.now()
        subscription.revoked_at, subscription.is_active, subscription.secret = now, False, ""
        subscription.save(update_fields=["revoked_at", "is_active", "secret", "updated_at"])
        Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED,
            error=_("The subscription was revoked."),
            next_attempt_at=None,
            finished_at=now,
        )
        audit_record(
            actor=actor,
            organisation=organisation,
            action=AuditAction.REVOKED,
            obj=subscription,
            before=before,
            after={**_snapshot(subscription), "revoked_at": now},
        )
    return subscription


def subscription_secret(*, actor, subscription: Subscription) -> str:
    """The signing secret, for the carmaker that owns the subscription only."""
    _owned(actor, subscription)
    return subscription.secret


# --- events ----------------------------------------------------------------------------------------------


def _envelope(event_type: str, data: dict) -> tuple[str, dict]:
    """The event id and the JSON body every event shares: id, type, creation time and the event's data."""
    event_id = str(uuid.uuid4())
    return event_id, {
        "id": event_id,
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }


def _delivery(subscription: Subscription, event_type: str, data: dict) -> Delivery:
    event_id, payload = _envelope(event_type, data)
    return Delivery(
        subscription=subscription,
        event_type=event_type,
        event_id=event_id,
        payload=payload,
        next_attempt_at=timezone.now(),
    )


def _deliveries_save(deliveries: list[Delivery]) -> list[Delivery]:
    """Store new deliveries in one insert and send their tasks once that has committed."""
    if not deliveries:
        return []
    with transaction.atomic():
        created = Delivery.objects.bulk_create(deliveries, batch_size=500)
        ids = [delivery.pk for delivery in created]
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids=ids))
    return created


def deliveries_enqueue(*, delivery_ids: list[int]) -> None:
    """Send each delivery's task; a broker that is down leaves them pending for the sweep."""
    from celery.exceptions import Retry

    from .tasks import webhook_deliver

    for delivery_id in delivery_ids:
        try:
            webhook_deliver.delay(delivery_id)
        except Retry:  # in-process tasks cannot wait: the next attempt stays scheduled for the sweep
            pass
        except Exception:  # a broker that is down must not fail the change that caused the event
            logger.exception("could not send the task of webhook delivery %s; the sweep will", delivery_id)


def _active_subscriptions():
    return Subscription.objects.filter(
        organisation__kind=OrganisationKind.CARMAKER, is_active=True, revoked_at__isnull=True
    )


def _subscribed(event_type: str, organisation_ids=None) -> list[Subscription]:
    """Active subscriptions to this event type, of these carmakers or of all (one query: there are a few per
    carmaker, so the event types are matched here rather than in SQL)."""
    candidates = _active_subscriptions().order_by("id")
    if organisation_ids is not None:
        candidates = candidates.filter(organisation_id__in=list(organisation_ids))
    return [subscription for subscription in candidates if event_type in subscription.event_types]


def anyone_subscribed(*, event_type: str) -> bool:
    """Whether any active subscription wants this event type: the callers that emit events register nothing
    on commit when none does (one small query)."""
    return any(event_type in types for types in _active_subscriptions().values_list("event_types", flat=True))


def footprint_change_exceeds(
    *, previous_kg: Decimal, new_kg: Decimal, threshold_pct: Decimal | None, threshold_kg: Decimal | None
) -> bool:
    """Whether a total moved by more than either threshold (strictly); with none set, whether it moved at all.

    From a previous total of 0 any change exceeds a percent threshold."""
    delta = abs(new_kg - previous_kg)
    if delta == 0:
        return False
    if threshold_pct is None and threshold_kg is None:
        return True
    if threshold_kg is not None and delta > threshold_kg:
        return True
    if threshold_pct is not None and (previous_kg == 0 or delta * 100 / previous_kg > threshold_pct):
        return True
    return False


def _decimal_text(value: Decimal | None, places: int = 4) -> str | None:
    return None if value is None else f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def _model_change(footprint: Footprint) -> dict:
    previous, new = footprint.previous_total_kg_co2e, footprint.total_kg_co2e
    model = footprint.vehicle_model
    return {
        "vehicle_model_id": model.pk,
        "name": str(model),
        "brand": model.brand,
        "model_name": model.model_name,
        "variant": model.variant,
        "model_year": model.model_year,
        "external_id": model.external_id,
        "previous_revision": footprint.revision - 1,
        "revision": footprint.revision,
        "previous_total_kg_co2e": _decimal_text(previous),
        "total_kg_co2e": _decimal_text(new),
        "delta_kg_co2e": _decimal_text(new - previous),
        "delta_pct": None if previous == 0 else _decimal_text((new - previous) * 100 / previous),
    }


def _run_cause(run: RollupRun) -> dict:
    """What made the run: its trigger and what triggered it, labelled as the footprint history labels it."""
    from accounting.selectors import run_causes  # as the footprint history names it

    return {
        "rollup_run_id": run.pk,
        "trigger": run.trigger,
        "trigger_object": run.trigger_object,
        "description": run_causes([run], supplier_detail=True)[run.pk],
        "run_status": run.status,
        "run_finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def footprint_events_emit(*, run: RollupRun) -> list[Delivery]:
    """After a rollup run closed: for each active footprint.changed subscription, the models of its carmaker
    whose revision written by this run moved from the previous revision by more than its threshold.

    A model's first footprint is no change and sends nothing. The matches of one subscription go out in
    deliveries of up to FOOTPRINT_MODELS_PER_DELIVERY models (`part` of `parts`), each naming the run as the
    cause. A handful of queries and one insert, whatever the number of models or subscriptions."""
    if not run.footprints_written:
        return []
    subscriptions = _subscribed(EventType.FOOTPRINT_CHANGED)
    if not subscriptions:
        return []
    previous = Footprint.objects.filter(
        vehicle_model_id=OuterRef("vehicle_model_id"), revision=OuterRef("revision") - 1
    ).values("total_kg_co2e")[:1]
    revisions = (
        Footprint.objects.filter(
            run=run, vehicle_model__carmaker_id__in={s.organisation_id for s in subscriptions}
        )
        .annotate(previous_total_kg_co2e=Subquery(previous))
        .filter(previous_total_kg_co2e__isnull=False)
        .select_related("vehicle_model")
        .only(
            "revision",
            "total_kg_co2e",
            "vehicle_model__carmaker_id",
            "vehicle_model__brand",
            "vehicle_model__model_name",
            "vehicle_model__variant",
            "vehicle_model__model_year",
            "vehicle_model__external_id",
        )
        .order_by("vehicle_model_id")
    )
    by_carmaker: dict[int, list[Footprint]] = defaultdict(list)
    for footprint in revisions:
        by_carmaker[footprint.vehicle_model.carmaker_id].append(footprint)
    if not by_carmaker:
        return []
    with translation.override("en"):
        cause = _run_cause(run)
    deliveries = []
    for subscription in subscriptions:
        changed = [
            _model_change(footprint)
            for footprint in by_carmaker.get(subscription.organisation_id, [])
            if footprint_change_exceeds(
                previous_kg=footprint.previous_total_kg_co2e,
                new_kg=footprint.total_kg_co2e,
                threshold_pct=subscription.threshold_pct,
                threshold_kg=subscription.threshold_kg_co2e,
            )
        ]
        parts = (len(changed) + FOOTPRINT_MODELS_PER_DELIVERY - 1) // FOOTPRINT_MODELS_PER_DELIVERY
        for part in range(parts):
            start = part * FOOTPRINT_MODELS_PER_DELIVERY
            data = {
                "cause": cause,
                "thresholds": {
                    "threshold_pct": _decimal_text(subscription.threshold_pct, 3),
                    "threshold_kg_co2e": _decimal_text(subscription.threshold_kg_co2e),
                },
                "part": part + 1,
                "parts": parts,
                "models": changed[start : start + FOOTPRINT_MODELS_PER_DELIVERY],
            }
            deliveries.append(_delivery(subscription, EventType.FOOTPRINT_CHANGED, data))
    return _deliveries_save(deliveries)


def _declaration_cause(declaration: Declaration, event_type: str, on: date | None) -> dict:
    if event_type == EventType.DECLARATION_APPROVED:
        review = (
            Review.objects.filter(declaration=declaration, decision="approve")
            .select_related("reviewer_organisation")
            .order_by("-created_at", "-id")
            .first()
        )
        return {
            "kind": "auditor_review",
            "description": "Approved by auditor review",
            "reviewer_organisation": review.reviewer_organisation.name if review else None,
            "decided_at": declaration.decided_at.isoformat() if declaration.decided_at else None,
        }
    expired_on = on or timezone.localdate()
    return {
        "kind": "validity_ended",
        "description": f"Expired on {expired_on.isoformat()} (valid until {declaration.valid_until.isoformat()})",
        "valid_until": declaration.valid_until.isoformat(),
        "expired_on": expired_on.isoformat(),
    }


def declaration_event_emit(*, declaration_id: int, event_type: str, on: date | None = None) -> list[Delivery]:
    """After a declaration was approved or expired: one delivery to each subscription of the event type of
    every carmaker whose BOM lines buy the declaration's product, naming that carmaker's models that use it.
    `on` is the day an expiry took effect (today when not given). Four queries and one insert."""
    if event_type not in (EventType.DECLARATION_APPROVED, EventType.DECLARATION_EXPIRED):
        raise ValueError(f"not a declaration event: {event_type}")
    declaration = (
        Declaration.objects.select_related("product__supplier", "product__material")
        .filter(pk=declaration_id)
        .first()
    )
    if declaration is None:
        return []
    models_by_carmaker: dict[int, list[int]] = defaultdict(list)
    for carmaker_id, model_id in (
        BomLine.objects.filter(supplier_product_id=declaration.product_id)
        .values_list("vehicle_model__carmaker_id", "vehicle_model_id")
        .distinct()
        .order_by("vehicle_model__carmaker_id", "vehicle_model_id")
    ):
        models_by_carmaker[carmaker_id].append(model_id)
    subscriptions = _subscribed(event_type, models_by_carmaker) if models_by_carmaker else []
    if not subscriptions:
        return []
    product = declaration.product
    described = {
        "id": declaration.pk,
        "registration_number": declaration.registration_number,
        "version": declaration.version,
        "status": declaration.status,
        "issue_date": declaration.issue_date.isoformat(),
        "valid_until": declaration.valid_until.isoformat(),
        "product": {"id": product.pk, "name": product.name, "material": product.material.code},
        "supplier": {"id": product.supplier_id, "name": product.supplier.name},
    }
    cause = _declaration_cause(declaration, event_type, on)
    return _deliveries_save(
        [
            _delivery(
                subscription,
                event_type,
                {
                    "declaration": described,
                    "cause": cause,
                    "vehicle_model_ids": models_by_carmaker[subscription.organisation_id],
                },
            )
            for subscription in subscriptions
        ]
    )


def subscription_test_send(*, actor, subscription: Subscription) -> Delivery:
    """A test event to the subscription's endpoint, signed like every other, to check the receiving side."""
    organisation = _owned(actor, subscription)
    if not subscription.is_active:
        raise ApplicationError(_("The subscription is not active; activate it first."))
    (delivery,) = _deliveries_save(
        [
            _delivery(
                subscription,
                EventType.TEST,
                {
                    "message": "A test event, sent on request. Check its signature as you would any event's.",
                    "subscription_id": subscription.pk,
                    "organisation": organisation.name,
                    "requested_by": actor.get_username(),
                },
            )
        ]
    )
    return delivery


def delivery_redeliver(*, actor, delivery: Delivery) -> Delivery:
    """Send a failed delivery again: a new delivery with the same event id and payload, attempts from zero."""
    _owned(actor, delivery.subscription)
    if delivery.status != DeliveryStatus.FAILED:
        raise ApplicationError(_("Only a failed delivery can be sent again."))
    if not delivery.subscription.is_active:
        raise ApplicationError(_("The subscription is not active; activate it first."))
    with transaction.atomic():
        Delivery.objects.select_for_update().filter(pk=delivery.pk).first()
        again = delivery.redeliveries.order_by("id").first()
        if again is not None:
            raise ApplicationError(
                _("This delivery was already sent again as delivery %(id)d.") % {"id": again.pk}
            )
        (redelivery,) = _deliveries_save(
            [
                Delivery(
                    subscription=delivery.subscription,
                    event_type=delivery.event_type,
                    event_id=delivery.event_id,
                    payload=delivery.payload,
                    redelivery_of=delivery,
                    next_attempt_at=timezone.now(),
                )
            ]
        )
    return redelivery


# --- attempts --------------------------------------------------------------------------------------------


def _fail(delivery_id: int, error: str) -> None:
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED,
        error=error[:ERROR_MAX_CHARS],
        next_attempt_at=None,
        finished_at=timezone.now(),
    )


def delivery_attempt(*, delivery_id: int) -> int | None:
    """Make one attempt at a pending, due delivery; returns the seconds to wait before the next attempt, or
    None when there is none to make (delivered, failed for good, or not this message's turn).

    The attempt is claimed with a conditional update on the attempt count, so two messages for one delivery
    never both send it; every attempt is recorded on the delivery, its answer or its error."""
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    now = timezone.now()
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return None  # a duplicate or early message; the one due then makes the attempt
    subscription = delivery.subscription
    if subscription.is_revoked or not subscription.is_active:
        _fail(delivery.pk, _("The subscription is not active."))
        return None
    attempt = delivery.attempts + 1
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
    ).update(attempts=attempt, last_attempt_at=now, next_attempt_at=now + ATTEMPT_LEASE)
    if not claimed:
        return None
    body = outbound.body_of(delivery.payload)
    headers = outbound.signed_headers(
        secret=subscription.secret,
        event_id=str(delivery.event_id),
        event_type=delivery.event_type,
        body=body,
        now_s=now.timestamp(),
    )
    answer, error, final = None, "", False
    try:
        answer = outbound.post(
            subscription.target_url,
            body=body,
            headers=headers,
            connect_timeout_s=settings.WEBHOOKS_CONNECT_TIMEOUT_S,
            read_timeout_s=settings.WEBHOOKS_READ_TIMEOUT_S,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES,
        )
    except outbound.AddressRefused as refused:
        error, final = str(refused), True
    except outbound.TransportError as failure:
        error = str(failure)
    if answer is not None and not 200 <= answer.status_code < 300:
        retryable = answer.status_code in RETRYABLE_STATUS_CODES or answer.status_code >= 500
        error, final = f"HTTP {answer.status_code}", not retryable
    finished = timezone.now()
    succeeded = answer is not None and not error
    retry_in_s = None if succeeded or final or attempt >= MAX_ATTEMPTS else retry_countdown(attempt)
    entry = {
        "attempt": attempt,
        "at": now.isoformat(),
        "status_code": answer.status_code if answer else None,
        "error": error[:200],
        "duration_ms": answer.duration_ms if answer else round((finished - now).total_seconds() * 1000),
    }
    outcome = {
        "last_status_code": answer.status_code if answer else None,
        "response_body_excerpt": answer.body_excerpt if answer else "",
        "error": error[:ERROR_MAX_CHARS],
        "attempt_log": [*delivery.attempt_log, entry],
    }
    if retry_in_s is None:
        outcome.update(
            status=DeliveryStatus.SUCCEEDED if succeeded else DeliveryStatus.FAILED,
            next_attempt_at=None,
            finished_at=finished,
        )
    else:
        outcome.update(next_attempt_at=finished + timedelta(seconds=retry_in_s))
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=attempt).update(**outcome)
    if not succeeded:
        logger.info("webhook delivery %s, attempt %s: %s", delivery.pk, attempt, error)
    return retry_in_s


def deliveries_sweep(*, now=None) -> list[int]:
    """Send again the task of every pending delivery long past its due time; returns their ids."""
    now = now or timezone.now()
    stale = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__lt=now - SWEEP_AFTER) | Q(next_attempt_at__isnull=True))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    deliveries_enqueue(delivery_ids=stale)
    return stale
