"""The Django project: settings, root URLs, the Celery app and the tenancy layer."""

from .celery import app as celery_app

__all__ = ("celery_app",)
