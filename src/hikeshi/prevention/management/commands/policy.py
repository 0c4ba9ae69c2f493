from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from hikeshi.audit.context import Actor, acting_as
from hikeshi.prevention.content import AnswersInvalid, validate_answers
from hikeshi.prevention.exports import EXPORT_FORMATS
from hikeshi.prevention.models import DocCode, PolicyVersion, VersionState
from hikeshi.prevention.policy_actions import do_generate_documents, export_version
from hikeshi.tenancy.models import Organization


def _org(slug: str) -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"organisation not found: {slug}")
    return org


class Command(BaseCommand):
    help = (
        "Rule documents: `policy generate --org ORG --answers FILE.json` (draft of all four documents from the "
        "questionnaire's answers), `policy export --org ORG --doc DOC --format pdf|docx|md -o FILE`."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        generate = sub.add_parser("generate", help="Create drafts of the four documents from answers (JSON).")
        generate.add_argument("--org", required=True)
        generate.add_argument("--answers", required=True, help="JSON object: question id -> answer")
        export = sub.add_parser("export", help="Export the published version (or --version N).")
        export.add_argument("--org", required=True)
        export.add_argument("--doc", required=True, choices=DocCode.values)
        export.add_argument("--format", required=True, choices=EXPORT_FORMATS)
        export.add_argument("--version", type=int, default=None, help="version number (default: published)")
        export.add_argument("-o", "--output", required=True)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        org = _org(options["org"])
        if action == "generate":
            self._generate(org, Path(options["answers"]))
        else:
            self._export(org, options)

    def _generate(self, org: Organization, path: Path) -> None:
        try:
            answers = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        issues = validate_answers(answers) if isinstance(answers, dict) else None
        if issues is None:
            raise CommandError(f"{path}: the answers must be a JSON object (question id -> answer)")
        if issues:
            raise CommandError("; ".join(f"{i.question_id}: {i.message}" for i in issues))
        try:
            with acting_as(Actor(label="cli")):
                versions = do_generate_documents(org, answers, created_by=None)
        except AnswersInvalid as exc:
            raise CommandError("; ".join(f"{i.question_id}: {i.message}" for i in exc.issues)) from None
        for code, version in versions.items():
            self.stdout.write(f"{code}\tv{version.number}\t{version.state}\t{version.title}")

    def _export(self, org: Organization, options: dict[str, Any]) -> None:
        versions = PolicyVersion.objects.for_org(org).filter(document__doc=options["doc"])
        if options["version"] is not None:
            version = versions.filter(number=options["version"]).first()
            missing = f"{options['doc']} has no version {options['version']} in {org.slug}"
        else:
            version = versions.filter(state=VersionState.PUBLISHED).first()
            missing = f"{options['doc']} has no published version in {org.slug} (use --version N for a draft)"
        if version is None:
            raise CommandError(missing)
        try:
            with acting_as(Actor(label="cli")):
                data, _type, _name = export_version(version, options["format"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        output = Path(options["output"])
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stdout.write(f"wrote {output} ({len(data)} bytes, {version.title} v{version.number})")
