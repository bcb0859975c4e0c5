"""Predicting when an event-driven trial reaches a number of events, by simulation.

The model: competing cause-specific hazards that are constant between ``breaks`` (piecewise
exponential; time since entry), one per code of ``event_col`` (the event of interest, the
competing events and dropout are each a cause; 0 is administrative censoring), fitted by maximum
likelihood (events over person-time in each piece); new patients enter as a Poisson process
until the planned number has entered. Parameter uncertainty enters through the Bayesian
predictive distribution (Ying and Heitjan, *Stat Med* 2008; Bagiella and Heitjan, *Stat Med*
2001): each simulated trial first draws every hazard from its posterior under Jeffreys' prior,
``Gamma(d + 1/2, person-time)``, and the accrual rate likewise from ``Gamma(n + 1/2, days)``,
then the residual times of the patients still at risk (memoryless within a piece, so they start
at their current follow-up) and the entry and event times of the patients still to come.

:func:`piecewise_rates` is the fit; :func:`predict_event_days` the simulation, returning for each
target the days after the data cut at which the running total of events of ``cause`` reaches it,
summarised by the median and a prediction interval. A fixed ``seed`` gives the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.stats._checks import check_columns, check_durations

__all__ = ["PREDICTION_COLUMNS", "RATE_COLUMNS", "piecewise_rates", "predict_event_days"]

#: Columns of :func:`piecewise_rates`.
RATE_COLUMNS = ["start", "end", "cause", "n_event", "exposure", "rate"]
#: Columns of :func:`predict_event_days`.
PREDICTION_COLUMNS = [
    "target_events",
    "additional_events",
    "days",
    "days_low",
    "days_high",
    "probability_reached",
    "n_sim",
    "note",
]
# replicates x patients simulated at once (memory: a few arrays of this many float64)
_BLOCK_CELLS = 2_000_000


def _pieces(durations: np.ndarray, breaks: Sequence[float]) -> np.ndarray:
    """Piece starts: 0 and every break below the longest follow-up (a piece nobody reached has
    no exposure to estimate its hazards from; the last piece extends to infinity)."""
    b = np.asarray(sorted(float(x) for x in breaks), dtype=float)
    if b.size and (not np.all(np.isfinite(b)) or b[0] <= 0 or np.any(np.diff(b) <= 0)):
        raise ValueError(f"breaks={list(breaks)}; expected distinct positive finite times")
    longest = float(durations.max()) if durations.size else 0.0
    return np.concatenate(([0.0], b[b < longest]))


def piecewise_rates(
    data: pd.DataFrame, duration_col: str, event_col: str, *, breaks: Sequence[float] = ()
) -> pd.DataFrame:
    """Piecewise-constant cause-specific hazards: events of each cause over person-time.

    Pieces start at 0 and at each of ``breaks`` below the longest follow-up; the last is open
    (``end`` infinite). ``event_col`` holds 0 (censored) or a cause code 1, 2, ...; every code
    present gets a row per piece. ``rate`` is the maximum likelihood estimate ``n_event /
    exposure`` (per unit of ``duration_col``).

    Returns
    -------
    pandas.DataFrame
        ``start, end, cause, n_event, exposure, rate``, by piece then cause.
    """
    check_columns(data, duration_col=duration_col, event_col=event_col)
    t = check_durations(data[duration_col], name=f"duration_col={duration_col!r}")
    e = np.asarray(data[event_col], dtype=float)
    if np.isnan(e).any() or np.any(e < 0) or np.any(e != np.round(e)):
        raise ValueError(f"{event_col=} holds values other than 0 (censored) and cause codes 1, 2, ...")
    e = e.astype(np.int64)
    causes = sorted(int(c) for c in np.unique(e[e > 0]))
    starts = _pieces(t, breaks)
    ends = np.concatenate((starts[1:], [np.inf]))
    rows = []
    for a, b in zip(starts, ends):
        exposure = float(np.clip(np.minimum(t, b) - a, 0.0, None).sum())
        inside = (t > a) & (t <= b) if a > 0 else (t >= a) & (t <= b)
        for c in causes:
            d = int(np.sum(inside & (e == c)))
            rows.append((a, b, c, d, exposure, d / exposure if exposure > 0 else np.nan))
    return pd.DataFrame(rows, columns=RATE_COLUMNS)


def predict_event_days(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    *,
    cause: int,
    at_risk: Sequence[float] | np.ndarray,
    targets: Sequence[int],
    observed: int,
    breaks: Sequence[float] = (),
    n_new: int = 0,
    accrual: tuple[int, float] | None = None,
    n_sim: int = 2000,
    conf_level: float = 0.95,
    seed: int,
) -> pd.DataFrame:
    """Days after the data cut at which the events of ``cause`` reach each of ``targets``.

    Parameters
    ----------
    data, duration_col, event_col
        Every patient's follow-up so far and how it ended (0: still at risk at the cut; a cause
        code otherwise: the event of interest, a competing event, dropout): the hazards are fitted
        to it (:func:`piecewise_rates`).
    cause
        The code whose events are counted.
    at_risk
        Follow-up so far of the patients still at risk at the cut.
    targets, observed
        Totals of events of ``cause`` to reach, and how many were observed by the cut.
    breaks
        Where the piecewise-constant hazards change (time since entry).
    n_new, accrual
        Patients still to enter, and the accrual seen so far ``(patients, days)``: they enter at
        the rate ``patients / days`` (drawn from its posterior) after the cut. ``accrual`` is
        needed when ``n_new > 0``.
    n_sim, conf_level, seed
        Simulated trials, coverage of the prediction interval, seed of the generator.

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target_events, additional_events`` (still to come), ``days`` (median
        over the simulated trials), ``days_low, days_high`` (the prediction interval: order
        statistics of the simulated days; NaN where they fall on trials that never reach the
        target), ``probability_reached``
        (share of simulated trials in which enough patients remain for the target), ``n_sim``,
        ``note`` (why a number is missing). A target already reached has 0 days.
    """
    if not 0 < conf_level < 1:
        raise ValueError(f"{conf_level=}; expected a coverage in (0, 1) such as 0.95")
    if n_sim < 1:
        raise ValueError(f"{n_sim=}; expected a positive number of simulated trials")
    if n_new < 0:
        raise ValueError(f"{n_new=}; expected the number of patients still to enter, >= 0")
    if n_new > 0 and (accrual is None or accrual[0] < 1 or not accrual[1] > 0):
        raise ValueError(
            f"{n_new=} patients still to enter need accrual=(patients, days) with both > 0; found {accrual}"
        )
    u = np.asarray(at_risk, dtype=float)
    if np.isnan(u).any() or np.any(u < 0):
        raise ValueError("at_risk holds a missing or negative follow-up; expected days >= 0")
    rates = piecewise_rates(data, duration_col, event_col, breaks=breaks)
    if cause not in set(rates["cause"]):
        raise ValueError(f"{cause=} has no event in {event_col=}; its hazard cannot be estimated")
    starts = np.unique(rates["start"].to_numpy())
    causes = np.unique(rates["cause"].to_numpy())
    shape = rates.pivot(index="start", columns="cause", values="n_event").loc[starts, causes].to_numpy() + 0.5
    exposure = rates.groupby("start")["exposure"].first().loc[starts].to_numpy()
    need = np.asarray([max(int(t) - int(observed), 0) for t in targets], dtype=np.int64)
    rng = np.random.default_rng(seed)
    n_pat = u.size + int(n_new)
    out = np.full((n_sim, need.size), np.inf)
    block = max(1, _BLOCK_CELLS // max(n_pat, 1))
    c_col = int(np.flatnonzero(causes == cause)[0])
    for first in range(0, n_sim, block):
        m = min(block, n_sim - first)
        hazards = rng.gamma(shape[None, :, :], 1.0 / exposure[None, :, None], size=(m, *shape.shape))
        total = hazards.sum(axis=2)  # (m, pieces)
        widths = np.diff(starts)
        cum_at_start = np.concatenate((np.zeros((m, 1)), np.cumsum(total[:, :-1] * widths, axis=1)), axis=1)
        if n_new:
            assert accrual is not None
            rate = rng.gamma(accrual[0] + 0.5, 1.0 / accrual[1], size=m)
            entry = np.cumsum(rng.exponential(1.0, size=(m, n_new)), axis=1) / rate[:, None]
            begin = np.concatenate((np.broadcast_to(u, (m, u.size)), np.zeros((m, n_new))), axis=1)
            offset = np.concatenate((np.zeros((m, u.size)), entry), axis=1)
        else:
            begin = np.broadcast_to(u, (m, u.size))
            offset = np.zeros((m, u.size))
        # cumulative hazard at the current follow-up, plus a unit exponential: where it is reached
        piece_now = np.searchsorted(starts, begin, side="right") - 1
        rows = np.arange(m)[:, None]
        h_now = cum_at_start[rows, piece_now] + total[rows, piece_now] * (begin - starts[piece_now])
        target_h = h_now + rng.exponential(1.0, size=begin.shape)
        piece = (cum_at_start[:, None, :] <= target_h[:, :, None]).sum(axis=2) - 1
        piece = np.maximum(piece, piece_now)
        lam = total[rows, piece]
        with np.errstate(divide="ignore", invalid="ignore"):
            at = starts[piece] + (target_h - cum_at_start[rows, piece]) / lam
        at = np.where(lam > 0, at, np.inf)
        # which cause: in proportion to the cause-specific hazards of the piece
        share = hazards[rows, piece, c_col] / np.where(lam > 0, lam, 1.0)
        is_cause = rng.random(size=begin.shape) < share
        when = np.where(is_cause, offset + at - begin, np.inf)
        # the k-th earliest event of the cause: a partial sort (np.partition) per target
        kth = sorted({int(k) - 1 for k in need if 0 < k <= when.shape[1]})
        if kth:
            when = np.partition(when, kth, axis=1)
        for j, k in enumerate(need):
            if k == 0:
                out[first : first + m, j] = 0.0
            elif k <= when.shape[1]:
                out[first : first + m, j] = when[:, k - 1]
    lo_q, hi_q = (1 - conf_level) / 2, 1 - (1 - conf_level) / 2
    rows_out = []
    for j, target in enumerate(targets):
        days = out[:, j]
        reached = float(np.mean(np.isfinite(days)))
        q = np.quantile(days, [0.5, lo_q, hi_q], method="inverted_cdf")
        q = np.where(np.isfinite(q), q, np.nan)  # a target not reached has no day
        note = ""
        if reached < 1:
            note = f"not reached in {1 - reached:.1%} of simulated trials (too few patients left at risk)"
        rows_out.append(
            {
                "target_events": int(target),
                "additional_events": int(need[j]),
                "days": float(q[0]),
                "days_low": float(q[1]),
                "days_high": float(q[2]),
                "probability_reached": reached,
                "n_sim": int(n_sim),
                "note": note,
            }
        )
    return pd.DataFrame(rows_out, columns=PREDICTION_COLUMNS)
