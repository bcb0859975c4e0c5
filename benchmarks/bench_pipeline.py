"""Time `make report`: cold (empty run folder) at -j1 and -j2 with seconds per step and peak memory,
then a no-op rebuild and a one-notebook rebuild.

Prints tables; nothing is asserted (speed is measured here, never in timed tests).

    .venv/bin/python benchmarks/bench_pipeline.py                      # the synthetic trial in data/synthetic
    .venv/bin/python benchmarks/bench_pipeline.py --n-patients 100000  # a larger synthetic trial, in a temporary folder
    .venv/bin/python benchmarks/bench_pipeline.py --fresh-clone        # also: git clone + make report from nothing

Seconds per step: ``validate`` and ``render`` from the time make printed each recipe to the time
it printed the next one (or ended; nothing runs beside them), each notebook from the run folder's
``.make/NAME.seconds`` (papermill's execution, without starting the Python process that runs it).
Peak memory: the largest resident set of one process under make (``wait4``'s ``ru_maxrss``), and
the largest sum over every process under make, sampled every 0.1 s with psutil (with -j2 two
notebooks run at once).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = ROOT / ".venv" / "bin" / "python"
NOTEBOOKS = ("01_cohort", "02_relapse", "03_safety", "04_subgroups", "90_report")
#: make's echo of a recipe -> the step it starts
_STEP = re.compile(r"helpers\.run\.pipeline (validate|render|run (\S+))")


@dataclass
class Made:
    """One make run: wall seconds, seconds per step, peak memory (MB)."""

    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    max_rss_mb: float = 0.0
    tree_rss_mb: float | None = None


def _tree_rss(pid: int, peak: list[float], done: threading.Event) -> None:
    try:
        import psutil
    except ImportError:
        return
    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not done.is_set():
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        except psutil.Error:
            break
        peak[0] = max(peak[0], total / 2**20)
        done.wait(0.1)


def make(cwd: Path, *args: str, run_dir: Path | None = None) -> Made:
    """Run make, time it and each step it prints, and measure its peak memory."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["make", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    peak, done = [0.0], threading.Event()
    sampler = threading.Thread(target=_tree_rss, args=(proc.pid, peak, done), daemon=True)
    sampler.start()
    err: list[str] = []
    drain = threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True)
    drain.start()
    marks: list[tuple[str, float]] = []
    for line in proc.stdout:
        m = _STEP.search(line)
        if m and not line.lstrip().startswith(("validating", "report (")):
            marks.append((m.group(2) or m.group(1), time.perf_counter()))
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    drain.join()
    if proc.returncode != 0:
        raise SystemExit(f"make {' '.join(args)} failed:\n{''.join(err)[-3000:]}")
    ends = [t for _, t in marks[1:]] + [start + seconds] * bool(marks)
    steps = {name: end - t for (name, t), end in zip(marks, ends, strict=True) if name in ("validate", "render")}
    if run_dir is not None:
        for name in NOTEBOOKS:
            f = run_dir / ".make" / f"{name}.seconds"
            if f.exists():
                steps[name] = float(f.read_text())
    return Made(seconds, steps, usage.ru_maxrss / 1024, peak[0] or None)


def synthetic(out: Path, n_patients: int) -> None:
    cmd = [str(PY), "-m", "helpers.synthetic", "--out", str(out), "--n-patients", str(n_patients)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n-patients", type=int, default=None, help="generate a synthetic trial of N patients in a temporary folder"
    )
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="make -j values of the cold runs")
    parser.add_argument("--no-rebuilds", action="store_true", help="skip the no-op and one-notebook rebuilds")
    parser.add_argument("--fresh-clone", action="store_true", help="also time make report on a new clone")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    cold: dict[int, Made] = {}
    make(ROOT, "data")
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        data: list[str] = []
        if args.n_patients is not None:
            started = time.perf_counter()
            synthetic(Path(tmp) / "data", args.n_patients)
            print(f"synthetic trial of {args.n_patients:,} patients written in {time.perf_counter() - started:.1f} s")
            data = [f"DATA_DIR={Path(tmp) / 'data'}"]
        for j in args.jobs:
            out = Path(tmp) / f"j{j}"
            cold[j] = make(ROOT, f"-j{j}", "report", *data, f"OUT_DIR={out}", run_dir=out)
            rows.append((f"cold make report -j{j} (empty run folder)", cold[j].seconds))
        first = Path(tmp) / f"j{args.jobs[0]}"
        if not args.no_rebuilds:
            rows.append(("no-op make report", make(ROOT, "report", *data, f"OUT_DIR={first}").seconds))
            changed = make(ROOT, "report", *data, f"OUT_DIR={first}", "-W", "notebooks/03_safety.ipynb")
            rows.append(("one notebook changed (03_safety) + report", changed.seconds))
        if args.fresh_clone:
            clone = Path(tmp) / "clone"
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
            rows.append(("fresh clone: make report (venv, data, notebooks, report)", make(clone, "report").seconds))
    n = f"{args.n_patients:,}" if args.n_patients is not None else "data/synthetic"
    print(f"\npatients: {n}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs\n")
    head = "".join(f"{f'-j{j}':>9}" for j in args.jobs)
    print(f"{'step (seconds)':<20}{head}")
    for name in ("validate", *NOTEBOOKS, "render"):
        print(f"{name:<20}" + "".join(f"{cold[j].steps.get(name, float('nan')):9.1f}" for j in args.jobs))
    print(f"{'make report (wall)':<20}" + "".join(f"{cold[j].seconds:9.1f}" for j in args.jobs))
    print(f"{'max RSS, 1 process':<20}" + "".join(f"{cold[j].max_rss_mb:6.0f} MB" for j in args.jobs))
    tree = [cold[j].tree_rss_mb for j in args.jobs]
    print(f"{'max RSS, all':<20}" + "".join(f"{t:6.0f} MB" if t else "        -" for t in tree))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'make':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.2f}")


if __name__ == "__main__":
    main()
