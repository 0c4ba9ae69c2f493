"""Discord webhook: POST {"content": …} (at most 2,000 characters) with mentions disabled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import Message, Transport
from hikeshi.alerts.channels.text import chat_text
from hikeshi.alerts.channels.urls import clean_url

TEXT_LIMIT = 2_000


class DiscordTransport(Transport):
    kind = "discord"
    fields: ClassVar[dict[str, str]] = {"url": "Webhook URL (https://discord.com/api/webhooks/…)"}
    required = ("url",)
    secret_fields = ("url",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        cleaned["url"] = clean_url(cls.kind, "url", cleaned["url"])
        return cleaned

    def body(self, message: Message) -> dict[str, Any]:
        # Post text may contain "@everyone"; never let quoted posts ping a whole server.
        return {"content": chat_text(message, TEXT_LIMIT), "allowed_mentions": {"parse": []}}

    def send(self, message: Message) -> None:
        http.post(self.config["url"], json_body=self.body(message))
