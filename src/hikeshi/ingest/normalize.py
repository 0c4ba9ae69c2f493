"""One normalisation for watch terms and post text, so spelling variants meet.

Steps: NFKC (full/half-width, ｻﾝﾌﾟﾙ → サンプル), case folding, katakana → hiragana, small kana → large
(キャノン and キヤノン meet), dash-like marks after kana → ー with runs collapsed, and removal of
whitespace, zero-width characters and the middle dot ・. ``normalize`` is the fast path (C-level string
operations only) used on every post; ``normalize_with_offsets`` produces the same string plus, for each
output character, the span of the original text it came from — used only for posts that matched.
"""

from __future__ import annotations

import re
import unicodedata

_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ .. ヶ
_KANA_SHIFT = 0x60
_SMALL_TO_LARGE = {
    "ぁ": "あ", "ぃ": "い", "ぅ": "う", "ぇ": "え", "ぉ": "お",
    "っ": "つ", "ゃ": "や", "ゅ": "ゆ", "ょ": "よ", "ゎ": "わ", "ゕ": "か", "ゖ": "け",
}  # fmt: skip
_REMOVED = (
    " \t\n\r\f\v\u00a0\u3000\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u30fb\uff65"
)


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for code in range(_KATA_START, _KATA_END + 1):
        hira = chr(code - _KANA_SHIFT)
        table[code] = _SMALL_TO_LARGE.get(hira, hira)
    table[0x30FD] = "ゝ"
    table[0x30FE] = "ゞ"
    for small, large in _SMALL_TO_LARGE.items():
        table[ord(small)] = large
    for char in _REMOVED:
        table[ord(char)] = None
    return table


_TABLE = _build_table()
_KANA_CLASS = "\u3041-\u3096\u309d\u309e\u30fc"  # after folding every kana is hiragana (plus ー)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u301c\uff5e~\\-"
_LONG_VOWEL = re.compile(f"(?<=[{_KANA_CLASS}])[{_DASHES}\u30fc]+|\u30fc[{_DASHES}\u30fc]+")
_COMBINING_EXTRA = frozenset("\uff9e\uff9f\u3099\u309a")


def normalize(text: str) -> str:
    """The matching form of ``text``. Idempotent: normalize(normalize(x)) == normalize(x)."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TABLE)
    return _LONG_VOWEL.sub("\u30fc", folded)


_PIECES: dict[str, str] = {}
_PIECES_MAX = 50_000


def _piece(segment: str) -> str:
    # Posts reuse a small alphabet, so memoising per character makes the offset path several times faster.
    piece = _PIECES.get(segment)
    if piece is None:
        piece = unicodedata.normalize("NFKC", segment).casefold().translate(_TABLE)
        if len(segment) == 1 and len(_PIECES) < _PIECES_MAX:
            _PIECES[segment] = piece
    return piece


def _fold_with_origins(text: str) -> tuple[str, list[tuple[int, int]]]:
    # Common case: text already in NFKC with a length-preserving case fold. Then every character
    # maps to exactly one character (or is removed), and the origins need no per-character NFKC.
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.casefold()
        if len(lowered) == len(text):
            folded = lowered.translate(_TABLE)
            if len(folded) == len(text):
                return folded, list(zip(range(len(text)), range(1, len(text) + 1), strict=True))
            return folded, [(i, i + 1) for i, char in enumerate(lowered) if char not in _REMOVED]
    return _fold_by_segment(text)


def _fold_by_segment(text: str) -> tuple[str, list[tuple[int, int]]]:
    chars: list[str] = []
    origins: list[tuple[int, int]] = []
    length = len(text)
    start = 0
    combining = unicodedata.combining
    while start < length:
        # A base character plus the marks NFKC may compose into it (ｻ + ﾞ → ザ) is normalised as one
        # segment; everything else one character at a time.
        end = start + 1
        while end < length and (combining(text[end]) or text[end] in _COMBINING_EXTRA):
            end += 1
        piece = _piece(text[start:end])
        if len(piece) == 1:
            chars.append(piece)
            origins.append((start, end))
        else:
            for char in piece:
                chars.append(char)
                origins.append((start, end))
        start = end
    return "".join(chars), origins


def normalize_with_offsets(text: str) -> tuple[str, list[tuple[int, int]]]:
    """(normalised text, origin span in ``text`` for every normalised character)."""
    folded, origins = _fold_with_origins(text)
    out_chars: list[str] = []
    out_origins: list[tuple[int, int]] = []
    position = 0
    for match in _LONG_VOWEL.finditer(folded):
        out_chars.append(folded[position : match.start()])
        out_origins.extend(origins[position : match.start()])
        out_chars.append("\u30fc")
        out_origins.append((origins[match.start()][0], origins[match.end() - 1][1]))
        position = match.end()
    out_chars.append(folded[position:])
    out_origins.extend(origins[position:])
    return "".join(out_chars), out_origins
