"""Fixtures of the fault tests: a Redis of the test's own that the app's Celery (this process and its
workers) talks to, and Celery workers started and cleaned up whatever happens."""

import tempfile
from pathlib import Path

import pytest

from carbon_platform.celery import app as celery_app

from ._stack import RedisServer, Worker, current_database_url, django_env, require_real_stack


def _reset_connections(app) -> None:
    """Forget the broker connections and result backend made with the previous URLs.

    kombu keeps its connection and producer pools in process-wide registries keyed by the connection: closing
    a pool without removing it leaves the next test that sends a task an "Acquire on closed pool"."""
    from kombu import pools

    pools.reset()
    app._pool = None
    try:
        app.__dict__["amqp"]._producer_pool = None
    except (AttributeError, KeyError):
        pass
    app._backend_cache = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@pytest.fixture
def real_stack(transactional_db):
    require_real_stack()


@pytest.fixture
def redis_server(real_stack):
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_broker(redis_server, monkeypatch):
    """This process's Celery sends to the test's own Redis, for real (not eagerly), for the test's duration."""
    # Celery reads these variables before its configuration: they would win over the settings below.
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    conf.broker_url = redis_server.url
    conf.result_backend = redis_server.url
    conf.task_always_eager = False
    _reset_connections(celery_app)
    try:
        yield redis_server
    finally:
        _reset_connections(celery_app)
        for key, value in saved.items():
            conf[key] = value


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="faults-") as directory:
        yield Path(directory)


@pytest.fixture
def start_worker(private_broker, workdir):
    """start_worker(**env) starts a worker on the private broker and the test database; all are stopped."""
    started: list[Worker] = []

    def start(*, pool: str = "solo", concurrency: int = 1, **env: str) -> Worker:
        worker = Worker(
            env=django_env(database_url=current_database_url(), broker_url=private_broker.url, **env),
            log=workdir / "worker.log",
            pool=pool,
            concurrency=concurrency,
        )
        started.append(worker)
        return worker.wait_ready()

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        if started:  # pytest shows this only when the test failed
            print("--- worker log (last 20,000 characters) ---\n" + started[-1].output())
