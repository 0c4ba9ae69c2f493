"""Chatwork API v2: POST {api_base}/rooms/{room}/messages, form field `body`, header X-ChatWorkToken."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import ConfigError, Message, Transport
from hikeshi.alerts.channels.text import clip
from hikeshi.alerts.channels.urls import clean_url

DEFAULT_API_BASE = "https://api.chatwork.com/v2"
TEXT_LIMIT = 5_000


class ChatworkTransport(Transport):
    kind = "chatwork"
    fields: ClassVar[dict[str, str]] = {
        "token": "API token",
        "room": "Room ID (digits)",
        "api_base": f"API base URL (default {DEFAULT_API_BASE})",
    }
    required = ("token", "room")
    secret_fields = ("token",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        room = str(cleaned["room"]).strip()
        if not room.isdigit():
            raise ConfigError(f"chatwork: room must be the numeric room ID, got {room!r}")
        cleaned["room"] = room
        if "api_base" in cleaned:
            cleaned["api_base"] = clean_url(cls.kind, "api_base", cleaned["api_base"])
        return cleaned

    def body(self, message: Message) -> dict[str, str]:
        # [info][title] renders a framed block in Chatwork; the text itself is plain.
        text = clip(message.text, TEXT_LIMIT)
        return {"body": f"[info][title]{message.subject}[/title]{text}[/info]"}

    def send(self, message: Message) -> None:
        base = self.config.get("api_base", DEFAULT_API_BASE)
        headers = {"X-ChatWorkToken": str(self.config["token"])}
        http.post(f"{base}/rooms/{self.config['room']}/messages", data=self.body(message), headers=headers)
