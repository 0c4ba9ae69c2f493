"""The e-mail channel through Django's SMTP backend against a local aiosmtpd server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hikeshi.alerts.channels.base import Message, PermanentError, TransientError
from hikeshi.alerts.channels.registry import build, clean_config


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.rcpt_reply = "250 OK"
        self.data_reply = "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return self.data_reply


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailbox(settings: Any) -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield box
    controller.stop()


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
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    with pytest.raises(TransientError, match="unreachable"):
        build("email", {"to": ["risk@example.com"]}).send(MESSAGE)
