"""The report's prose, results lookup and provenance: numbers come from results, missing ones raise;
arms, the drug, endpoints and subgroups are named from the study, for any number of arms."""

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers.analysis.cohort import findings_frame
from helpers.present import ard, narrative
from helpers.present.results import RunResults
from helpers.run import provenance
from helpers.run.outputs import NotebookOutputs
from helpers.study import load_study

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
SORA, CTRL = STUDY.comparator_arms[0].label, STUDY.reference_arm.label
HIGH, LOW, OBS = THREE.arm_labels
POP = "ITT"


def _effects(comparators, ref, k):
    rows = []
    if k > 2:
        rows.append(
            {
                "key": "gray_all_arms",
                "comparator_arm": None,
                "hr": None,
                "conf_low": None,
                "conf_high": None,
                "p_value": 0.0077,
                "analysis": "Gray's test, all arms",
                "comparison": "All arms",
                "note": "",
            }
        )
    for i, c in enumerate(comparators):
        rows += [
            {
                "key": "gray",
                "analysis": "Gray's test",
                "comparison": "c",
                "comparator_arm": c,
                "hr": None,
                "conf_low": None,
                "conf_high": None,
                "p_value": 0.0123,
                "note": "",
            },
            {
                "key": "fine_gray",
                "analysis": "fine_gray",
                "comparison": "c",
                "comparator_arm": c,
                "hr": 0.5 + i / 10,
                "conf_low": 0.3,
                "conf_high": 0.8,
                "p_value": 0.004,
                "note": "",
            },
            {
                "key": "fine_gray_adjusted",
                "analysis": "fine_gray_adjusted",
                "comparison": "c",
                "comparator_arm": c,
                "hr": 0.52,
                "conf_low": 0.3,
                "conf_high": 0.8,
                "p_value": 0.01,
                "n_dropped": 4,
                "left_out": "STRATDS",
                "note": "not estimable: STRATDS has a single level; 4 patients with a missing STRATDT left out",
            },
            {
                "key": "cause_specific_cox",
                "analysis": "cause_specific_cox",
                "comparison": "c",
                "comparator_arm": c,
                "hr": 0.55,
                "conf_low": 0.33,
                "conf_high": 0.9,
                "p_value": 0.02,
                "note": "",
            },
        ]
    return rows


def _secondary(paramcd, endpoint, status, note, groups=(SORA, CTRL)):
    if status == "not delivered":
        return [{"paramcd": paramcd, "endpoint": endpoint, "status": status, "time_label": "2 years", "note": note}]
    return [
        {
            "paramcd": paramcd,
            "endpoint": endpoint,
            "status": status,
            "time_label": "2 years",
            "group": g,
            "estimate": 0.7,
            "conf_low": 0.6,
            "conf_high": 0.8,
            "test": "Log-rank",
            "p_value": 0.03,
            "p_value_all_arms": 0.03,
            "hr": 0.7,
            "hr_conf_low": 0.5,
            "hr_conf_high": 0.9,
            "note": note,
        }
        for g in groups
    ]


def _subgroup(subgroup, level, p_interaction):
    return {
        "subgroup": subgroup,
        "level": level,
        "comparator_arm": SORA,
        "reference_arm": CTRL,
        "n_comparator": 50,
        "events_comparator": 10,
        "n_reference": 50,
        "events_reference": 20,
        "n_missing": 0,
        "hr": 0.5,
        "conf_low": 0.3,
        "conf_high": 0.9,
        "p_interaction": p_interaction,
        "note": "",
    }


def _consort(randomised, arms, assessed=None, excluded=None):
    return {
        "screening_delivered": assessed is not None,
        "assessed": assessed,
        "excluded": excluded,
        "excluded_reasons": None if excluded is None else {},
        "randomised": randomised,
        "population": "ITT",
        "arms": {a: {"allocated": n, "not_analysed": out} for a, (n, out) in arms.items()},
    }


def _cif(groups, times, base=0.1):
    return pd.DataFrame(
        [
            {"group": g, "cause": c, "time": t, "estimate": e, "conf_low": e - 0.05, "conf_high": e + 0.05}
            for i, g in enumerate(groups)
            for c in (1, 2)
            for t, e in ((t, base * (i + 1) + 0.05 * j) for j, t in enumerate(times))
        ]
    )


@pytest.fixture
def results(tmp_path):
    cohort = NotebookOutputs(tmp_path, "01_cohort", {})
    cohort.ard(ard.ard_consort(_consort(100, {SORA: (49, 0), CTRL: (51, 0)}, 120, 20), ard.ALL_RANDOMISED))
    follow_up = pd.DataFrame({"group": [SORA, CTRL, "Overall"], "median": [700.0, 760.0, 730.5]})
    cohort.ard(ard.ard_follow_up(follow_up, POP, STUDY.time))
    cohort.ard(ard.ard_data_review(findings_frame([]), ard.ALL_RANDOMISED))
    relapse = NotebookOutputs(tmp_path, "02_relapse", {})
    relapse.ard(ard.ard_cif_landmarks(_cif((SORA, CTRL), (365.0, 730.0)), POP))
    relapse.ard(ard.ard_relapse_effects(pd.DataFrame(_effects([SORA], CTRL, 2)), POP))
    secondary = [
        *_secondary("OS", "Overall survival", "delivered", ""),
        *_secondary("GRFS", "GVHD-free relapse-free survival", "not delivered", "GRFS not delivered"),
        *_secondary("AGVHD", "Acute GVHD grade II-IV", "delivered", "delivered for 80 of 100 patients"),
    ]
    relapse.ard(ard.ard_secondary(pd.DataFrame(secondary), POP))
    safety = NotebookOutputs(tmp_path, "03_safety", {})
    safety.value("delivered", {"adae": True, "adex": True})
    overview = pd.DataFrame(
        [
            {"category": "TEAE grade 3 or higher", "group": g, "n_patients": n, "denominator": d, "proportion": n / d}
            for g, n, d in ((SORA, 117, 165), (CTRL, 82, 175))
        ]
    )
    safety.ard(ard.ard_teae_overview(overview, "SAFETY"))
    exposure = {
        "group": SORA,
        "n_treated": 165,
        "n_interrupted": 74,
        "proportion_interrupted": 74 / 165,
        "n_reduced": 70,
        "proportion_reduced": 70 / 165,
        **{f"{s}_{m}": 1.0 for s in ("median", "q1", "q3") for m in ("duration_days", "mean_daily_dose_mg")},
    }
    safety.ard(ard.ard_exposure(pd.DataFrame([exposure]), "SAFETY"))
    subgroups = NotebookOutputs(tmp_path, "04_subgroups", {})
    effects = [
        _subgroup("Overall", "Overall", None),
        _subgroup("SEX", "F", 0.4),
        _subgroup("SEX", "M", 0.4),
        _subgroup("DIAG", "AML", 0.03),
        _subgroup("MRDPRE", "Positive", None),
    ]
    subgroups.ard(ard.ard_subgroups(pd.DataFrame(effects), POP))
    return RunResults(tmp_path)


def test_cohort_prose_quotes_allocation_and_overall_follow_up(results):
    text = narrative.cohort_text(results, STUDY)
    assert "100 were randomised: 49 to sorafenib maintenance and 51 to no maintenance" in text
    assert "was 24.0 months" in text  # the Overall row, 730.5 days


def test_cohort_prose_without_a_screening_log_says_not_delivered(tmp_path):
    out = NotebookOutputs(tmp_path, "01_cohort", {})
    out.ard(ard.ard_consort(_consort(7, {HIGH: (2, 0), LOW: (2, 1), OBS: (3, 0)}), ard.ALL_RANDOMISED))
    out.ard(ard.ard_follow_up(pd.DataFrame({"group": ["Overall"], "median": [365.25]}), POP, THREE.time))
    text = narrative.cohort_text(RunResults(tmp_path), THREE)
    assert text.startswith(
        "7 patients were randomised: 2 to examplinib 300 mg, 2 to examplinib 150 mg and "
        "3 to observation (@fig-consort). The screening log was not delivered"
    )
    assert "1 randomised patient is not in the ITT population" in text
    assert "None" not in text and "was 12.0 months" in text


def test_relapse_prose_quotes_the_landmark_estimates_and_models(results):
    text = narrative.relapse_text(results, STUDY)
    assert (
        "At 2 years the cumulative incidence of relapse was 15.0% (10.0%, 20.0%) with sorafenib maintenance "
        "and 25.0% (20.0%, 30.0%) with no maintenance"
    ) in text
    assert "Gray's test p = 0.012" in text and "0.50 (0.30, 0.80)" in text and "0.55 (0.33, 0.90)" in text
    assert "with sorafenib maintenance vs no maintenance was 0.50" in text
    assert "Non-relapse mortality, the competing event, was 15.0% with sorafenib maintenance" in text
    assert (
        "The model adjusted for the randomisation strata left out STRATDS: STRATDS has a single level. "
        "It left out 4 patients with a missing stratum."
    ) in text


def test_relapse_prose_says_when_the_adjusted_model_is_not_estimable(results, tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {})
    out.ard(ard.ard_cif_landmarks(_cif((SORA, CTRL), (365.0, 730.0)), POP))
    effects = _effects([SORA], CTRL, 2)
    effects[2] = {
        "key": "fine_gray_adjusted",
        "analysis": "adjusted",
        "comparison": "c",
        "comparator_arm": SORA,
        "hr": None,
        "conf_low": None,
        "conf_high": None,
        "p_value": None,
        "n_dropped": 0,
        "left_out": "STRATDS, STRATDT",
        "note": "not estimable: STRATDS is missing for every patient; not estimable: STRATDT has a single level",
    }
    out.ard(ard.ard_relapse_effects(pd.DataFrame(effects), POP))
    text = narrative.relapse_text(RunResults(tmp_path), STUDY)
    assert (
        "The model adjusted for the randomisation strata was not estimable: STRATDS is missing for every "
        "patient and STRATDT has a single level."
    ) in text


def test_relapse_prose_with_three_arms_gives_the_k_sample_test_and_each_comparison(tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {})
    cif = _cif(THREE.arm_labels, (365.25,)).assign(estimate=0.1, conf_low=0.05, conf_high=0.15)
    out.ard(ard.ard_cif_landmarks(cif, POP))
    out.ard(ard.ard_relapse_effects(pd.DataFrame(_effects([HIGH, LOW], OBS, 3)), POP))
    text = narrative.relapse_text(RunResults(tmp_path), THREE)
    assert text.startswith(
        "At 12 months the cumulative incidence of recurrence was 10.0% (5.0%, 15.0%) with "
        "examplinib 300 mg, 10.0% (5.0%, 15.0%) with examplinib 150 mg and "
    )
    assert "Gray's test over the 3 arms p = 0.008" in text
    assert "with examplinib 300 mg vs observation was 0.50" in text
    assert "with examplinib 150 mg vs observation was 0.60" in text
    assert "Death in remission, the competing event" in text


def test_secondary_prose_names_endpoints_not_delivered_or_partial(results):
    text = narrative.secondary_text(results, STUDY)
    assert "GVHD-free relapse-free survival was not delivered" in text
    assert "Acute GVHD grade II-IV: delivered for 80 of 100 patients." in text


def test_safety_prose_quotes_grade_3_and_exposure(results):
    text = narrative.safety_text(results, STUDY)
    assert "occurred in 70.9% of patients with sorafenib maintenance and 46.9% with no maintenance" in text
    assert "at least 10% of patients in either arm" in text
    assert "Among 165 patients treated with sorafenib, 44.8% had at least one interruption" in text


def test_safety_prose_without_adae_or_adex_says_not_delivered_never_zero(tmp_path):
    NotebookOutputs(tmp_path, "03_safety", {}).value("delivered", {"adae": False, "adex": False})
    text = narrative.safety_text(RunResults(tmp_path), STUDY)
    assert "Adverse-event data (ADAE) were not delivered" in text
    assert "Exposure data (ADEX) were not delivered, so exposure to sorafenib is not summarised" in text
    assert "0 (0.0%)" not in text and "Among 0" not in text and "NE" not in text


def test_subgroup_prose_counts_every_factor_and_names_untestable_ones(results):
    text = narrative.subgroup_text(results, STUDY)
    assert text.startswith("The effect of sorafenib on relapse was estimated within each level of 3 prespecified")
    assert "0.030 (diagnosis)" in text
    assert "No interaction test was possible for MRD before transplant" in text


def test_data_review_prose_counts_findings_or_says_there_are_none(results, tmp_path):
    assert narrative.data_review_text(results).startswith("No findings")
    out = NotebookOutputs(tmp_path / "f", "01_cohort", {})
    findings = findings_frame(
        [
            {"severity": "finding", "rule": "age 18-65", "table": "adsl", "file": "adsl.csv", "n_rows": 2},
            {"severity": "finding", "rule": "missing DONORTYP", "table": "adsl", "file": "adsl.csv", "n_rows": 1},
        ]
    )
    out.ard(ard.ard_data_review(findings, ard.ALL_RANDOMISED))
    text = narrative.data_review_text(RunResults(tmp_path / "f"))
    assert text.startswith("The data review listed 2 findings (3 rows in adsl; @tbl-data-review)")
    assert "none stopped the analysis" in text


def test_methods_name_the_study_endpoints_and_strata():
    text = narrative.methods_text(THREE)
    assert text.startswith("Recurrence is analysed as a competing-risks endpoint with death in remission")
    assert "includes the randomisation strata (STRATDS) as covariates" in text
    assert "Survival and recurrence-free survival use Kaplan-Meier" in text
    assert "the 3-sample test over all arms" in text


def test_missing_result_raises_instead_of_printing_a_default(tmp_path):
    follow_up = pd.DataFrame({"group": [SORA], "median": [1.0]})
    NotebookOutputs(tmp_path, "01_cohort", {}).ard(ard.ard_follow_up(follow_up, POP, STUDY.time))
    fresh = RunResults(tmp_path)
    with pytest.raises(KeyError, match="the ARD has no output 'fig-consort'"):
        narrative.cohort_text(fresh, STUDY)
    with pytest.raises(FileNotFoundError, match="03_safety"):
        fresh.value("03_safety", "delivered")
    with pytest.raises(FileNotFoundError, match="no notebook of .* wrote ard.json"):
        RunResults(tmp_path / "empty").ard()


def test_results_serve_display_tables_as_strings(tmp_path):
    out = NotebookOutputs(tmp_path, "nb", {})
    out.table("tbl-x", pd.DataFrame({"p": [0.00012]}), display=pd.DataFrame({"P": ["<0.001"], "N": ["007"]}))
    shown = RunResults(tmp_path).table_data("nb", "tbl-x")
    assert shown.to_dict("records") == [{"P": "<0.001", "N": "007"}]
    assert RunResults(tmp_path).table_data("nb", "tbl-x", display=False)["p"].iloc[0] == 0.00012


def test_provenance_records_checksums_parameters_and_honours_source_date_epoch(tmp_path, monkeypatch):
    f = tmp_path / "adsl.csv"
    f.write_text("USUBJID\nP1\n")
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    prov = provenance.collect("STUDY-1", {"adsl": SimpleNamespace(path=f, sha256=digest, n_rows=1)}, {"cutoff": None})
    assert prov["run_date"] == "2025-06-15 15:06 UTC"
    assert prov["data_files"] == [{"table": "adsl", "file": "adsl.csv", "sha256": digest, "rows": 1}]
    shown = provenance.provenance_tables(prov)["data"]
    assert shown["SHA-256"].iloc[0].replace(" ", "") == digest
    assert "(none)" in provenance.provenance_tables(prov)["run"]["Value"].tolist()
