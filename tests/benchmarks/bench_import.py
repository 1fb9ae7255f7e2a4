"""Benchmark: validate and commit a 10,000-row declaration CSV, against a bare pandas read of the same file.

Run:  .venv/bin/python tests/benchmarks/bench_import.py [--rows 10000] [--repeat 3]
Uses DATABASE_URL when set (PostgreSQL in CI), else SQLite; it creates and drops its own test database.
Prints each phase, the best total of the repeats, and the ratio to the baseline measured in the same run.
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.test_settings")

import django  # noqa: E402

django.setup()

import pandas as pd  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

GOAL_S = 10.0


def make_csv(rows: int, products: list[str]) -> bytes:
    from disclosures.importers.tabular import COLUMNS

    frame = pd.DataFrame(
        {
            COLUMNS[0].header: [products[n % len(products)] for n in range(rows)],
            COLUMNS[1].header: [f"EPD-BENCH-{n:06d}" for n in range(rows)],
            COLUMNS[2].header: "EN 15804+A2",
            COLUMNS[3].header: "China EPD Programme",
            COLUMNS[4].header: "CQC",
            COLUMNS[6].header: "2026-03-01",
            COLUMNS[7].header: "2031-02-28",
            COLUMNS[8].header: ["t" if n % 3 else "kg" for n in range(rows)],
            COLUMNS[9].header: "1",
            COLUMNS[11].header: [
                f"{2000 + n % 500}" if n % 3 else f"{2.0 + (n % 500) / 1000:.3f}" for n in range(rows)
            ],
            COLUMNS[12].header: "42.5",
            COLUMNS[17].header: "-300",
        }
    )
    return frame.to_csv(index=False).encode("utf-8-sig")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        from accounting.demo_data import load_reference_data
        from disclosures import services
        from disclosures.models import Declaration
        from tests.factories import OrganisationFactory, ProductFactory, UserFactory

        materials = load_reference_data()
        supplier = OrganisationFactory(kind="supplier")
        user = UserFactory(username="bench", organisation=supplier)
        names = [
            ProductFactory(
                supplier=supplier, material=materials[code], route="bf_bof", name=f"Bench {code}"
            ).name
            for code in ("steel.hot_rolled_coil", "steel.cold_rolled_coil", "steel.hot_dip_galvanized")
        ]
        data = make_csv(args.rows, names)
        print(f"{args.rows} rows, {len(data) / 1e6:.2f} MB CSV, database {connection.vendor}")

        results = []
        for attempt in range(1, args.repeat + 1):
            Declaration.objects.all().delete()
            started = time.perf_counter()
            pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            baseline = time.perf_counter() - started

            started = time.perf_counter()
            services.imports.INLINE_VALIDATION_BYTES = len(data)  # validate in-process, as the worker would
            batch = services.import_batch_create(actor=user, upload=SimpleUploadedFile("bench.csv", data))
            validated = time.perf_counter() - started
            assert batch.rows_valid == args.rows, batch.row_errors[:3]
            started = time.perf_counter()
            created = services.import_batch_commit(actor=user, batch=batch)
            committed = time.perf_counter() - started
            assert len(created) == args.rows == Declaration.objects.count()
            total = validated + committed
            results.append((total, validated, committed, baseline))
            print(
                f"run {attempt}: validate {validated:.2f} s + commit {committed:.2f} s = {total:.2f} s; "
                f"bare pandas read_csv {baseline:.3f} s"
            )
        total, validated, committed, baseline = min(results)
        print(
            f"best: {total:.2f} s for {args.rows} rows ({args.rows / total:,.0f} rows/s); "
            f"{total / baseline:.0f}x a bare read_csv of the same file; goal <= {GOAL_S:.0f} s: "
            f"{'met' if total <= GOAL_S else 'NOT met'}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
