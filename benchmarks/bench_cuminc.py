"""Full cumulative incidence curves plus Gray's test: the project beside R cmprsk::cuminc and pycmprsk.

Usage::

    .venv/bin/python benchmarks/bench_cuminc.py                                   # 1e3 .. 1e7, R where installed
    .venv/bin/python benchmarks/bench_cuminc.py --pycmprsk-python /path/to/python3.13   # with pycmprsk
    .venv/bin/python benchmarks/bench_cuminc.py --sizes 1000,10000

Data: :func:`bench_competing_risks.simulate` (three arms, two causes, censoring, times on a 0.01
grid), seeded. One call computes what ``cmprsk::cuminc(ftime, fstatus, group)`` computes: every
group's and cause's curve with its variance, and Gray's test of each cause:
``cuminc(...)`` here (one validation and one sort for both; the column ``separate`` times
``cumulative_incidence(...)`` plus ``gray_test(...)``), ``cuminc()`` in R and in pycmprsk
(PyPI; numba; needs Python >= 3.13, so it runs in its own interpreter given by
``--pycmprsk-python``, and its first call, which compiles, is not timed). Every program reads the
same arrays from binary files and times only the call, best of ``--repeat`` (one run at 10^7).
Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_competing_risks import simulate

from helpers.stats.competing_risks import cuminc, cumulative_incidence, gray_test

R_SCRIPT = r"""
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(TRUE)
n <- as.integer(args[2]); repeat_n <- as.integer(args[3])
ftime <- readBin(file.path(args[1], "time.f64"), "double", n)
fstatus <- readBin(file.path(args[1], "status.i32"), "integer", n, size = 4)
group <- readBin(file.path(args[1], "arm.i32"), "integer", n, size = 4)
best <- Inf
for (i in seq_len(repeat_n)) best <- min(best, system.time(fit <- cuminc(ftime, fstatus, group))[["elapsed"]])
cat(sprintf("%.6f\n", best))
"""

PY_SCRIPT = r"""
import sys, time, numpy as np, pycmprsk
folder, n, repeat_n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = np.fromfile(f"{folder}/time.f64", dtype=np.float64)
e = np.fromfile(f"{folder}/status.i32", dtype=np.int32).astype(np.int64)
g = np.fromfile(f"{folder}/arm.i32", dtype=np.int32).astype(np.int64)
pycmprsk.cuminc(t[:2000], e[:2000], g[:2000])  # compile (numba) before timing
best = float("inf")
for _ in range(repeat_n):
    start = time.perf_counter(); pycmprsk.cuminc(t, e, g); best = min(best, time.perf_counter() - start)
print(f"{best:.6f}")
"""


def separate(data: pd.DataFrame) -> None:
    cumulative_incidence(data, "time", "status", "arm")
    gray_test(data, "time", "status", "arm")


def project(data: pd.DataFrame) -> None:
    cuminc(data, "time", "status", "arm")


def best_of(repeat: int, data: pd.DataFrame, f=project) -> float:  # type: ignore[no-untyped-def]
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        f(data)
        best = min(best, time.perf_counter() - start)
    return best


def external(cmd: list[str], script: str, suffix: str, folder: Path, n: int, repeat: int) -> float:
    path = folder / f"bench{suffix}"
    path.write_text(script)
    out = subprocess.run([*cmd, str(path), str(folder), str(n), str(repeat)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000,10000000")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (one at 10^7)")
    parser.add_argument("--pycmprsk-python", help="a Python >= 3.13 with pycmprsk installed")
    args = parser.parse_args()
    with_r = shutil.which("Rscript") is not None
    if not with_r:
        print("Rscript not found: R timings skipped")
    if not args.pycmprsk_python:
        print("no --pycmprsk-python (a Python >= 3.13 with pycmprsk): pycmprsk timings skipped")

    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        data = simulate(n)
        repeat = args.repeat if n < 10_000_000 else 1
        row: dict[str, float | int] = {
            "n": n,
            "project": best_of(repeat, data),
            "separate": best_of(repeat, data, separate),
        }
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            data["time"].to_numpy(np.float64).tofile(folder / "time.f64")
            data["status"].to_numpy(np.int32).tofile(folder / "status.i32")
            pd.Categorical(data["arm"]).codes.astype(np.int32).tofile(folder / "arm.i32")
            if with_r:
                row["R cuminc"] = external(["Rscript"], R_SCRIPT, ".R", folder, n, repeat)
                row["R / project"] = row["R cuminc"] / row["project"]
            if args.pycmprsk_python:
                row["pycmprsk"] = external([args.pycmprsk_python], PY_SCRIPT, ".py", folder, n, repeat)
                row["pycmprsk / project"] = row["pycmprsk"] / row["project"]
        rows.append(row)
        print(f"n = {n:,} done", flush=True)
    print("\nseconds for every curve and Gray's test of each cause (best of runs; one run at 10^7)")
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.3f}".format, na_rep="-"))


if __name__ == "__main__":
    main()
