"""The Analyzer: loaded once, batch-first, thread-safe and deterministic."""

from __future__ import annotations

import importlib
import logging
import pathlib
import threading
from collections.abc import Sequence
from typing import Any

from hikeshi.analysis.custom import CustomTerms
from hikeshi.analysis.explain import NO_RISK_NOTE, explanation, sentiment
from hikeshi.analysis.forms import load_kana_forms
from hikeshi.analysis.judgement import CategoryScore, Evidence, Judgement, PiiSpan
from hikeshi.analysis.lexicon import LEXICON_DIR, load_lexicon
from hikeshi.analysis.matcher import ConceptMatcher, Hits, custom_matcher, merge_hits
from hikeshi.analysis.normalize import NormalizedText, normalize, warm_up
from hikeshi.analysis.pii import SENSITIVE_TYPES, PiiMatch, find_pii, may_contain_pii
from hikeshi.analysis.scoring import CategoryFinding, RuleEngine
from hikeshi.analysis.taxonomy import (
    CATEGORY_ADVICE_JA,
    CATEGORY_CODES,
    CATEGORY_LABELS_JA,
    LEVEL_THRESHOLDS,
    level_for,
)
from hikeshi.analysis.tokenizer import TOKENIZER_NAME, Tokenizer

log = logging.getLogger(__name__)

# Text past this many characters is not analysed: posts are short, and hostile input must not cost unbounded time.
MAX_TEXT_CHARS = 20_000
# Categories under this score are left out of the judgement (they were suppressed by their context).
REPORT_THRESHOLD = 0.15
# How much a statistical signal may add to a category that has rule evidence of its own.
MODEL_SUPPORT = {
    "illegal_act": ("wrongdoing", 0.4),
    "misconduct_workplace": ("wrongdoing", 0.4),
    "harassment_abuse": ("toxicity", 0.4),
    "discrimination": ("toxicity", 0.3),
}
# A strong model signal without any rule evidence still raises the risk, at this fraction of its probability.
MODEL_ONLY_FACTOR = 0.5
# The categories each text-wide signal stands for when it raises the risk alone (their contexts damp it).
_SIGNAL_CATEGORIES = {
    "toxicity": ("harassment_abuse", "discrimination"),
    "wrongdoing": ("illegal_act", "misconduct_workplace"),
}
# A category probability at its threshold counts as this score (medium); at 1.0 as CATEGORY_MODEL_TOP (high).
CATEGORY_MODEL_FLOOR = LEVEL_THRESHOLDS[2]
CATEGORY_MODEL_TOP = 0.8
# Rule evidence for a category whose probability is under CATEGORY_DOUBT_BELOW keeps at least
# CATEGORY_DOUBT_FLOOR of its score (linearly more as the probability nears CATEGORY_DOUBT_BELOW).
CATEGORY_DOUBT_BELOW = 0.2
CATEGORY_DOUBT_FLOOR = 0.5
# Concepts serving rules of this many categories or more are too general to quote as a category's evidence.
_GENERIC_CONCEPT_CATEGORIES = 3
_CATEGORY_ORDER = {code: index for index, code in enumerate(CATEGORY_CODES)}


class Analyzer:
    """Judges posts for 炎上 risk. Build once (``get_analyzer()``) and share between threads."""

    def __init__(
        self,
        *,
        lexicon_dir: pathlib.Path | None = None,
        model_dir: pathlib.Path | None = None,
        use_models: bool = True,
    ) -> None:
        warm_up()
        self._lexicon = load_lexicon(lexicon_dir)
        self._matcher = ConceptMatcher(self._lexicon.concepts, load_kana_forms(lexicon_dir or LEXICON_DIR))
        self._engine = RuleEngine(self._lexicon)
        self._tokenizer = Tokenizer()
        self._category_concepts = _category_concepts(self._lexicon)
        self._model_dampers = _model_dampers(self._lexicon)
        self._damper_concepts = frozenset(c for pairs in self._model_dampers.values() for c, _ in pairs)
        self._category_codes: tuple[str, ...] = ()
        self._category_index: dict[str, int] = {}
        self._category_thresholds: list[float] = []
        self._models: Any = None
        self._model_status = "missing: disabled by the caller"
        if use_models:
            self._load_models(model_dir)

    def _load_models(self, model_dir: pathlib.Path | None) -> None:
        try:
            models: Any = importlib.import_module("hikeshi.analysis.models")  # numpy is imported only here
        except ImportError as exc:
            self._model_status = f"missing: the models module cannot be imported ({exc})"
        else:
            try:
                self._models = models.ModelSet.load(model_dir)
                thresholds = self._models.category_thresholds()
                self._category_codes = tuple(self._models.category_codes)
                self._category_index = {code: index for index, code in enumerate(self._category_codes)}
                self._category_thresholds = [thresholds[code] for code in self._category_codes]
                self._model_status = "loaded"
            except models.ModelUnavailable as exc:
                self._model_status = f"missing: {exc}"
        if self._models is None:
            log.warning(
                "hikeshi.analysis: statistical models not used (%s); toxicity, wrongdoing and every category come "
                "from the rules only",
                self._model_status.removeprefix("missing: "),
            )

    @property
    def models_loaded(self) -> bool:
        return self._models is not None

    def status(self) -> dict[str, Any]:
        return {
            "rules_version": self._lexicon.version,
            "rules": len(self._lexicon.rules),
            "concept_terms": self._matcher.term_count,
            "model": self._model_status,
            "tokenizer": TOKENIZER_NAME,
            "max_text_chars": MAX_TEXT_CHARS,
        }

    def analyze_one(
        self, text: str, *, id: str | None = None, custom: CustomTerms | None = None
    ) -> Judgement:
        return self.analyze([text], ids=[id], custom=custom)[0]

    def analyze(
        self,
        texts: Sequence[str],
        *,
        ids: Sequence[str | None] | None = None,
        custom: CustomTerms | None = None,
    ) -> list[Judgement]:
        if isinstance(texts, str):
            raise TypeError("analyze() takes a sequence of texts; use analyze_one() for a single text")
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{index}] is {type(text).__name__}, not str")
        if ids is not None and len(ids) != len(texts):
            raise ValueError(f"ids has {len(ids)} entries but texts has {len(texts)}")
        extra = custom_matcher(custom) if custom is not None and not custom.is_empty() else None
        signals: dict[str, list[float]] = {}
        category_rows: list[list[float]] | None = None
        passing: list[list[int]] = []
        if self._models is not None and texts:
            # Plain floats once per batch: indexing numpy arrays per post costs more than the dot products.
            signals, category_rows, passing = self._models.predict_for_analyzer(texts)
        names = tuple(signals)
        # One small dict per post, built by zip (in C) rather than a comprehension per post.
        per_post: list[dict[str, float]] = (
            [dict(zip(names, row, strict=True)) for row in zip(*signals.values(), strict=True)]
            if names
            else [{} for _ in texts]
        )
        judgements: list[Judgement] = []
        for index, text in enumerate(texts):
            model_signal = per_post[index]
            category = None if category_rows is None else (category_rows[index], passing[index])
            judgements.append(
                self._judge(text, None if ids is None else ids[index], extra, model_signal, category)
            )
        return judgements

    def _judge(
        self,
        text: str,
        text_id: str | None,
        extra: ConceptMatcher | None,
        model_signal: dict[str, float],
        category: tuple[list[float], list[int]] | None = None,
        fast: bool = True,
    ) -> Judgement:
        """``category``: the post's probability per category (model order) and the indices passing their threshold.
        ``fast=False`` skips the shortcut for quiet posts (tests compare the two paths)."""
        norm = normalize(text[:MAX_TEXT_CHARS])
        hits = self._matcher.find(norm.text)
        if extra is not None:
            merge_hits(hits, extra.find(norm.text))
        pii = self._find_pii(norm, hits)
        findings = self._engine.evaluate(norm.text, hits)
        if not findings and not model_signal:
            return Judgement(text_id, 0.0, "none", (), sentiment(hits, findings), 0.0, 0.0, pii, NO_RISK_NOTE)
        if fast and not findings and (category is None or not category[1]):
            # Most of a firehose: no rule fired and no category passed its threshold, so only the two
            # text-wide signals can give risk. The same judgement as the general path below (tested), without
            # its per-category work.
            toxicity = model_signal.get("toxicity", 0.0)
            wrongdoing = model_signal.get("wrongdoing", 0.0)
            risk = self._signal_only_risk(hits, model_signal)
            level = level_for(risk)
            note = (
                _model_only_note(level, model_signal)
                if risk >= REPORT_THRESHOLD
                else explanation(level, None, [])
            )
            return Judgement(
                text_id, risk, level, (), sentiment(hits, findings), toxicity, wrongdoing, pii, note
            )
        for code, (signal, weight) in MODEL_SUPPORT.items():
            finding = findings.get(code)
            probability = model_signal.get(signal)
            if finding is not None and probability is not None:
                # Scaled by how much context left of the rule: a negated act stays negated.
                context = min(1.0, finding.top.score / finding.top.rule.weight)
                finding.score += (1.0 - finding.score) * weight * probability * context
        model_only = self._model_categories(findings, hits, category)
        rule_toxicity = max(_score(findings, "harassment_abuse"), _score(findings, "discrimination"))
        rule_wrongdoing = max(_score(findings, "illegal_act"), _score(findings, "misconduct_workplace"))
        toxicity = max(rule_toxicity, model_signal.get("toxicity", 0.0))
        wrongdoing = max(rule_wrongdoing, model_signal.get("wrongdoing", 0.0))
        reported = sorted(
            (f for f in findings.values() if f.score >= REPORT_THRESHOLD),
            key=lambda f: (-f.score, _CATEGORY_ORDER[f.code]),
        )
        risk = max((f.score for f in findings.values()), default=0.0)
        risk = max(risk, *model_only.values(), 0.0)
        risk = max(risk, self._signal_only_risk(hits, model_signal))
        level = level_for(risk)
        scored = [(f.code, f.score, self._evidence(norm, f)) for f in reported]
        scored += [
            (code, score, self._model_evidence(norm, hits, code))
            for code, score in model_only.items()
            if score >= REPORT_THRESHOLD
        ]
        scored.sort(key=lambda entry: (-entry[1], _CATEGORY_ORDER[entry[0]]))
        categories = tuple(CategoryScore(code, score, evidence) for code, score, evidence in scored)
        strongest = max(findings.values(), key=lambda f: (f.score, -_CATEGORY_ORDER[f.code]), default=None)
        model_top = min(model_only.items(), key=lambda kv: (-kv[1], _CATEGORY_ORDER[kv[0]]), default=None)
        if (
            model_top is not None
            and model_top[1] >= REPORT_THRESHOLD
            and (strongest is None or model_top[1] > strongest.score)
        ):
            code = model_top[0]
            top_entry = next(entry for entry in categories if entry.code == code)
            quoted = [e.text for e in top_entry.evidence if e.end > e.start]
            assert category is not None  # only the model makes model-only categories
            probability = category[0][self._category_index[code]]
            note = _model_category_note(level, code, probability, quoted)
        elif strongest is not None and (reported or risk < REPORT_THRESHOLD):
            firing = strongest.top
            rule_spans = firing.evidence[
                : len(firing.rule.concepts)
            ]  # modifiers' spans follow the rule's own
            quoted = [text[s:e] for s, e in sorted(norm.span(*span) for span, _ in rule_spans)]
            note = explanation(level, strongest, quoted)
        elif risk >= REPORT_THRESHOLD:
            note = _model_only_note(level, model_signal)
        else:
            note = explanation(level, None, [])
        return Judgement(
            id=text_id,
            risk=risk,
            level=level,
            categories=categories,
            sentiment=sentiment(hits, findings),
            toxicity=toxicity,
            wrongdoing=wrongdoing,
            pii=pii,
            explanation=note,
        )

    def _model_categories(
        self,
        findings: dict[str, CategoryFinding],
        hits: Hits,
        category: tuple[list[float], list[int]] | None,
    ) -> dict[str, float]:
        """Apply the category head: adjust categories the rules found, return the ones only the model found.

        A category's probability counts from its threshold (chosen on held-out data): there it is worth a
        medium score, rising to high at probability 1. With rule evidence it raises the rule's score
        (noisy-or), scaled by how much context left of the rule, so a negated or campaign use stays low.
        Without rule evidence the text's suppressing context for that category (campaign, news, fiction,
        an official announcement) damps it by the modifier's factor. A rule finding whose category the
        model gives a very low probability is lowered (see CATEGORY_DOUBT_BELOW).
        """
        if category is None:
            return {}
        probabilities, passing = category
        for code, finding in findings.items():
            index = self._category_index.get(code)
            if index is None:
                continue
            probability = probabilities[index]
            if probability >= self._category_thresholds[index]:
                context = min(1.0, finding.top.score / finding.top.rule.weight)
                strength = self._category_strength(index, probability)
                finding.score += (1.0 - finding.score) * strength * context
            elif probability < CATEGORY_DOUBT_BELOW:
                # The model finds nothing of the category in the whole text: the rule's words are probably
                # used in a harmless way, so its score is lowered (at most halved).
                finding.score *= CATEGORY_DOUBT_FLOOR + (1.0 - CATEGORY_DOUBT_FLOOR) * (
                    probability / CATEGORY_DOUBT_BELOW
                )
        model_only: dict[str, float] = {}
        for index in passing:
            code = self._category_codes[index]
            if code in findings or code not in _CATEGORY_ORDER:
                continue
            strength = self._category_strength(index, probabilities[index])
            model_only[code] = strength * self._damping(code, hits)
        return model_only

    def _signal_only_risk(self, hits: Hits, model_signal: dict[str, float]) -> float:
        """The risk the two text-wide signals give on their own, at MODEL_ONLY_FACTOR of their probability.

        A context that suppresses the signal's categories (fiction, news, a campaign: 「ドラマの悪役のセリフ」)
        damps it as it damps their rules, so a rough line quoted from a drama is not an alert by itself."""
        toxicity = model_signal.get("toxicity", 0.0)
        wrongdoing = model_signal.get("wrongdoing", 0.0)
        if self._damper_concepts.isdisjoint(hits):  # most posts: nothing to damp
            return MODEL_ONLY_FACTOR * max(toxicity, wrongdoing, 0.0)
        best = 0.0
        for signal, codes in _SIGNAL_CATEGORIES.items():
            probability = model_signal.get(signal, 0.0)
            if probability > best:
                # The least damped of the signal's categories: a context must suppress all of them to count fully.
                factor = max([self._damping(code, hits) for code in codes])
                best = max(best, probability * factor)
        return MODEL_ONLY_FACTOR * best

    def _damping(self, code: str, hits: Hits) -> float:
        factor = 1.0
        for concept, damper in self._model_dampers.get(code, ()):
            if concept in hits:
                factor *= damper
        return factor

    def _category_strength(self, index: int, probability: float) -> float:
        """0.40 (medium) at the category's threshold, rising linearly to CATEGORY_MODEL_TOP at probability 1."""
        threshold = self._category_thresholds[index]
        span = max(1.0 - threshold, 1e-6)
        return CATEGORY_MODEL_FLOOR + (CATEGORY_MODEL_TOP - CATEGORY_MODEL_FLOOR) * min(
            1.0, (probability - threshold) / span
        )

    def _model_evidence(self, norm: NormalizedText, hits: Hits, code: str) -> tuple[Evidence, ...]:
        """Words of the category's rules found in the text; else one empty span saying the whole text counts."""
        label = CATEGORY_LABELS_JA[code]
        seen: dict[tuple[int, int], str] = {}
        for name in self._category_concepts.get(code, ()):
            for span in hits.get(name, ()):
                seen.setdefault(norm.span(*span), f"{label}に関わる語です(統計モデルが文全体から判定)")
        if not seen:
            return (Evidence(0, 0, "", f"文全体の表現から{label}の可能性があります(統計モデルの判定)"),)
        spans = sorted(seen)
        # 「新人の」 inside 「新人の子」: quoting both says the same thing twice (rules keep theirs: each has a reason)
        outer = [
            (start, end)
            for start, end in spans
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e in spans)
        ]
        return tuple(
            Evidence(start, end, norm.original[start:end], seen[(start, end)]) for start, end in outer
        )

    def _find_pii(self, norm: NormalizedText, hits: Hits) -> tuple[PiiSpan, ...]:
        matches: list[PiiMatch] = find_pii(norm.text) if may_contain_pii(norm.text) else []
        for start, end in self._tokenizer.person_names(norm.text):
            if not any(m.start < end and start < m.end for m in matches):
                matches.append(PiiMatch("person_name", start, end))
        for start, end in hits.get("custom_vip", ()):
            if not any(m.start <= start and end <= m.end for m in matches if m.type == "person_name"):
                matches.append(PiiMatch("person_name", start, end))
        spans: list[PiiSpan] = []
        for match in sorted(matches, key=lambda m: (m.start, m.end, m.type)):
            concept = (
                "pii_sensitive"
                if match.type in SENSITIVE_TYPES
                else "person_name"
                if match.type == "person_name"
                else "pii_contact"
            )
            hits.setdefault(concept, []).append((match.start, match.end))
            start, end = norm.span(match.start, match.end)
            spans.append(PiiSpan(match.type, start, end, norm.original[start:end]))
        return tuple(spans)

    def _evidence(self, norm: NormalizedText, finding: CategoryFinding) -> tuple[Evidence, ...]:
        seen: dict[tuple[int, int], str] = {}
        for firing in sorted(finding.firings, key=lambda f: (-f.score, f.rule.id)):
            for span, reason in firing.evidence:
                original = norm.span(*span)
                seen.setdefault(original, reason)
        return tuple(
            Evidence(start, end, norm.original[start:end], reason)
            for (start, end), reason in sorted(seen.items())
        )


def _score(findings: dict[str, CategoryFinding], code: str) -> float:
    finding = findings.get(code)
    return finding.score if finding is not None else 0.0


def _model_only_note(level: str, model_signal: dict[str, float]) -> str:
    toxicity = model_signal.get("toxicity", 0.0)
    wrongdoing = model_signal.get("wrongdoing", 0.0)
    what = "攻撃的な表現" if toxicity >= wrongdoing else "不適切な行為の記述"
    advice = "念のため表現を見直してください。" if level == "low" else "投稿前に内容を見直してください。"
    return f"特定の語句はありませんが、統計モデルが{what}の可能性({max(toxicity, wrongdoing):.0%})を示しています。{advice}"


def _model_category_note(level: str, code: str, probability: float, quoted: list[str]) -> str:
    label = CATEGORY_LABELS_JA[code]
    unique: list[str] = []
    for snippet in quoted:
        cleaned = snippet.strip()
        if cleaned and cleaned not in unique:
            unique.append(cleaned)
    lead = (
        "".join(f"『{s}』" for s in unique[:3]) + "などの表現と文全体から"
        if unique
        else "特定の語句はありませんが、文全体の表現から"
    )
    advice = "念のため表現を見直してください。" if level in ("none", "low") else CATEGORY_ADVICE_JA[code]
    return f"{lead}{label}の可能性があります(統計モデルの判定、確率{probability:.0%})。{advice}"


def _category_concepts(lexicon: Any) -> dict[str, tuple[str, ...]]:
    """Per category, the concepts its rules use, without the general ones many categories share."""
    users: dict[str, set[str]] = {}
    for rule in lexicon.rules:
        for name in rule.concepts:
            users.setdefault(name, set()).add(rule.category)
    out: dict[str, list[str]] = {}
    for rule in lexicon.rules:
        for name in rule.concepts:
            if len(users[name]) < _GENERIC_CONCEPT_CATEGORIES and name not in out.get(rule.category, []):
                out.setdefault(rule.category, []).append(name)
    return {code: tuple(names) for code, names in out.items()}


def _model_dampers(lexicon: Any) -> dict[str, tuple[tuple[str, float], ...]]:
    """Per category, the text-wide suppressing modifiers (concept, factor) that also damp the model alone."""
    out: dict[str, list[tuple[str, float]]] = {}
    for modifier in lexicon.modifiers:
        if modifier.effect != "suppress" or modifier.scope != "text":
            continue
        codes = CATEGORY_CODES if "*" in modifier.categories else modifier.categories
        for code in codes:
            out.setdefault(code, []).append((modifier.concept, modifier.factor))
    return {code: tuple(pairs) for code, pairs in out.items()}


_singleton: Analyzer | None = None
_singleton_lock = threading.Lock()


def get_analyzer() -> Analyzer:
    """The process-wide Analyzer, created on first use (thread-safe)."""
    global _singleton
    if _singleton is None:
        with _singleton_lock:
            if _singleton is None:
                _singleton = Analyzer()
    return _singleton
