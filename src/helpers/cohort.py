"""Cohort description: CONSORT flow counts and baseline characteristics, unrounded and tidy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from . import config

TOTAL = "Total"


def order_arms(arms: Sequence[str]) -> list[str]:
    """The report's arm order: :data:`helpers.config.ARM_ORDER`, then any other arm alphabetically."""
    rank = {a: i for i, a in enumerate(config.ARM_ORDER)}
    return sorted(set(arms), key=lambda a: (rank.get(a, len(rank)), a))


def arm_levels(adsl: pd.DataFrame, arm_col: str = "ARM") -> list[str]:
    """Arms present in ``adsl`` in the report's order (:func:`order_arms`)."""
    return order_arms(adsl[arm_col].dropna().astype(str).unique())


def _reason_counts(reasons: pd.Series) -> dict[str, int]:
    counts = reasons.fillna("Reason not recorded").value_counts()
    counts = counts.sort_index().sort_values(ascending=False, kind="stable")
    return {str(k): int(v) for k, v in counts.items()}


def consort_flow(screen: pd.DataFrame, adsl: pd.DataFrame, *, population: str = "ITT",
                 arm_col: str = "ARM") -> dict[str, object]:
    """Counts for a CONSORT 2010 flow diagram.

    Assessed and excluded (with reasons) come from the screening log (``RANDFL``, ``EXCLREAS``).
    Per arm, from ADSL: allocated; received the allocated strategy (``SAFFL``); discontinued the
    intervention (``EOTSTT``, reasons ``DCTREAS``); left the study, split into deaths and other
    reasons (``EOSSTT``, ``DCSREAS``); analysed (the population flag). Reasons are sorted by
    frequency, then name.
    """
    flag = config.POPULATION_FLAGS[population.upper()]
    excluded = screen.loc[~screen["RANDFL"].eq("Y")]
    arms: dict[str, dict[str, object]] = {}
    for arm in arm_levels(adsl, arm_col):
        a = adsl[adsl[arm_col] == arm]
        stopped = a[a["EOTSTT"].eq("DISCONTINUED")]
        left = a[a["EOSSTT"].eq("DISCONTINUED")]
        died = left["DCSREAS"].eq("DEATH")
        arms[arm] = {
            "allocated": int(len(a)),
            "received": int(a["SAFFL"].eq("Y").sum()),
            "treated": int(a["TRTSDT"].notna().sum()),
            "discontinued_intervention": int(len(stopped)),
            "discontinued_reasons": _reason_counts(stopped["DCTREAS"]),
            "died": int(died.sum()),
            "left_study": int((~died).sum()),
            "left_study_reasons": _reason_counts(left.loc[~died, "DCSREAS"]),
            "analysed": int(a[flag].eq("Y").sum()),
        }
    return {
        "assessed": int(len(screen)),
        "excluded": int(len(excluded)),
        "excluded_reasons": _reason_counts(excluded["EXCLREAS"]),
        "randomised": int(len(adsl)),
        "population": population.upper(),
        "arms": arms,
    }


def baseline_characteristics(adsl: pd.DataFrame, *, categorical: Mapping[str, str],
                             continuous: Mapping[str, str], arm_col: str = "ARM") -> pd.DataFrame:
    """Baseline characteristics by arm and in total, one row per variable, level and group.

    Columns: ``variable, label, level, group, n, denominator, percent, median, q1, q3, minimum,
    maximum, n_missing``. Categorical rows have ``n`` and ``percent`` of all patients in the
    group, missing values counted in their own ``"Missing"`` level;
    continuous rows have the summary statistics. ``categorical`` and ``continuous`` map column
    names to display labels, in display order.
    """
    groups = [(arm, adsl[adsl[arm_col] == arm]) for arm in arm_levels(adsl, arm_col)] + [(TOTAL, adsl)]
    rows: list[dict[str, object]] = []
    for col, label in continuous.items():
        for g, d in groups:
            v = pd.to_numeric(d[col], errors="raise")
            known = v.dropna()
            rows.append({"variable": col, "label": label, "level": "", "group": g, "n": int(len(known)),
                         "denominator": int(len(d)), "percent": float("nan"),
                         "median": float(known.median()) if len(known) else float("nan"),
                         "q1": float(known.quantile(0.25)) if len(known) else float("nan"),
                         "q3": float(known.quantile(0.75)) if len(known) else float("nan"),
                         "minimum": float(known.min()) if len(known) else float("nan"),
                         "maximum": float(known.max()) if len(known) else float("nan"),
                         "n_missing": int(v.isna().sum())})
    for col, label in categorical.items():
        col_all = adsl[col]
        if isinstance(col_all.dtype, pd.CategoricalDtype):
            levels = [str(c) for c in col_all.cat.categories]
        else:
            levels = sorted(col_all.dropna().astype(str).unique())
        has_missing = bool(col_all.isna().any())
        for level in levels + (["Missing"] if has_missing else []):
            for g, d in groups:
                v = d[col]
                n = int(v.isna().sum()) if level == "Missing" else int((v.astype("string") == level).sum())
                rows.append({"variable": col, "label": label, "level": level, "group": g, "n": n,
                             "denominator": int(len(d)), "percent": n / len(d) if len(d) else float("nan"),
                             "median": float("nan"), "q1": float("nan"), "q3": float("nan"),
                             "minimum": float("nan"), "maximum": float("nan"),
                             "n_missing": int(v.isna().sum())})
    return pd.DataFrame(rows)




#: Reader-facing labels of the ADSL baseline variables, in display order (tables, forest plots).
VARIABLE_LABELS = {
    "AGE": "Age, years",
    "AGEGR1": "Age group",
    "SEX": "Sex",
    "DIAG": "Diagnosis",
    "DISSTAT": "Disease status at transplant",
    "CYTORISK": "Cytogenetic/molecular risk",
    "MRDPRE": "MRD before transplant",
    "DONORTYP": "Donor type",
    "CONDINT": "Conditioning intensity",
    "SITEID": "Site",
}
#: Baseline characteristics of Table 1: ADSL column -> label, in display order.
BASELINE_CONTINUOUS = {"AGE": VARIABLE_LABELS["AGE"]}
BASELINE_CATEGORICAL = {k: v for k, v in VARIABLE_LABELS.items() if k != "AGE"}


def arm_counts(adsl: pd.DataFrame, arm_col: str = "ARM") -> dict[str, int]:
    """Patients per arm, in :func:`arm_levels` order, plus the total."""
    counts = {arm: int((adsl[arm_col] == arm).sum()) for arm in arm_levels(adsl, arm_col)}
    return {**counts, TOTAL: int(len(adsl))}
