"""Endpoint analyses: each comparator arm against the study's reference arm, any number of arms,
and honest "not estimable" / "not delivered" results."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import endpoints
from helpers.stats import competing_risks as cr
from helpers.stats import survival
from helpers.study import load_study

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
SORA, CTRL = STUDY.comparator_arms[0].label, STUDY.reference_arm.label


def simulate(arms: dict[str, float], n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Patients alternating over ``arms`` (label -> mean time to the event of cause 1)."""
    rng = np.random.default_rng(seed)
    labels = list(arms)
    arm = np.array([labels[i % len(labels)] for i in range(n)])
    t_rel = rng.exponential(np.array([arms[a] for a in arm]))
    t_nrm = rng.exponential(2500, n)
    t_cen = rng.uniform(200, 1500, n)
    t = np.minimum.reduce([t_rel, t_nrm, t_cen]).round()
    event = np.select([t == t_rel.round(), t == t_nrm.round()], [1, 2], 0)
    return pd.DataFrame(
        {
            "USUBJID": [f"P{i:03d}" for i in range(n)],
            "AVAL": t,
            "EVNTCD": event,
            "ARM": arm,
            "STRATDS": rng.choice(["CR1", "CR2+"], n),
            "STRATDT": rng.choice(["MSD", "MUD"], n),
        }
    )


@pytest.fixture(scope="module")
def rel():
    return simulate({SORA: 1200, CTRL: 700})


@pytest.fixture(scope="module")
def rel3():
    return simulate({"Examplinib 300 mg": 1400, "Examplinib 150 mg": 1000, "Observation": 700}, n=450, seed=11)


def test_relapse_effects_report_each_comparator_against_the_reference_in_any_input_order(rel):
    a = endpoints.relapse_effects(rel, STUDY, adjust_for=["STRATDS"])
    b = endpoints.relapse_effects(rel.iloc[::-1].reset_index(drop=True), STUDY, adjust_for=["STRATDS"])
    pd.testing.assert_frame_equal(a, b, rtol=1e-9)
    assert list(a["analysis"]) == [
        "Gray's test",
        "Fine-Gray subdistribution HR",
        "Fine-Gray subdistribution HR, adjusted for STRATDS",
        "Cause-specific Cox HR",
    ]
    assert set(a["comparator_arm"]) == {SORA} and set(a["reference_arm"]) == {CTRL}
    assert set(a["comparison"]) == {"Sorafenib vs No maintenance"}
    assert (a["hr"].iloc[1:] < 1).all()  # simulated with a lower relapse hazard on the comparator


def test_relapse_effects_adjust_for_the_study_strata_by_default(rel):
    got = endpoints.relapse_effects(rel, STUDY)
    assert (
        got.loc[got["key"] == "fine_gray_adjusted", "analysis"].item()
        == "Fine-Gray subdistribution HR, adjusted for STRATDS, STRATDT"
    )


def test_relapse_effects_equal_the_underlying_functions(rel):
    got = endpoints.relapse_effects(rel, STUDY, adjust_for=[]).set_index("analysis")
    data = endpoints.with_reference_arm(rel, STUDY)
    gray = cr.gray_test(data, "AVAL", "EVNTCD", "ARM")
    assert got.loc["Gray's test", "p_value"] == gray.loc[gray["cause"] == 1, "p_value"].iloc[0]
    fg = cr.fine_gray(data, "AVAL", "EVNTCD", ["ARM"]).summary.set_index("term").loc[f"ARM[{SORA}]"]
    assert got.loc["Fine-Gray subdistribution HR", "hr"] == fg["hr"]
    cs = survival.cox(data.assign(e=(data["EVNTCD"] == 1).astype(int)), "AVAL", "e", ["ARM"]).iloc[0]
    assert got.loc["Cause-specific Cox HR", "conf_high"] == cs["conf_high"]


def test_three_arms_give_a_k_sample_gray_test_then_each_pairwise_comparison(rel3):
    got = endpoints.relapse_effects(rel3, THREE)
    assert got["key"].iloc[0] == "gray_all_arms" and got["comparison"].iloc[0] == "All arms"
    gray3 = cr.gray_test(rel3, "AVAL", "EVNTCD", "ARM")
    assert got["p_value"].iloc[0] == pytest.approx(gray3.loc[gray3["cause"] == 1, "p_value"].item(), rel=1e-12)
    assert got["df"].iloc[0] == 2
    pairs = got.iloc[1:]
    assert list(dict.fromkeys(pairs["comparison"])) == ["300 mg vs Observation", "150 mg vs Observation"]
    assert set(pairs["reference_arm"]) == {"Observation"}
    # each comparison is fitted to the patients of its two arms only
    two = rel3[rel3["ARM"].isin(["Examplinib 150 mg", "Observation"])]
    fg = cr.fine_gray(endpoints.with_reference_arm(two, THREE), "AVAL", "EVNTCD", ["ARM"]).summary
    row = pairs[(pairs["key"] == "fine_gray") & (pairs["comparator_arm"] == "Examplinib 150 mg")].iloc[0]
    assert row["hr"] == pytest.approx(fg.set_index("term").loc["ARM[Examplinib 150 mg]", "hr"], rel=1e-12)
    assert row["n_patients"] == len(two)


def test_single_level_stratum_is_left_out_of_the_adjusted_model_with_a_note(rel):
    one_level = rel.assign(STRATDT="MSD")
    got = endpoints.relapse_effects(one_level, STUDY).set_index("key")
    adj = got.loc["fine_gray_adjusted"]
    assert adj["analysis"] == "Fine-Gray subdistribution HR, adjusted for STRATDS"
    assert adj["note"] == "not estimable: STRATDT has a single level"
    assert adj["left_out"] == "STRATDT"
    want = endpoints.relapse_effects(rel, STUDY, adjust_for=["STRATDS"]).set_index("key").loc["fine_gray_adjusted"]
    assert adj["hr"] == pytest.approx(want["hr"], rel=1e-12)


def test_adjusted_model_without_any_estimable_stratum_is_not_estimable_and_the_run_goes_on(rel):
    got = endpoints.relapse_effects(rel.assign(STRATDT="MSD", STRATDS=np.nan), STUDY).set_index("key")
    adj = got.loc["fine_gray_adjusted"]
    assert np.isnan(adj["hr"]) and np.isnan(adj["p_value"])
    assert adj["note"] == (
        "not estimable: STRATDS is missing for every patient; not estimable: STRATDT has a single level"
    )
    assert np.isfinite(got.loc["fine_gray", "hr"])  # the other analyses are unaffected


def test_patients_missing_a_stratum_are_dropped_from_the_adjusted_model_and_counted(rel):
    gappy = rel.copy()
    gappy.loc[:4, "STRATDS"] = np.nan
    got = endpoints.relapse_effects(gappy, STUDY).set_index("key")
    adj = got.loc["fine_gray_adjusted"]
    assert (adj["n_dropped"], adj["n_patients"]) == (5, len(rel) - 5)
    assert adj["note"] == "5 patients with a missing STRATDS or STRATDT left out"
    assert got.loc["fine_gray", "n_dropped"] == 0 and got.loc["fine_gray", "n_patients"] == len(rel)


def test_usable_covariates_say_why_each_is_left_out():
    d = pd.DataFrame({"A": ["x", "y", None], "B": ["z", "z", None], "C": [None, None, None]})
    kept, reasons, rows = endpoints.usable_covariates(d, ["A", "B", "C"])
    assert kept == ["A"]
    assert reasons == ["B has a single level", "C is missing for every patient"]
    assert len(rows) == 2


def test_unknown_arm_is_an_error_naming_it(rel):
    with pytest.raises(ValueError, match="Placebo"):
        endpoints.with_reference_arm(rel.assign(ARM="Placebo"), STUDY)


def test_time_ticks_follow_the_study_time_axis():
    assert endpoints.time_ticks(pd.Series([0, 400]), STUDY.time) == [0.0, 182.625, 365.25]
    assert endpoints.time_ticks(pd.Series([0, 200]), THREE.time) == [0.0, 91.3125, 182.625]


class FakeTrial(SimpleNamespace):
    """The new contract's Trial as far as secondary_summary uses it."""

    def has_endpoint(self, paramcd):
        return paramcd in self.tte

    def endpoint(self, paramcd):
        return self.tte[paramcd]


def test_secondary_endpoint_not_delivered_is_one_row_saying_so_never_zero(rel):
    os_ = rel.assign(EVNTCD=(rel["EVNTCD"] > 0).astype(int))
    trial = FakeTrial(adsl=rel, tte={"OS": os_, "NRM": rel.iloc[:300]})
    got = endpoints.secondary_summary(trial, STUDY, paramcds=["OS", "GRFS", "NRM"])
    grfs = got[got["paramcd"] == "GRFS"]
    assert len(grfs) == 1 and grfs["status"].item() == "not delivered"
    assert grfs[["estimate", "hr", "p_value"]].isna().all(axis=None)
    nrm = got[got["paramcd"] == "NRM"]
    assert set(nrm["note"]) == {f"delivered for 300 of {len(rel)} patients"}
    os_rows = got[got["paramcd"] == "OS"].set_index("group")
    assert list(os_rows.index) == [SORA, CTRL]  # display order
    assert np.isnan(os_rows.loc[CTRL, "hr"]) and np.isfinite(os_rows.loc[SORA, "hr"])
    assert os_rows.loc[SORA, "time_label"] == "2 years"


def test_secondary_summary_has_one_effect_per_comparator_with_three_arms(rel3):
    os_ = rel3.assign(EVNTCD=(rel3["EVNTCD"] > 0).astype(int))
    trial = FakeTrial(adsl=rel3, tte={"OS": os_})
    got = endpoints.secondary_summary(trial, THREE, paramcds=["OS"]).set_index("group")
    assert got.loc["Observation", "comparison"] is None
    assert got.loc["Examplinib 150 mg", "comparison"] == "150 mg vs Observation"
    p3 = survival.logrank_test(os_, "AVAL", "EVNTCD", "ARM")["p_value"].item()
    np.testing.assert_allclose(got["p_value_all_arms"], p3, rtol=1e-9)
    assert got["time_label"].iloc[0] == "12 months"
