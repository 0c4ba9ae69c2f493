"""Each channel kind against a local fake of its API on 127.0.0.1: request shape, auth, signature,
and how failures are classified (5xx/timeouts transient, 4xx permanent, private addresses refused)."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest

from hikeshi.alerts.channels import http as channel_http
from hikeshi.alerts.channels.base import ConfigError, Message, PermanentError, TransientError
from hikeshi.alerts.channels.registry import build, clean_config, masked_config
from hikeshi.alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.alerts.fakeapi import FakeAPI, Reply

MESSAGE = Message(
    subject="【炎上】店舗スタッフの投稿",
    text="危険度: 3 炎上\n状況: 過去7日の同時刻平均の12倍。\n確認する: https://hikeshi.example/ack",
    level=3,
    level_label="炎上",
    title="店舗スタッフの投稿",
    alert_url="https://hikeshi.example/o/a/alerts/1/",
    ack_url="https://hikeshi.example/o/a/alerts/ack/x/",
    alert_id=1,
)


def test_slack_posts_text_to_the_webhook(fake_api: FakeAPI) -> None:
    build("slack", clean_config("slack", {"url": fake_api.url("/services/T/B/x")})).send(MESSAGE)
    (request,) = fake_api.requests
    assert request.path == "/services/T/B/x"
    body = json.loads(request.body)
    assert body["text"].startswith("危険度: 3 炎上") and body["unfurl_links"] is False
    assert request.headers["content-type"] == "application/json"


def test_discord_disables_mentions_and_respects_the_length_limit(fake_api: FakeAPI) -> None:
    long = Message(subject="s", text="@everyone " + "炎" * 5000)
    build("discord", {"url": fake_api.url("/api/webhooks/1/t")}).send(long)
    body = json.loads(fake_api.requests[0].body)
    assert body["allowed_mentions"] == {"parse": []}
    assert len(body["content"]) == 2000


def test_teams_sends_an_adaptive_card_with_ack_action(fake_api: FakeAPI) -> None:
    build("teams", {"url": fake_api.url("/workflows/x")}).send(MESSAGE)
    body = json.loads(fake_api.requests[0].body)
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["body"][0]["text"] == MESSAGE.subject
    assert [a["url"] for a in card["actions"]] == [MESSAGE.alert_url, MESSAGE.ack_url]


def test_line_pushes_with_the_channel_access_token(fake_api: FakeAPI) -> None:
    config = clean_config("line", {"token": "line-secret-token", "to": "U123", "api_base": fake_api.base})
    build("line", config).send(MESSAGE)
    request = fake_api.requests[0]
    assert request.path == "/v2/bot/message/push"
    assert request.headers["authorization"] == "Bearer line-secret-token"
    assert json.loads(request.body) == {"to": "U123", "messages": [{"type": "text", "text": MESSAGE.text}]}


def test_chatwork_posts_the_body_form_with_its_token_header(fake_api: FakeAPI) -> None:
    config = clean_config(
        "chatwork", {"token": "cw-token", "room": "4242", "api_base": fake_api.base + "/v2"}
    )
    build("chatwork", config).send(MESSAGE)
    request = fake_api.requests[0]
    assert request.path == "/v2/rooms/4242/messages"
    assert request.headers["x-chatworktoken"] == "cw-token"
    body = parse_qs(request.body.decode())["body"][0]
    assert body.startswith(f"[info][title]{MESSAGE.subject}[/title]") and "12倍" in body


def test_webhook_body_is_signed_and_verifiable(fake_api: FakeAPI) -> None:
    secret = "s3cret-signing-key-0123456789"
    build("webhook", {"url": fake_api.url(), "secret": secret}).send(MESSAGE)
    request = fake_api.requests[0]
    timestamp, signature = (
        request.headers[TIMESTAMP_HEADER.lower()],
        request.headers[SIGNATURE_HEADER.lower()],
    )
    assert json.loads(request.body)["ack_url"] == MESSAGE.ack_url
    assert verify(secret, timestamp=timestamp, body=request.body, signature=signature)
    # A changed body, another secret, or an old timestamp does not verify.
    assert not verify(secret, timestamp=timestamp, body=request.body + b" ", signature=signature)
    assert not verify(
        "another-secret-0123456789", timestamp=timestamp, body=request.body, signature=signature
    )
    assert not verify(
        secret, timestamp=timestamp, body=request.body, signature=signature, now=int(timestamp) + 3600
    )


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_transient(fake_api: FakeAPI, status: int) -> None:
    fake_api.script(Reply(status=status, body=b"busy"))
    with pytest.raises(TransientError, match=str(status)):
        build("slack", {"url": fake_api.url()}).send(MESSAGE)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_permanent(fake_api: FakeAPI, status: int) -> None:
    fake_api.script(Reply(status=status, body=b"invalid_token"))
    with pytest.raises(PermanentError, match=f"HTTP {status}.*invalid_token"):
        build("discord", {"url": fake_api.url()}).send(MESSAGE)


def test_a_timeout_is_transient(fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel_http, "READ_TIMEOUT", 0.2)
    fake_api.script(Reply(delay=1.0))
    started = time.monotonic()
    with pytest.raises(TransientError, match="timed out"):
        build("webhook", {"url": fake_api.url(), "secret": "x" * 20}).send(MESSAGE)
    assert time.monotonic() - started < 1.0


def test_a_closed_port_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "1")
    with pytest.raises(TransientError, match="cannot connect"):
        build("slack", {"url": "http://127.0.0.1:9/hook"}).send(MESSAGE)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest",
        "http://10.0.0.5/x",
        "http://[::ffff:192.168.1.1]/",
    ],
)
def test_private_and_metadata_addresses_are_refused(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "0")
    with pytest.raises(PermanentError, match="refused"):
        build("webhook", {"url": url, "secret": "x" * 20}).send(MESSAGE)


@pytest.mark.parametrize(
    ("kind", "config", "error"),
    [
        ("slack", {}, "missing url"),
        ("slack", {"url": "ftp://example.com/x"}, "http"),
        ("line", {"token": "t"}, "missing to"),
        ("chatwork", {"token": "t", "room": "abc"}, "numeric room"),
        ("email", {"to": "not-an-address"}, "not an e-mail address"),
        ("webhook", {"url": "https://example.com", "secret": "short"}, "at least 16"),
        ("pager", {}, "unknown channel kind"),
    ],
)
def test_bad_configs_are_rejected_with_a_clear_message(kind: str, config: dict[str, str], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        clean_config(kind, config)


def test_secrets_are_masked_and_webhook_secret_is_generated() -> None:
    config = clean_config("webhook", {"url": "https://example.com/h"})
    assert len(config["secret"]) >= 32
    masked = masked_config("webhook", config)
    assert masked["url"] == "https://example.com/h" and config["secret"] not in masked["secret"]
    slack = masked_config("slack", {"url": "https://hooks.slack.com/services/T0/B0/abcdefgh1234"})
    assert slack["url"] == "••••1234"
