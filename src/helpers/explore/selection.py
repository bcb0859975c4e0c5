"""What the user picked in the app, the patients it keeps, and whether it is the prespecified analysis.

A :class:`Selection` is plain data (view, endpoint, cause, population, cutoff, landmark, subgroup
filters, adverse-event grade and organ class); :func:`keep_patients` restricts a trial to the
patients of the filters; :func:`assess` says whether the selection is the prespecified analysis
of the study (its populations, the run's data cut, no filter, a prespecified endpoint and
landmark) or how it departs from it, for the label every view carries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.data.contract import Trial
from helpers.data.cutoff import as_cutoff
from helpers.run.params import REPORT_MODES
from helpers.study import Study

__all__ = [
    "MISSING",
    "REPORT_MODES",
    "VIEWS",
    "Label",
    "Selection",
    "Settings",
    "assess",
    "check_cutoff",
    "filter_variables",
    "keep_patients",
    "landmark_options",
]

#: The views of the app, by key, with their titles.
VIEWS = {
    "time_to_event": "Time to event",
    "subgroups": "Subgroup forest plot",
    "baseline": "Baseline characteristics",
    "adverse_events": "Adverse events",
    "accrual": "Accrual",
    "patients": "Patients",
}
#: The filter level that keeps patients whose value is missing.
MISSING = "Missing"


@dataclass(frozen=True)
class Settings:
    """The run's parameters: what the app explores and how (make's variables)."""

    study: Path
    data_dir: Path
    #: the run's data cutoff YYYY-MM-DD ("" = the data as delivered); no view goes past it
    cutoff: str = ""
    #: the run's analysis population ("" = the study's default)
    population: str = ""
    #: ``closed`` (by arm) or ``open`` (pooled, blind to arm)
    report: str = "closed"
    #: whether the patient-level listing view is offered (PATIENT_LISTINGS=1)
    patient_listings: bool = False

    def __post_init__(self) -> None:
        if self.report not in REPORT_MODES:
            raise ValueError(f"report={self.report!r} is not a report mode; expected one of {', '.join(REPORT_MODES)}")
        if self.cutoff:
            check_cutoff(self.cutoff, name="cutoff")

    @property
    def by_arm(self) -> bool:
        return self.report == "closed"


@dataclass(frozen=True)
class Selection:
    """One state of the app. Empty values mean the run's or the study's default
    (:meth:`resolved` fills them in)."""

    view: str = "time_to_event"
    endpoint: str = ""
    #: the event code drawn for a competing endpoint (0: the study's primary cause for the primary
    #: endpoint, else 1)
    cause: int = 0
    population: str = ""
    cutoff: str = ""
    #: landmark time in days (0: the study's main landmark)
    landmark: float = 0.0
    #: categorical filters: variable -> the codes kept (:data:`MISSING` keeps missing values)
    categories: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())
    #: continuous filters: variable -> (lowest, highest) kept, both included
    ranges: tuple[tuple[str, float, float], ...] = field(default=())
    #: adverse events: the lowest CTCAE grade counted, and one system organ class ("" = all)
    min_grade: int = 1
    soc: str = ""

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view={self.view!r} is not a view; expected one of {', '.join(VIEWS)}")
        if not 1 <= self.min_grade <= 5:
            raise ValueError(f"min_grade={self.min_grade} is not a CTCAE grade; expected 1 to 5")

    def resolved(self, settings: Settings, study: Study) -> Selection:
        """The same selection with every default filled in from the run and the study."""
        endpoint = self.endpoint or study.primary.endpoint
        e = study.endpoint(endpoint)
        cause = self.cause or (study.primary.cause if endpoint == study.primary.endpoint else 1)
        if e.kind == "survival":
            cause = 1
        elif cause not in e.causes:
            raise ValueError(f"cause={cause} is not a cause of {endpoint}; expected one of {sorted(e.causes)}")
        population = self.population or settings.population or study.default_population
        names = {p.upper(): p for p in study.populations}
        if population.upper() not in names:
            raise ValueError(
                f"population={population!r} is not a population; expected one of {list(study.populations)}"
            )
        cutoff = self.cutoff or settings.cutoff
        if cutoff:
            check_cutoff(cutoff, run_cutoff=settings.cutoff)
        for name, _ in self.categories:
            study.variable(name)
        for name, low, high in self.ranges:
            study.variable(name)
            if low > high:
                raise ValueError(f"the range of {name} is {low:g} to {high:g}; expected the lowest first")
        return dataclasses.replace(
            self,
            endpoint=endpoint,
            cause=cause,
            population=names[population.upper()],
            cutoff=cutoff,
            landmark=float(self.landmark or study.time.main_landmark),
        )

    @property
    def filters(self) -> dict[str, tuple[str, ...]]:
        return dict(self.categories)

    @property
    def range_filters(self) -> dict[str, tuple[float, float]]:
        return {name: (low, high) for name, low, high in self.ranges}


def check_cutoff(cutoff: str, *, run_cutoff: str = "", name: str = "cutoff") -> str:
    """``cutoff`` if it is a date YYYY-MM-DD on or before the run's data cut; else ValueError
    naming it (data after the run's cut are not the app's to show)."""
    try:
        if len(cutoff) != 10:
            raise ValueError
        cut = as_cutoff(cutoff)
    except ValueError:
        raise ValueError(f"{name}={cutoff!r} is not a date; expected YYYY-MM-DD (e.g. 2024-06-30)") from None
    if run_cutoff and cut > as_cutoff(run_cutoff):
        raise ValueError(
            f"{name}={cutoff} is after the run's data cutoff {run_cutoff}; expected a date on or before it"
        )
    return cutoff


def filter_variables(study: Study) -> list[str]:
    """The variables a user can filter on: Table 1's, then the subgroups' (no dates)."""
    names = dict.fromkeys([*study.baseline, *(s.variable for s in study.subgroups)])
    return [n for n in names if study.variable(n).kind != "date"]


def filter_levels(adsl: pd.DataFrame, study: Study, name: str) -> dict[str, str]:
    """``code -> label`` of a categorical filter: the study's levels in its order, codes found in
    the data that it does not list, then :data:`MISSING` when a value is missing."""
    var = study.variable(name)
    levels = dict(var.levels or {})
    present = sorted(adsl[name].dropna().astype(str).unique())
    levels.update({c: c for c in present if c not in levels})
    if adsl[name].isna().any():
        levels[MISSING] = MISSING
    return levels


def keep_patients(
    trial: Trial,
    categories: Mapping[str, Sequence[str]] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> Trial:
    """The trial restricted to the patients whose baseline values pass every filter (ADSL,
    ADTTE, ADAE, ADEX; the screening log is kept whole, as :meth:`Trial.select` does).

    ``categories`` maps an ADSL variable to the codes kept (:data:`MISSING` keeps patients
    whose value is missing); ``ranges`` maps a continuous variable to the lowest and highest
    values kept, both included (a missing value is not kept). ``ValueError`` names a variable
    that is not a column of ADSL.
    """
    adsl = trial.adsl
    keep = np.ones(len(adsl), dtype=bool)
    for name, codes in (categories or {}).items():
        if name not in adsl.columns:
            raise ValueError(f"filter on {name!r}: not a column of ADSL; expected one of {list(adsl.columns)}")
        values = adsl[name]
        kept = values.astype("string").isin([str(c) for c in codes]).fillna(False).to_numpy(dtype=bool)
        if MISSING in codes:
            kept |= values.isna().to_numpy()
        keep &= kept
    for name, (low, high) in (ranges or {}).items():
        if name not in adsl.columns:
            raise ValueError(f"filter on {name!r}: not a column of ADSL; expected one of {list(adsl.columns)}")
        values = pd.to_numeric(adsl[name], errors="raise")
        keep &= values.between(low, high).fillna(False).to_numpy(dtype=bool)
    if keep.all():
        return trial
    ids = set(adsl.loc[keep, "USUBJID"])
    tables: dict[str, pd.DataFrame | None] = {"adsl": adsl[keep].reset_index(drop=True)}
    for name in ("adtte", "adae", "adex"):
        df = getattr(trial, name)
        tables[name] = None if df is None else df[df["USUBJID"].isin(ids)].reset_index(drop=True)
    return dataclasses.replace(trial, **tables)  # type: ignore[arg-type]


def landmark_options(study: Study, last_day: float) -> dict[str, float]:
    """Landmark times a user can pick, ``label -> days``: the study's landmarks, then every
    ``tick_every`` units of its time axis up to ``last_day`` that is not one of them."""
    out = {lm.label: float(lm.days) for lm in study.time.landmarks}
    step = study.time.tick_every * study.time.days_per_unit
    for i in range(1, int(last_day // step) + 1):
        days = round(i * step, 4)
        if all(abs(days - d) > 1e-9 for d in out.values()):
            out[f"{i * study.time.tick_every:g} {study.time.unit}"] = days
    return out


@dataclass(frozen=True)
class Label:
    """Whether a view is the prespecified analysis, and the sentence that says so."""

    prespecified: bool
    text: str


def _describe_filters(selection: Selection, study: Study, adsl: pd.DataFrame | None) -> list[str]:
    out = []
    for name, codes in selection.categories:
        levels = filter_levels(adsl, study, name) if adsl is not None else dict(study.variable(name).levels or {})
        out.append(f"{study.variable(name).label} = {' or '.join(levels.get(c, c) for c in codes)}")
    for name, low, high in selection.ranges:
        out.append(f"{study.variable(name).label} {low:g} to {high:g}")
    return out


def assess(selection: Selection, settings: Settings, study: Study, adsl: pd.DataFrame | None = None) -> Label:
    """Whether a (resolved) selection is the prespecified analysis of the study, and the label
    that says so; each departure is named: a subgroup filter, a population or a data cutoff other
    than the run's, an endpoint, cause or landmark the study does not prespecify for the view, an
    adverse-event grade or organ-class filter, a view outside the analysis plan (accrual)."""
    s = selection
    why = [f"subgroup filter {f}" for f in _describe_filters(s, study, adsl)]
    run_population = settings.population or study.default_population
    if s.view not in ("adverse_events", "accrual") and s.population.upper() != run_population.upper():
        why.append(f"population {s.population} (the run's: {run_population})")
    if s.cutoff != settings.cutoff:
        why.append(f"data cutoff {s.cutoff or 'as delivered'} (the run's: {settings.cutoff or 'as delivered'})")
    prespecified_endpoints = [study.primary.endpoint, *study.secondary]
    if s.view == "time_to_event":
        if s.endpoint not in prespecified_endpoints:
            why.append(f"endpoint {study.endpoint(s.endpoint).label}, not a prespecified endpoint")
        if s.landmark not in study.time.landmark_days:
            why.append(f"landmark {study.time.to_units(s.landmark):g} {study.time.unit}, not a prespecified landmark")
    if s.view == "subgroups" and (s.endpoint, s.cause) != (study.primary.endpoint, study.primary.cause):
        e = study.endpoint(s.endpoint)
        why.append(f"subgroup analysis of {e.cause_label(s.cause)} (prespecified: the primary endpoint)")
    if s.view == "adverse_events":
        if s.min_grade > 1:
            why.append(f"adverse events of grade {s.min_grade} or higher only")
        if s.soc:
            why.append(f"system organ class {s.soc} only")
    if s.view == "accrual":
        why.append("accrual is not part of the prespecified analysis")
    if s.view == "patients":
        why.append("a patient-level listing")
    if not why:
        what = "the prespecified analysis (study definition; the run's population and data cut)"
        if s.view == "subgroups":
            what += "; subgroup results are exploratory by nature"
        return Label(True, f"Prespecified: {what}.")
    return Label(False, f"Exploratory: departs from the prespecified analysis ({'; '.join(why)}). Not confirmatory.")
