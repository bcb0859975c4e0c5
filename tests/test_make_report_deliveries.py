"""End to end: `make report` on deliveries other than the shipped synthetic trial.

* another trial (tests/studies/three_arm.yaml: three arms, other labels, subgroups, landmarks),
  chosen by the study definition alone: its report is coherent and spells nothing of this trial;
* an efficacy-only delivery (ADSL and ADTTE): the run succeeds and the safety section says
  "not delivered", never zero events;
* a delivery with protocol deviations and gaps: the run succeeds, the findings are listed in the
  run summary and the report's Data review; with STRICT=1 the same delivery stops the run.
"""

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from makeutil import make

from helpers import config
from helpers.present import ard
from helpers.run import submission
from helpers.study import Study, load_study

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("make")]
ROOT = config.PROJECT_ROOT
THREE_ARM = ROOT / "tests" / "studies" / "three_arm.yaml"


def synthetic(out: Path, *args: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "helpers.synthetic", "--out", str(out), *args], check=True, capture_output=True
    )
    return out


def reader_facing_words(study: Study) -> set[str]:
    """Every label, name and wording of a study definition that a report could show."""
    words = {study.study.id, study.study.short_title, study.study.drug, study.study.title, study.study.subtitle}
    for arm in study.arms:
        words |= {arm.label, arm.short_label}
    for e in study.endpoints:
        words |= {e.label, *e.causes.values()}
    for v in study.variables:
        words |= {v.label, *(v.levels or {}).values()}
    words |= {lm.label for lm in study.time.landmarks}
    words |= {study.subgroup_label(s) for s in study.subgroups}
    if study.safety and study.safety.special_interest:
        words.add(study.safety.special_interest.label)
    # single common words ("Sex", "Site", "Adverse") are not the study's own wording
    return {w for w in words if w and (" " in w.strip() or w in (study.study.id, study.study.drug))}


def report_text(out: Path) -> str:
    """What a reader can read: the HTML report's text (images and embedded data removed), every
    table and results file, and the text of every SVG figure (matplotlib writes each text as a
    comment beside its glyphs)."""
    page = (out / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"data:[^\"')]+", " ", page)
    parts = [html.unescape(re.sub(r"<[^>]+>", " ", page))]
    for path in sorted(out.glob("*/*")):
        if path.suffix in (".csv", ".json"):
            parts.append(path.read_text(encoding="utf-8"))
        elif path.suffix == ".svg":
            parts += re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        parts.append(subprocess.run([pdftotext, str(out / "report.pdf"), "-"], capture_output=True, text=True).stdout)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def three_arm(tmp_path_factory):
    base = tmp_path_factory.mktemp("three-arm")
    data = synthetic(base / "data", "--study", str(THREE_ARM), "--seed", "7")
    out = base / "out"
    result = make("report", f"STUDY={THREE_ARM}", f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_another_trial_runs_by_changing_the_study_definition_only(three_arm):
    out, _ = three_arm
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    text = report_text(out)
    for label in (
        "EXAMPLE-3ARM",
        "Examplinib 300 mg",
        "Examplinib 150 mg",
        "Observation",
        "Recurrence",
        "12 months",
        "Recipient sex",
        "Under 50",
        "examplinib",
    ):
        assert label in text, label


def test_a_report_of_another_trial_spells_nothing_of_this_trial(three_arm):
    out, _ = three_arm
    text = report_text(out).lower()
    # what this trial's study definition says and the other's does not (case-insensitive)
    ours = {w.lower() for w in reader_facing_words(load_study())}
    theirs = {w.lower() for w in reader_facing_words(load_study(THREE_ARM))}
    found = sorted(w for w in ours - theirs if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text))
    assert found == []


def test_every_arm_is_compared_with_the_reference_and_all_arms_together(three_arm):
    out, _ = three_arm
    effects = pd.read_csv(out / "02_relapse" / "tbl-relapse-effects.csv").to_dict("records")
    comparisons = {e["comparison"] for e in effects}
    assert {"300 mg vs Observation", "150 mg vs Observation"} <= comparisons
    assert any(e["key"] == "gray_all_arms" and e["df"] == 2 for e in effects)
    cohort_rows = submission.read_ard(out / "01_cohort" / "ard.json")
    flow = ard.consort_from_ard(cohort_rows[cohort_rows["output_id"] == "fig-consort"])
    assert sum(a["allocated"] for a in flow["arms"].values()) == flow["randomised"] == 300
    assert len(flow["arms"]) == 3


@pytest.fixture(scope="module")
def efficacy_only(tmp_path_factory):
    base = tmp_path_factory.mktemp("efficacy")
    data = synthetic(base / "data", "--tables", "adsl,adtte", "--n-patients", "200", "--seed", "3")
    out = base / "out"
    result = make("report", f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_an_efficacy_only_delivery_reports_safety_as_not_delivered_not_as_zero(efficacy_only):
    out, result = efficacy_only
    assert "not delivered" in result.stdout  # the run summary lists the absent tables
    # the section itself, not its line in the table of contents
    safety = max(re.findall(r"Safety(.*?)Subgroup analyses", report_text(out), re.S), key=len)
    assert "not delivered" in safety
    assert "0 (0.0%)" not in safety and "Among 0 patients" not in safety
    assert json.loads((out / "03_safety" / "results.json").read_text())["values"]["delivered"] is not True


def _with_deviations(data: Path) -> Path:
    """The shipped synthetic trial with what real deliveries hold: a patient of 66 enrolled, a
    missing donor type, a code outside the decoded list, and no screening log."""
    adsl = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    adsl.loc[0, "AGE"] = "66"
    adsl.loc[0, "AGEGR1"] = "40-65"
    adsl.loc[1, "DONORTYP"] = ""
    adsl.loc[2, "CONDINT"] = "NMA"
    adsl.to_csv(data / "adsl.csv", index=False, lineterminator="\n")
    (data / "screen.csv").unlink()
    return data


@pytest.fixture(scope="module")
def deviations(tmp_path_factory):
    base = tmp_path_factory.mktemp("deviations")
    data = _with_deviations(Path(shutil.copytree(ROOT / "data" / "synthetic", base / "data")))
    out = base / "out"
    result = make("report", f"DATA_DIR={data}", f"OUT_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result, data


def test_deviations_and_gaps_are_findings_listed_in_the_summary_and_the_report(deviations):
    out, result, _ = deviations
    summary = result.stdout[result.stdout.index("Run folder:") :]
    for rule in ("AGE", "DONORTYP", "CONDINT", "screen"):
        assert rule in summary, rule
    review = pd.read_csv(out / "01_cohort" / "tbl-data-review.csv")
    assert len(review) >= 4
    assert "first_ids" not in review  # patient ids only with PATIENT_LISTINGS=1
    shown = pd.read_csv(out / "01_cohort" / "tbl-data-review.display.csv")
    assert "First patients" not in shown and "AGE" in set(shown["Column"])
    text = report_text(out)
    assert "Data review" in text and "age 18-65" in text


def test_strict_makes_every_finding_an_error_and_leaves_no_report(deviations, tmp_path):
    _, _, data = deviations
    out = tmp_path / "strict"
    result = make("report", f"DATA_DIR={data}", f"OUT_DIR={out}", "STRICT=1")
    assert result.returncode != 0
    assert "[finding]" in result.stderr and "AGE" in result.stderr
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()
