"""Cohort description: CONSORT flow counts, baseline characteristics and the data review, tidy.

Every function takes the :class:`helpers.study.Study`: arms come in its display order (all of
them, also an arm without patients), variables with its labels and decoded levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.stats import balance
from helpers.study import Study

__all__ = [
    "ACCRUAL_COLUMNS",
    "FINDING_COLUMNS",
    "MISSING",
    "SMD_COLUMNS",
    "TOTAL",
    "accrual",
    "accrual_by_month",
    "accrual_by_site",
    "arm_counts",
    "arm_levels",
    "baseline_characteristics",
    "consort_flow",
    "data_completeness",
    "findings_frame",
    "has_total",
    "order_arms",
    "standardised_differences",
]

TOTAL = "Total"
#: The level under which missing values of a categorical variable are counted.
MISSING = "Missing"
_NO_REASON = "Reason not recorded"


def order_arms(arms: Iterable[str], order: Sequence[str]) -> list[str]:
    """``arms`` in display ``order`` (e.g. ``study.arm_labels``), then any other alphabetically."""
    rank = {a: i for i, a in enumerate(order)}
    return sorted(set(arms), key=lambda a: (rank.get(a, len(rank)), a))


def arm_levels(adsl: pd.DataFrame, study: Study, arm_col: str = "ARM") -> list[str]:
    """Every arm of the study in display order, whether or not it has patients in ``adsl``.

    Raises ``ValueError`` naming an arm of ``adsl`` that the study does not define.
    """
    unknown = sorted(set(adsl[arm_col].dropna().astype(str)) - set(study.arm_labels))
    if unknown:
        raise ValueError(
            f"{arm_col=} holds arms {unknown} that the study does not define; expected {list(study.arm_labels)}"
        )
    return list(study.arm_labels)


def has_total(study: Study) -> bool:
    """Whether a table by arm adds a Total: when the study has more than one arm (the open
    report's pooled study, :meth:`helpers.study.Study.pooled`, has one, which is the total)."""
    return len(study.arms) > 1


def arm_counts(adsl: pd.DataFrame, study: Study, arm_col: str = "ARM") -> dict[str, int]:
    """Patients per arm, in display order, plus the total (:func:`has_total`)."""
    counts = {arm: int((adsl[arm_col] == arm).sum()) for arm in arm_levels(adsl, study, arm_col)}
    return {**counts, TOTAL: int(len(adsl))} if has_total(study) else counts


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    counts = reasons.fillna(_NO_REASON).value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in counts.items()}


def consort_flow(
    screen: pd.DataFrame | None,
    adsl: pd.DataFrame,
    study: Study,
    *,
    population: str | None = "",
    arm_col: str = "ARM",
) -> dict[str, Any]:
    """Counts for a CONSORT 2010 flow diagram with one column per arm of the study.

    ``adsl`` must hold every randomised patient (no population selected): a patient outside the
    analysis population is counted as randomised and as "not analysed". Assessed and excluded
    (with reasons) come from the screening log (``RANDFL``, ``EXCLREAS``); without one
    (``screen=None``, not delivered) they are ``None`` and ``screening_delivered`` is False.
    Per arm, from ADSL: allocated; received the allocated strategy (the flag of the study's
    ``safety_population``, when it defines one); for an arm given the study drug (``Arm.treated``),
    discontinued the drug (``EOTSTT``, reasons ``DCTREAS``), ``None`` for other arms; left the
    study, split into deaths and other reasons (``EOSSTT``, ``DCSREAS``); analysed (the
    population's flag, by default the study's ``default_population``; every patient when
    ``population`` is None). Reasons are sorted by
    frequency, then name.
    """
    flag = None if population is None else study.population_flag(population or study.default_population)
    saf_flag = study.population_flag(study.safety_population) if study.safety_population else None
    arms: dict[str, dict[str, Any]] = {}
    for label in arm_levels(adsl, study, arm_col):
        arm = study.arm(label)
        a = adsl[adsl[arm_col] == label]
        left = a[a["EOSSTT"].eq("DISCONTINUED")]
        died = left["DCSREAS"].eq("DEATH")
        analysed = int(len(a)) if flag is None else int(a[flag].eq("Y").sum())
        stopped = a[a["EOTSTT"].eq("DISCONTINUED")] if arm.treated else None
        arms[label] = {
            "code": arm.code,
            "treated": arm.treated,
            "allocated": int(len(a)),
            "received": None if saf_flag is None else int(a[saf_flag].eq("Y").sum()),
            "discontinued_intervention": None if stopped is None else int(len(stopped)),
            "discontinued_reasons": None if stopped is None else _reason_counts(stopped["DCTREAS"]),
            "died": int(died.sum()),
            "left_study": int((~died).sum()),
            "left_study_reasons": _reason_counts(left.loc[~died, "DCSREAS"]),
            "analysed": analysed,
            "not_analysed": int(len(a)) - analysed,
        }
    excluded = None if screen is None else screen.loc[~screen["RANDFL"].eq("Y")]
    return {
        "screening_delivered": screen is not None,
        "assessed": None if screen is None else int(len(screen)),
        "excluded": None if excluded is None else int(len(excluded)),
        "excluded_reasons": None if excluded is None else _reason_counts(excluded["EXCLREAS"]),
        "randomised": int(len(adsl)),
        "population": population.upper() if population else None,
        "arms": arms,
    }


def _categorical_levels(values: pd.Series, levels: dict[str, str] | None) -> list[tuple[str, str]]:
    """``(code, label)`` of a categorical variable: the study's levels in its order, then codes
    found in the data that it does not list (sorted, shown as they are)."""
    present = sorted(values.dropna().astype(str).unique())
    if levels is None:
        return [(c, c) for c in present]
    return [*levels.items(), *((c, c) for c in present if c not in levels)]


def baseline_characteristics(
    adsl: pd.DataFrame, study: Study, *, variables: Sequence[str] | None = None, arm_col: str = "ARM"
) -> pd.DataFrame:
    """Baseline characteristics by arm and in total (:func:`has_total`), one row per variable,
    level and group.

    ``variables`` (default ``study.baseline``) are summarised in their order with the study's
    labels: continuous variables by median, quartiles and range of the known values; categorical
    ones by ``n`` and ``percent`` (0-1) of all patients of the group, in the study's level order
    with decoded labels (``level``; ``code`` is the value in the data), missing values counted
    in their own ``"Missing"`` level after the others.

    Columns: ``variable, label, level, code, group, n, denominator, percent, median, q1, q3,
    minimum, maximum, n_missing``.
    """
    names = list(study.baseline if variables is None else variables)
    groups = [(arm, adsl[adsl[arm_col] == arm]) for arm in arm_levels(adsl, study, arm_col)]
    groups += [(TOTAL, adsl)] if has_total(study) else []
    nan = float("nan")
    rows: list[dict[str, object]] = []
    for name in names:
        var = study.variable(name)
        if var.kind == "date":
            raise ValueError(f"variables holds {name!r}, a date; expected continuous or categorical variables")
        if var.kind == "continuous":
            for g, d in groups:
                v = pd.to_numeric(d[name], errors="raise")
                known = v.dropna()
                stats = (
                    {
                        "median": float(known.median()),
                        "q1": float(known.quantile(0.25)),
                        "q3": float(known.quantile(0.75)),
                        "minimum": float(known.min()),
                        "maximum": float(known.max()),
                    }
                    if len(known)
                    else {"median": nan, "q1": nan, "q3": nan, "minimum": nan, "maximum": nan}
                )
                rows.append(
                    {
                        "variable": name,
                        "label": var.label,
                        "level": "",
                        "code": "",
                        "group": g,
                        "n": int(len(known)),
                        "denominator": int(len(d)),
                        "proportion": nan,
                        **stats,
                        "n_missing": int(v.isna().sum()),
                    }
                )
            continue
        levels = _categorical_levels(adsl[name], var.levels)
        if adsl[name].isna().any():
            levels.append((None, MISSING))  # type: ignore[arg-type]
        for code, label in levels:
            for g, d in groups:
                v = d[name]
                n = int(v.isna().sum()) if code is None else int((v.astype("string") == code).sum())
                rows.append(
                    {
                        "variable": name,
                        "label": var.label,
                        "level": label,
                        "code": code,
                        "group": g,
                        "n": n,
                        "denominator": int(len(d)),
                        "proportion": n / len(d) if len(d) else nan,
                        "median": nan,
                        "q1": nan,
                        "q3": nan,
                        "minimum": nan,
                        "maximum": nan,
                        "n_missing": int(v.isna().sum()),
                    }
                )
    return pd.DataFrame(rows)


#: Columns of :func:`standardised_differences`, in order.
SMD_COLUMNS = [
    "variable",
    "label",
    "comparison",
    "comparator_arm",
    "reference_arm",
    "method",
    "n_levels",
    "n_comparator",
    "n_reference",
    "smd",
    "note",
]


def standardised_differences(
    adsl: pd.DataFrame, study: Study, *, variables: Sequence[str] | None = None, arm_col: str = "ARM"
) -> pd.DataFrame:
    """The absolute standardised difference of each baseline variable, each comparator arm
    against the reference arm (:mod:`helpers.stats.balance`), as Table 1 shows it beside the
    counts instead of p-values.

    ``variables`` (default ``study.baseline``) in their order. Continuous variables: difference of
    means over the pooled standard deviation; categorical ones with two levels: difference of
    proportions over the pooled standard deviation; with more levels the multivariate
    (Mahalanobis) form of Yang and Dalton (2012). Missing values are left out (``n_comparator``,
    ``n_reference`` count the known values); a group without a known value gives NaN with a note.

    Columns: :data:`SMD_COLUMNS`; ``method`` is ``"continuous"``, ``"binary"`` or
    ``"multinomial"``, ``n_levels`` the levels either arm holds (0 for continuous variables).
    """
    names = list(study.baseline if variables is None else variables)
    arm_levels(adsl, study, arm_col)
    reference = study.reference_arm
    ref_rows = adsl[adsl[arm_col] == reference.label]
    rows: list[dict[str, object]] = []
    for name in names:
        var = study.variable(name)
        if var.kind == "date":
            raise ValueError(f"variables holds {name!r}, a date; expected continuous or categorical variables")
        for comp in study.comparator_arms:
            comp_rows = adsl[adsl[arm_col] == comp.label]
            a, b = comp_rows[name].dropna(), ref_rows[name].dropna()
            if var.kind == "continuous":
                smd = balance.standardised_difference(a, b, "continuous")
                method, n_levels = "continuous", 0
            else:
                levels = list(var.levels or {})
                smd = balance.standardised_difference(a, b, "categorical", levels=levels)
                n_levels = int(pd.concat([a, b]).astype(str).nunique())
                method = "binary" if n_levels <= 2 else "multinomial"
            empty = [arm.label for arm, d in ((comp, a), (reference, b)) if d.empty]
            rows.append(
                {
                    "variable": name,
                    "label": var.label,
                    "comparison": study.comparison_label(comp),
                    "comparator_arm": comp.label,
                    "reference_arm": reference.label,
                    "method": method,
                    "n_levels": n_levels,
                    "n_comparator": int(len(a)),
                    "n_reference": int(len(b)),
                    "smd": smd,
                    "note": f"not estimable: no known value in {', '.join(empty)}" if empty else "",
                }
            )
    return pd.DataFrame(rows, columns=SMD_COLUMNS)


#: Columns of :func:`findings_frame`, in order.
FINDING_COLUMNS = ["severity", "rule", "table", "file", "column", "n_rows", "first_ids"]


def findings_frame(findings: Iterable[Any]) -> pd.DataFrame:
    """The data review as a tidy frame: one row per finding of the contract (``Trial.findings``).

    Each record needs ``severity, table, file, column, rule, n_rows, ids`` (attributes or keys);
    ``first_ids`` joins the patients the contract lists (its first few) with ", ".
    """

    def get(rec: Any, key: str) -> Any:
        return rec.get(key) if isinstance(rec, dict) else getattr(rec, key, None)

    rows = []
    for rec in findings:
        ids = get(rec, "ids") or ()
        n_rows = get(rec, "n_rows")
        rows.append(
            {
                "severity": get(rec, "severity"),
                "rule": get(rec, "rule"),
                "table": get(rec, "table"),
                "file": get(rec, "file"),
                "column": get(rec, "column"),
                "n_rows": np.nan if n_rows is None else int(n_rows),
                "first_ids": ", ".join(str(i) for i in ids),
            }
        )
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


#: Days in an average calendar month (365.25 / 12): the design's accrual period is in months.
DAYS_PER_MONTH = 365.25 / 12


def accrual_by_month(adsl: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Randomisations per calendar month (``RANDDT``), cumulated, against the planned rate.

    One row per month from the month of the first randomisation to that of the last (months
    without a randomisation included): ``month`` (``"2021-01"``), ``month_end`` (its last day,
    or the last randomisation in the last month), ``months_since_start`` (from the first
    randomisation to ``month_end``, in months of 365.25 / 12 days), ``n_randomised``,
    ``cum_randomised``, ``cum_planned`` (the design's ``n_patients`` spread evenly over its
    ``accrual_months`` from the first randomisation, capped at ``n_patients``; NaN without a
    design) and ``proportion_of_planned``.
    """
    dates = pd.to_datetime(adsl["RANDDT"]).dropna()
    columns = [
        "month",
        "month_end",
        "months_since_start",
        "n_randomised",
        "cum_randomised",
        "cum_planned",
        "proportion_of_planned",
    ]
    if dates.empty:
        return pd.DataFrame(columns=columns)
    first, last = dates.min(), dates.max()
    months = pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")
    counts = dates.dt.to_period("M").value_counts().reindex(months, fill_value=0)
    ends = [min(m.end_time.normalize(), last) for m in months]
    since = np.array([(e - first).days for e in ends], dtype=float) / DAYS_PER_MONTH
    design = study.design
    if design is None:
        planned = np.full(len(months), np.nan)
    else:
        planned = np.minimum(design.n_patients, design.n_patients / design.accrual_months * since)
    cum = counts.cumsum().to_numpy()
    return pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "month_end": ends,
            "months_since_start": since,
            "n_randomised": counts.to_numpy().astype(int),
            "cum_randomised": cum.astype(int),
            "cum_planned": planned,
            "proportion_of_planned": np.where(planned > 0, cum / np.where(planned > 0, planned, 1), np.nan),
        },
        columns=columns,
    )


def accrual_by_site(
    adsl: pd.DataFrame, study: Study, *, arm_col: str = "ARM", site_col: str = "SITEID"
) -> pd.DataFrame:
    """Randomised patients per site and arm: ``site, group, n, denominator, proportion`` (the
    proportion of the group's patients), arms in display order then Total; sites by descending
    total, then by identifier."""
    groups = [*arm_levels(adsl, study, arm_col), TOTAL]
    sites = adsl[site_col].astype(str)
    totals = sites.value_counts()
    order = sorted(totals.index, key=lambda s: (-int(totals[s]), s))
    rows = []
    for site in order:
        for g in groups:
            in_group = adsl[arm_col].eq(g) if g != TOTAL else pd.Series(True, index=adsl.index)
            n, denominator = int((in_group & sites.eq(site)).sum()), int(in_group.sum())
            rows.append(
                {
                    "site": site,
                    "group": g,
                    "n": n,
                    "denominator": denominator,
                    "proportion": n / denominator if denominator else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["site", "group", "n", "denominator", "proportion"])


#: Columns of :func:`accrual`, in order.
ACCRUAL_COLUMNS = ["group", "date", "n_randomised", "cum_randomised", "denominator"]


def accrual(adsl: pd.DataFrame, study: Study, *, by_arm: bool = True, arm_col: str = "ARM") -> pd.DataFrame:
    """Randomisations over calendar time: one row per group and randomisation date (``RANDDT``).

    ``n_randomised`` counts the patients randomised that day, ``cum_randomised`` those randomised
    up to and including it, ``denominator`` the group's patients. Groups: every arm of the study in
    display order (an arm without patients has no rows), then ``"Total"``; ``by_arm=False`` gives
    ``"Total"`` only (pooled, blind to arm). Columns: :data:`ACCRUAL_COLUMNS`.
    """
    groups = [(arm, adsl[adsl[arm_col] == arm]) for arm in arm_levels(adsl, study, arm_col)] if by_arm else []
    groups.append((TOTAL, adsl))
    parts = []
    for group, d in groups:
        daily = d["RANDDT"].dropna().value_counts().sort_index()
        parts.append(
            pd.DataFrame(
                {
                    "group": group,
                    "date": daily.index.to_numpy(),
                    "n_randomised": daily.to_numpy(dtype=int),
                    "cum_randomised": daily.cumsum().to_numpy(dtype=int),
                    "denominator": int(len(d)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[ACCRUAL_COLUMNS]


def data_completeness(adsl: pd.DataFrame, adtte: pd.DataFrame, study: Study) -> pd.DataFrame:
    """How complete the data are, pooled over the arms: for each baseline variable and
    randomisation stratum of the study (in its variable order) the patients with a value, and for
    each endpoint the patients with an ADTTE record.

    Columns: ``kind`` (``"variable"`` or ``"endpoint"``), ``item`` (the variable's name or the
    PARAMCD), ``label``, ``n_patients`` (ADSL's), ``n_known``, ``n_missing``, ``proportion`` (0-1 of
    ``n_patients``).
    """
    wanted = set(study.baseline) | set(study.strata)
    n = int(len(adsl))
    rows = []
    for v in study.variables:
        if v.name in wanted and v.name in adsl.columns:
            known = int(adsl[v.name].notna().sum())
            rows.append(("variable", v.name, v.label, n, known))
    for e in study.endpoints:
        has = adtte.loc[adtte["PARAMCD"] == e.paramcd, "USUBJID"]
        known = int(has[has.isin(adsl["USUBJID"])].nunique())
        rows.append(("endpoint", e.paramcd, e.label, n, known))
    out = pd.DataFrame(rows, columns=["kind", "item", "label", "n_patients", "n_known"])
    out["n_missing"] = out["n_patients"] - out["n_known"]
    out["proportion"] = out["n_known"] / out["n_patients"].where(out["n_patients"] > 0)
    return out
