"""The Celery app; configured from Django settings (CELERY_*), periodic tasks declared here in code."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carbon_platform.settings")

app = Celery("carbon_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "rollup-sweep": {
        "task": "accounting.tasks.rollup_runs_sweep",
        "schedule": crontab(minute="*/5"),
    },
    "daily-declaration-expiry": {
        "task": "disclosures.tasks.declarations_expire",
        "schedule": crontab(hour=0, minute=15),
    },
    "pact-footprint-requests-sweep": {
        "task": "pact.tasks.footprint_requests_sweep",
        "schedule": crontab(minute="*/5"),
    },
    "webhook-deliveries-sweep": {
        "task": "webhooks.tasks.webhook_deliveries_sweep",
        "schedule": crontab(minute="*/5"),
    },
    "nightly-full-rollup": {
        "task": "accounting.tasks.footprints_recompute_all",
        "schedule": crontab(hour=2, minute=30),
    },
}
