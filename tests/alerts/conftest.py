from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.alerts.fakeapi import FakeAPI, start_fake_api
from tests.platform.conftest import alpha, beta, outsider  # noqa: F401  (fixtures shared with the platform tests)


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAPI]:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "1")
    api = start_fake_api()
    yield api
    api.server.shutdown()
    api.server.server_close()
