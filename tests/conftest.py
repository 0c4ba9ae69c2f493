from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> None:
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    if "argon2" in request.keywords or "django_db" not in request.keywords and "db" not in request.fixturenames:
        return
    settings: Any = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
