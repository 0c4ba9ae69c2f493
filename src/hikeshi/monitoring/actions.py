"""Writes of the monitoring app: rules, sources, profile words, imports, feedback, dead-letter retries."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from hikeshi.accounts.models import User
from hikeshi.ingest.errors import QuerySyntaxError, RuleError
from hikeshi.ingest.files import ImportResult, parse_import
from hikeshi.ingest.items import IngestedItem, safe_http_url
from hikeshi.ingest.recipes import RecipeError, validate_recipe
from hikeshi.monitoring.mentions import lock_profiles
from hikeshi.monitoring.models import (
    DeadLetter,
    DeadLetterStage,
    FeedbackVerdict,
    MonitoringProfile,
    Post,
    PostFeedback,
    Source,
    SourceKind,
    WatchRule,
)
from hikeshi.monitoring.pipeline import BatchResult, item_from_dict, process_items
from hikeshi.monitoring.routing import validate_rule
from hikeshi.tenancy.models import Organization

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _clean_list(values: list[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


@transaction.atomic
def do_add_watch_rule(
    organization: Organization,
    *,
    name: str,
    terms: list[dict[str, Any]],
    exclusions: list[str] = (),  # type: ignore[assignment]
    query: str = "",
) -> WatchRule:
    terms = [
        {"name": str(t["name"]).strip(), "variants": _clean_list(list(t.get("variants", [])))}
        for t in terms
        if str(t.get("name", "")).strip()
    ]
    exclusions = _clean_list(list(exclusions))
    try:
        validate_rule(terms=terms, exclusions=exclusions, query=query.strip())
    except QuerySyntaxError as exc:
        raise ValidationError(f"query: {exc}") from None
    except RuleError as exc:
        raise ValidationError(str(exc)) from None
    name = name.strip() or (terms[0]["name"] if terms else query.strip())[:200]
    return WatchRule.objects.create(
        organization=organization, name=name[:200], terms=terms, exclusions=exclusions, query=query.strip()
    )


@transaction.atomic
def do_set_rule_active(rule: WatchRule, *, active: bool) -> WatchRule:
    rule.active = active
    rule.save(update_fields=["active", "updated_at"])
    return rule


@transaction.atomic
def do_delete_rule(rule: WatchRule) -> None:
    # The pipeline stores mentions under this lock and drops those of rules gone by then; taken here,
    # no batch can store a mention of this rule after its mentions are deleted (no database constraint
    # on the mention's rule, see Mention).
    lock_profiles([rule.organization_id])
    rule.delete()


@transaction.atomic
def do_add_source(
    organization: Organization,
    *,
    kind: str,
    url: str = "",
    name: str = "",
    schedule_seconds: int = 900,
    recipe: str = "auto",
    selectors: dict[str, str] | None = None,
) -> Source:
    if kind not in (SourceKind.RSS, SourceKind.PAGE):
        raise ValidationError(f"kind must be rss or page, not {kind!r}")
    selectors = {k: v.strip() for k, v in (selectors or {}).items() if v and v.strip()}
    if kind == SourceKind.RSS and (recipe != "auto" or selectors):
        raise ValidationError("a recipe is for page sources only")
    try:
        validate_recipe(recipe, selectors)
    except RecipeError as exc:
        raise ValidationError(str(exc)) from None
    if safe_http_url(url) is None:
        raise ValidationError(f"{url!r} is not an http(s) URL")
    if not 60 <= schedule_seconds <= 7 * 86400:
        raise ValidationError("the schedule must be between 60 seconds and 7 days")
    if Source.objects.for_org(organization).filter(kind=kind, url=url).exists():
        raise ValidationError(f"this organisation already watches {url}")
    return Source.objects.create(
        organization=organization,
        kind=kind,
        url=url,
        name=(name or url)[:200],
        schedule_seconds=schedule_seconds,
        recipe=recipe,
        selectors=selectors if recipe == "custom" else {},
        next_run_at=timezone.now(),
    )


def named_source(organization: Organization, kind: str, name: str) -> Source:
    """The file or push source an organisation's items are recorded under (created on first use)."""
    source, _ = Source.objects.get_or_create(organization=organization, kind=kind, name=name[:200] or kind)
    return source


@transaction.atomic
def do_update_profile(
    organization: Organization, *, confidential_terms: list[str], vip_names: list[str], own_names: list[str]
) -> MonitoringProfile:
    profile: MonitoringProfile
    profile, _ = MonitoringProfile.objects.select_for_update().get_or_create(organization=organization)
    profile.confidential_terms = _clean_list(confidential_terms)
    profile.vip_names = _clean_list(vip_names)
    profile.own_names = _clean_list(own_names)
    profile.save()
    return profile


def do_import_file(
    organization: Organization, *, data: bytes, filename: str
) -> tuple[ImportResult, BatchResult]:
    """CSV or JSON Lines: parse errors are returned by line; good rows are stored for the organisation."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        parsed = parse_import(data, filename)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    source = named_source(organization, SourceKind.FILE, "import")
    batch = process_items(parsed.items, source_key=source.source_key, source=source, owner=organization)
    _assess_soon(organization, batch)
    return parsed, batch


def _assess_soon(organization: Organization, batch: BatchResult) -> None:
    from hikeshi.core.tasks import enqueue
    from hikeshi.monitoring.tasks import assess_series

    if batch.mentions_created:
        enqueue(assess_series, org_id=organization.pk)


def do_ingest_push(organization: Organization, items: list[IngestedItem], *, source_name: str) -> BatchResult:
    source = named_source(organization, SourceKind.PUSH, source_name or "api")
    batch = process_items(items, source_key=source.source_key, source=source, owner=organization)
    _assess_soon(organization, batch)
    return batch


@transaction.atomic
def do_record_feedback(
    organization: Organization, post: Post, *, user: User | None, verdict: str, category: str = ""
) -> PostFeedback:
    if verdict not in FeedbackVerdict.values:
        raise ValidationError(f"verdict must be one of {', '.join(FeedbackVerdict.values)}")
    feedback, _ = PostFeedback.objects.update_or_create(
        organization=organization,
        post=post,
        user=user,
        defaults={"verdict": verdict, "category": category[:40]},
    )
    return feedback


def do_retry_dead_letter(letter: DeadLetter) -> bool:
    """Run the failed stage again; True when it went through (the letter is then resolved)."""
    from hikeshi.monitoring.fetching import poll_source

    if letter.resolved_at is not None:
        return True
    error = ""
    if letter.stage == DeadLetterStage.FETCH:
        source = Source.objects.filter(pk=letter.source_id).first() if letter.source_id else None
        if source is None:
            error = "the source was deleted"
        else:
            outcome = poll_source(source)
            error = outcome.error
            if outcome.ok:
                DeadLetter.objects.filter(pk=letter.pk).update(resolved_at=timezone.now())
                return True
            letter.refresh_from_db()
            return False
    else:
        payload = letter.payload
        owner_id = payload.get("owner")
        owner = Organization.objects.filter(pk=int(owner_id)).first() if owner_id else None
        try:
            item = item_from_dict(payload["item"])
        except (KeyError, ValueError, TypeError) as exc:
            error = f"unreadable payload: {exc}"
        else:
            source = Source.objects.filter(pk=letter.source_id).first() if letter.source_id else None
            result = process_items([item], source_key=payload["source_key"], source=source, owner=owner)
            failed = [o for o in result.outcomes if o.status == "error"]
            if not failed:
                DeadLetter.objects.filter(pk=letter.pk).update(resolved_at=timezone.now())
                # The rerun recorded nothing new; the earlier letter is the one that is now resolved.
                return True
            error = failed[0].error
            # process_items dead-lettered the item again; keep one letter per item by folding it in.
            DeadLetter.objects.filter(
                organization=letter.organization, resolved_at=None, created_at__gt=letter.created_at
            ).exclude(pk=letter.pk).filter(payload__item__source_id=item.source_id).delete()
    letter.attempts += 1
    letter.error = error[:2000] or letter.error
    letter.save(update_fields=["attempts", "error", "updated_at"])
    return False
