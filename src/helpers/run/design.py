"""``make design``: the design simulation with many trials, into its own folder.

``make design`` (variables ``DESIGN_TRIALS``, ``DESIGN_SEED``, ``SCENARIOS``, ``SCHEDULER``;
checked by :mod:`helpers.run.params`, which writes them to ``reports/.params-design.json``)
executes ``notebooks/06_design.ipynb`` -- the notebook whose modest default run is the report's
design section -- with those settings into ``reports/design-<study file name>/``: the executed
notebook, its tables, figure and ``results.json``. The simulation runs on the Dask cluster at
``SCHEDULER`` (or ``DASK_SCHEDULER_ADDRESS``) when one is given, else on a process pool over this
machine's cores; a progress bar over the blocks of trials shows in the terminal. The numbers are
the same whichever runs them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from helpers import config
from helpers.analysis import design_simulation
from helpers.run import params as make_params
from helpers.run import pipeline
from helpers.study import StudyError, load_study

__all__ = ["design_out_dir", "main"]


def design_out_dir(study: str | Path) -> Path:
    """``reports/design-<study file name>``."""
    return config.PROJECT_ROOT / "reports" / f"design-{Path(study).stem}"


def main(argv: Sequence[str] | None = None) -> int:
    state = config.PROJECT_ROOT / make_params.DESIGN_PARAMS
    try:
        settings = json.loads(state.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"ERROR: {state} does not exist: run this step through make design", file=sys.stderr)
        return 2
    try:
        study = load_study(settings["study"])
        design_simulation.scenario_names(study, settings.get("scenarios") or None)
        if not design_simulation.has_simulation(study):
            raise ValueError(f"{settings['study']}: design.simulation is missing; make design needs it")
    except (StudyError, ValueError) as error:
        print(f"ERROR: {error}\n       Nothing was run.", file=sys.stderr)
        return 2
    scheduler = settings.get("scheduler") or os.environ.get("DASK_SCHEDULER_ADDRESS", "")
    workers = len(os.sched_getaffinity(0))
    where = f"the Dask cluster at {scheduler}" if scheduler else f"{workers} processes on this machine"
    out_dir = design_out_dir(settings["study"])
    print(
        f"make design: {settings['n_trials']:,} trials per scenario and curve point, seed {settings['seed']}, on {where}"
    )
    parameters = {
        "study": settings["study"],
        "data_dir": "",
        "cutoff": "",
        "population": "",
        "seed": settings["seed"],
        "patient_listings": False,
        "n_trials": settings["n_trials"],
        "shr_trials": max(settings["n_trials"] // 10, 1),
        "scenarios": settings.get("scenarios", ""),
        "scheduler": scheduler,
        "workers": workers,
    }
    try:
        notebook = pipeline.run_notebook("06_design", out_dir, parameters)
    except pipeline.NotebookFailed as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 1
    print(f"make design: {notebook} and its tables and figure in {out_dir / '06_design'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
