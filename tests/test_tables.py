"""Formatting happens only in helpers.tables; formatted cells are tested as strings."""

import math

import pandas as pd
import pytest

from helpers import tables


@pytest.mark.parametrize(
    ("est", "low", "high", "want"),
    [(0.06, 0.033, 0.099, "6.0% (3.3%, 9.9%)"), (0.1234, 0.081, 0.174, "12.3% (8.1%, 17.4%)"), (0, 0, 0, "0.0% (0.0%, 0.0%)")],
)
def test_percent_with_interval_in_tidycmprsk_style(est, low, high, want):
    assert tables.fmt_pct_ci(est, low, high) == want


@pytest.mark.parametrize(("p", "want"), [(0.0004, "<0.001"), (0.001, "0.001"), (0.04567, "0.046"), (1.0, "1.000"),
                                         (float("nan"), "NE"), (None, "NE")])
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
    assert tables.markdown_table(df) == "| A | B |\n|---|---|\n| x\\|y | 1 |\n|  | 2 |\n"


def test_html_table_is_deterministic_and_uses_the_output_id():
    df = pd.DataFrame({"Arm": ["A", "B"], "n": ["1 (50.0%)", "1 (50.0%)"]})
    a = tables.html_table(df, "tbl-demo")
    assert a == tables.html_table(df, "tbl-demo")
    assert 'id="tbl-demo"' in a
    assert "http" not in a


def test_display_table_offers_html_markdown_and_text():
    bundle = tables.show_table(pd.DataFrame({"A": ["1"]}), "tbl-a")._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}


def test_baseline_display_shows_counts_and_medians_per_arm():
    tidy = pd.DataFrame([
        {"variable": "AGE", "label": "Age, years", "level": "", "group": "A", "n": 2, "denominator": 2,
         "percent": float("nan"), "median": 40.0, "q1": 35.0, "q3": 45.0, "minimum": 30.0, "maximum": 50.0, "n_missing": 0},
        {"variable": "SEX", "label": "Sex", "level": "F", "group": "A", "n": 1, "denominator": 2, "percent": 0.5,
         "median": float("nan"), "q1": float("nan"), "q3": float("nan"), "minimum": float("nan"),
         "maximum": float("nan"), "n_missing": 0},
    ])
    got = tables.table_baseline(tidy)
    assert got.to_dict("records") == [
        {"Characteristic": "Age, years, median (IQR) [range]", "A (N=2)": "40 (35-45) [30-50]"},
        {"Characteristic": "Sex, n (%)", "A (N=2)": ""},
        {"Characteristic": "\u2003F", "A (N=2)": "1 (50.0%)"},
    ]
