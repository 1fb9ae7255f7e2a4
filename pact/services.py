"""Writes of the PACT host: PACT ids, API clients, received events and the answers to footprint requests."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from carbon_platform.tenancy.choices import ApiScope
from carbon_platform.tenancy.models import ApiClient, Organisation
from carbon_platform.tenancy.services import api_client_create

from . import outbound, selectors, serializers
from .choices import EventType, FootprintRequestStatus
from .errors import PactError
from .models import FootprintRequest, InboundEvent, Partner, ProductFootprintId

logger = logging.getLogger(__name__)

# Delivery attempts before a request is closed as failed: the first and ten retries, about four hours of
# exponential backoff (tasks.retry_countdown), well inside the spec's "no retries beyond 3 days".
MAX_DELIVERY_ATTEMPTS = 11
# A pending request never tried after this long lost its task (broker down when it was sent), and one whose
# last attempt is older than the longest backoff plus this lost its retry (a worker gone, or in-process tasks
# that cannot wait): the sweep sends both again.
SWEEP_PENDING_AFTER = timedelta(minutes=2)
SWEEP_RETRY_AFTER = timedelta(hours=1, minutes=15)


def pf_ids_assign(
    *, footprint_ids: Iterable[int] = (), declaration_ids: Iterable[int] = ()
) -> tuple[dict[int, UUID], dict[int, UUID]]:
    """The PACT id of each footprint revision and declaration, by row id; rows without one get a new
    UUID v4. Concurrent callers agree: the first insert of a row's id wins and the others read it."""
    wanted = {"footprint_id": set(footprint_ids), "declaration_id": set(declaration_ids)}

    def known() -> tuple[dict[int, UUID], dict[int, UUID]]:
        return tuple(
            dict(ProductFootprintId.objects.filter(**{f"{column}__in": ids}).values_list(column, "pf_id"))
            if ids
            else {}
            for column, ids in wanted.items()
        )

    by_footprint, by_declaration = known()
    missing = [ProductFootprintId(footprint_id=i) for i in wanted["footprint_id"] - by_footprint.keys()] + [
        ProductFootprintId(declaration_id=i) for i in wanted["declaration_id"] - by_declaration.keys()
    ]
    if missing:
        ProductFootprintId.objects.bulk_create(missing, ignore_conflicts=True, batch_size=500)
        by_footprint, by_declaration = known()
    return by_footprint, by_declaration


def pact_client_create(*, organisation: Organisation, name: str, actor=None) -> tuple[ApiClient, str]:
    """A read-only API client of the organisation (what every PACT action needs); returns it and its secret,
    which is stored hashed and can be shown only now."""
    return api_client_create(organisation=organisation, name=name, scopes=[ApiScope.READ], actor=actor)


def _host_key(url: str) -> tuple[str, int] | None:
    """(host, port) of a URL or of a CloudEvents source such as //host/subpath; https when no scheme."""
    parts = urlsplit(url if "//" in url else f"//{url}")
    if not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname.lower(), port or (80 if parts.scheme == "http" else 443)


def partner_for_source(*, organisation: Organisation, source: str) -> Partner | None:
    """The organisation's active partner host that an event's `source` names, or None (the spec: validate
    the source before sending the answer there)."""
    key = _host_key(source)
    if key is None:
        return None
    for partner in Partner.objects.filter(organisation=organisation, is_active=True).order_by("pk"):
        if _host_key(partner.base_url) == key:
            return partner
    return None


def event_receive(
    *, api_client: ApiClient, event: serializers.IncomingEvent, reply_source: str
) -> FootprintRequest | None:
    """Record an accepted event; a RequestCreated event also gets a pending FootprintRequest, returned so
    that the caller sends its task. A redelivered event (same source and id) is accepted and ignored."""
    organisation = api_client.organisation
    partner = None
    if event.type == EventType.REQUEST_CREATED:
        partner = partner_for_source(organisation=organisation, source=event.source)
        if partner is None:
            raise PactError(
                "BadRequest",
                f"The event source '{event.source}' is not a PACT host registered for your organisation, so no "
                "answer could be sent to it; ask the platform operator to register it.",
            )
    with transaction.atomic():
        inbound, created = InboundEvent.objects.get_or_create(
            organisation=organisation,
            source=event.source,
            event_id=event.id,
            defaults={
                "application": api_client.application,
                "type": event.type,
                "time": event.time,
                "data": event.data,
            },
        )
        if not created or partner is None:
            return None
        return FootprintRequest.objects.create(event=inbound, partner=partner, reply_source=reply_source)


def footprint_request_enqueue(*, request_id: int) -> None:
    """Send the answering task; a broker that is down leaves the request pending for the sweep."""
    from celery.exceptions import Retry

    from .tasks import footprint_request_respond

    try:
        footprint_request_respond.delay(request_id)
    except Retry:  # in-process tasks cannot wait for a retry: the request stays pending for the sweep
        logger.warning("footprint request %s: delivery failed, left pending for the sweep", request_id)
    except Exception:  # a broker that is down must not fail the caller
        logger.exception("could not send the task answering footprint request %s; the sweep will", request_id)


def _answer(request: FootprintRequest) -> dict:
    """The response event: Fulfilled with the readable Active PFs of the requested products, else Rejected
    with the reason (BadRequest, NoSuchFootprint, AccessDenied, or InternalError)."""
    event = request.event

    def rejected(error: PactError) -> dict:
        return serializers.response_event(
            event_type=EventType.REQUEST_REJECTED,
            source=request.reply_source,
            request_event_id=event.event_id,
            error=error.body(),
        )

    fragment = event.data.get("pf")
    try:
        if not isinstance(fragment, dict):
            raise PactError("BadRequest", "The request's data.pf is not a ProductFootprintFragment object.")
        product_ids = fragment.get("productIds")
        if not isinstance(product_ids, list) or not all(isinstance(urn, str) for urn in product_ids):
            raise PactError(
                "NoSuchFootprint", "The request names no productIds, so no product could be identified."
            )
        pfs = selectors.pfs_matching_request(organisation=event.organisation, product_urns=product_ids)
        return serializers.response_event(
            event_type=EventType.REQUEST_FULFILLED,
            source=request.reply_source,
            request_event_id=event.event_id,
            pfs=[serializers.product_footprint(pf) for pf in pfs],
        )
    except PactError as error:
        return rejected(error)
    except (OperationalError, InterfaceError):
        raise  # transient: the task tries again
    except Exception:
        logger.exception("footprint request %s could not be answered", request.pk)
        return rejected(PactError("InternalError"))


def footprint_request_respond(*, request_id: int) -> FootprintRequest | None:
    """Build the answer to a footprint request once, then deliver it to the requester's host.

    Raises outbound.DeliveryError when the host cannot be reached or does not accept, unless that was the
    last allowed attempt: then the request is closed as failed. Every attempt sends the same event (same
    CloudEvents id), so a requester that received it twice can tell."""
    request = (
        FootprintRequest.objects.select_related("event__organisation", "partner")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.status != FootprintRequestStatus.PENDING:
        return request
    if request.response_event is None:
        request.response_event = _answer(request)
        request.response_type = request.response_event["type"]
        request.error_code = request.response_event["data"].get("error", {}).get("code", "")
        request.save(update_fields=["response_event", "response_type", "error_code", "updated_at"])
    if request.partner is None or not request.partner.is_active:
        footprint_request_give_up(request_id=request.pk, error="The requester's partner host was removed.")
        return request
    try:
        outbound.post_event(request.partner, request.response_event)
    except outbound.DeliveryError as error:
        FootprintRequest.objects.filter(pk=request.pk).update(
            attempts=F("attempts") + 1, last_error=str(error)[:2000], updated_at=timezone.now()
        )
        if request.attempts + 1 >= MAX_DELIVERY_ATTEMPTS:
            footprint_request_give_up(request_id=request.pk, error=str(error))
            return request
        raise
    delivered = (
        FootprintRequestStatus.FULFILLED
        if request.response_type == EventType.REQUEST_FULFILLED
        else FootprintRequestStatus.REJECTED
    )
    FootprintRequest.objects.filter(pk=request.pk, status=FootprintRequestStatus.PENDING).update(
        status=delivered,
        attempts=F("attempts") + 1,
        last_error="",
        responded_at=timezone.now(),
        updated_at=timezone.now(),
    )
    request.refresh_from_db()
    return request


def footprint_request_give_up(*, request_id: int, error: str) -> None:
    """The answer could not be delivered within the retries: the request is closed as failed."""
    logger.error("giving up on footprint request %s: %s", request_id, error)
    FootprintRequest.objects.filter(pk=request_id, status=FootprintRequestStatus.PENDING).update(
        status=FootprintRequestStatus.FAILED, last_error=error[:2000], updated_at=timezone.now()
    )


def footprint_requests_sweep(*, now: datetime | None = None) -> list[int]:
    """Send again the task of every pending request whose task or retry was lost; returns their ids."""
    now = now or timezone.now()
    stale = list(
        FootprintRequest.objects.filter(status=FootprintRequestStatus.PENDING)
        .filter(
            Q(attempts=0, created_at__lt=now - SWEEP_PENDING_AFTER)
            | Q(attempts__gt=0, updated_at__lt=now - SWEEP_RETRY_AFTER)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for request_id in stale:
        footprint_request_enqueue(request_id=request_id)
    return stale
