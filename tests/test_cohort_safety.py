"""Cohort and safety summaries on small literal cases, one patient per line."""

from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import cohort, safety
from helpers.present import ard, tables
from helpers.present.figures import figure_consort
from helpers.stats.survival import numbers_at_risk
from helpers.study import load_study

POP = "SAFETY"

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")


def frame(text: str, **dates: str) -> pd.DataFrame:
    df = pd.read_csv(StringIO(text), skipinitialspace=True, keep_default_na=False, na_values=[""])
    for col in dates:
        df[col] = pd.to_datetime(df[col])
    return df


ADSL = frame(
    """USUBJID, ARM,                   SAFFL, PPROTFL, ITTFL, TRTSDT,     EOTSTT,       DCTREAS,       EOSSTT,       DCSREAS,           AGE, SEX, MRDPRE,   DONORTYP
P1,      Sorafenib maintenance, Y,     Y,       Y,     2021-02-01, COMPLETED,    ,              COMPLETED,    ,                  30,  M,   Negative, HAPLO
P2,      Sorafenib maintenance, Y,     N,       Y,     2021-02-03, DISCONTINUED, ADVERSE EVENT, DISCONTINUED, DEATH,             50,  F,   ,         MSD
P3,      Sorafenib maintenance, N,     N,       Y,     ,           ,             ,              DISCONTINUED, LOST TO FOLLOW-UP, 41,  F,   Positive, MSD
P4,      No maintenance,        Y,     Y,       Y,     ,           ,             ,              COMPLETED,    ,                  62,  M,   Negative, MUD
P5,      No maintenance,        Y,     Y,       N,     ,           ,             ,              DISCONTINUED, DEATH,             20,  M,   Negative,
""",
    TRTSDT="",
)
SCREEN = frame("""SCRNID, RANDFL, EXCLREAS
S1, Y,
S2, Y,
S3, Y,
S4, Y,
S5, Y,
S6, N, Mutation detected
S7, N, Mutation detected
S8, N, Declined to participate
""")


def test_consort_counts_each_box():
    flow = cohort.consort_flow(SCREEN, ADSL, STUDY, population="PP")
    assert flow["assessed"] == 8 and flow["excluded"] == 3 and flow["randomised"] == 5
    assert flow["screening_delivered"] is True
    assert flow["excluded_reasons"] == {"Mutation detected": 2, "Declined to participate": 1}
    sora = flow["arms"]["Sorafenib maintenance"]
    assert sora == {
        "code": "SORA",
        "treated": True,
        "allocated": 3,
        "received": 2,
        "discontinued_intervention": 1,
        "discontinued_reasons": {"ADVERSE EVENT": 1},
        "died": 1,
        "left_study": 1,
        "left_study_reasons": {"LOST TO FOLLOW-UP": 1},
        "analysed": 1,
        "not_analysed": 2,
    }
    assert flow["arms"]["No maintenance"]["died"] == 1
    assert list(flow["arms"]) == ["Sorafenib maintenance", "No maintenance"]


def test_consort_counts_every_randomised_patient_and_those_outside_the_population():
    flow = cohort.consort_flow(SCREEN, ADSL, STUDY, population="ITT")
    ctrl = flow["arms"]["No maintenance"]
    assert flow["randomised"] == 5  # P5 (ITTFL = N) is randomised
    assert (ctrl["allocated"], ctrl["analysed"], ctrl["not_analysed"]) == (2, 1, 1)
    assert cohort.consort_flow(SCREEN, ADSL, STUDY, population=None)["arms"]["No maintenance"]["analysed"] == 2


def test_consort_untreated_arm_has_no_drug_discontinuation_counted_as_zero():
    ctrl = cohort.consort_flow(SCREEN, ADSL, STUDY)["arms"]["No maintenance"]
    assert ctrl["treated"] is False
    assert ctrl["discontinued_intervention"] is None and ctrl["discontinued_reasons"] is None


def test_consort_without_a_screening_log_says_not_delivered():
    flow = cohort.consort_flow(None, ADSL, STUDY)
    assert flow["screening_delivered"] is False
    assert flow["assessed"] is None and flow["excluded"] is None and flow["excluded_reasons"] is None
    assert flow["randomised"] == 5


ADSL3 = frame("""USUBJID, ARM,               SAFFL, ITTFL, EOTSTT,       DCTREAS,       EOSSTT,       DCSREAS
Q1,      Examplinib 300 mg, Y,     Y,     DISCONTINUED, ADVERSE EVENT, COMPLETED,
Q2,      Examplinib 300 mg, Y,     Y,     COMPLETED,    ,              COMPLETED,
Q3,      Examplinib 150 mg, Y,     Y,     COMPLETED,    ,              DISCONTINUED, DEATH
Q4,      Examplinib 150 mg, N,     N,     ,             ,              DISCONTINUED, WITHDRAWAL BY SUBJECT
Q5,      Observation,       Y,     Y,     ,             ,              COMPLETED,
Q6,      Observation,       Y,     Y,     ,             ,              COMPLETED,
Q7,      Observation,       Y,     Y,     ,             ,              DISCONTINUED, DEATH
""")


def test_three_arm_consort_has_one_column_per_arm_in_display_order():
    flow = cohort.consort_flow(None, ADSL3, THREE)
    assert list(flow["arms"]) == ["Examplinib 300 mg", "Examplinib 150 mg", "Observation"]
    assert [a["allocated"] for a in flow["arms"].values()] == [2, 2, 3]
    assert sum(a["allocated"] for a in flow["arms"].values()) == flow["randomised"] == 7
    low = flow["arms"]["Examplinib 150 mg"]
    assert (low["died"], low["left_study"], low["analysed"], low["not_analysed"]) == (1, 1, 1, 1)
    assert flow["arms"]["Observation"]["discontinued_intervention"] is None
    assert flow["arms"]["Examplinib 300 mg"]["discontinued_reasons"] == {"ADVERSE EVENT": 1}


def test_three_arm_consort_draws_every_arm_with_the_study_wording():
    import matplotlib

    matplotlib.use("Agg")
    fig = figure_consort(cohort.consort_flow(None, ADSL3, THREE), THREE)
    text = "\n".join(t.get_text() for t in fig.axes[0].texts)
    for arm in ("examplinib 300 mg (n=2)", "examplinib 150 mg (n=2)", "observation (n=3)"):
        assert f"Allocated to {arm}" in text
    assert text.count("Discontinued examplinib") == 2 and "No examplinib given" in text
    assert "Assessed for eligibility: not delivered" in text
    assert "n=None" not in text


def test_consort_refuses_an_arm_the_study_does_not_define():
    with pytest.raises(ValueError, match=r"arms \['Placebo'\] that the study does not define"):
        cohort.consort_flow(SCREEN, ADSL.assign(ARM="Placebo"), STUDY)


def test_baseline_counts_missing_values_in_their_own_level():
    got = cohort.baseline_characteristics(ADSL, STUDY, variables=["AGE", "MRDPRE"])
    age = got[(got["variable"] == "AGE") & (got["group"] == "Total")].iloc[0]
    assert (age["median"], age["minimum"], age["maximum"], age["n"]) == (41.0, 20.0, 62.0, 5)
    assert age["label"] == "Age, years"
    mrd = got[got["variable"] == "MRDPRE"].set_index(["level", "group"])["n"]
    assert mrd[("Missing", "Sorafenib maintenance")] == 1
    assert mrd[("Negative", "Total")] == 3
    assert mrd[("Positive", "No maintenance")] == 0
    assert list(got["group"].unique()) == ["Sorafenib maintenance", "No maintenance", "Total"]


def test_baseline_decodes_levels_in_the_study_order_with_missing_last():
    got = cohort.baseline_characteristics(ADSL, STUDY, variables=["DONORTYP"])
    total = got[got["group"] == "Total"]
    assert list(total["level"]) == ["Matched sibling", "Matched unrelated", "Haploidentical", "Missing"]
    assert list(total["code"]) == ["MSD", "MUD", "HAPLO", None]
    assert list(total["n"]) == [2, 1, 1, 1]
    assert got["label"].iloc[0] == "Donor type"


def test_baseline_shows_every_arm_of_the_study_even_without_patients():
    got = cohort.baseline_characteristics(ADSL3.assign(AGE=50, SEX="F"), THREE, variables=["SEX"])
    assert list(got["group"].unique()) == ["Examplinib 300 mg", "Examplinib 150 mg", "Observation", "Total"]
    empty = cohort.baseline_characteristics(
        ADSL3[ADSL3["ARM"] != "Observation"].assign(SEX="F"), THREE, variables=["SEX"]
    )
    obs = empty[(empty["group"] == "Observation") & (empty["level"] == "Women")].iloc[0]
    assert (obs["n"], obs["denominator"]) == (0, 0) and np.isnan(obs["proportion"])
    assert list(empty.loc[empty["group"] == "Total", "level"]) == ["Women", "Men"]


def test_findings_become_a_tidy_frame_with_the_first_patients():
    f = SimpleNamespace(
        severity="finding",
        table="adsl",
        file="adsl.csv",
        column="AGE",
        rule="age 18-65 at randomisation",
        n_rows=2,
        ids=("P1", "P9"),
    )
    got = cohort.findings_frame(
        [
            f,
            {
                "severity": "finding",
                "table": "screen",
                "file": "screen.csv",
                "column": None,
                "rule": "r",
                "n_rows": None,
                "ids": (),
            },
        ]
    )
    assert list(got.columns) == cohort.FINDING_COLUMNS
    assert got.iloc[0].to_dict() | {"n_rows": 2} == {
        "severity": "finding",
        "rule": "age 18-65 at randomisation",
        "table": "adsl",
        "file": "adsl.csv",
        "column": "AGE",
        "n_rows": 2,
        "first_ids": "P1, P9",
    }
    assert cohort.findings_frame([]).empty


ADAE = frame("""USUBJID, AEBODSYS,                    AEDECOD,           AETOXGR, AESER, AEREL,       AEACN,            TRTEMFL
P1,      Skin and subcutaneous,       Hand-foot reaction, 1,      N,     RELATED,     DOSE NOT CHANGED, Y
P1,      Skin and subcutaneous,       Hand-foot reaction, 3,      N,     RELATED,     DOSE REDUCED,     Y
P2,      Gastrointestinal disorders,  Diarrhoea,          2,      N,     RELATED,     DRUG INTERRUPTED, Y
P2,      Infections,                  Pneumonia,          5,      Y,     NOT RELATED, NOT APPLICABLE,   Y
P4,      Infections,                  Pneumonia,          3,      Y,     NOT RELATED, NOT APPLICABLE,   Y
P5,      Infections,                  Pneumonia,          2,      N,     NOT RELATED, NOT APPLICABLE,   N
""")


def test_teae_overview_counts_patients_once_in_the_safety_population():
    got = safety.teae_overview(ADAE, ADSL, STUDY, arm_col="ARM").set_index(["category", "group"])
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "n_patients"] == 2
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "denominator"] == 2  # P3 is not in SAFFL
    assert got.loc[("Any TEAE", "Sorafenib maintenance"), "n_events"] == 4
    assert got.loc[("Any TEAE", "No maintenance"), "n_patients"] == 1  # P5's event is not treatment-emergent
    assert got.loc[("Fatal TEAE (grade 5)", "Total"), "n_patients"] == 1
    assert got.loc[("TEAE leading to dose reduction", "Sorafenib maintenance"), "proportion"] == 0.5


def test_dose_actions_of_an_untreated_arm_read_not_applicable_never_zero():
    got = safety.teae_overview(ADAE, ADSL, STUDY, arm_col="ARM")
    ctrl = got[(got["group"] == "No maintenance") & got["category"].isin(safety.DRUG_ACTIONS)]
    assert len(ctrl) == 3 and not ctrl["applicable"].any() and ctrl["n_patients"].isna().all()
    shown = tables.table_teae_overview(ard.ard_teae_overview(got, POP)).set_index("Patients with")
    assert shown.loc["TEAE leading to interruption", "No maintenance (N=2)"] == "not applicable"
    assert shown.loc["TEAE leading to interruption", "Sorafenib maintenance (N=2)"] == "1 (50.0%)"
    assert shown.loc["Any TEAE", "No maintenance (N=2)"] == "1 (50.0%)"


def test_teae_by_term_sorts_by_total_frequency_and_filters_by_percent():
    got = safety.teae_by_term(ADAE, ADSL, STUDY, arm_col="ARM")
    assert list(dict.fromkeys(got["term"])) == ["Pneumonia", "Diarrhoea", "Hand-foot reaction"]
    hfs = got[(got["term"] == "Hand-foot reaction") & (got["group"] == "Sorafenib maintenance")].iloc[0]
    assert (hfs["n_any"], hfs["n_grade3plus"]) == (1, 1)  # one patient, worst grade 3
    assert safety.teae_by_term(ADAE, ADSL, STUDY, arm_col="ARM", min_percent=60).empty


def test_worst_grade_counts_each_patient_at_the_highest_grade():
    got = safety.worst_grade_by_term(ADAE, ADSL, STUDY, ["Hand-foot reaction"], arm_col="ARM")
    sora = got[got["group"] == "Sorafenib maintenance"].set_index("grade")["n_patients"]
    assert sora.to_dict() == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0}


def test_worst_grade_defaults_to_the_study_terms_of_special_interest():
    got = safety.worst_grade_by_term(ADAE, ADSL, THREE.model_copy(update={"arms": STUDY.arms}), arm_col="ARM")
    assert list(dict.fromkeys(got["term"])) == ["Diarrhoea", "Hypertension", "Thrombocytopenia"]


ADEX = frame(
    """USUBJID, EXDOSE, ASTDT,      AENDT,      EXADJ
P1,      800,    2021-02-01, 2021-02-10,
P1,      0,      2021-02-11, 2021-02-15, DRUG INTERRUPTED
P1,      400,    2021-02-16, 2021-02-20, DOSE REDUCED
P2,      800,    2021-02-03, 2021-02-04,
""",
    ASTDT="",
    AENDT="",
)


def test_exposure_counts_interruptions_and_reductions():
    got = safety.exposure_summary(ADEX, ADSL).set_index("USUBJID")
    assert got.loc["P1", "duration_days"] == 20
    assert got.loc["P1", "cumulative_dose_mg"] == 800 * 10 + 400 * 5
    assert got.loc["P1", "mean_daily_dose_mg"] == pytest.approx(10000 / 20)
    assert (got.loc["P1", "n_interruptions"], got.loc["P1", "n_reductions"]) == (1, 1)
    assert got.loc["P2", "n_interruptions"] == 0


def test_exposure_by_arm_has_a_row_per_treated_arm_only():
    got = safety.exposure_by_arm(safety.exposure_summary(ADEX, ADSL), ADSL, STUDY, arm_col="ARM")
    assert list(got["group"]) == ["Sorafenib maintenance"]
    assert (got["n_treated"].item(), got["n_interrupted"].item()) == (2, 1)
    shown = tables.table_exposure(ard.ard_exposure(got, POP), STUDY)
    assert list(shown.columns) == ["Exposure", "Sorafenib maintenance"]
    assert shown.iloc[4].tolist() == ["Patients with at least one dose reduction, n (%)", "1 (50.0%)"]


def test_not_delivered_tables_say_so_instead_of_zero():
    got = tables.table_not_delivered("adae", "adverse-event data")
    assert got.to_dict("records") == [{"Status": "Not delivered: this delivery has no adverse-event data (ADAE)."}]
    assert "0 (0.0%)" not in got.to_string()


def test_numbers_at_risk_count_patients_with_time_at_least_t_as_r_does():
    data = pd.DataFrame({"t": [0, 5, 5, 10, 20], "g": ["a", "a", "b", "b", "b"]})
    got = numbers_at_risk(data, "t", "g", [0, 5, 10, 21])
    assert got.pivot(index="time", columns="group", values="n_risk").to_dict() == {
        "a": {0.0: 2, 5.0: 1, 10.0: 0, 21.0: 0},
        "b": {0.0: 3, 5.0: 3, 10.0: 2, 21.0: 0},
    }


def test_arm_order_follows_the_study_then_any_other_alphabetically():
    assert cohort.order_arms(["No maintenance", "Z", "Sorafenib maintenance", "A"], STUDY.arm_labels) == [
        "Sorafenib maintenance",
        "No maintenance",
        "A",
        "Z",
    ]


def test_arm_counts_list_each_arm_in_display_order_then_the_total():
    assert cohort.arm_counts(ADSL, STUDY) == {"Sorafenib maintenance": 3, "No maintenance": 2, "Total": 5}
    assert cohort.arm_counts(ADSL3, THREE) == {
        "Examplinib 300 mg": 2,
        "Examplinib 150 mg": 2,
        "Observation": 3,
        "Total": 7,
    }


@pytest.mark.parametrize(
    "flow",
    [
        cohort.consort_flow(SCREEN, ADSL, STUDY, population="PP"),
        cohort.consort_flow(None, ADSL, STUDY),
        cohort.consort_flow(None, ADSL3, THREE),
    ],
    ids=["screened", "no screening log", "three arms"],
)
def test_consort_flow_comes_back_whole_from_its_ard_rows(flow):
    rows = ard.ard_consort(flow, ard.ALL_RANDOMISED)
    assert ard.consort_from_ard(rows) == flow
    assert set(rows["fmt_fun"]) == {"count", "text"}
