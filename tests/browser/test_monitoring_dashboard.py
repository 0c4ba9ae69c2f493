"""A real headless Chromium on a phone-sized screen: a member of the demo-like organisation, whose week of
posts went through the real pipeline (the bundled demo replay plus a hostile post), reads the dashboard,
opens the spreading topic, filters the feed by level, searches in Japanese, opens a post with its evidence
highlighted and records a judgement with the htmx buttons. The hostile post stays inert: no script runs
and nothing is requested from anywhere but the test server. Screenshots go to test-output/browser/."""

from __future__ import annotations

from typing import Any

import pytest

from hikeshi.accounts.models import User
from hikeshi.ingest.items import IngestedItem
from hikeshi.monitoring.demo import seed_monitoring_demo
from hikeshi.monitoring.models import Mention, PostFeedback, Topic
from hikeshi.monitoring.pipeline import process_items
from hikeshi.tenancy.models import Membership, Organization, Role
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passphrase-2"
HOSTILE = (
    "サンプル食品の弁当に異物 <script>window.__pwned = 1; alert('x')</script>"
    '<img src="http://evil.example/track.png" onerror="window.__pwned = 2"> 拡散して'
)


def _seed() -> tuple[Organization, int]:
    org = Organization.objects.create(slug="sample-foods", name="株式会社サンプル食品")
    member = User.objects.create_user("kouhou@sample.example", PASSWORD, display_name="広報 花子")
    Membership.objects.create(user=member, organization=org, role=Role.ORG_MEMBER)
    seed_monitoring_demo(org)
    process_items([IngestedItem(source_id="hostile-1", text=HOSTILE)], source_key="push:hostile", owner=org)
    hostile = (
        Mention.objects.for_org(org).filter(post__source_id="hostile-1").values_list("post_id", flat=True)
    )
    return org, hostile[0]


def test_member_reads_the_dashboard_and_judges_a_post(live_server: Any, page: Any) -> None:
    org, hostile_post = _seed()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    base = f"{live_server.url}/o/{org.slug}/monitoring"

    log_in(page, live_server.url, "kouhou@sample.example", PASSWORD)

    # The dashboard: the risk now (the story raised it), the chart, the riskiest posts, the topics.
    page.goto(f"{base}/")
    risk = page.get_by_test_id("risk-now").inner_text()
    assert risk[0] in "1234", risk
    assert page.locator("[data-testid=volume] svg.volume-chart rect.bar").count() > 24
    assert page.locator("[data-testid=volume] rect.bar-negative").count() > 0
    riskiest = page.get_by_test_id("riskiest").inner_text()
    assert "ビニール" in riskiest or "異物" in riskiest
    screenshot(page, "monitoring-01-dashboard")

    # The spreading topic, from the dashboard's list (hottest first).
    story = Topic.objects.for_org(org).order_by("-level", "-last_activity").first()
    assert story is not None and story.post_count >= 10
    page.get_by_test_id("topics").locator("a").first.click()
    page.wait_for_url(f"{base}/topics/{story.pk}/")
    assert page.locator("ol.timeline li").count() >= 10
    assert page.locator("svg.volume-chart").count() == 1
    screenshot(page, "monitoring-02-topic")

    # The feed, filtered by level, then searched in Japanese.
    page.goto(f"{base}/posts/")
    page.select_option("select[name=level]", "high")
    page.click("form.monitoring-filters button[type=submit]")
    page.wait_for_url("**/posts/?*level=high*")
    badges = page.locator("[data-testid=feed] .badge").all_inner_texts()
    assert badges and set(badges) == {"high"}
    page.fill("input[name=q]", "ビニール片")
    page.select_option("select[name=level]", "")
    page.click("form.monitoring-filters button[type=submit]")
    page.wait_for_url("**/posts/?q=*")
    rows = page.locator("[data-testid=feed] tr").all_inner_texts()
    assert len(rows) >= 3 and all("ビニール片" in row for row in rows)
    screenshot(page, "monitoring-03-feed-search")

    # A post with its evidence highlighted; the judgement buttons post with htmx (no page load).
    page.locator("[data-testid=feed] a").first.click()
    page.wait_for_url(f"{base}/posts/*/")
    post_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator(".highlighted mark").count() >= 1
    page.evaluate("window.__samePage = true")
    page.select_option("#fb-category", "safety_incident")
    page.get_by_test_id("verdict-risky").click()
    page.get_by_test_id("feedback-recorded").wait_for()
    assert page.evaluate("window.__samePage") is True  # swapped in place, not reloaded
    feedback = PostFeedback.objects.get(organization=org, post_id=post_id)
    assert (feedback.verdict, feedback.category) == ("risky", "safety_incident")
    screenshot(page, "monitoring-04-post-judged")

    # The hostile post: shown as text, no script ran, no remote image was requested.
    page.goto(f"{base}/posts/{hostile_post}/")
    assert "<script>window.__pwned" in page.locator(".highlighted").inner_text()
    screenshot(page, "monitoring-05-hostile-post-inert")
    for url in (f"{base}/posts/{hostile_post}/", f"{base}/posts/?q=拡散して", f"{base}/posts/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert "拡散して" in page.content(), url  # the hostile post is on each of these pages
        assert page.locator("img[src*='evil.example']").count() == 0, url
        assert page.evaluate("window.__pwned") is None, url
    assert dialogs == []
    outside = [url for url in requests if not url.startswith(live_server.url)]
    assert outside == [], outside
