"""Log-rank test across any number of groups, optionally stratified, as R's ``survdiff``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats._checks import check_columns, require_frame
from helpers.stats._counting import risk_table

from ._data import durations, events01, group_codes

__all__ = ["logrank_test", "logrank_z"]


def _observed_expected(
    data: pd.DataFrame, duration_col: str, event_col: str, group_col: str, strata: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Checked input to observed and expected events per group and their hypergeometric
    covariance, summed over strata, and the group levels."""
    data = require_frame(data)
    if group_col is None:
        raise ValueError("group_col=None; expected the column holding the groups to compare")
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col, strata=strata)
    t = durations(data, duration_col)
    e = events01(data, event_col)
    g, levels = group_codes(data, group_col)
    s, strata_levels = group_codes(data, strata, "strata")
    k = len(levels)
    obs = np.zeros(k)
    exp_ = np.zeros(k)
    var = np.zeros((k, k))
    for st in range(len(strata_levels)):
        m = s == st
        tab = risk_table(t[m], e[m], group=g[m], n_groups=k)
        d_j = tab.n_event
        d = d_j.sum(axis=1)
        rows = d > 0
        n_j, d_j, d = tab.n_risk[rows], d_j[rows], d[rows]
        n = n_j.sum(axis=1)
        frac = n_j / n[:, None]
        obs += d_j.sum(axis=0)
        exp_ += (d[:, None] * frac).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
        var += np.diag((w[:, None] * frac).sum(axis=0)) - (frac * w[:, None]).T @ frac
    return obs, exp_, var, list(levels)


def logrank_test(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    strata: str | None = None,
) -> pd.DataFrame:
    """Log-rank test of equal survival across any number of groups, optionally stratified.

    Matches R's ``survdiff(Surv(time, status) ~ group + strata(s))`` (rho = 0):
    observed minus expected events and their hypergeometric covariance summed
    over strata; the statistic is ``(O - E)' V^- (O - E)`` over the groups with
    expected > 0, one group dropped, on that many groups minus one degrees of
    freedom.  With fewer than two such groups the statistic is 0 on 0 df (p
    NaN); with a singular covariance (no information, where R's survdiff
    stops) statistic and p are NaN.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    duration_col, event_col : str
        Time and 0/1 event indicator.
    group_col : str
        Groups compared.
    strata : str, optional
        Stratification column (R's ``strata()``): observed, expected and covariance are
        computed within each stratum and summed.

    Returns
    -------
    DataFrame
        One row: ``statistic, df, p_value, note``; ``note`` is empty when the test is
        defined and otherwise says why statistic or p-value are missing.
    """
    obs, exp_, var, _ = _observed_expected(data, duration_col, event_col, group_col, strata)
    use = np.flatnonzero(exp_ > 0)
    df = len(use) - 1
    if df < 1:
        return pd.DataFrame(
            {
                "statistic": [0.0],
                "df": [max(df, 0)],
                "p_value": [np.nan],
                "note": ["not testable: fewer than two groups with expected events > 0"],
            }
        )
    diff = (obs - exp_)[use][1:]
    vv = var[np.ix_(use, use)][1:, 1:]
    try:
        chi = float(diff @ np.linalg.solve(vv, diff))
    except np.linalg.LinAlgError:
        chi = np.nan
    if not np.isfinite(chi):
        # no information (e.g. every patient with an event at one shared time);
        # R's survdiff stops with "system is exactly singular"
        return pd.DataFrame(
            {
                "statistic": [np.nan],
                "df": [df],
                "p_value": [np.nan],
                "note": ["not testable: variance matrix is singular (no information)"],
            }
        )
    return pd.DataFrame({"statistic": [chi], "df": [df], "p_value": [float(stats.chi2.sf(chi, df))], "note": [""]})


def logrank_z(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    strata: str | None = None,
) -> pd.DataFrame:
    """The signed two-sample log-rank statistic ``z = (O - E) / sqrt(V)`` of the second group
    (the second level of ``group_col``): positive when it has more events than expected under
    equal hazards, so that ``z**2`` is :func:`logrank_test`'s chi-square (R ``survdiff``) and
    ``p_value = 2 (1 - Phi(|z|))`` its p-value.

    Returns
    -------
    DataFrame
        One row: ``statistic, p_value, note``; with no information (zero variance) ``statistic``
        and ``p_value`` are NaN and ``note`` says why.

    Raises
    ------
    ValueError
        On invalid input, or ``group_col`` without exactly two groups.
    """
    data = require_frame(data)
    obs, exp_, var, levels = _observed_expected(data, duration_col, event_col, group_col, strata)
    if len(levels) != 2:
        raise ValueError(f"group_col={group_col!r} holds {len(levels)} groups; logrank_z compares exactly 2")
    ok = bool(np.isfinite(var[1, 1]) and var[1, 1] > 0)
    z = float((obs[1] - exp_[1]) / np.sqrt(var[1, 1])) if ok else np.nan
    return pd.DataFrame(
        {
            "statistic": [z],
            "p_value": [float(2 * stats.norm.sf(abs(z)))],
            "note": ["" if ok else "not testable: variance is zero (no information)"],
        }
    )
