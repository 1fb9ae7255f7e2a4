"""CSRF: every URL of the site refuses a cookie-authenticated POST without the token, except the PACT
endpoints, which take no cookies (bearer tokens and HTTP Basic only); and every POST form carries the token."""

import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

from tests.factories import UserFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Bearer tokens and HTTP Basic, never a session cookie: a forged cross-site request carries no credential.
CSRF_EXEMPT = {
    "auth/token",
    ".well-known/openid-configuration",
    "2/footprints",
    "2/footprints/<str:pf_id>",
    "2/events",
}
SAMPLE_BY_CONVERTER = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": str(uuid.uuid4()),
    "drf_format_suffix": ".json",
}


def _sample_regex(regex: str) -> str:
    """A path matching a regex pattern (the admin's): a group's first literal alternative, else "x"."""

    def group(match):
        if match.group(1) == "format":  # DRF's format suffix: a renderer it knows
            return "json"
        first = match.group(2).split("|")[0]
        return first if re.fullmatch(r"[\w-]+", first) else "1"

    text = re.sub(r"\(\?P<(\w+)>([^()]*)\)", group, regex)
    return text.lstrip("^").rstrip("$").replace("\\Z", "").replace("/?", "/").replace("\\", "")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry.pattern, RoutePattern):
            route = str(entry.pattern)
            sample = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_BY_CONVERTER[m.group(1) or "str"], route)
        else:
            route = sample = _sample_regex(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + sample)
        elif isinstance(entry, URLPattern):
            yield prefix + route, "/" + prefix + sample


ALL_URLS = sorted(set(_walk(get_resolver().url_patterns)))
COOKIE_URLS = [(route, path) for route, path in ALL_URLS if route not in CSRF_EXEMPT]


def test_the_walk_finds_the_pages_and_the_api():
    paths = {sample for _route, sample in ALL_URLS}
    assert {"/accounts/login/", "/accounts/password_reset/", "/i18n/setlang/", "/admin/login/"} <= paths
    assert any(path.startswith("/api/v1/") for path in paths)
    assert len(paths) > 60


@pytest.fixture
def signed_in(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(("route", "path"), COOKIE_URLS, ids=[route for route, _path in COOKIE_URLS])
def test_a_post_without_the_csrf_token_is_refused(signed_in, route, path):
    assert resolve(path), path  # the sample path reaches this pattern's view
    response = signed_in.post(path, {"anything": "1"})
    assert response.status_code == 403, (path, response.status_code)
    # Django's CSRF page, or DRF's {"detail": "CSRF Failed: ..."} (the docs pages render it as a bare 403).
    assert "CSRF" in response.content.decode() + str(getattr(response, "data", "")), path


def test_the_exempt_urls_are_the_pact_ones_only():
    assert CSRF_EXEMPT <= {route for route, _path in ALL_URLS}


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_every_post_form_in_the_templates_carries_the_csrf_token(template):
    text = template.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, re.S | re.I):
        if re.search(r'method=["\']?post', form, re.I):
            assert "{% csrf_token %}" in form, f"{template}: {form[:120]}"
