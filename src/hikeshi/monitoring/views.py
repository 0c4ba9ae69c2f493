"""Monitoring pages: the dashboard, a post, a topic, and the paste-and-judge check (the feed: views_feed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
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
    Post,
    PostFeedback,
    SeriesBucket,
    SeriesState,
    Topic,
)
from hikeshi.tenancy.access import OrgAccess
from hikeshi.tenancy.decorators import org_view

MAX_POSTS = 200
MAX_POST_CHARS = 2000
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
            "parent": _replied_post(access, post),
            "judgement": judgement,
            "segments": judgement_segments(post.text, judgement) if judgement else [],
            "feedback": feedback,
            "categories": CATEGORY_CODES,
            "verdicts": FeedbackVerdict.choices,
        },
    )


def _replied_post(access: OrgAccess, post: Post) -> Post | None:
    """The post this one answers, when the organisation can see it (one of its mentions holds it)."""
    if not post.reply_to:
        return None
    parent = (
        Mention.objects.for_org(access.organization)
        .filter(post__source_key=post.source_key, post__source_id=post.reply_to)
        .select_related("post")
        .only("post__id", "post__text", "post__author")
        .first()
    )
    return parent.post if parent is not None else None


@org_view(require="staff")
@require_POST
def post_feedback(request: HttpRequest, access: OrgAccess, post_id: int) -> HttpResponse:
    """Record the operator's verdict. From htmx: the judgement card, re-rendered; else a redirect."""
    mention = _org_mention(access, post_id)
    category = request.POST.get("category", "")
    if category and category not in CATEGORY_CODES:
        category = ""
    error = ""
    feedback: PostFeedback | None
    try:
        feedback = do_record_feedback(
            access.organization,
            mention.post,
            user=request.user,  # type: ignore[arg-type]
            verdict=request.POST.get("verdict", ""),
            category=category,
        )
    except ValidationError as exc:
        error = "; ".join(exc.messages)
        feedback = (
            PostFeedback.objects.for_org(access.organization)
            .filter(post=mention.post, user=request.user)
            .first()
        )
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "monitoring/_feedback.html",
            {
                "post": mention.post,
                "feedback": feedback,
                "feedback_error": error,
                "categories": CATEGORY_CODES,
                "verdicts": FeedbackVerdict.choices,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _t("判定を記録しました。"))
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
