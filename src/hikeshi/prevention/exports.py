"""Exports of a document version: PDF (Japanese font embedded and subset), Word (.docx) and Markdown.

The font comes from the ``noto_cjk_sans_jp_regular`` pip package, so a PDF renders Japanese on any machine and
the server needs nothing installed beyond pip; fpdf2 embeds only the glyphs used (a few tens of KB).
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from hikeshi.prevention.content import Document

EXPORT_FORMATS = ("pdf", "docx", "md")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
}
REVIEW_NOTE = (
    "この文書は原案です。採用する前に、組織の規程類に責任を持つ方（顧問弁護士・社会保険労務士など）が"
    "就業規則・契約・業界の規制との整合を確認してください。"
)
_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@lru_cache(maxsize=1)
def japanese_font_path() -> str:
    import noto_cjk_sans_jp_regular

    path = Path(noto_cjk_sans_jp_regular.__file__).with_name("NotoSansCJKjp-Regular.otf")
    if not path.is_file():
        raise RuntimeError(f"日本語フォントが見つかりません: {path}")
    return str(path)


def new_pdf(title: str):  # type: ignore[no-untyped-def]
    """An A4 FPDF with the Japanese font registered as "jp" (used by documents and certificates)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("hikeshi")
    pdf.add_font("jp", "", japanese_font_path())
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    return pdf


def document_pdf(document: Document, *, version_label: str) -> bytes:
    pdf = new_pdf(document.title)
    width = pdf.epw
    pdf.set_font("jp", size=17)
    pdf.multi_cell(width, 10, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("jp", size=10)
    pdf.multi_cell(
        width, 6, f"{document.org_name}　{version_label}", align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(3)
    pdf.set_font("jp", size=10.5)
    for text in document.preamble:
        pdf.multi_cell(width, 6.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    chapters = {title: index + 1 for index, title in enumerate(document.chapters)}
    current: str | None = None
    for clause in document.clauses:
        if clause.chapter is not None and clause.chapter != current:
            current = clause.chapter
            pdf.ln(3)
            pdf.set_font("jp", size=13)
            pdf.multi_cell(width, 8, f"第{chapters[current]}章　{current}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("jp", size=11.5)
        pdf.multi_cell(width, 7, f"{clause.label}（{clause.heading}）", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("jp", size=10.5)
        for index, paragraph in enumerate(clause.paragraphs):
            prefix = "" if index == 0 else f"{str(index + 1).translate(_FULL_WIDTH_DIGITS)}　"
            pdf.multi_cell(width, 6.5, prefix + paragraph.text, new_x="LMARGIN", new_y="NEXT")
            for number, item in enumerate(paragraph.items, start=1):
                pdf.set_x(pdf.l_margin + 6)
                pdf.multi_cell(width - 6, 6.5, f"{number}．{item}", new_x="LMARGIN", new_y="NEXT")
        for example in clause.examples:
            pdf.ln(1)
            pdf.multi_cell(width, 6.5, f"文例：{example.title}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(pdf.l_margin + 6)
            pdf.multi_cell(width - 6, 6, example.text, border=1, new_x="LMARGIN", new_y="NEXT")
    if document.supplementary:
        pdf.ln(3)
        pdf.set_font("jp", size=11.5)
        pdf.multi_cell(width, 7, "附則", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("jp", size=10.5)
        for text in document.supplementary:
            pdf.multi_cell(width, 6.5, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def document_docx(document: Document, *, version_label: str) -> bytes:
    from docx import Document as WordDocument
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn

    word = WordDocument()
    normal = word.styles["Normal"]
    normal.font.name = "Yu Gothic"
    # East-Asian text uses its own font slot; without it Word falls back to a Latin font for kana and kanji.
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "Yu Gothic")
    heading = word.add_heading(document.title, level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    meta = word.add_paragraph(f"{document.org_name}　{version_label}")
    meta.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text in document.preamble:
        word.add_paragraph(text)
    chapters = {title: index + 1 for index, title in enumerate(document.chapters)}
    current: str | None = None
    for clause in document.clauses:
        if clause.chapter is not None and clause.chapter != current:
            current = clause.chapter
            word.add_heading(f"第{chapters[current]}章　{current}", level=1)
        word.add_heading(f"{clause.label}（{clause.heading}）", level=2 if chapters else 1)
        for index, paragraph in enumerate(clause.paragraphs):
            prefix = "" if index == 0 else f"{str(index + 1).translate(_FULL_WIDTH_DIGITS)}　"
            word.add_paragraph(prefix + paragraph.text)
            for number, item in enumerate(paragraph.items, start=1):
                word.add_paragraph(f"{number}．{item}").paragraph_format.left_indent = 228600  # 0.25 inch
        for example in clause.examples:
            word.add_paragraph(f"文例：{example.title}").runs[0].bold = True
            word.add_paragraph(example.text, style="Quote")
    if document.supplementary:
        word.add_heading("附則", level=1)
        for text in document.supplementary:
            word.add_paragraph(text)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def document_markdown(document: Document, *, version_label: str) -> bytes:
    return (document.to_markdown() + f"\n---\n{version_label}\n\n{REVIEW_NOTE}\n").encode()


def render_document(document: Document, fmt: str, *, version_label: str) -> bytes:
    if fmt == "pdf":
        return document_pdf(document, version_label=version_label)
    if fmt == "docx":
        return document_docx(document, version_label=version_label)
    if fmt == "md":
        return document_markdown(document, version_label=version_label)
    raise ValueError(f"未知の形式「{fmt}」です。使えるのは {', '.join(EXPORT_FORMATS)} です。")
