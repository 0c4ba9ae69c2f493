"""Watching pages that have no feed: 5ch-style threads, review pages, articles.

The caller stores a small JSON-able cursor per page; each call returns only what is new since then.
Threads are read post by post (each レス with number, name, date, ID and body); other pages either
with a :class:`PostRecipe` (CSS selectors for review/comment lists) or as one main text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from hikeshi.ingest.htmltext import html_to_text, node_text, tidy_text
from hikeshi.ingest.items import IngestedItem, safe_http_url

JST = timezone(timedelta(hours=9), "JST")
_DATE = re.compile(
    r"(\d{2,4})[/-](\d{1,2})[/-](\d{1,2})(?:\s*\([^)]{1,3}\))?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.(\d{1,6}))?"
)
_POSTER_ID = re.compile(r"ID:\s*([A-Za-z0-9+/._-]{4,16})")
_DT_NUMBER = re.compile(r"^\s*(\d{1,5})\s*[:：]")
_MAX_SEEN = 2000
_ANCHOR = re.compile(r"^\s*(?:>>|＞＞|≫)\s*([0-9０-９]{1,5})(?![0-9０-９])")
_MAIN_SELECTORS = (
    "article",
    "main",
    "[role=main]",
    "[itemprop=articleBody]",
    ".article-body",
    ".entry-content",
)


@dataclass(frozen=True, slots=True)
class ThreadPost:
    number: int
    name: str
    date: datetime | None
    """UTC; None when the board shows no parsable date (deleted posts, joke dates)."""
    poster_id: str | None
    body: str
    mail: str = ""


def parse_board_date(text: str) -> datetime | None:
    """A 5ch-style date ``2024/01/02(火) 12:34:56.78`` (JST) → UTC datetime."""
    match = _DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = (match.group(7) or "0")[:6].ljust(6, "0")
    if year < 100:
        year += 2000
    try:
        local = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=JST)
    except ValueError:
        return None
    return local.astimezone(UTC)


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?"
)
_LOOSE_DATE = re.compile(
    r"(\d{4})\s*[/.年-]\s*(\d{1,2})\s*[/.月-]\s*(\d{1,2})\s*日?(?:\s*\([^)]{1,3}\))?\s*(?:(\d{1,2})\s*[:時]\s*(\d{2})(?:\s*[:分]\s*(\d{2}))?)?"
)


def parse_page_date(text: str) -> datetime | None:
    """A date as pages show it → UTC: ISO 8601 (``datetime`` attributes; no offset means JST), board
    dates, ``2024年1月2日 12:34``, ``2024/01/02(火)12:34:56``, ``2024.01.02`` (midnight JST)."""
    text = text.strip()
    if not text:
        return None
    iso = _ISO.fullmatch(text)
    if iso:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (value if value.tzinfo else value.replace(tzinfo=JST)).astimezone(UTC)
    board = parse_board_date(text)
    if board is not None:
        return board
    match = _LOOSE_DATE.search(text)
    if not match:
        return None
    year, month, day = (int(match.group(i)) for i in range(1, 4))
    hour, minute, second = (int(match.group(i) or 0) for i in range(4, 7))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=JST).astimezone(UTC)
    except ValueError:
        return None


def _poster_id(text: str) -> str | None:
    match = _POSTER_ID.search(text)
    return match.group(1) if match else None


def _post_from_modern(node: LexborNode) -> ThreadPost | None:
    number_node = node.css_first(".number")
    number_text = number_node.text(strip=True) if number_node else (node.attributes.get("id") or "")
    digits = re.sub(r"\D", "", number_text)
    if not digits:
        return None
    name_node, date_node = node.css_first(".name"), node.css_first(".date")
    uid_node, message = node.css_first(".uid"), node.css_first(".message")
    meta = " ".join(n.text(strip=True) for n in (date_node, uid_node) if n is not None)
    poster = node.attributes.get("data-userid") or ""
    return ThreadPost(
        number=int(digits),
        name=tidy_text(name_node.text()) if name_node else "",
        date=parse_board_date(date_node.text()) if date_node else None,
        poster_id=_poster_id(poster) or _poster_id(meta),
        body=node_text(message) if message is not None else "",
    )


def _posts_from_classic(tree: LexborHTMLParser) -> list[ThreadPost]:
    posts: list[ThreadPost] = []
    for dt in tree.css("dl.thread dt, dl dt"):
        header = dt.text()
        match = _DT_NUMBER.match(header)
        if not match:
            continue
        dd = dt.next
        while dd is not None and not (dd.is_element_node and dd.tag in ("dd", "dt")):
            dd = dd.next
        body = node_text(dd) if dd is not None and dd.tag == "dd" else ""
        name_node = dt.css_first("b")
        mail_link = dt.css_first("a[href^='mailto:']")
        mail = (mail_link.attributes.get("href") or "")[len("mailto:") :] if mail_link else ""
        posts.append(
            ThreadPost(
                number=int(match.group(1)),
                name=tidy_text(name_node.text()) if name_node else "",
                date=parse_board_date(header),
                poster_id=_poster_id(header),
                body=body,
                mail=mail,
            )
        )
    return posts


def parse_thread_html(html: str) -> list[ThreadPost]:
    """Posts of a 5ch/2ch-style thread page (current ``div.post`` layout or classic ``<dl><dt><dd>``)."""
    tree = LexborHTMLParser(html)
    modern = [p for node in tree.css("div.post") if (p := _post_from_modern(node)) is not None]
    posts = modern or _posts_from_classic(tree)
    unique = {post.number: post for post in posts}
    return [unique[number] for number in sorted(unique)]


def parse_thread_dat(text: str) -> list[ThreadPost]:
    """Posts of a ``.dat`` thread file: ``name<>mail<>date ID:xxx<>body<>title`` per line."""
    posts: list[ThreadPost] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("<>")
        if len(fields) < 4:
            continue
        name, mail, meta, body = fields[0], fields[1], fields[2], fields[3]
        posts.append(
            ThreadPost(
                number=number,
                name=html_to_text(name),
                date=parse_board_date(meta),
                poster_id=_poster_id(meta),
                body=html_to_text(body.replace("<br>", "\n")),
                mail=mail.strip(),
            )
        )
    return posts


def _fingerprint(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def reply_anchor(body: str, number: int) -> int | None:
    """The レス a board post answers: the anchor it opens with (「>>12」, full-width 「＞＞１２」), when
    that is an earlier post of the thread. An anchor further in is usually a quotation among several;
    only the opening one says what the post replies to."""
    match = _ANCHOR.match(body)
    if match is None:
        return None
    target = int(match.group(1))  # int() reads full-width digits too
    return target if 0 < target < number else None


def thread_item(post: ThreadPost, thread_url: str) -> IngestedItem:
    base = safe_http_url(thread_url)
    anchor = reply_anchor(post.body, post.number)
    return IngestedItem(
        source_id=str(post.number),
        text=post.body,
        url=f"{base.rstrip('/')}/{post.number}" if base else None,
        author=f"{post.name} ID:{post.poster_id}" if post.poster_id else (post.name or None),
        published=post.date,
        reply_to=str(anchor) if anchor is not None else None,
    )


def new_thread_posts(
    posts: list[ThreadPost], thread_url: str, cursor: Mapping[str, Any] | None
) -> tuple[list[IngestedItem], dict[str, Any]]:
    """Items for posts after the cursor's last number, and the new cursor.

    The cursor also remembers a fingerprint of post 1: if it changes, the URL now holds a different
    thread (boards reuse URLs) and everything is new again.
    """
    state = dict(cursor or {})
    first = posts[0] if posts and posts[0].number == 1 else None
    first_print = _fingerprint(first.body) if first else state.get("first")
    last = int(state.get("last_number", 0))
    if first is not None and state.get("first") not in (None, first_print):
        last = 0
    fresh = [post for post in posts if post.number > last]
    items = [thread_item(post, thread_url) for post in fresh]
    new_last = max([last, *(post.number for post in posts)]) if posts else last
    return items, {"kind": "thread", "last_number": new_last, "first": first_print}


@dataclass(frozen=True, slots=True)
class PostRecipe:
    """CSS selectors for pages listing posts (reviews, comments). Only ``item`` and ``body`` are required."""

    item: str
    body: str
    author: str | None = None
    date: str | None = None
    id_attribute: str | None = None
    """Attribute of the item element holding a stable id (e.g. ``data-review-id``)."""
    link: str | None = None


def selector_alternatives(selector: str) -> list[str]:
    """``a, b`` split at its top-level commas (not those inside ``:is(…)``, ``[…]`` or quotes)."""
    parts: list[str] = []
    depth, quote, start = 0, "", 0
    for index, char in enumerate(selector):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selector[start:index].strip())
            start = index + 1
    parts.append(selector[start:].strip())
    return [part for part in parts if part]


def first_match(node: LexborNode | LexborHTMLParser, selector: str | None) -> LexborNode | None:
    """The first node matching the FIRST alternative of ``selector`` that matches anything: in a recipe,
    ``.review-body, p`` means "the review body, else a paragraph", not whichever comes first."""
    if not selector:
        return None
    for alternative in selector_alternatives(selector):
        found = node.css_first(alternative)
        if found is not None:
            return found
    return None


def _first_text(node: LexborNode, selector: str | None) -> str:
    found = first_match(node, selector)
    return tidy_text(found.text()) if found is not None else ""


def parse_recipe_posts(html: str, recipe: PostRecipe, page_url: str) -> list[IngestedItem]:
    items: list[IngestedItem] = []
    for node in LexborHTMLParser(html).css(recipe.item):
        body_node = first_match(node, recipe.body)
        body = node_text(body_node) if body_node is not None else ""
        if not body:
            continue
        author = _first_text(node, recipe.author)
        date_node = first_match(node, recipe.date)
        # A machine-readable date (<time datetime>, microdata content) beats the displayed one.
        date_text = (
            (date_node.attributes.get("datetime") or date_node.attributes.get("content") or date_node.text())
            if date_node is not None
            else ""
        )
        stable = node.attributes.get(recipe.id_attribute) if recipe.id_attribute else None
        link = None
        if (anchor := first_match(node, recipe.link)) is not None:
            link = safe_http_url(urljoin(page_url, anchor.attributes.get("href") or ""))
        items.append(
            IngestedItem(
                # A permalink identifies a post as well as an id attribute; the content hash is the
                # last resort (an edited post then comes again, as a new version).
                source_id=stable or link or "sha256:" + _fingerprint(f"{author}\n{date_text}\n{body}"),
                text=body,
                url=link or safe_http_url(page_url),
                author=author or None,
                published=parse_page_date(date_text) if date_text else None,
            )
        )
    return items


def new_recipe_posts(
    items: list[IngestedItem], cursor: Mapping[str, Any] | None
) -> tuple[list[IngestedItem], dict[str, Any]]:
    """Items whose ids the cursor has not seen; the cursor keeps the most recent ids (bounded)."""
    seen = list((cursor or {}).get("seen", []))
    known = set(seen)
    fresh = [item for item in items if item.source_id not in known]
    seen.extend(item.source_id for item in fresh)
    return fresh, {"kind": "posts", "seen": seen[-_MAX_SEEN:]}


@dataclass(frozen=True, slots=True)
class MainText:
    title: str
    text: str


def extract_main_text(html: str) -> MainText:
    """The article text of a page: <article>/<main> when present, else the block richest in paragraphs."""
    tree = LexborHTMLParser(html)
    title_source = tree.css_first("h1") or tree.css_first("title")
    title = tidy_text(title_source.text()) if title_source is not None else ""
    for selector in _MAIN_SELECTORS:
        node = tree.css_first(selector)
        if node is not None and len(text := node_text(node)) >= 20:
            return MainText(title, text)
    best: LexborNode | None = None
    best_score = 0
    for node in tree.css("div, section, td"):
        score = sum(
            len(p.text(strip=True)) for p in node.css("p") if p.parent is not None and p.parent == node
        )
        if score > best_score:
            best, best_score = node, score
    root = best or tree.body
    return MainText(title, node_text(root) if root is not None else "")


def new_article(
    html: str, page_url: str, cursor: Mapping[str, Any] | None
) -> tuple[list[IngestedItem], dict[str, Any]]:
    """The page's main text as one item when it is new or has changed since the cursor."""
    main = extract_main_text(html)
    digest = _fingerprint(main.text)
    if not main.text or (cursor or {}).get("digest") == digest:
        return [], {"kind": "article", "digest": (cursor or {}).get("digest") if not main.text else digest}
    item = IngestedItem(
        source_id=f"{page_url}#{digest}", text=main.text, title=main.title, url=safe_http_url(page_url)
    )
    return [item], {"kind": "article", "digest": digest}
