"""The report's prose, results lookup and provenance: numbers come from results, missing ones raise."""

import hashlib
from types import SimpleNamespace

import pandas as pd
import pytest

from helpers import narrative, provenance
from helpers.config import EXPERIMENTAL_ARM as SORA
from helpers.config import REFERENCE_ARM as CTRL
from helpers.outputs import NotebookOutputs
from helpers.results import RunResults


@pytest.fixture
def results(tmp_path):
    cohort = NotebookOutputs(tmp_path, "01_cohort", {})
    cohort.value("consort", {"assessed": 120, "excluded": 20, "randomised": 100,
                             "arms": {SORA: {"allocated": 49}, CTRL: {"allocated": 51}}})
    cohort.value("median_follow_up", [{"group": SORA, "median": 700.0}, {"group": CTRL, "median": 760.0},
                                      {"group": "Overall", "median": 730.5}])
    relapse = NotebookOutputs(tmp_path, "02_relapse", {})
    relapse.value("cif_landmarks", [
        {"group": g, "cause": c, "time": t, "estimate": e, "conf_low": e - 0.05, "conf_high": e + 0.05}
        for g, base in ((SORA, 0.1), (CTRL, 0.2)) for c in (1, 2) for t, e in ((365.0, base), (730.0, base + 0.05))])
    relapse.value("relapse_effects", [
        {"key": "gray", "analysis": "Gray's test", "estimate": None, "conf_low": None, "conf_high": None, "p_value": 0.0123},
        {"key": "fine_gray", "analysis": "FG", "estimate": 0.5, "conf_low": 0.3, "conf_high": 0.8, "p_value": 0.004},
        {"key": "cause_specific_cox", "analysis": "CS", "estimate": 0.55, "conf_low": 0.33, "conf_high": 0.9, "p_value": 0.02}])
    subgroups = NotebookOutputs(tmp_path, "04_subgroups", {})
    subgroups.value("subgroups", [
        {"subgroup": "Overall", "level": "Overall", "p_interaction": None},
        {"subgroup": "SEX", "level": "F", "p_interaction": 0.4}, {"subgroup": "SEX", "level": "M", "p_interaction": 0.4},
        {"subgroup": "DIAG", "level": "AML", "p_interaction": 0.03},
        {"subgroup": "MRDPRE", "level": "Positive", "p_interaction": None}])
    return RunResults(tmp_path)


def test_cohort_prose_quotes_allocation_and_overall_follow_up(results):
    text = narrative.cohort_text(results)
    assert "100 were randomised: 49 to sorafenib maintenance and 51 to no maintenance" in text
    assert "was 24.0 months" in text  # the Overall row, 730.5 days


def test_relapse_prose_quotes_the_two_year_estimates_and_models(results):
    text = narrative.relapse_text(results)
    assert "At 2 years the cumulative incidence of relapse was 15.0% (10.0%, 20.0%) with sorafenib" in text
    assert "Gray's test p = 0.012" in text and "0.50 (0.30, 0.80)" in text and "0.55 (0.33, 0.90)" in text


def test_subgroup_prose_counts_every_factor_and_names_untestable_ones(results):
    text = narrative.subgroup_text(results)
    assert "within each level of 3 prespecified baseline factors" in text
    assert "0.030 (diagnosis)" in text
    assert "No interaction test was possible for mrd before transplant" in text


def test_missing_result_raises_instead_of_printing_a_default(results, tmp_path):
    NotebookOutputs(tmp_path, "01_cohort", {}).value("median_follow_up", [{"group": SORA, "median": 1.0}])
    fresh = RunResults(tmp_path)
    with pytest.raises(KeyError, match="recorded no value .consort."):
        narrative.cohort_text(fresh)
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
    prov = provenance.collect({"adsl": SimpleNamespace(path=f, sha256=digest, n_rows=1)}, {"cutoff": None})
    assert prov["run_date"] == "2025-06-15 15:06 UTC"
    assert prov["data_files"] == [{"table": "adsl", "file": "adsl.csv", "sha256": digest, "rows": 1}]
    shown = provenance.provenance_tables(prov)["data"]
    assert shown["SHA-256"].iloc[0].replace(" ", "") == digest
    assert "(none)" in provenance.provenance_tables(prov)["run"]["Value"].tolist()
