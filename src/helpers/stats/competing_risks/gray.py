"""Gray's K-sample test for equality of cumulative incidence functions.

Matches the ``Tests`` component of R ``cmprsk::cuminc`` (Fortran ``crstm``/``crst``), with the
score and its variance computed by cumulative sums over the distinct times instead of a loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from helpers.stats._counting import at_risk, tied_blocks

from ._kernel import gray_from_counts
from ._validate import check_causes, check_columns, check_competing_risks_input, encode_groups
from .cuminc import sort_by_group_then_time

__all__ = ["gray_test", "gray_z"]

# R's qr() default tolerance (LINPACK dqrdc2), used by cuminc to decide whether the
# variance matrix is invertible
_QR_TOL = 1e-7


def _stratum_scores(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, n_groups: int, causes: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scores (n_causes, G-1) and their variance (n_causes, G-1, G-1) in one stratum.

    ``t`` is sorted. Notation of Gray (1988, Ann. Stat. 16:1141-54) and cmprsk's ``crst``:
    ``h_k = n_k / S_k(t-)`` per group, ``tr = sum h_k``; the pooled estimate
    ``F(t) = F(t-) + d_1 / tr``; score ``s_k = sum_t w(t) (d_1k - d_1 h_k (1 - F_k(t-)) / tq)``
    with ``w = (1 - F(t-))**rho``.
    """
    n_g = n_groups
    idx, starts = tied_blocks(t)
    n_times = len(starts)
    cell = idx * n_g + g
    size = n_times * n_g
    total = np.bincount(cell, minlength=size).reshape(n_times, n_g).astype(np.float64)
    failed = e > 0
    n_any = np.bincount(cell, weights=failed, minlength=size).reshape(n_times, n_g)
    n_risk = at_risk(total)  # T >= t, per group

    # only times with an event of any cause move the estimates
    rows = n_any.sum(axis=1) > 0
    rs = n_risk[rows]
    dany = n_any[rows]
    m = len(rs)
    k_out = len(causes)
    scores = np.zeros((k_out, n_g - 1))
    variance = np.zeros((k_out, n_g - 1, n_g - 1))
    if m == 0:
        return scores, variance
    event_idx = idx[failed]
    event_g = g[failed]
    event_code = e[failed]
    remap = np.cumsum(rows) - 1  # distinct-time index -> event-row index
    # every cause at once: the causes are the batch axis of the kernel's count tables
    d1 = np.zeros((k_out, m, n_g))
    for ci, cause in enumerate(causes):
        own = event_code == cause
        d1[ci] = np.bincount(remap[event_idx[own]] * n_g + event_g[own], minlength=m * n_g).reshape(m, n_g)
    shape = (n_g, k_out, m)
    scores, variance = gray_from_counts(
        np.broadcast_to(rs.T[:, None, :], shape), np.broadcast_to(dany.T[:, None, :], shape), d1.transpose(2, 0, 1), rho
    )
    return scores, variance


def _full_rank(v: np.ndarray, tol: float = _QR_TOL) -> bool:
    """Whether R's ``qr(v)$rank == ncol(v)``: no column's norm collapses below ``tol`` of its
    original norm during Householder elimination (LINPACK dqrdc2's criterion, unpivoted)."""
    if not np.isfinite(v).all():
        return False
    norms = np.linalg.norm(v, axis=0)
    if (norms == 0).any():
        return False
    r = np.linalg.qr(v, mode="r")
    return bool((np.abs(np.diag(r)) >= tol * norms).all())


def _checked(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    strata: str | None,
    causes: Sequence[int] | None,
    rho: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray, np.ndarray | None, int]:
    """The checked arrays of :func:`gray_test`'s input: times, events, group codes, the number of
    groups, the causes, stratum codes (None for one stratum) and the number of strata."""
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col, strata=strata)
    t, e = check_competing_risks_input(
        data[duration_col],
        data[event_col],
        duration_name=f"duration_col={duration_col!r}",
        event_name=f"event_col={event_col!r}",
    )
    if not np.isfinite(rho):
        raise ValueError(f"{rho=}; expected a finite number")
    cause_codes = check_causes(causes, e)
    g, labels = encode_groups(data[group_col], name=f"group_col={group_col!r}")
    n_groups = len(labels)
    if n_groups < 2:
        raise ValueError(
            f"group_col={group_col!r} holds {n_groups} group {labels}; expected at least 2 groups to compare"
        )
    if strata is None:
        st, n_strata = None, 1
    else:
        st, strata_labels = encode_groups(data[strata], name=f"strata={strata!r}")
        n_strata = len(strata_labels)
    return t, e, g, n_groups, cause_codes, st, n_strata


def gray_test(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    strata: str | None = None,
    causes: Sequence[int] | None = None,
    rho: float = 0.0,
) -> pd.DataFrame:
    """Gray's K-sample test that the cumulative incidence of a cause is equal across groups.

    Matches the ``Tests`` component of R ``cmprsk::cuminc(ftime, fstatus, group, strata,
    rho)`` (Gray, 1988, *Ann. Stat.* 16:1141-1154): the score for the first ``G - 1`` groups and
    its estimated covariance, summed over strata, give ``statistic = s' V^-1 s``, referred to a
    chi-square distribution with ``G - 1`` degrees of freedom. Computed in O(n log n): one sort
    per stratum, then cumulative sums over the distinct times.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    duration_col : str
        Follow-up time, >= 0.
    event_col : str
        0 = censored, 1, 2, ... = cause of failure (cmprsk with ``cencode=0``).
    group_col : str
        Groups compared (at least two).
    strata : str, optional
        Stratification column (cmprsk's ``strata``): scores and variances are computed within each stratum and summed.
    causes : sequence of int, optional
        Causes tested; by default every cause observed in ``data``.
    rho : float, default 0.0
        Power of the weight ``(1 - F(t-))**rho``; 0 gives the log-rank-type test.

    Returns
    -------
    pandas.DataFrame
        One row per cause: ``cause, statistic, df, p_value, note``. When the variance matrix is
        singular (R: ``qr(V)$rank < G - 1``), cmprsk reports ``stat = -1``; here statistic and
        p-value are ``NaN`` and ``note`` says so (``note`` is empty otherwise). A group without events of the cause is no obstacle: the test is
        computed as cmprsk does.

    Raises
    ------
    ValueError
        On invalid input, or fewer than two groups.
    """
    t, e, g, n_groups, cause_codes, st, n_strata = _checked(
        data, duration_col, event_col, group_col, strata, causes, rho
    )
    return test_from_arrays(t, e, g, n_groups, cause_codes, float(rho), st, n_strata)


def _scores(
    t: np.ndarray,
    e: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    cause_codes: np.ndarray,
    rho: float,
    st: np.ndarray | None,
    n_strata: int,
    time_order: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gray's scores of the first ``G - 1`` groups and their variance, summed over strata:
    ``(scores (n_causes, G-1), variance (n_causes, G-1, G-1))``."""
    if st is None:
        order = np.argsort(t) if time_order is None else time_order
        st = np.zeros(len(t), dtype=np.int64)
    else:
        order = sort_by_group_then_time(t, st, time_order)
    t, e, g, st = t[order], e[order], g[order], st[order]
    bounds = np.searchsorted(st, np.arange(n_strata + 1))
    s = np.zeros((len(cause_codes), n_groups - 1))
    v = np.zeros((len(cause_codes), n_groups - 1, n_groups - 1))
    for k in range(n_strata):
        sl = slice(bounds[k], bounds[k + 1])
        if sl.start == sl.stop:
            continue
        sk, vk = _stratum_scores(t[sl], e[sl], g[sl], n_groups, cause_codes, rho)
        s += sk
        v += vk
    return s, v


def test_from_arrays(
    t: np.ndarray,
    e: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    cause_codes: np.ndarray,
    rho: float,
    st: np.ndarray | None = None,
    n_strata: int = 1,
    time_order: np.ndarray | None = None,
) -> pd.DataFrame:
    """The frame of :func:`gray_test` from validated arrays (group codes 0..``n_groups - 1``,
    stratum codes ``st`` or one stratum); ``time_order``, an argsort of ``t``, saves sorting again."""
    s, v = _scores(t, e, g, n_groups, cause_codes, rho, st, n_strata, time_order)
    df = n_groups - 1
    stats = np.full(len(cause_codes), np.nan)
    notes = [""] * len(cause_codes)
    for i in range(len(cause_codes)):
        if _full_rank(v[i]):
            stats[i] = float(s[i] @ np.linalg.solve(v[i], s[i]))
        else:
            notes[i] = "not testable: variance matrix is singular (cmprsk reports stat = -1)"
    return pd.DataFrame(
        {
            "cause": cause_codes.astype(np.int64),
            "statistic": stats,
            "df": np.full(len(cause_codes), df, dtype=np.int64),
            "p_value": chi2.sf(stats, df),
            "note": notes,
        }
    )


def gray_z(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    cause: int = 1,
    strata: str | None = None,
    rho: float = 0.0,
) -> pd.DataFrame:
    """The signed square root of Gray's two-sample statistic for ``cause``.

    ``statistic = -s / sqrt(v)``, with ``s`` Gray's score of the first group (its observed minus
    expected events of the cause, weighted) and ``v`` its variance, as in :func:`gray_test`, so
    that ``statistic**2`` is :func:`gray_test`'s chi-square: positive when the second group
    (the second level of ``group_col``) has the higher cumulative incidence of ``cause``, negative
    when it has the lower. ``p_value`` is two-sided, ``2 (1 - Phi(|z|))``, equal to
    :func:`gray_test`'s.

    Returns
    -------
    pandas.DataFrame
        One row: ``cause, statistic, p_value, note``; with a zero variance ``statistic`` and
        ``p_value`` are NaN and ``note`` says why.

    Raises
    ------
    ValueError
        On invalid input, or ``group_col`` without exactly two groups.
    """
    t, e, g, n_groups, codes, st, n_strata = _checked(data, duration_col, event_col, group_col, strata, [cause], rho)
    if n_groups != 2:
        raise ValueError(f"group_col={group_col!r} holds {n_groups} groups; gray_z compares exactly 2")
    s, v = _scores(t, e, g, n_groups, codes, float(rho), st, n_strata)
    score, var = float(s[0, 0]), float(v[0, 0, 0])
    ok = np.isfinite(var) and var > 0
    z = -score / np.sqrt(var) if ok else np.nan
    return pd.DataFrame(
        {
            "cause": [int(codes[0])],
            "statistic": [z],
            "p_value": [float(2 * norm.sf(abs(z)))],
            "note": ["" if ok else "not testable: the variance of the score is zero"],
        }
    )
