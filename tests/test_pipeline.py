"""The papermill runner: project kernel, notebook-relative cwd, failed runs never look current,
and executed notebooks free of timings and random ids."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from helpers import config
from helpers.run import pipeline


def _notebook(tmp_path: Path, body: str, name: str = "demo") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('out_dir = "."\nvalue = 1')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    # a kernel that does not exist here: papermill must not use it (we pass the project kernel)
    nb.metadata["kernelspec"] = {"name": "some-kernel-from-another-machine", "display_name": "x", "language": "python"}
    src = tmp_path / "src" / f"{name}.ipynb"
    src.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, src)
    (src.parent / "input.txt").write_text("relative to the notebook")
    return src


@pytest.mark.xdist_group("kernel")
def test_successful_run_writes_a_normalised_notebook_and_nothing_else(tmp_path):
    src = _notebook(tmp_path, 'print(open("input.txt").read(), value)')
    out = tmp_path / "out"
    target = pipeline.run_notebook("demo", out, {"value": 7}, source=src, progress_bar=False)
    nb = json.loads(target.read_text())
    assert target == out / "demo.ipynb"
    assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == "relative to the notebook 7\n"  # cwd = notebook folder
    assert [c["id"] for c in nb["cells"]] == ["cell-000", "cell-001", "cell-002"]
    assert "duration" not in json.dumps(nb["metadata"]["papermill"])
    assert all("papermill" not in c["metadata"] and "execution" not in c["metadata"] for c in nb["cells"])
    assert sorted(p.name for p in out.iterdir()) == [".make", "demo.ipynb"]


@pytest.mark.xdist_group("kernel")
def test_two_runs_give_byte_identical_notebooks(tmp_path):
    src = _notebook(tmp_path, "import math\nprint(math.pi * value)")
    a = pipeline.run_notebook("demo", tmp_path / "a" / "run", {"value": 2}, source=src, progress_bar=False)
    b = pipeline.run_notebook("demo", tmp_path / "b" / "run", {"value": 2}, source=src, progress_bar=False)
    # a folder outside the project is shown by its name only, so two clones' runs are identical
    assert a.read_bytes() == b.read_bytes()
    assert str(tmp_path) not in a.read_text()


@pytest.mark.xdist_group("kernel")
def test_failing_notebook_is_kept_under_a_failed_name_and_names_cell_and_error(tmp_path):
    src = _notebook(
        tmp_path,
        'from pathlib import Path\n(Path(out_dir) / "demo").mkdir()\n'
        'raise ValueError("adsl.csv, column AGE: 3 rows out of range")',
    )
    out = tmp_path / "out"
    out.mkdir()
    for old in ("demo.ipynb", "report.html", "report.pdf", "90_report.ipynb"):
        (out / old).write_text("an old, valid-looking result")
    with pytest.raises(pipeline.NotebookFailed) as err:
        pipeline.run_notebook("demo", out, {}, source=src, progress_bar=False)
    message = str(err.value)
    assert "notebooks/demo.ipynb failed in cell 2" in message
    assert "ValueError: adsl.csv, column AGE: 3 rows out of range" in message
    assert not (out / "demo.ipynb").exists()
    assert not any((out / old).exists() for old in ("report.html", "report.pdf", "90_report.ipynb"))
    assert (out / "demo.FAILED.ipynb").exists() and (out / "demo.FAILED").is_dir()
    assert not (out / "demo").exists()
    assert not list(out.glob(".*.running.ipynb"))


def test_parameters_parse_with_seed_as_integer():
    assert pipeline.parse_parameters(["data_dir=/x", "cutoff=", "seed=42"]) == {
        "data_dir": "/x",
        "cutoff": "",
        "seed": 42,
    }
    with pytest.raises(ValueError, match="key=value"):
        pipeline.parse_parameters(["oops"])
    with pytest.raises(ValueError, match="'colour' is unknown"):
        pipeline.parse_parameters(["colour=red"])
    assert pipeline.parse_parameters(["patient_listings=1"]) == {"patient_listings": True}
    assert pipeline.parse_parameters(["patient_listings=0"]) == {"patient_listings": False}
    with pytest.raises(ValueError, match="expected 0 or 1"):
        pipeline.parse_parameters(["patient_listings=yes"])


def test_cli_reports_failure_at_the_top_and_exits_non_zero(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(config, "NOTEBOOKS_DIR", tmp_path)
    assert pipeline.main(["run", "nope", "--out-dir", str(tmp_path / "o")]) == 2
    assert "ERROR: no notebook" in capsys.readouterr().err


def test_summary_lists_each_notebook_with_status(tmp_path):
    (tmp_path / ".make").mkdir()
    (tmp_path / "01_cohort.ipynb").write_text("{}")
    (tmp_path / ".make" / "01_cohort.seconds").write_text("3.210\n")
    (tmp_path / "02_relapse.FAILED.ipynb").write_text("{}")
    text = pipeline.summary(tmp_path)
    assert "01_cohort       ok" in text and "3.210" in text
    assert "02_relapse      FAILED" in text
    assert "report (html): not built" in text


def _slow_notebook(tmp_path: Path) -> Path:
    """Writes one artefact into its folder, then sleeps: a run to kill."""
    return _notebook(
        tmp_path,
        'from pathlib import Path\nimport time\n(Path(out_dir) / "demo").mkdir()\n'
        '(Path(out_dir) / "demo" / "tbl-partial.csv").write_text("x\\n")\ntime.sleep(120)',
    )


@pytest.mark.xdist_group("kernel")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_killed_run_leaves_only_failed_names_and_no_partial_folder(tmp_path, signum):
    src = _slow_notebook(tmp_path)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helpers.run.pipeline",
            "run",
            "demo",
            "--out-dir",
            str(out),
            "--source",
            str(src),
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not (out / "demo" / "tbl-partial.csv").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err or "stopped by signal" in err
    assert (out / "demo.FAILED.ipynb").exists() and (out / "demo.FAILED" / "tbl-partial.csv").exists()
    assert not (out / "demo.ipynb").exists() and not (out / "demo").exists()
    assert not list(out.glob(".*.running.ipynb"))


@pytest.mark.xdist_group("kernel")
def test_kernel_keeps_no_ipython_history(tmp_path):
    src = _notebook(tmp_path, "print(get_ipython().history_manager.enabled)")
    target = pipeline.run_notebook("demo", tmp_path / "out", {}, source=src, progress_bar=False)
    assert "".join(json.loads(target.read_text())["cells"][-1]["outputs"][0]["text"]) == "False\n"


def test_out_dir_is_recorded_relative_to_the_project_or_as_given(tmp_path):
    nb_dir = config.NOTEBOOKS_DIR
    assert pipeline._portable(config.PROJECT_ROOT / "reports" / "x", nb_dir) == "../reports/x"
    assert pipeline._portable(str(tmp_path / "o"), nb_dir) == str(tmp_path / "o")


def test_retired_outputs_move_to_stale_and_leave_other_files(tmp_path):
    for name in (
        "01_cohort.ipynb",
        "01_cohort/results.json",
        "02_relapse.FAILED.ipynb",
        "report.pdf",
        "mine.txt",
        ".make/01_cohort.seconds",
        ".make/params.json",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    pipeline.retire_outputs(tmp_path, "inputs changed")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".make", ".stale", "mine.txt"]
    assert sorted(p.name for p in (tmp_path / ".stale").iterdir()) == [
        "01_cohort",
        "01_cohort.ipynb",
        "02_relapse.FAILED.ipynb",
        "WHY.txt",
        "report.pdf",
    ]
    assert [p.name for p in (tmp_path / ".make").iterdir()] == ["params.json"]  # timings went too
