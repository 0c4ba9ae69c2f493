"""The feed's keyset pagination: following "older" visits every matching mention once, newest first, on
the indexed path, within scan windows (unindexed filters) and on the driven search path."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hikeshi.ingest.items import IngestedItem
from hikeshi.monitoring import views_feed
from hikeshi.monitoring.models import Mention
from hikeshi.monitoring.pipeline import process_items
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

OLDER = re.compile(r'href="\?([^"]*)before=([0-9_]+)" data-testid="older"')
POST_LINK = re.compile(r"/monitoring/posts/(\d+)/")


def _seed(tenant: Tenant, count: int) -> None:
    now = timezone.now()
    same_minute = now - timedelta(minutes=5)
    items = [
        IngestedItem(
            source_id=f"f{i}",
            # Every 4th post is a foreign-object complaint (safety_incident); three posts share one time,
            # so the key's id part decides their order.
            text=(
                f"サンプル食品の弁当にビニール片が入ってた {i}件目"
                if i % 4 == 0
                else f"サンプル食品のおにぎりを買った {i}件目"
            ),
            author=f"u{i}",
            published=same_minute if i in (10, 11, 12) else now - timedelta(minutes=i),
        )
        for i in range(count)
    ]
    process_items(items, source_key=f"push:{tenant.org.slug}", owner=tenant.org)


def _walk(client: Client, query: str) -> tuple[list[int], list[str]]:
    """Post ids in the order the feed shows them, following "older" to the end; and each page's body."""
    shown: list[int] = []
    bodies: list[str] = []
    url = f"/o/alpha/monitoring/posts/?{query}"
    for _ in range(100):
        body = client.get(url).content.decode()
        bodies.append(body)
        table = body[body.index('data-testid="feed"') :]
        shown += [int(p) for p in POST_LINK.findall(table.split("</table>")[0])]
        older = OLDER.search(body)
        if older is None:
            return shown, bodies
        url = f"/o/alpha/monitoring/posts/?{older.group(1).replace('&amp;', '&')}before={older.group(2)}"
    raise AssertionError("the feed never ended")


def _expected(tenant: Tenant, **filters: object) -> list[int]:
    mentions = Mention.objects.for_org(tenant.org).filter(**filters).order_by("-posted_at", "-id")
    return list(mentions.values_list("post_id", flat=True))


@pytest.fixture
def client(alpha: Tenant) -> Client:
    client = Client()
    client.force_login(alpha.member)
    return client


def test_older_links_visit_every_mention_once_in_order(
    alpha: Tenant, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_feed, "PAGE_SIZE", 7)
    _seed(alpha, 40)
    shown, bodies = _walk(client, "")
    assert shown == _expected(alpha) and len(shown) == 41  # 40 + the tenancy fixture's post
    assert len(bodies) == 6 and "最新へ" in bodies[1] and "最新へ" not in bodies[0]
    assert client.get("/o/alpha/monitoring/posts/?before=garbage").status_code == 200  # ignored


def test_unindexed_filter_scans_bounded_windows_and_still_reaches_every_match(
    alpha: Tenant, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_feed, "PAGE_SIZE", 3)
    monkeypatch.setattr(views_feed, "SCAN_WINDOW", 6)
    _seed(alpha, 40)
    shown, bodies = _walk(client, "category=safety_incident&")
    expected = [
        m.post_id
        for m in Mention.objects.for_org(alpha.org).order_by("-posted_at", "-id")
        if "safety_incident" in m.categories
    ]
    assert shown == expected and len(expected) >= 10
    assert any("件までを調べています" in b or "該当する投稿はありませんでした" in b for b in bodies)


def test_search_pages_through_its_matches(
    alpha: Tenant, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_feed, "PAGE_SIZE", 4)
    _seed(alpha, 40)
    shown, _bodies = _walk(client, "q=ビニール片&")  # few matches: driven from the FTS match list
    assert shown == _expected(alpha, post__text__contains="ビニール片") and len(shown) == 10
    shown, _bodies = _walk(client, "q=件目&")  # shorter than a trigram: LIKE within scan windows
    assert shown == _expected(alpha, post__text__contains="件目")
    level = Mention.objects.for_org(alpha.org).filter(post__text__contains="ビニール片").first().level  # type: ignore[union-attr]
    shown, _bodies = _walk(client, f"q=ビニール片&level={level}&")
    assert shown == _expected(alpha, post__text__contains="ビニール片", level=level) and len(shown) >= 5
