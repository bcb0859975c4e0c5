"""Load and validate the trial data: the one place that reads input files.

The data contract (tables, variables, codes, rules) lives in :mod:`helpers.schemas` and is
documented in ``data/README.md``.  :func:`load_trial` reads the five tables, validates them
(pandera, lazily, then cross-table rules), applies the data cutoff and selects the analysis
population.  A fault never gets silently dropped, coerced or fixed: all faults found are
reported together in one :class:`ContractError`.

Command line::

    python -m helpers.contract validate DATA_DIR [--cutoff YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from helpers import config, schemas

__all__ = [
    "ContractError",
    "Failure",
    "InputFile",
    "Trial",
    "FORMATS",
    "POPULATIONS",
    "ENDPOINT_COVARIATES",
    "find_tables",
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
#: population name -> ADSL flag
POPULATIONS = config.POPULATION_FLAGS
#: ADSL variables merged into :meth:`Trial.endpoint`
ENDPOINT_COVARIATES = [
    "USUBJID", "SITEID", "ARM", "ARMCD", "ACTARM", "ACTARMCD", "RANDDT", "TRANSDT",
    "AGE", "AGEGR1", "SEX", "DIAG", "DISSTAT", "CYTORISK", "MRDPRE", "DONORTYP", "CONDINT",
    "STRATDS", "STRATDT", "ITTFL", "SAFFL", "PPROTFL",
]
_SAS_EPOCH = pd.Timestamp("1960-01-01")
_N_IDS = 5


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Failure:
    """One failed rule: where (file, column), which rule, how many rows, whose rows."""

    file: str
    column: str | None
    rule: str
    n_rows: int | None
    ids: tuple[str, ...] = ()
    id_column: str = "USUBJID"

    def __str__(self) -> str:
        col = self.column if self.column is not None else "-"
        if self.n_rows is None:
            rows = "column absent"
        else:
            rows = f"{self.n_rows} row{'s' if self.n_rows != 1 else ''}"
        text = f"{self.file}: column {col}: rule '{self.rule}': {rows}"
        if self.ids:
            text += f"; first {self.id_column}s: {', '.join(self.ids)}"
        return text


class ContractError(ValueError):
    """The input data break the data contract.

    The message has one line per failed rule, naming the file, column, rule, the number of
    rows at fault and the first five patients (USUBJID; SCRNID for the screening log).
    ``failures`` holds the same as :class:`Failure` records; ``notes`` holds further lines
    that are not failed rules (which checks were skipped and why).
    """

    def __init__(self, failures: list[Failure] | str):
        self.notes: tuple[str, ...] = ()
        if isinstance(failures, str):
            self.failures: list[Failure] = []
            super().__init__(failures)
            return
        self.failures = list(failures)
        n = len(self.failures)
        head = f"data contract violated ({n} rule{'s' if n != 1 else ''} failed):"
        super().__init__("\n".join([head, *(f"  {f}" for f in self.failures)]))

    @classmethod
    def _with_notes(cls, failures: list[Failure], notes: tuple[str, ...]) -> ContractError:
        """The error of ``failures`` with lines that are not failed rules (``notes``) after
        them, e.g. which checks could not run."""
        err = cls(failures)
        err.notes = tuple(notes)
        if err.notes:
            err.args = ("\n".join([str(err), *(f"  {n}" for n in err.notes)]),)
        return err


def _ids(frame: pd.DataFrame, index, id_column: str) -> tuple[str, ...]:
    if id_column not in frame.columns:
        return ()
    vals = frame.loc[list(index)[:_N_IDS], id_column]
    return tuple("<missing>" if pd.isna(v) else str(v) for v in vals)


# --------------------------------------------------------------------------- files
@dataclass(frozen=True)
class InputFile:
    """Provenance of one input table."""

    path: Path
    format: str
    sha256: str
    n_rows: int


def sha256(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (read in chunks, file opened read-only)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_tables(data_dir: str | Path) -> dict[str, Path]:
    """Locate ``<table>.csv|.parquet|.xpt`` for every contract table in ``data_dir``.

    Raises
    ------
    ContractError
        If a table is missing, or present in more than one format (ambiguous).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ContractError(f"data_dir={str(data_dir)!r} is not a directory")
    present = {p.name: p for p in data_dir.iterdir() if p.is_file()}
    lower = {name.lower(): name for name in present}
    found, problems = {}, []
    for table in schemas.TABLE_NAMES:
        candidates = [data_dir / f"{table}{ext}" for ext in FORMATS if f"{table}{ext}" in present]
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            problems.append(f"{data_dir}: table {table} is ambiguous: found {names}; "
                            "keep exactly one file per table")
        elif not candidates:
            expected = " or ".join(str(data_dir / f"{table}{ext}") for ext in FORMATS)
            hint = [lower[f"{table}{ext}"] for ext in FORMATS if f"{table}{ext}" in lower]
            msg = f"missing required table {table}: expected {expected}"
            if hint:
                msg += f" (found {', '.join(hint)}; file names must be lower case)"
            problems.append(msg)
        else:
            found[table] = candidates[0]
    if problems:
        raise ContractError("data contract violated:\n" + "\n".join(f"  {p}" for p in problems))
    return found


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one table by extension (csv, parquet, xpt) into contract types.

    Variables of a contract table (named by the file stem) are converted to the contract
    types: text -> ``object`` of ``str`` (empty = NaN), integers -> ``int64`` (``float64``
    when values are missing, which validation then reports), dates -> ``datetime64[ns]``.
    CSV dates must be ISO ``YYYY-MM-DD``; SAS transport dates are SAS date numbers.
    The file is opened read-only and never modified.

    Raises
    ------
    ContractError
        On an unknown extension, an unreadable file, or a malformed value (a date that is not
        ISO, a non-integer in an integer column, a number in a text column).
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ContractError(f"{path}: unsupported extension {path.suffix!r}; "
                            f"expected one of {', '.join(FORMATS)}")
    try:
        if fmt == "csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                              encoding="utf-8")
        elif fmt == "parquet":
            raw = pd.read_parquet(path)
        else:
            import pyreadstat

            raw, _ = pyreadstat.read_xport(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader failure is a contract failure
        raise ContractError(f"{path}: cannot be read as {fmt}: {exc}") from exc
    table = path.stem.lower()
    if table not in schemas.TABLES:
        return raw
    return _to_contract_types(raw, table, path, fmt)


def _to_contract_types(raw: pd.DataFrame, table: str, path: Path, fmt: str) -> pd.DataFrame:
    out = raw.copy()
    failures: list[Failure] = []
    id_col = schemas.ID_COLUMN[table]
    for var in schemas.TABLES[table]:
        if var.name not in out.columns:
            continue  # reported by validation as column_in_dataframe
        converted, bad = _convert(out[var.name], var.kind, fmt)
        out[var.name] = converted
        if bad.any():
            rule = {"date": "ISO date YYYY-MM-DD", "int": "integer", "str": "text"}[var.kind]
            idx = out.index[bad]
            failures.append(Failure(str(path), var.name, f"malformed value: expected {rule}",
                                    int(bad.sum()), _ids(out, idx, id_col), id_col))
    if failures:
        raise ContractError(failures)
    return out


def _convert(s: pd.Series, kind: str, fmt: str) -> tuple[pd.Series, np.ndarray]:
    """Convert to the contract type; return the series and a mask of malformed values."""
    if kind == "str":
        obj = s.astype(object)
        missing = obj.isna() | (obj == "")
        bad = ~missing & ~obj.map(lambda v: isinstance(v, str)).astype(bool)
        conv = obj.where(~missing, np.nan)
        return conv, bad.to_numpy()
    if kind == "int":
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            num = s.astype("float64")
            bad = np.zeros(len(s), dtype=bool)
        else:
            text = s.astype(object).where(s.notna(), None)
            num = pd.to_numeric(text, errors="coerce").astype("float64")
            bad = (s.notna() & num.isna()).to_numpy()
        arr = num.to_numpy()
        with np.errstate(invalid="ignore"):
            nonint = np.isfinite(arr) & (np.floor(arr) != arr)
        bad = bad | nonint | np.isinf(arr)
        if np.isnan(arr).any() or bad.any():
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
        conv[ok] = np.datetime64(_SAS_EPOCH, "ns") + arr[ok].astype(np.int64).astype(
            "timedelta64[D]")
        return pd.Series(conv, index=s.index), bad
    obj = s.astype(object)
    missing = obj.isna() | (obj == "")
    is_date = obj.map(lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime))
    is_date = is_date.astype(bool)
    conv = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if is_date.any():
        conv[is_date] = pd.to_datetime(obj[is_date].map(lambda d: d.isoformat()),
                                       format="%Y-%m-%d")
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
def _failures(err: pa.errors.SchemaErrors, frame: pd.DataFrame, file: str, id_col: str,
              schema: pa.DataFrameSchema) -> list[Failure]:
    """Turn pandera's failure cases into one :class:`Failure` per (column, rule)."""
    fc = err.failure_cases
    rule_column = {}
    for chk in schema.checks:
        col = (chk.statistics or {}).get("column")
        rule_column[chk.error or chk.name] = col
    out: list[Failure] = []
    # column_in_dataframe: column is None, failure_case holds the missing column's name
    seen: dict[tuple, list] = {}
    for row in fc.itertuples(index=False):
        check = str(row.check)
        if check == "column_in_dataframe":
            key = (str(row.failure_case), "column present")
        elif check.startswith("dtype(") and _no_index(row.index):
            # the whole column has the wrong type: say which type was found
            key = (row.column, f"{check}, found {row.failure_case}")
            seen.setdefault(key, list(frame.index))
            continue
        elif row.schema_context == "DataFrameSchema" and check in rule_column:
            key = (rule_column[check], check)
        else:
            key = (row.column, check)
        seen.setdefault(key, [])
        if not _no_index(row.index):
            seen[key].append(row.index)
    # a not-nullable column also fails its dtype check (float64 instead of int64): say it once
    nullable_fail = {k[0] for k in seen if k[1] == "not_nullable"}
    for (col, rule), idx in seen.items():
        if col in nullable_fail and rule.startswith("dtype(") and "found" not in rule:
            continue
        if rule == "column present":
            out.append(Failure(file, col, rule, None, (), id_col))
            continue
        uniq = list(dict.fromkeys(idx))
        out.append(Failure(file, col, rule, len(uniq), _ids(frame, uniq, id_col), id_col))
    return out


def _no_index(index) -> bool:
    return index is None or (isinstance(index, float) and np.isnan(index))


def _run(schema: pa.DataFrameSchema, frame: pd.DataFrame, file: str,
         id_col: str) -> list[Failure]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _failures(err, frame, file, id_col, schema)
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


def cross_frames(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Frames for the cross-table rules (see :func:`helpers.schemas.cross_schemas`)."""
    adsl = tables["adsl"]
    dates = ["RANDDT", "LSTALVDT", "DTHFL", "DTHDT", "RELDT", "TRTSDT", "TRTEDT", "ARMCD"]
    out = {
        "adtte": _with_adsl(tables["adtte"], adsl, dates),
        "adae": _with_adsl(tables["adae"], adsl, dates),
        "screen": _with_adsl(tables["screen"], adsl, ["RANDDT"]),
    }
    ex = _with_adsl(tables["adex"], adsl, dates)
    if {"ASTDT", "AENDT", "EXSEQ"} <= set(ex.columns):
        order = ex.sort_values(["USUBJID", "ASTDT", "EXSEQ"], kind="stable")
        prev = order.groupby("USUBJID", sort=False)["AENDT"].shift(1)
        ex["PREV_AENDT"] = prev.reindex(ex.index)
    out["adex"] = ex
    # coverage: one ADTTE row per ADSL patient per PARAMCD
    ids = adsl["USUBJID"].drop_duplicates()
    te = tables["adtte"]
    if "PARAMCD" in te.columns:
        counts = te.groupby(["USUBJID", "PARAMCD"]).size()
        grid = pd.MultiIndex.from_product([ids, list(schemas.PARAMS)],
                                          names=["USUBJID", "PARAMCD"])
        cov = counts.reindex(grid, fill_value=0).rename("N_ROWS").reset_index()
        # duplicates are already reported by the ADTTE unique-key rule: report only absences
        cov.loc[cov["N_ROWS"] > 1, "N_ROWS"] = 1
        out["adtte_coverage"] = cov
    sc = tables["screen"]
    n_in_screen = sc["USUBJID"].value_counts() if "USUBJID" in sc.columns else pd.Series()
    out["screen_coverage"] = pd.DataFrame({
        "USUBJID": ids.to_numpy(),
        "N_ROWS": n_in_screen.reindex(ids.to_numpy(), fill_value=0).to_numpy(),
    })
    return out


def validate(tables: Mapping[str, pd.DataFrame], source: Mapping[str, Path | str]) -> None:
    """Check the tables against the data contract; raise one error listing every fault.

    Per table: the pandera schema of :func:`helpers.schemas.table_schema` (required columns,
    types, codes, ranges, unique key, row rules).  Across tables (only when every table has
    its key columns): the schemas of :func:`helpers.schemas.cross_schemas`, e.g. every
    ADTTE/ADAE/ADEX patient in ADSL, one ADTTE row per patient per PARAMCD, dates in order.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The five tables, keyed ``adsl, adtte, adae, adex, screen``, in contract types
        (as returned by :func:`read_table`).
    source : mapping of str to path
        The file each table came from, used in messages.

    Raises
    ------
    ContractError
        Lists per failed rule: file, column, rule, number of rows at fault, first 5 IDs.
    """
    missing = [t for t in schemas.TABLE_NAMES if t not in tables]
    if missing:
        raise ContractError(f"tables={sorted(tables)} lacks {missing}; "
                            f"expected {list(schemas.TABLE_NAMES)}")
    failures: list[Failure] = []
    for t in schemas.TABLE_NAMES:
        failures += _run(schemas.table_schema(t), tables[t], str(source.get(t, t)),
                         schemas.ID_COLUMN[t])
    skipped = _cross_table_blockers(tables)
    if not skipped:
        frames = cross_frames(tables)
        xs = schemas.cross_schemas()
        for key, frame in frames.items():
            t = key.split("_")[0]
            failures += _run(xs[key], frame, str(source.get(t, t)), "USUBJID")
    notes = ()
    if skipped:
        notes = ("cross-table rules skipped (ADSL merge impossible): " + "; ".join(skipped),)
    if failures or notes:
        raise ContractError._with_notes(failures, notes)


def _cross_table_blockers(tables: Mapping[str, pd.DataFrame]) -> list[str]:
    """Why the cross-table rules cannot run (empty when they can): every table needs its
    USUBJID, and ADSL a RANDDT of dates (the per-table checks report these faults too)."""
    out = [f"{t} lacks USUBJID" for t in schemas.TABLE_NAMES
           if "USUBJID" not in tables[t].columns]
    randdt = tables["adsl"].get("RANDDT")
    if randdt is None:
        out.append("adsl lacks RANDDT")
    elif not pd.api.types.is_datetime64_any_dtype(randdt):
        out.append(f"adsl RANDDT is {randdt.dtype}, expected datetime64[ns]")
    return out


# --------------------------------------------------------------------------- the trial
@dataclass(frozen=True)
class Trial:
    """The validated trial: five ADaM-like tables, their provenance, cutoff and population.

    Attributes
    ----------
    adsl, adtte, adae, adex, screen : DataFrame
        Tables after the data cutoff and population selection (``screen`` is never restricted
        to a population: CONSORT needs every screened patient).
    files : dict of str to InputFile
        Path, format, SHA-256 and number of rows of each input file as read.
    cutoff : Timestamp or None
        Data cutoff applied, if any.
    population : {"ITT", "SAFETY", "PP"}
        Analysis population selected.
    """

    adsl: pd.DataFrame
    adtte: pd.DataFrame
    adae: pd.DataFrame
    adex: pd.DataFrame
    screen: pd.DataFrame
    files: dict[str, InputFile] = field(default_factory=dict)
    cutoff: pd.Timestamp | None = None
    population: str = "ITT"

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The five tables keyed by lower-case name."""
        return {t: getattr(self, t) for t in schemas.TABLE_NAMES}

    def endpoint(self, paramcd: str) -> pd.DataFrame:
        """One row per patient: the ADTTE rows of ``paramcd`` with ADSL covariates.

        Columns: ``USUBJID, PARAMCD, PARAM, STARTDT, ADT, AVAL, CNSR, EVNTCD, EVNTDESC,
        CNSDTDSC`` then :data:`ENDPOINT_COVARIATES` (ARM, ARMCD, SITEID, AGE, ...).  ``AVAL``
        (days) and ``EVNTCD`` (0 censored, 1 event, 2 competing) are the ``duration_col`` and
        ``event_col`` for the statistics.  Rows are sorted by USUBJID.
        """
        known = sorted(self.adtte["PARAMCD"].unique())
        if paramcd not in known:
            raise ValueError(f"{paramcd=} not in ADTTE; expected one of {known}")
        tte = self.adtte[self.adtte["PARAMCD"] == paramcd]
        tte = tte[[c for c in schemas.columns("adtte") if c != "STUDYID"]]
        cov = self.adsl[[c for c in ENDPOINT_COVARIATES if c in self.adsl.columns]]
        out = tte.merge(cov, on="USUBJID", how="inner", validate="one_to_one")
        return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def select_population(tables: Mapping[str, pd.DataFrame], population: str
                      ) -> dict[str, pd.DataFrame]:
    """Keep the patients of ``population`` (ITT, SAFETY, PP) in ADSL, ADTTE, ADAE, ADEX."""
    pop = _population(population)
    adsl = tables["adsl"]
    keep = adsl[adsl[POPULATIONS[pop]] == "Y"]
    ids = set(keep["USUBJID"])
    out = {"adsl": keep.reset_index(drop=True), "screen": tables["screen"]}
    for t in ("adtte", "adae", "adex"):
        df = tables[t]
        out[t] = df[df["USUBJID"].isin(ids)].reset_index(drop=True)
    return out


def _population(population: str) -> str:
    """The population's name in upper case; ValueError unless it is in :data:`POPULATIONS`."""
    pop = population.upper()
    if pop not in POPULATIONS:
        raise ValueError(f"{population=} is not a population; expected one of "
                         f"{list(POPULATIONS)}")
    return pop


def load_trial(data_dir: str | Path, *, cutoff=None, population: str = "ITT") -> Trial:
    """Read, validate, cut and select the trial data in ``data_dir``.

    Steps, in order: locate one file per table (:func:`find_tables`), read it
    (:func:`read_table`), :func:`validate`, :func:`helpers.cutoff.apply_cutoff` when
    ``cutoff`` is given, then keep the patients of ``population`` (ITT: ``ITTFL == "Y"``,
    SAFETY: ``SAFFL == "Y"``, PP: ``PPROTFL == "Y"``) in ADSL, ADTTE, ADAE and ADEX.

    Parameters
    ----------
    data_dir : path
        Directory holding ``adsl, adtte, adae, adex, screen`` as .csv, .parquet or .xpt.
    cutoff : date-like, optional
        Data cutoff date (``"2023-06-30"``, date or Timestamp).
    population : {"ITT", "SAFETY", "PP"}

    Raises
    ------
    ContractError
        Missing or ambiguous files, malformed values, or broken contract rules.
    ValueError
        Unknown population or a cutoff before the first randomisation.
    """
    from helpers.cutoff import apply_cutoff

    pop = _population(population)  # before reading: a typo should not cost a validation
    paths = find_tables(data_dir)
    tables = {t: read_table(p) for t, p in paths.items()}
    files = {t: InputFile(path=p, format=FORMATS[p.suffix.lower()], sha256=sha256(p),
                          n_rows=len(tables[t])) for t, p in paths.items()}
    validate(tables, paths)
    cut = None
    if cutoff is not None:
        cut = pd.Timestamp(cutoff)
        tables = apply_cutoff(tables, cut)
    tables = select_population(tables, pop)
    return Trial(**tables, files=files, cutoff=cut, population=pop)


def _summary(trial: Trial) -> str:
    parts = [f"{t}={len(df)}" for t, df in trial.tables.items()]
    cut = f", cutoff {trial.cutoff.date()}" if trial.cutoff is not None else ""
    fmts = sorted({f.format for f in trial.files.values()})
    return (f"OK: {len(parts)} tables ({'/'.join(fmts)}) valid{cut}: " + ", ".join(parts)
            + f" rows [population {trial.population}]")


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.contract validate DATA_DIR [--cutoff YYYY-MM-DD]``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.contract",
                                     description="Validate trial data against the contract.")
    sub = parser.add_subparsers(dest="command", required=True)
    val = sub.add_parser("validate", help="read and validate DATA_DIR")
    val.add_argument("data_dir", type=Path)
    val.add_argument("--cutoff", default=None, help="data cutoff date YYYY-MM-DD")
    val.add_argument("--population", default="ITT", choices=list(POPULATIONS))
    args = parser.parse_args(argv)
    try:
        cutoff = None
        if args.cutoff is not None:
            try:
                cutoff = pd.Timestamp(dt.date.fromisoformat(args.cutoff))
            except ValueError:
                raise ValueError(f"--cutoff={args.cutoff!r} is not a date; "
                                 "expected YYYY-MM-DD") from None
        trial = load_trial(args.data_dir, cutoff=cutoff, population=args.population)
    except (ContractError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(_summary(trial))
    return 0


if __name__ == "__main__":
    sys.exit(main())

