"""Every PII type, with original-text spans; numbers whose check digits fail must not match."""

from __future__ import annotations

import pytest

from hikeshi.analysis import Analyzer
from hikeshi.analysis.pii import PII_TYPES, luhn_valid, my_number_valid

FOUND = [
    ("phone", "連絡は090-1234-5678まで", "090-1234-5678"),
    ("phone", "代表 03(1234)5678 です", "03(1234)5678"),
    ("phone", "電話 ０３－１２３４－５６７８", "０３－１２３４－５６７８"),
    ("email", "送り先は taro.yamada@example.co.jp です", "taro.yamada@example.co.jp"),
    ("postal_code", "〒150-0041 に送って", "〒150-0041"),
    ("address", "住所は東京都渋谷区神南1-2-3です", "東京都渋谷区神南1-2-3"),
    ("address", "大阪市北区梅田3丁目1番1号の店", "大阪市北区梅田3丁目1番1号"),
    ("my_number", "マイナンバー 1234 5678 9018 を控えた", "1234 5678 9018"),
    ("card_number", "カード 4111-1111-1111-1111 で払った", "4111-1111-1111-1111"),
    ("bank_account", "振込先 口座番号 1234567", "1234567"),
    ("car_plate", "品川 300 あ 12-34 の車", "品川 300 あ 12-34"),
    ("person_name", "今日は山田太郎さんが来た", "山田太郎"),
]


def test_every_type_is_covered() -> None:
    assert {case[0] for case in FOUND} == set(PII_TYPES)


@pytest.mark.parametrize(("kind", "text", "value"), FOUND, ids=[f"{c[0]}-{i}" for i, c in enumerate(FOUND)])
def test_pii_found_with_original_span(analyzer: Analyzer, kind: str, text: str, value: str) -> None:
    pii = analyzer.analyze_one(text).pii
    matches = [p for p in pii if p.type == kind]
    assert matches, f"no {kind} in {[p.to_dict() for p in pii]}"
    item = matches[0]
    assert item.text == value
    assert text[item.start : item.end] == value


@pytest.mark.parametrize(
    "text",
    [
        "マイナンバー 1234 5678 9017",  # check digit should be 8
        "番号 123456789012",
        "カード 4111-1111-1111-1112",  # Luhn fails
        "注文番号 5555 5555 5555 4440",
        "電話 090-1234-567",  # too short
        "123-45678 は郵便番号ではない",
    ],
)
def test_invalid_numbers_do_not_match(analyzer: Analyzer, text: str) -> None:
    pii = analyzer.analyze_one(text).pii
    assert [p for p in pii if p.type in ("my_number", "card_number", "phone", "postal_code")] == []


def test_check_digit_algorithms() -> None:
    assert my_number_valid("123456789018")
    assert not my_number_valid("123456789017")
    assert not my_number_valid("12345678901")
    assert luhn_valid("4111111111111111")
    assert luhn_valid("5555555555554444")
    assert not luhn_valid("4111111111111112")


def test_sensitive_numbers_raise_customer_privacy(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("お客さんのカード番号 4111 1111 1111 1111 メモしといた")
    assert judgement.categories[0].code == "customer_privacy"
    assert judgement.level in ("high", "critical")


def test_customer_contact_is_a_leak(analyzer: Analyzer) -> None:
    judgement = analyzer.analyze_one("さっきのお客さんの電話番号 090-1111-2222 だった")
    assert judgement.category("customer_privacy") is not None
    assert judgement.level in ("high", "critical")


def test_skipping_branches_finds_what_the_whole_alternation_finds() -> None:
    """find_pii leaves out the branches a text cannot match (no digit, no @, no municipality mark) and starts where
    a match can first start: the same PII as the whole alternation scanned from the start, on PII-shaped and
    ordinary texts."""
    import random
    import re

    from hikeshi.analysis import pii

    whole = re.compile("|".join(branch for _, branch in pii._BRANCHES), pii._FLAGS)
    pieces = [
        "東京都新宿区西新宿2-8-1",
        "大阪市北区梅田1丁目",
        "品川 500 さ 12-34",
        "090-1234-5678",
        "〒160-0023",
        "taro.yamada@example.co.jp",
        "口座番号 1234567",
        "4111 1111 1111 1111",
        "123456789012",
        "03(1234)5678",
        "渋谷区",
        "市役所",
        "町内会",
        "郡山",
        "@friend_01",
        "#123",
        "今日は",
        "いい天気",
        "株式会社サンプル9の",
        "新商品",
        "横浜市中区",
        "北海道札幌市",
        " ",
        "、",
        "12",
        "3-4",
        "区の",
        "村で",
        "+81 90-1234-5678",
        "Taro.Y@Example.COM",
        "-1234",
        "ＡＢ",
    ]
    rng = random.Random(7)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(3000)]
    for text in texts:
        assert pii.find_pii(text) == pii._validated(whole.finditer(text)), text
