"""Polling one source: safe fetch → parse → process the new items → advance the poll state.

The poll state (validators, cursor) is saved in the same transaction as the posts it produced. A worker
that dies mid-batch leaves the old state, so the next poll fetches the same items again and the
idempotent pipeline stores each once: nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hikeshi.config import env_bool
from hikeshi.ingest.errors import FetchError, HTTPStatusError
from hikeshi.ingest.recipes import PageRecipe
from hikeshi.ingest.safefetch import FetchPolicy, SafeFetcher
from hikeshi.ingest.schedule import PollPolicy, next_run
from hikeshi.ingest.sources import PollResult, poll_feed, poll_page
from hikeshi.monitoring.models import POLLED_KINDS, DeadLetter, DeadLetterStage, Source, SourceKind
from hikeshi.monitoring.pipeline import BatchResult, process_items

logger = logging.getLogger(__name__)

MAX_ARRIVALS = 60


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source_id: int
    ok: bool
    new_items: int
    error: str = ""


def fetch_policy() -> FetchPolicy:
    return FetchPolicy.from_env(allow_loopback=env_bool("HIKESHI_ALLOW_LOOPBACK_SOURCES"))


def _poll(fetcher: SafeFetcher, source: Source) -> PollResult:
    if source.kind == SourceKind.RSS:
        return poll_feed(fetcher, source.url, source.state)
    return poll_page(fetcher, source.url, PageRecipe(source.recipe, source.selectors or None), source.state)


def poll_source(
    source: Source, *, fetcher: SafeFetcher | None = None, now: datetime | None = None
) -> PollOutcome:
    if source.kind not in POLLED_KINDS:
        raise ValueError(f"source {source.pk} is a {source.kind} source and is not polled")
    now = now or timezone.now()
    policy = PollPolicy(interval=timedelta(seconds=max(60, source.schedule_seconds)))
    own_fetcher = fetcher is None
    fetcher = fetcher or SafeFetcher(fetch_policy())
    try:
        result = _poll(fetcher, source)
    except FetchError as exc:
        return _record_failure(source, exc, policy, now)
    finally:
        if own_fetcher:
            fetcher.close()
    with transaction.atomic():
        locked = Source.objects.select_for_update().get(pk=source.pk)
        batch: BatchResult = process_items(result.items, source_key=locked.source_key, source=locked, now=now)
        new_items = batch.count("accepted")
        locked.state = result.state
        locked.last_success_at = now
        locked.items_last_fetch = len(result.items)
        locked.consecutive_errors = 0
        locked.last_error = "; ".join(result.problems)[:2000]
        if new_items:
            locked.arrivals = [*locked.arrivals, now.isoformat()][-MAX_ARRIVALS:]
        locked.next_run_at = next_run(now, policy, 0)
        locked.save(
            update_fields=[
                "state",
                "last_success_at",
                "items_last_fetch",
                "consecutive_errors",
                "last_error",
                "arrivals",
                "next_run_at",
            ]
        )
    return PollOutcome(source.pk, True, new_items)


def _record_failure(source: Source, exc: FetchError, policy: PollPolicy, now: datetime) -> PollOutcome:
    retry_after = None
    if isinstance(exc, HTTPStatusError) and exc.retry_after and exc.retry_after.strip().isdigit():
        retry_after = timedelta(seconds=int(exc.retry_after.strip()))
    failures = source.consecutive_errors + 1
    message = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            consecutive_errors=failures,
            last_error=message,
            last_error_at=now,
            items_last_fetch=0,
            next_run_at=next_run(now, policy, failures, retry_after=retry_after),
        )
        # One open dead letter per failing source, counting attempts, rather than one per poll.
        letter, created = DeadLetter.objects.get_or_create(
            organization_id=source.organization_id,
            source=source,
            stage=DeadLetterStage.FETCH,
            resolved_at=None,
            defaults={"payload": {"source": source.pk, "url": source.url}, "error": message},
        )
        if not created:
            letter.attempts += 1
            letter.error = message
            letter.save(update_fields=["attempts", "error", "updated_at"])
    logger.info("source %s failed (%d in a row): %s", source.pk, failures, message)
    return PollOutcome(source.pk, False, 0, message)


def due_sources(now: datetime | None = None) -> list[Source]:
    now = now or timezone.now()
    return list(
        Source.objects.filter(active=True, kind__in=POLLED_KINDS)
        .exclude(next_run_at__gt=now)
        .order_by("next_run_at", "id")
    )
