"""The study's group-sequential design of the primary comparison, computed from its definition.

The study definition's ``design`` (``helpers.study.Design``) gives the planned primary events, the
looks' information fractions, alpha, sidedness, power, the planned effect and its measure, and the
spending functions; :mod:`helpers.stats.group_sequential` computes the boundaries.  The
comparison is the first comparator arm against the reference arm, with allocation share
p = a_comparator / (a_comparator + a_reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.stats import group_sequential as gs
from helpers.study import Study

__all__ = ["LOOK_COLUMNS", "SUMMARY_COLUMNS", "PlannedDesign", "planned_design"]

#: Columns of :attr:`PlannedDesign.looks`, one row a look.
LOOK_COLUMNS = (
    "look",
    "information_fraction",
    "events",
    "efficacy_z",
    "futility_z",
    "nominal_p",
    "alpha_spent",
    "hr_efficacy",
    "hr_futility",
    "efficacy_h0",
    "efficacy_h1",
    "futility_h1",
    "cumulative_power",
)
#: Columns of :attr:`PlannedDesign.summary`, one row.
SUMMARY_COLUMNS = (
    "comparison",
    "n_patients",
    "allocation",
    "hazard_ratio",
    "effect_measure",
    "statistic",
    "alpha",
    "sided",
    "power",
    "looks",
    "alpha_spending",
    "futility_spending",
    "binding",
    "events_method",
    "events_fixed",
    "inflation_factor",
    "events_required",
    "planned_events",
    "power_at_planned_events",
    "expected_events_h0",
    "expected_events_h1",
    "event_probability",
    "drift",
)


@dataclass(frozen=True)
class PlannedDesign:
    """The computed design: ``design`` (:class:`helpers.stats.group_sequential.GroupSequentialDesign`),
    ``looks`` (one row a look, :data:`LOOK_COLUMNS`) and ``summary`` (one row, :data:`SUMMARY_COLUMNS`).

    ``looks``: ``events`` primary events at the look (``ceil(fraction * planned_events)``, the last
    the planned ones), ``efficacy_z``/``futility_z`` the boundaries, ``nominal_p`` the p-value at
    the efficacy boundary (two-sided for a two-sided design), ``alpha_spent`` cumulative,
    ``hr_efficacy``/``hr_futility`` the hazard ratio that sits on each boundary at the look's events
    (``exp(-+ z / sqrt(p (1 - p) events))``, on the planned effect's side), the probabilities of
    stopping for efficacy under H0 and H1 and for futility under H1, the cumulative power.

    ``summary``: ``allocation`` the share p, ``events_fixed`` the fixed design's events for the
    planned effect (``events_method``: Schoenfeld for a cause-specific hazard ratio, Latouche, Porcher
    and Chevret for a subdistribution one: the same formula), ``inflation_factor`` and
    ``events_required`` (fixed times inflation, unrounded), ``power_at_planned_events`` the design's
    power if the final analysis has ``planned_events``, ``expected_events_h0``/``_h1`` the expected
    primary events at stopping, ``event_probability`` planned events over patients (the
    probability psi of Latouche's ``n = D / psi`` that the plan implies), ``drift`` E[Z] at the
    planned events under the planned effect.
    """

    design: gs.GroupSequentialDesign
    looks: pd.DataFrame
    summary: pd.DataFrame

    def power_at_events(self, events: float) -> float:
        """Power of the design's boundaries when the final analysis has ``events`` primary events
        (the looks at the same fractions of them) under the planned effect."""
        s = self.summary.iloc[0]
        drift = abs(math.log(s["hazard_ratio"])) * math.sqrt(s["allocation"] * (1 - s["allocation"]) * events)
        d = self.design
        probs = gs.crossing_probabilities(d.efficacy, d.futility, d.information_fractions, drift, sided=d.sided)
        return float(probs["efficacy"].sum())


def planned_design(study: Study) -> PlannedDesign:
    """The study's group-sequential design of its primary comparison.

    Raises
    ------
    ValueError
        The study has no ``design`` section, or the design's settings are refused by
        :func:`helpers.stats.group_sequential.design` (the message names the setting).
    """
    d = study.design
    if d is None:
        raise ValueError(f"study {study.study.id} has no design section; its planned design needs one")
    ref, comp = study.reference_arm, study.comparator_arms[0]
    p = comp.allocation / (comp.allocation + ref.allocation)
    futility = d.futility
    try:
        gsd = gs.design(
            d.information_fractions,
            alpha=d.alpha,
            sided=d.sided,
            power=d.power,
            alpha_spending=d.alpha_spending.function,
            alpha_parameter=d.alpha_spending.parameter,
            futility_spending=None if futility is None else futility.spending.function,
            futility_parameter=None if futility is None else futility.spending.parameter,
            binding=False if futility is None else futility.binding,
        )
    except ValueError as e:
        raise ValueError(f"study {study.study.id}, design: {e}") from None
    if d.effect_measure == "cause-specific":
        method = "Schoenfeld (1983)"
        fixed = gs.schoenfeld_events(d.hazard_ratio, alpha=d.alpha, sided=d.sided, power=d.power, allocation=p)
    else:
        method = "Latouche, Porcher and Chevret (2004)"
        fixed = gs.latouche_events(
            d.hazard_ratio,
            event_probability=min(d.planned_events / d.n_patients, 1 - 1e-12),
            alpha=d.alpha,
            sided=d.sided,
            power=d.power,
            allocation=p,
        ).events
    t = np.asarray(gsd.information_fractions)
    events = np.minimum(np.ceil(t * d.planned_events - 1e-9), d.planned_events).astype(int)
    events[-1] = d.planned_events
    side = -1.0 if d.hazard_ratio < 1 else 1.0  # the planned effect's side of 1
    scale = np.sqrt(p * (1 - p) * events)

    def on_hr(z: np.ndarray) -> np.ndarray:
        return np.exp(side * z / scale)

    efficacy = np.asarray(gsd.efficacy)
    fut = np.asarray(gsd.futility) if gsd.futility is not None else np.full(t.size, np.nan)
    looks = pd.DataFrame(
        {
            "look": np.arange(1, t.size + 1),
            "information_fraction": t,
            "events": events,
            "efficacy_z": efficacy,
            "futility_z": fut,
            "nominal_p": gsd.nominal_p,
            "alpha_spent": gsd.alpha_spent,
            "hr_efficacy": on_hr(efficacy),
            "hr_futility": on_hr(fut),
            "efficacy_h0": gsd.efficacy_h0,
            "efficacy_h1": gsd.efficacy_h1,
            "futility_h1": gsd.futility_h1,
            "cumulative_power": gsd.cumulative_power,
        },
        columns=list(LOOK_COLUMNS),
    )
    summary = pd.DataFrame(
        [
            {
                "comparison": study.comparison_label(comp),
                "n_patients": d.n_patients,
                "allocation": p,
                "hazard_ratio": d.hazard_ratio,
                "effect_measure": d.effect_measure,
                "statistic": d.statistic,
                "alpha": d.alpha,
                "sided": d.sided,
                "power": d.power,
                "looks": d.looks,
                "alpha_spending": d.alpha_spending.function,
                "futility_spending": None if futility is None else futility.spending.function,
                "binding": False if futility is None else futility.binding,
                "events_method": method,
                "events_fixed": fixed,
                "inflation_factor": gsd.inflation_factor,
                "events_required": fixed * gsd.inflation_factor,
                "planned_events": d.planned_events,
                "power_at_planned_events": math.nan,
                "expected_events_h0": d.planned_events * gsd.expected_information_h0,
                "expected_events_h1": d.planned_events * gsd.expected_information_h1,
                "event_probability": d.planned_events / d.n_patients,
                "drift": abs(math.log(d.hazard_ratio)) * math.sqrt(p * (1 - p) * d.planned_events),
            }
        ],
        columns=list(SUMMARY_COLUMNS),
    )
    out = PlannedDesign(gsd, looks, summary)
    summary.loc[0, "power_at_planned_events"] = out.power_at_events(d.planned_events)
    return out
