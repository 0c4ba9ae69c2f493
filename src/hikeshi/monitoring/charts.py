"""A mention-volume bar chart as inline SVG, drawn on the server (no JavaScript, no remote assets).

Each bar is one period; its lower part is the negative share. Only numbers and escaped labels go into
the markup, and colours come from CSS classes (the CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 720, 160, 18


@dataclass(frozen=True, slots=True)
class Bar:
    start: datetime
    total: int
    negative: int


def volume_svg(bars: Sequence[Bar], *, label: str) -> SafeString:
    peak = max((b.total for b in bars), default=0)
    if not bars or peak == 0:
        return format_html('<p class="muted">{}: 0</p>', label)
    step = (WIDTH - PAD) / len(bars)
    width = max(1.0, step - 1)
    scale = (HEIGHT - PAD) / peak
    parts = [
        f'<svg class="volume-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<text class="axis" x="0" y="12">{peak}</text>',
        f'<line class="axis" x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH}" y2="{HEIGHT - PAD}"/>',
    ]
    for index, bar in enumerate(bars):
        if bar.total == 0:
            continue
        x = PAD + index * step
        total_h = bar.total * scale
        negative_h = bar.negative * scale
        stamp = bar.start.strftime("%m/%d %H:%M")
        tip = escape(f"{stamp} {bar.total} ({bar.negative})")
        parts.append(
            f'<g><title>{tip}</title><rect class="bar" x="{x:.1f}" y="{HEIGHT - PAD - total_h:.1f}" '
            f'width="{width:.1f}" height="{total_h:.1f}"/>'
        )
        if bar.negative:
            parts.append(
                f'<rect class="bar-negative" x="{x:.1f}" y="{HEIGHT - PAD - negative_h:.1f}" '
                f'width="{width:.1f}" height="{negative_h:.1f}"/>'
            )
        parts.append("</g>")
    first, last = bars[0].start, bars[-1].start
    parts.append(f'<text class="axis" x="{PAD}" y="{HEIGHT - 2}">{first.strftime("%m/%d %H:%M")}</text>')
    parts.append(
        f'<text class="axis" x="{WIDTH}" y="{HEIGHT - 2}" text-anchor="end">{last.strftime("%m/%d %H:%M")}</text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — built from numbers and escaped text only
