"""The one writer of a notebook's artefacts: tables, figures and the numbers the report quotes.

Every artefact carries one output ID shared by the function that made it, its file name, its
report label and its tests (``tbl-cif-landmarks`` -> ``tbl-cif-landmarks.csv`` -> ``@tbl-cif-landmarks``).
Files are written so that the same inputs give byte-identical files: CSV with ``\\n`` line ends and
full-precision floats, PNG and SVG without dates or random ids, JSON with sorted keys.
Every file is written to a temporary name and moved into place, so a crash never leaves a
half-written file under a valid name.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers import config
from helpers.files import atomic_write_bytes

_ID = re.compile(r"^(tbl|fig|lst)-[a-z0-9]+(-[a-z0-9]+)*$")
#: Columns that identify a patient: only listings (``lst-*``, written with PATIENT_LISTINGS=1) hold them.
PATIENT_ID_COLUMNS = ("USUBJID", "SUBJID")
SVG_HASH_SALT = config.KERNEL_NAME  # fixed salt: matplotlib otherwise draws random SVG ids


def _check_id(output_id: str, kind: str) -> None:
    if not _ID.match(output_id) or not output_id.startswith(kind + "-"):
        raise ValueError(
            f"{output_id=} is not a valid {kind} id; expected '{kind}-' followed by lower-case "
            "words joined by '-', e.g. 'tbl-cif-landmarks'"
        )


def to_jsonable(value: Any) -> Any:
    """Convert numpy, pandas and date values to plain JSON types; NaN and NaT become ``None``."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, (list, tuple, pd.Series, np.ndarray)):
        return [to_jsonable(v) for v in list(value)]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if value is pd.NA:
        return None
    return value


def dumps_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, no NaN, trailing newline."""
    return json.dumps(to_jsonable(obj), indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


def table_csv_bytes(df: pd.DataFrame) -> bytes:
    """Unrounded, deterministic CSV: floats as Python reprs, ``\\n`` line ends, no index."""
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


class NotebookOutputs:
    """Collects and writes the artefacts of one notebook run into ``OUT_DIR/<notebook>/``.

    Parameters
    ----------
    out_dir
        The run's output directory (the ``out_dir`` notebook parameter).
    notebook
        Notebook stem, e.g. ``"02_relapse"``; artefacts go into ``out_dir / notebook``.
    parameters
        The parameter values the notebook ran with; recorded in ``results.json``.
    """

    def __init__(self, out_dir: str | Path, notebook: str, parameters: Mapping[str, Any]):
        self.notebook = notebook
        self.dir = Path(out_dir) / notebook
        self.dir.mkdir(parents=True, exist_ok=True)
        self._results: dict[str, Any] = {
            "notebook": notebook,
            "parameters": dict(parameters),
            "tables": {},
            "figures": {},
            "values": {},
        }
        self._ard: list[dict[str, Any]] = []

    # -- artefacts -----------------------------------------------------------------------------
    def table(
        self,
        output_id: str,
        data: pd.DataFrame,
        *,
        display: pd.DataFrame | None = None,
        ard: pd.DataFrame | None = None,
    ) -> Path:
        """Write ``data`` unrounded to ``tbl-*.csv`` and, if given, its formatted ``display``
        version (strings, as the report shows it, built from ``ard``) to ``tbl-*.display.csv``;
        ``ard``, the table's rows of the Analysis Results Dataset, go to ``ard.json``."""
        _check_id(output_id, "tbl")
        if ard is not None:
            self.ard(ard, output_id)
        ids = [c for c in (*data.columns, *(display.columns if display is not None else ())) if c in PATIENT_ID_COLUMNS]
        if ids:
            raise ValueError(
                f"table {output_id} has the patient id column {ids[0]}: a table is aggregate; "
                "write patient-level data with listing(), which only PATIENT_LISTINGS=1 allows"
            )
        path = atomic_write_bytes(self.dir / f"{output_id}.csv", table_csv_bytes(data))
        entry = {"file": path.name, "n_rows": len(data)}
        if display is not None:
            shown = atomic_write_bytes(self.dir / f"{output_id}.display.csv", table_csv_bytes(display))
            entry["display_file"] = shown.name
        self._results["tables"][output_id] = entry
        self.save()
        return path

    def listing(self, output_id: str, data: pd.DataFrame) -> Path:
        """Write a patient-level listing (one row per patient, with USUBJID) to ``lst-*.csv``.
        Only a run with ``patient_listings`` (make's PATIENT_LISTINGS=1) may: without it the
        deliverable folder holds aggregates only."""
        _check_id(output_id, "lst")
        if not self._results["parameters"].get("patient_listings"):
            raise ValueError(f"listing {output_id} is patient-level: written only with PATIENT_LISTINGS=1")
        path = atomic_write_bytes(self.dir / f"{output_id}.csv", table_csv_bytes(data))
        self._results.setdefault("listings", {})[output_id] = {"file": path.name, "n_rows": len(data)}
        self.save()
        return path

    def figure(self, output_id: str, fig: Any, *, dpi: int = 150) -> Path:
        """Write a matplotlib figure as PNG (report) and SVG (print) without dates or random ids."""
        import io

        import matplotlib

        _check_id(output_id, "fig")
        with matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT, "svg.fonttype": "none"}):
            png = io.BytesIO()
            fig.savefig(png, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
            svg = io.BytesIO()
            fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
        path = atomic_write_bytes(self.dir / f"{output_id}.png", png.getvalue())
        atomic_write_bytes(self.dir / f"{output_id}.svg", svg.getvalue())
        self._results["figures"][output_id] = {"file": path.name, "svg": f"{output_id}.svg"}
        self.save()
        return path

    def ard(self, rows: pd.DataFrame, output_id: str | None = None) -> pd.DataFrame:
        """Add rows to the notebook's part of the run's Analysis Results Dataset (``ard.json``,
        :mod:`helpers.present.ard`); with ``output_id``, every row must be that output's. An
        output's rows are replaced when it is written again (a cell run twice)."""
        from helpers.present import ard as ard_rows

        rows = ard_rows.check(rows, f"ARD rows of {output_id or self.notebook}")
        outputs = list(dict.fromkeys(rows["output_id"]))
        if output_id is not None and outputs not in ([], [output_id]):
            raise ValueError(f"ARD rows for {output_id} belong to {outputs}; expected only {output_id}")
        kept = [r for r in self._ard if r["output_id"] not in outputs]
        self._ard = kept + to_jsonable(rows)
        ard_rows.from_records(self._ard)  # no two rows the same across outputs either
        atomic_write_bytes(self.dir / "ard.json", dumps_json(self._ard).encode("utf-8"))
        return rows

    def value(self, key: str, value: Any) -> Any:
        """Record a number (or small structure) that the report's prose quotes."""
        self._results["values"][key] = to_jsonable(value)
        self.save()
        return value

    def save(self) -> Path:
        """Write ``results.json``; called after every artefact so the file is always complete."""
        return atomic_write_bytes(self.dir / config.RESULTS_FILE, dumps_json(self._results).encode("utf-8"))
