"""Cohort description: CONSORT flow counts, baseline characteristics and the data review, tidy.

Every function takes the :class:`helpers.study.Study`: arms come in its display order (all of
them, also an arm without patients), variables with its labels and decoded levels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from helpers.study import Study

__all__ = [
    "ACCRUAL_COLUMNS",
    "FINDING_COLUMNS",
    "MISSING",
    "TOTAL",
    "accrual",
    "arm_counts",
    "arm_levels",
    "baseline_characteristics",
    "consort_flow",
    "data_completeness",
    "findings_frame",
    "has_total",
    "order_arms",
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


def monthly_accrual(adsl: pd.DataFrame, *, date_col: str = "RANDDT") -> pd.DataFrame:
    """Randomisations per calendar month, from the first randomisation's month to the last's
    (months without one included): ``month`` (its first day), ``n_randomised``, ``cum_randomised``.
    Pooled over the arms."""
    dates = pd.to_datetime(adsl[date_col]).dropna()
    if dates.empty:
        return pd.DataFrame({"month": pd.Series([], dtype="datetime64[ns]"), "n_randomised": [], "cum_randomised": []})
    months = dates.dt.to_period("M")
    span = pd.period_range(months.min(), months.max(), freq="M")
    n = months.value_counts().reindex(span, fill_value=0).sort_index()
    return pd.DataFrame(
        {
            "month": span.to_timestamp(),
            "n_randomised": n.to_numpy(dtype=int),
            "cum_randomised": n.cumsum().to_numpy(dtype=int),
        }
    )


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
