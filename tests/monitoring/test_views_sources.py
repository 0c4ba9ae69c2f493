"""A page source with an extraction recipe, added from the sources page and polled from 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from hikeshi.monitoring.fetching import poll_source
from hikeshi.monitoring.models import Mention, Post, Source
from tests.ingest.test_recipes import CUSTOM, matome_page
from tests.monitoring.test_fetching import FeedServer
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "1")
    running = FeedServer()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def _client(tenant: Tenant) -> Client:
    client = Client()
    client.force_login(tenant.member)
    return client


def test_custom_recipe_source_from_the_ui_is_polled_with_its_selectors(
    alpha: Tenant, page_server: FeedServer
) -> None:
    client = _client(alpha)
    url = page_server.url.replace("feed.xml", "comments.html")
    bad = client.post(
        "/o/alpha/monitoring/sources/",
        {"form": "source", "kind": "page", "url": url, "schedule_seconds": 600, "recipe": "custom"},
    )
    assert "item selector" in bad.content.decode()
    assert not Source.objects.for_org(alpha.org).filter(url=url).exists()
    response = client.post(
        "/o/alpha/monitoring/sources/",
        {
            "form": "source",
            "kind": "page",
            "url": url,
            "schedule_seconds": 600,
            "recipe": "custom",
            "item_selector": ".cmt",
            "text_selector": ".say",
            "author_selector": ".who",
            "date_selector": ".when",
            "permalink_selector": "a.here",
        },
    )
    assert response.status_code == 302
    source = Source.objects.for_org(alpha.org).get(url=url)
    assert source.recipe == "custom" and source.selectors["item"] == ".cmt"
    assert "カスタム" in client.get("/o/alpha/monitoring/sources/").content.decode()
    page_server.body = CUSTOM.encode()
    outcome = poll_source(source)
    assert outcome.ok and outcome.new_items == 2
    post = Post.objects.get(source_key=source.source_key, source_id="https://blog.example/e/1#c2")
    assert (post.author, post.text) == ("名無し", "いや隠蔽でしょ")  # stored, though no rule matches it
    mention = Mention.objects.select_related("post").get(organization=alpha.org, source=source)
    assert mention.post.source_id == "https://blog.example/e/1#c1" and mention.post.author == "通りすがり"
    source.refresh_from_db()
    assert poll_source(source).new_items == 0  # the same page again: nothing new


def test_matome_recipe_source_stores_each_quoted_response(alpha: Tenant, page_server: FeedServer) -> None:
    client = _client(alpha)
    url = page_server.url.replace("feed.xml", "archives/1.html")
    client.post(
        "/o/alpha/monitoring/sources/",
        {"form": "source", "kind": "page", "url": url, "schedule_seconds": 600, "recipe": "matome"},
    )
    source = Source.objects.for_org(alpha.org).get(url=url)
    page_server.body = matome_page(3).encode()
    assert poll_source(source).new_items == 3
    page_server.body = matome_page(5).encode()
    source.refresh_from_db()
    assert poll_source(source).new_items == 2
    texts = sorted(
        Mention.objects.filter(organization=alpha.org, source=source).values_list("post__text", flat=True)
    )
    assert len(texts) == 5 and all("steal()" not in t for t in texts)
    assert Post.objects.filter(source_key=source.source_key).count() == 5
