"""Turning fetched bytes into text, with care for Japanese pages.

Order of evidence: byte-order mark, the HTTP charset, an XML declaration or ``<meta charset>``; a
declaration is only believed if the bytes actually decode with it (Japanese sites often declare
Shift_JIS while serving EUC-JP or UTF-8). Without usable evidence we try UTF-8, then score CP932
(the Windows superset of Shift_JIS) against EUC-JP by how Japanese the decoded text looks.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_BYTES = 4096
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)

# Labels seen on Japanese sites, mapped to the Python codec that decodes what they really send.
_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "csshiftjis": "cp932",
    "cp932": "cp932",
    "euc-jp": "euc_jp",
    "euc_jp": "euc_jp",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "iso-2022-jp": "iso2022_jp_ext",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    # WHATWG: these labels mean windows-1252 on the web.
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
}
_SINGLE_BYTE_WESTERN = {"cp1252", "latin_1", "iso8859-1"}
_CONFIDENT_JAPANESE = 0.8


@dataclass(frozen=True, slots=True)
class DecodedText:
    text: str
    encoding: str
    """The Python codec name used."""
    evidence: str
    """Where the encoding came from: bom, http, declared, utf-8, guessed or fallback (lossy)."""


def codec_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label, or None if the label is unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset an XML declaration or HTML ``<meta>`` in the first bytes names, if any."""
    head = data[:_SNIFF_BYTES]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def japanese_score(text: str) -> float:
    """Share of characters that are plausible in Japanese text (ASCII, kana, common kanji, punctuation).

    Half-width katakana and rare symbol blocks count against: they are what EUC-JP bytes look like
    when misread as CP932 and vice versa.
    """
    if not text:
        return 0.0
    good = 0
    for char in text:
        code = ord(char)
        if (
            code < 0x80
            or 0x3040 <= code <= 0x30FF  # hiragana, katakana
            or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
            or 0x3000 <= code <= 0x303F  # CJK punctuation
            or 0xFF01 <= code <= 0xFF5E  # full-width ASCII
        ):
            good += 1
    return good / len(text)


def _is_doubtful_single_byte(data: bytes, codec: str) -> bool:
    # A Western single-byte label (almost) never fails to decode, so it cannot be checked by decoding.
    # If the bytes also read as clean UTF-8 or clean Japanese, the label is almost certainly wrong.
    if codec not in _SINGLE_BYTE_WESTERN or not any(b >= 0x80 for b in data):
        return False
    if _strict(data, "utf-8") is not None:
        return True
    for japanese in ("cp932", "euc_jp"):
        text = _strict(data, japanese)
        if text is not None and japanese_score(text) >= _CONFIDENT_JAPANESE:
            return True
    return False


def decode_bytes(data: bytes, http_charset: str | None = None) -> DecodedText:
    """Decode ``data``; never raises. Falls back to UTF-8 with replacement characters as a last resort."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is not None:
                return DecodedText(text, codec, "bom")
    for label, evidence in ((http_charset, "http"), (declared_charset(data), "declared")):
        declared_codec = codec_for_label(label)
        if declared_codec is None or _is_doubtful_single_byte(data, declared_codec):
            continue
        text = _strict(data, declared_codec)
        if text is not None:
            return DecodedText(text, declared_codec, evidence)
    text = _strict(data, "utf-8")
    if text is not None:
        return DecodedText(text, "utf-8", "utf-8")
    candidates = [(codec, _strict(data, codec)) for codec in ("cp932", "euc_jp", "iso2022_jp_ext")]
    scored = [(japanese_score(text), codec, text) for codec, text in candidates if text is not None]
    if scored:
        # Stable order on ties: CP932 is the commoner encoding on Japanese sites.
        best = max(scored, key=lambda item: item[0])
        return DecodedText(best[2], best[1], "guessed")
    return DecodedText(data.decode("utf-8", errors="replace"), "utf-8", "fallback")
