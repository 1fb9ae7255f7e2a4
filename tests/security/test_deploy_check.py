"""Production settings pass `manage.py check --deploy` and default to the secure values."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-key-for-the-deploy-check-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "carbon.example",
}
# Anything the developer's shell or .env might set that relaxes production: unset, so the defaults count.
RELAXING = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "DJANGO_SETTINGS_MODULE",
    # Set by the browser tests' fixtures in this test process (Playwright's event loop); never in production.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _run(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in RELAXING} | PRODUCTION | env
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_no_issues():
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_check_deploy_does_flag_a_relaxed_setting():
    """The check above can fail: switching HSTS off is reported."""
    result = _run("manage.py", "check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_defaults_are_the_secure_ones():
    code = (
        "import json; from carbon_platform import settings as s; print(json.dumps({name: getattr(s, name) for name in "
        "['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'SECURE_REDIRECT_EXEMPT']}))"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (
        values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert r"^healthz$" in values["SECURE_REDIRECT_EXEMPT"]


def test_compose_serves_plain_http_on_localhost_without_redirecting_it():
    import yaml

    env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["environment"]
    assert str(env["SECURE_SSL_REDIRECT"]) == "0"  # else every page redirects to an https nobody serves
