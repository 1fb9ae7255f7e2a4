"""Seed the demo: reference data, suppliers and EPDs, 8,000 vehicle models with BOMs, then a full rollup."""

import resource
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounting import services
from accounting.choices import RollupTrigger
from accounting.demo_data import DEMO_LOGINS, DEMO_PASSWORD, DemoSeeder, demo_exists


class Command(BaseCommand):
    help = "Create deterministic demo data (safe to run twice: an existing demo is left as it is)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--models", type=int, default=8000, help="number of vehicle models (default 8000)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--skip-rollup", action="store_true", help="do not run the first full rollup")

    def handle(self, *args, models: int, seed: int, skip_rollup: bool, **options):
        if demo_exists():
            self.stdout.write("Demo data already present; nothing to do.")
        else:
            started = time.perf_counter()
            summary = DemoSeeder(seed=seed, models=models, today=timezone.localdate()).seed()
            self.stdout.write(
                f"Seeded {summary.vehicle_models} vehicle models, {summary.bom_lines} BOM lines, "
                f"{summary.declarations} declarations, {summary.organisations} organisations "
                f"in {time.perf_counter() - started:.1f} s."
            )
            if not skip_rollup:
                started = time.perf_counter()
                run = services.rollup_run_create(
                    trigger=RollupTrigger.FULL, model_ids=None, trigger_object="seed_demo"
                )
                run = services.rollup_run_execute(run_id=run.id)
                peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                self.stdout.write(
                    f"First full rollup: {run.footprints_written} footprints in {time.perf_counter() - started:.1f} s "
                    f"({run.timings_s}); process peak memory {peak_mib:.0f} MiB."
                )
        logins = ", ".join(f"{who}: {username}" for who, username in DEMO_LOGINS.items())
        self.stdout.write(f"Demo logins ({logins}), password for all: {DEMO_PASSWORD}; operator admin: admin")
