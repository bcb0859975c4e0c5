"""Aalen-Johansen cumulative incidence with cmprsk's variance.

Matches R ``cmprsk::cuminc`` (estimates and ``var``) and ``cmprsk::timepoints``; confidence
intervals as ``tidycmprsk::tidy.tidycuminc``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._checks import OVERALL, tie_factor
from ._validate import check_causes, check_columns, check_competing_risks_input, check_times, encode_groups

__all__ = ["cumulative_incidence", "confidence_interval"]

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
]
#: Interval transforms: "log-log" (tidycmprsk's) and "plain" (R's name, as
#: ``survfit(conf.type = "plain")`` and helpers.survival); "linear" is an alias of "plain".
CONF_TYPES = ("log-log", "plain", "linear")


def _one_group(
    t: np.ndarray, e: np.ndarray, causes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Step functions of one group at its distinct times (input sorted by time).

    Returns ``(times, at_risk, cum_censor, F, V, cum_event)`` with ``F``, ``V`` and ``cum_event``
    of shape (n_times, n_causes).
    """
    n = len(t)
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(t[1:], t[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    times = t[starts]
    idx = np.cumsum(new) - 1
    n_times = len(times)

    total = np.diff(np.append(starts, n)).astype(np.float64)
    censored = np.bincount(idx, weights=(e == 0), minlength=n_times)
    n_any = total - censored
    # number at risk (T >= t): all minus those leaving at earlier distinct times
    at_risk = n - np.concatenate(([0.0], np.cumsum(total)[:-1]))
    # overall event-free Kaplan-Meier after (fkn) and before (fk) each time
    surv_after = np.cumprod((at_risk - n_any) / at_risk)
    surv_before = np.concatenate(([1.0], surv_after[:-1]))

    n_causes = len(causes)
    est = np.empty((n_times, n_causes))
    var = np.empty((n_times, n_causes))
    cum_event = np.empty((n_times, n_causes))
    inv_after = np.zeros(n_times)
    positive = surv_after > 0
    inv_after[positive] = 1.0 / surv_after[positive]
    base = surv_before**2 / at_risk**2
    for j, cause in enumerate(causes):
        d1 = np.bincount(idx, weights=(e == cause), minlength=n_times)
        d2 = n_any - d1
        f = np.cumsum(surv_before * d1 / at_risk)
        # cmprsk cinc: V(t) = sum_j t6_j * (a_j - F(t) b_j)^2, accumulated as v1, v2, v3
        # (a_j = F(t_j)/S(t_j), b_j = 1/S(t_j) for competing events; a_j = 1 + F(t_j)/S(t_j)
        # for events of the cause). Competing events are skipped once S(t_j) = 0.
        t6_comp = np.where((d2 > 0) & positive, base * tie_factor(d2, at_risk) * d2, 0.0)
        t6_own = np.where(d1 > 0, base * tie_factor(d1, at_risk) * d1, 0.0)
        a_comp = f * inv_after
        a_own = 1.0 + inv_after * f
        v1 = np.cumsum(a_comp * a_comp * t6_comp + a_own * a_own * t6_own)
        v2 = np.cumsum(inv_after * a_comp * t6_comp + inv_after * a_own * t6_own)
        v3 = np.cumsum(inv_after * inv_after * (t6_comp + t6_own))
        v = v1 + f * f * v3 - 2.0 * f * v2
        # cmprsk updates the variance only at event times of the cause (it is constant in
        # between in exact arithmetic); carry it forward likewise so values match to the digit
        last = np.maximum.accumulate(np.where(d1 > 0, np.arange(n_times), -1))
        v = np.where(last >= 0, v[np.maximum(last, 0)], 0.0)
        est[:, j] = f
        var[:, j] = v
        cum_event[:, j] = np.cumsum(d1)
    return times, at_risk, np.cumsum(censored), est, var, cum_event


def sort_by_group_then_time(t: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Permutation ordering patients by group code, then time (order among ties arbitrary).

    Equivalent to ``np.lexsort((t, codes))`` up to ties, but several times faster: an unstable
    (SIMD) sort of the times, then a stable radix sort of the small integer codes.
    """
    order = np.argsort(t)
    if codes.max(initial=0) < np.iinfo(np.int16).max:
        key = codes[order].astype(np.int16)
    else:
        key = codes[order]
    return order[np.argsort(key, kind="stable")]


def confidence_interval(
    estimate: np.ndarray, std_error: np.ndarray, conf_level: float = 0.95, conf_type: str = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence interval for a cumulative incidence.

    ``"log-log"`` is tidycmprsk's interval (Pintilie, *Competing Risks: A Practical
    Perspective*, 2006): ``est ** exp(+-z * se / (est * log(est)))``, which stays in [0, 1].
    Degenerate cases: an estimate of 0 gives (0, 0), an estimate of 1 gives (1, 1), a standard
    error of 0 gives (est, est). ``"plain"`` (alias ``"linear"``) is ``est +- z * se``
    clipped to [0, 1], as R's ``conf.type = "plain"``.

    Parameters
    ----------
    estimate, std_error : numpy.ndarray
    conf_level : float
        Coverage, in (0, 1).
    conf_type : {"log-log", "plain", "linear"}

    Returns
    -------
    conf_low, conf_high : numpy.ndarray
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a number strictly between 0 and 1")
    if conf_type not in CONF_TYPES:
        raise ValueError(f"{conf_type=}; expected one of {CONF_TYPES}")
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(std_error, dtype=np.float64)
    z = norm.ppf(1.0 - (1.0 - conf_level) / 2.0)
    if conf_type in ("plain", "linear"):
        return np.clip(est - z * se, 0.0, 1.0), np.clip(est + z * se, 0.0, 1.0)
    low = est.copy()
    high = est.copy()
    inner = (est > 0) & (est < 1) & (se > 0)
    ei, si = est[inner], se[inner]
    scale = z * si / (ei * np.log(ei))  # negative
    with np.errstate(over="ignore"):  # exp overflows to inf for tiny estimates: est ** inf = 0
        low[inner] = ei ** np.exp(-scale)
    high[inner] = ei ** np.exp(scale)
    return low, high


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
        as :func:`helpers.survival.kaplan_meier`.
    times : sequence of float, optional
        If given, the step functions are evaluated at these times (sorted, duplicates dropped),
        like ``cmprsk::timepoints``: times after a group's last follow-up give ``NaN`` estimate
        and variance. If ``None``, one row per distinct observed time of the group, preceded by a
        row at time 0 with estimate 0 when no one has time 0 (cuminc's step function, corners
        collapsed to right-continuous values).
    conf_level : float, default 0.95
    conf_type : {"log-log", "plain", "linear"}, default "log-log"
        See :func:`confidence_interval`.
    causes : sequence of int, optional
        Causes reported; by default every cause observed in ``data`` (as cuminc). Every
        non-zero code competes whether reported or not.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, cause, time, estimate, variance, std_error, conf_low, conf_high, n_risk,
        n_event, n_censor``, sorted by group, cause and time. ``variance`` equals cuminc's
        ``var``; ``n_risk`` counts patients with ``T >= time``; ``n_event`` (events of the
        cause) and ``n_censor`` are cumulative counts up to and including ``time``, as
        ``tidycmprsk::tidy.tidycuminc``. A group with no event of a cause has estimate 0,
        variance 0 and interval (0, 0) throughout.

    Raises
    ------
    ValueError
        On invalid input (see :func:`helpers.competing_risks._validate.check_competing_risks_input`).

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 2, 3, 4], "e": [1, 2, 0, 1, 0]})
    >>> cumulative_incidence(df, "t", "e", times=[2.5]).loc[:, ["cause", "estimate"]]
       cause  estimate
    0      1       0.2
    1      2       0.2
    """
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"{conf_type=}; expected one of {CONF_TYPES}")
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a number strictly between 0 and 1")
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

    order = sort_by_group_then_time(t, codes)
    t, e, codes = t[order], e[order], codes[order]
    bounds = np.searchsorted(codes, np.arange(len(labels) + 1))

    pieces: list[dict[str, np.ndarray]] = []
    for g in range(len(labels)):
        sl = slice(bounds[g], bounds[g + 1])
        times_g, at_risk, cum_cens, est, var, cum_ev = _one_group(t[sl], e[sl], cause_codes)
        n_g = float(bounds[g + 1] - bounds[g])
        if req is None:
            if times_g[0] > 0:
                times_g = np.concatenate(([0.0], times_g))
                at_risk = np.concatenate(([n_g], at_risk))
                cum_cens = np.concatenate(([0.0], cum_cens))
                zero = np.zeros((1, len(cause_codes)))
                est, var, cum_ev = (np.vstack((zero, a)) for a in (est, var, cum_ev))
            out_t = times_g
            risk = at_risk
            cens = cum_cens
            est_o, var_o, ev_o = est, var, cum_ev
        else:
            pos = np.searchsorted(times_g, req, side="right") - 1
            before = pos < 0
            beyond = req > times_g[-1]
            p = np.maximum(pos, 0)
            out_t = req
            # at risk at t: those with T >= t
            risk = n_g - np.searchsorted(t[sl], req, side="left").astype(np.float64)
            cens = np.where(before, 0.0, cum_cens[p])
            est_o = np.where(before[:, None], 0.0, est[p])
            var_o = np.where(before[:, None], 0.0, var[p])
            ev_o = np.where(before[:, None], 0.0, cum_ev[p])
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
                    "n_censor": cens,
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
            "n_risk": cols["n_risk"].astype(np.int64),
            "n_event": cols["n_event"].astype(np.int64),
            "n_censor": cols["n_censor"].astype(np.int64),
        },
        columns=COLUMNS,
    )
