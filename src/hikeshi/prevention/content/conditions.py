"""A tiny, safe condition language for content files.

Content authors write conditions such as ``kind in ['school', 'hospital_care']`` or
``'job_offer_holders' in posters and not listed``. They are parsed here into a small tree and evaluated against the
answers; nothing is ever handed to ``eval``. Grammar::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand [("==" | "!=" | "in" | "not" "in") operand]
    operand    := NAME | STRING | "true" | "false" | "[" STRING ("," STRING)* "]" | "(" expr ")"

A bare ``NAME`` is true when the answer is truthy (a ``true`` bool, a non-empty text or selection).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import ContentError

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'[^'\\]*'|\"[^\"\\]*\")|(?P<op>==|!=|\(|\)|\[|\]|,)|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false"})


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Literal:
    value: str | bool | tuple[str, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str  # "==" | "!=" | "in" | "not in"
    left: Node
    right: Node


Node = Name | Literal | Not | BoolOp | Compare


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped_end = len(source.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            raise ContentError(f"条件式を解釈できません（{position + 1}文字目付近）: {source!r}")
        if match.group("string") is not None:
            tokens.append(("string", match.group("string")[1:-1]))
        elif match.group("op") is not None:
            tokens.append(("op", match.group("op")))
        else:
            word = match.group("name")
            tokens.append(("keyword" if word in _KEYWORDS else "name", word))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _accept(self, kind: str, value: str | None = None) -> str | None:
        token = self._peek()
        if token is not None and token[0] == kind and (value is None or token[1] == value):
            self.index += 1
            return token[1]
        return None

    def _expect(self, kind: str, value: str) -> None:
        if self._accept(kind, value) is None:
            raise ContentError(f"条件式に「{value}」が必要です: {self.source!r}")

    def parse(self) -> Node:
        if not self.tokens:
            raise ContentError("条件式が空です")
        node = self._or()
        if self._peek() is not None:
            raise ContentError(f"条件式の末尾に余分な語句があります（{self._peek()}）: {self.source!r}")
        return node

    def _or(self) -> Node:
        operands = [self._and()]
        while self._accept("keyword", "or"):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def _and(self) -> Node:
        operands = [self._not()]
        while self._accept("keyword", "and"):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def _not(self) -> Node:
        if self._accept("keyword", "not"):
            return Not(self._not())
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._operand()
        for op in ("==", "!="):
            if self._accept("op", op):
                return Compare(op, left, self._operand())
        if self._accept("keyword", "in"):
            return Compare("in", left, self._operand())
        token = self._peek()
        next_token = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        if token == ("keyword", "not") and next_token == ("keyword", "in"):
            self.index += 2
            return Compare("not in", left, self._operand())
        return left

    def _operand(self) -> Node:
        if (string := self._accept("string")) is not None:
            return Literal(string)
        if (name := self._accept("name")) is not None:
            return Name(name)
        if self._accept("keyword", "true"):
            return Literal(True)
        if self._accept("keyword", "false"):
            return Literal(False)
        if self._accept("op", "["):
            values: list[str] = []
            while True:
                value = self._accept("string")
                if value is None:
                    raise ContentError(f"リストには文字列だけを書けます: {self.source!r}")
                values.append(value)
                if self._accept("op", "]"):
                    return Literal(tuple(values))
                self._expect("op", ",")
        if self._accept("op", "("):
            node = self._or()
            self._expect("op", ")")
            return node
        raise ContentError(f"条件式の{self.index + 1}番目の語句が不正です: {self.source!r}")


@lru_cache(maxsize=1024)
def parse_condition(source: str) -> Node:
    """Parse a condition; raises ``ContentError`` with the offending text when it is malformed."""
    return _Parser(source).parse()


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Name):
        if node.name not in answers:
            raise ContentError(f"条件式が未知の質問ID「{node.name}」を参照しています")
        return answers[node.name]
    if isinstance(node, Literal):
        return node.value
    return _truth(node, answers)


def _truth(node: Node, answers: Mapping[str, Any]) -> bool:
    if isinstance(node, Not):
        return not _truth(node.operand, answers)
    if isinstance(node, BoolOp):
        results = (_truth(operand, answers) for operand in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Compare):
        left, right = _value(node.left, answers), _value(node.right, answers)
        if node.op == "==":
            return bool(left == right)
        if node.op == "!=":
            return bool(left != right)
        if not isinstance(right, list | tuple):
            raise ContentError(f"「in」の右辺がリストではありません: {right!r}")
        contained = left in right
        return contained if node.op == "in" else not contained
    return bool(_value(node, answers))


def evaluate(source: str, answers: Mapping[str, Any]) -> bool:
    """Evaluate a condition against normalised answers (every question id present)."""
    return _truth(parse_condition(source), answers)


def referenced_values(node: Node) -> list[tuple[str, str]]:
    """(question id, option id) pairs a condition compares, so loaders can check option ids exist."""
    pairs: list[tuple[str, str]] = []
    if isinstance(node, Not):
        return referenced_values(node.operand)
    if isinstance(node, BoolOp):
        for operand in node.operands:
            pairs.extend(referenced_values(operand))
        return pairs
    if isinstance(node, Compare):
        for name_side, literal_side in ((node.left, node.right), (node.right, node.left)):
            if isinstance(name_side, Name) and isinstance(literal_side, Literal):
                literal = literal_side.value
                values = literal if isinstance(literal, tuple) else (literal,)
                pairs.extend((name_side.name, value) for value in values if isinstance(value, str))
    return pairs


def referenced_names(node: Node) -> set[str]:
    """Every question id a condition reads."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Literal):
        return set()
    if isinstance(node, Not):
        return referenced_names(node.operand)
    if isinstance(node, BoolOp):
        return set().union(*(referenced_names(operand) for operand in node.operands))
    return referenced_names(node.left) | referenced_names(node.right)
