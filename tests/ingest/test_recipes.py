"""Named page recipes (thread, reviews, まとめ, article, custom selectors) on local HTML fixtures, parsed
directly and served from 127.0.0.1, each emitting only what is new on the next fetch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from hikeshi.ingest.pages import parse_page_date
from hikeshi.ingest.recipes import (
    PageRecipe,
    RecipeError,
    extract_new,
    matome_items,
    parse_matome,
    review_posts,
    validate_recipe,
)
from hikeshi.ingest.safefetch import SafeFetcher
from hikeshi.ingest.sources import poll_page
from tests.ingest.conftest import LocalServer


def thread_page(count: int) -> str:
    posts = "".join(
        f'<div class="post" id="{n}" data-userid="ID:Abcd{n:04d}"><div class="meta">'
        f'<span class="number">{n}</span><span class="name"><b>名無しさん</b></span>'
        f'<span class="date">2026/03/10(火) 12:{n:02d}:00.00</span></div>'
        f'<div class="message"><span class="escaped">サンプル食品の件 その{n}</span></div></div>'
        for n in range(1, count + 1)
    )
    return f"<html><head><title>【悲報】サンプル食品</title></head><body><div class='thread'>{posts}</div></body></html>"


def review_page(count: int) -> str:
    """A review site with schema.org microdata (the shape most review sites emit for search engines)."""
    reviews = "".join(
        f'<div itemprop="review" itemscope itemtype="https://schema.org/Review" id="rv{n}">'
        f'<span itemprop="author">レビュアー{n}</span>'
        f'<meta itemprop="datePublished" content="2026-03-0{n}">'
        f'<a itemprop="url" href="/reviews/{n}">#</a>'
        f'<div itemprop="reviewBody"><p>サンプル食品 梅田店の幕の内弁当、{"ビニール片が入っていた" if n == 2 else "おいしかった"}。</p></div>'
        f"</div>"
        for n in range(1, count + 1)
    )
    return (
        "<html><body><h1>サンプル食品 梅田店の口コミ</h1>"
        f'<div itemscope itemtype="https://schema.org/Restaurant">{reviews}</div>'
        "<aside><p>おすすめのお店</p></aside></body></html>"
    )


CLASS_REVIEWS = """<html><body><ul class="reviews">
<li class="rvw-item"><p class="rvw-item__rvwr-name">食べ歩き太郎</p><p class="rvw-item__date">2026年3月9日 18:30</p>
<div class="rvw-item__rvw-comment"><p>店員さんの対応が<strong>最悪</strong>。二度と行かない</p></div></li>
<li class="rvw-item"><p class="rvw-item__rvwr-name">花子</p><p class="rvw-item__date">2026/03/08</p>
<div class="rvw-item__rvw-comment"><p>普通においしい</p></div></li>
</ul></body></html>"""


def matome_page(count: int) -> str:
    """A livedoor-blog style まとめ article: ``t_h`` header lines and ``t_b`` bodies."""
    responses = "".join(
        f'<div class="t_h">{n}: 名無しさん＠おーぷん 2026/03/10(火)12:{n:02d}:3{n % 10} ID:Xy{n:04d}</div>'
        f'<div class="t_b">{"&gt;&gt;1<br>" if n > 1 else ""}サンプル食品の弁当 レス{n}<script>steal()</script></div>'
        for n in range(1, count + 1)
    )
    return (
        "<html><head><title>まとめブログ</title></head><body>"
        '<h1 class="article-title">【悲報】サンプル食品の弁当からビニール片</h1>'
        f'<div class="article-body">{responses}</div>'
        '<div class="t_h">関連記事</div><div class="sidebar">広告</div></body></html>'
    )


ARTICLE = """<html><head><title>ニュース</title></head><body><nav>トップ | 経済</nav>
<article><h1>サンプル食品が自主回収</h1><p>サンプル食品は10日、幕の内弁当の一部を自主回収すると発表した。</p>
<p>異物混入の可能性があるという。</p></article><footer>© news</footer></body></html>"""

CUSTOM = """<html><body><section id="comments">
<div class="cmt" data-cid="c1"><em class="who">通りすがり</em><span class="when">2026/03/10 09:00</span>
<div class="say">サンプル食品の対応、誠実だと思う</div><a class="here" href="https://blog.example/e/1#c1">#</a></div>
<div class="cmt" data-cid="c2"><em class="who">名無し</em><span class="when">2026/03/10 09:05</span>
<div class="say">いや隠蔽でしょ</div><a class="here" href="https://blog.example/e/1#c2">#</a></div>
</section></body></html>"""
CUSTOM_SELECTORS = {"item": ".cmt", "text": ".say", "author": ".who", "date": ".when", "permalink": "a.here"}


def test_page_dates() -> None:
    jst_noon = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
    assert parse_page_date("2026-03-10T12:00:00+09:00") == jst_noon
    assert parse_page_date("2026-03-10T03:00:00Z") == jst_noon
    assert parse_page_date("2026-03-10T12:00") == jst_noon  # no offset: Japanese page, JST
    assert parse_page_date("2026年3月10日 12:00") == jst_noon
    assert parse_page_date("2026/03/10(火)12:00:00") == jst_noon
    assert parse_page_date("2026.03.10") == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    assert parse_page_date("2026-02-30") is None
    assert parse_page_date("昨日") is None


def test_review_recipe_reads_microdata_and_common_class_layouts() -> None:
    items = review_posts(review_page(2), "https://reviews.example/shop/9")
    assert [(i.author, i.url) for i in items] == [
        ("レビュアー1", "https://reviews.example/reviews/1"),
        ("レビュアー2", "https://reviews.example/reviews/2"),
    ]
    assert items[1].text == "サンプル食品 梅田店の幕の内弁当、ビニール片が入っていた。"
    assert items[1].published == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert items[0].source_id == "https://reviews.example/reviews/1"  # the permalink identifies it
    assert "おすすめ" not in " ".join(i.text for i in items)
    classic = review_posts(CLASS_REVIEWS, "https://gourmet.example/r/1")
    assert [(i.author, i.text) for i in classic] == [
        ("食べ歩き太郎", "店員さんの対応が最悪。二度と行かない"),
        ("花子", "普通においしい"),
    ]
    assert classic[0].published == datetime(2026, 3, 9, 9, 30, tzinfo=UTC)
    assert classic[0].source_id.startswith("sha256:") and classic[0].source_id != classic[1].source_id


def test_matome_recipe_reads_quoted_numbered_responses() -> None:
    title, responses = parse_matome(matome_page(3))
    assert title == "【悲報】サンプル食品の弁当からビニール片"
    assert [(r.number, r.name, r.poster_id) for r in responses] == [
        (1, "名無しさん＠おーぷん", "Xy0001"),
        (2, "名無しさん＠おーぷん", "Xy0002"),
        (3, "名無しさん＠おーぷん", "Xy0003"),
    ]
    assert responses[1].body == ">>1\nサンプル食品の弁当 レス2"  # the script is dropped, not kept as text
    items = matome_items(matome_page(3), "https://matome.example/archives/1.html")
    assert items[0].source_id == "res:1" and items[0].url == "https://matome.example/archives/1.html#res1"
    assert items[0].author == "名無しさん＠おーぷん ID:Xy0001"
    assert items[0].published == datetime(2026, 3, 10, 3, 1, 31, tzinfo=UTC)
    assert items[0].title == title
    assert [i.reply_to for i in items] == [None, "res:1", "res:1"]  # 「>>1」 opens the replies


def test_custom_selectors_and_their_validation() -> None:
    recipe = PageRecipe("custom", CUSTOM_SELECTORS)
    items, cursor, problems = extract_new(recipe, CUSTOM, "https://blog.example/e/1", None)
    assert problems == []
    assert [(i.source_id, i.author, i.text) for i in items] == [
        ("https://blog.example/e/1#c1", "通りすがり", "サンプル食品の対応、誠実だと思う"),
        ("https://blog.example/e/1#c2", "名無し", "いや隠蔽でしょ"),
    ]
    assert items[1].published == datetime(2026, 3, 10, 0, 5, tzinfo=UTC)
    assert extract_new(recipe, CUSTOM, "https://blog.example/e/1", cursor)[0] == []
    _items, _cursor, problems = extract_new(
        PageRecipe("custom", {"item": ".nothing", "text": "p"}), CUSTOM, "https://blog.example/e/1", None
    )
    assert problems == ["no posts matched selector '.nothing'"]
    with pytest.raises(RecipeError, match="text selector"):
        validate_recipe("custom", {"item": ".cmt"})
    with pytest.raises(RecipeError, match="not valid CSS"):
        validate_recipe("custom", {"item": "div[", "text": "p"})
    with pytest.raises(RecipeError, match="unknown recipe"):
        PageRecipe("rss")
    with pytest.raises(RecipeError, match="unknown selector"):
        validate_recipe("custom", {"item": "a", "text": "p", "script": "x"})


@pytest.mark.parametrize(
    ("recipe", "first", "second", "new_ids"),
    [
        (PageRecipe("thread"), thread_page(3), thread_page(5), ["4", "5"]),
        (PageRecipe("reviews"), review_page(2), review_page(3), ["http://feeds.test:{port}/reviews/3"]),
        (PageRecipe("matome"), matome_page(2), matome_page(4), ["res:3", "res:4"]),
        (
            PageRecipe("custom", CUSTOM_SELECTORS),
            CUSTOM.replace(
                CUSTOM[CUSTOM.index('<div class="cmt" data-cid="c2"') : CUSTOM.index("</section>")], ""
            ),
            CUSTOM,
            ["https://blog.example/e/1#c2"],
        ),
        (PageRecipe("article"), ARTICLE, ARTICLE.replace("という。", "という。同社は謝罪した。"), None),
    ],
    ids=["thread", "reviews", "matome", "custom", "article"],
)
def test_each_recipe_served_locally_emits_only_new_items(
    server: LocalServer,
    make_fetcher: Callable[..., SafeFetcher],
    recipe: PageRecipe,
    first: str,
    second: str,
    new_ids: list[str] | None,
) -> None:
    fetcher = make_fetcher()
    server.route("/page", body=first.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})
    url = server.url("/page")
    result = poll_page(fetcher, url, recipe)
    assert result.items and result.problems == []
    assert result.state["recipe"] == recipe.name
    again = poll_page(fetcher, url, recipe, result.state)
    assert again.items == []  # an unchanged page: nothing new
    server.route("/page", body=second.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"})
    grown = poll_page(fetcher, url, recipe, again.state)
    if new_ids is None:  # an article comes again, as one new version, when its text changes
        assert len(grown.items) == 1 and "謝罪した" in grown.items[0].text
    else:
        assert [i.source_id for i in grown.items] == [n.format(port=server.port) for n in new_ids]
    assert poll_page(fetcher, url, recipe, grown.state).items == []


def test_shift_jis_matome_page_and_a_changed_recipe_starts_over(
    server: LocalServer, make_fetcher: Callable[..., SafeFetcher]
) -> None:
    fetcher = make_fetcher()
    body = matome_page(2).replace("<head>", '<head><meta charset="Shift_JIS">').encode("shift_jis", "replace")
    server.route("/sjis", body=body, headers={"Content-Type": "text/html"})
    url = server.url("/sjis")
    result = poll_page(fetcher, url, PageRecipe("matome"))
    assert [i.text for i in result.items] == ["サンプル食品の弁当 レス1", ">>1\nサンプル食品の弁当 レス2"]
    # The operator switches the source to the article recipe: the matome cursor means nothing to it.
    article = poll_page(fetcher, url, PageRecipe("article"), result.state)
    assert len(article.items) == 1 and article.state["recipe"] == "article"


def test_auto_keeps_the_thread_then_article_behaviour(
    server: LocalServer, make_fetcher: Callable[..., SafeFetcher]
) -> None:
    fetcher = make_fetcher()
    server.route("/t", body=thread_page(2).encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    thread = poll_page(fetcher, server.url("/t"), PageRecipe())
    assert [i.source_id for i in thread.items] == ["1", "2"] and "thread" in thread.state
    server.route("/a", body=ARTICLE.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    article = poll_page(fetcher, server.url("/a"), PageRecipe())
    assert len(article.items) == 1 and "article" in article.state
