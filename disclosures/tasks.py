"""Celery tasks of the supplier side: thin wrappers around services."""

from celery import shared_task

from . import services


@shared_task
def declarations_expire() -> int:
    """Daily: approved declarations past valid-until become expired; their models are recomputed."""
    return services.declarations_expire()
