"""Formatting and display of tables: the only place where numbers are rounded.

Statistics modules return unrounded tidy frames; this module turns them into display strings
(``"12.3% (8.1%, 17.4%)"``) and shows them in a notebook as a bundle that every renderer can use:
HTML from great_tables for JupyterLab, nbconvert and Quarto HTML, a Markdown pipe table for the
PDF (pandoc and Quarto's Typst), and plain text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd


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
    if _missing(x):
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
    if _missing(p):
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


def html_table(df: pd.DataFrame, output_id: str, *, groupname_col: str | None = None,
               spanners: dict[str, Sequence[str]] | None = None, source_note: str | None = None) -> str:
    """great_tables HTML with a fixed table id, so the same frame gives the same bytes."""
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


# -- display frames: tidy results in, strings out ---------------------------------------------------
def fmt_years(days: float) -> str:
    """Landmark times in days as years, 365 days to the year: ``730 -> "2 years"``."""
    years = days / 365
    return f"{years:g} year" + ("" if years == 1 else "s")


def _arms_first(d: pd.DataFrame) -> list:
    """Rows of ``d`` with the experimental (sorafenib) arm first, as in every table of the report."""
    from .cohort import order_arms

    order = {g: i for i, g in enumerate(order_arms(d["group"].astype(str).unique()))}
    return sorted(d.itertuples(), key=lambda r: order[str(r.group)])


def _group_header(tidy: pd.DataFrame, group_col: str = "group") -> dict[str, str]:
    """``"Sorafenib maintenance" -> "Sorafenib maintenance (N=173)"`` from a ``denominator`` column."""
    first = tidy.drop_duplicates(group_col)
    return {str(r[group_col]): f"{r[group_col]} (N={int(r['denominator'])})" for _, r in first.iterrows()}


def table_baseline(tidy: pd.DataFrame) -> pd.DataFrame:
    """Table 1 from :func:`helpers.cohort.baseline_characteristics`: one row per variable or level,
    one column per arm and Total; continuous variables as median (IQR) [range]."""
    headers = _group_header(tidy)
    rows = []
    for variable, v in tidy.groupby("variable", sort=False):
        label = v["label"].iloc[0]
        if (v["level"] == "").all():
            cells = {headers[str(r.group)]: f"{r.median:.0f} ({r.q1:.0f}-{r.q3:.0f}) [{r.minimum:.0f}-{r.maximum:.0f}]"
                     for r in v.itertuples()}
            rows.append({"Characteristic": f"{label}, median (IQR) [range]", **cells})
            continue
        rows.append({"Characteristic": f"{label}, n (%)", **{h: "" for h in headers.values()}})
        for level, lv in v.groupby("level", sort=False):
            cells = {headers[str(r.group)]: fmt_n_pct(int(r.n), int(r.denominator)) for r in lv.itertuples()}
            rows.append({"Characteristic": f"\u2003{level}", **cells})
    return pd.DataFrame(rows)


def table_cif_landmarks(landmarks: pd.DataFrame, cause_labels: dict[int, str]) -> pd.DataFrame:
    """Cumulative incidence at landmark times: one row per cause and time, one column per group,
    ``"12.3% (8.1%, 17.4%)"``. ``landmarks`` is ``cumulative_incidence(..., times=...)``."""
    rows = []
    for (cause, time), d in landmarks.groupby(["cause", "time"], sort=True):
        row = {"Event": cause_labels.get(int(cause), f"Cause {cause}"), "Time": fmt_years(time)}
        for r in _arms_first(d):
            row[str(r.group)] = fmt_pct_ci(r.estimate, r.conf_low, r.conf_high)
        rows.append(row)
    return pd.DataFrame(rows)


def table_relapse_effects(effects: pd.DataFrame) -> pd.DataFrame:
    """Model and test rows (``analysis, estimate, conf_low, conf_high, p_value``) as strings."""
    return pd.DataFrame({
        "Analysis": effects["analysis"],
        "Effect (95% CI)": [fmt_ratio_ci(e, lo, hi) if pd.notna(e) else "" for e, lo, hi in
                            zip(effects["estimate"], effects["conf_low"], effects["conf_high"])],
        "P-value": [fmt_p(p) for p in effects["p_value"]],
    })


def table_teae_overview(overview: pd.DataFrame) -> pd.DataFrame:
    """Patients with at least one TEAE of each kind, n (%) per arm and Total."""
    headers = _group_header(overview)
    wide = overview.assign(cell=[fmt_n_pct(n, d) for n, d in zip(overview["n_patients"], overview["denominator"])])
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


def table_subgroups(effects: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Subgroup table from :func:`helpers.subgroups.subgroup_effects`: events/patients per arm
    (comparator first), effect with CI, interaction p-value on each subgroup's first line."""
    labels = labels or {}
    comparator, reference = effects["comparator_arm"].iloc[0], effects["reference_arm"].iloc[0]
    rows = []
    for subgroup, d in effects.groupby("subgroup", sort=False):
        for i, r in enumerate(d.itertuples()):
            rows.append({
                "Subgroup": labels.get(str(subgroup), str(subgroup)) if i == 0 else "",
                "Level": "" if str(r.level) == str(subgroup) else str(r.level),
                f"{comparator}: events/N": f"{int(r.events_comparator)}/{int(r.n_comparator)}",
                f"{reference}: events/N": f"{int(r.events_reference)}/{int(r.n_reference)}",
                "Effect (95% CI)": fmt_ratio_ci(r.estimate, r.conf_low, r.conf_high),
                "P-interaction": fmt_p(r.p_interaction) if i == 0 and pd.notna(r.p_interaction) else "",
                "Note": r.note if isinstance(r.note, str) else "",
            })
    return pd.DataFrame(rows)


def table_secondary(summary: pd.DataFrame) -> pd.DataFrame:
    """Secondary endpoints at 2 years: estimate per arm, effect with CI and the test's p-value."""
    rows = []
    for code, d in summary.groupby("paramcd", sort=False):
        first = d.iloc[0]
        row = {"Endpoint": first["endpoint"], "Time": fmt_years(first["time"])}
        for r in _arms_first(d):
            row[str(r.group)] = fmt_pct_ci(r.estimate, r.conf_low, r.conf_high)
        row["HR or sHR (95% CI)"] = fmt_ratio_ci(first["effect"], first["effect_low"], first["effect_high"])
        row["Test"] = first["test"]
        row["P-value"] = fmt_p(first["p_value"])
        rows.append(row)
    return pd.DataFrame(rows)


def table_exposure(overview: dict[str, float]) -> pd.DataFrame:
    """Sorafenib exposure among treated patients (``safety.exposure_overview``): median (IQR), n (%)."""
    n = int(overview["n_treated"])

    def med(name: str) -> str:
        return (f"{fmt_num(overview[f'median_{name}'], 0)} "
                f"({fmt_num(overview[f'q1_{name}'], 0)}-{fmt_num(overview[f'q3_{name}'], 0)})")

    return pd.DataFrame([
        ("Treated patients, n", f"{n}"),
        ("Duration of treatment, days, median (IQR)", med("duration_days")),
        ("Mean daily dose, mg, median (IQR)", med("mean_daily_dose_mg")),
        ("Patients with at least one interruption, n (%)", fmt_n_pct(int(overview["n_interrupted"]), n)),
        ("Patients with at least one dose reduction, n (%)", fmt_n_pct(int(overview["n_reduced"]), n)),
    ], columns=["Exposure", "Sorafenib maintenance"])


def table_teae_grades(grades: pd.DataFrame) -> pd.DataFrame:
    """Patients by worst CTCAE grade for each term (``safety.worst_grade_by_term``): one row per
    term and arm, one column per grade, n (%)."""
    headers = _group_header(grades)
    rows = []
    for (term, group), d in grades.groupby(["term", "group"], sort=False):
        row = {"Preferred term": term, "Arm": headers[str(group)]}
        for r in d.itertuples():
            row[f"Grade {int(r.grade)}"] = fmt_n_pct(int(r.n_patients), int(r.denominator))
        rows.append(row)
    return pd.DataFrame(rows)
