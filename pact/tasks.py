"""Celery tasks of the PACT host: answer a footprint request on the requester's host, and the sweep.

Delivery is retried with exponential backoff (30 s doubling, at most an hour apart: below the broker's
visibility timeout); after services.MAX_DELIVERY_ATTEMPTS, about four hours, well inside the spec's "no
retries beyond 3 days", the service closes the request as failed. Acks late: an answer whose worker died
is delivered again, with the same CloudEvents id.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services
from .outbound import DeliveryError

logger = logging.getLogger(__name__)

RETRY_FIRST_S = 30
RETRY_MAX_S = 3600


def retry_countdown(retries: int) -> int:
    return min(RETRY_FIRST_S * 2**retries, RETRY_MAX_S)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=services.MAX_DELIVERY_ATTEMPTS,
    soft_time_limit=120,
    time_limit=150,
)
def footprint_request_respond(self, request_id: int) -> None:
    try:
        services.footprint_request_respond(request_id=request_id)
    except (DeliveryError, OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc


@shared_task
def footprint_requests_sweep() -> list[int]:
    """Every few minutes: requests whose task was never sent (broker down) are sent again."""
    return services.footprint_requests_sweep()
