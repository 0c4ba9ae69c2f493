"""Standardised excess of one observation over its expectation.

Counts: for small expectations the exact Poisson mid-p upper tail is turned into a normal quantile, because
the usual square-root approximations badly understate how surprising 4 mentions are when 0.02 are expected;
for larger expectations (and below the expectation) the Anscombe transform is used, which is close to normal
with unit variance for Poisson counts. Either way the result is divided by sqrt(dispersion) so overdispersed
series (bursty mentions) need a larger excess.
"""

from __future__ import annotations

import math
from statistics import NormalDist

EXACT_TAIL_MAX_MEAN = 50.0
MIN_P = 1e-12
_NORMAL = NormalDist()
_ANSCOMBE_SHIFT = 0.375


def anscombe(value: float) -> float:
    return 2.0 * math.sqrt(value + _ANSCOMBE_SHIFT)


def anscombe_residual(observed: float, expected: float) -> float:
    return anscombe(observed) - anscombe(expected)


def anscombe_inverse(transformed: float) -> float:
    half = transformed / 2.0
    if half <= 0.0:
        return 0.0  # below the transform of zero: squaring would turn it into a positive count
    return max(0.0, half * half - _ANSCOMBE_SHIFT)


def poisson_midp_upper(observed: int, mean: float) -> float:
    """P(X > observed) + P(X = observed) / 2 for X ~ Poisson(mean), observed > mean > 0."""
    log_pmf = -mean + observed * math.log(mean) - math.lgamma(observed + 1.0)
    pmf = math.exp(log_pmf)
    # Terms above `observed` shrink at least geometrically because observed > mean.
    tail = 0.0
    term = pmf
    k = observed
    while True:
        k += 1
        term *= mean / k
        tail += term
        if term <= tail * 1e-10 or term == 0.0:
            break
    return tail + 0.5 * pmf


def count_z(observed: float, expected: float, dispersion: float) -> float:
    """Signed z-like excess of a count over its expectation (dispersion >= 1 scales it down)."""
    scale = math.sqrt(dispersion)
    if expected <= 0.0:
        expected = 1e-6
    rounded = round(observed)
    if observed > expected and expected < EXACT_TAIL_MAX_MEAN and rounded == observed:
        p = poisson_midp_upper(int(rounded), expected)
        z = -_NORMAL.inv_cdf(max(MIN_P, min(0.5, p)))
        return z / scale
    return anscombe_residual(observed, expected) / scale
