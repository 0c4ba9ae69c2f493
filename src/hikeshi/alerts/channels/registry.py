"""Channel kinds by name. Adding a kind = one package under channels/ and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ConfigError, Transport
from .chatwork import ChatworkTransport
from .discord import DiscordTransport
from .email import EmailTransport
from .line import LineTransport
from .slack import SlackTransport
from .teams import TeamsTransport
from .webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    cls.kind: cls
    for cls in (
        EmailTransport,
        SlackTransport,
        TeamsTransport,
        LineTransport,
        ChatworkTransport,
        DiscordTransport,
        WebhookTransport,
    )
}


def transport_class(kind: str) -> type[Transport]:
    try:
        return TRANSPORTS[kind]
    except KeyError:
        raise ConfigError(f"unknown channel kind {kind!r}; known: {', '.join(TRANSPORTS)}") from None


def build(kind: str, config: Mapping[str, Any]) -> Transport:
    return transport_class(kind)(config)


def clean_config(kind: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    return transport_class(kind).clean_config(raw)


def mask(value: str) -> str:
    """Enough of a secret to recognise it (the last 4 characters), never enough to use it."""
    text = str(value)
    if len(text) <= 8:
        return "••••"
    return "••••" + text[-4:]


def masked_config(kind: str, config: Mapping[str, Any]) -> dict[str, Any]:
    secret = TRANSPORTS[kind].secret_fields if kind in TRANSPORTS else tuple(config)
    return {key: (mask(value) if key in secret else value) for key, value in config.items()}
