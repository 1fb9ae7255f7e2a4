"""Celery tasks of the supplier side: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task
def declarations_expire() -> int:
    """Daily: approved declarations past valid-until become expired; their models are recomputed."""
    return services.declarations_expire()


@shared_task(bind=True, acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def import_batch_validate(self, batch_id: int) -> None:
    """Validate a large upload in the background; the preview page polls its progress."""
    services.import_batch_validate(batch_id=batch_id)
