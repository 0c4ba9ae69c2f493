"""Login throttling: too many failures for one account from one address locks that pair for a while,
and a much higher count locks the account from everywhere (slows distributed guessing)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

ACCOUNT_WIDE_FACTOR = 4


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return f"login-throttle:{kind}:{digest}"


def _keys(email: str, ip: str | None) -> tuple[str, str]:
    email = email.strip().lower()
    return _key("pair", email, ip or "-"), _key("account", email)


def is_locked(email: str, ip: str | None) -> bool:
    pair, account = _keys(email, ip)
    limit = settings.LOGIN_MAX_FAILURES
    return bool((cache.get(pair) or 0) >= limit or (cache.get(account) or 0) >= limit * ACCOUNT_WIDE_FACTOR)


def register_failure(email: str, ip: str | None) -> None:
    timeout = settings.LOGIN_LOCK_SECONDS
    for key in _keys(email, ip):
        cache.add(key, 0, timeout)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout)


def reset(email: str, ip: str | None) -> None:
    pair, _account = _keys(email, ip)
    cache.delete(pair)
