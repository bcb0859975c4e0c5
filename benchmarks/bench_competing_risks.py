"""Time the competing-risks helpers on simulated trials of growing size.

Usage::

    .venv/bin/python benchmarks/bench_competing_risks.py                 # 1e3 .. 1e6 patients
    .venv/bin/python benchmarks/bench_competing_risks.py --sizes 1000,10000 --with-r

Data: three arms, two causes (relapse, non-relapse death) from latent exponential times,
exponential censoring, times rounded to 1/100 (ties as in day-level data); seeded.

To add a method, put a callable ``f(data) -> object`` into ``BENCHMARKS`` (the Fine-Gray model
goes there); each is timed at every size.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.competing_risks import cumulative_incidence, gray_test

# name -> callable(data) timed at each size; data has columns time, status (0/1/2), arm (A/B/C)
BENCHMARKS: dict[str, Callable[[pd.DataFrame], object]] = {
    "cumulative_incidence": lambda d: cumulative_incidence(d, "time", "status", "arm"),
    "gray_test": lambda d: gray_test(d, "time", "status", "arm"),
}

R_SCRIPT = """
suppressPackageStartupMessages(library(cmprsk))
d <- read.csv(commandArgs(TRUE)[1])
el <- system.time(fit <- cuminc(d$time, d$status, d$arm))[["elapsed"]]
cat(sprintf("%.6f\\n", el))
"""


def simulate(n: int, seed: int = 20240601) -> pd.DataFrame:
    """Three arms, two competing causes and censoring; times on a 0.01 grid."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 3, n)
    t1 = rng.exponential(1 / np.array([0.10, 0.13, 0.16])[arm])
    t2 = rng.exponential(1 / np.array([0.06, 0.06, 0.05])[arm])
    tc = rng.exponential(1 / 0.05, n)
    t = np.minimum(np.minimum(t1, t2), tc)
    status = np.where(t == t1, 1, np.where(t == t2, 2, 0))
    return pd.DataFrame({"time": np.round(t, 2), "status": status, "arm": np.array(["A", "B", "C"])[arm]})


def best_of(f: Callable[[], object], repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def time_r(data: pd.DataFrame) -> float:
    """Seconds R cmprsk::cuminc takes (estimates and Gray's tests), reading excluded."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "bench.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated numbers of patients")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (1 run above 100000)")
    parser.add_argument("--with-r", action="store_true", help="also time R cmprsk::cuminc via Rscript")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with_r = args.with_r and shutil.which("Rscript") is not None
    if args.with_r and not with_r:
        print("Rscript not found: R timings skipped")

    rows = []
    for n in sizes:
        data = simulate(n)
        repeat = args.repeat if n <= 100_000 else 1
        row: dict[str, float | int] = {"n": n}
        for name, f in BENCHMARKS.items():
            row[name] = best_of(lambda f=f: f(data), repeat)
        if with_r:
            row["R cuminc"] = time_r(data)
            # cmprsk::cuminc computes both the curves and Gray's tests in one call
            row["ratio R / python"] = row["R cuminc"] / (row["cumulative_incidence"] + row["gray_test"])
        rows.append(row)
        print(f"n = {n} done", flush=True)

    print("\nseconds (best of %d; one run above 100000 patients)" % args.repeat)
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
