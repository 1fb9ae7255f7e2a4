"""The database is unreachable (restarting, failing over, out of connections): answer 503, not a 500.

A view that cannot reach PostgreSQL raises django.db.OperationalError or InterfaceError. Without this, the
request becomes a 500 with a traceback in the error log, and a client has no way to know that trying again
in a few seconds will work. With it: 503 Service Unavailable with Retry-After, as JSON under /api/ (DRF's
`{"detail"}`) and on the PACT host (the spec's `{"code", "message"}`), a short page that touches neither the
database nor the session otherwise. Django closes a connection that failed at the end of the request, so the
next request after the database is back connects afresh: the web process recovers without a restart.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_S = 10
JSON_PREFIXES = ("/api/",)
PACT_PREFIXES = ("/2/", "/auth/token", "/.well-known/")


def unavailable_response(request) -> HttpResponse:
    """The 503 for a request that could not reach the database, in the form its client reads."""
    message = _("The service is temporarily unavailable. Please try again in a few seconds.")
    path = request.path_info
    if path.startswith(JSON_PREFIXES):
        response = JsonResponse({"detail": message}, status=503)
    elif path.startswith(PACT_PREFIXES):
        response = JsonResponse({"code": "InternalError", "message": message}, status=503)
    else:
        title = _("Service temporarily unavailable")
        response = HttpResponse(
            f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{escape(title)}</h1><p>{escape(message)}</p></body></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database connection failure raised by a view (or its template) into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        logger.warning("database unavailable: %s %s: %s", request.method, request.path, exception)
        return unavailable_response(request)
