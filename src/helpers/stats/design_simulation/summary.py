"""Operating characteristics of simulated trials against group-sequential boundaries.

The simulated statistics (:func:`helpers.stats.design_simulation.simulate`) are turned into
decisions here, so that one simulation serves any boundaries. A trial stops at the first look
where the statistic crosses the efficacy boundary (benefit: ``-z >= efficacy[k]``; two-sided
designs also reject for harm, ``z >= efficacy[k]``) or the futility boundary (``-z <=
futility[k]``, at the looks before the last); a statistic that cannot be computed (no primary
event yet) crosses nothing. Every proportion and mean comes with its Monte Carlo standard
error, ``sqrt(p (1 - p) / N)`` and ``sd / sqrt(N)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Decisions", "decide", "operating_characteristics", "per_look"]

#: Outcome codes of a simulated trial.
CONTINUE, EFFICACY, HARM, FUTILITY = 0, 1, -1, 2


class Decisions:
    """Each trial's stopping look (0-based) and outcome (:data:`EFFICACY`, :data:`HARM`,
    :data:`FUTILITY`, or :data:`CONTINUE` when it ran to the last look without crossing)."""

    def __init__(self, stop: np.ndarray, outcome: np.ndarray) -> None:
        self.stop = stop
        self.outcome = outcome


def _bounds(values: Sequence[float] | None, k: int, name: str) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (k,):
        raise ValueError(f"{name} has {arr.size} values; expected one per look ({k})")
    return arr


def decide(
    z: np.ndarray, efficacy: Sequence[float], futility: Sequence[float] | None = None, *, sided: int = 2
) -> Decisions:
    """Apply the boundaries look by look. ``futility`` may hold NaN or -inf for looks without one."""
    if sided not in (1, 2):
        raise ValueError(f"{sided=}; expected 1 or 2")
    n, k = z.shape
    eff = _bounds(efficacy, k, "efficacy")
    fut = _bounds(futility, k, "futility")
    assert eff is not None
    benefit = -z
    with np.errstate(invalid="ignore"):
        cross_eff = benefit >= eff
        cross_harm = (z >= eff) if sided == 2 else np.zeros_like(cross_eff)
        cross_fut = np.zeros_like(cross_eff)
        if fut is not None:
            cross_fut[:, : k - 1] = benefit[:, : k - 1] <= np.nan_to_num(fut[: k - 1], nan=-np.inf)
    any_cross = cross_eff | cross_harm | cross_fut
    stopped = any_cross.any(axis=1)
    stop = np.where(stopped, any_cross.argmax(axis=1), k - 1)
    rows = np.arange(n)
    outcome = np.select(
        [cross_eff[rows, stop], cross_harm[rows, stop], cross_fut[rows, stop]], [EFFICACY, HARM, FUTILITY], CONTINUE
    )
    return Decisions(stop, outcome)


def _proportion(x: np.ndarray) -> tuple[float, float]:
    p = float(np.mean(x))
    return p, float(np.sqrt(p * (1 - p) / len(x)))


def _mean(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    return float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def operating_characteristics(
    sims: Mapping[str, np.ndarray],
    efficacy: Sequence[float],
    futility: Sequence[float] | None = None,
    *,
    sided: int = 2,
) -> pd.DataFrame:
    """One row per quantity: ``quantity, estimate, mc_std_error``.

    Quantities: ``reject`` (efficacy, benefit side: the power, or the one-sided type I error
    under no effect), ``reject_any`` (either side, the two-sided type I error), ``reject_ignoring_futility``
    (non-binding futility: what the type I error is computed on), ``stop_futility``,
    ``expected_patients``, ``expected_primary_events``, ``expected_competing_events``,
    ``expected_duration`` (calendar time of the stopping look), and the mean and quantiles of the
    estimated subdistribution hazard ratio at the stopping look where estimated.
    """
    z = sims["z"]
    n, k = z.shape
    d = decide(z, efficacy, futility, sided=sided)
    rows = np.arange(n)
    no_fut = decide(z, efficacy, None, sided=sided)
    out: list[tuple[str, float, float]] = [
        ("n_trials", float(n), 0.0),
        ("reject", *_proportion(d.outcome == EFFICACY)),
        ("reject_any", *_proportion((d.outcome == EFFICACY) | (d.outcome == HARM))),
        ("reject_ignoring_futility", *_proportion(no_fut.outcome == EFFICACY)),
        ("stop_futility", *_proportion(d.outcome == FUTILITY)),
        ("expected_patients", *_mean(sims["n_patients"][rows, d.stop])),
        ("expected_primary_events", *_mean(sims["n_primary"][rows, d.stop])),
        ("expected_competing_events", *_mean(sims["n_competing"][rows, d.stop])),
        ("expected_duration", *_mean(sims["look_time"][rows, d.stop])),
    ]
    shr = np.exp(sims["log_shr"][rows, d.stop])
    shr = shr[np.isfinite(shr)]
    if len(shr):
        out.append(("shr_mean", *_mean(shr)))
        for q in (0.025, 0.5, 0.975):
            out.append((f"shr_quantile_{q:g}", float(np.quantile(shr, q)), float("nan")))
    return pd.DataFrame(out, columns=["quantity", "estimate", "mc_std_error"])


def per_look(
    sims: Mapping[str, np.ndarray],
    efficacy: Sequence[float],
    futility: Sequence[float] | None = None,
    *,
    sided: int = 2,
) -> pd.DataFrame:
    """One row per look: the probability of stopping there for efficacy (benefit), for harm and
    for futility, the cumulative probability of rejection, and the mean number of patients,
    primary and competing events and calendar time of the look, with Monte Carlo standard errors
    (``..._mc_std_error``)."""
    z = sims["z"]
    n, k = z.shape
    d = decide(z, efficacy, futility, sided=sided)
    rows = []
    for j in range(k):
        at = d.stop == j
        eff, eff_se = _proportion(at & (d.outcome == EFFICACY))
        harm, harm_se = _proportion(at & (d.outcome == HARM))
        fut, fut_se = _proportion(at & (d.outcome == FUTILITY))
        cum, cum_se = _proportion((d.stop <= j) & (d.outcome == EFFICACY))
        row = {
            "look": j + 1,
            "stop_efficacy": eff,
            "stop_efficacy_mc_std_error": eff_se,
            "stop_harm": harm,
            "stop_harm_mc_std_error": harm_se,
            "stop_futility": fut,
            "stop_futility_mc_std_error": fut_se,
            "cumulative_reject": cum,
            "cumulative_reject_mc_std_error": cum_se,
        }
        for name in ("n_patients", "n_primary", "n_competing", "look_time"):
            row[f"mean_{name}"], row[f"mean_{name}_mc_std_error"] = _mean(sims[name][:, j])
        rows.append(row)
    return pd.DataFrame(rows)
