"""Celery tasks of the webhooks: thin wrappers that take ids and call services.

`webhook_deliver` makes one attempt per run and, when the service asks for another, retries itself after
the service's countdown (services.retry_countdown: 10 s, 30 s, 90 s, ... capped at 30 minutes). Bounded
timeouts keep an attempt short, and the task just returns: a slow endpoint never holds a worker long.
Acks late: an attempt whose worker died is delivered again, and the delivery's claim makes it harmless.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services

DB_RETRY_S = 30


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=services.MAX_ATTEMPTS + 3,  # the service counts attempts; a few spare for database hiccups
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver(self, delivery_id: int) -> None:
    try:
        retry_in_s = services.delivery_attempt(delivery_id=delivery_id)
    except (OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=DB_RETRY_S) from exc
    if retry_in_s is not None:
        raise self.retry(countdown=retry_in_s)


@shared_task
def webhook_deliveries_sweep() -> list[int]:
    """Every few minutes: deliveries whose task or retry was lost (broker down, worker gone) are sent again."""
    return services.deliveries_sweep()
