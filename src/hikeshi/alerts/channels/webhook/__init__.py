"""Generic webhook: the message as JSON, signed with HMAC-SHA256 so the receiver can verify it.

Headers: X-Hikeshi-Timestamp (Unix seconds) and X-Hikeshi-Signature: "v1=" + hex HMAC-SHA256 of
"{timestamp}." + raw body, keyed with the channel's secret. The receiver recomputes it over the raw bytes,
compares in constant time and rejects timestamps older than a few minutes (replays). See docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from hikeshi.alerts.channels import http
from hikeshi.alerts.channels.base import ConfigError, Message, Transport
from hikeshi.alerts.channels.urls import clean_url

SIGNATURE_HEADER = "X-Hikeshi-Signature"
TIMESTAMP_HEADER = "X-Hikeshi-Timestamp"
MIN_SECRET_CHARS = 16
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: True only for a fresh timestamp and a matching signature."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)


class WebhookTransport(Transport):
    kind = "webhook"
    fields: ClassVar[dict[str, str]] = {
        "url": "Receiver URL",
        "secret": f"Signing secret (at least {MIN_SECRET_CHARS} characters; generated when omitted)",
    }
    required = ("url",)
    secret_fields = ("secret",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        cleaned["url"] = clean_url(cls.kind, "url", cleaned["url"])
        secret = str(cleaned.get("secret") or secrets.token_urlsafe(32))
        if len(secret) < MIN_SECRET_CHARS:
            raise ConfigError(f"webhook: secret must have at least {MIN_SECRET_CHARS} characters")
        cleaned["secret"] = secret
        return cleaned

    def body(self, message: Message) -> bytes:
        return json.dumps(message.to_payload(), ensure_ascii=False, sort_keys=True).encode()

    def send(self, message: Message, *, now: float | None = None) -> None:
        body = self.body(message)
        timestamp = int(time.time() if now is None else now)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(str(self.config["secret"]), timestamp, body),
        }
        http.post(self.config["url"], content=body, headers=headers)
