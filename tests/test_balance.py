"""Standardised differences and risk differences against R (tests/reference/balance.R) and
hand-computed small cases."""

import math
from pathlib import Path

import numpy.testing as npt
import pandas as pd
import pytest

from helpers.stats import balance

REF = Path(__file__).parent / "reference" / "balance"

SMALL = {
    "continuous_small": ("continuous", [30, 50, 41], [62, 20]),
    "continuous_with_missing": ("continuous", [1.5, 2.5, None, 4, 7], [2, 3, 3, None]),
    "binary": ("categorical", ["M", "F", "F", "M", "M"], ["M", "F", "F", "F"]),
    "three_levels": ("categorical", ["A", "A", "B", "C", "C", "C"], ["A", "B", "B", "B", "C"]),
    "level_in_one_arm_only": ("categorical", ["A", "A", "B", "B", "D"], ["A", "B", "B", None, "C", "C"]),
}


@pytest.mark.parametrize("case", list(SMALL))
def test_standardised_differences_match_r_on_small_cases(case):
    kind, comparator, reference = SMALL[case]
    want = pd.read_csv(REF / "smd_small.csv").set_index("case").loc[case, "smd"]
    # R 4.2.2, MASS 7.3-58.2: tests/reference/balance.R, smd_continuous / smd_categorical (ginv)
    npt.assert_allclose(balance.standardised_difference(comparator, reference, kind), want, rtol=1e-12)


def test_standardised_differences_match_r_on_the_pbc_trial():
    pbc = pd.read_csv(REF / "pbc.csv", dtype={"edema": str, "stage": str})
    ref = pd.read_csv(REF / "smd_pbc.csv")
    for r in ref.itertuples():
        # R 4.2.2, survival 3.5-3 (pbc, trt 2 vs 1), MASS 7.3-58.2: tests/reference/balance.R
        got = balance.standardised_difference(
            pbc.loc[pbc.trt == 2, r.variable], pbc.loc[pbc.trt == 1, r.variable], r.kind
        )
        npt.assert_allclose(got, r.smd, rtol=1e-12, err_msg=r.variable)


def test_continuous_difference_by_hand():
    # means 40.333 and 41, variances 100.333 and 882: (40.333 - 41) / sqrt(491.1667) = -0.0300811
    assert balance.smd_continuous([30, 50, 41], [62, 20]) == pytest.approx(-0.6666667 / math.sqrt(491.1666667))


def test_two_level_mahalanobis_form_is_the_binary_formula():
    # p1 = 3/5, p0 = 1/4: |0.35| / sqrt((0.24 + 0.1875) / 2)
    got = balance.smd_categorical(["M", "F", "F", "M", "M"], ["M", "F", "F", "F"])
    assert got == pytest.approx(0.35 / math.sqrt((0.24 + 0.1875) / 2), rel=1e-12)


def test_categorical_difference_ignores_level_order_and_missing_values():
    a, b = ["A", "A", "B", "C", "C", "C"], ["A", "B", "B", "B", "C"]
    want = balance.smd_categorical(a, b)
    assert balance.smd_categorical(a, b, levels=["C", "B", "A"]) == pytest.approx(want, rel=1e-12)
    assert balance.smd_categorical([*a, None], [None, *b]) == pytest.approx(want, rel=1e-12)


def test_identical_groups_differ_by_zero_and_an_empty_group_is_nan():
    assert balance.smd_categorical(["A", "B"], ["B", "A"]) == 0
    assert balance.smd_categorical(["A", "A"], ["A"]) == 0
    assert balance.smd_continuous([3, 3], [3, 3]) == 0
    assert math.isnan(balance.smd_categorical([None], ["A"]))
    assert math.isnan(balance.smd_continuous([1], [1, 2]))


def test_risk_differences_match_r_newcombe_intervals():
    ref = pd.read_csv(REF / "risk_difference.csv")
    for r in ref.itertuples():
        # R 4.2.2: Newcombe method 10 from prop.test(x, n, correct = FALSE)$conf.int (balance.R)
        got = balance.risk_difference(r.x1, r.n1, r.x2, r.n2)
        npt.assert_allclose(got, (r.risk_difference, r.conf_low, r.conf_high), rtol=1e-9, atol=1e-15)


def test_risk_difference_refuses_counts_above_the_denominator_and_is_nan_without_patients():
    with pytest.raises(ValueError, match="x1=5 of n=4"):
        balance.risk_difference(5, 4, 0, 3)
    assert all(math.isnan(v) for v in balance.risk_difference(0, 0, 1, 3))
