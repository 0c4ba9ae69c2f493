"""LINE Messaging API push message (LINE Notify ended in March 2025).

POST {api_base}/v2/bot/message/push with the channel access token; `to` is a user, group or room ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import Message, Transport
from hikeshi.alerts.channels.text import chat_text
from hikeshi.alerts.channels.urls import clean_url

DEFAULT_API_BASE = "https://api.line.me"
# A text message may hold 5,000 characters.
TEXT_LIMIT = 5_000


class LineTransport(Transport):
    kind = "line"
    fields: ClassVar[dict[str, str]] = {
        "token": "Channel access token",
        "to": "User, group or room ID to push to",
        "api_base": f"API base URL (default {DEFAULT_API_BASE})",
    }
    required = ("token", "to")
    secret_fields = ("token",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        if "api_base" in cleaned:
            cleaned["api_base"] = clean_url(cls.kind, "api_base", cleaned["api_base"])
        return cleaned

    def body(self, message: Message) -> dict[str, Any]:
        return {
            "to": self.config["to"],
            "messages": [{"type": "text", "text": chat_text(message, TEXT_LIMIT)}],
        }

    def send(self, message: Message) -> None:
        base = self.config.get("api_base", DEFAULT_API_BASE)
        headers = {"Authorization": f"Bearer {self.config['token']}"}
        http.post(f"{base}/v2/bot/message/push", json_body=self.body(message), headers=headers)
