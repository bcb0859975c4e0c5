"""The report's sentences that quote numbers: every number comes from a run's results, none is typed.

Each function takes :class:`helpers.results.RunResults` and returns Markdown (Quarto
cross-references such as ``@fig-cif-relapse`` included) for ``IPython.display.Markdown``.
A result that is missing raises, naming it: the report never prints a default in its place.
"""

from __future__ import annotations

from typing import Any

from .config import DAYS_PER_MONTH, EXPERIMENTAL_ARM, REFERENCE_ARM
from .endpoints import MAIN_LANDMARK_DAYS, SUBGROUP_LABELS
from .results import RunResults
from .safety import COMMON_AE_PERCENT
from .tables import fmt_num, fmt_p, fmt_pct, fmt_pct_ci, fmt_ratio_ci, fmt_years


def _one(rows: list[dict[str, Any]], what: str, **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    if len(found) != 1:
        raise KeyError(f"expected one {what} with {match}, found {len(found)}")
    return found[0]


def _ci(x: dict[str, Any]) -> str:
    return fmt_pct_ci(x["estimate"], x["conf_low"], x["conf_high"])


def _hr(x: dict[str, Any]) -> str:
    return fmt_ratio_ci(x["estimate"], x["conf_low"], x["conf_high"])


def cohort_text(r: RunResults) -> str:
    flow = r.value("01_cohort", "consort")
    fu = _one(r.value("01_cohort", "median_follow_up"), "median follow-up", group="Overall")
    arms = flow["arms"]
    return (
        f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
        f"{flow['randomised']} were randomised: {arms[EXPERIMENTAL_ARM]['allocated']} to sorafenib maintenance "
        f"and {arms[REFERENCE_ARM]['allocated']} to no maintenance (@fig-consort). Baseline characteristics "
        f"by arm are in @tbl-baseline. Median follow-up (reverse Kaplan-Meier) was "
        f"{fmt_num(fu['median'] / DAYS_PER_MONTH, 1)} months."
    )


def relapse_text(r: RunResults) -> str:
    cif = r.value("02_relapse", "cif_landmarks")
    at = MAIN_LANDMARK_DAYS

    def cif_at(cause: int, group: str) -> dict[str, Any]:
        return _one(cif, "cumulative incidence", cause=cause, time=at, group=group)

    effects = r.value("02_relapse", "relapse_effects")
    gray, fg, cs = (_one(effects, "analysis", key=k) for k in ("gray", "fine_gray", "cause_specific_cox"))
    return (
        f"At {fmt_years(at)} the cumulative incidence of relapse was {_ci(cif_at(1, EXPERIMENTAL_ARM))} with "
        f"sorafenib maintenance and {_ci(cif_at(1, REFERENCE_ARM))} with no maintenance (@fig-cif-relapse, "
        f"@tbl-cif-landmarks; Gray's test p = {fmt_p(gray['p_value'])}). The subdistribution hazard ratio of "
        f"relapse was {_hr(fg)} (Fine-Gray, p = {fmt_p(fg['p_value'])}) and the cause-specific hazard ratio "
        f"{_hr(cs)} (@tbl-relapse-effects). Non-relapse mortality, the competing event, was "
        f"{fmt_pct(cif_at(2, EXPERIMENTAL_ARM)['estimate'])} and {fmt_pct(cif_at(2, REFERENCE_ARM)['estimate'])} "
        f"at {fmt_years(at)} (@fig-cif-nrm)."
    )


def safety_text(r: RunResults) -> str:
    overview = r.value("03_safety", "teae_overview")

    def pct(group: str) -> str:
        return fmt_pct(_one(overview, "TEAE overview row", category="TEAE grade 3 or higher", group=group)["percent"])

    exposure = r.value("03_safety", "exposure")
    return (
        f"Treatment-emergent adverse events of grade 3 or higher occurred in {pct(EXPERIMENTAL_ARM)} of "
        f"patients on sorafenib and {pct(REFERENCE_ARM)} without maintenance (@tbl-teae-overview). "
        f"@tbl-teae-terms and @fig-teae-terms list the events reported in at least {COMMON_AE_PERCENT:g}% of "
        f"patients in either arm, and @tbl-teae-grades the worst CTCAE grade of the known sorafenib "
        f"toxicities. Among {exposure['n_treated']} patients treated with sorafenib, "
        f"{fmt_pct(exposure['proportion_interrupted'])} had at least one interruption and "
        f"{fmt_pct(exposure['proportion_reduced'])} at least one dose reduction (@tbl-exposure)."
    )


def subgroup_text(r: RunResults) -> str:
    rows = [x for x in r.value("04_subgroups", "subgroups") if x["subgroup"] != "Overall"]
    subgroups = list(dict.fromkeys(x["subgroup"] for x in rows))
    tested = {x["subgroup"]: x["p_interaction"] for x in rows if x.get("p_interaction") is not None}
    text = (f"The effect of sorafenib on relapse was estimated within each level of {len(subgroups)} "
            f"prespecified baseline factors (@fig-forest-relapse, @tbl-subgroups).")
    if tested:
        name, p = min(tested.items(), key=lambda kv: kv[1])
        text += (f" The smallest treatment-by-subgroup interaction p-value was {fmt_p(p)} "
                 f"({SUBGROUP_LABELS.get(name, name).lower()}), before any correction for multiplicity; "
                 f"subgroup findings are exploratory.")
    untested = [SUBGROUP_LABELS.get(s, s).lower() for s in subgroups if s not in tested]
    if untested:
        text += f" No interaction test was possible for {', '.join(untested)} (see the table's notes)."
    return text
