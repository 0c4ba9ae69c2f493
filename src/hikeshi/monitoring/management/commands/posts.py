from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hikeshi.monitoring.management.commands._common import organization_by_slug
from hikeshi.monitoring.models import Mention
from hikeshi.monitoring.serialize import mention_json


class Command(BaseCommand):
    help = "Posts that concern an organisation: `posts --org ORG --json [--since ISO8601] [--limit N]`."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--since", default=None)
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        mentions = (
            Mention.objects.for_org(organization).select_related("post", "rule").order_by("posted_at", "id")
        )
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(f"--since {options['since']!r} is not an ISO 8601 date-time") from None
            if since.tzinfo is None:
                raise CommandError("--since needs a timezone (e.g. 2026-03-10T09:00:00+09:00)")
            mentions = mentions.filter(posted_at__gte=since)
        if options["limit"] is not None:
            mentions = mentions[: max(0, options["limit"])]
        for mention in mentions.iterator(chunk_size=500):
            if options["json"]:
                self.stdout.write(json.dumps(mention_json(mention), ensure_ascii=False))
            else:
                flat = " ".join(mention.post.text.split())[:80]
                self.stdout.write(
                    f"{mention.posted_at.isoformat()}\t{mention.level}\t{mention.risk:.2f}\t{flat}"
                )
