from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolated_test_settings(request: pytest.FixtureRequest) -> None:
    """Per-test cache (login throttling state must not leak between tests or xdist workers), and a fast
    password hasher: Argon2 is deliberately slow; tests marked `argon2` keep it."""
    if "django_db" not in request.keywords and "db" not in request.fixturenames:
        return
    settings: Any = request.getfixturevalue("settings")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class OutboundConnectionBlocked(AssertionError):
    """A test tried to open a connection to an address other than loopback."""


def _loopback_or_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = str(address[0]).removeprefix("::ffff:")
    return host in ("localhost", "::1") or host.startswith("127.")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _loopback_or_local(address):
        raise OutboundConnectionBlocked(
            f"test tried to connect to {address!r}; only 127.0.0.1 may be reached"
        )
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _loopback_or_local(address):
        raise OutboundConnectionBlocked(
            f"test tried to connect to {address!r}; only 127.0.0.1 may be reached"
        )
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _only_loopback_connections() -> Iterator[None]:
    """No test reaches beyond this machine, even when the code under test regresses: the tests that feed
    private and metadata addresses (literal IPs have no resolver to stub) to the address guard would otherwise
    send a packet there if the guard failed. Here such a connection fails the test instead."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
