"""carbon_platform.negotiation.ContentNegotiation answers what DRF's negotiation answers: its fast path (no
format, Accept */* or application/json or none) must pick the same renderer and media type, and every other
request is DRF's own decision."""

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from carbon_platform.exports import CSVRenderer, XLSXRenderer
from carbon_platform.negotiation import ContentNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "",
    "application/json; indent=4",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "text/csv",
    "application/*",
    "application/xml",
]
RENDERER_SETS = [
    [JSONRenderer(), BrowsableAPIRenderer()],
    [JSONRenderer(), BrowsableAPIRenderer(), CSVRenderer(), XLSXRenderer()],
    [BrowsableAPIRenderer(), JSONRenderer()],
]


def decide(negotiation, accept, query, suffix, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/api/v1/materials/" + query, **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except NotAcceptable:
        return "406"
    except Http404:  # a format no renderer has
        return "404"
    return type(renderer).__name__, media_type


@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=["json-html", "with-exports", "html-first"])
@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(
    "query,suffix", [("", None), ("?format=json", None), ("?format=csv", None), ("", "api")]
)
def test_the_same_decision_as_drf(accept, query, suffix, renderers):
    ours = decide(ContentNegotiation(), accept, query, suffix, renderers)
    theirs = decide(DefaultContentNegotiation(), accept, query, suffix, renderers)
    assert ours == theirs


def test_the_fast_path_is_taken_for_plain_json(monkeypatch):
    def drf_called(*args, **kwargs):
        raise AssertionError("went through DRF's negotiation")

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", drf_called)
    for accept in (None, "*/*", "application/json"):
        assert decide(ContentNegotiation(), accept, "", None, RENDERER_SETS[0]) == (
            "JSONRenderer",
            "application/json",
        )
