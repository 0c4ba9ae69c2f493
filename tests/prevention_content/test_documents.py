"""The four generated documents: numbering, filling, conditional clauses, citations."""

from __future__ import annotations

import json
import re

import pytest

from hikeshi.prevention.content import (
    CATEGORY_TO_CLAUSE_KEYS,
    DOC_CODES,
    AnswersInvalid,
    ContentError,
    citations_for_category,
    cite,
    generate,
    generate_all,
)
from hikeshi.prevention.content.templates import load_template

from .conftest import KINDS, answers_for

EVERYTHING = {
    "posters": ["full_time", "part_time", "contractors", "students", "job_offer_holders"],
    "sensitive_info": [
        "patients", "customers", "famous_visitors", "pupils", "unreleased_products", "financial_results",
        "applicants_data",
    ],
    "has_official_accounts": True,
    "official_platforms": ["x", "instagram", "youtube"],
}  # fmt: skip
UNFILLED = re.compile(r"\{[^{}]*\}")


@pytest.mark.parametrize("extra", [{}, EVERYTHING], ids=["minimal", "everything"])
def test_every_kind_gets_four_complete_documents(kind: str, extra: dict[str, object]) -> None:
    answers = answers_for(kind, **extra)
    documents = generate_all(answers)
    assert tuple(documents) == DOC_CODES
    for code, document in documents.items():
        assert document.doc == code
        numbers = [clause.number for clause in document.clauses]
        assert numbers == list(range(1, len(numbers) + 1)), code
        markdown = document.to_markdown()
        assert answers["org_name"] in markdown
        assert not UNFILLED.search(markdown), (code, UNFILLED.findall(markdown))
        assert "第第" not in markdown and "None" not in markdown
        for clause in document.clauses:
            assert clause.body.strip(), (code, clause.key)
            assert all(item.strip() for item in clause.items)
        # The JSON form carries everything the lead's pages and exporters need.
        data = json.loads(json.dumps(document.to_dict(), ensure_ascii=False))
        assert [c["citation"] for c in data["clauses"]] == [cite(document, c.key) for c in document.clauses]


def test_org_name_appears_in_first_clause_of_rules() -> None:
    for code in ("guideline", "account-rules"):
        document = generate(code, answers_for("company"))
        assert "株式会社ひかり精工（以下「当社」という。）" in document.clauses[0].body


def test_manual_is_substantial_and_has_required_parts() -> None:
    manual = generate("manual", answers_for("company"))
    assert len(manual.clauses) >= 30
    assert len(manual.chapters) >= 8
    keys = {clause.key for clause in manual.clauses}
    assert {
        "risk_list", "severity_levels", "roles", "first_24_hours", "evidence", "statement_apology",
        "statement_progress", "statement_unfounded", "deletion_requests", "disclosure_requests",
        "recurrence_prevention",
    } <= keys  # fmt: skip
    levels = manual.clause("severity_levels").items
    for label in (
        "レベル0（平常）",
        "レベル1（注意）",
        "レベル2（警戒）",
        "レベル3（炎上）",
        "レベル4（大炎上）",
    ):
        assert any(item.startswith(label) for item in levels), label
    assert len(manual.clause("risk_list").items) == 12
    assert len(manual.clause("first_24_hours").items) >= 10
    examples = [e for c in manual.clauses for e in c.examples]
    assert len(examples) >= 4 and all("株式会社ひかり精工" in e.text for e in examples)


@pytest.mark.parametrize(
    ("kind", "overrides", "key", "present"),
    [
        ("hospital_care", {}, "no_patient_info", True),
        ("company", {}, "no_patient_info", False),
        ("company", {"sensitive_info": ["patients"]}, "no_patient_info", True),
        ("school", {}, "no_pupil_info", True),
        ("shop_chain", {}, "no_pupil_info", False),
        ("company", {"listed": True}, "insider_info", True),
        ("company", {"listed": False}, "insider_info", False),
        ("school", {"sensitive_info": ["financial_results"]}, "insider_info", True),
        ("company", {"posters": ["full_time", "job_offer_holders"]}, "job_offer_holders", True),
        ("company", {"posters": ["full_time"]}, "job_offer_holders", False),
        ("company", {"sensitive_info": ["applicants_data"]}, "no_applicant_info", True),
        (
            "company",
            {"has_official_accounts": True, "official_platforms": ["x"]},
            "official_distinction",
            True,
        ),
        ("company", {"has_official_accounts": False}, "official_distinction", False),
    ],
)
def test_conditional_guideline_clauses(
    kind: str, overrides: dict[str, object], key: str, present: bool
) -> None:
    assert generate("guideline", answers_for(kind, **overrides)).has_clause(key) is present


def test_famous_visitor_item_follows_the_answer() -> None:
    famous = "著名人（芸能人、スポーツ選手、政治家等）"
    office = generate("guideline", answers_for("company"))
    assert not any(famous in item for item in office.clause("no_customer_info").items)
    shop = generate("guideline", answers_for("shop_chain"))
    assert any(famous in item for item in shop.clause("no_customer_info").items)
    visitors = generate("guideline", answers_for("company", sensitive_info=["famous_visitors"]))
    assert any(famous in item for item in visitors.clause("no_customer_info").items)


def test_listing_adds_insider_paragraph_and_disclosure_step() -> None:
    listed = generate_all(answers_for("company", listed=True))
    assert "金融商品取引法" in listed["guideline"].clause("insider_info").body
    assert any("適時開示" in item for item in listed["manual"].clause("response_level_4").items)
    unlisted = generate("manual", answers_for("company"))
    assert not any("適時開示" in item for item in unlisted.clause("response_level_4").items)


def test_listed_is_not_asked_of_schools() -> None:
    # A stale "listed" answer from a form that switched kind must not add insider rules to a school.
    school = generate("guideline", answers_for("school", listed=True))
    assert not school.has_clause("insider_info")


def test_titles_and_terms_follow_the_kind() -> None:
    school = generate("guideline", answers_for("school", school_level="university"))
    assert school.title == "学生・教職員向けソーシャルメディア利用ガイドライン"
    assert "教職員及び学生（以下「教職員・学生」という。）" in school.clauses[0].body
    assert (
        generate("guideline", answers_for("company")).title == "従業員向けソーシャルメディア利用ガイドライン"
    )
    assert (
        generate("guideline", answers_for("public_office")).title
        == "職員向けソーシャルメディア利用ガイドライン"
    )
    custom = generate("policy", answers_for("public_office", short_name="本県"))
    assert "（以下「本県」といいます。）" in custom.preamble[0]
    assert "本市" not in custom.to_markdown()


def test_cross_references_follow_renumbering() -> None:
    small = generate("guideline", answers_for("company"))
    large = generate("guideline", answers_for("company", **EVERYTHING, listed=True))
    assert small.clause("reporting_contact").number < large.clause("reporting_contact").number
    for document in (small, large):
        expected = f"{document.clause('reporting_contact').label}の窓口"
        assert expected in document.clause("lawful_conduct").body


def test_cite() -> None:
    guideline = generate("guideline", answers_for("company"))
    assert cite(guideline, "purpose") == "ガイドライン第1条"
    assert cite(guideline, "scope") == "ガイドライン第2条"
    manual = generate("manual", answers_for("company"))
    assert cite(manual, "purpose") == "炎上対応マニュアル第1条"
    with pytest.raises(KeyError, match="no_patient_info"):
        cite(guideline, "no_patient_info")


def test_every_category_maps_to_guideline_clauses(kind: str) -> None:
    assert set(CATEGORY_TO_CLAUSE_KEYS) == {
        "confidential_leak", "customer_privacy", "illegal_act", "misconduct_workplace", "discrimination",
        "harassment_abuse", "workplace_complaint", "complaint_quality", "safety_incident",
        "inappropriate_expression", "political_religious", "misinformation",
    }  # fmt: skip
    template_keys = set(load_template("guideline").clause_keys)
    guideline = generate("guideline", answers_for(kind))
    for category, keys in CATEGORY_TO_CLAUSE_KEYS.items():
        assert set(keys) <= template_keys, category
        # The first key is always present, so every category can be cited for every organisation.
        assert guideline.has_clause(keys[0]), (kind, category)
        assert citations_for_category(guideline, category)[0] == cite(guideline, keys[0])


def test_categories_match_the_analysis_taxonomy() -> None:
    taxonomy = pytest.importorskip("hikeshi.analysis.taxonomy", reason="analysis package not importable")
    assert set(CATEGORY_TO_CLAUSE_KEYS) == set(taxonomy.CATEGORY_CODES)


def test_citations_for_patients_include_patient_clause() -> None:
    guideline = generate("guideline", answers_for("hospital_care"))
    citations = citations_for_category(guideline, "customer_privacy")
    assert cite(guideline, "no_patient_info") in citations
    with pytest.raises(KeyError):
        citations_for_category(guideline, "no_such_category")


def test_unknown_document_code() -> None:
    with pytest.raises(ContentError, match="account-rules"):
        generate("rules", answers_for("company"))


def test_bad_answers_are_rejected_with_question_ids() -> None:
    with pytest.raises(AnswersInvalid) as caught:
        generate("policy", {"kind": "zoo", "posters": "full_time"})
    ids = {issue.question_id for issue in caught.value.issues}
    assert {"kind", "posters", "org_name", "pr_contact"} <= ids


def test_answer_text_is_inserted_literally() -> None:
    # Braces in an organisation's name must not be taken for placeholders or break the generator.
    document = generate("guideline", answers_for("company", org_name="株式会社{self}テスト"))
    assert "株式会社{self}テスト（以下「当社」という。）" in document.clauses[0].body


def test_markdown_layout() -> None:
    markdown = generate("guideline", answers_for("company")).to_markdown()
    assert markdown.startswith("# 従業員向けソーシャルメディア利用ガイドライン\n")
    assert "## 第1条（目的）" in markdown
    assert "\n２　" in markdown  # later paragraphs are numbered the way Japanese rules number them
    assert "## 附則" in markdown and "制定の日から施行する" in markdown
    manual = generate("manual", answers_for("company")).to_markdown()
    assert "## 第1章　総則" in manual and "### 第1条（目的）" in manual
    assert "> 〔年月日〕" in manual


def test_effective_date() -> None:
    document = generate("guideline", answers_for("company", effective_date="2026年4月1日"))
    assert document.supplementary == ("本ガイドラインは、2026年4月1日から施行する。",)
    assert generate("policy", answers_for("company")).supplementary == ()
    assert generate("policy", answers_for("company", effective_date="2026年4月1日")).supplementary == (
        "2026年4月1日　制定",
    )


@pytest.mark.parametrize("kind_name", KINDS)
def test_school_only_wording_stays_in_schools(kind_name: str) -> None:
    markdown = generate("guideline", answers_for(kind_name)).to_markdown()
    assert ("教育基本法" in markdown) is (kind_name == "school")
    assert ("地方公務員法" in markdown) is (kind_name == "public_office")
    assert ("保健師助産師看護師法" in markdown) is (kind_name == "hospital_care")
