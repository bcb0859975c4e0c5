"""The interim analysis of the primary comparison at a data cut, against the study's group-sequential
design (``study.design``): what the data monitoring committee decides at each look.

Which look a data cut is (:func:`locate_look`):

1. No data cutoff (the data as delivered), or as many primary events as planned or more: the
   **final analysis**.
2. When ``design.look_cutoffs`` lists the cutoff dates of the looks already held, the looks with a
   cutoff before this one (all of them at the final analysis) were held, and an interim cut is the
   next look (a cutoff equal to a listed date is that look again); the information of each held
   look is recomputed from the data: its primary events by its cutoff over the planned events.
3. Without ``look_cutoffs``, an interim cut is the planned look whose information fraction is
   nearest the observed one (the earlier one on a tie), and the earlier looks are taken as held at
   their planned fractions; at the final analysis the earlier looks planned below the information
   observed were held, at their planned fractions, and the others were not (the final analysis
   came first).
4. A cut that is the last planned look is the final analysis.

At the final analysis the final look spends all the alpha left, whatever its information
(underrun); with more primary events than planned (overrun), ``design.overrun`` must say what to
do: ``spend-remaining`` spends the alpha left at the final look and takes the correlations of the
looks over the events observed at the final analysis
(:func:`helpers.stats.group_sequential.update`). Without it the analysis stops with an error
naming ``design.overrun``.

The primary statistic (``design.statistic``) compares the first comparator arm with the reference
arm on the primary endpoint and cause: ``gray``, the signed square root of Gray's statistic
(:func:`helpers.stats.competing_risks.gray_z`); ``fine-gray``, the Fine-Gray Wald z; ``logrank``,
the cause-specific log-rank z (:func:`helpers.stats.survival.logrank_z`). Each is negative when
the comparator arm has fewer events (a lower cumulative incidence, subdistribution or
cause-specific hazard). The boundaries are on the scale oriented to the planned effect
(``z_planned``: positive in the direction of ``design.hazard_ratio``).

Projected dates (:func:`projected_looks`): from the pooled data of both arms, so blind to arm; the
model is that of :mod:`helpers.stats.event_prediction` (piecewise-constant cause-specific hazards
of the primary event, the competing event and dropout, changing at the study's landmarks; accrual
at the observed rate until ``design.n_patients`` are randomised), simulated with a seed.
Dropout is a patient censored for the primary endpoint who left the study (ADSL ``EOSSTT`` =
``DISCONTINUED``) before the cut; every other censored patient is still followed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from helpers.analysis.design import planned_design
from helpers.analysis.endpoints import arm_term, comparison_data
from helpers.data.contract import Trial
from helpers.stats import competing_risks as cr
from helpers.stats import group_sequential as gs
from helpers.stats import survival
from helpers.stats.event_prediction import predict_event_days
from helpers.study import Design, Study

__all__ = [
    "BOUNDARY_COLUMNS",
    "LOOK_COLUMNS",
    "N_SIM",
    "SUMMARY_COLUMNS",
    "PROJECTION_COLUMNS",
    "STATISTIC_COLUMNS",
    "InterimAnalysis",
    "LookPosition",
    "design_of",
    "information_summary",
    "interim_analysis",
    "locate_look",
    "primary_events",
    "primary_statistic",
    "projected_looks",
    "projection_model",
]

#: Columns of :attr:`LookPosition.table`.
LOOK_COLUMNS = [
    "look",
    "planned_fraction",
    "planned_events",
    "cutoff",
    "events",
    "information_fraction",
    "basis",
    "status",
    "final",
]
#: Columns of :func:`primary_statistic`.
STATISTIC_COLUMNS = [
    "statistic_name",
    "comparison",
    "comparator_arm",
    "reference_arm",
    "statistic",
    "z_planned",
    "p_value",
    "log_hr",
    "std_error",
    "hr",
    "conf_low",
    "conf_high",
    "n_patients",
    "n_events",
    "note",
]
#: Columns of :func:`projected_looks`.
PROJECTION_COLUMNS = [
    "look",
    "final",
    "planned_events",
    "events",
    "additional_events",
    "date",
    "date_low",
    "date_high",
    "conf_level",
    "probability_reached",
    "n_sim",
    "note",
]
_STATISTIC_NAMES = {
    "gray": "Gray's test, signed square root",
    "fine-gray": "Fine-Gray Wald z",
    "logrank": "Cause-specific log-rank z",
}
#: Simulated trials of the projection.
N_SIM = 2000
#: ADSL end-of-study status of a patient who left the study (CDISC controlled terminology).
DISCONTINUED = "DISCONTINUED"


def design_of(study: Study) -> Design:
    """The study's design, or a ``ValueError`` saying the interim analysis needs one."""
    if study.design is None:
        src = study.source.name if study.source is not None else "the study definition"
        raise ValueError(f"{src} has no design section; the interim analysis needs design.planned_events and looks")
    return study.design


def planned_look_events(design: Design) -> list[int]:
    """Primary events planned at each look: ``ceil(fraction x planned_events)``."""
    return [math.ceil(f * design.planned_events - 1e-9) for f in design.information_fractions]


def primary_events(trial: Trial, study: Study, *, at: pd.Timestamp | None = None) -> int:
    """Primary events (the primary endpoint's primary cause) observed, by ``at`` if given
    (event date ``ADT`` on or before it)."""
    data = trial.endpoint(study.primary.endpoint)
    hit = data["EVNTCD"] == study.primary.cause
    if at is not None:
        hit &= pd.to_datetime(data["ADT"]) <= pd.Timestamp(at)
    return int(hit.sum())


@dataclass(frozen=True)
class LookPosition:
    """Where a data cut stands in the design (:func:`locate_look`).

    ``look`` (1-based) of ``looks``; ``final`` whether it is the final analysis; ``events`` primary
    events observed and ``planned_events`` at the final analysis; ``information_fraction`` their
    ratio; ``held`` the earlier looks held (a final analysis that comes before a planned interim
    look's information leaves that look "not held"); ``fractions`` the information fractions of
    the looks held and this one over the planned events
    (the last above 1 at an overrun final analysis); ``overrun`` whether more events were observed
    than planned (always the final analysis); ``table`` one row per planned look (:data:`LOOK_COLUMNS`).
    """

    look: int
    looks: int
    final: bool
    cutoff: pd.Timestamp | None
    events: int
    planned_events: int
    information_fraction: float
    held: tuple[int, ...]
    fractions: tuple[float, ...]
    overrun: bool
    table: pd.DataFrame


def locate_look(trial: Trial, study: Study) -> LookPosition:
    """Which look of the design the trial's data cut is, and the information at every look so far
    (the rule is in the module docstring).

    Raises
    ------
    ValueError
        No design; more primary events than planned without ``design.overrun``; a cut whose
        information is not above the previous look's; a cut after every look of
        ``design.look_cutoffs`` when they already fill the design.
    """
    design = design_of(study)
    planned = design.planned_events
    fractions = list(design.information_fractions)
    n_looks = len(fractions)
    cutoff = trial.cutoff
    events = primary_events(trial, study)
    observed = events / planned
    dates = [pd.Timestamp(d) for d in design.look_cutoffs]
    listed = [d for d in dates if cutoff is None or d < cutoff]
    final = cutoff is None or events >= planned
    if dates:
        look = n_looks if final else len(listed) + 1
        if len(listed) >= n_looks or (final and len(listed) > n_looks - 1):
            when = f"before the cutoff {cutoff.date()}" if cutoff is not None else "in all"
            raise ValueError(
                f"design.look_cutoffs lists {len(listed)} looks held {when}, as many as the design has "
                f"(information_fractions {fractions}): no look is left for this cut"
            )
        held = list(range(1, len(listed) + 1))
    elif final:
        # the final analysis: the earlier looks planned below the information observed were held
        look = n_looks
        held = [k for k in range(1, n_looks) if fractions[k - 1] < observed]
    else:
        look = 1 + int(np.argmin([abs(observed - f) for f in fractions]))
        held = list(range(1, look))
    final = look == n_looks
    info: dict[int, float] = {}
    held_events: dict[int, float] = {}
    basis: dict[int, str] = {}
    held_cutoff: dict[int, pd.Timestamp] = {}
    for k in held:
        if dates:
            d = listed[k - 1]
            held_events[k] = float(primary_events(trial, study, at=d))
            info[k], basis[k], held_cutoff[k] = held_events[k] / planned, f"events by {d.date()}", d
        else:
            info[k], basis[k] = float(fractions[k - 1]), "planned fraction"
    overrun = events > planned  # then the final analysis (rule 1)
    if overrun and design.overrun is None:
        where = study.source.name if study.source is not None else "the study definition"
        raise ValueError(
            f"{events} primary events observed, more than design.planned_events = {planned}, and "
            f"design.overrun is not set in {where}; set design.overrun (spend-remaining) to say "
            "how the final analysis spends the alpha left"
        )
    used = [*(info[k] for k in held), observed]
    if held and used[-1] <= used[-2]:
        raise ValueError(
            f"the cut at {cutoff.date() if cutoff is not None else 'the data as delivered'} has {events} primary "
            f"events (information fraction {observed:.3f}), not more than look {held[-1]} "
            f"({used[-2]:.3f}); check design.look_cutoffs and design.information_fractions"
        )
    look_events = planned_look_events(design)
    rows = []
    for j in range(n_looks):
        k = j + 1
        ev: float = np.nan
        frac, cut = np.nan, pd.NaT
        if k in info:
            ev, frac, b, cut, status = held_events.get(k, np.nan), info[k], basis[k], held_cutoff.get(k, pd.NaT), "held"
        elif k == look:
            ev, frac, b, status = float(events), observed, "this analysis", "current"
            cut = cutoff if cutoff is not None else pd.NaT
        elif k < look:
            b, status = "not held: the final analysis came first", "not held"
        else:
            b, status = "to come", "to come"
        rows.append(
            {
                "look": k,
                "planned_fraction": float(fractions[j]),
                "planned_events": look_events[j],
                "cutoff": cut,
                "events": ev,
                "information_fraction": frac,
                "basis": b,
                "status": status,
                "final": k == n_looks,
            }
        )
    return LookPosition(
        look=look,
        looks=n_looks,
        final=final,
        cutoff=cutoff,
        events=events,
        planned_events=planned,
        information_fraction=observed,
        held=tuple(held),
        fractions=tuple(used),
        overrun=overrun,
        table=pd.DataFrame(rows, columns=LOOK_COLUMNS),
    )


def planned_direction(design: Design) -> int:
    """+1 when the design plans a hazard ratio above 1, -1 below: ``z_planned = direction x z``
    is positive when the comparator arm's effect goes the planned way."""
    if design.hazard_ratio == 1:
        raise ValueError("design.hazard_ratio = 1 plans no effect; expected a hazard ratio other than 1")
    return 1 if design.hazard_ratio > 1 else -1


def primary_statistic(trial: Trial, study: Study) -> pd.DataFrame:
    """The primary test statistic of the design (``design.statistic``) for the first comparator
    arm against the reference arm, with the Fine-Gray subdistribution hazard ratio.

    One row (:data:`STATISTIC_COLUMNS`): ``statistic`` the z statistic (negative when the
    comparator arm has fewer primary events), ``z_planned`` the same oriented to the planned
    effect, ``p_value`` its two-sided p-value (one-sided in the planned direction for a one-sided
    design), and the unadjusted Fine-Gray estimate (``log_hr``, ``std_error``, ``hr``, its 95%
    Wald interval); ``n_events`` the primary events of the two arms.
    """
    design = design_of(study)
    cause = study.primary.cause
    comparator = study.comparator_arms[0]
    data = comparison_data(trial.endpoint(study.primary.endpoint), study, comparator)
    fg = cr.fine_gray(data, "AVAL", "EVNTCD", ["ARM"], cause=cause).summary.set_index("term")
    fg_row = fg.loc[arm_term(comparator)]
    note = str(fg_row.get("note", "") or "")
    if design.statistic == "gray":
        res = cr.gray_z(data, "AVAL", "EVNTCD", "ARM", cause=cause).iloc[0]
        z, note = float(res["statistic"]), str(res["note"] or note)
    elif design.statistic == "logrank":
        cs = data.assign(_event=(data["EVNTCD"] == cause).astype(int))
        res = survival.logrank_z(cs, "AVAL", "_event", "ARM").iloc[0]
        z, note = float(res["statistic"]), str(res["note"] or note)
    else:
        z = float(fg_row["statistic"])
    z_planned = planned_direction(design) * z
    p = float(2 * norm.sf(abs(z))) if design.sided == 2 else float(norm.sf(z_planned))
    return pd.DataFrame(
        [
            {
                "statistic_name": _STATISTIC_NAMES[design.statistic],
                "comparison": study.comparison_label(comparator),
                "comparator_arm": comparator.label,
                "reference_arm": study.reference_arm.label,
                "statistic": z,
                "z_planned": z_planned,
                "p_value": p,
                "log_hr": float(fg_row["coef"]),
                "std_error": float(fg_row["std_error"]),
                "hr": float(fg_row["hr"]),
                "conf_low": float(fg_row["conf_low"]),
                "conf_high": float(fg_row["conf_high"]),
                "n_patients": int(len(data)),
                "n_events": int((data["EVNTCD"] == cause).sum()),
                "note": note,
            }
        ],
        columns=STATISTIC_COLUMNS,
    )


def projection_data(trial: Trial, study: Study) -> pd.DataFrame:
    """The pooled primary endpoint data the projection fits: ``AVAL`` and ``CODE`` (0 still
    followed at the cut, 1 the primary event, 2 a competing event, 3 dropout), one row per
    patient, no arm."""
    data = trial.endpoint(study.primary.endpoint)
    status = trial.adsl.set_index("USUBJID")["EOSSTT"]
    left = data["USUBJID"].map(status).eq(DISCONTINUED).to_numpy()
    e = data["EVNTCD"].to_numpy()
    code = np.where(e == study.primary.cause, 1, np.where(e > 0, 2, np.where(left, 3, 0)))
    return pd.DataFrame({"AVAL": data["AVAL"].to_numpy(dtype=float), "CODE": code})


def _accrual(trial: Trial, cut: pd.Timestamp) -> tuple[int, float]:
    """Patients randomised by the cut and the days from the first randomisation to the cut."""
    rand = pd.to_datetime(trial.adsl["RANDDT"])
    n = int(rand.notna().sum())
    return n, float((cut - rand.min()).days) if n else 0.0


def information_summary(position: LookPosition) -> dict[str, object]:
    """The look and its information as the report quotes them (pooled: nothing by arm)."""
    return {
        "look": position.look,
        "looks": position.looks,
        "final": position.final,
        "cutoff": position.cutoff,
        "events": position.events,
        "planned_events": position.planned_events,
        "information_fraction": position.information_fraction,
        "overrun": position.overrun,
    }


def projection_model(
    trial: Trial, study: Study, position: LookPosition, *, seed: int, n_sim: int = N_SIM
) -> dict[str, object]:
    """What :func:`projected_looks` simulated, for the report to state: ``n_sim``, ``seed``, the
    hazards' change points ``breaks`` (days since randomisation, those below the longest
    follow-up), the patients randomised ``n_randomised`` and still to come ``n_new`` of
    ``n_patients``, and the events of each kind the hazards were fitted to."""
    design = design_of(study)
    data = projection_data(trial, study)
    longest = float(data["AVAL"].max()) if len(data) else 0.0
    n_rand = _accrual(trial, position.cutoff)[0] if position.cutoff is not None else int(len(trial.adsl))
    codes = data["CODE"].value_counts()
    return {
        "n_sim": n_sim,
        "seed": seed,
        "breaks": [b for b in study.time.landmark_days if b < longest],
        "n_randomised": n_rand,
        "n_new": max(design.n_patients - n_rand, 0),
        "n_patients": design.n_patients,
        "primary_events": int(codes.get(1, 0)),
        "competing_events": int(codes.get(2, 0)),
        "dropouts": int(codes.get(3, 0)),
    }


def projected_looks(
    trial: Trial,
    study: Study,
    position: LookPosition,
    *,
    seed: int,
    n_sim: int = N_SIM,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Projected calendar dates at which the looks after this one reach their planned primary
    events, from the pooled data (the model is in the module docstring).

    One row per look still to come (:data:`PROJECTION_COLUMNS`): ``date`` the median of the
    simulated dates, ``date_low``/``date_high`` the ``conf_level`` prediction interval; empty at the
    final analysis. Accrual continues at the observed rate (randomisations from the first to the
    cut) until ``design.n_patients`` are randomised.
    """
    design = design_of(study)
    if position.final or position.cutoff is None:
        return pd.DataFrame(columns=PROJECTION_COLUMNS)
    cut = position.cutoff
    data = projection_data(trial, study)
    at_risk = data.loc[data["CODE"] == 0, "AVAL"].to_numpy()
    n_rand, days = _accrual(trial, cut)
    n_new = max(design.n_patients - n_rand, 0)
    look_events = planned_look_events(design)
    to_come = list(range(position.look + 1, position.looks + 1))
    pred = predict_event_days(
        data,
        "AVAL",
        "CODE",
        cause=1,
        at_risk=at_risk,
        targets=[look_events[k - 1] for k in to_come],
        observed=position.events,
        breaks=study.time.landmark_days,
        n_new=n_new,
        accrual=(n_rand, days) if n_new else None,
        n_sim=n_sim,
        conf_level=conf_level,
        seed=seed,
    )

    def date(d: float) -> pd.Timestamp:
        return cut + pd.Timedelta(days=math.ceil(d)) if np.isfinite(d) else pd.NaT

    rows = []
    for k, p in zip(to_come, pred.itertuples()):
        rows.append(
            {
                "look": k,
                "final": k == position.looks,
                "planned_events": int(p.target_events),
                "events": position.events,
                "additional_events": int(p.additional_events),
                "date": date(p.days),
                "date_low": date(p.days_low),
                "date_high": date(p.days_high),
                "conf_level": conf_level,
                "probability_reached": float(p.probability_reached),
                "n_sim": int(p.n_sim),
                "note": p.note,
            }
        )
    return pd.DataFrame(rows, columns=PROJECTION_COLUMNS)


#: Columns of :attr:`InterimAnalysis.boundaries`.
BOUNDARY_COLUMNS = ["look", "status", "final", "information_fraction", "basis", "efficacy_z", "futility_z", "nominal_p"]
#: Columns of :attr:`InterimAnalysis.summary`.
SUMMARY_COLUMNS = [
    "look",
    "looks",
    "final",
    "cutoff",
    "events",
    "planned_events",
    "information_fraction",
    "sided",
    *STATISTIC_COLUMNS[:7],
    "efficacy_z",
    "futility_z",
    "nominal_p",
    "decision",
    "decision_text",
    "hr",
    "rci_low",
    "rci_high",
    "rci_level",
    "drift_planned",
    "conditional_power_planned",
    "conditional_power_trend",
    "predictive_power",
    "note",
]


@dataclass(frozen=True)
class InterimAnalysis:
    """The committee's analysis of a look (:func:`interim_analysis`).

    ``position`` the look (:func:`locate_look`); ``statistic`` the primary statistic
    (:func:`primary_statistic`); ``boundaries`` one row per look (:data:`BOUNDARY_COLUMNS`): the
    efficacy and futility z of the looks held and this one at their observed information, of the
    looks to come at their planned information, and the nominal p-value at the efficacy boundary;
    ``summary`` one row (:data:`SUMMARY_COLUMNS`) with the decision, the repeated confidence
    interval and the conditional and predictive power.
    """

    position: LookPosition
    statistic: pd.DataFrame
    boundaries: pd.DataFrame
    summary: pd.DataFrame


def _decision(z: float, efficacy: float, futility: float, sided: int, final: bool) -> tuple[str, str]:
    """The decision on the scale oriented to the planned effect: a code and its words."""
    if z >= efficacy:
        return (
            ("reject", "final boundary crossed: the null hypothesis is rejected")
            if final
            else ("efficacy", "efficacy boundary crossed")
        )
    if sided == 2 and z <= -efficacy:
        return (
            ("reject-opposite", "final boundary crossed in the direction opposite to the planned effect")
            if final
            else ("opposite", "boundary crossed in the direction opposite to the planned effect")
        )
    if final:
        return "not-rejected", "final boundary not crossed: the null hypothesis is not rejected"
    if np.isfinite(futility) and z <= futility:
        return "futility", "futility boundary crossed"
    return "continue", "no boundary crossed: continue"


def interim_analysis(trial: Trial, study: Study, position: LookPosition | None = None) -> InterimAnalysis:
    """The committee's analysis of this data cut (see the module docstring for the look rule).

    Boundaries: the design's spending functions at the information observed at the looks held and
    this one (:func:`helpers.stats.group_sequential.update`), the looks to come at their planned
    fractions; at the final analysis the final look spends all the alpha left. The decision compares
    ``z_planned`` with this look's boundaries: efficacy boundary crossed, (two-sided) crossed in the
    direction opposite to the planned effect, futility boundary crossed, or continue; at the final
    analysis the null hypothesis is rejected or not.

    The repeated confidence interval of the Fine-Gray subdistribution hazard ratio is
    ``exp(log_hr -/+ c_k se)`` with ``c_k`` this look's efficacy boundary (coverage ``rci_level``
    over all looks together). At an interim look, conditional power (B-value method, Lan and Wittes
    1988) is the probability of crossing a later efficacy boundary given the current ``z_planned``,
    under the planned effect (the drift of :func:`helpers.analysis.design.planned_design`:
    ``|log HR| sqrt(p (1 - p) planned_events)``) and under the current trend (drift
    ``z / sqrt(t)``), and predictive power averages it over the drift's posterior under a flat
    prior; both NaN at the final analysis.
    """
    design = design_of(study)
    position = locate_look(trial, study) if position is None else position
    stat = primary_statistic(trial, study)
    s = stat.iloc[0]
    planned = planned_design(study)
    gsd = planned.design
    t_now = position.fractions[-1]
    to_come = [(k, f) for k, f in enumerate(design.information_fractions, start=1) if k > position.look and f > t_now]
    bounds = gs.update(gsd, [*position.fractions, *(f for _, f in to_come)], final=True)
    by_look = dict(zip([*position.held, position.look, *(k for k, _ in to_come)], range(bounds.looks)))
    rows = []
    for r in position.table.itertuples():
        i = by_look.get(int(r.look))
        eff = bounds.efficacy[i] if i is not None else np.nan
        fut = bounds.futility[i] if i is not None and bounds.futility is not None else np.nan
        frac = position.fractions[i] if i is not None and i < len(position.fractions) else r.planned_fraction
        rows.append(
            {
                "look": int(r.look),
                "status": r.status,
                "final": bool(r.final),
                "information_fraction": float(frac),
                "basis": r.basis if r.status != "to come" else "planned fraction",
                "efficacy_z": eff,
                "futility_z": fut,
                "nominal_p": float(design.sided * norm.sf(eff)) if np.isfinite(eff) else np.nan,
            }
        )
    boundaries = pd.DataFrame(rows, columns=BOUNDARY_COLUMNS)
    now = boundaries.loc[boundaries["status"] == "current"].iloc[0]
    z = float(s["z_planned"])
    code, words = _decision(z, float(now["efficacy_z"]), float(now["futility_z"]), design.sided, position.final)
    summary = {
        **information_summary(position),
        "sided": design.sided,
        **{c: s[c] for c in STATISTIC_COLUMNS[:7]},
        "efficacy_z": float(now["efficacy_z"]),
        "futility_z": float(now["futility_z"]),
        "nominal_p": float(now["nominal_p"]),
        "decision": code,
        "decision_text": words,
        "hr": float(s["hr"]),
        "note": s["note"],
    }
    drift = float(planned.summary["drift"].iloc[0])
    summary.update(_monitoring(s, position, bounds, drift, study, float(now["efficacy_z"])))
    return InterimAnalysis(
        position=position,
        statistic=stat,
        boundaries=boundaries,
        summary=pd.DataFrame([summary], columns=SUMMARY_COLUMNS),
    )


def _monitoring(
    s: pd.Series, position: LookPosition, bounds: gs.Boundaries, drift: float, study: Study, c_now: float
) -> dict[str, float]:
    """The repeated confidence interval of the subdistribution HR at this look and, at an interim
    look, the conditional power under the planned effect and the current trend and the predictive
    power (:mod:`helpers.stats.group_sequential`)."""
    design = design_of(study)
    nan = float("nan")
    if np.isfinite(s["std_error"]) and s["std_error"] > 0:
        low, high = gs.repeated_confidence_interval(float(s["log_hr"]), float(s["std_error"]), c_now)
    else:
        low, high = nan, nan
    out = {
        "rci_low": float(low),
        "rci_high": float(high),
        "rci_level": 1 - design.alpha * (2 / design.sided),
        "drift_planned": drift,
        "conditional_power_planned": nan,
        "conditional_power_trend": nan,
        "predictive_power": nan,
    }
    if not position.final:
        z, t = float(s["z_planned"]), position.information_fraction
        out["conditional_power_planned"] = gs.conditional_power(z, t, bounds, theta=drift)
        out["conditional_power_trend"] = gs.conditional_power(z, t, bounds, theta="estimate")
        out["predictive_power"] = gs.predictive_power(z, t, bounds)
    return out
