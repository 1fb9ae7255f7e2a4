"""Benchmark: from an auditor's approval to every affected model's new revision committed, with a real
Celery worker consuming the recompute task from Redis.

Run:  .venv/bin/python tests/benchmarks/bench_approval.py [--target-models 500] [--repeat 3]
Needs a scratch PostgreSQL database with 'bench' in its name, seeded by bench_rollup.py (DATABASE_URL),
and Redis (CELERY_BROKER_URL, default redis://127.0.0.1:6379/14). It approves new versions of one
product's declaration, so it changes that database.
"""

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.settings")
if "bench" not in os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]:
    sys.exit(
        "DATABASE_URL must name a seeded scratch database with 'bench' in its name (see bench_rollup.py)."
    )

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402

from tests.benchmarks._worker import start_worker, stop_worker  # noqa: E402

GOAL_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target-models", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from accounting import selectors
    from accounting.models import BomLine, Footprint, RollupRun
    from carbon_platform.celery import app
    from carbon_platform.tenancy.models import Membership
    from disclosures import services
    from disclosures.models import Declaration, Product

    call_command("migrate", verbosity=0)
    if not Footprint.objects.exists():
        sys.exit("no footprints yet: run bench_rollup.py on this database first")
    counts = (
        BomLine.objects.filter(supplier_product__isnull=False)
        .values("supplier_product")
        .annotate(models=Count("vehicle_model", distinct=True))
    )
    product_id = min(counts, key=lambda row: abs(row["models"] - args.target_models))["supplier_product"]
    product = Product.objects.select_related("supplier", "material").get(pk=product_id)
    affected = len(selectors.model_ids_affected_by_product(product=product))
    auditor = Membership.objects.filter(organisation__kind="auditor").exclude(user=None).first().user
    print(f"product {product.pk} ({product.material.code}, {product.route}) reaches {affected} models")

    app.connection_for_write().default_channel.client.delete("celery")
    worker = start_worker()
    rng = random.Random(7)
    try:
        times = []
        for attempt in range(1, args.repeat + 1):
            latest = product.declarations.filter(status="approved").order_by("-version").first()
            draft = Declaration.objects.create(
                product=product,
                plant=product.plant,
                registration_number=f"EPD-BENCH-{product.pk}",
                version=(
                    product.declarations.order_by("-version").values_list("version", flat=True).first() or 0
                )
                + 1,
                supersedes=latest,
                status="submitted",
                issue_date="2026-01-01",
                valid_until="2030-12-31",
                declared_unit="t",
                declared_amount=1,
                gwp_a1_a3_kg_co2e=Decimal(f"{rng.uniform(1900, 2300):.1f}"),
            )
            started = time.perf_counter()
            services.declaration_decide(actor=auditor, declaration=draft, decision="approve")
            run = RollupRun.objects.filter(trigger_object=f"declaration:{draft.pk}").get()
            while run.status not in ("succeeded", "failed"):
                time.sleep(0.02)
                run.refresh_from_db()
            elapsed = time.perf_counter() - started
            if run.status != "succeeded":
                sys.exit(f"run {run.pk} failed: {run.error}")
            times.append(elapsed)
            print(
                f"run {attempt}: {run.status}, {run.footprints_written} new revisions of {run.models_total} models "
                f"committed {elapsed:.2f} s after the approval {run.timings_s}"
            )
        best = min(times)
        print(
            f"best: {best:.2f} s from approval to committed revisions; goal <= {GOAL_S:.0f} s: "
            f"{'met' if best <= GOAL_S else 'NOT met'}"
        )
    finally:
        stop_worker(worker)


if __name__ == "__main__":
    main()
