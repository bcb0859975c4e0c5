"""Provenance of a run: code version, input checksums, parameters, software versions, run date."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import config

#: Packages whose versions the report lists (the ones that compute or render results).
REPORTED_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "lifelines",
    "matplotlib",
    "seaborn",
    "pandera",
    "pyarrow",
    "pyreadstat",
    "great-tables",
    "papermill",
    "nbconvert",
    "pypandoc-binary",
    "typst",
    "jupyterlab",
)


#: Tracked files that can change a result: everything but documentation, tests, benchmarks and CI.
#: The report names the last commit that changed one of them, not HEAD, so that committing the
#: reproduction manifest (under tests/) or a README edit does not change the report it describes.
CODE_PATHSPEC = (".", ":(exclude)*.md", ":(exclude)tests", ":(exclude)benchmarks", ":(exclude).ci")


def git_state(root: Path = config.PROJECT_ROOT) -> dict[str, Any]:
    """The last commit that changed the analysis code (:data:`CODE_PATHSPEC`) and whether that
    code has uncommitted changes; ``"unknown"`` outside a git checkout."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never write the index: only read

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, env=env
        ).stdout.strip()

    try:
        commit = git("log", "-1", "--format=%H", "--", *CODE_PATHSPEC) or git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHSPEC))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def shown_path(value: Any) -> Any:
    """A data path as the report may show it: relative to the project as recorded, or for a folder
    outside the project its name only (a full path names users and folder layouts)."""
    if isinstance(value, (str, Path)) and Path(value).is_absolute():
        return Path(value).name
    return value


def package_versions(packages: tuple[str, ...] = REPORTED_PACKAGES) -> dict[str, str]:
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def collect(study_id: str, files: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Everything a reviewer needs to reproduce the run.

    ``files`` maps table names to objects with ``path``, ``sha256`` and ``n_rows`` attributes
    (``helpers.data.contract.Trial.files``).
    """
    return {
        "study": study_id,
        "git": git_state(),
        "data_files": [
            {"table": name, "file": Path(f.path).name, "sha256": f.sha256, "rows": int(f.n_rows)}
            for name, f in sorted(files.items())
        ],
        "parameters": {k: shown_path(v) if k == "data_dir" else v for k, v in parameters.items()},
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "packages": package_versions(),
        "run_date": run_date(),
    }


def run_date() -> str:
    """Now, in UTC; or the time in ``SOURCE_DATE_EPOCH`` when it is set, as reproducible builds do,
    so that a reviewer's rebuild of the report is byte-identical to the published one."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def provenance_tables(prov: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The provenance as three small display frames: run, data files, software."""
    git = prov["git"]
    commit = git["commit"] + (" (with uncommitted changes)" if git.get("dirty") else "")
    run = pd.DataFrame(
        [
            ("Study", prov["study"]),
            ("Code commit (last change to analysis code)", commit),
            ("Run date", prov["run_date"]),
            ("Python", f"{prov['python']} ({prov['platform']})"),
        ]
        + [(f"Parameter {k}", str(v) if v not in ("", None) else "(none)") for k, v in prov["parameters"].items()],
        columns=["Item", "Value"],
    )
    data = pd.DataFrame(prov["data_files"])
    # the full checksum, in groups of 16 hex digits so that it wraps in narrow columns
    data["sha256"] = [" ".join(h[i : i + 16] for i in range(0, len(h), 16)) for h in data["sha256"]]
    data = data.rename(columns={"table": "Table", "file": "File", "sha256": "SHA-256", "rows": "Rows"})
    software = pd.DataFrame(sorted(prov["packages"].items()), columns=["Package", "Version"])
    return {"run": run, "data": data, "software": software}
