"""Endpoint analyses: orientation of effects (sorafenib vs no maintenance) and assembly of results."""

import numpy as np
import pandas as pd
import pytest

from helpers import competing_risks as cr
from helpers import endpoints, survival


@pytest.fixture(scope="module")
def rel():
    rng = np.random.default_rng(7)
    n = 400
    arm = np.where(np.arange(n) % 2 == 0, endpoints.EXPERIMENTAL_ARM, endpoints.REFERENCE_ARM)
    t_rel = rng.exponential(np.where(arm == endpoints.EXPERIMENTAL_ARM, 1200, 700))
    t_nrm = rng.exponential(2500, n)
    t_cen = rng.uniform(200, 1500, n)
    t = np.minimum.reduce([t_rel, t_nrm, t_cen]).round()
    event = np.select([t == t_rel.round(), t == t_nrm.round()], [1, 2], 0)
    return pd.DataFrame({"AVAL": t, "EVNTCD": event, "ARM": arm,
                         "STRATDS": rng.choice(["CR1", "CR2+"], n)})


def test_relapse_effects_report_sorafenib_against_no_maintenance_in_any_input_order(rel):
    a = endpoints.relapse_effects(rel, adjust_for=["STRATDS"])
    b = endpoints.relapse_effects(rel.iloc[::-1].reset_index(drop=True), adjust_for=["STRATDS"])
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
    assert list(a["analysis"]) == ["Gray's test", "Fine-Gray subdistribution HR",
                                   "Fine-Gray subdistribution HR, adjusted for STRATDS", "Cause-specific Cox HR"]
    assert (a["estimate"].iloc[1:] < 1).all()  # simulated with a lower relapse hazard on sorafenib


def test_relapse_effects_equal_the_underlying_functions(rel):
    got = endpoints.relapse_effects(rel).set_index("analysis")
    data = endpoints.with_reference_arm(rel)
    gray = cr.gray_test(data, "AVAL", "EVNTCD", "ARM")
    assert got.loc["Gray's test", "p_value"] == gray.loc[gray["cause"] == 1, "p_value"].iloc[0]
    fg = cr.fine_gray(data, "AVAL", "EVNTCD", ["ARM"]).summary.set_index("term").loc["ARM[Sorafenib maintenance]"]
    assert got.loc["Fine-Gray subdistribution HR", "estimate"] == fg["hr"]
    cs = survival.cox(data.assign(e=(data["EVNTCD"] == 1).astype(int)), "AVAL", "e", ["ARM"]).iloc[0]
    assert got.loc["Cause-specific Cox HR", "conf_high"] == cs["conf_high"]


def test_unknown_arm_is_an_error_naming_it(rel):
    with pytest.raises(ValueError, match="Placebo"):
        endpoints.with_reference_arm(rel.assign(ARM="Placebo"))


def test_month_ticks_cover_follow_up_in_six_month_steps():
    assert endpoints.month_ticks(pd.Series([0, 400])) == [0.0, 182.625, 365.25]
