"""A validated, cut trial saved to a folder and read back exactly as it was.

The pipeline's validation step reads, validates and cuts the data once and saves the result
(:meth:`helpers.data.contract.Trial.save`); each notebook then reads it back
(:func:`load_saved_trial`) instead of reading and validating every input file again. Which saved
trial may be used, and when, is the pipeline's decision (:mod:`helpers.run.notebook`); this module
only writes and reads one, and describes it (:func:`saved_trial_info`) so that the caller can
check it against the current parameters and input files first.

A saved trial is a folder::

    trial.json        format, key, study (path, SHA-256), cutoff, population, the input files
                      (path, format, SHA-256, rows), the findings, and each table's columns
    adsl.parquet ...  one file per delivered table, with its index and exact dtypes

Text columns come back from Parquet with ``None`` where the table held ``NaN``; the missing-value
marker of each such column is recorded and restored, so that every table compares equal
(``pandas.testing.assert_frame_equal``) to the one saved. A table whose missing values mix both
markers (or values Parquet cannot hold) is not saved: :class:`TrialNotSaved`, and the caller
reads the data as usual.

The folder is written beside its final place and renamed into it, so a reader never sees half of
one; the input files are never touched.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.data import schemas
from helpers.files import sha256_file

if TYPE_CHECKING:
    from helpers.data.contract import InputFile, Trial
    from helpers.study import Study

__all__ = [
    "FORMAT",
    "INFO_FILE",
    "TrialNotSaved",
    "save_trial",
    "saved_trial_info",
    "load_saved_files",
    "load_saved_trial",
]

#: Version of the folder's layout; a folder of another version is not read.
FORMAT = 1
INFO_FILE = "trial.json"


class TrialNotSaved(ValueError):
    """The trial cannot be saved exactly (a column Parquet cannot hold as it is)."""


def _missing_marker(column: pd.Series) -> str | None:
    """``"nan"`` or ``"none"``: how an object column marks its missing values (None: it has
    none). Raises :class:`TrialNotSaved` when it mixes them."""
    markers = {"none" if v is None else "nan" for v in column[column.isna()]}
    if len(markers) > 1:
        raise TrialNotSaved(f"column {column.name} marks missing values with both None and NaN")
    return markers.pop() if markers else None


def _frame_info(frame: pd.DataFrame) -> dict[str, Any]:
    if not all(isinstance(c, str) for c in frame.columns) or frame.columns.duplicated().any():
        raise TrialNotSaved("column names must be distinct strings")
    missing = {}
    for name in frame.columns:
        if frame[name].dtype == object:
            marker = _missing_marker(frame[name])
            if marker is not None:
                missing[name] = marker
    return {"columns": list(frame.columns), "dtypes": {c: str(t) for c, t in frame.dtypes.items()}, "missing": missing}


def _finding_record(finding: Any) -> dict[str, Any]:
    record = dataclasses.asdict(finding)
    record["ids"] = list(record["ids"])
    return record


def save_trial(trial: Trial, folder: str | Path, *, key: str = "") -> Path:
    """Write ``trial`` to ``folder`` (replacing what is there) and return ``folder``.

    ``key`` is the caller's name for what the trial was made from (the pipeline uses the digest
    of the run's parameters and input checksums); :func:`saved_trial_info` returns it.

    Raises
    ------
    TrialNotSaved
        A table cannot be saved exactly; ``folder`` is left as it was.
    """
    folder = Path(folder)
    info: dict[str, Any] = {
        "format": FORMAT,
        "key": key,
        "study": None,
        "cutoff": None if trial.cutoff is None else trial.cutoff.isoformat(),
        "population": trial.population,
        "files": {
            t: {"path": str(f.path), "format": f.format, "sha256": f.sha256, "n_rows": int(f.n_rows)}
            for t, f in trial.files.items()
        },
        "findings": [_finding_record(f) for f in trial.findings],
        "tables": {},
    }
    if trial.study is not None:
        source = trial.study.source
        info["study"] = {
            "id": trial.study.study.id,
            "path": None if source is None else str(source),
            "sha256": None if source is None else sha256_file(source),
        }
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        for name, frame in trial.tables.items():
            info["tables"][name] = _frame_info(frame)
            try:
                frame.to_parquet(tmp / f"{name}.parquet", engine="pyarrow")
            except (TypeError, ValueError, ImportError) as error:
                raise TrialNotSaved(f"table {name}: {error}") from error
            except Exception as error:  # pyarrow's own errors (ArrowInvalid, ArrowTypeError, ...)
                if type(error).__module__.startswith("pyarrow"):
                    raise TrialNotSaved(f"table {name}: {error}") from error
                raise
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o777 & ~_umask())
        if folder.exists():
            shutil.rmtree(folder)
        tmp.replace(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def saved_trial_info(folder: str | Path) -> dict[str, Any] | None:
    """What ``folder``'s saved trial was made from (``trial.json``: key, study, cutoff,
    population, files, findings, tables), or None when it holds no readable saved trial of this
    format."""
    try:
        info = json.loads((Path(folder) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        return None
    return info


def _files(info: dict[str, Any], data_dir: str | Path | None) -> dict[str, InputFile]:
    from helpers.data.contract import InputFile

    return {
        t: InputFile(
            path=Path(f["path"]) if data_dir is None else Path(data_dir) / Path(f["path"]).name,
            format=f["format"],
            sha256=f["sha256"],
            n_rows=f["n_rows"],
        )
        for t, f in info["files"].items()
    }


def load_saved_files(folder: str | Path, *, data_dir: str | Path | None = None) -> dict[str, InputFile]:
    """The input files of the trial saved in ``folder`` (``Trial.files``: path, format, SHA-256,
    rows) without reading its tables; ``data_dir`` as in :func:`load_saved_trial`.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds no saved trial of this format.
    """
    info = saved_trial_info(folder)
    if info is None:
        raise FileNotFoundError(f"{folder} holds no saved trial (format {FORMAT})")
    return _files(info, data_dir)


def load_saved_trial(folder: str | Path, *, study: Study, data_dir: str | Path | None = None) -> Trial:
    """The trial saved in ``folder``, equal to the one :func:`save_trial` wrote.

    ``study`` is the study definition it was validated against (the caller checks that it is:
    :func:`saved_trial_info` gives the file and its SHA-256). ``data_dir``, when given, is the
    folder the input files are named in (``Trial.files``), as :func:`~helpers.data.contract.load_trial`
    would name them for that folder; by default the paths as saved.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds no saved trial of this format.
    TrialNotSaved
        A table does not read back with the columns and dtypes saved.
    """
    from helpers.data.contract import Failure, Trial

    folder = Path(folder)
    info = saved_trial_info(folder)
    if info is None:
        raise FileNotFoundError(f"{folder} holds no saved trial (format {FORMAT})")
    tables: dict[str, pd.DataFrame] = {}
    for name, meta in info["tables"].items():
        frame = pd.read_parquet(folder / f"{name}.parquet", engine="pyarrow")
        for column, marker in meta["missing"].items():
            if marker == "nan":
                values = frame[column]
                frame[column] = values.where(values.notna(), math.nan)
        dtypes = {c: str(t) for c, t in frame.dtypes.items()}
        if list(frame.columns) != meta["columns"] or dtypes != meta["dtypes"]:
            raise TrialNotSaved(f"{folder / name}.parquet does not hold the columns and types saved in {INFO_FILE}")
        tables[name] = frame
    files = _files(info, data_dir)
    findings = tuple(Failure(**{**f, "ids": tuple(f["ids"])}) for f in info["findings"])
    return Trial(
        **{t: tables.get(t) for t in schemas.TABLE_NAMES},
        study=study,
        files=files,
        cutoff=None if info["cutoff"] is None else pd.Timestamp(info["cutoff"]),
        population=info["population"],
        findings=findings,
    )
