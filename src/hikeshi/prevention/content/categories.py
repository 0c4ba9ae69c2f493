"""Which guideline clauses each risk category touches, for features that cite rules (the pre-post checker).

The first key of every tuple is a clause present in every generated guideline, so a category can always be cited;
the later keys are added when the organisation's answers include them (patients, pupils, listed companies...).
"""

from __future__ import annotations

from .generator import Document, cite

CATEGORY_TO_CLAUSE_KEYS: dict[str, tuple[str, ...]] = {
    "confidential_leak": ("no_confidential_info", "insider_info", "photos_and_location"),
    "customer_privacy": (
        "no_customer_info",
        "no_patient_info",
        "no_pupil_info",
        "no_applicant_info",
        "photos_and_location",
    ),
    "illegal_act": ("lawful_conduct",),
    "misconduct_workplace": ("workplace_conduct", "photos_and_location"),
    "discrimination": ("respect_for_others",),
    "harassment_abuse": ("respect_for_others",),
    "workplace_complaint": ("complaints_channel",),
    "complaint_quality": ("complaints_and_quality",),
    "safety_incident": ("incidents",),
    "inappropriate_expression": ("appropriate_expression",),
    "political_religious": ("political_religious",),
    "misinformation": ("accuracy",),
}


def citations_for_category(guideline: Document, category: str) -> tuple[str, ...]:
    """「ガイドライン第7条」-style citations of the clauses ``category`` touches in this organisation's guideline."""
    if guideline.doc != "guideline":
        raise ValueError(f"ガイドライン以外の文書（{guideline.doc}）は対象外です")
    if category not in CATEGORY_TO_CLAUSE_KEYS:
        raise KeyError(f"未知のリスク分類コード「{category}」です")
    return tuple(
        cite(guideline, key) for key in CATEGORY_TO_CLAUSE_KEYS[category] if guideline.has_clause(key)
    )
