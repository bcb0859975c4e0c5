"""Aalen-Johansen cumulative incidence with cmprsk's variance.

Matches R ``cmprsk::cuminc`` (estimates and ``var``) and ``cmprsk::timepoints``; confidence
intervals as ``tidycmprsk::tidy.tidycuminc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.stats._checks import OVERALL
from helpers.stats._counting import (
    CONF_TYPES,
    at_risk,
    check_conf_type,
    pointwise_limits,
    tied_blocks,
    z_quantile,
)

from ._kernel import cif_from_counts
from ._validate import check_causes, check_columns, check_competing_risks_input, check_times, encode_groups

__all__ = ["COLUMNS", "CONF_TYPES", "cumulative_incidence", "confidence_interval"]

COLUMNS = [
    "group",
    "cause",
    "time",
    "estimate",
    "variance",
    "std_error",
    "conf_low",
    "conf_high",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_event",
    "cum_censor",
]


def _group_counts(
    t: np.ndarray, e: np.ndarray, causes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts of one group at its distinct times (input sorted by time).

    Returns ``(times, n_risk, n_censor, n_any, n_event)``, ``n_event`` of shape (n_times, n_causes).
    """
    idx, starts = tied_blocks(t)
    times = t[starts]
    n_times = len(times)
    total = np.bincount(idx, minlength=n_times).astype(np.float64)
    censored = np.bincount(idx, weights=(e == 0), minlength=n_times)
    n_event = np.stack([np.bincount(idx, weights=(e == c), minlength=n_times) for c in causes], axis=1)
    return times, at_risk(total), censored, total - censored, n_event


def _curves(
    tables: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Estimate and variance, (n_times, n_causes), of every group: one kernel call for all
    groups and causes, each a row of the batch padded with rows that change nothing."""
    n_causes = tables[0][4].shape[1]
    width = max(len(tb[0]) for tb in tables)
    shape = (len(tables) * n_causes, width)
    n_risk, n_any, d1 = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for g, (times, risk, _, anyev, events) in enumerate(tables):
        rows = slice(g * n_causes, (g + 1) * n_causes)
        n_risk[rows, : len(times)] = risk
        n_any[rows, : len(times)] = anyev
        d1[rows, : len(times)] = events.T
    f, v = cif_from_counts(n_risk, n_any, d1)
    return [
        (f[g * n_causes : (g + 1) * n_causes, : len(tb[0])].T, v[g * n_causes : (g + 1) * n_causes, : len(tb[0])].T)
        for g, tb in enumerate(tables)
    ]


def sort_by_group_then_time(t: np.ndarray, codes: np.ndarray, time_order: np.ndarray | None = None) -> np.ndarray:
    """Permutation ordering patients by group code, then time (order among ties arbitrary).

    Equivalent to ``np.lexsort((t, codes))`` up to ties, but several times faster: an unstable
    (SIMD) sort of the times (or ``time_order``, one already made), then a stable radix sort of
    the small integer codes.
    """
    order = np.argsort(t) if time_order is None else time_order
    if codes.max(initial=0) < np.iinfo(np.int16).max:
        key = codes[order].astype(np.int16)
    else:
        key = codes[order]
    return order[np.argsort(key, kind="stable")]


def confidence_interval(
    estimate: np.ndarray, std_error: np.ndarray, conf_level: float = 0.95, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence interval for a cumulative incidence.

    R's ``survival:::survfit_confint`` on the estimate and its standard error (``se / est`` on
    the log scale).  ``"log-log"`` is tidycmprsk's interval (Pintilie, *Competing Risks: A
    Practical Perspective*, 2006), ``est ** exp(+-z * se / (est * log(est)))``, which stays in
    [0, 1]; ``"log"`` is ``est * exp(+-z * se / est)``, upper limit at most 1; ``"plain"``
    (alias ``"linear"``) is ``est +- z * se`` clipped to [0, 1].  Degenerate cases of the
    transformed intervals, as tidycmprsk: an estimate of 0 gives (0, 0), an estimate of 1
    gives (1, 1), a standard error of 0 gives (est, est).

    Parameters
    ----------
    estimate, std_error : numpy.ndarray
    conf_level : float
        Coverage, in (0, 1).
    conf_type : {"log-log", "log", "plain"} (or "linear")

    Returns
    -------
    conf_low, conf_high : numpy.ndarray
    """
    z = z_quantile(conf_level)
    conf_type = check_conf_type(conf_type)
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(std_error, dtype=np.float64)
    if conf_type == "plain":
        return np.clip(est - z * se, 0.0, 1.0), np.clip(est + z * se, 0.0, 1.0)
    inner = (est > 0) & (est < 1) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = pointwise_limits(est, np.where(inner, se / est, 0.0), z, conf_type)
    return np.where(inner, low, est), np.where(inner, high, est)


def cumulative_incidence(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str | None = None,
    *,
    times: Sequence[float] | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    causes: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Cumulative incidence function (Aalen-Johansen) per group and cause, with cmprsk's variance.

    The estimate is ``F_k(t) = sum_{t_j <= t} S(t_j-) d_kj / n_j`` with ``S`` the Kaplan-Meier
    estimate of event-free survival (any cause), ``d_kj`` the events of cause ``k`` and ``n_j``
    those at risk (``T >= t_j``). Ties between causes at one time are used as they are (no
    jitter). The variance is the one of R ``cmprsk::cuminc`` (Fortran ``cinc``; an Aalen-type
    delta-method estimator with cmprsk's correction ``1 - (d - 1) / (n - 1)`` for tied events,
    Gray's software; see also Marubini and Valsecchi, 1995, ch. 10), matched to the digit.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    duration_col : str
        Follow-up time, >= 0.
    event_col : str
        0 = censored, 1, 2, ... = cause of failure (cmprsk with ``cencode=0``).
    group_col : str, optional
        Groups estimated separately: every group present, in categorical order for a
        categorical column, sorted otherwise. ``None`` gives one group labelled ``"Overall"``,
        as :func:`helpers.stats.survival.kaplan_meier`.
    times : sequence of float, optional
        If given, the step functions are evaluated at these times (sorted, duplicates dropped),
        like ``cmprsk::timepoints``: times after a group's last follow-up give ``NaN`` estimate
        and variance. If ``None``, one row per distinct observed time of the group, preceded by a
        row at time 0 with estimate 0 when no one has time 0 (cuminc's step function, corners
        collapsed to right-continuous values).
    conf_level : float, default 0.95
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        See :func:`confidence_interval` ("linear" is an alias of "plain").
    causes : sequence of int, optional
        Causes reported; by default every cause observed in ``data`` (as cuminc). Every
        non-zero code competes whether reported or not.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, cause, time, estimate, variance, std_error, conf_low, conf_high, n_risk,
        n_event, n_censor, cum_event, cum_censor`` (``docs/CONVENTIONS.md``), sorted by group,
        cause and time; ``group`` is categorical in level order. ``variance`` equals cuminc's
        ``var``; ``n_risk`` counts patients with ``T >= time``; ``n_event`` (events of the cause)
        and ``n_censor`` count those *at* ``time`` -- with ``times``, since the previous
        requested time -- and ``cum_event``, ``cum_censor`` those up to and including ``time``,
        as tidycmprsk's ``n.event``, ``n.censor``, ``cum.event``, ``cum.censor`` (and survfit's
        ``n.event``, ``n.censor``). A group with no event of a cause has estimate 0,
        variance 0 and interval (0, 0) throughout.

    Raises
    ------
    ValueError
        On invalid input (see :func:`helpers.stats.competing_risks._validate.check_competing_risks_input`).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4], "e": [1, 2, 0, 1, 0]})
    >>> cumulative_incidence(df, "t", "e", times=[2.5]).loc[:, ["cause", "estimate"]]
       cause  estimate
    0      1       0.2
    1      2       0.2
    """
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col)
    check_conf_type(conf_type)
    z_quantile(conf_level)
    t, e = check_competing_risks_input(
        data[duration_col],
        data[event_col],
        duration_name=f"duration_col={duration_col!r}",
        event_name=f"event_col={event_col!r}",
    )
    cause_codes = check_causes(causes, e)
    req = check_times(times) if times is not None else None

    if group_col is None:
        codes = np.zeros(len(t), dtype=np.int64)
        labels: list[Any] = [OVERALL]
    else:
        codes, labels = encode_groups(data[group_col], name=f"group_col={group_col!r}")
    return curves_from_arrays(t, e, codes, labels, cause_codes, req, conf_level, conf_type)


def curves_from_arrays(
    t: np.ndarray,
    e: np.ndarray,
    codes: np.ndarray,
    labels: list[Any],
    cause_codes: np.ndarray,
    req: np.ndarray | None,
    conf_level: float,
    conf_type: str,
    time_order: np.ndarray | None = None,
) -> pd.DataFrame:
    """The frame of :func:`cumulative_incidence` from validated arrays (group codes 0.. with
    their ``labels``); ``time_order``, an argsort of ``t``, saves sorting again."""
    order = sort_by_group_then_time(t, codes, time_order)
    t, e, codes = t[order], e[order], codes[order]
    bounds = np.searchsorted(codes, np.arange(len(labels) + 1))

    pieces: list[dict[str, np.ndarray]] = []
    tables = [
        _group_counts(t[bounds[g] : bounds[g + 1]], e[bounds[g] : bounds[g + 1]], cause_codes)
        for g in range(len(labels))
    ]
    curves = _curves(tables)
    for g in range(len(labels)):
        times_g, n_risk, n_cens, _, n_ev = tables[g]
        est, var = curves[g]
        cum_cens, cum_ev = np.cumsum(n_cens), np.cumsum(n_ev, axis=0)
        n_g = float(bounds[g + 1] - bounds[g])
        if req is None:
            if times_g[0] > 0:
                times_g = np.concatenate(([0.0], times_g))
                n_risk = np.concatenate(([n_g], n_risk))
                n_cens, cum_cens = (np.concatenate(([0.0], a)) for a in (n_cens, cum_cens))
                zero = np.zeros((1, len(cause_codes)))
                est, var, n_ev, cum_ev = (np.vstack((zero, a)) for a in (est, var, n_ev, cum_ev))
            out_t = times_g
            risk = n_risk
            est_o, var_o = est, var
            ev_o, cens_o, cum_ev_o, cum_cens_o = n_ev, n_cens, cum_ev, cum_cens
        else:
            pos = np.searchsorted(times_g, req, side="right") - 1
            before = pos < 0
            beyond = req > times_g[-1]
            p = np.maximum(pos, 0)
            out_t = req
            # at risk at t: those with T >= t
            risk = n_g - np.searchsorted(t[bounds[g] : bounds[g + 1]], req, side="left").astype(np.float64)
            cum_cens_o = np.where(before, 0.0, cum_cens[p])
            cum_ev_o = np.where(before[:, None], 0.0, cum_ev[p])
            # since the previous requested time, as summary(survfit, times=) and tidycmprsk
            cens_o = np.diff(cum_cens_o, prepend=0.0)
            ev_o = np.diff(cum_ev_o, axis=0, prepend=0.0)
            est_o = np.where(before[:, None], 0.0, est[p])
            var_o = np.where(before[:, None], 0.0, var[p])
            est_o[beyond] = np.nan
            var_o[beyond] = np.nan
        for j, cause in enumerate(cause_codes):
            pieces.append(
                {
                    "group_code": np.full(len(out_t), g),
                    "cause": np.full(len(out_t), cause, dtype=np.int64),
                    "time": out_t,
                    "estimate": est_o[:, j],
                    "variance": var_o[:, j],
                    "n_risk": risk,
                    "n_event": ev_o[:, j],
                    "n_censor": cens_o,
                    "cum_event": cum_ev_o[:, j],
                    "cum_censor": cum_cens_o,
                }
            )
    cols = {k: np.concatenate([p[k] for p in pieces]) for k in pieces[0]}
    # rounding noise can leave a variance a hair below 0 where it is 0 in exact arithmetic
    variance = np.where(cols["variance"] < 0, 0.0, cols["variance"])
    std_error = np.sqrt(variance)
    low, high = confidence_interval(cols["estimate"], std_error, conf_level, conf_type)
    return pd.DataFrame(
        {
            "group": pd.Categorical.from_codes(cols["group_code"], categories=labels),
            "cause": cols["cause"],
            "time": cols["time"],
            "estimate": cols["estimate"],
            "variance": variance,
            "std_error": std_error,
            "conf_low": low,
            "conf_high": high,
            **{k: cols[k].astype(np.int64) for k in ("n_risk", "n_event", "n_censor", "cum_event", "cum_censor")},
        },
        columns=COLUMNS,
    )
