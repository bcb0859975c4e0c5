"""The variables a user sets on the make command line, checked in one place and handed on as data.

``make`` never puts a user's value into a shell command. While it reads the Makefile it writes
each variable's raw text (``$(value VAR)``, so a ``$`` is seen, not expanded) into a temporary
folder with ``$(file ...)``, and runs ``python -m helpers.run.params sync FOLDER``, which

* checks every value (:data:`VARIABLES`) and stops make with one clear message on the first bad one;
* works out the run folder (``OUT_DIR``, by default
  ``reports/<data folder>[-cut<CUTOFF>][-<POPULATION>]-<REPORT_FOLDER[REPORT]>``);
* writes the run's state files, each only when its content changes, so that exactly what depends
  on a changed value re-runs and ``make -n report`` is exact:

  ``OUT_DIR/.make/params.json``      notebook parameters and validator arguments
  ``OUT_DIR/.make/renderer-choice``  the RENDERER asked for
  ``OUT_DIR/.make/inputs.sha256``    SHA-256 of every input file (content, not modification time)
  ``data/.params-synthetic``         N_PATIENTS and DATA_SEED of the synthetic trial
  ``OUT_DIR/.make/explore.json``     REPORT and PORT, for ``make explore`` (nothing depends on it)

The recipes then call ``python -m helpers.run.pipeline STEP --run RUN``, which reads those files.

Adding a variable is one line in the Makefile (``NAME ?= default## help text``) and one row in
:data:`VARIABLES` below. This module uses the standard library only: it runs before the virtual
environment exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import config
from helpers.files import sha256_file, write_if_changed

SYNTHETIC_DIR = "data/synthetic"
SYNTHETIC_PARAMS = "data/.params-synthetic"
#: Where a run folder whose path make cannot use as a target name (spaces, quotes, ...) gets a
#: symbolic link with a plain name; make's targets go through the link.
LINKS_DIR = "reports/.links"
DATA_EXTENSIONS = (".csv", ".parquet", ".xpt")
RENDERERS = ("auto", "quarto", "nbconvert")
#: REPORT values and the end of the default run folder's name: the closed report (by arm) says
#: whom it is for, the open one (pooled over the arms) that it is open. One run folder per report.
REPORT_FOLDER = {"closed": "dmc-closed", "open": "open"}
#: REPORT's values.
REPORT_MODES = tuple(REPORT_FOLDER)
#: What ``make explore`` reads besides params.json (its own settings, REPORT and PORT).
EXPLORE_FILE = "explore.json"
#: Goals that need no run folder (their recipes use no user value).
NO_RUN_GOALS = {"help", "clean", "distclean", "lock", "test", "test-fast", "lint", "lab", "data"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Characters refused in paths: make expands ``$``; the others are never needed in a folder name
#: and only appear in typos and injection attempts. Spaces, quotes and non-ASCII letters are fine.
_PATH_REFUSED = set('$`;"\\|&<>*?')
#: Paths make can use as target names as they are (anything else goes through a link).
_MAKE_SAFE = re.compile(r"^[A-Za-z0-9._/+@-]+$")


class ParameterError(ValueError):
    """A make variable has a value the pipeline does not accept."""


# -- checks: each takes the raw text and returns the value to use, or raises ParameterError ------------
def _text(name: str, value: str) -> str:
    control = _CONTROL.search(value)
    if control:
        bad = control.group()
        raise ParameterError(
            f"{name} contains the control character {bad!r} (a newline or tab?); values are single-line text"
        )
    return value


def path(name: str, value: str) -> str:
    value = _text(name, value)
    bad = sorted(set(value) & _PATH_REFUSED)
    if bad:
        raise ParameterError(
            f"{name}={value!r} contains {' '.join(bad)}; paths may contain letters, "
            'digits, spaces, quotes and - _ . / + @ ( ) but not $ ` ; " \\ | & < > * ?'
        )
    return value


def input_dir(name: str, value: str) -> str:
    return path(name, value or SYNTHETIC_DIR)


def out_dir(name: str, value: str) -> str:
    return path(name, value)


def date_or_empty(name: str, value: str) -> str:
    value = _text(name, value)
    if value == "":
        return value
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        dt.date.fromisoformat(value)
    except ValueError:
        raise ParameterError(
            f"{name}={value!r} is not a date; expected YYYY-MM-DD (e.g. {name}=2025-06-30) or nothing"
        ) from None
    return value


def one_of(*choices: str) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if _text(name, value) not in choices:
            raise ParameterError(f"{name}={value!r} is not allowed; expected one of {', '.join(choices)}")
        return value

    return check


def integer(minimum: int = 0) -> Callable[[str, str], str]:
    def check(name: str, value: str) -> str:
        if not re.fullmatch(r"\d+", _text(name, value)) or int(value) < minimum:
            raise ParameterError(f"{name}={value!r} is not a whole number >= {minimum}")
        return value

    return check


def name(name: str, value: str) -> str:
    """A name such as a population (the study definition lists the valid ones; the contract checks),
    or nothing (the study's default)."""
    if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", _text(name, value)):
        raise ParameterError(f"{name}={value!r} is not a name (a letter, then letters, digits or _), e.g. {name}=ITT")
    return value


def study_file(name: str, value: str) -> str:
    value = path(name, value) or str(config.DEFAULT_STUDY)
    if not value.endswith((".yaml", ".yml")):
        raise ParameterError(
            f"{name}={value!r} is not a study definition; expected a .yaml file such as studies/nct04674345.yaml"
        )
    if not os.path.isfile(os.path.join(config.PROJECT_ROOT, value)):
        raise ParameterError(f"{name}={value!r}: no such file (a path relative to the project, or absolute)")
    return value


def port(name: str, value: str) -> str:
    value = _text(name, value) or "5006"
    if not re.fullmatch(r"\d{1,5}", value) or int(value) > 65535:
        raise ParameterError(f"{name}={value!r} is not a port; expected a whole number 0-65535 (0: any free port)")
    return value


def command(name: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._/+-]+", _text(name, value)):
        raise ParameterError(
            f"{name}={value!r} is not a program name or path (letters, digits, - _ . / + only), e.g. PYTHON=python3.11"
        )
    return value


@dataclass(frozen=True)
class Var:
    """One make variable: how it is checked and where its value goes.

    ``notebook``: the papermill parameter it sets (``convert`` gives the Python value);
    ``validator``: the ``helpers.data.contract validate`` option it sets (left out when the value is
    empty or False; a True value gives the bare flag); ``synthetic``: the ``helpers.synthetic``
    option; ``tracked``: its value names an input file whose content (SHA-256) re-runs the pipeline.
    """

    name: str
    check: Callable[[str, str], str]
    notebook: str | None = None
    convert: Callable[[str], Any] = str
    validator: str | None = None
    synthetic: str | None = None
    tracked: bool = False


VARIABLES: tuple[Var, ...] = (
    Var("DATA_DIR", input_dir, notebook="data_dir"),
    Var("CUTOFF", date_or_empty, notebook="cutoff", validator="--cutoff"),
    Var(
        "STUDY",
        study_file,
        notebook="study",
        validator="--study",
        convert=lambda v: os.path.join(config.PROJECT_ROOT, v),
        tracked=True,
    ),
    Var("POPULATION", name, notebook="population", validator="--population", convert=str.upper),
    Var(
        "STRICT",
        lambda name, value: one_of("0", "1")(name, value or "0"),
        validator="--strict",
        convert=lambda v: v == "1",
    ),
    Var("SEED", integer(), notebook="seed", convert=int),
    Var(
        "PATIENT_LISTINGS",
        lambda name, value: one_of("0", "1")(name, value or "0"),
        notebook="patient_listings",
        convert=lambda v: v == "1",
    ),
    Var(
        "REPORT",
        lambda name, value: one_of(*REPORT_FOLDER)(name, value or "closed"),
        notebook="report",
    ),
    Var("PORT", port),
    Var("RENDERER", one_of(*RENDERERS)),
    Var("OUT_DIR", out_dir),
    Var("PYTHON", command),
    Var("N_PATIENTS", integer(1), synthetic="--n-patients"),
    Var("DATA_SEED", integer(), synthetic="--seed"),
)
BY_NAME = {v.name: v for v in VARIABLES}


def check_all(raw: Mapping[str, str]) -> dict[str, str]:
    """Check every known variable present in ``raw``; unknown names are ignored."""
    return {v.name: v.check(v.name, raw[v.name]) for v in VARIABLES if v.name in raw}


# -- the run folder ------------------------------------------------------------------------------------
def _is_synthetic(data_dir: str, root: Path) -> bool:
    return os.path.abspath(root / data_dir) == os.path.abspath(root / SYNTHETIC_DIR)


def default_out_dir(values: Mapping[str, str], root: Path) -> str:
    """``reports/synthetic`` for the synthetic trial, else ``reports/<folder>-<hash of its path>``;
    then ``-cut<CUTOFF>`` and ``-<POPULATION>`` when one is named, and the report's
    :data:`REPORT_FOLDER` (``-dmc-closed``, ``-open``). A run on other data never writes into the
    default run's folder, and the open report never shares a folder with the closed one."""
    data_dir = values["DATA_DIR"]
    if _is_synthetic(data_dir, root):
        name = "synthetic"
    else:
        absolute = os.path.abspath(root / data_dir)
        name = f"{Path(absolute).name}-{hashlib.sha256(absolute.encode()).hexdigest()[:8]}"
    if values.get("CUTOFF"):
        name += f"-cut{values['CUTOFF']}"
    if values.get("POPULATION"):
        name += f"-{values['POPULATION']}"
    name += f"-{REPORT_FOLDER[values.get('REPORT') or 'closed']}"
    return f"reports/{name}"


def make_path(out: str, root: Path) -> str:
    """A name make can use for the run folder in its targets: ``out`` itself when it has only
    plain characters, else a link ``reports/.links/<hash>`` to it."""
    if _MAKE_SAFE.fullmatch(out) and not out.startswith("-"):
        return out
    absolute = os.path.abspath(root / out)
    link = root / LINKS_DIR / hashlib.sha256(absolute.encode()).hexdigest()[:16]
    link.parent.mkdir(parents=True, exist_ok=True)
    if not (link.is_symlink() and os.readlink(link) == absolute):
        tmp = link.with_name(link.name + f".{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(absolute)
        os.replace(tmp, link)
    return link.relative_to(root).as_posix()


# -- input content -------------------------------------------------------------------------------------
def input_files(data_dir: str | Path) -> list[Path]:
    folder = Path(data_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in DATA_EXTENSIONS)


def content_digests(files: Sequence[Path], cache_file: Path) -> list[tuple[str, Path]]:
    """SHA-256 of each file. A file whose size, modification and change times and inode are as
    cached is not read again (any write changes its change time, even ``cp -p`` or ``touch -d``)."""
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    fresh, out = {}, []
    for f in files:
        st = f.stat()
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = cache.get(str(f))
        digest = entry[1] if entry and entry[0] == key else sha256_file(f)
        fresh[str(f)] = [key, digest]
        out.append((digest, f))
    if fresh != cache:
        write_if_changed(cache_file, json.dumps(fresh, indent=1, sort_keys=True) + "\n")
    return out


def sync_inputs(run_dir: Path, params: Mapping[str, Any]) -> bool:
    """Rewrite ``.make/inputs.sha256`` if the content of any input changed; True if it did."""
    state = run_dir / config.MAKE_STATE_DIR
    files = [*input_files(params["data_dir"]), *(Path(p) for p in params["tracked_files"])]
    digests = content_digests([f for f in files if f.is_file()], state / "inputs.stat.json")
    text = "".join(f"{d}  {f.name}\n" for d, f in digests) or "(no input files yet)\n"
    return write_if_changed(state / "inputs.sha256", text)


# -- state files ---------------------------------------------------------------------------------------
def run_parameters(values: Mapping[str, str], root: Path) -> dict[str, Any]:
    """What the pipeline steps read from ``.make/params.json``: notebook parameters (paths
    absolute), validator arguments, tracked input files and the run folder as given."""
    notebook, validator, tracked = {}, [], []
    for v in VARIABLES:
        if v.name not in values:
            continue
        value = values[v.name]
        if v.notebook:
            notebook[v.notebook] = v.convert(value)
        if v.validator:
            converted = v.convert(value)
            if converted is True:
                validator.append(v.validator)
            elif converted not in (False, "", None):
                validator += [v.validator, str(converted)]
        if v.tracked and value:
            tracked.append(os.path.abspath(root / value))
    if "data_dir" in notebook:
        notebook["data_dir"] = os.path.abspath(root / notebook["data_dir"])
    return {
        "notebook": notebook,
        "validator": validator,
        "tracked_files": tracked,
        "data_dir": notebook.get("data_dir", ""),
        "out_dir": values.get("OUT_DIR", ""),
    }


def read_run_parameters(run: str | Path) -> dict[str, Any]:
    path = Path(run) / config.MAKE_STATE_DIR / "params.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: run this step through make") from None


def sync(raw: Mapping[str, str], goals: Sequence[str], root: Path) -> tuple[str, str]:
    """Check the variables and write the state files that changed. Returns ``(OUT_DIR, RUN)``:
    the run folder as given (or its default) and the name make uses for it."""
    values = check_all(raw)
    out = values.get("OUT_DIR") or default_out_dir(values, root)
    values["OUT_DIR"] = out
    synthetic = {v.synthetic: int(values[v.name]) for v in VARIABLES if v.synthetic and v.name in values}
    needs_run = any(g not in NO_RUN_GOALS and not g.startswith("print-") for g in goals)
    if any(g not in ("help", "clean", "distclean", "lock") and not g.startswith("print-") for g in goals):
        write_if_changed(root / SYNTHETIC_PARAMS, json.dumps(synthetic, sort_keys=True) + "\n")
    run = make_path(out, root)
    if not needs_run:
        return out, run
    data_dir = Path(root / values["DATA_DIR"])
    if not data_dir.is_dir() and not _is_synthetic(values["DATA_DIR"], root):
        raise ParameterError(f"DATA_DIR={values['DATA_DIR']!r} is not a folder")
    run_dir = root / out
    if run_dir.exists() and not run_dir.is_dir():
        raise ParameterError(f"OUT_DIR={out!r} exists and is not a folder")
    state = run_dir / config.MAKE_STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    params = run_parameters(values, root)
    write_if_changed(state / "params.json", json.dumps(params, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    if "RENDERER" in values:
        write_if_changed(state / "renderer-choice", values["RENDERER"] + "\n")
    explore = {"report": values.get("REPORT") or "closed", "port": int(values.get("PORT") or 5006)}
    write_if_changed(state / EXPLORE_FILE, json.dumps(explore, sort_keys=True) + "\n")
    sync_inputs(run_dir, params)
    return out, run


def _read_request(folder: Path) -> tuple[dict[str, str], list[str]]:
    raw = {}
    for f in folder.glob("var.*"):
        text = f.read_text(encoding="utf-8", errors="surrogateescape")
        raw[f.name[4:]] = text[:-1] if text.endswith("\n") else text  # $(file >) adds one newline
    goals = (folder / "goals").read_text(encoding="utf-8").split() if (folder / "goals").exists() else []
    return raw, goals


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.run.params", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sync", help="check the variables make wrote into FOLDER and write the state files")
    s.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    raw, goals = _read_request(args.folder)
    try:
        out, run = sync(raw, goals, Path.cwd())
    except (ParameterError, OSError) as error:
        print(f"ERROR: {error}\n       Nothing was run.", file=sys.stderr)
        return 2
    synthetic = _is_synthetic(raw.get("DATA_DIR") or SYNTHETIC_DIR, Path.cwd())
    for name, value in (("out_dir", out), ("run", run), ("synthetic", "yes" if synthetic else "")):
        (args.folder / name).write_text(value + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
