from __future__ import annotations

import pytest

from hikeshi.ingest.errors import RuleError
from hikeshi.ingest.routing import Router, RouterCache, WatchRule, WatchTerm, rules_fingerprint

SAMPLE = WatchRule(
    rule_id="brand",
    org_id="sample-foods",
    terms=(WatchTerm("サンプル食品", ("サンプルフーズ", "Sample Foods", "SPF")),),
    exclude=("サンプル食品株式会社 採用情報",),
)
MAC = WatchRule(
    rule_id="shop",
    org_id="burger",
    terms=(WatchTerm("マック", ("マクド", "McDonald's")),),
    ignore_contexts=("マックブック", "MacBook"),
)
INCIDENT = WatchRule(
    rule_id="incident", org_id="sample-foods", query="サンプル食品 AND (異物 OR 混入) NOT 謝罪済み"
)
SCHOOL = WatchRule(
    rule_id="school", org_id="gakuen", terms=(WatchTerm("見本学園", ("みほん学園", "Mihon Gakuen")),)
)


@pytest.fixture
def router() -> Router:
    return Router([SAMPLE, MAC, INCIDENT, SCHOOL])


def _hits(router: Router, text: str) -> dict[tuple[str, str], list[str]]:
    return {
        (str(m.org_id), str(m.rule_id)): [text[start:end] for start, end in m.spans]
        for m in router.route(text)
    }


@pytest.mark.parametrize(
    "text",
    [
        "サンプル食品まずい",
        "ｻﾝﾌﾟﾙ食品まずい",
        "さんぷる食品まずい",
        "サ ン プ ル 食 品まずい",
        "ＳＡＭＰＬＥ　ＦＯＯＤＳ is bad",
    ],
)
def test_variants_match_with_spans_in_the_original_text(router: Router, text: str) -> None:
    hits = _hits(router, text)
    assert list(hits) == [("sample-foods", "brand")]
    (span_text,) = hits[("sample-foods", "brand")]
    assert span_text == text[: len(span_text)]
    assert span_text.rstrip() == span_text
    assert span_text[-1] in "品SＳ"


def test_exclusion_vetoes_the_post(router: Router) -> None:
    assert _hits(router, "サンプル食品株式会社 採用情報のページ") == {}


def test_ignore_context_only_hides_hits_inside_it(router: Router) -> None:
    assert _hits(router, "マックブック買った") == {}
    assert _hits(router, "マックブック持ってマクド行ったら店員の態度が最悪") == {
        ("burger", "shop"): ["マクド"]
    }
    assert _hits(router, "MacBook抱えてマック") == {("burger", "shop"): ["マック"]}


def test_query_rule_and_term_rule_of_one_organisation(router: Router) -> None:
    text = "サンプル食品の弁当に異物が混入してた"
    matches = {m.rule_id: m for m in router.route(text)}
    assert set(matches) == {"brand", "incident"}
    incident = matches["incident"]
    assert [text[s:e] for s, e in incident.spans] == ["サンプル食品", "異物", "混入"]
    assert incident.matched == ("サンプル食品", "異物", "混入")
    assert {m.rule_id for m in router.route("サンプル食品の異物の件は謝罪済み")} == {"brand"}
    assert {m.rule_id for m in router.route("サンプル食品おいしい")} == {"brand"}


def test_ascii_terms_need_word_boundaries(router: Router) -> None:
    assert _hits(router, "SPFの弁当") == {("sample-foods", "brand"): ["SPF"]}
    assert _hits(router, "SPF50の日焼け止め") == {}
    assert _hits(router, "LSPF is not it") == {}
    assert _hits(router, "Mihon   Gakuen の生徒") == {("gakuen", "school"): ["Mihon   Gakuen"]}


def test_one_post_routes_to_several_organisations(router: Router) -> None:
    hits = _hits(router, "見本学園の生徒がマックでバイトテロ、サンプル食品も巻き添え")
    assert set(hits) == {("gakuen", "school"), ("burger", "shop"), ("sample-foods", "brand")}


def test_unrelated_posts_do_not_match(router: Router) -> None:
    for text in ["今日はいい天気", "", "サンプル品", "マク ロ"]:
        assert router.route(text) == []
    assert not router.has_candidates("今日はいい天気")
    assert router.has_candidates("さんぷるしょくひん サンプル食品")


def test_many_organisations_one_pass() -> None:
    rules = [
        WatchRule(
            rule_id=f"r{i}", org_id=f"org{i}", terms=(WatchTerm(f"会社{i:04d}号", (f"company{i:04d}",)),)
        )
        for i in range(1000)
    ]
    router = Router(rules)
    assert router.pattern_count == 2000
    matches = router.route("会社0042号とCOMPANY0999が提携")
    assert sorted(str(m.org_id) for m in matches) == ["org42", "org999"]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (WatchRule(rule_id=1, org_id=1), "neither terms nor a query"),
        (WatchRule(rule_id=1, org_id=1, terms=(WatchTerm("a"),)), "too short"),
        (WatchRule(rule_id=1, org_id=1, terms=(WatchTerm("  ・ "),)), "too short"),
        (WatchRule(rule_id=1, org_id=1, query="炎上 AND (異物"), "bad query"),
        (WatchRule(rule_id=1, org_id=1, terms=(WatchTerm("炎上"),), exclude=("x",)), "exclusion"),
    ],
)
def test_bad_rules_are_rejected_clearly(rule: WatchRule, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        Router([rule])


def test_duplicate_rule_ids_are_rejected() -> None:
    with pytest.raises(RuleError, match="duplicate"):
        Router([SAMPLE, SAMPLE])


def test_cache_rebuilds_only_when_rules_change() -> None:
    cache = RouterCache()
    first = cache.update([SAMPLE, MAC])
    assert cache.update([MAC, SAMPLE]) is first
    assert cache.rebuilds == 1
    second = cache.update([SAMPLE, MAC, SCHOOL])
    assert second is not first and cache.rebuilds == 2
    assert second.route("見本学園")
    assert rules_fingerprint([SAMPLE]) != rules_fingerprint([MAC])


def test_empty_router_matches_nothing() -> None:
    assert Router([]).route("サンプル食品") == []


@pytest.mark.parametrize(
    "text", ["ｻﾝﾌﾟﾙ食品の弁当に異物", "今日はいい天気", "Mac Book を買った", "サンプル食品 ＡＰＰ"]
)
def test_a_normalised_text_given_by_the_caller_routes_the_same(router: Router, text: str) -> None:
    from hikeshi.ingest.normalize import normalize

    assert router.route(text, normalize(text)) == router.route(text)
