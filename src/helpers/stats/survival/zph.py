"""Test of proportional hazards, as R's ``cox.zph`` (survival >= 3.0)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from helpers.stats._counting import left_continuous, risk_table

from ._partial_likelihood import PartialLikelihood
from .coxph import fit_cox

__all__ = ["cox_ph_test"]

TRANSFORMS = ("km", "identity", "log", "rank")


def _km_transform(t: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``1 - S(t-)`` of the pooled Kaplan-Meier, left-continuous, at each patient's time."""
    tab = risk_table(t, e)
    return 1.0 - left_continuous(tab.surv)[tab.index]


def cox_ph_test(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str] | str,
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    ties: str = "efron",
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
    data, duration_col, event_col, covariates, strata, interactions, ties
        As :func:`cox`; the model is fitted first (``cox.zph`` uses the fit's ties method).
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
    if transform not in TRANSFORMS:
        raise ValueError(f"{transform=}; expected one of {TRANSFORMS}")
    fit = fit_cox(data, duration_col, event_col, covariates, strata=strata, interactions=interactions, ties=ties)
    fitted = list(fit.X.columns)
    good = [c for c in fitted if not fit.summary.set_index("term").loc[c, "note"].startswith("not estimable")]
    if not good:
        raise ValueError("no estimable coefficient: the proportional-hazards test is undefined")
    if len(good) < len(fitted):
        raise ValueError(
            f"terms {sorted(set(fitted) - set(good))} diverge; expected a model whose coefficients are all estimable"
        )
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
    problem = PartialLikelihood(t, e, fit.X.to_numpy(dtype=float), fit.strata, fit.ties)
    u, imat = problem.time_varying_score(fit.coef[good].to_numpy(), gtime)
    p = len(good)
    terms: dict[str, list[int]] = {}
    for j, col in enumerate(good):
        terms.setdefault(fit.term_sources[col], []).append(j)
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
