"""Fault tests: the platform under broken infrastructure, each scenario bounded in time.

Five fault scenarios:
1. test_worker_killed: a Celery worker (and its pool) killed with SIGKILL in the middle of a full
   recompute, inside a write transaction; a new worker and the sweep finish the run, with no duplicate
   revision and no half-written footprint.
2. test_broker_down: the broker stops while an auditor approves a declaration: the approval is kept and
   acknowledged; with the broker back, the sweep and a worker bring the affected footprints up to date.
3. test_database_restart (and test_db_unavailable_unit): the database stops and starts again under load:
   503 with Retry-After meanwhile (JSON under /api/ and /2/, a short page otherwise), never a 500, and the
   same web process answers 200 again afterwards.
4. test_slow_receivers (webhooks): a receiver that answers after the read timeout does not hold the worker:
   another delivery is made meanwhile, and the slow one is retried after its backoff.
5. test_slow_receivers (PACT): a partner host that does not answer in time is retried with backoff, then
   the request is closed as failed with the reason recorded.

Integration modules start real processes (Redis, PostgreSQL, Celery, gunicorn) of their own on loopback
ports and skip with a reason when Redis or PostgreSQL is absent (they fail under REQUIRE_INTEGRATION=1).
"""
