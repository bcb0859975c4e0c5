"""Closed and open reports from one run: the pooled study and trial the open report's notebooks
see, its run folder, the notebook cells of each report, and the check that its outputs name no
arm and quote no comparison (with the negative controls that show the check bites).

The end-to-end proof on both reports built by make is tests/test_make_report_modes.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from helpers import synthetic
from helpers.analysis import cohort, endpoints, safety
from helpers.data.blind import ARM_COLUMNS, DRUG_COLUMNS, pool_arms
from helpers.data.contract import load_trial
from helpers.run import blinding, notebook, params, pipeline
from helpers.study import DEFAULT_STUDY, StudyError, load_study, parse_study

STUDY = load_study(DEFAULT_STUDY)
THREE_ARM = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    synthetic.write_trial(synthetic.generate(n_patients=80, seed=5), out, "csv")
    return out


@pytest.fixture(scope="module")
def trial(data):
    return load_trial(data, study=STUDY, population=None)


# -- the pooled study -----------------------------------------------------------------------------
def test_pooled_study_has_one_untreated_arm_with_the_open_report_wording():
    pooled = STUDY.pooled()
    wording = STUDY.reports.open
    assert [(a.code, a.label, a.reference, a.treated) for a in pooled.arms] == [
        (wording.pooled_code, wording.pooled_label, True, False)
    ]
    assert pooled.study.title == wording.title and pooled.study.drug == wording.drug
    assert pooled.synthetic is None and pooled.safety is not None and pooled.safety.special_interest is None
    assert pooled.is_pooled and not STUDY.is_pooled and pooled.comparator_arms == ()
    assert pooled.endpoints == STUDY.endpoints and pooled.populations == STUDY.populations


def test_pooled_study_names_no_arm_and_no_drug_in_any_text():
    for study in (STUDY, THREE_ARM):
        text = json.dumps(study.pooled().model_dump(mode="json"), ensure_ascii=False)
        assert study.arm_terms_in(text) == [], study.study.id


def test_arm_terms_are_codes_as_written_and_labels_and_drug_in_any_case():
    assert STUDY.arm_terms == ("SORA", "CTRL", "Sorafenib maintenance", "Sorafenib", "No maintenance")
    assert STUDY.arm_terms_in("SORAFENIB and CTRL") == ["CTRL", "Sorafenib"]
    assert STUDY.arm_terms_in("with no maintenance") == ["No maintenance"]
    assert STUDY.arm_terms_in("CTRLX sora ctrl maintenance") == []  # codes are whole words, as written


def _with_reports(reports: str) -> str:
    return DEFAULT_STUDY.read_text(encoding="utf-8") + "\n" + reports


def test_open_wording_that_names_an_arm_or_the_drug_is_an_error_naming_the_setting():
    text = DEFAULT_STUDY.read_text(encoding="utf-8").replace(
        'title: "NCT04674345: open report"', 'title: "Sorafenib trial: open report"'
    )
    with pytest.raises(StudyError, match=r"reports\.open\.title: 'Sorafenib trial: open report' names 'Sorafenib'"):
        parse_study(text, "x.yaml")


def test_pooled_label_equal_to_an_arm_label_is_an_error():
    text = DEFAULT_STUDY.read_text(encoding="utf-8").replace("pooled_label: All patients", "pooled_label: Everyone")
    assert parse_study(text).reports.open.pooled_label == "Everyone"
    text = text.replace("pooled_code: ALL", "pooled_code: CTRL")
    with pytest.raises(StudyError, match=r"reports\.open: pooled_label 'Everyone' and pooled_code 'CTRL' must differ"):
        parse_study(text, "x.yaml")


def test_a_study_without_reports_gets_generic_wording():
    assert THREE_ARM.reports.closed.banner.startswith("CLOSED REPORT: for the Data Monitoring Committee only")
    assert THREE_ARM.pooled().study.title == "EXAMPLE-3ARM: open report"


# -- the pooled trial -----------------------------------------------------------------------------
def test_pooled_trial_has_every_patient_in_the_one_arm_and_no_drug_only_data(trial):
    pooled = pool_arms(trial)
    label, code = STUDY.reports.open.pooled_label, STUDY.reports.open.pooled_code
    for name, df in pooled.tables.items():
        for col, what in ARM_COLUMNS.items():
            if col in df:
                assert set(df[col]) == {label if what == "label" else code}, (name, col)
        for col in DRUG_COLUMNS.get(name, ()):
            assert df[col].isna().all(), (name, col)
    assert pooled.adex is None and trial.adex is not None and "adex" in pooled.files
    assert len(pooled.adsl) == len(trial.adsl) and pooled.findings == trial.findings
    assert pooled.study.is_pooled and pool_arms(pooled) is pooled
    assert set(trial.adsl["ARM"]) == set(STUDY.arm_labels)  # the trial given is left as it was


def test_pooled_trial_selects_populations_and_gives_endpoints_with_the_pooled_arm(trial):
    pooled = pool_arms(trial).select("SAFETY")
    assert len(pooled.adsl) == len(trial.select("SAFETY").adsl)
    assert set(pooled.endpoint("REL")["ARM"]) == {STUDY.reports.open.pooled_label}


def test_pooled_baseline_is_the_closed_report_total(trial):
    closed = cohort.baseline_characteristics(trial.adsl, STUDY)
    pooled_trial = pool_arms(trial)
    pooled = cohort.baseline_characteristics(pooled_trial.adsl, pooled_trial.study)
    assert set(pooled["group"]) == {STUDY.reports.open.pooled_label}  # no Total beside the one arm
    total = closed[closed["group"] == cohort.TOTAL].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(pooled.drop(columns="group").reset_index(drop=True), total)


def test_pooled_event_counts_are_the_closed_report_total(trial):
    closed = endpoints.event_counts(trial.adsl, trial.adtte, STUDY)
    pooled_trial = pool_arms(trial)
    pooled = endpoints.event_counts(pooled_trial.adsl, pooled_trial.adtte, pooled_trial.study)
    total = closed[closed["group"] == cohort.TOTAL].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(pooled.drop(columns="group").reset_index(drop=True), total)
    arms = closed[closed["group"] != cohort.TOTAL].groupby("paramcd", sort=False)[["n_patients", "n_event"]].sum()
    assert (arms.to_numpy() == total[["n_patients", "n_event"]].to_numpy()).all()
    assert list(total["paramcd"][:1]) == [STUDY.primary.endpoint]


def test_pooled_safety_overview_leaves_out_the_drug_actions(trial):
    saf = trial.select("SAFETY")
    closed = safety.teae_overview(saf.adae, saf.adsl, STUDY)
    pooled_trial = pool_arms(trial).select("SAFETY")
    pooled = safety.teae_overview(pooled_trial.adae, pooled_trial.adsl, pooled_trial.study)
    assert not set(pooled["category"]) & set(safety.DRUG_ACTIONS)
    total = closed[(closed["group"] == cohort.TOTAL) & ~closed["category"].isin(safety.DRUG_ACTIONS)]
    cols = ["category", "n_patients", "denominator", "n_events"]
    assert pooled[cols].to_numpy().tolist() == total[cols].to_numpy().tolist()


def test_accrual_counts_each_month_from_the_first_to_the_last_with_empty_months():
    adsl = pd.DataFrame({"RANDDT": pd.to_datetime(["2021-01-15", "2021-01-31", "2021-03-02", "2021-03-30"])})
    got = cohort.monthly_accrual(adsl)
    assert [d.strftime("%Y-%m-%d") for d in got["month"]] == ["2021-01-01", "2021-02-01", "2021-03-01"]
    assert list(got["n_randomised"]) == [2, 0, 2] and list(got["cum_randomised"]) == [2, 2, 4]


def test_data_completeness_counts_values_and_endpoint_records():
    adsl = pd.DataFrame(
        {"USUBJID": ["a", "b", "c", "d"], **{v: ["x", None, "y", "z"] for v in STUDY.baseline}, "STRATDS": "CR1"}
    ).assign(STRATDT="MSD")
    adtte = pd.DataFrame({"USUBJID": ["a", "b", "c", "d", "a"], "PARAMCD": ["REL"] * 4 + ["OS"]})
    got = cohort.data_completeness(adsl, adtte, STUDY).set_index("item")
    assert got.loc["SEX", ["n_patients", "n_known", "n_missing"]].tolist() == [4, 3, 1]
    assert got.loc["STRATDS", "proportion"] == 1.0
    assert got.loc["REL", "n_known"] == 4 and got.loc["OS", "n_known"] == 1 and got.loc["GRFS", "n_known"] == 0
    assert list(got["kind"].unique()) == ["variable", "endpoint"]


# -- notebooks ------------------------------------------------------------------------------------
def test_open_notebook_sees_the_pooled_study_and_trial(data, tmp_path):
    run = notebook.setup(
        "01_cohort",
        study=str(DEFAULT_STUDY),
        data_dir=str(data),
        cutoff="",
        population="",
        out_dir=str(tmp_path),
        seed=1,
        report="open",
    )
    assert run.study.is_pooled and not run.definition.is_pooled and not run.closed
    for view in (run.all_randomised, run.trial, run.safety):
        assert set(view.adsl["ARM"]) == {STUDY.reports.open.pooled_label} and view.adex is None
    assert run.parameters["report"] == "open"


def test_unknown_report_is_an_error_naming_the_parameter(data, tmp_path):
    with pytest.raises(ValueError, match=r"parameter report='draft' is not a report; expected one of closed, open"):
        notebook.setup(
            "01_cohort",
            study=str(DEFAULT_STUDY),
            data_dir=str(data),
            cutoff="",
            population="",
            out_dir=str(tmp_path),
            seed=1,
            report="draft",
        )


def test_each_report_runs_without_the_other_reports_cells():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in ("both", "closed", "open")]
    nb.cells[1].metadata["tags"] = ["closed-only"]
    nb.cells[2].metadata["tags"] = ["open-only"]
    assert [c.source for c in pipeline.cells_for_report(nbformat.from_dict(nb), "closed").cells] == ["both", "closed"]
    assert [c.source for c in pipeline.cells_for_report(nbformat.from_dict(nb), "open").cells] == ["both", "open"]
    with pytest.raises(ValueError, match="'draft' is not a report"):
        pipeline.cells_for_report(nb, "draft")


def test_every_notebook_takes_the_report_parameter_and_tags_only_known_reports():
    from helpers import config

    for path in sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert 'report: str = "closed"' in parameters.source, path.name
        tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
        assert tags <= {"parameters", "closed-only", "open-only"}, path.name


def test_report_parameter_from_the_command_line_is_checked():
    assert pipeline.parse_parameters(["report=open"]) == {"report": "open"}
    with pytest.raises(ValueError, match=r"report='draft'; expected one of closed, open"):
        pipeline.parse_parameters(["report=draft"])


# -- the make variable and the run folder -----------------------------------------------------------
def test_report_variable_defaults_to_closed_and_names_the_run_folder(tmp_path):
    assert params.check_all({"REPORT": ""}) == {"REPORT": "closed"}
    assert params.run_parameters({"DATA_DIR": "d", "REPORT": "open"}, Path("/p"))["notebook"]["report"] == "open"
    folder = {
        r: params.default_out_dir({"DATA_DIR": "data/synthetic", "REPORT": r}, tmp_path) for r in ("closed", "open")
    }
    assert folder == {"closed": "reports/synthetic-dmc-closed", "open": "reports/synthetic-open"}
    assert params.default_out_dir(
        {"DATA_DIR": "data/synthetic", "CUTOFF": "2025-06-30", "REPORT": "open"}, tmp_path
    ) == ("reports/synthetic-cut2025-06-30-open")
    with pytest.raises(params.ParameterError, match="REPORT='draft' is not allowed; expected one of closed, open"):
        params.check_all({"REPORT": "draft"})


# -- the check of the open report's outputs ----------------------------------------------------------
def _clean_run(folder: Path) -> Path:
    """A small open run folder: a table, results, an SVG, a notebook and an HTML report, with an
    image whose base64 data happen to spell an arm code (images are not text)."""
    (folder / "02_relapse").mkdir(parents=True)
    pooled = STUDY.reports.open.pooled_label
    pd.DataFrame({"group": [pooled], "estimate": [0.2]}).to_csv(folder / "02_relapse" / "tbl-cif.csv", index=False)
    (folder / "02_relapse" / "results.json").write_text(json.dumps({"values": {"cif": [{"group": pooled}]}}))
    (folder / "02_relapse" / "fig-cif.svg").write_text(f"<svg><!-- {pooled} --><text>{pooled}</text></svg>")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("cif")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBOR+SORA/CTRL+", "text/plain": "x"})]
    nb.cells = [cell]
    nbformat.write(nb, folder / "02_relapse.ipynb")
    (folder / "report.html").write_text(f'<p>{pooled}</p><img src="data:image/png;base64,AAA+SORA/CTRL+hr="/>')
    (folder / ".make").mkdir()
    (folder / ".make" / "params.json").write_text('{"note": "state, not an output: Sorafenib"}')
    return folder


def test_clean_open_run_passes_the_check(tmp_path):
    run = _clean_run(tmp_path / "run")
    assert blinding.find_leaks(run, STUDY) == ([], [])
    assert blinding.check_open_run(run, STUDY) == 5


@pytest.mark.parametrize(
    ("file", "content", "found"),
    [
        (
            "02_relapse/tbl-by-arm.csv",
            "group,estimate\nNo maintenance,0.2\nSorafenib maintenance,0.1\n",
            "No maintenance",
        ),
        ("02_relapse/tbl-effect.csv", "comparison,estimate\nx,0.6\n", "comparison"),
        ("02_relapse/results.json", '{"values": {"effects": [{"hr": 0.6}]}}', "hr"),
        ("02_relapse/fig-cif.svg", "<svg><!-- CTRL --></svg>", "CTRL"),
        ("report.html", "<p>The hazard ratio was 0.61.</p>", r"hazard ratios?"),
        ("report.html", "<p>Gray's test p = 0.04</p>", r"p ?[=<>\u2264\u2265] ?[0-9.]"),
        ("notes.md", "Exposure to sorafenib", "Sorafenib"),
        ("02_relapse.ipynb", None, "p_value"),
    ],
)
def test_check_finds_an_arm_or_a_comparison_slipped_into_any_output(tmp_path, file, content, found):
    run = _clean_run(tmp_path / "run")
    if content is None:  # a notebook whose code names a comparative statistic
        nb = nbformat.read(run / file, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell('effects["p_value"]'))
        nbformat.write(nb, run / file)
    else:
        (run / file).write_text(content, encoding="utf-8")
    leaks, _ = blinding.find_leaks(run, STUDY)
    assert found in {x.found for x in leaks} and {x.file for x in leaks} == {file}
    with pytest.raises(blinding.BlindingError, match=rf"not blind: .*\n  {file}: "):
        blinding.check_open_run(run, STUDY)


def test_names_of_statistics_are_names_only_where_names_are(tmp_path):
    """ "comparison" is a word of prose; as a column, key or in code it is the analyses' name."""
    run = _clean_run(tmp_path / "run")
    (run / "notes.md").write_text("The primary comparison is in the closed report only.", encoding="utf-8")
    (run / "02_relapse" / "tbl-note.csv").write_text("note\nno comparison here\n", encoding="utf-8")
    assert blinding.find_leaks(run, STUDY)[0] == []
    (run / "02_relapse" / "tbl-note.csv").write_text("comparison\nx\n", encoding="utf-8")
    assert [x.found for x in blinding.find_leaks(run, STUDY)[0]] == ["comparison"]


def test_check_reads_notebook_outputs_and_parquet_tables(tmp_path):
    run = _clean_run(tmp_path / "run")
    nb = nbformat.read(run / "02_relapse.ipynb", as_version=4)
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", text="Observation vs 300 mg\n"))
    nbformat.write(nb, run / "02_relapse.ipynb")
    pd.DataFrame({"group": ["Examplinib 150 mg"], "n": [np.int64(3)]}).to_parquet(run / "by-arm.parquet")
    leaks, _ = blinding.find_leaks(run, THREE_ARM)
    assert {(x.file, x.found) for x in leaks} == {
        ("02_relapse.ipynb", "Observation"),
        ("02_relapse.ipynb", "300 mg"),
        ("by-arm.parquet", "Examplinib 150 mg"),
        ("by-arm.parquet", "150 mg"),
        ("by-arm.parquet", "examplinib"),
    }


def test_check_needs_the_study_with_its_arms():
    with pytest.raises(ValueError, match="not the open report's pooled view"):
        blinding.forbidden(STUDY.pooled())
