"""The trial validated once per run: saved by the validation step, read back by every notebook
equal to a freshly loaded one, and never used once it no longer matches the parameters or the
input files."""

from __future__ import annotations

import json
import math
import shutil

import pandas as pd
import pytest

from helpers import config, synthetic
from helpers.data.contract import load_trial, main
from helpers.data.saved import TrialNotSaved, load_saved_trial, save_trial, saved_trial_info
from helpers.run import notebook
from helpers.study import DEFAULT_STUDY, load_study

N, SEED = 60, 11
STUDY = load_study(DEFAULT_STUDY)
CUTOFF = "2023-06-30"


@pytest.fixture(scope="module")
def tables():
    return synthetic.generate(n_patients=N, seed=SEED)


@pytest.fixture(scope="module", params=["csv", "parquet", "xpt"])
def delivery(request, tmp_path_factory, tables):
    """The synthetic trial in each input format, with findings: covariates missing (text
    columns with missing values) and an age outside the eligibility range."""
    out = tmp_path_factory.mktemp(request.param)
    edited = {t: df.copy() for t, df in tables.items()}
    adsl = edited["adsl"]
    adsl.loc[[0, 1], "DONORTYP"] = math.nan
    adsl.loc[3, ["AGE", "AGEGR1"]] = [66, "40-65"]
    synthetic.write_trial(edited, out, request.param)
    return out


@pytest.fixture
def data(tmp_path, delivery):
    """A private copy of a delivery, to edit."""
    shutil.copytree(delivery, tmp_path / "data")
    return tmp_path / "data"


def assert_same_trial(saved, fresh):
    assert sorted(saved.tables) == sorted(fresh.tables)
    for name, frame in fresh.tables.items():
        back = saved.tables[name]
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
        for column in frame.select_dtypes(object).columns:  # NaN stays NaN, None stays None
            assert [type(v) for v in back[column][back[column].isna()]] == [
                type(v) for v in frame[column][frame[column].isna()]
            ], (name, column)
    assert saved.files == fresh.files
    assert saved.findings == fresh.findings
    assert saved.cutoff == fresh.cutoff
    assert saved.population == fresh.population
    assert saved.study is fresh.study


@pytest.mark.parametrize("cutoff", [None, CUTOFF])
def test_a_saved_trial_reads_back_equal_to_the_one_loaded(data, tmp_path, cutoff):
    fresh = load_trial(data, study=STUDY, cutoff=cutoff, population=None)
    assert fresh.findings  # the missing covariates and the age are findings
    fresh.save(tmp_path / "saved", key="the key")
    info = saved_trial_info(tmp_path / "saved")
    assert info["key"] == "the key" and info["study"]["path"] == str(STUDY.source)
    assert_same_trial(load_saved_trial(tmp_path / "saved", study=STUDY), fresh)
    # the populations selected from it are the same as well
    for population in STUDY.populations:
        pd.testing.assert_frame_equal(
            load_saved_trial(tmp_path / "saved", study=STUDY).select(population).adtte,
            fresh.select(population).adtte,
        )


def test_saving_replaces_an_earlier_trial_and_leaves_the_inputs_alone(data, tmp_path):
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    load_trial(data, study=STUDY, cutoff=CUTOFF, population=None).save(tmp_path / "saved", key="old")
    fresh = load_trial(data, study=STUDY, population=None)
    save_trial(fresh, tmp_path / "saved", key="new")
    assert saved_trial_info(tmp_path / "saved")["key"] == "new"
    assert_same_trial(load_saved_trial(tmp_path / "saved", study=STUDY), fresh)
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folder left


def test_a_table_with_both_missing_markers_is_not_saved_and_nothing_is_left(data, tmp_path):
    trial = load_trial(data, study=STUDY, population=None)
    trial.adsl["DONORTYP"] = trial.adsl["DONORTYP"].astype(object)
    trial.adsl.loc[2, "DONORTYP"] = None  # beside the NaN of patients 0 and 1
    with pytest.raises(TrialNotSaved, match="DONORTYP"):
        trial.save(tmp_path / "saved")
    assert list(tmp_path.iterdir()) == [data]


def test_the_validator_saves_every_randomised_patient_and_removes_the_trial_when_validation_fails(data, tmp_path):
    saved = tmp_path / "saved"
    args = ["validate", str(data), "--study", str(DEFAULT_STUDY), "--population", "PP", "--save", str(saved)]
    assert main([*args, "--key", "k1"]) == 0
    assert saved_trial_info(saved)["population"] is None and saved_trial_info(saved)["key"] == "k1"
    assert_same_trial(load_saved_trial(saved, study=STUDY), load_trial(data, study=STUDY, population=None))
    adsl = next(data.glob("adsl.*"))
    table = load_trial(data, study=STUDY, population=None).adsl
    table.loc[1, "USUBJID"] = table.loc[0, "USUBJID"]  # a duplicate patient: an error
    synthetic.write_trial({"adsl": table}, data, adsl.suffix[1:])
    assert main([*args, "--key", "k2"]) == 2
    assert not saved.exists()


# --------------------------------------------------------------------------- the notebooks' use of it
def validated_run(data, out_dir, cutoff=""):
    """What the pipeline's validation step leaves in ``out_dir/.make``: the saved trial and the
    stamp of the same key."""
    state = out_dir / config.MAKE_STATE_DIR
    args = ["validate", str(data), "--study", str(DEFAULT_STUDY), "--save", str(state / config.SAVED_TRIAL_DIR)]
    assert main([*args, "--key", "digest", *(["--cutoff", cutoff] if cutoff else [])]) == 0
    (state / config.VALIDATED_STAMP).write_text("digest\n")
    return state


def setup(data, out_dir, cutoff="", study=str(DEFAULT_STUDY), name="01_cohort", **options):
    return notebook.setup(
        name, study=study, data_dir=str(data), cutoff=cutoff, population="ITT", out_dir=str(out_dir), seed=1, **options
    )


@pytest.mark.parametrize("cutoff", ["", CUTOFF])
def test_a_notebook_uses_the_trial_its_run_validated_and_gets_the_same_data(data, tmp_path, cutoff):
    validated_run(data, tmp_path / "out", cutoff)
    run = setup(data, tmp_path / "out", cutoff)
    assert run.trial_source == "saved"
    fresh = load_trial(data, study=STUDY, cutoff=cutoff or None, population=None)
    assert_same_trial(run.all_randomised, fresh)
    pd.testing.assert_frame_equal(run.trial.adsl, fresh.select("ITT").adsl)
    pd.testing.assert_frame_equal(run.safety.adae, fresh.select("SAFETY").adae)


def test_without_a_validated_run_a_notebook_reads_the_data_itself(data, tmp_path):
    run = setup(data, tmp_path / "interactive")
    assert run.trial_source == "read"
    assert_same_trial(run.all_randomised, load_trial(data, study=STUDY, population=None))


def _change_first_age(data):
    """Other content in ADSL (a valid one): the first patient's age, as a new delivery might."""
    adsl = next(data.glob("adsl.*"))
    table = load_trial(data, study=STUDY, population=None).adsl
    table.loc[0, ["AGE", "AGEGR1"]] = [19, "18-39"]
    synthetic.write_trial({"adsl": table}, data, adsl.suffix[1:])
    return table


def test_a_changed_input_file_is_never_read_from_a_stale_saved_trial(data, tmp_path):
    validated_run(data, tmp_path / "out")
    table = _change_first_age(data)  # after validation, without make
    run = setup(data, tmp_path / "out")
    assert run.trial_source == "read"
    assert run.all_randomised.adsl.loc[0, "AGE"] == 19
    pd.testing.assert_frame_equal(run.all_randomised.adsl, table)


@pytest.mark.parametrize(
    "change",
    [
        "another cutoff",
        "another validation",
        "no stamp",
        "another data folder",
        "a table added",
        "another study",
        "study edited",
    ],
)
def test_a_saved_trial_that_does_not_match_the_parameters_is_not_used(data, tmp_path, change):
    state = validated_run(data, tmp_path / "out")
    study, cutoff, folder = str(DEFAULT_STUDY), "", data
    if change == "another cutoff":
        cutoff = CUTOFF
    elif change == "another validation":
        (state / config.VALIDATED_STAMP).write_text("other digest\n")
    elif change == "no stamp":
        (state / config.VALIDATED_STAMP).unlink()
    elif change == "another data folder":
        folder = tmp_path / "copy"
        shutil.copytree(data, folder)
    elif change == "a table added":  # saved from a delivery without ADAE
        info_file = state / config.SAVED_TRIAL_DIR / "trial.json"
        info = json.loads(info_file.read_text())
        del info["files"]["adae"]
        info_file.write_text(json.dumps(info))
    elif change == "another study":
        study = str(tmp_path / "study.yaml")
        shutil.copy(DEFAULT_STUDY, study)
    elif change == "study edited":
        shutil.copy(DEFAULT_STUDY, tmp_path / "study.yaml")
        study = str(tmp_path / "study.yaml")
        validated_run_with = ["validate", str(data), "--study", study, "--save", str(state / config.SAVED_TRIAL_DIR)]
        assert main([*validated_run_with, "--key", "digest"]) == 0
        with open(study, "a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
    run = setup(folder, tmp_path / "out", cutoff, study)
    assert run.trial_source == "read"


# --------------------------------------------------------------------------- end to end, with make
def _flip_first_sex(adsl: pd.DataFrame) -> pd.DataFrame:
    adsl = adsl.copy()
    adsl.loc[0, "SEX"] = {"M": "F", "F": "M"}[adsl.loc[0, "SEX"]]
    return adsl


@pytest.mark.e2e
@pytest.mark.xdist_group("make")
def test_make_validates_once_the_notebooks_read_that_trial_and_see_new_data(tmp_path):
    """Run 01_cohort through make on a small trial: the notebook reads the trial validation
    saved (a change made to the saved trial shows in its table); a changed input file is read
    again, by hand or through make, and never taken from the saved trial."""
    from makeutil import make

    from helpers.run import pipeline

    data, out = tmp_path / "data", tmp_path / "out"
    synthetic.write_trial(synthetic.generate(n_patients=N, seed=SEED), data, "csv")
    state, target = out / config.MAKE_STATE_DIR, f"{out}/01_cohort.ipynb"
    saved = state / config.SAVED_TRIAL_DIR

    def baseline_table() -> bytes:
        return (out / "01_cohort" / "tbl-baseline.csv").read_bytes()

    def by_hand() -> None:  # the notebook alone, as `python -m helpers.run.pipeline run` runs it
        assert pipeline.main(["run", "01_cohort", "--run", str(out), "--no-progress"]) == 0

    done = make(target, f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert done.returncode == 0, done.stderr[-3000:]
    first_key = saved_trial_info(saved)["key"]
    assert first_key == (state / config.VALIDATED_STAMP).read_text().strip()
    before = baseline_table()

    # the notebook takes the trial from .make/trial: a patient's sex changed there shows
    pd.read_parquet(saved / "adsl.parquet").pipe(_flip_first_sex).to_parquet(saved / "adsl.parquet")
    by_hand()
    flipped = baseline_table()
    assert flipped != before

    # the same change in the input file, made after validation: the saved trial no longer
    # matches the file, so the notebook reads the file (and finds the same table)
    adsl = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    _flip_first_sex(adsl).to_csv(data / "adsl.csv", index=False, lineterminator="\n")
    pd.read_parquet(saved / "adsl.parquet").pipe(_flip_first_sex).to_parquet(saved / "adsl.parquet")  # undo
    by_hand()
    assert baseline_table() == flipped

    # through make: validation runs again and saves the new data under a new key
    done = make(target, f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "helpers.run.pipeline validate" in done.stdout and "run 01_cohort" in done.stdout
    assert saved_trial_info(saved)["key"] not in ("", first_key)
    assert saved_trial_info(saved)["key"] == (state / config.VALIDATED_STAMP).read_text().strip()
    assert pd.read_parquet(saved / "adsl.parquet").loc[0, "SEX"] == _flip_first_sex(adsl).loc[0, "SEX"]
    assert baseline_table() == flipped


def test_the_report_takes_the_input_files_from_the_validation_without_reading_the_tables(data, tmp_path):
    fresh = load_trial(data, study=STUDY, population=None)
    validated_run(data, tmp_path / "out")
    run = setup(data, tmp_path / "out", name="90_report", trial=False)
    assert run.files == fresh.files
    assert "all_randomised" not in run.__dict__ and run.trial_source == ""  # no table was read
    by_hand = setup(data, tmp_path / "interactive", name="90_report", trial=False)
    assert by_hand.files == fresh.files and by_hand.trial_source == "read"


def test_a_saved_table_that_does_not_read_back_as_saved_is_not_used(data, tmp_path):
    state = validated_run(data, tmp_path / "out")
    saved = state / config.SAVED_TRIAL_DIR
    adsl = pd.read_parquet(saved / "adsl.parquet")
    adsl.astype({"AGE": "float64"}).to_parquet(saved / "adsl.parquet")  # other types than trial.json says
    with pytest.raises(TrialNotSaved, match="adsl"):
        load_saved_trial(saved, study=STUDY)
    run = setup(data, tmp_path / "out")
    assert run.trial_source == "read"
    assert run.all_randomised.adsl["AGE"].dtype == "int64"
