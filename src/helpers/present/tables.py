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
from collections.abc import Sequence
from typing import Any

import pandas as pd

from helpers.analysis.cohort import TOTAL
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
#: Bounds of a column's share of a pipe table's width, in characters (:func:`column_widths`).
_MIN_WIDTH, _MAX_WIDTH = 6, 40


def column_widths(cells: Sequence[Sequence[str]]) -> list[int]:
    """Relative widths of a table's columns from their text (header first): each column's
    longest body cell (a header wraps), at least its longest word, header included (so that no
    word is broken), and within [6, 40] characters (a long cell wraps rather than starving the
    others)."""
    widths = []
    for header, *body in zip(*cells):
        longest = max((len(c) for c in body), default=0)
        word = max((len(w) for c in (header, *body) for w in c.split()), default=0)
        widths.append(max(_MIN_WIDTH, word, min(longest, _MAX_WIDTH)))
    return widths


def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table of the frame's cells as strings (pandoc and Quarto read it). The dashes
    under each header are its relative width (:func:`column_widths`): pandoc sizes the columns
    of a wide table by them, so text columns get room and numbers stay on one line. The first
    column (the row labels) is left-aligned."""
    cols = [str(c) for c in df.columns]

    def cell(v: object) -> str:
        return ("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)).replace("|", "\\|")

    body = [[cell(v) for v in row] for row in df.itertuples(index=False)]
    widths = column_widths([cols, *body]) if cols else []
    rule = [(":" if i == 0 else "-") + "-" * (w - 1) for i, w in enumerate(widths)]  # labels left-aligned
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
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


# Every table below is built from the ARD rows of its output (:mod:`helpers.present.ard`), which
# hold each number once with its formatted text: a cell is composed of those texts, never of a
# number formatted here, so that every cell traces back to rows of the run's ARD.
def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    from helpers.present.ard import records

    return records(rows)


def _headers(recs: Sequence[dict[str, Any]], group: str = "group") -> dict[str, str]:
    """``"<arm label>" -> "<arm label> (N=173)"`` from the arms' ``denominator`` records."""
    return {r[group]: f"{r[group]} (N={r['denominator']})" for r in recs if set(r) == {group, "denominator"}}


def _n_pct(n: str, denominator: str, proportion: str) -> str:
    """``"12 (34.3%)"`` from the ARD's texts; a zero denominator gives ``"12"``."""
    return n if denominator == "0" else f"{n} ({proportion})"


def _pct_ci(r: dict[str, Any], est: str = "estimate", low: str = "conf_low", high: str = "conf_high") -> str:
    """``"12.3% (8.1%, 17.4%)"``, the tidycmprsk / gtsummary style."""
    return f"{r[est]} ({r[low]}, {r[high]})"


def _ratio_ci(r: dict[str, Any], est: str = "hr", low: str = "conf_low", high: str = "conf_high") -> str:
    """``"0.62 (0.41, 0.94)"``; ``"NE"`` when the ratio is not estimable."""
    return "NE" if r[est] == "NE" else f"{r[est]} ({r[low]}, {r[high]})"


def _arm_rank(arms: Sequence[str], order: Sequence[str]) -> dict[str, int]:
    from helpers.analysis.cohort import order_arms

    return {g: i for i, g in enumerate(order_arms(arms, order))}


def fmt_smd(x: float | None) -> str:
    """An absolute standardised difference with 2 decimals (``0.1234 -> "0.12"``); NE when missing."""
    return fmt_num(None if x is None or _missing(x) else abs(float(x)), 2)


def table_baseline(rows: pd.DataFrame) -> pd.DataFrame:
    """Table 1 from the ARD (:func:`helpers.present.ard.ard_baseline`) of
    :func:`helpers.analysis.cohort.baseline_characteristics` and
    :func:`helpers.analysis.cohort.standardised_differences`: one row per variable or level with
    the decoded labels, one column per arm and Total; continuous variables as median (IQR),
    categorical ones as n (%); missing values in a "Missing" row; the absolute standardised
    difference of each comparison on the variable's first row (no p-values)."""
    recs = _records(rows)
    headers = _headers(recs)
    smd = [r for r in recs if "smd" in r]
    comparisons = list(dict.fromkeys(r["comparison"] for r in smd))
    smd_cols = {
        ("SMD" if len(comparisons) == 1 else f"SMD, {c}"): {
            r["variable"]: r["smd"] for r in smd if r["comparison"] == c
        }
        for c in comparisons
    }
    blank = {h: "" for h in headers.values()}
    out = []
    for lab in (r for r in recs if "label" in r and "smd" not in r):
        var = lab["variable"]
        mine = [r for r in recs if r.get("variable") == var and "group" in r]
        smd_cells = {h: cells.get(var, "") for h, cells in smd_cols.items()}
        no_smd = {h: "" for h in smd_cols}
        if any("median" in r for r in mine):
            cells = {headers[r["group"]]: f"{r['median']} ({r['q1']}-{r['q3']})" for r in mine}
            out.append({"Characteristic": f"{lab['label']}, median (IQR)", **cells, **smd_cells})
            if any(r["n_missing"] != "0" for r in mine):
                missing = {
                    headers[r["group"]]: _n_pct(r["n_missing"], r["denominator"], r["proportion_missing"]) for r in mine
                }
                out.append({"Characteristic": "\u2003Missing", **missing, **no_smd})
            continue
        out.append({"Characteristic": f"{lab['label']}, n (%)", **blank, **smd_cells})
        for level in dict.fromkeys(r["level"] for r in mine):
            cells = {
                headers[r["group"]]: _n_pct(r["n"], r["denominator"], r["proportion"])
                for r in mine
                if r["level"] == level
            }
            out.append({"Characteristic": f"\u2003{level}", **cells, **no_smd})
    return pd.DataFrame(out)


def table_cif_landmarks(rows: pd.DataFrame, study: Study, paramcd: str | None = None) -> pd.DataFrame:
    """Cumulative incidence at the study's landmarks (:func:`helpers.present.ard.ard_cif_landmarks`
    of ``cumulative_incidence(..., times=study.time.landmark_days)`` of ``paramcd``, default the
    primary endpoint): one row per cause and time, one column per arm (display order),
    ``"12.3% (8.1%, 17.4%)"``; the endpoint's cause labels name the rows."""
    endpoint = study.endpoint(paramcd or study.primary.endpoint)
    recs = _records(rows)
    rank = _arm_rank([r["group"] for r in recs], study.arm_labels)
    out = []
    for cause, time in sorted({(float(r["cause"]), float(r["time"])) for r in recs}):
        label = study.time.landmark_label(time) if time in study.time.landmark_days else fmt_years(time)
        row = {"Event": endpoint.causes.get(int(cause), f"Cause {cause:g}"), "Time": label}
        mine = [r for r in recs if float(r["cause"]) == cause and float(r["time"]) == time]
        for r in sorted(mine, key=lambda r: rank[r["group"]]):
            row[r["group"]] = _pct_ci(r)
        out.append(row)
    return pd.DataFrame(out)


def _in_order(d: pd.DataFrame, order: Sequence[str]) -> list:
    """Rows of ``d`` with ``group`` in display ``order`` (others after, alphabetically)."""
    from helpers.analysis.cohort import order_arms

    rank = {g: i for i, g in enumerate(order_arms(d["group"].astype(str).unique(), order))}
    return sorted(d.itertuples(), key=lambda r: rank[str(r.group)])


def table_landmark_estimates(estimates: pd.DataFrame, study: Study, paramcd: str) -> pd.DataFrame:
    """Estimates at landmark times of any endpoint, one row per cause (competing endpoints) and
    time, one column per group in display order, ``"12.3% (8.1%, 17.4%)"``. ``estimates`` is
    ``cumulative_incidence(..., times=...)`` or ``kaplan_meier(..., times=...)`` of ``paramcd``;
    a time that is a landmark of the study takes its label, any other its value in the study's
    time unit. From an analysis frame, not the ARD: the explore app's table, not the report's."""
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


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


#: Keys of the effect rows that are tests (Gray's, log-rank): they have a p-value and no effect.
_TESTS = ("gray", "gray_all_arms", "logrank", "logrank_all_arms")


def table_relapse_effects(rows: pd.DataFrame) -> pd.DataFrame:
    """Test and model rows of :func:`helpers.analysis.endpoints.relapse_effects` (or
    ``survival_effects``; ARD: :func:`helpers.present.ard.ard_relapse_effects`) as strings: the
    comparison, the analysis, the (s)HR with its interval (none for a test), the p-value, and the
    notes (patients dropped, covariates left out) when there are any."""
    recs = _records(rows)
    out = pd.DataFrame(
        {
            "Comparison": [r["comparison"] for r in recs],
            "Analysis": [r["analysis"] for r in recs],
            "Effect (95% CI)": ["" if r["key"] in _TESTS else _ratio_ci(r) for r in recs],
            "P-value": [r["p_value"] for r in recs],
        }
    )
    notes = [r["note"] for r in recs]
    if any(notes):
        out["Note"] = notes
    return out


def table_secondary(rows: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Secondary endpoints at the main landmark (:func:`helpers.analysis.endpoints.secondary_summary`,
    ARD :func:`helpers.present.ard.ard_secondary`): the estimate per arm, then for each comparison
    the (s)HR with its interval and the two-arm test's p-value; with more than two arms also the
    p-value of the test over all arms. An endpoint that was not delivered says so in every cell."""
    comparisons = [study.comparison_label(a) for a in study.comparator_arms]
    several = len(comparisons) > 1
    recs = _records(rows)
    out = []
    for paramcd in dict.fromkeys(r["paramcd"] for r in recs):
        mine = [r for r in recs if r["paramcd"] == paramcd]
        first = mine[0]
        row: dict[str, str] = {"Endpoint": first["endpoint"], "Time": first["time_label"]}
        delivered = first["status"] != NOT_DELIVERED
        by_group = {r["group"]: r for r in mine} if delivered else {}
        for arm in study.arms:
            r = by_group.get(arm.label)
            row[arm.label] = NOT_DELIVERED if r is None else _pct_ci(r)
        row["Test"] = first["test"] if delivered else NOT_DELIVERED
        if several:
            row["P-value, all arms"] = first["p_value_all_arms"] if delivered else NOT_DELIVERED
        for arm, comparison in zip(study.comparator_arms, comparisons):
            r = by_group.get(arm.label)
            row[f"{comparison}: HR or sHR (95% CI)"] = (
                NOT_DELIVERED if r is None else _ratio_ci(r, "hr", "hr_conf_low", "hr_conf_high")
            )
            row[f"{comparison}: P-value"] = NOT_DELIVERED if r is None else r["p_value"]
        row["Note"] = first["note"]
        out.append(row)
    frame = pd.DataFrame(out)
    if "Note" in frame and not frame["Note"].astype(bool).any():
        frame = frame.drop(columns="Note")
    return frame


def table_subgroups(rows: pd.DataFrame, study: Study, *, effect_label: str = "HR") -> pd.DataFrame:
    """Subgroup table from :func:`helpers.stats.subgroups.subgroup_effects` (ARD
    :func:`helpers.present.ard.ard_subgroups`; any number of comparisons against one reference
    arm): events/patients per arm (comparators first, in their order), then for each comparison
    the effect (``effect_label``, e.g. "sHR") with its interval and the interaction p-value (on
    each subgroup's first line), and the notes, which say how many patients a missing value left
    out. Subgroups are named by the study's labels."""
    recs = _records(rows)
    comparators = list(dict.fromkeys(r["comparator_arm"] for r in recs))
    reference = recs[0]["reference_arm"]
    several = len(comparators) > 1
    keyed = {(r["comparator_arm"], r["subgroup"], r["level"]): r for r in recs}
    order = list(dict.fromkeys((r["subgroup"], r["level"]) for r in recs))
    seen: set[str] = set()
    out = []
    for subgroup, level in order:
        first_line = subgroup not in seen
        seen.add(subgroup)
        label = "Overall" if subgroup == "Overall" else study.subgroup_label(subgroup)
        row = {"Subgroup": label if first_line else "", "Level": "" if level == subgroup else level}
        ref_row = next(keyed[(c, subgroup, level)] for c in comparators if (c, subgroup, level) in keyed)
        for c in comparators:
            r = keyed.get((c, subgroup, level))
            row[f"{c}: events/N"] = "" if r is None else f"{r['events_comparator']}/{r['n_comparator']}"
        row[f"{reference}: events/N"] = f"{ref_row['events_reference']}/{ref_row['n_reference']}"
        notes = []
        for c in comparators:
            r = keyed.get((c, subgroup, level))
            name = study.comparison_label(c)
            row[f"{effect_label} (95% CI), {name}"] = "" if r is None else _ratio_ci(r)
            p_col = f"P-interaction, {name}" if several else "P-interaction"
            row[p_col] = r["p_interaction"] if r is not None and first_line and r["p_interaction"] != "NE" else ""
            said = []
            if r is not None and first_line and r["n_missing"] not in ("0", "NE"):
                said.append(f"{_count(int(r['n_missing']), 'patient')} with a missing value left out")
            if r is not None and r["note"]:
                said.append(r["note"])
            if said:
                notes.append(f"{name}: {'; '.join(said)}" if several else "; ".join(said))
        row["Note"] = "; ".join(notes)
        out.append(row)
    return pd.DataFrame(out)


def table_teae_overview(rows: pd.DataFrame) -> pd.DataFrame:
    """Patients with at least one TEAE of each kind (ARD :func:`helpers.present.ard.ard_teae_overview`),
    n (%) per arm and Total; a dose action in an arm without the study drug reads "not applicable"."""
    recs = _records(rows)
    headers = _headers(recs)
    body = [r for r in recs if "category" in r]
    out = []
    for category in dict.fromkeys(r["category"] for r in body):
        cells = {
            r["group"]: (
                _n_pct(r["n_patients"], r["denominator"], r["proportion"])
                if r["applicable"] != "false"
                else NOT_APPLICABLE
            )
            for r in body
            if r["category"] == category
        }
        out.append({"Patients with": category, **{h: cells[g] for g, h in headers.items()}})
    return pd.DataFrame(out)


def table_teae_terms(rows: pd.DataFrame) -> pd.DataFrame:
    """Preferred terms by arm, any grade and grade >= 3, n (%) (ARD :func:`helpers.present.ard.ard_teae_terms`)."""
    recs = _records(rows)
    if not recs:
        return pd.DataFrame(columns=["System organ class", "Preferred term"])
    headers = _headers(recs)
    body = [r for r in recs if "term" in r]
    out = []
    for soc, term in dict.fromkeys((r["soc"], r["term"]) for r in body):
        row = {"System organ class": soc, "Preferred term": term}
        for r in body:
            if (r["soc"], r["term"]) == (soc, term):
                h = headers[r["group"]]
                row[f"{h}: any grade"] = _n_pct(r["n_any"], r["denominator"], r["proportion_any"])
                row[f"{h}: grade \u22653"] = _n_pct(r["n_grade3plus"], r["denominator"], r["proportion_grade3plus"])
        out.append(row)
    return pd.DataFrame(out)


def table_teae_grades(rows: pd.DataFrame) -> pd.DataFrame:
    """Patients by worst CTCAE grade for each term (``safety.worst_grade_by_term``, ARD
    :func:`helpers.present.ard.ard_teae_grades`): one row per term and arm, one column per grade, n (%)."""
    recs = _records(rows)
    if not recs:
        return pd.DataFrame({"Preferred term": ["No terms of special interest are defined"]})
    headers = _headers(recs)
    body = [r for r in recs if "grade" in r]
    out = []
    for term, group in dict.fromkeys((r["term"], r["group"]) for r in body):
        row = {"Preferred term": term, "Arm": headers[group]}
        for r in body:
            if (r["term"], r["group"]) == (term, group):
                row[f"Grade {r['grade']}"] = _n_pct(r["n_patients"], r["denominator"], r["proportion"])
        out.append(row)
    return pd.DataFrame(out)


def table_exposure(rows: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Study-drug exposure among treated patients, one column per arm given the drug
    (:func:`helpers.analysis.safety.exposure_by_arm`, ARD :func:`helpers.present.ard.ard_exposure`):
    median (IQR), n (%)."""
    unit = study.safety.dose_unit if study.safety is not None else "mg/day"
    recs = _records(rows)

    def med(r: dict[str, Any]) -> str:
        return f"{r['median']} ({r['q1']}-{r['q3']})"

    labels = [
        "Treated patients, n",
        "Duration of treatment, days, median (IQR)",
        f"Mean daily dose, {unit}, median (IQR)",
        "Patients with at least one interruption, n (%)",
        "Patients with at least one dose reduction, n (%)",
    ]
    out = {"Exposure": labels}
    for t in (r for r in recs if "treated" in r):
        arm = t["group"]
        duration, dose = (
            next(r for r in recs if r["group"] == arm and m in r) for m in ("duration_days", "mean_daily_dose_mg")
        )
        n = t["n_treated"]
        out[arm] = [
            n,
            med(duration),
            med(dose),
            _n_pct(t["n_interrupted"], n, t["proportion_interrupted"]),
            _n_pct(t["n_reduced"], n, t["proportion_reduced"]),
        ]
    return pd.DataFrame(out)


def table_not_delivered(table: str, what: str) -> pd.DataFrame:
    """The one-cell table shown in place of a table whose input was not delivered:
    ``table_not_delivered("ADAE", "adverse-event data")``."""
    return pd.DataFrame({"Status": [f"Not delivered: this delivery has no {what} ({table.upper()})."]})


def table_findings(rows: pd.DataFrame) -> pd.DataFrame:
    """The data review (:func:`helpers.analysis.cohort.findings_frame`, ARD
    :func:`helpers.present.ard.ard_data_review`): one row per finding with its rule, table,
    column, number of rows and first patients (patient ids, only with PATIENT_LISTINGS=1); one
    line "No findings." when there are none."""
    recs = _records(rows)
    total = next(r for r in recs if r.get("finding") == "all")
    findings = [r for r in recs if r.get("finding") != "all"]
    with_ids = total["first_ids_listed"] == "true"
    cols = ["Rule", "Table", "Column", "Rows", *(["First patients"] if with_ids else [])]
    if not findings:
        return pd.DataFrame([["No findings.", *[""] * (len(cols) - 1)]], columns=cols)
    out = pd.DataFrame(
        {
            "Rule": [r["rule"] for r in findings],
            "Table": [r["table"] for r in findings],
            "Column": [r["column"] or "-" for r in findings],
            "Rows": [r["n_rows"] if r["n_rows"] != "NE" else "" for r in findings],
        }
    )
    if with_ids:
        out["First patients"] = [r["first_ids"] for r in findings]
    if len({r["severity"] for r in findings}) > 1:
        out.insert(0, "Severity", [r["severity"] for r in findings])
    return out


def table_teae_soc_term(rows: pd.DataFrame, *, by_grade: bool = True) -> pd.DataFrame:
    """The nested adverse-event table of :func:`helpers.analysis.safety.teae_soc_term` (ARD
    :func:`helpers.present.ard.ard_teae_soc_term`): the overall row, each system organ class and
    its preferred terms indented beneath. ``by_grade``: per arm "Any grade", "Grade 3-4" and
    "Grade 5" (patients at their worst grade), no Total (too wide); otherwise one n (%) column
    per arm and Total. A count that does not apply reads "not applicable"; a subset whose ADAE
    column was not delivered reads "not delivered"."""
    recs = _records(rows)
    headers = _headers(recs)
    title = "System organ class / Preferred term"
    body = [r for r in recs if "row_type" in r]
    if any(r["status"] == NOT_DELIVERED for r in body):
        note = body[0]["note"]
        return pd.DataFrame([{title: f"Not delivered: {note}", **{h: NOT_DELIVERED for h in headers.values()}}])
    out = []
    for row_type, soc, term in dict.fromkeys((r["row_type"], r["soc"], r["term"]) for r in body):
        label = {"overall": "Patients with at least one event", "soc": soc}.get(row_type, f"\u2003{term}")
        row: dict[str, str] = {title: label}
        for r in body:
            if (r["row_type"], r["soc"], r["term"]) != (row_type, soc, term):
                continue
            if by_grade and r["group"] == TOTAL:
                continue  # three columns per arm: a Total would make the table too wide to read
            h = headers[r["group"]]
            if r["applicable"] == "false":
                cells = {h: NOT_APPLICABLE} if not by_grade else dict.fromkeys(_grade_headers(h), NOT_APPLICABLE)
            elif by_grade:
                any_h, g34_h, g5_h = _grade_headers(h)
                cells = {
                    any_h: _n_pct(r["n_patients"], r["denominator"], r["proportion"]),
                    g34_h: _n_pct(r["n_grade3_4"], r["denominator"], r["proportion_grade3_4"]),
                    g5_h: _n_pct(r["n_grade5"], r["denominator"], r["proportion_grade5"]),
                }
            else:
                cells = {h: _n_pct(r["n_patients"], r["denominator"], r["proportion"])}
            row.update(cells)
        out.append(row)
    return pd.DataFrame(out)


def _grade_headers(header: str) -> tuple[str, str, str]:
    return (f"{header}: any grade", f"{header}: grade 3-4", f"{header}: grade 5")


def table_primary_by_population(rows: pd.DataFrame, *, effect_label: str = "sHR") -> pd.DataFrame:
    """The primary endpoint in each analysis population
    (:func:`helpers.analysis.endpoints.primary_by_population`, ARD
    :func:`helpers.present.ard.ard_primary_by_population`): one row per population and
    comparison, with patients and events, Gray's p-value, and the unadjusted and adjusted model
    side by side (effect with its interval and p-value); notes when there are any."""
    recs = _records(rows)
    out = []
    for pair in dict.fromkeys((r["population_key"], r["comparison"]) for r in recs):
        mine = [r for r in recs if (r["population_key"], r["comparison"]) == pair]
        by_key = {r["key"]: r for r in mine}
        first = mine[0]
        unadjusted, adjusted, gray = by_key.get("fine_gray"), by_key.get("fine_gray_adjusted"), by_key.get("gray")
        out.append(
            {
                "Population": first["population_label"],
                "Comparison": first["comparison"],
                "Patients": first["n_patients"],
                "Events": first["n_events"],
                "Gray's test P": gray["p_value"] if gray is not None else "NE",
                f"Unadjusted {effect_label} (95% CI)": "NE" if unadjusted is None else _ratio_ci(unadjusted),
                "Unadjusted P": "NE" if unadjusted is None else unadjusted["p_value"],
                f"Adjusted {effect_label} (95% CI)": "NE" if adjusted is None else _ratio_ci(adjusted),
                "Adjusted P": "NE" if adjusted is None else adjusted["p_value"],
                "Note": "; ".join(dict.fromkeys(r["note"] for r in mine if r["note"])),
            }
        )
    frame = pd.DataFrame(out)
    if "Note" in frame and not frame["Note"].astype(bool).any():
        frame = frame.drop(columns="Note")
    return frame


def table_accrual_by_site(rows: pd.DataFrame) -> pd.DataFrame:
    """Randomised patients per site (:func:`helpers.analysis.cohort.accrual_by_site`, ARD
    :func:`helpers.present.ard.ard_accrual_by_site`), n (%) per arm and Total, sites by
    descending total."""
    recs = _records(rows)
    headers = _headers(recs)
    body = [r for r in recs if "site" in r]
    out = []
    for site in dict.fromkeys(r["site"] for r in body):
        cells = {r["group"]: _n_pct(r["n"], r["denominator"], r["proportion"]) for r in body if r["site"] == site}
        out.append({"Site": site, **{h: cells[g] for g, h in headers.items()}})
    return pd.DataFrame(out)


def _date(x: object) -> str:
    """A date as ``YYYY-MM-DD``; missing prints as ``"NE"``."""
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return "NE"
    return pd.Timestamp(str(x)).date().isoformat()


def interim_look_label(look: int, looks: int, final: bool) -> str:
    """``"look 1 of 2 (interim analysis)"`` or ``"look 2 of 2 (final analysis)"``."""
    return f"look {look} of {looks} ({'final' if final else 'interim'} analysis)"


def _look(r: dict[str, Any]) -> str:
    return f"{r['look']}{' (final)' if r['final'] == 'true' else ''}"


def _blank_ne(x: str) -> str:
    """A missing number of a look not yet held prints empty, not ``"NE"``."""
    return "" if x == "NE" else x


def table_interim_information(rows: pd.DataFrame) -> pd.DataFrame:
    """The looks of the design (``helpers.analysis.interim.LookPosition.table``, ARD
    :func:`helpers.present.ard.ard_interim_information`): planned fraction and events, the data
    cutoff and the primary events and information fraction of the looks held and of this one, and
    what their information rests on. Pooled: nothing by arm."""
    recs = [r for r in _records(rows) if "look" in r and "current" not in r]  # not the summary of this cut
    columns = ["Look", "Planned information", "Planned events", "Data cutoff", "Events", "Information", "Basis"]
    return pd.DataFrame(
        [
            {
                "Look": _look(r),
                "Planned information": r["planned_fraction"],
                "Planned events": r["planned_events"],
                "Data cutoff": r["cutoff"],
                "Events": _blank_ne(r["events"]),
                "Information": _blank_ne(r["information_fraction"]),
                "Basis": r["basis"],
            }
            for r in recs
        ],
        columns=columns,
    )


def table_interim_projection(rows: pd.DataFrame) -> pd.DataFrame:
    """Projected dates at which the looks to come reach their planned primary events
    (``helpers.analysis.interim.projected_looks``, ARD
    :func:`helpers.present.ard.ard_interim_projection`): median date and prediction interval. At
    the final analysis (no look left) one row says so."""
    recs = [r for r in _records(rows) if "look" in r]
    if not recs:
        return pd.DataFrame({"Look": ["None"], "Projected date": ["this is the final analysis: no look is left"]})
    return pd.DataFrame(
        [
            {
                "Look": _look(r),
                "Planned events": r["planned_events"],
                "Events still to come": r["additional_events"],
                "Projected date": r["date"],
                "Prediction interval": f"{r['date_low']} to {r['date_high']} ({r['conf_level']})",
                "Reached in simulations": r["probability_reached"],
            }
            for r in recs
        ]
    )


def _held(r: dict[str, Any], stat: str) -> str:
    """A boundary's text; nothing for a look that was not held."""
    return "" if r["status"] == "not held" else str(r[stat])


def table_interim_boundaries(rows: pd.DataFrame) -> pd.DataFrame:
    """Boundaries of every look (``helpers.analysis.interim.InterimAnalysis.boundaries``, ARD
    :func:`helpers.present.ard.ard_interim_boundaries`) on the z scale oriented to the planned
    effect, with their nominal p-values, at the information each look had (planned for the looks
    to come; blank for a look not held)."""
    recs = [r for r in _records(rows) if "look" in r]
    out = pd.DataFrame(
        {
            "Look": [_look(r) for r in recs],
            "Status": [r["status"] for r in recs],
            "Information": [r["information_fraction"] for r in recs],
            "Efficacy boundary (z)": [_held(r, "efficacy_z") for r in recs],
            "Nominal p-value": [_held(r, "nominal_p") for r in recs],
        }
    )
    if any(r["futility_z"] != "NE" for r in recs):
        out.insert(4, "Futility boundary (z)", [_held(r, "futility_z") for r in recs])
    return out


def table_interim_decision(rows: pd.DataFrame) -> pd.DataFrame:
    """The committee's summary of this look (``helpers.analysis.interim.InterimAnalysis.summary``,
    ARD :func:`helpers.present.ard.ard_interim_decision`): information, statistic, boundary,
    decision, the subdistribution hazard ratio with its repeated confidence interval, and at an
    interim look the conditional and predictive power. Two columns: ``Quantity``, ``Value``."""
    s = next(r for r in _records(rows) if "decision" in r)
    final = s["final"] == "true"
    out = [
        ("Look", interim_look_label(int(s["look"]), int(s["looks"]), final)),
        ("Primary events", f"{s['events']} of {s['planned_events']} planned"),
        ("Information", s["information_fraction"]),
        (f"Comparison ({s['statistic_name']})", s["comparison"]),
        ("Statistic (z)", s["statistic"]),
        ("z in the planned direction", s["z_planned"]),
        ("Nominal p-value", s["p_value"]),
        ("Efficacy boundary (z)", s["efficacy_z"]),
    ]
    if s.get("futility_z", "NE") != "NE":
        out.append(("Futility boundary (z)", s["futility_z"]))
    out += [
        ("Nominal p-value at the boundary", s["nominal_p"]),
        ("Decision", s["decision_text"]),
        ("Subdistribution HR (repeated CI)", _ratio_ci(s, "hr", "rci_low", "rci_high")),
    ]
    if not final:
        out += [
            ("Conditional power, planned effect", s["conditional_power_planned"]),
            ("Conditional power, current trend", s["conditional_power_trend"]),
            ("Predictive power", s["predictive_power"]),
        ]
    return pd.DataFrame(out, columns=["Quantity", "Value"])


def table_completeness(rows: pd.DataFrame) -> pd.DataFrame:
    """Data completeness (:func:`helpers.analysis.cohort.data_completeness`, ARD
    :func:`helpers.present.ard.ard_completeness`): one row per baseline variable or endpoint, with
    the patients who have a value or a record, n (%), and those without."""
    kinds = {"variable": "Baseline variable", "endpoint": "Endpoint"}
    recs = [r for r in _records(rows) if "item" in r]
    return pd.DataFrame(
        [
            {
                "Data": kinds.get(r["kind"], r["kind"]),
                "Item": r["label"],
                "Patients with a value or record, n (%)": _n_pct(r["n_known"], r["n_patients"], r["proportion"]),
                "Missing, n": r["n_missing"],
            }
            for r in recs
        ],
        columns=["Data", "Item", "Patients with a value or record, n (%)", "Missing, n"],
    )


def table_event_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """Events of every endpoint (:func:`helpers.analysis.endpoints.event_counts`, ARD
    :func:`helpers.present.ard.ard_event_counts`): rows the event, the competing event and
    censoring of each endpoint, one column per group, n (%) of the patients with a record."""
    recs = [r for r in _records(rows) if "paramcd" in r]
    out = []
    for paramcd in dict.fromkeys(r["paramcd"] for r in recs):
        mine = [r for r in recs if r["paramcd"] == paramcd]
        first = mine[0]
        kinds = [("event", first["event"])]
        if first["competing_event"]:
            kinds.append(("competing", f"{first['competing_event']} (competing)"))
        kinds.append(("censored", "Censored"))
        for kind, what in kinds:
            row = {"Endpoint": first["endpoint"], "Outcome": what}
            for r in mine:
                row[r["group"]] = _n_pct(r[f"n_{kind}"], r["n_patients"], r[f"proportion_{kind}"])
            out.append(row)
    return pd.DataFrame(out)
