"""Run one notebook with papermill the way ``make report`` needs it, and summarise a run.

Papermill traps handled here, each covered by ``tests/test_pipeline.py``:

* without a kernel name papermill uses the one in the notebook's metadata, which may not exist on
  another machine: we always pass the project kernel (:data:`helpers.config.KERNEL_NAME`);
* without ``cwd`` relative paths differ from JupyterLab: we run in ``notebooks/`` as JupyterLab does;
* on failure papermill still writes the output notebook, which Make would take as up to date: we
  execute into a temporary name and move it into place only on success, otherwise it becomes
  ``<name>.FAILED.ipynb`` beside a ``<name>.FAILED/`` folder of whatever artefacts it wrote;
* it stamps run times, durations and random cell ids into the output: :func:`normalise_notebook`
  removes them so the same inputs give a byte-identical executed notebook.

Command line (used by the Makefile)::

    python -m helpers.pipeline run 02_relapse --out-dir reports/synthetic -p data_dir=... -p cutoff=...
    python -m helpers.pipeline summary reports/synthetic
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import config
from .files import atomic_write_bytes

#: Parameters every notebook's ``parameters`` cell defines; the Makefile passes them all.
PARAMETERS = ("data_dir", "cutoff", "population", "out_dir", "seed")


class NotebookFailed(RuntimeError):
    """A notebook raised while papermill executed it."""


def notebook_source(name: str) -> Path:
    """Path of a source notebook from its stem, e.g. ``"02_relapse"``."""
    path = config.NOTEBOOKS_DIR / f"{name}.ipynb"
    if not path.exists():
        known = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
        raise FileNotFoundError(f"no notebook {path}; known notebooks: {', '.join(known)}")
    return path


def parse_parameters(pairs: Sequence[str]) -> dict[str, Any]:
    """Turn ``key=value`` strings into notebook parameters; ``seed`` is an integer."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"parameter {pair!r} is not of the form key=value")
        if key not in PARAMETERS or key == "out_dir":
            raise ValueError(f"parameter {key!r} is unknown; expected {', '.join(p for p in PARAMETERS if p != 'out_dir')}"
                             " (out_dir comes from --out-dir)")
        params[key] = int(value) if key == "seed" else value
    return params


def _portable(path: str | Path, start: Path) -> str:
    """``path`` relative to ``start`` when both lie in the project, so that executed notebooks do
    not depend on where the project was cloned; absolute otherwise."""
    p = Path(path).resolve()
    if p.is_relative_to(config.PROJECT_ROOT) and start.resolve().is_relative_to(config.PROJECT_ROOT):
        return os.path.relpath(p, start.resolve())
    return str(p)


def normalise_notebook(nb: Any, name: str = "") -> Any:
    """Remove what changes from run to run: timings, papermill status, random cell ids, and the
    absolute paths papermill records for its input and (temporary) output."""
    pm = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "exception", "environment_variables"):
        pm.pop(key, None)
    if name:
        pm["input_path"] = f"notebooks/{name}.ipynb"
        pm["output_path"] = f"{name}.ipynb"
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
    return nb


def _failure_message(name: str, error: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    src = f"notebooks/{name}.ipynb"
    if isinstance(error, PapermillExecutionError):
        first_line = next((ln for ln in error.source.splitlines() if ln.strip() and not ln.startswith("#|")), "")
        return (
            f"{src} failed in cell {error.cell_index} (execution count {error.exec_count}): "
            f"{error.ename}: {error.evalue}\n    cell starts: {first_line.strip()}"
        )
    return f"{src} failed: {type(error).__name__}: {error}"


def run_notebook(
    name: str,
    out_dir: str | Path,
    parameters: Mapping[str, Any],
    *,
    kernel_name: str = config.KERNEL_NAME,
    progress_bar: bool = True,
    source: Path | None = None,
) -> Path:
    """Execute ``notebooks/<name>.ipynb`` into ``out_dir/<name>.ipynb`` with papermill.

    The notebook runs with ``cwd=notebooks/`` on the project kernel. Its artefact folder
    ``out_dir/<name>/``, any earlier failure and the report it feeds are removed first, so
    nothing stale survives.
    On failure the partial notebook and artefacts are renamed ``<name>.FAILED*`` and
    :class:`NotebookFailed` is raised with the failing cell and error.

    ``source`` overrides ``notebooks/<name>.ipynb`` (tests use it). Returns the path of the
    executed notebook.
    """
    import nbformat
    import papermill as pm

    out_dir = Path(out_dir).resolve()
    source = Path(source) if source is not None else notebook_source(name)
    target = out_dir / f"{name}.ipynb"
    artefacts = out_dir / name
    failed_nb = out_dir / f"{name}{config.FAILED_SUFFIX}.ipynb"
    failed_dir = out_dir / f"{name}{config.FAILED_SUFFIX}"
    running = out_dir / f".{name}.running.ipynb"

    out_dir.mkdir(parents=True, exist_ok=True)
    # Whatever this notebook feeds is stale from now on: the rendered report, and the executed
    # report notebook when an analysis notebook re-runs. Removing them first means a failure
    # can never leave a report that looks current.
    downstream = [out_dir / "report.html", out_dir / "report.pdf"]
    if name != config.REPORT_NOTEBOOK:
        downstream.append(out_dir / f"{config.REPORT_NOTEBOOK}.ipynb")
    for stale in (target, failed_nb, running, *downstream):
        stale.unlink(missing_ok=True)
    for stale_dir in (artefacts, failed_dir):
        if stale_dir.exists():
            shutil.rmtree(stale_dir)

    params = dict(parameters)
    if "data_dir" in params:
        params["data_dir"] = _portable(params["data_dir"], source.parent)
    params["out_dir"] = _portable(out_dir, source.parent)
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            str(source),
            str(running),
            parameters=params,
            kernel_name=kernel_name,
            cwd=str(source.parent),
            progress_bar=progress_bar,
            request_save_on_cell_execute=True,
        )
    except BaseException as error:  # includes KeyboardInterrupt: never leave a valid-looking output
        if running.exists():
            running.replace(failed_nb)
        if artefacts.exists():
            artefacts.replace(failed_dir)
        raise NotebookFailed(_failure_message(name, error)) from error
    seconds = time.perf_counter() - started

    nb = normalise_notebook(nbformat.read(running, as_version=4), name)
    atomic_write_bytes(target, (nbformat.writes(nb) + "\n").encode("utf-8"))
    running.unlink()
    _record_timing(out_dir, name, seconds)
    return target


def _record_timing(out_dir: Path, name: str, seconds: float) -> None:
    state = out_dir / config.MAKE_STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    (state / f"{name}.seconds").write_text(f"{seconds:.3f}\n")


def summary(out_dir: str | Path) -> str:
    """One screen: which notebooks ran in this run's folder, how long each took, where the report is."""
    out_dir = Path(out_dir)
    state = out_dir / config.MAKE_STATE_DIR
    lines = [f"Run folder: {out_dir}", "", f"  {'notebook':<16}{'status':<10}{'seconds':>9}"]
    for name in (*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK):
        timing = state / f"{name}.seconds"
        if (out_dir / f"{name}{config.FAILED_SUFFIX}.ipynb").exists():
            status, secs = "FAILED", "-"
        elif (out_dir / f"{name}.ipynb").exists():
            status = "ok"
            secs = timing.read_text().strip() if timing.exists() else "-"
        else:
            status, secs = "missing", "-"
        lines.append(f"  {name:<16}{status:<10}{secs:>9}")
    lines.append("")
    for fmt in ("html", "pdf"):
        report = out_dir / f"report.{fmt}"
        lines.append(f"  report ({fmt}): {report if report.exists() else 'not built'}")
    renderer = state / "renderer"
    if renderer.exists():
        lines.append(f"  rendered with: {renderer.read_text().strip()}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute one notebook with papermill")
    run.add_argument("notebook", help="notebook stem, e.g. 02_relapse")
    run.add_argument("--out-dir", required=True)
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--no-progress", action="store_true")
    summ = sub.add_parser("summary", help="print the one-screen summary of a run folder")
    summ.add_argument("out_dir")
    args = parser.parse_args(argv)

    if args.command == "summary":
        print(summary(args.out_dir))
        return 0
    try:
        params = parse_parameters(args.parameter)
        run_notebook(args.notebook, args.out_dir, params, progress_bar=not args.no_progress)
    except NotebookFailed as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        print(
            f"       partial notebook kept for inspection: "
            f"{Path(args.out_dir) / (args.notebook + config.FAILED_SUFFIX + '.ipynb')}",
            file=sys.stderr,
        )
        return 1
    except (FileNotFoundError, ValueError) as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
