"""Cohort and safety summaries on small literal cases, one patient per line."""

from io import StringIO

import pandas as pd
import pytest

from helpers import cohort, safety
from helpers.figures import numbers_at_risk


def frame(text: str, **dates: str) -> pd.DataFrame:
    df = pd.read_csv(StringIO(text), skipinitialspace=True, keep_default_na=False, na_values=[""])
    for col in dates:
        df[col] = pd.to_datetime(df[col])
    return df


ADSL = frame("""USUBJID, ARM,                   SAFFL, PPROTFL, ITTFL, TRTSDT,     EOTSTT,       DCTREAS,       EOSSTT,       DCSREAS,           AGE, SEX, MRDPRE
P1,      Sorafenib maintenance, Y,     Y,       Y,     2021-02-01, COMPLETED,    ,              COMPLETED,    ,                  30,  M,   Negative
P2,      Sorafenib maintenance, Y,     N,       Y,     2021-02-03, DISCONTINUED, ADVERSE EVENT, DISCONTINUED, DEATH,             50,  F,
P3,      Sorafenib maintenance, N,     N,       Y,     ,           ,             ,              DISCONTINUED, LOST TO FOLLOW-UP, 41,  F,   Positive
P4,      No maintenance,        Y,     Y,       Y,     ,           ,             ,              COMPLETED,    ,                  62,  M,   Negative
P5,      No maintenance,        Y,     Y,       Y,     ,           ,             ,              DISCONTINUED, DEATH,             20,  M,   Negative
""", TRTSDT="")
SCREEN = frame("""SCRNID, RANDFL, EXCLREAS
S1, Y,
S2, Y,
S3, Y,
S4, Y,
S5, Y,
S6, N, FLT3 mutation detected
S7, N, FLT3 mutation detected
S8, N, Declined to participate
""")


def test_consort_counts_each_box():
    flow = cohort.consort_flow(SCREEN, ADSL, population="PP")
    assert flow["assessed"] == 8 and flow["excluded"] == 3 and flow["randomised"] == 5
    assert flow["excluded_reasons"] == {"FLT3 mutation detected": 2, "Declined to participate": 1}
    sora = flow["arms"]["Sorafenib maintenance"]
    assert sora == {"allocated": 3, "received": 2, "treated": 2, "discontinued_intervention": 1,
                    "discontinued_reasons": {"ADVERSE EVENT": 1}, "died": 1, "left_study": 1,
                    "left_study_reasons": {"LOST TO FOLLOW-UP": 1}, "analysed": 1}
    assert flow["arms"]["No maintenance"]["died"] == 1
    assert list(flow["arms"]) == ["Sorafenib maintenance", "No maintenance"]


def test_baseline_counts_missing_values_in_their_own_level():
    got = cohort.baseline_characteristics(ADSL, categorical={"MRDPRE": "MRD"}, continuous={"AGE": "Age"})
    age = got[(got["variable"] == "AGE") & (got["group"] == "Total")].iloc[0]
    assert (age["median"], age["minimum"], age["maximum"], age["n"]) == (41.0, 20.0, 62.0, 5)
    mrd = got[got["variable"] == "MRDPRE"].set_index(["level", "group"])["n"]
    assert mrd[("Missing", "Sorafenib maintenance")] == 1
    assert mrd[("Negative", "Total")] == 3
    assert mrd[("Positive", "No maintenance")] == 0
    assert list(got["group"].unique()) == ["Sorafenib maintenance", "No maintenance", "Total"]


ADAE = frame("""USUBJID, AEBODSYS,                    AEDECOD,           AETOXGR, AESER, AEREL,       AEACN,            TRTEMFL
P1,      Skin and subcutaneous,       Hand-foot reaction, 1,      N,     RELATED,     DOSE NOT CHANGED, Y
P1,      Skin and subcutaneous,       Hand-foot reaction, 3,      N,     RELATED,     DOSE REDUCED,     Y
P2,      Gastrointestinal disorders,  Diarrhoea,          2,      N,     RELATED,     DRUG INTERRUPTED, Y
P2,      Infections,                  Pneumonia,          5,      Y,     NOT RELATED, NOT APPLICABLE,   Y
P4,      Infections,                  Pneumonia,          3,      Y,     NOT RELATED, NOT APPLICABLE,   Y
P5,      Infections,                  Pneumonia,          2,      N,     NOT RELATED, NOT APPLICABLE,   N
""")


def test_teae_overview_counts_patients_once_in_the_safety_population():
    got = safety.teae_overview(ADAE, ADSL, arm_col="ARM").set_index(["category", "group"])
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "n_patients"] == 2
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "denominator"] == 2  # P3 is not in SAFFL
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "n_events"] == 4
    assert got.loc[("Any TEAE", "No maintenance"), "n_patients"] == 1       # P5's event is not treatment-emergent
    assert got.loc[("Fatal TEAE (grade 5)", "Total"), "n_patients"] == 1
    assert got.loc[("TEAE leading to dose reduction", "Sorafenib maintenance"), "percent"] == 0.5


def test_teae_by_term_sorts_by_total_frequency_and_filters_by_percent():
    got = safety.teae_by_term(ADAE, ADSL, arm_col="ARM")
    assert list(dict.fromkeys(got["term"])) == ["Pneumonia", "Diarrhoea", "Hand-foot reaction"]
    hfs = got[(got["term"] == "Hand-foot reaction") & (got["group"] == "Sorafenib maintenance")].iloc[0]
    assert (hfs["n_any"], hfs["n_grade3plus"]) == (1, 1)  # one patient, worst grade 3
    assert safety.teae_by_term(ADAE, ADSL, arm_col="ARM", min_percent=60).empty


def test_worst_grade_counts_each_patient_at_the_highest_grade():
    got = safety.worst_grade_by_term(ADAE, ADSL, ["Hand-foot reaction"], arm_col="ARM")
    sora = got[got["group"] == "Sorafenib maintenance"].set_index("grade")["n_patients"]
    assert sora.to_dict() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}


def test_exposure_counts_interruptions_and_reductions():
    adex = frame("""USUBJID, EXDOSE, ASTDT,      AENDT,      EXADJ
P1,      800,    2021-02-01, 2021-02-10,
P1,      0,      2021-02-11, 2021-02-15, DRUG INTERRUPTED
P1,      400,    2021-02-16, 2021-02-20, DOSE REDUCED
P2,      800,    2021-02-03, 2021-02-04,
""", ASTDT="", AENDT="")
    got = safety.exposure_summary(adex, ADSL).set_index("USUBJID")
    assert got.loc["P1", "duration_days"] == 20
    assert got.loc["P1", "cumulative_dose_mg"] == 800 * 10 + 400 * 5
    assert got.loc["P1", "mean_daily_dose_mg"] == pytest.approx(10000 / 20)
    assert (got.loc["P1", "n_interruptions"], got.loc["P1", "n_reductions"]) == (1, 1)
    assert got.loc["P2", "n_interruptions"] == 0


def test_numbers_at_risk_count_patients_with_time_at_least_t_as_r_does():
    data = pd.DataFrame({"t": [0, 5, 5, 10, 20], "g": ["a", "a", "b", "b", "b"]})
    got = numbers_at_risk(data, "t", "g", [0, 5, 10, 21])
    assert got.pivot(index="time", columns="group", values="n_risk").to_dict() == {
        "a": {0.0: 2, 5.0: 1, 10.0: 0, 21.0: 0}, "b": {0.0: 3, 5.0: 3, 10.0: 2, 21.0: 0}}


def test_arm_order_puts_sorafenib_first():
    assert cohort.order_arms(["No maintenance", "Sorafenib maintenance"]) == ["Sorafenib maintenance", "No maintenance"]


def test_arm_counts_list_each_arm_in_report_order_then_the_total():
    assert cohort.arm_counts(ADSL) == {"Sorafenib maintenance": 3, "No maintenance": 2, "Total": 5}
