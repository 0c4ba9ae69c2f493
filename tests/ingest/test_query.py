from __future__ import annotations

import pytest

from hikeshi.ingest.errors import QuerySyntaxError
from hikeshi.ingest.normalize import normalize
from hikeshi.ingest.query import And, Not, Or, Term, evaluate, parse_query, terms


def test_precedence_and_implicit_and() -> None:
    node = parse_query('サンプル食品 (異物 OR 混入) NOT "サンプル 請求"')
    assert isinstance(node, And)
    first, middle, last = node.children
    assert isinstance(first, Term) and first.normalized == normalize("サンプル食品")
    assert isinstance(middle, Or) and [t.text for t in middle.children if isinstance(t, Term)] == [
        "異物",
        "混入",
    ]
    assert isinstance(last, Not) and isinstance(last.child, Term) and last.child.phrase


def test_or_binds_looser_than_and() -> None:
    node = parse_query("aa bb OR cc")
    assert isinstance(node, Or)
    assert isinstance(node.children[0], And)


def test_alternative_operators_and_full_width_brackets() -> None:
    node = parse_query("炎上 （異物 | 混入） -広告 & 「謝罪 会見」")
    leaves = [(leaf.text, negated) for leaf, negated in terms(node)]
    assert leaves == [("炎上", False), ("異物", False), ("混入", False), ("広告", True), ("謝罪 会見", False)]


def test_evaluate() -> None:
    node = parse_query("炎上 AND (異物 OR 混入) NOT 広告")
    assert evaluate(node, {"炎上", "異物"})
    assert not evaluate(node, {"炎上"})
    assert not evaluate(node, {"炎上", "混入", "広告"})


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "empty query", 0),
        ("   ", "empty query", 0),
        ("(異物 OR 混入", "missing closing parenthesis", 0),
        ("炎上 (異物", "missing closing parenthesis", 3),
        ("異物 OR", "'OR' needs a term", 3),
        ("炎上 AND AND 広告", "needs a term after it", 7),
        ("炎上 )", "unexpected ')'", 3),
        ('炎上 "謝罪', "unterminated phrase", 3),
        ("炎上 ()", "empty parentheses", 3),
        ("NOT 広告", "none of its terms", 0),
        ("炎上 OR NOT 広告", "none of its terms", 0),
        ('炎上 ""', "empty phrase", 3),
        ("炎上 x", "too short", 3),
    ],
)
def test_bad_queries_report_what_and_where(query: str, message: str, position: int) -> None:
    with pytest.raises(QuerySyntaxError) as error:
        parse_query(query)
    assert message in str(error.value)
    assert error.value.position == position
    assert "^" in str(error.value)
