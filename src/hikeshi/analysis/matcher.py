"""Finding every lexicon concept in normalised text with one Aho-Corasick pass plus one regex pass."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import ahocorasick

from hikeshi.analysis.custom import CustomTerms
from hikeshi.analysis.lexicon import Concept
from hikeshi.analysis.normalize import MASK, normalize

# concept name -> (start, end) spans in the normalised text, in order of their end.
Hits = dict[str, list[tuple[int, int]]]

# URLs and @mentions are not words of the post: lexicon hits inside them are dropped.
_OPAQUE = re.compile(r"https?://[^\s\u3000「」『』()（）<>\"]+|www\.[^\s\u3000]+|@[a-z0-9_]{1,30}", re.ASCII)


def _masked_variants(term: str) -> Iterable[str]:
    """「死ね」 -> 「○ね」「死○」: the 伏せ字 forms people use to dodge filters."""
    if len(term) < 2:
        return
    for i, ch in enumerate(term):
        if ch != MASK and not ch.isspace():
            yield term[:i] + MASK + term[i + 1 :]


class ConceptMatcher:
    """One automaton over every surface form of every concept; built once, read-only afterwards."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        keys: dict[str, set[str]] = {}
        regex_parts: list[str] = []
        self._group_concepts: dict[str, str] = {}
        for concept in concepts:
            for term in concept.terms:
                surfaces = [normalize(term).text]
                if concept.masked:
                    surfaces.extend(_masked_variants(surfaces[0]))
                for surface in surfaces:
                    if surface:
                        keys.setdefault(surface, set()).add(concept.name)
            if concept.regex is not None:
                group = f"g{len(regex_parts)}"
                self._group_concepts[group] = concept.name
                regex_parts.append(f"(?P<{group}>{concept.regex})")
        for surface, names in keys.items():
            automaton.add_word(surface, (len(surface), tuple(sorted(names))))
        self.term_count = len(keys)
        if keys:
            automaton.make_automaton()
        self._automaton = automaton if keys else None
        self._regex = re.compile("|".join(regex_parts)) if regex_parts else None

    def find(self, text: str) -> Hits:
        hits: Hits = {}
        if self._automaton is not None:
            for end_index, (length, names) in self._automaton.iter(text):
                span = (end_index + 1 - length, end_index + 1)
                for name in names:
                    bucket = hits.get(name)
                    if bucket is None:
                        hits[name] = [span]
                    else:
                        bucket.append(span)
        if self._regex is not None:
            for match in self._regex.finditer(text):
                group = match.lastgroup
                if group is not None:
                    hits.setdefault(self._group_concepts[group], []).append(match.span())
        if hits and ("/" in text or "@" in text):
            _drop_opaque(text, hits)
        return hits


def _drop_opaque(text: str, hits: Hits) -> None:
    spans = [m.span() for m in _OPAQUE.finditer(text)]
    if not spans:
        return
    for name in list(hits):
        kept = [h for h in hits[name] if not any(a <= h[0] and h[1] <= b for a, b in spans)]
        if kept:
            hits[name] = kept
        else:
            del hits[name]


@lru_cache(maxsize=256)
def custom_matcher(custom: CustomTerms) -> ConceptMatcher:
    """A small automaton per organisation vocabulary, cached by value."""
    return ConceptMatcher(
        [
            Concept("custom_confidential", tuple(t for t in custom.confidential if t.strip()), None, False),
            Concept("custom_vip", tuple(t for t in custom.vip_names if t.strip()), None, True),
            Concept("own_name", tuple(t for t in custom.own_names if t.strip()), None, False),
        ]
    )


def merge_hits(into: Hits, extra: Hits) -> None:
    for name, spans in extra.items():
        into.setdefault(name, []).extend(spans)
