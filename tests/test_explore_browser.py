"""The explore app end to end in a real browser: `make explore` serves it, Playwright drives
Debian's headless Chromium (Playwright cannot download its own browser here), and every number and
figure the page shows is checked against the helpers' values for the same selection.

Marked e2e (``make test`` runs them, ``make test-fast`` does not) and in the xdist group of the
other tests that run make in the project ("make"): `make explore` validates, and may first write,
the synthetic trial, which two makes at once would race on. Skipped, with the reason, only when Chromium is not installed
(``.ci/run`` installs Debian's ``chromium``)."""

import base64
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from makeutil import make_env

from helpers import config
from helpers.analysis import endpoints
from helpers.data.contract import load_trial
from helpers.explore.views import figure_bytes
from helpers.present import figures, tables
from helpers.run.outputs import table_csv_bytes
from helpers.stats import competing_risks as cr
from helpers.stats import survival
from helpers.study import in_prose, load_study

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("make"),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does)"),
]
STUDY = load_study(config.DEFAULT_STUDY)
SYNTHETIC = config.PROJECT_ROOT / "data" / "synthetic"
#: Every text node of the page, shadow roots included (Bokeh draws each widget in its own).
PAGE_TEXT = """() => {
  const skip = new Set(['STYLE', 'SCRIPT', 'LINK', 'TEMPLATE']);
  const out = [];
  const walk = (root) => {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = w.nextNode())) if (!skip.has(n.parentElement && n.parentElement.tagName)) out.push(n.data);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  return out.join(' ');
}"""


def serve(out_dir: Path, **variables: str):
    """`make explore` in its own session; yields the address it prints, then stops it."""
    env = make_env()
    args = ["make", "--no-print-directory", "explore", f"OUT_DIR={out_dir}", "PORT=0"]
    args += [f"{k}={v}" for k, v in variables.items()]
    proc = subprocess.Popen(
        args,
        cwd=config.PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = []
    deadline = time.monotonic() + 300
    address = None
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(r"Explore app \(.*\) at (http://127\.0\.0\.1:\d+/explore)", line)
        if found:
            address = found.group(1)
            break
    try:
        assert address, "make explore printed no address:\n" + "".join(seen)
        yield address
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the session make started: make, the server
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


@pytest.fixture(scope="module")
def closed_address(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("explore") / "closed run")


@pytest.fixture(scope="module")
def open_address(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("explore") / "open run", REPORT="open")


def open_page(chromium, address):
    page = chromium.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
    page.goto(address)
    page.wait_for_selector(".explore-label-text", timeout=120_000)
    return page


def refreshes(page) -> int:
    return int(page.locator(".explore-label-text").get_attribute("data-refresh"))


def changing(page, action) -> None:
    """Do ``action`` and wait until the app has recomputed its view."""
    before = refreshes(page)
    action()
    page.wait_for_function(
        "n => { const all = [];"
        " const walk = r => { for (const e of r.querySelectorAll('*')) { if (e.shadowRoot) walk(e.shadowRoot);"
        " if (e.dataset && e.dataset.refresh) all.push(+e.dataset.refresh); } }; walk(document);"
        " return all.some(x => x > n); }",
        arg=before,
        timeout=120_000,
    )


def shown_tables(page) -> list[list[list[str]]]:
    """Every numbers table on the page: rows of cell texts, the header first."""
    out = []
    for table in page.locator(".explore-numbers table").all():
        rows = [[c.inner_text().strip() for c in r.locator("th, td").all()] for r in table.locator("tr").all()]
        out.append(rows)
    return out


def shown_png(page) -> bytes:
    src = page.locator(".explore-figure img").get_attribute("src")
    return base64.b64decode(src.split(",", 1)[1])


def label(page) -> tuple[str, str]:
    el = page.locator(".explore-label-text")
    return el.get_attribute("data-kind"), el.inner_text()


def cells(rows: list[list[str]]) -> set[str]:
    return {c for r in rows[1:] for c in r}


def test_the_first_view_is_the_prespecified_primary_analysis_with_the_helpers_numbers(chromium, closed_address):
    page = open_page(chromium, closed_address)
    kind, text = label(page)
    assert kind == "prespecified" and text.startswith("Prespecified")
    data = load_trial(SYNTHETIC, study=STUDY, population=STUDY.default_population).endpoint(STUDY.primary.endpoint)
    at = STUDY.time.main_landmark
    est = cr.cumulative_incidence(data, "AVAL", "EVNTCD", "ARM", times=[at])
    estimates, comparisons = shown_tables(page)
    for arm in STUDY.arms:
        r = est[(est["group"] == arm.label) & (est["cause"] == STUDY.primary.cause)].iloc[0]
        assert tables.fmt_pct_ci(r["estimate"], r["conf_low"], r["conf_high"]) in cells(estimates)
    effects = endpoints.relapse_effects(data, STUDY)
    for r in effects.itertuples():
        row = next(row for row in comparisons[1:] if row[1] == r.analysis)
        assert row[-1] == tables.fmt_p(r.p_value)
    curves = cr.cumulative_incidence(data, "AVAL", "EVNTCD", "ARM")
    at_risk = survival.numbers_at_risk(data, "AVAL", "ARM", endpoints.time_ticks(data["AVAL"], STUDY.time))
    figures.set_style()
    cause = STUDY.primary_endpoint.cause_label(STUDY.primary.cause)
    fig = figures.step_curves(
        curves[curves["cause"] == STUDY.primary.cause],
        STUDY,
        at_risk=at_risk,
        ylabel=f"Cumulative incidence of {in_prose(cause)}",
    )
    assert shown_png(page) == figure_bytes(fig, "png")
    page.close()


def test_endpoint_filter_and_cutoff_show_the_helpers_values_and_show_code_reproduces_them(chromium, closed_address):
    page = open_page(chromium, closed_address)
    survival_endpoint = next(e for e in STUDY.endpoints if e.kind == "survival")
    variable = STUDY.subgroups[-2].variable  # a categorical subgroup of the study
    code, level = next(iter(STUDY.variable(variable).levels.items()))
    cutoff = "2024-03-31"
    changing(page, lambda: page.locator(".explore-endpoint select").select_option(label=survival_endpoint.label))

    def pick_level():
        page.locator(f".explore-filter-{variable} input").first.click()
        page.keyboard.type(level)
        page.keyboard.press("Enter")

    changing(page, pick_level)

    def set_cutoff():
        page.locator(".explore-cutoff input").fill(cutoff)
        page.locator(".explore-cutoff input").press("Enter")

    changing(page, set_cutoff)
    kind, text = label(page)
    assert kind == "exploratory" and "Exploratory" in text
    assert f"{STUDY.variable(variable).label} = {level}" in text and f"data cutoff {cutoff}" in text

    # the helpers' values for the same patients, selected here without the app's code
    trial = load_trial(SYNTHETIC, study=STUDY, cutoff=cutoff, population=STUDY.default_population)
    data = trial.endpoint(survival_endpoint.paramcd)
    data = data[data[variable].astype("string") == code]
    km = survival.kaplan_meier(data, "AVAL", "EVNTCD", "ARM", times=[STUDY.time.main_landmark])
    effects = endpoints.survival_effects(data, STUDY)
    estimates, comparisons = shown_tables(page)
    assert dict(zip(estimates[0][2:], estimates[1][2:])) == {
        str(r.group): tables.fmt_pct_ci(r.estimate, r.conf_low, r.conf_high) for r in km.itertuples()
    }
    assert [row[-1] for row in comparisons[1:]] == [tables.fmt_p(p) for p in effects["p_value"]]

    # "Show code": the lines execute and give the same numbers and the same figure
    page.locator(".explore-show-code button").click()
    page.wait_for_selector(".explore-code-text", timeout=30_000)
    namespace: dict = {}
    exec(compile(page.locator(".explore-code-text").inner_text(), "<show code>", "exec"), namespace)
    pd.testing.assert_frame_equal(namespace["estimates"], km)
    pd.testing.assert_frame_equal(namespace["comparisons"], effects)
    assert figure_bytes(namespace["fig"], "png") == shown_png(page)

    # downloads: the numbers as CSV, the figure as PNG
    with page.expect_download() as csv:
        page.get_by_role("button", name="Numbers: estimates (CSV)").click()
    assert Path(csv.value.path()).read_bytes() == table_csv_bytes(km)
    with page.expect_download() as png:
        page.get_by_role("button", name="Figure (PNG)").click()
    assert Path(png.value.path()).read_bytes() == shown_png(page)
    page.close()


def test_no_patient_level_listing_unless_enabled(chromium, closed_address):
    page = open_page(chromium, closed_address)
    text = page.evaluate(PAGE_TEXT)
    assert "Patients" not in page.locator(".explore-view").inner_text() and "USUBJID" not in text
    page.close()


def test_open_mode_shows_no_arm_in_any_view(chromium, open_address):
    page = open_page(chromium, open_address)
    arms = [w for a in STUDY.arms for w in (a.label, a.short_label)]
    assert "Open (pooled) mode" in page.evaluate(PAGE_TEXT)
    with page.expect_download() as svg:
        page.get_by_role("button", name="Figure (SVG)").click()
    assert [a for a in arms if a.lower() in Path(svg.value.path()).read_text().lower()] == []
    for title in ("Time to event", "Subgroup forest plot", "Baseline characteristics", "Adverse events", "Accrual"):
        if page.locator(".explore-label-text").get_attribute("data-view") != title:
            button = page.locator(".explore-view button", has_text=title)
            if "active" not in (button.get_attribute("class") or ""):
                changing(page, button.click)
        text = page.evaluate(PAGE_TEXT).lower()
        assert [a for a in arms if a.lower() in text] == [], title
    page.close()
