"""HTTPS through a pinned IP: the certificate must still be checked against the URL's host name."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from hikeshi.ingest.errors import FetchError
from hikeshi.ingest.safefetch import FetchPolicy, SafeFetcher

from .conftest import RecordingTransport, stub_resolver

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate"
)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=feeds.test",
         "-addext", "subjectAltName=DNS:feeds.test", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, list[str | None]]]:
    cert, key = certificate
    seen_sni: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def record_sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        seen_sni.append(name)

    context.sni_callback = record_sni
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1], seen_sni
    httpd.shutdown()
    httpd.server_close()


def _fetcher(cert: Path) -> SafeFetcher:
    transport = RecordingTransport()
    transport.inner = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
    policy = FetchPolicy(allow_loopback=True, connect_timeout=2, read_timeout=2, total_timeout=4)
    return SafeFetcher(policy, resolver=stub_resolver, transport=transport)


def test_https_to_pinned_ip_sends_sni_and_verifies_the_name(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str | None]]
) -> None:
    port, seen_sni = tls_server
    with _fetcher(certificate[0]) as fetcher:
        result = fetcher.fetch(f"https://feeds.test:{port}/")
    assert result.body == b"hello"
    assert result.address == "127.0.0.1"
    assert seen_sni == ["feeds.test"]


def test_https_certificate_for_another_name_is_rejected(
    certificate: tuple[Path, Path], tls_server: tuple[int, list[str | None]]
) -> None:
    port, seen_sni = tls_server
    with _fetcher(certificate[0]) as fetcher, pytest.raises(FetchError, match=r"(?i)certificate|hostname"):
        fetcher.fetch(f"https://other.test:{port}/")
    assert seen_sni == ["other.test"]
