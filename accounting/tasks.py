"""Celery tasks of the accounting side: thin wrappers that take ids and call services."""

from celery import shared_task

from . import services
from .choices import RollupTrigger


@shared_task(bind=True, acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def rollup_run_execute(self, run_id: int) -> None:
    services.rollup_run_execute(run_id=run_id)


@shared_task
def footprints_recompute_all() -> int:
    """Nightly full run over every vehicle model."""
    run = services.rollup_run_create(trigger=RollupTrigger.FULL, model_ids=None)
    services.rollup_run_execute(run_id=run.id)
    return run.id


@shared_task
def rollup_runs_sweep() -> list[int]:
    """Every few minutes: runs whose message was lost or whose worker died are sent again."""
    return services.rollup_runs_sweep()
