"""End to end: `make report` into a temporary folder, as a statistician runs it.

One run (module fixture) on a copy of the synthetic trial, with data and output folders whose
paths hold spaces, quotes and non-ASCII letters, is checked for the report's sections,
self-containment, outputs and provenance; then a no-op rebuild, a one-notebook rebuild, a deleted
PDF, inputs changed by content but not by date (and the reverse), and a bad-data run.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from makeutil import make

from helpers import config
from helpers.run import report

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("make")]
ROOT = config.PROJECT_ROOT
SECTIONS = [
    "Data review",
    "Trial profile",
    "Primary endpoint",
    "Interim analysis",
    "Secondary endpoints",
    "Safety",
    "Subgroup analyses",
    "Methods",
    "Provenance",
]
LABELS = [
    "tbl-data-review",
    "fig-consort",
    "fig-accrual",
    "tbl-baseline",
    "tbl-completeness",
    "fig-cif-relapse",
    "tbl-cif-landmarks",
    "tbl-relapse-effects",
    "fig-cif-nrm",
    "tbl-event-counts",
    "tbl-interim-information",
    "tbl-interim-projection",
    "fig-interim-boundaries",
    "tbl-interim-decision",
    "tbl-interim-boundaries",
    "tbl-secondary",
    "fig-km-os",
    "tbl-teae-overview",
    "tbl-teae-terms",
    "fig-teae-terms",
    "tbl-teae-grades",
    "tbl-exposure",
    "fig-forest-relapse",
    "tbl-subgroups",
]


def ran(result: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"helpers\.run\.pipeline run (\w+)", result.stdout)


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.suffix in (".csv", ".png", ".svg", ".json")
    }


def commands(result: subprocess.CompletedProcess) -> list[str]:
    """The pipeline steps make ran or (with -n) would run, other than the closing summary."""
    return re.findall(r"helpers\.run\.pipeline (data|validate|run \w+|render)\b", result.stdout)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One cold `make -j2 report` (parallel notebooks must be safe) on a copy of the synthetic
    data, both folders named with a space, a quote and non-ASCII letters."""
    base = tmp_path_factory.mktemp("run")
    data = base / "dâta l'essai"
    shutil.copytree(ROOT / "data" / "synthetic", data)
    out = base / "rün it's"
    result = make("-j2", "report", f"OUT_DIR={out}", f"DATA_DIR={data}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result, data


def remake(run, *args: str) -> subprocess.CompletedProcess:
    out, _, data = run
    return make(*args, f"OUT_DIR={out}", f"DATA_DIR={data}")


def test_report_runs_every_notebook_and_ends_with_a_summary(run):
    out, result, _ = run
    assert sorted(ran(result)) == sorted([*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK])
    assert ran(result)[-1] == config.REPORT_NOTEBOOK
    summary = result.stdout[result.stdout.index("Run folder:") :]
    for name in (*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK):
        assert re.search(rf"{name}\s+ok\s+\d+\.\d+", summary)
    assert f"report (html): {out}/report.html" in summary


def test_html_report_is_self_contained_and_has_every_section(run):
    out, _, _ = run
    html = (out / "report.html").read_text()
    for section in SECTIONS:
        assert f">{section}" in html, section
    for label in LABELS:
        assert f'id="{label}"' in html, label
    assert not re.search(r'<script[^>]+src=|(src|href)=["\']https?://|@import', html)
    assert "@fig-" not in html and "@tbl-" not in html  # every cross-reference resolved


def test_report_notebook_emits_nothing_that_makes_quarto_load_scripts(run):
    """Quarto's Jupyter engine (quarto-cli 1.7, src/core/jupyter/widgets.ts) puts require.js and
    jquery from a CDN into the HTML of a notebook when any display_data or execute_result output
    carries text/html, application/javascript or a widget view. The report notebook emits none:
    tables are Markdown (raw HTML block for HTML, pipe table otherwise), figures PNG images."""
    import nbformat

    out, _, _ = run
    nb = nbformat.read(out / "90_report.ipynb", as_version=4)
    shown: dict[str, set[str]] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type in ("display_data", "execute_result"):
                mimes = set(output.data)
                assert not mimes & {"text/html", "application/javascript"}, cell.source
                assert not any(m.startswith("application/vnd.jupyter.widget") for m in mimes), cell.source
                label = report.cell_options(cell.source)[0].get("label") or ""
                shown.setdefault(label, set()).update(mimes)
    assert report.quarto_cdn_outputs(nb) == []
    tables = [label for label in shown if label.startswith("tbl-")]
    assert set(LABELS) <= set(shown) and len(tables) >= 12
    for label in tables:
        assert shown[label] == {"text/markdown", "text/plain"}, label
    for label in (k for k in shown if k.startswith("fig-")):
        assert shown[label] == {"image/png", "text/plain"}, label


def test_default_run_holds_no_patient_level_file_and_no_patient_id(run):
    """Without PATIENT_LISTINGS=1 the deliverable folder holds aggregates only: no CSV or JSON
    with a USUBJID or SUBJID column, and no patient id anywhere in the tables, results,
    executed notebooks or report."""
    out, _, data = run
    adsl = pd.read_csv(data / "adsl.csv", dtype=str)
    ids = set(adsl["USUBJID"])
    files = [p for p in out.rglob("*") if p.is_file() and ".make" not in p.parts and ".stale" not in p.parts]
    assert not [p for p in files if p.name.startswith("lst-")]
    checked = 0
    for path in files:
        if path.suffix == ".csv":
            columns = set(pd.read_csv(path, nrows=0).columns)
            assert not columns & {"USUBJID", "SUBJID"}, path
        if path.suffix in (".csv", ".json", ".ipynb", ".html"):
            text = path.read_text(encoding="utf-8")
            assert "USUBJID" not in text or path.suffix in (".ipynb", ".html"), path
            found = {i for i in ids if i in text}
            assert not found, (path, sorted(found)[:3])
            checked += 1
    assert checked > 30
    assert not (out / "03_safety" / "lst-exposure.csv").exists()
    exposure = pd.read_csv(out / "03_safety" / "tbl-exposure.csv")
    assert list(exposure["group"]) == ["Sorafenib maintenance"] and "n_treated" in exposure


def test_patient_listings_1_adds_the_per_patient_exposure_listing(tmp_path):
    """PATIENT_LISTINGS=1 reaches the notebooks (make writes it into .make/params.json) and
    03_safety then writes lst-exposure.csv, one row per treated patient with USUBJID, beside
    the by-arm table."""
    out = tmp_path / "listings"
    result = make("-n", "report", f"OUT_DIR={out}", "PATIENT_LISTINGS=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((out / ".make" / "params.json").read_text())["notebook"]["patient_listings"] is True
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "helpers.run.pipeline", "run", "03_safety", "--run", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    listing = pd.read_csv(out / "03_safety" / "lst-exposure.csv")
    adsl = pd.read_csv(ROOT / "data" / "synthetic" / "adsl.csv", dtype=str)
    assert listing["USUBJID"].is_unique and set(listing["USUBJID"]) <= set(adsl["USUBJID"])
    by_arm = pd.read_csv(out / "03_safety" / "tbl-exposure.csv")
    assert "USUBJID" not in by_arm and int(by_arm["n_treated"].sum()) == len(listing)
    results = json.loads((out / "03_safety" / "results.json").read_text())
    assert results["listings"] == {"lst-exposure": {"file": "lst-exposure.csv", "n_rows": len(listing)}}
    assert results["parameters"]["patient_listings"] is True


def test_pdf_report_is_a_pdf(run):
    out, _, _ = run
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_every_notebook_records_its_parameters_and_outputs(run):
    out, _, data = run
    for name in config.ANALYSIS_NOTEBOOKS:
        res = json.loads((out / name / "results.json").read_text())
        assert res["parameters"] == {
            "study": "studies/nct04674345.yaml",
            "data_dir": data.name,
            "cutoff": None,
            "population": "ITT",
            "seed": 20201215,
            "patient_listings": False,
            "report": "closed",
        }
        for entry in [*res["tables"].values(), *res["figures"].values()]:
            assert (out / name / entry["file"]).exists()
        # the study inside the project is named relative to it: no clone's folder in the notebook
        assert str(ROOT) not in (out / f"{name}.ipynb").read_text(encoding="utf-8")


def test_provenance_lists_data_checksums_that_match_the_files(run):
    out, _, data = run
    prov = json.loads((out / "90_report" / "results.json").read_text())["values"]["provenance"]
    for f in prov["data_files"]:
        assert hashlib.sha256((data / f["file"]).read_bytes()).hexdigest() == f["sha256"]
    assert len(prov["git"]["commit"]) in (40, 7) or prov["git"]["commit"] == "unknown"
    assert prov["packages"]["lifelines"]


def test_report_names_the_data_folder_but_no_absolute_path(run):
    out, _, data = run
    prov = json.loads((out / "90_report" / "results.json").read_text())["values"]["provenance"]
    assert prov["parameters"]["data_dir"] == data.name
    html = (out / "report.html").read_text()
    assert str(data.parent) not in html and data.name in html
    for executed in out.glob("*.ipynb"):  # deliverables too: no user's folder layout
        assert str(data.parent) not in executed.read_text(encoding="utf-8"), executed.name


def test_second_report_with_nothing_changed_does_no_work(run):
    assert commands(remake(run, "-n", "report")) == []  # dry runs are exact
    again = remake(run, "report")
    assert again.returncode == 0
    assert commands(again) == []


def test_deleted_pdf_is_rebuilt(run):
    out, _, _ = run
    (out / "report.pdf").unlink()
    assert commands(remake(run, "-n", "report")) == ["render"]
    again = remake(run, "report")
    assert again.returncode == 0, again.stderr[-2000:]
    assert commands(again) == ["render"]
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_same_data_with_a_new_date_reruns_nothing(run):
    _, _, data = run
    os.utime(data / "adae.csv")  # touch: new modification time, same bytes
    again = remake(run, "report")
    assert again.returncode == 0 and commands(again) == []


def test_changed_notebook_reruns_only_itself_and_the_report_with_identical_outputs(run):
    out, _, _ = run
    before = digests(out / "03_safety")
    again = remake(run, "report", "-W", "notebooks/03_safety.ipynb")
    assert again.returncode == 0, again.stderr[-2000:]
    assert ran(again) == ["03_safety", "90_report"]
    assert digests(out / "03_safety") == before  # byte-identical tables, figures and results


def test_data_replaced_by_other_content_with_an_older_date_reruns_everything(run):
    """As `cp -p`, `rsync -a` or `unzip` leave it: make would see nothing newer."""
    _, _, data = run
    adae = data / "adae.csv"
    old = adae.stat().st_mtime - 86400 * 365
    adae.write_bytes(adae.read_bytes().replace(b"\n", b"\r\n"))  # same table, other bytes
    os.utime(adae, (old, old))
    dry = remake(run, "-n", "report")
    assert commands(dry) == [
        "validate",
        *(f"run {n}" for n in config.ANALYSIS_NOTEBOOKS),
        f"run {config.REPORT_NOTEBOOK}",
        "render",
    ]


def test_other_data_and_cutoffs_get_their_own_run_folder(tmp_path):
    def out_dir(*args: str) -> str:
        return make("-s", "print-OUT_DIR", *args).stdout.strip()

    assert out_dir() == "reports/synthetic-dmc-closed"
    assert re.fullmatch(rf"reports/{tmp_path.name}-[0-9a-f]{{8}}-dmc-closed", out_dir(f"DATA_DIR={tmp_path}"))
    assert out_dir(f"DATA_DIR={tmp_path}") != out_dir(f"DATA_DIR={tmp_path / 'x' / '..' / 'y'}")
    assert out_dir("CUTOFF=2025-06-30", "POPULATION=PP") == "reports/synthetic-cut2025-06-30-PP-dmc-closed"
    assert out_dir("REPORT=open") == "reports/synthetic-open"


def test_bad_data_stop_the_run_with_the_contract_error_and_retire_the_previous_outputs(tmp_path):
    data = tmp_path / "new adam d'été"
    shutil.copytree(ROOT / "data" / "synthetic", data)
    adtte = pd.read_csv(data / "adtte.csv", dtype=str, keep_default_na=False)
    adtte.loc[[3, 7], "AVAL"] = "-5"
    adtte.to_csv(data / "adtte.csv", index=False)
    before = hashlib.sha256((data / "adtte.csv").read_bytes()).hexdigest()
    out = tmp_path / "out"
    previous = [
        "01_cohort.ipynb",
        "01_cohort/results.json",
        "01_cohort/fig-consort.png",
        "90_report.ipynb",
        "report.html",
        "report.pdf",
    ]
    for name in previous:  # a complete earlier run on other data
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("an earlier, valid-looking result")
    (out / "notes.txt").write_text("the user's own file")
    result = make("report", f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert result.returncode != 0
    assert "adtte" in result.stderr and "AVAL" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [".make", ".stale", "notes.txt"]
    assert all((out / ".stale" / name).exists() for name in previous)
    assert json.loads((out / ".make" / "params.json").read_text())["data_dir"] == str(data)
    assert hashlib.sha256((data / "adtte.csv").read_bytes()).hexdigest() == before


def test_changed_parameter_reruns_every_notebook(run):
    """Last in this module: it changes the run folder's recorded parameters."""
    dry = remake(run, "-n", "report", "CUTOFF=2023-06-30")
    assert ran(dry) == [*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK]
    dry = remake(run, "-n", "report", "CUTOFF=2023-06-30", "RENDERER=nbconvert")
    assert "helpers.run.pipeline render" in dry.stdout


def _prose(out: Path) -> list[str]:
    """The report's computed prose: every Markdown output of the report notebook but its labelled
    tables and figures (a cell with a ``#| label:`` option)."""
    nb = json.loads((out / "90_report.ipynb").read_text())
    return [
        "".join(o["data"]["text/markdown"])
        for c in nb["cells"]
        if not "".join(c["source"]).startswith("#| label:")
        for o in c.get("outputs", [])
        if "text/markdown" in o.get("data", {})
    ]


def test_every_number_the_prose_quotes_is_a_cell_of_a_table_of_the_run(run):
    out, _, _ = run
    cells = "\n".join(p.read_text() for p in out.glob("*/tbl-*.display.csv"))
    quoted = {
        m.group(0)
        for text in _prose(out)
        # decimals and percentages; a follow-up time in months is a value of 01_cohort, not a table cell
        for m in re.finditer(r"(?<![\w.])\d+\.\d+%?(?! months)", text)
    }
    assert len(quoted) >= 15  # estimates, intervals, hazard ratios, p-values, proportions
    assert sorted(q for q in quoted if q not in cells) == []


def test_the_prose_quotes_the_primary_estimates_with_their_intervals_as_the_tables_show_them(run):
    out, _, _ = run
    landmarks = pd.read_csv(out / "02_relapse" / "tbl-cif-landmarks.display.csv", dtype=str)
    effects = pd.read_csv(out / "02_relapse" / "tbl-relapse-effects.display.csv", dtype=str)
    prose = "\n".join(_prose(out))
    two_years = landmarks[(landmarks["Time"] == "2 years") & (landmarks["Event"] == "Relapse")].iloc[0]
    for arm in ("Sorafenib maintenance", "No maintenance"):
        assert two_years[arm] in prose, arm
    fine_gray = effects[effects["Analysis"] == "Fine-Gray subdistribution HR"].iloc[0]
    assert fine_gray["Effect (95% CI)"] in prose


def test_the_report_gives_the_interim_look_its_boundary_and_the_decision(run):
    """The synthetic trial as delivered is the final analysis (no cutoff): 97 of the 121 planned
    relapses, the final boundary recomputed at that information, and the decision in words."""
    out, _, _ = run
    values = json.loads((out / "05_interim" / "results.json").read_text())["values"]
    info, summary = values["interim_information"], values["interim_summary"]
    assert (info["look"], info["looks"], info["final"], info["events"], info["planned_events"]) == (2, 2, True, 97, 121)
    assert summary["decision"] == "reject" and summary["z_planned"] >= summary["efficacy_z"]
    shown = pd.read_csv(out / "05_interim" / "tbl-interim-decision.display.csv", dtype=str)
    shown = dict(zip(shown["Quantity"], shown["Value"]))
    prose = "\n".join(_prose(out))
    assert "look 2 of 2 (final analysis)" in prose and "97 of the 121 planned events" in prose
    assert "80.2% of the planned information" in prose  # 97 / 121
    for quantity in (
        "Statistic (z)",
        "z in the planned direction",
        "Efficacy boundary (z)",
        "Subdistribution HR (repeated CI)",
    ):
        assert shown[quantity] in prose, quantity
    assert f"Decision: **{summary['decision_text']}**" in prose
    html = (out / "report.html").read_text()
    assert summary["decision_text"] in html and shown["Efficacy boundary (z)"] in html
    assert "No look is left after it, so no date is projected." in prose
