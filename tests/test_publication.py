"""Publication tables and figures on small literal cases, one patient (or event) per line, with
the formatted cells written out by hand: Table 1 with standardised differences, nested adverse
events, accrual, the primary endpoint by population, the forest plot's numbers and curves that
stop below a number at risk."""

import math
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from helpers.analysis import cohort, endpoints, safety
from helpers.data.contract import ContractError
from helpers.present import ard, figures, tables
from helpers.stats import balance
from helpers.study import load_study

POP = "ITT"

matplotlib.use("Agg")

STUDY = load_study()
THREE = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
SORA, CTRL = STUDY.comparator_arms[0].label, STUDY.reference_arm.label


def frame(text: str) -> pd.DataFrame:
    return pd.read_csv(StringIO(text), skipinitialspace=True, keep_default_na=False, na_values=[""])


ADSL = frame("""USUBJID, ARM,                   ACTARM,                SAFFL, SITEID, RANDDT,     AGE, SEX, DONORTYP
P1,      Sorafenib maintenance, Sorafenib maintenance, Y,     01,     2021-01-15, 30,  M,   HAPLO
P2,      Sorafenib maintenance, Sorafenib maintenance, Y,     02,     2021-01-20, 50,  F,   MSD
P3,      Sorafenib maintenance, Sorafenib maintenance, Y,     01,     2021-03-02, 41,  F,   MSD
P4,      No maintenance,        No maintenance,        Y,     01,     2021-03-31, 62,  M,   MUD
P5,      No maintenance,        No maintenance,        Y,     02,     2021-04-01, ,    M,
""")


# -- Table 1 ---------------------------------------------------------------------------------------
def test_table1_decodes_levels_shows_missing_rows_and_one_smd_per_variable():
    base = cohort.baseline_characteristics(ADSL, STUDY, variables=["AGE", "SEX", "DONORTYP"])
    smd = cohort.standardised_differences(ADSL, STUDY, variables=["AGE", "SEX", "DONORTYP"])
    # AGE: sorafenib 30, 50, 41 (mean 40.33, var 100.33); control 62 (one known value): not estimable
    # SEX: P(F) 2/3 vs 0: (2/3) / sqrt((2/9 + 0) / 2) = 2
    # DONORTYP (3 levels, MSD first): p(MUD, HAPLO) = (0, 1/3) vs (1, 0); S = diag(0, 1/9) (generalised
    # inverse diag(0, 9)): sqrt(9 * (1/3)^2) = 1
    assert smd["method"].tolist() == ["continuous", "binary", "multinomial"]
    assert math.isnan(smd["smd"].iloc[0])
    assert smd["smd"].iloc[1:].tolist() == pytest.approx([2.0, 1.0])
    shown = tables.table_baseline(ard.ard_baseline(base, POP, smd))
    s, c, t = "Sorafenib maintenance (N=3)", "No maintenance (N=2)", "Total (N=5)"
    assert shown.to_dict("records") == [
        {"Characteristic": "Age, years, median (IQR)", s: "41 (36-46)", c: "62 (62-62)", t: "46 (38-53)", "SMD": "NE"},
        {"Characteristic": "\u2003Missing", s: "0 (0.0%)", c: "1 (50.0%)", t: "1 (20.0%)", "SMD": ""},
        {"Characteristic": "Sex, n (%)", s: "", c: "", t: "", "SMD": "2.00"},
        {"Characteristic": "\u2003Male", s: "1 (33.3%)", c: "2 (100.0%)", t: "3 (60.0%)", "SMD": ""},
        {"Characteristic": "\u2003Female", s: "2 (66.7%)", c: "0 (0.0%)", t: "2 (40.0%)", "SMD": ""},
        {"Characteristic": "Donor type, n (%)", s: "", c: "", t: "", "SMD": "1.00"},
        {"Characteristic": "\u2003Matched sibling", s: "2 (66.7%)", c: "0 (0.0%)", t: "2 (40.0%)", "SMD": ""},
        {"Characteristic": "\u2003Matched unrelated", s: "0 (0.0%)", c: "1 (50.0%)", t: "1 (20.0%)", "SMD": ""},
        {"Characteristic": "\u2003Haploidentical", s: "1 (33.3%)", c: "0 (0.0%)", t: "1 (20.0%)", "SMD": ""},
        {"Characteristic": "\u2003Missing", s: "0 (0.0%)", c: "1 (50.0%)", t: "1 (20.0%)", "SMD": ""},
    ]


def test_table1_of_three_arms_has_an_smd_column_per_comparison_against_the_reference():
    adsl = frame("""USUBJID, ARM,               AGE, SEX
Q1,      Examplinib 300 mg, 40,  F
Q2,      Examplinib 300 mg, 50,  M
Q3,      Examplinib 150 mg, 40,  F
Q4,      Examplinib 150 mg, 60,  F
Q5,      Observation,       30,  M
Q6,      Observation,       50,  F
""")
    smd = cohort.standardised_differences(adsl, THREE, variables=["AGE", "SEX"])
    assert smd["comparison"].tolist() == ["300 mg vs Observation", "150 mg vs Observation"] * 2
    # AGE 300 mg: (45 - 40) / sqrt((50 + 200) / 2); 150 mg: (50 - 40) / sqrt((200 + 200) / 2)
    npt = smd.set_index(["variable", "comparator_arm"])["smd"]
    assert npt[("AGE", "Examplinib 300 mg")] == pytest.approx(5 / math.sqrt(125))
    assert npt[("AGE", "Examplinib 150 mg")] == pytest.approx(10 / math.sqrt(200))
    # SEX 150 mg: P(M) 0 vs 1/2 -> 0.5 / sqrt((0 + 0.25) / 2)
    assert npt[("SEX", "Examplinib 150 mg")] == pytest.approx(0.5 / math.sqrt(0.125))
    shown = tables.table_baseline(
        ard.ard_baseline(cohort.baseline_characteristics(adsl, THREE, variables=["AGE", "SEX"]), POP, smd)
    )
    assert list(shown.columns)[-2:] == ["SMD, 300 mg vs Observation", "SMD, 150 mg vs Observation"]
    assert shown.iloc[0, -2:].tolist() == ["0.45", "0.71"]
    assert shown.iloc[1, -2:].tolist() == ["0.00", "1.41"]


# -- adverse events --------------------------------------------------------------------------------
AE_ADSL = frame("""USUBJID, ACTARM,                SAFFL
P1,      Sorafenib maintenance, Y
P2,      Sorafenib maintenance, Y
P3,      Sorafenib maintenance, Y
P4,      Sorafenib maintenance, Y
P5,      No maintenance,        Y
P6,      No maintenance,        Y
P7,      No maintenance,        N
""")
ADAE = frame("""USUBJID, AEBODSYS,       AEDECOD,    AETOXGR, AESER, AEACN,            TRTEMFL
P1,      Skin,           Rash,       1,       N,     DOSE NOT CHANGED, Y
P1,      Skin,           Rash,       3,       N,     DRUG WITHDRAWN,   Y
P2,      Skin,           Rash,       2,       N,     DOSE NOT CHANGED, Y
P2,      Skin,           Pruritus,   1,       N,     DOSE NOT CHANGED, Y
P3,      Infections,     Pneumonia,  5,       Y,     NOT APPLICABLE,   Y
P5,      Infections,     Pneumonia,  4,       Y,     NOT APPLICABLE,   Y
P5,      Infections,     Sepsis,     3,       Y,     NOT APPLICABLE,   Y
P6,      Infections,     Sepsis,     2,       N,     NOT APPLICABLE,   N
P7,      Skin,           Rash,       1,       N,     NOT APPLICABLE,   Y
""")


def test_nested_ae_table_counts_patients_once_per_row_at_their_worst_grade_sorted_within_class():
    got = safety.teae_soc_term(ADAE, AE_ADSL, STUDY)
    order = list(dict.fromkeys(zip(got["row_type"], got["soc"], got["term"])))
    # Skin: 2 patients, Infections: 2 patients (tie: by name); within Skin, Rash (2) before Pruritus (1)
    assert order == [
        ("overall", "", ""),
        ("soc", "Infections", ""),
        ("term", "Infections", "Pneumonia"),
        ("term", "Infections", "Sepsis"),
        ("soc", "Skin", ""),
        ("term", "Skin", "Rash"),
        ("term", "Skin", "Pruritus"),
    ]
    shown = tables.table_teae_soc_term(ard.ard_teae_soc_term(got, POP, "tbl-x"))
    assert len(shown.columns) == 1 + 3 * 2  # three columns per arm, no Total
    s, c = "Sorafenib maintenance (N=4)", "No maintenance (N=2)"
    first = "System organ class / Preferred term"
    rows = shown.set_index(first)
    assert rows.loc[
        "Patients with at least one event", [f"{s}: any grade", f"{s}: grade 3-4", f"{s}: grade 5"]
    ].tolist() == [
        "3 (75.0%)",
        "1 (25.0%)",
        "1 (25.0%)",
    ]
    assert rows.loc["\u2003Rash", [f"{s}: any grade", f"{s}: grade 3-4"]].tolist() == ["2 (50.0%)", "1 (25.0%)"]
    # P6's sepsis is not treatment-emergent, P7 is outside the safety population
    assert rows.loc["\u2003Sepsis", [f"{c}: any grade", f"{c}: grade 3-4", f"{c}: grade 5"]].tolist() == [
        "1 (50.0%)",
        "1 (50.0%)",
        "0 (0.0%)",
    ]
    assert rows.loc["Skin", f"{c}: any grade"] == "0 (0.0%)"


def test_ae_subsets_keep_serious_fatal_and_discontinuation_and_say_not_applicable_without_the_drug():
    fatal = tables.table_teae_soc_term(
        ard.ard_teae_soc_term(safety.teae_soc_term(ADAE, AE_ADSL, STUDY, subset="fatal"), POP, "tbl-x"), by_grade=False
    )
    assert fatal.to_dict("records") == [
        {
            "System organ class / Preferred term": "Patients with at least one event",
            "Sorafenib maintenance (N=4)": "1 (25.0%)",
            "No maintenance (N=2)": "0 (0.0%)",
            "Total (N=6)": "1 (16.7%)",
        },
        {
            "System organ class / Preferred term": "Infections",
            "Sorafenib maintenance (N=4)": "1 (25.0%)",
            "No maintenance (N=2)": "0 (0.0%)",
            "Total (N=6)": "1 (16.7%)",
        },
        {
            "System organ class / Preferred term": "\u2003Pneumonia",
            "Sorafenib maintenance (N=4)": "1 (25.0%)",
            "No maintenance (N=2)": "0 (0.0%)",
            "Total (N=6)": "1 (16.7%)",
        },
    ]
    serious = safety.teae_soc_term(ADAE, AE_ADSL, STUDY, subset="serious")
    assert serious.loc[serious["row_type"].eq("overall"), "n_patients"].tolist() == [1, 1, 2]
    stop = safety.teae_soc_term(ADAE, AE_ADSL, STUDY, subset="discontinuation")
    shown = tables.table_teae_soc_term(ard.ard_teae_soc_term(stop, POP, "tbl-x"), by_grade=False)
    assert shown["No maintenance (N=2)"].tolist() == ["not applicable"] * 3
    assert shown["Sorafenib maintenance (N=4)"].tolist() == ["1 (25.0%)"] * 3
    assert stop.loc[stop["group"].eq(CTRL), "n_patients"].isna().all()


def test_ae_subset_whose_flag_was_not_delivered_says_so_never_zero():
    got = safety.teae_soc_term(ADAE.drop(columns="AESER"), AE_ADSL, STUDY, subset="serious")
    assert set(got["status"]) == {"not delivered"} and got["n_patients"].isna().all()
    shown = tables.table_teae_soc_term(ard.ard_teae_soc_term(got, POP, "tbl-x"), by_grade=False)
    assert shown.iloc[0].tolist() == ["Not delivered: AESER not delivered", *["not delivered"] * 3]
    with pytest.raises(ValueError, match="subset='severe'"):
        safety.teae_soc_term(ADAE, AE_ADSL, STUDY, subset="severe")


def test_common_terms_filter_keeps_the_classes_that_hold_them():
    got = safety.teae_soc_term(ADAE, AE_ADSL, STUDY, min_percent=50)
    # Rash 50% of sorafenib, Pneumonia and Sepsis 50% of control; Pruritus 25% leaves
    assert sorted(set(got.loc[got["row_type"].eq("term"), "term"])) == ["Pneumonia", "Rash", "Sepsis"]


def test_risk_differences_are_comparator_minus_reference_with_newcombe_intervals():
    terms = safety.teae_soc_term(ADAE, AE_ADSL, STUDY)
    rd = safety.teae_risk_differences(terms, STUDY).set_index("term")
    # Rash: 2/4 sorafenib vs 0/2 control
    assert rd.loc[
        "Rash", ["n_comparator", "denominator_comparator", "n_reference", "denominator_reference"]
    ].tolist() == [
        2,
        4,
        0,
        2,
    ]
    assert tuple(rd.loc["Rash", ["risk_difference", "conf_low", "conf_high"]]) == pytest.approx(
        balance.risk_difference(2, 4, 0, 2)
    )
    assert rd.loc["Rash", "risk_difference"] == 0.5
    fig = figures.figure_teae_risk_differences(terms[terms["row_type"] == "term"], rd.reset_index(), STUDY)
    assert len(fig.axes) == 2


def test_treatment_related_events_are_not_applicable_in_an_arm_without_the_drug():
    adae = ADAE.assign(AEREL="NOT RELATED")
    got = safety.teae_overview(adae, AE_ADSL, STUDY)
    related = got[got["category"].eq("Treatment-related TEAE") & got["group"].eq(CTRL)]
    assert not related["applicable"].any() and related["n_patients"].isna().all()


# -- accrual ---------------------------------------------------------------------------------------
def test_accrual_counts_randomisations_per_month_against_the_planned_rate():
    got = cohort.accrual_by_month(ADSL, STUDY)
    assert got["month"].tolist() == ["2021-01", "2021-02", "2021-03", "2021-04"]
    assert got["n_randomised"].tolist() == [2, 0, 2, 1]
    assert got["cum_randomised"].tolist() == [2, 2, 4, 5]
    # first randomisation 15 Jan; month ends 31 Jan (16 days), 28 Feb (44), 31 Mar (75), last 1 Apr (76)
    months = np.array([16, 44, 75, 76]) / (365.25 / 12)
    assert got["months_since_start"].to_numpy() == pytest.approx(months)
    assert got["cum_planned"].to_numpy() == pytest.approx(346 / 36 * months)


def test_accrual_by_site_lists_sites_by_descending_total_with_each_arm():
    got = tables.table_accrual_by_site(ard.ard_accrual_by_site(cohort.accrual_by_site(ADSL, STUDY), POP))
    assert got.to_dict("records") == [
        {
            "Site": "1",
            "Sorafenib maintenance (N=3)": "2 (66.7%)",
            "No maintenance (N=2)": "1 (50.0%)",
            "Total (N=5)": "3 (60.0%)",
        },
        {
            "Site": "2",
            "Sorafenib maintenance (N=3)": "1 (33.3%)",
            "No maintenance (N=2)": "1 (50.0%)",
            "Total (N=5)": "2 (40.0%)",
        },
    ]
    fig = figures.figure_accrual(cohort.accrual_by_month(ADSL, STUDY), cohort.accrual_by_site(ADSL, STUDY), STUDY)
    assert len(fig.axes) == 2


# -- the primary endpoint by population ---------------------------------------------------------
def simulated_trial(n: int = 300, seed: int = 3) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, SORA, CTRL)
    t_rel = rng.exponential(np.where(arm == SORA, 1200, 700))
    t_nrm, t_cen = rng.exponential(2500, n), rng.uniform(200, 1500, n)
    t = np.minimum.reduce([t_rel, t_nrm, t_cen]).round()
    data = pd.DataFrame(
        {
            "USUBJID": [f"P{i:03d}" for i in range(n)],
            "AVAL": t,
            "EVNTCD": np.select([t == t_rel.round(), t == t_nrm.round()], [1, 2], 0),
            "ARM": arm,
            "ACTARM": arm,
            "STRATDS": rng.choice(["CR1", "CR2+"], n),
            "STRATDT": rng.choice(["MSD", "MUD"], n),
            "ITTFL": "Y",
            "PPROTFL": np.where(np.arange(n) % 5 == 0, "N", "Y"),
            "SAFFL": "Y",
        }
    )

    def select(population):
        flag = STUDY.population_flag(population)
        if population == "EMPTY":
            raise ContractError("no patient has EMPTYFL = Y")
        chosen = data[data[flag] == "Y"]
        return SimpleNamespace(endpoint=lambda paramcd: chosen)

    return SimpleNamespace(select=select, data=data)


def test_primary_endpoint_by_population_repeats_the_primary_analysis_in_each_population():
    trial = simulated_trial()
    got = endpoints.primary_by_population(trial, STUDY)
    assert list(dict.fromkeys(got["population"])) == ["ITT", "SAFETY", "PP"]
    assert got.loc[got["population"].eq("SAFETY"), "arm_col"].unique().tolist() == ["ACTARM"]
    itt = got[got["population"].eq("ITT")].set_index("key")
    want = endpoints.relapse_effects(trial.data, STUDY).set_index("key")
    for key in ("gray", "fine_gray", "fine_gray_adjusted"):
        assert itt.loc[key, "p_value"] == pytest.approx(want.loc[key, "p_value"], rel=1e-12)
    assert itt.loc["fine_gray", "n_events"] == int((trial.data["EVNTCD"] == 1).sum())
    pp = got[got["population"].eq("PP")]
    assert pp["n_patients"].iloc[0] == 240
    shown = tables.table_primary_by_population(ard.ard_primary_by_population(got))
    assert list(shown.columns) == [
        "Population",
        "Comparison",
        "Patients",
        "Events",
        "Gray's test P",
        "Unadjusted sHR (95% CI)",
        "Unadjusted P",
        "Adjusted sHR (95% CI)",
        "Adjusted P",
    ]
    fg = itt.loc["fine_gray"]
    assert shown.iloc[0]["Unadjusted sHR (95% CI)"] == tables.fmt_ratio_ci(fg.hr, fg.conf_low, fg.conf_high)
    assert shown["Population"].tolist() == ["Intention to treat", "Safety", "Per protocol"]


def test_table_of_populations_formats_hand_written_results():
    rows = pd.DataFrame(
        [
            {
                "population": "ITT",
                "population_label": "All",
                "comparison": "A vs B",
                "key": "gray",
                "n_patients": 10,
                "n_events": 4,
                "hr": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
                "p_value": 0.0312,
                "note": "",
            },
            {
                "population": "ITT",
                "population_label": "All",
                "comparison": "A vs B",
                "key": "fine_gray",
                "n_patients": 10,
                "n_events": 4,
                "hr": 0.625,
                "conf_low": 0.41,
                "conf_high": 0.944,
                "p_value": 0.0004,
                "note": "",
            },
            {
                "population": "ITT",
                "population_label": "All",
                "comparison": "A vs B",
                "key": "fine_gray_adjusted",
                "n_patients": 9,
                "n_events": 4,
                "hr": 0.7,
                "conf_low": 0.5,
                "conf_high": 0.98,
                "p_value": 0.04,
                "note": "1 patient with a missing STRATDS left out",
            },
        ]
    )
    assert tables.table_primary_by_population(ard.ard_primary_by_population(rows)).to_dict("records") == [
        {
            "Population": "All",
            "Comparison": "A vs B",
            "Patients": "10",
            "Events": "4",
            "Gray's test P": "0.031",
            "Unadjusted sHR (95% CI)": "0.62 (0.41, 0.94)",
            "Unadjusted P": "<0.001",
            "Adjusted sHR (95% CI)": "0.70 (0.50, 0.98)",
            "Adjusted P": "0.040",
            "Note": "1 patient with a missing STRATDS left out",
        }
    ]


# -- forest plot numbers and curves ------------------------------------------------------------------
def test_forest_rows_carry_events_per_arm_the_effect_and_the_interaction_p():
    effects = pd.DataFrame(
        [
            {
                "subgroup": "Overall",
                "level": "Overall",
                "comparator_arm": SORA,
                "reference_arm": CTRL,
                "n_comparator": 50,
                "n_reference": 48,
                "events_comparator": 10,
                "events_reference": 18,
                "hr": 0.5,
                "conf_low": 0.25,
                "conf_high": 0.99,
                "p_interaction": np.nan,
            },
            {
                "subgroup": "SEX",
                "level": "Male",
                "comparator_arm": SORA,
                "reference_arm": CTRL,
                "n_comparator": 30,
                "n_reference": 28,
                "events_comparator": 6,
                "events_reference": 11,
                "hr": 0.45,
                "conf_low": 0.2,
                "conf_high": 1.1,
                "p_interaction": 0.4567,
            },
            {
                "subgroup": "SEX",
                "level": "Female",
                "comparator_arm": SORA,
                "reference_arm": CTRL,
                "n_comparator": 20,
                "n_reference": 20,
                "events_comparator": 4,
                "events_reference": 0,
                "hr": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
                "p_interaction": 0.4567,
            },
        ]
    )
    rows = figures.forest_rows(ard.ard_subgroups(effects, POP), STUDY)
    assert rows[["label", "events_comparator", "events_reference", "effect_text", "p_text"]].values.tolist() == [
        ["Overall", "10/50", "18/48", "0.50 (0.25, 0.99)", ""],
        ["Sex", "", "", "", "0.457"],
        ["    Male", "6/30", "11/28", "0.45 (0.20, 1.10)", ""],
        ["    Female", "4/20", "0/20", "NE", ""],
    ]
    fig = figures.figure_forest(ard.ard_subgroups(effects, POP), STUDY, estimate_label="sHR", effect_label="sHR")
    texts = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"10/50", "18/48", "0.50 (0.25, 0.99)", "0.457", "sHR (95% CI)", "P-interaction"} <= texts


def test_curves_stop_where_fewer_than_the_minimum_remain_at_risk():
    curves = pd.DataFrame(
        {
            "group": ["A"] * 5 + ["B"] * 3,
            "time": [0, 10, 20, 30, 40, 0, 15, 25],
            "n_risk": [14, 12, 10, 9, 3, 12, 11, 4],
            "estimate": [0, 0.1, 0.2, 0.5, 0.8, 0, 0.1, 0.3],
        }
    )
    got = figures.until_at_risk(curves, 10)
    assert got.groupby("group")["time"].max().to_dict() == {"A": 20, "B": 15}
    assert len(figures.until_at_risk(curves, 0)) == len(curves)
    with pytest.raises(ValueError, match="min_at_risk=-1"):
        figures.until_at_risk(curves, -1)
