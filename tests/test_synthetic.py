"""The synthetic trial: valid, deterministic, round-trips through every format, realistic."""

from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import schemas, synthetic
from helpers.synthetic import _arrays
from helpers.contract import read_table, validate

FORMATS = ("csv", "parquet", "xpt")


@pytest.fixture(scope="module")
def small():
    return synthetic.generate(n_patients=80, seed=7)


@pytest.fixture(scope="module")
def large():
    # big enough for proportions to within about +-1.5 percentage points
    return synthetic.generate(n_patients=12_000, seed=2024)


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_patients": 1, "seed": 1},
        {"n_patients": 7, "n_sites": 3, "seed": 2},
        {"n_patients": 60, "seed": 3, "hazard_ratios": {"SORA": 1.0}},
        {"n_patients": 346},
        {"n_patients": 1500, "n_sites": 25, "accrual_months": 12, "followup_months": 6,
         "seed": 4},
    ],
    ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()),
)
def test_generated_trial_passes_the_contract(kwargs):
    tables = synthetic.generate(**kwargs)
    validate(tables, {t: f"{t}.csv" for t in tables})
    assert len(tables["adsl"]) == kwargs["n_patients"]


def test_tables_have_contract_columns_in_contract_order(small):
    for table, df in small.items():
        assert list(df.columns) == schemas.columns(table)


def test_rows_are_sorted_by_key(small):
    assert small["adsl"]["USUBJID"].is_monotonic_increasing
    assert small["adtte"]["USUBJID"].is_monotonic_increasing
    assert small["adae"][["USUBJID", "AESEQ"]].apply(tuple, axis=1).is_monotonic_increasing
    assert small["screen"]["SCRNID"].is_monotonic_increasing


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_writes_byte_identical_files(tmp_path, fmt):
    for run in ("a", "b"):
        synthetic.write_trial(synthetic.generate(n_patients=40, seed=11), tmp_path / run, fmt)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_different_seeds_write_different_files(tmp_path):
    synthetic.write_trial(synthetic.generate(n_patients=40, seed=11), tmp_path / "a")
    synthetic.write_trial(synthetic.generate(n_patients=40, seed=12), tmp_path / "b")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert all(a[name] != b[name] for name in a)


@pytest.mark.parametrize("fmt", FORMATS)
def test_written_tables_read_back_equal_to_the_generated_frames(tmp_path, small, fmt):
    paths = synthetic.write_trial(small, tmp_path, fmt)
    for table, df in small.items():
        pd.testing.assert_frame_equal(read_table(paths[table]), df, check_exact=True)


def test_writing_another_format_replaces_the_previous_files(tmp_path, small):
    synthetic.write_trial(small, tmp_path, "csv")
    synthetic.write_trial(small, tmp_path, "parquet")
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".parquet"] * 5


def test_cli_writes_the_five_tables(tmp_path, capsys):
    out = tmp_path / "syn"
    argv = ["--out", str(out), "--n-patients", "30", "--seed", "5", "--format", "parquet"]
    assert synthetic.main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{t}.parquet" for t in schemas.TABLE_NAMES)
    assert "adsl=30" in capsys.readouterr().out


def test_first_randomisation_is_on_the_fixed_study_calendar(small):
    assert small["adsl"]["RANDDT"].min() == pd.Timestamp("2021-01-15")


def test_randomisation_is_balanced_within_every_block_stratum(large):
    adsl = large["adsl"]
    strata = adsl.groupby(["SITEID", "STRATDS", "STRATDT"])["ARMCD"]
    imbalance = strata.apply(lambda s: abs((s == "SORA").sum() - (s == "CTRL").sum()))
    # permuted blocks of 4: at most one incomplete block per stratum
    assert imbalance.max() <= 2


def test_randomisation_is_day_30_to_60_after_transplant(small):
    gap = (small["adsl"]["RANDDT"] - small["adsl"]["TRANSDT"]).dt.days
    assert gap.between(30, 60).all()


def _incidence(tables, paramcd, armcd, days=730):
    """Share with the event of interest by ``days``: every patient has >= 24 months of
    potential follow-up, so only the few dropouts make this an underestimate."""
    te = tables["adtte"].merge(tables["adsl"][["USUBJID", "ARMCD"]], on="USUBJID")
    x = te[(te["PARAMCD"] == paramcd) & (te["ARMCD"] == armcd)]
    return float(((x["EVNTCD"] == 1) & (x["AVAL"] <= days)).mean())


@pytest.mark.parametrize(
    ("paramcd", "armcd", "low", "high"),
    [
        ("REL", "CTRL", 0.23, 0.31),   # assumed 25-30% (data/README.md)
        ("REL", "SORA", 0.13, 0.21),   # cause-specific HR 0.6
        ("NRM", "CTRL", 0.08, 0.12),   # assumed 8-12%
        ("NRM", "SORA", 0.08, 0.12),
        ("AGVHD", "CTRL", 0.20, 0.30),  # assumed 20-30%
        ("CGVHD", "CTRL", 0.28, 0.40),  # assumed 30-40%
    ],
)
def test_two_year_incidences_match_the_documented_assumptions(large, paramcd, armcd, low, high):
    assert low <= _incidence(large, paramcd, armcd) <= high


def test_most_relapses_happen_in_the_first_year(large):
    assert _incidence(large, "REL", "CTRL", 365) > 0.6 * _incidence(large, "REL", "CTRL", 730)


def test_overall_survival_reflects_relapse_and_post_relapse_deaths(large):
    dead_ctrl = _incidence(large, "OS", "CTRL")
    dead_sora = _incidence(large, "OS", "SORA")
    assert dead_sora < dead_ctrl
    assert 0.22 <= dead_ctrl <= 0.36  # Xuan 2020 control 2-year OS 68%


def test_sorafenib_toxicities_are_far_more_frequent_on_sorafenib(large):
    adsl, adae = large["adsl"], large["adae"]
    ae = adae.merge(adsl[["USUBJID", "ARMCD"]], on="USUBJID")
    hfsr = ae[ae["AEDECOD"] == "Palmar-plantar erythrodysaesthesia syndrome"]
    rate = hfsr.groupby("ARMCD")["USUBJID"].nunique() / adsl.groupby("ARMCD").size()
    assert rate["SORA"] > 5 * rate["CTRL"]
    cmv = ae[ae["AEDECOD"] == "Cytomegalovirus infection reactivation"]
    rate = cmv.groupby("ARMCD")["USUBJID"].nunique() / adsl.groupby("ARMCD").size()
    assert rate["SORA"] == pytest.approx(rate["CTRL"], abs=0.05)


def test_every_interruption_in_adex_has_an_ae_with_drug_interrupted(small):
    ex, ae = small["adex"], small["adae"]
    stops = ex.loc[ex["EXADJ"] == "DRUG INTERRUPTED", ["USUBJID", "ASTDT"]]
    acts = ae.loc[ae["AEACN"] == "DRUG INTERRUPTED", ["USUBJID", "ASTDT"]]
    merged = stops.merge(acts.drop_duplicates(), how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(stops) > 0


def test_exposure_starts_at_800_mg_per_day_and_only_steps_down(small):
    ex = small["adex"]
    assert (ex.groupby("USUBJID")["EXDOSE"].first() == 800).all()
    dosing = ex[ex["EXDOSE"] > 0]
    assert (dosing.groupby("USUBJID")["EXDOSE"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_screening_log_has_a_fifth_screen_failures_with_reasons(large):
    sc = large["screen"]
    assert 0.18 <= (sc["RANDFL"] == "N").mean() <= 0.26
    assert sc.loc[sc["RANDFL"] == "N", "EXCLREAS"].notna().all()


def test_crf_missing_values_occur_where_real_crfs_have_them(large):
    adsl = large["adsl"]
    assert 0.02 <= adsl["CYTORISK"].isna().mean() <= 0.06
    assert 0.01 <= adsl["MRDPRE"].isna().mean() <= 0.05
    assert adsl["AGE"].notna().all()


def test_design_events_follow_schoenfeld_for_hr_0_6():
    # hand calculation: 4 (1.959964 + 0.841621)^2 / log(0.6)^2 = 120.3 -> 121
    assert synthetic.DESIGN["events_fixed_design"] == 121
    assert synthetic.DESIGN["events_interim"] == math.ceil(synthetic.DESIGN["events_target"] / 2)


def test_design_boundaries_are_the_lan_demets_obrien_fleming_values():
    # gsDesign sfLDOF, k = 2, timing 0.5, one-sided alpha 0.025 (literature value):
    # upper bounds 2.963 and 1.969
    np.testing.assert_allclose(
        [synthetic.DESIGN["z_boundary_interim"], synthetic.DESIGN["z_boundary_final"]],
        [2.963, 1.969], atol=1e-3)


def test_generate_rejects_a_non_positive_number_of_patients():
    with pytest.raises(ValueError, match="n_patients=0"):
        synthetic.generate(n_patients=0)


def _dirty_heap(size):
    """Free float arrays of huge values so that the next np.empty of ``size`` reuses them."""
    junk = [np.full(size, 1e308) for _ in range(4)]
    del junk


def test_missing_dates_are_built_without_overflow_warnings():
    # pd.to_timedelta(float days with NaN) rounds uninitialised memory in the NaN slots
    # (pandas 2.3.3); with huge values left on the heap it warns "overflow encountered in
    # multiply", so the warning depended on what ran before
    days = np.r_[np.full(99, np.nan), 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(5):
            _dirty_heap(len(days))
            got = _arrays.dates(days, pd.Timestamp("2021-01-15"))
    assert got.isna().sum() == 99
    assert got.iloc[-1] == pd.Timestamp("2021-01-18")
    assert str(got.dtype) == "datetime64[ns]"


def test_generate_and_read_back_raise_no_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tables = synthetic.generate(n_patients=400, seed=3)
        for fmt in FORMATS:
            paths = synthetic.write_trial(tables, tmp_path / fmt, fmt)
            read_table(paths["adsl"])
