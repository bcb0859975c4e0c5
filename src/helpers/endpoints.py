"""The trial's endpoints and the standard analysis of each, as the protocol and EBMT/CIBMTR guidance set them.

Competing-risks endpoints (relapse, NRM, GVHD) get the cumulative incidence function, Gray's test
and the Fine-Gray model; the others (OS, LFS, GRFS) Kaplan-Meier, the log-rank test and Cox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import competing_risks as cr
from . import config, survival
from .cohort import VARIABLE_LABELS
from .config import EXPERIMENTAL_ARM, REFERENCE_ARM

#: Landmark times in days from randomisation (1 and 2 years of 365 days) for tables and prose.
LANDMARK_DAYS = (365.0, 730.0)
#: The landmark that the secondary-endpoint table and the summary prose quote.
MAIN_LANDMARK_DAYS = LANDMARK_DAYS[-1]


@dataclass(frozen=True)
class Endpoint:
    paramcd: str
    label: str
    kind: str  # "competing" (EVNTCD 0/1/2) or "survival" (EVNTCD 0/1)
    cause_labels: tuple[tuple[int, str], ...] = ()


ENDPOINTS = {
    e.paramcd: e
    for e in (
        Endpoint("REL", "Relapse", "competing", ((1, "Relapse"), (2, "Non-relapse mortality"))),
        Endpoint("NRM", "Non-relapse mortality", "competing", ((1, "Non-relapse mortality"), (2, "Relapse"))),
        Endpoint("AGVHD", "Acute GVHD grade II-IV", "competing", ((1, "Acute GVHD grade II-IV"), (2, "Relapse or death"))),
        Endpoint("CGVHD", "Chronic GVHD", "competing", ((1, "Chronic GVHD"), (2, "Relapse or death"))),
        Endpoint("OS", "Overall survival", "survival"),
        Endpoint("LFS", "Leukaemia-free survival", "survival"),
        Endpoint("GRFS", "GVHD-free relapse-free survival", "survival"),
    )
}
CAUSE_LABELS = {k: dict(e.cause_labels) for k, e in ENDPOINTS.items()}

#: Prespecified subgroups (ADSL variables), in display order, and their labels.
SUBGROUPS = ["AGEGR1", "SEX", "DIAG", "DISSTAT", "CYTORISK", "MRDPRE", "DONORTYP", "CONDINT"]
SUBGROUP_LABELS = {k: VARIABLE_LABELS[k] for k in SUBGROUPS}


def month_ticks(durations: pd.Series | np.ndarray, every: int = 6) -> list[float]:
    """Tick times in days, every ``every`` months from 0 up to the longest follow-up."""
    step = every * config.DAYS_PER_MONTH
    last = float(np.nanmax(np.asarray(durations, dtype=float))) if len(durations) else 0.0
    return [round(i * step, 4) for i in range(int(last // step) + 1)]


def with_reference_arm(data: pd.DataFrame, arm_col: str = "ARM") -> pd.DataFrame:
    """A copy whose arm column is categorical with the reference arm first, so every model
    reports the experimental arm against no maintenance."""
    arms = [REFERENCE_ARM, EXPERIMENTAL_ARM]
    unknown = sorted(set(data[arm_col].dropna().astype(str)) - set(arms))
    if unknown:
        raise ValueError(f"{arm_col=} holds arms {unknown}; expected {arms}")
    return data.assign(**{arm_col: pd.Categorical(data[arm_col].astype(str), categories=arms)})


def arm_term(arm_col: str = "ARM") -> str:
    """The model term of the experimental arm, e.g. ``ARM[Sorafenib maintenance]``."""
    return f"{arm_col}[{EXPERIMENTAL_ARM}]"


def _effect_row(key: str, analysis: str, summary: pd.DataFrame, term: str) -> dict[str, object]:
    row = summary.set_index("term").loc[term]
    return {"key": key, "analysis": analysis, "estimate": float(row["hr"]), "conf_low": float(row["conf_low"]),
            "conf_high": float(row["conf_high"]), "statistic": float(row["statistic"]),
            "p_value": float(row["p_value"])}


def relapse_effects(data: pd.DataFrame, *, arm_col: str = "ARM", adjust_for: Sequence[str] = (),
                    duration_col: str = "AVAL", event_col: str = "EVNTCD") -> pd.DataFrame:
    """Arm comparisons for a competing-risks endpoint, one row each: Gray's test, Fine-Gray sHR
    unadjusted and adjusted for ``adjust_for``, cause-specific Cox HR (competing events censored).

    Columns: ``key`` (``gray``, ``fine_gray``, ``fine_gray_adjusted``, ``cause_specific_cox``),
    ``analysis`` (its label), ``estimate, conf_low, conf_high, statistic, p_value``.
    """
    data = with_reference_arm(data, arm_col)
    term = arm_term(arm_col)
    gray = cr.gray_test(data, duration_col, event_col, arm_col)
    g1 = gray[gray["cause"] == 1].iloc[0]
    rows = [{"key": "gray", "analysis": "Gray's test", "estimate": np.nan, "conf_low": np.nan, "conf_high": np.nan,
             "statistic": float(g1["statistic"]), "p_value": float(g1["p_value"])}]
    fg = cr.fine_gray(data, duration_col, event_col, [arm_col], cause=1)
    rows.append(_effect_row("fine_gray", "Fine-Gray subdistribution HR", fg.summary, term))
    if adjust_for:
        fg_adj = cr.fine_gray(data, duration_col, event_col, [arm_col, *adjust_for], cause=1)
        rows.append(_effect_row("fine_gray_adjusted",
                                f"Fine-Gray subdistribution HR, adjusted for {', '.join(adjust_for)}",
                                fg_adj.summary, term))
    cause_specific = data.assign(_event=(data[event_col] == 1).astype(int))
    cs = survival.cox(cause_specific, duration_col, "_event", [arm_col])
    rows.append(_effect_row("cause_specific_cox", "Cause-specific Cox HR", cs, term))
    return pd.DataFrame(rows)


def secondary_summary(trial: object, *, arm_col: str = "ARM", at_days: float = MAIN_LANDMARK_DAYS,
                      paramcds: Sequence[str] = ("OS", "LFS", "GRFS", "NRM", "AGVHD", "CGVHD")) -> pd.DataFrame:
    """Each secondary endpoint at ``at_days`` by arm, with the test and the effect estimate.

    Columns: ``paramcd, endpoint, method, group, time, estimate, conf_low, conf_high, test,
    p_value, effect, effect_low, effect_high``. Survival endpoints: Kaplan-Meier, log-rank, Cox
    HR; competing-risks endpoints: cumulative incidence of cause 1, Gray's test, Fine-Gray sHR.
    """
    rows = []
    term = arm_term(arm_col)
    for code in paramcds:
        e = ENDPOINTS[code]
        data = with_reference_arm(trial.endpoint(code), arm_col)  # type: ignore[attr-defined]
        if e.kind == "survival":
            est = survival.kaplan_meier(data, "AVAL", "EVNTCD", arm_col, times=[at_days])
            p = float(survival.logrank_test(data, "AVAL", "EVNTCD", arm_col)["p_value"].iloc[0])
            eff = survival.cox(data, "AVAL", "EVNTCD", [arm_col]).set_index("term").loc[term]
            method, test = "Kaplan-Meier; Cox HR", "Log-rank"
        else:
            est = cr.cumulative_incidence(data, "AVAL", "EVNTCD", arm_col, times=[at_days])
            est = est[est["cause"] == 1]
            gray = cr.gray_test(data, "AVAL", "EVNTCD", arm_col)
            p = float(gray.loc[gray["cause"] == 1, "p_value"].iloc[0])
            eff = cr.fine_gray(data, "AVAL", "EVNTCD", [arm_col], cause=1).summary.set_index("term").loc[term]
            method, test = "Cumulative incidence; Fine-Gray sHR", "Gray"
        for r in est.itertuples():
            rows.append({"paramcd": code, "endpoint": e.label, "method": method, "group": str(r.group),
                         "time": float(r.time), "estimate": float(r.estimate), "conf_low": float(r.conf_low),
                         "conf_high": float(r.conf_high), "test": test, "p_value": p,
                         "effect": float(eff["hr"]), "effect_low": float(eff["conf_low"]),
                         "effect_high": float(eff["conf_high"])})
    return pd.DataFrame(rows)
