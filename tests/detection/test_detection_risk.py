"""Risk levels, explanations and the choice of first posts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hikeshi.detection import Assessment, BurstScore, ContentSignals, FirstPost, RiskLevel, assess

T0 = datetime(2026, 3, 10, 21, 0)


def _burst(score: float, ratio: float | None, *, benign: bool = False, seasonal: bool = True) -> BurstScore:
    expected = 5.0
    observed = expected * ratio if ratio is not None else 0.0
    return BurstScore(
        timestamp=T0,
        score=score,
        observed=observed,
        expected=expected,
        ratio=ratio,
        z=6.0,
        evidence=6.0,
        reason="test",
        seasonal=seasonal,
        benign=benign,
    )


def test_labels_in_japanese() -> None:
    assert [level.label_ja for level in RiskLevel] == ["平常", "注意", "警戒", "炎上", "大炎上"]
    assert int(RiskLevel.MAJOR_FIRESTORM) == 4


def test_quiet_series_is_normal() -> None:
    result = assess(_burst(0.05, 1.1), ContentSignals(post_count=4, negative_share=0.25))
    assert result.level is RiskLevel.NORMAL
    assert result.explanation.startswith("平常")
    assert result.factors == []


def test_burst_alone_is_caution_and_a_strong_one_is_warning() -> None:
    assert assess(_burst(0.6, 2.0), ContentSignals()).level is RiskLevel.CAUTION
    strong = assess(_burst(0.95, 4.0), ContentSignals(post_count=20, negative_share=0.1))
    assert strong.level is RiskLevel.WARNING
    assert "burst_strong" in strong.factors


def test_firestorm_needs_burst_and_hostility_and_explains_itself() -> None:
    content = ContentSignals(
        post_count=240, negative_share=0.68, mean_toxicity=0.3, top_categories={"leak": 30}
    )
    posts = [
        FirstPost(
            "p3", "拡散希望 これはひどい", T0 + timedelta(minutes=20), author_followers=250_000, reposts=900
        ),
        FirstPost("p1", "今日うちの店に○○選手が来た", T0, author_followers=120, reposts=3),
        FirstPost("p2", "これどこの店?", T0 + timedelta(minutes=5)),
    ]
    result = assess(_burst(0.99, 12.0), content, posts)
    assert isinstance(result, Assessment)
    assert result.level is RiskLevel.FIRESTORM
    assert "同時刻の通常値(5)の12倍" in result.explanation
    assert "否定的な投稿が68%" in result.explanation
    assert "起点: 今日うちの店に○○選手が来た" in result.explanation
    assert [p.post_id for p in result.first_posts] == ["p1", "p2", "p3"]
    assert 0.0 <= result.score <= 1.0


def test_major_firestorm_requires_a_large_surge_picked_up_by_news() -> None:
    hostile = {"post_count": 900, "negative_share": 0.8, "mean_toxicity": 0.6, "reposts_velocity": 3000.0}
    without_news = assess(_burst(0.999, 30.0), ContentSignals(**hostile))  # type: ignore[arg-type]
    assert without_news.level is RiskLevel.FIRESTORM
    with_news = assess(
        _burst(0.999, 30.0),
        ContentSignals(**hostile, news_share=0.1, aggregator_share=0.2),  # type: ignore[arg-type]
    )
    assert with_news.level is RiskLevel.MAJOR_FIRESTORM
    assert "spread_news" in with_news.factors
    assert "ニュース" in with_news.explanation


def test_content_without_burst_is_capped_at_warning() -> None:
    content = ContentSignals(
        post_count=30,
        negative_share=0.9,
        mean_toxicity=0.9,
        max_risk=0.95,
        news_share=0.5,
        max_author_followers=10**6,
    )
    result = assess(None, content)
    assert result.level is RiskLevel.WARNING
    assert "high_risk_post" in result.factors


def test_declared_benign_burst_with_friendly_posts_is_de_escalated() -> None:
    friendly = ContentSignals(post_count=300, negative_share=0.05)
    assert assess(_burst(0.9, 6.0), friendly).level is RiskLevel.WARNING
    result = assess(_burst(0.9, 6.0, benign=True), friendly)
    assert result.level is RiskLevel.CAUTION
    assert "申告済み" in result.explanation
    hostile = ContentSignals(post_count=300, negative_share=0.7)
    assert assess(_burst(0.9, 6.0, benign=True), hostile).level >= RiskLevel.WARNING


def test_first_posts_keep_spark_and_carrier_in_time_order() -> None:
    posts = [FirstPost(f"p{i:02d}", f"投稿{i}", T0 + timedelta(minutes=i)) for i in range(12)]
    posts.append(FirstPost("viral", "x" * 200, T0 + timedelta(hours=3), reposts=50_000))
    chosen = assess(_burst(0.9, 8.0), ContentSignals(), posts).first_posts
    assert [p.post_id for p in chosen] == ["p00", "p01", "p02", "p03", "viral"]


def test_invalid_content_signals_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative_share"):
        ContentSignals(negative_share=1.5)
    with pytest.raises(ValueError):
        ContentSignals(post_count=-1)


def test_a_drop_alarm_is_not_a_firestorm_but_is_explained() -> None:
    drop = BurstScore(
        timestamp=T0,
        score=0.97,
        observed=0.0,
        expected=40.0,
        ratio=0.0,
        z=-8.0,
        evidence=8.0,
        reason="直近の通常値(40)を大きく下回る(観測 0、8.0σ相当)",
        drop=True,
    )
    result = assess(drop, ContentSignals(post_count=0))
    assert result.level is RiskLevel.NORMAL
    assert result.factors == ["volume_drop"]
    assert "収集の停止" in result.explanation
