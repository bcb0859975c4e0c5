"""The investigators' app without a browser: every view's "Show code" reproduces its numbers and
figure, open mode names no arm, labels say prespecified or exploratory, filters keep the right
patients, and bad settings are refused by name. The browser tests are tests/test_explore_browser.py."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import config
from helpers.analysis import cohort, endpoints
from helpers.data.contract import load_trial
from helpers.explore import selection as sel
from helpers.explore.views import TrialSource, compute, figure_bytes
from helpers.present import tables
from helpers.run import params
from helpers.stats import competing_risks as cr
from helpers.stats import survival
from helpers.study import load_study

SYNTHETIC = config.PROJECT_ROOT / "data" / "synthetic"
THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"
STUDY = load_study(config.DEFAULT_STUDY)

pytestmark = pytest.mark.skipif(not (SYNTHETIC / "adsl.csv").exists(), reason="no synthetic trial: run make data")


def source(report: str = "closed", *, study: Path = config.DEFAULT_STUDY, data_dir: Path = SYNTHETIC, **kw):
    return TrialSource.load(sel.Settings(study=study, data_dir=data_dir, report=report, **kw))


@pytest.fixture(scope="module")
def closed():
    return source("closed", patient_listings=True)


@pytest.fixture(scope="module")
def opened():
    return source("open", patient_listings=True)


@pytest.fixture(scope="module")
def three_arm(tmp_path_factory):
    from helpers.synthetic.cli import main

    out = tmp_path_factory.mktemp("three-arm")
    assert main(["--study", str(THREE_ARM), "--out", str(out), "--n-patients", "240"]) == 0
    return source("closed", study=THREE_ARM, data_dir=out)


def run_code(code: str) -> dict:
    namespace: dict = {}
    exec(compile(code, "<show code>", "exec"), namespace)  # the lines the app shows, as a user pastes them
    return namespace


def assert_code_reproduces(view) -> None:
    ns = run_code(view.code)
    assert view.numbers, view.message
    for name, frame in view.numbers.items():
        pd.testing.assert_frame_equal(ns[name], frame)
    if view.figure is not None:
        assert figure_bytes(ns["fig"], "png") == figure_bytes(view.figure, "png")
    else:
        assert "fig" not in ns


HAPLO_MRD = (("DONORTYP", ("HAPLO",)), ("MRDPRE", ("Positive", sel.MISSING)))
SELECTIONS = {
    "primary": sel.Selection(),
    "competing cause, filtered, earlier cut": sel.Selection(cause=2, categories=HAPLO_MRD, cutoff="2024-03-31"),
    "survival endpoint, other landmark, age range": sel.Selection(
        endpoint="OS", landmark=365.0, ranges=(("AGE", 30.0, 60.0),)
    ),
    "forest of the primary endpoint": sel.Selection(view="subgroups"),
    "forest of a survival endpoint, per protocol": sel.Selection(view="subgroups", endpoint="LFS", population="PP"),
    "baseline, filtered": sel.Selection(view="baseline", categories=(("SEX", ("F",)),)),
    "adverse events, grade 3 or higher": sel.Selection(view="adverse_events", min_grade=3),
    "accrual, earlier cut": sel.Selection(view="accrual", cutoff="2023-06-30"),
    "patients": sel.Selection(view="patients", categories=(("DIAG", ("ALL",)),)),
}


@pytest.mark.parametrize("name", SELECTIONS)
def test_show_code_reproduces_the_numbers_and_figure_of_the_view(closed, name):
    assert_code_reproduces(compute(closed, SELECTIONS[name]))


@pytest.mark.parametrize("name", [n for n in SELECTIONS if "forest" not in n])
def test_show_code_reproduces_the_open_mode_view(opened, name):
    assert_code_reproduces(compute(opened, SELECTIONS[name]))


@pytest.mark.parametrize("view", ["time_to_event", "subgroups", "baseline", "adverse_events", "accrual"])
def test_show_code_reproduces_the_views_of_a_three_arm_study(three_arm, view):
    shown = compute(three_arm, sel.Selection(view=view))
    assert_code_reproduces(shown)
    if view == "time_to_event":
        assert set(shown.numbers["estimates"]["group"].astype(str)) == set(three_arm.study.arm_labels)
        assert shown.numbers["comparisons"]["key"].iloc[0] == "gray_all_arms"
    if view == "subgroups":
        assert set(shown.numbers["effects"]["comparator_arm"]) == {a.label for a in three_arm.study.comparator_arms}


def test_the_numbers_are_those_of_the_helpers_for_the_same_patients(closed):
    view = compute(closed, SELECTIONS["competing cause, filtered, earlier cut"])
    trial = load_trial(SYNTHETIC, study=STUDY, cutoff="2024-03-31", population="ITT")
    data = trial.endpoint("REL")
    data = data[data["DONORTYP"].eq("HAPLO") & (data["MRDPRE"].eq("Positive") | data["MRDPRE"].isna())]
    expected = cr.cumulative_incidence(data, "AVAL", "EVNTCD", "ARM", times=[730.0])
    pd.testing.assert_frame_equal(view.numbers["estimates"], expected)
    pd.testing.assert_frame_equal(view.numbers["comparisons"], endpoints.relapse_effects(data, STUDY, cause=2))


def test_an_earlier_cutoff_of_the_run_trial_equals_loading_the_data_at_that_cutoff(closed):
    at_cut = closed.trial("2023-09-30", "ITT")
    loaded = load_trial(SYNTHETIC, study=STUDY, cutoff="2023-09-30", population="ITT")
    for name in ("adsl", "adtte", "adae", "adex"):
        pd.testing.assert_frame_equal(getattr(at_cut, name), getattr(loaded, name))


def _arm_words(study):
    return [w for a in study.arms for w in (a.label, a.short_label)]


@pytest.mark.parametrize("view", ["time_to_event", "subgroups", "baseline", "adverse_events", "accrual", "patients"])
def test_open_mode_names_no_arm_in_any_number_figure_or_code(opened, view):
    shown = compute(opened, sel.Selection(view=view))
    text = [shown.code, shown.message, shown.label.text]
    text += [f.to_csv() for f in [*shown.numbers.values(), *shown.shown.values()]]
    text += [" ".join(f.columns.astype(str)) for f in shown.shown.values()]
    if shown.figure is not None:
        text.append(figure_bytes(shown.figure, "svg").decode())
    found = [w for w in _arm_words(STUDY) if any(w.lower() in t.lower() for t in text)]
    assert found == []
    assert "comparisons" not in shown.numbers and "ARM" not in shown.numbers.get("patients", pd.DataFrame()).columns
    if view == "subgroups":
        assert shown.figure is None and "not shown" in shown.message


def test_open_mode_curves_pool_every_patient(opened):
    view = compute(opened, sel.Selection())
    assert set(view.numbers["estimates"]["group"].astype(str)) == {"Overall"}


def test_the_prespecified_analysis_says_so_and_each_departure_is_named(closed):
    assert compute(closed, sel.Selection()).label.prespecified
    assert compute(closed, sel.Selection(endpoint="OS", landmark=365.0)).label.prespecified
    label = compute(closed, SELECTIONS["competing cause, filtered, earlier cut"]).label
    assert not label.prespecified and label.text.startswith("Exploratory")
    assert "Donor type = Haploidentical" in label.text and "MRD before transplant = Positive or Missing" in label.text
    assert "data cutoff 2024-03-31" in label.text
    other = compute(closed, sel.Selection(endpoint="OS", landmark=float(6 * STUDY.time.days_per_unit * 3)))
    assert "not a prespecified landmark" in other.label.text
    assert "population PP" in compute(closed, sel.Selection(population="PP")).label.text
    assert "exploratory by nature" in compute(closed, sel.Selection(view="subgroups")).label.text
    assert "grade 3 or higher" in compute(closed, SELECTIONS["adverse events, grade 3 or higher"]).label.text
    assert not compute(closed, sel.Selection(view="accrual")).label.prespecified


def test_keep_patients_keeps_the_chosen_levels_missing_values_and_ranges(closed):
    trial = closed.trial("", "ITT")
    adsl = trial.adsl
    kept = sel.keep_patients(trial, {"MRDPRE": ["Negative", sel.MISSING]}, {"AGE": (40, 50)})
    expected = adsl[(adsl["MRDPRE"].eq("Negative") | adsl["MRDPRE"].isna()) & adsl["AGE"].between(40, 50)]
    assert list(kept.adsl["USUBJID"]) == list(expected["USUBJID"])
    assert set(kept.adtte["USUBJID"]) == set(expected["USUBJID"])
    assert set(kept.adae["USUBJID"]) <= set(expected["USUBJID"])
    assert sel.keep_patients(trial) is trial
    with pytest.raises(ValueError, match="filter on 'NOPE': not a column of ADSL"):
        sel.keep_patients(trial, {"NOPE": ["x"]})


def test_no_patient_left_says_so(closed):
    view = compute(closed, sel.Selection(ranges=(("AGE", 200.0, 300.0),)))
    assert view.message == "No patient matches the filters." and view.figure is None and not view.numbers


def test_the_patient_listing_needs_patient_listings():
    with pytest.raises(ValueError, match="PATIENT_LISTINGS=1"):
        compute(source("closed"), sel.Selection(view="patients"))


def test_bad_settings_are_refused_by_name():
    with pytest.raises(ValueError, match=r"report='pooled' is not a report mode; expected one of closed, open"):
        sel.Settings(study=config.DEFAULT_STUDY, data_dir=SYNTHETIC, report="pooled")
    with pytest.raises(ValueError, match=r"cutoff='2024-13-01' is not a date; expected YYYY-MM-DD"):
        sel.check_cutoff("2024-13-01")
    with pytest.raises(ValueError, match="after the run's data cutoff 2024-01-31"):
        sel.check_cutoff("2024-06-30", run_cutoff="2024-01-31")
    with pytest.raises(ValueError, match="view='forest' is not a view"):
        sel.Selection(view="forest")
    with pytest.raises(ValueError, match="cause=3 is not a cause of REL"):
        sel.Selection(cause=3).resolved(sel.Settings(study=config.DEFAULT_STUDY, data_dir=SYNTHETIC), STUDY)


def test_landmark_options_are_the_study_landmarks_then_every_tick():
    options = sel.landmark_options(STUDY, 800)
    assert list(options)[:2] == ["1 year", "2 years"] and options["2 years"] == 730
    assert options["6 months"] == pytest.approx(6 * STUDY.time.days_per_unit)


# -- the lower layers the app added ------------------------------------------------------------------
def test_accrual_counts_each_day_and_runs_to_every_patient_of_each_arm():
    adsl = pd.DataFrame(
        [
            ("P1", STUDY.arms[0].label, "2021-01-01"),
            ("P2", STUDY.arms[1].label, "2021-01-01"),
            ("P3", STUDY.arms[0].label, "2021-01-03"),
            ("P4", STUDY.arms[0].label, "2021-01-03"),
        ],
        columns=["USUBJID", "ARM", "RANDDT"],
    ).assign(RANDDT=lambda d: pd.to_datetime(d["RANDDT"]))
    got = cohort.accrual(adsl, STUDY)
    first = got[got["group"] == STUDY.arms[0].label]
    assert list(first["n_randomised"]) == [1, 2] and list(first["cum_randomised"]) == [1, 3]
    total = got[got["group"] == cohort.TOTAL]
    assert list(total["cum_randomised"]) == [2, 4] and set(total["denominator"]) == {4}
    assert set(cohort.accrual(adsl, STUDY, by_arm=False)["group"]) == {cohort.TOTAL}


def test_survival_effects_are_the_log_rank_test_and_cox_model_of_each_comparison(closed):
    data = closed.trial("", "ITT").endpoint("OS")
    got = endpoints.survival_effects(data, STUDY)
    assert list(got["key"]) == ["logrank", "cox"]
    d = endpoints.with_reference_arm(data, STUDY)
    # R: survdiff(Surv(AVAL, EVNTCD) ~ ARM) and coxph(Surv(AVAL, EVNTCD) ~ ARM), as tests/test_survival.py checks
    assert got["p_value"].iloc[0] == survival.logrank_test(d, "AVAL", "EVNTCD", "ARM")["p_value"].iloc[0]
    cox = survival.cox(d, "AVAL", "EVNTCD", ["ARM"]).iloc[0]
    assert (got["hr"].iloc[1], got["conf_low"].iloc[1], got["p_value"].iloc[1]) == (
        cox["hr"],
        cox["conf_low"],
        cox["p_value"],
    )


def test_survival_effects_start_with_the_k_sample_test_with_three_arms(three_arm):
    got = endpoints.survival_effects(three_arm.trial("", None).endpoint("OS"), three_arm.study)
    assert list(got["key"]) == ["logrank_all_arms", "logrank", "cox", "logrank", "cox"]


def test_landmark_estimates_are_formatted_per_group_with_the_landmark_label():
    estimates = pd.DataFrame(
        {"group": ["Overall"], "time": [730.0], "estimate": [0.1234], "conf_low": [0.081], "conf_high": [0.174]}
    )
    shown = tables.table_landmark_estimates(estimates, STUDY, "OS")
    assert shown.to_dict("records") == [
        {"Event": "Overall survival", "Time": "2 years", "Overall": "12.3% (8.1%, 17.4%)"}
    ]
    other = tables.table_landmark_estimates(estimates.assign(time=[365.25]), STUDY, "OS")
    assert other["Time"].iloc[0] == "12.0 months"


# -- make's variables -----------------------------------------------------------------------------
def test_report_and_port_are_checked_and_written_for_make_explore(tmp_path):
    with pytest.raises(params.ParameterError, match=r"REPORT='pooled' is not allowed; expected one of closed, open"):
        params.check_all({"REPORT": "pooled"})
    with pytest.raises(params.ParameterError, match=r"PORT='http' is not a port"):
        params.check_all({"PORT": "http"})
    out = tmp_path / "run"
    raw = {"DATA_DIR": str(SYNTHETIC), "OUT_DIR": str(out), "REPORT": "open", "PORT": "0"}
    params.sync(raw, ["explore"], config.PROJECT_ROOT)
    assert json.loads((out / ".make" / params.EXPLORE_FILE).read_text()) == {"port": 0, "report": "open"}
    assert "REPORT" not in (out / ".make" / "params.json").read_text()  # the report's inputs do not change


def test_make_explore_is_in_the_help_and_the_readme():
    readme = (config.PROJECT_ROOT / "README.md").read_text()
    assert re.search(r"`make explore`", readme) and "REPORT=open" in readme
