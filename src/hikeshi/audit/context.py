"""Who is acting right now, for the audit log (web request, API token, CLI or task)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    user: Any = None  # a User or None
    label: str = "system"
    ip_address: str | None = None


_current: ContextVar[Actor | None] = ContextVar("hikeshi_audit_actor", default=None)


def current_actor() -> Actor:
    return _current.get() or Actor()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
