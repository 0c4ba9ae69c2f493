"""Character classes derived from Python's Unicode database once per process, and an NFKC that only touches
the characters it must.

``unicodedata.normalize("NFKC", text)`` costs about 60 ns a character however few characters change, and the
models normalise every post with it. Most Japanese posts hold no character NFKC changes, or a few (「！」
「ｗ」「…」), so ``fast_nfkc`` finds those runs with one regex pass and normalises only them, each with the
character before it (a base it may compose with). The result is exactly NFKC: the argument is in ``fast_nfkc``'s
docstring and ``tests/analysis/test_unicode_tables.py`` checks it against the real thing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Planes that hold characters NFKC changes (BMP, SMP, SIP) and the tags / variation selectors plane; the
# others (CJK extensions, private use) have none in any Unicode version so far. The scan asks this Python's
# own database, so the tables follow the interpreter's Unicode version.
_SCANNED = (range(0, 0x30000), range(0xE0000, 0xE1000))
# Hangul vowel and trailing jamo compose algorithmically with the syllable or jamo before them.
_HANGUL_V = range(0x1161, 0x1176)
_HANGUL_T = range(0x11A8, 0x11C3)


@lru_cache(maxsize=1)
def nfkc_changing_code_points() -> tuple[int, ...]:
    """Every code point whose NFKC form differs from itself, in order."""
    changing: list[int] = []
    for plane in _SCANNED:
        for cp in plane:
            if 0xD800 <= cp <= 0xDFFF:
                continue
            if not unicodedata.is_normalized("NFKC", chr(cp)):
                changing.append(cp)
    return tuple(changing)


@lru_cache(maxsize=1)
def composing_bmp_code_points() -> tuple[int, ...]:
    """Characters of the BMP that NFKC may combine with or reorder against their neighbours although each
    alone is stable: combining marks (canonical class ≠ 0), the second character of a canonical composition
    pair, and the Hangul vowel and trailing jamo."""
    found: set[int] = set(_HANGUL_V) | set(_HANGUL_T)
    for cp in range(0x10000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        if unicodedata.combining(ch):
            found.add(cp)
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            parts = decomposition.split()
            if len(parts) == 2 and int(parts[1], 16) < 0x10000:
                found.add(int(parts[1], 16))
    return tuple(sorted(found))


def character_class(code_points: tuple[int, ...] | list[int]) -> str:
    """A regex character class body (no brackets) matching exactly ``code_points`` (sorted)."""
    ranges: list[list[int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )


@lru_cache(maxsize=1)
def _unstable_runs() -> re.Pattern[str]:
    bmp = sorted(
        {cp for cp in nfkc_changing_code_points() if cp < 0x10000} | set(composing_bmp_code_points())
    )
    # Every character outside the BMP counts as unstable: a class listing the astral ones would be compiled
    # as a list of ranges tried one by one on every character (ten times slower), and widening a run by
    # characters NFKC leaves alone keeps the result exact.
    return re.compile(f"(?:[{character_class(bmp)}]|[\\U00010000-\\U0010ffff])+")


def fast_nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, normalising only the runs that can change.

    Why it is exact: NFKC works segment by segment, a segment being a starter and the non-starters after it;
    reordering happens only among non-starters and composition joins a starter with a later character only
    where that character is a combining mark, the second of a composition pair or a Hangul vowel/trailing
    jamo. Every such character, and every character NFKC changes, is in the run class (which also takes in
    every character outside the BMP). A character outside the class is therefore a starter that NFKC leaves
    as it is and that nothing before it can absorb, and nothing after it can reach back past it. So cutting
    the text just before each run's base character (the one before the run, also outside the class) and just
    after the run cuts only between independent pieces.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    pieces: list[str] = []
    done = 0
    for run in _unstable_runs().finditer(text):
        start, end = run.span()
        if start > done:
            start -= 1  # the base character the run may compose with
        pieces.append(text[done:start])
        pieces.append(unicodedata.normalize("NFKC", text[start:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def warm_up() -> None:
    """Scan the Unicode database now rather than on the first post."""
    _unstable_runs()
