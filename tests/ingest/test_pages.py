from __future__ import annotations

from datetime import UTC, datetime

from hikeshi.ingest.pages import (
    PostRecipe,
    extract_main_text,
    new_article,
    new_recipe_posts,
    new_thread_posts,
    parse_board_date,
    parse_recipe_posts,
    parse_thread_dat,
    parse_thread_html,
    reply_anchor,
    thread_item,
)

THREAD_URL = "https://egg.5ch.example/test/read.cgi/company/1700000000/"


def modern_thread(count: int, first_body: str = "サンプル食品の弁当に虫が入ってた") -> str:
    posts = []
    for number in range(1, count + 1):
        body = first_body if number == 1 else f"&gt;&gt;{number - 1} マジかよ<br>{number}番目"
        posts.append(
            f'<div class="post" id="{number}" data-userid="ID:User{number:04d}">'
            f'<div class="meta"><span class="number">{number}</span><span class="name"><b>名無しさん</b></span>'
            f'<span class="date">2024/01/02(火) 12:{number:02d}:00.12</span><span class="uid">ID:User{number:04d}</span>'
            f'</div><div class="message"><span class="escaped"> {body} </span></div></div>'
        )
    return f"<html><head><title>【悲報】スレ</title></head><body><div class='thread'>{''.join(posts)}</div></body></html>"


CLASSIC = """<html><body><dl class="thread">
<dt>1 ：<a href="mailto:sage"><b>名無しさん＠お腹いっぱい。</b></a>：2024/01/02(火) 12:34:56.78 ID:abcd1234<dd> 本文1<br>二行目 <br><br>
<dt>2 ：<font color=green><b>名無し</b></font>：NY:AN:NY.AN ID:???<dd> &gt;&gt;1 草 <br><br>
</dl></body></html>"""


def test_modern_thread_layout() -> None:
    posts = parse_thread_html(modern_thread(3))
    assert [p.number for p in posts] == [1, 2, 3]
    first = posts[0]
    assert (first.name, first.poster_id) == ("名無しさん", "User0001")
    assert first.date == datetime(2024, 1, 2, 3, 1, 0, 120000, tzinfo=UTC)
    assert first.body == "サンプル食品の弁当に虫が入ってた"
    assert posts[1].body == ">>1 マジかよ\n2番目"


def test_classic_thread_layout() -> None:
    first, second = parse_thread_html(CLASSIC)
    assert (first.number, first.name, first.mail, first.poster_id) == (
        1,
        "名無しさん＠お腹いっぱい。",
        "sage",
        "abcd1234",
    )
    assert first.body == "本文1\n二行目"
    assert first.date == datetime(2024, 1, 2, 3, 34, 56, 780000, tzinfo=UTC)
    assert (second.date, second.poster_id, second.body) == (None, None, ">>1 草")


def test_dat_format() -> None:
    dat = "名無し<>sage<>2024/01/02(火) 12:34:56.78 ID:abcd1234<> 本文 <br> 二行目 <>スレタイ\n壊れた行\n名無し<><>24/01/02(火) 12:35:00 ID:xyz12345<> &gt;&gt;1 草 <>\n"
    posts = parse_thread_dat(dat)
    assert [(p.number, p.body) for p in posts] == [(1, "本文\n二行目"), (3, ">>1 草")]
    assert posts[1].date == datetime(2024, 1, 2, 3, 35, tzinfo=UTC)


def test_a_reply_anchor_at_the_start_names_the_earlier_post_it_answers() -> None:
    assert reply_anchor(">>1 草", 3) == 1
    assert reply_anchor("  ＞＞１２\nそれな", 20) == 12
    assert reply_anchor("≫7 ソースは？", 9) == 7
    assert reply_anchor("それな >>1", 3) is None  # a quotation further in says nothing of the reply
    assert reply_anchor(">>5 未来のレス", 3) is None and reply_anchor(">>3 自分", 3) is None
    assert reply_anchor(">>0", 3) is None and reply_anchor(">>123456", 999_999) is None
    dat = "名無し<><>24/01/02(火) 12:35:00 ID:xyz12345<> 本文 <>スレ\n名無し<><>24/01/02(火) 12:36:00 ID:xyz12345<> &gt;&gt;1 草 <>\n"
    first, second = (thread_item(p, THREAD_URL) for p in parse_thread_dat(dat))
    assert (first.reply_to, second.reply_to) == (None, "1")


def test_thread_cursor_emits_only_new_posts_and_resets_for_a_new_thread() -> None:
    items, cursor = new_thread_posts(parse_thread_html(modern_thread(3)), THREAD_URL, None)
    assert [i.source_id for i in items] == ["1", "2", "3"]
    assert items[0].url == THREAD_URL + "1"
    assert items[0].author == "名無しさん ID:User0001"
    items, cursor = new_thread_posts(parse_thread_html(modern_thread(3)), THREAD_URL, cursor)
    assert items == []
    items, cursor = new_thread_posts(parse_thread_html(modern_thread(5)), THREAD_URL, cursor)
    assert [i.source_id for i in items] == ["4", "5"]
    assert cursor["last_number"] == 5
    items, _ = new_thread_posts(parse_thread_html(modern_thread(2, "別スレの1")), THREAD_URL, cursor)
    assert [i.source_id for i in items] == ["1", "2"]


def test_board_dates() -> None:
    assert parse_board_date("2024/1/2(火) 9:05") == datetime(2024, 1, 2, 0, 5, tzinfo=UTC)
    assert parse_board_date("2024/02/30(金) 12:00:00") is None
    assert parse_board_date("NY:AN:NY.AN") is None


REVIEWS = """<html><body><ul>
<li class="review" data-review-id="r1"><span class="who">田中</span><time>2024/01/02 10:00</time>
<p class="text">接客が<b>最悪</b>でした<script>steal()</script></p><a class="perma" href="https://reviews.example/r1">link</a></li>
<li class="review" data-review-id="r2"><span class="who">佐藤</span><p class="text">普通</p></li>
<li class="review"><p class="text"></p></li>
</ul></body></html>"""
RECIPE = PostRecipe(
    item="li.review", body=".text", author=".who", date="time", id_attribute="data-review-id", link="a.perma"
)


def test_recipe_posts_and_seen_state() -> None:
    items = parse_recipe_posts(REVIEWS, RECIPE, "https://reviews.example/shop/1")
    assert [(i.source_id, i.author, i.text) for i in items] == [
        ("r1", "田中", "接客が最悪でした"),
        ("r2", "佐藤", "普通"),
    ]
    assert items[0].url == "https://reviews.example/r1"
    assert items[1].url == "https://reviews.example/shop/1"
    assert items[0].published == datetime(2024, 1, 2, 1, tzinfo=UTC)
    fresh, cursor = new_recipe_posts(items, None)
    assert len(fresh) == 2
    fresh, cursor = new_recipe_posts(items, cursor)
    assert fresh == []


ARTICLE = """<html><head><title>ニュース | サイト名</title></head><body>
<nav><a href="/">トップ</a><a href="/a">カテゴリ</a></nav>
<div class="sidebar"><p>人気記事</p></div>
<div class="content"><h1>サンプル食品が謝罪</h1><p>サンプル食品は2日、店舗での不適切な動画について謝罪した。</p>
<p>同社は従業員への処分を検討している。</p></div><footer>© site</footer></body></html>"""


def test_main_text_extraction_prefers_the_paragraph_block() -> None:
    main = extract_main_text(ARTICLE)
    assert main.title == "サンプル食品が謝罪"
    assert "サンプル食品は2日、店舗での不適切な動画について謝罪した。" in main.text
    assert "人気記事" not in main.text and "トップ" not in main.text
    tagged = extract_main_text(
        "<html><body><nav>menu</nav><article><p>" + "本文" * 20 + "</p></article></body></html>"
    )
    assert tagged.text == "本文" * 20


def test_article_is_emitted_once_and_again_when_changed() -> None:
    items, cursor = new_article(ARTICLE, "https://news.example/a", None)
    assert len(items) == 1 and items[0].title == "サンプル食品が謝罪"
    assert new_article(ARTICLE, "https://news.example/a", cursor)[0] == []
    changed = ARTICLE.replace("検討している", "決めた")
    assert len(new_article(changed, "https://news.example/a", cursor)[0]) == 1
