"""The interim analysis: signed statistics against R, the event-date projection, which look a data cut
is, and the committee's decision at a cut that crosses the efficacy boundary and at one that does not.

Reference values: tests/reference/interim.R (R 4.2.2, survival 3.5-3, cmprsk 2.2-11, rpact 3.3.4)
into tests/reference/interim/.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from pathlib import Path

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from helpers import config, synthetic
from helpers.analysis import interim
from helpers.analysis.design import planned_design
from helpers.data.contract import load_trial
from helpers.present import ard, narrative, tables
from helpers.present.results import RunResults
from helpers.run.outputs import NotebookOutputs
from helpers.stats import group_sequential as gs
from helpers.stats.competing_risks import gray_test, gray_z
from helpers.stats.event_prediction import piecewise_rates, predict_event_days
from helpers.stats.survival import logrank_test, logrank_z
from helpers.study import load_study

REF = Path(__file__).parent / "reference"
SIGNED = pd.read_csv(REF / "interim" / "signed.csv")
DATA = {
    "survival/bmt.csv": ("ftime", "status", "dis"),
    "competing_risks/myeloid.csv": ("relapse_time", "relapse_status", "trt"),
}


# ----------------------------------------------------------------------------- signed statistics
@pytest.mark.parametrize("row", SIGNED.to_dict("records"), ids=lambda r: f"{r['file']}-cause{r['cause']}")
def test_signed_gray_and_logrank_statistics_match_r(row):
    time, status, group = DATA[row["file"]]
    data = pd.read_csv(REF / row["file"])
    cause = int(row["cause"])
    # R 4.2.2, cmprsk 2.2-11: -s / sqrt(v) of .Fortran("crstm") as cuminc calls it
    got = gray_z(data, time, status, group, cause=cause)
    npt.assert_allclose(got["statistic"].iloc[0], row["gray_z"], rtol=1e-9)
    # R: cuminc(...)$Tests[cause, "stat"] is its square
    npt.assert_allclose(got["statistic"].iloc[0] ** 2, row["gray_chisq"], rtol=1e-9)
    # R 4.2.2, survival 3.5-3: with(survdiff(...), (obs[2] - exp[2]) / sqrt(var[2, 2]))
    cs = data.assign(_e=(data[status] == cause).astype(int))
    npt.assert_allclose(logrank_z(cs, time, "_e", group)["statistic"].iloc[0], row["logrank_z"], rtol=1e-9)


def test_signed_statistics_square_to_the_tests_and_share_their_p_values():
    data = pd.read_csv(REF / "competing_risks" / "myeloid.csv")
    z = gray_z(data, "relapse_time", "relapse_status", "trt", cause=1).iloc[0]
    g = gray_test(data, "relapse_time", "relapse_status", "trt", causes=[1]).iloc[0]
    npt.assert_allclose([z["statistic"] ** 2, z["p_value"]], [g["statistic"], g["p_value"]], rtol=1e-9)
    cs = data.assign(_e=(data["relapse_status"] == 1).astype(int))
    lz, lr = logrank_z(cs, "relapse_time", "_e", "trt").iloc[0], logrank_test(cs, "relapse_time", "_e", "trt").iloc[0]
    npt.assert_allclose([lz["statistic"] ** 2, lz["p_value"]], [lr["statistic"], lr["p_value"]], rtol=1e-9)


def test_signed_statistics_are_positive_when_the_second_group_has_more_events():
    # group b: every patient has the event early; group a: late or censored
    data = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 10, 11, 12, 13, 14, 15],
            "status": [1, 1, 1, 2, 0, 1, 0, 2, 0, 0],
            "group": ["b", "b", "b", "b", "b", "a", "a", "a", "a", "a"],
        }
    )
    assert gray_z(data, "time", "status", "group", cause=1)["statistic"].iloc[0] > 0
    cs = data.assign(e=(data["status"] == 1).astype(int))
    assert logrank_z(cs, "time", "e", "group")["statistic"].iloc[0] > 0
    flipped = data.assign(group=pd.Categorical(data["group"], categories=["b", "a"]))
    assert gray_z(flipped, "time", "status", "group", cause=1)["statistic"].iloc[0] < 0


def test_signed_statistics_refuse_more_than_two_groups():
    data = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 1, 2, 1, 0], "g": list("aabbcc")})
    with pytest.raises(ValueError, match="group_col='g' holds 3 groups"):
        gray_z(data, "t", "e", "g")
    with pytest.raises(ValueError, match="group_col='g' holds 3 groups"):
        logrank_z(data.assign(e=(data["e"] == 1).astype(int)), "t", "e", "g")


# ----------------------------------------------------------------------------- event projection
def test_piecewise_rates_are_events_over_person_time_in_each_piece():
    data = pd.DataFrame({"t": [5, 12, 20, 30], "e": [1, 2, 1, 0]})
    got = piecewise_rates(data, "t", "e", breaks=[10, 100])
    # 100 lies beyond the longest follow-up: two pieces, [0, 10] and (10, inf)
    # exposure [0, 10]: 5 + 10 + 10 + 10 = 35; (10, inf): 2 + 10 + 20 = 32
    expected = pd.DataFrame(
        {
            "start": [0.0, 0.0, 10.0, 10.0],
            "end": [10.0, 10.0, np.inf, np.inf],
            "cause": [1, 2, 1, 2],
            "n_event": [1, 0, 1, 1],
            "exposure": [35.0, 35.0, 32.0, 32.0],
            "rate": [1 / 35, 0.0, 1 / 32, 1 / 32],
        }
    )
    pd.testing.assert_frame_equal(got, expected)


def _constant_hazard_data() -> pd.DataFrame:
    # exposure 1000 x 100 days; 100 events of cause 1 and 50 of cause 2: rates 0.001 and 0.0005 a day
    codes = np.r_[np.ones(100), np.full(50, 2), np.zeros(850)].astype(int)
    return pd.DataFrame({"t": np.full(1000, 100.0), "e": codes})


def test_projection_with_a_fixed_seed_is_deterministic():
    data = _constant_hazard_data()
    args = dict(cause=1, at_risk=np.zeros(300), targets=[40, 80], observed=10, n_sim=300)
    a = predict_event_days(data, "t", "e", seed=7, **args)
    pd.testing.assert_frame_equal(a, predict_event_days(data, "t", "e", seed=7, **args))
    assert not a.equals(predict_event_days(data, "t", "e", seed=8, **args))


def test_projected_median_is_near_the_expected_time_of_the_constant_hazard_model():
    data = _constant_hazard_data()
    lam1, lam2 = 0.001, 0.0005
    n, observed, target = 500, 20, 120
    # expected events of cause 1 among n patients at risk by day s: n lam1 / lam (1 - exp(-lam s))
    lam = lam1 + lam2
    s_expected = -math.log(1 - (target - observed) * lam / (n * lam1)) / lam
    got = predict_event_days(
        data, "t", "e", cause=1, at_risk=np.zeros(n), targets=[target], observed=observed, seed=1, n_sim=2000
    ).iloc[0]
    assert got["additional_events"] == 100
    npt.assert_allclose(got["days"], s_expected, rtol=0.05)  # Monte Carlo and posterior spread
    assert got["days_low"] < got["days"] < got["days_high"]
    assert got["probability_reached"] == 1.0 and got["note"] == ""


def test_projected_median_for_patients_to_come_is_near_the_expected_calendar_time():
    """Patients still to enter and piecewise hazards: the simulated median against the calendar time
    at which the expected events reach the target (helpers.stats.group_sequential.calendar_time,
    checked against rpact's analysisTime there)."""
    rng = np.random.default_rng(3)
    n = 4000  # a large history: the posterior of the hazards is tight
    # hazards 0.004 (event), 0.002 (competing) before day 100, 0.001 and 0.001 after; dropout 0.0005
    early = rng.exponential(1 / 0.0065, n)
    late = 100 + rng.exponential(1 / 0.0025, n)
    t = np.where(early < 100, early, late)
    u = rng.random(n)
    code = np.where(t < 100, np.select([u < 0.004 / 0.0065, u < 0.006 / 0.0065], [1, 2], 3), 0)
    code = np.where(t >= 100, np.select([u < 0.4, u < 0.8], [1, 2], 3), code)
    follow = np.minimum(t, 400.0)
    data = pd.DataFrame({"t": follow, "e": np.where(t <= 400, code, 0)})
    rates = piecewise_rates(data, "t", "e", breaks=[100]).pivot(index="start", columns="cause", values="rate")
    got = predict_event_days(
        data,
        "t",
        "e",
        cause=1,
        at_risk=[],
        targets=[60],
        observed=0,
        breaks=[100],
        n_new=300,
        accrual=(n, n / 2.0),
        seed=11,
        n_sim=2000,
    ).iloc[0]
    arm = gs.ArmHazards(1.0, event=rates[1].to_numpy(), competing=rates[2].to_numpy(), dropout=rates[3].to_numpy())
    expected = gs.calendar_time(
        60, n_patients=300, accrual_time=[0.0, 150.0], accrual_intensity=[1.0], arms=[arm], hazard_time=[0.0, 100.0]
    )
    npt.assert_allclose(got["days"], expected, rtol=0.05)


def test_projection_with_patients_to_come_reaches_later_than_without():
    data = _constant_hazard_data()
    common = dict(cause=1, targets=[150], observed=0, seed=3, n_sim=500)
    # 100 at risk now and 200 to come at one a day: the target needs the newcomers
    late = predict_event_days(data, "t", "e", at_risk=np.zeros(100), n_new=200, accrual=(100, 100.0), **common)
    early = predict_event_days(data, "t", "e", at_risk=np.zeros(300), **common)
    assert late["days"].iloc[0] > early["days"].iloc[0]


def test_a_target_beyond_the_patients_left_is_not_reached():
    data = _constant_hazard_data()
    got = predict_event_days(data, "t", "e", cause=1, at_risk=np.zeros(10), targets=[5, 50], observed=0, seed=1)
    assert got["probability_reached"].iloc[1] == 0.0 and np.isnan(got["days"].iloc[1])
    assert got["note"].iloc[1].startswith("not reached in 100.0% of simulated trials")
    reached = predict_event_days(data, "t", "e", cause=1, at_risk=np.zeros(10), targets=[3], observed=3, seed=1)
    assert reached["days"].iloc[0] == 0.0


def test_projection_needs_the_accrual_of_patients_to_come():
    with pytest.raises(ValueError, match=r"n_new=5 patients still to enter need accrual"):
        predict_event_days(
            _constant_hazard_data(), "t", "e", cause=1, at_risk=[1.0], targets=[3], observed=0, seed=1, n_new=5
        )


# ----------------------------------------------------------------------------- the look of a data cut
SYNTHETIC = config.PROJECT_ROOT / "data" / "synthetic"


@pytest.fixture(scope="module")
def study():
    return load_study()


@functools.cache
def _trial(data_dir: str, cutoff: str | None):
    study = load_study()
    return load_trial(data_dir, study=study, cutoff=cutoff, population=None).select(study.default_population)


def with_design(study, **changes):
    return study.model_copy(update={"design": study.design.model_copy(update=changes)})


def test_the_data_as_delivered_are_the_final_analysis(study):
    # the synthetic trial as delivered: 97 relapses of the 121 planned
    pos = interim.locate_look(_trial(str(SYNTHETIC), None), study)
    assert (pos.look, pos.looks, pos.final, pos.events, pos.planned_events) == (2, 2, True, 97, 121)
    npt.assert_allclose(pos.fractions, [0.5, 97 / 121])
    assert list(pos.table["status"]) == ["held", "current"]
    assert list(pos.table["basis"]) == ["planned fraction", "this analysis"]


def test_a_cut_is_the_planned_look_nearest_its_information(study):
    pos = interim.locate_look(_trial(str(SYNTHETIC), "2024-03-01"), study)  # 63 relapses: 52% of 121
    assert (pos.look, pos.final, pos.events) == (1, False, 63)
    npt.assert_allclose(pos.fractions, [63 / 121])
    assert list(pos.table["status"]) == ["current", "to come"]


def test_listed_look_cutoffs_make_the_cut_the_next_look_with_the_information_recomputed(study):
    listed = with_design(study, look_cutoffs=(dt.date(2023, 6, 30),))
    trial = _trial(str(SYNTHETIC), "2025-01-01")
    pos = interim.locate_look(trial, listed)
    held = interim.primary_events(trial, listed, at=pd.Timestamp("2023-06-30"))
    assert held == 41 and (pos.look, pos.final, pos.events) == (2, True, 81)
    npt.assert_allclose(pos.fractions, [41 / 121, 81 / 121])
    assert pos.table["basis"].iloc[0] == "events by 2023-06-30"
    # the boundary of the held look is the spending function's at its own information
    result = interim.interim_analysis(trial, listed, pos)
    planned = interim.interim_analysis(trial, with_design(listed, look_cutoffs=()), None)
    assert result.boundaries["efficacy_z"].iloc[0] > planned.boundaries["efficacy_z"].iloc[0]


def test_a_final_analysis_before_an_interim_look_s_information_leaves_that_look_not_held(study):
    # 97 relapses of 250 planned: the data as delivered end below the interim's 50%
    large = with_design(study, planned_events=250)
    result = interim.interim_analysis(_trial(str(SYNTHETIC), None), large)
    pos = result.position
    assert (pos.look, pos.final, pos.held) == (2, True, ())
    npt.assert_allclose(pos.fractions, [97 / 250])
    assert list(pos.table["status"]) == ["not held", "current"]
    b = result.boundaries
    assert np.isnan(b["efficacy_z"].iloc[0])
    # a single look that spends all the alpha: the fixed design's 1.959964
    npt.assert_allclose(b["efficacy_z"].iloc[1], 1.959964, atol=1e-6)
    shown = tables.table_interim_boundaries(ard.ard_interim_boundaries(b, "ITT"))
    assert shown["Efficacy boundary (z)"].tolist() == ["", "1.960"]


def test_listed_look_cutoffs_count_at_the_final_analysis_too(study):
    listed = with_design(study, look_cutoffs=(dt.date(2023, 6, 30),))
    pos = interim.locate_look(_trial(str(SYNTHETIC), None), listed)
    assert (pos.look, pos.final, pos.held) == (2, True, (1,))
    npt.assert_allclose(pos.fractions, [41 / 121, 97 / 121])


def test_a_cut_after_every_listed_look_is_an_error_naming_the_setting(study):
    full = with_design(study, look_cutoffs=(dt.date(2023, 6, 30), dt.date(2024, 3, 1)))
    with pytest.raises(ValueError, match=r"design.look_cutoffs lists 2 looks held before the cutoff 2025-01-01"):
        interim.locate_look(_trial(str(SYNTHETIC), "2025-01-01"), full)


def test_a_cut_without_more_information_than_the_previous_look_is_an_error(study):
    late = with_design(study, look_cutoffs=(dt.date(2024, 3, 1),))
    with pytest.raises(ValueError, match=r"not more than look 1 .*check design.look_cutoffs"):
        interim.locate_look(_trial(str(SYNTHETIC), "2024-03-02"), late)


def test_events_beyond_planned_without_an_overrun_rule_name_design_overrun(study):
    small = with_design(study, planned_events=80, overrun=None)
    with pytest.raises(
        ValueError, match=r"97 primary events observed, more than design.planned_events = 80.*design.overrun"
    ):
        interim.locate_look(_trial(str(SYNTHETIC), None), small)


def test_an_overrun_final_analysis_spends_the_alpha_left_over_the_events_observed(study):
    small = with_design(study, planned_events=80)  # the study's rule: spend-remaining
    result = interim.interim_analysis(_trial(str(SYNTHETIC), None), small)
    assert result.position.overrun and result.position.final
    npt.assert_allclose(result.position.fractions, [0.5, 97 / 80])
    b = result.boundaries
    npt.assert_allclose(b["information_fraction"], [0.5, 97 / 80])
    # two looks at 40 and 97 events: the final boundary spends the rest of 0.025 a side with the
    # correlation sqrt(40/97) (helpers.stats.group_sequential.update, checked against rpact there)
    expected = gs.update(planned_design(small).design, [0.5, 97 / 80], final=True)
    npt.assert_allclose(b["efficacy_z"], expected.efficacy, rtol=1e-12)


# ----------------------------------------------------------------------------- the committee's decision
MONITORING = json.loads((REF / "interim" / "monitoring.json").read_text())
#: the strong-effect synthetic trial of tests/reference/interim.R
STRONG = {"hazard_ratios": {"SORA": 0.3}, "seed": 11}


@pytest.fixture(scope="module")
def strong_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("strong")
    study = load_study()
    synthetic.write_trial(synthetic.generate(study, **STRONG), folder, "csv", study=study)
    return str(folder)


def _look(name: str, data_dir: str, cutoff: str):
    study = load_study()
    trial = _trial(data_dir, cutoff)
    # the data R read are this cut's primary endpoint
    rel = trial.endpoint(study.primary.endpoint)
    written = pd.read_csv(REF / "interim" / f"{name}.csv")
    assert rel["AVAL"].tolist() == written["AVAL"].tolist() and rel["EVNTCD"].tolist() == written["EVNTCD"].tolist()
    return trial, interim.interim_analysis(trial, study), MONITORING[name]


def _check_against_r(result, ref):
    s = result.summary.iloc[0]
    # R 4.2.2, rpact 3.3.4: getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1,
    #   typeOfDesign = "asOF", informationRates = c(t, 1))$criticalValues[1]
    npt.assert_allclose(s["efficacy_z"], ref["efficacy_z"], atol=1e-4)
    npt.assert_allclose(result.boundaries["efficacy_z"].iloc[1], ref["final_z"], atol=1e-4)
    # cmprsk 2.2-11: s / sqrt(v) of crstm (Gray's score), oriented to the planned HR < 1
    npt.assert_allclose([s["events"], s["information_fraction"]], [ref["events"], ref["information_fraction"]])
    npt.assert_allclose(s["z_planned"], ref["z_planned"], rtol=1e-9)
    # crr(...)$coef, sqrt(diag(crr(...)$var)); RCI exp(b -/+ c_1 se)
    npt.assert_allclose(result.statistic[["log_hr", "std_error"]].iloc[0], [ref["log_hr"], ref["std_error"]], rtol=1e-6)
    npt.assert_allclose([s["rci_low"], s["rci_high"]], [ref["rci_low"], ref["rci_high"]], rtol=1e-4)
    # Lan-Wittes conditional power and flat-prior predictive power, one look left (hand formulas in R)
    npt.assert_allclose(s["drift_planned"], ref["drift_planned"], rtol=1e-12)
    got = s[["conditional_power_planned", "conditional_power_trend", "predictive_power"]].astype(float)
    want = [ref["conditional_power_planned"], ref["conditional_power_trend"], ref["predictive_power"]]
    npt.assert_allclose(got, want, atol=1e-4)


def test_an_interim_that_crosses_the_efficacy_boundary(strong_data):
    trial, result, ref = _look("strong_cut_2024-03-31", strong_data, "2024-03-31")
    s = result.summary.iloc[0]
    assert (s["look"], s["final"], s["decision"]) == (1, False, "efficacy")
    assert s["decision_text"] == "efficacy boundary crossed"
    assert s["statistic"] < 0 < s["z_planned"]  # fewer relapses with the comparator
    _check_against_r(result, ref)


def test_an_interim_that_crosses_no_boundary_continues():
    trial, result, ref = _look("synthetic_cut_2024-03-01", str(SYNTHETIC), "2024-03-01")
    s = result.summary.iloc[0]
    assert (s["look"], s["final"], s["decision"]) == (1, False, "continue")
    assert s["decision_text"] == "no boundary crossed: continue"
    _check_against_r(result, ref)


def test_the_final_analysis_rejects_with_the_final_boundary_and_has_no_conditional_power():
    result = interim.interim_analysis(_trial(str(SYNTHETIC), None), load_study())
    s = result.summary.iloc[0]
    assert (s["final"], s["decision"]) == (True, "reject")
    assert s["z_planned"] >= s["efficacy_z"]
    assert np.isnan(s[["conditional_power_planned", "conditional_power_trend", "predictive_power"]].astype(float)).all()
    assert list(result.boundaries["status"]) == ["held", "current"]


@pytest.mark.parametrize("case", ["synthetic", "strong"])
def test_projected_dates_of_the_final_analysis_follow_the_cut_and_repeat_with_the_seed(case, strong_data):
    data_dir, cutoff = (str(SYNTHETIC), "2024-03-01") if case == "synthetic" else (strong_data, "2024-03-31")
    study, trial = load_study(), _trial(data_dir, cutoff)
    position = interim.locate_look(trial, study)
    got = interim.projected_looks(trial, study, position, seed=5, n_sim=400)
    pd.testing.assert_frame_equal(got, interim.projected_looks(trial, study, position, seed=5, n_sim=400))
    row = got.iloc[0]
    assert (row["look"], row["final"], row["planned_events"]) == (2, True, 121)
    assert row["additional_events"] == 121 - position.events
    assert pd.Timestamp(cutoff) < row["date_low"] < row["date"]
    assert pd.isna(row["date_high"]) or row["date"] < row["date_high"]
    # the synthetic trial's own follow-up ends 2026-01-15 with 97 relapses: 121 come later if at all
    if case == "synthetic":
        assert row["date"] > pd.Timestamp("2026-01-15")


def test_the_projection_model_is_stated_from_the_pooled_data():
    study, trial = load_study(), _trial(str(SYNTHETIC), "2024-03-01")
    model = interim.projection_model(trial, study, interim.locate_look(trial, study), seed=5)
    assert model["breaks"] == [365, 730] and model["n_patients"] == 346
    assert model["primary_events"] == 63 and model["n_randomised"] + model["n_new"] == 346


def test_the_report_prose_quotes_the_look_the_projection_and_the_decision(tmp_path):
    """The cells of notebooks/05_interim.ipynb at a cut, then the report's two paragraphs."""
    study, trial = load_study(), _trial(str(SYNTHETIC), "2024-03-01")
    out = NotebookOutputs(tmp_path, "05_interim", {})
    position = interim.locate_look(trial, study)
    information = ard.ard_interim_information(position.table, "ITT", interim.information_summary(position))
    out.table(
        "tbl-interim-information",
        position.table,
        display=tables.table_interim_information(information),
        ard=information,
    )
    projection = interim.projected_looks(trial, study, position, seed=5, n_sim=400)
    model = interim.projection_model(trial, study, position, seed=5, n_sim=400)
    projection_rows = ard.ard_interim_projection(projection, "ITT", model)
    out.table(
        "tbl-interim-projection",
        projection,
        display=tables.table_interim_projection(projection_rows),
        ard=projection_rows,
    )
    result = interim.interim_analysis(trial, study, position)
    decision_rows = ard.ard_interim_decision(result.summary, "ITT")
    shown = tables.table_interim_decision(decision_rows)
    out.table("tbl-interim-decision", result.summary, display=shown, ard=decision_rows)
    r = RunResults(tmp_path)

    text = narrative.interim_information_text(r, study)
    assert text.startswith(
        "This is look 1 of 2 (interim analysis) of the group-sequential design: 63 of the 121 planned events of "
        "relapse by the data cutoff 2024-03-01, 52.1% of the planned information (@tbl-interim-information)."
    )
    date = projection["date"].iloc[0].date().isoformat()
    assert f"the final analysis (121 events) is expected around {date}" in text
    assert "simulates 400 trials with seed 5" in text and "changing at 365 and 730 days" in text
    assert text.endswith("; all 346 patients are randomised.")

    decision = narrative.interim_decision_text(r, study)
    values = dict(zip(shown["Quantity"], shown["Value"]))
    assert values["Conditional power, planned effect"] == "63.4%"  # R: monitoring.json, 0.63421
    for quantity in ("Statistic (z)", "Efficacy boundary (z)", "Conditional power, current trend", "Predictive power"):
        assert values[quantity] in decision
    assert "Decision: **no boundary crossed: continue**." in decision
