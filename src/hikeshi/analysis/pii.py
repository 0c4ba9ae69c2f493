"""Personal information in normalised text: patterns plus check-digit validation.

Spans are in normalised-text indices; the analyzer maps them to the original text. Names of persons come from
the tokenizer (see tokenizer.py), not from here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

PII_TYPES: tuple[str, ...] = (
    "phone",
    "email",
    "postal_code",
    "address",
    "my_number",
    "card_number",
    "bank_account",
    "car_plate",
    "person_name",
)
SENSITIVE_TYPES = frozenset({"my_number", "card_number", "bank_account"})

_PREFECTURES = (
    "北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|神奈川県|新潟県|富山県|"
    "石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|大阪府|兵庫県|奈良県|和歌山県|鳥取県|島根県|"
    "岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県"
)
_KANJI_KANA = r"[\u3005\u3041-\u3096\u30a1-\u30fa\u30fc\u4e00-\u9fff]"
_BLOCK = r"\d{1,4}(?:丁目|番地?|号|-\d{1,4})(?:\d{1,4}(?:番地?|号)|-\d{1,4}){0,3}"
_ADDRESS = (
    rf"(?:(?:{_PREFECTURES}){_KANJI_KANA}{{1,6}}?(?:市|区|町|村|郡)(?:{_KANJI_KANA}{{0,8}}?(?:{_BLOCK}))?"
    rf"|(?<!{_KANJI_KANA}){_KANJI_KANA}{{1,5}}?(?:市|区){_KANJI_KANA}{{1,8}}?{_BLOCK})"
)
_DIGIT_RUN = r"(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d])"

# Each branch with what a text must hold for it to match anywhere: an ASCII digit (after NFKC) for the number
# patterns, with a bank word for accounts and a plate's number-kana-serial core for car plates, "@" for e-mail,
# a municipality mark and a digit or a prefecture for addresses. A text lacking it skips
# the branch: the alternation then finds exactly what it would with the branch (the branch matches nowhere), and
# the address branch, tried at every kanji, is most of the scan's cost on ordinary posts.
_BRANCHES: tuple[tuple[str, str], ...] = (
    (
        "email",
        r"(?P<email>(?<![\w.+-])[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.[a-z]{2,24})",
    ),
    # Mobile, IP phone, landline (hyphens, spaces or brackets), toll-free, +81.
    (
        "digit",
        r"(?P<phone>(?<![\d-])(?:(?:\+81[- ]?|0)(?:[789]0[- ]?\d{4}[- ]?\d{4}|120[- ]?\d{3}[- ]?\d{3}"
        r"|\d{1,4}[- (]\d{1,4}[- )]\d{4}|\d{9}))(?![\d-]))",
    ),
    ("digit", r"(?P<postal_code>〒\s?\d{3}-?\d{4}(?!\d)|(?<![\d-])\d{3}-\d{4}(?![\d-]))"),
    ("address", rf"(?P<address>{_ADDRESS})"),
    ("digit", rf"(?P<digits>{_DIGIT_RUN})"),
    (
        "bank",
        r"(?P<bank_account>(?:口座|普通|当座)(?:預金)?(?:番号)?\s?[:：]?\s?(?:\d{3}\s?)?(?P<account>\d{7})(?!\d))",
    ),
    (
        "plate",
        rf"(?P<car_plate>{_KANJI_KANA}{{1,4}}\s?\d{{1,3}}\s?[\u3041-\u3093]\s?(?:\d{{2}}-\d{{2}}|[・･.]{{1,3}}\d{{1,3}})(?!\d))",
    ),
)
_FLAGS = re.ASCII | re.IGNORECASE
_DIGIT = re.compile(r"[0-9]")
_MUNICIPALITY = re.compile(r"[市区町村郡]")
_BANK_WORD = re.compile(r"口座|普通|当座")
# A plate's number, kana and serial: what car_plate needs after its place name (which it tries at every kanji).
_PLATE_CORE = re.compile(r"\d\s?[\u3041-\u3093]\s?(?:\d{2}-\d{2}|[・･.])")
_PREFECTURE = re.compile(_PREFECTURES)


# The characters a match of each kind of branch starts with: e-mail a letter or digit, the number patterns a digit,
# 「+」 or 「〒」. The other kinds start at any kanji and have none.
_STARTS = {"email": "a-z0-9", "digit": "0-9+〒"}


@lru_cache(maxsize=16)
def _pattern_for(needs: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str] | None] | None:
    """The alternation of the branches whose needs the text meets, in their fixed order, and where known a
    pattern for the first place a match can start (scanning from there finds the same matches)."""
    branches = [branch for need, branch in _BRANCHES if need in needs]
    if not branches:
        return None
    starts = None
    if needs <= _STARTS.keys():
        starts = re.compile("[" + "".join(_STARTS[need] for need in sorted(needs)) + "]", _FLAGS)
    return re.compile("|".join(branches), _FLAGS), starts


def _needs(text: str) -> frozenset[str]:
    found: set[str] = set()
    has_digit = _DIGIT.search(text) is not None
    if has_digit:
        found.add("digit")
        if _BANK_WORD.search(text) is not None:
            found.add("bank")
        if _PLATE_CORE.search(text) is not None:
            found.add("plate")
    if "@" in text:
        found.add("email")
    if _MUNICIPALITY.search(text) is not None and (has_digit or _PREFECTURE.search(text) is not None):
        found.add("address")
    return frozenset(found)


@dataclass(frozen=True)
class PiiMatch:
    type: str
    start: int
    end: int


def my_number_valid(digits: str) -> bool:
    """Check digit of the 12-digit 個人番号 (My Number), as defined by the 総務省令."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    body = digits[:11]
    total = 0
    for n in range(1, 12):
        p = int(body[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    check = 0 if remainder <= 1 else 11 - remainder
    return check == int(digits[11])


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _classify_digits(run: str) -> str | None:
    digits = run.replace(" ", "").replace("-", "")
    if len(digits) == 12 and my_number_valid(digits):
        return "my_number"
    if 13 <= len(digits) <= 19 and digits[0] in "3456" and luhn_valid(digits):
        return "card_number"
    return None


def _phone_ok(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    if text.startswith("+81"):
        return digits in (11, 12)
    return digits in (10, 11)


_VALIDATORS: dict[str, Callable[[str], bool]] = {"phone": _phone_ok}


def find_pii(text: str) -> list[PiiMatch]:
    """Every PII span in normalised ``text``; digit runs only count when their check digits verify."""
    chosen = _pattern_for(_needs(text))
    if chosen is None:
        return []
    pattern, starts = chosen
    first = 0
    if starts is not None:
        start = starts.search(text)
        if start is None:
            return []
        first = start.start()  # lookbehinds still see the text before it
    return _validated(pattern.finditer(text, first))


def _validated(matches: Iterable[re.Match[str]]) -> list[PiiMatch]:
    """The matches that are PII: check digits verified, phone numbers of a possible length."""
    found: list[PiiMatch] = []
    for match in matches:
        kind = match.lastgroup
        if kind is None:
            continue
        if kind == "account":  # the inner group of bank_account ends last
            kind = "bank_account"
        value = match.group()
        if kind == "digits":
            classified = _classify_digits(value)
            if classified is None:
                continue
            found.append(PiiMatch(classified, *match.span()))
            continue
        if kind == "bank_account":
            found.append(PiiMatch(kind, *match.span("account")))
            continue
        validator = _VALIDATORS.get(kind)
        if validator is not None and not validator(value):
            continue
        found.append(PiiMatch(kind, *match.span()))
    return found


_PREFILTER = re.compile(r"[0-9@都道府県市区]")


def may_contain_pii(text: str) -> bool:
    """False when ``text`` cannot hold any pattern PII (no digit, no @, no prefecture or city mark)."""
    return _PREFILTER.search(text) is not None
