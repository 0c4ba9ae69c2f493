"""``python -m hikeshi.analysis.training.kana_forms``: write ``lexicons/kana_forms.tsv`` (part of ``make train``).

People often write verbs in kana (「のんだ後そのまま運転してかえった」), and a term listed with kanji then misses.
For each lexicon term with a kanji verb or adjective, the forms with some or all of those tokens in the hiragana of
their MeCab (ipadic) reading are candidates: 「持ち帰った」 -> 「もちかえった」. A candidate is kept only when
- MeCab reads it back as the same verbs and adjectives (「言った」 -> 「いった」 reads as 行く: dropped), and
- no training sentence shows it coming from another word: in each sentence (JCommonsenseMorality's training rows, the
  team's rows, the development cases) rewritten with its verbs in kana, a candidate found where the sentence as
  written holds neither the term nor the candidate itself came from elsewhere (「とった」 from 取った in a sentence
  about 撮った's term; 「のんだ」 inside 「たのんだ」), and is dropped.
Measured (docs/analysis-evaluation-history.md, eighth session): the evaluation cases as written do not move; the test
cases rewritten with their verbs in kana, 189 -> 197 of 269 risky found.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import sys
from collections.abc import Iterable, Sequence

import ahocorasick_rs

from hikeshi.analysis.forms import KANA_FORMS_FILE
from hikeshi.analysis.lexicon import LEXICON_DIR, load_lexicon
from hikeshi.analysis.normalize import normalize
from hikeshi.analysis.robustness import kana_verbs
from hikeshi.analysis.tokenizer import Tokenizer
from hikeshi.analysis.training.data import (
    DataUnavailable,
    category_team_files,
    load_jcm,
    load_team_sentences,
)

_CONVERTED = ("動詞", "形容詞")
_MAX_COMBINATIONS = 8  # at most three kanji verbs or adjectives in one term


def _has_kanji(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in katakana)


def _lemma_readings(text: str, tokenizer: Tokenizer) -> list[tuple[str, str]]:
    """(part of speech, reading of the lemma) of each verb and adjective, the key a form must keep."""
    key: list[tuple[str, str]] = []
    for _start, _end, surface, features in tokenizer.tokens(text):
        fields = features.split(",")
        if fields[0] not in _CONVERTED:
            continue
        lemma = fields[6] if len(fields) > 6 and fields[6] != "*" else surface
        reading = ""
        for _s, _e, part, part_features in tokenizer.tokens(lemma):
            part_fields = part_features.split(",")
            reading += part_fields[7] if len(part_fields) > 7 and part_fields[7] != "*" else part
        key.append((fields[0], _hiragana(reading)))
    return key


def candidate_forms(term: str, tokenizer: Tokenizer) -> list[str]:
    """The term's forms with kanji verbs or adjectives in kana that read back as the same words (3+ characters)."""
    tokens = tokenizer.tokens(term)
    if not tokens or "".join(surface for _s, _e, surface, _f in tokens) != term:
        return []
    options: list[tuple[str, ...]] = []
    for _start, _end, surface, features in tokens:
        fields = features.split(",")
        if _has_kanji(surface) and fields[0] in _CONVERTED and len(fields) > 7 and fields[7] != "*":
            options.append((surface, _hiragana(fields[7])))
        else:
            options.append((surface,))
    if all(len(option) == 1 for option in options) or sum(len(o) > 1 for o in options) > 3:
        return []
    key = _lemma_readings(term, tokenizer)
    forms: list[str] = []
    for combination in itertools.islice(itertools.product(*options), _MAX_COMBINATIONS):
        form = "".join(combination)
        if form != term and len(form) >= 3 and _lemma_readings(form, tokenizer) == key:
            forms.append(form)
    return forms


def colliding_forms(
    candidates: dict[str, set[str]], sentences: Iterable[str], tokenizer: Tokenizer
) -> set[str]:
    """Candidates (form -> its source terms) that some sentence shows to come from another word."""
    forms = sorted(candidates)
    if not forms:
        return set()
    automaton = ahocorasick_rs.AhoCorasick(forms)
    colliding: set[str] = set()
    for sentence in sentences:
        written = normalize(sentence).text
        in_kana = normalize(kana_verbs(sentence, tokenizer)).text
        found = {
            forms[index] for index, _s, _e in automaton.find_matches_as_indexes(in_kana, overlapping=True)
        }
        for form in found:
            if form not in written and not any(term in written for term in candidates[form]):
                colliding.add(form)
    return colliding


def corpus(data_dir: pathlib.Path | None = None) -> list[str]:
    """Every sentence the collision check reads: JCommonsenseMorality train, the team's rows, the dev cases."""
    from hikeshi.analysis.evaluate import load_cases
    from hikeshi.analysis.training.category import DEV_CASES_DIR

    sentences = list(load_jcm("train", data_dir).texts)
    for path in category_team_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sentences.append(json.loads(line)["text"])
    for name in ("toxicity_team.tsv", "wrongdoing_team.tsv"):
        sentences.extend(load_team_sentences(name).texts)
    sentences.extend(case.text for case in load_cases(DEV_CASES_DIR))
    return sentences


def build(sentences: Sequence[str], lexicon_dir: pathlib.Path = LEXICON_DIR) -> list[tuple[str, str, str]]:
    """``(form, concept, term)`` for every kept form, sorted."""
    tokenizer = Tokenizer()
    sources: dict[str, set[tuple[str, str]]] = {}
    for concept in load_lexicon(lexicon_dir).concepts:
        for raw in concept.terms:
            term = normalize(raw).text
            if _has_kanji(term):
                for form in candidate_forms(term, tokenizer):
                    sources.setdefault(form, set()).add((concept.name, term))
    terms = {form: {term for _c, term in pairs} for form, pairs in sources.items()}
    dropped = colliding_forms(terms, sentences, tokenizer)
    return sorted(
        (form, concept, term)
        for form, pairs in sources.items()
        if form not in dropped
        for concept, term in pairs
    )


def write(rows: Sequence[tuple[str, str, str]], path: pathlib.Path) -> None:
    header = (
        "# Kana forms of lexicon terms: form<TAB>concept<TAB>term. Generated by "
        "`python -m hikeshi.analysis.training.kana_forms` (make train); do not edit by hand.\n"
    )
    path.write_text(header + "".join(f"{f}\t{c}\t{t}\n" for f, c, t in rows), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    del argv
    try:
        sentences = corpus()
    except DataUnavailable as exc:
        print(f"kana forms: {exc}", file=sys.stderr)
        return 1
    rows = build(sentences)
    write(rows, LEXICON_DIR / KANA_FORMS_FILE)
    print(
        f"kana forms: {len(rows)} forms of {len({(c, t) for _f, c, t in rows})} terms from {len(sentences)} sentences"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
