"""Microsoft Teams: an Adaptive Card posted to a Workflows (Power Automate) or incoming-webhook URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import Message, Transport
from hikeshi.alerts.channels.text import clip
from hikeshi.alerts.channels.urls import clean_url

TEXT_LIMIT = 3_000


class TeamsTransport(Transport):
    kind = "teams"
    fields: ClassVar[dict[str, str]] = {"url": "Workflow / incoming webhook URL"}
    required = ("url",)
    secret_fields = ("url",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        cleaned["url"] = clean_url(cls.kind, "url", cleaned["url"])
        return cleaned

    def body(self, message: Message) -> dict[str, Any]:
        card_body: list[dict[str, Any]] = [
            {
                "type": "TextBlock",
                "text": message.subject,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": clip(message.text, TEXT_LIMIT), "wrap": True},
        ]
        actions = []
        if message.alert_url:
            actions.append({"type": "Action.OpenUrl", "title": "アラートを開く", "url": message.alert_url})
        if message.ack_url:
            actions.append(
                {"type": "Action.OpenUrl", "title": "確認する (対応を引き受ける)", "url": message.ack_url}
            )
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": card_body,
        }
        if actions:
            card["actions"] = actions
        return {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }

    def send(self, message: Message) -> None:
        http.post(self.config["url"], json_body=self.body(message))
