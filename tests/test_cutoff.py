"""The data cutoff: nothing after the cutoff survives; follow-up is censored at the cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import synthetic
from helpers.data.contract import validate
from helpers.data.cutoff import apply_cutoff
from helpers.study import load_study

# generated once: hypothesis re-runs the test body many times and must not regenerate
TRIALS = [synthetic.generate(n_patients=50, seed=s, accrual_months=18, followup_months=12) for s in (1, 2)]
FIRST = pd.Timestamp("2021-01-15")
LAST = max(t["adsl"]["LSTALVDT"].max() for t in TRIALS)
SPAN = (LAST - FIRST).days + 60

trials = st.sampled_from(range(len(TRIALS)))
cutoffs = st.integers(min_value=0, max_value=SPAN).map(lambda d: FIRST + pd.Timedelta(days=d))
cutoff_settings = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def _copy(tables):
    return {k: v.copy(deep=True) for k, v in tables.items()}


@cutoff_settings
@given(k=trials, cut=cutoffs)
def test_no_event_or_follow_up_after_the_cutoff_survives(k, cut):
    out = apply_cutoff(TRIALS[k], cut)
    te = out["adtte"]
    assert (te["ADT"] <= cut).all()
    assert (te["AVAL"] <= (cut - te["STARTDT"]).dt.days).all()
    assert (te["AVAL"] == (te["ADT"] - te["STARTDT"]).dt.days).all()
    adsl = out["adsl"]
    assert (adsl["RANDDT"] <= cut).all()
    for col in ("LSTALVDT", "DTHDT", "RELDT", "EOSDT", "TRTSDT", "TRTEDT"):
        assert (adsl[col].dropna() <= cut).all(), col
    assert ((adsl["DTHFL"] == "Y") == adsl["DTHDT"].notna()).all()
    assert (out["adae"]["ASTDT"] <= cut).all()
    assert (out["adae"]["AENDT"].dropna() <= cut).all()
    assert (out["adex"]["AENDT"] <= cut).all()
    assert (out["screen"]["SCRNDT"] <= cut).all()


@cutoff_settings
@given(k=trials, cut=cutoffs)
def test_applying_the_cutoff_twice_equals_applying_it_once(k, cut):
    once = apply_cutoff(TRIALS[k], cut)
    twice = apply_cutoff(once, cut)
    for name in once:
        pd.testing.assert_frame_equal(twice[name], once[name])


@cutoff_settings
@given(k=trials, cut=cutoffs)
def test_events_before_the_cutoff_are_kept_unchanged(k, cut):
    tables = TRIALS[k]
    keys = ["USUBJID", "PARAMCD"]
    before = tables["adtte"][tables["adtte"]["ADT"] <= cut].sort_values(keys)
    after = apply_cutoff(tables, cut)["adtte"].merge(before[keys], on=keys).sort_values(keys)
    pd.testing.assert_frame_equal(after.reset_index(drop=True), before.reset_index(drop=True))


@cutoff_settings
@given(k=trials, cut=cutoffs)
def test_cutoff_never_modifies_its_input(k, cut):
    tables = TRIALS[k]
    before = _copy(tables)
    apply_cutoff(tables, cut)
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], before[name])


@pytest.mark.parametrize("days", [0, 45, 200, 400, 700])
def test_cut_data_still_pass_the_contract(days):
    out = apply_cutoff(TRIALS[0], FIRST + pd.Timedelta(days=days))
    validate(out, {k: f"{k}.csv" for k in out}, load_study())


def test_cutoff_after_all_data_changes_nothing():
    out = apply_cutoff(TRIALS[0], LAST + pd.Timedelta(days=1))
    for name, df in TRIALS[0].items():
        pd.testing.assert_frame_equal(out[name], df)


def test_cutoff_before_the_first_randomisation_is_rejected():
    with pytest.raises(ValueError, match="cutoff=2020-12-31 precedes the first randomisation"):
        apply_cutoff(TRIALS[0], "2020-12-31")


def test_cutoff_with_a_time_of_day_is_rejected():
    with pytest.raises(ValueError, match="has a time of day"):
        apply_cutoff(TRIALS[0], "2022-01-01 12:00")


# ----------------------------------------------------------------- literal small cases
def _adsl(rows):
    cols = [
        "USUBJID",
        "ARMCD",
        "ACTARMCD",
        "ACTARM",
        "SAFFL",
        "RANDDT",
        "TRTSDT",
        "TRTEDT",
        "EOTSTT",
        "DCTREAS",
        "EOSSTT",
        "EOSDT",
        "DCSREAS",
        "RELDT",
        "DTHFL",
        "DTHDT",
        "DTHCAUS",
        "LSTALVDT",
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols:
        if c.endswith("DT"):
            df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    return df


def _tables(adsl, adtte_rows):
    te = pd.DataFrame(
        adtte_rows, columns=["USUBJID", "PARAMCD", "STARTDT", "ADT", "AVAL", "CNSR", "EVNTCD", "EVNTDESC", "CNSDTDSC"]
    )
    for c in ("STARTDT", "ADT"):
        te[c] = pd.to_datetime(te[c]).astype("datetime64[ns]")
    empty_dates = {"ASTDT": pd.Series(dtype="datetime64[ns]"), "AENDT": pd.Series(dtype="datetime64[ns]")}
    return {
        "adsl": adsl,
        "adtte": te,
        "adae": pd.DataFrame({"USUBJID": pd.Series(dtype=object), **empty_dates}),
        "adex": pd.DataFrame({"USUBJID": pd.Series(dtype=object), **empty_dates, "EXDURD": pd.Series(dtype="int64")}),
        "screen": pd.DataFrame(
            {"USUBJID": ["A", "B", "C"], "SCRNDT": pd.to_datetime(["2021-01-10", "2021-01-20", "2021-06-25"])}
        ),
    }


NA = np.nan
# patient A relapses 2021-06-01 and dies 2021-09-01; B is alive, followed to 2022-01-15;
# C is randomised after the cutoff 2021-07-01
ADSL = _adsl(
    [
        [
            "A",
            "CTRL",
            "CTRL",
            "No maintenance",
            "Y",
            "2021-01-15",
            NA,
            NA,
            NA,
            NA,
            "DISCONTINUED",
            "2021-09-01",
            "DEATH",
            "2021-06-01",
            "Y",
            "2021-09-01",
            "RELAPSE",
            "2021-09-01",
        ],
        [
            "B",
            "SORA",
            "SORA",
            "Sorafenib maintenance",
            "Y",
            "2021-02-01",
            "2021-02-03",
            "2021-08-01",
            "COMPLETED",
            NA,
            "COMPLETED",
            "2022-01-15",
            NA,
            NA,
            "N",
            NA,
            NA,
            "2022-01-15",
        ],
        [
            "C",
            "SORA",
            "SORA",
            "Sorafenib maintenance",
            "Y",
            "2021-07-02",
            "2021-07-03",
            "2021-12-01",
            "COMPLETED",
            NA,
            "COMPLETED",
            "2022-01-15",
            NA,
            NA,
            "N",
            NA,
            NA,
            "2022-01-15",
        ],
    ]
)
ADTTE = [
    ["A", "REL", "2021-01-15", "2021-06-01", 137, 0, 1, "Relapse", NA],
    ["A", "OS", "2021-01-15", "2021-09-01", 229, 0, 1, "Death", NA],
    ["B", "OS", "2021-02-01", "2022-01-15", 348, 1, 0, "Censored", "DATA CUTOFF"],
    ["C", "OS", "2021-07-02", "2022-01-15", 197, 1, 0, "Censored", "DATA CUTOFF"],
]


def test_cutoff_censors_follow_up_at_the_cutoff_date():
    out = apply_cutoff(_tables(ADSL, ADTTE), "2021-07-01")
    expected = pd.DataFrame(
        [
            ["A", "REL", "2021-01-15", "2021-06-01", 137, 0, 1, "Relapse", NA],
            ["A", "OS", "2021-01-15", "2021-07-01", 167, 1, 0, "Censored", "DATA CUTOFF"],
            ["B", "OS", "2021-02-01", "2021-07-01", 150, 1, 0, "Censored", "DATA CUTOFF"],
        ],
        columns=out["adtte"].columns,
    )
    for c in ("STARTDT", "ADT"):
        expected[c] = pd.to_datetime(expected[c]).astype("datetime64[ns]")
    pd.testing.assert_frame_equal(out["adtte"], expected, check_dtype=False)


def test_cutoff_undoes_death_end_of_study_and_treatment_after_it():
    adsl = apply_cutoff(_tables(ADSL, ADTTE), "2021-07-01")["adsl"]
    assert list(adsl["USUBJID"]) == ["A", "B"]
    a, b = adsl.iloc[0], adsl.iloc[1]
    assert (a["DTHFL"], a["EOSSTT"], a["RELDT"]) == ("N", "ONGOING", pd.Timestamp("2021-06-01"))
    assert pd.isna(a["DTHDT"]) and pd.isna(a["DTHCAUS"]) and pd.isna(a["DCSREAS"])
    assert a["LSTALVDT"] == pd.Timestamp("2021-07-01")
    assert (b["EOTSTT"], b["TRTEDT"]) == ("ONGOING", pd.Timestamp("2021-07-01"))
    assert pd.isna(b["EOSDT"])


def test_cutoff_drops_screening_of_patients_randomised_after_it():
    screen = apply_cutoff(_tables(ADSL, ADTTE), "2021-07-01")["screen"]
    assert list(screen["USUBJID"]) == ["A", "B"]


# ----------------------------------------------------------------- first dose after the cutoff
def _late_start_cut(tables):
    """The day before the first dose of the first patient who started sorafenib after
    randomisation, and that patient."""
    a = tables["adsl"]
    late = a[a["TRTSDT"].notna() & (a["TRTSDT"] > a["RANDDT"])].sort_values("RANDDT")
    row = late.iloc[len(late) // 2]
    return row["TRTSDT"] - pd.Timedelta(days=1), row["USUBJID"]


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_cut_between_randomisation_and_first_dose_still_passes_the_contract(seed):
    tables = synthetic.generate(n_patients=400, seed=seed)
    cut, patient = _late_start_cut(tables)
    out = apply_cutoff(tables, cut)
    validate(out, {k: f"{k}.csv" for k in out}, load_study())
    row = out["adsl"].set_index("USUBJID").loc[patient]
    assert pd.isna(row["TRTSDT"])
    assert (row["ACTARMCD"], row["ACTARM"], row["SAFFL"], row["PPROTFL"]) == (
        "CTRL",
        load_study().reference_arm.label,
        "N",
        "N",
    )


def test_first_dose_after_the_cutoff_recounts_ae_study_days_from_randomisation():
    adsl = _adsl(
        [
            [
                "B",
                "SORA",
                "SORA",
                "Sorafenib maintenance",
                "Y",
                "2021-02-01",
                "2021-02-05",
                "2021-08-01",
                "COMPLETED",
                NA,
                "COMPLETED",
                "2022-01-15",
                NA,
                NA,
                "N",
                NA,
                NA,
                "2022-01-15",
            ]
        ]
    )
    adsl["PPROTFL"] = "Y"
    tables = _tables(adsl, [])
    tables["adae"] = pd.DataFrame(
        {
            "USUBJID": ["B", "B"],
            "AETOXGR": [2, 1],
            "ASTDT": pd.to_datetime(["2021-02-01", "2021-02-10"]).astype("datetime64[ns]"),
            "AENDT": pd.to_datetime(["2021-02-03", "2021-02-12"]).astype("datetime64[ns]"),
            "ASTDY": [-4, 6],
            "TRTEMFL": ["N", "Y"],
        }
    )
    out = apply_cutoff(tables, "2021-02-03")
    # onset on the day of randomisation is day 1 (ADaM: no day 0)
    assert out["adae"][["ASTDY", "TRTEMFL"]].values.tolist() == [[1, "N"]]
    b = out["adsl"].iloc[0]
    assert (b["SAFFL"], b["PPROTFL"], b["ACTARM"]) == ("N", "N", "No maintenance")


def test_fatal_ae_of_a_death_after_the_cutoff_is_kept_ongoing_at_grade_4():
    tables = _tables(ADSL, ADTTE)
    tables["adae"] = pd.DataFrame(
        {
            "USUBJID": ["A", "B"],
            "AETOXGR": [5, 3],
            "ASTDT": pd.to_datetime(["2021-06-28", "2021-03-01"]).astype("datetime64[ns]"),
            "AENDT": pd.to_datetime(["2021-09-01", "2021-03-05"]).astype("datetime64[ns]"),
        }
    )
    ae = apply_cutoff(tables, "2021-07-01")["adae"]
    assert ae["AETOXGR"].tolist() == [4, 3]
    assert pd.isna(ae.loc[0, "AENDT"])
    # after the death the grade 5 stands
    assert apply_cutoff(tables, "2021-09-01")["adae"]["AETOXGR"].tolist() == [5, 3]


def test_fatal_ae_withdrawal_after_the_cutoff_is_no_dose_change_while_treatment_runs():
    # B takes sorafenib 2021-02-03 to 2021-07-10 and dies 2021-07-11 of an AE that began
    # 2021-07-05 on drug (withdrawn at death); at the 2021-07-07 cutoff B is on treatment
    adsl = _adsl(
        [
            [
                "B",
                "SORA",
                "SORA",
                "Sorafenib maintenance",
                "Y",
                "2021-02-01",
                "2021-02-03",
                "2021-07-10",
                "DISCONTINUED",
                "DEATH",
                "DISCONTINUED",
                "2021-07-11",
                "DEATH",
                NA,
                "Y",
                "2021-07-11",
                "INFECTION",
                "2021-07-11",
            ]
        ]
    )
    tables = _tables(adsl, [])
    tables["adae"] = pd.DataFrame(
        {
            "USUBJID": ["B"],
            "AETOXGR": [5],
            "AEACN": ["DRUG WITHDRAWN"],
            "ASTDT": pd.to_datetime(["2021-07-05"]).astype("datetime64[ns]"),
            "AENDT": pd.to_datetime(["2021-07-11"]).astype("datetime64[ns]"),
        }
    )
    out = apply_cutoff(tables, "2021-07-07")
    assert out["adsl"].loc[0, "EOTSTT"] == "ONGOING"
    assert out["adae"][["AETOXGR", "AEACN"]].values.tolist() == [[4, "DOSE NOT CHANGED"]]
    # after the death the withdrawal stands
    after = apply_cutoff(tables, "2021-07-11")["adae"]
    assert after[["AETOXGR", "AEACN"]].values.tolist() == [[5, "DRUG WITHDRAWN"]]


@cutoff_settings
@given(k=trials, cut=cutoffs)
def test_no_drug_withdrawn_ae_for_a_patient_on_treatment_at_the_cutoff(k, cut):
    out = apply_cutoff(TRIALS[k], cut)
    a, ae = out["adsl"], out["adae"]
    ongoing = set(a.loc[a["EOTSTT"] == "ONGOING", "USUBJID"])
    assert not (ae["USUBJID"].isin(ongoing) & (ae["AEACN"] == "DRUG WITHDRAWN")).any()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_grade_5_ae_survives_for_a_patient_alive_at_the_cutoff(seed):
    tables = synthetic.generate(n_patients=400, seed=seed)
    a, ae = tables["adsl"], tables["adae"]
    fatal = ae[ae["AETOXGR"] == 5].merge(a[["USUBJID", "DTHDT"]], on="USUBJID")
    assert len(fatal), "the synthetic data lack a fatal AE"
    cut = fatal["DTHDT"].iloc[0] - pd.Timedelta(days=1)
    out = apply_cutoff(tables, cut)
    alive = set(out["adsl"].loc[out["adsl"]["DTHFL"] == "N", "USUBJID"])
    assert not (out["adae"]["USUBJID"].isin(alive) & (out["adae"]["AETOXGR"] == 5)).any()
    validate(out, {k: f"{k}.csv" for k in out}, load_study())
