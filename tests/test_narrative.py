"""The report's prose, results lookup and provenance: numbers come from results, missing ones raise;
arms, the drug, endpoints and subgroups are named from the study, for any number of arms."""

import hashlib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers.present import narrative
from helpers.present.results import RunResults
from helpers.run import provenance
from helpers.run.outputs import NotebookOutputs
from helpers.study import load_study

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
SORA, CTRL = STUDY.comparator_arms[0].label, STUDY.reference_arm.label
HIGH, LOW, OBS = THREE.arm_labels


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
                "note": "",
            }
        )
    for i, c in enumerate(comparators):
        rows += [
            {
                "key": "gray",
                "comparator_arm": c,
                "hr": None,
                "conf_low": None,
                "conf_high": None,
                "p_value": 0.0123,
                "note": "",
            },
            {
                "key": "fine_gray",
                "comparator_arm": c,
                "hr": 0.5 + i / 10,
                "conf_low": 0.3,
                "conf_high": 0.8,
                "p_value": 0.004,
                "note": "",
            },
            {
                "key": "fine_gray_adjusted",
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
                "comparator_arm": c,
                "hr": 0.55,
                "conf_low": 0.33,
                "conf_high": 0.9,
                "p_value": 0.02,
                "note": "",
            },
        ]
    return rows


@pytest.fixture
def results(tmp_path):
    cohort = NotebookOutputs(tmp_path, "01_cohort", {})
    cohort.value(
        "consort",
        {
            "screening_delivered": True,
            "assessed": 120,
            "excluded": 20,
            "randomised": 100,
            "population": "ITT",
            "arms": {SORA: {"allocated": 49, "not_analysed": 0}, CTRL: {"allocated": 51, "not_analysed": 0}},
        },
    )
    cohort.value(
        "median_follow_up",
        [{"group": SORA, "median": 700.0}, {"group": CTRL, "median": 760.0}, {"group": "Overall", "median": 730.5}],
    )
    cohort.value("findings", [])
    relapse = NotebookOutputs(tmp_path, "02_relapse", {})
    relapse.value(
        "cif_landmarks",
        [
            {"group": g, "cause": c, "time": t, "estimate": e, "conf_low": e - 0.05, "conf_high": e + 0.05}
            for g, base in ((SORA, 0.1), (CTRL, 0.2))
            for c in (1, 2)
            for t, e in ((365.0, base), (730.0, base + 0.05))
        ],
    )
    relapse.value("relapse_effects", _effects([SORA], CTRL, 2))
    relapse.value(
        "secondary",
        [
            {"paramcd": "OS", "endpoint": "Overall survival", "status": "delivered", "note": ""},
            {
                "paramcd": "GRFS",
                "endpoint": "GVHD-free relapse-free survival",
                "status": "not delivered",
                "note": "GRFS not delivered",
            },
            {
                "paramcd": "AGVHD",
                "endpoint": "Acute GVHD grade II-IV",
                "status": "delivered",
                "note": "delivered for 80 of 100 patients",
            },
        ],
    )
    safety = NotebookOutputs(tmp_path, "03_safety", {})
    safety.value("delivered", {"adae": True, "adex": True})
    safety.value(
        "teae_overview",
        [
            {"category": "TEAE grade 3 or higher", "group": g, "proportion": p}
            for g, p in ((SORA, 0.709), (CTRL, 0.469))
        ],
    )
    safety.value(
        "exposure", [{"group": SORA, "n_treated": 165, "proportion_interrupted": 0.448, "proportion_reduced": 0.424}]
    )
    subgroups = NotebookOutputs(tmp_path, "04_subgroups", {})
    subgroups.value(
        "subgroups",
        [
            {"subgroup": "Overall", "level": "Overall", "comparator_arm": SORA, "p_interaction": None},
            {"subgroup": "SEX", "level": "F", "comparator_arm": SORA, "p_interaction": 0.4},
            {"subgroup": "SEX", "level": "M", "comparator_arm": SORA, "p_interaction": 0.4},
            {"subgroup": "DIAG", "level": "AML", "comparator_arm": SORA, "p_interaction": 0.03},
            {"subgroup": "MRDPRE", "level": "Positive", "comparator_arm": SORA, "p_interaction": None},
        ],
    )
    return RunResults(tmp_path)


def test_cohort_prose_quotes_allocation_and_overall_follow_up(results):
    text = narrative.cohort_text(results, STUDY)
    assert "100 were randomised: 49 to sorafenib maintenance and 51 to no maintenance" in text
    assert "was 24.0 months" in text  # the Overall row, 730.5 days


def test_cohort_prose_without_a_screening_log_says_not_delivered(tmp_path):
    out = NotebookOutputs(tmp_path, "01_cohort", {})
    out.value(
        "consort",
        {
            "screening_delivered": False,
            "assessed": None,
            "excluded": None,
            "randomised": 7,
            "population": "ITT",
            "arms": {
                HIGH: {"allocated": 2, "not_analysed": 0},
                LOW: {"allocated": 2, "not_analysed": 1},
                OBS: {"allocated": 3, "not_analysed": 0},
            },
        },
    )
    out.value("median_follow_up", [{"group": "Overall", "median": 365.25}])
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
    out.value("cif_landmarks", results.value("02_relapse", "cif_landmarks"))
    effects = _effects([SORA], CTRL, 2)
    effects[2] = {
        "key": "fine_gray_adjusted",
        "comparator_arm": SORA,
        "hr": None,
        "n_dropped": 0,
        "left_out": "STRATDS, STRATDT",
        "note": "not estimable: STRATDS is missing for every patient; not estimable: STRATDT has a single level",
    }
    out.value("relapse_effects", effects)
    text = narrative.relapse_text(RunResults(tmp_path), STUDY)
    assert (
        "The model adjusted for the randomisation strata was not estimable: STRATDS is missing for every "
        "patient and STRATDT has a single level."
    ) in text


def test_relapse_prose_with_three_arms_gives_the_k_sample_test_and_each_comparison(tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {})
    out.value(
        "cif_landmarks",
        [
            {"group": g, "cause": c, "time": 365.25, "estimate": 0.1, "conf_low": 0.05, "conf_high": 0.15}
            for g in THREE.arm_labels
            for c in (1, 2)
        ],
    )
    out.value("relapse_effects", _effects([HIGH, LOW], OBS, 3))
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
    out.value(
        "findings",
        [
            {"rule": "age 18-65", "table": "adsl", "n_rows": 2},
            {"rule": "missing DONORTYP", "table": "adsl", "n_rows": 1},
        ],
    )
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
    NotebookOutputs(tmp_path, "01_cohort", {}).value("median_follow_up", [{"group": SORA, "median": 1.0}])
    fresh = RunResults(tmp_path)
    with pytest.raises(KeyError, match="recorded no value .consort."):
        narrative.cohort_text(fresh, STUDY)
    with pytest.raises(FileNotFoundError, match="03_safety"):
        fresh.value("03_safety", "exposure")


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
