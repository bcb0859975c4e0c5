"""Simulate blocks of whole trials and analyse each at every look, all trials of a block at once.

A block of ``B`` trials is a set of ``(B, n_patients)`` arrays; the looks cut every trial at its
own calendar time, each trial's follow-up is sorted once per look, and the statistic of every
trial comes from one call of the array kernel that the DataFrame functions also use
(:mod:`helpers.stats.competing_risks._kernel`): Gray's score and variance, or the cause-specific
log-rank; the Fine-Gray Wald z comes from the fit of :func:`helpers.stats.competing_risks.fine_gray`
on each trial's arrays. A block depends on nothing but its model, its size and its seed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from helpers.stats.competing_risks._kernel import batch_counts, gray_from_counts, logrank_from_counts
from helpers.stats.competing_risks.fine_gray import fit_arrays

from .model import SubdistributionModel, TrialModel

__all__ = ["BLOCK_FIELDS", "simulate_block"]

#: The arrays a block returns, each with one row per trial (and one column per look for 2-D).
BLOCK_FIELDS = (
    "z",  # (B, K) the statistic at each look, negative when the comparator has fewer primary events
    "look_time",  # (B, K) calendar time of each look
    "n_patients",  # (B, K) compared patients enrolled at each look
    "n_primary",  # (B, K) primary events in the compared arms at each look
    "n_competing",  # (B, K) competing events in the compared arms at each look
    "log_shr",  # (B, K) Fine-Gray log subdistribution hazard ratio (NaN unless estimated)
)


def _allocate(rng: np.random.Generator, n_trials: int, n_patients: int, weights: np.ndarray) -> np.ndarray:
    """Arm codes: the allocation ratio exactly (largest remainders), in random order per trial."""
    share = weights / weights.sum() * n_patients
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(-(share - counts), kind="stable")[: n_patients - counts.sum()]] += 1
    base = np.repeat(np.arange(len(weights)), counts)
    return rng.permuted(np.broadcast_to(base, (n_trials, n_patients)), axis=1)


def _latent_times(model: TrialModel, rng: np.random.Generator, arm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time to the first event and its cause (1 primary, 2 competing, 0 dropout)."""
    shape = arm.shape
    hr1 = np.array([a.hr_primary for a in model.arms])[arm]
    if isinstance(model.primary, SubdistributionModel):
        m = model.primary
        # cause 1 with probability F1(inf) = 1 - (1 - p)^theta; its time by inverting F1(t)/F1(inf)
        f_inf = 1.0 - (1.0 - m.p) ** hr1
        u = rng.random(shape)
        primary = u < f_inf
        inner = 1.0 - (1.0 - np.where(primary, 1.0 - u, 1.0) ** (1.0 / hr1)) / m.p
        with np.errstate(divide="ignore"):
            t1 = np.where(primary, -np.log(np.maximum(inner, np.finfo(float).tiny)) / m.rate, np.inf)
        t2 = np.where(primary, np.inf, rng.exponential(1.0 / m.competing_rate, shape))
    else:
        assert model.competing is not None
        hr2 = np.array([a.hr_competing for a in model.arms])[arm]
        t1 = model.primary.inverse(rng.standard_exponential(shape) / hr1)
        with np.errstate(divide="ignore"):  # a hazard ratio of 0: the event never happens
            t2 = model.competing.inverse(rng.standard_exponential(shape) / hr2)
    drop = rng.exponential(1.0 / model.dropout_rate, shape) if model.dropout_rate > 0 else np.full(shape, np.inf)
    drop = np.minimum(drop, model.max_follow_up)
    time = np.minimum(np.minimum(t1, t2), drop)
    cause = np.where(time == t1, 1, np.where(time == t2, 2, 0))
    return time, cause


def _look_times(model: TrialModel, end: np.ndarray, cause: np.ndarray, compared: np.ndarray) -> np.ndarray:
    """Calendar time of each look, shape (B, K): the d-th primary event, else the end of follow-up."""
    last = np.where(compared, end, -np.inf).max(axis=1)
    if model.looks.times is not None:
        return np.minimum(np.broadcast_to(np.asarray(model.looks.times), (len(end), model.looks.count)), last[:, None])
    assert model.looks.events is not None
    primary_at = np.sort(np.where(compared & (cause == 1), end, np.inf), axis=1)
    need = np.asarray(model.looks.events) - 1
    n = primary_at.shape[1]
    at = primary_at[:, np.minimum(need, n - 1)]
    at = np.where(need[None, :] < n, at, np.inf)
    return np.minimum(at, last[:, None])


def _fine_gray_z(time: np.ndarray, cause: np.ndarray, grp: np.ndarray) -> tuple[float, float]:
    """Wald z and log subdistribution hazard ratio of one trial (crr's robust variance)."""
    if not (cause == 1).any() or grp.min() == grp.max():
        return math.nan, math.nan
    status = np.where(cause == 1, 1, np.where(cause == 0, 0, 2))
    fit = fit_arrays(time, status, grp[:, None].astype(np.float64), np.zeros(len(time), dtype=np.int64))
    if not fit.converged or not np.isfinite(fit.var[0, 0]) or fit.var[0, 0] <= 0:
        return math.nan, float(fit.coef[0])
    return float(fit.coef[0] / math.sqrt(fit.var[0, 0])), float(fit.coef[0])


def simulate_block(model: TrialModel, n_trials: int, seed: np.random.SeedSequence) -> dict[str, np.ndarray]:
    """Simulate ``n_trials`` trials of ``model`` and analyse each at every look.

    Returns the arrays of :data:`BLOCK_FIELDS`. Every look is analysed for every trial (whether
    or not an earlier look would have stopped it), so that any boundaries can be applied
    afterwards (:func:`helpers.stats.design_simulation.operating_characteristics`).
    """
    rng = np.random.default_rng(seed)
    b, n, k_looks = n_trials, model.n_patients, model.looks.count
    weights = np.array([a.allocation for a in model.arms], dtype=np.float64)
    arm = _allocate(rng, b, n, weights)
    entry = model.accrual.entry_times(rng, (b, n))
    time, cause = _latent_times(model, rng, arm)
    compared = (arm == model.reference) | (arm == model.comparator)
    group = (arm == model.comparator).astype(np.int64)
    end = entry + time
    looks = _look_times(model, end, cause, compared)

    out = {name: np.full((b, k_looks), np.nan) for name in BLOCK_FIELDS}
    out["look_time"] = looks
    rows = np.arange(b)[:, None]
    for k in range(k_looks):
        cut = looks[:, k : k + 1]
        present = compared & (entry <= cut)
        # compared on the calendar scale, as the look times are (entry + time), so that the
        # event that triggers a look is in it whatever the rounding of cut - entry
        observed = end <= cut
        seen = np.where(present, np.where(observed, time, cut - entry), np.inf)
        code = np.where(observed, cause, 0)
        order = np.argsort(seen, axis=1)
        t_s, e_s, g_s, p_s = seen[rows, order], code[rows, order], group[rows, order], present[rows, order]
        out["n_patients"][:, k] = present.sum(axis=1)
        out["n_primary"][:, k] = (present & (code == 1)).sum(axis=1)
        out["n_competing"][:, k] = (present & (code == 2)).sum(axis=1)
        if model.statistic == "fine-gray":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for i in range(b):
                    keep = p_s[i]
                    out["z"][i, k], out["log_shr"][i, k] = _fine_gray_z(t_s[i, keep], e_s[i, keep], g_s[i, keep])
            continue
        n_risk, n_any, n_cause = batch_counts(t_s, e_s, g_s, 2, cause=1, present=p_s)
        if model.statistic == "gray":
            scores, variance = gray_from_counts(n_risk, n_any, n_cause)
            num, var = -scores[:, 0], variance[:, 0, 0]
        else:
            num, var = logrank_from_counts(n_risk, n_cause)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["z"][:, k] = np.where(var > 0, num / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
    return out
