"""Normalisation of Japanese SNS text with a map back to the characters the user wrote.

The normalised text is what lexicons and PII patterns see: NFKC (full/half width folded), ASCII lower case,
mask characters (伏せ字: ○●×＊…) unified to ``○``, zero-width characters and spaces between Japanese characters
removed (so 「死 ね」 reads as 「死ね」), letters spaced out with separators joined (「ば・か」→「ばか」), and runs of
three or more equal characters (other than digits) shortened. Text that needs none of this (most posts) is passed through as is.
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MASK = "○"
_MASK_CHARS = "○●〇◯◎×✕✖＊*■□◆◇☆★"
_MASK_TABLE = {ord(c): MASK for c in _MASK_CHARS if c != MASK}
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_FOLD_TABLE = {**_ASCII_LOWER, **_MASK_TABLE}
# Runs shortened to ONE character (stretching marks); other runs keep two (「ｗｗｗ」 -> "ww").
_SINGLE_KEEP = frozenset("ー〜~っッ!?.。…、,-_=")
_SEPARATORS = r"[\s\u3000・･.,_\-/|]"
_NON_ASCII_WORD = r"[^\x00-\x7f\s\u3000・･。、！？!?「」『』()（）]"


@lru_cache(maxsize=1)
def _nfkc_changing_class() -> str:
    """A regex character class of every code point that NFKC rewrites (computed once, ~50 ms)."""
    ranges: list[tuple[int, int]] = []
    planes = (range(0x80, 0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F300), range(0x2F800, 0x2FA20))
    for plane in planes:
        for cp in plane:
            if 0xD800 <= cp <= 0xDFFF:
                continue
            ch = chr(cp)
            if unicodedata.normalize("NFKC", ch) != ch:
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1] = (ranges[-1][0], cp)
                else:
                    ranges.append((cp, cp))
    parts = [re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges]
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=1)
def _special_pattern() -> re.Pattern[str]:
    changing = _nfkc_changing_class()
    combining = "[\u0300-\u036f\u3099\u309a\uff9e\uff9f]"
    zero_width = "[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]"
    return re.compile(
        "|".join(
            (
                # 「ば・か」「し ね」: single characters separated by dots or spaces.
                rf"(?P<spaced>(?<!{_NON_ASCII_WORD})(?:{_NON_ASCII_WORD}{_SEPARATORS}){{1,}}{_NON_ASCII_WORD}(?!{_NON_ASCII_WORD}))",
                r"(?P<repeat>(?P<unit>[^0-9\uff10-\uff19])(?P=unit){2,})",
                rf"(?P<zero>{zero_width}+)",
                rf"(?P<space>(?<={_NON_ASCII_WORD})[\s\u3000]+(?={_NON_ASCII_WORD}))",
                rf"(?P<nfkc>(?:{changing}|.{combining}){combining}*)",
            )
        ),
        re.DOTALL,
    )


@dataclass(frozen=True)
class OffsetMap:
    """Maps normalised indices back to the original text.

    The normalised text is a sequence of segments; segment ``k`` starts at normalised index ``norm_starts[k]``
    and covers original ``[orig_starts[k], orig_ends[k])``. An identity segment maps character for character;
    another maps every character to the whole original segment.
    """

    norm_starts: tuple[int, ...]
    orig_starts: tuple[int, ...]
    orig_ends: tuple[int, ...]
    identity: tuple[bool, ...]
    norm_length: int
    orig_length: int

    def start(self, norm_index: int) -> int:
        """Original index of the first character of a span that starts at ``norm_index``."""
        if not self.norm_starts:
            return min(norm_index, self.orig_length)
        if norm_index >= self.norm_length:
            return self.orig_length
        k = bisect.bisect_right(self.norm_starts, norm_index) - 1
        if self.identity[k]:
            return self.orig_starts[k] + (norm_index - self.norm_starts[k])
        return self.orig_starts[k]

    def end(self, norm_end: int) -> int:
        """Original index just past a span that ends (exclusive) at ``norm_end``."""
        if norm_end <= 0:
            return 0
        if not self.norm_starts:
            return min(norm_end, self.orig_length)
        last = norm_end - 1
        k = bisect.bisect_right(self.norm_starts, last) - 1
        if self.identity[k]:
            return self.orig_starts[k] + (last - self.norm_starts[k]) + 1
        return self.orig_ends[k]


@dataclass(frozen=True)
class NormalizedText:
    original: str
    text: str
    offsets: OffsetMap

    def span(self, norm_start: int, norm_end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of a normalised span."""
        return self.offsets.start(norm_start), self.offsets.end(norm_end)


def _identity_map(length: int) -> OffsetMap:
    return OffsetMap((), (), (), (), length, length)


def _nfkc_piece(segment: str) -> str:
    return unicodedata.normalize("NFKC", segment).translate(_FOLD_TABLE)


def normalize(text: str) -> NormalizedText:
    """Normalise ``text`` for matching, keeping the offset map."""
    pattern = _special_pattern()
    if pattern.search(text) is None:
        folded = text.translate(_FOLD_TABLE)
        return NormalizedText(text, folded, _identity_map(len(text)))
    pieces: list[str] = []
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    orig_ends: list[int] = []
    identity: list[bool] = []
    norm_pos = 0

    def emit(piece: str, orig_start: int, orig_end: int, is_identity: bool) -> None:
        nonlocal norm_pos
        if not piece:
            return
        pieces.append(piece)
        norm_starts.append(norm_pos)
        orig_starts.append(orig_start)
        orig_ends.append(orig_end)
        identity.append(is_identity)
        norm_pos += len(piece)

    def emit_chars(segment: str, orig_start: int) -> None:
        """NFKC a segment cluster by cluster so each output keeps its own original span."""
        if not segment:
            return
        folded = _nfkc_piece(segment)
        if len(folded) == len(segment) and unicodedata.normalize("NFKC", segment[0]) == folded[0]:
            emit(folded, orig_start, orig_start + len(segment), True)
            return
        i = 0
        while i < len(segment):
            j = i + 1
            while j < len(segment) and unicodedata.combining(
                unicodedata.normalize("NFKC", segment[j])[:1] or " "
            ):
                j += 1
            piece = _nfkc_piece(segment[i:j])
            emit(piece, orig_start + i, orig_start + j, len(piece) == j - i)
            i = j

    pos = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start > pos:
            emit(text[pos:start].translate(_FOLD_TABLE), pos, start, True)
        kind = match.lastgroup
        segment = match.group()
        if kind == "spaced":
            for offset, ch in enumerate(segment):
                if not re.fullmatch(_SEPARATORS, ch):
                    emit_chars(ch, start + offset)
        elif kind == "repeat":
            unit = _nfkc_piece(segment[0])
            keep = 1 if unit in _SINGLE_KEEP else 2
            if keep == 1:
                emit(unit, start, end, len(unit) == 1 and end - start == 1)
            else:
                emit(unit, start, start + 1, len(unit) == 1 and unit == segment[0])
                emit(unit, start + 1, end, False)
        elif kind == "nfkc":
            emit_chars(segment, start)
        # "zero" and "space" are dropped.
        pos = end
    if pos < len(text):
        emit(text[pos:].translate(_FOLD_TABLE), pos, len(text), True)
    offsets = OffsetMap(
        tuple(norm_starts), tuple(orig_starts), tuple(orig_ends), tuple(identity), norm_pos, len(text)
    )
    return NormalizedText(text, "".join(pieces), offsets)


def warm_up() -> None:
    """Build the compiled patterns now rather than on the first post."""
    _special_pattern()
    sys.intern(MASK)
