"""A real HTTP server on 127.0.0.1 (random port) and a fetcher whose resolver is a fixed table.

Nothing here sends traffic anywhere but 127.0.0.1: names that "resolve" to private or metadata
addresses exist only in the stub table, and the fetcher must refuse them before connecting, which
the recording transport proves.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from hikeshi.ingest.errors import ResolutionError
from hikeshi.ingest.safefetch import FetchPolicy, SafeFetcher

Handler = Callable[[BaseHTTPRequestHandler], None]

STUB_DNS: dict[str, list[str]] = {
    "feeds.test": ["127.0.0.1"],
    "other.test": ["127.0.0.1"],
    "internal.test": ["10.0.0.5"],
    "metadata.test": ["169.254.169.254"],
    "metadata6.test": ["fd00:ec2::254"],
    "mixed.test": ["127.0.0.1", "10.0.0.5"],
    "cgnat.test": ["100.64.1.1"],
}


def stub_resolver(host: str, port: int) -> list[str]:
    try:
        return STUB_DNS[host]
    except KeyError:
        raise ResolutionError(f"stub DNS has no entry for {host!r}", url=host) from None


@dataclass
class LocalServer:
    port: int
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str, host: str = "feeds.test") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(
        self, path: str, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        def handler(request: BaseHTTPRequestHandler) -> None:
            request.send_response(status)
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)

        self.routes[path] = handler


class _RequestHandler(BaseHTTPRequestHandler):
    server_state: LocalServer

    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        handler = state.routes.get(self.path)
        if handler is None:
            self.send_error(404)
            return
        # The client may give up on purpose (size limit, timeout).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            handler(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[LocalServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
    httpd.daemon_threads = True
    state = LocalServer(port=httpd.server_address[1])
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.1 s; once per test run is enough.
    return ssl.create_default_context()


class RecordingTransport(httpx.BaseTransport):
    """The real HTTP transport, plus a list of every URL it was asked to connect to."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(verify=_tls_context())
        self.attempted: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempted.append(str(request.url))
        assert request.url.host in ("127.0.0.1", "::1"), f"test tried to reach {request.url}"
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def make_fetcher(transport: RecordingTransport) -> Iterator[Callable[..., SafeFetcher]]:
    made: list[SafeFetcher] = []

    def factory(**overrides: object) -> SafeFetcher:
        settings: dict[str, Any] = {
            "connect_timeout": 1.0,
            "read_timeout": 1.0,
            "total_timeout": 3.0,
            "allow_loopback": True,
        }
        settings.update(overrides)
        fetcher = SafeFetcher(FetchPolicy(**settings), resolver=stub_resolver, transport=transport)
        made.append(fetcher)
        return fetcher

    yield factory
    for fetcher in made:
        fetcher.close()


def slow_handler(delay: float) -> Handler:
    def handler(request: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        request.send_response(200)
        request.send_header("Content-Length", "2")
        request.end_headers()
        request.wfile.write(b"ok")

    return handler
