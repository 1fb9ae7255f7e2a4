"""The wire side of a webhook: the signature, and one bounded HTTP POST to a carmaker's endpoint (stdlib only).

Signature scheme: the body is sent as it is signed, and the receiver checks

    X-Signature: sha256=<hex HMAC-SHA256(secret, f"{X-Webhook-Timestamp}.{raw body}")>

with its subscription's secret, comparing in constant time, and refuses a timestamp more than a few minutes
old, so that a captured request cannot be replayed later. Every attempt of one delivery sends the same body
(the same X-Webhook-Event-Id), signed again with the time of that attempt.

Redirects are not followed, and unless told otherwise a host that resolves to a loopback, private,
link-local or otherwise non-public address is refused: a subscription must not turn the platform into a
way of reaching its own network. The connection goes to the address that was checked, so a DNS answer
that changes between the check and the connection changes nothing.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
EVENT_ID_HEADER = "X-Webhook-Event-Id"
EVENT_TYPE_HEADER = "X-Webhook-Event-Type"
USER_AGENT = "carbon-platform-webhooks/1"
# The response body is kept for the delivery log only; more than this is never read.
RESPONSE_EXCERPT_BYTES = 2048

VERIFY_EXAMPLE = f'''import hashlib, hmac, time

def verify(secret: str, headers, body: bytes, tolerance_s: int = 300) -> bool:
    timestamp = headers["{TIMESTAMP_HEADER}"]
    if abs(time.time() - int(timestamp)) > tolerance_s:
        return False  # too old: a replay
    expected = "sha256=" + hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, headers["{SIGNATURE_HEADER}"])'''


class TransportError(Exception):
    """No answer: the host could not be reached, or did not answer in time. Worth trying again."""


class AddressRefused(Exception):
    """The URL names a host this platform does not call (a non-public address). Trying again changes nothing."""


@dataclass(frozen=True)
class Answer:
    status_code: int
    body_excerpt: str
    duration_ms: int


def body_of(payload: dict) -> bytes:
    """The bytes sent for a payload: compact UTF-8 JSON with sorted keys, the same on every attempt."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of "timestamp.body" keyed with the subscription's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(*, secret: str, event_id: str, event_type: str, body: bytes, now_s: float) -> dict:
    timestamp = str(int(now_s))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret=secret, timestamp=timestamp, body=body),
    }


def is_public_address(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_global


def literal_host_refused(url: str) -> bool:
    """True for a URL whose host is `localhost` or an IP address that is not public (checked without DNS)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not is_public_address(host)
    except ValueError:  # a name, resolved when a delivery is sent
        return False


def _addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TransportError(f"cannot resolve {host}: {error}") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not allow_private:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise AddressRefused(f"{host} resolves to a non-public address ({refused[0]}); it is not called")
    return addresses


def _connect(addresses: list[str], port: int, timeout_s: float) -> socket.socket:
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout_s)
        except OSError as exc:
            error = exc
    raise TransportError(f"cannot connect: {error}")


def post(
    url: str,
    *,
    body: bytes,
    headers: dict,
    connect_timeout_s: float,
    read_timeout_s: float,
    allow_private: bool,
) -> Answer:
    """POST once; any HTTP answer is returned (with at most RESPONSE_EXCERPT_BYTES of its body), whatever
    its status. Raises TransportError when there is no answer in time, AddressRefused for a refused host."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    started = time.monotonic()
    addresses = _addresses(parts.hostname, port, allow_private=allow_private)
    sock = _connect(addresses, port, connect_timeout_s)
    try:
        if https:
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
            except (OSError, ssl.SSLError) as error:
                raise TransportError(f"TLS handshake with {parts.hostname} failed: {error}") from error
        sock.settimeout(read_timeout_s)
        connection = (http.client.HTTPSConnection if https else http.client.HTTPConnection)(
            parts.hostname, port
        )
        connection.sock = sock  # already connected to the checked address
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            excerpt = response.read(RESPONSE_EXCERPT_BYTES)
        except TimeoutError as error:
            raise TransportError(f"no answer within {read_timeout_s:g} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise TransportError(f"{type(error).__name__}: {error}") from error
        finally:
            connection.close()
    finally:
        sock.close()
    return Answer(
        status_code=response.status,
        body_excerpt=excerpt.decode("utf-8", errors="replace"),
        duration_ms=round((time.monotonic() - started) * 1000),
    )
