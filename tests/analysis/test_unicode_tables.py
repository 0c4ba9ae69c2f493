"""``fast_nfkc`` must equal ``unicodedata.normalize("NFKC", …)`` on every input: the models were trained on the latter."""

from __future__ import annotations

import random
import unicodedata

from hikeshi.analysis.unicode_tables import fast_nfkc, nfkc_changing_code_points

# Characters that make NFKC interesting: half-width kana with separate (han)dakuten, combining marks of several
# classes (reordering), Hangul jamo and syllables (algorithmic composition), compatibility forms, starters that
# are the second half of a composition pair, and plain text around them.
_TRICKY = (
    "ｶｷｸｹｺﾊﾋﾌﾍﾎｳﾞﾟｰ"  # half-width katakana, ﾞ ﾟ
    "かはカハが\u3099\u309a\u309b\u309c"  # kana and the combining / spacing voicing marks
    "e\u0301\u0327\u0323\u0302a\u0308o\u030cA"  # Latin with combining marks of different classes
    "\u1100\u1161\u11a8\u1112\u1175\uac00\ud55c"  # Hangul L, V, T jamo and syllables
    "\u0b47\u0b3e\u0b57\u09c7\u09be"  # Oriya / Bengali two-part vowels (starter + starter compositions)
    "\U0001d157\U0001d165\U000110a5\U000110ba\U0001d400"  # compositions and a compatibility form beyond the BMP
    "！？～ｗＷ１２３　…‥㍻㈱①ﾟ\u2460\u00bd\ufb01\u2126\u212b"  # compatibility and canonical singletons
    "\u200b\ufeff \n\x00\x02\x03"  # zero-width, spaces, control characters used as separators
    "今日はいい天気。炎上しない投稿🍺😋"
)


def test_equal_to_nfkc_on_random_mixtures() -> None:
    rng = random.Random(20261129)
    for _ in range(20_000):
        text = "".join(rng.choice(_TRICKY) for _ in range(rng.randint(0, 24)))
        assert fast_nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


def test_equal_to_nfkc_on_every_changing_character_after_each_base() -> None:
    bases = ("", "a", "か", "ｶ", "\u1100", "\uac00", "\u0b47")
    for cp in nfkc_changing_code_points():
        for base in bases:
            text = f"{base}{chr(cp)}x"
            assert fast_nfkc(text) == unicodedata.normalize("NFKC", text), (hex(cp), ascii(base))


def test_already_normalised_text_is_returned_as_is() -> None:
    text = "今日はいい天気だから散歩してきた"
    assert fast_nfkc(text) is text
