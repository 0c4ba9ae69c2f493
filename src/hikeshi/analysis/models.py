"""Trained statistical models of the analysis engine: toxicity, confessed wrongdoing and the 12 risk categories.

Run time needs only numpy. A text becomes hashed character n-grams (after NFKC, lower case, katakana folded
to hiragana and long character runs shortened); each head scores the n-grams (and, for toxicity, hits of a
team-written lexicon) with a linear model, and a calibration curve fitted on held-out folds turns the score into a
probability. The category head scores the same hashed n-grams (one featurisation pass for every head) plus hits
of the rules' lexicon terms per category, with one logistic model per category (one-vs-rest) and Platt scaling.
The featuriser here is the one the training code uses, so train and run time cannot drift.

The model files are plain-array ``.npz`` files (loaded with ``allow_pickle=False``) plus ``model_info.json``.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hikeshi.analysis.unicode_tables import fast_nfkc

MODEL_FORMAT_VERSION = 3
HEADS: tuple[str, ...] = ("toxicity", "wrongdoing")
# The multi-label head: ``category.npz``; ``predict`` returns one ``"category:<code>"`` key per category.
CATEGORY_HEAD = "category"
CATEGORY_PREFIX = "category:"
INFO_FILE = "model_info.json"
DEFAULT_MODEL_DIR = pathlib.Path(__file__).resolve().parent / "modeldata"

# Longer texts are cut: a post is short, and hostile input must not cost unbounded time.
MAX_CHARS = 4000

_BOS, _EOS, _SEP = "\x02", "\x03", "\x00"
# Controls become spaces; NUL only separates texts inside a batch, so user NULs are cleaned first.
_USER_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# A polynomial hash over the code points (each n-gram extends its prefix: h = h * BASE + code, mod 2**64),
# a salt per order (so an n-gram never equals one of another order), and a final bijective mix that spreads
# the bits. Format 2 summed code x a small per-position multiple of one constant, so every n-gram hash was
# that constant times a small integer: 18% of the distinct n-grams of the training texts shared a 64-bit hash
# with another n-gram (「ざまあ」 = 「エッチ」, 「ごきぶり」 = 「しゃぶっ」).
_MAX_ORDER = 5
_BASE = np.uint64((0x100000001B3 * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF | 1)  # large odd: prefixes spread
_ORDER_SALTS = [np.uint64((0xD6E8FEB86659FD93 * (order + 3)) & 0xFFFFFFFFFFFFFFFF) for order in range(6)]
_MIX = np.uint64(0xBF58476D1CE4E5B9)
_SHIFT_31 = np.uint64(31)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ModelUnavailable(Exception):
    """The model files are missing, unreadable or of another format version."""


def _joined_codes(texts: Sequence[str]) -> npt.NDArray[np.uint64]:
    """Code points of every text normalised and wrapped as BOS+text+EOS, joined by NUL.

    NFKC and lower case run once on the whole batch (NFKC cannot compose across BOS, a starter); the
    per-character steps run vectorised on the code points.
    """
    cut = [t if len(t) <= MAX_CHARS else t[:MAX_CHARS] for t in texts]
    joined = _SEP.join(_BOS + t + _EOS for t in cut)
    if joined.count(_SEP) != max(len(cut) - 1, 0):
        joined = _SEP.join(_BOS + _USER_CONTROL.sub(" ", t) + _EOS for t in cut)
    folded = fast_nfkc(joined).lower()
    raw = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    katakana = (raw >= 0x30A1) & (raw <= 0x30F6)
    control = (raw == 1) | ((raw >= 4) & (raw <= 8)) | ((raw >= 11) & (raw <= 31)) | (raw == 127)
    codes = np.where(katakana, raw - 0x60, np.where(control, 32, raw)).astype(np.uint64)
    # Runs of three or more equal characters keep their first two ("しねええええ" -> "しねええ").
    if codes.size > 2:
        run = np.concatenate(([False, False], (codes[2:] == codes[1:-1]) & (codes[1:-1] == codes[:-2])))
        codes = codes[~run]
    return codes


def normalise(text: str) -> str:
    """The text as the models see it: NFKC, lower case, hiragana, runs of 3+ equal characters cut to 2.

    Texts longer than ``MAX_CHARS`` are cut first: a post is short, and hostile input must not cost
    unbounded time.
    """
    codes = _joined_codes([text])[1:-1]
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")


@dataclass(frozen=True)
class HashedBatch:
    """Hashed n-grams of a batch: ``buckets[i]`` occurs in text ``docs[i]``; ``scale`` = 1/sqrt(n-grams per text).

    ``full`` holds the 64-bit hashes the buckets come from (for exact lexicon look-ups).
    """

    buckets: IntArray
    full: npt.NDArray[np.uint64]
    docs: IntArray
    scale: FloatArray


def _mix(raw: npt.NDArray[np.uint64], order: int) -> npt.NDArray[np.uint64]:
    salted = raw ^ _ORDER_SALTS[order]
    mixed: npt.NDArray[np.uint64] = (salted ^ (salted >> _SHIFT_31)) * _MIX
    return mixed


def term_hashes(terms: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The 64-bit n-gram hash of each whole term (normalised like a text); terms must be 1-5 characters."""
    out = np.zeros(len(terms), dtype=np.uint64)
    for index, term in enumerate(terms):
        folded = normalise(term)
        if not 1 <= len(folded) <= _MAX_ORDER:
            raise ValueError(
                f"lexicon term {term!r} normalises to {len(folded)} characters, allowed 1..{_MAX_ORDER}"
            )
        codes = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        raw = np.zeros(1, dtype=np.uint64)
        for pos in range(len(folded)):
            raw = raw * _BASE + codes[pos : pos + 1]
        out[index] = _mix(raw, len(folded))[0]
    return out


def hash_ngrams(texts: Sequence[str], orders: Sequence[int], bits: int) -> HashedBatch:
    """Character n-grams of every text hashed into ``2**bits`` buckets, vectorised over the whole batch.

    The order of the entries is by n-gram order, then position; consumers reduce with ``bincount``.
    """
    if not 1 <= bits <= 30:
        raise ValueError(f"hash bits must be in 1..30, got {bits}")
    if not orders or any(not 1 <= n <= _MAX_ORDER for n in orders):
        raise ValueError(f"n-gram orders must be in 1..{_MAX_ORDER}, got {list(orders)}")
    n_docs = len(texts)
    codes = _joined_codes(texts)
    length = codes.shape[0]
    sep_before = np.cumsum(codes == 0)  # separators in codes[:i+1]; codes[i] is never NUL where it is used
    wanted = set(orders)
    hash_rows: list[npt.NDArray[np.uint64]] = []
    doc_rows: list[IntArray] = []
    raw = np.zeros(length, dtype=np.uint64)
    for n in range(1, max(orders) + 1):
        count = length - n + 1
        if count <= 0:
            break
        # The raw hash of order n extends that of order n-1 by one character.
        raw = raw[:count] * _BASE + codes[n - 1 : n - 1 + count]
        if n not in wanted:
            continue
        # Valid when the n-gram stays inside one text: it neither starts at nor spans a separator.
        valid = np.flatnonzero(
            (sep_before[n - 1 : n - 1 + count] == sep_before[:count]) & (codes[:count] != 0)
        )
        hash_rows.append(_mix(raw[valid], n))
        doc_rows.append(sep_before[valid])
    full = np.concatenate(hash_rows) if hash_rows else np.zeros(0, np.uint64)
    docs = np.concatenate(doc_rows).astype(np.int64) if doc_rows else np.zeros(0, np.int64)
    buckets = (full >> np.uint64(64 - bits)).astype(np.int64)
    per_doc = np.bincount(docs, minlength=n_docs)
    scale = 1.0 / np.sqrt(np.maximum(per_doc, 1))
    return HashedBatch(buckets=buckets, full=full, docs=docs, scale=scale)


def lexicon_hits(
    batch: HashedBatch,
    hashes: npt.NDArray[np.uint64],
    tiers: IntArray,
    n_tiers: int,
    n_docs: int,
    bucket_flags: npt.NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Per text and tier, how many n-grams are lexicon terms (``hashes`` sorted; ``tiers`` aligned).

    ``bucket_flags`` (True for the buckets of lexicon terms) lets only candidate n-grams reach the exact
    64-bit comparison, which keeps the look-up as cheap as a weight gather.
    """
    if not hashes.size or not batch.full.size:
        return np.zeros((n_docs, n_tiers), dtype=np.float64)
    candidates = np.flatnonzero(bucket_flags[batch.buckets]) if bucket_flags is not None else None
    full = batch.full if candidates is None else batch.full[candidates]
    docs = batch.docs if candidates is None else batch.docs[candidates]
    index = np.minimum(np.searchsorted(hashes, full), hashes.size - 1)
    match = np.flatnonzero(hashes[index] == full)
    cells = docs[match] * n_tiers + tiers[index[match]]
    counts = np.bincount(cells, minlength=n_docs * n_tiers).astype(np.float64)
    return counts.reshape(n_docs, n_tiers)


def idf_scale(batch: HashedBatch, idf_squared: npt.NDArray[Any], n_docs: int) -> FloatArray:
    """1 / sqrt(sum of idf^2 over a text's n-gram occurrences): the L2 norm of its tf-idf vector."""
    sums = np.bincount(batch.docs, weights=idf_squared[batch.buckets], minlength=n_docs)
    out: FloatArray = 1.0 / np.sqrt(np.maximum(sums, 1e-12))
    return out


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


@dataclass(frozen=True)
class Head:
    """One output: featuriser settings, the scorer's weights and the calibration curve."""

    name: str
    orders: tuple[int, ...]
    bits: int
    kind: str  # "linear": hashed n-gram weights plus optional lexicon tiers
    arrays: dict[str, npt.NDArray[Any]]
    calib_x: FloatArray
    calib_y: FloatArray

    def raw_scores(self, batch: HashedBatch, n_docs: int) -> FloatArray:
        """Uncalibrated scores (the model's logits) for every text of the batch."""
        weights = self.arrays["weights"]
        sums = np.bincount(batch.docs, weights=weights[batch.buckets], minlength=n_docs)
        out: FloatArray = sums * self.text_scale(batch, n_docs) + float(self.arrays["bias"])
        if "lexicon_weights" in self.arrays:
            out += self.lexicon_features(batch, n_docs) @ self.arrays["lexicon_weights"]
        return out

    def text_scale(self, batch: HashedBatch, n_docs: int) -> FloatArray:
        """Per text, 1 / the L2 norm of its feature vector (tf-idf when the head has idf, else counts)."""
        if "idf_squared" not in self.arrays:
            return batch.scale
        return idf_scale(batch, self.arrays["idf_squared"], n_docs)

    @functools.cached_property
    def lexicon_bucket_flags(self) -> npt.NDArray[np.bool_]:
        flags = np.zeros(1 << self.bits, dtype=np.bool_)
        flags[(self.arrays["lexicon_hashes"] >> np.uint64(64 - self.bits)).astype(np.int64)] = True
        return flags

    def lexicon_features(self, batch: HashedBatch, n_docs: int) -> FloatArray:
        """log(1 + hits) per lexicon tier: dense features next to the n-grams."""
        weights = self.arrays["lexicon_weights"]
        hits = lexicon_hits(
            batch,
            self.arrays["lexicon_hashes"],
            self.arrays["lexicon_tiers"],
            weights.size,
            n_docs,
            self.lexicon_bucket_flags,
        )
        out: FloatArray = np.log1p(hits)
        return out

    def calibrate(self, scores: FloatArray) -> FloatArray:
        out: FloatArray = np.clip(np.interp(scores, self.calib_x, self.calib_y), 0.0, 1.0)
        return out


_REQUIRED = {
    "linear": ("weights", "bias"),
}


def save_head(path: pathlib.Path, head: Head) -> None:
    """Write a head as a compressed plain-array ``.npz`` (used by training)."""
    payload: dict[str, Any] = {
        "format_version": np.array(MODEL_FORMAT_VERSION),
        "kind": np.array(head.kind),
        "orders": np.array(head.orders, dtype=np.int64),
        "bits": np.array(head.bits),
        "calib_x": head.calib_x,
        "calib_y": head.calib_y,
        **head.arrays,
    }
    np.savez_compressed(path, **payload)


def _read_npz(path: pathlib.Path) -> dict[str, npt.NDArray[Any]]:
    """The arrays of a model file of this format version (``format_version`` removed)."""
    if not path.is_file():
        raise ModelUnavailable(f"model file missing: {path} (run `make train` to build it)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ModelUnavailable(f"model file unreadable: {path}: {exc}") from exc
    if "format_version" not in arrays:
        raise ModelUnavailable(f"model file {path} has no format_version; expected {MODEL_FORMAT_VERSION}")
    version = int(arrays.pop("format_version"))
    if version != MODEL_FORMAT_VERSION:
        raise ModelUnavailable(
            f"model file {path} has format version {version}, this code reads version {MODEL_FORMAT_VERSION}"
            " (run `make train` to rebuild it)"
        )
    return arrays


def load_head(path: pathlib.Path, name: str) -> Head:
    arrays = _read_npz(path)
    try:
        kind = str(arrays.pop("kind"))
        orders = tuple(int(n) for n in arrays.pop("orders"))
        bits = int(arrays.pop("bits"))
        calib_x = arrays.pop("calib_x").astype(np.float64)
        calib_y = arrays.pop("calib_y").astype(np.float64)
    except KeyError as exc:
        raise ModelUnavailable(f"model file {path} lacks array {exc}") from exc
    missing = [key for key in _REQUIRED.get(kind, ()) if key not in arrays]
    if kind not in _REQUIRED or missing:
        raise ModelUnavailable(f"model file {path}: kind {kind!r} with missing arrays {missing}")
    if "idf_squared" in arrays and arrays["idf_squared"].shape != (1 << bits,):
        raise ModelUnavailable(
            f"model file {path}: idf shape {arrays['idf_squared'].shape} != ({1 << bits},)"
        )
    if kind == "linear" and arrays["weights"].shape != (1 << bits,):
        raise ModelUnavailable(
            f"model file {path}: weights shape {arrays['weights'].shape} != ({1 << bits},)"
        )
    lexicon_keys = ("lexicon_hashes", "lexicon_tiers", "lexicon_weights")
    present = [key in arrays for key in lexicon_keys]
    if any(present) and not all(present):
        raise ModelUnavailable(f"model file {path}: lexicon arrays incomplete, need all of {lexicon_keys}")
    if all(present):
        hashes, tiers = arrays["lexicon_hashes"], arrays["lexicon_tiers"]
        if hashes.dtype != np.uint64 or hashes.shape != tiers.shape or np.any(hashes[1:] < hashes[:-1]):
            raise ModelUnavailable(
                f"model file {path}: lexicon hashes must be sorted uint64 aligned with tiers"
            )
        if tiers.size and (tiers.min() < 0 or tiers.max() >= arrays["lexicon_weights"].size):
            raise ModelUnavailable(f"model file {path}: lexicon tier index out of range")
    if (
        calib_x.ndim != 1
        or calib_x.shape != calib_y.shape
        or calib_x.size < 2
        or np.any(np.diff(calib_x) < 0)
    ):
        raise ModelUnavailable(f"model file {path}: calibration curve is not an increasing 1-D table")
    return Head(name, orders, bits, kind, arrays, calib_x, calib_y)


def segment_sums(docs: IntArray, values: npt.NDArray[Any], n_docs: int) -> FloatArray:
    """Per text, the sum of the rows of ``values`` (shape (m, k)) whose entry of ``docs`` names it.

    ``docs`` is a concatenation of non-decreasing runs (one per n-gram order, as ``hash_ngrams`` emits
    them), so each run is summed with one ``np.add.reduceat`` over its text boundaries: k sums in one
    pass instead of k ``bincount`` calls.
    """
    if n_docs == 1:  # one post at a time: skip the boundary search
        single: FloatArray = values.sum(axis=0, dtype=np.float64).reshape(1, -1)
        return single
    out = np.zeros((n_docs, values.shape[1]), dtype=np.float64)
    if not docs.size:
        return out
    changes = np.flatnonzero(docs[1:] != docs[:-1]) + 1
    starts = np.concatenate(([0], changes))
    first_docs = docs[starts]
    # A run ends where the text index goes down; within a run every text appears once.
    run_breaks = np.flatnonzero(first_docs[1:] < first_docs[:-1]) + 1
    sums = np.add.reduceat(values, starts, axis=0)
    bounds = np.concatenate(([0], run_breaks, [starts.size]))
    for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        out[first_docs[low:high]] += sums[low:high]
    return out


@dataclass(frozen=True)
class CategoryHead:
    """One-vs-rest logistic models for the risk categories over the shared hashed n-grams.

    ``rows`` maps each hash bucket to a row of ``weights`` (row 0 is all zeros: buckets no training text
    had), so the weights of every category are fetched with one gather. ``lexicon_members[t, j]`` says
    that lexicon term ``t`` (an exact n-gram hash) belongs to category ``j``'s rules; the log(1 + hits)
    per category are dense features with weights ``lexicon_weights[j, c]``. ``platt[c] = (a, b)``
    calibrates: p = sigmoid(a * score + b). ``thresholds[c]`` is the probability from which the analyzer
    reports the category without rule evidence (chosen on the development cases).
    """

    codes: tuple[str, ...]
    orders: tuple[int, ...]
    bits: int
    rows: npt.NDArray[np.int32]
    weights: npt.NDArray[np.float32]
    bias: FloatArray
    lexicon_hashes: npt.NDArray[np.uint64]
    lexicon_members: npt.NDArray[np.bool_]
    lexicon_weights: FloatArray
    platt: FloatArray
    thresholds: FloatArray

    @functools.cached_property
    def lexicon_bucket_flags(self) -> npt.NDArray[np.bool_]:
        flags = np.zeros(1 << self.bits, dtype=np.bool_)
        flags[(self.lexicon_hashes >> np.uint64(64 - self.bits)).astype(np.int64)] = True
        return flags

    def lexicon_features(self, batch: HashedBatch, n_docs: int) -> FloatArray:
        """log(1 + hits of each category's lexicon terms), shape (n_docs, n_codes)."""
        return np.log1p(
            category_lexicon_hits(
                batch, self.lexicon_hashes, self.lexicon_members, n_docs, self.lexicon_bucket_flags
            )
        )

    def raw_scores(self, batch: HashedBatch, n_docs: int) -> FloatArray:
        """Logits, shape (n_docs, n_codes)."""
        rows = self.rows[batch.buckets]
        keep = np.flatnonzero(rows)
        sums = segment_sums(batch.docs[keep], self.weights[rows[keep]], n_docs)
        out: FloatArray = sums * batch.scale[:, None] + self.bias
        if self.lexicon_hashes.size:
            out += self.lexicon_features(batch, n_docs) @ self.lexicon_weights
        return out

    def calibrate(self, scores: FloatArray) -> FloatArray:
        return _sigmoid(scores * self.platt[:, 0] + self.platt[:, 1])


def category_lexicon_hits(
    batch: HashedBatch,
    hashes: npt.NDArray[np.uint64],
    members: npt.NDArray[np.bool_],
    n_docs: int,
    bucket_flags: npt.NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Per text and category, how many n-grams are lexicon terms of that category (a term may serve several)."""
    n_codes = members.shape[1]
    if not hashes.size or not batch.full.size:
        return np.zeros((n_docs, n_codes), dtype=np.float64)
    candidates = np.flatnonzero(bucket_flags[batch.buckets]) if bucket_flags is not None else None
    full = batch.full if candidates is None else batch.full[candidates]
    docs = batch.docs if candidates is None else batch.docs[candidates]
    index = np.minimum(np.searchsorted(hashes, full), hashes.size - 1)
    match = np.flatnonzero(hashes[index] == full)
    which, code = np.nonzero(members[index[match]])
    cells = docs[match][which] * n_codes + code
    counts = np.bincount(cells, minlength=n_docs * n_codes).astype(np.float64)
    return counts.reshape(n_docs, n_codes)


_CATEGORY_ARRAYS = (
    "codes", "rows", "weights", "bias", "lexicon_hashes", "lexicon_members", "lexicon_weights", "platt",
    "thresholds",
)  # fmt: skip


WEIGHT_LEVELS = 127
"""Quantised category weights are ``k * scale[code]`` with integer ``-WEIGHT_LEVELS <= k <= WEIGHT_LEVELS``."""


def category_weight_scales(weights: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """Per category (column), the step of its quantised weights: its largest magnitude / WEIGHT_LEVELS."""
    largest = np.abs(np.asarray(weights, dtype=np.float32)).max(axis=0) if weights.size else np.ones(0)
    scales: npt.NDArray[np.float32] = np.where(largest > 0, largest / WEIGHT_LEVELS, 1.0).astype(np.float32)
    return scales


def quantized_category_weights(weights: npt.NDArray[Any]) -> npt.NDArray[np.float32]:
    """The weights as the file stores them with int8 steps per category (training rounds to this before it
    chooses thresholds and measures, so what is measured is what ships). A quarter of the float16 file at
    the same figures: on the development cases the probabilities moved by at most 0.017 (mean 0.0003)."""
    scales = category_weight_scales(weights)
    steps = np.rint(np.asarray(weights, dtype=np.float32) / scales)
    quantized: npt.NDArray[np.float32] = steps.astype(np.int8).astype(np.float32) * scales
    return quantized


def _packed_rows_and_weights(
    rows: npt.NDArray[Any], weights: npt.NDArray[Any]
) -> dict[str, npt.NDArray[Any]]:
    """A lossless, smaller encoding of the bucket table and the weights (the bulk of the file).

    The table maps each used bucket, in bucket order, to weight rows 1, 2, 3…, so the gaps between used
    buckets (small numbers) rebuild it. Weights already quantised (``quantized_category_weights``) are
    stored as their int8 steps and one scale per category. Others as float16, in two byte planes: the high
    bytes (sign, exponent) repeat a lot and compress about three times better apart than interleaved with
    the low bytes.
    """
    used = np.flatnonzero(rows)
    gaps = np.diff(used, prepend=-1)
    if not np.array_equal(rows[used], np.arange(1, used.size + 1)) or (gaps.size and gaps.max() > 0xFFFF):
        return {"rows": rows, "weights": weights.astype(np.float16)}  # not that shape: store as is
    scales = category_weight_scales(weights)
    steps = np.rint(np.asarray(weights, dtype=np.float32) / scales)
    if np.abs(steps).max(initial=0) <= WEIGHT_LEVELS and np.array_equal(
        steps.astype(np.int8).astype(np.float32) * scales, np.asarray(weights, dtype=np.float32)
    ):
        return {
            "used_bucket_gaps": gaps.astype(np.uint16),
            "weight_steps": steps.astype(np.int8),
            "weight_scales": scales,
        }
    planes = np.ascontiguousarray(weights.astype(np.float16)).view(np.uint8).reshape(*weights.shape, 2)
    return {
        "used_bucket_gaps": gaps.astype(np.uint16),
        "weights_low_bytes": np.ascontiguousarray(planes[..., 0]),
        "weights_high_bytes": np.ascontiguousarray(planes[..., 1]),
    }


def _unpacked_rows_and_weights(arrays: dict[str, npt.NDArray[Any]], bits: int) -> None:
    """Undo ``_packed_rows_and_weights`` in place (files written either way load the same)."""
    if "used_bucket_gaps" not in arrays:
        return
    used = np.cumsum(arrays.pop("used_bucket_gaps").astype(np.int64)) - 1
    rows = np.zeros(1 << bits, dtype=np.int32)
    weights: npt.NDArray[Any]
    if "weight_steps" in arrays:
        steps, scales = arrays.pop("weight_steps"), arrays.pop("weight_scales")
        if steps.ndim != 2 or steps.dtype != np.int8 or scales.shape != steps.shape[1:]:
            raise ModelUnavailable("quantised category weights do not fit their scales")
        weights = steps.astype(np.float32) * scales.astype(np.float32)
    else:
        low, high = arrays.pop("weights_low_bytes"), arrays.pop("weights_high_bytes")
        if low.shape != high.shape or low.ndim != 2:
            raise ModelUnavailable("packed category arrays do not fit together")
        weights = np.stack([low, high], axis=-1).view(np.float16)[..., 0]
    if used.size and used[-1] >= rows.size:
        raise ModelUnavailable("packed category arrays do not fit together")
    rows[used] = np.arange(1, used.size + 1, dtype=np.int32)
    arrays["rows"] = rows
    arrays["weights"] = weights


def save_category_head(path: pathlib.Path, head: CategoryHead) -> None:
    """Write the category head as a compressed plain-array ``.npz`` (used by training)."""
    payload: dict[str, Any] = _packed_rows_and_weights(head.rows, head.weights)
    np.savez_compressed(
        path,
        format_version=np.array(MODEL_FORMAT_VERSION),
        kind=np.array("multilabel"),
        orders=np.array(head.orders, dtype=np.int64),
        bits=np.array(head.bits),
        codes=np.array(head.codes),
        bias=head.bias,
        lexicon_hashes=head.lexicon_hashes,
        lexicon_members=head.lexicon_members,
        lexicon_weights=head.lexicon_weights,
        platt=head.platt,
        thresholds=head.thresholds,
        **payload,
    )


def load_category_head(path: pathlib.Path) -> CategoryHead:
    arrays = _read_npz(path)
    if "bits" in arrays:
        try:
            _unpacked_rows_and_weights(arrays, int(arrays["bits"]))
        except ModelUnavailable as exc:
            raise ModelUnavailable(f"model file {path}: {exc}") from exc
    missing = [key for key in ("kind", "orders", "bits", *_CATEGORY_ARRAYS) if key not in arrays]
    if missing or str(arrays["kind"]) != "multilabel":
        raise ModelUnavailable(f"model file {path}: not a category head (missing arrays {missing})")
    codes = tuple(str(code) for code in arrays["codes"])
    bits = int(arrays["bits"])
    n_codes = len(codes)
    rows, weights = arrays["rows"], arrays["weights"]
    hashes, members = arrays["lexicon_hashes"], arrays["lexicon_members"]
    problems = []
    if rows.shape != (1 << bits,) or rows.dtype != np.int32:
        problems.append(f"rows shape {rows.shape} {rows.dtype}, need ({1 << bits},) int32")
    if weights.ndim != 2 or weights.shape[1] != n_codes or not weights.shape[0]:
        problems.append(f"weights shape {weights.shape}, need (rows, {n_codes})")
    elif rows.size and (rows.min() < 0 or rows.max() >= weights.shape[0]):
        problems.append("rows point outside the weights")
    if hashes.dtype != np.uint64 or np.any(hashes[1:] <= hashes[:-1]):
        problems.append("lexicon hashes must be sorted unique uint64")
    if members.shape != (hashes.size, n_codes) or arrays["lexicon_weights"].shape != (n_codes, n_codes):
        problems.append("lexicon arrays do not fit the codes")
    for key, shape in (("bias", (n_codes,)), ("platt", (n_codes, 2)), ("thresholds", (n_codes,))):
        if arrays[key].shape != shape:
            problems.append(f"{key} shape {arrays[key].shape}, need {shape}")
    if problems:
        raise ModelUnavailable(f"model file {path}: " + "; ".join(problems))
    return CategoryHead(
        codes=codes,
        orders=tuple(int(n) for n in arrays["orders"]),
        bits=bits,
        rows=rows,
        weights=weights.astype(np.float32),
        bias=arrays["bias"].astype(np.float64),
        lexicon_hashes=hashes,
        lexicon_members=members.astype(np.bool_),
        lexicon_weights=arrays["lexicon_weights"].astype(np.float64),
        platt=arrays["platt"].astype(np.float64),
        thresholds=arrays["thresholds"].astype(np.float64),
    )


class ModelSet:
    """The shipped heads, loaded once; ``predict`` is safe to call from many threads."""

    def __init__(self, heads: dict[str, Head], info: dict[str, object], category: CategoryHead) -> None:
        self._heads = heads
        self._info = info
        self._category = category

    @property
    def category_codes(self) -> tuple[str, ...]:
        return self._category.codes

    def category_thresholds(self) -> dict[str, float]:
        """Per category, the calibrated probability from which the model alone reports it."""
        return {
            code: float(t) for code, t in zip(self._category.codes, self._category.thresholds, strict=True)
        }

    @classmethod
    def load(cls, directory: pathlib.Path | None = None) -> ModelSet:
        root = DEFAULT_MODEL_DIR if directory is None else pathlib.Path(directory)
        info_path = root / INFO_FILE
        if not info_path.is_file():
            raise ModelUnavailable(f"model info missing: {info_path} (run `make train` to build the models)")
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelUnavailable(f"model info unreadable: {info_path}: {exc}") from exc
        if not isinstance(info, dict) or info.get("format_version") != MODEL_FORMAT_VERSION:
            found = info.get("format_version") if isinstance(info, dict) else None
            raise ModelUnavailable(
                f"model info {info_path} has format version {found!r}, this code reads {MODEL_FORMAT_VERSION}"
            )
        heads = {name: load_head(root / f"{name}.npz", name) for name in HEADS}
        category = load_category_head(root / f"{CATEGORY_HEAD}.npz")
        return cls(heads, info, category)

    def predict(self, texts: Sequence[str]) -> dict[str, npt.NDArray[np.float64]]:
        """Calibrated probabilities per head, one per text, in input order.

        Keys: ``"toxicity"``, ``"wrongdoing"`` and ``"category:<code>"`` for each risk category. Every head
        shares one hashing pass when their n-gram settings agree (they do in the shipped files).
        """
        result, categories = self._predict(texts)
        for index, code in enumerate(self._category.codes):
            result[CATEGORY_PREFIX + code] = categories[:, index]
        return result

    def predict_for_analyzer(
        self, texts: Sequence[str]
    ) -> tuple[dict[str, list[float]], list[list[float]], list[list[int]]]:
        """What the analyzer needs per post, as plain Python values (cheaper to read one post at a time).

        Returns the single-head probabilities by name, each post's category probabilities (in
        ``category_codes`` order) and, per post, the indices of the categories at or above their threshold.
        """
        result, categories = self._predict(texts)
        rows, columns = np.nonzero(categories >= self._category.thresholds)
        passing: list[list[int]] = [[] for _ in range(len(texts))]
        for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
            passing[row].append(column)
        return {name: values.tolist() for name, values in result.items()}, categories.tolist(), passing

    def _predict(self, texts: Sequence[str]) -> tuple[dict[str, FloatArray], FloatArray]:
        if isinstance(texts, str):
            raise TypeError("predict takes a sequence of texts, not a single str")
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{index}] is {type(text).__name__}, expected str")
        n_docs = len(texts)
        batches: dict[tuple[tuple[int, ...], int], HashedBatch] = {}
        result: dict[str, FloatArray] = {}
        for name, head in self._heads.items():
            key = (head.orders, head.bits)
            if key not in batches:
                batches[key] = hash_ngrams(texts, head.orders, head.bits)
            result[name] = head.calibrate(head.raw_scores(batches[key], n_docs))
        category = self._category
        key = (category.orders, category.bits)
        if key not in batches:
            batches[key] = hash_ngrams(texts, category.orders, category.bits)
        return result, category.calibrate(category.raw_scores(batches[key], n_docs))

    def info(self) -> dict[str, object]:
        details = dict(self._info)
        details["heads"] = {
            name: {"kind": head.kind, "orders": list(head.orders), "hash_bits": head.bits}
            for name, head in self._heads.items()
        }
        details["heads"][CATEGORY_HEAD] = {  # type: ignore[index]
            "kind": "multilabel",
            "orders": list(self._category.orders),
            "hash_bits": self._category.bits,
            "codes": list(self._category.codes),
        }
        return details
