"""Each view of the app, computed by the analysis, statistics and presentation layers, with the
few lines of ``helpers`` calls that reproduce it in a notebook ("Show code").

:func:`compute` returns a :class:`View`: its figure, its numbers (tidy, unrounded: the CSV
downloads), the same numbers formatted for display, its label (prespecified or exploratory) and
its code. The code defines ``fig`` (or nothing when the view has no figure) and one variable per
entry of ``numbers``, with the same values; ``tests/test_explore.py`` executes it and compares.

In the open report mode (``Settings.report == "open"``) no view splits by arm and nothing
comparative is computed: curves and tables are pooled, the subgroup forest plot is not shown.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from helpers import config
from helpers.analysis import cohort, endpoints, safety
from helpers.data.contract import Trial, load_trial
from helpers.data.cutoff import apply_cutoff
from helpers.explore.selection import VIEWS, Label, Selection, Settings, assess, keep_patients
from helpers.present import figures, tables
from helpers.run import notebook
from helpers.run.outputs import SVG_HASH_SALT
from helpers.stats import competing_risks as cr
from helpers.stats import subgroups, survival
from helpers.study import Study, in_prose, load_study

__all__ = ["TrialSource", "View", "compute", "figure_bytes"]

#: The ADaM columns every time-to-event view analyses (``duration_col``, ``event_col``, the arm).
DURATION, EVENT, ARM = "AVAL", "EVNTCD", "ARM"


@dataclass
class View:
    """One view as the app shows it."""

    key: str
    title: str
    label: Label
    #: the figure (None: the view has none, or nothing to draw)
    figure: Figure | None = None
    #: tidy, unrounded frames by name (the CSV downloads; the code's variables of the same names)
    numbers: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the same numbers formatted for display, by heading
    shown: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: the helpers calls that reproduce the view
    code: str = ""
    #: why something is not shown (open mode, no patient left, data not delivered), or ""
    message: str = ""
    #: the figure as PNG, once drawn (:meth:`png`)
    _png: bytes | None = None

    def png(self) -> bytes | None:
        """The figure as PNG bytes (:func:`figure_bytes`), drawn once."""
        if self.figure is not None and self._png is None:
            self._png = figure_bytes(self.figure, "png")
        return self._png


class TrialSource:
    """The run's trial (every randomised patient, cut at the run's cutoff) read once, and the
    trials a selection asks for (an earlier cutoff, a population), kept for the next interaction."""

    def __init__(self, settings: Settings, study: Study, everyone: Trial, *, keep: int = 8):
        self.settings, self.study, self.everyone = settings, study, everyone
        self._cache: OrderedDict[tuple[str, str | None, bool], Trial] = OrderedDict()
        self._keep = keep
        #: views computed, by resolved selection: going back to a view costs nothing
        self.views: OrderedDict[Selection, View] = OrderedDict()

    @classmethod
    def load(cls, settings: Settings, out_dir: str | Path | None = None) -> TrialSource:
        """Read the study and the data: the trial the run's validation step saved in
        ``out_dir`` when it is this run's (:func:`helpers.run.notebook.saved_trial`), else read,
        validate and cut the data here."""
        study = load_study(settings.study)
        saved = None
        if out_dir is not None:
            saved = notebook.saved_trial(out_dir, study=study, data_dir=settings.data_dir, cutoff=settings.cutoff)
        everyone = saved or load_trial(settings.data_dir, study=study, cutoff=settings.cutoff or None, population=None)
        source = cls(settings, study, everyone)
        # the trials of the first view of each kind, selected once here rather than on a click
        population = Selection().resolved(settings, study).population
        for view in ("time_to_event", "adverse_events", "accrual"):
            first = Selection(view=view, population=population)
            source.trial(settings.cutoff, population_of(first, study), safety=view == "adverse_events")
        return source

    def trial(self, cutoff: str, population: str | None, *, safety: bool = True) -> Trial:
        """The trial at ``cutoff`` ("" = the run's) in ``population`` (None: every randomised
        patient). ``safety=False`` leaves out ADAE and ADEX (not delivered in the result): the
        efficacy views need neither, and at registry scale cutting and selecting them is most of
        the time an interaction takes."""
        key = (cutoff, population, safety)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        trial = self.everyone if safety else dataclasses.replace(self.everyone, adae=None, adex=None)
        if cutoff and cutoff != self.settings.cutoff:
            trial = apply_cutoff(trial, cutoff, study=self.study)
        if population is not None:
            trial = trial.select(population)
        self._cache[key] = trial
        if len(self._cache) > self._keep:
            self._cache.popitem(last=False)
        return trial


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, as a run writes them (no dates, fixed ids)."""
    buf = io.BytesIO()
    if fmt == "png":
        fig.savefig(buf, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    elif fmt == "svg":
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "none"}):
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    else:
        raise ValueError(f"{fmt=} is not a figure format; expected png or svg")
    return buf.getvalue()


# -- code ------------------------------------------------------------------------------------------
class _Code:
    """The lines of a view's code, with the imports they need."""

    def __init__(self) -> None:
        self.imports: set[str] = set()
        self.lines: list[str] = []

    def need(self, *imports: str) -> _Code:
        self.imports.update(imports)
        return self

    def add(self, *lines: str) -> _Code:
        self.lines.extend(lines)
        return self

    def text(self) -> str:
        froms = sorted(i for i in self.imports if i.startswith("from "))
        return "\n".join([*sorted(self.imports - set(froms)), *froms, "", *self.lines]) + "\n"


def _path(path: Path) -> str:
    """A path as code: relative to the project root when inside it (the code runs from any
    folder), else as it is."""
    p = Path(path).resolve()
    if p.is_relative_to(config.PROJECT_ROOT):
        return f"config.PROJECT_ROOT / {p.relative_to(config.PROJECT_ROOT).as_posix()!r}"
    return repr(str(p))


def _load_code(code: _Code, settings: Settings, selection: Selection, population: str | None) -> None:
    code.need(
        "from helpers import config",
        "from helpers.data.contract import load_trial",
        "from helpers.present import figures",
        "from helpers.study import load_study",
    )
    cutoff = repr(selection.cutoff) if selection.cutoff else "None"
    code.add(
        f"study = load_study({_path(settings.study)})",
        f"trial = load_trial({_path(settings.data_dir)}, study=study, cutoff={cutoff}, population={population!r})",
    )
    if selection.categories or selection.ranges:
        code.need("from helpers.explore.selection import keep_patients")
        categories = {name: list(codes) for name, codes in selection.categories}
        ranges = {name: (low, high) for name, low, high in selection.ranges}
        code.add(f"trial = keep_patients(trial, {categories!r}" + (f", {ranges!r})" if ranges else ")"))
    code.add("figures.set_style()")


# -- views -----------------------------------------------------------------------------------------
Builder = Callable[[Trial, Selection, Settings, Study, _Code, View], None]


def _group(settings: Settings) -> str | None:
    return ARM if settings.by_arm else None


def _time_to_event(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    e = study.endpoint(s.endpoint)
    if not trial.has_endpoint(e.paramcd):
        view.message = f"{e.label} ({e.paramcd}) was not delivered, or no patient of the selection has it."
        return
    group = _group(settings)
    data = trial.endpoint(e.paramcd)
    ticks = endpoints.time_ticks(data[DURATION], study.time)
    at_risk = survival.numbers_at_risk(data, DURATION, group, ticks)
    code.need("from helpers.analysis import endpoints", "from helpers.stats import survival")
    code.add(
        f"data = trial.endpoint({e.paramcd!r})",
        f"at_risk = survival.numbers_at_risk(data, {DURATION!r}, {group!r}, "
        f"endpoints.time_ticks(data[{DURATION!r}], study.time))",
    )
    if e.kind == "competing":
        ylabel = f"Cumulative incidence of {in_prose(e.cause_label(s.cause))}"
        curves = cr.cumulative_incidence(data, DURATION, EVENT, group)
        fig = figures.step_curves(curves[curves["cause"] == s.cause], study, at_risk=at_risk, ylabel=ylabel)
        estimates = cr.cumulative_incidence(data, DURATION, EVENT, group, times=[s.landmark])
        code.need("from helpers.stats import competing_risks as cr")
        code.add(
            f"curves = cr.cumulative_incidence(data, {DURATION!r}, {EVENT!r}, {group!r})",
            f'fig = figures.step_curves(curves[curves["cause"] == {s.cause}], study, at_risk=at_risk, '
            f"ylabel={ylabel!r})",
            f"estimates = cr.cumulative_incidence(data, {DURATION!r}, {EVENT!r}, {group!r}, times=[{s.landmark!r}])",
        )
    else:
        curves = survival.kaplan_meier(data, DURATION, EVENT, group)
        fig = figures.step_curves(curves, study, at_risk=at_risk, ylabel=e.label, ylim=(0, 1))
        estimates = survival.kaplan_meier(data, DURATION, EVENT, group, times=[s.landmark])
        code.add(
            f"curves = survival.kaplan_meier(data, {DURATION!r}, {EVENT!r}, {group!r})",
            f"fig = figures.step_curves(curves, study, at_risk=at_risk, ylabel={e.label!r}, ylim=(0, 1))",
            f"estimates = survival.kaplan_meier(data, {DURATION!r}, {EVENT!r}, {group!r}, times=[{s.landmark!r}])",
        )
    view.figure = fig
    view.numbers["estimates"] = estimates
    view.shown["Estimates at the landmark"] = tables.table_landmark_estimates(estimates, study, e.paramcd)
    if not settings.by_arm:
        view.message = "Open (pooled) mode: arms pooled; no comparison of arms is shown."
        return
    if e.kind == "competing":
        comparisons = endpoints.relapse_effects(data, study, cause=s.cause)
        code.add(f"comparisons = endpoints.relapse_effects(data, study, cause={s.cause})")
    else:
        comparisons = endpoints.survival_effects(data, study)
        code.add("comparisons = endpoints.survival_effects(data, study)")
    view.numbers["comparisons"] = comparisons
    view.shown["Tests and models"] = tables.table_relapse_effects(comparisons)


def _subgroups(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    if not settings.by_arm:
        view.message = "Open (pooled) mode: the subgroup forest plot compares arms and is not shown."
        return
    e = study.endpoint(s.endpoint)
    if not trial.has_endpoint(e.paramcd):
        view.message = f"{e.label} ({e.paramcd}) was not delivered, or no patient of the selection has it."
        return
    model, short = ("fine_gray", "sHR") if e.kind == "competing" else ("cox", "HR")
    measure = "Subdistribution hazard ratio" if e.kind == "competing" else "Hazard ratio"
    estimate_label = f"{measure} of {in_prose(e.cause_label(s.cause))} (95% CI)"
    data = endpoints.subgroup_data(trial.endpoint(e.paramcd), study)
    effects = subgroups.subgroup_effects(
        data,
        DURATION,
        EVENT,
        ARM,
        [sg.variable for sg in study.subgroups],
        model=model,
        cause=s.cause,
        reference_arm=study.reference_arm.label,
        comparator_arms=[a.label for a in study.comparator_arms],
    )
    view.figure = figures.figure_forest(effects, study, estimate_label=estimate_label)
    view.numbers["effects"] = effects
    view.shown["Subgroups"] = tables.table_subgroups(effects, study, effect_label=short)
    code.need("from helpers.analysis import endpoints", "from helpers.stats import subgroups")
    code.add(
        f"data = endpoints.subgroup_data(trial.endpoint({e.paramcd!r}), study)",
        "effects = subgroups.subgroup_effects(",
        f"    data, {DURATION!r}, {EVENT!r}, {ARM!r}, [sg.variable for sg in study.subgroups],",
        f"    model={model!r}, cause={s.cause}, reference_arm=study.reference_arm.label,",
        "    comparator_arms=[a.label for a in study.comparator_arms],",
        ")",
        f"fig = figures.figure_forest(effects, study, estimate_label={estimate_label!r})",
    )


def _baseline(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    baseline = cohort.baseline_characteristics(trial.adsl, study)
    code.need("from helpers.analysis import cohort")
    code.add("baseline = cohort.baseline_characteristics(trial.adsl, study)")
    if not settings.by_arm:
        baseline = baseline[baseline["group"] == cohort.TOTAL].reset_index(drop=True)
        code.add(f'baseline = baseline[baseline["group"] == {cohort.TOTAL!r}].reset_index(drop=True)')
    view.numbers["baseline"] = baseline
    view.shown["Baseline characteristics"] = tables.table_baseline(baseline)


def _adverse_events(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    if trial.adae is None:
        view.message = "Adverse-event data (ADAE) were not delivered."
        return
    adae = trial.adae
    code.add("adae = trial.adae")
    if s.min_grade > 1:
        adae = adae[adae["AETOXGR"] >= s.min_grade]
        code.add(f'adae = adae[adae["AETOXGR"] >= {s.min_grade}]')
    if s.soc:
        adae = adae[adae["AEBODSYS"] == s.soc]
        code.add(f'adae = adae[adae["AEBODSYS"] == {s.soc!r}]')
    min_percent = float(study.safety.common_ae_percent) if study.safety is not None else 0.0
    terms = safety.teae_by_term(adae, trial.adsl, study, min_percent=min_percent)
    code.need("from helpers.analysis import safety")
    code.add(f"terms = safety.teae_by_term(adae, trial.adsl, study, min_percent={min_percent!r})")
    if not settings.by_arm:
        terms = terms[terms["group"] == cohort.TOTAL].reset_index(drop=True)
        code.add(f'terms = terms[terms["group"] == {cohort.TOTAL!r}].reset_index(drop=True)')
    view.numbers["terms"] = terms
    view.shown[f"Treatment-emergent adverse events in at least {min_percent:g}% of patients"] = tables.table_teae_terms(
        terms
    )
    if terms.empty:
        view.message = "No treatment-emergent adverse event passes the filters."
        return
    view.figure = figures.figure_teae_terms(terms, study)
    code.add("fig = figures.figure_teae_terms(terms, study)")


def _accrual(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    accrual = cohort.accrual(trial.adsl, study, by_arm=settings.by_arm)
    view.numbers["accrual"] = accrual
    view.figure = figures.figure_accrual(accrual, study)
    code.need("from helpers.analysis import cohort")
    code.add(
        f"accrual = cohort.accrual(trial.adsl, study, by_arm={settings.by_arm})",
        "fig = figures.figure_accrual(accrual, study)",
    )


def _patients(trial: Trial, s: Selection, settings: Settings, study: Study, code: _Code, view: View) -> None:
    if not settings.patient_listings:
        raise ValueError("the patient listing is not enabled; set PATIENT_LISTINGS=1 to show it")
    e = study.endpoint(s.endpoint)
    if not trial.has_endpoint(e.paramcd):
        view.message = f"{e.label} ({e.paramcd}) was not delivered, or no patient of the selection has it."
        return
    columns = ["USUBJID", *([ARM] if settings.by_arm else []), DURATION, EVENT, "EVNTDESC", *study.baseline]
    patients = trial.endpoint(e.paramcd)[columns]
    view.numbers["patients"] = patients
    view.shown["Patients"] = patients
    code.add(f"patients = trial.endpoint({e.paramcd!r})[{columns!r}]")


BUILDERS: dict[str, Builder] = {
    "time_to_event": _time_to_event,
    "subgroups": _subgroups,
    "baseline": _baseline,
    "adverse_events": _adverse_events,
    "accrual": _accrual,
    "patients": _patients,
}


def population_of(selection: Selection, study: Study) -> str | None:
    """The population a view analyses: the safety population for adverse events (as the
    report), every randomised patient for accrual, else the selection's."""
    if selection.view == "adverse_events":
        return study.safety_population or selection.population
    if selection.view == "accrual":
        return None
    return selection.population


def compute(source: TrialSource, selection: Selection) -> View:
    """The view of ``selection`` (resolved against the run and the study first)."""
    settings, study = source.settings, source.study
    s = selection.resolved(settings, study)
    if s in source.views:
        source.views.move_to_end(s)
        return source.views[s]
    population = population_of(s, study)
    trial = source.trial(s.cutoff, population, safety=s.view == "adverse_events")
    label = assess(s, settings, study, trial.adsl)
    trial = keep_patients(trial, s.filters, s.range_filters)
    view = View(key=s.view, title=VIEWS[s.view], label=label)
    code = _Code()
    _load_code(code, settings, s, population)
    if trial.adsl.empty:
        view.message = "No patient matches the filters."
    else:
        plt.close("all")
        figures.set_style()  # as the code does: the same figure, byte for byte
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            BUILDERS[s.view](trial, s, settings, study, code, view)
        said = list(dict.fromkeys(str(w.message) for w in caught))
        view.message = " ".join([view.message, *(f"Warning: {w}" for w in said)]).strip()
    view.code = code.text()
    source.views[s] = view
    if len(source.views) > 4 * source._keep:
        source.views.popitem(last=False)
    return view
