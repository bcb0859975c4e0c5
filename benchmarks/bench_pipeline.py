"""Time `make report`: cold (empty run folder), no-op rebuild, one-notebook rebuild, -j1 against -j2.

Prints a table; nothing is asserted (speed is measured here, never in timed tests).

    .venv/bin/python benchmarks/bench_pipeline.py            # uses the existing .venv and data
    .venv/bin/python benchmarks/bench_pipeline.py --fresh-clone   # also: git clone + make report from nothing
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make(cwd: Path, *args: str) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    start = time.perf_counter()
    done = subprocess.run(["make", *args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"make {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh-clone", action="store_true", help="also time make report on a new clone")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    make(ROOT, "data")
    with tempfile.TemporaryDirectory() as tmp:
        out1, out2 = Path(tmp) / "j1", Path(tmp) / "j2"
        rows.append(("cold make report -j1 (empty run folder)", make(ROOT, "report", f"OUT_DIR={out1}")))
        rows.append(("cold make report -j2 (empty run folder)", make(ROOT, "-j2", "report", f"OUT_DIR={out2}")))
        rows.append(("no-op make report", make(ROOT, "report", f"OUT_DIR={out1}")))
        rows.append(
            (
                "one notebook changed (03_safety) + report",
                make(ROOT, "report", f"OUT_DIR={out1}", "-W", "notebooks/03_safety.ipynb"),
            )
        )
        if args.fresh_clone:
            clone = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
            rows.append(("fresh clone: make report (venv, data, notebooks, report)", make(clone, "report")))
    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}")


if __name__ == "__main__":
    main()
