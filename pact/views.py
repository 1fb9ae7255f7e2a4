"""The PACT v2.3 actions: Authenticate (/auth/token), the OpenId Provider Configuration Document,
ListFootprints and GetFootprint (/2/footprints), and Events (/2/events).

The /2/ actions answer every error with a PACT error response ({"code", "message"} and the code's HTTP
status); /auth/token answers as RFC 6749 prescribes ({"error", "error_description"}).
"""

import base64
import binascii
import json
import logging
from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from oauth2_provider.views.mixins import OAuthLibMixin

from carbon_platform.security import client_ip, rate_limited

from . import oauth, odata, selectors, serializers, services
from .choices import CLOUDEVENTS_CONTENT_TYPE
from .errors import PactError

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# A pagination link must work for at least 180 s (the spec); ours work for 15 minutes.
PAGINATION_LINK_MAX_AGE_S = 900
PAGINATION_SALT = "pact.footprints.next"
TOKEN_ERROR_DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is otherwise malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant is invalid.",
    "unauthorized_client": "This client may not use the client credentials grant.",
    "unsupported_grant_type": "Only grant_type=client_credentials is supported.",
    "invalid_scope": "The requested scope is invalid or not granted to this client.",
}


def _insecure(request) -> bool:
    return settings.PACT_REQUIRE_HTTPS and not request.is_secure()


# --- Authenticate ------------------------------------------------------------------------------------


def _token_error(error: str, description: str | None = None) -> JsonResponse:
    """An RFC 6749 section 5.2 error; invalid_client is 401 with the scheme the client must use."""
    response = JsonResponse(
        {"error": error, "error_description": description or TOKEN_ERROR_DESCRIPTIONS.get(error, error)},
        status=401 if error == "invalid_client" else 400,
    )
    if error == "invalid_client":
        response["WWW-Authenticate"] = 'Basic realm="PACT"'
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _basic_client_id(request) -> str:
    """The client id of an HTTP Basic Authorization header, or "" when there is none to read."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        return base64.b64decode(credentials, validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""


def _token_throttled(request) -> JsonResponse | None:
    """At most TOKEN_RATE_PER_MINUTE token requests a minute per client id and per address: a secret is
    not to be guessed by trying. 429 with an RFC 6749 body ("slow_down", the extension error RFC 8628 uses
    for the same reason) and Retry-After."""
    limit = settings.TOKEN_RATE_PER_MINUTE
    wait_s = rate_limited("token-ip", client_ip(request), limit=limit, window_s=60)
    client_id = _basic_client_id(request)
    if client_id:
        wait_s = max(wait_s, rate_limited("token-client", client_id, limit=limit, window_s=60))
    if not wait_s:
        return None
    response = _token_error("slow_down", f"Too many token requests; try again in {wait_s} seconds.")
    response.status_code = 429
    response["Retry-After"] = str(wait_s)
    return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(OAuthLibMixin, View):
    """Action Authenticate: OAuth2 client credentials (RFC 6749 section 4.4), client authenticated with HTTP
    Basic, form body. django-oauth-toolkit issues the token once the request has the shape PACT requires."""

    http_method_names = ["post"]
    validator_class = oauth.PactOAuth2Validator

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = _token_error("invalid_request", "The token endpoint accepts POST only.")
        response.status_code = 405
        response["Allow"] = "POST"
        return response

    def post(self, request, *args, **kwargs):
        if throttled := _token_throttled(request):
            return throttled
        if _insecure(request):
            return _token_error("invalid_request", "The token endpoint is served over HTTPS only.")
        if request.content_type != "application/x-www-form-urlencoded":
            return _token_error("invalid_request", "The body must be application/x-www-form-urlencoded.")
        if request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0].lower() != "basic":
            return _token_error("invalid_client", "Authenticate the client with HTTP Basic.")
        grant_type = request.POST.get("grant_type")
        if not grant_type:
            return _token_error("invalid_request", "The grant_type parameter is missing.")
        if grant_type != "client_credentials":
            return _token_error("unsupported_grant_type")
        _url, headers, body, status = self.create_token_response(request)
        if status != 200:
            try:
                error = json.loads(body).get("error", "invalid_request")
            except (ValueError, AttributeError):
                error = "invalid_request"
            return _token_error(error)
        response = HttpResponse(body, status=200, content_type="application/json")
        for name, value in headers.items():
            response[name] = value
        return response


@require_GET
def openid_configuration(request):
    """The OpenId Provider Configuration Document: where to get a token, and how (client credentials)."""
    if _insecure(request):
        return _token_error("invalid_request", "This host is served over HTTPS only.")
    return JsonResponse(
        {
            "issuer": request.build_absolute_uri("/").rstrip("/"),
            "token_endpoint": request.build_absolute_uri(reverse("pact:token")),
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": list(settings.OAUTH2_PROVIDER["SCOPES"]),
        }
    )


# --- The /2/ actions ---------------------------------------------------------------------------------


class PactView(View):
    """HTTPS, a valid bearer token, PACT error responses for every failure, unexpected ones included."""

    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        try:
            if _insecure(request):
                raise PactError("BadRequest", "PACT actions are served over HTTPS only.")
            method = request.method.lower()
            if method not in self.http_method_names or not hasattr(self, method):
                response = PactError("BadRequest", f"{request.method} is not an action here.").response()
                response["Allow"] = ", ".join(name.upper() for name in self.http_method_names)
                return response
            api_client = oauth.api_client_of(request)
            return getattr(self, method)(request, api_client, *args, **kwargs)
        except PactError as error:
            return error.response()
        except (OperationalError, InterfaceError):
            raise  # the database is unreachable: a 503 to try again (carbon_platform.middleware)
        except Exception:
            logger.exception("PACT %s %s failed", request.method, request.path)
            return PactError("InternalError").response()


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or int(value) < 1:
        raise PactError("BadRequest", "The limit must be a positive integer.")
    return min(int(value), MAX_LIMIT)


def _conditions(statement: str) -> list[odata.Condition]:
    try:
        return odata.parse(statement)
    except odata.FilterNotSupported as error:
        raise PactError("NotImplemented", str(error)) from None
    except odata.FilterSyntaxError as error:
        raise PactError("BadRequest", str(error)) from None


class FootprintListView(PactView):
    """Action ListFootprints: the Active PFs the client may read, filtered, a page at a time.

    The first call fixes the moment the list is taken at; its pagination link (absolute, on the host the
    client called, signed) carries that moment, the filter, the limit and the last PF returned."""

    http_method_names = ["get"]

    def get(self, request, api_client):
        if "cursor" in request.GET:
            try:
                state = signing.loads(
                    request.GET["cursor"], salt=PAGINATION_SALT, max_age=PAGINATION_LINK_MAX_AGE_S
                )
            except signing.SignatureExpired:
                raise PactError(
                    "BadRequest", "The pagination link has expired; list the footprints again."
                ) from None
            except signing.BadSignature:
                raise PactError("BadRequest", "The pagination link is not valid.") from None
            statement, limit = state["filter"], state["limit"]
            as_of = datetime.fromisoformat(state["as_of"])
            created, rank, row_id = state["after"]
            after = (datetime.fromisoformat(created), rank, row_id)
        else:
            statement, limit = request.GET.get("$filter", ""), _limit(request.GET.get("limit"))
            as_of, after = timezone.now(), None
        page = selectors.footprint_page(
            organisation=api_client.organisation,
            conditions=_conditions(statement),
            as_of=as_of,
            limit=limit,
            after=after,
        )
        response = JsonResponse({"data": [serializers.product_footprint(pf) for pf in page.pfs]})
        if page.next_after is not None:
            created, rank, row_id = page.next_after
            cursor = signing.dumps(
                {
                    "filter": statement,
                    "limit": limit,
                    "as_of": as_of.isoformat(),
                    "after": [created.isoformat(), rank, row_id],
                },
                salt=PAGINATION_SALT,
                compress=True,
            )
            next_url = request.build_absolute_uri(
                f"{reverse('pact:footprints')}?{urlencode({'cursor': cursor})}"
            )
            response["Link"] = f'<{next_url}>; rel="next"'
        return response


class FootprintDetailView(PactView):
    """Action GetFootprint: one PF by its id, Active or Deprecated, in its latest version."""

    http_method_names = ["get"]

    def get(self, request, api_client, pf_id: str):
        try:
            pf_uuid = UUID(pf_id)
        except ValueError:
            raise PactError("NoSuchFootprint", f"There is no footprint with id '{pf_id}'.") from None
        pf = selectors.pf_by_id(pf_id=pf_uuid)
        if pf is None:
            raise PactError("NoSuchFootprint", f"There is no footprint with id '{pf_id}'.")
        if not selectors.pf_readable(pf=pf, organisation=api_client.organisation):
            raise PactError("AccessDenied", "This footprint is not shared with your organisation.")
        return JsonResponse({"data": serializers.product_footprint(pf)})


class EventAccepted(HttpResponse):
    """HTTP 200 with an empty body; `then` runs once the server has sent it (WSGI servers, the ASGI handler
    and the test client call close() afterwards). In-process (eager) tasks, as in the one-command demo, so
    answer a request only after having accepted it; with a broker it just sends the task."""

    def __init__(self, then=None):
        super().__init__(status=200)
        del self["Content-Type"]
        self.then = then

    def close(self):
        # Before Django's own close(), which signals request_finished and lets the database connection go.
        then, self.then = self.then, None
        try:
            if then is not None:
                then()
        finally:
            super().close()


class EventsView(PactView):
    """Action Events: Published notifications are recorded; a RequestCreated event is accepted now and
    answered asynchronously (Fulfilled or Rejected) on the requester's registered host."""

    http_method_names = ["post"]

    def post(self, request, api_client):
        if request.content_type != CLOUDEVENTS_CONTENT_TYPE:
            raise PactError(
                "BadRequest", f"Events are CloudEvents in structured mode: {CLOUDEVENTS_CONTENT_TYPE}."
            )
        event = serializers.incoming_event(request.body)
        footprint_request = services.event_receive(
            api_client=api_client,
            event=event,
            reply_source=f"//{request.get_host()}{reverse('pact:events')}",
        )
        if footprint_request is None:
            return EventAccepted()
        return EventAccepted(then=lambda: services.footprint_request_enqueue(request_id=footprint_request.pk))
