"""Posts' judgements by the analysis engine: only for the posts some organisation wants.

A post is judged when it is stored if it was routed to an organisation, pushed or imported by one
(``owner``) or answers another post (a reply may join its parent's topic whatever it says). The rest
— most items of a general news feed, and every post of a firehose that names no client — are stored
unjudged (``judgement`` is ``{}``): they are kept for deduplication and for replies that may name them
later, but no page, report or alert reaches a post except through a mention. Whatever gives such a
post a mention later (a rule added before the item is delivered again, a reply's parent that
concerns an organisation) judges it first: ``judge_unjudged`` in ``mentions.plan_mentions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hikeshi.analysis import get_analyzer
from hikeshi.monitoring.models import Post

JUDGEMENT_FIELDS = ["risk", "level", "categories", "toxicity", "sentiment", "judgement"]
"""The post's columns that ``apply_judgement`` sets."""

analyzer_used = False
"""Whether this process has run the engine (the pipeline freezes its heap after that, once)."""


def apply_judgement(post: Post, judgement: dict[str, Any]) -> None:
    post.judgement = judgement
    post.risk = float(judgement["risk"])
    post.level = str(judgement["level"])
    post.categories = [c["code"] for c in judgement["categories"]]
    post.toxicity = float(judgement.get("toxicity") or 0.0)
    post.sentiment = float(judgement["sentiment"]["score"])


def judge(posts: list[Post]) -> None:
    """Judge the posts in one batch of the engine and set their columns (not saved)."""
    global analyzer_used
    if not posts:
        return
    analyzer_used = True
    judgements = get_analyzer().analyze([p.text for p in posts])
    for post, judgement in zip(posts, judgements, strict=True):
        apply_judgement(post, judgement.to_dict())


def judge_unjudged(posts: Iterable[Post]) -> list[Post]:
    """Those of these stored posts that were stored unjudged, judged now and their rows updated (the
    same judgement whichever worker writes it first); returns them."""
    missing = list({post.pk: post for post in posts if not post.judgement}.values())
    if missing:
        judge(missing)
        Post.objects.bulk_update(missing, JUDGEMENT_FIELDS)
    return missing
