"""Balance between two groups and differences of proportions: the numbers of a Table 1's
standardised differences and of an adverse-event risk-difference plot.

* :func:`standardised_difference`: the absolute standardised mean difference of a continuous
  variable, or of a categorical one in the multivariate (Mahalanobis) form of Yang and Dalton
  (2012) and Austin (2009), which for two levels is the usual difference of proportions over
  their pooled standard deviation.
* :func:`risk_difference`: a difference of two proportions with Newcombe's (1998) hybrid score
  interval (his method 10), which stays inside [-1, 1] and is sensible with zero counts.

Reference values: ``tests/reference/balance.R`` (the formulas written out in R, MASS's
generalised inverse, ``prop.test``'s Wilson limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["risk_difference", "smd_categorical", "smd_continuous", "standardised_difference"]


def _known(values: Sequence[object] | pd.Series | np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="object").dropna()


def smd_continuous(comparator: Sequence[float] | pd.Series, reference: Sequence[float] | pd.Series) -> float:
    """``(mean_1 - mean_0) / sqrt((s1^2 + s0^2) / 2)`` with sample variances (n - 1), missing
    values left out (Austin 2009, eq. 1). NaN when a group has fewer than two known values or
    both variances are 0 with different means; 0 when the groups are identical constants."""
    a = pd.to_numeric(_known(comparator), errors="raise").to_numpy(dtype=float)
    b = pd.to_numeric(_known(reference), errors="raise").to_numpy(dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    diff = a.mean() - b.mean()
    pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    if pooled == 0:
        return 0.0 if diff == 0 else float("nan")
    return float(diff / pooled)


def smd_categorical(
    comparator: Sequence[object] | pd.Series,
    reference: Sequence[object] | pd.Series,
    levels: Sequence[object] | None = None,
) -> float:
    """The absolute standardised difference of a categorical variable with k levels:
    ``sqrt((p1 - p0)' S^+ (p1 - p0))`` over the proportions of levels 2..k, ``S`` the mean of the
    two groups' multinomial covariance matrices (``p(1 - p)`` on the diagonal, ``-p_k p_l`` off
    it), ``S^+`` its Moore-Penrose inverse (R's ``MASS::ginv``, as tableone). Yang and Dalton
    (2012), Austin (2009); two levels give ``|p1 - p0| / sqrt((p1 q1 + p0 q0) / 2)``.

    Missing values are left out; ``levels`` (default: the levels either group holds, sorted)
    fixes the order, levels held by neither group are dropped. NaN when a group has no known
    value; 0 with a single level.
    """
    a, b = _known(comparator).astype(str), _known(reference).astype(str)
    if a.empty or b.empty:
        return float("nan")
    present = set(a) | set(b)
    order = [str(v) for v in levels if str(v) in present] if levels is not None else []
    order += sorted(present - set(order))
    if len(order) < 2:
        return 0.0
    p1 = a.value_counts(normalize=True).reindex(order, fill_value=0.0).to_numpy(dtype=float)[1:]
    p0 = b.value_counts(normalize=True).reindex(order, fill_value=0.0).to_numpy(dtype=float)[1:]

    def cov(p: np.ndarray) -> np.ndarray:
        s = -np.outer(p, p)
        np.fill_diagonal(s, p * (1 - p))
        return s

    s = (cov(p1) + cov(p0)) / 2
    d = p1 - p0
    return float(np.sqrt(max(0.0, float(d @ np.linalg.pinv(s) @ d))))


def standardised_difference(
    comparator: Sequence[object] | pd.Series,
    reference: Sequence[object] | pd.Series,
    kind: Literal["continuous", "categorical"],
    *,
    levels: Sequence[object] | None = None,
) -> float:
    """The absolute standardised difference of a variable between two groups:
    :func:`smd_continuous` or :func:`smd_categorical` by ``kind``."""
    if kind == "continuous":
        return abs(smd_continuous(comparator, reference))
    if kind == "categorical":
        return smd_categorical(comparator, reference, levels)
    raise ValueError(f"{kind=}; expected 'continuous' or 'categorical'")


def _wilson(x: int, n: int, conf_level: float) -> tuple[float, float]:
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=conf_level, method="wilson")
    return float(ci.low), float(ci.high)


def risk_difference(x1: int, n1: int, x0: int, n0: int, *, conf_level: float = 0.95) -> tuple[float, float, float]:
    """``(p1 - p0, conf_low, conf_high)`` with Newcombe's hybrid score interval (1998, method 10):
    the Wilson limits ``l, u`` of each proportion (R's ``prop.test(correct = FALSE)``) combined as
    ``d - sqrt((p1 - l1)^2 + (u0 - p0)^2)`` and ``d + sqrt((u1 - p1)^2 + (p0 - l0)^2)``.
    NaN when a denominator is 0."""
    for name, x, n in (("x1", x1, n1), ("x0", x0, n0)):
        if n < 0 or x < 0 or x > n:
            raise ValueError(f"{name}={x} of n={n}; expected 0 <= {name} <= n")
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a coverage in (0, 1), e.g. 0.95")
    if n1 == 0 or n0 == 0:
        nan = float("nan")
        return nan, nan, nan
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = _wilson(x1, n1, conf_level)
    l0, u0 = _wilson(x0, n0, conf_level)
    d = p1 - p0
    return d, d - float(np.hypot(p1 - l1, u0 - p0)), d + float(np.hypot(u1 - p1, p0 - l0))
