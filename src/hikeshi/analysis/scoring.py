"""Turning concept hits into category scores with evidence: co-occurrence rules plus modifiers."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from hikeshi.analysis.lexicon import Lexicon, Modifier, Rule
from hikeshi.analysis.matcher import Hits

_SENTENCE_END = re.compile(r"[。!?\n]+|w{2,}")
Span = tuple[int, int]


@dataclass
class Firing:
    """One rule that matched, with its final score and the evidence spans (normalised indices)."""

    rule: Rule
    score: float
    evidence: list[tuple[Span, str]]
    suppressed_by: list[str] = field(default_factory=list)


@dataclass
class CategoryFinding:
    code: str
    score: float
    firings: list[Firing]

    @property
    def top(self) -> Firing:
        """The strongest firing (ties: the rule listed first)."""
        best = self.firings[0]
        for firing in self.firings[1:]:
            if firing.score > best.score:
                best = firing
        return best


def _nearest(spans: list[Span], anchor: Span) -> Span:
    """The span closest to ``anchor`` (distance between the two spans, 0 when they overlap)."""
    if len(spans) == 1:
        return spans[0]
    best = spans[0]
    best_distance = 1 << 30
    start, end = anchor
    for span in spans:
        # Written out rather than max(0, …): this runs for every span of every co-occurrence check.
        if span[0] >= end:
            distance = span[0] - end
        elif span[1] <= start:
            distance = start - span[1]
        else:
            distance = 0
        if distance < best_distance:
            best, best_distance = span, distance
    return best


def _co_occurrence(rule: Rule, hits: Hits) -> list[Span] | None:
    """One span per concept of ``rule``, all within the rule's window, preferring the tightest group."""
    first = hits[rule.concepts[0]]
    if len(rule.concepts) == 1:
        return [first[0]]
    if len(rule.concepts) == 2 and len(first) == 1:
        # The commonest case, without the general loop's allocations: one anchor, its nearest partner.
        anchor = first[0]
        partner = _nearest(hits[rule.concepts[1]], anchor)
        width = max(anchor[1], partner[1]) - min(anchor[0], partner[0])
        return [anchor, partner] if width <= rule.window and partner != anchor else None
    best: list[Span] | None = None
    best_width = rule.window + 1
    for anchor in first:
        group = [anchor]
        for name in rule.concepts[1:]:
            group.append(_nearest(hits[name], anchor))
        width = max(s[1] for s in group) - min(s[0] for s in group)
        # Distinct spans only: one word must not satisfy two concepts of the same rule.
        if width < best_width and len(set(group)) == len(group):
            best, best_width = group, width
    return best


class RuleEngine:
    def __init__(self, lexicon: Lexicon) -> None:
        self._rules = lexicon.rules
        self._concept_sets = [frozenset(rule.concepts) for rule in lexicon.rules]
        # Each rule is listed under one of its concepts only, the one fewest rules use: a rule needs all its
        # concepts, so the rarest one finds it, and common concepts (「った」) no longer make every rule that
        # uses them a candidate to check.
        uses: dict[str, int] = {}
        for rule in lexicon.rules:
            for name in set(rule.concepts):
                uses[name] = uses.get(name, 0) + 1
        self._by_concept: dict[str, list[int]] = {}
        for index, rule in enumerate(lexicon.rules):
            key = min(rule.concepts, key=lambda name: uses[name])
            self._by_concept.setdefault(key, []).append(index)
        by_category: dict[str, list[Modifier]] = {}
        for modifier in lexicon.modifiers:
            for code in modifier.categories:
                by_category.setdefault(code, []).append(modifier)
        wildcard = by_category.pop("*", [])
        # A category's modifiers then the wildcard ones, in file order (the order their effects apply in).
        self._modifiers: dict[str, tuple[Modifier, ...]] = {
            rule.category: (*by_category.get(rule.category, ()), *wildcard) for rule in lexicon.rules
        }
        self._modifier_concepts = frozenset(modifier.concept for modifier in lexicon.modifiers)

    def evaluate(self, text: str, hits: Hits) -> dict[str, CategoryFinding]:
        present = hits.keys()
        by_concept = self._by_concept
        concept_sets = self._concept_sets
        # Each rule is listed under one concept, so the lists are disjoint: no set needed to merge them.
        complete = [
            index
            for name in present & by_concept.keys()
            for index in by_concept[name]
            if present >= concept_sets[index]
        ]
        if not complete:
            return {}
        sentences: list[int] | None = None
        findings: dict[str, CategoryFinding] = {}
        # Most texts hold no modifier word at all: then no firing needs the modifier loop.
        any_modifier = not self._modifier_concepts.isdisjoint(present)
        for index in sorted(complete):
            rule = self._rules[index]
            spans = _co_occurrence(rule, hits)
            if spans is None:
                continue
            firing = Firing(rule, rule.weight, [(s, rule.reason) for s in spans])
            own: list[Span] | None = None
            for modifier in self._modifiers[rule.category] if any_modifier else ():
                mod_spans = hits.get(modifier.concept)
                if not mod_spans:
                    continue
                if modifier.scope == "sentence" and sentences is None:
                    sentences = [m.end() for m in _SENTENCE_END.finditer(text)]
                # A modifier word that is part of a word of the rule itself does not count (see _part_of_rule_word).
                if own is None:
                    own = [span for name in rule.concepts for span in hits[name]]
                free = [span for span in mod_spans if not _part_of_rule_word(span, own)]
                if not free:
                    continue
                where = _in_scope(modifier.scope, spans, free, sentences or [])
                if where is None:
                    continue
                if modifier.effect == "suppress":
                    firing.score *= modifier.factor
                    firing.suppressed_by.append(modifier.reason)
                else:
                    firing.score += (1.0 - firing.score) * modifier.factor
                    firing.evidence.append((where, modifier.reason))
            finding = findings.get(rule.category)
            if finding is None:
                findings[rule.category] = CategoryFinding(rule.category, 0.0, [firing])
            else:
                finding.firings.append(firing)
        for finding in findings.values():
            finding.score = combine([f.score for f in finding.firings])
        return findings


def combine(scores: list[float]) -> float:
    """The strongest score, raised a little by each further independent one (noisy-or at half strength)."""
    ordered = sorted(scores, reverse=True)
    remaining = 1.0 - ordered[0]
    for score in ordered[1:]:
        remaining *= 1.0 - score / 2.0
    return 1.0 - remaining


def _in_scope(
    scope: str, evidence: list[Span], candidates: list[Span], sentence_ends: list[int]
) -> Span | None:
    """The modifier span that applies to a rule with ``evidence``, or None."""
    others = [c for c in candidates if not _part_of_rule_word(c, evidence)]
    if not others:
        return None
    if scope == "text":
        return others[0]
    first = min(s[0] for s in evidence)
    last = max(s[1] for s in evidence)
    if scope == "sentence":
        lo = bisect.bisect_right(sentence_ends, first)
        hi = bisect.bisect_left(sentence_ends, last)
        start = sentence_ends[lo - 1] if lo > 0 else 0
        end = sentence_ends[hi] if hi < len(sentence_ends) else 1 << 30
        for span in others:
            if span[0] >= start and span[1] <= end:
                return span
        # 「…した。ｗ」: a closing laugh or mark right after the sentence still belongs to it.
        for span in others:
            if end <= span[0] <= end + 1:
                return span
        return None
    kind, _, number = scope.partition(":")
    reach = int(number)
    for span in others:
        if kind == "after" and last <= span[0] <= last + reach:
            return span
        if kind == "before" and first - reach <= span[1] <= first:
            return span
        if kind == "near" and (last <= span[0] <= last + reach or first - reach <= span[1] <= first):
            return span
    return None


def _part_of_rule_word(span: Span, rule_spans: list[Span]) -> bool:
    """Whether a modifier's span is (part of) a word the rule itself matched, so it says nothing about it.

    Inside (「信用できない」 holds 「できない」) or straddling a rule word it does not count. A modifier phrase
    that takes in a whole rule word does: 「嫌いじゃない」 holds the rule's 「嫌い」 and negates it.
    """
    for start, end in rule_spans:
        if (
            span[0] < end
            and start < span[1]
            and not (span[0] <= start and end <= span[1] and span != (start, end))
        ):
            return True
    return False
