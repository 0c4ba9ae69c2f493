"""The test suite itself cannot reach beyond this machine (see tests/conftest.py)."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import OutboundConnectionBlocked


def test_a_connection_beyond_loopback_fails_the_test_before_any_packet() -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737), never routed; the guard refuses it before the kernel sees it.
    with pytest.raises(OutboundConnectionBlocked, match=r"192\.0\.2\.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_loopback_stays_reachable() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
