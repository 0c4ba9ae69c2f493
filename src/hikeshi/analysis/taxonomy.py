"""The fixed risk taxonomy and severity levels shared by alerts, reports and the API."""

from __future__ import annotations

import bisect

CATEGORY_CODES: tuple[str, ...] = (
    "confidential_leak",
    "customer_privacy",
    "illegal_act",
    "misconduct_workplace",
    "discrimination",
    "harassment_abuse",
    "workplace_complaint",
    "complaint_quality",
    "safety_incident",
    "inappropriate_expression",
    "political_religious",
    "misinformation",
)

CATEGORY_LABELS_JA: dict[str, str] = {
    "confidential_leak": "機密情報の漏洩",
    "customer_privacy": "顧客・個人情報の漏洩",
    "illegal_act": "違法・危険行為",
    "misconduct_workplace": "不適切行為(バイトテロ等)",
    "discrimination": "差別・偏見",
    "harassment_abuse": "誹謗中傷・暴言",
    "workplace_complaint": "職場・取引先への不満",
    "complaint_quality": "商品・サービスへの苦情",
    "safety_incident": "事故・健康被害",
    "inappropriate_expression": "不謹慎・不適切な表現",
    "political_religious": "政治・宗教",
    "misinformation": "虚偽・デマ・なりすまし",
}

# What a person should do, appended to the explanation of the strongest category.
CATEGORY_ADVICE_JA: dict[str, str] = {
    "confidential_leak": "社外に出せない情報の可能性があるため投稿は控えてください。",
    "customer_privacy": "顧客のプライバシーに関わるため投稿は控えてください。",
    "illegal_act": "違法行為の告白と受け取られ、所属先の特定と炎上につながるため投稿しないでください。",
    "misconduct_workplace": "職場での不適切行為として拡散されやすいため投稿しないでください。",
    "discrimination": "特定の属性への偏見と受け取られるため表現を見直してください。",
    "harassment_abuse": "特定の相手への攻撃と受け取られるため投稿は控えてください。",
    "workplace_complaint": "勤務先や取引先が特定されると問題になるため、公開の場での投稿は控えてください。",
    "complaint_quality": "拡散されると評判に影響するため、担当部署での確認と対応を検討してください。",
    "safety_incident": "健康被害や事故に関わる内容のため、事実確認と早めの対応を検討してください。",
    "inappropriate_expression": "不謹慎と受け取られやすい表現のため見直してください。",
    "political_religious": "所属先の見解と受け取られるおそれがあるため、公式・特定可能なアカウントでは控えてください。",
    "misinformation": "事実確認のできない情報の拡散は控え、一次情報を確認してください。",
}

LEVELS: tuple[str, ...] = ("none", "low", "medium", "high", "critical")

# Lower bounds of each level on the calibrated 0-1 risk scale (index-aligned with LEVELS).
LEVEL_THRESHOLDS: tuple[float, ...] = (0.0, 0.15, 0.4, 0.65, 0.85)


def level_for(risk: float) -> str:
    """The level whose band holds ``risk``."""
    return LEVELS[max(0, bisect.bisect_right(LEVEL_THRESHOLDS, risk) - 1)]
