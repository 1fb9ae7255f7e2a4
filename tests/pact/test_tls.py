"""Served behind TLS: PACT actions answer only over https, settings for a TLS-terminating proxy come from the
environment, and a redirect to https never applies to PACT paths (the spec wants plain http refused)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def settings_from(**env) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PACT_", "SECURE_", "USE_X_", "TRUST_X_", "DEBUG"))
    }
    clean.update({"SECRET_KEY": "x" * 50, **env})
    code = (
        "import json; from carbon_platform import settings as s; print(json.dumps({"
        "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), 'forwarded_host': s.USE_X_FORWARDED_HOST, "
        "'https_only': s.PACT_REQUIRE_HTTPS, 'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_trusts_the_proxys_scheme_and_serves_pact_over_https_only():
    values = settings_from(DEBUG="0")
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["https_only"] is True
    assert values["forwarded_host"] is False


def test_proxy_settings_come_from_the_environment():
    values = settings_from(
        DEBUG="0", USE_X_FORWARDED_HOST="1", SECURE_SSL_REDIRECT="1", SECURE_HSTS_SECONDS="31536000"
    )
    assert (values["forwarded_host"], values["redirect"], values["hsts"]) == (True, True, 31536000)
    assert settings_from(DEBUG="0", TRUST_X_FORWARDED_PROTO="0")["proxy"] is None


def test_local_development_allows_plain_http():
    assert settings_from(DEBUG="1")["https_only"] is False


@pytest.mark.parametrize("path", ["/2/footprints", "/auth/token", "/.well-known/openid-configuration"])
def test_the_https_redirect_does_not_apply_to_pact_paths(settings, db, path):
    settings.SECURE_SSL_REDIRECT = True
    settings.PACT_REQUIRE_HTTPS = True
    response = Client().get(path, HTTP_HOST="testserver")
    assert response.status_code in (400, 405)  # refused, not followed to https
    assert Client().get("/somewhere-else", HTTP_HOST="testserver").status_code == 301
