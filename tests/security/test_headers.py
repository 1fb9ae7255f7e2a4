"""Security headers on every response: a Content-Security-Policy without inline code (relaxed for the API
docs pages only), no framing, no MIME sniffing, a same-origin referrer; and templates that need nothing more."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def signed_in(db):
    client = Client()
    client.force_login(UserFactory(username="reader"))
    return client


def test_pages_forbid_inline_scripts_styles_and_framing(db):
    response = Client().get("/accounts/login/")
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_the_api_docs_pages_relax_only_styles_and_workers(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "blob:" in csp["worker-src"]
    html = response.content.decode()
    assert "<script>" not in html  # the Swagger UI init script is a file of its own
    assert "fonts.googleapis.com" not in html


def test_the_swagger_init_script_is_served_as_javascript(signed_in):
    response = signed_in.get("/api/schema/swagger/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
APP_TEMPLATES = [p for p in sorted((ROOT / "templates").rglob("*.html")) if "drf_spectacular" not in p.parts]


@pytest.mark.parametrize("template", APP_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_hold_no_inline_code_the_policy_would_block(template):
    text = template.read_text()
    for pattern, what in INLINE_CODE:
        assert not pattern.search(text), f"{template.name} has {what}; move it to static/js or static/css"


def test_session_and_csrf_cookies_are_http_only_where_it_matters():
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.X_FRAME_OPTIONS == "DENY"
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


def test_plain_http_is_redirected_except_the_health_check_and_pact(db, settings):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    home = client.get("/accounts/login/")
    assert home.status_code == 301 and home.url.startswith("https://")
    assert client.get("/healthz").status_code == 200
    assert client.get("/.well-known/openid-configuration").status_code != 301
