"""Kaplan-Meier curves, median survival and median follow-up, as R's ``survfit``.

Counts follow ``docs/CONVENTIONS.md``: ``n_event``/``n_censor`` are the events and censorings
*at* each time (since the previous landmark with ``times=``), as ``summary(survfit)``'s
``n.event``/``n.censor``; ``cum_event``/``cum_censor`` are the running totals up to and
including the time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.stats._checks import OVERALL, check_columns, factor_levels, require_frame
from helpers.stats._counting import check_conf_type, pointwise_limits, risk_table, z_quantile

from ._data import as_group_column, events01, split

__all__ = ["KM_COLUMNS", "kaplan_meier", "median_follow_up", "median_survival", "numbers_at_risk"]

#: Columns of :func:`kaplan_meier`, in order.
KM_COLUMNS = [
    "group",
    "time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_event",
    "cum_censor",
]


def _check_conf(conf_level: float, conf_type: str) -> tuple[float, str]:
    return z_quantile(conf_level), check_conf_type(conf_type)


# --------------------------------------------------------------------------- Kaplan-Meier
@dataclass(frozen=True)
class _KMCurve:
    """Kaplan-Meier curve of one group at its distinct observed times."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    se_cumhaz: np.ndarray  # Greenwood: sqrt(sum d / (n (n - d))), R's survfit()$std.err
    lower: np.ndarray
    upper: np.ndarray


def _km_curve(t: np.ndarray, e: np.ndarray, z: float, conf_type: str) -> _KMCurve:
    tab = risk_table(t, e)
    n_risk, n_event = tab.n_risk, tab.n_event
    surv = tab.surv
    # Greenwood increment; where the curve drops to 0 (n_risk == n_event) it is
    # infinite, so the standard error and limits there are NaN, as in R.
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where(n_risk > n_event, n_event / (n_risk * (n_risk - n_event)), np.inf)
    se = np.sqrt(np.cumsum(inc))
    lower, upper = pointwise_limits(surv, se, z, conf_type)
    return _KMCurve(tab.time, n_risk, n_event, tab.n_censor, surv, se, lower, upper)


def _se_surv(surv: np.ndarray, se_cumhaz: np.ndarray) -> np.ndarray:
    """Greenwood standard error of S(t): ``S * se(cumulative hazard)``; NaN once S = 0."""
    with np.errstate(invalid="ignore"):
        return np.asarray(surv * se_cumhaz, dtype=float)


def _km_full_frame(label: object, c: _KMCurve) -> pd.DataFrame:
    # A row at time 0 (S = 1, no uncertainty) so the step function starts at the
    # origin; R's summary(fit, times = 0) reports the same (limits 1 and 1).
    n0 = c.n_risk[0]
    first = c.time[0] == 0
    rows = pd.DataFrame(
        {
            "group": label,
            "time": c.time,
            "estimate": c.surv,
            "std_error": _se_surv(c.surv, c.se_cumhaz),
            "conf_low": c.lower,
            "conf_high": c.upper,
            "n_risk": c.n_risk.astype(int),
            "n_event": c.n_event.astype(int),
            "n_censor": c.n_censor.astype(int),
            "cum_event": np.cumsum(c.n_event).astype(int),
            "cum_censor": np.cumsum(c.n_censor).astype(int),
        }
    )
    if first:
        return rows
    origin = pd.DataFrame(
        {
            "group": [label],
            "time": [0.0],
            "estimate": [1.0],
            "std_error": [0.0],
            "conf_low": [1.0],
            "conf_high": [1.0],
            "n_risk": [int(n0)],
            "n_event": [0],
            "n_censor": [0],
            "cum_event": [0],
            "cum_censor": [0],
        }
    )
    return pd.concat([origin, rows], ignore_index=True)


def _km_at_times(label: object, c: _KMCurve, times: np.ndarray) -> pd.DataFrame:
    """As R's ``summary(survfit, times=)``; times beyond the last follow-up give NaN.

    R drops such rows (``extend = FALSE``); a tidy landmark table keeps them with
    ``n_risk = 0`` and a missing estimate, so every group has every landmark.
    """
    out = []
    prev = -np.inf
    for tt in times:
        idx = np.searchsorted(c.time, tt, side="right") - 1  # last time <= tt
        in_window = (c.time > prev) & (c.time <= tt)
        n_ev = int(c.n_event[in_window].sum())
        n_ce = int(c.n_censor[in_window].sum())
        cum_ev = int(c.n_event[c.time <= tt].sum())
        cum_ce = int(c.n_censor[c.time <= tt].sum())
        n_risk = int(c.n_risk[np.searchsorted(c.time, tt, side="left")]) if tt <= c.time[-1] else 0
        if tt > c.time[-1]:
            est = se = lo = hi = np.nan
        elif idx < 0:
            est, se, lo, hi = 1.0, 0.0, 1.0, 1.0
        else:
            est = c.surv[idx]
            se = float(_se_surv(c.surv[idx], c.se_cumhaz[idx]))
            lo, hi = c.lower[idx], c.upper[idx]
        out.append((label, float(tt), est, se, lo, hi, n_risk, n_ev, n_ce, cum_ev, cum_ce))
        prev = tt
    return pd.DataFrame(out, columns=KM_COLUMNS)


def kaplan_meier(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str | None = None,
    *,
    times: Sequence[float] | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Kaplan-Meier survival with Greenwood standard errors, by group.

    Matches R's ``survfit(Surv(time, status) ~ group, conf.type=)``: with
    ``times=None`` the whole step function (one row per distinct observed time,
    as ``summary(fit, censored = TRUE)``, preceded by a row at time 0); with
    ``times`` the curve at those landmarks, as ``summary(fit, times = times)``.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    duration_col, event_col : str
        Time to event or censoring (>= 0); event indicator, 1 = event,
        0 = censored (bool allowed).  Other codes raise ``ValueError``.
    group_col : str, optional
        Column defining the curves; ``None`` gives one curve labelled ``"Overall"``.
        Groups are ordered as R's ``factor()``: categorical order, else sorted.
    times : sequence of float, optional
        Landmark times.  ``n_event`` and ``n_censor`` then count events and
        censorings since the previous landmark (R's ``summary(fit, times=)``),
        ``cum_event`` and ``cum_censor`` those up to and including the landmark,
        ``n_risk`` those with time >= t.
        A landmark beyond a group's last follow-up has a missing estimate and
        ``n_risk = 0`` (R drops the row).
    conf_level : float
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}
        Interval transform, as ``survfit(conf.type=)`` (``"linear"`` is an alias of
        ``"plain"``).  Under "log-log" the
        limits are undefined (NaN) where the estimate is exactly 1 or 0, as in
        R; the row at time 0 and landmarks before the first observation carry
        limits 1 and 1, again as R's ``summary(fit, times=)``.

    Returns
    -------
    DataFrame
        ``group, time, estimate, std_error, conf_low, conf_high, n_risk,
        n_event, n_censor, cum_event, cum_censor``; ``group`` is categorical in
        level order; ``std_error`` is the Greenwood standard error of the
        survival probability, ``S(t) * sqrt(sum d / (n (n - d)))``; ``n_event`` and
        ``n_censor`` count events and censorings at the time (survfit's ``n.event``,
        ``n.censor``), ``cum_event`` and ``cum_censor`` their running totals.  A group
        with no events is a curve flat at 1.
    """
    z, conf_type = _check_conf(conf_level, conf_type)
    parts = split(data, duration_col, event_col, group_col)
    if times is not None:
        tt = np.asarray(times, dtype=float).ravel()
        if np.isnan(tt).any() or (tt < 0).any():
            raise ValueError(f"times={list(tt)}; expected non-negative, non-missing times")
        tt = np.sort(tt)
    frames = []
    for label, t, e in parts:
        curve = _km_curve(t, e, z, conf_type)
        frames.append(_km_full_frame(label, curve) if times is None else _km_at_times(label, curve, tt))
    out = pd.concat(frames, ignore_index=True)[KM_COLUMNS]
    out["group"] = as_group_column(out["group"].tolist(), [label for label, _, _ in parts])
    return out


def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """First ``x`` where ``y`` <= 0.5, R's ``survival:::survmean`` rule.

    If the curve sits exactly at 0.5 (within sqrt(machine epsilon)) the result is
    the midpoint between that time and the next time the curve drops.
    """
    tol = np.finfo(float).eps ** 0.5
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return np.nan
    x, y = x[keep], y[keep]
    if abs(y[0] - 0.5) < tol and (y < y[0]).any():
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


def median_survival(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Median survival time with its confidence interval, as R's ``print(survfit)``.

    The median is the first time the Kaplan-Meier curve is at or below 0.5; if
    it lies exactly at 0.5 over an interval, the midpoint of that interval (R's
    ``survival:::survmean``).  The limits are the same rule applied to the upper
    and lower pointwise bands (Brookmeyer-Crowley inversion).  Not reached ->
    NaN (R's NA), e.g. for a group with no events.

    Parameters
    ----------
    data, duration_col, event_col, group_col, conf_level, conf_type
        As :func:`kaplan_meier`.

    Returns
    -------
    DataFrame
        ``group, median, conf_low, conf_high``.
    """
    z, conf_type = _check_conf(conf_level, conf_type)
    rows = []
    parts = split(data, duration_col, event_col, group_col)
    for label, t, e in parts:
        c = _km_curve(t, e, z, conf_type)
        rows.append((label, _minmin(c.surv, c.time), _minmin(c.lower, c.time), _minmin(c.upper, c.time)))
    out = pd.DataFrame(rows, columns=["group", "median", "conf_low", "conf_high"])
    out["group"] = as_group_column(out["group"].tolist(), [label for label, _, _ in parts])
    return out


def median_follow_up(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
) -> pd.DataFrame:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper and Smith, 1996).

    Censoring is treated as the event and events as censoring; the median of
    that curve is returned as R's ``print(survfit(Surv(time, 1 - status) ~ group))``.
    R's ``survfit`` defaults to ``conf.type = "log"``; this project states
    ``"log-log"`` once for all intervals, pass ``conf_type="log"`` for R's default.

    Parameters
    ----------
    data, duration_col, event_col, group_col, conf_level, conf_type
        As :func:`kaplan_meier`.

    Returns
    -------
    DataFrame
        ``group, median, conf_low, conf_high``.
    """
    data = require_frame(data)
    check_columns(data, event_col=event_col)
    reversed_col = "__censored__"
    flipped = data.assign(**{reversed_col: 1.0 - events01(data, event_col)})
    return median_survival(flipped, duration_col, reversed_col, group_col, conf_level=conf_level, conf_type=conf_type)


def numbers_at_risk(
    data: pd.DataFrame, duration_col: str, group_col: str | None, times: Sequence[float]
) -> pd.DataFrame:
    """Patients still at risk (``duration >= t``, as R's ``summary(survfit)`` and SAS count them)
    at each of ``times`` (e.g. a figure's ticks), per group: ``group, time, n_risk``; groups in
    level order (categorical order, else sorted), one group ``"Overall"`` without ``group_col``."""
    groups = [OVERALL] if group_col is None else [str(g) for g in factor_levels(data[group_col], f"{group_col=}")]
    rows = []
    for g in groups:
        d = data[duration_col] if group_col is None else data.loc[data[group_col] == g, duration_col]
        values = np.sort(d.to_numpy(dtype=float))
        for t in times:
            rows.append(
                {"group": g, "time": float(t), "n_risk": int(len(values) - np.searchsorted(values, t, side="left"))}
            )
    return pd.DataFrame(rows)
