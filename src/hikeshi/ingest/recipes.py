"""Named extraction recipes for pages without feeds, chosen per source.

A page source says how its page is shaped (``PageRecipe``): ``thread`` (5ch-style bulletin-board
thread, numbered レス with name / date / ID lines), ``reviews`` (a review page: review blocks with
reviewer, date and text), ``matome`` (an aggregator まとめ article quoting numbered responses),
``article`` (one main text), ``custom`` (the operator's own CSS selectors for item / text / author /
date / permalink) or ``auto`` (a thread while the page has レス, else its main text — the behaviour
of sources made before recipes existed). Every recipe returns only what is new since the cursor it
is given, so a second fetch of an unchanged page emits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from hikeshi.ingest.htmltext import node_text, tidy_text
from hikeshi.ingest.items import IngestedItem, safe_http_url
from hikeshi.ingest.pages import (
    PostRecipe,
    first_match,
    new_article,
    new_recipe_posts,
    new_thread_posts,
    parse_page_date,
    parse_recipe_posts,
    parse_thread_dat,
    parse_thread_html,
    reply_anchor,
)

RECIPES = ("auto", "thread", "reviews", "matome", "article", "custom")
SELECTOR_FIELDS = ("item", "text", "author", "date", "permalink")
MAX_SELECTOR = 300

# Review pages: schema.org microdata first (most review sites emit it for search engines), then the
# class names the common Japanese review layouts use. The first shape that yields a review wins.
REVIEW_SHAPES = (
    PostRecipe(
        item="[itemprop=review]",
        body="[itemprop=reviewBody], [itemprop=description]",
        author="[itemprop=author]",
        date="[itemprop=datePublished], time",
        link="a[itemprop=url], a.permalink",
    ),
    PostRecipe(
        item=".review, .review-item, .rvw-item, .c-review, .p-review, article.review",
        body=".review-body, .review__body, .review-text, .review__text, .rvw-item__rvw-comment, .comment, p",
        author=".review-author, .review__author, .reviewer, .rvw-item__rvwr-name, .name, .author",
        date="time, .review-date, .review__date, .date, .rvw-item__date",
        link="a.permalink, a.review-link, a[rel=bookmark]",
    ),
)

# まとめ articles quote each response as a header line (number, name, date, ID) and a body block.
_MATOME_HEADERS = ".t_h, .res_header, .res-header, .resheader, .t_h_res, dt.res"
_MATOME_BODIES = ("t_b", "res_body", "res-body", "resbody", "t_b_res", "res")
_MATOME_NUMBER = re.compile(r"^\s*(\d{1,5})\s*[:：]")
_POSTER_ID = re.compile(r"ID:\s*([A-Za-z0-9+/._-]{4,16})")
_NAME = re.compile(r"^\s*\d{1,5}\s*[:：]\s*(.*?)\s*(?:[:：]?\s*\d{2,4}[/-]\d|ID:|$)")


class RecipeError(ValueError):
    """An unknown recipe, or custom selectors that are missing or invalid."""


@dataclass(frozen=True, slots=True)
class PageRecipe:
    name: str = "auto"
    selectors: Mapping[str, str] | None = None
    """For ``custom``: ``item`` and ``text`` required; ``author``, ``date``, ``permalink`` optional."""

    def __post_init__(self) -> None:
        validate_recipe(self.name, self.selectors or {})


def validate_recipe(name: str, selectors: Mapping[str, str]) -> None:
    """Raise RecipeError unless ``name`` is a recipe and, for ``custom``, the selectors parse."""
    if name not in RECIPES:
        raise RecipeError(f"unknown recipe {name!r} (one of {', '.join(RECIPES)})")
    unknown = set(selectors) - set(SELECTOR_FIELDS)
    if unknown:
        raise RecipeError(f"unknown selector fields: {', '.join(sorted(unknown))}")
    if name != "custom":
        return
    for required in ("item", "text"):
        if not (selectors.get(required) or "").strip():
            raise RecipeError(f"the custom recipe needs the {required} selector")
    probe = LexborHTMLParser("<div><p>x</p></div>")
    for field_name, selector in selectors.items():
        if not selector:
            continue
        if len(selector) > MAX_SELECTOR:
            raise RecipeError(f"{field_name} selector is longer than {MAX_SELECTOR} characters")
        try:
            probe.css(selector)
        except Exception as exc:  # selectolax raises plain exceptions for syntax errors
            raise RecipeError(f"{field_name} selector {selector!r} is not valid CSS: {exc}") from None


def custom_post_recipe(selectors: Mapping[str, str]) -> PostRecipe:
    return PostRecipe(
        item=selectors["item"],
        body=selectors["text"],
        author=selectors.get("author") or None,
        date=selectors.get("date") or None,
        link=selectors.get("permalink") or None,
    )


def review_posts(html: str, page_url: str) -> list[IngestedItem]:
    for shape in REVIEW_SHAPES:
        items = parse_recipe_posts(html, shape, page_url)
        if items:
            return items
    return []


@dataclass(frozen=True, slots=True)
class MatomeResponse:
    number: int
    name: str
    poster_id: str | None
    header: str
    body: str


def _body_after(header: LexborNode) -> LexborNode | None:
    node = header.next
    while node is not None and not node.is_element_node:
        node = node.next
    if node is None:
        return None
    classes = set((node.attributes.get("class") or "").split())
    if classes & set(_MATOME_BODIES) or (header.tag == "dt" and node.tag == "dd"):
        return node
    return None


def parse_matome(html: str) -> tuple[str, list[MatomeResponse]]:
    """The article title and its quoted responses (number, name, ID, body), in page order."""
    tree = LexborHTMLParser(html)
    title_node = first_match(tree, "h1, .article-title, title")
    title = tidy_text(title_node.text()) if title_node is not None else ""
    responses: dict[int, MatomeResponse] = {}
    for header in tree.css(_MATOME_HEADERS):
        text = tidy_text(header.text())
        number = _MATOME_NUMBER.match(text)
        body_node = _body_after(header)
        if number is None or body_node is None:
            continue
        body = node_text(body_node)
        if not body:
            continue
        name = _NAME.match(text)
        poster = _POSTER_ID.search(text)
        responses.setdefault(
            int(number.group(1)),
            MatomeResponse(
                number=int(number.group(1)),
                name=name.group(1).strip(" :：") if name else "",
                poster_id=poster.group(1) if poster else None,
                header=text,
                body=body,
            ),
        )
    return title, list(responses.values())


def matome_items(html: str, page_url: str) -> list[IngestedItem]:
    title, responses = parse_matome(html)
    base = safe_http_url(page_url)
    return [
        IngestedItem(
            source_id=f"res:{r.number}",
            text=r.body,
            title=title,
            url=f"{base}#res{r.number}" if base else None,
            author=(f"{r.name} ID:{r.poster_id}" if r.poster_id else r.name) or None,
            published=parse_page_date(r.header),
            reply_to=f"res:{anchor}" if (anchor := reply_anchor(r.body, r.number)) is not None else None,
        )
        for r in responses
    ]


def extract_new(
    recipe: PageRecipe, text: str, page_url: str, cursor: Mapping[str, Any] | None
) -> tuple[list[IngestedItem], dict[str, Any], list[str]]:
    """Items of the decoded page ``text`` that the cursor has not seen, the new cursor and problems.

    ``auto`` is handled by ``sources.poll_page`` (it keeps the older two-state behaviour); every other
    recipe is one parse of the page."""
    if recipe.name == "thread":
        is_dat = page_url.endswith(".dat") or (
            "<>" in text.split("\n", 1)[0] and "<html" not in text[:500].lower()
        )
        posts = parse_thread_dat(text) if is_dat else parse_thread_html(text)
        items, new_cursor = new_thread_posts(posts, page_url, cursor)
        return items, new_cursor, [] if posts else ["no thread posts found: the page layout may have changed"]
    if recipe.name == "article":
        items, new_cursor = new_article(text, page_url, cursor)
        return items, new_cursor, []
    if recipe.name == "reviews":
        found = review_posts(text, page_url)
        problem = "no reviews found: try the custom recipe with selectors"
    elif recipe.name == "matome":
        found = matome_items(text, page_url)
        problem = "no quoted responses found: try the custom recipe with selectors"
    elif recipe.name == "custom":
        post_recipe = custom_post_recipe(recipe.selectors or {})
        found = parse_recipe_posts(text, post_recipe, page_url)
        problem = f"no posts matched selector {post_recipe.item!r}"
    else:
        raise RecipeError(f"recipe {recipe.name!r} is chosen by the caller")
    items, new_cursor = new_recipe_posts(found, cursor)
    return items, new_cursor, [] if found else [problem]
