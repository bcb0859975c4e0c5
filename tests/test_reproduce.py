"""Byte-for-byte reproduction: the manifest format, the comparison, and `make verify` itself."""

import subprocess

import pytest
from makeutil import make

from helpers import config
from helpers.run import reproduce

ROOT = config.PROJECT_ROOT
MANIFEST = ROOT / "tests" / "reference" / "report-manifest.sha256"
RUN = reproduce.RUN_DIR  # the default (closed) run folder


def test_manifest_round_trips_with_its_epoch(tmp_path):
    sums = {f"{RUN}/report.pdf": "a" * 64, "data/synthetic/adsl.csv": "b" * 64}
    reproduce.write_manifest(tmp_path / "m", sums, 1735689600)
    assert reproduce.read_manifest(tmp_path / "m") == (1735689600, sums)


def test_compare_lists_every_file_and_counts_each_difference():
    expected = {"a.csv": "1", "b.png": "2", "c.json": "3"}
    actual = {"a.csv": "1", "b.png": "X", "d.pdf": "4"}
    lines, bad = reproduce.compare(expected, actual)
    assert bad == 3
    assert [ln.split() for ln in lines] == [
        ["ok", "a.csv"],
        ["DIFFERS", "b.png"],
        ["MISSING", "c.json"],
        ["EXTRA", "d.pdf"],
    ]


def test_outputs_are_data_and_run_folder_without_make_state(tmp_path):
    for name in (
        "data/synthetic/adsl.csv",
        f"{RUN}/report.html",
        f"{RUN}/01_cohort/tbl-x.csv",
        f"{RUN}/.make/params.json",
        f"{RUN}/.stale/report.html",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert reproduce.output_files(tmp_path) == [
        "data/synthetic/adsl.csv",
        f"{RUN}/01_cohort/tbl-x.csv",
        f"{RUN}/report.html",
    ]


def test_committed_manifest_covers_every_kind_of_output():
    _, sums = reproduce.read_manifest(MANIFEST)
    names = set(sums)
    for name in (
        f"{RUN}/report.html",
        f"{RUN}/report.pdf",
        f"{RUN}/02_relapse/results.json",
        f"{RUN}/90_report.ipynb",
        "data/synthetic/adsl.csv",
    ):
        assert name in names
    for nb in config.ANALYSIS_NOTEBOOKS:
        assert f"{RUN}/{nb}.ipynb" in names
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".svg") for n in names)
    assert any(n.endswith(".csv") and n.startswith("reports/") for n in names)


def _shallow() -> bool:
    done = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() == "true"


@pytest.mark.e2e
@pytest.mark.xdist_group("verify")
@pytest.mark.skipif(_shallow(), reason="the report names the last commit that changed the code: needs full history")
def test_make_verify_rebuilds_every_output_byte_for_byte(tmp_path):
    done = make("--no-print-directory", "verify", timeout=900, TMPDIR=str(tmp_path))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    _, sums = reproduce.read_manifest(MANIFEST)
    assert done.stdout.count("  ok       ") == len(sums)
    assert "byte-identical" in done.stdout
