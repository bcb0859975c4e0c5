"""The synthetic trial: valid, deterministic, round-trips through every format, realistic."""

from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import config, synthetic
from helpers.data import schemas
from helpers.data.contract import read_table, validate
from helpers.study import DEFAULT_STUDY, Endpoint, Variable, load_study
from helpers.synthetic import _arrays

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
        {"n_patients": 1500, "n_sites": 25, "accrual_months": 12, "followup_months": 6, "seed": 4},
    ],
    ids=lambda k: "-".join(f"{a}={b}" for a, b in k.items()),
)
def test_generated_trial_passes_the_contract(kwargs):
    tables = synthetic.generate(**kwargs)
    validate(tables, {t: f"{t}.csv" for t in tables}, load_study())
    assert len(tables["adsl"]) == kwargs["n_patients"]


def test_tables_have_every_contract_column(small):
    for table, df in small.items():
        assert set(schemas.columns(table)) <= set(df.columns), table


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
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in schemas.TABLE_NAMES)
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
        ("REL", "CTRL", 0.23, 0.31),  # assumed 25-30% (data/README.md)
        ("REL", "SORA", 0.13, 0.21),  # cause-specific HR 0.6
        ("NRM", "CTRL", 0.08, 0.12),  # assumed 8-12%
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


# --------------------------------------------------------------------------- study-driven
#: Regression values: SHA-256 of the default study's CSVs (346 patients, seed 20201215) as the
#: single-module generator wrote them before it read the study definition (commit 78fdf48).
#: A change here changes `make data`'s files: it must be deliberate and explained.
DEFAULT_CSV_SHA256 = {
    "adae.csv": "c587ddd00bba3d56b41d03e6845594308b4deaeaeec7576df3a78bb6fe787177",
    "adex.csv": "f9ac8d2e265b7e1b7924c16c0bb26a52ef1831d4e4e90fccd680364203606dae",
    "adsl.csv": "1944ecc4f8b315e685536472217b02b37d155af07d2ad98fde5d9878d2e1f234",
    "adtte.csv": "0b8b41793bd02ba8b3a806e98fae70baf9dc555c40fd2b9a9cd2675094e19360",
    "screen.csv": "58084372b2074ec53c5a08bf2049cb7d920a5f04e0a12ba982374eae35f2165f",
}
THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"


@pytest.fixture(scope="module")
def three_arm_study():
    return load_study(THREE_ARM)


@pytest.fixture(scope="module")
def three_arm(three_arm_study):
    return synthetic.generate(three_arm_study, n_patients=3000, seed=31)


def test_default_study_writes_the_regression_files(tmp_path):
    synthetic.write_trial(synthetic.generate(), tmp_path)
    assert _digests(tmp_path) == DEFAULT_CSV_SHA256


def test_default_study_is_the_default(tmp_path):
    explicit = synthetic.generate(load_study(DEFAULT_STUDY), n_patients=40, seed=11)
    implicit = synthetic.generate(n_patients=40, seed=11)
    for table in implicit:
        pd.testing.assert_frame_equal(explicit[table], implicit[table], check_exact=True)


def test_three_arm_study_has_its_arms_in_its_allocation(three_arm, three_arm_study):
    adsl = three_arm["adsl"]
    arms = {a.code: a.label for a in three_arm_study.arms}
    assert dict(zip(adsl["ARMCD"], adsl["ARM"])) == arms
    # permuted blocks of 2 x (1 + 1 + 1) = 6 within site x STRATDS: each incomplete block leaves
    # an arm at most 2 patients from its share, so the counts are n/3 within 2 per cell
    cells = adsl.groupby(["SITEID", "STRATDS"]).ngroups
    counts = adsl["ARMCD"].value_counts()
    assert set(counts.index) == set(arms)
    assert (abs(counts - len(adsl) / 3) <= 2 * cells).all()
    per_cell = adsl.groupby(["SITEID", "STRATDS"])["ARMCD"].value_counts().unstack(fill_value=0)
    assert (per_cell.max(axis=1) - per_cell.min(axis=1)).max() <= 2


def test_three_arm_study_tables_carry_its_identifiers_and_endpoints(three_arm, three_arm_study):
    sid = three_arm_study.study.id
    for table, df in three_arm.items():
        assert set(df["STUDYID"]) == {sid}, table
    assert three_arm["adsl"]["USUBJID"].str.startswith(sid + "-").all()
    adtte = three_arm["adtte"]
    params = {e.paramcd: e.param for e in three_arm_study.endpoints}
    assert dict(zip(adtte["PARAMCD"], adtte["PARAM"])) == params
    assert list(adtte.groupby("USUBJID", sort=False)["PARAMCD"].apply(tuple).iloc[0]) == list(params)
    assert three_arm["adsl"]["RANDDT"].min() == pd.Timestamp(three_arm_study.synthetic.first_randomisation)
    assert three_arm["adsl"]["SITEID"].nunique() <= three_arm_study.synthetic.n_sites


def test_three_arm_study_doses_only_the_arms_that_receive_the_drug(three_arm, three_arm_study):
    adsl, adex, adae = three_arm["adsl"], three_arm["adex"], three_arm["adae"]
    treated = {a.code for a in three_arm_study.arms if a.treated}
    reference = three_arm_study.reference_arm.code
    assert set(adex["EXTRT"]) == {"EXAMPLINIB"}
    dosed = adex.merge(adsl[["USUBJID", "ARMCD"]], on="USUBJID")["ARMCD"]
    assert set(dosed) == treated
    ref = adsl[adsl["ARMCD"] == reference]
    assert ref["TRTSDT"].isna().all() and (ref["ACTARMCD"] == reference).all()
    # a non-starter of a dosed arm is in the untreated reference arm, outside the safety set
    non_starters = adsl[adsl["ARMCD"].isin(treated) & adsl["TRTSDT"].isna()]
    assert len(non_starters) > 0
    assert (non_starters["ACTARMCD"] == reference).all() and (non_starters["SAFFL"] == "N").all()
    rel = adae[adae["AEREL"] == "RELATED"].merge(adsl[["USUBJID", "ARMCD"]], on="USUBJID")
    assert set(rel["ARMCD"]) <= treated


def test_three_arm_relapse_hazard_ratios_are_recovered(three_arm_study):
    # cause-specific Cox of relapse, adjusted for the covariates of the simulated relapse hazard
    # and stratified by site (the site effect), so the model is the one simulated and the
    # estimates are unbiased: each log HR within 4 standard errors (about 0.14 at 20,000)
    from lifelines import CoxPHFitter

    t = synthetic.generate(three_arm_study, n_patients=20_000, seed=5, tables=("adsl", "adtte"))
    rel = t["adtte"].query("PARAMCD == 'REL'").merge(t["adsl"], on="USUBJID")
    x = pd.get_dummies(
        rel[["ARMCD", "DISSTAT", "DIAG", "CONDINT"]].assign(
            CYTORISK=rel["CYTORISK"].fillna("missing"), MRDPOS=rel["MRDPRE"].eq("Positive")
        ),
        drop_first=False,
        dtype=float,
    )
    x = x.drop(columns=["ARMCD_OBS", "DISSTAT_CR1", "DIAG_AML", "CONDINT_MAC", "CYTORISK_Intermediate"])
    x["time"], x["event"], x["site"] = rel["AVAL"], (rel["EVNTCD"] == 1).astype(int), rel["SITEID"]
    fit = CoxPHFitter().fit(x, "time", "event", strata=["site"])
    for arm, hr in three_arm_study.synthetic.hazard_ratios.items():
        est, se = fit.params_[f"ARMCD_{arm}"], fit.standard_errors_[f"ARMCD_{arm}"]
        assert abs(est - math.log(hr)) < 4 * se, (arm, math.exp(est), hr)


def test_an_efficacy_only_delivery_has_adsl_and_adtte_only(tmp_path, three_arm_study):
    tables = synthetic.generate(three_arm_study, n_patients=60, seed=3, tables=("adsl", "adtte"))
    assert list(tables) == ["adsl", "adtte"]
    synthetic.write_trial(tables, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adsl.csv", "adtte.csv"]


def test_each_table_is_the_same_whichever_others_are_asked_for():
    full = synthetic.generate(n_patients=120, seed=8)
    for subset in (("adsl", "adtte"), ("adsl", "adtte", "adex"), ("adsl", "adtte", "screen")):
        part = synthetic.generate(n_patients=120, seed=8, tables=subset)
        assert list(part) == list(subset)
        for table in subset:
            pd.testing.assert_frame_equal(part[table], full[table], check_exact=True)


def test_three_arm_same_seed_writes_identical_files(tmp_path, three_arm_study):
    for run in ("a", "b"):
        synthetic.write_trial(synthetic.generate(three_arm_study, n_patients=50, seed=4), tmp_path / run)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_three_arm_study_defaults_come_from_its_definition(three_arm_study):
    tables = synthetic.generate(three_arm_study, seed=1)
    assert len(tables["adsl"]) == three_arm_study.design.n_patients
    assert list(tables) == list(three_arm_study.synthetic.tables)
    assert synthetic.default_cutoff(three_arm_study) == pd.Timestamp("2022-03-01") + pd.Timedelta(
        days=round(48 * 365.25 / 12)
    )


def test_unequal_allocation_follows_the_ratio(three_arm_study):
    arms = tuple(a.model_copy(update={"allocation": 2 if a.code == "HIGH" else 1}) for a in three_arm_study.arms)
    study = three_arm_study.model_copy(update={"arms": arms})
    counts = synthetic.generate(study, n_patients=4000, seed=2)["adsl"]["ARMCD"].value_counts()
    # blocks of 8 (HIGH 4, LOW 2, OBS 2) within 6 sites x 3 strata: at most 4 off per cell
    assert abs(counts["HIGH"] - 2000) <= 4 * 18 and abs(counts["OBS"] - 1000) <= 4 * 18


def test_cli_writes_the_tables_of_the_study_asked_for(tmp_path, capsys):
    out = tmp_path / "three"
    argv = ["--study", str(THREE_ARM), "--out", str(out), "--n-patients", "30", "--seed", "5", "--tables", "adsl,adtte"]
    assert synthetic.main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["adsl.csv", "adtte.csv"]
    assert set(pd.read_csv(out / "adsl.csv")["STUDYID"]) == {"EXAMPLE-3ARM"}
    assert "adsl=30" in capsys.readouterr().out


def test_cli_reports_a_setting_the_generator_refuses(tmp_path, capsys):
    argv = ["--study", str(THREE_ARM), "--out", str(tmp_path), "--n-patients", "0"]
    assert synthetic.main(argv) == 2
    assert "n_patients=0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hazard_ratios": {"OBS": 0.5}}, "reference arm OBS"),
        ({"hazard_ratios": {"MID": 0.5}}, r"\['MID'\]: not arm codes"),
        ({"tables": ("adsl", "adae", "forms")}, "expected adsl, adtte"),
    ],
)
def test_generate_rejects_settings_it_cannot_simulate(three_arm_study, change, message):
    with pytest.raises(ValueError, match=message):
        synthetic.generate(three_arm_study, n_patients=10, **change)


def test_an_endpoint_the_generator_cannot_derive_is_an_error(three_arm_study):
    pfs = Endpoint(paramcd="PFS", param="Progression-free survival (days)", label="PFS", kind="survival")
    study = three_arm_study.model_copy(update={"endpoints": (*three_arm_study.endpoints, pfs)})
    with pytest.raises(ValueError, match="endpoint PFS of EXAMPLE-3ARM: the generator cannot derive"):
        synthetic.generate(study, n_patients=10)


def test_safety_tables_need_the_safety_section(three_arm_study):
    study = three_arm_study.model_copy(update={"safety": None})
    with pytest.raises(ValueError, match="no safety section"):
        synthetic.generate(study, n_patients=10)
    assert list(synthetic.generate(study, n_patients=10, tables=("adsl", "adtte"))) == ["adsl", "adtte"]


def test_a_variable_the_generator_does_not_draw_is_an_error(three_arm_study):
    ecog = Variable(name="ECOG", label="ECOG performance status", kind="categorical")
    study = three_arm_study.model_copy(update={"variables": (*three_arm_study.variables, ecog)})
    with pytest.raises(ValueError, match="variable ECOG of EXAMPLE-3ARM: the generator neither"):
        synthetic.generate(study, n_patients=10)


def test_a_derived_variable_is_cut_from_its_source(three_arm_study):
    agegr = Variable(
        name="AGEGR2",
        label="Age group",
        kind="categorical",
        levels={"<50": "Under 50", ">=50": "50 or older"},
        derived_from={"variable": "AGE", "breaks": [50]},
    )
    study = three_arm_study.model_copy(update={"variables": (*three_arm_study.variables, agegr)})
    adsl = synthetic.generate(study, n_patients=200, seed=1)["adsl"]
    assert (adsl["AGEGR2"] == np.where(adsl["AGE"] < 50, "<50", ">=50")).all()
    assert "AGEGR1" not in adsl.columns  # the three-arm study does not define it


@pytest.mark.parametrize("tables", [None, ("adsl", "adtte")], ids=["all-tables", "efficacy-only"])
def test_three_arm_trial_passes_the_contract_of_its_own_study(tables):
    study = load_study(config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml")
    data = synthetic.generate(study, n_patients=300, seed=1, tables=tables)
    findings = validate(data, {t: f"{t}.csv" for t in data}, study)
    # an efficacy-only delivery is valid; the absent optional tables are its only findings
    assert {f.table for f in findings} <= {"adae", "adex", "screen"}
