"""The post feed: filters, full-text search and keyset pagination that stay fast over millions of mentions.

Why keyset, not page numbers: ``Paginator`` counts every matching mention (a full scan of the
organisation's mentions on each request) and ``OFFSET`` reads and discards every row before the page,
so page 5,000 cost as much as counting. The feed is read newest first through an index ending in
``posted_at`` (``mention_org_time``, ``mention_org_level_time``, ``mention_source_time``,
``mention_rule_time``) and stops after one page; "older" carries the last row's (time, id).

Filters no index can serve (a category inside the JSON list, a full-text word common enough to match
thousands of posts, words shorter than a trigram) examine at most ``SCAN_WINDOW`` mentions per request;
when a window ends before a page is full, the page says so and "older" continues from the window's end,
so every matching mention is still reachable, a bounded step at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from hikeshi.analysis import CATEGORY_CODES
from hikeshi.monitoring.models import Mention, Source
from hikeshi.monitoring.search import search_words
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

PAGE_SIZE = 50
SCAN_WINDOW = 20_000
"""Mentions one request may examine for a filter without an index (see the module docstring)."""
LEVELS = ("none", "low", "medium", "high", "critical")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class FeedFilters(forms.Form):
    q = forms.CharField(label=_("検索"), required=False, max_length=200)
    source = forms.TypedChoiceField(label=_("ソース"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("分類"), required=False)
    level = forms.ChoiceField(
        label=_("リスク"), required=False, choices=[("", "—")] + [(v, v) for v in LEVELS]
    )
    period = forms.ChoiceField(
        label=_("期間"),
        required=False,
        choices=[("", _("すべて")), ("24h", _("24時間")), ("7d", _("7日")), ("30d", _("30日"))],
    )
    rule = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, sources: list[Source], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["source"].choices = [("", "—")] + [(s.pk, str(s)) for s in sources]  # type: ignore[attr-defined]
        self.fields["category"].choices = [("", "—")] + [(c, c) for c in CATEGORY_CODES]  # type: ignore[attr-defined]


def encode_key(posted_at: datetime, mention_id: int) -> str:
    """A position in the feed: microseconds since the epoch and the mention id (exact, no float)."""
    return f"{(posted_at - _EPOCH) // timedelta(microseconds=1)}_{mention_id}"


def decode_key(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    micros, _sep, mention_id = value.partition("_")
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), int(mention_id)
    except (ValueError, OverflowError):
        return None


def _older_than(mentions: QuerySet[Mention], key: tuple[datetime, int]) -> QuerySet[Mention]:
    # posted_at <= t is an index range; the NOT drops the rows at t already shown (id >= the key's).
    posted_at, mention_id = key
    return mentions.filter(posted_at__lte=posted_at).exclude(posted_at=posted_at, id__gte=mention_id)


@dataclass(frozen=True, slots=True)
class FeedPage:
    mentions: list[Mention]
    older: str | None
    """Key to pass as ``before`` for the next (older) page; None at the end."""
    window_ended: bool
    """The scan window ended before the page filled: older matches may exist beyond it."""


Narrowing = Callable[[QuerySet[Mention]], QuerySet[Mention]]


def feed_page(
    base: QuerySet[Mention], before: tuple[datetime, int] | None, narrow: list[Narrowing], *, windowed: bool
) -> FeedPage:
    """One page of ``base`` (indexed filters only) older than ``before``, narrowed by ``narrow`` (search,
    category); when ``windowed``, the narrowing looks at no more than SCAN_WINDOW mentions of ``base``."""
    ordered = base.order_by("-posted_at", "-id")
    if before is not None:
        ordered = _older_than(ordered, before)
    window_end: tuple[datetime, int] | None = None
    if windowed:
        # The SCAN_WINDOW-th mention of the indexed query (an index-only walk bounds the rest).
        found = list(ordered.values_list("posted_at", "id")[SCAN_WINDOW - 1 : SCAN_WINDOW])
        if found:
            window_end = (found[0][0], found[0][1])
            end_at, end_id = window_end
            ordered = ordered.filter(posted_at__gte=end_at).exclude(posted_at=end_at, id__lt=end_id)
    for step in narrow:
        ordered = step(ordered)
    rows = list(ordered.select_related("post", "rule")[: PAGE_SIZE + 1])
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        return FeedPage(rows, encode_key(rows[-1].posted_at, rows[-1].pk), window_ended=False)
    if window_end is not None:
        # The window is exhausted: continue after its last mention (everything above it was examined).
        return FeedPage(rows, encode_key(*window_end), window_ended=True)
    return FeedPage(rows, None, window_ended=False)


@dataclass(frozen=True, slots=True)
class Conditions:
    """The feed's filters other than the search, for the driven query."""

    organization_id: int
    source_id: int | None = None
    level: str = ""
    since: datetime | None = None
    rule_id: int | None = None
    category: str = ""


def driven_page(conditions: Conditions, post_ids: list[int], before: tuple[datetime, int] | None) -> FeedPage:
    """A page of the mentions of ``post_ids`` (a search with few matches, SQLite), newest first.

    Without table statistics SQLite would walk the organisation's time index (it yields the order) and
    probe each of its mentions against the match list — the whole organisation for a rare word. Here the
    other conditions carry SQLite's unary ``+``, which keeps them from driving an index, so the query
    starts from the matched posts (the post index) and sorts only their mentions: bounded by
    ``search.DRIVE_LIMIT`` whatever the size of the organisation."""
    adapt = connection.ops.adapt_datetimefield_value
    where = ["m.post_id IN (SELECT value FROM json_each(%s))", "+m.organization_id = %s"]
    params: list[Any] = [json.dumps(post_ids), conditions.organization_id]
    if conditions.source_id:
        where.append("+m.source_id = %s")
        params.append(conditions.source_id)
    if conditions.level:
        where.append("+m.level = %s")
        params.append(conditions.level)
    if conditions.rule_id:
        where.append("+m.rule_id = %s")
        params.append(conditions.rule_id)
    if conditions.since is not None:
        where.append("m.posted_at >= %s")
        params.append(adapt(conditions.since))
    if conditions.category:
        where.append("instr(m.categories, %s) > 0")
        params.append(f'"{conditions.category}"')
    if before is not None:
        where.append("m.posted_at <= %s AND NOT (m.posted_at = %s AND m.id >= %s)")
        params += [adapt(before[0]), adapt(before[0]), before[1]]
    sql = (
        "SELECT m.id FROM monitoring_mention AS m WHERE "  # noqa: S608 (fixed SQL, values are parameters)
        + " AND ".join(where)
        + " ORDER BY m.posted_at DESC, m.id DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, PAGE_SIZE + 1])
        ids = [row[0] for row in cursor.fetchall()]
    found = Mention.objects.select_related("post", "rule").in_bulk(ids[:PAGE_SIZE])
    rows = [found[i] for i in ids[:PAGE_SIZE] if i in found]
    older = encode_key(rows[-1].posted_at, rows[-1].pk) if len(ids) > PAGE_SIZE else None
    return FeedPage(rows, older, window_ended=False)


def _category(code: str) -> Narrowing:
    def narrow(mentions: QuerySet[Mention]) -> QuerySet[Mention]:
        # JSON containment is not portable to SQLite; the codes are fixed identifiers, so a quoted match
        # on the JSON text is exact.
        return mentions.annotate(category_text=Cast("categories", TextField())).filter(
            category_text__contains=f'"{code}"'
        )

    return narrow


@org_view(require="staff")
@require_http_methods(["GET"])
def feed(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    sources = list(Source.objects.for_org(org))
    filters = FeedFilters(request.GET or None, sources=sources)
    mentions: QuerySet[Mention] = Mention.objects.for_org(org)
    narrow: list[Narrowing] = []
    windowed = False
    conditions = Conditions(org.pk)
    search = None
    if filters.is_valid():
        data = filters.cleaned_data
        since = timezone.now() - PERIODS[data["period"]] if data["period"] else None
        conditions = Conditions(org.pk, data["source"], data["level"], since, data["rule"], data["category"])
        if data["source"]:
            mentions = mentions.filter(source_id=data["source"])
        if data["level"]:
            mentions = mentions.filter(level=data["level"])
        if since is not None:
            mentions = mentions.filter(posted_at__gte=since)
        if data["rule"]:
            mentions = mentions.filter(rule_id=data["rule"])
        if data["category"]:
            narrow.append(_category(data["category"]))
            windowed = True
        if data["q"]:
            search = search_words(data["q"])
            narrow.append(search.narrow)
            windowed = windowed or search.windowed
    before = decode_key(request.GET.get("before"))
    if search is not None and search.post_ids is not None:
        page = driven_page(conditions, search.post_ids, before)
    else:
        page = feed_page(mentions, before, narrow, windowed=windowed)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "monitoring/feed.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "paged": before is not None,
            "scan_window": SCAN_WINDOW,
        },
    )
