"""The Django pipeline against a real feed server on 127.0.0.1 (loopback allowed only for the test)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from hikeshi.monitoring.actions import do_add_source
from hikeshi.monitoring.fetching import poll_source
from hikeshi.monitoring.models import DeadLetter, Mention, Post, Source
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

ITEM = """<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link>
<description>{text}</description><pubDate>{date}</pubDate></item>"""


def feed(*entries: tuple[str, str]) -> bytes:
    date = timezone.now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = "".join(ITEM.format(guid=g, title=t[:10], text=t, date=date) for g, t in entries)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


class FeedServer:
    def __init__(self) -> None:
        self.body = feed()
        self.status = 200
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(server.status)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "1")
    running = FeedServer()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def test_feed_items_are_routed_judged_and_not_duplicated(alpha: Tenant, server: FeedServer) -> None:
    server.body = feed(("g1", "サンプル食品の弁当にビニール片が入ってた"), ("g2", "関係ない話"))
    source = do_add_source(alpha.org, kind="rss", url=server.url)
    outcome = poll_source(source)
    assert outcome.ok and outcome.new_items == 2
    mention = Mention.objects.get(organization=alpha.org, post__source_id="g1")
    assert mention.risk > 0 and "safety_incident" in mention.categories
    server.body = feed(("g1", "サンプル食品の弁当にビニール片が入ってた"), ("g3", "サンプル食品 また異物"))
    source.refresh_from_db()
    assert poll_source(source).new_items == 1
    assert Post.objects.filter(source_key=source.source_key).count() == 3
    source.refresh_from_db()
    assert source.items_last_fetch == 1 and source.last_success_at is not None and len(source.arrivals) == 2


def test_loopback_is_refused_without_the_setting(
    alpha: Tenant, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIKESHI_ALLOW_LOOPBACK_SOURCES", "0")
    source = do_add_source(alpha.org, kind="rss", url=server.url)
    outcome = poll_source(source)
    assert not outcome.ok and "RefusedAddress" in outcome.error
    source.refresh_from_db()
    assert source.consecutive_errors == 1 and source.next_run_at > timezone.now()
    poll_source(source)
    letters = DeadLetter.objects.filter(source=source, stage="fetch")
    assert letters.count() == 1 and letters.get().attempts == 2


def test_worker_dying_mid_batch_loses_nothing(
    alpha: Tenant, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hikeshi.monitoring import topics

    server.body = feed(*((f"g{i}", f"サンプル食品 の話題 その{i}") for i in range(5)))
    source = do_add_source(alpha.org, kind="rss", url=server.url)
    real = topics.assign_topics

    def die(*args: object, **kwargs: object) -> None:
        raise SystemExit("worker killed")  # not an Exception: nothing inside the pipeline catches it

    monkeypatch.setattr(topics, "assign_topics", die)
    with pytest.raises(SystemExit):
        poll_source(source)
    assert not Post.objects.filter(source_key=source.source_key).exists()
    source.refresh_from_db()
    assert source.state == {}  # the poll state did not advance, so the next poll fetches the same items
    monkeypatch.setattr(topics, "assign_topics", real)
    assert poll_source(source).new_items == 5
    assert Mention.objects.filter(organization=alpha.org, post__source_key=source.source_key).count() == 5


def test_ingest_once_polls_due_sources(
    alpha: Tenant, server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    Source.objects.update(active=False)
    server.body = feed(("x1", "サンプル食品 おいしい"))
    do_add_source(alpha.org, kind="rss", url=server.url)
    call_command("ingest", "--once")
    assert "new=1" in capsys.readouterr().out
    server.status = 500
    Source.objects.filter(url=server.url).update(next_run_at=None)
    with pytest.raises(CommandError, match="1 source"):
        call_command("ingest", "--once")
