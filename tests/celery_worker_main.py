"""`celery` for the tests' real workers (tests/integration, tests/faults): tasks sent from a task go through the broker (test_settings would
run them in-process), and one optional hook: FAULTS_WRITE_PAUSE_S makes every rollup
write batch pause that long after inserting its footprints and before their contributions, inside the
batch's transaction, so a test can kill the worker exactly where a non-atomic write would be half done."""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _pause_inside_write_batches(seconds: float) -> None:
    from accounting import services
    from accounting.models import Footprint

    insert_frame = services.insert_frame

    def paused(table, frame, *args, **kwargs):
        result = insert_frame(table, frame, *args, **kwargs)
        if table == Footprint._meta.db_table:
            time.sleep(seconds)
        return result

    services.insert_frame = paused


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.test_settings")
    django.setup()
    pause = float(os.environ.get("FAULTS_WRITE_PAUSE_S") or 0)
    if pause:
        _pause_inside_write_batches(pause)
    from carbon_platform.celery import app

    # test_settings runs tasks in-process (eagerly) for the unit tests; a worker sends what its tasks send
    # (a run's chord, a retry) through the broker, as in production.
    app.conf.task_always_eager = False
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
