"""Load and validate the trial data: the one place that reads input files.

The data contract (tables, variables, codes, rules) lives in :mod:`helpers.data.schemas`, built for
the study definition (:mod:`helpers.study`), and is documented in ``data/README.md``.
:func:`load_trial` reads the tables (ADSL and ADTTE required; ADAE, ADEX and SCREEN optional),
validates them (pandera, lazily, then cross-table rules), applies the data cutoff and selects
the analysis population.

Rules come in two tiers.  An **error** stops the run: every error found is reported together in
one :class:`ContractError` (file, column, rule, rows, first patients).  A **finding** (a protocol
deviation, a missing covariate, a code outside a variable's levels, an optional endpoint not
derived for every patient, an optional table not delivered, a cutoff after the data ...) does
not: it is returned (:attr:`Trial.findings`) for the run summary and the report, with the file's
name only, never its path.  ``strict=True`` makes every finding fatal too.

Command line::

    python -m helpers.data.contract validate DATA_DIR --study FILE [--cutoff YYYY-MM-DD]
        [--population NAME] [--strict] [--findings OUT.json] [--save FOLDER [--key KEY]]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from helpers.data import schemas
from helpers.data.cutoff import apply_cutoff, as_cutoff
from helpers.files import sha256_file
from helpers.study import Study, load_study

__all__ = [
    "ContractError",
    "Failure",
    "Finding",
    "InputFile",
    "Trial",
    "FORMATS",
    "ENDPOINT_COVARIATES",
    "cutoff_findings",
    "find_tables",
    "findings_json",
    "load_trial",
    "read_table",
    "sha256",
    "validate",
    "main",
    "select_population",
    "cross_frames",
]

#: file extension -> format name, in order of preference for error messages
FORMATS = {".csv": "csv", ".parquet": "parquet", ".xpt": "xpt"}
#: generic ADSL variables merged into :meth:`Trial.endpoint` (then the study's variables and
#: population flags)
ENDPOINT_COVARIATES = ["USUBJID", "SITEID", "ARM", "ARMCD", "ACTARM", "ACTARMCD", "RANDDT"]
_SAS_EPOCH = pd.Timestamp("1960-01-01")
_N_IDS = 5
ERROR, FINDING = schemas.ERROR, schemas.FINDING
NOT_DELIVERED = "not delivered"


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Failure:
    """One failed rule: its tier, where (table, file, column), which rule, how many rows, whose.

    ``severity`` is ``"error"`` (stops the run) or ``"finding"`` (reported; fatal only with
    ``strict``).  ``file`` is the path in error messages; :meth:`for_report` keeps its name only.
    ``n_rows`` is None when the rule is about a column or a table, not rows (``column present``,
    ``not delivered``).  ``detail`` holds what a reader needs beyond the rule (a hint, a date).
    """

    file: str
    column: str | None
    rule: str
    n_rows: int | None
    ids: tuple[str, ...] = ()
    id_column: str = "USUBJID"
    severity: str = ERROR
    table: str | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = self.file or self.table or "data"
        if self.column is not None:
            where += f": column {self.column}"
        if self.rule == NOT_DELIVERED:
            text = f"{where}: {NOT_DELIVERED}"
        else:
            text = f"{where}: rule '{self.rule}'"
            if self.n_rows is not None:
                text += f": {self.n_rows} row{'s' if self.n_rows != 1 else ''}"
            elif self.rule == "column present":
                text += ": column absent"
        if self.ids:
            text += f"; first {self.id_column}s: {', '.join(self.ids)}"
        if self.detail:
            text += f" ({self.detail})"
        return text

    def for_report(self) -> Failure:
        """The same record with the file's name only (no folder: reports hold no paths)."""
        return dataclasses.replace(self, file=Path(self.file).name if self.file else "")

    def to_record(self) -> dict[str, object]:
        """JSON-ready record: severity, table, file (name only), column, rule, n_rows, ids,
        id_column, detail."""
        f = self.for_report()
        return {
            "severity": f.severity,
            "table": f.table,
            "file": f.file,
            "column": f.column,
            "rule": f.rule,
            "n_rows": f.n_rows,
            "ids": list(f.ids),
            "id_column": f.id_column,
            "detail": f.detail,
        }


#: A finding is a :class:`Failure` with ``severity="finding"``.
Finding = Failure


class ContractError(ValueError):
    """The input data break the data contract.

    The message has one line per failed rule, naming the file, column, rule, the number of
    rows at fault and the first five patients (USUBJID; SCRNID for the screening log); with
    ``strict``, findings made fatal are listed too, marked ``[finding]``.  ``failures`` holds
    the same as :class:`Failure` records; ``findings`` the non-fatal findings found alongside
    the errors; ``notes`` further lines that are not failed rules (which checks were skipped and
    why).
    """

    def __init__(self, failures: list[Failure] | str, findings: tuple[Failure, ...] = ()):
        self.notes: tuple[str, ...] = ()
        self.findings: tuple[Failure, ...] = tuple(findings)
        if isinstance(failures, str):
            self.failures: list[Failure] = []
            super().__init__(failures)
            return
        self.failures = list(failures)
        n = len(self.failures)
        n_find = sum(f.severity == FINDING for f in self.failures)
        what = f"{n} rule{'s' if n != 1 else ''} failed"
        if n_find:
            what += f"; {n_find} of them finding{'s' if n_find != 1 else ''} made fatal by strict"
        lines = [f"  {'[finding] ' if f.severity == FINDING else ''}{f}" for f in self.failures]
        super().__init__("\n".join([f"data contract violated ({what}):", *lines]))

    @classmethod
    def _with_notes(
        cls, failures: list[Failure], notes: tuple[str, ...], findings: tuple[Failure, ...] = ()
    ) -> ContractError:
        """The error of ``failures`` with lines that are not failed rules (``notes``) after
        them, e.g. which checks could not run."""
        err = cls(failures, findings)
        err.notes = tuple(notes)
        if err.notes:
            err.args = ("\n".join([str(err), *(f"  {n}" for n in err.notes)]),)
        return err


def _ids(frame: pd.DataFrame, index, id_column: str) -> tuple[str, ...]:
    if id_column not in frame.columns:
        return ()
    vals = frame.loc[list(index)[:_N_IDS], id_column]
    return tuple("<missing>" if pd.isna(v) else str(v) for v in vals)


def _as_study(study: Study | str | Path) -> Study:
    if isinstance(study, Study):
        return study
    if study is None:
        raise TypeError(
            "study is required: a helpers.study.Study or the path of a study definition (e.g. studies/nct04674345.yaml)"
        )
    return load_study(study)


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class InputFile:
    """Provenance of one input table."""

    path: Path
    format: str
    sha256: str
    n_rows: int


sha256 = sha256_file  # the one SHA-256 of a file (helpers.files)


def find_tables(data_dir: str | Path) -> dict[str, Path]:
    """Locate ``<table>.csv|.parquet|.xpt`` for every contract table in ``data_dir``.

    ADSL and ADTTE are required; ADAE, ADEX and SCREEN are optional (an absent one is left out
    of the result: not delivered).

    Raises
    ------
    ContractError
        If a required table is missing, a table is present in more than one format (ambiguous),
        or only under a name in the wrong case (``ADSL.csv``).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ContractError(f"data_dir={str(data_dir)!r} is not a directory")
    present = {p.name: p for p in data_dir.iterdir() if p.is_file()}
    lower = {name.lower(): name for name in present}
    found, problems = {}, []
    for table in schemas.TABLE_NAMES:
        candidates = [data_dir / f"{table}{ext}" for ext in FORMATS if f"{table}{ext}" in present]
        hint = [
            lower[f"{table}{ext}"] for ext in FORMATS if f"{table}{ext}" in lower and f"{table}{ext}" not in present
        ]
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            problems.append(f"{data_dir}: table {table} is ambiguous: found {names}; keep exactly one file per table")
        elif candidates:
            found[table] = candidates[0]
        elif hint or table in schemas.REQUIRED_TABLES:
            expected = " or ".join(str(data_dir / f"{table}{ext}") for ext in FORMATS)
            kind = "required" if table in schemas.REQUIRED_TABLES else "optional"
            msg = f"missing {kind} table {table}: expected {expected}"
            if hint:
                msg += f" (found {', '.join(hint)}; file names must be lower case)"
            problems.append(msg)
    if problems:
        raise ContractError("data contract violated:\n" + "\n".join(f"  {p}" for p in problems))
    return found


def read_table(path: str | Path, study: Study | str | Path | None = None) -> pd.DataFrame:
    """Read one table by extension (csv, parquet, xpt) into contract types.

    Variables of a contract table (named by the file stem) for ``study`` (default: the default
    study definition) are converted to the contract types: text -> ``object`` of ``str``
    (empty = NaN), integers -> ``int64`` (``float64`` when values are missing, which validation
    then reports), numbers -> ``int64`` when whole and complete, else ``float64``, dates ->
    ``datetime64[ns]``.  CSV dates must be ISO ``YYYY-MM-DD``; SAS transport dates are SAS date
    numbers.  The file is opened read-only and never modified.

    Raises
    ------
    ContractError
        On an unknown extension, an unreadable file, or a malformed value (a date that is not
        ISO, a non-integer in an integer column, a number in a text column).
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ContractError(f"{path}: unsupported extension {path.suffix!r}; expected one of {', '.join(FORMATS)}")
    try:
        if fmt == "csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        elif fmt == "parquet":
            raw = pd.read_parquet(path)
        else:
            import pyreadstat

            raw, _ = pyreadstat.read_xport(str(path))
    except Exception as exc:
        raise ContractError(f"{path}: cannot be read as {fmt}: {exc}") from exc
    table = path.stem.lower()
    if table not in schemas.TABLES:
        return raw
    study = None if study is None else _as_study(study)
    return _to_contract_types(raw, table, path, fmt, study)


_EXPECTED = {"date": "ISO date YYYY-MM-DD", "int": "integer", "num": "number", "str": "text"}


def _to_contract_types(raw: pd.DataFrame, table: str, path: Path, fmt: str, study: Study | None) -> pd.DataFrame:
    out = raw.copy()
    failures: list[Failure] = []
    id_col = schemas.ID_COLUMN[table]
    for var in schemas.variables(table, study):
        if var.name not in out.columns:
            continue  # reported by validation as column_in_dataframe
        converted, bad = _convert(out[var.name], var.kind, fmt)
        out[var.name] = converted
        if bad.any():
            idx = out.index[bad]
            failures.append(
                Failure(
                    str(path),
                    var.name,
                    f"malformed value: expected {_EXPECTED[var.kind]}",
                    int(bad.sum()),
                    _ids(out, idx, id_col),
                    id_col,
                    table=table,
                )
            )
    if failures:
        raise ContractError(failures)
    return out


def _numbers(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """float64 values and a mask of malformed ones (text that is not a number, infinity)."""
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype("float64")
        bad = np.zeros(len(s), dtype=bool)
    else:
        text = s.astype(object).where(s.notna(), None)
        num = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = (s.notna() & num.isna()).to_numpy()
    return num, bad | np.isinf(num.to_numpy())


def _only_text(obj: pd.Series) -> bool:
    """Whether every value that is not missing is a ``str`` (pandas' C type inference: a
    100,000-patient ADTTE is not walked value by value in Python)."""
    return pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty")


def _convert(s: pd.Series, kind: str, fmt: str) -> tuple[pd.Series, np.ndarray]:
    """Convert to the contract type; return the series and a mask of malformed values."""
    if kind == "str":
        obj = s.astype(object)
        missing = obj.isna() | (obj == "")
        if _only_text(obj):  # as every CSV column is: no value to look at one by one
            bad = pd.Series(False, index=obj.index)
        else:
            bad = ~missing & ~obj.map(lambda v: isinstance(v, str)).astype(bool)
        conv = obj.where(~missing, np.nan)
        return conv, bad.to_numpy()
    if kind in ("int", "num"):
        num, bad = _numbers(s)
        arr = num.to_numpy()
        with np.errstate(invalid="ignore"):
            nonint = np.isfinite(arr) & (np.floor(arr) != arr)
        if kind == "int":
            bad = bad | nonint
        if np.isnan(arr).any() or bad.any() or nonint.any():
            return num, bad
        return num.astype("int64"), bad
    # dates
    if pd.api.types.is_datetime64_any_dtype(s):
        conv = pd.to_datetime(s).dt.tz_localize(None) if getattr(s.dt, "tz", None) else s
        conv = conv.astype("datetime64[ns]")
        bad = (conv.notna() & (conv != conv.dt.normalize())).to_numpy()
        return conv, bad
    if pd.api.types.is_numeric_dtype(s) and fmt == "xpt":
        arr = s.to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            # whole days within datetime64[ns] (years 1677-2262); inf is malformed too
            bad = ~np.isnan(arr) & ~((np.floor(arr) == arr) & (np.abs(arr) < 100_000))
        # integer days under a mask: pd.to_timedelta on floats with NaN rounds uninitialised
        # memory in the NaN slots (pandas 2.3) and may warn "overflow encountered in multiply"
        ok = ~np.isnan(arr) & ~bad
        conv = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
        conv[ok] = np.datetime64(_SAS_EPOCH, "ns") + arr[ok].astype(np.int64).astype("timedelta64[D]")
        return pd.Series(conv, index=s.index), bad
    obj = s.astype(object)
    missing = obj.isna() | (obj == "")
    if _only_text(obj):
        is_date = pd.Series(False, index=obj.index)
    else:
        is_date = obj.map(lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime))
        is_date = is_date.astype(bool)
    conv = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if is_date.any():
        conv[is_date] = pd.to_datetime(obj[is_date].map(lambda d: d.isoformat()), format="%Y-%m-%d")
    text = ~missing & ~is_date
    if text.any():
        vals = obj[text]
        strs = vals.map(lambda v: v if isinstance(v, str) else "")
        parsed = pd.to_datetime(strs, format="%Y-%m-%d", errors="coerce")
        # the strict format still accepts "2021-1-5"; require zero-padded ISO
        iso = strs.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        conv[text] = parsed.where(iso)
    bad = (text & conv.isna()).to_numpy()
    return conv.astype("datetime64[ns]"), bad


# --------------------------------------------------------------------------- validation
def _failures(
    err: pa.errors.SchemaErrors,
    frame: pd.DataFrame,
    file: str,
    id_col: str,
    schema: pa.DataFrameSchema,
    table: str | None,
) -> list[Failure]:
    """Turn pandera's failure cases into one :class:`Failure` per (column, rule, tier)."""
    fc = err.failure_cases
    meta = {}
    for chk in schema.checks:
        m = schemas.rule_severity(str(chk.error or chk.name))
        if m is not None:
            meta[str(chk.error or chk.name)] = m
    seen: dict[tuple, list] = {}
    for row in fc.itertuples(index=False):
        check = str(row.check)
        if check == "column_in_dataframe":
            # column is None, failure_case holds the missing column's name
            key = (str(row.failure_case), "column present", ERROR)
        elif row.schema_context == "DataFrameSchema" and check in meta:
            severity, column, rule = meta[check]
            key = (str(column), rule, severity)
        elif check.startswith("dtype(") and _no_index(row.index):
            # the whole column has the wrong type: say which type was found
            found = frame[row.column].dtype if row.column in frame.columns else row.failure_case
            seen.setdefault((row.column, f"{check}, found {found}", ERROR), list(frame.index))
            continue
        else:
            key = (row.column, check, ERROR)
        seen.setdefault(key, [])
        if not _no_index(row.index):
            seen[key].append(row.index)
    # a not-nullable column also fails its dtype check (float64 instead of int64): say it once
    nullable_fail = {k[0] for k in seen if k[1] == "not_nullable" and k[2] == ERROR}
    out: list[Failure] = []
    absent = [col for col in schema.columns if (col, "column present", ERROR) in seen]
    separator = _separator_hint(frame) if absent else ""
    if separator:
        shown = ", ".join(absent[:_N_IDS]) + (", ..." if len(absent) > _N_IDS else "")
        out.append(
            Failure(
                file,
                None,
                "column present",
                None,
                (),
                id_col,
                ERROR,
                table,
                f"{separator}; {len(absent)} contract columns absent: {shown}",
            )
        )
    for (col, rule, severity), idx in seen.items():
        if col in nullable_fail and rule.startswith("dtype(") and "found" not in rule:
            continue
        if rule == "column present":
            if not separator:
                out.append(Failure(file, col, rule, None, (), id_col, severity, table, _column_hint(frame, col)))
            continue
        uniq = list(dict.fromkeys(idx))
        out.append(Failure(file, col, rule, len(uniq), _ids(frame, uniq, id_col), id_col, severity, table))
    return out


def _separator_hint(frame: pd.DataFrame) -> str:
    """Why a file has none of the contract's columns, when its header looks like another
    separator's."""
    for sep, name in ((";", "';'"), ("\t", "tab")):
        for col in map(str, frame.columns):
            if sep in col:
                shown = col if len(col) <= 40 else col[:37] + "..."
                return f"hint: the header {shown!r} looks {name}-separated; write the file with ',' as the separator"
    return ""


def _column_hint(frame: pd.DataFrame, column: str) -> str:
    """Why a column is absent, when a header differs from it only by case or padding."""
    for col in map(str, frame.columns):
        if col != column and col.strip().upper() == column.upper():
            why = []
            if col != col.strip():
                why.append("remove the spaces around the header")
            if col.strip() != column:
                why.append("variable names are upper case")
            return f"hint: found {col!r}: " + " and ".join(why)
    return ""


def _no_index(index) -> bool:
    return index is None or (isinstance(index, float) and np.isnan(index))


def _run(schema: pa.DataFrameSchema, frame: pd.DataFrame, file: str, id_col: str, table: str | None) -> list[Failure]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures(err, frame, file, id_col, schema, table)
    return []


def _adsl_lookup(adsl: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    have = [c for c in cols if c in adsl.columns]
    look = adsl[["USUBJID", *have]].drop_duplicates("USUBJID")
    return look.rename(columns={c: f"ADSL_{c}" for c in have})


def _with_adsl(child: pd.DataFrame, adsl: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Child rows (same index) with ADSL variables prefixed ``ADSL_`` and ``IN_ADSL``."""
    look = _adsl_lookup(adsl, cols)
    merged = child.merge(look, on="USUBJID", how="left", indicator="_merge")
    merged.index = child.index
    merged["IN_ADSL"] = merged.pop("_merge").eq("both").to_numpy()
    return merged


def _delivered(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
    return {t: tables[t] for t in schemas.TABLE_NAMES if tables.get(t) is not None}


def cross_frames(tables: Mapping[str, pd.DataFrame | None], study: Study | str | Path) -> dict[str, pd.DataFrame]:
    """Frames for the cross-table rules (see :func:`helpers.data.schemas.cross_schemas`); none for a
    table that is not delivered."""
    study = _as_study(study)
    tables = _delivered(tables)
    adsl = tables["adsl"]
    cols = schemas.adsl_lookup_columns(study)
    out: dict[str, pd.DataFrame] = {t: _with_adsl(tables[t], adsl, cols) for t in ("adtte", "adae") if t in tables}
    if "screen" in tables:
        out["screen"] = _with_adsl(tables["screen"], adsl, ["RANDDT"])
    if "adex" in tables:
        ex = _with_adsl(tables["adex"], adsl, cols)
        if {"ASTDT", "AENDT", "EXSEQ"} <= set(ex.columns):
            order = ex.sort_values(["USUBJID", "ASTDT", "EXSEQ"], kind="stable")
            prev = order.groupby("USUBJID", sort=False)["AENDT"].shift(1)
            ex["PREV_AENDT"] = prev.reindex(ex.index)
        out["adex"] = ex
    ids = adsl["USUBJID"].drop_duplicates()
    te = tables["adtte"]
    if "PARAMCD" in te.columns:
        # coverage: one ADTTE row per ADSL patient per PARAMCD; duplicates are reported by the
        # unique-key rule, so only absences count here.  An optional endpoint with no row at
        # all is "not delivered" (validate), not one absence per patient.
        counts = te.groupby(["USUBJID", "PARAMCD"]).size()
        present = set(te["PARAMCD"].dropna())
        for key, codes in (
            ("adtte_coverage", [e.paramcd for e in study.endpoints if e.required]),
            ("adtte_optional", [e.paramcd for e in study.endpoints if not e.required and e.paramcd in present]),
        ):
            grid = pd.MultiIndex.from_product([ids, codes], names=["USUBJID", "PARAMCD"])
            cov = counts.reindex(grid, fill_value=0).rename("N_ROWS").reset_index()
            cov.loc[cov["N_ROWS"] > 1, "N_ROWS"] = 1
            out[key] = cov
    if "screen" in tables:
        sc = tables["screen"]
        n_in_screen = sc["USUBJID"].value_counts() if "USUBJID" in sc.columns else pd.Series()
        out["screen_coverage"] = pd.DataFrame(
            {
                "USUBJID": ids.to_numpy(),
                "N_ROWS": n_in_screen.reindex(ids.to_numpy(), fill_value=0).to_numpy(),
            }
        )
    return out


def validate(
    tables: Mapping[str, pd.DataFrame | None],
    source: Mapping[str, Path | str],
    study: Study | str | Path,
    *,
    strict: bool = False,
) -> tuple[Failure, ...]:
    """Check the tables against the data contract of ``study``; return the findings, raise one
    error listing every error.

    Per table: the pandera schema of :func:`helpers.data.schemas.table_schema` (required columns,
    types, codes, ranges, unique key, row rules).  Across tables (only when every delivered
    table has its key columns): the schemas of :func:`helpers.data.schemas.cross_schemas`, e.g. every
    ADTTE/ADAE/ADEX patient in ADSL, one ADTTE row per patient per PARAMCD, dates in order.
    Rules involving a table that is not delivered are skipped.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        ``adsl`` and ``adtte`` (required), ``adae``, ``adex``, ``screen`` (optional: absent or
        None = not delivered), in contract types (as returned by :func:`read_table`).
    source : mapping of str to path
        The file each table came from, used in messages.
    study : Study or path
        The study definition the contract is built from.
    strict : bool
        Make every finding an error too.

    Returns
    -------
    tuple of Failure
        The findings (``severity="finding"``), files named without their folder.

    Raises
    ------
    ContractError
        Lists per failed rule: file, column, rule, number of rows at fault, first 5 IDs; with
        ``strict``, the findings too.
    """
    study = _as_study(study)
    missing = [t for t in schemas.REQUIRED_TABLES if tables.get(t) is None]
    if missing:
        raise ContractError(
            f"tables={sorted(tables)} lacks {missing}; expected at least "
            f"{list(schemas.REQUIRED_TABLES)} (optional: "
            f"{list(schemas.OPTIONAL_TABLES)})"
        )
    delivered = _delivered(tables)
    found: list[Failure] = []
    for t in schemas.TABLE_NAMES:
        if t not in delivered:
            found.append(
                Failure(
                    "",
                    None,
                    NOT_DELIVERED,
                    None,
                    (),
                    schemas.ID_COLUMN[t],
                    FINDING,
                    t,
                    f"optional table {t} absent; rules and analyses that need it are skipped",
                )
            )
            continue
        found += _run(schemas.table_schema(t, study), delivered[t], str(source.get(t, t)), schemas.ID_COLUMN[t], t)
    found += _endpoints_not_delivered(delivered["adtte"], study, str(source.get("adtte", "adtte")))
    skipped = _cross_table_blockers(delivered)
    if not skipped:
        xs = schemas.cross_schemas(study)
        for key, frame in cross_frames(delivered, study).items():
            t = key.split("_")[0]
            found += _run(xs[key], frame, str(source.get(t, t)), "USUBJID", t)
    errors = [f for f in found if f.severity == ERROR]
    findings = tuple(f for f in found if f.severity == FINDING)
    notes: tuple[str, ...] = ()
    if skipped:
        notes = ("cross-table rules skipped (ADSL merge impossible): " + "; ".join(skipped),)
    fatal = errors + (list(findings) if strict else [])
    if fatal or notes:
        raise ContractError._with_notes(fatal, notes, () if strict else tuple(f.for_report() for f in findings))
    return tuple(f.for_report() for f in findings)


def _endpoints_not_delivered(adtte: pd.DataFrame, study: Study, file: str) -> list[Failure]:
    """Optional endpoints with no ADTTE row at all: findings (required ones are errors of the
    coverage rule, one row per patient)."""
    if "PARAMCD" not in adtte.columns:
        return []
    present = set(adtte["PARAMCD"].dropna())
    return [
        Failure(
            file,
            "PARAMCD",
            NOT_DELIVERED,
            None,
            (),
            "USUBJID",
            FINDING,
            "adtte",
            f"optional endpoint {e.paramcd} has no ADTTE row",
        )
        for e in study.endpoints
        if not e.required and e.paramcd not in present
    ]


def _cross_table_blockers(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Why the cross-table rules cannot run (empty when they can): every delivered table needs
    its USUBJID, and ADSL a RANDDT of dates (the per-table checks report these faults too)."""
    out = [f"{t} lacks USUBJID" for t, df in tables.items() if "USUBJID" not in df.columns]
    randdt = tables["adsl"].get("RANDDT")
    if randdt is None:
        out.append("adsl lacks RANDDT")
    elif not pd.api.types.is_datetime64_any_dtype(randdt):
        out.append(f"adsl RANDDT is {randdt.dtype}, expected datetime64[ns]")
    return out


def cutoff_findings(
    tables: Mapping[str, pd.DataFrame | None], cutoff, today: dt.date | None = None
) -> tuple[Failure, ...]:
    """Findings about a data cutoff: after the last date in the data (nothing is cut), or in
    the future.  ``today`` defaults to the local date."""
    cut = as_cutoff(cutoff)
    dates = [
        df[c].max()
        for df in _delivered(tables).values()
        for c in df.columns
        if pd.api.types.is_datetime64_any_dtype(df[c]) and df[c].notna().any()
    ]
    out = []
    if dates and cut > max(dates):
        last = max(dates)
        out.append(
            Failure(
                "",
                None,
                "cutoff not after the last date in the data",
                None,
                severity=FINDING,
                detail=f"cutoff {cut.date()}, last date {last.date()}: nothing is cut",
            )
        )
    today = dt.date.today() if today is None else today
    if cut.date() > today:
        out.append(
            Failure(
                "",
                None,
                "cutoff not in the future",
                None,
                severity=FINDING,
                detail=f"cutoff {cut.date()}, today {today}",
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------- the trial
@dataclass(frozen=True)
class Trial:
    """The validated trial: ADaM-like tables, their study, provenance, cutoff, population and
    findings.

    Attributes
    ----------
    adsl, adtte : DataFrame
        Tables after the data cutoff and population selection.
    adae, adex, screen : DataFrame or None
        None when not delivered (:meth:`delivered`).  ``screen`` is never restricted to a
        population: CONSORT needs every screened patient.
    study : Study
        The study definition the data were validated against.
    files : dict of str to InputFile
        Path, format, SHA-256 and number of rows of each input file as read.
    cutoff : Timestamp or None
        Data cutoff applied, if any.
    population : str or None
        Analysis population selected (a name of ``study.populations``); None: every randomised
        patient, no population selected (:meth:`select` chooses one).
    findings : tuple of Failure
        Findings of the validation and the cutoff (``severity="finding"``; file names only).
    """

    adsl: pd.DataFrame
    adtte: pd.DataFrame
    adae: pd.DataFrame | None = None
    adex: pd.DataFrame | None = None
    screen: pd.DataFrame | None = None
    study: Study | None = None
    files: dict[str, InputFile] = field(default_factory=dict)
    cutoff: pd.Timestamp | None = None
    population: str | None = None
    findings: tuple[Failure, ...] = ()

    def select(self, population: str) -> Trial:
        """The same validated, cut trial restricted to ``population`` (ADSL, ADTTE, ADAE, ADEX):
        read and validate once, select as often as needed."""
        if self.study is None:
            raise ValueError("select() needs the trial's study (load_trial sets it)")
        if self.population is not None:
            raise ValueError(
                f"this trial is already restricted to {self.population}; select from load_trial(..., population=None)"
            )
        pop, _ = _population(population, self.study)
        tables = select_population({t: getattr(self, t) for t in schemas.TABLE_NAMES}, pop, self.study)
        return dataclasses.replace(self, **tables, population=pop)  # type: ignore[arg-type]

    def save(self, folder: str | Path, *, key: str = "") -> Path:
        """Write the trial to ``folder`` to be read back exactly with
        :func:`helpers.data.saved.load_saved_trial` (see that module); ``key`` names what it was
        made from."""
        from helpers.data.saved import save_trial

        return save_trial(self, folder, key=key)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The delivered tables keyed by lower-case name."""
        return {t: getattr(self, t) for t in schemas.TABLE_NAMES if self.delivered(t)}

    def delivered(self, name: str) -> bool:
        """Whether table ``name`` (``adae``, ``adex``, ``screen``, ...) was delivered."""
        if name not in schemas.TABLE_NAMES:
            raise ValueError(f"{name=} is not a table; expected one of {list(schemas.TABLE_NAMES)}")
        return getattr(self, name) is not None

    def has_endpoint(self, paramcd: str) -> bool:
        """Whether ADTTE holds ``paramcd`` (an optional endpoint may be absent)."""
        return bool((self.adtte["PARAMCD"] == paramcd).any())

    def endpoint(self, paramcd: str) -> pd.DataFrame:
        """One row per patient who has ``paramcd``: the ADTTE row with ADSL covariates.

        Columns: ``USUBJID, PARAMCD, PARAM, STARTDT, ADT, AVAL, CNSR, EVNTCD, EVNTDESC,
        CNSDTDSC`` then :data:`ENDPOINT_COVARIATES` (ARM, ARMCD, SITEID, ...), the study's
        variables and population flags.  ``AVAL`` (days) and ``EVNTCD`` (0 censored, 1 event,
        2 competing) are the ``duration_col`` and ``event_col`` for the statistics.  Rows are
        sorted by USUBJID.  An optional endpoint derived for some patients only has fewer rows
        than ADSL (a finding of the validation says how many are missing).

        Raises
        ------
        ValueError
            ``paramcd`` is not an endpoint of the study, or is absent from ADTTE entirely
            (check :meth:`has_endpoint` first for an optional endpoint).
        """
        known = sorted(self.adtte["PARAMCD"].dropna().unique())
        if self.study is not None and paramcd not in [e.paramcd for e in self.study.endpoints]:
            raise ValueError(
                f"{paramcd=} is not an endpoint of {self.study.study.id}; expected "
                f"one of {[e.paramcd for e in self.study.endpoints]}"
            )
        if paramcd not in known:
            raise ValueError(
                f"{paramcd=} not in ADTTE: the endpoint was not delivered; "
                f"ADTTE holds {known} (check Trial.has_endpoint first)"
            )
        tte = self.adtte[self.adtte["PARAMCD"] == paramcd]
        tte = tte[[c for c in schemas.columns("adtte", self.study) if c != "STUDYID"]]
        wanted = list(ENDPOINT_COVARIATES)
        if self.study is not None:
            wanted += [v.name for v in self.study.variables]
            wanted += [p.flag for p in self.study.populations.values()]
        wanted = [
            c for c in dict.fromkeys(wanted) if c in self.adsl.columns and (c == "USUBJID" or c not in tte.columns)
        ]
        out = tte.merge(self.adsl[wanted], on="USUBJID", how="inner", validate="one_to_one")
        return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _population(population: str, study: Study) -> tuple[str, str]:
    """The population's name as the study spells it and its ADSL flag; ValueError unless the
    study defines it."""
    names = {name.upper(): name for name in study.populations}
    name = names.get(str(population or study.default_population).upper())
    if name is None:
        raise ValueError(f"{population=} is not a population; expected one of {list(study.populations)}")
    return name, study.populations[name].flag


def select_population(
    tables: Mapping[str, pd.DataFrame | None], population: str, study: Study | str | Path
) -> dict[str, pd.DataFrame | None]:
    """Keep the patients of ``population`` (a name of ``study.populations``) in ADSL, ADTTE,
    ADAE, ADEX; SCREEN and tables not delivered (None) are passed through.

    Raises
    ------
    ValueError
        ``population`` is not a population of the study.
    ContractError
        No patient has the population's flag = Y (named with the flag, before any analysis).
    """
    study = _as_study(study)
    pop, flag = _population(population, study)
    adsl = tables["adsl"]
    assert adsl is not None, "ADSL is a required table"
    keep = adsl[adsl[flag] == "Y"]
    if keep.empty:
        raise ContractError(
            f"POPULATION={pop}: no patient has {flag} = Y "
            f"({len(adsl)} patients in ADSL); expected at least one patient "
            f"in the {study.populations[pop].label} population"
        )
    ids = set(keep["USUBJID"])
    out: dict[str, pd.DataFrame | None] = dict(tables)
    out["adsl"] = keep.reset_index(drop=True)
    for t in ("adtte", "adae", "adex"):
        df = tables.get(t)
        if df is not None:
            out[t] = df[df["USUBJID"].isin(ids)].reset_index(drop=True)
    return out


def load_trial(
    data_dir: str | Path,
    *,
    study: Study | str | Path,
    cutoff=None,
    population: str | None = "",
    strict: bool = False,
) -> Trial:
    """Read, validate, cut and select the trial data in ``data_dir``.

    Steps, in order: locate one file per table (:func:`find_tables`), read it
    (:func:`read_table`), :func:`validate` against ``study``, :func:`cutoff_findings` and
    :func:`helpers.data.cutoff.apply_cutoff` when ``cutoff`` is given, then keep the patients of
    ``population`` (its flag in ``study.populations`` = Y) in ADSL, ADTTE, ADAE and ADEX.

    Parameters
    ----------
    data_dir : path
        Directory holding ``adsl``, ``adtte`` and optionally ``adae, adex, screen`` as .csv,
        .parquet or .xpt.
    study : Study or path
        The study definition (``studies/nct04674345.yaml`` for this trial).
    cutoff : date-like, optional
        Data cutoff date (``"2023-06-30"``, date or Timestamp).
    population : str or None
        A population of the study (``ITT``, ``SAFETY``, ``PP``, ...); None keeps every
        randomised patient (then :meth:`Trial.select` chooses populations without reading again).
    strict : bool
        Make every finding an error.

    Raises
    ------
    ContractError
        Missing or ambiguous files, malformed values, broken contract rules (with ``strict``,
        findings too), or an empty population.
    ValueError
        Unknown population or a cutoff before the first randomisation.
    """
    study = _as_study(study)
    # before reading: a typo should not cost a validation
    pop = None if population is None else _population(population, study)[0]
    cut = None if cutoff is None else as_cutoff(cutoff)
    paths = find_tables(data_dir)
    tables = {t: read_table(p, study) for t, p in paths.items()}
    files = {
        t: InputFile(path=p, format=FORMATS[p.suffix.lower()], sha256=sha256(p), n_rows=len(tables[t]))
        for t, p in paths.items()
    }
    findings = list(validate(tables, paths, study, strict=strict))
    if cut is not None:
        late = cutoff_findings(tables, cut)
        if strict and late:
            raise ContractError(list(late))
        findings += late
        tables = apply_cutoff(tables, cut, study=study)
    if pop is not None:
        tables = select_population(tables, pop, study)
    return Trial(
        adsl=tables["adsl"],
        adtte=tables["adtte"],
        adae=tables.get("adae"),
        adex=tables.get("adex"),
        screen=tables.get("screen"),
        study=study,
        files=files,
        cutoff=cut,
        population=pop,
        findings=tuple(findings),
    )


# --------------------------------------------------------------------------- command line
def _summary(trial: Trial) -> str:
    parts = [f"{t}={len(df)}" for t, df in trial.tables.items()]
    cut = f", cutoff {trial.cutoff.date()}" if trial.cutoff is not None else ""
    fmts = sorted({f.format for f in trial.files.values()})
    n = len(trial.findings)
    found = f"; {n} finding{'s' if n != 1 else ''}" if n else ""
    return (
        f"OK: {len(parts)} tables ({'/'.join(fmts)}) valid{cut}: "
        + ", ".join(parts)
        + f" rows [population {trial.population}]{found}"
    )


def findings_json(findings: tuple[Failure, ...] | list[Failure]) -> str:
    """The findings as a JSON list of :meth:`Failure.to_record` records."""
    return json.dumps([f.to_record() for f in findings], indent=2, ensure_ascii=False) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.data.contract validate DATA_DIR --study FILE [--cutoff YYYY-MM-DD]
    [--population NAME] [--strict] [--findings OUT.json] [--save FOLDER [--key KEY]]``.

    Exit 0 with the ``OK:`` line and one line per finding; exit 2 with the error on stderr.
    ``--findings`` writes the findings as JSON (an empty list when there are none), atomically,
    and removes a file left by an earlier run when validation fails. ``--save`` writes the
    validated, cut trial of every randomised patient (no population selected, :meth:`Trial.save`)
    to FOLDER, with KEY; it removes FOLDER first, so a failed validation leaves none.
    """
    parser = argparse.ArgumentParser(
        prog="python -m helpers.data.contract", description="Validate trial data against the contract."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    val = sub.add_parser("validate", help="read and validate DATA_DIR")
    val.add_argument("data_dir", type=Path)
    val.add_argument("--study", required=True, type=Path, help="study definition YAML (e.g. studies/nct04674345.yaml)")
    val.add_argument("--cutoff", default=None, help="data cutoff date YYYY-MM-DD")
    val.add_argument("--population", default="", help="a population of the study (default: its default_population)")
    val.add_argument("--strict", action="store_true", help="every finding is an error")
    val.add_argument("--findings", type=Path, default=None, help="write the findings as JSON to this file")
    val.add_argument("--save", type=Path, default=None, help="save the validated, cut trial in this folder")
    val.add_argument("--key", default="", help="with --save: what the trial was made from (recorded with it)")
    args = parser.parse_args(argv)
    if args.save is not None and args.save.exists():
        shutil.rmtree(args.save)  # never leave a trial saved from other data beside this run
    try:
        cutoff = None
        if args.cutoff is not None:
            try:
                cutoff = pd.Timestamp(dt.date.fromisoformat(args.cutoff))
            except ValueError:
                raise ValueError(f"--cutoff={args.cutoff!r} is not a date; expected YYYY-MM-DD") from None
        study = _as_study(args.study)
        _population(args.population, study)  # before reading: a typo should not cost a validation
        everyone = load_trial(args.data_dir, study=study, cutoff=cutoff, population=None, strict=args.strict)
        trial = everyone.select(args.population)
    except (ContractError, ValueError) as exc:
        if args.findings is not None:
            args.findings.unlink(missing_ok=True)  # never leave a stale file beside a failure
        print(str(exc), file=sys.stderr)
        return 2
    if args.save is not None:
        from helpers.data.saved import TrialNotSaved

        try:
            everyone.save(args.save, key=args.key)
        except TrialNotSaved as exc:
            print(f"note: the validated trial is not saved ({exc}); each notebook reads the data itself")
    if args.findings is not None:
        _write_atomic(args.findings, findings_json(trial.findings))
    print(_summary(trial))
    for f in trial.findings:
        print(f"  finding: {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
