"""Kaplan-Meier, log-rank and Cox models, each matching R's ``survival`` package.

Every function takes a data frame and column names (lifelines' vocabulary:
``duration_col``, ``event_col``) and returns an unrounded tidy frame.  The
numbers are proven against R 4.2.2 / survival 3.5-3 in ``tests/test_survival.py``
with the script ``tests/reference/survival.R``.

Event coding: these are single-event methods.  ``event_col`` holds 1 (event)
and 0 (censored), or booleans.  Any other code -- ADTTE's 2 for a competing
event, say -- is refused with a ``ValueError`` rather than silently counted as
an event or as censoring; competing-risk endpoints belong in
:mod:`helpers.competing_risks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import (
    OVERALL,
    Design,
    check_columns,
    check_durations,
    check_event_codes,
    factor_levels,
    require_frame,
    treatment_design,
)

__all__ = [
    "CONF_TYPES",
    "OVERALL",
    "cox",
    "CoxFit",
    "cox_ph_test",
    "fit_cox",
    "kaplan_meier",
    "logrank_test",
    "median_follow_up",
    "median_survival",
]

#: Confidence interval transforms, named as in R's ``survfit(conf.type=)``.
CONF_TYPES = ("log-log", "log", "plain")

_KM_COLUMNS = [
    "group",
    "time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "n_risk",
    "n_event",
    "n_censor",
]
_COX_COLUMNS = [
    "term",
    "coef",
    "std_error",
    "hr",
    "conf_low",
    "conf_high",
    "statistic",
    "p_value",
    "note",
]
# coxph.control(): eps and toler.inf = sqrt(eps), used for R's "coefficient may be
# infinite" check on the Newton step left at the solution
_COXPH_EPS = 1e-9
_TOLER_INF = _COXPH_EPS**0.5


# --------------------------------------------------------------------------- checks
# frames, columns, times, event codes and levels: one rule for every helper (helpers._checks)
def _durations(data: pd.DataFrame, duration_col: str) -> np.ndarray:
    return check_durations(data[duration_col], f"{duration_col=}")


def _events01(data: pd.DataFrame, event_col: str) -> np.ndarray:
    return check_event_codes(
        data[event_col], f"{event_col=}", allowed_codes=[1],
        hint="A code 2 (competing event) needs helpers.competing_risks, or recode it "
        "explicitly for a cause-specific analysis",
    ).astype(float)


def _groups(data: pd.DataFrame, group_col: str | None) -> tuple[np.ndarray, list]:
    """Group labels and their order (categorical order, else sorted as R's factor())."""
    if group_col is None:
        return np.full(len(data), OVERALL, dtype=object), [OVERALL]
    col = data[group_col]
    if col.isna().any():
        raise ValueError(
            f"{group_col=} holds {int(col.isna().sum())} missing value(s); "
            "expected a group for every patient (drop or label them first)"
        )
    return col.to_numpy(dtype=object), factor_levels(col, f"{group_col=}")


def _check_conf(conf_level: float, conf_type: str) -> float:
    if conf_type not in CONF_TYPES:
        raise ValueError(f"{conf_type=}; expected one of {CONF_TYPES}")
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a number strictly between 0 and 1")
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


# --------------------------------------------------------------------------- Kaplan-Meier
@dataclass
class _KMCurve:
    """Kaplan-Meier curve of one group at its distinct observed times."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    se_cumhaz: np.ndarray  # Greenwood: sqrt(sum d / (n (n - d))), R's survfit()$std.err
    lower: np.ndarray = field(default_factory=lambda: np.empty(0))
    upper: np.ndarray = field(default_factory=lambda: np.empty(0))


def _km_curve(t: np.ndarray, e: np.ndarray, z: float, conf_type: str) -> _KMCurve:
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=len(times))
    n_total = np.bincount(inverse, minlength=len(times)).astype(float)
    n_censor = n_total - n_event
    n_risk = n_total[::-1].cumsum()[::-1]
    surv = np.cumprod(1.0 - n_event / n_risk)
    # Greenwood increment; where the curve drops to 0 (n_risk == n_event) it is
    # infinite, so the standard error and limits there are NaN, as in R.
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where(n_risk > n_event, n_event / (n_risk * (n_risk - n_event)), np.inf)
    se = np.sqrt(np.cumsum(inc))
    curve = _KMCurve(times, n_risk, n_event, n_censor, surv, se)
    curve.lower, curve.upper = _confint(surv, se, z, conf_type)
    return curve


def _confint(
    p: np.ndarray, se: np.ndarray, z: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise limits as R's ``survival:::survfit_confint`` (``se`` on the log scale)."""
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = se * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        # log-log: undefined where S is 0 or 1, as in R (NA there)
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        se2 = z * se / np.log(xx)
        lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
        upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        return lower, upper


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
        n_risk = int(c.n_risk[np.searchsorted(c.time, tt, side="left")]) if tt <= c.time[-1] else 0
        if tt > c.time[-1]:
            est = se = lo = hi = np.nan
        elif idx < 0:
            est, se, lo, hi = 1.0, 0.0, 1.0, 1.0
        else:
            est = c.surv[idx]
            se = float(_se_surv(c.surv[idx], c.se_cumhaz[idx]))
            lo, hi = c.lower[idx], c.upper[idx]
        out.append((label, float(tt), est, se, lo, hi, n_risk, n_ev, n_ce))
        prev = tt
    return pd.DataFrame(out, columns=_KM_COLUMNS)


def _split(
    data: pd.DataFrame, duration_col: str, event_col: str, group_col: str | None
) -> list[tuple[object, np.ndarray, np.ndarray]]:
    data = require_frame(data)
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col)
    t = _durations(data, duration_col)
    e = _events01(data, event_col)
    g, levels = _groups(data, group_col)
    return [(lv, t[g == lv], e[g == lv]) for lv in levels]


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
        censorings since the previous landmark, ``n_risk`` those with time >= t.
        A landmark beyond a group's last follow-up has a missing estimate and
        ``n_risk = 0`` (R drops the row).
    conf_level : float
        Confidence level of the pointwise interval.
    conf_type : {"log-log", "log", "plain"}
        Interval transform, as ``survfit(conf.type=)``.  Under "log-log" the
        limits are undefined (NaN) where the estimate is exactly 1 or 0, as in
        R; the row at time 0 and landmarks before the first observation carry
        limits 1 and 1, again as R's ``summary(fit, times=)``.

    Returns
    -------
    DataFrame
        ``group, time, estimate, std_error, conf_low, conf_high, n_risk,
        n_event, n_censor``; ``std_error`` is the Greenwood standard error of the
        survival probability, ``S(t) * sqrt(sum d / (n (n - d)))``.  A group
        with no events is a curve flat at 1.
    """
    z = _check_conf(conf_level, conf_type)
    parts = _split(data, duration_col, event_col, group_col)
    if times is not None:
        tt = np.asarray(times, dtype=float).ravel()
        if np.isnan(tt).any() or (tt < 0).any():
            raise ValueError(f"times={list(tt)}; expected non-negative, non-missing times")
        tt = np.sort(tt)
    frames = []
    for label, t, e in parts:
        curve = _km_curve(t, e, z, conf_type)
        frames.append(_km_full_frame(label, curve) if times is None else _km_at_times(label, curve, tt))
    return pd.concat(frames, ignore_index=True)[_KM_COLUMNS]


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
    z = _check_conf(conf_level, conf_type)
    rows = []
    for label, t, e in _split(data, duration_col, event_col, group_col):
        c = _km_curve(t, e, z, conf_type)
        rows.append(
            (label, _minmin(c.surv, c.time), _minmin(c.lower, c.time), _minmin(c.upper, c.time))
        )
    return pd.DataFrame(rows, columns=["group", "median", "conf_low", "conf_high"])


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
    flipped = data.assign(**{reversed_col: 1.0 - _events01(data, event_col)})
    return median_survival(
        flipped, duration_col, reversed_col, group_col, conf_level=conf_level, conf_type=conf_type
    )


# --------------------------------------------------------------------------- log-rank
def logrank_test(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    strata_col: str | None = None,
) -> pd.DataFrame:
    """Log-rank test of equal survival across any number of groups, optionally stratified.

    Matches R's ``survdiff(Surv(time, status) ~ group + strata(s))`` (rho = 0):
    observed minus expected events and their hypergeometric covariance summed
    over strata; the statistic is ``(O - E)' V^- (O - E)`` over the groups with
    expected > 0, one group dropped, on that many groups minus one degrees of
    freedom.  With fewer than two such groups the statistic is 0 on 0 df (p
    NaN); with a singular covariance (no information, where R's survdiff
    stops) statistic and p are NaN.

    Returns
    -------
    DataFrame
        One row: ``statistic, df, p_value, note``; ``note`` is empty when the test is
        defined and otherwise says why statistic or p-value are missing.
    """
    data = require_frame(data)
    if group_col is None:
        raise ValueError("group_col=None; expected the column holding the groups to compare")
    check_columns(
        data, duration_col=duration_col, event_col=event_col, group_col=group_col,
        strata_col=strata_col,
    )
    t = _durations(data, duration_col)
    e = _events01(data, event_col)
    g, levels = _groups(data, group_col)
    s, strata = _groups(data, strata_col)
    k = len(levels)
    gi = np.array([levels.index(v) for v in g])
    obs = np.zeros(k)
    exp_ = np.zeros(k)
    var = np.zeros((k, k))
    for st in strata:
        m = s == st
        ts, es, gs = t[m], e[m], gi[m]
        for tt in np.unique(ts[es == 1]):
            at_risk = ts >= tt
            n_j = np.bincount(gs[at_risk], minlength=k).astype(float)
            dead = at_risk & (ts == tt) & (es == 1)
            d_j = np.bincount(gs[dead], minlength=k).astype(float)
            n, d = n_j.sum(), d_j.sum()
            obs += d_j
            exp_ += d * n_j / n
            if n > 1:
                frac = n_j / n
                var += d * (n - d) / (n - 1) * (np.diag(frac) - np.outer(frac, frac))
    use = np.flatnonzero(exp_ > 0)
    df = len(use) - 1
    if df < 1:
        return pd.DataFrame({"statistic": [0.0], "df": [max(df, 0)], "p_value": [np.nan],
                             "note": ["not testable: fewer than two groups with expected events > 0"]})
    diff = (obs - exp_)[use][1:]
    vv = var[np.ix_(use, use)][1:, 1:]
    try:
        chi = float(diff @ np.linalg.solve(vv, diff))
    except np.linalg.LinAlgError:
        # no information (e.g. every patient with an event at one shared time);
        # R's survdiff stops with "system is exactly singular"
        return pd.DataFrame({"statistic": [np.nan], "df": [df], "p_value": [np.nan],
                             "note": ["not testable: variance matrix is singular (no information)"]})
    return pd.DataFrame(
        {"statistic": [chi], "df": [df], "p_value": [float(stats.chi2.sf(chi, df))], "note": [""]}
    )


# --------------------------------------------------------------------------- Cox
def _design(
    data: pd.DataFrame, covariates: Sequence[str], interactions: Sequence[tuple[str, str]]
) -> Design:
    return treatment_design(data, covariates, interactions)


def _check_model_inputs(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None,
    interactions: Sequence[tuple[str, str]],
) -> list[str]:
    data = require_frame(data)
    if isinstance(covariates, str):
        raise ValueError(f"covariates={covariates!r}; expected a list of column names")
    if len(covariates) == 0:
        raise ValueError("covariates=[]; expected at least one covariate")
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    check_columns(data, duration_col=duration_col, event_col=event_col)
    for c in list(covariates) + strata_cols:
        check_columns(data, covariates=c)
    for pair in interactions:
        if len(pair) != 2 or any(p not in covariates for p in pair):
            raise ValueError(
                f"interactions holds {pair!r}; expected pairs of names listed in covariates"
            )
    for c in list(covariates) + strata_cols:
        n_na = int(data[c].isna().sum())
        if n_na:
            raise ValueError(
                f"covariate {c!r} holds {n_na} missing value(s); expected complete data "
                "(drop those rows first and report how many)"
            )
    _durations(data, duration_col)
    _events01(data, event_col)
    return strata_cols


@dataclass
class CoxFit:
    """A fitted Cox model: the tidy summary of :func:`cox` plus what Wald and zph tests need."""

    summary: pd.DataFrame
    coef: pd.Series  # estimable columns only
    vcov: pd.DataFrame
    design: Design
    X: pd.DataFrame  # rows and columns actually fitted
    time: np.ndarray
    event: np.ndarray
    strata: np.ndarray
    dropped_rows: int = 0

    def wald_test(self, columns: Sequence[str]) -> dict[str, float]:
        """Joint Wald test that the coefficients of ``columns`` (term names) are all zero.

        ``statistic = b' V^-1 b`` on ``len(columns)`` df (R: ``aod::wald.test``); NaN when a
        column is not estimable (its ``note``).
        """
        return _wald(self, columns)

    def columns_of(self, term: str) -> list[str]:
        """Model-matrix columns of a covariate or interaction (``"ARM:DIAG"``)."""
        return [c for c, t in self.design.term_of.items() if t == term]


def _nonestimable(
    design: Design, e: np.ndarray, interactions: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, dict[str, str], list[str]]:
    """Rows and columns to set aside because their coefficient is infinite.

    A level whose patients have no events gives a monotone likelihood: its
    coefficient tends to minus infinity.  In the limit those patients leave every
    risk set, so the other coefficients equal a fit without them (what R's
    ``coxph`` approaches while warning "coefficient may be infinite").  If the
    reference level has no events, every contrast of that covariate is infinite.
    """
    keep = np.ones(len(e), dtype=bool)
    notes: dict[str, str] = {}
    drop_cols: list[str] = []
    X = design.X
    for cov, lv_cols in design.factor_columns.items():
        ref = design.reference[cov]
        ref_rows = np.ones(len(e), dtype=bool)
        for col in lv_cols.values():
            ref_rows &= X[col].to_numpy() == 0
        if e[ref_rows].sum() == 0:
            keep &= ~ref_rows
            for lv, col in lv_cols.items():
                notes[col] = f"not estimable: no events in reference level {ref!r} of {cov}"
                drop_cols.append(col)
            continue
        for lv, col in lv_cols.items():
            rows = X[col].to_numpy() == 1
            if e[rows].sum() == 0:
                keep &= ~rows
                notes[col] = f"not estimable: no events in level {lv!r} of {cov}"
                drop_cols.append(col)
    # factor x factor cells without events: same limit argument, column by column.  Only
    # there is the product a 0/1 indicator of a cell; a numeric x factor product is an
    # ordinary covariate whose value 1 means nothing special
    for col, term in design.term_of.items():
        if ":" not in term or col in drop_cols:
            continue
        a, b = term.split(":", 1)
        if a not in design.factor_columns or b not in design.factor_columns:
            continue
        in_cell = X[col].to_numpy() != 0
        rows = in_cell & keep
        if rows.any() and e[rows].sum() == 0:
            keep &= ~in_cell
            notes[col] = f"not estimable: no events among patients with {col}"
            drop_cols.append(col)
    return keep, notes, drop_cols


def fit_cox(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    ties: str = "efron",
    conf_level: float = 0.95,
) -> CoxFit:
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning

    if ties != "efron":
        raise ValueError(
            f"{ties=}; expected 'efron' (lifelines implements only Efron's method, "
            "R's coxph default)"
        )
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a number strictly between 0 and 1")
    interactions = [tuple(p) for p in interactions]
    strata_cols = _check_model_inputs(data, duration_col, event_col, covariates, strata, interactions)
    t = _durations(data, duration_col)
    e = _events01(data, event_col)
    design = _design(data, covariates, interactions)
    s_lab = (
        data[strata_cols].astype(str).agg("\x1f".join, axis=1).to_numpy()
        if strata_cols
        else np.zeros(len(data), dtype=object)
    )
    keep, notes, drop_cols = _nonestimable(design, e, interactions)
    X = design.X.loc[keep, [c for c in design.X.columns if c not in drop_cols]]
    # columns left constant (or all-zero) once rows are set aside carry no information
    for col in list(X.columns):
        if X[col].nunique() <= 1:
            notes.setdefault(col, f"not estimable: {col} does not vary among patients with events")
            X = X.drop(columns=col)
    # a factor whose reference rows left: drop one more column to avoid aliasing
    for cov, lv_cols in design.factor_columns.items():
        present = [c for c in lv_cols.values() if c in X.columns]
        ref_gone = all(c in notes for c in lv_cols.values()) and present
        if ref_gone:
            X = X.drop(columns=present[0])
    tk, ek, sk = t[keep], e[keep], s_lab[keep]
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    coef = pd.Series(dtype=float)
    vcov = pd.DataFrame()
    if X.shape[1] > 0 and ek.sum() > 0:
        df = X.copy()
        df["__time__"] = tk
        df["__event__"] = ek
        if strata_cols:
            df["__strata__"] = sk
        strata_arg = ["__strata__"] if strata_cols else None

        def attempt(options: dict | None) -> tuple[CoxPHFitter | None, bool]:
            cph = CoxPHFitter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    cph.fit(df, duration_col="__time__", event_col="__event__",
                            strata=strata_arg, fit_options=options)
                except ConvergenceError:
                    return None, True
            return cph, any(issubclass(w.category, ConvergenceWarning) for w in caught)

        cph, failed = attempt({"precision": 1e-14, "r_precision": 0.0, "max_steps": 200})
        if failed:
            # the strict tolerance can stall on rounding noise: lifelines' defaults
            # decide whether the likelihood has a maximum at all
            cph, failed = attempt(None)
        if cph is None or failed:
            # a monotone likelihood without an event-free level (e.g. separation by
            # a continuous covariate): no finite maximum, nothing to report
            for col in X.columns:
                notes[col] = (
                    "not estimable: Cox partial likelihood has no finite maximum "
                    "(Newton-Raphson did not converge)"
                )
        else:
            coef = cph.params_.copy()
            vcov = cph.variance_matrix_.copy()
            vcov.index = vcov.columns = coef.index
            se = np.sqrt(np.diag(vcov.to_numpy()))
            diverged = ~np.isfinite(coef.to_numpy()) | ~np.isfinite(se)
            if not diverged.any():
                diverged = _infinite_coefficients(
                    X.to_numpy(dtype=float), coef.to_numpy(), tk, ek, sk
                )
            for col, bad in zip(coef.index, diverged):
                if bad:
                    notes[col] = f"not estimable: coefficient of {col} diverges (monotone likelihood)"
    rows = []
    for col in design.X.columns:
        if col in coef.index and not notes.get(col, "").startswith("not estimable"):
            b = float(coef[col])
            se_b = float(np.sqrt(vcov.loc[col, col]))
            stat = b / se_b
            rows.append(
                (col, b, se_b, np.exp(b), np.exp(b - z * se_b), np.exp(b + z * se_b), stat,
                 float(2 * stats.norm.sf(abs(stat))), notes.get(col, ""))
            )
        else:
            note = notes.get(col, "not estimable: no events left to fit")
            rows.append((col, *([np.nan] * 7), note))
    summary = pd.DataFrame(rows, columns=_COX_COLUMNS)
    return CoxFit(
        summary=summary,
        coef=coef,
        vcov=vcov,
        design=design,
        X=X,
        time=tk,
        event=ek,
        strata=sk,
        dropped_rows=int((~keep).sum()),
    )


def _infinite_coefficients(
    X: np.ndarray, beta: np.ndarray, t: np.ndarray, e: np.ndarray, strata: np.ndarray
) -> np.ndarray:
    """R's ``coxph.fit`` test for a coefficient running to infinity.

    At a finite maximum the Newton step ``|u' I^-1|`` left at the fitted
    coefficients is negligible.  Along a monotone likelihood the score and the
    information both decay exponentially while the coefficient grows linearly,
    so the step stays of order one: coxph warns "coefficient may be infinite"
    when it exceeds ``eps`` and ``toler.inf * |b|`` (``coxph.control``:
    ``eps = 1e-9``, ``toler.inf = sqrt(eps)``).  The same rule as
    :func:`helpers.competing_risks.fine_gray`, with ``|b|`` floored at 1 and a
    step of at most 1e-3 never flagged, so the strict Newton-Raphson
    precision used here leaves no rounding noise to trip it.  Unlike a bound on
    ``|coef|`` this lets a covariate on a small scale carry a large coefficient.
    """
    u, imat = _zph_score(np.zeros(len(t)), t, e, X, X @ beta, strata)
    p = X.shape[1]
    try:
        step = np.abs(np.linalg.solve(imat[:p, :p], u[:p]))
    except np.linalg.LinAlgError:
        return np.ones(p, dtype=bool)
    return ~np.isfinite(step) | (
        (step > 1e-3) & (step > _TOLER_INF * np.maximum(np.abs(beta), 1.0))
    )


def cox(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    ties: str = "efron",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cox proportional hazards model, as R's ``coxph(ties = "efron")``.

    Fitted with lifelines' ``CoxPHFitter`` (Efron's approximation for ties,
    Newton-Raphson until the Newton decrement is below 1e-14); the standard errors are the inverse
    observed information, Wald z and two-sided normal p-values, exactly R's
    ``summary(coxph)``.

    Categorical covariates (pandas categorical, object or string) are coded as
    R's treatment contrasts: the first level (categorical order, else sorted)
    is the reference and each other level a term ``COL[level]``.  Numeric and
    bool covariates enter linearly as term ``COL``.  An interaction ``(a, b)`` adds the products
    of their columns, named ``a_term:b_term`` (``ARM[Sorafenib]:DIAG[MDS]``).

    Hazard ratios that are not estimable are reported as NaN with a ``note``,
    never as 0 or infinity.  A level with no events (or a reference level with
    no events) makes the likelihood monotone: the coefficient runs to -infinity
    (+infinity) while R's coxph warns "coefficient may be infinite".  Those
    patients are set aside (the exact limit of the likelihood) and the remaining
    terms are fitted without them; an interaction cell without events is
    handled the same way.  Any other coefficient that still diverges (R's
    coxph test: the Newton step left at the solution, ``|u' I^-1|``, is not
    negligible against ``|coef|``) is also reported as not estimable, and
    if Newton-Raphson does not converge at all (a partial likelihood without a
    finite maximum, e.g. separation by a continuous covariate) every term is.

    Parameters
    ----------
    data : DataFrame
        One row per patient; covariates and strata must be complete.
    duration_col, event_col : str
        Time and 0/1 event indicator (for a cause-specific hazard, recode the
        cause of interest to 1 and the others to 0 first).
    covariates : sequence of str
        Columns entering the linear predictor.
    strata : str or sequence of str, optional
        Stratification columns (separate baseline hazards), R's ``strata()``.
    interactions : sequence of (str, str)
        Pairs of covariates whose interaction terms are added.
    ties : {"efron"}
        Only Efron's method is available (R's default).
    conf_level : float
        Level of the Wald interval of the hazard ratio.

    Returns
    -------
    DataFrame
        ``term, coef, std_error, hr, conf_low, conf_high, statistic, p_value,
        note``; ``note`` is empty when the term is estimable.
    """
    return fit_cox(
        data, duration_col, event_col, covariates, strata=strata,
        interactions=interactions, ties=ties, conf_level=conf_level,
    ).summary


def _wald(fit: CoxFit, columns: Sequence[str]) -> dict[str, float]:
    """Wald chi-square ``b' V^{-1} b`` for a set of coefficients (R: ``aod::wald.test``)."""
    cols = list(columns)
    if not cols or any(c not in fit.coef.index for c in cols) or any(
        fit.summary.set_index("term").loc[c, "note"].startswith("not estimable") for c in cols
    ):
        return {"statistic": np.nan, "df": len(cols), "p_value": np.nan}
    b = fit.coef[cols].to_numpy()
    v = fit.vcov.loc[cols, cols].to_numpy()
    stat = float(b @ np.linalg.solve(v, b))
    return {"statistic": stat, "df": len(cols), "p_value": float(stats.chi2.sf(stat, len(cols)))}


# --------------------------------------------------------------------------- cox.zph
def _km_transform(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``1 - S(t-)`` of the pooled Kaplan-Meier, left-continuous, at each patient's time."""
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e, minlength=len(times))
    n_risk = np.bincount(inverse, minlength=len(times))[::-1].cumsum()[::-1]
    surv = np.cumprod(1.0 - n_event / n_risk)
    s_minus = np.concatenate([[1.0], surv[:-1]])
    return 1.0 - s_minus[inverse]


def _zph_score(
    gtime: np.ndarray, t: np.ndarray, e: np.ndarray, X: np.ndarray, eta: np.ndarray,
    strata: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Score ``u`` and 2p x 2p information of the model with ``X * g(t)`` added.

    A transcription of survival 3.5's C routine ``zph1`` (Efron ties, unit weights):
    evaluated at the fitted coefficients and zero for the time-varying terms.
    """
    n, p = X.shape
    X = X - X.mean(axis=0)  # R recentres for stability; the test is invariant
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    risk = np.exp(eta)
    for st in pd.unique(strata):
        m = strata == st
        ts, es, xs, rs, gs = t[m], e[m], X[m], risk[m], gtime[m]
        for tt in np.unique(ts[es == 1]):
            at_risk = ts > tt
            tied = ts == tt
            dead = tied & (es == 1)
            others = at_risk | (tied & (es == 0))
            denom = rs[others].sum()
            a = rs[others] @ xs[others]
            cmat = (xs[others] * rs[others][:, None]).T @ xs[others]
            denom2 = rs[dead].sum()
            a2 = rs[dead] @ xs[dead]
            cmat2 = (xs[dead] * rs[dead][:, None]).T @ xs[dead]
            nd = int(dead.sum())
            g = gs[dead][0]
            xsum = xs[dead].sum(axis=0)
            u[:p] += xsum
            u[p:] += g * xsum
            for k in range(nd):
                frac = (k + 1) / nd
                den = denom + denom2 * frac
                mean = (a + a2 * frac) / den
                v = (cmat + cmat2 * frac) / den - np.outer(mean, mean)
                u[:p] -= mean
                u[p:] -= g * mean
                imat[:p, :p] += v
                imat[:p, p:] += g * v
                imat[p:, p:] += g * g * v
    imat[p:, :p] = imat[:p, p:].T
    return u, imat


def cox_ph_test(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    transform: str = "km",
) -> pd.DataFrame:
    """Test of proportional hazards, as R's ``cox.zph(coxph(...))`` in survival >= 3.0.

    survival 3.0 replaced the Grambsch-Therneau approximation (still what
    lifelines' ``proportional_hazard_test`` computes) with an exact score test:
    for each term the covariates ``X * g(t)`` are added to the fitted model and
    their score is tested with the full information matrix, ``u' I^{-1} u``, on
    as many degrees of freedom as the term has columns; GLOBAL tests all at
    once.  ``g`` is ``1 - S(t-)`` of the pooled Kaplan-Meier (``transform="km"``,
    R's default), ``t`` (``"identity"``), ``log(t)`` or ``rank(t)``, centred at
    its mean over events.  Implemented here from survival's ``cox.zph`` and C
    routine ``zph1``.

    Parameters
    ----------
    data, duration_col, event_col, covariates, strata, interactions
        As :func:`cox`; the model is fitted first.
    transform : {"km", "identity", "log", "rank"}
        Time transform ``g``.

    Returns
    -------
    DataFrame
        ``term, statistic, df, p_value``: one row per model term (a factor is
        one term on levels - 1 df, as R) and a last row ``GLOBAL``.  Levels set
        aside as not estimable by :func:`cox` (no events) are left out, as their
        patients are; a model with a diverging coefficient raises ``ValueError``.
    """
    if transform not in ("km", "identity", "log", "rank"):
        raise ValueError(f"{transform=}; expected 'km', 'identity', 'log' or 'rank'")
    fit = fit_cox(
        data, duration_col, event_col, covariates, strata=strata, interactions=interactions
    )
    good = [
        c for c in fit.coef.index
        if not fit.summary.set_index("term").loc[c, "note"].startswith("not estimable")
    ]
    if not good:
        raise ValueError("no estimable coefficient: the proportional-hazards test is undefined")
    if len(good) < len(fit.coef):
        # refit without the diverging columns so that eta is finite and meaningful
        raise ValueError(
            f"terms {sorted(set(fit.coef.index) - set(good))} diverge; "
            "expected a model whose coefficients are all estimable"
        )
    X = fit.X[good].to_numpy(dtype=float)
    beta = fit.coef[good].to_numpy()
    eta = X @ beta
    t, e = fit.time, fit.event
    if transform == "km":
        tt = _km_transform(t, e)
    elif transform == "identity":
        tt = t.astype(float)
    elif transform == "log":
        tt = np.log(t)
    else:
        tt = stats.rankdata(t)
    gtime = tt - tt[e == 1].mean()
    u, imat = _zph_score(gtime, t, e, X, eta, fit.strata)
    p = len(good)
    terms: dict[str, list[int]] = {}
    for j, col in enumerate(good):
        terms.setdefault(fit.design.term_of[col], []).append(j)
    rows = []
    for term, jj in terms.items():
        kk = list(range(p)) + [p + j for j in jj]
        uu = np.concatenate([np.zeros(p), u[[p + j for j in jj]]])
        stat = float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu))
        rows.append((term, stat, len(jj), float(stats.chi2.sf(stat, len(jj)))))
    uu = np.concatenate([np.zeros(p), u[p:]])
    stat = float(uu @ np.linalg.solve(imat, uu))
    rows.append(("GLOBAL", stat, p, float(stats.chi2.sf(stat, p))))
    return pd.DataFrame(rows, columns=["term", "statistic", "df", "p_value"])

