"""The e-mail channel through Django's SMTP backend against a local aiosmtpd server."""

from __future__ import annotations

from typing import Any

import pytest

from hikeshi.alerts.channels.base import Message, PermanentError, TransientError
from hikeshi.alerts.channels.registry import build, clean_config
from tests.alerts.conftest import Mailbox, free_port

MESSAGE = Message(
    subject="【警戒】新商品への苦情", text="危険度: 2 警戒\n確認する: https://hikeshi.example/ack"
)


def test_email_arrives_with_japanese_subject_and_body(mailbox: Mailbox) -> None:
    config = clean_config("email", {"to": "risk@example.com, pr@example.com"})
    build("email", config).send(MESSAGE)
    (mail,) = mailbox.messages
    assert mail["Subject"] == MESSAGE.subject
    assert mail["To"] == "risk@example.com, pr@example.com"
    assert "確認する: https://hikeshi.example/ack" in mail.get_content()


def test_unknown_mailbox_is_permanent(mailbox: Mailbox) -> None:
    mailbox.rcpt_reply = "550 5.1.1 no such user"
    with pytest.raises(PermanentError, match="550"):
        build("email", {"to": ["gone@example.com"]}).send(MESSAGE)


def test_greylisting_is_transient(mailbox: Mailbox) -> None:
    mailbox.data_reply = "451 4.7.1 try again later"
    with pytest.raises(TransientError, match="451"):
        build("email", {"to": ["risk@example.com"]}).send(MESSAGE)


def test_unreachable_server_is_transient(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(TransientError, match="unreachable"):
        build("email", {"to": ["risk@example.com"]}).send(MESSAGE)
