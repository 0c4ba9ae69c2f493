"""Plain-text rendering shared by chat channels, with each service's length limit."""

from __future__ import annotations

from .base import Message


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chat_text(message: Message, limit: int) -> str:
    return clip(message.text, limit)
