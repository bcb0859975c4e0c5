"""Safety: treatment-emergent adverse events (CTCAE grades) and study-drug exposure, tidy and unrounded.

Conventions (as the FDA/pharmaverse standard AE tables): the denominator is the safety
population of each actual arm (``ACTARM``), arms in the study's display order; a patient counts
once per row, at their worst grade; only treatment-emergent events (``TRTEMFL == "Y"``) are
tabulated. Dose actions (reduction, interruption, withdrawal of the study drug) do not apply to an
arm that receives no study drug (``Arm.treated`` false): its cells are marked, never counted as 0.
The terms of special interest and the common-AE threshold come from ``study.safety``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from helpers.analysis.cohort import TOTAL, arm_levels, has_total
from helpers.stats import balance
from helpers.study import Study

NOT_DELIVERED = "not delivered"

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
#: Overview rows that need the study drug (its actions, and relatedness to it).
NEEDS_DRUG = ("Treatment-related TEAE", *DRUG_ACTIONS)


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

    ``applicable`` is False for a dose action or relatedness to the study drug (:data:`NEEDS_DRUG`)
    in an arm without the study drug; its counts are then NaN, never 0. A category of
    :data:`NEEDS_DRUG` that applies to no group (no arm receives the drug, or the open report's
    pooled study) is left out.
    """
    ae = _teae(adae)
    groups = _safety_groups(adsl, study, arm_col)
    rows = []
    for label, predicate in OVERVIEW.items():
        if label in NEEDS_DRUG and not any(_treated(study, group) for group, _ in groups):
            continue
        hit = ae[predicate(ae)]
        for group, ids in groups:
            applicable = label not in NEEDS_DRUG or _treated(study, group)
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


# -- nested system organ class / preferred term tables ------------------------------------------------
#: Subsets of treatment-emergent AEs a nested table shows: name -> (title, the ADAE column the
#: subset needs, the rule on it, whether it is an action on the study drug). Fatal: CTCAE grade 5
#: (ADAE carries no outcome or death flag); leading to discontinuation: the study drug withdrawn.
AE_SUBSETS: dict[str, tuple[str, str, Any, bool]] = {
    "any": ("Any TEAE", "AETOXGR", lambda ae: pd.Series(True, index=ae.index), False),
    "grade3plus": ("TEAE of grade 3 or higher", "AETOXGR", lambda ae: ae["AETOXGR"] >= 3, False),
    "serious": ("Serious TEAE", "AESER", lambda ae: ae["AESER"].eq("Y"), False),
    "fatal": ("Fatal TEAE (grade 5)", "AETOXGR", lambda ae: ae["AETOXGR"] == 5, False),
    "discontinuation": (
        "TEAE leading to discontinuation of the study drug",
        "AEACN",
        lambda ae: ae["AEACN"].eq("DRUG WITHDRAWN"),
        True,
    ),
}
#: The nested tables of the subsets other than "any", by output ID.
SUBSET_TABLES = {
    "grade3plus": "tbl-teae-grade3",
    "serious": "tbl-teae-serious",
    "fatal": "tbl-teae-fatal",
    "discontinuation": "tbl-teae-discontinuation",
}
GRADES = (1, 2, 3, 4, 5)
#: Columns of :func:`teae_soc_term`, in order.
SOC_TERM_COLUMNS = [
    "subset",
    "row_type",
    "soc",
    "term",
    "group",
    "applicable",
    "n_patients",
    "denominator",
    "proportion",
    *(f"n_grade{g}" for g in GRADES),
    "status",
    "note",
]


def _worst(ae: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Patients by worst grade per ``keys`` and group (Total included): index ``keys + group``,
    columns the grades 1-5."""
    w = ae.groupby([*keys, "USUBJID"], sort=False).agg(grade=("AETOXGR", "max"), group=("_group", "first"))
    w = w.reset_index()
    both = pd.concat([w, w.assign(group=TOTAL)], ignore_index=True)
    counts = both.groupby([*keys, "group", "grade"], sort=False).size().unstack("grade", fill_value=0)
    return counts.reindex(columns=list(GRADES), fill_value=0)


def teae_soc_term(
    adae: pd.DataFrame,
    adsl: pd.DataFrame,
    study: Study,
    *,
    subset: str = "any",
    arm_col: str = "ACTARM",
    min_percent: float = 0.0,
) -> pd.DataFrame:
    """Treatment-emergent AEs as clinical study reports nest them: a first row of patients with
    any such event (``row_type`` ``"overall"``), then each system organ class (``"soc"``) with its
    preferred terms beneath (``"term"``), one row per arm and Total.

    A patient counts once per row, at their worst grade in that row (``n_grade1`` ...
    ``n_grade5``; ``n_patients`` is their sum). ``subset`` (:data:`AE_SUBSETS`) keeps any TEAE,
    grade 3 or higher, serious, fatal (grade 5) or leading to discontinuation of the study drug.
    Classes are sorted by descending Total frequency, then name; terms within their class the
    same way (pharmaverse's ``sort_at_path``). With ``min_percent`` (0-100) only terms that reach
    it in some arm are kept, and the classes holding them (a class row counts every term).

    Dose actions do not apply to an arm without the study drug: for ``"discontinuation"`` its
    rows have ``applicable`` False and NaN counts, never 0. When ADAE lacks the column the subset
    needs, one ``"overall"`` row per group says ``status`` "not delivered".

    Columns: :data:`SOC_TERM_COLUMNS`.
    """
    if subset not in AE_SUBSETS:
        raise ValueError(f"{subset=}; expected one of {list(AE_SUBSETS)}")
    _, column, rule, drug_action = AE_SUBSETS[subset]
    groups = _safety_groups(adsl, study, arm_col)
    nan = np.nan
    empty_grades = {f"n_grade{g}": nan for g in GRADES}
    if column not in adae.columns:
        rows = [
            {
                "subset": subset,
                "row_type": "overall",
                "soc": "",
                "term": "",
                "group": group,
                "applicable": True,
                "n_patients": nan,
                "denominator": len(ids),
                "proportion": nan,
                **empty_grades,
                "status": NOT_DELIVERED,
                "note": f"{column} not delivered",
            }
            for group, ids in groups
        ]
        return pd.DataFrame(rows, columns=SOC_TERM_COLUMNS)
    arm_of = {i: group for group, ids in groups[:-1] for i in ids}
    ae = _teae(adae)
    ae = ae[rule(ae) & ae["USUBJID"].isin(arm_of.keys())]
    ae = ae.assign(_group=ae["USUBJID"].map(arm_of))
    denominators = {group: len(ids) for group, ids in groups}
    levels = {
        "overall": _worst(ae.assign(_all=""), ["_all"]),
        "soc": _worst(ae, ["AEBODSYS"]),
        "term": _worst(ae, ["AEBODSYS", "AEDECOD"]),
    }

    def total(frame: pd.DataFrame, key: tuple) -> int:
        at = (*key, TOTAL)
        return int(frame.loc[at].sum()) if at in frame.index else 0

    def any_arm_percent(key: tuple) -> float:
        frame = levels["term"]
        best = 0.0
        for group, _ in groups[:-1]:
            at = (*key, group)
            if at in frame.index and denominators[group]:
                best = max(best, 100 * int(frame.loc[at].sum()) / denominators[group])
        return best

    terms = sorted({k[:2] for k in levels["term"].index})
    kept = [t for t in terms if min_percent <= 0 or any_arm_percent(t) >= min_percent]
    socs = sorted({t[0] for t in kept}, key=lambda s: (-total(levels["soc"], (s,)), s))
    order: list[tuple[str, str, str]] = [("overall", "", "")]
    for soc in socs:
        order.append(("soc", soc, ""))
        within = [t for t in kept if t[0] == soc]
        order += [("term", soc, term) for _, term in sorted(within, key=lambda t: (-total(levels["term"], t), t[1]))]
    rows = []
    for row_type, soc, term in order:
        frame = levels[row_type]
        key = {"overall": ("",), "soc": (soc,), "term": (soc, term)}[row_type]
        for group, _ in groups:
            applicable = not drug_action or _treated(study, group)
            at = (*key, group)
            grades = frame.loc[at] if at in frame.index else pd.Series(0, index=list(GRADES))
            n = int(grades.sum())
            d = denominators[group]
            rows.append(
                {
                    "subset": subset,
                    "row_type": row_type,
                    "soc": soc,
                    "term": term,
                    "group": group,
                    "applicable": applicable,
                    "n_patients": n if applicable else nan,
                    "denominator": d,
                    "proportion": n / d if d and applicable else nan,
                    **{f"n_grade{g}": int(grades[g]) if applicable else nan for g in GRADES},
                    "status": "delivered",
                    "note": "" if applicable else "not applicable: no study drug in this arm",
                }
            )
    return pd.DataFrame(rows, columns=SOC_TERM_COLUMNS)


#: Columns of :func:`teae_risk_differences`, in order.
RISK_DIFFERENCE_COLUMNS = [
    "soc",
    "term",
    "comparison",
    "comparator_arm",
    "reference_arm",
    "n_comparator",
    "denominator_comparator",
    "proportion_comparator",
    "n_reference",
    "denominator_reference",
    "proportion_reference",
    "risk_difference",
    "conf_low",
    "conf_high",
]


def teae_risk_differences(soc_term: pd.DataFrame, study: Study, *, conf_level: float = 0.95) -> pd.DataFrame:
    """For each preferred term of :func:`teae_soc_term` and each comparator arm, the difference
    of the proportions of patients with the term (comparator minus reference arm) with
    Newcombe's hybrid score interval (:func:`helpers.stats.balance.risk_difference`); terms in
    the table's order. Columns: :data:`RISK_DIFFERENCE_COLUMNS`."""
    terms = soc_term[soc_term["row_type"].eq("term") & soc_term["applicable"].astype(bool)]
    by = {(r.soc, r.term, r.group): r for r in terms.itertuples()}
    ref = study.reference_arm.label
    rows = []
    for soc, term in dict.fromkeys(zip(terms["soc"], terms["term"])):
        r0 = by.get((soc, term, ref))
        for comp in study.comparator_arms:
            r1 = by.get((soc, term, comp.label))
            if r0 is None or r1 is None:
                continue
            d, lo, hi = balance.risk_difference(
                int(r1.n_patients), int(r1.denominator), int(r0.n_patients), int(r0.denominator), conf_level=conf_level
            )
            rows.append(
                {
                    "soc": soc,
                    "term": term,
                    "comparison": study.comparison_label(comp),
                    "comparator_arm": comp.label,
                    "reference_arm": ref,
                    "n_comparator": int(r1.n_patients),
                    "denominator_comparator": int(r1.denominator),
                    "proportion_comparator": r1.proportion,
                    "n_reference": int(r0.n_patients),
                    "denominator_reference": int(r0.denominator),
                    "proportion_reference": r0.proportion,
                    "risk_difference": d,
                    "conf_low": lo,
                    "conf_high": hi,
                }
            )
    return pd.DataFrame(rows, columns=RISK_DIFFERENCE_COLUMNS)
