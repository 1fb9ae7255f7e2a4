"""Benchmark of the rollup: engine alone against a bare NumPy computation of the same totals, and a full
recompute end to end (load, engine, write): in this process, then fanned out as a chord to a real Celery
worker with one and with two pool processes, with peak memory.

Run:  .venv/bin/python tests/benchmarks/bench_rollup.py [--models 8000] [--repeat 3] [--workers 1,2]
It needs a scratch database because it deletes footprints: DATABASE_URL must name a database whose name
contains "bench" (e.g. postgres://postgres@127.0.0.1:5432/carbon_bench); unset, it uses the SQLite file
/tmp/carbon_bench_rollup.sqlite3. The demo is seeded there once (seed_demo --skip-rollup) and reused.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/carbon_bench_rollup.sqlite3")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")  # the real-worker runs; flushed
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.settings")
if "bench" not in os.environ["DATABASE_URL"].rsplit("/", 1)[-1]:
    sys.exit(
        "DATABASE_URL must name a scratch database with 'bench' in its name: this script deletes footprints."
    )

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

GOAL_ENGINE_RATIO = 10.0
GOAL_FULL_S = 20.0
GOAL_PEAK_MIB = 1024


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeat: int, work):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def full_run_on_workers(concurrency: int) -> float:
    """Delete every footprint, send the nightly task to a real worker, wait for the chord to close the run."""
    from accounting.models import Footprint, RollupRun
    from accounting.tasks import footprints_recompute_all
    from carbon_platform.celery import app
    from tests.benchmarks._worker import TreeMemory, start_worker, stop_worker

    Footprint.objects.all().delete()
    app.connection_for_write().default_channel.client.flushdb()  # no stale messages or chord counters
    worker = start_worker(concurrency=concurrency, pool="prefork")
    try:
        with TreeMemory(worker.pid) as memory:
            before = RollupRun.objects.order_by("-id").values_list("id", flat=True).first() or 0
            started = time.perf_counter()
            footprints_recompute_all.delay()
            run = None
            while run is None or run.finished_at is None:
                time.sleep(0.05)
                run = RollupRun.objects.filter(trigger="full", id__gt=before).first()
                if run is not None and time.perf_counter() - started > 900:
                    sys.exit(f"run {run.pk} did not finish within 15 minutes")
            elapsed = time.perf_counter() - started
    finally:
        stop_worker(worker)
    print(
        f"full recompute on a real worker, {concurrency} pool process(es): {run.status}, "
        f"{run.footprints_written} footprints in {elapsed:.1f} s from sending the task to the chord closing "
        f"the run ({run.timings_s['chunks']} chunks; summed over chunks: load {run.timings_s['load_s']} s, "
        f"engine {run.timings_s['engine_s']} s, write {run.timings_s['write_s']} s); peak memory: largest "
        f"process {memory.peak_process_mib:.0f} MiB, whole worker {memory.peak_total_mib:.0f} MiB; "
        f"{elapsed / run.models_total * 1000:.2f} ms per model"
        + (
            f"; goal <= {GOAL_FULL_S:.0f} s with one at 8,000 models: "
            f"{'met' if elapsed <= GOAL_FULL_S else 'NOT met'}"
            if concurrency == 1 and run.models_total <= 8000
            else ""
        )
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers", default="1,2", help="pool sizes of the real-worker runs, e.g. 1,2; empty: none"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated parts to leave out: in-process, engine (e.g. at 10x the models, where the "
        "engine part would hold every line in memory at once)",
    )
    args = parser.parse_args()
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}

    call_command("migrate", verbosity=0)
    from accounting import selectors, services
    from accounting.engine import rollup
    from accounting.models import Footprint, VehicleModel

    if not VehicleModel.objects.exists():
        started = time.perf_counter()
        call_command(
            "seed_demo", models=args.models, skip_rollup=True, verbosity=0, stdout=open(os.devnull, "w")
        )
        print(
            f"seeded {args.models} models in {time.perf_counter() - started:.1f} s (once; reused next time)"
        )
    models = VehicleModel.objects.count()
    print(f"database {connection.vendor}, {models} vehicle models")

    # 1. Full recompute end to end, first in this process (chunk after chunk) so its peak memory is the run's.
    if "in-process" not in skip:
        Footprint.objects.all().delete()
        before_mib = peak_mib()
        started = time.perf_counter()
        run = services.rollup_run_create(trigger="full", model_ids=None)
        run = services.rollup_run_execute(run_id=run.id)
        full_s = time.perf_counter() - started
        run_peak = peak_mib()
        print(
            f"full recompute in this process: {run.footprints_written} footprints in {full_s:.1f} s {run.timings_s}; "
            f"process peak {run_peak:.0f} MiB (after Django setup {before_mib:.0f} MiB); "
            f"goals <= {GOAL_FULL_S:.0f} s: {'met' if full_s <= GOAL_FULL_S else 'NOT met'}, "
            f"<= {GOAL_PEAK_MIB} MiB: {'met' if run_peak <= GOAL_PEAK_MIB else 'NOT met'}"
        )
        started = time.perf_counter()
        again = services.rollup_run_execute(
            run_id=services.rollup_run_create(trigger="full", model_ids=None).id
        )
        print(
            f"unchanged inputs, second full run: {again.footprints_written} revisions written in {time.perf_counter() - started:.1f} s"
        )
    for concurrency in [int(n) for n in args.workers.split(",") if n.strip()]:
        full_run_on_workers(concurrency)

    if "engine" in skip:
        return

    # 2. Engine alone against a bare NumPy computation of the same totals: the floor is each line's factor
    # already known (taken from the engine's own per-line frame) and one weighted sum per model over the
    # lines in their load order (a bincount over the model index, as the engine gets them unsorted).
    # Engine and floor are timed alternately, best of N each: the machine is shared and noisy.
    inputs = selectors.rollup_inputs(model_ids=None, as_of=timezone.localdate())
    lines = len(inputs.lines)
    chosen = rollup(inputs).lines  # untimed: the floor's inputs
    _model_ids, model_index = np.unique(chosen["model_id"].to_numpy(), return_inverse=True)
    line_kg_co2e_factor = chosen["gwp_a1_a3_kg_co2e"].to_numpy()
    line_mass = chosen["line_mass_kg"].to_numpy()
    del chosen

    def bare():  # the floor: each line's factor already known, one weighted bincount
        return np.bincount(model_index, weights=line_mass * line_kg_co2e_factor)

    repeat = max(args.repeat, 7)  # an engine run is ~0.1 s: best of more runs costs little
    engine_s = bare_s = float("inf")
    for _ in range(repeat):
        run_s, result = best_of(1, lambda: rollup(inputs))
        engine_s = min(engine_s, run_s)
        run_s, totals = best_of(1, bare)
        bare_s = min(bare_s, run_s)
    engine_totals = result.footprints.sort_values("model_id")["total_kg_co2e"].to_numpy()
    assert np.allclose(totals, engine_totals), "the bare computation must give the engine's totals"
    try:  # the issue also names a sparse matrix-vector product; SciPy is not a dependency
        from scipy import sparse
    except ImportError:
        spmv = "a SciPy sparse matrix-vector product not timed (SciPy not installed)"
    else:
        matrix = sparse.csr_matrix(
            (line_mass, (model_index, np.arange(lines))), shape=(len(_model_ids), lines)
        )
        spmv_s, spmv_totals = best_of(repeat, lambda: matrix @ line_kg_co2e_factor)
        assert np.allclose(spmv_totals, engine_totals)
        spmv = (
            f"a SciPy CSR matrix-vector product {spmv_s * 1000:.1f} ms (its matrix, built untimed, already "
            f"groups the lines by model), ratio {engine_s / spmv_s:.1f}x"
        )
    ratio = engine_s / bare_s
    print(
        f"engine: {models} models, {lines:,} lines in {engine_s * 1000:.0f} ms (best of {repeat}); bare NumPy "
        f"bincount of the same totals {bare_s * 1000:.1f} ms; ratio {ratio:.1f}x (goal <= "
        f"{GOAL_ENGINE_RATIO:.0f}x: {'met' if ratio <= GOAL_ENGINE_RATIO else 'NOT met'}); for reference, {spmv}"
    )


if __name__ == "__main__":
    main()
