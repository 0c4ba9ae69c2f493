"""The issue's "done when" for a new client: an organisation, a watch rule and an RSS source added through
the CLI (real subprocesses, as an operator types them) or the pages show matching posts, judged, after the
next fetch — a new source is due at once, so within one fetch interval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from hikeshi.monitoring.models import Mention, Source, WatchRule
from tests.monitoring.test_fetching import FeedServer, feed
from tests.platform.conftest import Tenant
from tests.platform.test_cli import run

STORY = (
    ("n1", "アクメ製菓のクッキーに金属片が入っていた。子どもが口を切った。"),
    ("n2", "今日は駅前のパン屋でメロンパンを買った"),
    ("n3", "アクメ製菓の新作チョコ、普通においしい"),
)


@pytest.fixture
def server() -> FeedServer:
    running = FeedServer()
    running.body = feed(*STORY)
    return running


def test_a_new_client_set_up_from_the_cli_sees_judged_posts(tmp_path: Path, server: FeedServer) -> None:
    data = tmp_path / "data"
    env = {"HIKESHI_ALLOW_LOOPBACK_SOURCES": "1"}
    steps = [
        ["migrate", "--verbosity", "0"],
        ["org", "create", "acme", "--name", "アクメ製菓株式会社"],
        ["watch", "add", "--org", "acme", "--term", "アクメ製菓", "--variant", "あくめ製菓"],
        ["source", "add", "--org", "acme", "rss", server.url],
        ["ingest", "--once"],
    ]
    try:
        for step in steps:
            done = run(step, data, **env)
            assert done.returncode == 0, (step, done.stderr)
        listed = run(["posts", "--org", "acme", "--json"], data, **env)
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    assert listed.returncode == 0, listed.stderr
    posts = {line["source_id"]: line for line in map(json.loads, listed.stdout.splitlines())}
    assert set(posts) == {"n1", "n3"}  # the bakery post names no watched word
    incident = posts["n1"]["judgement"]
    assert incident["level"] in {"medium", "high", "critical"}
    assert "safety_incident" in {c["code"] for c in incident["categories"]}
    assert posts["n3"]["judgement"]["level"] in {"none", "low"}


@pytest.mark.django_db
def test_a_rule_and_source_added_on_the_pages_are_fetched_at_once(
    alpha: Tenant, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "1")
    Source.objects.update(active=False)
    client = Client()
    client.force_login(alpha.admin)
    base = f"/o/{alpha.org.slug}/monitoring/"
    try:
        made = client.post(
            base + "rules/",
            {"form": "rule", "name": "アクメ", "term": "アクメ製菓", "variants": "あくめ製菓"},
        )
        assert made.status_code == 302
        assert WatchRule.objects.for_org(alpha.org).filter(name="アクメ").exists()
        added = client.post(
            base + "sources/",
            {
                "form": "source",
                "kind": "rss",
                "url": server.url,
                "name": "地域ニュース",
                "schedule_seconds": 900,
            },
        )
        assert added.status_code == 302
        source = Source.objects.for_org(alpha.org).get(url=server.url)
        call_command("ingest", "--once")  # what the scheduler's next poll does: the new source is due
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
    mentions = Mention.objects.for_org(alpha.org).filter(post__source_key=source.source_key)
    assert sorted(mentions.values_list("post__source_id", flat=True)) == ["n1", "n3"]
    incident = mentions.get(post__source_id="n1")
    assert incident.level in {"medium", "high", "critical"}, incident.level
    assert "金属片" in client.get(base + "posts/").content.decode()
    page = client.get(base + f"posts/{incident.post_id}/").content.decode()
    assert "<mark" in page and "金属片" in page  # the evidence is highlighted on the post page
