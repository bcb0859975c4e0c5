"""Safety: treatment-emergent adverse events (CTCAE grades) and study-drug exposure, tidy and unrounded.

Conventions (as the FDA/pharmaverse standard AE tables): the denominator is the safety
population of each actual arm (``ACTARM``), arms in the study's display order; a patient counts
once per row, at their worst grade; only treatment-emergent events (``TRTEMFL == "Y"``) are
tabulated. Dose actions (reduction, interruption, withdrawal of the study drug) do not apply to an
arm that receives no study drug (``Arm.treated`` false): its cells are marked, never counted as 0.
The terms of special interest and the common-AE threshold come from ``study.safety``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis.cohort import TOTAL, arm_levels, has_total
from helpers.study import Study

#: Overview rows: label -> predicate on ADAE rows.
OVERVIEW = {
    "Any TEAE": lambda ae: pd.Series(True, index=ae.index),
    "TEAE grade 3 or higher": lambda ae: ae["AETOXGR"] >= 3,
    "Serious TEAE": lambda ae: ae["AESER"].eq("Y"),
    "Treatment-related TEAE": lambda ae: ae["AEREL"].eq("RELATED"),
    "TEAE leading to dose reduction": lambda ae: ae["AEACN"].eq("DOSE REDUCED"),
    "TEAE leading to interruption": lambda ae: ae["AEACN"].eq("DRUG INTERRUPTED"),
    "TEAE leading to withdrawal": lambda ae: ae["AEACN"].eq("DRUG WITHDRAWN"),
    "Fatal TEAE (grade 5)": lambda ae: ae["AETOXGR"] == 5,
}
#: Overview rows that are actions on the study drug: not applicable to an arm without it.
DRUG_ACTIONS = ("TEAE leading to dose reduction", "TEAE leading to interruption", "TEAE leading to withdrawal")


def _safety_groups(adsl: pd.DataFrame, study: Study, arm_col: str) -> list[tuple[str, pd.Index]]:
    saf = adsl[adsl["SAFFL"].eq("Y")]
    groups = [(arm, pd.Index(saf.loc[saf[arm_col] == arm, "USUBJID"])) for arm in arm_levels(adsl, study, arm_col)]
    return groups + ([(TOTAL, pd.Index(saf["USUBJID"]))] if has_total(study) else [])


def _treated(study: Study, group: str) -> bool:
    """Whether a column's patients receive the study drug (Total: whether any arm does)."""
    return any(a.treated for a in study.arms) if group == TOTAL else study.arm(group).treated


def _teae(adae: pd.DataFrame) -> pd.DataFrame:
    return adae[adae["TRTEMFL"].eq("Y")]


def teae_overview(adae: pd.DataFrame, adsl: pd.DataFrame, study: Study, *, arm_col: str = "ACTARM") -> pd.DataFrame:
    """Patients with at least one TEAE of each kind: ``category, group, applicable, n_patients,
    denominator, percent, n_events`` (one row per category and group, Total last).

    ``applicable`` is False for a dose action (:data:`DRUG_ACTIONS`) in an arm without the study
    drug; its counts are then NaN, never 0. A dose action that applies to no group (no arm
    receives the drug, or the open report's pooled study) is left out.
    """
    ae = _teae(adae)
    groups = _safety_groups(adsl, study, arm_col)
    rows = []
    for label, predicate in OVERVIEW.items():
        if label in DRUG_ACTIONS and not any(_treated(study, group) for group, _ in groups):
            continue
        hit = ae[predicate(ae)]
        for group, ids in groups:
            applicable = label not in DRUG_ACTIONS or _treated(study, group)
            h = hit[hit["USUBJID"].isin(ids)]
            n = int(h["USUBJID"].nunique())
            rows.append(
                {
                    "category": label,
                    "group": group,
                    "applicable": applicable,
                    "n_patients": n if applicable else np.nan,
                    "denominator": len(ids),
                    "proportion": n / len(ids) if len(ids) and applicable else np.nan,
                    "n_events": int(len(h)) if applicable else np.nan,
                }
            )
    return pd.DataFrame(rows)


def teae_by_term(
    adae: pd.DataFrame, adsl: pd.DataFrame, study: Study, *, arm_col: str = "ACTARM", min_percent: float = 0.0
) -> pd.DataFrame:
    """Patients with each preferred term, any grade and grade >= 3, by arm.

    Columns: ``soc, term, group, n_any, proportion_any, n_grade3plus, proportion_grade3plus,
    denominator``. A (SOC, term) pair is kept when any arm reaches ``min_percent`` (0-100) at any
    grade; pairs are sorted by descending total frequency, then SOC and term (as pharmaverse's
    ``sort_at_path``).
    """
    ae = _teae(adae)
    groups = _safety_groups(adsl, study, arm_col)
    # which events belong to each group, found once (not once per term), by row position
    member = {group: ae["USUBJID"].isin(ids).to_numpy() for group, ids in groups}
    ae = ae.assign(_row=np.arange(len(ae)))
    rows = []
    for (soc, term), d in ae.groupby(["AEBODSYS", "AEDECOD"], sort=True):
        for group, ids in groups:
            g = d[member[group][d["_row"].to_numpy()]]
            n_any = int(g["USUBJID"].nunique())
            n_g3 = int(g.loc[g["AETOXGR"] >= 3, "USUBJID"].nunique())
            denom = len(ids)
            rows.append(
                {
                    "soc": soc,
                    "term": term,
                    "group": group,
                    "n_any": n_any,
                    "proportion_any": n_any / denom if denom else np.nan,
                    "n_grade3plus": n_g3,
                    "proportion_grade3plus": n_g3 / denom if denom else np.nan,
                    "denominator": denom,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "soc",
            "term",
            "group",
            "n_any",
            "proportion_any",
            "n_grade3plus",
            "proportion_grade3plus",
            "denominator",
        ],
    )
    if out.empty:
        return out
    key = ["soc", "term"]
    best_arm = out[out["group"] != TOTAL].groupby(key)["proportion_any"].max() * 100
    keep = best_arm[best_arm >= min_percent].index
    every = TOTAL if has_total(study) else study.arms[0].label  # the one arm of a pooled study is the total
    total = out[out["group"] == every].set_index(key)["n_any"].loc[keep].rename("total").reset_index()
    order = total.sort_values(["total", "soc", "term"], ascending=[False, True, True])
    rank = {(s, t): i for i, (s, t) in enumerate(zip(order["soc"], order["term"]))}
    group_rank = {g: i for i, (g, _) in enumerate(_safety_groups(adsl, study, arm_col))}
    kept = out[[(s, t) in rank for s, t in zip(out["soc"], out["term"])]]
    sort_key = pd.DataFrame(
        {
            "pair": [rank[(s, t)] for s, t in zip(kept["soc"], kept["term"])],
            "group": kept["group"].map(group_rank).to_numpy(),
        },
        index=kept.index,
    )
    return kept.loc[sort_key.sort_values(["pair", "group"]).index].reset_index(drop=True)


def worst_grade_by_term(
    adae: pd.DataFrame, adsl: pd.DataFrame, study: Study, terms: list[str] | None = None, *, arm_col: str = "ACTARM"
) -> pd.DataFrame:
    """Patients by worst CTCAE grade (1-5) for each term: ``term, group, grade, n_patients, denominator, percent``.

    ``terms`` default to the study's terms of special interest (none when it defines none).
    """
    if terms is None:
        special = study.safety.special_interest if study.safety is not None else None
        terms = list(special.terms) if special is not None else []
    ae = _teae(adae)
    ae = ae[ae["AEDECOD"].isin(terms)]
    worst = ae.groupby(["AEDECOD", "USUBJID"])["AETOXGR"].max().rename("grade").reset_index()
    rows = []
    for term in terms:
        w = worst[worst["AEDECOD"] == term]
        for group, ids in _safety_groups(adsl, study, arm_col):
            wg = w[w["USUBJID"].isin(ids)]
            for grade in range(1, 6):
                n = int((wg["grade"] == grade).sum())
                rows.append(
                    {
                        "term": term,
                        "group": group,
                        "grade": grade,
                        "n_patients": n,
                        "denominator": len(ids),
                        "proportion": n / len(ids) if len(ids) else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def exposure_summary(adex: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """Study-drug exposure per treated patient: ``USUBJID, duration_days, cumulative_dose_mg,
    mean_daily_dose_mg, n_interruptions, n_reductions``.

    Duration counts calendar days from first to last dose; periods at dose 0 are interruptions
    and are excluded from the mean daily dose's denominator only through the dose itself
    (mean daily dose = cumulative dose / duration, the relative dose intensity convention).
    """
    ex = adex.sort_values(["USUBJID", "ASTDT"])
    days = (ex["AENDT"] - ex["ASTDT"]).dt.days + 1
    ex = ex.assign(_days=days, _dose=ex["EXDOSE"] * days)
    g = ex.groupby("USUBJID", sort=True)
    first, last = g["ASTDT"].min(), g["AENDT"].max()
    duration = (last - first).dt.days + 1
    cumulative = g["_dose"].sum()
    interruptions = ex["EXADJ"].eq("DRUG INTERRUPTED").groupby(ex["USUBJID"], sort=True).sum()
    reductions = ex["EXADJ"].eq("DOSE REDUCED").groupby(ex["USUBJID"], sort=True).sum()
    out = pd.DataFrame(
        {
            "duration_days": duration,
            "cumulative_dose_mg": cumulative,
            "mean_daily_dose_mg": cumulative / duration,
            "n_interruptions": interruptions,
            "n_reductions": reductions,
        }
    ).reset_index()
    return out[out["USUBJID"].isin(adsl["USUBJID"])].reset_index(drop=True)


def exposure_by_arm(
    exposure: pd.DataFrame, adsl: pd.DataFrame, study: Study, *, arm_col: str = "ACTARM"
) -> pd.DataFrame:
    """:func:`exposure_overview` for each arm that receives the study drug (display order), one
    row each with ``group`` (the arm) first; patients are placed by ``arm_col`` of ``adsl``."""
    arm_of = adsl.set_index("USUBJID")[arm_col]
    rows = []
    for arm in study.arms:
        if arm.treated:
            ids = arm_of.index[arm_of == arm.label]
            rows.append({"group": arm.label, **exposure_overview(exposure[exposure["USUBJID"].isin(ids)])})
    return pd.DataFrame(rows)


def exposure_overview(exposure: pd.DataFrame) -> dict[str, float]:
    """Summary of :func:`exposure_summary` over treated patients (unrounded): number treated,
    median and quartiles of duration and of mean daily dose, proportions with an interruption
    and with a dose reduction (NaN when nobody was treated)."""
    n = len(exposure)
    out: dict[str, float] = {"n_treated": n}
    for col, name in (("duration_days", "duration_days"), ("mean_daily_dose_mg", "mean_daily_dose_mg")):
        v = exposure[col]
        out[f"median_{name}"] = float(v.median()) if n else np.nan
        out[f"q1_{name}"] = float(v.quantile(0.25)) if n else np.nan
        out[f"q3_{name}"] = float(v.quantile(0.75)) if n else np.nan
    out["n_interrupted"] = int((exposure["n_interruptions"] > 0).sum())
    out["n_reduced"] = int((exposure["n_reductions"] > 0).sum())
    out["proportion_interrupted"] = out["n_interrupted"] / n if n else np.nan
    out["proportion_reduced"] = out["n_reduced"] / n if n else np.nan
    return out
