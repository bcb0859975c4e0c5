"""The report's sentences that quote numbers: every number comes from a run's results, none is typed.

Each function takes :class:`helpers.present.results.RunResults` and the :class:`helpers.study.Study` and
looks every number up in the run's Analysis Results Dataset (``RunResults.ard()``,
:mod:`helpers.present.ard`), quoting its formatted text as the tables show it; it returns Markdown (Quarto cross-references such as ``@fig-cif-relapse`` included) for
``IPython.display.Markdown``. Arms, the drug, endpoints, causes, landmarks and subgroups are named
from the study, for any number of arms. A result that is missing raises, naming it: the report
never prints a default in its place. Data that were not delivered are said to be so, never
counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from helpers.present.ard import level_text
from helpers.present.results import RunResults
from helpers.present.tables import interim_look_label
from helpers.study import Study, in_prose

__all__ = [
    "accrual_text",
    "banner_text",
    "cohort_text",
    "data_review_text",
    "interim_decision_text",
    "interim_information_text",
    "join_words",
    "methods_text",
    "open_cohort_text",
    "open_methods_text",
    "open_primary_text",
    "open_safety_text",
    "relapse_text",
    "safety_text",
    "secondary_text",
    "subgroup_text",
]


def _plural(n: int | str, word: str, plural: str | None = None) -> str:
    return f"{n} {word if str(n) == '1' else (plural or word + 's')}"


def join_words(items: Sequence[str]) -> str:
    """``["a", "b", "c"] -> "a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _sentence_list(labels: Sequence[str]) -> str:
    """Labels joined to open a sentence: the first as written, the others as inside a sentence."""
    return join_words([labels[0], *(in_prose(x) for x in labels[1:])]) if labels else ""


def _ci(x: dict[str, Any]) -> str:
    return f"{x['estimate']} ({x['conf_low']}, {x['conf_high']})"


def _hr(x: dict[str, Any]) -> str:
    return "NE" if x["hr"] == "NE" else f"{x['hr']} ({x['conf_low']}, {x['conf_high']})"


def cohort_text(r: RunResults, study: Study) -> str:
    """The trial profile: screening, randomisation to each arm, follow-up; for the open report's
    pooled study, :func:`open_cohort_text`."""
    if study.is_pooled:
        return open_cohort_text(r, study)
    a = r.ard()
    flow = a.record("fig-consort", trial=None)
    arms = {x["group"]: x for x in a.records("fig-consort", arm=None)}
    allocation = join_words([f"{arms[arm.label]['allocated']} to {in_prose(arm.label)}" for arm in study.arms])
    if flow["screening_delivered"] == "true":
        text = (
            f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
            f"{flow['randomised']} were randomised: {allocation} (@fig-consort)."
        )
    else:
        text = (
            f"{_plural(flow['randomised'], 'patient')} were randomised: {allocation} (@fig-consort). "
            "The screening log was not delivered, so the numbers assessed and excluded are not known."
        )
    outside = 0
    for g in arms:
        outside += int(a.number("fig-consort", "not_analysed", group=g, arm=None) or 0)
    if outside and flow["population"]:
        text += (
            f" {_plural(outside, 'randomised patient')} {'is' if outside == 1 else 'are'} not in the "
            f"{flow['population']} population and {'is' if outside == 1 else 'are'} not analysed."
        )
    unit = study.time.unit
    median = a.cell("txt-follow-up", "median", group="Overall")
    return (
        f"{text} Baseline characteristics by arm, with standardised differences, are in @tbl-baseline; "
        "accrual against the planned rate and by site in @fig-accrual and @tbl-accrual-sites. Median follow-up "
        f"(reverse Kaplan-Meier) was {median} {unit}."
    )


def relapse_text(r: RunResults, study: Study) -> str:
    """The primary endpoint by arm and its comparisons; for the open report's pooled study,
    :func:`open_primary_text`."""
    if study.is_pooled:
        return open_primary_text(r, study)
    endpoint = study.primary_endpoint
    cause = study.primary.cause
    event = in_prose(endpoint.causes[cause])
    competing = endpoint.causes[3 - cause]
    at = study.time.main_landmark
    at_label = study.time.landmark_label(at)
    a = r.ard()

    def cif_at(c: int, group: str) -> dict[str, Any]:
        return a.record("tbl-cif-landmarks", cause=str(c), time=level_text(at), group=group)

    def effect(key: str, comparator: str | None) -> dict[str, Any]:
        return a.record("tbl-relapse-effects", key=key, comparator_arm=comparator)

    ref = study.reference_arm
    by_arm = join_words([f"{_ci(cif_at(cause, arm.label))} with {in_prose(arm.label)}" for arm in study.arms])
    if len(study.arms) > 2:
        test = f"Gray's test over the {len(study.arms)} arms p = {effect('gray_all_arms', None)['p_value']}"
    else:
        test = f"Gray's test p = {effect('gray', study.comparator_arms[0].label)['p_value']}"
    text = (
        f"At {at_label} the cumulative incidence of {event} was {by_arm} (@fig-cif-relapse, "
        f"@tbl-cif-landmarks; {test})."
    )
    for comp in study.comparator_arms:
        fg, cs = (effect(k, comp.label) for k in ("fine_gray", "cause_specific_cox"))
        text += (
            f" The subdistribution hazard ratio of {event} with {in_prose(comp.label)} vs "
            f"{in_prose(ref.label)} was {_hr(fg)} (Fine-Gray, p = {fg['p_value']}) and the "
            f"cause-specific hazard ratio {_hr(cs)} (@tbl-relapse-effects)."
        )
        adjusted = a.records("tbl-relapse-effects", key="fine_gray_adjusted", comparator_arm=comp.label)
        if adjusted:
            text += _adjusted_text(adjusted[0], study.comparison_label(comp) if len(study.comparator_arms) > 1 else "")
    others = join_words(
        [f"{cif_at(3 - cause, arm.label)['estimate']} with {in_prose(arm.label)}" for arm in study.arms]
    )
    return (
        text + f" {competing}, the competing event, was {others} at {at_label} (@fig-cif-nrm). "
        "@tbl-primary-populations repeats the analysis in each analysis population as a sensitivity analysis."
    )


def _adjusted_text(row: dict[str, Any], comparison: str) -> str:
    """What the adjusted model could not do: covariates left out (with the reasons), patients
    dropped for a missing covariate, or no estimate at all."""
    model = "The model adjusted for the randomisation strata" + (f" ({comparison})" if comparison else "")
    reasons = [
        n.removeprefix("not estimable: ")
        for n in str(row.get("note") or "").split("; ")
        if n.startswith("not estimable: ")
    ]
    left_out = [c for c in str(row.get("left_out") or "").split(", ") if c]
    text = ""
    if row.get("hr") == "NE" and reasons:
        text += f" {model} was not estimable: {join_words(reasons)}."
    elif left_out:
        text += f" {model} left out {join_words(left_out)}: {join_words(reasons)}."
    n = row.get("n_dropped") or "0"
    if n not in ("0", "NE"):
        text += f" {model if not text else 'It'} left out {_plural(n, 'patient')} with a missing stratum."
    return text


def secondary_text(r: RunResults, study: Study) -> str:
    """Which secondary endpoints the table shows, at which landmark, and which were not delivered
    or delivered for only some patients."""
    rows = r.ard().records("tbl-secondary")
    at_label = study.time.landmark_label(study.time.main_landmark)
    comparisons = join_words([in_prose(a.label) for a in study.comparator_arms])
    text = (
        f"@tbl-secondary gives the secondary endpoints at {at_label} by arm, with the hazard ratio of "
        f"{comparisons} vs {in_prose(study.reference_arm.label)}."
    )
    missing = list(dict.fromkeys(x["endpoint"] for x in rows if x["status"] == "not delivered"))
    if missing:
        text += f" {join_words(missing)} {'was' if len(missing) == 1 else 'were'} not delivered in this data set."
    partial = {x["endpoint"]: x["note"] for x in rows if x["status"] == "delivered" and x["note"]}
    for name, note in partial.items():
        text += f" {name}: {note}."
    if study.survival_figure:
        text += f" @fig-km-os shows {in_prose(study.endpoint(study.survival_figure).label)} by arm."
    return text


def safety_text(r: RunResults, study: Study) -> str:
    """Adverse events and exposure by arm; for the open report's pooled study, :func:`open_safety_text`."""
    if study.is_pooled:
        return open_safety_text(r, study)
    delivered = r.value("03_safety", "delivered")
    drug = study.study.drug
    parts = []
    if delivered.get("adae"):
        a = r.ard()

        def pct(group: str) -> str:
            return a.cell("tbl-teae-overview", "proportion", category="TEAE grade 3 or higher", group=group)

        arms = study.arms
        by_arm = join_words(
            [f"{pct(x.label)}{' of patients' if i == 0 else ''} with {in_prose(x.label)}" for i, x in enumerate(arms)]
        )
        common = study.safety.common_ae_percent if study.safety is not None else 0.0
        parts.append(
            f"Treatment-emergent adverse events of grade 3 or higher occurred in {by_arm} "
            f"(@tbl-teae-overview). @tbl-teae-terms and @fig-teae-risk-differences list the events reported in "
            f"at least {common:g}% of patients in {'either' if len(arms) == 2 else 'any'} arm"
        )
        special = study.safety.special_interest if study.safety is not None else None
        if special is not None:
            parts[-1] += f", and @tbl-teae-grades the worst CTCAE grade of the {in_prose(special.label)}."
        else:
            parts[-1] += "; the study defines no adverse events of special interest (@tbl-teae-grades)."
        parts.append(
            "Events of grade 3 or higher, serious, fatal and leading to discontinuation of the study drug "
            "are in @tbl-teae-grade3, @tbl-teae-serious, @tbl-teae-fatal and @tbl-teae-discontinuation."
        )
    else:
        parts.append(
            "Adverse-event data (ADAE) were not delivered, so no adverse events are tabulated: "
            "@tbl-teae-overview, @tbl-teae-terms, @fig-teae-risk-differences, @tbl-teae-grades, @tbl-teae-grade3, "
            "@tbl-teae-serious, @tbl-teae-fatal and @tbl-teae-discontinuation say so."
        )
    if delivered.get("adex"):
        a = r.ard()
        exposure = a.records("tbl-exposure", treated=None) if a.has("tbl-exposure") else []
        treated = [x for x in exposure if x["n_treated"] != "0"]
        if not treated:
            parts.append(f"No patient of the safety population received {drug} (@tbl-exposure).")
        elif len(exposure) == 1:
            x = exposure[0]
            parts.append(
                f"Among {x['n_treated']} patients treated with {drug}, "
                f"{x['proportion_interrupted']} had at least one interruption and "
                f"{x['proportion_reduced']} at least one dose reduction (@tbl-exposure)."
            )
        else:
            inter = join_words(
                [f"{x['proportion_interrupted']} with {in_prose(x['group'])} (of {x['n_treated']})" for x in treated]
            )
            red = join_words([f"{x['proportion_reduced']} with {in_prose(x['group'])}" for x in treated])
            parts.append(
                f"Among the patients treated with {drug}, {inter} had at least one interruption, and "
                f"{red} at least one dose reduction (@tbl-exposure)."
            )
    else:
        parts.append(
            f"Exposure data (ADEX) were not delivered, so exposure to {drug} is not summarised (@tbl-exposure)."
        )
    return " ".join(parts)


def subgroup_text(r: RunResults, study: Study) -> str:
    a = r.ard()
    shown, values = a.records("tbl-subgroups"), a.records("tbl-subgroups", "stat")
    pairs = [(x, y["p_interaction"]) for x, y in zip(shown, values) if x["subgroup"] != "Overall"]
    rows = [x for x, _ in pairs]
    subgroups = list(dict.fromkeys(x["subgroup"] for x in rows))
    event = in_prose(study.primary_endpoint.causes[study.primary.cause])
    ref = study.reference_arm
    if len(study.comparator_arms) == 1:
        whose = f"The effect of {study.study.drug} on {event}"
    else:
        whose = f"The effect on {event} of each arm against {in_prose(ref.label)}"
    text = (
        f"{whose} was estimated within each level of {len(subgroups)} prespecified baseline factors "
        f"(@fig-forest-relapse, @tbl-subgroups)."
    )
    smallest = []
    for comp in study.comparator_arms:
        tested: dict[str, tuple[float, str]] = {}
        for x, p in pairs:
            if x["comparator_arm"] == comp.label and p is not None and not math.isnan(p):
                tested.setdefault(x["subgroup"], (p, x["p_interaction"]))
        if tested:
            name, (_, p_shown) = min(tested.items(), key=lambda kv: kv[1][0])
            where = f"{in_prose(study.subgroup_label(name))}"
            smallest.append(
                f"{p_shown} ({where}{', ' + study.comparison_label(comp) if len(study.comparator_arms) > 1 else ''})"
            )
    if smallest:
        text += (
            f" The smallest treatment-by-subgroup interaction p-value was {join_words(smallest)}, before any "
            f"correction for multiplicity; subgroup findings are exploratory."
        )
    untested = [
        in_prose(study.subgroup_label(s))
        for s in subgroups
        if all(x["p_interaction"] == "NE" for x in rows if x["subgroup"] == s)
    ]
    if untested:
        text += f" No interaction test was possible for {join_words(untested)} (see the table's notes)."
    return text


def data_review_text(r: RunResults) -> str:
    """How many findings the data review listed and that none stopped the analysis."""
    total = r.ard().record("tbl-data-review", finding="all")
    if total["n_findings"] == "0":
        return "No findings: every check of the data review passed (@tbl-data-review)."
    tables = total["tables"].split(", ")
    return (
        f"The data review listed {_plural(total['n_findings'], 'finding')} ({_plural(total['n_rows'], 'row')} in "
        f"{join_words(tables)}; @tbl-data-review). Findings are reported, not corrected, and none stopped "
        "the analysis: the results below use the data as delivered."
    )


def methods_text(study: Study) -> str:
    """The methods paragraph, naming the study's endpoints, comparisons and adjustment covariates;
    for the open report's pooled study, :func:`open_methods_text`."""
    if study.is_pooled:
        return open_methods_text(study)
    primary = study.primary_endpoint
    cause = study.primary.cause
    survival_eps = [study.endpoint(c).label for c in study.secondary if study.endpoint(c).kind == "survival"]
    competing_eps = [study.endpoint(c).label for c in study.secondary if study.endpoint(c).kind == "competing"]
    ref = study.reference_arm
    text = (
        f"{primary.label} is analysed as a competing-risks endpoint with {in_prose(primary.causes[3 - cause])} "
        "as the competing event, as EBMT and CIBMTR statistical guidance recommends: the cumulative incidence "
        "function is the Aalen-Johansen estimator with the variance of R's `cmprsk::cuminc` and log(-log) "
        "pointwise confidence intervals; arms are compared with Gray's test and the Fine-Gray subdistribution "
        "hazard model with robust standard errors (as `cmprsk::crr`), beside the cause-specific Cox model."
    )
    if study.strata:
        text += (
            f" The adjusted Fine-Gray model includes the randomisation strata ({join_words(list(study.strata))}) "
            "as covariates; a stratum with a single level or no value is left out, patients with a missing "
            "stratum are left out of that model, and the table says so."
        )
    if survival_eps:
        text += (
            f" {_sentence_list(survival_eps)} use Kaplan-Meier estimates with Greenwood variance and log-log "
            "intervals, the log-rank test and Cox models with Efron ties (as R's `survival`)."
        )
    if competing_eps:
        text += f" {_sentence_list(competing_eps)} are analysed as competing-risks endpoints in the same way."
    if len(study.comparator_arms) > 1:
        text += (
            f" Each arm is compared with the reference arm, {in_prose(ref.label)}, on the patients of the two "
            f"arms; the {len(study.arms)}-sample test over all arms is given first."
        )
    text += (
        " Missing baseline values are shown as Missing in the tables; models and subgroup estimates leave "
        "those patients out and say how many. Follow-up is summarised by the reverse Kaplan-Meier method. "
        "Adverse events are treatment-emergent events by MedDRA term and worst CTCAE grade in the safety "
        "population. Every estimator is checked in the test suite against reference values computed with R."
    )
    return text


# -- the two reports of a run: closed (by arm) and open (pooled over the arms) ----------------------
def banner_text(study: Study, report: str) -> str:
    """The report's first paragraph, whom it is for: the study's ``reports.closed.banner`` or
    ``reports.open.banner``."""
    if report not in ("closed", "open"):
        raise ValueError(f"{report=} is not a report; expected closed or open")
    return f"**{getattr(study.reports, report).banner}**"


def _month(value: str) -> str:
    import datetime as dt

    return dt.date.fromisoformat(str(value)[:10]).strftime("%B %Y")


def accrual_text(r: RunResults, study: Study) -> str:
    """Accrual over all patients (the ARD of @fig-accrual), against the design's plan, and where
    the completeness of the data is."""
    months = [x for x in r.ard().records("fig-accrual") if "month" in x]
    if not months:
        return "No patient was randomised before the data cutoff (@fig-accrual)."
    total = months[-1]["cum_randomised"]
    one = total == "1"
    text = (
        f"{total} {'patient was' if one else 'patients were'} randomised from {_month(months[0]['month'] + '-01')} "
        f"to {_month(months[-1]['month'] + '-01')} (@fig-accrual)"
    )
    if study.design is not None:
        text += f"; the design plans {study.design.n_patients} over {study.design.accrual_months:g} months"
    return (
        text + ". @tbl-completeness gives, for every baseline variable and endpoint, the patients with a "
        "value or a record."
    )


def _pooled(study: Study) -> str:
    if not study.is_pooled:
        raise ValueError("the open report's text needs the pooled study (Study.pooled())")
    return study.arms[0].label


def open_cohort_text(r: RunResults, study: Study) -> str:
    """The trial profile of the open report: screening and randomisation, follow-up, pooled."""
    group = _pooled(study)
    a = r.ard()
    flow = a.record("fig-consort", trial=None)
    if flow["screening_delivered"] == "true":
        text = (
            f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
            f"{flow['randomised']} were randomised (@fig-consort)."
        )
    else:
        text = (
            f"{_plural(flow['randomised'], 'patient')} were randomised (@fig-consort). The screening log was "
            "not delivered, so the numbers assessed and excluded are not known."
        )
    outside = sum(
        int(a.number("fig-consort", "not_analysed", group=x["group"], arm=None) or 0)
        for x in a.records("fig-consort", arm=None)
    )
    if outside and flow["population"]:
        text += (
            f" {_plural(outside, 'randomised patient')} {'is' if outside == 1 else 'are'} not in the "
            f"{flow['population']} population."
        )
    median = a.cell("txt-follow-up", "median", group="Overall")
    return (
        f"{text} @tbl-baseline gives the baseline characteristics of {in_prose(group)}; accrual and the "
        f"patients of each site are in @fig-accrual and @tbl-accrual-sites. Median follow-up "
        f"(reverse Kaplan-Meier) was {median} {study.time.unit}."
    )


def open_primary_text(r: RunResults, study: Study) -> str:
    """The primary endpoint in the open report: cumulative incidence over all patients at the
    main landmark, and where the events of every endpoint are."""
    group = _pooled(study)
    endpoint = study.primary_endpoint
    cause = study.primary.cause
    at = study.time.main_landmark
    a = r.ard()

    def at_landmark(c: int) -> str:
        return _ci(a.record("tbl-cif-landmarks", cause=str(c), time=level_text(at), group=group))

    return (
        f"At {study.time.landmark_label(at)} the cumulative incidence of {in_prose(endpoint.causes[cause])} "
        f"over {in_prose(group)} was {at_landmark(cause)}, and that of {in_prose(endpoint.causes[3 - cause])}, "
        f"the competing event, {at_landmark(3 - cause)} (@fig-cif-relapse, @tbl-cif-landmarks, @fig-cif-nrm). "
        "@tbl-event-counts gives the events of every endpoint."
    )


def open_safety_text(r: RunResults, study: Study) -> str:
    """The pooled safety overview of the open report."""
    group = _pooled(study)
    delivered = r.value("03_safety", "delivered")
    if not delivered.get("adae"):
        return (
            "Adverse-event data (ADAE) were not delivered, so no adverse events are tabulated "
            "(@tbl-teae-overview says so)."
        )
    row = r.ard().record("tbl-teae-overview", category="TEAE grade 3 or higher", group=group)
    return (
        f"Treatment-emergent adverse events of grade 3 or higher occurred in {row['proportion']} of "
        f"the safety population (@tbl-teae-overview)."
    )


def open_methods_text(study: Study) -> str:
    """The methods paragraph of the open report: what is pooled and how it is estimated."""
    _pooled(study)
    primary = study.primary_endpoint
    cause = study.primary.cause
    return (
        "Every result of this report is pooled over the arms: the arms are merged into one group when the "
        "data are read, before any analysis, and nothing is estimated or compared by arm. "
        f"{primary.label} is analysed as a competing-risks endpoint with "
        f"{in_prose(primary.causes[3 - cause])} as the competing event: the cumulative incidence function is "
        "the Aalen-Johansen estimator with the variance of R's `cmprsk::cuminc` and log(-log) pointwise "
        "confidence intervals. Follow-up is summarised by the reverse Kaplan-Meier method. Adverse events are "
        "treatment-emergent events in the safety population; counts that concern only patients given "
        "the study drug are left out. Missing baseline values are shown as Missing. Every estimator is "
        "checked in the test suite against reference values computed with R."
    )


def interim_information_text(r: RunResults, study: Study) -> str:
    """Where this data cut stands in the design and when the looks to come are expected, from the
    pooled data only (open and closed reports alike), with the projection's model."""
    a = r.ard()
    info = a.record("tbl-interim-information", current=None)
    final = info["final"] == "true"
    event = in_prose(study.primary_endpoint.causes[study.primary.cause])
    cut = f"the data cutoff {info['cutoff']}" if info["cutoff"] else "the end of the data as delivered"
    text = (
        f"This is {interim_look_label(int(info['look']), int(info['looks']), final)} of the group-sequential design: "
        f"{info['events']} of the {info['planned_events']} planned events of {event} by {cut}, "
        f"{info['information_fraction']} of the planned information (@tbl-interim-information)."
    )
    projection = [x for x in a.records("tbl-interim-projection") if "look" in x]
    if not projection:
        return text + " No look is left after it, so no date is projected."

    def when(p: dict[str, Any]) -> str:
        look = "the final analysis" if p["final"] == "true" else f"look {p['look']}"
        if p["date"] == "NE":
            return f"{look} ({p['planned_events']} events) is not reached in most simulated trials"
        high = (
            p["date_high"]
            if p["date_high"] != "NE"
            else f"not reached (reached in {p['probability_reached']} of simulated trials)"
        )
        return (
            f"{look} ({p['planned_events']} events) is expected around {p['date']} "
            f"({p['conf_level']} prediction interval {p['date_low']} to {high})"
        )

    dates = join_words([when(p) for p in projection])
    model = a.record("tbl-interim-projection", projection=None)
    causes = study.primary_endpoint.causes
    competing = in_prose(causes[3 - study.primary.cause])
    breaks = model["breaks"].split(", ") if model["breaks"] else []
    accrual = (
        f", enrolling the {model['n_new']} patients still to come at the observed accrual rate (drawn likewise) "
        f"until {model['n_patients']} are randomised"
        if model["n_new"] != "0"
        else f"; all {model['n_patients']} patients are randomised"
    )
    pieces = f"changing at {join_words(breaks)} days after randomisation" if breaks else "one piece"
    return text + (
        f" Projected from the data of all arms pooled, {dates} (@tbl-interim-projection). "
        f"The projection simulates {model['n_sim']} trials with seed {model['seed']}: the cause-specific hazards "
        f"of {event}, of {competing} and of dropout (leaving the study without either) are piecewise constant "
        f"({pieces}) and fitted to the pooled data; each simulated trial draws them from their posterior "
        "under Jeffreys' prior (Gamma with shape events + 1/2 and rate person-time) and follows the patients "
        f"still at risk from their current follow-up{accrual}."
    )


def interim_decision_text(r: RunResults, study: Study) -> str:
    """The committee's part (closed report only): the primary statistic against this look's
    boundary, the decision, the repeated confidence interval and the conditional and predictive
    power, as @tbl-interim-decision shows them (its ARD rows)."""
    x = r.ard().record("tbl-interim-decision", interim_decision=None)
    final = x["final"] == "true"
    text = (
        f"The primary statistic ({x['statistic_name']}, {x['comparison']}) is {x['statistic']}, "
        f"nominal p = {x['p_value']}; oriented to the planned effect it is {x['z_planned']} "
        f"against the {'final ' if final else ''}efficacy boundary {x['efficacy_z']}"
    )
    if x.get("futility_z", "NE") != "NE":
        text += f" and the futility boundary {x['futility_z']}"
    text += (
        f" (@fig-interim-boundaries, @tbl-interim-boundaries). Decision: **{x['decision_text']}**. "
        f"The subdistribution hazard ratio is {_hr({**x, 'conf_low': x['rci_low'], 'conf_high': x['rci_high']})} "
        "with its repeated confidence interval at this look (@tbl-interim-decision)."
    )
    if not final:
        text += (
            f" Conditional power (B-value method of Lan and Wittes) is {x['conditional_power_planned']} "
            f"under the planned hazard ratio and {x['conditional_power_trend']} under the current "
            f"trend; predictive power is {x['predictive_power']}."
        )
    return text
