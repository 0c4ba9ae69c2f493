"""E-mail through Django's e-mail backend (SMTP in production: HIKESHI_SMTP_*).

SMTP replies are sorted like HTTP statuses: 5xx (unknown mailbox, refused sender, failed authentication)
is permanent; 4xx (greylisting, mailbox full for now) and network failures are transient.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

from hikeshi.alerts.channels.base import ConfigError, Message, PermanentError, TransientError, Transport

MAX_RECIPIENTS = 20


class EmailTransport(Transport):
    kind = "email"
    fields: ClassVar[dict[str, str]] = {"to": "Recipient addresses (comma-separated)"}
    required = ("to",)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(raw)
        value = cleaned["to"]
        items = value if isinstance(value, list) else str(value).split(",")
        addresses = [str(item).strip() for item in items if str(item).strip()]
        if not addresses:
            raise ConfigError("email: missing to")
        if len(addresses) > MAX_RECIPIENTS:
            raise ConfigError(f"email: at most {MAX_RECIPIENTS} recipients per channel")
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ConfigError(f"email: {address!r} is not an e-mail address") from None
        cleaned["to"] = addresses
        return cleaned

    def send(self, message: Message) -> None:
        mail = EmailMessage(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(self.config["to"]),
            connection=get_connection(fail_silently=False),
        )
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentError(f"SMTP refused every recipient: {_describe(exc.recipients)}") from exc
            raise TransientError(f"SMTP refused recipients for now: {_describe(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else str(exc.smtp_error)
            )
            error = f"SMTP {exc.smtp_code}: {text}"
            if exc.smtp_code >= 500:
                raise PermanentError(error) from exc
            raise TransientError(error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP server unreachable or dropped the connection: {exc!r}") from exc


def _describe(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{addr} ({code} {text.decode(errors='replace')})" for addr, (code, text) in recipients.items()
    )
