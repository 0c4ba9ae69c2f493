from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hikeshi.monitoring.models import DeadLetter, Mention, PostFeedback, Source, WatchRule
from hikeshi.monitoring.pipeline import process_items
from hikeshi.monitoring.tasks import retry_dead_letter
from tests.monitoring.helpers import item
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

HOSTILE = 'サンプル食品 <script>alert(1)</script><img src="https://evil.example/x.png"> 異物が入ってた'


def _client(tenant: Tenant) -> Client:
    client = Client()
    client.force_login(tenant.member)
    return client


def _seed(tenant: Tenant, n: int, source_key: str = "rss:https://feed.example/x") -> None:
    now = timezone.now()
    items = [
        item(
            f"s{i}",
            f"サンプル食品のお弁当{i}個目、ビニール片が入ってた" if i % 3 else f"サンプル食品 新商品 {i}",
        )
        for i in range(n)
    ]
    items = [
        type(it)(**{**{f: getattr(it, f) for f in it.__slots__}, "published": now - timedelta(minutes=i)})
        for i, it in enumerate(items)
    ]  # type: ignore[attr-defined]
    process_items(items, source_key=source_key, now=now)


def test_dashboard_and_feed_query_counts_do_not_grow_with_posts(
    alpha: Tenant, django_assert_max_num_queries: Any
) -> None:
    _seed(alpha, 40)
    client = _client(alpha)
    with django_assert_max_num_queries(16):
        body = client.get("/o/alpha/monitoring/").content.decode()
    assert "<svg" in body and "bar-negative" in body and "ビニール片" in body
    with django_assert_max_num_queries(16):
        body = client.get("/o/alpha/monitoring/posts/?period=24h").content.decode()
    assert body.count("monitoring/posts/") >= 40


def test_feed_full_text_search_and_filters(alpha: Tenant) -> None:
    _seed(alpha, 9)
    client = _client(alpha)
    body = client.get("/o/alpha/monitoring/posts/", {"q": "ビニール片"}).content.decode()
    assert "ビニール片" in body and "新商品" not in body
    body = client.get("/o/alpha/monitoring/posts/", {"q": "新商品"}).content.decode()
    assert "新商品" in body and "ビニール片" not in body
    two_chars = client.get("/o/alpha/monitoring/posts/", {"q": "個目"}).content.decode()
    assert "ビニール片" in two_chars
    quoted = client.get("/o/alpha/monitoring/posts/", {"q": '"ビニール OR NEAR('})
    assert quoted.status_code == 200
    body = client.get("/o/alpha/monitoring/posts/", {"level": "none", "period": "24h"}).content.decode()
    assert "ビニール片" not in body or "level-none" in body
    body = client.get("/o/alpha/monitoring/posts/", {"category": "safety_incident"}).content.decode()
    assert "ビニール片" in body and "新商品" not in body


def test_hostile_post_is_inert_and_feedback_is_stored(alpha: Tenant) -> None:
    process_items([item("h1", HOSTILE)], source_key="push:hostile", owner=alpha.org)
    mention = Mention.objects.get(post__source_id="h1", organization=alpha.org)
    client = _client(alpha)
    for url in (
        "/o/alpha/monitoring/",
        "/o/alpha/monitoring/posts/",
        f"/o/alpha/monitoring/posts/{mention.post_id}/",
    ):
        body = client.get(url).content.decode()
        assert "<script>alert(1)" not in body and '<img src="https://evil.example' not in body, url
    body = client.get(f"/o/alpha/monitoring/posts/{mention.post_id}/").content.decode()
    assert "&lt;script&gt;" in body and "<mark" in body
    response = client.post(
        f"/o/alpha/monitoring/posts/{mention.post_id}/feedback/",
        {"verdict": "risky", "category": "safety_incident"},
    )
    assert response.status_code == 302
    feedback = PostFeedback.objects.get(organization=alpha.org, post_id=mention.post_id)
    assert (feedback.verdict, feedback.category) == ("risky", "safety_incident")
    # From htmx (the buttons' hx-post): the judgement card comes back with the stored verdict.
    card = client.post(
        f"/o/alpha/monitoring/posts/{mention.post_id}/feedback/",
        {"verdict": "not_risky", "category": ""},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert card.startswith('<div class="card" id="feedback">') and 'data-testid="feedback-recorded"' in card
    feedback.refresh_from_db()
    assert feedback.verdict == "not_risky"
    bad = client.post(
        f"/o/alpha/monitoring/posts/{mention.post_id}/feedback/", {"verdict": "maybe"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "monitoring-warning" in bad


def test_rules_sources_and_dead_letters_pages(alpha: Tenant, django_capture_on_commit_callbacks: Any) -> None:
    client = _client(alpha)
    response = client.post(
        "/o/alpha/monitoring/rules/",
        {
            "form": "rule",
            "term": "さくら弁当",
            "variants": "サクラ弁当, sakura bento",
            "exclusions": "",
            "query": "",
        },
    )
    assert response.status_code == 302
    rule = WatchRule.objects.for_org(alpha.org).get(name="さくら弁当")
    assert rule.terms[0]["variants"] == ["サクラ弁当", "sakura bento"]
    bad = client.post(
        "/o/alpha/monitoring/rules/", {"form": "rule", "term": "x", "query": ""}
    ).content.decode()
    assert "too short" in bad
    bad = client.post(
        "/o/alpha/monitoring/rules/", {"form": "rule", "term": "", "query": "AND ("}
    ).content.decode()
    assert "query" in bad
    client.post(f"/o/alpha/monitoring/rules/{rule.pk}/", {"action": "pause"})
    rule.refresh_from_db()
    assert not rule.active
    response = client.post(
        "/o/alpha/monitoring/sources/",
        {"form": "source", "kind": "rss", "url": "https://news.example/rss", "schedule_seconds": 600},
    )
    assert response.status_code == 302
    source = Source.objects.for_org(alpha.org).get(url="https://news.example/rss")
    Source.objects.filter(pk=source.pk).update(consecutive_errors=4, last_error="ConnectFailed: refused")
    body = client.get("/o/alpha/monitoring/sources/").content.decode()
    assert 'data-testid="source-warning"' in body and "ConnectFailed" in body
    letter = alpha.extra["dead_letter"]
    body = client.get("/o/alpha/monitoring/dead-letters/").content.decode()
    assert "no text" in body
    with django_capture_on_commit_callbacks() as queued:
        client.post(f"/o/alpha/monitoring/dead-letters/{letter.pk}/retry/")
    assert len(queued) == 1  # the retry task, queued after commit
    retry_dead_letter(letter.pk)  # what the worker runs
    letter = DeadLetter.objects.get(pk=letter.pk)
    assert letter.attempts == 2 and letter.resolved_at is None  # an empty post stays unprocessable


def test_file_upload_from_the_sources_page(alpha: Tenant) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = '{"id": "u1", "text": "サンプル食品の対応が丁寧でした"}\n{"id": "u2"}\nnot json\n'.encode()
    upload = SimpleUploadedFile("export.jsonl", data, content_type="application/x-ndjson")
    body = (
        _client(alpha)
        .post("/o/alpha/monitoring/sources/", {"form": "import", "file": upload})
        .content.decode()
    )
    assert 'data-testid="import-report"' in body and "line 2" in body and "line 3" in body
    assert Mention.objects.filter(organization=alpha.org, post__source_id="u1").exists()


def test_topic_page_shows_timeline_and_sources(alpha: Tenant) -> None:
    topic = alpha.extra["topic"]
    body = _client(alpha).get(f"/o/alpha/monitoring/topics/{topic.pk}/").content.decode()
    assert "異物" in body and "timeline" in body
