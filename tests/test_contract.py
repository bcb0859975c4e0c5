"""The data contract: loading, one clear error or finding per fault, provenance, populations, CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import synthetic
from helpers.data import schemas
from helpers.data.contract import (
    ContractError,
    Trial,
    find_tables,
    load_trial,
    main,
    read_table,
    sha256,
    validate,
)
from helpers.study import DEFAULT_STUDY, load_study

N, SEED = 60, 11
STUDY = load_study(DEFAULT_STUDY)


@pytest.fixture(scope="module")
def tables():
    return synthetic.generate(n_patients=N, seed=SEED)


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory, tables):
    out = tmp_path_factory.mktemp("csv")
    synthetic.write_trial(tables, out, "csv")
    return out


def _copy(tables):
    return {t: df.copy() for t, df in tables.items()}


def _row(df, mask):
    """Index of the first row where ``mask`` holds (the case needs one)."""
    hits = df.index[mask]
    assert len(hits), "the synthetic data lack a row this case needs"
    return hits[0]


# --------------------------------------------------------------------------- catalogue
# Each case: mutate copies of valid tables; the exact failures expected as
# (file name, column, rule, rows at fault, tier).  Rules in quotes are the pandera check names
# or the contract's own rule texts (helpers.data.schemas); the tier is "error" (the run stops) or
# "finding" (reported; fatal only with strict=True).
E, F = "error", "finding"


def age_out_of_range(t):
    a = t["adsl"]
    i = _row(a, a["AGE"] >= 40)
    a.loc[i, "AGE"] = 70
    return [("adsl.csv", "AGE", "age 18-65 at randomisation", 1, F)], a.loc[i, "USUBJID"]


def sex_not_a_code(t):
    a = t["adsl"]
    a.loc[3, "SEX"] = "X"
    return [("adsl.csv", "SEX", "isin(['M', 'F'])", 1, F)], a.loc[3, "USUBJID"]


def diagnosis_not_a_code(t):
    a = t["adsl"]
    a.loc[[2, 5], "DIAG"] = "CML"
    return [
        ("adsl.csv", "DIAG", "isin(['AML', 'ALL', 'MPAL'])", 2, F),
        ("adsl.csv", "DIAG", "acute myeloid, lymphoblastic or mixed-phenotype leukaemia", 2, F),
    ], a.loc[2, "USUBJID"]


def cytogenetic_risk_not_a_code(t):
    a = t["adsl"]
    i = _row(a, a["CYTORISK"].notna())
    a.loc[i, "CYTORISK"] = "High"
    return [("adsl.csv", "CYTORISK", "isin(['Favourable', 'Intermediate', 'Adverse'])", 1, F)], a.loc[i, "USUBJID"]


def donor_type_missing(t):
    a = t["adsl"]
    a.loc[[1, 6, 7], "DONORTYP"] = np.nan
    return [("adsl.csv", "DONORTYP", "not_nullable", 3, F)], a.loc[1, "USUBJID"]


def age_group_contradicts_age(t):
    a = t["adsl"]
    i = _row(a, a["AGE"] >= 40)
    a.loc[i, "AGEGR1"] = "18-39"
    return [("adsl.csv", "AGEGR1", "AGEGR1 matches AGE", 1, F)], a.loc[i, "USUBJID"]


def arm_code_not_in_the_study(t):
    a = t["adsl"]
    i = _row(a, a["ARMCD"] == "CTRL")
    a.loc[i, "ARMCD"] = "PLAC"
    return [("adsl.csv", "ARMCD", "isin(['SORA', 'CTRL'])", 1, E)], a.loc[i, "USUBJID"]


def study_id_of_another_study(t):
    a = t["adsl"]
    a.loc[0, "STUDYID"] = "NCT00000000"
    return [("adsl.csv", "STUDYID", "isin(['NCT04674345'])", 1, E)], a.loc[0, "USUBJID"]


def itt_flag_no_for_a_randomised_patient(t):
    a = t["adsl"]
    i = _row(a, a["PPROTFL"] == "N")
    a.loc[i, "ITTFL"] = "N"
    return [("adsl.csv", "ITTFL", "ITTFL = Y for every randomised patient", 1, F)], a.loc[i, "USUBJID"]


def cause_of_death_missing(t):
    a = t["adsl"]
    i = _row(a, a["DTHFL"] == "Y")
    a.loc[i, "DTHCAUS"] = np.nan
    return [("adsl.csv", "DTHCAUS", "DTHCAUS set iff DTHFL = Y", 1, F)], a.loc[i, "USUBJID"]


def death_not_the_reason_for_leaving_the_study(t):
    a = t["adsl"]
    i = _row(a, a["DCSREAS"] == "DEATH")
    a.loc[i, "DCSREAS"] = "LOST TO FOLLOW-UP"
    return [("adsl.csv", "DCSREAS", "DCSREAS = DEATH iff DTHFL = Y", 1, F)], a.loc[i, "USUBJID"]


def duplicate_patient_in_adsl(t):
    a = t["adsl"]
    t["adsl"] = pd.concat([a, a.iloc[[4]]], ignore_index=True)
    return [("adsl.csv", "USUBJID", "unique key (USUBJID)", 2, E)], a.loc[4, "USUBJID"]


def death_flag_column_missing(t):
    t["adsl"] = t["adsl"].drop(columns="DTHFL")
    return [("adsl.csv", "DTHFL", "column present", None, E)], None


def itt_flag_no_for_a_per_protocol_patient(t):
    a = t["adsl"]
    i = _row(a, a["PPROTFL"] == "Y")
    a.loc[i, "ITTFL"] = "N"
    return [
        ("adsl.csv", "PPROTFL", "PPROTFL = Y requires ITTFL = Y", 1, E),
        ("adsl.csv", "ITTFL", "ITTFL = Y for every randomised patient", 1, F),
    ], a.loc[i, "USUBJID"]


def safety_flag_without_sorafenib_start(t):
    a, ae = t["adsl"], t["adae"]
    i = _row(a, a["ARMCD"] == "CTRL")
    a.loc[i, ["ARM", "ARMCD"]] = ["Sorafenib maintenance", "SORA"]
    t["adae"] = ae[ae["USUBJID"] != a.loc[i, "USUBJID"]]
    return [("adsl.csv", "SAFFL", "SAFFL = Y in a treated arm requires TRTSDT", 1, E)], a.loc[i, "USUBJID"]


def transplant_after_randomisation(t):
    a = t["adsl"]
    a.loc[0, "TRANSDT"] = a.loc[0, "RANDDT"] + pd.Timedelta(days=1)
    return [("adsl.csv", "TRANSDT", "TRANSDT not after RANDDT", 1, F)], a.loc[0, "USUBJID"]


def death_date_without_death_flag(t):
    a = t["adsl"]
    i = _row(a, a["DTHFL"] == "Y")
    a.loc[i, "DTHDT"] = pd.NaT
    return [
        ("adsl.csv", "DTHDT", "DTHDT set iff DTHFL = Y", 1, E),
        ("adtte.csv", "EVNTCD", "OS event iff ADSL.DTHDT set, at DTHDT", 1, E),
    ], a.loc[i, "USUBJID"]


def arm_code_contradicts_arm(t):
    a = t["adsl"]
    i = _row(a, (a["ARMCD"] == "CTRL"))
    a.loc[i, "ARM"] = "Sorafenib maintenance"
    return [("adsl.csv", "ARMCD", "ARMCD matches ARM", 1, E)], a.loc[i, "USUBJID"]


def negative_analysis_value(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "AGVHD") & (te["EVNTCD"] == 0))
    te.loc[i, "AVAL"] = -1
    te.loc[i, "ADT"] = te.loc[i, "STARTDT"] - pd.Timedelta(days=1)
    return [("adtte.csv", "AVAL", "greater_than_or_equal_to(0)", 1, E)], te.loc[i, "USUBJID"]


def analysis_date_not_origin_plus_aval(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "LFS") & (te["EVNTCD"] == 0))
    te.loc[i, "AVAL"] -= 1
    return [("adtte.csv", "ADT", "ADT = STARTDT + AVAL", 1, E)], te.loc[i, "USUBJID"]


def duplicate_adtte_row(t):
    te = t["adtte"]
    t["adtte"] = pd.concat([te, te.iloc[[8]]], ignore_index=True)
    return [("adtte.csv", "PARAMCD", "unique key (USUBJID, PARAMCD)", 2, E)], te.loc[8, "USUBJID"]


def missing_adtte_row_of_a_required_endpoint(t):
    te = t["adtte"]
    i = _row(te, te["PARAMCD"] == "OS")
    t["adtte"] = te.drop(index=i)
    return [("adtte.csv", "PARAMCD", "one ADTTE row per patient per PARAMCD", 1, E)], te.loc[i, "USUBJID"]


def missing_adtte_row_of_an_optional_endpoint(t):
    te = t["adtte"]
    i = _row(te, te["PARAMCD"] == "GRFS")
    t["adtte"] = te.drop(index=i)
    return [("adtte.csv", "PARAMCD", "GRFS row for every patient (optional endpoint)", 1, F)], te.loc[i, "USUBJID"]


def optional_endpoint_not_delivered(t):
    te = t["adtte"]
    t["adtte"] = te[te["PARAMCD"] != "AGVHD"]
    return [("adtte.csv", "PARAMCD", "not delivered", None, F)], None


def parameter_text_not_the_study_s(t):
    te = t["adtte"]
    rows = te.index[te["PARAMCD"] == "OS"][:3]
    te.loc[rows, "PARAM"] = "Overall Survival (Days)"
    return [("adtte.csv", "PARAM", "PARAM matches PARAMCD", 3, F)], te.loc[rows[0], "USUBJID"]


def event_code_not_a_code(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "CGVHD") & (te["EVNTCD"] == 0))
    te.loc[i, "EVNTCD"] = 3
    return [("adtte.csv", "EVNTCD", "isin([0, 1, 2])", 1, E)], te.loc[i, "USUBJID"]


def censor_flag_contradicts_event_code(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "LFS") & (te["EVNTCD"] == 1))
    te.loc[i, "CNSR"] = 1
    return [
        ("adtte.csv", "CNSR", "CNSR = 0 iff EVNTCD = 1", 1, E),
        ("adtte.csv", "CNSDTDSC", "CNSDTDSC set iff CNSR = 1", 1, F),
    ], te.loc[i, "USUBJID"]


def competing_event_for_leukaemia_free_survival(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "LFS") & (te["EVNTCD"] == 0))
    te.loc[i, "EVNTCD"] = 2
    return [
        ("adtte.csv", "EVNTCD", "EVNTCD = 2 only for competing-risk parameters", 1, E),
        ("adtte.csv", "EVNTCD", "LFS event iff ADSL.RELDT or DTHDT set, at the earlier", 1, E),
    ], te.loc[i, "USUBJID"]


REL_COMPETING = "REL competing event iff ADSL.DTHDT set and first of (RELDT, DTHDT), at DTHDT"


def _censor(te, i):
    """Recode ADTTE row ``i`` as censored, consistently within the row."""
    te.loc[i, ["EVNTCD", "CNSR", "EVNTDESC", "CNSDTDSC"]] = [0, 1, "Censored", "DATA CUTOFF"]


def death_without_relapse_censored_for_relapse(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "REL") & (te["EVNTCD"] == 2))
    _censor(te, i)
    return [("adtte.csv", "EVNTCD", REL_COMPETING, 1, E)], te.loc[i, "USUBJID"]


def competing_death_for_relapse_not_at_the_death_date(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "REL") & (te["EVNTCD"] == 2) & (te["AVAL"] > 0))
    te.loc[i, "AVAL"] -= 1
    te.loc[i, "ADT"] -= pd.Timedelta(days=1)
    return [("adtte.csv", "EVNTCD", REL_COMPETING, 1, E)], te.loc[i, "USUBJID"]


def non_relapse_death_censored(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "NRM") & (te["EVNTCD"] == 1))
    _censor(te, i)
    return [
        ("adtte.csv", "EVNTCD", "NRM event iff ADSL.DTHDT set and first of (RELDT, DTHDT), at DTHDT", 1, E)
    ], te.loc[i, "USUBJID"]


def relapse_censored_for_non_relapse_mortality(t):
    te = t["adtte"]
    i = _row(te, (te["PARAMCD"] == "NRM") & (te["EVNTCD"] == 2))
    _censor(te, i)
    return [
        ("adtte.csv", "EVNTCD", "NRM competing event iff ADSL.RELDT set and first of (RELDT, DTHDT), at RELDT", 1, E)
    ], te.loc[i, "USUBJID"]


def leukaemia_free_survival_event_at_death_after_relapse(t):
    te, a = t["adtte"], t["adsl"]
    late = set(a.loc[a["RELDT"].notna() & (a["DTHDT"] > a["RELDT"]), "USUBJID"])
    i = _row(te, (te["PARAMCD"] == "LFS") & te["USUBJID"].isin(late))
    dthdt = a.set_index("USUBJID").loc[te.loc[i, "USUBJID"], "DTHDT"]
    te.loc[i, "AVAL"] += (dthdt - te.loc[i, "ADT"]).days
    te.loc[i, "ADT"] = dthdt
    return [("adtte.csv", "EVNTCD", "LFS event iff ADSL.RELDT or DTHDT set, at the earlier", 1, E)], te.loc[
        i, "USUBJID"
    ]


def adtte_patient_not_in_adsl(t):
    te = t["adtte"]
    rows = te.index[te["USUBJID"] == te.loc[0, "USUBJID"]]
    te.loc[rows, "USUBJID"] = "NCT04674345-99-9999"
    te.loc[rows, "STUDYID"] = "NCT04674345"
    # the patient whose rows moved lacks the 4 required endpoints (an error) and the 3
    # optional ones (findings)
    return [
        ("adtte.csv", "USUBJID", "USUBJID in ADSL", 7, E),
        ("adtte.csv", "PARAMCD", "one ADTTE row per patient per PARAMCD", 4, E),
        *[
            ("adtte.csv", "PARAMCD", f"{p} row for every patient (optional endpoint)", 1, F)
            for p in ("AGVHD", "CGVHD", "GRFS")
        ],
    ], "NCT04674345-99-9999"


def origin_is_not_the_randomisation_date(t):
    te, a = t["adtte"], t["adsl"]
    te = te.merge(a[["USUBJID", "LSTALVDT"]], on="USUBJID", how="left").set_index(te.index)
    i = _row(
        te, (te["PARAMCD"] == "AGVHD") & (te["ADT"] + pd.Timedelta(days=1) <= te["LSTALVDT"]) & (te["EVNTCD"] != 1)
    )
    t["adtte"].loc[i, ["STARTDT", "ADT"]] += pd.Timedelta(days=1)
    return [("adtte.csv", "STARTDT", "STARTDT = ADSL.RANDDT", 1, E)], te.loc[i, "USUBJID"]


def toxicity_grade_6(t):
    ae = t["adae"]
    ae.loc[1, "AETOXGR"] = 6
    return [("adae.csv", "AETOXGR", "isin([1, 2, 3, 4, 5])", 1, E)], ae.loc[1, "USUBJID"]


def fatal_ae_of_a_patient_alive(t):
    ae, a = t["adae"], t["adsl"]
    alive = set(a.loc[a["DTHFL"] == "N", "USUBJID"])
    # an ongoing AE, so that only the new rule (not the end-at-DTHDT one) applies
    i = _row(ae, ae["USUBJID"].isin(alive) & ae["AENDT"].isna())
    ae.loc[i, "AETOXGR"] = 5
    return [("adae.csv", "AETOXGR", "grade 5 AE requires ADSL.DTHFL = Y, onset not after DTHDT", 1, E)], ae.loc[
        i, "USUBJID"
    ]


def treatment_emergent_ae_before_first_dose(t):
    ae, a = t["adae"], t["adsl"]
    m = ae.merge(a[["USUBJID", "TRTSDT", "RANDDT"]], on="USUBJID", how="left").set_index(ae.index)
    i = _row(
        m,
        (m["TRTEMFL"] == "Y")
        & m["TRTSDT"].notna()
        & (m["TRTSDT"] > m["RANDDT"])
        & (m["AENDT"].isna() | (m["AENDT"] >= m["TRTSDT"])),
    )
    ae.loc[i, "ASTDT"] = m.loc[i, "TRTSDT"] - pd.Timedelta(days=1)
    ae.loc[i, "ASTDY"] = -1
    return [("adae.csv", "TRTEMFL", "TRTEMFL = Y not before ADSL.TRTSDT (RANDDT in an untreated arm)", 1, E)], ae.loc[
        i, "USUBJID"
    ]


def dose_reduced_in_the_control_arm(t):
    ae, a = t["adae"], t["adsl"]
    ctrl = set(a.loc[a["ARMCD"] == "CTRL", "USUBJID"])
    i = _row(ae, ae["USUBJID"].isin(ctrl))
    ae.loc[i, "AEACN"] = "DOSE REDUCED"
    return [("adae.csv", "AEACN", "dose action requires sorafenib taken (ADSL.TRTSDT)", 1, E)], ae.loc[i, "USUBJID"]


def ae_ends_before_it_starts(t):
    ae = t["adae"]
    i = _row(ae, ae["AENDT"].notna())
    ae.loc[i, "AENDT"] = ae.loc[i, "ASTDT"] - pd.Timedelta(days=1)
    return [("adae.csv", "AENDT", "AENDT not before ASTDT", 1, E)], ae.loc[i, "USUBJID"]


def dose_not_a_level(t):
    ex = t["adex"]
    ex.loc[0, "EXDOSE"] = 1000
    return [("adex.csv", "EXDOSE", "isin([0, 200, 400, 800])", 1, E)], ex.loc[0, "USUBJID"]


def period_duration_wrong(t):
    ex = t["adex"]
    ex.loc[2, "EXDURD"] += 1
    return [("adex.csv", "EXDURD", "EXDURD = AENDT - ASTDT + 1", 1, E)], ex.loc[2, "USUBJID"]


def exposure_for_a_control_patient(t):
    ex, a = t["adex"], t["adsl"]
    ctrl = a.loc[_row(a, a["ARMCD"] == "CTRL"), "USUBJID"]
    ex.loc[0, "USUBJID"] = ctrl
    return [("adex.csv", "ASTDT", "exposure within [ADSL.TRTSDT, ADSL.TRTEDT]", 1, E)], ctrl


def screen_failure_without_reason(t):
    sc = t["screen"]
    i = _row(sc, sc["RANDFL"] == "N")
    sc.loc[i, "EXCLREAS"] = float("nan")
    return [("screen.csv", "EXCLREAS", "EXCLREAS set iff RANDFL = N", 1, F)], sc.loc[i, "SCRNID"]


def randomised_patient_missing_from_screening(t):
    sc = t["screen"]
    i = _row(sc, sc["RANDFL"] == "Y")
    t["screen"] = sc.drop(index=i)
    return [("screen.csv", "USUBJID", "every ADSL patient once in SCREEN", 1, E)], sc.loc[i, "USUBJID"]


TE_WINDOW = "TRTEMFL = Y not after ADSL.TRTEDT + 30 days (TRANSDT + 210 days in an untreated arm)"


def _move_ae_onset(ae, i, onset, reference):
    """AE ``i`` now begins on ``onset`` (ongoing), its study day counted from ``reference``."""
    days = (onset - reference).days
    ae.loc[i, ["ASTDT", "AENDT", "ASTDY"]] = [onset, pd.NaT, days + (days >= 0)]


def treatment_emergent_ae_after_the_last_dose_window(t):
    ae, a = t["adae"], t["adsl"]
    m = ae.merge(a, on="USUBJID", how="left", suffixes=("", "_SL")).set_index(ae.index)
    late = m["TRTEDT"] + pd.Timedelta(days=31)
    i = _row(m, (m["TRTEMFL"] == "Y") & m["TRTSDT"].notna() & (late <= m["LSTALVDT"]) & (m["AETOXGR"] < 5))
    _move_ae_onset(ae, i, late[i], m.loc[i, "TRTSDT"])
    return [("adae.csv", "TRTEMFL", TE_WINDOW, 1, F)], ae.loc[i, "USUBJID"]


def treatment_emergent_ae_after_the_untreated_window(t):
    ae, a = t["adae"], t["adsl"]
    m = ae.merge(a, on="USUBJID", how="left", suffixes=("", "_SL")).set_index(ae.index)
    late = m["TRANSDT"] + pd.Timedelta(days=211)
    i = _row(m, (m["TRTEMFL"] == "Y") & (m["ARMCD"] == "CTRL") & (late <= m["LSTALVDT"]) & (m["AETOXGR"] < 5))
    _move_ae_onset(ae, i, late[i], m.loc[i, "RANDDT"])
    return [("adae.csv", "TRTEMFL", TE_WINDOW, 1, F)], ae.loc[i, "USUBJID"]


CASES = [
    age_out_of_range,
    sex_not_a_code,
    diagnosis_not_a_code,
    cytogenetic_risk_not_a_code,
    donor_type_missing,
    age_group_contradicts_age,
    arm_code_not_in_the_study,
    study_id_of_another_study,
    itt_flag_no_for_a_randomised_patient,
    cause_of_death_missing,
    death_not_the_reason_for_leaving_the_study,
    duplicate_patient_in_adsl,
    death_flag_column_missing,
    itt_flag_no_for_a_per_protocol_patient,
    safety_flag_without_sorafenib_start,
    transplant_after_randomisation,
    death_date_without_death_flag,
    arm_code_contradicts_arm,
    negative_analysis_value,
    analysis_date_not_origin_plus_aval,
    duplicate_adtte_row,
    missing_adtte_row_of_a_required_endpoint,
    missing_adtte_row_of_an_optional_endpoint,
    optional_endpoint_not_delivered,
    parameter_text_not_the_study_s,
    event_code_not_a_code,
    censor_flag_contradicts_event_code,
    competing_event_for_leukaemia_free_survival,
    death_without_relapse_censored_for_relapse,
    competing_death_for_relapse_not_at_the_death_date,
    non_relapse_death_censored,
    relapse_censored_for_non_relapse_mortality,
    leukaemia_free_survival_event_at_death_after_relapse,
    adtte_patient_not_in_adsl,
    origin_is_not_the_randomisation_date,
    toxicity_grade_6,
    fatal_ae_of_a_patient_alive,
    treatment_emergent_ae_before_first_dose,
    dose_reduced_in_the_control_arm,
    ae_ends_before_it_starts,
    dose_not_a_level,
    period_duration_wrong,
    exposure_for_a_control_patient,
    screen_failure_without_reason,
    randomised_patient_missing_from_screening,
    treatment_emergent_ae_after_the_last_dose_window,
    treatment_emergent_ae_after_the_untreated_window,
]


def _records(failures, name=lambda f: Path(f).name):
    return sorted(((name(f.file), f.column, f.rule, f.n_rows, f.severity) for f in failures), key=str)


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_malformed_input_gives_its_exact_error_or_finding(tmp_path, tables, case):
    t = _copy(tables)
    expected, first_id = case(t)
    source = {name: tmp_path / f"{name}.csv" for name in t}
    # strict: every error and every finding stops the run, each with its path, findings marked
    with pytest.raises(ContractError) as info:
        validate(t, source, STUDY, strict=True)
    err = info.value
    assert _records(err.failures) == sorted(expected, key=str)
    for f in err.failures:
        assert str(f) in str(err)
        assert str(tmp_path) in f.file
        assert (f"[finding] {f}" in str(err)) == (f.severity == F)
    if first_id is not None:
        assert first_id in str(err)
    # not strict: only the errors stop the run; findings alone are returned, named without
    # their folder
    errors = [x for x in expected if x[4] == E]
    findings = sorted((x for x in expected if x[4] == F), key=str)
    if errors:
        with pytest.raises(ContractError) as info:
            validate(t, source, STUDY)
        assert _records(info.value.failures) == sorted(errors, key=str)
        assert _records(info.value.findings, name=str) == findings
        assert "[finding]" not in str(info.value)
    else:
        got = validate(t, source, STUDY)
        assert _records(got, name=str) == findings


# malformed values are caught while reading, before any rule runs
TEXT_CASES = [
    ("adsl", "RANDDT", "15/01/2021", "malformed value: expected ISO date YYYY-MM-DD"),
    ("adsl", "TRANSDT", "2020-13-01", "malformed value: expected ISO date YYYY-MM-DD"),
    ("adsl", "AGE", "forty", "malformed value: expected number"),
    ("adsl", "LSTALVDT", "2021-02-30", "malformed value: expected ISO date YYYY-MM-DD"),
    ("adtte", "AVAL", "12.5", "malformed value: expected integer"),
    ("adae", "ASTDT", "2021-2-3", "malformed value: expected ISO date YYYY-MM-DD"),
]


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"), TEXT_CASES, ids=[f"{t}-{c}-{v}" for t, c, v, _ in TEXT_CASES]
)
def test_malformed_value_in_a_csv_names_file_column_and_patient(tmp_path, csv_dir, table, column, value, rule):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    path = tmp_path / f"{table}.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[1, column] = value
    raw.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(ContractError) as info:
        load_trial(tmp_path, study=STUDY)
    (f,) = info.value.failures
    assert (Path(f.file).name, f.column, f.rule, f.n_rows) == (f"{table}.csv", column, rule, 1)
    assert raw.loc[1, "USUBJID"] in str(info.value)


def test_empty_value_in_a_required_column_is_reported_once_as_not_nullable(tmp_path, csv_dir):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "adtte.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[[2, 4], "AVAL"] = ""
    raw.to_csv(path, index=False, lineterminator="\n")
    with pytest.raises(ContractError) as info:
        load_trial(tmp_path, study=STUDY)
    got = [(Path(f.file).name, f.column, f.rule, f.n_rows) for f in info.value.failures]
    assert got == [("adtte.csv", "AVAL", "not_nullable", 2)]


def test_empty_value_of_a_study_variable_is_a_finding_and_loads_as_a_number(tmp_path, csv_dir):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "adsl.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.loc[[2, 4], "AGE"] = ""
    raw.to_csv(path, index=False, lineterminator="\n")
    trial = load_trial(tmp_path, study=STUDY)
    assert _records(trial.findings, name=str) == [("adsl.csv", "AGE", "not_nullable", 2, F)]
    assert str(trial.adsl["AGE"].dtype) == "float64" and trial.adsl["AGE"].isna().sum() == 2


def test_column_of_the_wrong_type_names_the_type_found(tables):
    t = _copy(tables)
    t["adtte"]["AVAL"] = t["adtte"]["AVAL"].astype("float64")
    t["adsl"]["AGE"] = t["adsl"]["AGE"].astype(str)
    with pytest.raises(ContractError) as info:
        validate(t, {k: f"{k}.parquet" for k in t}, STUDY)
    got = [(f.file, f.column, f.rule, f.n_rows) for f in info.value.failures]
    assert got == [
        ("adsl.parquet", "AGE", "dtype('number'), found object", N),
        ("adtte.parquet", "AVAL", "dtype('int64'), found float64", len(t["adtte"])),
    ]


def test_table_without_usubjid_says_the_cross_table_rules_were_skipped(tables):
    t = _copy(tables)
    t["adae"] = t["adae"].drop(columns="USUBJID")
    t["adtte"].loc[0, "STARTDT"] += pd.Timedelta(days=1)  # a cross-table fault, not checked
    with pytest.raises(ContractError) as info:
        validate(t, {k: f"{k}.csv" for k in t}, STUDY)
    got = [(f.file, f.column, f.rule) for f in info.value.failures]
    assert ("adae.csv", "USUBJID", "column present") in got
    assert info.value.notes == ("cross-table rules skipped (ADSL merge impossible): adae lacks USUBJID",)
    assert str(info.value).endswith("\n  cross-table rules skipped (ADSL merge impossible): adae lacks USUBJID")


def test_randomisation_date_of_the_wrong_type_says_the_cross_table_rules_were_skipped(tables):
    t = _copy(tables)
    t["adsl"]["RANDDT"] = t["adsl"]["RANDDT"].dt.strftime("%Y-%m-%d")
    t["screen"] = t["screen"].drop(columns="USUBJID")
    with pytest.raises(ContractError) as info:
        validate(t, {k: f"{k}.csv" for k in t}, STUDY)
    assert info.value.notes == (
        "cross-table rules skipped (ADSL merge impossible): screen lacks USUBJID; "
        "adsl RANDDT is object, expected datetime64[ns]",
    )


def test_valid_tables_raise_no_error_have_no_finding_and_no_skipped_rules(tables):
    assert validate(_copy(tables), {k: f"{k}.csv" for k in tables}, STUDY) == ()


def test_select_population_and_load_trial_reject_a_population_alike(csv_dir, tables):
    from helpers.data.contract import select_population

    with pytest.raises(ValueError) as direct:
        select_population(_copy(tables), "mitt", STUDY)
    with pytest.raises(ValueError) as loaded:
        load_trial(csv_dir, study=STUDY, population="mitt")
    assert (
        str(direct.value)
        == str(loaded.value)
        == ("population='mitt' is not a population; expected one of ['ITT', 'SAFETY', 'PP']")
    )


# --------------------------------------------------------------------------- files
def test_missing_required_table_names_the_file_expected(tmp_path, csv_dir):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "adtte.csv").unlink()
    with pytest.raises(ContractError, match=r"missing required table adtte: expected .*adtte\.csv"):
        load_trial(tmp_path, study=STUDY)


def test_table_in_two_formats_is_ambiguous(tmp_path, csv_dir, tables):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    tables["adae"].to_parquet(tmp_path / "adae.parquet")
    with pytest.raises(
        ContractError,
        match=r"table adae is ambiguous: found adae\.csv, "
        r"adae\.parquet",
    ):
        load_trial(tmp_path, study=STUDY)


def test_upper_case_file_name_is_reported_with_a_hint(tmp_path, csv_dir):
    shutil.copytree(csv_dir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "adsl.csv").rename(tmp_path / "ADSL.csv")
    with pytest.raises(ContractError, match="found ADSL.csv; file names must be lower case"):
        find_tables(tmp_path)


def test_read_table_rejects_an_unknown_extension(tmp_path):
    (tmp_path / "adsl.txt").write_text("USUBJID\n")
    with pytest.raises(ContractError, match="unsupported extension '.txt'"):
        read_table(tmp_path / "adsl.txt")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xpt"])
def test_load_trial_never_modifies_the_input_files(tmp_path, tables, fmt):
    synthetic.write_trial(tables, tmp_path, fmt)
    before = {p.name: (sha256(p), p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.iterdir()}
    trial = load_trial(tmp_path, study=STUDY, cutoff="2022-06-30", population="PP")
    after = {p.name: (sha256(p), p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.iterdir()}
    assert before == after
    assert {t: f.sha256 for t, f in trial.files.items()} == {t: before[f"{t}.{fmt}"][0] for t in schemas.TABLE_NAMES}


def test_files_record_path_format_digest_and_rows(csv_dir, tables):
    trial = load_trial(csv_dir, study=STUDY)
    f = trial.files["adsl"]
    assert (f.path, f.format, f.n_rows) == (csv_dir / "adsl.csv", "csv", len(tables["adsl"]))
    assert f.sha256 == sha256(csv_dir / "adsl.csv")


def test_validate_does_not_change_the_frames(tables):
    t = _copy(tables)
    validate(t, {k: f"{k}.csv" for k in t}, STUDY)
    for k in t:
        pd.testing.assert_frame_equal(t[k], tables[k])


def test_loaded_dates_are_datetime64(csv_dir):
    trial = load_trial(csv_dir, study=STUDY)
    assert str(trial.adsl["RANDDT"].dtype) == "datetime64[ns]"
    assert str(trial.adtte["AVAL"].dtype) == "int64"


# --------------------------------------------------------------------------- the trial
@pytest.mark.parametrize(("population", "flag"), [("ITT", "ITTFL"), ("SAFETY", "SAFFL"), ("PP", "PPROTFL")])
def test_population_keeps_flagged_patients_in_every_patient_table(csv_dir, tables, population, flag):
    trial = load_trial(csv_dir, study=STUDY, population=population)
    want = set(tables["adsl"].loc[tables["adsl"][flag] == "Y", "USUBJID"])
    assert set(trial.adsl["USUBJID"]) == want
    for t in ("adtte", "adae", "adex"):
        assert set(getattr(trial, t)["USUBJID"]) <= want
    assert len(trial.screen) == len(tables["screen"])
    assert trial.population == population


def test_unknown_population_is_rejected(csv_dir):
    with pytest.raises(ValueError, match="population='MITT'"):
        load_trial(csv_dir, study=STUDY, population="MITT")


def test_endpoint_has_one_row_per_patient_with_covariates(csv_dir):
    trial = load_trial(csv_dir, study=STUDY)
    rel = trial.endpoint("REL")
    assert len(rel) == len(trial.adsl)
    assert rel["USUBJID"].is_unique
    for col in (
        "AVAL",
        "EVNTCD",
        "CNSR",
        "ARM",
        "ARMCD",
        "SITEID",
        "AGE",
        "STRATDS",
        "STRATDT",
        "DONORTYP",
        "CYTORISK",
        "MRDPRE",
    ):
        assert col in rel.columns
    assert set(rel["EVNTCD"]) <= {0, 1, 2}


def test_endpoint_rejects_an_unknown_parameter(csv_dir):
    trial = load_trial(csv_dir, study=STUDY)
    with pytest.raises(ValueError, match="paramcd='PFS'"):
        trial.endpoint("PFS")


def test_load_trial_applies_the_cutoff(csv_dir):
    trial = load_trial(csv_dir, study=STUDY, cutoff="2022-01-31")
    assert trial.cutoff == pd.Timestamp("2022-01-31")
    assert (trial.adtte["ADT"] <= trial.cutoff).all()
    assert isinstance(trial, Trial)


# --------------------------------------------------------------------------- CLI
def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "helpers.data.contract", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ},
    )


def test_cli_prints_a_one_line_summary_for_valid_data(csv_dir, capsys):
    assert main(["validate", str(csv_dir), "--study", str(DEFAULT_STUDY), "--cutoff", "2023-06-30"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.startswith("OK:") and "adsl=" in out
    assert "cutoff 2023-06-30" in out


def test_cli_prints_the_contract_error_and_exits_2(tmp_path, tables):
    t = _copy(tables)
    t["adsl"].loc[0, "SEX"] = "X"
    synthetic.write_trial(t, tmp_path, "csv")
    res = _cli("validate", tmp_path, "--study", DEFAULT_STUDY, "--strict")
    assert res.returncode == 2
    assert "[finding] " in res.stderr
    assert "column SEX: rule 'isin(['M', 'F'])': 1 row" in res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout == ""


def test_cli_rejects_a_malformed_cutoff(csv_dir, capsys):
    assert main(["validate", str(csv_dir), "--study", str(DEFAULT_STUDY), "--cutoff", "31/12/2023"]) == 2
    assert "--cutoff='31/12/2023'" in capsys.readouterr().err


# --------------------------------------------------------------------------- documentation
def _readme_block(name):
    readme = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text()
    start, end = f"<!-- {name}: start -->\n", f"<!-- {name}: end -->"
    assert readme.count(start) == 1 and readme.count(end) == 1
    return readme.split(start)[1].split(end)[0]


def test_the_data_readme_holds_the_generated_data_dictionary_exactly():
    shown = _readme_block("data-dictionary")
    assert shown.strip() == schemas.data_dictionary(STUDY).strip(), (
        "data/README.md is out of date: paste helpers.data.schemas.data_dictionary() between the "
        "data-dictionary markers"
    )
    for table, variables in schemas.TABLES.items():
        assert f"### {table.upper()} " in shown
        for v in variables:
            assert f"| {v.name} | {v.kind} |" in shown, f"{table}.{v.name}"


def test_the_data_readme_documents_every_rule_with_its_tier():
    shown = _readme_block("rule-table")
    assert shown.strip() == schemas.rule_table(STUDY).strip(), (
        "data/README.md is out of date: paste helpers.data.schemas.rule_table() between the rule-table markers"
    )
    assert {r[3] for r in schemas.rules(STUDY)} == {"error", "finding"}


def test_sas_dates_with_missing_values_convert_without_overflow_warnings():
    # read_table's XPT path: SAS date numbers with missing values (see the synthetic test of
    # the same pandas 2.3.3 fault); huge values left on the heap used to trigger the warning
    from helpers.data.contract import _convert

    days = pd.Series([float("nan")] * 99 + [22295.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(5):
            junk = [np.full(len(days), 1e308) for _ in range(4)]
            del junk
            got, bad = _convert(days, "date", "xpt")
    assert not bad.any()
    assert got.isna().sum() == 99 and got.iloc[-1] == pd.Timestamp("2021-01-15")


def test_sas_date_that_is_not_a_whole_day_or_infinite_is_malformed():
    from helpers.data.contract import _convert

    got, bad = _convert(pd.Series([22295.5, float("inf"), float("nan"), 0.0]), "date", "xpt")
    assert bad.tolist() == [True, True, False, False]
    assert got.iloc[3] == pd.Timestamp("1960-01-01")
