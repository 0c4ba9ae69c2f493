"""修了証 (certificate) for a passed course, as a PDF with the embedded Japanese font of the exports."""

from __future__ import annotations

from django.utils import timezone

from hikeshi.audit.actions import record
from hikeshi.prevention.exports import new_pdf
from hikeshi.prevention.models import Attempt


def certificate_pdf(attempt: Attempt, *, learner_name: str) -> bytes:
    if not attempt.passed:
        raise ValueError("合格していない受験には修了証を発行できません。")
    course = attempt.course
    pdf = new_pdf(f"修了証 {course.title}")
    width = pdf.epw
    pdf.set_draw_color(180, 40, 30)
    pdf.set_line_width(1.2)
    pdf.rect(12, 12, pdf.w - 24, 160)
    pdf.ln(18)
    pdf.set_font("jp", size=30)
    pdf.cell(width, 16, "修 了 証", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("jp", size=18)
    pdf.cell(width, 12, f"{learner_name}　殿", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("jp", size=12)
    body = (
        f"あなたは「{course.title}」を受講し、理解度テストに{attempt.score}点"
        f"（合格点 {course.pass_mark}点）で合格したことをここに証します。"
    )
    pdf.multi_cell(width, 8, body, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    passed_on = timezone.localtime(attempt.submitted_at)
    pdf.cell(width, 8, f"{passed_on:%Y年%m月%d日}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 8, attempt.organization.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("jp", size=8)
    pdf.ln(6)
    pdf.cell(width, 6, f"証明番号 {attempt.organization.slug}-{attempt.pk}", align="C")
    data = bytes(pdf.output())
    record(
        "export",
        organization=attempt.organization,
        obj=attempt,
        changes={"format": "pdf", "certificate": course.content_id},
    )
    return data
