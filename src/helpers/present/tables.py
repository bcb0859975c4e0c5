"""Formatting and display of tables: the only place where numbers are rounded.

Statistics modules return unrounded tidy frames; this module turns them into display strings
(``"12.3% (8.1%, 17.4%)"``) and shows them in a notebook in two ways:

* :func:`show_table` (the analysis notebooks): HTML from great_tables for JupyterLab, a Markdown
  pipe table and plain text.
* :func:`report_table` (the report notebook): no ``text/html`` output at all, because Quarto's
  Jupyter engine then loads require.js and jquery from a CDN into the HTML report (see
  ``helpers.run.report.QUARTO_CDN_MIME_TYPES``). The table is one ``text/markdown`` output that
  holds the great_tables HTML as a raw HTML block for HTML formats and the pipe table for every
  other format (Quarto's conditional content, :func:`report_table_markdown`); the renderer
  without Quarto splits the two again (:func:`split_report_table`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.study import Study


# -- number formatting --------------------------------------------------------------------------
def _missing(x: object) -> bool:
    """None, NaN of any float type, pd.NA and infinities: values that print as ``"NE"``."""
    if x is None or x is pd.NA:
        return True
    try:
        return not math.isfinite(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def fmt_num(x: float | None, digits: int = 1) -> str:
    """A number with fixed decimals; missing or infinite values print as ``"NE"`` (not estimable)."""
    if _missing(x):
        return "NE"
    return f"{x:.{digits}f}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    """A proportion in [0, 1] as a percentage: ``0.1234 -> "12.3%"``."""
    if x is None or _missing(x):
        return "NE"
    return f"{100 * x:.{digits}f}%"


def fmt_pct_ci(est: float, low: float, high: float, digits: int = 1) -> str:
    """``"12.3% (8.1%, 17.4%)"``, the tidycmprsk / gtsummary style."""
    return f"{fmt_pct(est, digits)} ({fmt_pct(low, digits)}, {fmt_pct(high, digits)})"


def fmt_ratio_ci(est: float, low: float, high: float, digits: int = 2) -> str:
    """A hazard ratio with its interval: ``"0.62 (0.41, 0.94)"``; NE when not estimable, and an
    infinite limit prints as NE too (``"0.62 (0.41, NE)"``)."""
    if _missing(est):
        return "NE"
    return f"{fmt_num(est, digits)} ({fmt_num(low, digits)}, {fmt_num(high, digits)})"


def fmt_p(p: float | None) -> str:
    """P-values as journals print them: 3 decimals, ``"<0.001"`` below, ``"NE"`` when missing."""
    if p is None or _missing(p):
        return "NE"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def fmt_n_pct(n: int, total: int, digits: int = 1) -> str:
    """``"12 (34.3%)"``; a zero denominator prints ``"0"``."""
    if total == 0:
        return f"{n}"
    return f"{n} ({100 * n / total:.{digits}f}%)"


# -- display ------------------------------------------------------------------------------------
def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table of the frame's cells as strings (pandoc and Quarto read it)."""
    cols = [str(c) for c in df.columns]

    def cell(v: object) -> str:
        return ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).replace("|", "\\|")

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] * len(cols)) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def html_table(
    df: pd.DataFrame,
    output_id: str,
    *,
    groupname_col: str | None = None,
    spanners: dict[str, Sequence[str]] | None = None,
    source_note: str | None = None,
) -> str:
    """great_tables HTML with a fixed table id (``output_id``: its CSS is scoped to it), so the
    same frame gives the same bytes."""
    import great_tables as gt

    table = gt.GT(df, id=output_id, groupname_col=groupname_col)
    for label, cols in (spanners or {}).items():
        table = table.tab_spanner(label=label, columns=list(cols))
    if source_note:
        table = table.tab_source_note(source_note)
    table = table.tab_options(table_font_size="13px", container_width="100%", table_width="100%")
    return table.as_raw_html(inline_css=False)


class DisplayTable:
    """A formatted table that shows itself in every renderer (HTML, Markdown, plain text)."""

    def __init__(self, df: pd.DataFrame, output_id: str, **html_options: object):
        self.df = df
        self.output_id = output_id
        self.html_options = html_options

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        df = self.df
        return {
            "text/html": html_table(df, self.output_id, **self.html_options),  # type: ignore[arg-type]
            "text/markdown": markdown_table(df),
            "text/plain": df.to_string(index=False),
        }


def show_table(df: pd.DataFrame, output_id: str, **html_options: object) -> DisplayTable:
    """Return an object that Jupyter displays as a table with HTML, Markdown and text forms."""
    return DisplayTable(df, output_id, **html_options)


#: Opening and closing lines of the two parts of :func:`report_table_markdown`.
_HTML_PART = ('::: {.content-visible when-format="html"}\n\n```{=html}\n', "\n```\n\n:::\n")
_OTHER_PART = ('::: {.content-hidden when-format="html"}\n\n', "\n:::\n")
_REPORT_TABLE = re.compile(
    "{}(?P<html>.*?){}\n{}(?P<markdown>.*?){}\\Z".format(*map(re.escape, (*_HTML_PART, *_OTHER_PART))),
    re.DOTALL,
)


def report_table_markdown(df: pd.DataFrame, output_id: str, **html_options: object) -> str:
    """The report's form of a table, Markdown that Quarto and pandoc read: the great_tables HTML
    in a raw HTML block shown only in HTML formats, then the pipe table hidden in HTML formats
    (Typst, PDF)::

        ::: {.content-visible when-format="html"}

        ```{=html}
        <div id="gt-tbl-x">...great_tables...</div>
        ```

        :::

        ::: {.content-hidden when-format="html"}

        | pipe | table |
        ...
        :::

    great_tables' element id is ``gt-<output_id>``: the renderer gives ``<output_id>`` to the
    captioned table around it, and an id may occur only once in a page.
    """
    html = html_table(df, f"gt-{output_id}", **html_options).strip()  # type: ignore[arg-type]
    if "\n```" in html:
        raise ValueError(f"table {output_id}: its HTML holds a line starting with ``` (would end the raw block)")
    return _HTML_PART[0] + html + _HTML_PART[1] + "\n" + _OTHER_PART[0] + markdown_table(df) + _OTHER_PART[1]


def split_report_table(markdown: str) -> tuple[str, str] | None:
    """``(html, pipe table)`` of :func:`report_table_markdown`'s text; None for other Markdown."""
    m = _REPORT_TABLE.match(markdown)
    return (m.group("html"), m.group("markdown")) if m else None


class ReportTable(DisplayTable):
    """A table in the report notebook: Markdown and plain text only, no ``text/html`` (which
    would make Quarto load scripts from the network)."""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {
            "text/markdown": report_table_markdown(self.df, self.output_id, **self.html_options),
            "text/plain": self.df.to_string(index=False),
        }


def report_table(df: pd.DataFrame, output_id: str, **html_options: object) -> ReportTable:
    """Return an object that Jupyter displays as the report's form of a table (no ``text/html``)."""
    return ReportTable(df, output_id, **html_options)


# -- display frames: tidy results in, strings out ---------------------------------------------------
#: What a table cell says for data that were not delivered and for a count that does not apply.
NOT_DELIVERED = "not delivered"
NOT_APPLICABLE = "not applicable"


def fmt_years(days: float) -> str:
    """Landmark times in days as years, 365 days to the year: ``730 -> "2 years"``."""
    years = days / 365
    return f"{years:g} year" + ("" if years == 1 else "s")


def _in_order(d: pd.DataFrame, order: Sequence[str]) -> list:
    """Rows of ``d`` with ``group`` in display ``order`` (others after, alphabetically)."""
    from helpers.analysis.cohort import order_arms

    rank = {g: i for i, g in enumerate(order_arms(d["group"].astype(str).unique(), order))}
    return sorted(d.itertuples(), key=lambda r: rank[str(r.group)])


def _group_header(tidy: pd.DataFrame, group_col: str = "group") -> dict[str, str]:
    """``"<arm label>" -> "<arm label> (N=173)"`` from a ``denominator`` column."""
    first = tidy.drop_duplicates(group_col)
    return {str(r[group_col]): f"{r[group_col]} (N={int(r['denominator'])})" for _, r in first.iterrows()}


def table_baseline(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table 1 from :func:`helpers.analysis.cohort.baseline_characteristics`: one row per variable or level,
    one column per arm and Total; continuous variables as median (IQR) [range]."""
    headers = _group_header(tidy)
    rows = []
    for _, v in tidy.groupby("variable", sort=False):
        label = v["label"].iloc[0]
        if (v["level"] == "").all():
            cells = {
                headers[str(r.group)]: (
                    f"{fmt_num(r.median, 0)} ({fmt_num(r.q1, 0)}-{fmt_num(r.q3, 0)}) "
                    f"[{fmt_num(r.minimum, 0)}-{fmt_num(r.maximum, 0)}]"
                )
                for r in v.itertuples()
            }
            rows.append({"Characteristic": f"{label}, median (IQR) [range]", **cells})
            continue
        rows.append({"Characteristic": f"{label}, n (%)", **{h: "" for h in headers.values()}})
        for level, lv in v.groupby("level", sort=False):
            cells = {headers[str(r.group)]: fmt_n_pct(int(r.n), int(r.denominator)) for r in lv.itertuples()}
            rows.append({"Characteristic": f"\u2003{level}", **cells})
    return pd.DataFrame(rows)


def table_cif_landmarks(landmarks: pd.DataFrame, study: Study, paramcd: str | None = None) -> pd.DataFrame:
    """Cumulative incidence at the study's landmarks: one row per cause and time, one column per
    arm (display order), ``"12.3% (8.1%, 17.4%)"``. ``landmarks`` is
    ``cumulative_incidence(..., times=study.time.landmark_days)`` of ``paramcd`` (default: the
    primary endpoint), whose cause labels name the rows."""
    endpoint = study.endpoint(paramcd or study.primary.endpoint)
    rows = []
    for (cause, time), d in landmarks.groupby(["cause", "time"], sort=True):
        label = study.time.landmark_label(time) if time in study.time.landmark_days else fmt_years(time)
        row = {"Event": endpoint.causes.get(int(cause), f"Cause {cause}"), "Time": label}
        for r in _in_order(d, study.arm_labels):
            row[str(r.group)] = fmt_pct_ci(r.estimate, r.conf_low, r.conf_high)
        rows.append(row)
    return pd.DataFrame(rows)


def table_landmark_estimates(estimates: pd.DataFrame, study: Study, paramcd: str) -> pd.DataFrame:
    """Estimates at landmark times of any endpoint, one row per cause (competing endpoints) and
    time, one column per group in display order, ``"12.3% (8.1%, 17.4%)"``. ``estimates`` is
    ``cumulative_incidence(..., times=...)`` or ``kaplan_meier(..., times=...)`` of ``paramcd``;
    a time that is a landmark of the study takes its label, any other its value in the study's
    time unit."""
    endpoint = study.endpoint(paramcd)
    keys = ["cause", "time"] if "cause" in estimates else ["time"]
    rows = []
    for key, d in estimates.groupby(keys, sort=True):
        time = float(key[-1])
        label = (
            study.time.landmark_label(time)
            if time in study.time.landmark_days
            else f"{fmt_num(study.time.to_units(time), 1)} {study.time.unit}"
        )
        row = {"Event": endpoint.cause_label(int(key[0])) if "cause" in estimates else endpoint.label, "Time": label}
        for r in _in_order(d, study.arm_labels):
            row[str(r.group)] = fmt_pct_ci(r.estimate, r.conf_low, r.conf_high)
        rows.append(row)
    return pd.DataFrame(rows)


def _note(x: object) -> str:
    return x if isinstance(x, str) else ""


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def table_relapse_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Test and model rows of :func:`helpers.analysis.endpoints.relapse_effects` (or
    ``survival_effects``) as strings: the comparison, the analysis, the (s)HR with its interval
    (none for a test), the p-value, and the notes (patients dropped, covariates left out) when
    there are any."""
    tests = ("gray", "gray_all_arms", "logrank", "logrank_all_arms")
    out = pd.DataFrame(
        {
            "Comparison": effects["comparison"],
            "Analysis": effects["analysis"],
            "Effect (95% CI)": [
                fmt_ratio_ci(e, lo, hi) if k not in tests else ""
                for k, e, lo, hi in zip(effects["key"], effects["hr"], effects["conf_low"], effects["conf_high"])
            ],
            "P-value": [fmt_p(p) for p in effects["p_value"]],
        }
    )
    notes = [_note(n) for n in effects["note"]]
    if any(notes):
        out["Note"] = notes
    return out


def table_secondary(summary: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Secondary endpoints at the main landmark (:func:`helpers.analysis.endpoints.secondary_summary`):
    the estimate per arm, then for each comparison the (s)HR with its interval and the two-arm
    test's p-value; with more than two arms also the p-value of the test over all arms. An
    endpoint that was not delivered says so in every cell."""
    comparisons = [study.comparison_label(a) for a in study.comparator_arms]
    several = len(comparisons) > 1
    rows = []
    for _, d in summary.groupby("paramcd", sort=False):
        first = d.iloc[0]
        row: dict[str, str] = {"Endpoint": str(first["endpoint"]), "Time": str(first["time_label"])}
        delivered = first["status"] != NOT_DELIVERED
        by_group = {str(r.group): r for r in d.itertuples()} if delivered else {}
        for arm in study.arms:
            r = by_group.get(arm.label)
            row[arm.label] = NOT_DELIVERED if r is None else fmt_pct_ci(r.estimate, r.conf_low, r.conf_high)
        row["Test"] = str(first["test"]) if delivered else NOT_DELIVERED
        if several:
            row["P-value, all arms"] = fmt_p(first["p_value_all_arms"]) if delivered else NOT_DELIVERED
        for arm, comparison in zip(study.comparator_arms, comparisons):
            r = by_group.get(arm.label)
            row[f"{comparison}: HR or sHR (95% CI)"] = (
                NOT_DELIVERED if r is None else fmt_ratio_ci(r.hr, r.hr_conf_low, r.hr_conf_high)
            )
            row[f"{comparison}: P-value"] = NOT_DELIVERED if r is None else fmt_p(r.p_value)
        row["Note"] = _note(first["note"])
        rows.append(row)
    out = pd.DataFrame(rows)
    if "Note" in out and not out["Note"].astype(bool).any():
        out = out.drop(columns="Note")
    return out


def table_subgroups(effects: pd.DataFrame, study: Study, *, effect_label: str = "HR") -> pd.DataFrame:
    """Subgroup table from :func:`helpers.stats.subgroups.subgroup_effects` (any number of
    comparisons against one reference arm): events/patients per arm (comparators first, in their
    order), then for each comparison the effect (``effect_label``, e.g. "sHR") with its interval
    and the interaction p-value (on each subgroup's first line), and the notes, which say how
    many patients a missing value left out. Subgroups are named by the study's labels."""
    comparators = list(dict.fromkeys(effects["comparator_arm"]))
    reference = str(effects["reference_arm"].iloc[0])
    several = len(comparators) > 1
    keyed = {(str(r.comparator_arm), str(r.subgroup), str(r.level)): r for r in effects.itertuples()}
    order = list(dict.fromkeys((str(r.subgroup), str(r.level)) for r in effects.itertuples()))
    seen: set[str] = set()
    rows = []
    for subgroup, level in order:
        first_line = subgroup not in seen
        seen.add(subgroup)
        label = "Overall" if subgroup == "Overall" else study.subgroup_label(subgroup)
        row = {"Subgroup": label if first_line else "", "Level": "" if level == subgroup else level}
        ref_row = next(keyed[(c, subgroup, level)] for c in map(str, comparators) if (c, subgroup, level) in keyed)
        for c in map(str, comparators):
            r = keyed.get((c, subgroup, level))
            row[f"{c}: events/N"] = "" if r is None else f"{int(r.events_comparator)}/{int(r.n_comparator)}"
        row[f"{reference}: events/N"] = f"{int(ref_row.events_reference)}/{int(ref_row.n_reference)}"
        notes = []
        for c in map(str, comparators):
            r = keyed.get((c, subgroup, level))
            name = study.comparison_label(c)
            row[f"{effect_label} (95% CI), {name}"] = "" if r is None else fmt_ratio_ci(r.hr, r.conf_low, r.conf_high)
            p_col = f"P-interaction, {name}" if several else "P-interaction"
            row[p_col] = fmt_p(r.p_interaction) if r is not None and first_line and pd.notna(r.p_interaction) else ""
            said = []
            if r is not None and first_line and int(r.n_missing or 0):
                said.append(f"{_count(int(r.n_missing), 'patient')} with a missing value left out")
            if r is not None and _note(r.note):
                said.append(r.note)
            if said:
                notes.append(f"{name}: {'; '.join(said)}" if several else "; ".join(said))
        row["Note"] = "; ".join(notes)
        rows.append(row)
    return pd.DataFrame(rows)


def table_teae_overview(overview: pd.DataFrame) -> pd.DataFrame:
    """Patients with at least one TEAE of each kind, n (%) per arm and Total; a dose action in
    an arm without the study drug reads "not applicable"."""
    headers = _group_header(overview)
    applicable = overview["applicable"] if "applicable" in overview else pd.Series(True, index=overview.index)
    wide = overview.assign(
        cell=[
            fmt_n_pct(int(n), int(d)) if ok else NOT_APPLICABLE
            for n, d, ok in zip(overview["n_patients"], overview["denominator"], applicable)
        ]
    )
    out = wide.pivot(index="category", columns="group", values="cell")
    out = out.loc[list(dict.fromkeys(overview["category"])), list(headers)].rename(columns=headers)
    return out.reset_index().rename(columns={"category": "Patients with"}).rename_axis(columns=None)


def table_teae_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """Preferred terms by arm, any grade and grade >= 3, n (%)."""
    if terms.empty:
        return pd.DataFrame(columns=["System organ class", "Preferred term"])
    headers = _group_header(terms)
    rows = []
    for (soc, term), d in terms.groupby(["soc", "term"], sort=False):
        row = {"System organ class": soc, "Preferred term": term}
        for r in d.itertuples():
            h = headers[str(r.group)]
            row[f"{h}: any grade"] = fmt_n_pct(int(r.n_any), int(r.denominator))
            row[f"{h}: grade \u22653"] = fmt_n_pct(int(r.n_grade3plus), int(r.denominator))
        rows.append(row)
    return pd.DataFrame(rows)


def table_teae_grades(grades: pd.DataFrame) -> pd.DataFrame:
    """Patients by worst CTCAE grade for each term (``safety.worst_grade_by_term``): one row per
    term and arm, one column per grade, n (%)."""
    if grades.empty:
        return pd.DataFrame({"Preferred term": ["No terms of special interest are defined"]})
    headers = _group_header(grades)
    rows = []
    for (term, group), d in grades.groupby(["term", "group"], sort=False):
        row = {"Preferred term": term, "Arm": headers[str(group)]}
        for r in d.itertuples():
            row[f"Grade {int(r.grade)}"] = fmt_n_pct(int(r.n_patients), int(r.denominator))
        rows.append(row)
    return pd.DataFrame(rows)


def table_exposure(by_arm: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Study-drug exposure among treated patients, one column per arm given the drug
    (:func:`helpers.analysis.safety.exposure_by_arm`): median (IQR), n (%)."""
    unit = study.safety.dose_unit if study.safety is not None else "mg/day"

    def med(o: Any, name: str) -> str:
        return f"{fmt_num(o[f'median_{name}'], 0)} ({fmt_num(o[f'q1_{name}'], 0)}-{fmt_num(o[f'q3_{name}'], 0)})"

    labels = [
        "Treated patients, n",
        "Duration of treatment, days, median (IQR)",
        f"Mean daily dose, {unit}, median (IQR)",
        "Patients with at least one interruption, n (%)",
        "Patients with at least one dose reduction, n (%)",
    ]
    out = {"Exposure": labels}
    for _, o in by_arm.iterrows():
        n = int(o["n_treated"])
        out[str(o["group"])] = [
            f"{n}",
            med(o, "duration_days"),
            med(o, "mean_daily_dose_mg"),
            fmt_n_pct(int(o["n_interrupted"]), n),
            fmt_n_pct(int(o["n_reduced"]), n),
        ]
    return pd.DataFrame(out)


def table_not_delivered(table: str, what: str) -> pd.DataFrame:
    """The one-cell table shown in place of a table whose input was not delivered:
    ``table_not_delivered("ADAE", "adverse-event data")``."""
    return pd.DataFrame({"Status": [f"Not delivered: this delivery has no {what} ({table.upper()})."]})


def table_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """The data review (:func:`helpers.analysis.cohort.findings_frame`): one row per finding with its rule,
    table, column, number of rows and first patients (when ``findings`` has ``first_ids``: patient
    ids, only with PATIENT_LISTINGS=1); one line "No findings." when there are none."""
    with_ids = "first_ids" in findings
    cols = ["Rule", "Table", "Column", "Rows", *(["First patients"] if with_ids else [])]
    if findings.empty:
        return pd.DataFrame([["No findings.", *[""] * (len(cols) - 1)]], columns=cols)
    out = pd.DataFrame(
        {
            "Rule": findings["rule"].astype(str),
            "Table": [str(t or f or "") for t, f in zip(findings["table"], findings["file"])],
            "Column": [c if isinstance(c, str) else "-" for c in findings["column"]],
            "Rows": [fmt_num(n, 0) if not _missing(n) else "" for n in findings["n_rows"]],
        }
    )
    if with_ids:
        out["First patients"] = findings["first_ids"].astype(str).to_numpy()
    if findings["severity"].nunique() > 1:
        out.insert(0, "Severity", findings["severity"].astype(str))
    return out


def _date(x: object) -> str:
    """A date as ``YYYY-MM-DD``; missing prints as ``"NE"``."""
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return "NE"
    return pd.Timestamp(str(x)).date().isoformat()


def _events(x: object) -> str:
    return "" if _missing(x) else f"{int(x)}"  # type: ignore[call-overload]


def interim_look_label(look: int, looks: int, final: bool) -> str:
    """``"look 1 of 2 (interim analysis)"`` or ``"look 2 of 2 (final analysis)"``."""
    return f"look {look} of {looks} ({'final' if final else 'interim'} analysis)"


def table_interim_information(looks: pd.DataFrame) -> pd.DataFrame:
    """The looks of the design (``helpers.analysis.interim.LookPosition.table``): planned fraction
    and events, the data cutoff and the primary events and information fraction of the looks held
    and of this one, and what their information rests on. Pooled: nothing by arm."""
    return pd.DataFrame(
        {
            "Look": [f"{k}{' (final)' if f else ''}" for k, f in zip(looks["look"], looks["final"])],
            "Planned information": [fmt_pct(x, 0) for x in looks["planned_fraction"]],
            "Planned events": [str(int(x)) for x in looks["planned_events"]],
            "Data cutoff": ["" if pd.isna(c) else _date(c) for c in looks["cutoff"]],
            "Events": [_events(x) for x in looks["events"]],
            "Information": ["" if _missing(x) else fmt_pct(x, 1) for x in looks["information_fraction"]],
            "Basis": looks["basis"],
        }
    )


def table_interim_projection(projection: pd.DataFrame) -> pd.DataFrame:
    """Projected dates at which the looks to come reach their planned primary events
    (``helpers.analysis.interim.projected_looks``): median date and prediction interval. At the
    final analysis (no look left) one row says so."""
    if projection.empty:
        return pd.DataFrame({"Look": ["None: this is the final analysis"]})
    return pd.DataFrame(
        {
            "Look": [f"{k}{' (final)' if f else ''}" for k, f in zip(projection["look"], projection["final"])],
            "Planned events": [str(int(x)) for x in projection["planned_events"]],
            "Events still to come": [str(int(x)) for x in projection["additional_events"]],
            "Projected date": [_date(x) for x in projection["date"]],
            "Prediction interval": [
                f"{_date(lo)} to {_date(hi)} ({fmt_pct(c, 0)})"
                for lo, hi, c in zip(projection["date_low"], projection["date_high"], projection["conf_level"])
            ],
            "Reached in simulations": [fmt_pct(x, 1) for x in projection["probability_reached"]],
        }
    )


def _z(x: object, status: str) -> str:
    """A boundary on the z scale; nothing for a look that was not held."""
    return "" if status == "not held" else fmt_num(x, 3)  # type: ignore[arg-type]


def table_interim_boundaries(boundaries: pd.DataFrame) -> pd.DataFrame:
    """Boundaries of every look (``helpers.analysis.interim.InterimAnalysis.boundaries``) on the z
    scale oriented to the planned effect, with their nominal p-values, at the information each
    look had (planned for the looks to come; blank for a look not held)."""
    out = pd.DataFrame(
        {
            "Look": [f"{k}{' (final)' if f else ''}" for k, f in zip(boundaries["look"], boundaries["final"])],
            "Status": boundaries["status"],
            "Information": [fmt_pct(x, 1) for x in boundaries["information_fraction"]],
            "Efficacy boundary (z)": [_z(x, st) for x, st in zip(boundaries["efficacy_z"], boundaries["status"])],
            "Nominal p-value": [
                "" if st == "not held" else fmt_num(x, 4)
                for x, st in zip(boundaries["nominal_p"], boundaries["status"])
            ],
        }
    )
    if boundaries["futility_z"].notna().any():
        out.insert(
            4, "Futility boundary (z)", [_z(x, st) for x, st in zip(boundaries["futility_z"], boundaries["status"])]
        )
    return out


def table_interim_decision(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The committee's summary of this look (``helpers.analysis.interim.InterimAnalysis.summary``,
    one row as a mapping): information, statistic, boundary, decision, the subdistribution hazard
    ratio with its repeated confidence interval, and at an interim look the conditional and
    predictive power. Two columns: ``Quantity``, ``Value``."""
    s = summary
    rows = [
        ("Look", interim_look_label(int(s["look"]), int(s["looks"]), bool(s["final"]))),
        ("Primary events", f"{int(s['events'])} of {int(s['planned_events'])} planned"),
        ("Information", fmt_pct(s["information_fraction"])),
        (f"Comparison ({s['statistic_name']})", str(s["comparison"])),
        ("Statistic (z)", fmt_num(s["statistic"], 3)),
        ("z in the planned direction", fmt_num(s["z_planned"], 3)),
        ("Nominal p-value", fmt_p(s["p_value"])),
        ("Efficacy boundary (z)", fmt_num(s["efficacy_z"], 3)),
    ]
    if not _missing(s.get("futility_z")):
        rows.append(("Futility boundary (z)", fmt_num(s["futility_z"], 3)))
    rows += [
        ("Nominal p-value at the boundary", fmt_num(s["nominal_p"], 4)),
        ("Decision", str(s["decision_text"])),
        ("Subdistribution HR (repeated CI)", fmt_ratio_ci(s["hr"], s["rci_low"], s["rci_high"])),
    ]
    if not bool(s["final"]):
        rows += [
            ("Conditional power, planned effect", fmt_pct(s["conditional_power_planned"])),
            ("Conditional power, current trend", fmt_pct(s["conditional_power_trend"])),
            ("Predictive power", fmt_pct(s["predictive_power"])),
        ]
    return pd.DataFrame(rows, columns=["Quantity", "Value"])


def table_completeness(completeness: pd.DataFrame) -> pd.DataFrame:
    """Data completeness (:func:`helpers.analysis.cohort.data_completeness`): one row per baseline
    variable or endpoint, with the patients who have a value or a record, n (%), and those
    without."""
    kinds = {"variable": "Baseline variable", "endpoint": "Endpoint"}
    return pd.DataFrame(
        {
            "Data": [kinds.get(k, str(k)) for k in completeness["kind"]],
            "Item": list(completeness["label"]),
            "Patients with a value or record, n (%)": [
                fmt_n_pct(int(n), int(d)) for n, d in zip(completeness["n_known"], completeness["n_patients"])
            ],
            "Missing, n": [str(int(n)) for n in completeness["n_missing"]],
        }
    )


def table_event_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Events of every endpoint (:func:`helpers.analysis.endpoints.event_counts`): rows the event,
    the competing event and censoring of each endpoint, one column per group, n (%) of the
    patients with a record."""
    rows = []
    for _, e in counts.groupby("paramcd", sort=False):
        first = e.iloc[0]
        kinds = [("n_event", f"{first['event']}")]
        if first["competing_event"]:
            kinds.append(("n_competing", f"{first['competing_event']} (competing)"))
        kinds.append(("n_censored", "Censored"))
        for col, what in kinds:
            row = {"Endpoint": str(first["endpoint"]), "Outcome": what}
            for r in e.itertuples():
                row[str(r.group)] = fmt_n_pct(int(getattr(r, col)), int(r.n_patients))
            rows.append(row)
    return pd.DataFrame(rows)
