from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from hikeshi.ingest.errors import (
    ConnectFailed,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    RefusedAddress,
    ResolutionError,
    TooLarge,
    TooManyRedirects,
)
from hikeshi.ingest.safefetch import FetchPolicy, SafeFetcher, Validators

from .conftest import LocalServer, RecordingTransport, slow_handler, stub_resolver

Factory = Callable[..., SafeFetcher]


def test_fetches_through_the_validated_ip_with_host_header_and_user_agent(
    server: LocalServer, make_fetcher: Factory, transport: RecordingTransport
) -> None:
    server.route("/feed", body=b"hello", headers={"Content-Type": "text/plain; charset=Shift_JIS"})
    result = make_fetcher().fetch(server.url("/feed"))
    assert result.body == b"hello"
    assert result.status == 200
    assert result.address == "127.0.0.1"
    assert result.charset == "Shift_JIS"
    assert result.content_type == "text/plain"
    assert transport.attempted == [f"http://127.0.0.1:{server.port}/feed"]
    _path, headers = server.requests[0]
    assert headers["host"] == f"feeds.test:{server.port}"
    assert "hikeshi" in headers["user-agent"]


def test_loopback_is_refused_unless_allowed(server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/", body=b"x")
    with pytest.raises(RefusedAddress) as error:
        make_fetcher(allow_loopback=False).fetch(server.url("/"))
    assert error.value.reason == "loopback"
    assert server.requests == []


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("internal.test", "private"),
        ("metadata.test", "cloud-metadata"),
        ("metadata6.test", "cloud-metadata"),
        ("cgnat.test", "cgnat"),
        ("mixed.test", "private"),
        ("10.0.0.1", "private"),
        ("169.254.169.254", "cloud-metadata"),
        ("[::ffff:169.254.169.254]", "cloud-metadata (embedded in IPv6)"),
        ("[fe80::1]", "link-local"),
    ],
)
def test_internal_targets_are_refused_before_any_connection(
    host: str, reason: str, make_fetcher: Factory, transport: RecordingTransport
) -> None:
    with pytest.raises(RefusedAddress) as error:
        make_fetcher().fetch(f"http://{host}/latest/meta-data/")
    assert error.value.reason == reason
    assert "public addresses" in str(error.value)
    assert transport.attempted == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://feeds.test/x",
        "gopher://feeds.test/",
        "http:///nohost",
        "http://u:p@feeds.test/",
    ],
)
def test_non_http_or_odd_urls_are_rejected(
    url: str, make_fetcher: Factory, transport: RecordingTransport
) -> None:
    with pytest.raises(InvalidURL):
        make_fetcher().fetch(url)
    assert transport.attempted == []


def test_unknown_host_is_a_resolution_error(make_fetcher: Factory) -> None:
    with pytest.raises(ResolutionError, match=r"nowhere\.test"):
        make_fetcher().fetch("http://nowhere.test/")


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.1/", "http://metadata.test/latest/", "http://[::ffff:10.0.0.1]/", "/../x@10.0.0.1"],
)
def test_redirect_to_a_refused_address_is_refused_without_connecting(
    target: str, server: LocalServer, make_fetcher: Factory, transport: RecordingTransport
) -> None:
    if target.startswith("/"):
        # A relative Location stays on the same validated host: followed, not refused.
        server.route("/start", status=302, headers={"Location": target})
        server.route("/x@10.0.0.1", body=b"same host")
        assert make_fetcher().fetch(server.url("/start")).body == b"same host"
        return
    server.route("/start", status=302, headers={"Location": target})
    with pytest.raises(RefusedAddress):
        make_fetcher().fetch(server.url("/start"))
    assert transport.attempted == [f"http://127.0.0.1:{server.port}/start"]


def test_redirects_are_followed_and_recorded(server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/a", status=301, headers={"Location": "/b"})
    server.route("/b", status=307, headers={"Location": f"http://other.test:{server.port}/c"})
    server.route("/c", body=b"done")
    result = make_fetcher().fetch(server.url("/a"))
    assert result.body == b"done"
    assert result.final_url == f"http://other.test:{server.port}/c"
    assert result.redirects == (server.url("/b"), f"http://other.test:{server.port}/c")
    assert server.requests[-1][1]["host"] == f"other.test:{server.port}"


def test_redirect_loops_stop_at_the_hop_limit(server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(TooManyRedirects):
        make_fetcher(max_redirects=3).fetch(server.url("/loop"))
    assert len(server.requests) == 4


def test_stalled_server_times_out_quickly(server: LocalServer, make_fetcher: Factory) -> None:
    server.routes["/stall"] = slow_handler(1.5)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        make_fetcher(read_timeout=0.3).fetch(server.url("/stall"))
    assert time.monotonic() - started < 1.2


def test_trickling_server_hits_the_total_deadline(server: LocalServer, make_fetcher: Factory) -> None:
    def trickle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Length", "100")
        request.end_headers()
        for _ in range(100):
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.05)

    server.routes["/trickle"] = trickle
    started = time.monotonic()
    with pytest.raises(FetchTimeout, match="deadline"):
        make_fetcher(read_timeout=1.0, total_timeout=0.4).fetch(server.url("/trickle"))
    assert time.monotonic() - started < 1.5


def _stream(chunk: bytes, count: int, extra_headers: dict[str, str] | None = None) -> Callable[..., None]:
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        for name, value in (extra_headers or {}).items():
            request.send_header(name, value)
        request.send_header("Connection", "close")
        request.end_headers()
        for _ in range(count):
            request.wfile.write(chunk)

    return handler


def test_huge_streamed_response_is_cut_at_the_limit(server: LocalServer, make_fetcher: Factory) -> None:
    server.routes["/huge"] = _stream(b"A" * 65536, 200)  # 12.5 MiB, no Content-Length
    with pytest.raises(TooLarge) as error:
        make_fetcher(max_bytes=100_000).fetch(server.url("/huge"))
    assert error.value.limit == 100_000
    assert len(error.value.partial) == 100_000


def test_declared_oversize_is_refused_without_reading(server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/big", body=b"B" * 5000)
    with pytest.raises(TooLarge, match="declares 5000 bytes"):
        make_fetcher(max_bytes=1000).fetch(server.url("/big"))


def test_compressed_bomb_is_cut_after_decompression(server: LocalServer, make_fetcher: Factory) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 50_000
    with pytest.raises(TooLarge):
        make_fetcher(max_bytes=200_000).fetch(server.url("/bomb"))


def test_conditional_requests_use_etag_and_last_modified(server: LocalServer, make_fetcher: Factory) -> None:
    etag, modified = '"v1"', "Mon, 01 Jan 2024 00:00:00 GMT"

    def handler(request: BaseHTTPRequestHandler) -> None:
        if (
            request.headers.get("If-None-Match") == etag
            or request.headers.get("If-Modified-Since") == modified
        ):
            request.send_response(304)
            request.send_header("ETag", etag)
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("ETag", etag)
        request.send_header("Last-Modified", modified)
        request.send_header("Content-Length", "4")
        request.end_headers()
        request.wfile.write(b"body")

    server.routes["/cond"] = handler
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/cond"))
    assert (first.body, first.not_modified) == (b"body", False)
    assert first.validators == Validators(etag, modified)
    second = fetcher.fetch(server.url("/cond"), validators=first.validators)
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.validators == first.validators
    assert server.requests[1][1]["if-none-match"] == etag
    only_date = fetcher.fetch(server.url("/cond"), validators=Validators(last_modified=modified))
    assert only_date.not_modified
    assert Validators.from_dict(first.validators.to_dict()) == first.validators


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_statuses_raise_typed_errors(status: int, server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/err", status=status, body=b"nope", headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as error:
        make_fetcher().fetch(server.url("/err"))
    assert error.value.status == status
    assert error.value.retry_after == "120"
    assert str(status) in str(error.value)


def test_closed_port_is_a_connect_failure(make_fetcher: Factory) -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectFailed):
        make_fetcher().fetch(f"http://feeds.test:{port}/")


def test_policy_reads_loopback_permission_from_the_environment() -> None:
    assert FetchPolicy.from_env({"HIKESHI_ALLOW_LOOPBACK_SOURCES": "1"}).allow_loopback is True
    assert FetchPolicy.from_env({"HIKESHI_ALLOW_LOOPBACK_SOURCES": "0"}).allow_loopback is False
    assert FetchPolicy.from_env({}, max_bytes=10).max_bytes == 10


def test_resolve_allowed_checks_without_fetching() -> None:
    fetcher = SafeFetcher(FetchPolicy(allow_loopback=True), resolver=stub_resolver)
    try:
        assert fetcher.resolve_allowed("https://feeds.test/x") == ["127.0.0.1"]
        with pytest.raises(RefusedAddress):
            fetcher.resolve_allowed("https://internal.test/x")
    finally:
        fetcher.close()
