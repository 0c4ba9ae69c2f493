"""The one- or two-sentence Japanese explanation a person can act on, and the sentiment summary."""

from __future__ import annotations

from hikeshi.analysis.judgement import Sentiment
from hikeshi.analysis.matcher import Hits
from hikeshi.analysis.scoring import CategoryFinding
from hikeshi.analysis.taxonomy import CATEGORY_ADVICE_JA

_NEGATIVE_CATEGORIES = (
    "harassment_abuse",
    "discrimination",
    "workplace_complaint",
    "complaint_quality",
    "safety_incident",
)
_MAX_QUOTED = 3
NO_RISK_NOTE = "炎上につながる表現は見つかりませんでした。"
_NEUTRAL = Sentiment("neutral", 0.0)


def explanation(level: str, top: CategoryFinding | None, quoted: list[str]) -> str:
    """``quoted``: original-text snippets of the top rule's evidence, in text order."""
    if top is None:
        return NO_RISK_NOTE
    firing = top.top
    unique: list[str] = []
    for snippet in quoted:
        cleaned = snippet.strip()
        if cleaned and cleaned not in unique:
            unique.append(cleaned)
    terms = "".join(f"『{s}』" for s in unique[:_MAX_QUOTED])
    lead = f"{terms}から" if terms else ""
    if level == "none":
        context = f"({firing.suppressed_by[0]})" if firing.suppressed_by else ""
        return f"{lead}{firing.rule.summary}の可能性を検討しましたが、文脈{context}からリスクは低いと判断しました。"
    if level == "low":
        return f"{lead}{firing.rule.summary}と読める可能性があります。念のため表現を見直してください。"
    return f"{lead}{firing.rule.summary}と読めます。{CATEGORY_ADVICE_JA[top.code]}"


def sentiment(hits: Hits, findings: dict[str, CategoryFinding]) -> Sentiment:
    if not findings and "positive" not in hits and "negative" not in hits:
        return _NEUTRAL  # most posts
    positive = float(len(hits.get("positive", ())))
    negative = float(len(hits.get("negative", ())))
    for code in _NEGATIVE_CATEGORIES:
        finding = findings.get(code)
        if finding is not None:
            negative += finding.score
    if positive == 0.0 and negative == 0.0:
        return _NEUTRAL
    score = (positive - negative) / (positive + negative + 0.5)
    label = "positive" if score >= 0.25 else "negative" if score <= -0.25 else "neutral"
    return Sentiment(label, max(-1.0, min(1.0, score)))
