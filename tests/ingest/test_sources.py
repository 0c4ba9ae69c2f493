from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from hikeshi.ingest.errors import RefusedAddress
from hikeshi.ingest.pages import PostRecipe
from hikeshi.ingest.safefetch import SafeFetcher
from hikeshi.ingest.sources import poll_article, poll_feed, poll_page_posts, poll_thread

from .conftest import LocalServer, RecordingTransport
from .test_pages import ARTICLE, REVIEWS, modern_thread

Factory = Callable[..., SafeFetcher]


def _feed(entries: int) -> bytes:
    items = "".join(
        f"<item><guid>id-{n}</guid><title>記事{n}</title><description>本文{n}</description></item>"
        for n in range(1, entries + 1)
    )
    return f'<?xml version="1.0" encoding="EUC-JP"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode(
        "euc_jp"
    )


def _versioned(server: LocalServer, path: str, bodies: list[bytes], content_type: str) -> None:
    """Serves bodies[version]; honours If-None-Match for the current version."""
    state = {"version": 0}

    def handler(request: BaseHTTPRequestHandler) -> None:
        etag = f'"v{state["version"]}"'
        if request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.end_headers()
            return
        body = bodies[state["version"]]
        request.send_response(200)
        request.send_header("ETag", etag)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def publish_next(request: BaseHTTPRequestHandler) -> None:
        state["version"] += 1
        request.send_response(204)
        request.end_headers()

    server.routes[path] = handler
    server.routes[path + "?next"] = publish_next


def _advance(fetcher: SafeFetcher, server: LocalServer, path: str) -> None:
    fetcher.fetch(server.url(path + "?next"))


def test_feed_polling_with_304_and_only_new_items(server: LocalServer, make_fetcher: Factory) -> None:
    _versioned(server, "/feed.xml", [_feed(2), _feed(3)], "application/rss+xml")
    fetcher = make_fetcher()
    first = poll_feed(fetcher, server.url("/feed.xml"))
    assert [i.title for i in first.items] == ["記事1", "記事2"]
    state = json.loads(json.dumps(first.state))
    unchanged = poll_feed(fetcher, server.url("/feed.xml"), state)
    assert unchanged.not_modified and unchanged.items == []
    _advance(fetcher, server, "/feed.xml")
    third = poll_feed(fetcher, server.url("/feed.xml"), unchanged.state)
    assert [i.source_id for i in third.items] == ["id-3"]


@pytest.mark.parametrize("declared", [True, False])
def test_shift_jis_thread_with_and_without_declared_charset(
    declared: bool, server: LocalServer, make_fetcher: Factory
) -> None:
    content_type = "text/html; charset=Shift_JIS" if declared else "text/html"
    _versioned(
        server, "/thread", [modern_thread(2).encode("cp932"), modern_thread(4).encode("cp932")], content_type
    )
    fetcher = make_fetcher()
    first = poll_thread(fetcher, server.url("/thread"))
    assert first.items[0].text == "サンプル食品の弁当に虫が入ってた"
    assert first.problems == []
    _advance(fetcher, server, "/thread")
    second = poll_thread(fetcher, server.url("/thread"), first.state)
    assert [i.source_id for i in second.items] == ["3", "4"]


def test_euc_jp_dat_thread(server: LocalServer, make_fetcher: Factory) -> None:
    dat = "名無し<>sage<>2024/01/02(火) 12:34:56.78 ID:abcd1234<>見本学園の生徒がバイトテロ<>スレ\n"
    server.route("/company/1700000000.dat", body=dat.encode("euc_jp"), headers={"Content-Type": "text/plain"})
    result = poll_thread(make_fetcher(), server.url("/company/1700000000.dat"))
    assert [i.text for i in result.items] == ["見本学園の生徒がバイトテロ"]


def test_review_page_and_article(server: LocalServer, make_fetcher: Factory) -> None:
    server.route("/reviews", body=REVIEWS.encode("euc_jp"), headers={"Content-Type": "text/html"})
    server.route("/news", body=ARTICLE.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    fetcher = make_fetcher()
    recipe = PostRecipe(item="li.review", body=".text", id_attribute="data-review-id")
    reviews = poll_page_posts(fetcher, server.url("/reviews"), recipe)
    assert [i.text for i in reviews.items] == ["接客が最悪でした", "普通"]
    assert poll_page_posts(fetcher, server.url("/reviews"), recipe, reviews.state).items == []
    article = poll_article(fetcher, server.url("/news"))
    assert article.items[0].title == "サンプル食品が謝罪"
    assert poll_article(fetcher, server.url("/news"), article.state).items == []


def test_source_redirecting_to_metadata_is_refused(
    server: LocalServer, make_fetcher: Factory, transport: RecordingTransport
) -> None:
    server.route("/feed", status=302, headers={"Location": "http://metadata.test/latest/meta-data/"})
    with pytest.raises(RefusedAddress, match="cloud-metadata"):
        poll_feed(make_fetcher(), server.url("/feed"))
    assert len(transport.attempted) == 1
