"""Run one notebook with papermill the way ``make report`` needs it, and summarise a run.

Papermill traps handled here, each covered by ``tests/test_pipeline.py``:

* without a kernel name papermill uses the one in the notebook's metadata, which may not exist on
  another machine: we always pass the project kernel (:data:`helpers.config.KERNEL_NAME`);
* without ``cwd`` relative paths differ from JupyterLab: we run in ``notebooks/`` as JupyterLab does;
* on failure papermill still writes the output notebook, which Make would take as up to date: we
  execute into a temporary name and move it into place only on success, otherwise it becomes
  ``<name>.FAILED.ipynb`` beside a ``<name>.FAILED/`` folder of whatever artefacts it wrote;
* it stamps run times, durations and random cell ids into the output: :func:`normalise_notebook`
  removes them so the same inputs give a byte-identical executed notebook;
* SIGTERM (a scheduler, ``kill``) would end the process without any clean-up: :func:`main` turns
  it into the same exception as Ctrl-C (SIGINT), so a killed run is renamed ``.FAILED`` too;
* the kernel would write every cell into the IPython history database in the home folder, and log
  a warning about TCP transport: :data:`KERNEL_ARGUMENTS` turn both off.

One notebook serves both reports (make's ``REPORT``): a cell tagged ``closed-only`` (Jupyter cell
tags, as ``parameters``) is left out of the open report's run, one tagged ``open-only`` out of the
closed report's (:func:`cells_for_report`), before papermill executes the notebook; the render
step of an open run then checks every output for arm names and comparisons
(:func:`helpers.run.blinding.check_open_run`) and leaves no report when it finds one.

Command line, as the Makefile calls it (every value comes from the run's state files, which
``python -m helpers.run.params`` wrote; no value passes through a shell)::

    python -m helpers.run.pipeline validate --run reports/synthetic
    python -m helpers.run.pipeline run 02_relapse --run reports/synthetic
    python -m helpers.run.pipeline render --run reports/synthetic
    python -m helpers.run.pipeline summary --run reports/synthetic
    python -m helpers.run.pipeline data            # the synthetic trial, from data/.params-synthetic

By hand: ``python -m helpers.run.pipeline run 02_relapse --out-dir DIR -p data_dir=... -p seed=1``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers import config
from helpers.files import atomic_write_bytes, sha256_file, sigterm_as_interrupt
from helpers.run import params as make_params

#: Parameters every notebook's ``parameters`` cell defines; the Makefile passes them all.
PARAMETERS = ("study", "data_dir", "cutoff", "population", "out_dir", "seed", "patient_listings", "report")
#: The cell tags that keep a cell out of the other report's run: report -> tag of the cells it leaves out.
REPORT_TAGS = {"closed": "open-only", "open": "closed-only"}
#: Kernel command-line options: no IPython history database (cell sources would be kept in the
#: home folder), and no start-up warnings in the run's log (the kernel's TCP-without-encryption
#: notice; the kernel listens on localhost only).
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False", "--IPKernelApp.log_level=ERROR")
#: Where a folder's previous outputs go when its inputs changed or failed validation.
STALE_DIR = ".stale"


#: The data findings of the validation step (``OUT_DIR/.make/findings.json``), listed by the summary.
FINDINGS_FILE = "findings.json"


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
    """Turn ``key=value`` strings into notebook parameters; ``seed`` is an integer,
    ``patient_listings`` a boolean (0 or 1)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"parameter {pair!r} is not of the form key=value")
        if key not in PARAMETERS or key == "out_dir":
            raise ValueError(
                f"parameter {key!r} is unknown; expected {', '.join(p for p in PARAMETERS if p != 'out_dir')}"
                " (out_dir comes from --out-dir)"
            )
        if key == "report" and value not in REPORT_TAGS:
            raise ValueError(f"parameter report={value!r}; expected one of {', '.join(REPORT_TAGS)}")
        if key == "patient_listings":
            if value.lower() not in ("0", "1", "false", "true"):
                raise ValueError(f"parameter patient_listings={value!r}; expected 0 or 1")
            params[key] = value.lower() in ("1", "true")
        else:
            params[key] = int(value) if key == "seed" else value
    return params


def cells_for_report(nb: Any, report: str) -> Any:
    """The notebook without the cells of the other report: ``report="open"`` leaves out the cells
    tagged ``closed-only``, ``"closed"`` those tagged ``open-only`` (:data:`REPORT_TAGS`)."""
    if report not in REPORT_TAGS:
        raise ValueError(f"{report=} is not a report; expected one of {', '.join(REPORT_TAGS)}")
    other = REPORT_TAGS[report]
    nb.cells = [c for c in nb.cells if other not in c.get("metadata", {}).get("tags", [])]
    return nb


def _portable(path: str | Path, start: Path) -> str:
    """``path`` relative to ``start`` when both lie in the project, so that executed notebooks do
    not depend on where the project was cloned; otherwise as given (absolute only if given so)."""
    p = Path(os.path.abspath(path))
    if p.is_relative_to(config.PROJECT_ROOT) and start.resolve().is_relative_to(config.PROJECT_ROOT):
        return os.path.relpath(p, start.resolve())
    return str(path) if Path(path).is_absolute() else str(p)


def redact_paths(nb: Any, parameters: Mapping[str, Any]) -> Any:
    """The executed notebook as a deliverable: a path parameter outside the project (absolute,
    naming users and folder layouts) is shown by its last part only wherever the notebook quotes
    it, as the report's provenance shows it."""
    for key in ("data_dir", "study", "out_dir"):
        value = parameters.get(key)
        if not isinstance(value, str) or not os.path.isabs(value):
            continue
        name = Path(value).name
        recorded = nb.metadata.get("papermill", {}).get("parameters", {})
        for k, v in recorded.items():
            if v == value:
                recorded[k] = f"<outside the project>/{name}"
        # as given, and as papermill's parameter cell and reprs escape it (e.g. "d\xe2ta")
        for given in dict.fromkeys((value, value.encode("unicode_escape").decode("ascii"), repr(value)[1:-1])):
            shown = f"<outside the project>/{name if given == value else repr(name)[1:-1]}"
            for cell in nb.cells:
                cell.source = cell.source.replace(given, shown)
                for output in cell.get("outputs", []):
                    if isinstance(output.get("text"), str):
                        output["text"] = output["text"].replace(given, shown)
                    for mime, data in output.get("data", {}).items():
                        if isinstance(data, str):
                            output["data"][mime] = data.replace(given, shown)
    return nb


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

    given_out_dir = out_dir
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
    for key in ("data_dir", "study"):  # paths inside the project: relative, as in JupyterLab
        if params.get(key):
            params[key] = _portable(params[key], source.parent)
    params["out_dir"] = _portable(given_out_dir, source.parent)
    runnable = cells_for_report(nbformat.read(source, as_version=4), str(params.get("report") or "closed"))
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            runnable,
            str(running),
            parameters=params,
            kernel_name=kernel_name,
            cwd=str(source.parent),
            progress_bar=progress_bar,
            request_save_on_cell_execute=True,
            extra_arguments=list(KERNEL_ARGUMENTS),
        )
    except BaseException as error:  # includes KeyboardInterrupt: never leave a valid-looking output
        if running.exists():
            running.replace(failed_nb)
        if artefacts.exists():
            artefacts.replace(failed_dir)
        raise NotebookFailed(_failure_message(name, error)) from error
    seconds = time.perf_counter() - started

    nb = redact_paths(normalise_notebook(nbformat.read(running, as_version=4), name), params)
    atomic_write_bytes(target, (nbformat.writes(nb) + "\n").encode("utf-8"))
    running.unlink()
    _record_timing(out_dir, name, seconds)
    return target


def _record_timing(out_dir: Path, name: str, seconds: float) -> None:
    state = out_dir / config.MAKE_STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    (state / f"{name}.seconds").write_text(f"{seconds:.3f}\n")


# -- the steps the Makefile runs -------------------------------------------------------------------
def _outputs(out_dir: Path) -> list[Path]:
    """Every output of a run folder: executed notebooks, their artefact folders, failed runs and
    the report. Nothing else in the folder (a user's own files, ``.make``) is touched."""
    found = []
    for name in (*config.ANALYSIS_NOTEBOOKS, config.REPORT_NOTEBOOK):
        for stem in (name, name + config.FAILED_SUFFIX):
            found += [out_dir / f"{stem}.ipynb", out_dir / stem]
    found += [out_dir / f"report.{ext}" for ext in ("html", "pdf", "docx")]
    found += [out_dir / name for name in ("ard.parquet", "ard.json", "rtf")]
    return [p for p in found if p.exists() or p.is_symlink()]


def retire_outputs(out_dir: str | Path, reason: str) -> list[Path]:
    """Move the folder's outputs into ``OUT_DIR/.stale/`` (replacing an older one), so that
    nothing left in the folder can pass for a result of its current parameters and inputs."""
    out_dir = Path(out_dir)
    moved = _outputs(out_dir)
    if not moved:
        return []
    stale = out_dir / STALE_DIR
    if stale.exists():
        shutil.rmtree(stale)
    stale.mkdir()
    for p in moved:
        p.replace(stale / p.name)
    (stale / "WHY.txt").write_text(reason + "\n", encoding="utf-8")
    for timing in (out_dir / config.MAKE_STATE_DIR).glob("*.seconds"):
        timing.unlink()
    return moved


def _run_out_dir(run: str | Path, given: Mapping[str, Any]) -> Path:
    return Path(given.get("out_dir") or run)


def validate(run: str | Path) -> int:
    """Validate the run's data before any notebook. When the parameters or input content differ
    from those the folder's outputs were made from, or validation fails, those outputs are
    retired first (:func:`retire_outputs`). ``.make/validated`` records what was validated."""
    given = make_params.read_run_parameters(run)
    out_dir = _run_out_dir(run, given)
    state = out_dir / config.MAKE_STATE_DIR
    make_params.sync_inputs(out_dir, given)  # data written earlier in this make run (make data)
    digest = hashlib.sha256((state / "params.json").read_bytes() + (state / "inputs.sha256").read_bytes()).hexdigest()
    stamp = state / config.VALIDATED_STAMP
    previous = stamp.read_text().strip() if stamp.exists() else None
    if previous != digest:
        retire_outputs(out_dir, "made from other parameters or input files than those in .make/")
    stamp.unlink(missing_ok=True)
    data_dir = given["data_dir"]
    findings = state / FINDINGS_FILE
    # the validated, cut trial for the notebooks (helpers.run.notebook.saved_trial), under the
    # same digest as the stamp; the validator removes an earlier one before it reads the data
    cmd = [
        sys.executable,
        "-m",
        "helpers.data.contract",
        "validate",
        data_dir,
        *given["validator"],
        "--findings",
        str(findings),
        "--save",
        str(state / config.SAVED_TRIAL_DIR),
        "--key",
        digest,
    ]
    print("validating", _shown(data_dir), *given["validator"], flush=True)
    done = subprocess.run(cmd)
    if done.returncode != 0:
        retired = retire_outputs(out_dir, f"the data in {data_dir} failed validation")
        if retired:
            print(f"       the folder's previous outputs were moved to {out_dir / STALE_DIR}", file=sys.stderr)
        return done.returncode
    stamp.write_text(digest + "\n")
    return 0


def _shown(path: str | Path) -> str:
    p = Path(os.path.abspath(path))
    return os.path.relpath(p, config.PROJECT_ROOT) if p.is_relative_to(config.PROJECT_ROOT) else str(path)


def run_from_state(name: str, run: str | Path, *, progress_bar: bool = True) -> Path:
    given = make_params.read_run_parameters(run)
    return run_notebook(name, _run_out_dir(run, given), given["notebook"], progress_bar=progress_bar)


def render_from_state(run: str | Path) -> dict[str, Path]:
    from helpers.run import report

    given = make_params.read_run_parameters(run)
    out_dir = _run_out_dir(run, given)
    renderer = (out_dir / config.MAKE_STATE_DIR / "renderer-choice").read_text().strip()
    paths = report.render(out_dir, renderer)
    if given["notebook"].get("report") == "open":
        check_blind(out_dir, given["notebook"]["study"])
    return paths


def check_blind(out_dir: Path, study_path: str | Path) -> None:
    """Check every output of an open run (:func:`helpers.run.blinding.check_open_run`); when one
    names an arm or a comparison, the report moves to ``.stale/`` and the error says where."""
    from helpers.run import blinding
    from helpers.study import load_study

    try:
        blinding.check_open_run(out_dir, load_study(study_path))
    except blinding.BlindingError as error:
        retire_outputs(out_dir, f"not blind: {error}")
        raise blinding.BlindingError(f"{error}\n       the run's outputs were moved to {out_dir / STALE_DIR}") from None


def make_synthetic(root: Path = config.PROJECT_ROOT) -> Path:
    """Write the synthetic trial to ``data/synthetic`` with the options in
    ``data/.params-synthetic``, through a temporary folder, with a ``SHA256SUMS`` file."""
    options = json.loads((root / make_params.SYNTHETIC_PARAMS).read_text())
    final = root / make_params.SYNTHETIC_DIR
    final.parent.mkdir(parents=True, exist_ok=True)
    # a folder of its own: two makes writing the same trial at once (the tests' servers, a user's
    # second terminal) never delete each other's files; the data are the same bytes either way
    tmp = Path(tempfile.mkdtemp(prefix=final.name + ".tmp-", dir=final.parent))
    try:
        args = [str(a) for k, v in sorted(options.items()) for a in (k, v)]
        subprocess.run([sys.executable, "-m", "helpers.synthetic", "--out", str(tmp), *args], check=True)
        sums = "".join(f"{sha256_file(f)}  {f.name}\n" for f in make_params.input_files(tmp))
        (tmp / "SHA256SUMS").write_text(sums)
        shutil.rmtree(final, ignore_errors=True)
        try:
            tmp.replace(final)
        except OSError:
            if not (final / "SHA256SUMS").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def summary(out_dir: str | Path, shown: str | None = None) -> str:
    """One screen: which notebooks ran in this run's folder, how long each took, where the report is."""
    out_dir = Path(out_dir)
    shown = shown or str(out_dir)
    state = out_dir / config.MAKE_STATE_DIR
    lines = [f"Run folder: {shown}", "", f"  {'notebook':<16}{'status':<10}{'seconds':>9}"]
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
    for fmt in ("html", "pdf", "docx"):
        report = out_dir / f"report.{fmt}"
        lines.append(f"  report ({fmt}): {os.path.join(shown, report.name) if report.exists() else 'not built'}")
    for what, name in (("results (ARD)", "ard.parquet"), ("tables (RTF)", "rtf")):
        lines.append(f"  {what}: {os.path.join(shown, name) if (out_dir / name).exists() else 'not built'}")
    renderer = state / "renderer"
    if renderer.exists():
        lines.append(f"  rendered with: {renderer.read_text().strip()}")
    lines += findings_lines(state / FINDINGS_FILE)
    return "\n".join(lines)


def findings_lines(path: Path, limit: int = 20) -> list[str]:
    """The data findings of the validation step, one line each (the report's "Data review"
    section lists them all)."""
    if not path.exists():
        return []
    findings = json.loads(path.read_text(encoding="utf-8"))
    if not findings:
        return ["", "  data findings: none"]
    lines = ["", f"  data findings: {len(findings)} (none stops the run; STRICT=1 makes them errors)"]
    for f in findings[:limit]:
        rows = "" if f.get("n_rows") is None else f"; {f['n_rows']} row{'s' if f['n_rows'] != 1 else ''}"
        ids = f"; first: {', '.join(f['ids'])}" if f.get("ids") else ""
        lines.append(f"    {f['table']}.{f.get('column') or '-'}: {f['rule']}{rows}{ids}")
    if len(findings) > limit:
        lines.append(f"    ... and {len(findings) - limit} more in the report's Data review section")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.run.pipeline", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute one notebook with papermill")
    run.add_argument("notebook", help="notebook stem, e.g. 02_relapse")
    where = run.add_mutually_exclusive_group(required=True)
    where.add_argument("--run", help="run folder as make names it; parameters from its .make/params.json")
    where.add_argument("--out-dir")
    run.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--source", type=Path, help=argparse.SUPPRESS)  # another notebook file (tests)
    run.add_argument("--no-progress", action="store_true")
    for step, text in (
        ("validate", "validate the run's data; retire outputs that no longer match"),
        ("render", "render the report (HTML, PDF, DOCX) and write the ARD and the RTF tables"),
        ("summary", "print the one-screen summary of a run folder"),
    ):
        sub.add_parser(step, help=text).add_argument("--run", required=True)
    sub.add_parser("data", help="write the synthetic trial to data/synthetic")
    args = parser.parse_args(argv)

    with sigterm_as_interrupt():
        try:
            if args.command == "summary":
                given = make_params.read_run_parameters(args.run)
                print(summary(_run_out_dir(args.run, given), given.get("out_dir")))
                return 0
            if args.command == "validate":
                return validate(args.run)
            if args.command == "render":
                from helpers.run.blinding import BlindingError
                from helpers.run.report import RenderError

                try:
                    paths = render_from_state(args.run)
                except (RenderError, BlindingError, ValueError) as error:
                    print(f"\nERROR: report rendering failed: {error}", file=sys.stderr)
                    return 1
                for fmt, path in paths.items():
                    print(f"report ({fmt}): {path}" if fmt in ("html", "pdf", "docx") else f"{fmt}: {path}")
                return 0
            if args.command == "data":
                make_synthetic()
                return 0
            return _run_command(args)
        except KeyboardInterrupt as stop:
            print(f"\nERROR: {stop or 'interrupted'}; nothing was left under a valid name", file=sys.stderr)
            return 130
        except subprocess.CalledProcessError as error:
            print(f"\nERROR: {error}", file=sys.stderr)
            return 1


def _run_command(args: argparse.Namespace) -> int:
    out_dir = args.out_dir
    try:
        if args.run:
            given = make_params.read_run_parameters(args.run)
            out_dir, params = _run_out_dir(args.run, given), dict(given["notebook"])
        else:
            params = parse_parameters(args.parameter)
        name = args.notebook
        if args.source is None:
            notebook_source(name)
        run_notebook(name, out_dir, params, progress_bar=not args.no_progress, source=args.source)
    except NotebookFailed as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        print(
            f"       partial notebook kept for inspection: "
            f"{Path(out_dir) / (args.notebook + config.FAILED_SUFFIX + '.ipynb')}",
            file=sys.stderr,
        )
        return 1
    except (FileNotFoundError, ValueError) as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
