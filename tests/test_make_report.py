"""End to end: `make report` into a temporary folder, as a statistician runs it.

One run (module fixture) is checked for the report's sections, self-containment, outputs and
provenance; then a no-op rebuild, a one-notebook rebuild and a bad-data run.
"""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers import config

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("make")]
ROOT = config.PROJECT_ROOT
SECTIONS = ["Trial profile", "Primary endpoint: relapse", "Secondary endpoints", "Safety",
            "Subgroup analyses", "Methods", "Provenance"]
LABELS = ["fig-consort", "tbl-baseline", "fig-cif-relapse", "tbl-cif-landmarks", "tbl-relapse-effects",
          "fig-cif-nrm", "tbl-secondary", "fig-km-os", "tbl-teae-overview", "tbl-teae-terms", "fig-teae-terms",
          "tbl-teae-grades", "tbl-exposure", "fig-forest-relapse", "tbl-subgroups"]


def make(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", *args], cwd=ROOT, capture_output=True, text=True, env=env)


def ran(result: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"helpers\.pipeline run (\w+)", result.stdout)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.suffix in (".csv", ".png", ".svg", ".json")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One cold `make -j2 report` (parallel notebooks must be safe) into a temporary folder."""
    out = tmp_path_factory.mktemp("run")
    result = make("-j2", "report", f"OUT_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_report_runs_every_notebook_and_ends_with_a_summary(run):
    out, result = run
    assert sorted(ran(result)) == sorted([*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK])
    assert ran(result)[-1] == config.REPORT_NOTEBOOK
    summary = result.stdout[result.stdout.index("Run folder:"):]
    for name in (*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK):
        assert re.search(rf"{name}\s+ok\s+\d+\.\d+", summary)
    assert f"report (html): {out}/report.html" in summary


def test_html_report_is_self_contained_and_has_every_section(run):
    out, _ = run
    html = (out / "report.html").read_text()
    for section in SECTIONS:
        assert f">{section}" in html, section
    for label in LABELS:
        assert f'id="{label}"' in html, label
    assert not re.search(r'<script[^>]+src=|(src|href)=["\']https?://|@import', html)
    assert "@fig-" not in html and "@tbl-" not in html  # every cross-reference resolved


def test_pdf_report_is_a_pdf(run):
    out, _ = run
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_every_notebook_records_its_parameters_and_outputs(run):
    out, _ = run
    import json

    for name in config.ANALYSIS_NOTEBOOKS:
        res = json.loads((out / name / "results.json").read_text())
        assert res["parameters"] == {"data_dir": "data/synthetic", "cutoff": None, "population": "ITT",
                                     "seed": 20201215}
        for entry in [*res["tables"].values(), *res["figures"].values()]:
            assert (out / name / entry["file"]).exists()


def test_provenance_lists_data_checksums_that_match_the_files(run):
    out, _ = run
    import json

    prov = json.loads((out / "90_report" / "results.json").read_text())["values"]["provenance"]
    for f in prov["data_files"]:
        data = ROOT / "data" / "synthetic" / f["file"]
        assert hashlib.sha256(data.read_bytes()).hexdigest() == f["sha256"]
    assert len(prov["git"]["commit"]) in (40, 7) or prov["git"]["commit"] == "unknown"
    assert prov["packages"]["lifelines"]


def test_second_report_with_nothing_changed_does_no_work(run):
    out, _ = run
    assert ran(make("-n", "report", f"OUT_DIR={out}")) == []  # dry runs are exact
    again = make("report", f"OUT_DIR={out}")
    assert again.returncode == 0
    assert ran(again) == [] and "helpers.report render" not in again.stdout


def test_changed_notebook_reruns_only_itself_and_the_report_with_identical_outputs(run):
    out, _ = run
    before = digests(out / "03_safety")
    again = make("report", f"OUT_DIR={out}", "-W", "notebooks/03_safety.ipynb")
    assert again.returncode == 0, again.stderr[-2000:]
    assert ran(again) == ["03_safety", "90_report"]
    assert digests(out / "03_safety") == before  # byte-identical tables, figures and results


def test_other_data_and_cutoffs_get_their_own_run_folder(tmp_path):
    def out_dir(*args: str) -> str:
        return make("-s", "print-OUT_DIR", *args).stdout.strip()

    assert out_dir() == "reports/synthetic"
    assert re.fullmatch(rf"reports/{tmp_path.name}-[0-9a-f]{{8}}", out_dir(f"DATA_DIR={tmp_path}"))
    assert out_dir(f"DATA_DIR={tmp_path}") != out_dir(f"DATA_DIR={tmp_path / 'x' / '..' / 'y'}")
    assert out_dir("CUTOFF=2025-06-30", "POPULATION=PP") == "reports/synthetic-cut2025-06-30-PP"


def test_bad_data_stop_the_run_with_the_contract_error_and_no_report(tmp_path):
    data = tmp_path / "adam"
    shutil.copytree(ROOT / "data" / "synthetic", data)
    adtte = pd.read_csv(data / "adtte.csv", dtype=str, keep_default_na=False)
    adtte.loc[[3, 7], "AVAL"] = "-5"
    adtte.to_csv(data / "adtte.csv", index=False)
    before = hashlib.sha256((data / "adtte.csv").read_bytes()).hexdigest()
    out = tmp_path / "out"
    result = make("report", f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert result.returncode != 0
    assert "adtte" in result.stderr and "AVAL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / "report.html").exists() and not list(out.glob("*.ipynb"))
    assert hashlib.sha256((data / "adtte.csv").read_bytes()).hexdigest() == before


def test_changed_parameter_reruns_every_notebook(run):
    """Last in this module: it changes the run folder's recorded parameters."""
    out, _ = run
    dry = make("-n", "report", f"OUT_DIR={out}", "CUTOFF=2023-06-30")
    assert ran(dry) == [*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK]
    dry = make("-n", "report", f"OUT_DIR={out}", "CUTOFF=2023-06-30", "RENDERER=nbconvert")
    assert "helpers.report render" in dry.stdout
