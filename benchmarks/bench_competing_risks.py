"""Time the competing-risks helpers against R cmprsk on simulated trials of growing size.

Usage::

    .venv/bin/python benchmarks/bench_competing_risks.py                       # 1e3 .. 1e6 patients
    .venv/bin/python benchmarks/bench_competing_risks.py --with-r              # cuminc at every n, crr up to 10,000
    .venv/bin/python benchmarks/bench_competing_risks.py --with-r --crr-max-n 1000

Data: three arms, two causes (relapse, non-relapse death) from latent exponential times whose
rates depend on the arm and a standard-normal covariate Z, exponential censoring, times rounded
to 1/100 (ties as in day-level data); seeded. The Fine-Gray model has three covariates (two arm
dummies and Z). R runs on the same data, written to a CSV; only the fitting calls are timed.
Prints a table; nothing is asserted (speed is measured here, never in timed tests).
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

from helpers.stats.competing_risks import cumulative_incidence, fine_gray, gray_test

BENCHMARKS: dict[str, Callable[[pd.DataFrame], object]] = {
    "cumulative_incidence": lambda d: cumulative_incidence(d, "time", "status", "arm"),
    "gray_test": lambda d: gray_test(d, "time", "status", "arm"),
    "fine_gray": lambda d: fine_gray(d, "time", "status", ["arm", "Z"]),
}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
cuminc_s <- system.time(fit <- cuminc(d$time, d$status, d$arm))[["elapsed"]]
crr_s <- NA
if (as.logical(args[2])) {
  x <- cbind(B = as.numeric(d$arm == "B"), C = as.numeric(d$arm == "C"), Z = d$Z)
  crr_s <- system.time(fg <- crr(d$time, d$status, x))[["elapsed"]]
}
cat(sprintf("%.6f", c(cuminc_s, crr_s)), sep = "\n")
"""


def simulate(n: int, seed: int = 20240601) -> pd.DataFrame:
    """Three arms and a covariate, two competing causes and censoring; times on a 0.01 grid."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 3, n)
    z = np.round(rng.standard_normal(n), 4)
    t1 = rng.exponential(1 / (np.array([0.10, 0.13, 0.16])[arm] * np.exp(0.25 * z)))
    t2 = rng.exponential(1 / (np.array([0.06, 0.06, 0.05])[arm] * np.exp(0.2 * z)))
    tc = rng.exponential(1 / 0.05, n)
    t = np.minimum(np.minimum(t1, t2), tc)
    status = np.where(t == t1, 1, np.where(t == t2, 2, 0))
    return pd.DataFrame({"time": np.round(t, 2), "status": status, "arm": np.array(["A", "B", "C"])[arm], "Z": z})


def best_of(f: Callable[[], object], repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - start)
    return best


def time_r(data: pd.DataFrame, with_crr: bool) -> tuple[float, float]:
    """Seconds R takes for cmprsk::cuminc (curves and Gray's tests) and cmprsk::crr (or NaN)."""
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), str(with_crr).upper()], capture_output=True, text=True, check=True
        )
    cuminc_s, crr_s = (float(v) if v != "NA" else np.nan for v in out.stdout.split()[-2:])
    return cuminc_s, crr_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated numbers of patients")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (1 run above 100000)")
    parser.add_argument("--with-r", action="store_true", help="also time R cmprsk via Rscript")
    parser.add_argument(
        "--crr-max-n",
        type=int,
        default=10_000,
        help="largest n for cmprsk::crr (it grows with n squared: 10,000 takes minutes)",
    )
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
            cuminc_s, crr_s = time_r(data, with_crr=n <= args.crr_max_n)
            row["R cuminc"] = cuminc_s
            # cmprsk::cuminc computes both the curves and Gray's tests in one call
            row["cuminc ratio R/py"] = cuminc_s / (row["cumulative_incidence"] + row["gray_test"])
            row["R crr"] = crr_s
            row["crr ratio R/py"] = crr_s / row["fine_gray"]
        rows.append(row)
        print(f"n = {n} done", flush=True)

    print(f"\nseconds (best of {args.repeat}; one run above 100000 patients)")
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format, na_rep="-"))


if __name__ == "__main__":
    main()
