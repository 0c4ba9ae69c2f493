"""The result of analysing one post, and its JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """A span of the ORIGINAL text (Python str indices) and why it counts."""

    start: int
    end: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class CategoryScore:
    code: str
    score: float
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "score": round(self.score, 4),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class Sentiment:
    label: str  # negative | neutral | positive
    score: float  # -1 .. 1

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 4)}


@dataclass(frozen=True)
class PiiSpan:
    type: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, init=False)
class Judgement:
    """Whether a post carries 炎上 risk, of which kind, where, and how sure.

    ``categories`` are sorted by score, strongest first; offsets refer to the text that was analysed.
    """

    id: str | None
    risk: float
    level: str
    categories: tuple[CategoryScore, ...]
    sentiment: Sentiment
    toxicity: float
    wrongdoing: float
    pii: tuple[PiiSpan, ...]
    explanation: str

    def __init__(
        self,
        id: str | None,
        risk: float,
        level: str,
        categories: tuple[CategoryScore, ...],
        sentiment: Sentiment,
        toxicity: float,
        wrongdoing: float,
        pii: tuple[PiiSpan, ...],
        explanation: str,
    ) -> None:
        # One per post on the hot path: the generated frozen __init__ sets each field through
        # object.__setattr__ (about 1 µs for nine); filling the instance dict at once costs half. The instance
        # stays frozen (assignment raises). tests/analysis/test_judgement.py keeps this in step with the fields.
        self.__dict__.update(
            id=id,
            risk=risk,
            level=level,
            categories=categories,
            sentiment=sentiment,
            toxicity=toxicity,
            wrongdoing=wrongdoing,
            pii=pii,
            explanation=explanation,
        )

    def category(self, code: str) -> CategoryScore | None:
        for entry in self.categories:
            if entry.code == code:
                return entry
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "risk": round(self.risk, 4),
            "level": self.level,
            "categories": [c.to_dict() for c in self.categories],
            "sentiment": self.sentiment.to_dict(),
            "toxicity": round(self.toxicity, 4),
            "wrongdoing": round(self.wrongdoing, 4),
            "pii": [p.to_dict() for p in self.pii],
            "explanation": self.explanation,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))
