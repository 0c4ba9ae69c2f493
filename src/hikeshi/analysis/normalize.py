"""Normalisation of Japanese SNS text with a map back to the characters the user wrote.

The normalised text is what lexicons and PII patterns see: NFKC (full/half width folded), ASCII lower case,
mask characters (伏せ字: ○●×＊…) unified to ``○``, zero-width characters and spaces between Japanese characters
removed (so 「死 ね」 reads as 「死ね」), single characters spaced out with dots joined (「ば・か」→「ばか」), and runs
of three or more equal characters (other than digits) shortened.

It runs in up to three stages, each only when a cheap C-level search says it is needed, so most posts cost a
few regex searches and one ``str.translate``. Each stage keeps a map from its output back to its input.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from hikeshi.analysis.unicode_tables import (
    character_class,
    composing_bmp_code_points,
    nfkc_changing_code_points,
)
from hikeshi.analysis.unicode_tables import warm_up as unicode_warm_up

MASK = "○"
_MASK_CHARS = "○●〇◯◎×✕✖＊*■□◆◇☆★"
_FOLD_TABLE = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)} | {
    ord(c): MASK for c in _MASK_CHARS if c != MASK
}
# Runs shortened to ONE character (stretching marks); other runs keep two (「ｗｗｗ」 -> "ww").
_SINGLE_KEEP = frozenset("ー〜~っッ!?.。…、,-_=")
_SPACES = "\\s\u3000"
_ZERO_WIDTH = "\u200b-\u200f\u2060-\u2064\ufeff\u00ad"
_COMBINING = "\u0300-\u036f\u3099\u309a\uff9e\uff9f"
# A character of a Japanese word (not ASCII, not a space or punctuation).
_WORD = r"[^\x00-\x7f\s\u3000・。、！？「」『』（）]"
_SEPARATOR = r"[・.,_\-/|]"

_SUBRUN = re.compile(
    f"(?P<space>[{_SPACES}]+)|(?P<zero>[{_ZERO_WIDTH}]+)|(?P<other>[^{_SPACES}{_ZERO_WIDTH}]+)"
)
_SPACED = re.compile(rf"(?<!{_WORD})(?:{_WORD}{_SEPARATOR})+{_WORD}(?!{_WORD})")
_SPACED_HINT = re.compile(rf"{_WORD}{_SEPARATOR}{_WORD}")
_REPEAT = re.compile(r"([^0-9])\1{2,}", re.DOTALL)
# Cheap tests that let most posts skip the searches above: the charset of a pattern costs sre more per
# character than the search of these (measured: 1.7 µs against 0.4 µs a post for the first stage's runs).
_ANY_TRIPLE = re.compile(r"(.)\1\1", re.DOTALL)
_ANY_SEPARATOR = re.compile(_SEPARATOR)
# Characters of stage one's runs that an NFKC-normalised text may still hold.
_RUN_IN_NFKC = re.compile(f"[{_SPACES}{_ZERO_WIDTH}{_COMBINING}]")
_IS_WORD = re.compile(_WORD)


@lru_cache(maxsize=1)
def _run_pattern() -> re.Pattern[str]:
    """Runs of characters that stage one must rewrite: NFKC changes, spaces, zero-width, combining marks."""
    planes = (range(0x80, 0x10000), range(0x1D400, 0x1D800), range(0x1F100, 0x1F300), range(0x2F800, 0x2FA20))
    changing = character_class(
        [cp for cp in nfkc_changing_code_points() if any(cp in plane for plane in planes)]
    )
    return re.compile(f"[{changing}{_SPACES}{_ZERO_WIDTH}{_COMBINING}]+")


@lru_cache(maxsize=1)
def _one_to_one() -> tuple[dict[int, int | str], re.Pattern[str]]:
    """The run characters stage one maps to exactly one character, and a pattern for all the others.

    A text whose run characters are all of the first kind (「！」「ｗ」「Ａ」「ｶ」 without a voicing mark) comes out
    of stage one as ``text.translate(table)``, character for character, so it needs no offset map: the same
    result as the stage, for a fraction of its cost. Excluded: spaces other than a lone ASCII one and zero-width
    characters (removed or joined), combining marks and characters whose form is one or that a following mark may
    compose with.
    """
    run = _run_pattern()
    # Within a run the stage normalises the characters together: one that may compose with or reorder
    # against its neighbour would not come out as it does alone.
    composing = frozenset(composing_bmp_code_points())
    table: dict[int, int | str] = dict(_FOLD_TABLE)
    others: list[int] = []
    for cp in nfkc_changing_code_points():
        ch = chr(cp)
        if not run.fullmatch(ch):
            continue
        folded = _fold(ch)
        if len(folded) == 1 and ord(folded) not in composing and not ch.isspace():
            table[cp] = folded
        else:
            others.append(cp)
    # Every space but the ASCII one: a lone ASCII space the stage keeps as it is (see _spaces_kept).
    spaces = {cp for cp in range(0x10000) if cp != 0x20 and _ANY_SPACE.match(chr(cp))}
    return table, re.compile(f"[{character_class(sorted(set(others) | spaces))}{_ZERO_WIDTH}{_COMBINING}]")


_ANY_SPACE = re.compile(f"[{_SPACES}]")


def _spaces_kept(text: str, table: dict[int, int | str]) -> bool:
    """Whether stage one keeps every ASCII space of ``text`` as it is: each one alone (a run of spaces becomes
    one) and not between two characters of a Japanese word (such a space is removed: 「死 ね」)."""
    index = text.find(" ")
    while index >= 0:
        after = text[index + 1 : index + 2]
        if after == " ":
            return False
        if (
            index > 0
            and after
            and _IS_WORD.match(text[index - 1].translate(table))
            and _IS_WORD.match(after.translate(table))
        ):
            return False
        index = text.find(" ", index + 1)
    return True


@dataclass(frozen=True)
class OffsetMap:
    """Maps indices of one stage's output back to its input.

    The output is a sequence of segments; segment ``k`` starts at output index ``out_starts[k]`` and covers input
    ``[in_starts[k], in_ends[k])``. An identity segment maps character for character; another maps each of its
    characters to the whole input segment.
    """

    out_starts: tuple[int, ...]
    in_starts: tuple[int, ...]
    in_ends: tuple[int, ...]
    identity: tuple[bool, ...]
    out_length: int
    in_length: int

    def start(self, index: int) -> int:
        if index >= self.out_length:
            return self.in_length
        k = bisect.bisect_right(self.out_starts, index) - 1
        if self.identity[k]:
            return self.in_starts[k] + (index - self.out_starts[k])
        return self.in_starts[k]

    def end(self, index: int) -> int:
        if index <= 0:
            return 0
        last = min(index, self.out_length) - 1
        k = bisect.bisect_right(self.out_starts, last) - 1
        if self.identity[k]:
            return self.in_starts[k] + (last - self.out_starts[k]) + 1
        return self.in_ends[k]


@dataclass(frozen=True)
class NormalizedText:
    original: str
    text: str
    maps: tuple[OffsetMap, ...]  # applied last to first to reach the original

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``(start, end)`` of a span of the normalised text."""
        for offsets in reversed(self.maps):
            start, end = offsets.start(start), offsets.end(end)
        return start, end


class _Builder:
    """Collects output segments of one stage and their input spans."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces: list[str] = []
        self.out_starts: list[int] = []
        self.in_starts: list[int] = []
        self.in_ends: list[int] = []
        self.identity: list[bool] = []
        self.length = 0

    def emit(self, piece: str, in_start: int, in_end: int, identity: bool) -> None:
        if not piece:
            return
        self.pieces.append(piece)
        self.out_starts.append(self.length)
        self.in_starts.append(in_start)
        self.in_ends.append(in_end)
        self.identity.append(identity and len(piece) == in_end - in_start)
        self.length += len(piece)

    def last_char(self) -> str:
        return self.pieces[-1][-1] if self.pieces else ""

    def result(self) -> tuple[str, OffsetMap]:
        offsets = OffsetMap(
            tuple(self.out_starts),
            tuple(self.in_starts),
            tuple(self.in_ends),
            tuple(self.identity),
            self.length,
            len(self.source),
        )
        return "".join(self.pieces), offsets


def _fold(segment: str) -> str:
    return unicodedata.normalize("NFKC", segment).translate(_FOLD_TABLE)


def _emit_folded(builder: _Builder, segment: str, start: int) -> None:
    """NFKC a segment cluster by cluster (a base character and its combining marks) so each keeps its span."""
    folded = _fold(segment)
    if len(folded) == len(segment) and all(unicodedata.combining(c) == 0 for c in folded):
        builder.emit(folded, start, start + len(segment), True)
        return
    i = 0
    while i < len(segment):
        j = i + 1
        while j < len(segment) and (
            unicodedata.combining(segment[j]) or segment[j] in "\uff9e\uff9f"  # half-width (han)dakuten
        ):
            j += 1
        builder.emit(_fold(segment[i:j]), start + i, start + j, True)
        i = j


def _stage_width(text: str, first: re.Match[str]) -> tuple[str, OffsetMap]:
    builder = _Builder(text)
    pos = 0
    match: re.Match[str] | None = first
    iterator = _run_pattern().finditer(text, first.start())
    for match in iterator:
        start, end = match.span()
        if start > pos and unicodedata.combining(text[start]):
            start -= 1  # a combining mark belongs with the character before it
        if start > pos:
            builder.emit(text[pos:start].translate(_FOLD_TABLE), pos, start, True)
        for sub in _SUBRUN.finditer(text, start, end):
            kind = sub.lastgroup
            sub_start, sub_end = sub.span()
            if kind == "other":
                _emit_folded(builder, sub.group(), sub_start)
            elif kind == "space":
                following = _fold(text[sub_end : sub_end + 1])
                joins_words = _IS_WORD.match(builder.last_char()) and _IS_WORD.match(following)
                if not joins_words:
                    builder.emit(" ", sub_start, sub_end, False)
            # zero-width characters are dropped
        pos = end
    if pos < len(text):
        builder.emit(text[pos:].translate(_FOLD_TABLE), pos, len(text), True)
    return builder.result()


def _stage_regex(
    text: str, pattern: re.Pattern[str], rewrite: Callable[[_Builder, re.Match[str]], None]
) -> tuple[str, OffsetMap]:
    builder = _Builder(text)
    pos = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start > pos:
            builder.emit(text[pos:start], pos, start, True)
        rewrite(builder, match)
        pos = end
    if pos < len(text):
        builder.emit(text[pos:], pos, len(text), True)
    return builder.result()


def _join_spaced(builder: _Builder, match: re.Match[str]) -> None:
    start = match.start()
    for offset, ch in enumerate(match.group()):
        if offset % 2 == 0:
            builder.emit(ch, start + offset, start + offset + 1, True)


def _shorten_run(builder: _Builder, match: re.Match[str]) -> None:
    start, end = match.span()
    unit = match.group(1)
    if unit in _SINGLE_KEEP:
        builder.emit(unit, start, end, False)
    else:
        builder.emit(unit, start, start + 1, True)
        builder.emit(unit, start + 1, end, False)


def normalize(text: str) -> NormalizedText:
    """Normalise ``text`` for matching, keeping the map back to ``text``."""
    maps: list[OffsetMap] = []
    first = _first_run(text)
    if first is None:
        current = text.translate(_FOLD_TABLE)
    elif _one_to_one()[1].search(text, first.start()) is None and _spaces_kept(text, _one_to_one()[0]):
        current = text.translate(_one_to_one()[0])
    else:
        current, offsets = _stage_width(text, first)
        maps.append(offsets)
    return _later_stages(text, current, maps)


def _first_run(text: str) -> re.Match[str] | None:
    """The first run stage one must rewrite, as ``_run_pattern().search(text)`` finds it.

    A text that NFKC leaves as it is holds no character NFKC changes, so only spaces, zero-width characters
    and combining marks can start a run there; most posts are such texts, and this test is the cheaper.
    """
    if unicodedata.is_normalized("NFKC", text) and _RUN_IN_NFKC.search(text) is None:
        return None
    return _run_pattern().search(text)


def _later_stages(original: str, current: str, maps: list[OffsetMap]) -> NormalizedText:
    """Stages two and three (spaced-out letters joined, long runs shortened) on stage one's output."""
    if _ANY_SEPARATOR.search(current) is not None and _SPACED_HINT.search(current) is not None:
        current, offsets = _stage_regex(current, _SPACED, _join_spaced)
        maps.append(offsets)
    if _ANY_TRIPLE.search(current) is not None and _REPEAT.search(current) is not None:
        current, offsets = _stage_regex(current, _REPEAT, _shorten_run)
        maps.append(offsets)
    return NormalizedText(original, current, tuple(maps))


def warm_up() -> None:
    """Build the character classes now rather than on the first post."""
    _run_pattern()
    _one_to_one()
    unicode_warm_up()
