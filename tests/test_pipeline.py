"""The papermill runner: project kernel, notebook-relative cwd, failed runs never look current,
and executed notebooks free of timings and random ids."""

import json
from pathlib import Path

import nbformat
import pytest

from helpers import config, pipeline


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
    a = pipeline.run_notebook("demo", tmp_path / "a", {"value": 2}, source=src, progress_bar=False)
    b = pipeline.run_notebook("demo", tmp_path / "b", {"value": 2}, source=src, progress_bar=False)
    assert a.read_text().replace(str(tmp_path / "a"), "X") == b.read_text().replace(str(tmp_path / "b"), "X")


@pytest.mark.xdist_group("kernel")
def test_failing_notebook_is_kept_under_a_failed_name_and_names_cell_and_error(tmp_path):
    src = _notebook(tmp_path, 'from pathlib import Path\n(Path(out_dir) / "demo").mkdir()\n'
                              'raise ValueError("adsl.csv, column AGE: 3 rows out of range")')
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
    assert pipeline.parse_parameters(["data_dir=/x", "cutoff=", "seed=42"]) == {"data_dir": "/x", "cutoff": "", "seed": 42}
    with pytest.raises(ValueError, match="key=value"):
        pipeline.parse_parameters(["oops"])
    with pytest.raises(ValueError, match="'colour' is unknown"):
        pipeline.parse_parameters(["colour=red"])


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
