"""Lexicon pass 7 (2026.11.10): single words that are a risk only in context, and the evidence of a reprimand.

These check the rules alone (the ``analyzer`` fixture has no models), so they hold whether or not the trained
models are present.
"""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer

FLAGGED = {"medium", "high", "critical"}

# 「返品」「返金」 alone are a shop's policy or a return that went well, not a complaint.
NOT_A_COMPLAINT = [
    "返品・交換は購入後30日まで受け付けています",
    "返品したら全額返ってきた、対応早くて助かった",
    "服を返品して別の色を買い直した",
    # words that are a complaint only with a defect or a grievance next to them
    "いつもと違うカフェに行ってみた、雰囲気よかった",
    "人気のパン屋、30分待ちだったけど並んだ価値あり",
    "なにこれ美味しすぎる、このお店のプリン",
    "バスが遅いから歩いた、いい運動",
    "このお菓子、ついつい食べすぎちゃうの困る",
    "作り置きのおかず、弁当に詰めるだけで楽",
    "雪で景色が真っ白、ホテルの窓からの眺め最高",
    "前髪切られた、美容院で。可愛くなった",
    "朝から電車が遅延してたけど間に合った",
]

NOT_A_GRIEVANCE = [
    "店長に「最近頑張ってるね」って言われた、嬉しい",
    "会社の近くに勝手に猫が住みついてて癒し",
    "上司の誕生日ケーキ、みんなでカットした",
    "先輩の企画、会議で却下されたけど次は通るはず",
    "会議の前に課長に呼び出しされて何かと思ったら昇進の話だった",
    "職場のシュレッダー新しくなって静か",
    "会社の手当は交通費と住宅手当がある",
    "部活の練習、顧問が見てない時もみんな真面目",
    "上司が「それ皮肉じゃなくて本気で褒めてる」って言ってた",
]


@pytest.mark.parametrize("text", NOT_A_COMPLAINT)
def test_words_of_a_complaint_alone_are_not_a_complaint(analyzer: Analyzer, text: str) -> None:
    judgement = analyzer.analyze_one(text)
    assert "complaint_quality" not in {c.code for c in judgement.categories}, judgement.to_json()


@pytest.mark.parametrize("text", NOT_A_GRIEVANCE)
def test_ordinary_work_talk_is_not_a_grievance(analyzer: Analyzer, text: str) -> None:
    judgement = analyzer.analyze_one(text)
    assert judgement.level not in FLAGGED, judgement.to_json()


@pytest.mark.parametrize(
    "text",
    [
        "届いたワンピース、写真と全然違うから即返品した。二度と買わん",
        "返品したいって問い合わせたのに3日返事ない。どうなってんの",
        "★1 予約して行ったのに40分待たされた。説明もなし",
    ],
)
def test_a_return_or_a_wait_told_as_a_complaint_still_is(analyzer: Analyzer, text: str) -> None:
    judgement = analyzer.analyze_one(text)
    assert judgement.level in FLAGGED
    assert "complaint_quality" in {c.code for c in judgement.categories}


def test_a_reprimand_in_front_of_customers_quotes_the_act_not_the_customer(analyzer: Analyzer) -> None:
    text = "客の前でマネージャーに怒鳴られた。見せしめかよ"
    judgement = analyzer.analyze_one(text)
    assert judgement.level in FLAGGED
    codes = {c.code: c for c in judgement.categories}
    assert "workplace_complaint" in codes
    quoted = {e.text for c in judgement.categories for e in c.evidence}
    assert any("怒鳴" in q for q in quoted), quoted
    # 「客」 is where it happened, not whom the post insults.
    assert "客" not in quoted
    assert "harassment_abuse" not in codes


def test_the_boss_shouting_in_front_of_customers_is_a_workplace_grievance(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("店長が客の前で怒鳴ってた")
    codes = {c.code: c for c in judgement.categories}
    assert "workplace_complaint" in codes
    assert "harassment_abuse" not in codes
    quoted = [e.text for e in codes["workplace_complaint"].evidence]
    assert "客" not in quoted and any("怒鳴" in q for q in quoted), quoted


def test_a_customer_insulted_is_still_a_target(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("今日の客はほんまクソやった、死ねばいいのに")
    assert "harassment_abuse" in {c.code for c in judgement.categories}
