from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hikeshi.alerts.channel_actions import do_add_channel, do_send_test
from hikeshi.alerts.channels.base import ConfigError
from hikeshi.alerts.channels.registry import TRANSPORTS
from hikeshi.alerts.management.commands._common import organization, parse_id
from hikeshi.alerts.models import Channel
from hikeshi.alerts.notify import Outcome
from hikeshi.audit.context import Actor, acting_as

# Command-line option -> config key of the channel kinds.
OPTION_KEYS = {
    "to": "to",
    "url": "url",
    "token": "token",
    "room": "room",
    "secret": "secret",
    "api_base": "api_base",
}


class Command(BaseCommand):
    help = (
        "Notification channels: `channel add --org ORG KIND [--to|--url|--token|--room|--secret|--api-base …]`, "
        "`channel test ID`, `channel list --org ORG`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a channel to an organisation.")
        add.add_argument("--org", required=True, help="organisation slug")
        add.add_argument("kind", choices=sorted(TRANSPORTS))
        add.add_argument("--name", default="", help="display name (default: the kind)")
        add.add_argument("--to", default="", help="email: addresses (comma-separated); line: user/group ID")
        add.add_argument("--url", default="", help="slack/teams/discord/webhook: the webhook URL")
        add.add_argument("--token", default="", help="line: channel access token; chatwork: API token")
        add.add_argument("--room", default="", help="chatwork: room ID")
        add.add_argument("--secret", default="", help="webhook: signing secret (generated when omitted)")
        add.add_argument("--api-base", dest="api_base", default="", help="line/chatwork: API base URL")
        add.add_argument("--fallback", action="store_true", help="use when another channel fails permanently")
        test = sub.add_parser("test", help="Send a test message now and report the outcome.")
        test.add_argument("id")
        listing = sub.add_parser("list", help="List an organisation's channels (secrets masked).")
        listing.add_argument("--org", required=True)
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "add":
            self._add(options)
        elif action == "test":
            self._test(options["id"])
        else:
            self._list(options)

    def _add(self, options: dict[str, Any]) -> None:
        org = organization(options["org"])
        config = {key: options[option] for option, key in OPTION_KEYS.items() if options.get(option)}
        try:
            with acting_as(Actor(label="cli")):
                channel = do_add_channel(
                    org,
                    name=options["name"],
                    kind=options["kind"],
                    config=config,
                    is_fallback=options["fallback"],
                )
        except ConfigError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"added channel {channel.pk}\t{channel.name}\t{channel.kind}")
        if channel.kind == "webhook":
            # Shown once here so the receiver can be configured; pages only ever show it masked.
            self.stdout.write(f"signing secret: {channel.config['secret']}")

    def _test(self, raw_id: str) -> None:
        channel = (
            Channel.objects.select_related("organization").filter(pk=parse_id(raw_id, "channel ID")).first()
        )
        if channel is None:
            raise CommandError(f"no channel with ID {raw_id}")
        with acting_as(Actor(label="cli")):
            outcome, notification = do_send_test(channel)
        if outcome != Outcome.SENT:
            raise CommandError(f"channel {channel.pk} ({channel.name}): {outcome}: {notification.error}")
        self.stdout.write(f"sent a test message through channel {channel.pk} ({channel.name})")

    def _list(self, options: dict[str, Any]) -> None:
        for channel in Channel.objects.for_org(organization(options["org"])):
            row = {
                "id": channel.pk,
                "name": channel.name,
                "kind": channel.kind,
                "status": channel.status,
                "fallback": channel.is_fallback,
                "config": channel.masked_config(),
            }
            if options["json"]:
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            else:
                flag = " (fallback)" if channel.is_fallback else ""
                self.stdout.write(f"{channel.pk}\t{channel.kind}\t{channel.status}\t{channel.name}{flag}")
