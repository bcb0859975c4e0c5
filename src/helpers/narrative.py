"""The report's sentences that quote numbers: every number comes from a run's results, none is typed.

Each function takes :class:`helpers.results.RunResults` and returns Markdown (Quarto
cross-references such as ``@fig-cif-relapse`` included) for ``IPython.display.Markdown``.
"""

from __future__ import annotations

from .endpoints import EXPERIMENTAL_ARM, REFERENCE_ARM
from .results import RunResults
from .tables import fmt_num, fmt_p, fmt_pct, fmt_pct_ci, fmt_ratio_ci


def _cif_at(r: RunResults, cause: int, time: float, group: str) -> dict:
    rows = [x for x in r.value("02_relapse", "cif_landmarks")
            if x["cause"] == cause and x["time"] == time and x["group"] == group]
    if len(rows) != 1:
        raise KeyError(f"no cumulative incidence for cause {cause} at {time} days in group {group!r}")
    return rows[0]


def _effect(r: RunResults, startswith: str) -> dict:
    for row in r.value("02_relapse", "relapse_effects"):
        if row["analysis"].startswith(startswith):
            return row
    raise KeyError(f"no relapse analysis starting {startswith!r}")


def _ci(x: dict) -> str:
    return fmt_pct_ci(x["estimate"], x["conf_low"], x["conf_high"])


def _hr(x: dict) -> str:
    return fmt_ratio_ci(x["estimate"], x["conf_low"], x["conf_high"])


def cohort_text(r: RunResults) -> str:
    flow = r.value("01_cohort", "consort")
    counts = r.value("01_cohort", "n_randomised")
    fu = r.value("01_cohort", "median_follow_up")
    overall = [x for x in fu if x["group"] not in (EXPERIMENTAL_ARM, REFERENCE_ARM)]
    fu_row = overall[0] if overall else fu[0]
    return (
        f"Of {flow['assessed']} patients assessed for eligibility, {flow['excluded']} were excluded and "
        f"{flow['randomised']} were randomised: {counts.get(EXPERIMENTAL_ARM, 0)} to sorafenib maintenance and "
        f"{counts.get(REFERENCE_ARM, 0)} to no maintenance (@fig-consort). Baseline characteristics were "
        f"balanced between arms (@tbl-baseline). Median follow-up (reverse Kaplan-Meier) was "
        f"{fmt_num(fu_row['median'] / 30.4375, 1)} months."
    )


def relapse_text(r: RunResults) -> str:
    two_years = 730.0
    sora, ctrl = _cif_at(r, 1, two_years, EXPERIMENTAL_ARM), _cif_at(r, 1, two_years, REFERENCE_ARM)
    nrm_s, nrm_c = _cif_at(r, 2, two_years, EXPERIMENTAL_ARM), _cif_at(r, 2, two_years, REFERENCE_ARM)
    gray, fg = _effect(r, "Gray"), _effect(r, "Fine-Gray subdistribution HR")
    cs = _effect(r, "Cause-specific")
    return (
        f"At 2 years the cumulative incidence of relapse was {_ci(sora)} with sorafenib maintenance and "
        f"{_ci(ctrl)} with no maintenance (@fig-cif-relapse, @tbl-cif-landmarks; Gray's test "
        f"p = {fmt_p(gray['p_value'])}). The subdistribution hazard ratio of relapse was {_hr(fg)} "
        f"(Fine-Gray, p = {fmt_p(fg['p_value'])}) and the cause-specific hazard ratio {_hr(cs)} "
        f"(@tbl-relapse-effects). Non-relapse mortality, the competing event, was {fmt_pct(nrm_s['estimate'])} "
        f"and {fmt_pct(nrm_c['estimate'])} at 2 years (@fig-cif-nrm)."
    )


def safety_text(r: RunResults) -> str:
    overview = r.value("03_safety", "teae_overview")

    def pct(category: str, group: str) -> str:
        row = next(x for x in overview if x["category"] == category and x["group"] == group)
        return fmt_pct(row["percent"])

    exposure = r.value("03_safety", "exposure")
    return (
        f"Treatment-emergent adverse events of grade 3 or higher occurred in "
        f"{pct('TEAE grade 3 or higher', EXPERIMENTAL_ARM)} of patients on sorafenib and "
        f"{pct('TEAE grade 3 or higher', REFERENCE_ARM)} without maintenance (@tbl-teae-overview, "
        f"@tbl-teae-terms, @fig-teae-terms). Among {exposure['n_treated']} patients treated with sorafenib, "
        f"{fmt_pct(exposure['proportion_interrupted'])} had at least one interruption and "
        f"{fmt_pct(exposure['proportion_reduced'])} at least one dose reduction (@tbl-exposure)."
    )


def subgroup_text(r: RunResults) -> str:
    rows = r.value("04_subgroups", "subgroups")
    p = {}
    for x in rows:
        if x.get("p_interaction") is not None and x["subgroup"] not in p:
            p[x["subgroup"]] = x["p_interaction"]
    smallest = min(p.items(), key=lambda kv: kv[1]) if p else None
    text = (f"The effect of sorafenib on relapse was estimated within {len(p)} prespecified subgroups "
            f"(@fig-forest-relapse, @tbl-subgroups).")
    if smallest:
        text += (f" The smallest treatment-by-subgroup interaction p-value was {fmt_p(smallest[1])} "
                 f"({smallest[0]}), before any correction for multiplicity; subgroup findings are exploratory.")
    return text
