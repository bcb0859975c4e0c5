"""Formatting happens only in helpers.present.tables; formatted cells are tested as strings."""

import math

import pandas as pd
import pytest

from helpers.present import ard, tables

POP = "ITT"


@pytest.mark.parametrize(
    ("est", "low", "high", "want"),
    [
        (0.06, 0.033, 0.099, "6.0% (3.3%, 9.9%)"),
        (0.1234, 0.081, 0.174, "12.3% (8.1%, 17.4%)"),
        (0, 0, 0, "0.0% (0.0%, 0.0%)"),
    ],
)
def test_percent_with_interval_in_tidycmprsk_style(est, low, high, want):
    assert tables.fmt_pct_ci(est, low, high) == want


@pytest.mark.parametrize(
    ("p", "want"),
    [(0.0004, "<0.001"), (0.001, "0.001"), (0.04567, "0.046"), (1.0, "1.000"), (float("nan"), "NE"), (None, "NE")],
)
def test_p_values_print_three_decimals_or_below_threshold(p, want):
    assert tables.fmt_p(p) == want


def test_not_estimable_ratio_prints_ne_never_inf_or_zero():
    assert tables.fmt_ratio_ci(math.inf, 0.1, math.inf) == "NE"
    assert tables.fmt_ratio_ci(float("nan"), float("nan"), float("nan")) == "NE"
    assert tables.fmt_ratio_ci(0.625, 0.41, 0.944) == "0.62 (0.41, 0.94)"


def test_counts_print_with_percent_of_the_denominator_and_zero_denominators_alone():
    assert tables.fmt_n_pct(12, 35) == "12 (34.3%)"
    assert tables.fmt_n_pct(0, 0) == "0"


def test_markdown_table_escapes_pipes_and_prints_missing_as_empty():
    df = pd.DataFrame({"A": ["x|y", None], "B": [1, 2]})
    assert tables.markdown_table(df) == "| A | B |\n|:-----|------|\n| x\\|y | 1 |\n|  | 2 |\n"


def test_pipe_table_dashes_give_each_column_room_for_its_longest_word_and_cap_long_text():
    df = pd.DataFrame({"Characteristic": ["Second or later complete remission " * 3], "n": ["12 (34.3%)"]})
    # 105 characters capped at 40; "Characteristic" (14) > 6; "12 (34.3%)" 10 characters
    assert tables.column_widths([list(df.columns), list(df.iloc[0])]) == [40, 10]
    assert tables.markdown_table(df).splitlines()[1] == "|:" + "-" * 39 + "|" + "-" * 10 + "|"


def test_html_table_is_deterministic_and_uses_the_output_id():
    df = pd.DataFrame({"Arm": ["A", "B"], "n": ["1 (50.0%)", "1 (50.0%)"]})
    a = tables.html_table(df, "tbl-demo")
    assert a == tables.html_table(df, "tbl-demo")
    assert 'id="tbl-demo"' in a
    assert "http" not in a


def test_display_table_offers_html_markdown_and_text():
    bundle = tables.show_table(pd.DataFrame({"A": ["1"]}), "tbl-a")._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}


def test_report_table_is_markdown_with_the_html_for_html_formats_and_the_pipe_table_for_others():
    df = pd.DataFrame({"Arm": ["A", "B"], "n": ["1 (50.0%)", "1 (50.0%)"]})
    bundle = tables.report_table(df, "tbl-a")._repr_mimebundle_()
    assert set(bundle) == {"text/markdown", "text/plain"}  # no text/html: Quarto would add CDN scripts
    md = bundle["text/markdown"]
    assert md.startswith('::: {.content-visible when-format="html"}\n\n```{=html}\n<div id="gt-tbl-a"')
    html, pipe = tables.split_report_table(md)
    assert html == tables.html_table(df, "gt-tbl-a").strip()
    assert pipe == tables.markdown_table(df)
    assert tables.split_report_table(tables.markdown_table(df)) is None


def test_baseline_display_shows_counts_and_medians_per_arm():
    tidy = pd.DataFrame(
        [
            {
                "variable": "AGE",
                "label": "Age, years",
                "level": "",
                "group": "A",
                "n": 2,
                "denominator": 2,
                "proportion": float("nan"),
                "median": 40.0,
                "q1": 35.0,
                "q3": 45.0,
                "minimum": 30.0,
                "maximum": 50.0,
                "n_missing": 0,
            },
            {
                "variable": "SEX",
                "label": "Sex",
                "level": "F",
                "group": "A",
                "n": 1,
                "denominator": 2,
                "proportion": 0.5,
                "median": float("nan"),
                "q1": float("nan"),
                "q3": float("nan"),
                "minimum": float("nan"),
                "maximum": float("nan"),
                "n_missing": 0,
            },
        ]
    )
    got = tables.table_baseline(ard.ard_baseline(tidy, POP))
    assert got.to_dict("records") == [
        {"Characteristic": "Age, years, median (IQR)", "A (N=2)": "40 (35-45)"},
        {"Characteristic": "Sex, n (%)", "A (N=2)": ""},
        {"Characteristic": "\u2003F", "A (N=2)": "1 (50.0%)"},
    ]


# -- display frames from the study -------------------------------------------------------------
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from helpers.study import load_study  # noqa: E402

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
NAN = float("nan")


def test_cif_landmarks_use_the_study_cause_and_landmark_labels_and_arm_order():
    lm = pd.DataFrame(
        [
            {"group": g, "cause": 1, "time": t, "estimate": e, "conf_low": e - 0.01, "conf_high": e + 0.01}
            for t in (182.625, 365.25)
            for g, e in (("Observation", 0.3), ("Examplinib 150 mg", 0.2), ("Examplinib 300 mg", 0.1))
        ]
    )
    got = tables.table_cif_landmarks(ard.ard_cif_landmarks(lm, POP), THREE)
    assert list(got.columns) == ["Event", "Time", "Examplinib 300 mg", "Examplinib 150 mg", "Observation"]
    assert got[["Event", "Time"]].to_dict("records") == [
        {"Event": "Recurrence", "Time": "6 months"},
        {"Event": "Recurrence", "Time": "12 months"},
    ]
    assert got["Examplinib 300 mg"].iloc[0] == "10.0% (9.0%, 11.0%)"


def _effect(key, comparison, comparator, estimate=0.5, note="", analysis="A"):
    return {
        "key": key,
        "analysis": analysis,
        "comparison": comparison,
        "comparator_arm": comparator,
        "reference_arm": "Observation",
        "hr": estimate,
        "conf_low": estimate / 2,
        "conf_high": estimate * 2,
        "statistic": 1.0,
        "df": 1.0,
        "p_value": 0.04,
        "n_patients": 10,
        "n_dropped": 0,
        "note": note,
    }


def test_relapse_effects_table_names_each_comparison_and_shows_notes_only_when_any():
    effects = pd.DataFrame(
        [
            _effect("gray_all_arms", "All arms", None, NAN),
            _effect("gray", "300 mg vs Observation", "Examplinib 300 mg", NAN),
            _effect("fine_gray", "300 mg vs Observation", "Examplinib 300 mg"),
        ]
    )
    got = tables.table_relapse_effects(ard.ard_relapse_effects(effects, POP))
    assert list(got.columns) == ["Comparison", "Analysis", "Effect (95% CI)", "P-value"]
    assert got["Effect (95% CI)"].tolist() == ["", "", "0.50 (0.25, 1.00)"]
    noted = pd.DataFrame([_effect("fine_gray_adjusted", "x", "y", NAN, "not estimable: STRATDT has a single level")])
    shown = tables.table_relapse_effects(ard.ard_relapse_effects(noted, POP))
    assert shown.iloc[0].to_dict() == {
        "Comparison": "x",
        "Analysis": "A",
        "Effect (95% CI)": "NE",
        "P-value": "0.040",
        "Note": "not estimable: STRATDT has a single level",
    }


def test_secondary_table_says_not_delivered_in_every_cell_never_zero():
    summary = pd.DataFrame(
        [
            {
                "paramcd": "CGVHD",
                "endpoint": "Chronic graft-versus-host disease",
                "status": "not delivered",
                "time": 365.25,
                "time_label": "12 months",
                "note": "CGVHD not delivered",
            }
        ]
    )
    got = tables.table_secondary(ard.ard_secondary(summary, POP), THREE)
    row = got.iloc[0].to_dict()
    assert row["Endpoint"] == "Chronic graft-versus-host disease"
    assert {v for k, v in row.items() if k not in ("Endpoint", "Time", "Note")} == {"not delivered"}
    assert "P-value, all arms" in got and "150 mg vs Observation: HR or sHR (95% CI)" in got
    assert "0.0%" not in got.to_string()


def test_secondary_table_has_one_effect_column_set_per_comparison():
    rows = [
        {
            "paramcd": "OS",
            "endpoint": "Survival",
            "status": "delivered",
            "method": "m",
            "group": g,
            "time": 365.25,
            "time_label": "12 months",
            "estimate": 0.8,
            "conf_low": 0.7,
            "conf_high": 0.9,
            "test": "Log-rank",
            "p_value": p,
            "p_value_all_arms": 0.01,
            "comparison": c,
            "hr": eff,
            "hr_conf_low": eff / 2,
            "hr_conf_high": eff * 2,
            "n_patients": 30,
            "note": "",
        }
        for g, c, eff, p in (
            ("Examplinib 300 mg", "300 mg vs Observation", 0.5, 0.02),
            ("Examplinib 150 mg", "150 mg vs Observation", 0.8, 0.3),
            ("Observation", None, NAN, NAN),
        )
    ]
    got = tables.table_secondary(ard.ard_secondary(pd.DataFrame(rows), POP), THREE).iloc[0].to_dict()
    assert got == {
        "Endpoint": "Survival",
        "Time": "12 months",
        "Examplinib 300 mg": "80.0% (70.0%, 90.0%)",
        "Examplinib 150 mg": "80.0% (70.0%, 90.0%)",
        "Observation": "80.0% (70.0%, 90.0%)",
        "Test": "Log-rank",
        "P-value, all arms": "0.010",
        "300 mg vs Observation: HR or sHR (95% CI)": "0.50 (0.25, 1.00)",
        "300 mg vs Observation: P-value": "0.020",
        "150 mg vs Observation: HR or sHR (95% CI)": "0.80 (0.40, 1.60)",
        "150 mg vs Observation: P-value": "0.300",
    }


def test_subgroup_table_has_events_per_arm_and_an_effect_per_comparison():
    def row(comp, subgroup, level, est, note="", p=0.5):
        return {
            "subgroup": subgroup,
            "level": level,
            "reference_arm": "Observation",
            "comparator_arm": comp,
            "n_total": 20,
            "n_reference": 10,
            "n_comparator": 10,
            "events_reference": 4,
            "events_comparator": 2 if comp.endswith("300 mg") else 3,
            "n_missing": 3 if subgroup == "SEX" else 0,
            "hr": est,
            "conf_low": est / 2,
            "conf_high": est * 2,
            "p_value": 0.1,
            "p_interaction": p,
            "note": note,
        }

    effects = pd.DataFrame(
        [
            row(c, s, lv, 0.5, p=np.nan if s == "Overall" else 0.5)
            for c in ("Examplinib 300 mg", "Examplinib 150 mg")
            for s, lv in (("Overall", "Overall"), ("SEX", "Women"))
        ]
        + [row("Examplinib 150 mg", "CONDINT", "", NAN, "not estimable: CONDINT is missing")]
    )
    got = tables.table_subgroups(ard.ard_subgroups(effects, POP), THREE, effect_label="sHR")
    assert list(got.columns) == [
        "Subgroup",
        "Level",
        "Examplinib 300 mg: events/N",
        "Examplinib 150 mg: events/N",
        "Observation: events/N",
        "sHR (95% CI), 300 mg vs Observation",
        "P-interaction, 300 mg vs Observation",
        "sHR (95% CI), 150 mg vs Observation",
        "P-interaction, 150 mg vs Observation",
        "Note",
    ]
    assert got["Subgroup"].tolist() == ["Overall", "Recipient sex", "Conditioning"]
    sex = got.iloc[1]
    assert (sex["Level"], sex["Examplinib 300 mg: events/N"], sex["Observation: events/N"]) == ("Women", "2/10", "4/10")
    assert sex["P-interaction, 150 mg vs Observation"] == "0.500"
    assert sex["Note"] == (
        "300 mg vs Observation: 3 patients with a missing value left out; "
        "150 mg vs Observation: 3 patients with a missing value left out"
    )
    cond = got.iloc[2]
    assert cond["sHR (95% CI), 150 mg vs Observation"] == "NE" and cond["sHR (95% CI), 300 mg vs Observation"] == ""
    assert cond["Note"] == "150 mg vs Observation: not estimable: CONDINT is missing"


def test_findings_table_lists_rule_table_column_rows_and_patients_or_says_none():
    from helpers.analysis.cohort import findings_frame

    got = tables.table_findings(
        ard.ard_data_review(
            findings_frame(
                [
                    {
                        "severity": "finding",
                        "table": "adsl",
                        "file": "adsl.csv",
                        "column": "AGE",
                        "rule": "age 18-65",
                        "n_rows": 1,
                        "ids": ("P7",),
                    }
                ]
            ),
            POP,
        )
    )
    assert got.to_dict("records") == [
        {"Rule": "age 18-65", "Table": "adsl", "Column": "AGE", "Rows": "1", "First patients": "P7"}
    ]
    assert tables.table_findings(ard.ard_data_review(findings_frame([]), POP))["Rule"].tolist() == ["No findings."]
