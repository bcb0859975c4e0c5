"""Make variables reach the pipeline as data: a hostile value runs nothing and stops make with a
clear message; the checks themselves; the state files make's rebuilds hang on; the Makefile's
source list at any folder depth."""

import json
import os
from pathlib import Path

import pytest
from makeutil import make

from helpers import config
from helpers.run import params

ROOT = config.PROJECT_ROOT
PAYLOADS = {
    "backtick": "x`touch {s}`",
    "dollar-paren": "x$(touch {s})",
    "double-dollar": "x$$(touch {s})",
    "single-quote": "x'; touch {s}; echo '",
    "semicolon": "x; touch {s}",
    "newline": "x\ntouch {s}",
}


@pytest.mark.parametrize("pattern", PAYLOADS)
@pytest.mark.parametrize("variable", [v.name for v in params.VARIABLES])
def test_injected_value_runs_nothing_and_stops_make_with_a_clear_error(tmp_path, variable, pattern):
    sentinel = tmp_path / "sentinel"
    value = PAYLOADS[pattern].format(s=sentinel)
    result = make("report", f"{variable}={value}", timeout=60)
    assert result.returncode != 0
    assert not sentinel.exists(), f"{variable}={value!r} ran a command"
    assert f"ERROR: {variable}=" in result.stderr or f"ERROR: {variable} contains" in result.stderr, result.stderr
    assert "Nothing was run" in result.stderr
    assert "helpers.run.pipeline" not in result.stdout


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"CUTOFF": "2025-02-30"}, "CUTOFF='2025-02-30' is not a date"),
        ({"CUTOFF": "30/06/2025"}, "expected YYYY-MM-DD"),
        ({"POPULATION": "I T T"}, "POPULATION='I T T' is not a name"),
        ({"STUDY": "studies/absent.yaml"}, "STUDY='studies/absent.yaml': no such file"),
        ({"STUDY": "README.md"}, "is not a study definition; expected a .yaml file"),
        ({"SEED": "-1"}, "SEED='-1' is not a whole number"),
        ({"SEED": "1e3"}, "not a whole number"),
        ({"RENDERER": "latex"}, "expected one of auto, quarto, nbconvert"),
        ({"N_PATIENTS": "0"}, "whole number >= 1"),
        ({"PYTHON": "python3 -c x"}, "is not a program name"),
        ({"OUT_DIR": "out\tdir"}, "control character"),
        ({"DATA_DIR": "a|b"}, "contains |"),
        ({"PATIENT_LISTINGS": "yes"}, "PATIENT_LISTINGS='yes' is not allowed; expected one of 0, 1"),
    ],
)
def test_each_check_names_the_variable_and_what_it_expects(raw, message):
    with pytest.raises(params.ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        params.check_all(raw)


def test_good_values_pass_unchanged():
    raw = {
        "DATA_DIR": "/data/essai d'été",
        "CUTOFF": "2025-06-30",
        "POPULATION": "PP",
        "SEED": "7",
        "RENDERER": "quarto",
        "REPORT": "open",
        "OUT_DIR": "",
        "PYTHON": "/usr/bin/python3.11",
        "N_PATIENTS": "10",
        "DATA_SEED": "0",
    }
    assert params.check_all(raw) == {**raw}


def test_sync_writes_state_only_when_a_value_changes(tmp_path):
    data = tmp_path / "my data"
    data.mkdir()
    (data / "adsl.csv").write_text("USUBJID\n1\n")
    raw = {v.name: "" for v in params.VARIABLES} | {
        "DATA_DIR": str(data),
        "POPULATION": "ITT",
        "SEED": "1",
        "RENDERER": "auto",
        "PYTHON": "python3",
        "N_PATIENTS": "5",
        "DATA_SEED": "1",
        "OUT_DIR": str(tmp_path / "out put"),
    }
    out, run = params.sync(raw, ["report"], tmp_path)
    state = Path(out) / ".make"
    assert run.startswith(params.LINKS_DIR) and (tmp_path / run).resolve() == Path(out).resolve()
    given = json.loads((state / "params.json").read_text())
    study = str(config.DEFAULT_STUDY)
    assert given["notebook"] == {
        "study": study,
        "data_dir": str(data),
        "cutoff": "",
        "population": "ITT",
        "seed": 1,
        "patient_listings": False,
        "report": "closed",
    }
    assert given["validator"] == ["--study", study, "--population", "ITT"]
    stamps = {f: (state / f).stat().st_mtime_ns for f in ("params.json", "renderer-choice", "inputs.sha256")}
    os.utime(data / "adsl.csv")  # same content, new date
    params.sync(raw, ["report"], tmp_path)
    assert {f: (state / f).stat().st_mtime_ns for f in stamps} == stamps
    params.sync(raw | {"CUTOFF": "2025-01-31"}, ["report"], tmp_path)
    assert json.loads((state / "params.json").read_text())["validator"] == [
        "--cutoff",
        "2025-01-31",
        "--study",
        study,
        "--population",
        "ITT",
    ]
    assert (state / "renderer-choice").stat().st_mtime_ns == stamps["renderer-choice"]
    (data / "adsl.csv").write_text("USUBJID\n2\n")
    os.utime(data / "adsl.csv", (1e9, 1e9))  # other content, older date
    params.sync(raw | {"CUTOFF": "2025-01-31"}, ["report"], tmp_path)
    assert (state / "inputs.sha256").stat().st_mtime_ns != stamps["inputs.sha256"]


def test_study_and_strict_reach_the_notebooks_and_the_validator_and_the_study_file_is_tracked():
    given = params.run_parameters({"DATA_DIR": "d", "STUDY": "studies/x.yaml", "STRICT": "1"}, Path("/p"))
    study = os.path.join(config.PROJECT_ROOT, "studies/x.yaml")
    assert given["notebook"] == {"data_dir": "/p/d", "study": study}
    assert given["validator"] == ["--study", study, "--strict"]
    assert given["tracked_files"] == ["/p/studies/x.yaml"]
    assert params.run_parameters({"DATA_DIR": "d", "STRICT": "0"}, Path("/p"))["validator"] == []


def test_patient_listings_reach_the_notebooks_as_a_boolean_off_by_default():
    def given(**raw: str) -> dict:
        return params.run_parameters({"DATA_DIR": "d", **raw}, Path("/p"))["notebook"]

    assert given(PATIENT_LISTINGS="")["patient_listings"] is False
    assert given(PATIENT_LISTINGS="0")["patient_listings"] is False
    assert given(PATIENT_LISTINGS="1")["patient_listings"] is True
    assert params.check_all({"PATIENT_LISTINGS": ""}) == {"PATIENT_LISTINGS": "0"}


def test_makefile_sends_every_variable_it_documents_and_python_checks_them_all():
    listed = make("-s", "print-USER_VARS").stdout.split()
    assert listed == [v.name for v in params.VARIABLES]


def test_makefile_lists_helpers_sources_at_any_depth():
    listed = set(make("-s", "print-HELPERS_SRC").stdout.split())
    src = ROOT / "src" / "helpers"
    expected = {p.relative_to(ROOT).as_posix() for p in src.rglob("*.py") if "__pycache__" not in p.parts}
    expected |= {p.relative_to(ROOT).as_posix() for p in (src / "run" / "templates").rglob("*") if p.is_file()}
    assert listed == expected
    assert any(name.count("/") >= 4 for name in listed)  # src/helpers/run/templates/report_html/index.html.j2
