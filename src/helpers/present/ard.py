"""The Analysis Results Dataset (ARD): every number the report shows, one row each.

The layout is that of the R package ``cards`` (the ARD that pharmaverse's gtsummary builds on):
one row per statistic, keyed by its groups and its variable, with the statistic's name, label,
unrounded value, formatting function and formatted text. This module

* turns the unrounded tidy frames of :mod:`helpers.analysis` and :mod:`helpers.stats` into ARD
  rows (:func:`from_frame`, and one ``ard_<analysis>()`` per output that fixes its keys and
  formats), formatting every number once, here (:data:`FORMATS`);
* reads them back as a frame of formatted cells (:func:`wide`) from which the table functions of
  :mod:`helpers.present.tables` compose their cells, and as an :class:`Ard` in which the report's
  sentences (:mod:`helpers.present.narrative`) look numbers up;
* defines the schema (:data:`COLUMNS`) and the run's files (``ard.parquet``, ``ard.json``).

Columns (``docs/ARD.md`` says more):

=================  =======================================================================
``analysis_id``    the analysis that computed the number (``cif_landmarks``, ``baseline``)
``output_id``      the table, figure or text that shows it (``tbl-cif-landmarks``,
                   ``fig-consort``, ``txt-follow-up``)
``population``     the analysis population (a population name of the study, ``ITT``)
``groupK``,        for K = 1..4: the name of a grouping column of the analysis frame and the
``groupK_level``   group's level, as text (null when unused)
``variable``,      the analysed column (or, for a frame without one, the analysis' name) and
``variable_level`` its level, as text (null for a continuous variable or a single summary)
``context``        the kind of computation (``tabulate``, ``summary``, ``cuminc``, ``crr``,
                   ``coxph``, ``attributes`` for labels and notes)
``stat_name``      the statistic, in the vocabulary of ``docs/CONVENTIONS.md`` (``n``,
                   ``denominator``, ``proportion``, ``estimate``, ``conf_low``, ``hr``, ``p_value``)
``stat_label``     its label for people (``"n"``, ``"%"``, ``"95% CI lower"``)
``stat``           the unrounded number (null for a text statistic or a missing number)
``fmt_fun``        how it is formatted (:data:`FORMATS`: ``count``, ``percent``, ``num1``,
                   ``p``, ``text``...)
``stat_fmt``       the text the report shows (``"12.3%"``, ``"NE"``, ``"<0.001"``)
=================  =======================================================================

A row is identified by ``output_id``, the groups, the variable and ``stat_name``; a test checks
that no two rows share them and that every cell of every table is composed of ``stat_fmt`` values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from helpers.present.tables import _missing, fmt_num, fmt_p, fmt_pct
from helpers.study import TimeAxis

__all__ = [
    "ALL_RANDOMISED",
    "COLUMNS",
    "FORMATS",
    "MAX_GROUPS",
    "Ard",
    "Stat",
    "ard_accrual_by_month",
    "ard_accrual_by_site",
    "ard_at_risk",
    "at_risk_from_ard",
    "ard_baseline",
    "ard_cif_landmarks",
    "ard_consort",
    "ard_completeness",
    "ard_data_review",
    "ard_event_counts",
    "ard_exposure",
    "ard_follow_up",
    "ard_interim_boundaries",
    "ard_interim_decision",
    "ard_interim_information",
    "ard_interim_projection",
    "ard_primary_by_population",
    "ard_relapse_effects",
    "ard_secondary",
    "ard_subgroups",
    "ard_teae_grades",
    "ard_teae_overview",
    "ard_teae_soc_term",
    "ard_teae_terms",
    "check",
    "concat",
    "consort_from_ard",
    "empty",
    "from_frame",
    "from_records",
    "numbers",
    "records",
    "wide",
]

MAX_GROUPS = 4
#: The ``population`` of numbers about every randomised patient (CONSORT, data review), whatever
#: the analysis population.
ALL_RANDOMISED = "ALL"
COLUMNS = (
    "analysis_id",
    "output_id",
    "population",
    *(c for k in range(1, MAX_GROUPS + 1) for c in (f"group{k}", f"group{k}_level")),
    "variable",
    "variable_level",
    "context",
    "stat_name",
    "stat_label",
    "stat",
    "fmt_fun",
    "stat_fmt",
)
_KEY_COLUMNS = (*(c for k in range(1, MAX_GROUPS + 1) for c in (f"group{k}", f"group{k}_level")), "variable")


def _text(x: object) -> str:
    """Text statistics: missing as ``""``, booleans as ``true``/``false``."""
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return "true" if x else "false"
    return "" if x is None or (not isinstance(x, str) and _missing(x)) else str(x)


#: Formatting functions by name (``fmt_fun``): the one place a number of the ARD becomes text.
#: Missing numbers print as ``"NE"`` (not estimable) except in ``text``.
FORMATS: dict[str, Callable[[Any], str]] = {
    "count": lambda x: fmt_num(x, 0),
    "num0": lambda x: fmt_num(x, 0),
    "num1": lambda x: fmt_num(x, 1),
    "num2": lambda x: fmt_num(x, 2),
    "num3": lambda x: fmt_num(x, 3),
    "percent": fmt_pct,
    "percent0": lambda x: fmt_pct(x, 0),
    "num4": lambda x: fmt_num(x, 4),
    "p": fmt_p,
    "p4": lambda x: fmt_p(x) if _missing(x) or x >= 0.001 else f"{x:.4f}",
    "text": _text,
}


@dataclass(frozen=True)
class Stat:
    """How one column of an analysis frame becomes ARD rows: its statistic name (default: the
    column's), label and format (a key of :data:`FORMATS`)."""

    label: str
    fmt: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"Stat {self.label!r}: fmt={self.fmt!r}; expected one of {sorted(FORMATS)}")


def level_text(value: object) -> str | None:
    """A group or variable level as the ARD stores it: text, whole numbers without ``.0``,
    booleans as ``true``/``false``, missing as null."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        f = float(value)  # type: ignore[arg-type]
        return str(int(f)) if f.is_integer() else repr(f)
    return str(value)


def _number(value: object) -> float | None:
    if value is None or value is pd.NA or isinstance(value, str):
        return None
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def empty() -> pd.DataFrame:
    """An ARD without rows, with every column."""
    return _typed(pd.DataFrame({c: [] for c in COLUMNS}))


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.loc[:, list(COLUMNS)].copy()
    for c in COLUMNS:
        if c == "stat":
            df[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
        else:
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    return df.reset_index(drop=True)


def from_frame(
    frame: pd.DataFrame,
    *,
    output_id: str,
    analysis_id: str,
    population: str,
    context: str,
    by: Sequence[str] = (),
    variable: str | None = None,
    stats: Mapping[str, Stat],
    contexts: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """ARD rows of an analysis frame: for each row of ``frame`` (in order) and each column of
    ``stats`` (in order), one row.

    ``by`` names the grouping columns (``group1``, ``group2``...). ``variable`` names the column
    whose values are the ``variable_level``; when it is not a column of ``frame`` it is taken as
    the variable's name itself, with no level (a summary of the whole group). ``contexts`` gives
    a column its own context (``{"note": "attributes"}``); the others have ``context``.
    """
    if len(by) > MAX_GROUPS:
        raise ValueError(f"ARD {output_id}: {len(by)} grouping columns {list(by)}; at most {MAX_GROUPS}")
    missing = [c for c in (*by, *stats) if c not in frame.columns]
    if missing:
        raise KeyError(f"ARD {output_id}: the analysis frame has no column {missing}; it has {list(frame.columns)}")
    var_is_col = variable is not None and variable in frame.columns
    rows: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        keys: dict[str, Any] = {"analysis_id": analysis_id, "output_id": output_id, "population": population}
        for k in range(1, MAX_GROUPS + 1):
            col = by[k - 1] if k <= len(by) else None
            keys[f"group{k}"] = col
            keys[f"group{k}_level"] = level_text(rec[col]) if col is not None else None
        keys["variable"] = variable or analysis_id
        keys["variable_level"] = level_text(rec[variable]) if var_is_col else None
        for col, s in stats.items():
            value = rec[col]
            rows.append(
                {
                    **keys,
                    "context": (contexts or {}).get(col, context),
                    "stat_name": s.name or col,
                    "stat_label": s.label,
                    "stat": None if s.fmt == "text" else _number(value),
                    "fmt_fun": s.fmt,
                    "stat_fmt": FORMATS[s.fmt](value),
                }
            )
    return _typed(pd.DataFrame(rows, columns=list(COLUMNS))) if rows else empty()


def from_records(recs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """An ARD from its JSON records (``ard.json``), checked."""
    return check(_typed(pd.DataFrame(list(recs), columns=list(COLUMNS))) if recs else empty())


def check(ard: pd.DataFrame, where: str = "ARD") -> pd.DataFrame:
    """``ard`` if it has the schema's columns and no two rows with the same output, groups,
    variable and statistic; otherwise a ``ValueError`` naming the first duplicate."""
    absent = [c for c in COLUMNS if c not in ard.columns]
    if absent:
        raise ValueError(f"{where}: columns {absent} are missing; an ARD has {list(COLUMNS)}")
    key = ["output_id", *_KEY_COLUMNS, "variable_level", "stat_name"]
    dup = ard[ard.astype(str).duplicated(key, keep=False)]
    if not dup.empty:
        first = dup.iloc[0]
        raise ValueError(
            f"{where}: {len(dup)} rows share output, groups, variable and statistic, e.g. "
            f"{first['output_id']} {first['variable']}={first['variable_level']} {first['stat_name']}"
        )
    return ard


# -- reading it back ---------------------------------------------------------------------------------
def _keys_of(row: Mapping[str, Any]) -> tuple[tuple[str, str | None], ...]:
    keys = [(row[f"group{k}"], row[f"group{k}_level"]) for k in range(1, MAX_GROUPS + 1) if row[f"group{k}"]]
    return (*keys, (row["variable"], row["variable_level"]))


def records(ard: pd.DataFrame, values: str = "stat_fmt") -> list[dict[str, Any]]:
    """The ARD rows of one output as records like the rows of the analysis frame they came from:
    one per combination of groups and variable level (first-seen order), holding each grouping
    column and the variable with its level (text, or None for a variable without levels) and
    each statistic's ``values`` (``"stat_fmt"``: the formatted text; ``"stat"``: the number)."""
    found: dict[tuple, dict[str, Any]] = {}
    for row in ard.to_dict(orient="records"):
        keys = _keys_of(row)
        rec = found.setdefault(keys, {name: level for name, level in keys})
        rec[row["stat_name"]] = row[values]
    return list(found.values())


def wide(ard: pd.DataFrame, values: str = "stat_fmt") -> pd.DataFrame:
    """:func:`records` as a frame (a statistic a record lacks is NaN)."""
    return pd.DataFrame(records(ard, values))


def numbers(ard: pd.DataFrame) -> pd.DataFrame:
    """:func:`wide` with the unrounded numbers (text statistics as their text)."""
    out = wide(ard, "stat")
    text = wide(ard, "stat_fmt")
    for name in set(ard.loc[ard["fmt_fun"] == "text", "stat_name"]):
        out[name] = text[name]
    return out


class Ard:
    """A run's ARD with look-ups for the report's sentences.

    >>> a = Ard(rows)
    >>> a.cell("tbl-cif-landmarks", "estimate", cause="1", time="730", group=study.reference_arm.label)
    '26.1%'
    """

    def __init__(self, rows: pd.DataFrame):
        self.rows = check(rows)

    @cached_property
    def _by_output(self) -> dict[str, pd.DataFrame]:
        return {str(k): v for k, v in self.rows.groupby("output_id", sort=False)}

    def output(self, output_id: str) -> pd.DataFrame:
        """The rows of one output; a ``KeyError`` naming the outputs there are."""
        if output_id not in self._by_output:
            raise KeyError(f"the ARD has no output {output_id!r}; it has: {', '.join(sorted(self._by_output))}")
        return self._by_output[output_id]

    def has(self, output_id: str) -> bool:
        return output_id in self._by_output

    def records(self, output_id: str, values: str = "stat_fmt", **levels: str | None) -> list[dict[str, Any]]:
        """The :func:`records` of one output whose levels are ``levels``."""
        found = records(self.output(output_id), values)
        return [r for r in found if all(k in r and r[k] == v for k, v in levels.items())]

    def record(self, output_id: str, values: str = "stat_fmt", **levels: str | None) -> dict[str, Any]:
        found = self.records(output_id, values, **levels)
        if len(found) != 1:
            raise KeyError(f"expected one record of {output_id} with {levels}, found {len(found)}")
        return found[0]

    def cell(self, output_id: str, stat_name: str, **levels: str | None) -> str:
        """The formatted text of one statistic (``"12.3%"``)."""
        rec = self.record(output_id, "stat_fmt", **levels)
        if not isinstance(rec.get(stat_name), str):
            raise KeyError(f"{output_id} {levels} has no statistic {stat_name!r}")
        return str(rec[stat_name])

    def number(self, output_id: str, stat_name: str, **levels: str | None) -> float | None:
        """The unrounded number of one statistic (None when missing)."""
        rec = self.record(output_id, "stat", **levels)
        if stat_name not in rec:
            raise KeyError(f"{output_id} {levels} has no statistic {stat_name!r}")
        v = rec[stat_name]
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# -- the ARD of each analysis ------------------------------------------------------------------------
COUNT = Stat("n", "count")
DENOMINATOR = Stat("N", "count")
PROPORTION = Stat("%", "percent")
ESTIMATE = Stat("Estimate", "percent")
CONF_LOW = Stat("95% CI lower", "percent")
CONF_HIGH = Stat("95% CI upper", "percent")
HR = Stat("Hazard ratio", "num2")
HR_LOW = Stat("95% CI lower", "num2")
HR_HIGH = Stat("95% CI upper", "num2")
P_VALUE = Stat("p-value", "p")
TEXT = Stat("", "text")


def _with_arm_totals(
    frame: pd.DataFrame, *, output_id: str, analysis_id: str, population: str, group: str = "group"
) -> pd.DataFrame:
    """Rows of the column headers' N: the denominator of each arm (and Total)."""
    heads = frame.drop_duplicates(group)[[group, "denominator"]]
    return from_frame(
        heads,
        output_id=output_id,
        analysis_id=analysis_id,
        population=population,
        context="tabulate",
        variable=group,
        stats={"denominator": DENOMINATOR},
    )


def ard_baseline(
    tidy: pd.DataFrame, population: str, smd: pd.DataFrame | None = None, output_id: str = "tbl-baseline"
) -> pd.DataFrame:
    """Table 1 (:func:`helpers.analysis.cohort.baseline_characteristics`): the arms' N, each
    variable's label, n, N and % per level, median and quartiles of a continuous one with its
    missing values; with ``smd`` (:func:`helpers.analysis.cohort.standardised_differences`) the
    absolute standardised difference of each comparison."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "baseline", "population": population}
    parts = [_with_arm_totals(tidy, **keys)]
    for _, v in tidy.groupby("variable", sort=False):
        label = v.iloc[:1]
        parts.append(
            from_frame(label, **keys, context="attributes", variable="variable", stats={"label": Stat("Label", "text")})
        )
        if (v["level"] == "").all():
            d = v.assign(proportion_missing=v["n_missing"] / v["denominator"].where(v["denominator"] > 0))
            stats = {
                "median": Stat("Median", "num0"),
                "q1": Stat("Q1", "num0"),
                "q3": Stat("Q3", "num0"),
                "n_missing": Stat("n missing", "count"),
                "denominator": DENOMINATOR,
                "proportion_missing": Stat("% missing", "percent"),
            }
            parts.append(from_frame(d, **keys, context="summary", by=["group"], variable="variable", stats=stats))
        else:
            stats = {"n": COUNT, "denominator": DENOMINATOR, "proportion": PROPORTION}
            parts.append(
                from_frame(v, **keys, context="tabulate", by=["group", "variable"], variable="level", stats=stats)
            )
    if smd is not None and not smd.empty:
        d = smd.assign(smd=smd["smd"].abs(), label=smd["label"], note=smd["note"].map(_text))
        stats = {
            "smd": Stat("Absolute standardised difference", "num2"),
            "method": Stat("Method", "text"),
            "label": Stat("Label", "text"),
            "note": Stat("Note", "text"),
        }
        keys = {**keys, "analysis_id": "standardised_differences"}
        parts.append(from_frame(d, **keys, context="smd", by=["comparison"], variable="variable", stats=stats))
    return pd.concat(parts, ignore_index=True)


def ard_accrual_by_site(by_site: pd.DataFrame, population: str, output_id: str = "tbl-accrual-sites") -> pd.DataFrame:
    """Randomised patients per site and arm (:func:`helpers.analysis.cohort.accrual_by_site`)."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "accrual_by_site", "population": population}
    stats = {"n": COUNT, "denominator": DENOMINATOR, "proportion": PROPORTION}
    body = from_frame(by_site, **keys, context="tabulate", by=["group"], variable="site", stats=stats)
    return pd.concat([_with_arm_totals(by_site, **keys), body], ignore_index=True)


def ard_accrual_by_month(by_month: pd.DataFrame, population: str, output_id: str = "fig-accrual") -> pd.DataFrame:
    """Randomisations per calendar month, cumulated, against the plan
    (:func:`helpers.analysis.cohort.accrual_by_month`): the numbers of the accrual figure and of
    the sentence on accrual."""
    stats = {
        "n_randomised": Stat("Randomised in the month", "count"),
        "cum_randomised": Stat("Randomised, cumulative", "count"),
        "cum_planned": Stat("Planned, cumulative", "num1"),
        "proportion_of_planned": Stat("% of planned", "percent"),
    }
    return from_frame(
        by_month,
        output_id=output_id,
        analysis_id="accrual_by_month",
        population=population,
        context="tabulate",
        variable="month",
        stats=stats,
    )


def ard_completeness(completeness: pd.DataFrame, population: str, output_id: str = "tbl-completeness") -> pd.DataFrame:
    """Patients with a value of each baseline variable and a record of each endpoint, pooled
    (:func:`helpers.analysis.cohort.data_completeness`)."""
    stats = {
        "label": Stat("Label", "text"),
        "n_known": Stat("n with a value or record", "count"),
        "n_patients": DENOMINATOR,
        "proportion": PROPORTION,
        "n_missing": Stat("n missing", "count"),
    }
    return from_frame(
        completeness,
        output_id=output_id,
        analysis_id="data_completeness",
        population=population,
        context="tabulate",
        by=["kind"],
        variable="item",
        stats=stats,
        contexts={"label": "attributes"},
    )


def ard_event_counts(counts: pd.DataFrame, population: str, output_id: str = "tbl-event-counts") -> pd.DataFrame:
    """Events, competing events and censorings of every endpoint per group
    (:func:`helpers.analysis.endpoints.event_counts`), with their proportions of the patients
    with a record."""
    n = counts["n_patients"].where(counts["n_patients"] > 0)
    d = counts.assign(
        proportion_event=counts["n_event"] / n,
        proportion_competing=counts["n_competing"] / n,
        proportion_censored=counts["n_censored"] / n,
        competing_event=counts["competing_event"].map(_text),
    )
    stats = {
        "endpoint": Stat("Endpoint", "text"),
        "event": Stat("Event", "text"),
        "competing_event": Stat("Competing event", "text"),
        "n_patients": DENOMINATOR,
        "n_event": Stat("n, event", "count"),
        "proportion_event": Stat("%, event", "percent"),
        "n_competing": Stat("n, competing event", "count"),
        "proportion_competing": Stat("%, competing event", "percent"),
        "n_censored": Stat("n, censored", "count"),
        "proportion_censored": Stat("%, censored", "percent"),
    }
    return from_frame(
        d,
        output_id=output_id,
        analysis_id="event_counts",
        population=population,
        context="tabulate",
        by=["group"],
        variable="paramcd",
        stats=stats,
        contexts={"endpoint": "attributes", "event": "attributes", "competing_event": "attributes"},
    )


def _dates(values: Iterable[object]) -> list[str]:
    from helpers.present.tables import _date

    return [_date(None if v is None or (not isinstance(v, str) and pd.isna(v)) else v) for v in values]


def ard_interim_information(
    looks: pd.DataFrame,
    population: str,
    summary: Mapping[str, Any] | None = None,
    output_id: str = "tbl-interim-information",
) -> pd.DataFrame:
    """The looks of the group-sequential design at this data cut
    (``helpers.analysis.interim.LookPosition.table``), and with ``summary``
    (``interim.information_summary``) where this cut stands (``variable`` ``current``)."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "interim_information", "population": population}
    d = looks.assign(
        cutoff=["" if c is None or pd.isna(c) else t for c, t in zip(looks["cutoff"], _dates(looks["cutoff"]))]
    )
    stats = {
        "final": Stat("Final analysis", "text"),
        "planned_fraction": Stat("Planned information", "percent0"),
        "planned_events": Stat("Planned events", "count"),
        "cutoff": Stat("Data cutoff", "text"),
        "events": Stat("Events", "count"),
        "information_fraction": Stat("Information", "percent"),
        "basis": Stat("Basis", "text"),
        "status": Stat("Status", "text"),
    }
    parts = [from_frame(d, **keys, context="interim", variable="look", stats=stats)]
    if summary is not None:
        s = dict(summary)
        cutoff = s.get("cutoff")
        s["cutoff"] = "" if cutoff is None or (not isinstance(cutoff, str) and pd.isna(cutoff)) else _dates([cutoff])[0]
        stats = {
            "look": Stat("Look", "count"),
            "looks": Stat("Looks", "count"),
            "final": Stat("Final analysis", "text"),
            "cutoff": Stat("Data cutoff", "text"),
            "events": Stat("Events", "count"),
            "planned_events": Stat("Planned events", "count"),
            "information_fraction": Stat("Information", "percent"),
        }
        frame = pd.DataFrame([{k: s.get(k) for k in stats}])
        parts.append(from_frame(frame, **keys, context="interim", variable="current", stats=stats))
    return pd.concat(parts, ignore_index=True)


def ard_interim_projection(
    projection: pd.DataFrame,
    population: str,
    model: Mapping[str, Any] | None = None,
    output_id: str = "tbl-interim-projection",
) -> pd.DataFrame:
    """Projected dates of the looks to come (``helpers.analysis.interim.projected_looks``), the
    number of looks to come (``variable`` ``projection``: none at the final analysis) and with
    ``model`` (``interim.projection_model``) the projection's settings."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "interim_projection", "population": population}
    parts = []
    if len(projection):
        d = projection.assign(
            date=_dates(projection["date"]),
            date_low=_dates(projection["date_low"]),
            date_high=_dates(projection["date_high"]),
        )
        stats = {
            "final": Stat("Final analysis", "text"),
            "planned_events": Stat("Planned events", "count"),
            "additional_events": Stat("Events still to come", "count"),
            "date": Stat("Projected date", "text"),
            "date_low": Stat("Prediction interval, from", "text"),
            "date_high": Stat("Prediction interval, to", "text"),
            "conf_level": Stat("Prediction level", "percent0"),
            "probability_reached": Stat("Reached in simulations", "percent"),
        }
        parts.append(from_frame(d, **keys, context="interim", variable="look", stats=stats))
    head: dict[str, Any] = {"looks_to_come": len(projection)}
    stats = {"looks_to_come": Stat("Looks to come", "count")}
    if model is not None:
        head |= {k: model[k] for k in ("n_sim", "seed", "n_new", "n_patients")}
        head["breaks"] = ", ".join(f"{b:g}" for b in model["breaks"])
        stats |= {
            "n_sim": Stat("Simulated trials", "count"),
            "seed": Stat("Seed", "count"),
            "n_new": Stat("Patients still to come", "count"),
            "n_patients": Stat("Planned patients", "count"),
            "breaks": Stat("Hazard pieces change at (days)", "text"),
        }
    parts.append(from_frame(pd.DataFrame([head]), **keys, context="interim", variable="projection", stats=stats))
    return pd.concat(parts, ignore_index=True)


def ard_interim_boundaries(
    boundaries: pd.DataFrame, population: str, output_id: str = "tbl-interim-boundaries"
) -> pd.DataFrame:
    """The boundaries of every look (``helpers.analysis.interim.InterimAnalysis.boundaries``)."""
    stats = {
        "final": Stat("Final analysis", "text"),
        "status": Stat("Status", "text"),
        "information_fraction": Stat("Information", "percent"),
        "efficacy_z": Stat("Efficacy boundary (z)", "num3"),
        "futility_z": Stat("Futility boundary (z)", "num3"),
        "nominal_p": Stat("Nominal p-value", "num4"),
    }
    return from_frame(
        boundaries,
        output_id=output_id,
        analysis_id="interim_boundaries",
        population=population,
        context="interim",
        variable="look",
        stats=stats,
    )


def ard_interim_decision(
    summary: pd.DataFrame, population: str, output_id: str = "tbl-interim-decision"
) -> pd.DataFrame:
    """The committee's summary of this look (``helpers.analysis.interim.InterimAnalysis.summary``,
    one row)."""
    stats = {
        "look": Stat("Look", "count"),
        "looks": Stat("Looks", "count"),
        "final": Stat("Final analysis", "text"),
        "events": Stat("Primary events", "count"),
        "planned_events": Stat("Planned events", "count"),
        "information_fraction": Stat("Information", "percent"),
        "statistic_name": Stat("Statistic", "text"),
        "comparison": Stat("Comparison", "text"),
        "statistic": Stat("Statistic (z)", "num3"),
        "z_planned": Stat("z in the planned direction", "num3"),
        "p_value": P_VALUE,
        "efficacy_z": Stat("Efficacy boundary (z)", "num3"),
        "futility_z": Stat("Futility boundary (z)", "num3"),
        "nominal_p": Stat("Nominal p-value at the boundary", "num4"),
        "decision": Stat("Decision", "text"),
        "decision_text": Stat("Decision, in words", "text"),
        "hr": HR,
        "rci_low": Stat("Repeated CI lower", "num2"),
        "rci_high": Stat("Repeated CI upper", "num2"),
        "conditional_power_planned": Stat("Conditional power, planned effect", "percent"),
        "conditional_power_trend": Stat("Conditional power, current trend", "percent"),
        "predictive_power": Stat("Predictive power", "percent"),
    }
    stats = {k: v for k, v in stats.items() if k in summary.columns}
    return from_frame(
        summary.iloc[:1],
        output_id=output_id,
        analysis_id="interim_decision",
        population=population,
        context="interim",
        variable="interim_decision",
        stats=stats,
    )


def ard_primary_by_population(effects: pd.DataFrame, output_id: str = "tbl-primary-populations") -> pd.DataFrame:
    """The primary endpoint's tests and models in each population
    (:func:`helpers.analysis.endpoints.primary_by_population`); each row's ``population`` is the
    population it was computed in."""
    d = effects.assign(note=effects["note"].map(_text), population_key=effects["population"])
    parts = []
    for population, block in d.groupby("population", sort=False):
        parts.append(
            from_frame(
                block,
                output_id=output_id,
                analysis_id="primary_by_population",
                population=str(population),
                context="crr",
                by=["population_key", "comparison"],
                variable="key",
                stats={
                    "population_label": Stat("Population", "text"),
                    "n_patients": Stat("Patients", "count"),
                    "n_events": Stat("Events", "count"),
                    "hr": HR,
                    "conf_low": HR_LOW,
                    "conf_high": HR_HIGH,
                    "p_value": P_VALUE,
                    "note": Stat("Note", "text"),
                },
                contexts={k: "attributes" for k in ("population_label", "note")},
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty()


def ard_teae_soc_term(soc_term: pd.DataFrame, population: str, output_id: str) -> pd.DataFrame:
    """The nested adverse-event table (:func:`helpers.analysis.safety.teae_soc_term`) of one
    subset: per arm, class and term the patients with an event, and at worst grade 3-4 and 5."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "teae_soc_term", "population": population}
    if soc_term.empty:
        return empty()
    denominator = soc_term["denominator"].where(soc_term["denominator"] > 0)
    n34 = soc_term["n_grade3"] + soc_term["n_grade4"]
    d = soc_term.assign(
        term=soc_term["term"].map(_text),
        soc=soc_term["soc"].map(_text),
        n_grade3_4=n34,
        proportion_grade3_4=n34 / denominator,
        proportion_grade5=soc_term["n_grade5"] / denominator,
        note=soc_term["note"].map(_text),
    )
    stats = {
        "applicable": TEXT,
        "n_patients": COUNT,
        "denominator": DENOMINATOR,
        "proportion": PROPORTION,
        "n_grade3_4": Stat("n, worst grade 3-4", "count"),
        "proportion_grade3_4": Stat("%, worst grade 3-4", "percent"),
        "n_grade5": Stat("n, grade 5", "count"),
        "proportion_grade5": Stat("%, grade 5", "percent"),
        "status": Stat("Status", "text"),
        "note": Stat("Note", "text"),
    }
    body = from_frame(
        d,
        **keys,
        context="hierarchical",
        by=["group", "row_type", "soc"],
        variable="term",
        stats=stats,
        contexts={"status": "attributes", "note": "attributes", "applicable": "attributes"},
    )
    return pd.concat([_with_arm_totals(soc_term, **keys), body], ignore_index=True)


def ard_cif_landmarks(landmarks: pd.DataFrame, population: str, output_id: str = "tbl-cif-landmarks") -> pd.DataFrame:
    """Cumulative incidence of each cause at the landmarks, per arm: estimate and interval."""
    return from_frame(
        landmarks,
        output_id=output_id,
        analysis_id="cif_landmarks",
        population=population,
        context="cuminc",
        by=["group", "cause"],
        variable="time",
        stats={
            "estimate": ESTIMATE,
            "conf_low": CONF_LOW,
            "conf_high": CONF_HIGH,
        },
    )


def ard_relapse_effects(effects: pd.DataFrame, population: str, output_id: str = "tbl-relapse-effects") -> pd.DataFrame:
    """Tests and models of the primary endpoint per comparison (:func:`helpers.analysis.endpoints.relapse_effects`)."""
    d = effects.assign(
        note=effects["note"].map(_text),
        left_out=effects["left_out"].map(_text) if "left_out" in effects else "",
        n_dropped=effects.get("n_dropped", 0),
    )
    return from_frame(
        d,
        output_id=output_id,
        analysis_id="relapse_effects",
        population=population,
        context="crr",
        by=["comparator_arm"],
        variable="key",
        stats={
            "comparison": TEXT,
            "analysis": Stat("Analysis", "text"),
            "hr": HR,
            "conf_low": HR_LOW,
            "conf_high": HR_HIGH,
            "p_value": P_VALUE,
            "n_dropped": Stat("Patients left out", "count"),
            "left_out": Stat("Covariates left out", "text"),
            "note": Stat("Note", "text"),
        },
        contexts={"comparison": "attributes", "analysis": "attributes", "note": "attributes", "left_out": "attributes"},
    )


def ard_secondary(summary: pd.DataFrame, population: str, output_id: str = "tbl-secondary") -> pd.DataFrame:
    """Secondary endpoints at the main landmark (:func:`helpers.analysis.endpoints.secondary_summary`):
    per arm the estimate and interval, the comparison's HR and p-value; of an endpoint that was
    not delivered only its name, status and note."""
    text = {
        "endpoint": Stat("Endpoint", "text"),
        "status": Stat("Status", "text"),
        "time_label": Stat("Time", "text"),
        "note": Stat("Note", "text"),
    }
    numbers = {
        "estimate": ESTIMATE,
        "conf_low": CONF_LOW,
        "conf_high": CONF_HIGH,
        "test": Stat("Test", "text"),
        "p_value": P_VALUE,
        "p_value_all_arms": Stat("p-value, all arms", "p"),
        "hr": HR,
        "hr_conf_low": HR_LOW,
        "hr_conf_high": HR_HIGH,
    }
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "secondary", "population": population}
    d = summary.assign(note=summary["note"].map(_text), group=summary["group"].map(_text) if "group" in summary else "")
    parts = []
    for _, block in d.groupby("paramcd", sort=False):
        delivered = block["status"].iloc[0] != "not delivered"
        stats = {**dict(list(text.items())[:3]), **(numbers if delivered else {}), "note": text["note"]}
        parts.append(
            from_frame(
                block if delivered else block.iloc[:1],
                **keys,
                context="survfit",
                by=["paramcd"],
                variable="group",
                stats=stats,
                contexts={k: "attributes" for k in (*text, "test")},
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else empty()


def ard_subgroups(effects: pd.DataFrame, population: str, output_id: str = "tbl-subgroups") -> pd.DataFrame:
    """Subgroup effects per comparison (:func:`helpers.stats.subgroups.subgroup_effects`)."""
    d = effects.assign(note=effects.get("note", pd.Series("", index=effects.index)).map(_text))
    d = d.assign(n_missing=effects.get("n_missing", 0))
    return from_frame(
        d,
        output_id=output_id,
        analysis_id="subgroups",
        population=population,
        context="crr",
        by=["comparator_arm", "reference_arm", "subgroup"],
        variable="level",
        stats={
            "n_comparator": Stat("Patients, comparator", "count"),
            "events_comparator": Stat("Events, comparator", "count"),
            "n_reference": Stat("Patients, reference", "count"),
            "events_reference": Stat("Events, reference", "count"),
            "n_missing": Stat("Patients with a missing value", "count"),
            "hr": HR,
            "conf_low": HR_LOW,
            "conf_high": HR_HIGH,
            "p_interaction": Stat("p-value, interaction", "p"),
            "note": Stat("Note", "text"),
        },
        contexts={"note": "attributes"},
    )


def ard_teae_overview(overview: pd.DataFrame, population: str, output_id: str = "tbl-teae-overview") -> pd.DataFrame:
    """Patients with at least one TEAE of each kind; ``applicable`` false where the arm has no study drug."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "teae_overview", "population": population}
    d = overview.assign(applicable=overview.get("applicable", True))
    stats = {"n_patients": COUNT, "denominator": DENOMINATOR, "proportion": PROPORTION, "applicable": TEXT}
    body = from_frame(d, **keys, context="tabulate", by=["group"], variable="category", stats=stats)
    return pd.concat([_with_arm_totals(overview, **keys), body], ignore_index=True)


def ard_teae_terms(terms: pd.DataFrame, population: str, output_id: str = "tbl-teae-terms") -> pd.DataFrame:
    """Patients with each preferred term, any grade and grade 3 or higher."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "teae_terms", "population": population}
    if terms.empty:
        return empty()
    stats = {
        "n_any": COUNT,
        "proportion_any": PROPORTION,
        "n_grade3plus": Stat("n, grade \u22653", "count"),
        "proportion_grade3plus": Stat("%, grade \u22653", "percent"),
        "denominator": DENOMINATOR,
    }
    body = from_frame(terms, **keys, context="hierarchical", by=["group", "soc"], variable="term", stats=stats)
    return pd.concat([_with_arm_totals(terms, **keys), body], ignore_index=True)


def ard_teae_grades(grades: pd.DataFrame, population: str, output_id: str = "tbl-teae-grades") -> pd.DataFrame:
    """Patients by worst grade of each term of special interest."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "teae_grades", "population": population}
    if grades.empty:
        return empty()
    stats = {"n_patients": COUNT, "denominator": DENOMINATOR, "proportion": PROPORTION}
    body = from_frame(grades, **keys, context="tabulate", by=["group", "term"], variable="grade", stats=stats)
    return pd.concat([_with_arm_totals(grades, **keys), body], ignore_index=True)


def ard_exposure(by_arm: pd.DataFrame, population: str, output_id: str = "tbl-exposure") -> pd.DataFrame:
    """Study-drug exposure among treated patients per arm (:func:`helpers.analysis.safety.exposure_by_arm`)."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "exposure", "population": population}
    parts = [
        from_frame(
            by_arm,
            **keys,
            context="tabulate",
            by=["group"],
            variable="treated",
            stats={
                "n_treated": COUNT,
                "n_interrupted": Stat("n, interrupted", "count"),
                "proportion_interrupted": Stat("%, interrupted", "percent"),
                "n_reduced": Stat("n, reduced", "count"),
                "proportion_reduced": Stat("%, reduced", "percent"),
            },
        )
    ]
    for measure in ("duration_days", "mean_daily_dose_mg"):
        d = by_arm.rename(columns={f"{s}_{measure}": s for s in ("median", "q1", "q3")})
        stats = {"median": Stat("Median", "num0"), "q1": Stat("Q1", "num0"), "q3": Stat("Q3", "num0")}
        parts.append(from_frame(d, **keys, context="summary", by=["group"], variable=measure, stats=stats))
    return pd.concat(parts, ignore_index=True)


def ard_data_review(findings: pd.DataFrame, population: str, output_id: str = "tbl-data-review") -> pd.DataFrame:
    """The data review's findings, one record each, and their totals (``finding = "all"``)."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "data_review", "population": population}
    d = findings.reset_index(drop=True)
    d = d.assign(
        finding=[str(i + 1) for i in range(len(d))],
        table=[_text(t) or _text(f) for t, f in zip(d["table"], d["file"])],
        column=d["column"].map(_text),
    )
    stats = {
        "severity": Stat("Severity", "text"),
        "rule": Stat("Rule", "text"),
        "table": Stat("Table", "text"),
        "column": Stat("Column", "text"),
        "n_rows": Stat("Rows", "count"),
        **({"first_ids": Stat("First patients", "text")} if "first_ids" in d else {}),
    }
    parts = [from_frame(d, **keys, context="data_review", variable="finding", stats=stats)] if len(d) else []
    totals = pd.DataFrame(
        {
            "finding": ["all"],
            "n_findings": [len(d)],
            "n_rows": [float(pd.to_numeric(d["n_rows"], errors="coerce").fillna(0).sum()) if len(d) else 0.0],
            "tables": [", ".join(sorted({t for t in d["table"] if t}))],
            "first_ids_listed": ["first_ids" in d],
        }
    )
    stats = {
        "n_findings": Stat("Findings", "count"),
        "n_rows": Stat("Rows", "count"),
        "tables": Stat("Tables", "text"),
        "first_ids_listed": Stat("First patients listed", "text"),
    }
    parts.append(from_frame(totals, **keys, context="data_review", variable="finding", stats=stats))
    return pd.concat(parts, ignore_index=True)


def ard_follow_up(
    follow_up: pd.DataFrame, population: str, time: TimeAxis, output_id: str = "txt-follow-up"
) -> pd.DataFrame:
    """Median follow-up (reverse Kaplan-Meier, :func:`helpers.stats.survival.median_follow_up`)
    in the study's time unit, per arm and overall: a number only the text quotes."""
    unit = time.unit
    d = follow_up.assign(median=follow_up["median"].map(time.to_units))
    return from_frame(
        d,
        output_id=output_id,
        analysis_id="follow_up",
        population=population,
        context="survfit",
        variable="group",
        stats={"median": Stat(f"Median follow-up, {unit}", "num1")},
    )


def ard_at_risk(at_risk: pd.DataFrame, population: str, output_id: str) -> pd.DataFrame:
    """Numbers at risk under a curve (:func:`helpers.stats.survival.numbers_at_risk`)."""
    return from_frame(
        at_risk,
        output_id=output_id,
        analysis_id="numbers_at_risk",
        population=population,
        context="survfit",
        by=["group"],
        variable="time",
        stats={"n_risk": Stat("At risk", "count")},
    )


def at_risk_from_ard(rows: pd.DataFrame) -> pd.DataFrame:
    """The numbers at risk (``group, time, n_risk``) of :func:`ard_at_risk`'s rows, for the figure."""
    recs = records(rows, "stat")
    return pd.DataFrame(
        {
            "group": [r["group"] for r in recs],
            "time": [float(r["time"]) for r in recs],
            "n_risk": [int(r["n_risk"]) for r in recs],
        }
    )


#: CONSORT counts of the whole trial and of each arm, in :func:`helpers.analysis.cohort.consort_flow`.
_FLOW_TRIAL = ("assessed", "excluded", "randomised")
_FLOW_ARM = ("allocated", "received", "discontinued_intervention", "left_study", "died", "analysed", "not_analysed")
_FLOW_REASONS = {"excluded_reasons": None, "discontinued_reasons": "group", "left_study_reasons": "group"}


def ard_consort(flow: Mapping[str, Any], population: str, output_id: str = "fig-consort") -> pd.DataFrame:
    """Every number of the CONSORT diagram (:func:`helpers.analysis.cohort.consort_flow`), and
    what it needs besides (``population``, whether the screening log and each arm's drug are
    there): :func:`consort_from_ard` gives the flow back, which the figure draws."""
    keys: dict[str, Any] = {"output_id": output_id, "analysis_id": "consort", "population": population}
    trial = pd.DataFrame(
        [
            {
                **{k: flow.get(k) for k in _FLOW_TRIAL},
                "population": flow.get("population") or "",
                "screening_delivered": flow.get("screening_delivered", True),
            }
        ]
    )
    stats: dict[str, Stat] = {k: Stat(k.replace("_", " ").capitalize(), "count") for k in _FLOW_TRIAL}
    stats |= {"population": TEXT, "screening_delivered": TEXT}
    parts = [from_frame(trial, **keys, context="consort", variable="trial", stats=stats)]
    arms = pd.DataFrame([{"group": arm, **counts} for arm, counts in flow["arms"].items()])
    arm_stats = {k: Stat(k.replace("_", " ").capitalize(), "count") for k in _FLOW_ARM if k in arms}
    arm_stats |= {k: TEXT for k in ("code", "treated") if k in arms}
    parts.append(from_frame(arms, **keys, context="consort", by=["group"], variable="arm", stats=arm_stats))
    for name, by in _FLOW_REASONS.items():
        sources = [(None, flow.get(name))] if by is None else [(a, c.get(name)) for a, c in flow["arms"].items()]
        recs = [{"group": a, "reason": r, "n": n} for a, reasons in sources for r, n in (reasons or {}).items()]
        if recs:
            frame = pd.DataFrame(recs).rename(columns={"reason": name})
            parts.append(
                from_frame(
                    frame if by else frame.drop(columns="group"),
                    **keys,
                    context="consort",
                    by=[by] if by else [],
                    variable=name,
                    stats={"n": COUNT},
                )
            )
    return pd.concat(parts, ignore_index=True)


def consort_from_ard(rows: pd.DataFrame) -> dict[str, Any]:
    """The CONSORT flow (:func:`helpers.analysis.cohort.consort_flow`'s layout) from its ARD rows."""

    def count(x: Any) -> int | None:
        return None if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)

    both = list(zip(records(rows, "stat"), records(rows, "stat_fmt")))  # numbers and texts, record by record
    trial = [(n, t) for n, t in both if "trial" in n]
    if len(trial) != 1:
        raise ValueError("the CONSORT rows have no record of the whole trial (variable 'trial')")
    n, t = trial[0]
    flow: dict[str, Any] = {k: count(n[k]) for k in _FLOW_TRIAL}
    flow["population"] = t["population"] or None
    flow["screening_delivered"] = t["screening_delivered"] == "true"
    arms: dict[str, dict[str, Any]] = {}
    for n, t in both:
        if "arm" in n:
            arms[t["group"]] = {
                **{k: count(n[k]) for k in _FLOW_ARM if k in n},
                **({"code": t["code"]} if "code" in t else {}),
                **({"treated": t["treated"] == "true"} if "treated" in t else {}),
            }
    # a reason count is None exactly where its total is (not delivered, or an arm without the drug)
    totals = {"excluded_reasons": "excluded", "discontinued_reasons": "discontinued_intervention"}
    for name, by in _FLOW_REASONS.items():
        mine = [(n, t) for n, t in both if name in t]
        if by is None:
            got = {t[name]: int(n["n"]) for n, t in mine}
            flow[name] = None if flow.get(totals[name]) is None else got
            continue
        for arm_name, arm in arms.items():
            got = {t[name]: int(n["n"]) for n, t in mine if t["group"] == arm_name}
            arm[name] = None if name in totals and arm.get(totals[name]) is None else got
    flow["arms"] = arms
    return flow


def concat(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Several ARDs as one (in order), checked."""
    frames = [p for p in parts if len(p)]
    return check(_typed(pd.concat(frames, ignore_index=True)) if frames else empty())
