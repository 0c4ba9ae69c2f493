"""Finding every lexicon concept in normalised text with one Aho-Corasick pass plus one regex pass."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import ahocorasick_rs

from hikeshi.analysis.custom import CustomTerms
from hikeshi.analysis.forms import written_forms
from hikeshi.analysis.lexicon import Concept
from hikeshi.analysis.normalize import MASK, normalize

# concept name -> (start, end) spans in the normalised text, in order of their end.
Hits = dict[str, list[tuple[int, int]]]

_SURROGATE = re.compile("[\ud800-\udfff]")

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
    """One automaton over every surface form of every concept; built once, read-only afterwards.

    The automaton is ahocorasick-rs (Rust): one call returns every overlapping match of a text as
    ``(pattern, start, end)``. pyahocorasick, used before, walked the trie in C but looked up each
    character among a node's children one by one, and the root has a child for nearly every character
    that starts a term: about three times the time per post on the bench mix, same matches.
    """

    def __init__(
        self,
        concepts: Iterable[Concept],
        kana_forms: Mapping[tuple[str, str], Sequence[str]] | None = None,
        *,
        other_forms: bool = True,
    ) -> None:
        """``kana_forms``: per (concept, normalised term), the term with its verbs in kana (``forms.load_kana_forms``).
        ``other_forms``: also match the past-tense and fused forms of the terms (not for an organisation's own
        names and code words: 「あおい」 is a name, not an adjective)."""
        keys: dict[str, set[str]] = {}
        triggers: dict[str, set[int]] = {}
        self._regexes: list[tuple[str, re.Pattern[str]]] = []
        self._leads: list[int | None] = []
        for concept in concepts:
            for term in concept.terms:
                surfaces = [normalize(term).text]
                if concept.masked:
                    surfaces.extend(_masked_variants(surfaces[0]))
                written = [surfaces[0], *(kana_forms or {}).get((concept.name, surfaces[0]), ())]
                surfaces.extend(written[1:])
                for form in written if other_forms else ():
                    surfaces.extend(written_forms(form))
                for surface in surfaces:
                    if surface:
                        keys.setdefault(surface, set()).add(concept.name)
            if concept.regex is not None:
                for trigger in concept.triggers:
                    triggers.setdefault(normalize(trigger).text, set()).add(len(self._regexes))
                self._regexes.append((concept.name, re.compile(concept.regex)))
                self._leads.append(concept.lead)
        surfaces = sorted(keys.keys() | triggers.keys())
        # Per pattern index: the concepts the surface stands for and the regexes it triggers.
        self._values: list[tuple[tuple[str, ...], tuple[int, ...]]] = [
            (tuple(sorted(keys.get(surface, ()))), tuple(sorted(triggers.get(surface, ()))))
            for surface in surfaces
        ]
        self.term_count = len(keys)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(
                surfaces,
                matchkind=ahocorasick_rs.MatchKind.Standard,
                implementation=ahocorasick_rs.Implementation.ContiguousNFA,
            )
            if surfaces
            else None
        )

    def find(self, text: str) -> Hits:
        hits: Hits = {}
        if self._automaton is None:
            return hits
        values = self._values
        triggered: dict[int, int] | None = None  # regex index -> start of its first trigger
        try:
            matches = self._automaton.find_matches_as_indexes(text, overlapping=True)
        except UnicodeEncodeError:
            # A lone surrogate cannot cross into Rust (UTF-8); one replacement character each keeps offsets.
            matches = self._automaton.find_matches_as_indexes(
                _SURROGATE.sub("\ufffd", text), overlapping=True
            )
        for index, start, end in matches:
            names, regex_indices = values[index]
            if regex_indices:
                if triggered is None:
                    triggered = dict.fromkeys(regex_indices, start)
                else:
                    for regex_index in regex_indices:
                        if start < triggered.get(regex_index, start + 1):
                            triggered[regex_index] = start
            for name in names:
                bucket = hits.get(name)
                if bucket is None:
                    hits[name] = [(start, end)]
                else:
                    bucket.append((start, end))
        if triggered:
            for index in sorted(triggered):
                name, pattern = self._regexes[index]
                lead = self._leads[index]
                scan_from = 0 if lead is None else max(0, triggered[index] - lead)
                spans = [m.span() for m in pattern.finditer(text, scan_from)]
                if spans:
                    hits.setdefault(name, []).extend(spans)
        for name, spans in hits.items():
            if len(spans) > 1:
                hits[name] = _outermost(spans)
        if hits and ("/" in text or "@" in text):
            _drop_opaque(text, hits)
        return hits


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans not inside a longer span of the same concept (「食べたら」 wins over 「食べた」), in text order."""
    if len(spans) == 2:
        # The common case: two separate occurrences, already in text order (the automaton reports by end).
        (s0, e0), (s1, e1) = spans
        if s0 < s1 and e0 < e1:
            return spans
    kept: list[tuple[int, int]] = []
    for span in sorted(spans, key=lambda s: (s[0], -s[1])):
        if kept and span[1] <= kept[-1][1]:
            continue
        kept.append(span)
    return kept


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
        ],
        other_forms=False,
    )


def merge_hits(into: Hits, extra: Hits) -> None:
    for name, spans in extra.items():
        into.setdefault(name, []).extend(spans)
