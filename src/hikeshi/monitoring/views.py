"""Monitoring pages: the dashboard, the post feed, a post, a topic, and the paste-and-judge check."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from hikeshi.analysis import CATEGORY_CODES
from hikeshi.core.highlight import judgement_segments
from hikeshi.monitoring.actions import do_record_feedback
from hikeshi.monitoring.charts import Bar, volume_svg
from hikeshi.monitoring.models import (
    FeedbackVerdict,
    Mention,
    PostFeedback,
    SeriesBucket,
    SeriesState,
    Source,
    Topic,
)
from hikeshi.monitoring.search import search_mentions
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

MAX_POSTS = 200
MAX_POST_CHARS = 2000
LEVELS = ("none", "low", "medium", "high", "critical")
PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
RISK_LABELS = {0: _("0 平常"), 1: _("1 注意"), 2: _("2 警戒"), 3: _("3 炎上"), 4: _("4 大炎上")}


class PostsForm(forms.Form):
    posts = forms.CharField(
        label=_("判定する投稿 (1行に1件、最大200件)"),
        max_length=MAX_POSTS * MAX_POST_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def monitoring_home(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    """The dashboard; a POST of pasted posts is the check (kept at this address for existing links)."""
    if request.method == "POST":
        return _check(request)
    return _dashboard(request, access)


@org_view(require="staff")
@require_http_methods(["GET", "POST"])
def check(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    return _check(request)


def _check(request: HttpRequest) -> HttpResponse:
    """Judge posts found elsewhere (pasted by an analyst) with the analysis engine; nothing is stored."""
    form = PostsForm(request.POST or None)
    results = []
    if request.method == "POST" and form.is_valid():
        from hikeshi.analysis import get_analyzer

        lines = [line.strip()[:MAX_POST_CHARS] for line in form.cleaned_data["posts"].splitlines()]
        texts = [line for line in lines if line][:MAX_POSTS]
        judgements = [j.to_dict() for j in get_analyzer().analyze(texts)]
        ranked = sorted(zip(texts, judgements, strict=True), key=lambda pair: -float(pair[1]["risk"]))
        results = [{"judgement": j, "segments": judgement_segments(t, j)} for t, j in ranked]
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "monitoring/_results.html", {"results": results})
    return render(request, "monitoring/check.html", {"form": form, "results": results})


def hourly_bars(org_id: int, series: str, since: datetime, until: datetime) -> list[Bar]:
    totals: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    rows = SeriesBucket.objects.filter(
        organization_id=org_id, series=series, bucket_start__gte=since, bucket_start__lt=until
    ).values_list("bucket_start", "mentions", "negative")
    for start, mentions, negative in rows:
        hour = start.replace(minute=0, second=0, microsecond=0)
        totals[hour][0] += mentions
        totals[hour][1] += negative
    hour = since.replace(minute=0, second=0, microsecond=0)
    bars = []
    while hour < until:
        total, negative = totals.get(hour, (0, 0))
        bars.append(Bar(timezone.localtime(hour), total, negative))
        hour += timedelta(hours=1)
    return bars


def _dashboard(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    now = timezone.now()
    states = list(SeriesState.objects.for_org(org).order_by("-level", "-score")[:5])
    level = max((s.level for s in states), default=0)
    week_ago = now - timedelta(days=7)
    bars = hourly_bars(org.pk, "org", week_ago, now)
    total = sum(b.total for b in bars)
    negative = sum(b.negative for b in bars)
    riskiest = list(
        Mention.objects.for_org(org)
        .filter(posted_at__gte=now - timedelta(days=2), risk__gt=0)
        .select_related("post", "rule")
        .order_by("-risk", "-posted_at")[:10]
    )
    topics = list(
        Topic.objects.for_org(org).select_related("first_post").order_by("-level", "-last_activity")[:8]
    )
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "level": level,
            "level_label": RISK_LABELS.get(level, level),
            "states": [s for s in states if s.level > 0],
            "chart": volume_svg(bars, label=_t("1時間ごとの言及数 (赤は否定的)")),
            "total": total,
            "negative_share": round(100 * negative / total) if total else 0,
            "riskiest": riskiest,
            "topics": topics,
        },
    )


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


@org_view(require="staff")
@require_http_methods(["GET"])
def feed(request: HttpRequest, access: OrgAccess) -> HttpResponse:
    org = access.organization
    sources = list(Source.objects.for_org(org))
    filters = FeedFilters(request.GET or None, sources=sources)
    mentions: QuerySet[Mention] = (
        Mention.objects.for_org(org).select_related("post", "rule").order_by("-posted_at", "-id")
    )
    if filters.is_valid():
        data = filters.cleaned_data
        if data["source"]:
            mentions = mentions.filter(source_id=data["source"])
        if data["category"]:
            # JSON containment is not portable to SQLite; the codes are fixed identifiers, so a quoted
            # match on the JSON text is exact.
            mentions = mentions.annotate(category_text=Cast("categories", TextField())).filter(
                category_text__contains=f'"{data["category"]}"'
            )
        if data["level"]:
            mentions = mentions.filter(level=data["level"])
        if data["period"]:
            mentions = mentions.filter(posted_at__gte=timezone.now() - PERIODS[data["period"]])
        if data["rule"]:
            mentions = mentions.filter(rule_id=data["rule"])
        if data["q"]:
            mentions = search_mentions(mentions, data["q"])
    page = Paginator(mentions, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "monitoring/feed.html", {"filters": filters, "page": page, "query": query.urlencode()}
    )


def _org_mention(access: OrgAccess, post_id: int) -> Mention:
    # A post is shared by organisations; one is reachable only through its own mention of it.
    mention: Mention | None = (
        Mention.objects.for_org(access.organization)
        .filter(post_id=post_id)
        .select_related("post", "rule", "topic", "source")
        .order_by("id")
        .first()
    )
    if mention is None:
        from django.http import Http404

        raise Http404("post not found")
    return mention


@org_view(require="staff")
@require_http_methods(["GET"])
def post_detail(request: HttpRequest, access: OrgAccess, post_id: int) -> HttpResponse:
    mention = _org_mention(access, post_id)
    post = mention.post
    judgement = mention.judgement or post.judgement
    feedback = PostFeedback.objects.for_org(access.organization).filter(post=post, user=request.user).first()
    return render(
        request,
        "monitoring/post_detail.html",
        {
            "mention": mention,
            "post": post,
            "judgement": judgement,
            "segments": judgement_segments(post.text, judgement) if judgement else [],
            "feedback": feedback,
            "categories": CATEGORY_CODES,
            "verdicts": FeedbackVerdict.choices,
        },
    )


@org_view(require="staff")
@require_POST
def post_feedback(request: HttpRequest, access: OrgAccess, post_id: int) -> HttpResponse:
    mention = _org_mention(access, post_id)
    category = request.POST.get("category", "")
    if category and category not in CATEGORY_CODES:
        category = ""
    try:
        do_record_feedback(
            access.organization,
            mention.post,
            user=request.user,  # type: ignore[arg-type]
            verdict=request.POST.get("verdict", ""),
            category=category,
        )
        messages.success(request, _t("判定を記録しました。"))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("monitoring:post_detail", access.organization.slug, post_id)


@org_view(require="staff")
@require_http_methods(["GET"])
def topic_detail(request: HttpRequest, access: OrgAccess, topic_id: int) -> HttpResponse:
    topic = get_object_or_404(
        Topic.objects.for_org(access.organization).select_related("first_post"), pk=topic_id
    )
    timeline = list(topic.mentions.select_related("post").order_by("posted_at", "id")[:300])
    seen: set[int] = set()
    posts = [m for m in timeline if not (m.post_id in seen or seen.add(m.post_id))]  # type: ignore[func-returns-value]
    since = topic.first_seen - timedelta(hours=1)
    until = max(topic.last_activity, since) + timedelta(hours=1)
    bars = hourly_bars(
        access.organization.pk, f"topic:{topic.pk}", since, min(until, since + timedelta(days=14))
    )
    sources = sorted(topic.sources.items(), key=lambda kv: -kv[1])
    return render(
        request,
        "monitoring/topic_detail.html",
        {
            "topic": topic,
            "posts": posts,
            "sources": sources,
            "chart": volume_svg(bars, label=_t("1時間ごとの投稿数")),
            "level_label": RISK_LABELS.get(topic.level, topic.level),
        },
    )
