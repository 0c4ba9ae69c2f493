"""Loading and validating the rule data files under ``lexicons/``.

The files are TOML so that a person can read and review them: ``concepts.toml`` names sets of surface forms
(and a few regular expressions), ``rules.toml`` says which co-occurring concepts make which risk and why,
``modifiers.toml`` lists what lowers (negation, campaigns, news, fiction) or raises (ｗ, 草, boasting, first
person, at work) a rule's score. See docs/analysis.md for how to write and extend them.
"""

from __future__ import annotations

import pathlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hikeshi.analysis.taxonomy import CATEGORY_CODES

LEXICON_DIR = pathlib.Path(__file__).resolve().parent / "lexicons"
LEXICON_FORMAT = 1
# Concepts the engine fills itself (not from concepts.toml): the organisation's own vocabulary and PII.
BUILTIN_CONCEPTS: tuple[str, ...] = (
    "custom_confidential",
    "custom_vip",
    "own_name",
    "pii_sensitive",
    "pii_contact",
    "person_name",
)
_SCOPE = re.compile(r"^(sentence|text|after:\d{1,3}|before:\d{1,3}|near:\d{1,3})$")


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Concept:
    name: str
    terms: tuple[str, ...]
    regex: str | None
    masked: bool  # also match with one character hidden by a 伏せ字 mark
    triggers: tuple[str, ...] = ()  # the regex is tried only on text holding one of these literals
    # At most this many characters between a match's start and the start of the trigger it holds: the regex
    # then scans from the first trigger on, not from the start of the text. None: no such bound is known.
    lead: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    concepts: tuple[str, ...]
    weight: float  # the share of matching posts that really carry this risk (calibration target)
    window: int  # all concepts within this many normalised characters
    reason: str  # shown with the evidence
    summary: str  # noun phrase for the explanation: 「…と読めます」


@dataclass(frozen=True)
class Modifier:
    id: str
    concept: str
    effect: str  # "suppress" multiplies the score by factor; "intensify" closes the gap to 1 by factor
    factor: float
    categories: tuple[str, ...]
    scope: str
    reason: str


@dataclass(frozen=True)
class Lexicon:
    version: str
    concepts: tuple[Concept, ...]
    rules: tuple[Rule, ...]
    modifiers: tuple[Modifier, ...]

    def concept_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.concepts) + BUILTIN_CONCEPTS


def _read(path: pathlib.Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise LexiconError(f"{path}: lexicon file is missing") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML: {exc}") from exc


def _need(entry: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, str | list) and not value):
        raise LexiconError(f"{where}: '{key}' must be a non-empty {kind.__name__}")
    return value


def _check_header(data: Mapping[str, Any], where: str) -> str:
    if data.get("format") != LEXICON_FORMAT:
        raise LexiconError(f"{where}: format must be {LEXICON_FORMAT}, got {data.get('format')!r}")
    version: str = _need(data, "version", str, where)
    return version


def _load_concepts(path: pathlib.Path) -> tuple[str, list[Concept]]:
    data = _read(path)
    version = _check_header(data, str(path))
    concepts: list[Concept] = []
    table = data.get("concepts")
    if not isinstance(table, dict) or not table:
        raise LexiconError(f"{path}: needs a [concepts.<name>] table")
    for name, entry in table.items():
        where = f"{path}: concepts.{name}"
        if name in BUILTIN_CONCEPTS:
            raise LexiconError(f"{where}: the name is reserved for a built-in concept")
        if not isinstance(entry, dict):
            raise LexiconError(f"{where}: must be a table")
        terms = entry.get("terms", [])
        regex = entry.get("regex")
        if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
            raise LexiconError(f"{where}: 'terms' must be a list of non-empty strings")
        if regex is not None:
            if not isinstance(regex, str):
                raise LexiconError(f"{where}: 'regex' must be a string")
            try:
                re.compile(regex)
            except re.error as exc:
                raise LexiconError(f"{where}: bad regex: {exc}") from exc
        if not terms and regex is None:
            raise LexiconError(f"{where}: needs 'terms' or 'regex'")
        triggers = entry.get("triggers", [])
        if regex is not None and (
            not isinstance(triggers, list)
            or not triggers
            or not all(isinstance(t, str) and t for t in triggers)
        ):
            raise LexiconError(
                f"{where}: a regex needs 'triggers', literals one of which every match contains"
            )
        lead = entry.get("lead")
        if lead is not None and (regex is None or type(lead) is not int or not 0 <= lead <= 100):
            raise LexiconError(f"{where}: 'lead' must be an integer 0..100, and only with a 'regex'")
        concepts.append(
            Concept(name, tuple(terms), regex, bool(entry.get("masked", False)), tuple(triggers), lead)
        )
    return version, concepts


def _categories(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise LexiconError(f"{where}: 'categories' must be a non-empty list")
    for code in value:
        if code != "*" and code not in CATEGORY_CODES:
            raise LexiconError(f"{where}: unknown category {code!r}")
    return tuple(value)


def _fraction(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = entry.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 < float(value) <= 1.0:
        raise LexiconError(f"{where}: '{key}' must be a number in (0, 1], got {value!r}")
    return float(value)


def _load_rules(path: pathlib.Path, known: set[str]) -> tuple[str, list[Rule]]:
    data = _read(path)
    version = _check_header(data, str(path))
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, entry in enumerate(data.get("rules", [])):
        where = f"{path}: rules[{index}]"
        rule_id = _need(entry, "id", str, where)
        where = f"{path}: rule {rule_id!r}"
        if rule_id in seen:
            raise LexiconError(f"{where}: duplicate id")
        seen.add(rule_id)
        category = _need(entry, "category", str, where)
        if category not in CATEGORY_CODES:
            raise LexiconError(f"{where}: unknown category {category!r}")
        concepts = _need(entry, "all", list, where)
        for name in concepts:
            if name not in known:
                raise LexiconError(f"{where}: unknown concept {name!r}")
        window = entry.get("window", 40)
        if not isinstance(window, int) or window <= 0:
            raise LexiconError(f"{where}: 'window' must be a positive integer")
        rules.append(
            Rule(
                id=rule_id,
                category=category,
                concepts=tuple(concepts),
                weight=_fraction(entry, "weight", where),
                window=window,
                reason=_need(entry, "reason", str, where),
                summary=_need(entry, "summary", str, where),
            )
        )
    if not rules:
        raise LexiconError(f"{path}: no [[rules]]")
    return version, rules


def _load_modifiers(path: pathlib.Path, known: set[str]) -> tuple[str, list[Modifier]]:
    data = _read(path)
    version = _check_header(data, str(path))
    modifiers: list[Modifier] = []
    for index, entry in enumerate(data.get("modifiers", [])):
        where = f"{path}: modifiers[{index}]"
        modifier_id = _need(entry, "id", str, where)
        where = f"{path}: modifier {modifier_id!r}"
        concept = _need(entry, "concept", str, where)
        if concept not in known:
            raise LexiconError(f"{where}: unknown concept {concept!r}")
        effect = entry.get("effect")
        if effect not in ("suppress", "intensify"):
            raise LexiconError(f"{where}: 'effect' must be 'suppress' or 'intensify'")
        scope = entry.get("scope", "sentence")
        if not isinstance(scope, str) or not _SCOPE.match(scope):
            raise LexiconError(f"{where}: bad scope {scope!r} (sentence, text, after:N, before:N, near:N)")
        modifiers.append(
            Modifier(
                id=modifier_id,
                concept=concept,
                effect=effect,
                factor=_fraction(entry, "factor", where),
                categories=_categories(entry.get("categories"), where),
                scope=scope,
                reason=_need(entry, "reason", str, where),
            )
        )
    return version, modifiers


def load_lexicon(directory: pathlib.Path | None = None) -> Lexicon:
    """Load and cross-check the three lexicon files; raise LexiconError naming what is wrong."""
    base = directory or LEXICON_DIR
    concepts_version, concepts = _load_concepts(base / "concepts.toml")
    known = {c.name for c in concepts} | set(BUILTIN_CONCEPTS)
    rules_version, rules = _load_rules(base / "rules.toml", known)
    modifiers_version, modifiers = _load_modifiers(base / "modifiers.toml", known)
    version = f"concepts {concepts_version}, rules {rules_version}, modifiers {modifiers_version}"
    return Lexicon(version, tuple(concepts), tuple(rules), tuple(modifiers))
