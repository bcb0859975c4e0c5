"""The trial's design by simulation: the study definition's design and simulation assumptions
turned into simulated trials, their operating characteristics, power curves, and the
conventional sizing beside them.

The study's ``design`` gives the patients, the planned primary events and the looks at their
information fractions, the allocation, the primary statistic and the spending functions (the
boundaries come from :func:`helpers.stats.group_sequential.design`); ``design.simulation`` the
reference arm's cause-specific hazards, dropout, accrual, scenarios and the grids of the power
curves. Every scenario and every point of a curve is simulated with the same seed (common
random numbers: curves are smooth and differences between scenarios precise). The comparison is
the first comparator arm against the reference arm; other arms are simulated with no effect and
not analysed. Times are in months, as ``design.accrual_months``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.analysis.design import planned_design
from helpers.stats import design_simulation as ds
from helpers.stats import group_sequential as gs
from helpers.study import CauseHazard, Design, Simulation, Study

__all__ = [
    "DAYS_PER_MONTH",
    "DesignSimulation",
    "backend_options",
    "group_sequential_design",
    "has_simulation",
    "horizon_months",
    "scenario_names",
    "simulate_design",
    "summary_values",
    "trial_model",
]

#: The design's time unit.
DAYS_PER_MONTH = 365.25 / 12
#: Statistic names of the study definition -> the simulator's.
_STATISTICS = {"gray": "gray", "fine-gray": "fine-gray", "logrank": "logrank"}


def _settings(study: Study) -> tuple[Design, Simulation]:
    where = study.source or study.study.id
    if study.design is None:
        raise ValueError(f"{where}: the study has no design section; the design simulation needs one")
    if study.design.simulation is None:
        raise ValueError(
            f"{where}: design.simulation is missing; the design simulation needs the reference arm's "
            "cause-specific hazards, dropout, accrual and scenarios (helpers.study.Simulation)"
        )
    return study.design, study.design.simulation


def has_simulation(study: Study) -> bool:
    """Whether the study defines a design and its simulation (``design.simulation``)."""
    return study.design is not None and study.design.simulation is not None


def group_sequential_design(study: Study) -> gs.GroupSequentialDesign:
    """The boundaries of the study's design (:func:`helpers.analysis.design.planned_design`)."""
    return planned_design(study).design


def _hazard(h: CauseHazard) -> ds.Weibull | ds.PiecewiseExponential:
    if h.distribution == "weibull":
        assert h.shape is not None and h.scale is not None
        return ds.Weibull(h.shape, h.scale)
    assert h.rates is not None
    return ds.PiecewiseExponential(h.rates, h.starts if h.starts is not None else (0.0,))


def planned_looks(study: Study) -> tuple[int, ...]:
    """Primary events at each look: the information fractions of the planned events, rounded up."""
    d, _ = _settings(study)
    return tuple(math.ceil(f * d.planned_events - 1e-9) for f in d.information_fractions)


def trial_model(
    study: Study,
    *,
    hazard_ratio: float,
    competing_hazard_ratio: float = 1.0,
    competing_multiplier: float = 1.0,
    statistic: str | None = None,
) -> ds.TrialModel:
    """The simulator's model of the study's design under one truth.

    ``hazard_ratio`` and ``competing_hazard_ratio`` are the first comparator arm's cause-specific
    hazard ratios on the primary and the competing event; ``competing_multiplier`` scales the
    reference competing hazard in every arm (0: no competing event); ``statistic`` overrides the
    design's.
    """
    d, sim = _settings(study)
    comparator = study.comparator_arms[0]
    arms = []
    for a in study.arms:
        mine = a.code == comparator.code
        arms.append(
            ds.ArmEffect(
                allocation=a.allocation,
                hr_primary=hazard_ratio if mine else 1.0,
                hr_competing=(competing_hazard_ratio if mine else 1.0) * competing_multiplier,
            )
        )
    codes = [a.code for a in study.arms]
    if sim.accrual_rates is not None:
        accrual = ds.Accrual(sim.accrual_rates, sim.accrual_starts if sim.accrual_starts is not None else (0.0,))
    else:
        accrual = ds.Accrual.uniform(d.n_patients, d.accrual_months)
    chosen = statistic or d.statistic
    if chosen not in _STATISTICS:
        raise ValueError(f"{statistic=}; expected one of {sorted(_STATISTICS)}")
    return ds.TrialModel(
        n_patients=d.n_patients,
        arms=tuple(arms),
        primary=_hazard(sim.primary_hazard),
        competing=_hazard(sim.competing_hazard),
        accrual=accrual,
        looks=ds.Looks(events=planned_looks(study)),
        statistic=_STATISTICS[chosen],  # type: ignore[arg-type]
        dropout_rate=sim.dropout_rate,
        reference=codes.index(study.reference_arm.code),
        comparator=codes.index(comparator.code),
    )


def horizon_months(study: Study) -> float:
    """The study's main landmark in months: where the implied subdistribution hazard ratio is taken."""
    return study.time.main_landmark / DAYS_PER_MONTH


def scenario_names(study: Study, names: str | Sequence[str] | None = None) -> list[str]:
    """The scenarios asked for (comma-separated or a list; empty or None: all), checked against the study."""
    _, sim = _settings(study)
    known = [s.name for s in sim.scenarios]
    if names is None or names == "" or names == []:
        return known
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    bad = [n for n in wanted if n not in known]
    if bad or not wanted:
        raise ValueError(f"scenarios {bad or wanted} are not scenarios of the study; expected some of {known}")
    return wanted


@dataclass(frozen=True)
class DesignSimulation:
    """Tidy results of :func:`simulate_design` (unrounded).

    ``boundaries``: the design's looks (:attr:`helpers.analysis.design.PlannedDesign.looks`: events,
    boundaries, nominal p-values, alpha spent, analytic power). ``scenarios``: one row per scenario with its truth: ``scenario,
    label, hazard_ratio, competing_hazard_ratio, competing_multiplier, subdistribution_hr`` (at
    the main landmark) and the true incidences there, ``primary_reference, primary_comparator,
    competing_reference``. ``operating_characteristics``: ``scenario, quantity, estimate,
    mc_std_error`` (:func:`helpers.stats.design_simulation.operating_characteristics`).
    ``per_look``: ``scenario`` and the columns of :func:`helpers.stats.design_simulation.per_look`.
    ``power_curves``: ``curve`` (``hazard_ratio`` or ``competing_multiplier``), ``hazard_ratio,
    competing_multiplier, subdistribution_hr, competing_reference`` (the reference arm's true
    competing incidence at the main landmark) ``, power, mc_std_error, conventional_power`` (the
    design's analytic power with competing events censored, Schoenfeld). ``sizing``: the
    conventional sizing beside the competing-risks one: ``method, effect, events,
    event_probability, patients``. ``n_trials``, ``seed``: what made them.
    """

    boundaries: pd.DataFrame
    scenarios: pd.DataFrame
    operating_characteristics: pd.DataFrame
    per_look: pd.DataFrame
    power_curves: pd.DataFrame
    sizing: pd.DataFrame
    n_trials: int
    seed: int


def _truth(model: ds.TrialModel, horizon: float) -> dict[str, float]:
    ref = ds.cumulative_incidences(model, model.reference, np.array([horizon]))[:, 0]
    cmp_ = ds.cumulative_incidences(model, model.comparator, np.array([horizon]))[:, 0]
    return {
        "subdistribution_hr": ds.subdistribution_hazard_ratio(model, horizon),
        "primary_reference": float(ref[0]),
        "primary_comparator": float(cmp_[0]),
        "competing_reference": float(ref[1]),
    }


def _allocation_share(study: Study) -> float:
    ref, comp = study.reference_arm, study.comparator_arms[0]
    return comp.allocation / (comp.allocation + ref.allocation)


def _conventional_power(design: gs.GroupSequentialDesign, events: float, share: float, hr: float) -> float:
    """Power at ``events`` events of a cause-specific hazard ratio, competing events censored:
    drift ``sqrt(D p (1 - p)) |log hr|`` (Schoenfeld, 1983) on the design's boundaries."""
    drift = -math.sqrt(events * share * (1 - share)) * math.log(hr)
    crossing = gs.crossing_probabilities(
        design.efficacy, design.futility, design.information_fractions, drift, sided=design.sided
    )
    return float(crossing["efficacy"].sum())


def _event_probability(study: Study, model: ds.TrialModel) -> float:
    """Probability that a patient of the comparison has the primary event by the final analysis
    planned in calendar time (accrual plus minimum follow-up), accrual uniform: the true
    cumulative incidence averaged over follow-up times and the two arms by allocation."""
    d, _ = _settings(study)
    follow = np.linspace(d.follow_up_months, d.accrual_months + d.follow_up_months, 201)
    share = _allocation_share(study)
    ref = ds.cumulative_incidences(model, model.reference, follow)[0].mean()
    cmp_ = ds.cumulative_incidences(model, model.comparator, follow)[0].mean()
    return float((1 - share) * ref + share * cmp_)


def _sizing(study: Study, design: gs.GroupSequentialDesign, horizon: float) -> pd.DataFrame:
    """Events (the fixed design's, times the design's inflation factor) and patients
    (events over the probability of the primary event) three ways."""
    d, _ = _settings(study)
    p = _allocation_share(study)
    with_cr = trial_model(study, hazard_ratio=d.hazard_ratio)
    without = trial_model(study, hazard_ratio=d.hazard_ratio, competing_multiplier=0.0)
    shr = ds.subdistribution_hazard_ratio(with_cr, horizon)
    setting = dict(alpha=d.alpha, sided=d.sided, power=d.power, allocation=p)
    schoenfeld = gs.schoenfeld_events(d.hazard_ratio, **setting) * design.inflation_factor  # type: ignore[arg-type]
    prob_censored, prob_true = _event_probability(study, without), _event_probability(study, with_cr)
    latouche = gs.latouche_events(shr, event_probability=prob_true, **setting)  # type: ignore[arg-type]
    rows = [
        ("Schoenfeld, competing events censored", d.hazard_ratio, schoenfeld, prob_censored),
        ("Schoenfeld events, true cumulative incidence", d.hazard_ratio, schoenfeld, prob_true),
        ("Latouche-Porcher, subdistribution hazard ratio", shr, latouche.events * design.inflation_factor, prob_true),
    ]
    return pd.DataFrame(
        [
            {"method": m, "effect": e, "events": ev, "event_probability": pr, "patients": ev / pr}
            for m, e, ev, pr in rows
        ]
    )


def simulate_design(
    study: Study,
    n_trials: int,
    seed: int,
    *,
    scenarios: str | Sequence[str] | None = None,
    curves: bool = True,
    backend: ds.Backend = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    block_size: int = ds.DEFAULT_BLOCK_SIZE,
    shr_trials: int = 0,
) -> DesignSimulation:
    """Simulate the study's design under its scenarios and along its power curves.

    Parameters
    ----------
    study : Study
        With ``design`` and ``design.simulation``.
    n_trials : int
        Trials per scenario and per point of each curve.
    seed : int
        The one seed (``numpy.random.SeedSequence``), the same for every scenario and point.
    scenarios : str or sequence of str, optional
        Names of the study's scenarios (comma-separated); default all.
    curves : bool
        Also simulate the power curves (``design.simulation.hazard_ratios`` with the reference
        competing hazard, ``competing_multipliers`` at the planned hazard ratio).
    backend, workers, scheduler, progress, block_size
        As :func:`helpers.stats.design_simulation.simulate`.
    shr_trials : int
        Trials per scenario, analysed with the Fine-Gray model at every look, that give the
        distribution of the estimated subdistribution hazard ratio at stopping (``shr_mean``,
        ``shr_quantile_*`` rows of ``operating_characteristics``); 0: none. Fine-Gray fits are
        slower than Gray's test by far, hence their own, smaller number.
    """
    d, sim = _settings(study)
    names = scenario_names(study, scenarios)
    planned = planned_design(study)
    design = planned.design
    horizon = horizon_months(study)
    futility = design.futility
    run = dict(backend=backend, workers=workers, scheduler=scheduler, progress=progress, block_size=block_size)

    def simulate(model: ds.TrialModel, label: str) -> dict[str, np.ndarray]:
        return ds.simulate(model, n_trials, seed, label=label, **run)  # type: ignore[arg-type]

    truths, ocs, looks = [], [], []
    for sc in (s for s in sim.scenarios if s.name in names):
        model = trial_model(
            study,
            hazard_ratio=sc.hazard_ratio,
            competing_hazard_ratio=sc.competing_hazard_ratio,
            competing_multiplier=sc.competing_multiplier,
        )
        sims = simulate(model, sc.name)
        truths.append(
            {
                "scenario": sc.name,
                "label": sc.label,
                "hazard_ratio": sc.hazard_ratio,
                "competing_hazard_ratio": sc.competing_hazard_ratio,
                "competing_multiplier": sc.competing_multiplier,
                **_truth(model, horizon),
            }
        )
        oc = ds.operating_characteristics(sims, design.efficacy, futility, sided=design.sided)
        if shr_trials and model.statistic != "fine-gray":
            # the estimated subdistribution hazard ratio at stopping: fewer trials, each look
            # analysed with the Fine-Gray model (its Wald z decides when they stop)
            fg = dataclasses.replace(model, statistic="fine-gray")
            fg_sims = ds.simulate(fg, shr_trials, seed, label=f"{sc.name} Fine-Gray", **run)  # type: ignore[arg-type]
            fg_oc = ds.operating_characteristics(fg_sims, design.efficacy, futility, sided=design.sided)
            oc = pd.concat([oc, fg_oc[fg_oc["quantity"].str.startswith("shr_")]], ignore_index=True)
        ocs.append(oc.assign(scenario=sc.name)[["scenario", *oc.columns]])
        pl = ds.per_look(sims, design.efficacy, futility, sided=design.sided)
        looks.append(pl.assign(scenario=sc.name)[["scenario", *pl.columns]])

    share = _allocation_share(study)
    curve_rows = []
    if curves:
        grid = [("hazard_ratio", hr, 1.0) for hr in sim.hazard_ratios]
        grid += [("competing_multiplier", d.hazard_ratio, m) for m in sim.competing_multipliers]
        for curve, hr, mult in grid:
            model = trial_model(study, hazard_ratio=hr, competing_multiplier=mult)
            sims = simulate(
                model, f"{curve} {hr:g} x{mult:g}" if curve == "competing_multiplier" else f"{curve} {hr:g}"
            )
            oc = ds.operating_characteristics(sims, design.efficacy, futility, sided=design.sided)
            power = oc.set_index("quantity").loc["reject"]
            truth = _truth(model, horizon)
            curve_rows.append(
                {
                    "curve": curve,
                    "hazard_ratio": hr,
                    "competing_multiplier": mult,
                    "subdistribution_hr": truth["subdistribution_hr"],
                    "competing_reference": truth["competing_reference"],
                    "power": float(power["estimate"]),
                    "mc_std_error": float(power["mc_std_error"]),
                    "conventional_power": _conventional_power(design, d.planned_events, share, hr),
                }
            )
    return DesignSimulation(
        boundaries=planned.looks,
        scenarios=pd.DataFrame(truths),
        operating_characteristics=pd.concat(ocs, ignore_index=True),
        per_look=pd.concat(looks, ignore_index=True),
        power_curves=pd.DataFrame(
            curve_rows,
            columns=[
                "curve",
                "hazard_ratio",
                "competing_multiplier",
                "subdistribution_hr",
                "competing_reference",
                "power",
                "mc_std_error",
                "conventional_power",
            ],
        ),
        sizing=_sizing(study, design, horizon),
        n_trials=n_trials,
        seed=seed,
    )


def backend_options(scheduler: str = "", workers: int = 1) -> dict[str, object]:
    """Keyword arguments of :func:`simulate_design` for a Dask ``scheduler`` address (when given)
    or ``workers`` local processes (1: in-process)."""
    if scheduler:
        return {"backend": "dask", "scheduler": scheduler}
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"{workers=}; expected a whole number >= 1")
    return {"backend": "processes", "workers": workers} if workers > 1 else {"backend": "serial"}


def summary_values(sim: DesignSimulation) -> dict[str, object]:
    """What the report's prose quotes besides the tables: trials, seed, scenarios simulated."""
    return {
        "n_trials": sim.n_trials,
        "seed": sim.seed,
        "scenarios": sim.scenarios[["scenario", "label"]].to_dict("records"),
    }
