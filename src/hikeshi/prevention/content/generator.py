"""Assemble the four documents from a template and the questionnaire answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ._files import load_toml
from .conditions import evaluate
from .errors import ContentError
from .questionnaire import load_questionnaire, normalize_answers
from .templates import DOC_CODES, PLACEHOLDER, DocumentTemplate, Variant, load_template

_FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Paragraph:
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Example:
    title: str
    text: str


@dataclass(frozen=True)
class Clause:
    number: int
    key: str
    heading: str
    paragraphs: tuple[Paragraph, ...]
    examples: tuple[Example, ...] = ()
    chapter: str | None = None

    @property
    def body(self) -> str:
        return "\n\n".join(paragraph.text for paragraph in self.paragraphs)

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item for paragraph in self.paragraphs for item in paragraph.items)

    @property
    def label(self) -> str:
        return f"第{self.number}条"


@dataclass(frozen=True)
class Document:
    doc: str
    title: str
    short_name: str
    org_name: str
    clauses: tuple[Clause, ...]
    preamble: tuple[str, ...] = ()
    supplementary: tuple[str, ...] = ()

    def clause(self, key: str) -> Clause:
        for clause in self.clauses:
            if clause.key == key:
                return clause
        raise KeyError(
            f"{self.short_name}に条項「{key}」はありません（回答によって含まれない条項の可能性があります）"
        )

    def has_clause(self, key: str) -> bool:
        return any(clause.key == key for clause in self.clauses)

    @property
    def chapters(self) -> tuple[str, ...]:
        seen: list[str] = []
        for clause in self.clauses:
            if clause.chapter is not None and clause.chapter not in seen:
                seen.append(clause.chapter)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc": self.doc,
            "title": self.title,
            "short_name": self.short_name,
            "org_name": self.org_name,
            "preamble": list(self.preamble),
            "clauses": [
                {
                    "number": clause.number,
                    "key": clause.key,
                    "citation": cite(self, clause.key),
                    "chapter": clause.chapter,
                    "heading": clause.heading,
                    "body": clause.body,
                    "items": list(clause.items),
                    "paragraphs": [{"text": p.text, "items": list(p.items)} for p in clause.paragraphs],
                    "examples": [{"title": e.title, "text": e.text} for e in clause.examples],
                }
                for clause in self.clauses
            ],
            "supplementary": list(self.supplementary),
        }

    def to_markdown(self) -> str:
        """Markdown in the style of Japanese rules: 第N条（見出し）, ２ for later paragraphs, numbered items.

        Answer values (the organisation's name, contacts) are inserted as given; whoever renders this to HTML must
        escape it like any other user input.
        """
        lines = [f"# {self.title}", "", self.org_name, ""]
        for text in self.preamble:
            lines += [text, ""]
        chapter_numbers = {title: index + 1 for index, title in enumerate(self.chapters)}
        current_chapter: str | None = None
        for clause in self.clauses:
            if clause.chapter is not None and clause.chapter != current_chapter:
                current_chapter = clause.chapter
                lines += [f"## 第{chapter_numbers[clause.chapter]}章　{clause.chapter}", ""]
            level = "###" if self.chapters else "##"
            lines += [f"{level} {clause.label}（{clause.heading}）", ""]
            for index, paragraph in enumerate(clause.paragraphs):
                prefix = "" if index == 0 else f"{str(index + 1).translate(_FULL_WIDTH_DIGITS)}　"
                lines += [prefix + paragraph.text, ""]
                if paragraph.items:
                    lines += [f"{number}. {item}" for number, item in enumerate(paragraph.items, start=1)]
                    lines.append("")
            for example in clause.examples:
                lines += [f"**文例：{example.title}**", ""]
                lines += [f"> {line}".rstrip() for line in example.text.splitlines()]
                lines.append("")
        if self.supplementary:
            lines += ["## 附則", ""]
            for text in self.supplementary:
                lines += [text, ""]
        return "\n".join(lines).rstrip() + "\n"


def cite(document: Document, clause_key: str) -> str:
    """The way other features refer to a clause, e.g. 「ガイドライン第3条」; KeyError when it is not included."""
    return f"{document.short_name}{document.clause(clause_key).label}"


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    return load_toml("vocabulary.toml")


def _titles(answers: Mapping[str, Any]) -> dict[str, str]:
    return {
        f"{name}_title": _first(load_template(code).titles, answers)
        for name, code in (
            ("policy", "policy"),
            ("guideline", "guideline"),
            ("rules", "account-rules"),
            ("manual", "manual"),
        )
    }


def _variables(answers: Mapping[str, Any]) -> dict[str, str]:
    vocabulary = _vocabulary()
    kind_terms = vocabulary["kind"][answers["kind"]]
    terms: dict[str, str] = {**vocabulary["default"], **kind_terms}
    if answers["kind"] == "school":
        terms.update(vocabulary["school_level"][answers["school_level"]])
    terms = {name: value.replace("{pupils}", terms["pupils"]) for name, value in terms.items()}
    if answers["short_name"]:
        terms["self"] = answers["short_name"]
    if answers["crisis_lead"]:
        terms["crisis_lead"] = answers["crisis_lead"]
    questionnaire = load_questionnaire()
    platforms = questionnaire.question("official_platforms")
    terms.update(
        org_name=answers["org_name"],
        pr_contact=answers["pr_contact"],
        report_contact=answers["report_contact"] or answers["pr_contact"],
        effective_date=answers["effective_date"] or "制定の日",
        official_platforms="、".join(platforms.label_of(option) for option in answers["official_platforms"]),
    )
    # Titles may contain {pupils} and the like, so they are filled before other text refers to them.
    terms.update({name: _fill(title, terms) for name, title in _titles(answers).items()})
    return terms


def _fill(text: str, variables: Mapping[str, str]) -> str:
    # One pass: a value that happens to contain braces (an organisation's name) is never expanded again.
    def replace(match: Any) -> str:
        if match.group(1) == "ref":
            return str(match.group(0))
        return variables[match.group(1)]

    return PLACEHOLDER.sub(replace, text)


def _holds(when: str | None, answers: Mapping[str, Any]) -> bool:
    return when is None or evaluate(when, answers)


def _first(variants: tuple[Variant, ...], answers: Mapping[str, Any]) -> str:
    for variant in variants:
        if _holds(variant.when, answers):
            return variant.text
    raise ContentError("どの条件にも当てはまる表題がありません")


def _build(template: DocumentTemplate, answers: Mapping[str, Any]) -> Document:
    variables = _variables(answers)
    clauses: list[Clause] = []
    for clause in template.clauses:
        if not _holds(clause.when, answers):
            continue
        paragraphs = tuple(
            Paragraph(
                _fill(paragraph.text, variables),
                tuple(_fill(item.text, variables) for item in paragraph.items if _holds(item.when, answers)),
            )
            for paragraph in clause.paragraphs
            if _holds(paragraph.when, answers)
        )
        if not paragraphs:
            raise ContentError(f"{template.code} 条項「{clause.key}」: この回答では本文が一つも残りません")
        clauses.append(
            Clause(
                number=len(clauses) + 1,
                key=clause.key,
                heading=_fill(clause.heading, variables),
                paragraphs=paragraphs,
                examples=tuple(
                    Example(_fill(e.title, variables), _fill(e.text, variables))
                    for e in clause.examples
                    if _holds(e.when, answers)
                ),
                chapter=clause.chapter,
            )
        )
    numbers = {clause.key: clause.number for clause in clauses}

    def resolve(text: str) -> str:
        return PLACEHOLDER.sub(
            lambda m: f"第{numbers[m.group(2)]}条" if m.group(1) == "ref" else m.group(0), text
        )

    resolved = tuple(
        Clause(
            number=c.number,
            key=c.key,
            heading=c.heading,
            paragraphs=tuple(
                Paragraph(resolve(p.text), tuple(resolve(i) for i in p.items)) for p in c.paragraphs
            ),
            examples=tuple(Example(e.title, resolve(e.text)) for e in c.examples),
            chapter=c.chapter,
        )
        for c in clauses
    )
    return Document(
        doc=template.code,
        title=_fill(_first(template.titles, answers), variables),
        short_name=template.short_name,
        org_name=answers["org_name"],
        clauses=resolved,
        preamble=tuple(_fill(v.text, variables) for v in template.preamble if _holds(v.when, answers)),
        supplementary=tuple(
            _fill(v.text, variables) for v in template.supplementary if _holds(v.when, answers)
        ),
    )


def generate(doc: str, answers: Mapping[str, Any]) -> Document:
    """Build document ``doc`` (one of DOC_CODES) for ``answers``.

    Raises ``AnswersInvalid`` (naming each question) for bad answers and ``ContentError`` for an unknown code.
    """
    if doc not in DOC_CODES:
        raise ContentError(f"未知の文書コード「{doc}」です。使えるのは {list(DOC_CODES)} です")
    return _build(load_template(doc), normalize_answers(answers))


def generate_all(answers: Mapping[str, Any]) -> dict[str, Document]:
    normalized = normalize_answers(answers)
    return {code: _build(load_template(code), normalized) for code in DOC_CODES}
