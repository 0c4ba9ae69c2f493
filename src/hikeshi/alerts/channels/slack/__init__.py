"""Slack incoming webhook: POST {"text": …} (mrkdwn) to the hooks.slack.com URL of the channel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import Message, Transport
from hikeshi.alerts.channels.text import chat_text
from hikeshi.alerts.channels.urls import clean_url

# Slack truncates a message's text at 40,000 characters; stay well under it.
TEXT_LIMIT = 3_500


class SlackTransport(Transport):
    kind = "slack"
    fields: ClassVar[dict[str, str]] = {"url": "Incoming webhook URL (https://hooks.slack.com/services/…)"}
    required = ("url",)
    secret_fields = ("url",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        cleaned["url"] = clean_url(cls.kind, "url", cleaned["url"])
        return cleaned

    def body(self, message: Message) -> dict[str, Any]:
        return {"text": chat_text(message, TEXT_LIMIT), "unfurl_links": False}

    def send(self, message: Message) -> None:
        http.post(self.config["url"], json_body=self.body(message))
