"""What every channel kind implements: validate its config, and send one message.

`send` raises TransientError for failures worth retrying (5xx, 429, timeouts, connection refused) and
PermanentError for ones that will fail again identically (4xx: a revoked token, a deleted webhook, a bad
address). The caller stores the outcome; a transport never touches the database.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


class ChannelError(Exception):
    """Base of delivery errors; the message is shown to people, so it says what failed and where."""


class TransientError(ChannelError):
    """Try again later (with backoff)."""


class PermanentError(ChannelError):
    """Retrying will not help; the channel needs to be fixed by a person."""


class ConfigError(ValueError):
    """The channel's configuration is incomplete or invalid."""


@dataclass(frozen=True)
class Message:
    """One message, in Japanese, in a form every channel can render."""

    subject: str
    text: str
    level: int | None = None
    level_label: str = ""
    title: str = ""
    explanation: str = ""
    posts: list[str] = field(default_factory=list)
    alert_url: str = ""
    ack_url: str = ""
    alert_id: int | None = None
    story_key: str = ""
    kind: str = "alert"

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Message:
        known = {name: payload[name] for name in cls.__dataclass_fields__ if name in payload}
        return cls(**known)


class Transport(ABC):
    """Base of every channel kind. Subclasses set `kind`, `fields`, `secret_fields` and implement `send`."""

    kind: ClassVar[str] = ""
    # Config keys the kind understands: name -> help text (shown by `hikeshi channel add --help`).
    fields: ClassVar[dict[str, str]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # Keys never shown back in full: pages and the CLI print them masked.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @classmethod
    def clean_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """The config to store, with unknown keys dropped; raises ConfigError naming what is missing."""
        cleaned = {key: raw[key] for key in cls.fields if raw.get(key) not in (None, "", [])}
        missing = [key for key in cls.required if key not in cleaned]
        if missing:
            raise ConfigError(f"{cls.kind}: missing {', '.join(missing)}")
        return cleaned

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver ``message``; raise TransientError (worth retrying) or PermanentError (fix the channel)."""
