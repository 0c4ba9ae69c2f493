"""Stored document content (``Document.to_dict()``) back to a ``Document``, and editing a clause's text.

The generator's ``Document`` is the one renderer of numbered clauses (Markdown, 「第N条」 citations), so stored
versions are turned back into it rather than rendered a second way.
"""

from __future__ import annotations

import re
from typing import Any

from hikeshi.prevention.content import Clause, Document, Example, Paragraph

MAX_CLAUSE_CHARS = 5000
_ITEM = re.compile(r"^\s*(?:[-・*]|\d+[.．)）])\s*")


def document_from_content(content: dict[str, Any]) -> Document:
    return Document(
        doc=content["doc"],
        title=content["title"],
        short_name=content["short_name"],
        org_name=content["org_name"],
        preamble=tuple(content.get("preamble", [])),
        supplementary=tuple(content.get("supplementary", [])),
        clauses=tuple(
            Clause(
                number=clause["number"],
                key=clause["key"],
                heading=clause["heading"],
                chapter=clause.get("chapter"),
                paragraphs=tuple(Paragraph(p["text"], tuple(p["items"])) for p in clause["paragraphs"]),
                examples=tuple(Example(e["title"], e["text"]) for e in clause.get("examples", [])),
            )
            for clause in content["clauses"]
        ),
    )


def clause_to_text(clause: dict[str, Any]) -> str:
    """The editable form of a clause: paragraphs separated by a blank line, items as lines starting with "- "."""
    blocks = []
    for paragraph in clause["paragraphs"]:
        lines = [paragraph["text"], *(f"- {item}" for item in paragraph["items"])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def text_to_paragraphs(text: str) -> list[dict[str, Any]]:
    """Parse the editable form back; raises ValueError with a message for the editor."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("条文の本文が空です。")
    if len(text) > MAX_CLAUSE_CHARS:
        raise ValueError(f"条文は {MAX_CLAUSE_CHARS} 文字以内にしてください。")
    paragraphs: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", text):
        body: list[str] = []
        items: list[str] = []
        for line in block.split("\n"):
            if not line.strip():
                continue
            if _ITEM.match(line):
                items.append(_ITEM.sub("", line).strip())
            elif items:
                raise ValueError("号（「- 」で始まる行）の後に段落の文を続けるときは、空行を入れてください。")
            else:
                body.append(line.strip())
        if not body:
            raise ValueError("各段落は、号（「- 」で始まる行）の前に本文が必要です。")
        # Japanese text is joined without spaces, as the generator does for wrapped lines.
        paragraphs.append({"text": "".join(body), "items": items})
    return paragraphs


def with_clause_edited(content: dict[str, Any], key: str, heading: str, text: str) -> dict[str, Any]:
    """A copy of ``content`` with clause ``key`` given a new heading and text; KeyError for an unknown key."""
    paragraphs = text_to_paragraphs(text)
    heading = heading.strip()
    if not heading:
        raise ValueError("見出しが空です。")
    clauses = []
    found = False
    for clause in content["clauses"]:
        if clause["key"] == key:
            found = True
            clause = {
                **clause,
                "heading": heading[:100],
                "paragraphs": paragraphs,
                "body": paragraphs[0]["text"],
                "items": paragraphs[0]["items"],
            }
        clauses.append(clause)
    if not found:
        raise KeyError(key)
    return {**content, "clauses": clauses}
