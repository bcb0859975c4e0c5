"""The design section: its tables, figure and prose (from :mod:`helpers.analysis.design_simulation`).

One output ID per table or figure: ``table_design_boundaries()`` -> ``tbl-design-boundaries``,
``table_design_scenarios()`` -> ``tbl-design-scenarios``, ``table_design_sizing()`` ->
``tbl-design-sizing``, ``figure_design_power()`` -> ``fig-design-power``; ``design_text()`` is the
section's prose, every number read from the run's results. Numbers are rounded here only.
"""

from __future__ import annotations

import textwrap
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from helpers.present.narrative import join_words
from helpers.present.results import RunResults
from helpers.present.tables import fmt_num, fmt_p, fmt_pct
from helpers.study import Study, in_prose

__all__ = [
    "NOT_DEFINED",
    "design_text",
    "figure_design_power",
    "figure_not_defined",
    "table_design_boundaries",
    "table_design_scenarios",
    "table_design_sizing",
    "table_not_defined",
]


def _one(rows: list[dict[str, Any]], what: str, **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(found) != 1:
        raise KeyError(f"expected one {what} with {match}, found {len(found)}")
    return found[0]


def _pct_se(estimate: float, se: float) -> str:
    """``"75.8% (MC SE 2.1)"``: a simulated proportion with its Monte Carlo standard error in points."""
    return f"{fmt_pct(estimate)} (MC SE {fmt_num(100 * se)})"


def table_design_boundaries(boundaries: pd.DataFrame) -> pd.DataFrame:
    """The design's looks: information fraction, planned primary events, efficacy (and futility)
    boundary on the z scale, nominal p-value, cumulative alpha spent and analytic power."""
    out = pd.DataFrame(
        {
            "Look": boundaries["look"].astype(int).astype(str),
            "Information fraction": [fmt_num(x, 2) for x in boundaries["information_fraction"]],
            "Primary events": boundaries["events"].astype(int).astype(str),
            "Efficacy boundary (z)": [fmt_num(x, 3) for x in boundaries["efficacy_z"]],
        }
    )
    if boundaries["futility_z"].notna().any():
        out["Futility boundary (z)"] = [fmt_num(x, 3) if np.isfinite(x) else "" for x in boundaries["futility_z"]]
    out["Nominal p-value"] = [fmt_p(x) if x >= 0.001 else f"{x:.4f}" for x in boundaries["nominal_p"]]
    out["Alpha spent"] = [f"{x:.4f}" for x in boundaries["alpha_spent"]]
    out["Power, analytic (cumulative)"] = [fmt_pct(x) for x in boundaries["cumulative_power"]]
    return out


def table_design_scenarios(
    scenarios: pd.DataFrame, oc: pd.DataFrame, per_look: pd.DataFrame, study: Study
) -> pd.DataFrame:
    """One row per scenario: its truth (cause-specific and implied subdistribution hazard ratio,
    reference arm's competing incidence at the main landmark) and the simulated power, stopping
    probability at each look, and expected primary and competing events and duration."""
    at = study.time.landmark_label(study.time.main_landmark)
    endpoint = study.primary_endpoint
    competing = endpoint.causes[3 - study.primary.cause]
    rows = []
    for _, sc in scenarios.iterrows():
        q = oc[oc["scenario"] == sc["scenario"]].set_index("quantity")
        looks = per_look[per_look["scenario"] == sc["scenario"]]
        row: dict[str, str] = {
            "Scenario": str(sc["label"]),
            "Hazard ratio (cause-specific)": fmt_num(sc["hazard_ratio"], 2),
            f"Subdistribution hazard ratio at {at}": fmt_num(sc["subdistribution_hr"], 3),
            f"{competing}, reference arm, {at}": fmt_pct(sc["competing_reference"]),
            "Power": _pct_se(q.loc["reject", "estimate"], q.loc["reject", "mc_std_error"]),
        }
        for _, lk in looks.iterrows():
            stop = lk["stop_efficacy"] + lk["stop_harm"] + lk["stop_futility"]
            if int(lk["look"]) < len(looks):
                row[f"Stops at look {int(lk['look'])}"] = fmt_pct(stop)
        if "shr_quantile_0.5" in q.index:
            row["Estimated sHR at stopping, median (2.5%, 97.5%)"] = (
                f"{fmt_num(q.loc['shr_quantile_0.5', 'estimate'], 2)} ({fmt_num(q.loc['shr_quantile_0.025', 'estimate'], 2)}, "
                f"{fmt_num(q.loc['shr_quantile_0.975', 'estimate'], 2)})"
            )
        row["Expected primary events"] = fmt_num(q.loc["expected_primary_events", "estimate"])
        row["Expected competing events"] = fmt_num(q.loc["expected_competing_events", "estimate"])
        row["Expected duration, months"] = fmt_num(q.loc["expected_duration", "estimate"])
        rows.append(row)
    return pd.DataFrame(rows)


def table_design_sizing(sizing: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The conventional sizing (competing events censored) beside the competing-risks one."""
    d = study.design
    assert d is not None
    return pd.DataFrame(
        {
            "Method": sizing["method"].astype(str),
            "Effect (hazard ratio)": [fmt_num(x, 3) for x in sizing["effect"]],
            "Primary events": [fmt_num(np.ceil(x), 0) for x in sizing["events"]],
            "Probability of the primary event": [fmt_pct(x) for x in sizing["event_probability"]],
            "Patients": [fmt_num(np.ceil(x), 0) for x in sizing["patients"]],
        }
    )


def figure_design_power(curves: pd.DataFrame, study: Study) -> Figure:
    """Power against the subdistribution hazard ratio (left) and against the reference arm's
    competing incidence at the main landmark (right): simulated (points with +-2 Monte Carlo
    standard errors) and the design's conventional analytic power (competing events censored)."""
    at = study.time.landmark_label(study.time.main_landmark)
    endpoint = study.primary_endpoint
    competing = in_prose(endpoint.causes[3 - study.primary.cause])
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8), sharey=True)
    panels = (
        ("hazard_ratio", "subdistribution_hr", f"Subdistribution hazard ratio at {at}", 1.0),
        ("competing_multiplier", "competing_reference", f"Incidence of {competing} at {at}, reference arm", 100.0),
    )
    for ax, (curve, x_col, label, scale) in zip(axes, panels, strict=True):
        d = curves[curves["curve"] == curve].sort_values(x_col)
        x = d[x_col].to_numpy() * scale
        ax.errorbar(
            x,
            d["power"] * 100,
            yerr=2 * d["mc_std_error"] * 100,
            fmt="o-",
            color="#1f4e79",
            ms=4,
            capsize=2,
            label="Simulated (Gray's test at each look)" if ax is axes[0] else None,
        )
        ax.plot(
            x,
            d["conventional_power"] * 100,
            "--",
            color="0.45",
            label="Conventional (competing events censored)" if ax is axes[0] else None,
        )
        ax.set_xlabel(textwrap.fill(label + (" (%)" if scale == 100.0 else ""), 42))
        ax.set_ylim(0, 100)
        ax.grid(color="0.92")
    axes[0].set_ylabel("Power (%)")
    axes[0].legend(frameon=False, fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


#: What the design section shows for a study whose definition has no ``design.simulation``.
NOT_DEFINED = "The study definition has no design simulation (design.simulation)."


def table_not_defined() -> pd.DataFrame:
    """The one-cell table shown in place of a design table when the study defines no simulation."""
    return pd.DataFrame({"Status": [NOT_DEFINED]})


def figure_not_defined() -> Figure:
    """The figure shown in place of the power curves when the study defines no simulation."""
    fig, ax = plt.subplots(figsize=(6.0, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, NOT_DEFINED, ha="center", va="center", fontsize=10)
    return fig


def design_text(r: RunResults, study: Study, notebook: str = "06_design") -> str:
    """The design section's prose: the design, the simulation and what the conventional sizing misses."""
    d = study.design
    info = r.value(notebook, "design_simulation")
    if d is None or info is None:
        return NOT_DEFINED
    oc = r.value(notebook, "design_operating_characteristics")
    sizing = r.value(notebook, "design_sizing")
    event = in_prose(study.primary_endpoint.causes[study.primary.cause])
    comp = in_prose(study.comparator_arms[0].label)
    ref = in_prose(study.reference_arm.label)
    looks = len(d.information_fractions)
    interim = f"{looks - 1} interim {'analysis' if looks == 2 else 'analyses'}" if looks > 1 else "no interim analysis"
    statistic = {"gray": "Gray's test", "fine-gray": "the Fine-Gray Wald test", "logrank": "the log-rank test"}[
        d.statistic
    ]

    def power(name: str) -> str:
        q = _one(oc, "operating characteristic", scenario=name, quantity="reject")
        return _pct_se(q["estimate"], q["mc_std_error"])

    names: list[dict[str, Any]] = info["scenarios"]
    said = join_words([f"{in_prose(s['label'])} {power(s['scenario'])}" for s in names])
    conventional = _one(sizing, "sizing", method="Schoenfeld, competing events censored")
    true = _one(sizing, "sizing", method="Schoenfeld events, true cumulative incidence")
    return (
        f"The design compares {comp} with {ref} on {event} with {statistic} at {looks} looks "
        f"({interim}) after {d.planned_events} primary events in {d.n_patients} patients, "
        f"alpha {fmt_num(d.alpha, 3)} ({'two' if d.sided == 2 else 'one'}-sided; "
        f"@tbl-design-boundaries). {info['n_trials']:,} simulated trials per scenario (seed {info['seed']}) give "
        f"a power of {said} (@tbl-design-scenarios, @fig-design-power). The conventional sizing, "
        f"which censors the competing event, expects {fmt_pct(conventional['event_probability'])} of patients "
        f"to have {event} and so {fmt_num(np.ceil(conventional['patients']), 0)} patients for the "
        f"events; with the competing event it is {fmt_pct(true['event_probability'])}, and "
        f"{fmt_num(np.ceil(true['patients']), 0)} patients (@tbl-design-sizing)."
    )
