"""The trial's endpoints and the standard analysis of each, as EBMT/CIBMTR guidance sets them.

Which endpoints exist, their kind (competing or survival), causes, landmarks and arms come from
the :class:`helpers.study.Study`. Competing-risks endpoints get the cumulative incidence function,
Gray's test and the Fine-Gray model; survival endpoints Kaplan-Meier, the log-rank test and Cox.
Every comparison is one comparator arm against the study's reference arm, fitted to the patients
of those two arms (``study.comparisons``); with more than two arms the k-sample test over all
arms comes first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.stats import competing_risks as cr
from helpers.stats import survival
from helpers.study import Arm, Study, TimeAxis

__all__ = [
    "ALL_ARMS",
    "EFFECT_COLUMNS",
    "SECONDARY_COLUMNS",
    "arm_term",
    "comparison_data",
    "event_counts",
    "relapse_effects",
    "secondary_summary",
    "survival_effects",
    "time_ticks",
    "usable_covariates",
    "with_reference_arm",
]

#: ``comparison`` of a k-sample test over every arm.
ALL_ARMS = "All arms"
NOT_DELIVERED = "not delivered"


def time_ticks(durations: pd.Series | np.ndarray, time: TimeAxis) -> list[float]:
    """Tick times in days, every ``time.tick_every`` units from 0 up to the longest follow-up."""
    step = time.tick_every * time.days_per_unit
    last = float(np.nanmax(np.asarray(durations, dtype=float))) if len(durations) else 0.0
    return [round(i * step, 4) for i in range(int(last // step) + 1)]


def with_reference_arm(data: pd.DataFrame, study: Study, arm_col: str = "ARM") -> pd.DataFrame:
    """A copy whose arm column is categorical with the reference arm first, then the comparator
    arms in display order, so every model reports each comparator against the reference.
    ``ValueError`` names an arm the study does not define."""
    arms = [study.reference_arm.label, *(a.label for a in study.comparator_arms)]
    unknown = sorted(set(data[arm_col].dropna().astype(str)) - set(arms))
    if unknown:
        raise ValueError(f"{arm_col=} holds arms {unknown}; expected {arms}")
    return data.assign(**{arm_col: pd.Categorical(data[arm_col].astype(str), categories=arms)})


def comparison_data(data: pd.DataFrame, study: Study, comparator: Arm, arm_col: str = "ARM") -> pd.DataFrame:
    """The patients of ``comparator`` and of the reference arm, the arm column categorical with
    the reference first (the data of one pairwise comparison)."""
    ref = study.reference_arm
    d = with_reference_arm(data, study, arm_col)
    d = d[d[arm_col].isin([ref.label, comparator.label])]
    return d.assign(**{arm_col: pd.Categorical(d[arm_col].astype(str), categories=[ref.label, comparator.label])})


def arm_term(comparator: Arm | str, arm_col: str = "ARM") -> str:
    """The model term of a comparator arm, e.g. ``ARM[<its label>]``."""
    label = comparator.label if isinstance(comparator, Arm) else comparator
    return f"{arm_col}[{label}]"


def usable_covariates(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[list[str], list[str], pd.DataFrame]:
    """Covariates a model can estimate, the reasons for those it cannot, and the patients kept.

    A covariate missing for every patient, or with a single level among the patients with a
    value, is left out (reason ``"<VAR> is missing for every patient"`` or ``"<VAR> has a single
    level"``); patients missing a kept covariate are dropped (as R's ``na.omit``), and the check
    is repeated on the patients left. Returns ``(kept, reasons, rows)``.
    """
    kept = list(covariates)
    reasons: list[str] = []
    rows = data
    while True:
        changed = False
        for c in list(kept):
            known = rows[c].dropna()
            if known.empty:
                reasons.append(f"{c} is missing for every patient")
            elif known.astype(str).nunique() < 2:
                reasons.append(f"{c} has a single level")
            else:
                continue
            kept.remove(c)
            changed = True
        rows = data.dropna(subset=kept) if kept else data
        if not changed:
            return kept, reasons, rows


#: Columns of :func:`relapse_effects`, in order.
EFFECT_COLUMNS = [
    "key",
    "analysis",
    "comparison",
    "comparator_arm",
    "reference_arm",
    "hr",
    "conf_low",
    "conf_high",
    "statistic",
    "df",
    "p_value",
    "n_patients",
    "n_dropped",
    "left_out",
    "note",
]


def _gray_row(
    data: pd.DataFrame,
    key: str,
    analysis: str,
    comparison: str,
    comparator: str | None,
    reference: str | None,
    cause: int,
    duration_col: str,
    event_col: str,
    arm_col: str,
) -> dict[str, Any]:
    gray = cr.gray_test(data, duration_col, event_col, arm_col, causes=[cause])
    g = gray[gray["cause"] == cause].iloc[0]
    return {
        "key": key,
        "analysis": analysis,
        "comparison": comparison,
        "comparator_arm": comparator,
        "reference_arm": reference,
        "hr": np.nan,
        "conf_low": np.nan,
        "conf_high": np.nan,
        "statistic": float(g["statistic"]),
        "df": float(g["df"]),
        "p_value": float(g["p_value"]),
        "n_patients": int(len(data)),
        "n_dropped": 0,
        "left_out": "",
        "note": str(g.get("note", "") or ""),
    }


def _model_row(summary: pd.DataFrame, term: str, **fields: Any) -> dict[str, Any]:
    row = summary.set_index("term").loc[term]
    return {
        **fields,
        "hr": float(row["hr"]),
        "conf_low": float(row["conf_low"]),
        "conf_high": float(row["conf_high"]),
        "statistic": float(row["statistic"]),
        "df": 1.0,
        "p_value": float(row["p_value"]),
    }


def relapse_effects(
    data: pd.DataFrame,
    study: Study,
    *,
    arm_col: str = "ARM",
    adjust_for: Sequence[str] | None = None,
    cause: int | None = None,
    duration_col: str = "AVAL",
    event_col: str = "EVNTCD",
) -> pd.DataFrame:
    """Arm comparisons for a competing-risks endpoint, one row per analysis and comparison.

    With more than two arms the first row is Gray's k-sample test over all arms (``key``
    ``gray_all_arms``, ``comparison`` "All arms"). Then for each comparator arm against the
    reference, fitted to the patients of those two arms: Gray's test (``gray``), the Fine-Gray
    subdistribution HR unadjusted (``fine_gray``) and adjusted for ``adjust_for`` (default: the
    study's randomisation strata; ``fine_gray_adjusted``), and the cause-specific Cox HR,
    competing events censored (``cause_specific_cox``). ``cause`` defaults to the study's primary
    cause.

    The adjusted model leaves out a covariate with a single level or no value (its ``note``
    says ``"not estimable: <VAR> has a single level"``) and drops patients missing a covariate
    (``n_dropped``, and a note); with no covariate left the row is "not estimable" with the reason.
    ``left_out`` names the covariates left out (comma-separated, "" when none).

    Columns: :data:`EFFECT_COLUMNS` (``hr`` is the (s)HR of the comparator vs the reference).
    """
    cause = study.primary.cause if cause is None else cause
    adjust_for = list(study.strata if adjust_for is None else adjust_for)
    data = with_reference_arm(data, study, arm_col)
    ref = study.reference_arm.label
    rows: list[dict[str, Any]] = []
    if len(study.arms) > 2:
        rows.append(
            _gray_row(
                data,
                "gray_all_arms",
                f"Gray's test, all {len(study.arms)} arms",
                ALL_ARMS,
                None,
                None,
                cause,
                duration_col,
                event_col,
                arm_col,
            )
        )
    for comp in study.comparator_arms:
        d = comparison_data(data, study, comp, arm_col)
        term = arm_term(comp, arm_col)
        common = {
            "comparison": study.comparison_label(comp),
            "comparator_arm": comp.label,
            "reference_arm": ref,
            "n_patients": int(len(d)),
            "n_dropped": 0,
            "left_out": "",
            "note": "",
        }
        rows.append(
            _gray_row(
                d,
                "gray",
                "Gray's test",
                str(common["comparison"]),
                comp.label,
                ref,
                cause,
                duration_col,
                event_col,
                arm_col,
            )
        )
        fg = cr.fine_gray(d, duration_col, event_col, [arm_col], cause=cause)
        rows.append(_model_row(fg.summary, term, key="fine_gray", analysis="Fine-Gray subdistribution HR", **common))
        if adjust_for:
            kept, reasons, used = usable_covariates(d, adjust_for)
            notes = [f"not estimable: {r}" for r in reasons]
            n_dropped = int(len(d) - len(used))
            if n_dropped:
                notes.append(
                    f"{n_dropped} patient{'s' if n_dropped != 1 else ''} with a missing {' or '.join(kept)} left out"
                )
            fields = {
                **common,
                "key": "fine_gray_adjusted",
                "n_patients": int(len(used)),
                "n_dropped": n_dropped,
                "left_out": ", ".join(c for c in adjust_for if c not in kept),
                "note": "; ".join(notes),
            }
            if kept:
                fg_adj = cr.fine_gray(used, duration_col, event_col, [arm_col, *kept], cause=cause)
                rows.append(
                    _model_row(
                        fg_adj.summary,
                        term,
                        analysis=f"Fine-Gray subdistribution HR, adjusted for {', '.join(kept)}",
                        **fields,
                    )
                )
            else:
                rows.append(
                    {
                        **fields,
                        "analysis": f"Fine-Gray subdistribution HR, adjusted for {', '.join(adjust_for)}",
                        "hr": np.nan,
                        "conf_low": np.nan,
                        "conf_high": np.nan,
                        "statistic": np.nan,
                        "df": np.nan,
                        "p_value": np.nan,
                    }
                )
        cause_specific = d.assign(_event=(d[event_col] == cause).astype(int))
        cs = survival.cox(cause_specific, duration_col, "_event", [arm_col])
        rows.append(_model_row(cs, term, key="cause_specific_cox", analysis="Cause-specific Cox HR", **common))
    return pd.DataFrame(rows)[EFFECT_COLUMNS]


def _logrank_row(
    data: pd.DataFrame,
    key: str,
    analysis: str,
    comparison: str,
    comparator: str | None,
    reference: str | None,
    duration_col: str,
    event_col: str,
    arm_col: str,
) -> dict[str, Any]:
    test = survival.logrank_test(data, duration_col, event_col, arm_col).iloc[0]
    return {
        "key": key,
        "analysis": analysis,
        "comparison": comparison,
        "comparator_arm": comparator,
        "reference_arm": reference,
        "hr": np.nan,
        "conf_low": np.nan,
        "conf_high": np.nan,
        "statistic": float(test["statistic"]),
        "df": float(test["df"]),
        "p_value": float(test["p_value"]),
        "n_patients": int(len(data)),
        "n_dropped": 0,
        "left_out": "",
        "note": str(test.get("note", "") or ""),
    }


def survival_effects(
    data: pd.DataFrame,
    study: Study,
    *,
    arm_col: str = "ARM",
    duration_col: str = "AVAL",
    event_col: str = "EVNTCD",
) -> pd.DataFrame:
    """Arm comparisons for a survival endpoint, in the rows and columns of :func:`relapse_effects`.

    With more than two arms the first row is the k-sample log-rank test over all arms (``key``
    ``logrank_all_arms``). Then for each comparator arm against the reference, fitted to the
    patients of those two arms: the log-rank test (``logrank``, R ``survdiff``) and the Cox HR
    (``cox``, R ``coxph``, Efron ties), as :func:`secondary_summary` computes them.
    Columns: :data:`EFFECT_COLUMNS`.
    """
    data = with_reference_arm(data, study, arm_col)
    ref = study.reference_arm.label
    cols = (duration_col, event_col, arm_col)
    rows: list[dict[str, Any]] = []
    if len(study.arms) > 2:
        rows.append(
            _logrank_row(
                data, "logrank_all_arms", f"Log-rank test, all {len(study.arms)} arms", ALL_ARMS, None, None, *cols
            )
        )
    for comp in study.comparator_arms:
        d = comparison_data(data, study, comp, arm_col)
        comparison = study.comparison_label(comp)
        rows.append(_logrank_row(d, "logrank", "Log-rank test", comparison, comp.label, ref, *cols))
        summary = survival.cox(d, duration_col, event_col, [arm_col])
        rows.append(
            _model_row(
                summary,
                arm_term(comp, arm_col),
                key="cox",
                analysis="Cox HR",
                comparison=comparison,
                comparator_arm=comp.label,
                reference_arm=ref,
                n_patients=int(len(d)),
                n_dropped=0,
                left_out="",
                note="",
            )
        )
    return pd.DataFrame(rows)[EFFECT_COLUMNS]


#: Columns of :func:`secondary_summary`, in order.
SECONDARY_COLUMNS = [
    "paramcd",
    "endpoint",
    "status",
    "method",
    "group",
    "time",
    "time_label",
    "estimate",
    "conf_low",
    "conf_high",
    "test",
    "p_value",
    "p_value_all_arms",
    "comparison",
    "hr",
    "hr_conf_low",
    "hr_conf_high",
    "n_patients",
    "note",
]


def secondary_summary(
    trial: Any,
    study: Study,
    *,
    arm_col: str = "ARM",
    at_days: float | None = None,
    paramcds: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Each secondary endpoint at ``at_days`` (default the study's main landmark) by arm.

    One row per endpoint and arm (arms in display order): the estimate with its interval; on a
    comparator arm's row, the (s)HR against the reference arm (``effect``) and the two-arm
    test's ``p_value`` (both fitted to the patients of the two arms); ``p_value_all_arms`` is
    the test over every arm (repeated). Survival endpoints: Kaplan-Meier, log-rank, Cox HR;
    competing-risks endpoints: cumulative incidence of cause 1, Gray's test, Fine-Gray sHR.

    An endpoint the delivery lacks (``not trial.has_endpoint``) is one row with ``status``
    "not delivered" and nothing else; one delivered for fewer patients than the population has
    says so in ``note``. Columns: :data:`SECONDARY_COLUMNS`.
    """
    at = study.time.main_landmark if at_days is None else at_days
    label = study.time.landmark_label(at) if at in study.time.landmark_days else f"{at:g} days"
    n_population = int(len(trial.adsl))
    rows: list[dict[str, Any]] = []
    nan = np.nan
    for code in study.secondary if paramcds is None else paramcds:
        e = study.endpoint(code)
        base = {"paramcd": code, "endpoint": e.label, "time": float(at), "time_label": label}
        if not trial.has_endpoint(code):
            rows.append({**base, "status": NOT_DELIVERED, "note": f"{code} not delivered"})
            continue
        data = with_reference_arm(trial.endpoint(code), study, arm_col)
        n = int(len(data))
        note = f"delivered for {n} of {n_population} patients" if n < n_population else ""
        if e.kind == "survival":
            est = survival.kaplan_meier(data, "AVAL", "EVNTCD", arm_col, times=[at])
            p_all = float(survival.logrank_test(data, "AVAL", "EVNTCD", arm_col)["p_value"].iloc[0])
            method, test = "Kaplan-Meier; Cox HR", "Log-rank"
        else:
            est = cr.cumulative_incidence(data, "AVAL", "EVNTCD", arm_col, times=[at])
            est = est[est["cause"] == 1]
            gray = cr.gray_test(data, "AVAL", "EVNTCD", arm_col)
            p_all = float(gray.loc[gray["cause"] == 1, "p_value"].iloc[0])
            method, test = "Cumulative incidence; Fine-Gray sHR", "Gray"
        effects: dict[str, dict[str, Any]] = {}
        for comp in study.comparator_arms:
            d = comparison_data(data, study, comp, arm_col)
            if e.kind == "survival":
                p = float(survival.logrank_test(d, "AVAL", "EVNTCD", arm_col)["p_value"].iloc[0])
                eff = survival.cox(d, "AVAL", "EVNTCD", [arm_col]).set_index("term").loc[arm_term(comp, arm_col)]
            else:
                g = cr.gray_test(d, "AVAL", "EVNTCD", arm_col)
                p = float(g.loc[g["cause"] == 1, "p_value"].iloc[0])
                eff = (
                    cr.fine_gray(d, "AVAL", "EVNTCD", [arm_col], cause=1)
                    .summary.set_index("term")
                    .loc[arm_term(comp, arm_col)]
                )
            effects[comp.label] = {
                "p_value": p,
                "comparison": study.comparison_label(comp),
                "hr": float(eff["hr"]),
                "hr_conf_low": float(eff["conf_low"]),
                "hr_conf_high": float(eff["conf_high"]),
            }
        by_group = {str(r.group): r for r in est.itertuples()}
        for arm in study.arms:
            r = by_group.get(arm.label)
            rows.append(
                {
                    **base,
                    "status": "delivered",
                    "method": method,
                    "group": arm.label,
                    "estimate": nan if r is None else float(r.estimate),
                    "conf_low": nan if r is None else float(r.conf_low),
                    "conf_high": nan if r is None else float(r.conf_high),
                    "test": test,
                    "p_value_all_arms": p_all,
                    "n_patients": n,
                    "note": note,
                    **effects.get(
                        arm.label,
                        {"p_value": nan, "comparison": None, "hr": nan, "hr_conf_low": nan, "hr_conf_high": nan},
                    ),
                }
            )
    return pd.DataFrame(rows, columns=SECONDARY_COLUMNS)


def subgroup_data(data: pd.DataFrame, study: Study) -> pd.DataFrame:
    """A copy of ``data`` whose subgroup columns (``study.subgroups``) hold the levels a reader
    sees, as ordered categoricals: a continuous variable cut at its ``breaks`` (level 1 below
    the first break, ..., labelled ``level_labels`` or ``"< b"``/``">= b"``), a coded one decoded
    (a code to its label) in the study's level order (codes the study does not list
    follow, as they are). Missing values stay missing; unused levels are dropped.
    """
    out = data.copy()
    for sg in study.subgroups:
        col = sg.variable
        if col not in out.columns:
            raise ValueError(
                f"subgroup variable {col!r} is not a column of the data; expected one of {list(out.columns)}"
            )
        values = out[col]
        if sg.breaks:
            labels = list(sg.level_labels or _break_labels(sg.breaks))
            cut = pd.cut(
                pd.to_numeric(values, errors="raise"), bins=[-np.inf, *sg.breaks, np.inf], labels=labels, right=False
            )
            out[col] = cut.cat.remove_unused_categories()
            continue
        var = study.variable(col)
        codes = values.astype("string")
        present = sorted(codes.dropna().unique())
        levels = dict(var.levels or {})
        order = [*levels.values(), *(c for c in present if c not in levels)]
        mapped = codes.map(levels)  # vectorised: a code the study does not list stays as it is
        decoded = mapped.where(mapped.notna(), codes)
        out[col] = pd.Categorical(decoded, categories=order).remove_unused_categories()
    return out


def _break_labels(breaks: Sequence[float]) -> list[str]:
    labels = [f"< {breaks[0]:g}"]
    labels += [f"{a:g} to < {b:g}" for a, b in zip(breaks, breaks[1:])]
    return [*labels, f"\u2265 {breaks[-1]:g}"]


def event_counts(adsl: pd.DataFrame, adtte: pd.DataFrame, study: Study, *, arm_col: str = "ARM") -> pd.DataFrame:
    """Events of every endpoint by arm and in total (Total only with more than one arm: the open
    report's pooled study has one arm for every patient), the primary endpoint first, then the
    secondary ones and the others in the study's order; an endpoint the delivery lacks is left out.

    Columns: ``paramcd, endpoint, group, n_patients`` (with a record), ``n_event`` (EVNTCD 1),
    ``n_competing`` (EVNTCD 2; NaN for a survival endpoint), ``n_censored`` (EVNTCD 0),
    ``event``, ``competing_event`` (the cause labels; empty for a survival endpoint).
    """
    from helpers.analysis.cohort import TOTAL, arm_levels, has_total

    order = list(dict.fromkeys([study.primary.endpoint, *study.secondary, *(e.paramcd for e in study.endpoints)]))
    arms = adsl.set_index("USUBJID")[arm_col]
    groups = [(a, arms.index[arms == a]) for a in arm_levels(adsl, study, arm_col)]
    groups += [(TOTAL, arms.index)] if has_total(study) else []
    rows = []
    for paramcd in order:
        e = study.endpoint(paramcd)
        tte = adtte[adtte["PARAMCD"] == paramcd]
        if tte.empty:
            continue
        competing = e.kind == "competing"
        for group, ids in groups:
            d = tte[tte["USUBJID"].isin(ids)]
            code = pd.to_numeric(d["EVNTCD"])
            rows.append(
                {
                    "paramcd": paramcd,
                    "endpoint": e.label,
                    "group": group,
                    "n_patients": int(len(d)),
                    "n_event": int((code == 1).sum()),
                    "n_competing": int((code == 2).sum()) if competing else np.nan,
                    "n_censored": int((code == 0).sum()),
                    "event": e.cause_label(1),
                    "competing_event": e.causes[2] if competing else "",
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "paramcd",
            "endpoint",
            "group",
            "n_patients",
            "n_event",
            "n_competing",
            "n_censored",
            "event",
            "competing_event",
        ],
    )
