"""Does a judgement hold when the same post is written another common way?

People write 「なめちゃった」 as often as 「なめた」, 「のんだ」 for 「飲んだ」, 「うぜー」 for 「うざい」; a lexicon
written in one form misses the others without any case showing it (「…なめちゃった」 was low while 「…なめた」 was
critical until 2026-11-30). Each rewrite below turns the evaluation cases into one such form, mechanically and
crudely (it also touches words that are not verbs or adjectives), and ``hikeshi eval --section robustness``
compares the rewritten cases with the same cases as written: risky ones still found in their category at medium or
above, benign ones flagged.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable, Sequence
from typing import Any

_END = r"(?=[。、!！?？ｗw…\s]|$|けど|し|わ|よ|な)"
_PAST = re.compile(r"([\u3041-\u30ff\u4e00-\u9fff])([ただ])" + _END)
# Past forms of a copula, an adjective or a polite verb, not a verb's plain past: 「だった」「よかった」「ました」.
_NOT_PLAIN_PAST = ("だっ", "かっ", "まし", "でし")

_FUSED_KANA = dict(
    zip(
        "あかがさざただはばぱまらわおこごそぞとどのほぼぽもろくぐすつぬふぶぷむる",
        "えけげせぜてでへべぺめれええけげせぜてでねへべぺめれきぎしちにひびぴみり",
        strict=True,
    )
)
_ADJECTIVE = re.compile(
    "([" + "".join(_FUSED_KANA) + "])い" + r"(?=[。、!！?？ｗw…\s]|$|し|な|よ|わ|け|って)"
)


def _past_rewrite(after_ta: str, after_da: str) -> Callable[[str], str]:
    def rewrite(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            if text[max(0, match.start() - 1) : match.start() + 1] in _NOT_PLAIN_PAST:
                return match.group()
            return match.group(1) + (after_ta if match.group(2) == "た" else after_da)

        return _PAST.sub(one, text)

    return rewrite


def fused_adjectives(text: str) -> str:
    """「うざい。」 -> 「うぜー。」: an adjective's kana + い at a phrase end, fused as in rough speech."""
    return _ADJECTIVE.sub(lambda m: _FUSED_KANA[m.group(1)] + "ー", text)


def kana_verbs(text: str, tokenizer: Any) -> str:
    """Every verb and adjective token written with kanji, in the hiragana of its reading (MeCab, ipadic)."""
    out: list[str] = []
    position = 0
    for start, end, surface, features in tokenizer.tokens(text):
        out.append(text[position:start])
        fields = features.split(",")
        has_kanji = any("\u4e00" <= ch <= "\u9fff" for ch in surface)
        if has_kanji and fields[0] in ("動詞", "形容詞") and len(fields) > 7 and fields[7] != "*":
            out.append("".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in fields[7]))
        else:
            out.append(surface)
        position = end
    out.append(text[position:])
    return "".join(out)


def rewrites(tokenizer: Any) -> dict[str, Callable[[str], str]]:
    """The named rewrites, in report order."""
    return {
        "contracted_past": _past_rewrite("ちゃった", "じゃった"),  # 〜た -> 〜ちゃった
        "past_progressive": _past_rewrite("てた", "でた"),  # 〜た -> 〜てた
        "fused_adjectives": fused_adjectives,
        "kana_verbs": lambda text: kana_verbs(text, tokenizer),
    }


def evaluate_robustness(directory: pathlib.Path, model_dir: pathlib.Path | None = None) -> dict[str, Any]:
    from hikeshi.analysis import Analyzer, get_analyzer
    from hikeshi.analysis.evaluate import FLAGGED_LEVELS, SectionSkipped, load_cases
    from hikeshi.analysis.tokenizer import Tokenizer, TokenizerUnavailable

    try:
        tokenizer = Tokenizer()
    except TokenizerUnavailable as exc:
        raise SectionSkipped(f"no tokenizer for the kana rewrite: {exc}") from exc
    cases = load_cases(directory)
    analyzer = get_analyzer() if model_dir is None else Analyzer(model_dir=model_dir)

    def found(texts: Sequence[str], chosen: Sequence[Any]) -> tuple[int, int]:
        judgements = analyzer.analyze(list(texts))
        risky = benign = 0
        for case, judgement in zip(chosen, judgements, strict=True):
            flagged = judgement.level in FLAGGED_LEVELS
            if case.risky:
                risky += flagged and judgement.category(case.category) is not None
            else:
                benign += flagged
        return risky, benign

    figures: dict[str, Any] = {}
    for name, rewrite in rewrites(tokenizer).items():
        changed = [(case, rewritten) for case in cases if (rewritten := rewrite(case.text)) != case.text]
        chosen = [case for case, _ in changed]
        written_risky, written_benign = found([case.text for case in chosen], chosen)
        rewritten_risky, rewritten_benign = found([text for _, text in changed], chosen)
        figures[name] = {
            "risky_cases": sum(case.risky for case in chosen),
            "risky_found_as_written": written_risky,
            "risky_found_rewritten": rewritten_risky,
            "benign_cases": sum(not case.risky for case in chosen),
            "benign_flagged_as_written": written_benign,
            "benign_flagged_rewritten": rewritten_benign,
        }
    return {"cases_dir": str(directory), "rewrites": figures}


def render(section: dict[str, Any]) -> list[str]:
    lines = [
        f"[robustness] the cases rewritten into other common ways of writing, {section['cases_dir']} "
        "(risky: found in their category at medium or above; benign: flagged)",
        f"  {'rewrite':<19}{'risky':>6}{'as written':>12}{'rewritten':>11}{'benign':>8}{'as written':>12}"
        f"{'rewritten':>11}",
    ]
    for name, f in section["rewrites"].items():
        lines.append(
            f"  {name:<19}{f['risky_cases']:>6}{f['risky_found_as_written']:>12}{f['risky_found_rewritten']:>11}"
            f"{f['benign_cases']:>8}{f['benign_flagged_as_written']:>12}{f['benign_flagged_rewritten']:>11}"
        )
    return lines
