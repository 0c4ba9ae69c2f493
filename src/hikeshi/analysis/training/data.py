"""Datasets for training and evaluation, and the fixed splits both sides use.

Only the standard library and numpy: ``hikeshi eval`` imports this module, and it must work without the
training dependencies (scikit-learn, scipy).

Splits (documented in docs/analysis-evaluation.md, never changed silently):
- RTP-LX Japanese: the shared copy holds the even ids (the project's "dev half"; the odd ids are held back
  by the project's owners). The shipped toxicity model trains on ALL of them; its figure is a repeated
  k-fold cross-validation over them in which every fold refits the whole pipeline. The older quarters
  (``id % 4 == 0`` / ``id % 4 == 2``) stay loadable as ``"train"`` / ``"dev"`` for comparisons.
- JCommonsenseMorality: ``data_train.csv`` trains, ``data_val.csv`` is only evaluated on.
"""

from __future__ import annotations

import csv
import json
import os
import pathlib
from dataclasses import dataclass

SHARED_DATA_ENV = "HIKESHI_SHARED_DATA_DIR"
RTP_LX_FILE = pathlib.Path("rtp-lx-ja") / "rtp_lx_ja_dev.jsonl"
JCM_DIR = pathlib.Path("jcommonsense-morality")
TOXIC_THRESHOLD = 3.0
TEAM_DATA_DIR = pathlib.Path(__file__).resolve().parent


class DataUnavailable(Exception):
    """A dataset file is absent or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[int]
    source: str

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{self.source}: {len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    def __add__(self, other: LabelledTexts) -> LabelledTexts:
        return LabelledTexts(
            self.texts + other.texts, self.labels + other.labels, f"{self.source}+{other.source}"
        )


def repository_root() -> pathlib.Path | None:
    """The directory holding pyproject.toml above this file, or None in an installed copy."""
    for parent in pathlib.Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def shared_data_dir() -> pathlib.Path:
    """``$HIKESHI_SHARED_DATA_DIR``, else ``<repository root>/../shared/data``."""
    configured = os.environ.get(SHARED_DATA_ENV)
    if configured:
        return pathlib.Path(configured)
    root = repository_root()
    if root is None:
        raise DataUnavailable(f"no repository root found; set {SHARED_DATA_ENV} to the shared data directory")
    return root.parent / "shared" / "data"


def _require(path: pathlib.Path) -> pathlib.Path:
    if not path.is_file():
        raise DataUnavailable(
            f"dataset file missing: {path} (set {SHARED_DATA_ENV} to the shared data directory)"
        )
    return path


def load_rtp_lx(half: str, data_dir: pathlib.Path | None = None) -> LabelledTexts:
    """RTP-LX Japanese rows: ``"all"`` (every shared row), or the quarters ``"train"`` (id % 4 == 0) and
    ``"dev"`` (id % 4 == 2); label 1 = mean Toxicity >= 3."""
    remainder = {"train": 0, "dev": 2, "all": None}.get(half, -1)
    if remainder == -1:
        raise ValueError(f"RTP-LX half must be 'all', 'train' or 'dev', got {half!r}")
    path = _require((data_dir or shared_data_dir()) / RTP_LX_FILE)
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row_id = int(row["id"])
                text = row["text"]
                toxicity = float(row["annotations"]["Toxicity"])
            except (ValueError, KeyError, TypeError) as exc:
                raise DataUnavailable(f"{path}:{line_no}: malformed RTP-LX row: {exc}") from exc
            if not isinstance(text, str):
                raise DataUnavailable(f"{path}:{line_no}: text is not a string")
            if remainder is None or row_id % 4 == remainder:
                texts.append(text)
                labels.append(int(toxicity >= TOXIC_THRESHOLD))
    return LabelledTexts(texts, labels, f"rtp-lx-ja/{half}")


def load_jcm(split: str, data_dir: pathlib.Path | None = None) -> LabelledTexts:
    """JCommonsenseMorality ``train`` or ``val``; label 1 = morally wrong."""
    if split not in ("train", "val"):
        raise ValueError(f"JCommonsenseMorality split must be 'train' or 'val', got {split!r}")
    path = _require((data_dir or shared_data_dir()) / JCM_DIR / f"data_{split}.csv")
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_no, row in enumerate(csv.DictReader(handle), start=2):
            sent, label = row.get("sent"), row.get("label")
            if sent is None or label not in ("0", "1"):
                raise DataUnavailable(f"{path}:{line_no}: expected columns sent and label (0/1), got {row}")
            texts.append(sent)
            labels.append(int(label))
    return LabelledTexts(texts, labels, f"jcommonsense-morality/{split}")


def load_team_sentences(name: str) -> LabelledTexts:
    """A team-written TSV in this package: ``label<TAB>text`` per line, ``#`` starts a comment line."""
    path = TEAM_DATA_DIR / name
    texts: list[str] = []
    labels: list[int] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("0", "1") or not text.strip():
            raise DataUnavailable(f"{path}:{line_no}: expected 'label<TAB>text' with label 0 or 1")
        texts.append(text.strip())
        labels.append(int(label))
    return LabelledTexts(texts, labels, f"team/{name}")


@dataclass(frozen=True)
class MultiLabelled:
    """Texts with a set of category codes each (empty = benign for every category)."""

    texts: list[str]
    labels: list[tuple[str, ...]]
    source: str


CATEGORY_TEAM_FILE = "category_team.jsonl"
CATEGORY_TEAM_DIR = "category_team"


def category_team_files(root: pathlib.Path | None = None) -> list[pathlib.Path]:
    """``category_team.jsonl`` and ``category_team/*.jsonl`` in this package, in a fixed order."""
    base = TEAM_DATA_DIR if root is None else root
    files = [base / CATEGORY_TEAM_FILE] if (base / CATEGORY_TEAM_FILE).is_file() else []
    return files + sorted((base / CATEGORY_TEAM_DIR).glob("*.jsonl"))


def load_category_team(codes: tuple[str, ...], root: pathlib.Path | None = None) -> MultiLabelled:
    """The team's category rows: ``{"text", "labels": [codes], "note"}`` per line; duplicates kept once.

    A line that is not a JSON object with a string text and a list of known codes raises ``DataUnavailable``
    naming the file and line (the data is written by hand while the models are trained).
    """
    texts: list[str] = []
    labels: list[tuple[str, ...]] = []
    seen: set[str] = set()
    known = set(codes)
    for path in category_team_files(root):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataUnavailable(f"{path}:{line_no}: not JSON: {exc}") from exc
            text = row.get("text") if isinstance(row, dict) else None
            codes_here = row.get("labels") if isinstance(row, dict) else None
            if not isinstance(text, str) or not text.strip() or not isinstance(codes_here, list):
                raise DataUnavailable(f"{path}:{line_no}: need a text string and a labels list")
            unknown = [code for code in codes_here if code not in known]
            if unknown:
                raise DataUnavailable(f"{path}:{line_no}: unknown category codes {unknown}")
            if text in seen:
                continue
            seen.add(text)
            texts.append(text)
            labels.append(tuple(sorted(set(codes_here))))
    return MultiLabelled(texts, labels, "team/category_team")


def load_lexicon(name: str) -> list[tuple[int, str]]:
    """A team-written lexicon TSV in this package: ``tier<TAB>term`` per line, ``#`` starts a comment line."""
    path = TEAM_DATA_DIR / name
    entries: list[tuple[int, str]] = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        tier, sep, term = line.partition("\t")
        if not sep or not tier.isdigit() or not term.strip():
            raise DataUnavailable(f"{path}:{line_no}: expected 'tier<TAB>term' with a numeric tier")
        entries.append((int(tier), term.strip()))
    return entries
