"""Settings come from the environment; with DEBUG off they refuse to start without a real SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _settings(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    clean.update(env)
    code = (
        "import json; from carbon_platform import settings as s; "
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'broker': s.CELERY_BROKER_URL, 'hosts': s.ALLOWED_HOSTS, 'debug': s.DEBUG}))"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


@pytest.mark.parametrize(
    "key", [None, "", "replace-with-a-long-random-string", "django-insecure-abc", "short"]
)
def test_production_refuses_to_start_without_a_real_secret_key(key):
    env = {"DEBUG": "0"}
    if key is not None:
        env["SECRET_KEY"] = key
    result = _settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_defaults_are_sqlite_and_in_process_tasks():
    import json

    result = _settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["eager"] is True
    assert values["broker"] == "memory://"


def test_database_broker_and_hosts_come_from_the_environment():
    import json

    result = _settings(
        DEBUG="0",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u:p@db.example:5432/carbon",
        CELERY_BROKER_URL="redis://cache.example:6379/0",
        ALLOWED_HOSTS="carbon.example,api.carbon.example",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example:6379/0"
    assert values["hosts"] == ["carbon.example", "api.carbon.example"]
    assert values["debug"] is False


def test_redis_url_is_the_broker_when_no_celery_broker_url_is_given():
    import json

    result = _settings(DEBUG="1", REDIS_URL="redis://localhost:6380/1")
    assert json.loads(result.stdout)["broker"] == "redis://localhost:6380/1"
