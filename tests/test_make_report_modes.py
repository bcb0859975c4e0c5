"""End to end: the closed report (by arm, for the Data Monitoring Committee) and the open report
(pooled, for the trial team) built by make from the same data, each in its own run folder.

The open report is proven blind file by file: every output a reader could open -- the HTML and
PDF reports (PDF text by pdftotext), the executed notebooks, every table (CSV, display CSV),
results file and SVG figure -- holds no arm code, arm label or short label, no name of the study
drug, no comparative statistic (hazard ratio, p-value, ...) and no by-arm section. The negative
controls show that the same check fails, and the render step refuses the report, when a by-arm
table of the closed report is slipped into the open one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from makeutil import make

from helpers import config
from helpers.run import blinding
from helpers.study import load_study

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("make")]
ROOT = config.PROJECT_ROOT
STUDY = load_study(config.DEFAULT_STUDY)
NOTEBOOKS = (*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK)


def pdf_text(path: Path, *pages: str) -> str:
    return subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both reports of the synthetic trial, built by make -j2 into their own folders."""
    base = tmp_path_factory.mktemp("modes")
    out = {}
    for report in ("closed", "open"):
        out[report] = base / report
        result = make("-j2", "report", f"REPORT={report}", f"OUT_DIR={out[report]}")
        assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_default_run_folders_say_which_report_they_hold():
    def out_dir(*args: str) -> str:
        return make("-s", "print-OUT_DIR", *args).stdout.strip()

    assert out_dir() == "reports/synthetic-dmc-closed"
    assert out_dir("REPORT=closed") == "reports/synthetic-dmc-closed"
    assert out_dir("REPORT=open") == "reports/synthetic-open"
    assert out_dir("REPORT=open", "CUTOFF=2023-06-30") == "reports/synthetic-cut2023-06-30-open"


def test_bad_report_value_stops_make_before_anything_runs(tmp_path):
    result = make("report", "REPORT=draft", f"OUT_DIR={tmp_path / 'x'}")
    assert result.returncode != 0
    assert "REPORT='draft' is not allowed; expected one of closed, open" in result.stderr
    assert not (tmp_path / "x").exists()


def test_both_reports_run_every_notebook_and_record_their_report(runs):
    for report, out in runs.items():
        for name in NOTEBOOKS:
            assert (out / f"{name}.ipynb").exists(), (report, name)
            assert json.loads((out / name / "results.json").read_text())["parameters"]["report"] == report
        assert (out / "report.html").exists() and (out / "report.pdf").exists()


def test_closed_report_says_on_its_first_page_that_it_is_for_the_committee_only(runs):
    banner = STUDY.reports.closed.banner
    first_page = re.sub(r"\s+", " ", pdf_text(runs["closed"] / "report.pdf", "-f", "1", "-l", "1"))
    assert banner in first_page
    html = (runs["closed"] / "report.html").read_text(encoding="utf-8")
    assert html.index(banner) < html.index("<h2")  # before the first section
    assert STUDY.reports.open.banner not in html


def test_closed_report_keeps_every_by_arm_section(runs):
    html = (runs["closed"] / "report.html").read_text(encoding="utf-8")
    for label in (
        "tbl-relapse-effects",
        "tbl-secondary",
        "tbl-teae-terms",
        "tbl-exposure",
        "fig-forest-relapse",
        "tbl-interim-decision",
    ):
        assert f'id="{label}"' in html, label
    leaks, _ = blinding.find_leaks(runs["closed"], STUDY)
    assert {x.found for x in leaks} >= {a.label for a in STUDY.arms} | {"hr", "p_value"}  # the check sees arms


def test_open_report_has_the_pooled_sections_and_says_what_is_left_out(runs):
    out = runs["open"]
    html = (out / "report.html").read_text(encoding="utf-8")
    first_page = re.sub(r"\s+", " ", pdf_text(out / "report.pdf", "-f", "1", "-l", "1"))
    assert STUDY.reports.open.banner in first_page and STUDY.reports.closed.banner not in html
    for label in (
        "tbl-data-review",
        "fig-consort",
        "fig-accrual",
        "tbl-baseline",
        "tbl-completeness",
        "fig-cif-relapse",
        "tbl-cif-landmarks",
        "tbl-event-counts",
        "tbl-teae-overview",
        "tbl-interim-information",
        "tbl-interim-projection",
        "tbl-provenance-data",
    ):
        assert f'id="{label}"' in html, label
    for label in (
        "tbl-relapse-effects",
        "tbl-secondary",
        "tbl-teae-terms",
        "tbl-exposure",
        "tbl-subgroups",
        "tbl-interim-decision",
        "tbl-interim-boundaries",
        "fig-interim-boundaries",
    ):
        assert f'id="{label}"' not in html, label
        assert not list(out.glob(f"*/{label}*")), label
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "in the closed report only" in text
    pooled = STUDY.reports.open.pooled_label
    baseline = (out / "01_cohort" / "tbl-baseline.display.csv").read_text(encoding="utf-8").splitlines()[0]
    assert baseline == f"Characteristic,{pooled} (N=346)"


def test_every_output_of_the_open_report_is_free_of_arms_and_comparisons(runs):
    """The proof: every file of the open run folder, read as a reader would, against every
    forbidden text derived from the study definition."""
    out = runs["open"]
    files = blinding.output_files(out)
    kinds = {p.suffix for p in files}
    assert {".html", ".pdf", ".ipynb", ".csv", ".json", ".svg", ".png"} <= kinds
    assert {p.name for p in files if p.suffix == ".ipynb"} == {f"{n}.ipynb" for n in NOTEBOOKS}
    assert "05_interim.ipynb" in {p.name for p in files}  # the interim section's pooled part is checked too
    assert len([p for p in files if p.name.endswith(".display.csv")]) >= 6
    leaks, unread = blinding.find_leaks(out, STUDY)
    assert leaks == []
    assert {p.suffix for p in unread} == {".png"}  # the PDF is read (pdftotext); each PNG has an SVG twin
    for png in unread:
        assert png.with_suffix(".svg").exists(), png
    # the forbidden texts are the study's: arm codes, labels, short labels, the drug
    terms = {what for what, _, _ in blinding.forbidden(STUDY)}
    assert {a.code for a in STUDY.arms} | {a.label for a in STUDY.arms} | {a.short_label for a in STUDY.arms} <= terms
    assert "hr" in terms and "p_value" in terms


def test_a_by_arm_table_slipped_into_the_open_report_is_found(runs, tmp_path):
    """Negative control: the closed report's CIF table by arm, copied into the open run's folder
    and into its HTML report, is found in both files."""
    out = shutil.copytree(runs["open"], tmp_path / "open")
    by_arm = runs["closed"] / "02_relapse" / "tbl-cif-landmarks.display.csv"
    shutil.copy(by_arm, out / "02_relapse" / "tbl-cif-landmarks-by-arm.display.csv")
    html = out / "report.html"
    table = "".join(f"<td>{c}</td>" for c in by_arm.read_text(encoding="utf-8").splitlines()[0].split(","))
    html.write_text(html.read_text(encoding="utf-8").replace("</body>", f"<table><tr>{table}</tr></table></body>"))
    leaks, _ = blinding.find_leaks(out, STUDY)
    assert {x.file for x in leaks} == {"02_relapse/tbl-cif-landmarks-by-arm.display.csv", "report.html"}
    assert {x.found for x in leaks} >= {a.label for a in STUDY.arms}
    with pytest.raises(blinding.BlindingError, match="is not blind"):
        blinding.check_open_run(out, STUDY)


def test_the_render_step_of_an_open_run_refuses_a_by_arm_table(runs, tmp_path):
    """Negative control through the pipeline: a comparison table written into the open run (as a
    notebook that forgot the open report would) makes its render step fail, naming the file, and
    leave no report behind."""
    out = shutil.copytree(runs["open"], tmp_path / "open", symlinks=True)
    state = out / ".make" / "params.json"  # the copy's steps work in the copy
    state.write_text(json.dumps({**json.loads(state.read_text()), "out_dir": str(out)}))
    shutil.copy(runs["closed"] / "02_relapse" / "tbl-relapse-effects.csv", out / "02_relapse")
    done = subprocess.run(
        [sys.executable, "-m", "helpers.run.pipeline", "render", "--run", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "is not blind" in done.stderr and "02_relapse/tbl-relapse-effects.csv" in done.stderr
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()
    assert (out / ".stale" / "report.html").exists()
