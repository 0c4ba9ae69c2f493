"""Safe HTML → plain text. Text from the internet is hostile: nothing is executed or kept as markup."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head")
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "td",
        "th",
        "ul",
    ]
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def node_text(node: LexborNode) -> str:
    """Visible text of ``node`` with block elements and <br> as line breaks, whitespace tidied."""
    parts: list[str] = []
    _collect(node, parts)
    return tidy_text("".join(parts))


def _collect(node: LexborNode, parts: list[str]) -> None:
    child = node.child
    while child is not None:
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif child.is_element_node:
            tag = child.tag or ""
            if tag == "br":
                parts.append("\n")
            elif tag not in _DROP_TAGS:
                block = tag in _BLOCK_TAGS
                if block:
                    parts.append("\n")
                _collect(child, parts)
                if block:
                    parts.append("\n")
        child = child.next


def tidy_text(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
    joined = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", joined).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment or document. Plain text without tags passes through tidied."""
    if "<" not in html and "&" not in html:
        return tidy_text(html)
    tree = LexborHTMLParser(html)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    return node_text(root)
