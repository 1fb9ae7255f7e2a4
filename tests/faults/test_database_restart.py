"""Fault 3 (see tests/faults/__init__.py): the database stops and starts again while requests keep coming.

A PostgreSQL cluster of the test's own (the shared server is never restarted), migrated and seeded, behind
gunicorn (one worker process, four threads). While `pg_ctl stop -m fast` has it down, every request answers
503 with Retry-After: JSON under /api/, a short page otherwise; never a 500. Once it is started again the
same worker process answers 200 without being restarted."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import pytest

from ._stack import ROOT, PostgresCluster, descendants, django_env, free_port, require_real_stack, wait_for

pytestmark = pytest.mark.integration

DATABASE = "faults_web"


@dataclass
class Answer:
    path: str
    sent: float
    received: float
    status: int  # 0: no HTTP answer at all
    headers: dict
    body: bytes


def _get(port: int, path: str, headers: dict) -> Answer:
    sent = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **headers})
        response = connection.getresponse()
        body = response.read()
        return Answer(path, sent, time.monotonic(), response.status, dict(response.getheaders()), body)
    except OSError as error:
        return Answer(path, sent, time.monotonic(), 0, {}, repr(error).encode())
    finally:
        connection.close()


@pytest.fixture
def web(workdir):
    """gunicorn serving the app on its own PostgreSQL cluster: (cluster, port, process, credentials)."""
    require_real_stack(postgres_binaries=True)
    cluster = PostgresCluster()
    gunicorn = None
    log = open(workdir / "gunicorn.log", "ab")  # noqa: SIM115
    try:
        cluster.init()
        cluster.start()
        cluster.psql(f"CREATE DATABASE {DATABASE}")
        env = django_env(
            database_url=cluster.url(DATABASE),
            broker_url="",
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="False",
            SECURE_HSTS_SECONDS="0",
            CONN_MAX_AGE="60",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        seeded = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "faults" / "_seed_web.py")],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
        credentials = json.loads(seeded.stdout.strip().splitlines()[-1])
        port = free_port()
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "carbon_platform.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--threads=4",
                "--timeout=30",
                "--graceful-timeout=5",
                "--error-logfile=-",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: gunicorn.poll() is None and _get(port, "/healthz", {}).status == 200,
            timeout_s=30,
            interval_s=0.2,
            what="gunicorn",
        )
        yield cluster, port, gunicorn, credentials
    except subprocess.CalledProcessError as error:
        pytest.fail(f"{error.cmd} failed:\n{error.stdout}\n{error.stderr}")
    finally:
        if gunicorn is not None:
            workers = descendants(gunicorn.pid)
            gunicorn.terminate()
            try:
                gunicorn.wait(timeout=15)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
                gunicorn.wait(timeout=10)
            for pid in workers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        log.close()
        cluster.destroy()
        print("--- gunicorn log ---\n" + (workdir / "gunicorn.log").read_text(errors="replace")[-10000:])


def test_requests_answer_503_while_the_database_restarts_and_200_after(web):
    cluster, port, gunicorn, credentials = web
    paths = {
        "/api/v1/vehicle-models/": {"Authorization": f"Token {credentials['token']}"},
        "/vehicle-models/": {"Cookie": f"sessionid={credentials['session']}"},
    }
    for path, headers in paths.items():
        assert _get(port, path, headers).status == 200, path
    worker_pids = descendants(gunicorn.pid)
    assert len(worker_pids) == 1

    answers: list[Answer] = []
    stop = threading.Event()

    def fire(path: str, headers: dict) -> None:
        while not stop.is_set():
            answers.append(_get(port, path, headers))
            time.sleep(0.02)

    threads = [
        threading.Thread(target=fire, args=item, daemon=True) for item in list(paths.items()) * 2
    ]  # two clients per path: four at once, as many as the worker's threads
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        stopping = time.monotonic()
        cluster.stop(mode="fast")
        down = time.monotonic()
        time.sleep(3)
        starting = time.monotonic()
        cluster.start()
        up = time.monotonic()

        def recovered():
            recent = [answer for answer in answers if answer.sent > up]
            return all(
                sum(1 for answer in recent if answer.path == path and answer.status == 200) >= 3
                for path in paths
            )

        wait_for(recovered, timeout_s=30, interval_s=0.2, what="200s after the database came back")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)

    statuses = sorted({answer.status for answer in answers})
    assert set(statuses) <= {200, 503}, [
        (answer.path, answer.status, answer.body[:300])
        for answer in answers
        if answer.status not in (200, 503)
    ]
    during = [answer for answer in answers if answer.sent >= down and answer.received <= starting]
    assert len(during) >= 8, f"only {len(during)} requests while the database was down"
    for answer in during:
        assert answer.status == 503, (answer.path, answer.status, answer.body[:300])
        assert answer.headers.get("Retry-After") == "10"
        if answer.path.startswith("/api/"):
            assert answer.headers["Content-Type"] == "application/json"
            assert "temporarily unavailable" in json.loads(answer.body)["detail"]
        else:
            assert answer.headers["Content-Type"].startswith("text/html")
            assert b"temporarily unavailable" in answer.body and b"Traceback" not in answer.body
            assert len(answer.body) < 2000
    assert {answer.path for answer in during} == set(paths)
    before = [answer for answer in answers if answer.received < stopping]
    assert before and all(answer.status == 200 for answer in before)
    # No restart: the same gunicorn worker process answered throughout.
    assert gunicorn.poll() is None and descendants(gunicorn.pid) == worker_pids
