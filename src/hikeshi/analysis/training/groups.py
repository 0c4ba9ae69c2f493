"""Groups of near-identical texts, so that cross-validation never scores a text while its twin trains.

JCommonsenseMorality comes as minimal pairs (「赤信号でアクセルを踏んだ」 / 「…ブレーキを踏んだ」, opposite labels) on
neighbouring rows, but not always on rows 2k and 2k + 1: whole stretches of the file start their pairs on odd rows.
Grouping by ``row // 2`` then split about a third of the pairs across folds, and a held-out sentence met its
twin, with the opposite label, in training. Its out-of-fold score came out too weak (accuracy 0.605 against 0.694
for the same model on data_val), so the calibrator fitted on those scores was underconfident on new text (data_val
ECE 0.083; 0.04 with these groups, docs/analysis-evaluation-history.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from hikeshi.analysis.training.fit import feature_matrix

IntArray = npt.NDArray[np.int64]

_ORDERS = (2, 3)
_BITS = 18
_BLOCK = 1000  # rows per dense similarity block: 1000 x 14,000 float64 is about 110 MB


def similar_text_groups(
    texts: Sequence[str], *, adjacent_cosine: float = 0.4, nearest_cosine: float = 0.7
) -> IntArray:
    """A group number per text: connected components of "is a near-copy of".

    Two neighbouring texts are linked when the cosine of their character 2-3-gram vectors is at least
    ``adjacent_cosine``; any text is linked to its most similar text anywhere when that cosine is at least
    ``nearest_cosine``.
    """
    n = len(texts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    x = feature_matrix(texts, _ORDERS, _BITS)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ x
    x = sp.csr_matrix(x)
    sources: list[IntArray] = []
    targets: list[IntArray] = []
    if n > 1:
        adjacent = np.asarray(x[:-1].multiply(x[1:]).sum(axis=1)).ravel()
        linked = np.flatnonzero(adjacent >= adjacent_cosine).astype(np.int64)
        sources.append(linked)
        targets.append(linked + 1)
        transposed = x.T.tocsc()
        for start in range(0, n, _BLOCK):
            similarity = (x[start : start + _BLOCK] @ transposed).toarray()
            rows = np.arange(similarity.shape[0])
            similarity[rows, start + rows] = -1.0  # not itself
            nearest = similarity.argmax(axis=1)
            close = np.flatnonzero(similarity[rows, nearest] >= nearest_cosine)
            sources.append((start + close).astype(np.int64))
            targets.append(nearest[close].astype(np.int64))
    src = np.concatenate(sources) if sources else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(targets) if targets else np.zeros(0, dtype=np.int64)
    graph = sp.coo_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    groups: IntArray = labels.astype(np.int64)
    return groups
