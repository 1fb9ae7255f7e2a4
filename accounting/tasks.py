"""Celery tasks of the accounting side: thin wrappers that take ids and call services.

A run of more than one chunk fans out as a chord: one `rollup_chunk_execute` per chunk in a group, and
`rollup_run_close` as the callback. A chunk task records its own failure and returns, so the chord always
reaches the callback, which closes the run as failed with the chunk's error; transient database or broker
errors are retried with exponential backoff first. Acks late: a chunk whose worker dies is delivered again.
"""

import logging

from celery import chord, group, shared_task
from django.db import InterfaceError, OperationalError

from . import services
from .choices import RollupTrigger

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError)
CHUNK_RETRIES = 3
# One chunk (1,000 models by default) takes a few seconds; these bound a stuck one.
CHUNK_SOFT_LIMIT_S = 300
CHUNK_HARD_LIMIT_S = 360


def _chunk(task, chunk_id: int) -> None:
    try:
        services.rollup_chunk_execute(chunk_id=chunk_id)
    except TRANSIENT_ERRORS as exc:
        if task.request.retries < CHUNK_RETRIES:
            raise task.retry(exc=exc, countdown=2 ** (task.request.retries + 1)) from exc
        logger.error("chunk %s gave up after %s retries", chunk_id, CHUNK_RETRIES)
    except Exception:  # SoftTimeLimitExceeded included
        pass  # recorded on the chunk by the service; the run is closed as failed by the callback


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=CHUNK_RETRIES,
    soft_time_limit=CHUNK_SOFT_LIMIT_S,
    time_limit=CHUNK_HARD_LIMIT_S,
)
def rollup_run_execute(self, run_id: int) -> None:
    """Start a run: a single chunk is computed right here (an approval's few hundred models), more fan out."""
    chunk_ids = services.rollup_run_start(run_id=run_id)
    if chunk_ids is None:
        return
    if len(chunk_ids) > 1:
        chord(
            group(rollup_chunk_execute.s(chunk_id) for chunk_id in chunk_ids), rollup_run_close.si(run_id)
        )()
        return
    for chunk_id in chunk_ids:
        _chunk(self, chunk_id)
    services.rollup_run_close(run_id=run_id)


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=False,  # a chord counts its header's results
    max_retries=CHUNK_RETRIES,
    soft_time_limit=CHUNK_SOFT_LIMIT_S,
    time_limit=CHUNK_HARD_LIMIT_S,
)
def rollup_chunk_execute(self, chunk_id: int) -> int:
    _chunk(self, chunk_id)
    return chunk_id


@shared_task(bind=True, acks_late=True, max_retries=120)
def rollup_run_close(self, run_id: int) -> None:
    """The chord's callback; if a redelivered chunk is still open it looks again a few seconds later."""
    if services.rollup_run_close(run_id=run_id) is None:
        raise self.retry(countdown=5)


@shared_task
def footprints_recompute_all() -> int:
    """Nightly full run over every vehicle model, fanned out in chunks."""
    run = services.rollup_run_create(trigger=RollupTrigger.FULL, model_ids=None)
    rollup_run_execute.delay(run.id)
    return run.id


@shared_task
def rollup_runs_sweep() -> list[int]:
    """Every few minutes: runs whose message was lost or whose worker died are sent again."""
    return services.rollup_runs_sweep()
