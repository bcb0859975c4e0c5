"""Time each interaction of the explore app at trial and registry scale.

    .venv/bin/python benchmarks/bench_explore.py                     # 346 and 100,000 patients
    .venv/bin/python benchmarks/bench_explore.py --sizes 346,1000000

For each size: a synthetic trial (seeded, written as Parquet), the app's one read of the data
(read, validate), then a sequence of interactions on the app as a browser session drives it (a
widget changes, the view is recomputed with the helpers, its PNG drawn and its tables and
download buttons rebuilt: ``ExploreApp.refresh``), closed mode then open mode. Prints one table
of seconds per interaction; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pandas as pd

from helpers import config
from helpers.explore import selection as sel
from helpers.explore.app import ExploreApp
from helpers.explore.views import TrialSource
from helpers.synthetic import generate, write_trial

matplotlib.use("Agg")


def steps(app: ExploreApp) -> list[tuple[str, Callable[[], None]]]:
    """The interactions, in order; each changes one widget as a user would."""
    study = app.source.study
    survival = next(e.paramcd for e in study.endpoints if e.kind == "survival")
    variable = next(iter(app.categories))
    first_level = next(iter(app.categories[variable].options.values()))
    first = app.source.everyone.adsl["RANDDT"].min()
    last = app.source.everyone.adsl["RANDDT"].max()
    cutoff = (first + (last - first) * 0.75).date().isoformat()
    landmark = list(app.landmark.options.values())[0]

    def put(widget, value):
        return lambda: setattr(widget, "value", value)

    return [
        (f"endpoint -> {survival}", put(app.endpoint, survival)),
        (f"subgroup filter {variable}", put(app.categories[variable], [first_level])),
        (f"cutoff -> {cutoff}", put(app.cutoff, cutoff)),
        ("landmark -> first", put(app.landmark, landmark)),
        ("endpoint -> primary", put(app.endpoint, study.primary.endpoint)),
        ("view -> subgroup forest plot", put(app.view, "subgroups")),
        ("view -> baseline", put(app.view, "baseline")),
        ("view -> adverse events", put(app.view, "adverse_events")),
        ("adverse events: grade >= 3", put(app.min_grade, 3)),
        ("view -> accrual", put(app.view, "accrual")),
    ]


def timed(f: Callable[[], object]) -> float:
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="346,100000")
    args = parser.parse_args()
    columns: dict[str, dict[str, float]] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            write_trial(generate(n_patients=n), Path(tmp), fmt="parquet")
            for report in sel.REPORT_MODES:
                settings = sel.Settings(study=config.DEFAULT_STUDY, data_dir=Path(tmp), report=report)
                times: dict[str, float] = {}
                holder: dict[str, TrialSource] = {}
                times["read and validate the data (once)"] = timed(
                    lambda settings=settings: holder.setdefault("source", TrialSource.load(settings))
                )
                app: dict[str, ExploreApp] = {}
                times["build the page (draws the first view)"] = timed(
                    lambda: app.setdefault("app", ExploreApp(holder["source"]))
                )
                for name, step in steps(app["app"]):
                    times[name] = timed(step)
                columns[f"{n:,} {report}"] = times
                print(f"n = {n:,}, {report} mode done", flush=True)
    table = pd.DataFrame(columns)
    table.index.name = "seconds"
    print(table.to_string(float_format="{:.2f}".format))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load}; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
