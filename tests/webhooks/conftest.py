"""A carmaker's endpoint standing in for the real one: an HTTP server on 127.0.0.1 in a thread that answers
from a script (status, body, seconds to wait first) and records every request it received."""

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Endpoint:
    answers: deque = field(default_factory=deque)  # (status, body, delay_s); then 200 "ok" for ever
    received: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/hooks/carbon?source=platform"

    def answer(self, status: int, body: str = "", delay_s: float = 0.0) -> "Endpoint":
        self.answers.append((status, body, delay_s))
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


def _handler_for(endpoint: Endpoint):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep the test output quiet
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            endpoint.received.append(Received(self.path, dict(self.headers), body))
            status, text, delay_s = endpoint.answers.popleft() if endpoint.answers else (200, "ok", 0.0)
            threading.Event().wait(delay_s)
            payload = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the caller gave up waiting (a timeout test)
                pass

    return Handler


@pytest.fixture
def local_endpoints(settings):
    """Stand-in endpoints are plain http on the loopback address: allowed for these tests only."""
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    return settings


@pytest.fixture
def endpoint(local_endpoints):
    server = Endpoint()
    yield server
    server.stop()


@pytest.fixture
def enqueued(monkeypatch):
    """Delivery tasks are recorded instead of sent, for tests about which deliveries an event makes."""
    from webhooks import services

    sent: list[int] = []
    monkeypatch.setattr(services, "deliveries_enqueue", lambda *, delivery_ids: sent.extend(delivery_ids))
    return sent
