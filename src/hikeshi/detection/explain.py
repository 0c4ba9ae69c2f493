"""Japanese explanations a person on duty can act on."""

from __future__ import annotations

from hikeshi.detection.types import BenignWindow

ALARM_SCORE = 0.5


def format_number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.1f}"
    return f"{value:.3g}"


def format_ratio(ratio: float) -> str:
    if ratio >= 10:
        return f"{ratio:.0f}倍"
    return f"{ratio:.1f}倍"


def burst_reason(
    observed: float,
    expected: float | None,
    ratio: float | None,
    score: float,
    *,
    seasonal: bool,
    warming_up: bool,
    count: bool,
    z: float = 0.0,
    sustained: bool = False,
    gated: bool = False,
    benign: BenignWindow | None = None,
    history_days: float = 0.0,
    drop: bool = False,
) -> str:
    if expected is None:
        return f"履歴がないため判定できません(観測 {format_number(observed)})"
    if seasonal:
        days = max(1, min(7, round(history_days)))
        usual = f"過去{days}日の同時刻の通常値({format_number(expected)})"
    else:
        usual = f"直近の通常値({format_number(expected)})"
    parts: list[str] = []
    if drop:
        parts.append(f"{usual}を大きく下回る(観測 {format_number(observed)}、{abs(z):.1f}σ相当)")
    elif count and ratio is not None and observed > expected:
        parts.append(f"{usual}の{format_ratio(ratio)}(観測 {format_number(observed)})")
    elif not count and observed > expected:
        parts.append(f"{usual}より高い(観測 {format_number(observed)}、+{z:.1f}σ相当)")
    elif count and expected <= 0.0 and observed > 0:
        parts.append(f"通常はほぼゼロのところ観測 {format_number(observed)}")
    else:
        parts.append(f"{usual}の範囲内(観測 {format_number(observed)})")
    if sustained and score >= ALARM_SCORE:
        parts.append("増加が継続中" if not drop else "低下が継続中")
    if gated:
        parts.append("件数が少ないため警報にしません")
    if benign is not None:
        label = f"「{benign.label}」" if benign.label else ""
        parts.append(
            f"申告済みの一時的な増加{label}(想定×{format_ratio(benign.multiplier).removesuffix('倍')})を考慮済み"
        )
    if warming_up:
        parts.append("履歴が少ないため控えめに判定")
    return "。".join(parts)
