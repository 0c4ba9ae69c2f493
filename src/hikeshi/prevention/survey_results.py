"""Results of a survey run: counts per question, overall and per department and employment type, inline SVG
bar charts, and CSV.

Anonymous runs never show a group of fewer than MIN_GROUP respondents, anywhere (page and CSV). Hiding the small
groups alone is not enough: the overall count minus the visible groups would give the hidden group's answers
away. So while the hidden groups together hold between 1 and MIN_GROUP - 1 people, the next smallest group is
hidden too; and an anonymous run with fewer than MIN_GROUP respondents in all shows nothing.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hikeshi.prevention.content import Survey
from hikeshi.prevention.models import SurveyEmploymentType, SurveyResponse, SurveyRun
from hikeshi.prevention.survey_actions import survey_content

MIN_GROUP = 5
DIMENSIONS = {"department": "部署", "employment_type": "雇用形態"}
NO_DEPARTMENT = "（部署なし）"


@dataclass
class Bar:
    label: str
    count: int
    percent: int


@dataclass
class QuestionResult:
    id: str
    text: str
    type: str
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None
    texts: list[str] = field(default_factory=list)


@dataclass
class GroupResult:
    dimension: str
    label: str
    respondents: int
    questions: list[QuestionResult]


@dataclass
class RunResults:
    run: SurveyRun
    respondents: int
    suppressed: bool  # anonymous and too few respondents: nothing is shown
    overall: list[QuestionResult]
    groups: dict[str, list[GroupResult]]
    hidden: dict[str, int]  # respondents in hidden groups, per dimension


def _group_key(response: SurveyResponse, dimension: str) -> str:
    if dimension == "department":
        return response.department or NO_DEPARTMENT
    return str(SurveyEmploymentType(response.employment_type).label)


def _question_results(
    survey: Survey, responses: list[SurveyResponse], *, texts: bool
) -> list[QuestionResult]:
    n = len(responses)
    results = []
    for q in survey.questions:
        result = QuestionResult(q.id, q.text, q.type)
        values = [r.answers.get(q.id) for r in responses if q.id in r.answers]
        if q.type in ("single", "multi"):
            counts: Counter[str] = Counter()
            for value in values:
                counts.update(value if isinstance(value, list) else [value])
            result.bars = [Bar(o.label, counts[o.id], 100 * counts[o.id] // n if n else 0) for o in q.options]
        elif q.type == "scale":
            assert q.scale is not None
            low, high, low_label, high_label = q.scale
            points: Counter[int] = Counter(int(v) for v in values)
            for point in range(low, high + 1):
                suffix = {low: f"（{low_label}）", high: f"（{high_label}）"}.get(point, "")
                label = f"{point}{suffix}"
                result.bars.append(Bar(label, points[point], 100 * points[point] // n if n else 0))
            result.mean = round(sum(int(v) for v in values) / len(values), 2) if values else None
        elif texts:
            # Sorted, so that the order tells nothing about who answered when.
            result.texts = sorted(str(v) for v in values)
        results.append(result)
    return results


def _visible_groups(sizes: Counter[str]) -> set[str]:
    visible = {key for key, size in sizes.items() if size >= MIN_GROUP}
    hidden_total = sum(size for key, size in sizes.items() if key not in visible)
    while 0 < hidden_total < MIN_GROUP and visible:
        smallest = min(visible, key=lambda key: (sizes[key], key))
        visible.remove(smallest)
        hidden_total += sizes[smallest]
    return visible


def run_results(run: SurveyRun) -> RunResults:
    survey = survey_content(run)
    responses = list(SurveyResponse.objects.for_org(run.organization).filter(run=run).order_by("pk"))
    n = len(responses)
    if run.anonymous and n < MIN_GROUP:
        return RunResults(run, n, True, [], {}, {})
    groups: dict[str, list[GroupResult]] = {}
    hidden: dict[str, int] = {}
    for dimension in DIMENSIONS:
        by_key: dict[str, list[SurveyResponse]] = {}
        for response in responses:
            by_key.setdefault(_group_key(response, dimension), []).append(response)
        sizes = Counter({key: len(members) for key, members in by_key.items()})
        visible = _visible_groups(sizes) if run.anonymous else set(sizes)
        hidden[dimension] = sum(size for key, size in sizes.items() if key not in visible)
        groups[dimension] = [
            GroupResult(dimension, key, sizes[key], _question_results(survey, by_key[key], texts=False))
            for key in sorted(visible)
        ]
    return RunResults(run, n, False, _question_results(survey, responses, texts=True), groups, hidden)


def bar_chart_svg(bars: list[Bar], *, title: str) -> SafeString:
    """A horizontal bar chart as inline SVG (presentation attributes only: the CSP allows no inline styles)."""
    row, label_width, bar_width = 22, 260, 300
    height = row * len(bars) + 6
    parts = [
        f'<svg class="bar-chart" role="img" viewBox="0 0 {label_width + bar_width + 70} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for index, bar in enumerate(bars):
        y = 3 + index * row
        width = bar_width * bar.percent // 100
        label = bar.label if len(bar.label) <= 20 else bar.label[:19] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{bar_width}" height="16" fill="#f1ece8"/>'
            f'<rect x="{label_width}" y="{y + 2}" width="{width}" height="16" fill="#c0392b"/>'
            f'<text x="{label_width + bar_width + 6}" y="{y + 15}" font-size="12">{bar.count}（{bar.percent}%）</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (labels escaped; numbers are ints)


def csv_cell(value: object) -> str:
    # A cell starting with = + - @ (or a tab / carriage return) is run as a formula by spreadsheet programs.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def results_csv(results: RunResults) -> str:
    """Counts per group and option; the same groups as the page (hidden groups are absent)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["区分", "グループ", "回答者数", "設問ID", "設問", "選択肢", "件数", "割合(%)"])
    if results.suppressed:
        writer.writerow(["全体", "", f"{MIN_GROUP}人未満のため非表示", "", "", "", "", ""])
        return buffer.getvalue()
    sections: list[tuple[str, str, int, list[QuestionResult]]] = [
        ("全体", "全体", results.respondents, results.overall)
    ]
    for dimension, label in DIMENSIONS.items():
        sections += [(label, g.label, g.respondents, g.questions) for g in results.groups[dimension]]
    for section, group, n, questions in sections:
        for q in questions:
            for bar in q.bars:
                writer.writerow(
                    [
                        csv_cell(v)
                        for v in (section, group, n, q.id, q.text, bar.label, bar.count, bar.percent)
                    ]
                )
    return buffer.getvalue()


def chart_context(results: RunResults) -> dict[str, Any]:
    """Results with a chart per question (overall) and per question and group, ready for the template."""
    overall = [(q, bar_chart_svg(q.bars, title=q.text) if q.bars else None) for q in results.overall]
    grouped = {
        DIMENSIONS[dimension]: [
            (g, [(q, bar_chart_svg(q.bars, title=f"{g.label}: {q.text}")) for q in g.questions if q.bars])
            for g in groups
        ]
        for dimension, groups in results.groups.items()
    }
    hidden = {DIMENSIONS[d]: n for d, n in results.hidden.items() if n}
    return {
        "results": results,
        "overall": overall,
        "grouped": grouped,
        "hidden": hidden,
        "min_group": MIN_GROUP,
    }
