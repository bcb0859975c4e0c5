"""Findings: what a real delivery always has is reported, never fatal (unless strict), and
partial deliveries, other study definitions and the checks of issue 15 work."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import synthetic
from helpers.data import schemas
from helpers.data.contract import (
    ContractError,
    cutoff_findings,
    load_trial,
    main,
    select_population,
    validate,
)
from helpers.data.cutoff import apply_cutoff
from helpers.study import DEFAULT_STUDY, load_study

N, SEED = 60, 11
STUDY = load_study(DEFAULT_STUDY)
THREE_ARM_FILE = Path(__file__).resolve().parent / "studies" / "three_arm.yaml"
THREE_ARM = load_study(THREE_ARM_FILE)


@pytest.fixture(scope="module")
def tables():
    return synthetic.generate(n_patients=N, seed=SEED)


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory, tables):
    out = tmp_path_factory.mktemp("csv")
    synthetic.write_trial(tables, out, "csv")
    return out


@pytest.fixture
def data(tmp_path, csv_dir):
    """A private copy of the delivery, to edit."""
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    return tmp_path


def _edit(folder, table, fn):
    path = folder / f"{table}.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = fn(raw)
    raw.to_csv(path, index=False, lineterminator="\n")
    return raw


def _rules(findings):
    return sorted((f.file, f.column, f.rule, f.n_rows) for f in findings)


# --------------------------------------------------------------------------- each kind
def _age_66(raw):
    raw.loc[3, ["AGE", "AGEGR1"]] = ["66", "40-65"]
    return raw


def _donor_missing(raw):
    raw.loc[[0, 1], "DONORTYP"] = ""
    return raw


def _sex_not_a_code(raw):
    raw.loc[2, "SEX"] = "U"
    return raw


def _age_group_contradicts_age(raw):
    raw.loc[raw["AGEGR1"] == "40-65", "AGEGR1"] = "18-39"
    return raw


def _itt_no(raw):
    raw.loc[raw["PPROTFL"] == "N", "ITTFL"] = "N"
    return raw


def _grfs_missing_for_three(raw):
    return raw.drop(index=raw.index[raw["PARAMCD"] == "GRFS"][:3])


KINDS = {
    "eligibility": ("adsl", _age_66, ("adsl.csv", "AGE", "age 18-65 at randomisation", 1)),
    "missing covariate": ("adsl", _donor_missing, ("adsl.csv", "DONORTYP", "not_nullable", 2)),
    "code outside the decoded levels": ("adsl", _sex_not_a_code, ("adsl.csv", "SEX", "isin(['M', 'F'])", 1)),
    "non-fatal inconsistency": ("adsl", _age_group_contradicts_age, ("adsl.csv", "AGEGR1", "AGEGR1 matches AGE", None)),
    "ITTFL = N for a randomised patient": (
        "adsl",
        _itt_no,
        ("adsl.csv", "ITTFL", "ITTFL = Y for every randomised patient", None),
    ),
    "optional endpoint missing for some patients": (
        "adtte",
        _grfs_missing_for_three,
        ("adtte.csv", "PARAMCD", "GRFS row for every patient (optional endpoint)", 3),
    ),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_finding_is_reported_and_not_fatal_and_fatal_with_strict(data, kind):
    table, edit, (file, column, rule, n_rows) = KINDS[kind]
    raw = _edit(data, table, edit)
    trial = load_trial(data, study=STUDY)
    (f,) = trial.findings
    assert (f.severity, f.table, f.file, f.column, f.rule) == ("finding", table, file, column, rule)
    assert n_rows is None or f.n_rows == n_rows
    assert f.ids and f.ids[0] in set(raw["USUBJID"])
    assert str(data) not in str(f) and str(data) not in json.dumps(f.to_record())
    with pytest.raises(ContractError) as info:
        load_trial(data, study=STUDY, strict=True)
    assert "1 of them finding made fatal by strict" in str(info.value)
    assert f"[finding] {data / file}: column {column}: rule '{rule}'" in str(info.value)


def test_a_table_not_delivered_is_a_finding_and_fatal_with_strict(data):
    (data / "adae.csv").unlink()
    trial = load_trial(data, study=STUDY)
    (f,) = trial.findings
    assert (f.severity, f.table, f.rule, f.n_rows) == ("finding", "adae", "not delivered", None)
    assert str(f) == "adae: not delivered (optional table adae absent; rules and analyses that need it are skipped)"
    with pytest.raises(ContractError, match=r"\[finding\] adae: not delivered"):
        load_trial(data, study=STUDY, strict=True)


def test_an_optional_endpoint_absent_entirely_is_not_delivered_and_endpoint_says_so(data):
    _edit(data, "adtte", lambda raw: raw[raw["PARAMCD"] != "AGVHD"])
    trial = load_trial(data, study=STUDY)
    assert [(f.column, f.rule, f.detail) for f in trial.findings] == [
        ("PARAMCD", "not delivered", "optional endpoint AGVHD has no ADTTE row")
    ]
    assert not trial.has_endpoint("AGVHD") and trial.has_endpoint("CGVHD")
    with pytest.raises(
        ValueError,
        match=r"paramcd='AGVHD' not in ADTTE: the endpoint was not "
        r"delivered",
    ):
        trial.endpoint("AGVHD")


def test_endpoint_of_a_partial_optional_endpoint_has_the_patients_who_have_it(data):
    _edit(data, "adtte", _grfs_missing_for_three)
    trial = load_trial(data, study=STUDY)
    assert len(trial.endpoint("GRFS")) == len(trial.adsl) - 3
    assert len(trial.endpoint("OS")) == len(trial.adsl)


def test_a_required_endpoint_missing_for_a_patient_is_an_error(data):
    _edit(data, "adtte", lambda raw: raw.drop(index=raw.index[raw["PARAMCD"] == "REL"][:1]))
    with pytest.raises(ContractError, match="rule 'one ADTTE row per patient per PARAMCD': 1 row"):
        load_trial(data, study=STUDY)


# --------------------------------------------------------------------------- degenerate values
def test_a_single_level_stratification_factor_is_no_contract_fault(data):
    _edit(data, "adsl", lambda raw: raw.assign(STRATDT="HAPLO"))
    trial = load_trial(data, study=STUDY)
    assert trial.findings == ()
    assert set(trial.endpoint("REL")["STRATDT"]) == {"HAPLO"}


def test_an_entirely_missing_subgroup_variable_is_a_finding_not_an_error(data):
    _edit(data, "adsl", lambda raw: raw.assign(CONDINT="", MRDPRE=""))
    trial = load_trial(data, study=STUDY)
    # MRDPRE is nullable in the study: all missing is no finding; CONDINT is not
    assert _rules(trial.findings) == [("adsl.csv", "CONDINT", "not_nullable", N)]
    assert trial.endpoint("REL")["CONDINT"].isna().all()


# --------------------------------------------------------------------------- partial deliveries
def test_an_efficacy_only_delivery_loads_and_cuts(data):
    for t in ("adae", "adex", "screen"):
        (data / f"{t}.csv").unlink()
    trial = load_trial(data, study=STUDY, cutoff="2022-06-30", population="SAFETY")
    assert (trial.adae, trial.adex, trial.screen) == (None, None, None)
    assert not trial.delivered("adae") and trial.delivered("adsl")
    assert sorted(trial.tables) == ["adsl", "adtte"]
    assert [(f.table, f.rule) for f in trial.findings] == [
        ("adae", "not delivered"),
        ("adex", "not delivered"),
        ("screen", "not delivered"),
    ]
    assert set(trial.files) == {"adsl", "adtte"}
    rel = trial.endpoint("REL")
    assert len(rel) == len(trial.adsl) > 0
    recut = apply_cutoff(trial, "2022-01-31")
    assert recut.adae is None and (recut.adtte["ADT"] <= pd.Timestamp("2022-01-31")).all()
    with pytest.raises(ValueError, match="name='adsx' is not a table"):
        trial.delivered("adsx")


def test_cutoff_and_population_work_on_tables_without_the_optional_ones(tables):
    t = {k: tables[k].copy() for k in ("adsl", "adtte")}
    out = apply_cutoff(t, "2022-01-31")
    assert sorted(out) == ["adsl", "adtte"]
    t["adae"] = None
    out = select_population(apply_cutoff(t, "2022-01-31"), "pp", STUDY)
    assert out["adae"] is None and (out["adsl"]["PPROTFL"] == "Y").all()
    findings = validate(apply_cutoff(t, "2022-01-31"), {"adsl": "a/adsl.csv"}, STUDY)
    assert [f.table for f in findings] == ["adae", "adex", "screen"]


def test_validate_needs_the_required_tables(tables):
    with pytest.raises(ContractError, match=r"lacks \['adtte'\]; expected at least"):
        validate({"adsl": tables["adsl"]}, {}, STUDY)


# --------------------------------------------------------------------------- another study
def _three_arm(tables):
    """Today's generator's trial recoded as EXAMPLE-3ARM: the sorafenib arm split into the
    two doses, the control arm as observation, only that study's endpoints."""
    t = {k: df.copy() for k, df in tables.items()}
    labels = {a.code: a.label for a in THREE_ARM.arms}
    a = t["adsl"]
    sora = a.index[a["ARMCD"] == "SORA"]
    code = pd.Series("OBS", index=a.index, dtype=object)
    code[sora] = np.where(np.arange(len(sora)) % 2 == 0, "HIGH", "LOW")
    a["ARMCD"], a["ARM"] = code, code.map(labels)
    act = code.where(a["TRTSDT"].notna(), "OBS")
    a["ACTARMCD"], a["ACTARM"] = act, act.map(labels)
    te = t["adtte"]
    t["adtte"] = te[te["PARAMCD"].isin([e.paramcd for e in THREE_ARM.endpoints])].copy()
    t["adex"]["EXTRT"] = THREE_ARM.safety.treatment
    for df in t.values():
        df["STUDYID"] = THREE_ARM.study.id
    return t


def test_a_contract_built_from_a_three_arm_study_accepts_its_three_arms(tables, tmp_path):
    t = _three_arm(tables)
    assert set(t["adsl"]["ARMCD"]) == {"HIGH", "LOW", "OBS"}
    assert validate(t, {k: f"{k}.csv" for k in t}, THREE_ARM) == ()
    synthetic.write_trial(t, tmp_path, "csv")
    trial = load_trial(tmp_path, study=THREE_ARM_FILE, population="safety")
    assert trial.study.study.id == "EXAMPLE-3ARM" and trial.population == "SAFETY"
    assert set(trial.adsl["ARMCD"]) == {"HIGH", "LOW", "OBS"}
    assert "AGEGR1" not in schemas.columns("adsl", THREE_ARM)
    assert "| ARMCD | str | no | `HIGH`, `LOW`, `OBS` |" in schemas.data_dictionary(THREE_ARM)


def test_a_contract_built_from_a_three_arm_study_rejects_an_arm_code_not_in_it(tables):
    t = _three_arm(tables)
    a = t["adsl"]
    a.loc[4, ["ARMCD", "ARM"]] = ["SORA", "Sorafenib maintenance"]
    with pytest.raises(ContractError) as info:
        validate(t, {k: f"{k}.csv" for k in t}, THREE_ARM)
    got = {(f.column, f.rule, f.n_rows) for f in info.value.failures}
    assert got == {
        ("ARMCD", "isin(['HIGH', 'LOW', 'OBS'])", 1),
        ("ARM", "isin(['Examplinib 300 mg', 'Examplinib 150 mg', 'Observation'])", 1),
    }
    # and this trial's contract refuses the three-arm codes
    with pytest.raises(ContractError, match=r"column ARMCD: rule 'isin\(\['SORA', 'CTRL'\]\)'"):
        validate(_three_arm(tables), {k: f"{k}.csv" for k in t}, STUDY)


# --------------------------------------------------------------------------- issue 15
def test_a_population_with_no_patient_fails_up_front_naming_population_and_flag(data):
    _edit(data, "adsl", lambda raw: raw.assign(PPROTFL="N"))
    with pytest.raises(ContractError) as info:
        load_trial(data, study=STUDY, population="PP")
    assert str(info.value) == (
        f"POPULATION=PP: no patient has PPROTFL = Y ({N} patients in "
        "ADSL); expected at least one patient in the Per protocol "
        "population"
    )
    assert load_trial(data, study=STUDY).population == "ITT"


def test_a_cutoff_after_the_last_date_or_in_the_future_is_a_finding(tables, csv_dir):
    last = max(df[c].max() for df in tables.values() for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c]))
    after = last + pd.Timedelta(days=1)
    found = cutoff_findings(tables, after, today=dt.date(2100, 1, 1))
    assert [(f.rule, f.detail) for f in found] == [
        (
            "cutoff not after the last date in the data",
            f"cutoff {after.date()}, last date {last.date()}: nothing is cut",
        )
    ]
    found = cutoff_findings(tables, "2099-12-31", today=dt.date(2025, 1, 1))
    assert [f.rule for f in found] == ["cutoff not after the last date in the data", "cutoff not in the future"]
    assert cutoff_findings(tables, last, today=dt.date(2100, 1, 1)) == ()
    trial = load_trial(csv_dir, study=STUDY, cutoff="2099-12-31")
    assert [f.rule for f in trial.findings] == [
        "cutoff not after the last date in the data",
        "cutoff not in the future",
    ]
    with pytest.raises(ContractError, match=r"\[finding\] data: rule 'cutoff not in the future'"):
        load_trial(csv_dir, study=STUDY, cutoff="2099-12-31", strict=True)


def test_a_semicolon_separated_file_gets_one_error_with_a_hint(data):
    path = data / "adsl.csv"
    pd.read_csv(path, dtype=str).to_csv(path, sep=";", index=False)
    with pytest.raises(ContractError) as info:
        load_trial(data, study=STUDY)
    (f,) = [f for f in info.value.failures if f.rule == "column present"]
    assert f.column is None and f.file == str(path)
    assert f.detail == (
        "hint: the header 'STUDYID;USUBJID;SUBJID;SITEID;ARM;ARM...' looks ';'-separated; "
        "write the file with ',' as the separator; 36 contract columns absent: STUDYID, "
        "USUBJID, SUBJID, SITEID, ARM, ..."
    )
    assert f"{path}: rule 'column present': column absent (hint: the header" in str(info.value)


def test_lower_case_or_padded_headers_get_a_hint(data):
    path = data / "adsl.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw = raw.rename(columns={"DTHFL": "dthfl", "EOSSTT": " EOSSTT ", "SEX": " sex"})
    raw.to_csv(path, index=False)
    with pytest.raises(ContractError) as info:
        load_trial(data, study=STUDY)
    hints = {f.column: f.detail for f in info.value.failures if f.rule == "column present"}
    assert hints == {
        "DTHFL": "hint: found 'dthfl': variable names are upper case",
        "EOSSTT": "hint: found ' EOSSTT ': remove the spaces around the header",
        "SEX": "hint: found ' sex': remove the spaces around the header and variable names are upper case",
    }
    assert "column DTHFL: rule 'column present': column absent (hint: found 'dthfl'" in str(info.value)


# --------------------------------------------------------------------------- command line
def test_cli_prints_each_finding_and_writes_them_as_json(data, capsys):
    _edit(data, "adsl", _age_66)
    (data / "screen.csv").unlink()
    out = data / "review" / "findings.json"
    assert main(["validate", str(data), "--study", str(DEFAULT_STUDY), "--findings", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("OK: 4 tables (csv) valid: ") and lines[0].endswith("; 2 findings")
    assert lines[1].startswith(
        "  finding: adsl.csv: column AGE: rule 'age 18-65 at randomisation': 1 row; first USUBJIDs: "
    )
    assert lines[2] == (
        "  finding: screen: not delivered (optional table screen absent; rules and analyses that need it are skipped)"
    )
    records = json.loads(out.read_text())
    assert [set(r) for r in records] == [
        {"severity", "table", "file", "column", "rule", "n_rows", "ids", "id_column", "detail"}
    ] * 2
    assert records[0] | {"ids": None} == {
        "severity": "finding",
        "table": "adsl",
        "file": "adsl.csv",
        "column": "AGE",
        "rule": "age 18-65 at randomisation",
        "n_rows": 1,
        "ids": None,
        "id_column": "USUBJID",
        "detail": "",
    }
    assert str(data) not in out.read_text()
    assert [p.name for p in out.parent.iterdir()] == ["findings.json"]  # no temporary left


def test_cli_writes_an_empty_list_without_findings_and_removes_a_stale_file_on_error(data, capsys):
    out = data.parent / f"{data.name}-findings.json"
    assert main(["validate", str(data), "--study", str(DEFAULT_STUDY), "--findings", str(out)]) == 0
    assert json.loads(out.read_text()) == []
    assert capsys.readouterr().out.count("\n") == 1
    _edit(data, "adsl", _age_66)
    assert main(["validate", str(data), "--study", str(DEFAULT_STUDY), "--strict", "--findings", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[finding]" in err and "age 18-65 at randomisation" in err
    assert not out.exists()


def test_cli_reports_an_empty_population_and_an_unknown_one(data, capsys):
    _edit(data, "adsl", lambda raw: raw.assign(PPROTFL="N"))
    assert main(["validate", str(data), "--study", str(DEFAULT_STUDY), "--population", "PP"]) == 2
    assert "POPULATION=PP: no patient has PPROTFL = Y" in capsys.readouterr().err
    assert main(["validate", str(data), "--study", str(DEFAULT_STUDY), "--population", "FAS"]) == 2
    assert "population='FAS' is not a population; expected one of ['ITT', 'SAFETY', 'PP']" in capsys.readouterr().err


def test_cli_requires_a_study_and_reports_a_broken_one(data, tmp_path_factory, capsys):
    with pytest.raises(SystemExit):
        main(["validate", str(data)])
    assert "--study" in capsys.readouterr().err
    bad = tmp_path_factory.mktemp("study") / "bad.yaml"
    bad.write_text("study: [1, 2]\n")
    assert main(["validate", str(data), "--study", str(bad)]) == 2
    assert "study definition invalid" in capsys.readouterr().err
