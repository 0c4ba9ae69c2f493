from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hikeshi.audit.context import Actor, acting_as
from hikeshi.monitoring.actions import do_import_file
from hikeshi.monitoring.management.commands._common import organization_by_slug


class Command(BaseCommand):
    help = "Import posts from a CSV or JSON Lines file: `import --org ORG FILE` (columns: text, id, url, author, created_at, source, engagement, reply_to)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--org", required=True)
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_by_slug(options["org"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            with acting_as(Actor(label="cli")):
                parsed, batch = do_import_file(organization, data=data, filename=path.name)
        except ValidationError as exc:
            raise CommandError(f"{path}: {'; '.join(exc.messages)}") from None
        for error in parsed.errors:
            self.stderr.write(f"{path}: line {error.line}: {error.message}")
        for outcome in batch.outcomes:
            if outcome.status == "error":
                self.stderr.write(f"{path}: item {outcome.source_id}: {outcome.error}")
        self.stdout.write(
            f"imported {batch.count('accepted')} new, {batch.count('duplicate')} already known, "
            f"{len(parsed.errors) + batch.count('error')} rejected"
        )
        if parsed.errors or batch.count("error"):
            raise CommandError("some lines were rejected")
