"""Counting-process primitives shared by every estimator: one product-limit step, one interval.

:mod:`helpers.stats.survival` (Kaplan-Meier, log-rank, Cox, ``cox.zph``) and
:mod:`helpers.stats.competing_risks` (cumulative incidence, Gray's test, Fine-Gray's censoring
distribution) all reduce the data to the same table: at each distinct time, how many are at
risk (``T >= t``), how many have an event and how many are censored *at* that time.  This
module builds that table once and takes the product-limit step once:

- :func:`tied_blocks`: the runs of equal values in a sorted time vector.
- :func:`risk_table`: distinct times with ``n_risk``, ``n_event``, ``n_censor`` (per time),
  optionally one column per group.
- :func:`at_risk`: reverse cumulative sums of counts, ``n_risk(t) = #{T >= t}``.
- :func:`product_limit`: ``prod_{s <= t} (n_risk(s) - n_event(s)) / n_risk(s)`` (a factor of 1
  where no one is at risk).
- :func:`z_quantile`, :func:`check_conf_type`, :data:`CONF_TYPES`: the confidence-level check,
  the normal quantile and the interval transforms, for every interval in the package.
- :func:`pointwise_limits`: R's ``survival:::survfit_confint`` (the same formula as
  tidycmprsk's log-log interval for a cumulative incidence).

The vocabulary of the output columns is written down in ``docs/CONVENTIONS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import special

__all__ = [
    "CONF_TYPES",
    "RiskTable",
    "at_risk",
    "check_conf_type",
    "left_continuous",
    "pointwise_limits",
    "product_limit",
    "risk_table",
    "tied_blocks",
    "z_quantile",
]

#: Pointwise interval transforms, named as R's ``survfit(conf.type=)``; every estimator
#: accepts these three ("linear" is an alias of "plain").
CONF_TYPES = ("log-log", "log", "plain")
_CONF_ALIASES = {"linear": "plain"}


# --------------------------------------------------------------------------- confidence level
def z_quantile(conf_level: float) -> float:
    """The two-sided normal quantile ``qnorm(1 - (1 - conf_level) / 2)``.

    Raises ``ValueError`` naming ``conf_level`` unless it is a number strictly between 0 and 1.
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, Real) or not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a number strictly between 0 and 1")
    return float(special.ndtri(1 - (1 - conf_level) / 2))  # stats.norm.ppf without its per-call overhead


def check_conf_type(conf_type: str) -> str:
    """The canonical name of an interval transform (one of :data:`CONF_TYPES`)."""
    canonical = _CONF_ALIASES.get(conf_type, conf_type)
    if canonical not in CONF_TYPES:
        raise ValueError(f"{conf_type=}; expected one of {CONF_TYPES}")
    return canonical


def pointwise_limits(p: np.ndarray, se_log: np.ndarray, z: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits of a probability ``p``, as R's ``survival:::survfit_confint``.

    ``se_log`` is the standard error on the log scale (``se(p) / p``; for Kaplan-Meier, the
    Greenwood standard error of the cumulative hazard).  ``"plain"``: ``p -+ z se_log p``
    clipped to [0, 1]; ``"log"``: ``p exp(-+ z se_log)``, upper limit at most 1, undefined
    (NaN) at ``p = 0``; ``"log-log"``: ``exp(-exp(log(-log p) -+ z se_log / log p))``,
    undefined at ``p = 0`` and ``p = 1``.  For a cumulative incidence the log-log limits are
    tidycmprsk's ``p ** exp(-+ z se(p) / (p log p))``.
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half = se * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        se2 = z * se / np.log(xx)
        lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
        upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        return lower, upper


# --------------------------------------------------------------------------- counting
def tied_blocks(sorted_time: np.ndarray, sorted_strata: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Runs of equal values in a sorted vector: ``(block, starts)``.

    ``block[i]`` is the index of subject i's distinct time (0, 1, ...), ``starts[k]`` the first
    subject of block k.  With ``sorted_strata`` (data sorted by stratum, then time) a block
    never spans two strata.
    """
    n = len(sorted_time)
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
        np.not_equal(sorted_time[1:], sorted_time[:-1], out=new[1:])
        if sorted_strata is not None:
            new[1:] |= sorted_strata[1:] != sorted_strata[:-1]
    return np.cumsum(new) - 1, np.flatnonzero(new)


def at_risk(counts: np.ndarray) -> np.ndarray:
    """``n_risk(t) = #{T >= t}`` from the counts leaving at each distinct time (axis 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    return counts[::-1].cumsum(axis=0)[::-1]


def product_limit(n_risk: np.ndarray, n_event: np.ndarray, axis: int = 0) -> np.ndarray:
    """The product-limit estimate after each time, ``prod (n_risk - n_event) / n_risk``.

    Times run along ``axis``: column by column on 2-D input (one column per group), or, with
    ``axis=1``, along the rows of a batch of samples; a time where no one is at risk
    contributes a factor 1.
    """
    n_risk = np.asarray(n_risk, dtype=np.float64)
    n_event = np.asarray(n_event, dtype=np.float64)
    live = n_risk > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(live, (n_risk - n_event) / np.where(live, n_risk, 1.0), 1.0)
    return np.cumprod(factor, axis=axis)


def left_continuous(after: np.ndarray, start: float = 1.0, axis: int = 0) -> np.ndarray:
    """A step function just before each time (``S(t-)``) from its values after (``S(t)``),
    times along ``axis``."""
    after = np.moveaxis(np.asarray(after, dtype=np.float64), axis, 0)
    first = np.full((1, *after.shape[1:]), start)
    return np.moveaxis(np.concatenate([first, after[:-1]], axis=0), 0, axis)


@dataclass(frozen=True)
class RiskTable:
    """Counts at the distinct times of one sample (or of each group, one column per group).

    Attributes
    ----------
    time : numpy.ndarray
        Distinct times, ascending.
    n_risk : numpy.ndarray
        Patients with ``T >= time`` (per group: shape ``(len(time), n_groups)``).
    n_event, n_censor : numpy.ndarray
        Events and censorings *at* ``time`` (same shape as ``n_risk``).
    index : numpy.ndarray
        Position in ``time`` of each patient's time, in the order given.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    index: np.ndarray

    @property
    def surv(self) -> np.ndarray:
        """Product-limit estimate just after each time."""
        return product_limit(self.n_risk, self.n_event)


def risk_table(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray | None = None,
    n_groups: int = 1,
) -> RiskTable:
    """Counts at each distinct time: at risk, events and censorings, overall or per group.

    Parameters
    ----------
    time : numpy.ndarray
        Follow-up times (any order).
    event : numpy.ndarray
        Event weights: 1 for an event, 0 for a censoring (booleans allowed).
    group : numpy.ndarray of int, optional
        Group codes 0..n_groups-1; the counts then have one column per group.
    n_groups : int
        Number of groups (with ``group``).
    """
    times, index = np.unique(time, return_inverse=True)
    k = len(times)
    event = np.asarray(event, dtype=np.float64)
    if group is None:
        n_event = np.bincount(index, weights=event, minlength=k)
        total = np.bincount(index, minlength=k).astype(np.float64)
    else:
        cell = index * n_groups + np.asarray(group)
        n_event = np.bincount(cell, weights=event, minlength=k * n_groups).reshape(k, n_groups)
        total = np.bincount(cell, minlength=k * n_groups).reshape(k, n_groups).astype(np.float64)
    return RiskTable(times, at_risk(total), n_event, total - n_event, index)
