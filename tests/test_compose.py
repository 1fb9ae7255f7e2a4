"""The deployment files agree with the application: docker-compose.yml, the Dockerfile and .env.example.

Static checks only (no Docker daemon, no database): the files are parsed and compared with what
the settings and the Celery app expect.
"""

import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def _command(service):
    """The service command as one string, whether written as a list or a string."""
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _environment(service):
    """The service environment as a dict, whether written as a mapping or a KEY=VALUE list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def _depends_on(service):
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # short form carries no condition
        return {name: {} for name in deps}
    return deps


def _dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs of the Dockerfile, with continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        pairs.append((instruction.upper(), args.strip()))
    return pairs


def test_compose_defines_postgres_redis_web_worker_and_beat(services):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_postgres_is_version_16_and_checked_with_pg_isready(services):
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_DB"] == "carbon"
    assert postgres["environment"]["POSTGRES_USER"] == "carbon"


def test_redis_is_checked_with_redis_cli_ping(services):
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    test = redis["healthcheck"]["test"]
    assert "redis-cli" in test and "ping" in test


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_build_the_image_from_the_dockerfile(services, name):
    build = services[name]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context / dockerfile).resolve() == ROOT / "Dockerfile"


def test_web_runs_migrations_then_gunicorn_on_port_8000(services):
    web = services["web"]
    command = _command(web)
    assert "manage.py migrate" in command
    assert "gunicorn carbon_platform.wsgi:application" in command
    assert command.index("migrate") < command.index("gunicorn")
    assert "0.0.0.0:8000" in command
    assert "8000:8000" in [str(port) for port in web["ports"]]


def test_web_health_check_calls_healthz(services):
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_worker_runs_a_celery_worker_of_the_carbon_platform_app(services):
    args = shlex.split(_command(services["worker"]))
    assert args[:4] == ["celery", "-A", "carbon_platform", "worker"]
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_beat_runs_celery_beat_of_the_carbon_platform_app(services):
    args = shlex.split(_command(services["beat"]))
    assert args[:4] == ["celery", "-A", "carbon_platform", "beat"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_postgres_and_the_redis_broker(services, name):
    env = _environment(services[name])
    database = urlparse(env["DATABASE_URL"])
    broker = urlparse(env["CELERY_BROKER_URL"])
    assert database.scheme in {"postgres", "postgresql", "pgsql"}
    assert database.hostname == "postgres"
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"
    cache = urlparse(env["CACHE_URL"])
    assert (cache.scheme, cache.hostname) == ("redis", "redis")
    assert cache.path != broker.path  # tests and operators may flush the cache, never the broker's queues


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_require_a_secret_key_without_a_default(services, name):
    secret = _environment(services[name])["SECRET_KEY"]
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", secret), secret


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_with_debug_off(services, name):
    assert _environment(services[name])["DEBUG"] == "0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_postgres_and_redis(services, name):
    deps = _depends_on(services[name])
    assert deps["postgres"].get("condition") == "service_healthy"
    assert deps["redis"].get("condition") == "service_healthy"


def test_postgres_data_lives_in_a_declared_named_volume(compose, services):
    mounts = [str(mount) for mount in services["postgres"]["volumes"]]
    data_mounts = [mount for mount in mounts if mount.endswith(":/var/lib/postgresql/data")]
    assert len(data_mounts) == 1
    volume = data_mounts[0].split(":", 1)[0]
    assert volume in (compose.get("volumes") or {})


def test_long_running_services_restart_unless_stopped(services):
    for name in ("postgres", "redis", *APP_SERVICES):
        assert services[name].get("restart") == "unless-stopped", name


def test_dockerfile_serves_gunicorn_as_non_root_with_a_healthz_health_check():
    instructions = _dockerfile_instructions()
    by_name = {}
    for instruction, args in instructions:
        by_name.setdefault(instruction, []).append(args)

    assert by_name["FROM"][0].startswith("python:3.11-slim")
    cmd = by_name["CMD"][-1]
    assert cmd.startswith("[")  # exec form, so gunicorn is PID 1 and receives signals
    cmd_args = yaml.safe_load(cmd)
    assert cmd_args[:2] == ["gunicorn", "carbon_platform.wsgi:application"]
    assert "0.0.0.0:8000" in " ".join(cmd_args)
    assert "8000" in by_name["EXPOSE"]
    assert "http://127.0.0.1:8000/healthz" in by_name["HEALTHCHECK"][-1]
    assert by_name["USER"][-1] not in {"root", "0"}
    assert any("collectstatic" in run for run in by_name["RUN"])


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    entries = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", ".git", ".env", "db.sqlite3", "media", "staticfiles"} <= entries


def test_every_variable_in_env_example_is_read_by_the_settings():
    settings_text = (ROOT / "carbon_platform" / "settings.py").read_text()
    # Active and commented-out assignments alike: "NAME=value" or "# NAME=value".
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE)
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL"} <= set(names)
    unread = [name for name in names if f'"{name}"' not in settings_text]
    assert unread == []


def test_env_example_ships_the_placeholder_key_the_settings_reject():
    text = (ROOT / ".env.example").read_text()
    assert re.search(r"^SECRET_KEY=replace-with-a-long-random-string$", text, re.MULTILINE)
    assert "replace-with-a-long-random-string" in (ROOT / "carbon_platform" / "settings.py").read_text()
