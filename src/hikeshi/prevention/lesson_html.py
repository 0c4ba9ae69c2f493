"""The small Markdown subset of the lessons (## headings, - lists, **bold**, paragraphs) as safe HTML.

Every piece of text is escaped first and only our own tags are added, so content can never inject markup.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escape(text))


def lesson_html(markdown: str) -> SafeString:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            level = min(len(lines[0]) - len(lines[0].lstrip("#")) + 1, 4)
            html.append(f"<h{level}>{_inline(lines[0].lstrip('#').strip())}</h{level}>")
            lines = lines[1:]
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif lines:
            # Japanese sentences on separate source lines belong to one paragraph, joined without a space.
            html.append(f"<p>{_inline(''.join(lines))}</p>")
    return mark_safe("\n".join(html))  # noqa: S308  (built from escaped text and our own tags only)
