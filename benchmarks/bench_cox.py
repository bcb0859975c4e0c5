"""Time helpers.stats.survival's Cox model against lifelines and (with --with-r) R coxph, heavy ties.

Usage::

    .venv/bin/python benchmarks/bench_cox.py                  # n = 1,000 / 10,000 / 100,000
    .venv/bin/python benchmarks/bench_cox.py --with-r         # also R survival::coxph

Data: two arms (one treatment term, HR 0.7), exponential event and uniform censoring times
over up to five years rounded up to whole days, so 100,000 patients share about 1,800 distinct
times (day-level ties, as the synthetic trial of the issue's 2.25 s lifelines fit); seeded.  Each fit is timed end to end from the data frame
(checks, design matrix, fit, summary); R times only the ``coxph`` call on data already read.
Prints a table; nothing is asserted (speed is measured here, never in timed tests).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bench_competing_risks import best_of  # same folder: run as a script

from helpers.stats.survival import cox

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = TRUE)
best <- function(ties) min(replicate(as.integer(args[2]),
  system.time(coxph(Surv(time, status) ~ arm, d, ties = ties))[["elapsed"]]))
cat(sprintf("%.6f", c(best("efron"), best("breslow"))), sep = "\n")
"""


def simulate(n: int, seed: int = 20240701) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    t_event = rng.exponential(24 / np.where(arm == 1, 0.7, 1.0))
    t_censor = rng.uniform(6, 60, n)
    time_ = np.ceil(np.minimum(t_event, t_censor) * 30.4375)  # whole days
    return pd.DataFrame(
        {
            "time": time_,
            "status": (t_event <= t_censor).astype(int),
            "arm": pd.Categorical(np.where(arm == 1, "B", "A"), categories=["A", "B"]),
        }
    )


def lifelines_fit(data: pd.DataFrame) -> object:
    from lifelines import CoxPHFitter

    x = data.assign(arm=(data["arm"] == "B").astype(float))
    return CoxPHFitter().fit(x, "time", "status")


def time_r(data: pd.DataFrame, repeat: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(repeat)], capture_output=True, text=True, check=True
        )
    efron, breslow = (float(v) for v in out.stdout.split()[-2:])
    return efron, breslow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated numbers of patients")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--with-r", action="store_true", help="also time R survival::coxph via Rscript")
    args = parser.parse_args()
    with_r = args.with_r and shutil.which("Rscript") is not None
    if args.with_r and not with_r:
        print("Rscript not found: R timings skipped")
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        data = simulate(n)
        row: dict[str, float | int] = {"n": n, "distinct times": data["time"].nunique()}
        row["cox efron"] = best_of(lambda: cox(data, "time", "status", ["arm"]), args.repeat)
        row["cox breslow"] = best_of(lambda: cox(data, "time", "status", ["arm"], ties="breslow"), args.repeat)
        row["lifelines (efron)"] = best_of(lambda: lifelines_fit(data), args.repeat)
        if with_r:
            row["R coxph efron"], row["R coxph breslow"] = time_r(data, args.repeat)
        rows.append(row)
        print(f"n = {n} done", flush=True)
    print(f"\nseconds (best of {args.repeat})")
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
