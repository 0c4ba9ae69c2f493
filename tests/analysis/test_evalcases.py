"""Validity of the team-written evaluation cases in ``hikeshi/analysis/evalcases``.

The cases are the yardstick for ``hikeshi eval``; a malformed line, a duplicated text or a sentence
borrowed from training data would make every measured figure wrong, so each of those fails here
with the file and line that caused it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from hikeshi.analysis.taxonomy import CATEGORY_CODES

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
CASES_DIR = REPO_ROOT / "src" / "hikeshi" / "analysis" / "evalcases"
DEV_DIR = CASES_DIR / "dev"
TRAINING_DIR = REPO_ROOT / "src" / "hikeshi" / "analysis" / "training"
GENERAL_FILE = "benign_general.jsonl"

MIN_TEST_RISKY, MIN_TEST_BENIGN = 25, 15
MIN_DEV_RISKY, MIN_DEV_BENIGN = 10, 5
MIN_GENERAL = 60
MIN_CHARS, MAX_CHARS = 10, 140

FIELDS = {"id", "text", "category", "risky", "note"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff66-\uff9f]")
MENTION = re.compile(r"@(\w+)", re.ASCII)

# Two texts sharing this share of character 3-grams are the same sentence with small edits.
NEAR_DUPLICATE_JACCARD = 0.7
# Cases with the same label must be far apart: above this they read as one sentence with words swapped
# (the most similar pair written so far is at 0.27).
TEMPLATED_JACCARD = 0.45
# A shorter text of at least this many (normalised) characters found inside a longer one is a copy.
MIN_CONTAINED_CHARS = 12
# 3-grams occurring in more reference sentences than this are too common to find copies by.
MAX_POSTING = 300


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    category: str | None
    risky: bool
    note: str
    where: str  # "path:line", for error messages
    split: str  # "test", "dev" or "general"


def _parse_line(raw: str, where: str, split: str) -> Case:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"{where}: not valid JSON ({exc.msg})") from exc
    assert isinstance(obj, dict), f"{where}: expected a JSON object, got {type(obj).__name__}"
    assert set(obj) == FIELDS, f"{where}: keys must be exactly {sorted(FIELDS)}, got {sorted(obj)}"
    assert isinstance(obj["id"], str), f"{where}: id must be a string"
    assert isinstance(obj["text"], str), f"{where}: text must be a string"
    assert obj["category"] is None or isinstance(obj["category"], str), f"{where}: bad category type"
    assert isinstance(obj["risky"], bool), f"{where}: risky must be true or false"
    assert isinstance(obj["note"], str), f"{where}: note must be a string"
    return Case(obj["id"], obj["text"], obj["category"], obj["risky"], obj["note"], where, split)


def _read_cases(path: Path, split: str) -> list[Case]:
    rel = path.relative_to(REPO_ROOT)
    cases = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert raw.strip(), f"{rel}:{number}: blank line"
        cases.append(_parse_line(raw, f"{rel}:{number}", split))
    return cases


def _load_all() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(CASES_DIR.glob("*.jsonl")):
        cases += _read_cases(path, "general" if path.name == GENERAL_FILE else "test")
    for path in sorted(DEV_DIR.glob("*.jsonl")):
        cases += _read_cases(path, "dev")
    return cases


ALL_CASES = _load_all()


def _normalise(text: str) -> str:
    """Fold width and case and drop spaces, punctuation, symbols and emoji."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")


@cache
def _trigrams(norm: str) -> frozenset[str]:
    return frozenset(norm[i : i + 3] for i in range(len(norm) - 2)) if len(norm) >= 3 else frozenset({norm})


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _copied(ours: str, theirs: str) -> bool:
    """Exact or near-exact copy, or one text quoted whole inside the other."""
    if ours == theirs:
        return True
    short, long_ = sorted((ours, theirs), key=len)
    if len(short) >= MIN_CONTAINED_CHARS and short in long_:
        return True
    return _jaccard(_trigrams(ours), _trigrams(theirs)) >= NEAR_DUPLICATE_JACCARD


def _strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in(item)


def _reference_texts(path: Path) -> Iterator[str]:
    """Every free-text field of a dataset file, whatever its layout."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        if suffix == ".jsonl":
            for line in handle:
                if line.strip():
                    yield from _strings_in(json.loads(line))
        elif suffix == ".json":
            yield from _strings_in(json.load(handle))
        elif suffix in {".csv", ".tsv"}:
            for row in csv.reader(handle, delimiter="\t" if suffix == ".tsv" else ","):
                if row and not row[0].startswith("#"):
                    yield from row
        elif suffix == ".txt":
            for line in handle:
                if not line.startswith("#"):
                    yield from line.rstrip("\n").split("\t")


def _find_copies(cases: list[Case], reference_files: list[Path]) -> list[str]:
    """The cases that copy (exactly or nearly) a sentence of the reference files."""
    references: list[str] = []
    for path in reference_files:
        references += [norm for text in _reference_texts(path) if len(norm := _normalise(text)) >= 8]
    index: dict[str, list[int]] = {}
    for ref_id, norm in enumerate(references):
        for gram in _trigrams(norm):
            index.setdefault(gram, []).append(ref_id)
    problems = []
    for case in cases:
        ours = _normalise(case.text)
        hits: Counter[int] = Counter()
        for gram in _trigrams(ours):
            postings = index.get(gram, [])
            if len(postings) <= MAX_POSTING:
                hits.update(postings)
        for ref_id, shared in hits.items():
            # Anything copied shares at least a handful of 3-grams; the rest cannot match.
            if shared >= 4 and _copied(ours, references[ref_id]):
                problems.append(f"{case.where} ({case.id}) copies {references[ref_id]!r}")
    return problems


def _code_of(path: Path) -> str:
    """The category code a case file holds: its name without a pass suffix such as 「_p7」."""
    return re.sub(r"_p\d+$", "", path.stem)


def test_every_category_has_a_test_and_a_dev_file_and_nothing_else() -> None:
    expected = {f"{code}.jsonl" for code in CATEGORY_CODES}
    assert {p.name for p in CASES_DIR.glob("*.jsonl")} == expected | {GENERAL_FILE}
    # Later passes add their development cases in files of their own (「<code>_p7.jsonl」), so that they can be
    # measured alone; every dev file still belongs to one category.
    assert {_code_of(p) + ".jsonl" for p in DEV_DIR.glob("*.jsonl")} == expected
    assert (CASES_DIR / "README.md").is_file()


def test_fields_match_the_file_and_the_id() -> None:
    for case in ALL_CASES:
        stem = _code_of(Path(case.where.split(":")[0]))
        kind = "r" if case.risky else "b"
        if case.split == "general":
            assert case.category is None, f"{case.where}: category must be null in {GENERAL_FILE}"
            assert not case.risky, f"{case.where}: everything in {GENERAL_FILE} is benign"
            pattern = r"general-b-\d{3}"
        else:
            assert case.category == stem, f"{case.where}: category {case.category!r} in {stem}.jsonl"
            dev = "dev-" if case.split == "dev" else ""
            pattern = rf"{re.escape(stem)}-{dev}{kind}-\d{{3}}"
        assert re.fullmatch(pattern, case.id), f"{case.where}: id {case.id!r} should match {pattern}"


def test_ids_are_unique() -> None:
    seen: dict[str, str] = {}
    for case in ALL_CASES:
        assert case.id not in seen, f"{case.where}: id {case.id} already used at {seen[case.id]}"
        seen[case.id] = case.where


@pytest.mark.parametrize("code", CATEGORY_CODES)
def test_each_category_meets_the_minimum_counts(code: str) -> None:
    counts = Counter((c.split, c.risky) for c in ALL_CASES if c.category == code)
    assert counts["test", True] >= MIN_TEST_RISKY, f"{code}: {counts['test', True]} risky test cases"
    assert counts["test", False] >= MIN_TEST_BENIGN, f"{code}: {counts['test', False]} benign test cases"
    assert counts["dev", True] >= MIN_DEV_RISKY, f"{code}: {counts['dev', True]} risky dev cases"
    assert counts["dev", False] >= MIN_DEV_BENIGN, f"{code}: {counts['dev', False]} benign dev cases"


def test_general_benign_file_is_large_enough() -> None:
    assert sum(c.split == "general" for c in ALL_CASES) >= MIN_GENERAL


def test_texts_look_like_posts() -> None:
    for case in ALL_CASES:
        assert MIN_CHARS <= len(case.text) <= MAX_CHARS, f"{case.where}: {len(case.text)} characters"
        assert case.text == case.text.strip(), f"{case.where}: leading or trailing whitespace"
        assert JAPANESE.search(case.text), f"{case.where}: text has no Japanese"
        assert JAPANESE.search(case.note), f"{case.where}: note must say why, in Japanese"
        # Only the fictional sample_ accounts may be mentioned, never a real person's handle.
        for handle in MENTION.findall(case.text):
            assert handle.startswith("sample_"), f"{case.where}: @{handle} is not a fictional account"


def test_no_duplicate_texts() -> None:
    seen: dict[str, str] = {}
    for case in ALL_CASES:
        norm = _normalise(case.text)
        assert norm not in seen, f"{case.where}: same text as {seen[norm]}"
        seen[norm] = case.where


def test_dev_set_does_not_leak_the_test_set() -> None:
    held_out = [(c, _normalise(c.text)) for c in ALL_CASES if c.split != "dev"]
    for dev_case in (c for c in ALL_CASES if c.split == "dev"):
        ours = _normalise(dev_case.text)
        for case, norm in held_out:
            assert not _copied(ours, norm), f"{dev_case.where} nearly repeats {case.where}"


def test_cases_with_the_same_label_are_not_templated_variations() -> None:
    grams = [(c, _trigrams(_normalise(c.text))) for c in ALL_CASES]
    for i, (a, grams_a) in enumerate(grams):
        for b, grams_b in grams[i + 1 :]:
            if (a.category, a.risky) == (b.category, b.risky):
                similarity = _jaccard(grams_a, grams_b)
                assert similarity < TEMPLATED_JACCARD, f"{a.where} ~ {b.where} ({similarity:.2f})"


def _shared_data_dir() -> Path:
    configured = os.environ.get("HIKESHI_SHARED_DATA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


def test_no_case_is_copied_from_the_shared_datasets() -> None:
    data_dir = _shared_data_dir()
    if not data_dir.is_dir():
        pytest.skip(f"shared datasets not found at {data_dir} (set HIKESHI_SHARED_DATA_DIR)")
    files = sorted(p for p in data_dir.rglob("*") if p.suffix.lower() in {".csv", ".tsv", ".jsonl", ".json"})
    assert files, f"no dataset files under {data_dir}"
    assert _find_copies(ALL_CASES, files) == []


def test_no_case_is_copied_from_the_project_training_data() -> None:
    files = sorted(
        p for p in TRAINING_DIR.rglob("*") if p.suffix.lower() in {".csv", ".tsv", ".jsonl", ".json", ".txt"}
    )
    if not files:
        pytest.skip(f"no training data files under {TRAINING_DIR}")
    assert _find_copies(ALL_CASES, files) == []


def test_copy_detection_catches_exact_near_and_quoted_copies() -> None:
    original = _normalise("飲んだ後そのまま運転して帰った。意外といけるもんだね")
    assert _copied(_normalise("飲んだ後そのまま運転して帰った。意外といけるもんだね！！ｗ"), original)
    assert _copied(_normalise("飲んだあとそのまま運転して帰った。意外といけるもんだね"), original)
    assert _copied(_normalise("【拡散】飲んだ後そのまま運転して帰った。意外といけるもんだね"), original)
    assert not _copied(_normalise("絶対に飲酒運転はしない。代行かタクシー一択"), original)


def test_copy_finder_reads_every_layout_and_flags_only_copies(tmp_path: Path) -> None:
    copied, quoted, untouched = ALL_CASES[0], ALL_CASES[1], ALL_CASES[-1]
    with (tmp_path / "a.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["", "sent", "label"], ["0", copied.text + "。", "1"]])
    line = json.dumps({"id": "9", "text": f"RT 「{quoted.text}」"}, ensure_ascii=False)
    (tmp_path / "b.jsonl").write_text(line + "\n", encoding="utf-8")
    (tmp_path / "c.tsv").write_text(
        "# comment\n0\t全く関係のない文章がここに入っています\n", encoding="utf-8"
    )
    found = _find_copies([copied, quoted, untouched], sorted(tmp_path.iterdir()))
    assert [entry.split(" ")[1] for entry in found] == [f"({copied.id})", f"({quoted.id})"]
