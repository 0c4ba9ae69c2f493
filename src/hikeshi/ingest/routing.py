"""Routing posts to the organisations that watch them, for every organisation in one pass.

All watch patterns of all organisations (terms and their variants, exclusions, ignore-contexts and
query leaves) go into ONE Aho–Corasick automaton, so the cost of routing a post depends on the post's
length, not on how many clients or terms there are. Most posts match nothing; they only pay for the
fast normalisation and one automaton scan. Posts with hits are normalised again with an offset map
so spans point into the ORIGINAL text.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import ahocorasick

from hikeshi.ingest.errors import QuerySyntaxError, RuleError
from hikeshi.ingest.normalize import normalize, normalize_with_offsets
from hikeshi.ingest.query import MIN_TERM_CHARS, Node, evaluate, parse_query, terms

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class WatchTerm:
    """A thing to watch for and the ways people write it (kana, kanji, romaji, abbreviations)."""

    name: str
    variants: tuple[str, ...] = ()

    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.variants)


@dataclass(frozen=True, slots=True)
class WatchRule:
    """One organisation's rule. It matches a post when a term hits (outside ``ignore_contexts``), the
    ``query`` holds (if given), and no ``exclude`` phrase appears anywhere in the post."""

    rule_id: Hashable
    org_id: Hashable
    terms: tuple[WatchTerm, ...] = ()
    exclude: tuple[str, ...] = ()
    ignore_contexts: tuple[str, ...] = ()
    """Phrases inside which a term hit does not count (term マック, context マックブック)."""
    query: str | None = None


@dataclass(frozen=True, slots=True)
class RouteMatch:
    org_id: Hashable
    rule_id: Hashable
    spans: tuple[Span, ...]
    """Merged (start, end) character spans in the original post text, sorted."""
    matched: tuple[str, ...]
    """Names of the watch terms and positive query terms that hit, in first-hit order."""


class _Role(IntEnum):
    TERM = 0
    EXCLUDE = 1
    IGNORE = 2
    QUERY = 3


# Plain ints in the hot loop: comparing IntEnum members costs attribute lookups per hit.
_TERM, _EXCLUDE, _IGNORE = int(_Role.TERM), int(_Role.EXCLUDE), int(_Role.IGNORE)


@dataclass(slots=True)
class _CompiledRule:
    rule: WatchRule
    query: Node | None
    positive_query_terms: dict[str, str] = field(default_factory=dict)
    """Normalised positive query leaf → the leaf as written in the query."""


@dataclass(frozen=True, slots=True)
class _Pattern:
    text: str
    left_boundary: bool
    right_boundary: bool
    # (rule index, role, label): label is the term name or the normalised query leaf
    targets: tuple[tuple[int, _Role, str], ...]


def _hot_targets(targets: tuple[tuple[int, _Role, str], ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((rule_index, int(role), label) for rule_index, role, label in targets)


def _is_ascii_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _original_is_word(text: str, index: int) -> bool:
    if index < 0 or index >= len(text):
        return False
    folded = unicodedata.normalize("NFKC", text[index]).casefold()
    return bool(folded) and _is_ascii_word(folded[0] if index >= 0 else folded[-1])


def _merge(spans: Iterable[Span]) -> tuple[Span, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _normalized_pattern(raw: str, rule: WatchRule, what: str) -> str:
    pattern = normalize(raw)
    if len(pattern) < MIN_TERM_CHARS:
        raise RuleError(
            f"rule {rule.rule_id!r} of organisation {rule.org_id!r}: {what} {raw!r} is too short after "
            f"normalisation ({pattern!r}); use at least {MIN_TERM_CHARS} characters"
        )
    return pattern


def rules_fingerprint(rules: Iterable[WatchRule]) -> str:
    """Stable digest of a rule set, to skip rebuilding the automaton when nothing changed."""
    canonical = sorted(
        json.dumps(
            [
                repr(r.org_id),
                repr(r.rule_id),
                [t.spellings() for t in r.terms],
                r.exclude,
                r.ignore_contexts,
                r.query,
            ],
            ensure_ascii=False,
        )
        for r in rules
    )
    return hashlib.sha256("\n".join(canonical).encode("utf-8")).hexdigest()


class Router:
    """Immutable matcher over a set of rules. Build a new one when rules change (see :class:`RouterCache`)."""

    def __init__(self, rules: Iterable[WatchRule]) -> None:
        self.rules: tuple[WatchRule, ...] = tuple(rules)
        self.fingerprint = rules_fingerprint(self.rules)
        self._compiled: list[_CompiledRule] = []
        targets: dict[str, list[tuple[int, _Role, str]]] = {}
        seen_ids: set[tuple[Hashable, Hashable]] = set()
        for index, rule in enumerate(self.rules):
            key = (rule.org_id, rule.rule_id)
            if key in seen_ids:
                raise RuleError(f"duplicate rule id {rule.rule_id!r} in organisation {rule.org_id!r}")
            seen_ids.add(key)
            self._compiled.append(self._compile(index, rule, targets))
        self._patterns: list[_Pattern] = []
        self._automaton = ahocorasick.Automaton()
        for text, pattern_targets in targets.items():
            pattern = _Pattern(
                text, _is_ascii_word(text[0]), _is_ascii_word(text[-1]), tuple(pattern_targets)
            )
            self._patterns.append(pattern)
            # The automaton's value carries everything the hot loop needs, avoiding lookups per hit.
            hot = (
                len(text) - 1,
                pattern.left_boundary,
                pattern.right_boundary,
                _hot_targets(pattern.targets),
            )
            self._automaton.add_word(text, hot)
        if self._patterns:
            self._automaton.make_automaton()

    @staticmethod
    def _compile(
        index: int, rule: WatchRule, targets: dict[str, list[tuple[int, _Role, str]]]
    ) -> _CompiledRule:
        if not rule.terms and not rule.query:
            raise RuleError(
                f"rule {rule.rule_id!r} of organisation {rule.org_id!r} has neither terms nor a query"
            )
        for term in rule.terms:
            for spelling in term.spellings():
                pattern = _normalized_pattern(spelling, rule, "term")
                targets.setdefault(pattern, []).append((index, _Role.TERM, term.name))
        for phrase in rule.exclude:
            targets.setdefault(_normalized_pattern(phrase, rule, "exclusion"), []).append(
                (index, _Role.EXCLUDE, phrase)
            )
        for phrase in rule.ignore_contexts:
            targets.setdefault(_normalized_pattern(phrase, rule, "ignore context"), []).append(
                (index, _Role.IGNORE, phrase)
            )
        if not rule.query:
            return _CompiledRule(rule, None)
        try:
            node = parse_query(rule.query)
        except QuerySyntaxError as exc:
            raise RuleError(
                f"rule {rule.rule_id!r} of organisation {rule.org_id!r}: bad query: {exc}"
            ) from exc
        positive: dict[str, str] = {}
        for leaf, negated in terms(node):
            targets.setdefault(leaf.normalized, []).append((index, _Role.QUERY, leaf.normalized))
            if not negated:
                positive.setdefault(leaf.normalized, leaf.text)
        return _CompiledRule(rule, node, positive)

    @property
    def pattern_count(self) -> int:
        return len(self._patterns)

    def has_candidates(self, text: str) -> bool:
        """Cheap pre-check: does any watch pattern occur in the post at all?"""
        if not self._patterns:
            return False
        for _ in self._automaton.iter(normalize(text)):
            return True
        return False

    def route(self, text: str, normalized: str | None = None) -> list[RouteMatch]:
        """Every (organisation, rule) that ``text`` matches, with spans in ``text``. ``normalized``:
        ``normalize(text)`` when the caller has it already (the pipeline computes it with the content
        form), so that it is not computed twice."""
        if not self._patterns:
            return []
        fast = normalize(text) if normalized is None else normalized
        first = next(self._automaton.iter(fast), None)
        if first is None:
            return []
        normalized, offsets = normalize_with_offsets(text)
        return self._evaluate(text, normalized, offsets)

    def route_many(self, texts: Iterable[str]) -> list[list[RouteMatch]]:
        return [self.route(text) for text in texts]

    def _evaluate(self, text: str, normalized: str, offsets: Sequence[Span]) -> list[RouteMatch]:
        # Per rule: term hits (norm span, label), exclusion seen, ignore spans, query leaves present.
        term_hits: dict[int, list[tuple[int, int, str]]] = {}
        excluded: set[int] = set()
        ignore_spans: dict[int, list[Span]] = {}
        query_hits: dict[int, dict[str, list[Span]]] = {}
        for end_index, (extent, left_boundary, right_boundary, targets) in self._automaton.iter(normalized):
            start = end_index - extent
            if left_boundary and _original_is_word(text, offsets[start][0] - 1):
                continue
            if right_boundary and _original_is_word(text, offsets[end_index][1]):
                continue
            stop = end_index + 1
            for rule_index, role, label in targets:
                if role == _TERM:
                    hits = term_hits.get(rule_index)
                    if hits is None:
                        term_hits[rule_index] = [(start, stop, label)]
                    else:
                        hits.append((start, stop, label))
                elif role == _EXCLUDE:
                    excluded.add(rule_index)
                elif role == _IGNORE:
                    ignore_spans.setdefault(rule_index, []).append((start, stop))
                else:
                    query_hits.setdefault(rule_index, {}).setdefault(label, []).append((start, stop))
        matches: list[RouteMatch] = []
        candidates = sorted(term_hits.keys() | query_hits.keys()) if query_hits else sorted(term_hits)
        for rule_index in candidates:
            if rule_index in excluded:
                continue
            compiled = self._compiled[rule_index]
            norm_spans: list[Span] = []
            labels: dict[str, None] = {}
            if compiled.rule.terms:
                kept = term_hits.get(rule_index, [])
                contexts = ignore_spans.get(rule_index)
                if contexts:
                    kept = [
                        hit
                        for hit in kept
                        if not any(c_start <= hit[0] and hit[1] <= c_end for c_start, c_end in contexts)
                    ]
                if not kept:
                    continue
                for start, end, label in kept:
                    norm_spans.append((start, end))
                    labels.setdefault(label, None)
            if compiled.query is not None:
                present = query_hits.get(rule_index, {})
                if not evaluate(compiled.query, present.keys()):
                    continue
                for leaf, spans in present.items():
                    written = compiled.positive_query_terms.get(leaf)
                    if written is not None:
                        norm_spans.extend(spans)
                        labels.setdefault(written, None)
            if len(norm_spans) == 1:
                original: tuple[Span, ...] = (
                    (offsets[norm_spans[0][0]][0], offsets[norm_spans[0][1] - 1][1]),
                )
            else:
                original = _merge((offsets[start][0], offsets[end - 1][1]) for start, end in norm_spans)
            matches.append(RouteMatch(compiled.rule.org_id, compiled.rule.rule_id, original, tuple(labels)))
        return matches


class RouterCache:
    """Holds the current :class:`Router` and rebuilds it only when the rule set really changed."""

    def __init__(self) -> None:
        self._router = Router(())
        self.rebuilds = 0

    @property
    def router(self) -> Router:
        return self._router

    def update(self, rules: Iterable[WatchRule]) -> Router:
        materialised = tuple(rules)
        if rules_fingerprint(materialised) != self._router.fingerprint:
            self._router = Router(materialised)
            self.rebuilds += 1
        return self._router
