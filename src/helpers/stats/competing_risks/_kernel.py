"""The array-level kernel of the competing-risks estimators: count tables in, curves and scores out.

One implementation of the arithmetic of :func:`~helpers.stats.competing_risks.cumulative_incidence`
(Aalen-Johansen with cmprsk's variance) and :func:`~helpers.stats.competing_risks.gray_test`
(Gray's K-sample score and its variance), shared by those DataFrame functions and by the
design simulator (:mod:`helpers.stats.design_simulation`), which analyses thousands of
simulated trials at once.

Everything works on *count tables* with a batch axis: for each of ``B`` independent samples, at
``m`` time rows in increasing time order, the number at risk (``T >= t``), the events of any
cause and the events of the cause of interest *at* that row's time -- per group, shape
``(G, B, m)``, for Gray's test and the log-rank, and ``(B, m)`` (one group of one sample a row)
for the curves. A row with no event changes nothing, so the samples of a batch can be padded to
one length. :func:`~helpers.stats.competing_risks.cumulative_incidence` passes every group and
cause of its data as the rows of one batch, :func:`~helpers.stats.competing_risks.gray_test`
every cause; the simulator passes a block of trials (:func:`batch_counts`: each trial's distinct
event times, ties summed, padded to the longest), so numpy works on whole blocks at once.
"""

from __future__ import annotations

import numpy as np

from helpers.stats._checks import tie_factor
from helpers.stats._counting import left_continuous, product_limit

__all__ = ["batch_counts", "cif_from_counts", "gray_from_counts", "logrank_from_counts"]


def batch_counts(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    cause: int,
    present: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count tables ``(n_risk, n_any, n_cause)`` of a batch of samples, at their event times.

    Parameters
    ----------
    time : numpy.ndarray, shape (B, n)
        Follow-up times, sorted ascending within each row (sample).
    event : numpy.ndarray of int, shape (B, n)
        0 = censored, 1, 2, ... = cause.
    group : numpy.ndarray of int, shape (B, n)
        Group codes 0 .. ``n_groups - 1``.
    n_groups : int
    cause : int
        The cause whose events fill ``n_cause``.
    present : numpy.ndarray of bool, shape (B, n), optional
        Patients who belong to the sample (``False``: padding, or a patient of an arm not
        compared, or not yet enrolled); they count nowhere.

    Returns
    -------
    n_risk, n_any, n_cause : numpy.ndarray of float, shape (G, B, m)
        One row per distinct time with an event, in time order (ties summed): those at risk and
        the events of any cause and of ``cause``; ``m`` is the largest number of such times in
        a sample, the rows after a sample's last are zeros (rows that change nothing).
    """
    b, n = time.shape
    new = np.ones((b, n), dtype=bool)
    np.not_equal(time[:, 1:], time[:, :-1], out=new[:, 1:])
    tied = not new.all()
    if tied:
        pos = np.arange(n)
        last = np.ones((b, n), dtype=bool)
        last[:, :-1] = new[:, 1:]
        # the last patient of each patient's block of tied times
        end = np.minimum.accumulate(np.where(last, pos, n - 1)[:, ::-1], axis=1)[:, ::-1]
    keep = np.ones((b, n), dtype=bool) if present is None else np.asarray(present, dtype=bool)
    failed = (event > 0) & keep
    own = (event == cause) & keep
    # rows without an event change nothing: keep, per sample, the first patient of each block
    # of tied times that holds an event, in time order, padded to the longest sample
    has_event = np.cumsum(failed, axis=1)
    if tied:
        block_events = np.take_along_axis(has_event, end, axis=1) - has_event + failed
        row = new & (block_events > 0)
    else:
        row = failed
    n_rows = row.sum(axis=1)
    m = max(int(n_rows.max(initial=0)), 1)
    sample, at = np.nonzero(row)
    rank = (np.cumsum(row, axis=1) - 1)[sample, at]
    n_risk = np.zeros((n_groups, b, m))
    n_any = np.zeros((n_groups, b, m))
    n_cause = np.zeros((n_groups, b, m))
    for k in range(n_groups):
        in_k = group == k
        member = in_k & keep
        before = np.cumsum(member, axis=1)  # up to and including each position
        # at risk at a row: the group's patients from that position on (T >= t, ties included)
        n_risk[k][sample, rank] = before[sample, -1] - before[sample, at] + member[sample, at]
        for out, x in ((n_any, failed & in_k), (n_cause, own & in_k)):
            if tied:
                c = np.cumsum(x, axis=1)
                out[k][sample, rank] = (np.take_along_axis(c, end, axis=1) - c + x)[sample, at]
            else:
                out[k][sample, rank] = x[sample, at]
    return n_risk, n_any, n_cause


def cif_from_counts(n_risk: np.ndarray, n_any: np.ndarray, n_cause: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Aalen-Johansen cumulative incidence and cmprsk's variance after each row.

    Shapes ``(B, m)``: one group of each sample (``n_risk`` counts ``T >= t``). ``F(t) = sum
    S(t_j-) d_j / n_j`` with ``S`` the event-free Kaplan-Meier; the variance is the one of R
    ``cmprsk::cuminc`` (Fortran ``cinc``), accumulated as its ``v1, v2, v3`` and carried forward
    between events of the cause as cinc does, so that values match cuminc to the digit.
    """
    n_risk = np.asarray(n_risk, dtype=np.float64)
    d1 = np.asarray(n_cause, dtype=np.float64)
    n_any = np.asarray(n_any, dtype=np.float64)
    surv_after = product_limit(n_risk, n_any, axis=1)
    surv_before = left_continuous(surv_after, 1.0, axis=1)
    live = n_risk > 0
    safe = np.where(live, n_risk, 1.0)
    positive = surv_after > 0
    inv_after = np.zeros_like(surv_after)
    inv_after[positive] = 1.0 / surv_after[positive]
    base = surv_before**2 / safe**2
    d2 = n_any - d1
    f = np.cumsum(np.where(live, surv_before * d1 / safe, 0.0), axis=1)
    # cmprsk cinc: V(t) = sum_j t6_j * (a_j - F(t) b_j)^2, accumulated as v1, v2, v3
    # (a_j = F(t_j)/S(t_j), b_j = 1/S(t_j) for competing events; a_j = 1 + F(t_j)/S(t_j)
    # for events of the cause). Competing events are skipped once S(t_j) = 0.
    t6_comp = np.where((d2 > 0) & positive, base * tie_factor(d2, safe) * d2, 0.0)
    t6_own = np.where(d1 > 0, base * tie_factor(d1, safe) * d1, 0.0)
    a_comp = f * inv_after
    a_own = 1.0 + inv_after * f
    v1 = np.cumsum(a_comp * a_comp * t6_comp + a_own * a_own * t6_own, axis=1)
    v2 = np.cumsum(inv_after * a_comp * t6_comp + inv_after * a_own * t6_own, axis=1)
    v3 = np.cumsum(inv_after * inv_after * (t6_comp + t6_own), axis=1)
    v = v1 + f * f * v3 - 2.0 * f * v2
    # cmprsk updates the variance only at event times of the cause (it is constant in between
    # in exact arithmetic); carry it forward likewise
    rows = np.arange(v.shape[1])
    last = np.maximum.accumulate(np.where(d1 > 0, rows, -1), axis=1)
    v = np.where(last >= 0, np.take_along_axis(v, np.maximum(last, 0), axis=1), 0.0)
    return f, v


def gray_from_counts(
    n_risk: np.ndarray, n_any: np.ndarray, n_cause: np.ndarray, rho: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gray's scores for the first ``G - 1`` groups and their covariance, per sample.

    Inputs of shape ``(G, B, m)``; returns ``scores`` ``(B, G - 1)`` and ``variance``
    ``(B, G - 1, G - 1)``. Notation of Gray (1988, *Ann. Stat.* 16:1141-54) and cmprsk's
    ``crst``: ``h_k = n_k / S_k(t-)`` per group, ``tr = sum h_k``; the pooled estimate
    ``F(t) = F(t-) + d_1 / tr``; score ``s_k = sum_t w(t) (d_1k - d_1 h_k (1 - F_k(t-)) / tq)``
    with ``w = (1 - F(t-))**rho``. crst's loop is replaced by cumulative sums over the rows.
    The scores of all ``G`` groups sum to zero, so with two groups the signed statistic of the
    second group is ``-scores[:, 0] / sqrt(variance[:, 0, 0])``.
    """
    rs = np.asarray(n_risk, dtype=np.float64)
    dany = np.asarray(n_any, dtype=np.float64)
    d1 = np.asarray(n_cause, dtype=np.float64)
    n_g, b, _ = rs.shape
    live = rs > 0
    safe_rs = np.where(live, rs, 1.0)
    skm = product_limit(rs, dany, axis=2)  # right-continuous KM of any event, per group
    skmm = left_continuous(skm, 1.0, axis=2)  # left-continuous
    h = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)
    tr = h.sum(axis=0)
    tr_safe = np.where(tr > 0, tr, 1.0)
    d2 = dany - d1
    nd1 = d1.sum(axis=0)
    has1 = nd1 > 0
    f1 = np.cumsum(np.where(live, skmm * d1 / safe_rs, 0.0), axis=2)
    f1m = left_continuous(f1, 0.0, axis=2)
    tq = (h * (1.0 - f1m)).sum(axis=0)
    f = np.cumsum(np.where(has1, nd1 / tr_safe, 0.0), axis=1)
    fm = left_continuous(f, 0.0, axis=1)
    fb = np.ones_like(fm) if rho == 0 else (1.0 - fm) ** rho
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(has1, nd1 / (tr_safe * (1.0 - fm)), 0.0)
        share = np.where(has1, nd1 * h * (1.0 - f1m) / np.where(has1, tq, 1.0), 0.0)
    s = (fb * (d1 - share)).sum(axis=2)  # (G, B)
    scores = s[: n_g - 1].T

    skm_safe = np.where(skm > 0, skm, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # only used where nd1 > 1, rs > 0
        t5_own = np.where(nd1 > 1, 1.0 - (nd1 - 1.0) / (tr * skmm - 1.0), 1.0)
    t4_own = np.where(skm > 0, 1.0 - (1.0 - f) / skm_safe, 1.0)
    use_own = has1 & live
    use_comp = (skm > 0) & (d2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t3_own = np.where(use_own, t5_own * skmm * nd1 / (tr_safe * safe_rs), 0.0)
    t4_comp = (1.0 - f) / skm_safe
    t3_comp = np.where(use_comp, tie_factor(d2, safe_rs) * skmm**2 * d2 / safe_rs**2, 0.0)

    variance = np.zeros((b, n_g - 1, n_g - 1))
    pairs = [(i, j) for i in range(n_g - 1) for j in range(i, n_g - 1)]
    for k in range(n_g):
        # column k of a(t) = w (diag(h) - h h' / tr), rows i = 1..G-1 (the last row is not
        # needed: only the first G - 1 scores are tested)
        a_k = -(fb * h[k] / tr_safe) * h[: n_g - 1]
        if k < n_g - 1:
            a_k[k] += fb * h[k]
        # cmprsk 2.2-12 adds to c only where a != 0 (avoids 0 * inf once F reaches 1)
        with np.errstate(invalid="ignore"):
            inc = np.where(a_k != 0, a_k * q, 0.0)
        c_k = np.cumsum(inc, axis=2)
        rest = c_k[..., -1:] - c_k  # c(final) - c(t): the later-time influence
        # crst accumulates v, v2, v3 and combines them at the end; algebraically each event
        # contributes t3 * w w' with w below
        w_own = np.where(use_own[k], a_k + t4_own[k] * rest, 0.0)
        w_comp = np.where(use_comp[k], t4_comp[k] * rest, 0.0)
        for i, j in pairs:
            v = (t3_own[k] * w_own[i] * w_own[j]).sum(axis=1) + (t3_comp[k] * w_comp[i] * w_comp[j]).sum(axis=1)
            variance[:, i, j] += v
            if i != j:
                variance[:, j, i] += v
    return scores, variance


def logrank_from_counts(n_risk: np.ndarray, n_cause: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cause-specific log-rank: observed minus expected events of the last group and its variance.

    Inputs of shape ``(2, B, m)`` (events of other causes are censorings); returns ``(o_minus_e,
    variance)`` of shape ``(B,)``, the hypergeometric variance with ties (R ``survdiff``), so that
    the signed z of the second group is ``o_minus_e / sqrt(variance)`` (negative when it has fewer
    events than expected).
    """
    rs = np.asarray(n_risk, dtype=np.float64)
    d = np.asarray(n_cause, dtype=np.float64)
    n = rs.sum(axis=0)
    dt = d.sum(axis=0)
    live = n > 0
    safe = np.where(live, n, 1.0)
    frac = np.where(live, rs[1] / safe, 0.0)
    o_minus_e = (d[1] - dt * frac).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ties = np.where(n > 1, (n - dt) / np.where(n > 1, n - 1.0, 1.0), 1.0)
    variance = (dt * frac * (1.0 - frac) * ties).sum(axis=1)
    return o_minus_e, variance
