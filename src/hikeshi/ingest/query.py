"""Boolean watch queries: ``サンプル食品 AND (異物 OR 混入) NOT "サンプル請求"``.

Grammar (AND binds tighter than OR; juxtaposition means AND)::

    query  := or
    or     := and (("OR" | "|") and)*
    and    := unary (("AND" | "&")? unary)*
    unary  := ("NOT" | "-") unary | atom
    atom   := "(" or ")" | "\"phrase\"" | word

Keywords are upper-case so lower-case "or"/"and" stay searchable words. Full-width （） and “”「」
are accepted because Japanese input methods produce them. Errors carry the character position.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from hikeshi.ingest.errors import QuerySyntaxError
from hikeshi.ingest.normalize import normalize

_OPEN = {"(": ")", "（": "）"}
_CLOSE = {")", "）"}
_QUOTES = {'"': '"', "“": "”", "「": "」", "”": "”"}
_SPACES = {" ", "\t", "\n", "\r", "\u3000"}
MIN_TERM_CHARS = 2


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    normalized: str
    position: int
    phrase: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "TERM"
    text: str
    position: int
    phrase: bool = False


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(query)
    while index < length:
        char = query[index]
        if char in _SPACES:
            index += 1
        elif char in _OPEN:
            tokens.append(_Token("(", char, index))
            index += 1
        elif char in _CLOSE:
            tokens.append(_Token(")", char, index))
            index += 1
        elif char in _QUOTES:
            closing = _QUOTES[char]
            end = query.find(closing, index + 1)
            if end < 0:
                raise QuerySyntaxError(
                    f"unterminated phrase: missing closing {closing}", query=query, position=index
                )
            tokens.append(_Token("TERM", query[index + 1 : end], index, phrase=True))
            index = end + 1
        elif char == "-" and (index + 1 < length and query[index + 1] not in _SPACES):
            tokens.append(_Token("NOT", char, index))
            index += 1
        elif char in "|&":
            tokens.append(_Token("OR" if char == "|" else "AND", char, index))
            index += 1
        else:
            start = index
            while index < length and query[index] not in _SPACES and query[index] not in _OPEN:
                if query[index] in _CLOSE or query[index] in _QUOTES or query[index] in "|&":
                    break
                index += 1
            word = query[start:index]
            kind = word if word in ("AND", "OR", "NOT") else "TERM"
            tokens.append(_Token(kind, word, start))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.index = 0

    def error(self, message: str, position: int | None = None) -> QuerySyntaxError:
        where = position if position is not None else self._position()
        return QuerySyntaxError(message, query=self.query, position=where)

    def _position(self) -> int:
        return self.tokens[self.index].position if self.index < len(self.tokens) else len(self.query)

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty query", 0)
        node = self._or()
        token = self._peek()
        if token is not None:
            if token.kind == ")":
                raise self.error(f"unexpected {token.text!r} without a matching opening parenthesis")
            raise self.error(f"unexpected {token.text!r}")
        return node

    def _or(self) -> Node:
        children = [self._and()]
        while (token := self._peek()) is not None and token.kind == "OR":
            self.index += 1
            children.append(self._and(after=token))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def _and(self, after: _Token | None = None) -> Node:
        children = [self._unary(after)]
        while (token := self._peek()) is not None and token.kind in ("AND", "NOT", "TERM", "("):
            if token.kind == "AND":
                self.index += 1
                children.append(self._unary(token))
            else:
                children.append(self._unary(None))
        return children[0] if len(children) == 1 else And(tuple(children))

    def _unary(self, after: _Token | None) -> Node:
        token = self._peek()
        if token is None:
            if after is not None:
                raise self.error(f"{after.text!r} needs a term after it", after.position)
            raise self.error("expected a term")
        if token.kind == "NOT":
            self.index += 1
            return Not(self._unary(token))
        if token.kind == "(":
            self.index += 1
            if (inner := self._peek()) is not None and inner.kind == ")":
                raise self.error("empty parentheses", token.position)
            node = self._or()
            closing = self._peek()
            if closing is None or closing.kind != ")":
                raise self.error(f"missing closing parenthesis for {token.text!r}", token.position)
            self.index += 1
            return node
        if token.kind == "TERM":
            self.index += 1
            normalized = normalize(token.text)
            if len(normalized) < MIN_TERM_CHARS:
                what = "empty phrase" if not normalized else f"term {token.text!r} is too short to search for"
                raise self.error(what, token.position)
            return Term(token.text, normalized, token.position, token.phrase)
        if after is not None and after.kind in ("AND", "OR", "NOT"):
            raise self.error(f"{after.text!r} needs a term after it, found {token.text!r}", token.position)
        raise self.error(f"unexpected {token.text!r}", token.position)


def evaluate(node: Node, present: AbstractSet[str]) -> bool:
    """Whether the query holds for a post whose matched normalised terms are ``present``."""
    if isinstance(node, Term):
        return node.normalized in present
    if isinstance(node, Not):
        return not evaluate(node.child, present)
    if isinstance(node, And):
        return all(evaluate(child, present) for child in node.children)
    return any(evaluate(child, present) for child in node.children)


def terms(node: Node, *, negated: bool = False) -> list[tuple[Term, bool]]:
    """Every leaf with whether it sits under an odd number of NOTs."""
    if isinstance(node, Term):
        return [(node, negated)]
    if isinstance(node, Not):
        return terms(node.child, negated=not negated)
    found: list[tuple[Term, bool]] = []
    for child in node.children:
        found.extend(terms(child, negated=negated))
    return found


def parse_query(query: str) -> Node:
    """Parse ``query`` into an AST. Raises :class:`QuerySyntaxError` (with position) when it is malformed,
    or when it would match a post containing none of its terms (e.g. ``NOT 広告``), which would flood."""
    node = _Parser(query).parse()
    if evaluate(node, frozenset()):
        raise QuerySyntaxError(
            "query matches posts that contain none of its terms; add a term that must be present",
            query=query,
            position=0,
        )
    return node
