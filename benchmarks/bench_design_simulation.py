"""Time the design simulator: trials per second per core, parallel efficiency, Fine-Gray, Dask.

Usage::

    .venv/bin/python benchmarks/bench_design_simulation.py              # serial, 2 processes, Fine-Gray, malloc
    .venv/bin/python benchmarks/bench_design_simulation.py --dask       # also a local Dask cluster (2 workers)

The trial: 346 patients 1:1, accrual over 36 months, Weibull cause-specific hazards (the study's
reference arm), hazard ratio 0.6, dropout, looks at 40, 80 and 121 primary events, every look
analysed (as the simulator always does). Rates are trials per second; the parallel efficiency is
the rate with 2 workers over twice the rate of one. The malloc rows run one block in a fresh
process with the environment a Dask nanny gives its workers (``MALLOC_TRIM_THRESHOLD_=65536``),
without and with the simulator's fix (``tune_malloc``: the mmap threshold raised). Prints tables;
nothing is asserted (speed is measured here, never in timed tests). The machine's load average is
printed with them: other work on the machine slows every figure.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.stats.design_simulation import Accrual, ArmEffect, Looks, TrialModel, Weibull, simulate

MODEL = dict(
    n_patients=346,
    arms=(ArmEffect(), ArmEffect(hr_primary=0.6)),
    primary=Weibull(0.75, 96.68),
    competing=Weibull(0.8, 317.81),
    accrual=Accrual.uniform(346, 36.0),
    looks=Looks(events=(40, 80, 121)),
    dropout_rate=0.0017,
)

MALLOC_CHILD = r"""
import sys, time, numpy as np
from helpers.stats.design_simulation import Accrual, ArmEffect, Looks, TrialModel, Weibull, simulate_block, tune_malloc
if sys.argv[1] == "fix":
    tune_malloc()
m = TrialModel(346, (ArmEffect(), ArmEffect(hr_primary=0.6)), Weibull(0.75, 96.68), Weibull(0.8, 317.81),
               Accrual.uniform(346, 36.0), Looks(events=(40, 80, 121)), dropout_rate=0.0017)
simulate_block(m, 1000, np.random.SeedSequence(0))
best = float("inf")
for i in range(3):
    t0 = time.perf_counter(); simulate_block(m, 1000, np.random.SeedSequence(i + 1)); best = min(best, time.perf_counter() - t0)
print(1000 / best)
"""


def rate(statistic: str, n_trials: int, repeat: int, **backend: object) -> float:
    model = TrialModel(**MODEL, statistic=statistic)  # type: ignore[arg-type]
    best = np.inf
    for i in range(repeat):
        start = time.perf_counter()
        simulate(model, n_trials, i, **backend)  # type: ignore[arg-type]
        best = min(best, time.perf_counter() - start)
    return n_trials / best


def malloc_rate(env_extra: dict[str, str], mode: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | env_extra
    out = subprocess.run(
        [sys.executable, "-c", MALLOC_CHILD, mode], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dask_rate(n_trials: int) -> tuple[float, float]:
    """Trials per second on a local Dask cluster of 2 single-threaded workers under nannies, and
    the same with the workers' environment holding MALLOC_MMAP_THRESHOLD_ (no fix needed)."""
    from distributed import Client

    rates = []
    dask = str(Path(sys.executable).with_name("dask"))
    for extra in ({}, {"MALLOC_MMAP_THRESHOLD_": str(32 * 1024 * 1024)}):
        address = f"tcp://127.0.0.1:{_free_port()}"
        env = {**os.environ, **extra, "PYTHONPATH": os.pathsep.join(sys.path)}
        procs = [
            subprocess.Popen(
                [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        procs += [
            subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        try:
            for _ in range(240):
                try:
                    with Client(address, timeout="5s") as c:
                        c.wait_for_workers(2, timeout=60)
                    break
                except OSError:
                    time.sleep(0.5)
            rate("gray", 2000, 1, backend="dask", scheduler=address)  # warm the workers
            rates.append(rate("gray", n_trials, 2, backend="dask", scheduler=address))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=8000, help="trials per timing (blocks of 1,000)")
    parser.add_argument("--fine-gray-trials", type=int, default=200)
    parser.add_argument("--dask", action="store_true", help="also time a local Dask cluster of 2 workers")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    one = rate("gray", args.trials, 2)
    two = rate("gray", args.trials, 2, backend="processes", workers=2)
    rows = [
        ("Gray's test, 1 core (in-process)", one, np.nan),
        ("Gray's test, 2 worker processes", two, two / (2 * one)),
        ("cause-specific log-rank, 1 core", rate("logrank", args.trials, 2), np.nan),
        ("Fine-Gray Wald z, 1 core", rate("fine-gray", args.fine_gray_trials, 1, block_size=100), np.nan),
    ]
    nanny = {"MALLOC_TRIM_THRESHOLD_": "65536"}
    rows += [
        ("one block, fresh process, default malloc", malloc_rate({}, "plain"), np.nan),
        ("one block, MALLOC_TRIM_THRESHOLD_=65536 (Dask nanny)", malloc_rate(nanny, "plain"), np.nan),
        ("one block, the same with tune_malloc()", malloc_rate(nanny, "fix"), np.nan),
    ]
    if args.dask:
        fixed, env_fixed = dask_rate(args.trials)
        rows += [
            ("Dask, 2 workers (nanny; tune_malloc in the task)", fixed, fixed / (2 * one)),
            ("Dask, 2 workers, MALLOC_MMAP_THRESHOLD_ in their environment", env_fixed, env_fixed / (2 * one)),
        ]
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    table = pd.DataFrame(rows, columns=["run", "trials per second", "parallel efficiency"])
    print(table.to_string(index=False, float_format="{:,.2f}".format, na_rep="-"))


if __name__ == "__main__":
    main()
