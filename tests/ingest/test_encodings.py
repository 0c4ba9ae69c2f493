from __future__ import annotations

import codecs

import pytest

from hikeshi.ingest.encodings import codec_for_label, declared_charset, decode_bytes

TEXT = "【炎上】サンプル食品の店舗で異物混入か。ﾊﾞｲﾄﾃﾛ疑惑も浮上、公式は「確認中」とコメント。"


@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8"])
def test_undeclared_japanese_is_detected(codec: str) -> None:
    decoded = decode_bytes(TEXT.encode(codec))
    assert decoded.text == TEXT
    assert decoded.encoding == codec


@pytest.mark.parametrize(
    ("codec", "label"), [("cp932", "Shift_JIS"), ("euc_jp", "EUC-JP"), ("utf-8", "UTF-8")]
)
def test_declared_http_charset_is_used(codec: str, label: str) -> None:
    decoded = decode_bytes(TEXT.encode(codec), http_charset=label)
    assert (decoded.text, decoded.evidence) == (TEXT, "http")


@pytest.mark.parametrize(
    ("codec", "wrong"), [("euc_jp", "Shift_JIS"), ("cp932", "EUC-JP"), ("cp932", "utf-8")]
)
def test_wrong_declared_charset_falls_back_to_detection(codec: str, wrong: str) -> None:
    decoded = decode_bytes(TEXT.encode(codec), http_charset=wrong)
    assert decoded.text == TEXT
    assert decoded.evidence == "guessed"


@pytest.mark.parametrize("codec", ["cp932", "euc_jp", "utf-8"])
def test_latin1_label_on_a_japanese_page_is_not_believed(codec: str) -> None:
    assert decode_bytes(TEXT.encode(codec), http_charset="iso-8859-1").text == TEXT


def test_latin1_label_on_western_text_is_kept() -> None:
    decoded = decode_bytes("Café crème".encode("latin-1"), http_charset="ISO-8859-1")
    assert decoded.text == "Café crème"


@pytest.mark.parametrize("codec", ["cp932", "euc_jp"])
def test_meta_charset_and_xml_declaration_are_read(codec: str) -> None:
    label = "Shift_JIS" if codec == "cp932" else "EUC-JP"
    html = f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={label}"></head>{TEXT}'
    decoded = decode_bytes(html.encode(codec))
    assert (decoded.evidence, TEXT in decoded.text) == ("declared", True)
    xml = f'<?xml version="1.0" encoding="{label}"?><rss>{TEXT}</rss>'
    assert declared_charset(xml.encode(codec)) == label
    assert TEXT in decode_bytes(xml.encode(codec)).text


def test_bom_wins_over_a_wrong_header() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"), http_charset="Shift_JIS")
    assert (decoded.text, decoded.evidence) == (TEXT, "bom")
    utf16 = decode_bytes(TEXT.encode("utf-16"))
    assert utf16.text == TEXT


def test_windows_only_characters_decode_via_cp932() -> None:
    text = "①②③ ㈱サンプル 髙島屋"  # NEC/IBM extensions that plain Shift_JIS lacks
    assert decode_bytes(text.encode("cp932"), http_charset="Shift_JIS").text == text


def test_garbage_never_raises() -> None:
    decoded = decode_bytes(bytes(range(256)) * 3)
    assert decoded.text


def test_codec_labels() -> None:
    assert codec_for_label("x-sjis") == "cp932"
    assert codec_for_label(" EUC-JP ") == "euc_jp"
    assert codec_for_label("no-such-charset") is None
    assert codec_for_label(None) is None
