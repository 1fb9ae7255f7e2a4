"""Load during a full recompute: the API under a bounded loopback load (wrk, 8 connections on footprint detail
and 8 on a filtered list page, 16 in all) first alone, then while a real Celery worker recomputes every
vehicle model and writes a new revision of each; errors and p50/p95 of both, side by side.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/carbon_bench \\
      .venv/bin/python tests/benchmarks/bench_load_during_recompute.py [--seconds 60] [--read-cache on|off]
Needs the seeded scratch database of bench_rollup.py (with footprints), Redis and wrk. To make the recompute
write (unchanged inputs write nothing), it marks every current footprint's input fingerprint stale first:
the run then writes a revision of every model with the same totals, as after a factor update. Each run adds
8,000 revisions to the scratch database. Loopback only, bounded in time.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")

from tests.benchmarks.bench_api import CACHE_DB, credentials, free_port, load, start_gunicorn  # noqa: E402


def loads(base: str, cases: list[tuple[str, str, str]], seconds: int, connections: int) -> dict:
    """wrk on each case at once, `connections` each, for `seconds`."""
    results, threads = {}, []
    for name, path, header in cases:

        def run(name=name, path=path, header=header):
            results[name] = load(base + path, header, seconds, connections)

        threads.append(threading.Thread(target=run))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60, help="per load phase (default 60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--read-cache", choices=["on", "off"], default="on")
    args = parser.parse_args()

    from accounting.models import Footprint, RollupRun
    from accounting.tasks import footprints_recompute_all
    from carbon_platform.celery import app
    from tests.benchmarks._worker import start_worker, stop_worker

    api_token, _pact_token, model_id = credentials()
    header = f"Authorization: Token {api_token}"
    cases = [
        ("footprint detail", f"/api/v1/vehicle-models/{model_id}/footprint/", header),
        ("list page", "/api/v1/vehicle-models/?powertrain=BEV&ordering=-footprint_kg_co2e_per_kg", header),
    ]
    subprocess.run(["redis-cli", "-n", str(CACHE_DB), "FLUSHDB"], check=True, capture_output=True)
    app.connection_for_write().default_channel.client.flushdb()  # no stale messages or chord counters
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn(port, args.workers, args.read_cache == "on")
    worker = None
    try:
        quiet = loads(base, cases, args.seconds, 8)
        Footprint.objects.filter(is_current=True).update(input_fingerprint="stale")
        worker = start_worker(concurrency=1, pool="prefork")
        before = RollupRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
        started = time.perf_counter()
        footprints_recompute_all.delay()
        busy = loads(base, cases, args.seconds, 8)
        run = None
        while run is None or run.finished_at is None:
            run = RollupRun.objects.filter(trigger="full", id__gt=before).first()
            if time.perf_counter() - started > 900:
                sys.exit("the recompute did not finish within 15 minutes")
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
    finally:
        if worker is not None:
            stop_worker(worker)
        server.terminate()
        server.wait(timeout=30)

    print(
        f"gunicorn {args.workers} sync workers, read cache {args.read_cache}; wrk 8 connections on each endpoint "
        f"(16 in all), {args.seconds} s per phase on loopback"
    )
    print(
        f"recompute during the load: run {run.pk} {run.status}, {run.footprints_written} revisions written, "
        f"{elapsed:.1f} s from sending it to the run closing "
        f"({'inside' if elapsed <= args.seconds else 'longer than'} the {args.seconds} s load)"
    )
    errors = 0
    for name, _path, _header in cases:
        for phase, figures in (("alone", quiet[name]), ("during recompute", busy[name])):
            failed = figures["status_errors"] + figures["socket_errors"]
            errors += failed if phase != "alone" else 0
            print(
                f"  {name}, {phase}: {figures['rps']:.0f} req/s, p50 {figures['p50_us'] / 1000:.1f} ms, "
                f"p95 {figures['p95_us'] / 1000:.1f} ms, p99 {figures['p99_us'] / 1000:.1f} ms, "
                f"errors {failed} of {figures['requests']}"
            )
    print(f"errors during the recompute: {errors} (goal 0: {'met' if errors == 0 else 'NOT met'})")


if __name__ == "__main__":
    main()
