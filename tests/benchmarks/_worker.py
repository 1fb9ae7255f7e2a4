"""A real Celery worker for the benchmarks, and the resident memory of its process tree."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(*, concurrency: int = 1, pool: str = "solo", env: dict | None = None) -> subprocess.Popen:
    """Start `celery worker` on the configured broker and wait until it answers a ping."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "carbon_platform",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=bench{concurrency}@%h",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from carbon_platform.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return process
    process.kill()
    sys.exit("the Celery worker did not answer within 60 s")


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return found


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeMemory:
    """Samples the RSS of a process and its descendants every 50 ms: the largest single process and the
    largest sum seen (a prefork worker's parent plus its pool processes)."""

    def __init__(self, pid: int):
        self.pid, self.peak_process_mib, self.peak_total_mib = pid, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids, queue = [], [self.pid]
            while queue:
                pid = queue.pop()
                pids.append(pid)
                queue.extend(_children(pid))
            sizes = [_rss_mib(pid) for pid in pids]
            self.peak_process_mib = max(self.peak_process_mib, max(sizes, default=0.0))
            self.peak_total_mib = max(self.peak_total_mib, sum(sizes))
            self._stop.wait(0.05)
