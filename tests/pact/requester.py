"""A second PACT host standing in for a data recipient: a real HTTP server on 127.0.0.1, in a thread.

It implements what our host calls when it answers a footprint request (the spec's authentication flow,
then POST /2/events) and records what it receives: token requests, the bearer tokens it issued and
the events posted to it.
"""

import base64
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class RequesterHost:
    # Characters that RFC 6749 2.3.1 form-encoding must carry through HTTP Basic.
    client_id: str = "carbon-platform"
    client_secret: str = "s3cret:with/odd chars+%"
    # When set, /.well-known/openid-configuration names this path as the token endpoint; else it is 404.
    advertised_token_path: str | None = None
    # The next this many event posts are answered 503 Service Unavailable (after checking the token).
    failing_posts: int = 0
    token_requests: list[Received] = field(default_factory=list)
    issued_tokens: list[str] = field(default_factory=list)
    events: list[Received] = field(default_factory=list)  # every authorised post, answered 200 or 503
    rejected_events: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._counter = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def source(self) -> str:
        """The CloudEvents `source` of its events: //host/subpath."""
        return f"//127.0.0.1:{self._server.server_port}/2/events"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def issue_token(self) -> str:
        token = f"requester-token-{next(self._counter)}"
        self.issued_tokens.append(token)
        return token


def _handler_for(host: RequesterHost):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep the test output quiet
            pass

        def _reply(self, status: int, payload=None):
            body = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            if payload is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _received(self) -> Received:
            length = int(self.headers.get("Content-Length") or 0)
            return Received(self.path, dict(self.headers.items()), self.rfile.read(length))

        def do_GET(self):
            if self.path == "/.well-known/openid-configuration" and host.advertised_token_path:
                self._reply(
                    200,
                    {"issuer": host.base_url, "token_endpoint": host.base_url + host.advertised_token_path},
                )
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self):
            received = self._received()
            token_path = host.advertised_token_path or "/auth/token"
            if self.path == token_path:
                host.token_requests.append(received)
                self._token(received)
            elif self.path == "/2/events":
                self._event(received)
            else:
                self._reply(404, {"code": "BadRequest", "message": "no such action"})

        def _token(self, received: Received):
            scheme, _, credentials = received.headers.get("Authorization", "").partition(" ")
            try:
                client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
            except ValueError:
                client_id = secret = ""
            form = parse_qs(received.body.decode())
            if (
                scheme != "Basic"
                or (unquote_plus(client_id), unquote_plus(secret)) != (host.client_id, host.client_secret)
                or form.get("grant_type") != ["client_credentials"]
            ):
                self._reply(401, {"error": "invalid_client", "error_description": "Authentication failed"})
                return
            self._reply(200, {"access_token": host.issue_token(), "token_type": "Bearer", "expires_in": 3600})

        def _event(self, received: Received):
            scheme, _, token = received.headers.get("Authorization", "").partition(" ")
            if scheme != "Bearer" or token not in host.issued_tokens:
                host.rejected_events.append(received)
                self._reply(400, {"code": "BadRequest", "message": "Invalid token provided"})
                return
            host.events.append(received)
            if host.failing_posts > 0:
                host.failing_posts -= 1
                self._reply(503)
            else:
                self._reply(200)

    return Handler
