"""Time helpers.competing_risks.fine_gray against cmprsk::crr.

Data: three groups (two dummy terms), one standard-normal covariate, two causes plus
censoring, simulated with a fixed seed; continuous times. crr is run through Rscript on the
same data (written to a temporary CSV), timing only the ``crr()`` call.

Usage::

    .venv/bin/python benchmarks/bench_fine_gray.py                    # 1e3 .. 1e6, no R
    .venv/bin/python benchmarks/bench_fine_gray.py --with-r           # crr up to n = 10,000
    .venv/bin/python benchmarks/bench_fine_gray.py --sizes 1000,5000 --with-r 5000
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.competing_risks.fine_gray import fine_gray

R_SCRIPT = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
x <- cbind(G2 = as.numeric(d$GROUP == "G2"), G3 = as.numeric(d$GROUP == "G3"), Z = d$Z)
elapsed <- system.time(fit <- crr(d$time, d$status, x, gtol = 1e-9, maxiter = 50))[["elapsed"]]
cat(sprintf("%.17g", c(elapsed, fit$coef, sqrt(diag(fit$var)))), sep = "\n")
"""


def simulate(n: int, seed: int = 20240521) -> pd.DataFrame:
    """Three groups, two causes (latent exponential times), uniform censoring."""
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["G1", "G2", "G3"]), size=n)
    z = np.round(rng.standard_normal(n), 6)
    lp1 = 0.3 * (group == "G2") - 0.4 * (group == "G3") + 0.25 * z
    lp2 = 0.2 * z
    t1 = rng.exponential(1 / (0.10 * np.exp(lp1)))
    t2 = rng.exponential(1 / (0.07 * np.exp(lp2)))
    cens = rng.uniform(0, 25, n)
    t = np.minimum(np.minimum(t1, t2), cens)
    status = np.where(t == cens, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame({"time": np.round(t, 6), "status": status, "GROUP": group, "Z": z})


def time_crr(data: pd.DataFrame) -> tuple[float, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "data.csv", Path(tmp) / "bench.R"
        data.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True, check=True)
    values = np.array([float(v) for v in out.stdout.split()])
    return values[0], values[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated n")
    parser.add_argument(
        "--with-r", nargs="?", const=10_000, type=int, default=None, metavar="MAX_N",
        help="also time cmprsk::crr for n <= MAX_N (default 10000)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="best of this many fine_gray runs")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"{'n':>9} {'fine_gray_s':>12} {'crr_s':>10} {'ratio':>9} {'n_iter':>6} {'max_rel_diff':>12}")
    for n in sizes:
        data = simulate(n)
        best = np.inf
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fit = fine_gray(data, "time", "status", ["GROUP", "Z"])
            best = min(best, time.perf_counter() - t0)
        crr_s, ratio, diff = "", "", ""
        if args.with_r is not None and n <= args.with_r:
            seconds, values = time_crr(data)
            got = np.r_[fit.coef, fit.summary["std_error"].to_numpy()]
            crr_s = f"{seconds:.3f}"
            ratio = f"{seconds / best:.0f}x"
            diff = f"{np.max(np.abs(got - values) / np.abs(values)):.1e}"
        print(f"{n:>9} {best:>12.3f} {crr_s:>10} {ratio:>9} {fit.n_iter:>6} {diff:>12}", flush=True)


if __name__ == "__main__":
    main()
