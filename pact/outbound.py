"""Calls to a partner's PACT host: the authentication flow of the spec, then POST /2/events (stdlib HTTP)."""

import base64
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from django.conf import settings

from .choices import CLOUDEVENTS_CONTENT_TYPE
from .models import Partner

logger = logging.getLogger(__name__)

TIMEOUT_S = 15


class DeliveryError(Exception):
    """The partner's host could not be reached or did not accept: worth trying again later."""


def _request(url: str, *, data: bytes | None = None, headers: dict) -> tuple[int, bytes]:
    if not url.startswith("https://") and not settings.PACT_ALLOW_HTTP_PARTNERS:
        raise DeliveryError(f"refusing to call {url} without https")
    request = urllib.request.Request(
        url, data=data, headers=headers, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (https, or http when allowed)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise DeliveryError(f"{url}: {error}") from error


def token_endpoint(partner: Partner) -> str:
    """The spec's authentication flow: the token_endpoint of the partner's OpenId Provider Configuration
    Document when it offers one, else <auth base URL>/auth/token."""
    status, body = _request(
        f"{partner.auth_url}/.well-known/openid-configuration", headers={"Accept": "application/json"}
    )
    if status == 200:
        try:
            endpoint = json.loads(body).get("token_endpoint")
        except (ValueError, AttributeError):
            endpoint = None
        if isinstance(endpoint, str) and endpoint:
            return endpoint
    return f"{partner.auth_url}/auth/token"


def access_token(partner: Partner) -> str:
    """An access token from the partner (OAuth2 client credentials, HTTP Basic, RFC 6749 section 4.4)."""
    # RFC 6749 2.3.1: client id and secret are form-urlencoded before they are joined and base64-encoded.
    credentials = f"{quote(partner.client_id, safe='')}:{quote(partner.client_secret, safe='')}"
    status, body = _request(
        token_endpoint(partner),
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode("ascii"),
        },
    )
    try:
        token = json.loads(body).get("access_token") if status == 200 else None
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise DeliveryError(f"no access token from {partner.name}: HTTP {status} {body[:200]!r}")
    return token


def post_event(partner: Partner, event: dict) -> None:
    """POST one CloudEvent (structured mode) to the partner's /2/events; any 2xx means accepted."""
    status, body = _request(
        partner.events_url,
        data=json.dumps(event).encode(),
        headers={
            "Content-Type": f"{CLOUDEVENTS_CONTENT_TYPE}; charset=UTF-8",
            "Authorization": f"Bearer {access_token(partner)}",
        },
    )
    if not 200 <= status < 300:
        raise DeliveryError(f"{partner.events_url} answered HTTP {status}: {body[:200]!r}")
