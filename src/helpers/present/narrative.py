"""The report's sentences that quote numbers: every number comes from a run's results, none is typed.

Each function takes :class:`helpers.present.results.RunResults` and the :class:`helpers.study.Study` and
returns Markdown (Quarto cross-references such as ``@fig-cif-relapse`` included) for
``IPython.display.Markdown``. Arms, the drug, endpoints, causes, landmarks and subgroups are named
from the study, for any number of arms. A result that is missing raises, naming it: the report
never prints a default in its place. Data that were not delivered are said to be so, never
counted as zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpers.present.results import RunResults
from helpers.present.tables import fmt_num, fmt_p, fmt_pct, fmt_pct_ci, fmt_ratio_ci, interim_look_label
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


def _one(rows: list[dict[str, Any]], what: str, **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(found) != 1:
        raise KeyError(f"expected one {what} with {match}, found {len(found)}")
    return found[0]


def _ci(x: dict[str, Any]) -> str:
    return fmt_pct_ci(x["estimate"], x["conf_low"], x["conf_high"])


def _hr(x: dict[str, Any]) -> str:
    return fmt_ratio_ci(x["hr"], x["conf_low"], x["conf_high"])


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def join_words(items: Sequence[str]) -> str:
    """``["a", "b", "c"] -> "a, b and c"``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _sentence_list(labels: Sequence[str]) -> str:
    """Labels joined to open a sentence: the first as written, the others as inside a sentence."""
    return join_words([labels[0], *(in_prose(x) for x in labels[1:])]) if labels else ""


def cohort_text(r: RunResults, study: Study) -> str:
    """The trial profile: screening, randomisation to each arm, follow-up; for the open report's
    pooled study, :func:`open_cohort_text`."""
    if study.is_pooled:
        return open_cohort_text(r, study)
    flow = r.value("01_cohort", "consort")
    fu = _one(r.value("01_cohort", "median_follow_up"), "median follow-up", group="Overall")
    arms = flow["arms"]
    allocation = join_words([f"{arms[a.label]['allocated']} to {in_prose(a.label)}" for a in study.arms])
    if flow.get("screening_delivered", True):
        text = (
            f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
            f"{flow['randomised']} were randomised: {allocation} (@fig-consort)."
        )
    else:
        text = (
            f"{_plural(flow['randomised'], 'patient')} were randomised: {allocation} (@fig-consort). "
            "The screening log was not delivered, so the numbers assessed and excluded are not known."
        )
    outside = sum(int(a.get("not_analysed") or 0) for a in arms.values())
    if outside and flow.get("population"):
        text += (
            f" {_plural(outside, 'randomised patient')} {'is' if outside == 1 else 'are'} not in the "
            f"{flow['population']} population and {'is' if outside == 1 else 'are'} not analysed."
        )
    unit = study.time.unit
    return (
        f"{text} Baseline characteristics by arm are in @tbl-baseline. Median follow-up (reverse "
        f"Kaplan-Meier) was {fmt_num(study.time.to_units(fu['median']), 1)} {unit}."
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
    cif = r.value("02_relapse", "cif_landmarks")
    effects = r.value("02_relapse", "relapse_effects")

    def cif_at(c: int, group: str) -> dict[str, Any]:
        return _one(cif, "cumulative incidence", cause=c, time=at, group=group)

    ref = study.reference_arm
    by_arm = join_words([f"{_ci(cif_at(cause, a.label))} with {in_prose(a.label)}" for a in study.arms])
    if len(study.arms) > 2:
        gray = _one(effects, "analysis", key="gray_all_arms")
        test = f"Gray's test over the {len(study.arms)} arms p = {fmt_p(gray['p_value'])}"
    else:
        gray = _one(effects, "analysis", key="gray", comparator_arm=study.comparator_arms[0].label)
        test = f"Gray's test p = {fmt_p(gray['p_value'])}"
    text = (
        f"At {at_label} the cumulative incidence of {event} was {by_arm} (@fig-cif-relapse, "
        f"@tbl-cif-landmarks; {test})."
    )
    for comp in study.comparator_arms:
        fg, cs = (
            _one(effects, "analysis", key=k, comparator_arm=comp.label) for k in ("fine_gray", "cause_specific_cox")
        )
        text += (
            f" The subdistribution hazard ratio of {event} with {in_prose(comp.label)} vs "
            f"{in_prose(ref.label)} was {_hr(fg)} (Fine-Gray, p = {fmt_p(fg['p_value'])}) and the "
            f"cause-specific hazard ratio {_hr(cs)} (@tbl-relapse-effects)."
        )
        adjusted = [
            x for x in effects if x.get("key") == "fine_gray_adjusted" and x.get("comparator_arm") == comp.label
        ]
        if adjusted:
            text += _adjusted_text(adjusted[0], study.comparison_label(comp) if len(study.comparator_arms) > 1 else "")
    others = join_words(
        [f"{fmt_pct(cif_at(3 - cause, a.label)['estimate'])} with {in_prose(a.label)}" for a in study.arms]
    )
    return text + f" {competing}, the competing event, was {others} at {at_label} (@fig-cif-nrm)."


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
    if row.get("hr") is None and reasons:
        text += f" {model} was not estimable: {join_words(reasons)}."
    elif left_out:
        text += f" {model} left out {join_words(left_out)}: {join_words(reasons)}."
    n = int(row.get("n_dropped") or 0)
    if n:
        text += f" {model if not text else 'It'} left out {_plural(n, 'patient')} with a missing stratum."
    return text


def secondary_text(r: RunResults, study: Study) -> str:
    """Which secondary endpoints the table shows, at which landmark, and which were not delivered
    or delivered for only some patients."""
    rows = r.value("02_relapse", "secondary")
    at_label = study.time.landmark_label(study.time.main_landmark)
    comparisons = join_words([in_prose(a.label) for a in study.comparator_arms])
    text = (
        f"@tbl-secondary gives the secondary endpoints at {at_label} by arm, with the hazard ratio of "
        f"{comparisons} vs {in_prose(study.reference_arm.label)}."
    )
    missing = list(dict.fromkeys(x["endpoint"] for x in rows if x.get("status") == "not delivered"))
    if missing:
        text += f" {join_words(missing)} {'was' if len(missing) == 1 else 'were'} not delivered in this data set."
    partial = {x["endpoint"]: x["note"] for x in rows if x.get("status") == "delivered" and x.get("note")}
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
        overview = r.value("03_safety", "teae_overview")

        def pct(group: str) -> str:
            row = _one(overview, "TEAE overview row", category="TEAE grade 3 or higher", group=group)
            return fmt_pct(row["proportion"])

        arms = study.arms
        by_arm = join_words(
            [f"{pct(a.label)}{' of patients' if i == 0 else ''} with {in_prose(a.label)}" for i, a in enumerate(arms)]
        )
        common = study.safety.common_ae_percent if study.safety is not None else 0.0
        parts.append(
            f"Treatment-emergent adverse events of grade 3 or higher occurred in {by_arm} "
            f"(@tbl-teae-overview). @tbl-teae-terms and @fig-teae-terms list the events reported in "
            f"at least {common:g}% of patients in {'either' if len(arms) == 2 else 'any'} arm"
        )
        special = study.safety.special_interest if study.safety is not None else None
        if special is not None:
            parts[-1] += f", and @tbl-teae-grades the worst CTCAE grade of the {in_prose(special.label)}."
        else:
            parts[-1] += "; the study defines no adverse events of special interest (@tbl-teae-grades)."
    else:
        parts.append(
            "Adverse-event data (ADAE) were not delivered, so no adverse events are tabulated: "
            "@tbl-teae-overview, @tbl-teae-terms, @fig-teae-terms and @tbl-teae-grades say so."
        )
    if delivered.get("adex"):
        exposure = r.value("03_safety", "exposure")
        treated = [x for x in exposure if x["n_treated"]]
        if not treated:
            parts.append(f"No patient of the safety population received {drug} (@tbl-exposure).")
        elif len(exposure) == 1:
            x = exposure[0]
            parts.append(
                f"Among {x['n_treated']} patients treated with {drug}, "
                f"{fmt_pct(x['proportion_interrupted'])} had at least one interruption and "
                f"{fmt_pct(x['proportion_reduced'])} at least one dose reduction (@tbl-exposure)."
            )
        else:
            inter = join_words(
                [
                    f"{fmt_pct(x['proportion_interrupted'])} with {in_prose(x['group'])} (of {x['n_treated']})"
                    for x in treated
                ]
            )
            red = join_words([f"{fmt_pct(x['proportion_reduced'])} with {in_prose(x['group'])}" for x in treated])
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
    rows = [x for x in r.value("04_subgroups", "subgroups") if x["subgroup"] != "Overall"]
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
        tested = {
            x["subgroup"]: x["p_interaction"]
            for x in rows
            if x.get("comparator_arm", comp.label) == comp.label and x.get("p_interaction") is not None
        }
        if tested:
            name, p = min(tested.items(), key=lambda kv: kv[1])
            where = f"{in_prose(study.subgroup_label(name))}"
            smallest.append(
                f"{fmt_p(p)} ({where}{', ' + study.comparison_label(comp) if len(study.comparator_arms) > 1 else ''})"
            )
    if smallest:
        text += (
            f" The smallest treatment-by-subgroup interaction p-value was {join_words(smallest)}, before any "
            f"correction for multiplicity; subgroup findings are exploratory."
        )
    untested = [
        in_prose(study.subgroup_label(s))
        for s in subgroups
        if all(x.get("p_interaction") is None for x in rows if x["subgroup"] == s)
    ]
    if untested:
        text += f" No interaction test was possible for {join_words(untested)} (see the table's notes)."
    return text


def data_review_text(r: RunResults) -> str:
    """How many findings the data review listed and that none stopped the analysis."""
    findings = r.value("01_cohort", "findings")
    if not findings:
        return "No findings: every check of the data review passed (@tbl-data-review)."
    tables = sorted({str(f.get("table") or f.get("file")) for f in findings})
    n_rows = sum(int(f.get("n_rows") or 0) for f in findings)
    return (
        f"The data review listed {_plural(len(findings), 'finding')} ({_plural(n_rows, 'row')} in "
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
    """Accrual over all patients (``01_cohort``'s ``accrual``), against the design's plan, and
    where the completeness of the data is."""
    rows = r.value("01_cohort", "accrual")
    if not rows:
        return "No patient was randomised before the data cutoff (@fig-accrual)."
    total = int(rows[-1]["cum_randomised"])
    text = (
        f"{_plural(total, 'patient')} {'was' if total == 1 else 'were'} randomised from {_month(rows[0]['month'])} "
        f"to {_month(rows[-1]['month'])} (@fig-accrual)"
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
    flow = r.value("01_cohort", "consort")
    fu = _one(r.value("01_cohort", "median_follow_up"), "median follow-up", group="Overall")
    if flow.get("screening_delivered", True):
        text = (
            f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
            f"{flow['randomised']} were randomised (@fig-consort)."
        )
    else:
        text = (
            f"{_plural(flow['randomised'], 'patient')} were randomised (@fig-consort). The screening log was "
            "not delivered, so the numbers assessed and excluded are not known."
        )
    outside = sum(int(a.get("not_analysed") or 0) for a in flow["arms"].values())
    if outside and flow.get("population"):
        text += (
            f" {_plural(outside, 'randomised patient')} {'is' if outside == 1 else 'are'} not in the "
            f"{flow['population']} population."
        )
    return (
        f"{text} @tbl-baseline gives the baseline characteristics of {in_prose(group)}. Median follow-up "
        f"(reverse Kaplan-Meier) was {fmt_num(study.time.to_units(fu['median']), 1)} {study.time.unit}."
    )


def open_primary_text(r: RunResults, study: Study) -> str:
    """The primary endpoint in the open report: cumulative incidence over all patients at the
    main landmark, and where the events of every endpoint are."""
    group = _pooled(study)
    endpoint = study.primary_endpoint
    cause = study.primary.cause
    at = study.time.main_landmark
    cif = r.value("02_relapse", "cif_landmarks")

    def at_landmark(c: int) -> str:
        return _ci(_one(cif, "cumulative incidence", cause=c, time=at, group=group))

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
    overview = r.value("03_safety", "teae_overview")
    row = _one(overview, "TEAE overview row", category="TEAE grade 3 or higher", group=group)
    return (
        f"Treatment-emergent adverse events of grade 3 or higher occurred in {fmt_pct(row['proportion'])} of "
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
    info = r.value("05_interim", "interim_information")
    projection = r.value("05_interim", "interim_projection")
    event = in_prose(study.primary_endpoint.causes[study.primary.cause])
    cut = f"the data cutoff {info['cutoff']}" if info["cutoff"] else "the end of the data as delivered"
    text = (
        f"This is {interim_look_label(info['look'], info['looks'], info['final'])} of the group-sequential design: "
        f"{info['events']} of the {info['planned_events']} planned events of {event} by {cut}, "
        f"{fmt_pct(info['information_fraction'])} of the planned information (@tbl-interim-information)."
    )
    if not projection:
        return text + " No look is left after it, so no date is projected."

    def when(p: dict[str, Any]) -> str:
        look = "the final analysis" if p["final"] else f"look {p['look']}"
        if p["date"] is None:
            return f"{look} ({p['planned_events']} events) is not reached in most simulated trials"
        high = p["date_high"] or f"not reached (reached in {fmt_pct(p['probability_reached'])} of simulated trials)"
        return (
            f"{look} ({p['planned_events']} events) is expected around {p['date']} "
            f"({fmt_pct(p['conf_level'], 0)} prediction interval {p['date_low']} to {high})"
        )

    dates = join_words([when(p) for p in projection])
    model = r.value("05_interim", "interim_projection_model")
    causes = study.primary_endpoint.causes
    competing = in_prose(causes[3 - study.primary.cause])
    breaks = [f"{b:g}" for b in model["breaks"]]
    accrual = (
        f", enrolling the {model['n_new']} patients still to come at the observed accrual rate (drawn likewise) "
        f"until {model['n_patients']} are randomised"
        if model["n_new"]
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
    power, as @tbl-interim-decision shows them."""
    x = r.value("05_interim", "interim_summary")
    shown = {
        row["Quantity"]: row["Value"] for row in r.table_data("05_interim", "tbl-interim-decision").to_dict("records")
    }
    text = (
        f"The primary statistic ({x['statistic_name']}, {x['comparison']}) is {shown['Statistic (z)']}, "
        f"nominal p = {shown['Nominal p-value']}; oriented to the planned effect it is {shown['z in the planned direction']} "
        f"against the {'final ' if x['final'] else ''}efficacy boundary {shown['Efficacy boundary (z)']}"
    )
    if "Futility boundary (z)" in shown:
        text += f" and the futility boundary {shown['Futility boundary (z)']}"
    text += (
        f" (@fig-interim-boundaries, @tbl-interim-boundaries). Decision: **{x['decision_text']}**. "
        f"The subdistribution hazard ratio is {shown['Subdistribution HR (repeated CI)']} with its repeated "
        "confidence interval at this look (@tbl-interim-decision)."
    )
    if not x["final"]:
        text += (
            f" Conditional power (B-value method of Lan and Wittes) is {shown['Conditional power, planned effect']} "
            f"under the planned hazard ratio and {shown['Conditional power, current trend']} under the current "
            f"trend; predictive power is {shown['Predictive power']}."
        )
    return text
