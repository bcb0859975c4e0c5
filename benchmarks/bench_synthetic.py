"""Time the synthetic-trial generator and the loader at trial and registry scale.

    .venv/bin/python benchmarks/bench_synthetic.py                  # 346, 10,000 and 100,000 patients
    .venv/bin/python benchmarks/bench_synthetic.py --sizes 346,1000000

For each size: generate (seeded), write CSV, then load_trial (read + validate + population), and
one endpoint's cumulative incidence with Gray's test, to show where a registry-sized run spends
its time. Prints a table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from helpers.data.contract import load_trial
from helpers.stats import competing_risks as cr
from helpers.synthetic import generate, write_trial


def timed(f):
    start = time.perf_counter()
    value = f()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="346,10000,100000")
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        tables, gen_s = timed(lambda: generate(n_patients=n))
        with tempfile.TemporaryDirectory() as tmp:
            _, write_s = timed(lambda: write_trial(tables, Path(tmp)))
            trial, load_s = timed(lambda: load_trial(tmp))
        rel = trial.endpoint("REL")
        _, cif_s = timed(
            lambda: (cr.cumulative_incidence(rel, "AVAL", "EVNTCD", "ARM"), cr.gray_test(rel, "AVAL", "EVNTCD", "ARM"))
        )
        rows.append(
            {
                "patients": n,
                "adtte rows": len(tables["adtte"]),
                "adae rows": len(tables["adae"]),
                "generate s": gen_s,
                "write csv s": write_s,
                "load + validate s": load_s,
                "CIF + Gray s": cif_s,
            }
        )
        print(f"n = {n} done", flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format="{:.2f}".format))


if __name__ == "__main__":
    main()
