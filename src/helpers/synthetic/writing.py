"""Writing the tables: CSV, Parquet or SAS transport, byte-identical for equal input."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from helpers.data import schemas
from helpers.study import Study

__all__ = ["FORMATS", "write_trial"]

FORMATS = ("csv", "parquet", "xpt")

_XPT_STAMP = re.compile(rb"\d{2}[A-Z]{3}\d{2}:\d{2}:\d{2}:\d{2}")


def write_trial(
    tables: dict[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv", study: Study | None = None
) -> dict[str, Path]:
    """Write the tables as ``<name>.<fmt>`` in ``out_dir``; byte-identical for equal input.

    CSV: UTF-8, ``\\n`` line ends, ISO dates, empty = missing.  Parquet: pyarrow, no index.
    XPT: SAS transport v5, dates as SAS date numbers with ``DATE9.``, labels from the
    contract, header timestamps fixed to 01JAN60:00:00:00 so output does not depend on the
    clock.  Files of other formats for the same tables are removed so that the directory
    holds exactly one file per table.

    Returns
    -------
    dict of str to Path
    """
    if fmt not in FORMATS:
        raise ValueError(f"{fmt=}; expected 'csv', 'parquet' or 'xpt'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        path = out_dir / f"{name}.{fmt}"
        for other in FORMATS:
            if other != fmt and (out_dir / f"{name}.{other}").exists():
                (out_dir / f"{name}.{other}").unlink()
        if fmt == "csv":
            df.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n", encoding="utf-8")
        elif fmt == "parquet":
            df.to_parquet(path, index=False, engine="pyarrow")
        else:
            _write_xpt(df, name, path, study)
        paths[name] = path
    return paths


def _write_xpt(df: pd.DataFrame, name: str, path: Path, study: Study | None) -> None:
    import pyreadstat

    kinds = {v.name: v for v in schemas.variables(name, study)} if name in schemas.TABLES else {}
    out = pd.DataFrame(index=df.index)
    formats = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = (s - pd.Timestamp("1960-01-01")).dt.days.astype("float64")
            formats[col] = "DATE9."
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), "")
    labels = [kinds[c].label if c in kinds else c for c in df.columns]
    pyreadstat.write_xport(
        out, str(path), file_format_version=5, table_name=name.upper(), column_labels=labels, variable_format=formats
    )
    raw = path.read_bytes()
    head_end = raw.find(b"HEADER RECORD*******OBS")
    head_end = len(raw) if head_end < 0 else head_end
    fixed = _XPT_STAMP.sub(b"01JAN60:00:00:00", raw[:head_end]) + raw[head_end:]
    path.write_bytes(fixed)
