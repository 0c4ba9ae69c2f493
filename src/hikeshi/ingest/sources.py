"""Polling one source end to end: safe fetch (conditional) → decode → parse → only what is new.

Each ``poll_*`` function takes the JSON-able state returned by the previous call (or None) and returns
the new items plus the state to store. The state holds the HTTP validators (ETag/Last-Modified) and
the kind-specific cursor, so an unchanged page costs one 304 and yields nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hikeshi.ingest.encodings import decode_bytes
from hikeshi.ingest.feeds import parse_feed
from hikeshi.ingest.items import IngestedItem
from hikeshi.ingest.pages import (
    PostRecipe,
    new_article,
    new_recipe_posts,
    new_thread_posts,
    parse_recipe_posts,
    parse_thread_dat,
    parse_thread_html,
)
from hikeshi.ingest.recipes import PageRecipe, extract_new
from hikeshi.ingest.safefetch import FetchResult, SafeFetcher, Validators

_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
_MAX_FEED_SEEN = 5000


@dataclass(frozen=True, slots=True)
class PollResult:
    items: list[IngestedItem]
    state: dict[str, Any]
    """Store this and pass it to the next poll of the same source."""
    not_modified: bool = False
    problems: list[str] = field(default_factory=list)
    final_url: str | None = None


def _fetch(
    fetcher: SafeFetcher, url: str, state: Mapping[str, Any] | None, accept: str | None
) -> FetchResult:
    validators = Validators.from_dict((state or {}).get("validators", {}))
    return fetcher.fetch(url, validators=validators, accept=accept)


def _unchanged(result: FetchResult, state: Mapping[str, Any] | None) -> PollResult:
    kept = dict(state or {})
    kept["validators"] = result.validators.to_dict()
    return PollResult([], kept, not_modified=True, final_url=result.final_url)


def poll_feed(fetcher: SafeFetcher, url: str, state: Mapping[str, Any] | None = None) -> PollResult:
    """RSS/Atom: items whose ids were not in the previous polls (feeds re-serve their last N entries)."""
    result = _fetch(fetcher, url, state, _FEED_ACCEPT)
    if result.not_modified:
        return _unchanged(result, state)
    parsed = parse_feed(result.body, http_charset=result.charset, base_url=result.final_url)
    seen = list((state or {}).get("seen", []))
    known = set(seen)
    fresh = [item for item in parsed.items if item.source_id not in known]
    seen.extend(item.source_id for item in fresh)
    new_state = {"validators": result.validators.to_dict(), "seen": seen[-_MAX_FEED_SEEN:]}
    return PollResult(fresh, new_state, problems=parsed.problems, final_url=result.final_url)


def poll_thread(fetcher: SafeFetcher, url: str, state: Mapping[str, Any] | None = None) -> PollResult:
    """A 5ch-style thread (HTML page or ``.dat`` file): レス after the last one seen."""
    result = _fetch(fetcher, url, state, None)
    if result.not_modified:
        return _unchanged(result, state)
    text = decode_bytes(result.body, result.charset).text
    is_dat = result.final_url.endswith(".dat") or (
        "<>" in text.split("\n", 1)[0] and "<html" not in text[:500].lower()
    )
    posts = parse_thread_dat(text) if is_dat else parse_thread_html(text)
    problems = [] if posts else ["no posts found: the page layout may have changed"]
    items, cursor = new_thread_posts(posts, url, (state or {}).get("cursor"))
    new_state = {"validators": result.validators.to_dict(), "cursor": cursor}
    return PollResult(items, new_state, problems=problems, final_url=result.final_url)


def poll_page_posts(
    fetcher: SafeFetcher, url: str, recipe: PostRecipe, state: Mapping[str, Any] | None = None
) -> PollResult:
    """A page listing posts (reviews, comments) read with ``recipe``: posts not seen before."""
    result = _fetch(fetcher, url, state, None)
    if result.not_modified:
        return _unchanged(result, state)
    text = decode_bytes(result.body, result.charset).text
    posts = parse_recipe_posts(text, recipe, result.final_url)
    problems = [] if posts else [f"no posts matched selector {recipe.item!r}"]
    items, cursor = new_recipe_posts(posts, (state or {}).get("cursor"))
    new_state = {"validators": result.validators.to_dict(), "cursor": cursor}
    return PollResult(items, new_state, problems=problems, final_url=result.final_url)


def poll_article(fetcher: SafeFetcher, url: str, state: Mapping[str, Any] | None = None) -> PollResult:
    """An article or aggregator page: its main text, when new or changed."""
    result = _fetch(fetcher, url, state, None)
    if result.not_modified:
        return _unchanged(result, state)
    text = decode_bytes(result.body, result.charset).text
    items, cursor = new_article(text, result.final_url, (state or {}).get("cursor"))
    new_state = {"validators": result.validators.to_dict(), "cursor": cursor}
    return PollResult(items, new_state, final_url=result.final_url)


def poll_page(
    fetcher: SafeFetcher, url: str, recipe: PageRecipe, state: Mapping[str, Any] | None = None
) -> PollResult:
    """A page source read with its recipe (see ``recipes``): only what is new since ``state``.

    ``auto`` reads the page as a thread while it has レス and as an article from the first poll that
    finds none (the behaviour of sources made before recipes). A state written by another recipe is
    dropped: the operator changed how the page is read, so its cursor means nothing now."""
    state = dict(state or {})
    if recipe.name == "auto":
        if "article" not in state:
            thread = poll_thread(fetcher, url, state.get("thread"))
            if thread.items or thread.not_modified or not thread.problems:
                return PollResult(
                    thread.items,
                    {"thread": thread.state},
                    thread.not_modified,
                    thread.problems,
                    thread.final_url,
                )
        article = poll_article(fetcher, url, state.get("article"))
        return PollResult(
            article.items,
            {"article": article.state},
            article.not_modified,
            article.problems,
            article.final_url,
        )
    if state.get("recipe") != recipe.name:
        state = {}
    result = _fetch(fetcher, url, state, None)
    if result.not_modified:
        return _unchanged(result, state)
    text = decode_bytes(result.body, result.charset).text
    # Thread items link to the thread's own address (レス numbers are appended to it).
    page_url = url if recipe.name == "thread" else result.final_url
    items, cursor, problems = extract_new(recipe, text, page_url, state.get("cursor"))
    new_state = {"recipe": recipe.name, "validators": result.validators.to_dict(), "cursor": cursor}
    return PollResult(items, new_state, problems=problems, final_url=result.final_url)
