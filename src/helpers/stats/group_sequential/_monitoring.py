"""Monitoring a group-sequential trial at an interim look: conditional power by the B-value method
(Lan and Wittes 1988), predictive power under a flat prior (Spiegelhalter, Freedman and Blackburn
1986; Jennison and Turnbull 2000, sec. 10.3) and repeated confidence intervals (Jennison and
Turnbull 1989).

The statistic is oriented so that positive values favour the alternative (flip the sign of a
statistic that is negative under benefit).  ``theta`` is a drift: E[Z] at the maximum information
(the design's ``drift`` under its alternative).  With B(t) = Z(t) sqrt(t), B(1) - B(t) ~
N(theta (1 - t), 1 - t) independently of B(t); with several looks left, the probability of
crossing any later efficacy boundary is integrated recursively from the observed point.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from ._design import Boundaries, GroupSequentialDesign
from ._integration import Walker

__all__ = ["conditional_power", "predictive_power", "repeated_confidence_interval"]

_GAUSS_HERMITE = np.polynomial.hermite_e.hermegauss(64)


def _future(boundaries: GroupSequentialDesign | Boundaries | float, t: float) -> tuple[Boundaries, list[int]]:
    """The boundaries and the indices of the looks after information fraction ``t``."""
    if isinstance(boundaries, GroupSequentialDesign):
        b = boundaries.boundaries
    elif isinstance(boundaries, Boundaries):
        b = boundaries
    else:
        c = float(boundaries)
        if not math.isfinite(c):
            raise ValueError(f"boundaries={boundaries!r}: a final critical value must be finite")
        b = Boundaries((1.0,), (c,))
    later = [k for k, tk in enumerate(b.information_fractions) if tk > t]
    if not later:
        raise ValueError(
            f"information_fraction={t} is at or after the last look "
            f"({b.information_fractions[-1]}): no look is left to compute a conditional power for"
        )
    return b, later


def _check_t(information_fraction: float) -> float:
    t = float(information_fraction)
    if not 0 < t < 1.0 + 1e-12 or not math.isfinite(t):
        raise ValueError(f"information_fraction={information_fraction!r} must be in (0, 1)")
    return t


def _crossing(z: float, t: float, b: Boundaries, later: list[int], drift: float) -> float:
    """P(crossing an efficacy boundary of a later look, on the alternative's side | Z(t) = z)."""
    w = Walker.start(drift, z=z, t=t)
    p = 0.0
    for i, k in enumerate(later):
        tk = b.information_fractions[k]
        hi = b.efficacy[k]
        p += w.above(tk, hi)
        if i < len(later) - 1:
            lo, _ = b.continuation(k, with_futility=b.binding)
            w = w.step(tk, lo, hi)
    return p


def conditional_power(
    z: float,
    information_fraction: float,
    boundaries: GroupSequentialDesign | Boundaries | float,
    *,
    theta: Literal["design", "estimate"] | float = "design",
) -> float:
    """Conditional power: the probability of crossing a later efficacy boundary given Z = ``z`` at
    ``information_fraction`` (B-value method, Lan and Wittes 1988).

    Parameters
    ----------
    z
        The observed statistic, positive favouring the alternative.
    information_fraction
        The current information over the maximum (the design's).
    boundaries
        A :class:`GroupSequentialDesign`, its :class:`Boundaries` (or those of :func:`update`
        followed by the planned ones), or the final critical value alone.  The looks after
        ``information_fraction`` count; futility boundaries only if binding.
    theta
        ``"design"``: the design's drift (needs a design); ``"estimate"``: the current estimate
        ``z / sqrt(t)``; or a drift (E[Z] at the maximum information).

    With the final look alone left, ``1 - Phi((c - z sqrt(t) - theta (1 - t)) / sqrt(1 - t))``.
    """
    t = _check_t(information_fraction)
    b, later = _future(boundaries, t)
    if theta == "design":
        if not isinstance(boundaries, GroupSequentialDesign):
            raise ValueError("theta='design' needs a GroupSequentialDesign (its drift); pass theta= as a number")
        drift = boundaries.drift
    elif theta == "estimate":
        drift = float(z) / math.sqrt(t)
    else:
        drift = float(theta)
    return _crossing(float(z), t, b, later, drift)


def predictive_power(
    z: float, information_fraction: float, boundaries: GroupSequentialDesign | Boundaries | float
) -> float:
    """Predictive power: conditional power averaged over the posterior of the drift under a flat
    prior, theta | Z(t) = z ~ N(z / sqrt(t), 1 / t) (Gauss-Hermite quadrature, 64 nodes).

    With the final look alone left, ``Phi((z - c sqrt(t)) / sqrt(1 - t))``.
    """
    t = _check_t(information_fraction)
    b, later = _future(boundaries, t)
    nodes, weights = _GAUSS_HERMITE
    mean, sd = float(z) / math.sqrt(t), 1 / math.sqrt(t)
    values = [_crossing(float(z), t, b, later, mean + sd * x) for x in nodes]
    return float(np.dot(weights, values) / math.sqrt(2 * math.pi))


def repeated_confidence_interval(
    log_hr: ArrayLike, std_error: ArrayLike, critical_z: ArrayLike
) -> tuple[float, float] | tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Repeated confidence interval on the hazard ratio scale (Jennison and Turnbull 1989):
    ``exp(log_hr -/+ c_k std_error)`` with c_k the look's efficacy boundary (two-sided designs; a
    one-sided design of level alpha gives the 1 - 2 alpha interval).  Together over all looks the
    intervals cover the true ratio with the design's confidence.  Vectorised over looks.
    """
    est = np.asarray(log_hr, dtype=float)
    se = np.asarray(std_error, dtype=float)
    c = np.asarray(critical_z, dtype=float)
    if np.any(se <= 0) or np.any(~np.isfinite(se)):
        raise ValueError(f"std_error={std_error!r} must be positive and finite")
    if np.any(c <= 0) or np.any(~np.isfinite(c)):
        raise ValueError(f"critical_z={critical_z!r} must be positive and finite")
    low, high = np.exp(est - c * se), np.exp(est + c * se)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _lan_wittes(z: float, t: float, c: float, drift: float) -> float:
    """The closed form with one look left (for the docstrings' formula and tests)."""
    return float(special.ndtr(-(c - z * math.sqrt(t) - drift * (1 - t)) / math.sqrt(1 - t)))
