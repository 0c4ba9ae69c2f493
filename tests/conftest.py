from __future__ import annotations

import uuid
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
