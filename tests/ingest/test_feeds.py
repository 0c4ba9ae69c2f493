from __future__ import annotations

from datetime import UTC, datetime

from hikeshi.ingest.feeds import parse_feed

RSS = """<?xml version="1.0" encoding="{enc}"?>
<rss version="2.0" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>まとめ速報</title><link>https://matome.example/</link>
<item><title>【悲報】サンプル食品、炎上</title><link>https://matome.example/1</link>
<guid>https://matome.example/1</guid><dc:creator>管理人</dc:creator>
<description>&lt;p&gt;店員が&lt;b&gt;冷蔵庫&lt;/b&gt;に入る動画&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;</description>
<pubDate>Tue, 02 Jan 2024 21:30:00 +0900</pubDate><slash:comments>42</slash:comments></item>
<item><title>二本目</title><link>javascript:alert(1)</link><guid isPermaLink="false">tag:2</guid>
<description>本文のみ</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>
<entry><id>urn:uuid:1</id><title>Statement</title><link href="https://news.example/a"/>
<updated>2024-01-03T00:00:00Z</updated><author><name>PR</name></author>
<content type="html">&lt;p&gt;We apologise.&lt;/p&gt;&lt;p&gt;Second paragraph.&lt;/p&gt;</content></entry>
</feed>"""


def test_rss_items_with_html_stripped_and_dates_in_utc() -> None:
    result = parse_feed(RSS.format(enc="utf-8").encode("utf-8"))
    assert result.ok and result.title == "まとめ速報"
    first, second = result.items
    assert first.source_id == "https://matome.example/1"
    assert first.title == "【悲報】サンプル食品、炎上"
    assert first.text == "店員が冷蔵庫に入る動画"
    assert "alert" not in first.text
    assert first.author == "管理人"
    assert first.published == datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    assert first.engagement.replies == 42
    assert second.source_id == "tag:2"
    assert second.url is None  # javascript: links never pass


def test_shift_jis_feed_decodes() -> None:
    result = parse_feed(RSS.format(enc="Shift_JIS").encode("cp932"))
    assert result.items[0].title == "【悲報】サンプル食品、炎上"


def test_atom_entries() -> None:
    (item,) = parse_feed(ATOM.encode()).items
    assert (item.source_id, item.url, item.author) == ("urn:uuid:1", "https://news.example/a", "PR")
    assert item.text == "We apologise.\n\nSecond paragraph."
    assert item.published == datetime(2024, 1, 3, tzinfo=UTC)


COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0"><title>Comments</title>
<entry><id>tag:blog.example,2026:c1</id><title>c1</title><content>サンプル食品の件、説明がほしい</content>
<thr:in-reply-to ref="tag:blog.example,2026:post-9" href="https://blog.example/9"/></entry>
<entry><id>tag:blog.example,2026:c2</id><title>c2</title><content>同意</content>
<thr:in-reply-to ref="tag:blog.example,2026:c1"/></entry>
<entry><id>tag:blog.example,2026:c3</id><title>c3</title><content>自分宛て</content>
<thr:in-reply-to ref="tag:blog.example,2026:c3"/></entry>
</feed>"""


def test_atom_threading_says_which_entry_a_comment_answers() -> None:
    items = parse_feed(COMMENTS.encode()).items
    assert [i.reply_to for i in items] == ["tag:blog.example,2026:post-9", "tag:blog.example,2026:c1", None]
    assert parse_feed(ATOM.encode()).items[0].reply_to is None


def test_malformed_feed_is_salvaged_and_reported() -> None:
    broken = RSS.format(enc="utf-8").replace("<title>二本目</title>", "<title>二本目 & <b>壊れ</title>")
    broken = broken.replace("</channel></rss>", "<item><title>切れ")
    result = parse_feed(broken.encode())
    assert not result.ok
    assert any("malformed" in problem for problem in result.problems)
    assert result.items and result.items[0].title == "【悲報】サンプル食品、炎上"


def test_not_a_feed_reports_instead_of_crashing() -> None:
    result = parse_feed(b"<html><body>Not a feed</body></html>\x00\xff")
    assert result.items == []
    assert result.problems


def test_entries_without_any_identity_are_skipped_and_duplicates_dropped() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
    <item><description></description></item>
    <item><guid>same</guid><title>a</title></item><item><guid>same</guid><title>b</title></item>
    <item><title>only a title</title></item></channel></rss>"""
    result = parse_feed(feed)
    assert [item.title for item in result.items] == ["a", "only a title"]
    assert result.items[1].source_id.startswith("sha256:")
    assert len(result.problems) == 2
    assert parse_feed(feed).items[1].source_id == result.items[1].source_id


def test_a_path_as_content_is_not_opened_as_a_file() -> None:
    result = parse_feed(b"/etc/passwd")
    assert result.items == []
