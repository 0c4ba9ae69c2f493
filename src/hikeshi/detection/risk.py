"""Risk levels for an organisation or a topic: burst evidence combined with what the posts say.

The level is built in two steps that a person can follow:
1. the burst sets a starting level (no burst 0, alarm 1, a strong surge of >= 3x 2, >= 10x 3);
2. content escalates it one step per aggravating factor (hostile majority, toxicity, high-risk posts such as
   leaks or confessed crimes, spread to まとめ/news, an author with large reach, reposts crossing 1,000/h),
   and de-escalates a burst inside a declared benign window whose posts are not hostile.
Caps keep the scale honest: without a burst, content alone reaches at most 警戒 (2); 炎上 (3) needs a burst
and a hostile share; 大炎上 (4) needs a large surge and pickup by news or まとめ sites.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from hikeshi.detection.explain import format_number, format_ratio
from hikeshi.detection.types import BurstScore

_LABELS_JA = {0: "平常", 1: "注意", 2: "警戒", 3: "炎上", 4: "大炎上"}

BURST_ALARM = 0.5
STRONG_RATIO = 3.0
SEVERE_RATIO = 10.0
HOSTILE_SHARE = 0.5
MIN_POSTS_FOR_SHARE = 10
TOXIC_MEAN = 0.5
HIGH_RISK_POST = 0.8
SPREAD_SHARE = 0.05
INFLUENCER_FOLLOWERS = 100_000
REPOST_VELOCITY_HIGH = 1_000.0
FIRST_POSTS_SHOWN = 5
EXCERPT_CHARS = 60


class RiskLevel(IntEnum):
    NORMAL = 0
    CAUTION = 1
    WARNING = 2
    FIRESTORM = 3
    MAJOR_FIRESTORM = 4

    @property
    def label_ja(self) -> str:
        return _LABELS_JA[int(self)]


@dataclass(frozen=True, slots=True)
class ContentSignals:
    """What the analysed posts of the bucket/window say. Shares and toxicity are in [0, 1].

    max_risk is the highest per-post risk from the analysis engine, in [0, 1];
    reposts_velocity is reposts per hour; top_categories maps a category code to its post count.
    """

    post_count: int = 0
    negative_share: float = 0.0
    top_categories: dict[str, int] = field(default_factory=dict)
    mean_toxicity: float = 0.0
    max_risk: float = 0.0
    aggregator_share: float = 0.0
    news_share: float = 0.0
    max_author_followers: int = 0
    reposts_velocity: float = 0.0
    distinct_authors: int = 0

    def __post_init__(self) -> None:
        if self.post_count < 0 or self.distinct_authors < 0 or self.max_author_followers < 0:
            raise ValueError("counts in ContentSignals must be non-negative")
        for name in ("negative_share", "mean_toxicity", "max_risk", "aggregator_share", "news_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"ContentSignals.{name} must be in [0, 1], got {value}")
        if self.reposts_velocity < 0:
            raise ValueError("ContentSignals.reposts_velocity must be non-negative")


@dataclass(frozen=True, slots=True)
class FirstPost:
    """A post of the story as the caller knows it; `excerpt` is shown to people, so keep it short."""

    post_id: str
    excerpt: str
    posted_at: datetime
    author_followers: int = 0
    reposts: int = 0
    risk: float = 0.0


@dataclass(frozen=True, slots=True)
class Assessment:
    level: RiskLevel
    score: float
    explanation: str
    first_posts: list[FirstPost]
    factors: list[str]


def _clip_excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def choose_first_posts(posts: Sequence[FirstPost], limit: int = FIRST_POSTS_SHOWN) -> list[FirstPost]:
    """The spark (earliest post), the post that carried it furthest, then the next earliest; oldest first."""
    if not posts:
        return []
    chronological = sorted(posts, key=lambda p: (p.posted_at, p.post_id))
    chosen = [chronological[0]]
    carrier = max(chronological, key=lambda p: (p.reposts + p.author_followers / 100.0, p.risk))
    if carrier is not chosen[0]:
        chosen.append(carrier)
    riskiest = max(chronological, key=lambda p: p.risk)
    if riskiest.risk >= HIGH_RISK_POST and riskiest not in chosen:
        chosen.append(riskiest)
    for post in chronological:
        if len(chosen) >= limit:
            break
        if post not in chosen:
            chosen.append(post)
    return sorted(chosen, key=lambda p: (p.posted_at, p.post_id))


def _burst_base(burst: BurstScore | None, factors: list[str], notes: list[str]) -> int:
    if burst is not None and burst.drop and burst.score >= BURST_ALARM:
        factors.append("volume_drop")
        notes.append(f"{burst.reason}(収集の停止や障害の可能性)")
        return 0
    if burst is None or burst.score < BURST_ALARM:
        if burst is not None and burst.expected is not None and burst.ratio is not None and burst.ratio > 1.5:
            notes.append(f"{_usual(burst)}の{format_ratio(burst.ratio)}(警報水準未満)")
        return 0
    factors.append("burst")
    ratio = burst.ratio
    if ratio is not None:
        notes.append(f"{_usual(burst)}の{format_ratio(ratio)}")
    else:
        notes.append(burst.reason)
    if ratio is not None and ratio >= SEVERE_RATIO and burst.score >= 0.8:
        factors.append("burst_severe")
        return 3
    if ratio is not None and ratio >= STRONG_RATIO and burst.score >= 0.8:
        factors.append("burst_strong")
        return 2
    return 1


def _usual(burst: BurstScore) -> str:
    expected = format_number(burst.expected or 0.0)
    return f"同時刻の通常値({expected})" if burst.seasonal else f"直近の通常値({expected})"


def assess(
    burst: BurstScore | None,
    content: ContentSignals,
    first_posts: Sequence[FirstPost] = (),
) -> Assessment:
    """Risk level, score in [0, 1], Japanese explanation, chosen first posts and the factor codes."""
    factors: list[str] = []
    notes: list[str] = []
    level = _burst_base(burst, factors, notes)
    has_burst = "burst" in factors
    hostile = content.post_count >= MIN_POSTS_FOR_SHARE and content.negative_share >= HOSTILE_SHARE
    if content.post_count >= MIN_POSTS_FOR_SHARE and content.negative_share > 0:
        notes.append(f"否定的な投稿が{content.negative_share * 100:.0f}%")
    escalations = 0
    if hostile:
        factors.append("negative_majority")
        escalations += 1
    if content.mean_toxicity >= TOXIC_MEAN:
        factors.append("toxic")
        notes.append(f"攻撃的な表現が多い(平均毒性 {content.mean_toxicity:.2f})")
        escalations += 1
    if content.max_risk >= HIGH_RISK_POST:
        factors.append("high_risk_post")
        top = ", ".join(code for code, _ in sorted(content.top_categories.items(), key=lambda kv: -kv[1])[:3])
        notes.append(f"高リスクの投稿あり({top})" if top else "高リスクの投稿あり")
        escalations += 1
    spread = max(content.aggregator_share, content.news_share)
    if spread >= SPREAD_SHARE:
        factors.append("spread_news" if content.news_share >= SPREAD_SHARE else "spread_aggregator")
        notes.append(
            f"まとめ・ニュースへの拡散(まとめ {content.aggregator_share * 100:.0f}%、"
            f"ニュース {content.news_share * 100:.0f}%)"
        )
        escalations += 1
    if content.max_author_followers >= INFLUENCER_FOLLOWERS:
        factors.append("influencer")
        notes.append(f"影響力の大きい投稿者(フォロワー {content.max_author_followers:,})")
        escalations += 1
    if content.reposts_velocity >= REPOST_VELOCITY_HIGH:
        factors.append("repost_velocity")
        notes.append(f"拡散速度 {content.reposts_velocity:,.0f}件/時")
        escalations += 1
    if escalations and (has_burst or "high_risk_post" in factors or hostile):
        level = max(level, 1) + escalations - (1 if not has_burst else 0)
    if (
        burst is not None
        and burst.benign
        and has_burst
        and not hostile
        and content.mean_toxicity < TOXIC_MEAN
    ):
        factors.append("declared_benign")
        notes.append("申告済みの一時的な増加の範囲")
        level = max(0, level - 1)
    # Caps that keep each level's meaning.
    if not has_burst:
        level = min(level, 2)
    if level >= 3 and not (content.negative_share >= 0.4 or content.mean_toxicity >= TOXIC_MEAN):
        level = 2
    if level >= 4 and not (
        "burst_severe" in factors and content.news_share + content.aggregator_share >= SPREAD_SHARE
    ):
        level = 3
    level = max(0, min(4, level))
    chosen = choose_first_posts(first_posts)
    if chosen:
        notes.append(f"起点: {_clip_excerpt(chosen[0].excerpt)}({chosen[0].posted_at:%m/%d %H:%M})")
    risk_level = RiskLevel(level)
    burst_part = burst.score if burst is not None else 0.0
    score = min(1.0, 0.6 * burst_part + 0.1 * escalations + 0.05 * level)
    explanation = "。".join(notes) + "。" if notes else "通常の範囲内です。"
    return Assessment(
        level=risk_level,
        score=round(score, 4),
        explanation=f"{risk_level.label_ja}: {explanation}",
        first_posts=chosen,
        factors=factors,
    )
