"""The design section: its tables, figure and prose (from :mod:`helpers.analysis.design_simulation`).

One output ID per table or figure: ``table_design_boundaries()`` -> ``tbl-design-boundaries``,
``table_design_scenarios()`` -> ``tbl-design-scenarios``, ``table_design_sizing()`` ->
``tbl-design-sizing``, ``figure_design_power()`` -> ``fig-design-power``; ``design_text()`` is the
section's prose. The tables are built from their ARD rows (``ard_design_*``, formatted by
:mod:`helpers.present.ard`) and the prose reads the same rows.
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
from helpers.study import Study, in_prose

__all__ = [
    "NOT_DEFINED",
    "ard_design_boundaries",
    "ard_design_scenarios",
    "ard_design_sizing",
    "design_text",
    "figure_design_power",
    "figure_not_defined",
    "table_design_boundaries",
    "table_design_scenarios",
    "table_design_sizing",
    "table_not_defined",
]


def _design_records(rows: pd.DataFrame, variable: str) -> list[dict[str, Any]]:
    from helpers.present.ard import records

    return [r for r in records(rows) if variable in r]


def table_design_boundaries(rows: pd.DataFrame) -> pd.DataFrame:
    """The design's looks (ARD :func:`ard_design_boundaries` of the simulation's ``boundaries``):
    information fraction, planned primary events, efficacy (and futility) boundary on the z scale,
    nominal p-value, cumulative alpha spent and analytic power."""
    recs = _design_records(rows, "look")
    if not recs:
        return table_not_defined()
    out = pd.DataFrame(
        {
            "Look": [r["look"] for r in recs],
            "Information fraction": [r["information_fraction"] for r in recs],
            "Primary events": [r["events"] for r in recs],
            "Efficacy boundary (z)": [r["efficacy_z"] for r in recs],
        }
    )
    if any(r["futility_z"] != "NE" for r in recs):
        out["Futility boundary (z)"] = ["" if r["futility_z"] == "NE" else r["futility_z"] for r in recs]
    out["Nominal p-value"] = [r["nominal_p"] for r in recs]
    out["Alpha spent"] = [r["alpha_spent"] for r in recs]
    out["Power, analytic (cumulative)"] = [r["cumulative_power"] for r in recs]
    return out


def table_design_scenarios(rows: pd.DataFrame, study: Study) -> pd.DataFrame:
    """One row per scenario (ARD :func:`ard_design_scenarios`): its truth (cause-specific and
    implied subdistribution hazard ratio, reference arm's competing incidence at the main landmark)
    and the simulated power, stopping probability at each look, and expected primary and competing
    events and duration."""
    recs = _design_records(rows, "scenario")
    if not recs:
        return table_not_defined()
    at = study.time.landmark_label(study.time.main_landmark)
    endpoint = study.primary_endpoint
    competing = endpoint.causes[3 - study.primary.cause]
    out = []
    for sc in (r for r in recs if "look" not in r):
        row: dict[str, str] = {
            "Scenario": sc["label"],
            "Hazard ratio (cause-specific)": sc["hazard_ratio"],
            f"Subdistribution hazard ratio at {at}": sc["subdistribution_hr"],
            f"{competing}, reference arm, {at}": sc["competing_reference"],
            "Power": f"{sc['power']} (MC SE {sc['power_se']})",
        }
        for lk in (r for r in recs if "look" in r and r["scenario"] == sc["scenario"]):
            row[f"Stops at look {lk['look']}"] = lk["stop"]
        if "shr_median" in sc:
            row["Estimated sHR at stopping, median (2.5%, 97.5%)"] = (
                f"{sc['shr_median']} ({sc['shr_low']}, {sc['shr_high']})"
            )
        row["Expected primary events"] = sc["expected_primary_events"]
        row["Expected competing events"] = sc["expected_competing_events"]
        row["Expected duration, months"] = sc["expected_duration"]
        out.append(row)
    return pd.DataFrame(out)


def table_design_sizing(rows: pd.DataFrame, study: Study) -> pd.DataFrame:
    """The conventional sizing (competing events censored) beside the competing-risks one (ARD
    :func:`ard_design_sizing`)."""
    recs = _design_records(rows, "method")
    if not recs:
        return table_not_defined()
    return pd.DataFrame(
        {
            "Method": [r["method"] for r in recs],
            "Effect (hazard ratio)": [r["effect"] for r in recs],
            "Primary events": [r["events"] for r in recs],
            "Probability of the primary event": [r["event_probability"] for r in recs],
            "Patients": [r["patients"] for r in recs],
        }
    )


def _not_defined_rows(output_id: str, population: str) -> pd.DataFrame:
    from helpers.present.ard import Stat, from_frame

    return from_frame(
        pd.DataFrame({"status": [NOT_DEFINED]}),
        output_id=output_id,
        analysis_id="design_simulation",
        population=population,
        context="attributes",
        variable="design",
        stats={"status": Stat("Status", "text")},
    )


def ard_design_boundaries(
    boundaries: pd.DataFrame | None, population: str, study: Study, output_id: str = "tbl-design-boundaries"
) -> pd.DataFrame:
    """The design's looks and its alpha (``variable`` ``design``); None: the study defines no simulation."""
    from helpers.present.ard import Stat, from_frame

    if boundaries is None or study.design is None:
        return _not_defined_rows(output_id, population)
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "design_simulation", "population": population}
    d = boundaries
    stats = {
        "information_fraction": Stat("Information fraction", "num2"),
        "events": Stat("Primary events", "count"),
        "efficacy_z": Stat("Efficacy boundary (z)", "num3"),
        "futility_z": Stat("Futility boundary (z)", "num3"),
        "nominal_p": Stat("Nominal p-value", "p4"),
        "alpha_spent": Stat("Alpha spent", "num4"),
        "cumulative_power": Stat("Power, analytic (cumulative)", "percent"),
    }
    parts = [
        from_frame(d, **keys, context="design", variable="look", stats=stats),
        from_frame(
            pd.DataFrame({"alpha": [study.design.alpha]}),
            **keys,
            context="design",
            variable="design",
            stats={"alpha": Stat("Alpha", "num3")},
        ),
    ]
    return pd.concat(parts, ignore_index=True)


def ard_design_scenarios(
    scenarios: pd.DataFrame | None,
    oc: pd.DataFrame | None,
    per_look: pd.DataFrame | None,
    population: str,
    summary: dict[str, Any] | None = None,
    output_id: str = "tbl-design-scenarios",
) -> pd.DataFrame:
    """Per scenario its truth and operating characteristics, per scenario and look (but the last)
    the probability of stopping there, and with ``summary`` (``design_simulation.summary_values``)
    the trials and seed (``variable`` ``simulation``)."""
    from helpers.present.ard import Stat, from_frame

    if scenarios is None or oc is None or per_look is None:
        return _not_defined_rows(output_id, population)
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "design_simulation", "population": population}
    recs = []
    for _, sc in scenarios.iterrows():
        q = oc[oc["scenario"] == sc["scenario"]].set_index("quantity")
        rec = {
            "scenario": sc["scenario"],
            "label": str(sc["label"]),
            "hazard_ratio": sc["hazard_ratio"],
            "subdistribution_hr": sc["subdistribution_hr"],
            "competing_reference": sc["competing_reference"],
            "power": q.loc["reject", "estimate"],
            "power_se": 100 * q.loc["reject", "mc_std_error"],
            "expected_primary_events": q.loc["expected_primary_events", "estimate"],
            "expected_competing_events": q.loc["expected_competing_events", "estimate"],
            "expected_duration": q.loc["expected_duration", "estimate"],
        }
        if "shr_quantile_0.5" in q.index:
            rec |= {
                "shr_median": q.loc["shr_quantile_0.5", "estimate"],
                "shr_low": q.loc["shr_quantile_0.025", "estimate"],
                "shr_high": q.loc["shr_quantile_0.975", "estimate"],
            }
        recs.append(rec)
    frame = pd.DataFrame(recs)
    stats = {
        "label": Stat("Scenario", "text"),
        "hazard_ratio": Stat("Hazard ratio (cause-specific)", "num2"),
        "subdistribution_hr": Stat("Subdistribution hazard ratio", "num3"),
        "competing_reference": Stat("Competing incidence, reference arm", "percent"),
        "power": Stat("Power", "percent"),
        "power_se": Stat("Monte Carlo standard error, points", "num1"),
        "expected_primary_events": Stat("Expected primary events", "num1"),
        "expected_competing_events": Stat("Expected competing events", "num1"),
        "expected_duration": Stat("Expected duration, months", "num1"),
        **{
            k: Stat(label, "num2")
            for k, label in (("shr_median", "sHR at stopping, median"), ("shr_low", "2.5%"), ("shr_high", "97.5%"))
            if k in frame
        },
    }
    parts = [from_frame(frame, **keys, context="design", variable="scenario", stats=stats)]
    n_looks = int(per_look["look"].max()) if len(per_look) else 0
    looks = per_look[per_look["look"] < n_looks].assign(
        stop=lambda d: d["stop_efficacy"] + d["stop_harm"] + d["stop_futility"]
    )
    if len(looks):
        parts.append(
            from_frame(
                looks,
                **keys,
                context="design",
                by=["scenario"],
                variable="look",
                stats={"stop": Stat("Stops at the look", "percent")},
            )
        )
    if summary is not None:
        parts.append(
            from_frame(
                pd.DataFrame({"n_trials": [summary["n_trials"]], "seed": [summary["seed"]]}),
                **keys,
                context="design",
                variable="simulation",
                stats={"n_trials": Stat("Simulated trials per scenario", "count"), "seed": Stat("Seed", "count")},
            )
        )
    return pd.concat(parts, ignore_index=True)


def ard_design_sizing(
    sizing: pd.DataFrame | None, population: str, output_id: str = "tbl-design-sizing"
) -> pd.DataFrame:
    """The sizing by each method: effect, events and patients (rounded up), event probability."""
    from helpers.present.ard import Stat, from_frame

    if sizing is None:
        return _not_defined_rows(output_id, population)
    d = sizing.assign(events=np.ceil(sizing["events"]), patients=np.ceil(sizing["patients"]))
    stats = {
        "effect": Stat("Effect (hazard ratio)", "num3"),
        "events": Stat("Primary events", "count"),
        "event_probability": Stat("Probability of the primary event", "percent"),
        "patients": Stat("Patients", "count"),
    }
    return from_frame(
        d,
        output_id=output_id,
        analysis_id="design_simulation",
        population=population,
        context="design",
        variable="method",
        stats=stats,
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
    """The design section's prose: the design, the simulation and what the conventional sizing
    misses, every number from the run's ARD (the design tables' rows)."""
    d = study.design
    a = r.ard()
    if d is None or not a.has("tbl-design-scenarios") or a.records("tbl-design-scenarios", design=None):
        return NOT_DEFINED
    event = in_prose(study.primary_endpoint.causes[study.primary.cause])
    comp = in_prose(study.comparator_arms[0].label)
    ref = in_prose(study.reference_arm.label)
    looks = len(d.information_fractions)
    interim = f"{looks - 1} interim {'analysis' if looks == 2 else 'analyses'}" if looks > 1 else "no interim analysis"
    statistic = {"gray": "Gray's test", "fine-gray": "the Fine-Gray Wald test", "logrank": "the log-rank test"}[
        d.statistic
    ]
    scenarios = [x for x in a.records("tbl-design-scenarios") if "scenario" in x and "look" not in x]
    said = join_words([f"{in_prose(s['label'])} {s['power']} (MC SE {s['power_se']})" for s in scenarios])
    sim = a.record("tbl-design-scenarios", "stat", simulation=None)
    alpha = a.cell("tbl-design-boundaries", "alpha", design=None)
    conventional = a.record("tbl-design-sizing", method="Schoenfeld, competing events censored")
    true = a.record("tbl-design-sizing", method="Schoenfeld events, true cumulative incidence")
    return (
        f"The design compares {comp} with {ref} on {event} with {statistic} at {looks} looks "
        f"({interim}) after {d.planned_events} primary events in {d.n_patients} patients, "
        f"alpha {alpha} ({'two' if d.sided == 2 else 'one'}-sided; "
        f"@tbl-design-boundaries). {int(sim['n_trials']):,} simulated trials per scenario (seed {int(sim['seed'])}) give "
        f"a power of {said} (@tbl-design-scenarios, @fig-design-power). The conventional sizing, "
        f"which censors the competing event, expects {conventional['event_probability']} of patients "
        f"to have {event} and so {conventional['patients']} patients for the "
        f"events; with the competing event it is {true['event_probability']}, and "
        f"{true['patients']} patients (@tbl-design-sizing)."
    )
