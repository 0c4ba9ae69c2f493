"""A regex concept's `lead` only moves where its scan starts: the hits must be those of a scan from the start."""

from __future__ import annotations

import dataclasses
import random

from hikeshi.analysis.lexicon import load_lexicon
from hikeshi.analysis.matcher import ConceptMatcher
from hikeshi.analysis.normalize import normalize


def _matchers() -> tuple[ConceptMatcher, ConceptMatcher, list[str]]:
    concepts = load_lexicon().concepts
    with_lead = [c for c in concepts if c.lead is not None]
    assert {c.name for c in with_lead} >= {"laughter", "past_act"}
    unbounded = [dataclasses.replace(c, lead=None) for c in concepts]
    triggers = [t for c in with_lead for t in c.triggers]
    return ConceptMatcher(concepts), ConceptMatcher(unbounded), triggers


def test_lead_bounded_scans_find_every_match() -> None:
    bounded, unbounded, triggers = _matchers()
    rng = random.Random(1130)
    pieces = (
        triggers
        + list("ちゃやまっしんいてたわよぜ。!? wW草笑あアa1")
        + ["けど", "ｗｗｗ", "大草原", "行っ", "食べ"]
    )
    for _ in range(4_000):
        text = normalize("".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))).text
        assert bounded.find(text) == unbounded.find(text), text
    for text in (
        "昨日飲みすぎちゃった",
        "やっちゃった。バレてないｗ",
        "ワロタｗｗ",
        "めっちゃ草",
        "草",
        "w",
        "最高wwwした",
    ):
        text = normalize(text).text
        assert bounded.find(text) == unbounded.find(text), text


def test_a_match_that_starts_before_its_trigger_is_still_found() -> None:
    bounded, _, _ = _matchers()
    hits = bounded.find(normalize("昨日飲みすぎちゃった").text)
    assert hits["past_act"] == [(6, 10)]  # 「ちゃった」 starts two characters before its trigger 「った」
