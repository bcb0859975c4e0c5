"""Every path and project-wide constant in one place.

A newcomer looking for "where does X live" starts here. Nothing trial-specific lives here: arms,
populations, time units, endpoints and wording come from the study definition
(:mod:`helpers.study`, ``studies/*.yaml``).
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
STUDIES_DIR = PROJECT_ROOT / "studies"  # study definitions (helpers.study)
DEFAULT_STUDY = STUDIES_DIR / "nct04674345.yaml"  # the project's own study, used when none is given
TEMPLATES_DIR = Path(__file__).resolve().parent / "run" / "templates"

KERNEL_NAME = "nct04674345"  # the Makefile's KERNEL (a test keeps them equal)

#: Analysis notebooks in run order; the report notebook comes last.
ANALYSIS_NOTEBOOKS = ("01_cohort", "02_relapse", "03_safety", "04_subgroups", "05_interim")
REPORT_NOTEBOOK = "90_report"
#: The investigators' app in JupyterLab (``helpers.explore``); no run executes it.
EXPLORE_NOTEBOOK = "explore"

#: Layout of one run's output directory (``OUT_DIR``)::
#:
#:     OUT_DIR/01_cohort.ipynb      executed, normalised notebook (the Make target)
#:     OUT_DIR/01_cohort/           its artefacts: tbl-*.csv, fig-*.png, fig-*.svg, results.json
#:     OUT_DIR/report.html, report.pdf
#:     OUT_DIR/.make/               parameters and timings that Make and the summary use
#:     OUT_DIR/.make/validated      digest of the parameters and input checksums last validated
#:     OUT_DIR/.make/trial/         the trial that validation read, checked and cut, saved under
#:                                  that digest for the notebooks (helpers.data.saved)
#:
#: A notebook that fails leaves ``01_cohort.FAILED.ipynb`` and ``01_cohort.FAILED/`` instead.
RESULTS_FILE = "results.json"
FAILED_SUFFIX = ".FAILED"
MAKE_STATE_DIR = ".make"
VALIDATED_STAMP = "validated"
SAVED_TRIAL_DIR = "trial"
