"""Document templates (``templates/*.toml``): parsing and load-time checks.

A template is checked completely when it is loaded — every condition parses and names real questions and options,
every placeholder is known, every clause key is unique — so a typo in a content file fails the test suite instead of
silently dropping a clause from a client's document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._files import check_keys, load_toml, require_list, require_str
from .errors import ContentError
from .questionnaire import Questionnaire, load_questionnaire

DOC_CODES: tuple[str, ...] = ("policy", "guideline", "account-rules", "manual")
_TEMPLATE_FILES = {code: f"templates/{code.replace('-', '_')}.toml" for code in DOC_CODES}

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_]+))?\}")
# Values the generator knows how to fill (see generator._variables); {ref:clause_key} is resolved after numbering.
KNOWN_VARIABLES = frozenset(
    {
        "org_name", "self", "members", "members_short", "pupils", "crisis_lead", "rules_name", "organisation",
        "pr_contact", "report_contact", "effective_date", "guideline_title", "policy_title", "rules_title",
        "manual_title", "official_platforms", "stakeholders", "offerings",
    }
)  # fmt: skip
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Variant:
    """A piece of text used only when ``when`` holds (always, when ``when`` is None)."""

    text: str
    when: str | None = None


@dataclass(frozen=True)
class ParagraphTemplate:
    text: str
    when: str | None
    items: tuple[Variant, ...]


@dataclass(frozen=True)
class ExampleTemplate:
    """A model text (文例) kept verbatim, line breaks included."""

    title: str
    text: str
    when: str | None


@dataclass(frozen=True)
class ClauseTemplate:
    key: str
    heading: str
    when: str | None
    paragraphs: tuple[ParagraphTemplate, ...]
    examples: tuple[ExampleTemplate, ...]
    chapter: str | None


@dataclass(frozen=True)
class DocumentTemplate:
    code: str
    short_name: str
    titles: tuple[Variant, ...]
    preamble: tuple[Variant, ...]
    clauses: tuple[ClauseTemplate, ...]
    supplementary: tuple[Variant, ...]

    @property
    def clause_keys(self) -> tuple[str, ...]:
        return tuple(clause.key for clause in self.clauses)


def join_lines(text: str) -> str:
    """Paragraph text is wrapped in the TOML files for readability; Japanese joins wrapped lines without a space."""
    return "".join(line.strip() for line in text.strip().splitlines())


class _Checker:
    def __init__(self, questionnaire: Questionnaire, file: str) -> None:
        self.questionnaire = questionnaire
        self.file = file

    def condition(self, raw: Any, where: str) -> str | None:
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise ContentError(f"{self.file} {where}: when は文字列です")
        self.questionnaire.check_condition(raw, f"{self.file} {where}")
        return raw

    def text(self, raw: str, where: str) -> str:
        for match in PLACEHOLDER.finditer(raw):
            name, argument = match.group(1), match.group(2)
            if name == "ref":
                if argument is None:
                    raise ContentError(f"{self.file} {where}: {{ref:条項キー}} の条項キーがありません")
            elif name not in KNOWN_VARIABLES or argument is not None:
                raise ContentError(f"{self.file} {where}: 未知の差し込み項目 {match.group(0)}")
        stray = PLACEHOLDER.sub("", raw)
        if "{" in stray or "}" in stray:
            raise ContentError(f"{self.file} {where}: 閉じていない波括弧があります")
        return raw

    def variants(self, raw: Any, where: str, *, joined: bool = True) -> tuple[Variant, ...]:
        entries = raw if isinstance(raw, list) else [raw] if raw is not None else []
        result: list[Variant] = []
        for index, entry in enumerate(entries):
            spot = f"{where}[{index}]"
            if isinstance(entry, str):
                result.append(Variant(self.text(join_lines(entry) if joined else entry.strip(), spot)))
                continue
            if not isinstance(entry, dict):
                raise ContentError(f"{self.file} {spot}: 文字列か {{text, when}} の表が必要です")
            check_keys(entry, {"text", "when"}, f"{self.file} {spot}")
            text = require_str(entry, "text", f"{self.file} {spot}")
            result.append(
                Variant(
                    self.text(join_lines(text) if joined else text.strip(), spot),
                    self.condition(entry.get("when"), spot),
                )
            )
        return tuple(result)

    def paragraphs(self, raw: dict[str, Any], where: str) -> tuple[ParagraphTemplate, ...]:
        body = raw.get("body")
        clause_items = self.variants(raw.get("items"), f"{where}.items")
        if isinstance(body, str):
            texts = [part for part in re.split(r"\n\s*\n", body.strip()) if part.strip()]
            return tuple(
                ParagraphTemplate(
                    self.text(join_lines(text), f"{where}.body"), None, clause_items if i == 0 else ()
                )
                for i, text in enumerate(texts)
            )
        if not isinstance(body, list) or not body:
            raise ContentError(f"{self.file} {where}: body（本文）は文字列か段落の配列です")
        if clause_items:
            raise ContentError(f"{self.file} {where}: 段落の配列を使うときは items を各段落に書いてください")
        paragraphs: list[ParagraphTemplate] = []
        for index, entry in enumerate(body):
            spot = f"{where}.body[{index}]"
            if not isinstance(entry, dict):
                raise ContentError(f"{self.file} {spot}: 段落は {{text, when, items}} の表です")
            check_keys(entry, {"text", "when", "items"}, f"{self.file} {spot}")
            paragraphs.append(
                ParagraphTemplate(
                    self.text(join_lines(require_str(entry, "text", f"{self.file} {spot}")), spot),
                    self.condition(entry.get("when"), spot),
                    self.variants(entry.get("items"), f"{spot}.items"),
                )
            )
        return tuple(paragraphs)

    def clause(self, raw: Any, where: str, chapter: str | None) -> ClauseTemplate:
        if not isinstance(raw, dict):
            raise ContentError(f"{self.file} {where}: 条項は表です")
        check_keys(raw, {"key", "heading", "when", "body", "items", "examples"}, f"{self.file} {where}")
        key = require_str(raw, "key", f"{self.file} {where}")
        if not _KEY.match(key):
            raise ContentError(f"{self.file} {where}: 条項キー「{key}」は英小文字・数字・_ で書きます")
        where = f"条項「{key}」"
        examples: list[ExampleTemplate] = []
        for index, entry in enumerate(require_list(raw, "examples", f"{self.file} {where}")):
            spot = f"{where}.examples[{index}]"
            if not isinstance(entry, dict):
                raise ContentError(f"{self.file} {spot}: 文例は {{title, text, when}} の表です")
            check_keys(entry, {"title", "text", "when"}, f"{self.file} {spot}")
            examples.append(
                ExampleTemplate(
                    self.text(require_str(entry, "title", f"{self.file} {spot}"), spot),
                    self.text(require_str(entry, "text", f"{self.file} {spot}").strip(), spot),
                    self.condition(entry.get("when"), spot),
                )
            )
        return ClauseTemplate(
            key=key,
            heading=self.text(require_str(raw, "heading", f"{self.file} {where}"), where),
            when=self.condition(raw.get("when"), where),
            paragraphs=self.paragraphs(raw, where),
            examples=tuple(examples),
            chapter=chapter,
        )


def _parse(code: str, data: dict[str, Any], file: str) -> DocumentTemplate:
    checker = _Checker(load_questionnaire(), file)
    check_keys(
        data, {"code", "short_name", "title", "preamble", "clauses", "chapters", "supplementary"}, file
    )
    if data.get("code") != code:
        raise ContentError(f"{file}: code は「{code}」である必要があります")
    clauses: list[ClauseTemplate] = []
    if "chapters" in data:
        if "clauses" in data:
            raise ContentError(f"{file}: chapters と clauses は同時に使えません")
        for index, chapter in enumerate(require_list(data, "chapters", file)):
            if not isinstance(chapter, dict):
                raise ContentError(f"{file} chapters[{index}]: 章は表です")
            check_keys(chapter, {"title", "clauses"}, f"{file} chapters[{index}]")
            title = require_str(chapter, "title", f"{file} chapters[{index}]")
            for position, raw in enumerate(require_list(chapter, "clauses", f"{file} chapters[{index}]")):
                clauses.append(checker.clause(raw, f"chapters[{index}].clauses[{position}]", title))
    else:
        for position, raw in enumerate(require_list(data, "clauses", file)):
            clauses.append(checker.clause(raw, f"clauses[{position}]", None))
    if not clauses:
        raise ContentError(f"{file}: 条項がありません")
    keys = [clause.key for clause in clauses]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ContentError(f"{file}: 条項キーが重複しています {duplicates}")
    titles = checker.variants(data.get("title"), "title")
    if not titles or titles[-1].when is not None:
        raise ContentError(
            f"{file}: title の最後には条件なしの表題が必要です（どの回答でも表題が決まるように）"
        )
    template = DocumentTemplate(
        code=code,
        short_name=require_str(data, "short_name", file),
        titles=titles,
        preamble=checker.variants(data.get("preamble"), "preamble"),
        clauses=tuple(clauses),
        supplementary=checker.variants(data.get("supplementary"), "supplementary"),
    )
    _check_references(template, file)
    return template


def _texts(template: DocumentTemplate) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = [("preamble", v.text) for v in template.preamble]
    found += [("supplementary", v.text) for v in template.supplementary]
    for clause in template.clauses:
        for paragraph in clause.paragraphs:
            found.append((clause.key, paragraph.text))
            found += [(clause.key, item.text) for item in paragraph.items]
        found += [(clause.key, example.text) for example in clause.examples]
    return found


def _check_references(template: DocumentTemplate, file: str) -> None:
    unconditional = {clause.key for clause in template.clauses if clause.when is None}
    for owner, text in _texts(template):
        for match in PLACEHOLDER.finditer(text):
            if match.group(1) == "ref" and match.group(2) not in unconditional:
                # Only always-present clauses may be referenced, or a number would be missing in some documents.
                raise ContentError(
                    f"{file} 条項「{owner}」: 参照先「{match.group(2)}」は存在しないか条件付きの条項です"
                )


@lru_cache(maxsize=len(DOC_CODES))
def load_template(code: str) -> DocumentTemplate:
    if code not in _TEMPLATE_FILES:
        raise ContentError(f"未知の文書コード「{code}」です。使えるのは {list(DOC_CODES)} です")
    file = _TEMPLATE_FILES[code]
    return _parse(code, load_toml(file), file)
