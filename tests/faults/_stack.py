"""Processes the fault tests start and break on purpose: a Redis of their own, a PostgreSQL cluster of their
own, Celery workers and gunicorn. Loopback only, every wait bounded; each `stop()` is safe to call twice."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


def require_real_stack(*, postgres_binaries: bool = False) -> None:
    """Skip (fail under REQUIRE_INTEGRATION=1) unless Redis and PostgreSQL are there, as tests/integration."""
    reasons = []
    if not BROKER_URL.startswith("redis://"):
        reasons.append("CELERY_BROKER_URL is not a Redis URL")
    if connection.vendor != "postgresql":
        reasons.append("the database is not PostgreSQL")
    if shutil.which("redis-server") is None:
        reasons.append("redis-server is not installed")
    if postgres_binaries and not (PG_BIN / "initdb").exists():
        reasons.append(f"no PostgreSQL binaries in {PG_BIN}")
    if reasons:
        message = "fault test needs Redis and PostgreSQL: " + "; ".join(reasons)
        if os.environ.get("REQUIRE_INTEGRATION") == "1":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, *, timeout_s: float, interval_s: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """Every process below pid (from /proc), deepest last."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
                found.extend(children)
                queue.extend(children)
        except OSError:
            pass
    return found


def kill_tree(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    """Signal a process we started and every process below it, by id."""
    pids = [process.pid, *descendants(process.pid)]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


class RedisServer:
    """`redis-server` on a free loopback port, in the foreground as our child; stop and start it at will."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), timeout_s=10, what=f"redis-server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not _port_open(self.port), timeout_s=10, what="redis-server to stop")


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb in a temporary directory) on a free loopback port."""

    def __init__(self):
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self.initialised = False

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> "PostgresCluster":
        _as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"],
            timeout=60,
        )
        self.initialised = True
        return self

    def start(self) -> None:
        _as_postgres(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "30",
                "-o",
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off",
                "start",
            ],
            timeout=60,
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", "-m", mode, "stop"], timeout=60
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def psql(self, sql: str, database: str = "postgres") -> None:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-qc", sql],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def destroy(self) -> None:
        try:
            if self.initialised and self.running():
                self.stop(mode="immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def django_env(*, database_url: str, broker_url: str, **extra: str) -> dict:
    """The environment of a web or worker process of the app under test."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carbon_platform.test_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def current_database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    database = connection.settings_dict
    return (
        f"postgres://{database['USER']}:{database.get('PASSWORD') or ''}@{database['HOST'] or '127.0.0.1'}"
        f":{database['PORT'] or 5432}/{database['NAME']}"
    )


class Worker:
    """A `celery worker` process (tests/celery_worker_main.py) logging to a file; ready once it says so."""

    def __init__(
        self, *, env: dict, log: Path, pool: str = "solo", concurrency: int = 1, name: str = "faults"
    ):
        self.log = log
        self.handle = open(log, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "celery_worker_main.py"),
                "-A",
                "carbon_platform",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname={name}-{os.getpid()}-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )
        self._ready_at = log.stat().st_size if log.exists() else 0

    def wait_ready(self, timeout_s: float = 60) -> "Worker":
        def ready():
            if self.process.poll() is not None:
                raise AssertionError("the Celery worker exited:\n" + self.output())
            return b"ready." in self.log.read_bytes()[self._ready_at :]

        try:
            wait_for(ready, timeout_s=timeout_s, interval_s=0.2, what="the Celery worker")
        except AssertionError:
            self.stop()
            raise
        return self

    def output(self) -> str:
        return self.log.read_bytes()[-20000:].decode(errors="replace")

    def kill(self) -> None:
        kill_tree(self.process, signal.SIGKILL)
        self.handle.close()

    def stop(self) -> None:
        pool = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kill_tree(self.process, signal.SIGKILL)
        for pid in pool:  # a pool process left behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.handle.close()
