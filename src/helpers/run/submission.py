"""The run's deliverables for journals and submissions, beside the report: the Analysis Results
Dataset as Parquet and JSON, and every table of the report as RTF.

* ``OUT_DIR/ard.parquet`` and ``OUT_DIR/ard.json``: every notebook's ARD rows
  (:mod:`helpers.present.ard`, schema in ``docs/ARD.md``) in one dataset, in notebook order.
* ``OUT_DIR/rtf/<output id>.rtf``: each table of the report, numbered and captioned as in the
  report, with rtflite (the pharmaverse RTF library): title, column headers, footnotes (the
  population, the data cutoff, where its numbers are in the ARD) and page numbers repeated on
  every page. ``OUT_DIR/rtf/index.json`` lists them with their titles and SHA-256.

Both are rebuilt with the report (:func:`helpers.run.report.render`) from the executed report
notebook and the analysis notebooks' outputs; nothing here computes or rounds a number.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.files import atomic_write_bytes
from helpers.present import ard as ard_rows
from helpers.present.results import RunResults
from helpers.run.outputs import dumps_json

ARD_PARQUET = "ard.parquet"
ARD_JSON = "ard.json"
RTF_DIR = "rtf"
RTF_INDEX = "index.json"
_LINK = re.compile(r"\[([^\]]+)\]\(#[^)]+\)")


# -- the Analysis Results Dataset --------------------------------------------------------------------
def ard_parquet_bytes(ard: pd.DataFrame) -> bytes:
    """The ARD as Parquet with the schema's types (text columns as strings, ``stat`` as double),
    without pandas metadata, so the same rows give the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.float64() if c == "stat" else pa.string()) for c in ard_rows.COLUMNS])
    ard = ard_rows.check(ard)
    columns = {
        c: pa.array([None if v is None or (isinstance(v, float) and v != v) else v for v in ard[c]], type=f.type)
        for c, f in zip(ard_rows.COLUMNS, schema)
    }
    sink = io.BytesIO()
    pq.write_table(pa.table(columns, schema=schema), sink, compression="zstd")
    return sink.getvalue()


def read_ard(path: str | Path) -> pd.DataFrame:
    """A run's ARD read back from ``ard.parquet`` or ``ard.json``, checked."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return ard_rows.check(ard_rows.from_records(pq.read_table(path).to_pylist()), str(path))
    import json

    return ard_rows.from_records(json.loads(path.read_text(encoding="utf-8")))


def write_ard(out_dir: str | Path, dest: str | Path | None = None) -> dict[str, Path]:
    """Write the run's ARD (every notebook's ``ard.json``, :meth:`RunResults.ard_frame`) to
    ``dest`` (default ``out_dir``) as ``ard.parquet`` and ``ard.json``."""
    rows = RunResults(out_dir).ard_frame()
    dest = Path(dest or out_dir)
    return {
        "parquet": atomic_write_bytes(dest / ARD_PARQUET, ard_parquet_bytes(rows)),
        "json": atomic_write_bytes(dest / ARD_JSON, dumps_json(rows).encode("utf-8")),
    }


# -- RTF tables ------------------------------------------------------------------------------------
@dataclass
class ReportTableSpec:
    """One table of the report: its label, number, caption and cells as the report shows them."""

    label: str
    number: int
    caption: str
    data: pd.DataFrame

    @property
    def title(self) -> str:
        return f"Table {self.number}: {plain(self.caption)}"


def plain(markdown: str) -> str:
    """A caption without Markdown: ``[Table 2](#tbl-x)`` -> ``Table 2``, no emphasis marks."""
    return re.sub(r"\*\*?([^*]+)\*\*?", r"\1", _LINK.sub(r"\1", markdown)).strip()


def pipe_table(markdown: str) -> pd.DataFrame:
    """The cells of a pipe table (:func:`helpers.present.tables.markdown_table`) as a frame of text."""
    lines = [ln.strip() for ln in markdown.strip().splitlines() if ln.strip().startswith("|")]
    rows = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", ln.strip()[1:-1])] for ln in lines]
    if len(rows) < 2:
        return pd.DataFrame()
    return pd.DataFrame(rows[2:], columns=rows[0])


def report_tables(out_dir: str | Path, nb: Any) -> list[ReportTableSpec]:
    """Every table of the executed report notebook ``nb``, in order, with the cells of its
    ``tbl-*.display.csv`` (the analysis notebooks') or, for a table the report builds itself
    (provenance), of its pipe table."""
    from helpers.run.report import resolve_quarto

    out_dir = Path(out_dir)
    _, blocks = resolve_quarto(nb)
    found = []
    for b in blocks:
        if b.kind != "table":
            continue
        shown = sorted(out_dir.glob(f"*/{b.label}.display.csv"))
        shown = [p for p in shown if not p.parent.name.startswith(".") and ".FAILED" not in p.parent.name]
        data = pd.read_csv(shown[0], dtype=str, keep_default_na=False) if shown else pipe_table(b.markdown)
        found.append(ReportTableSpec(b.label, b.number, b.caption, data))
    return found


def _column_widths(data: pd.DataFrame) -> list[int]:
    """Relative column widths, as the report's pipe tables size them (:func:`helpers.present.tables.column_widths`)."""
    from helpers.present.tables import column_widths

    return column_widths([[str(c) for c in data.columns], *data.astype(str).values.tolist()])


def rtf_escape(text: str) -> str:
    """Text as RTF: ``\\``, ``{`` and ``}`` escaped, every non-ASCII character as ``\\uN*``
    (UTF-16 code units), so the file is plain ASCII and reads the same in every code page.
    rtflite's own text conversion is off: it reads ``_`` and ``^`` as LaTeX sub- and superscripts."""
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ord(ch) < 128:
            out.append(ch)
        else:
            units = ch.encode("utf-16-le")
            for i in range(0, len(units), 2):
                code = int.from_bytes(units[i : i + 2], "little")
                out.append(f"\\uc1\\u{code - 65536 if code > 32767 else code}*")
    return "".join(out)


def table_rtf(spec: ReportTableSpec, footnotes: Sequence[str], *, rows_per_page: int = 36) -> str:
    """One table as an RTF document (rtflite): the title, column headers, footnotes and source
    repeated on every page, page numbers in the header; landscape when it has more than four
    columns."""
    import polars as pl
    import rtflite as rtf

    data = spec.data.astype(str) if len(spec.data.columns) else pd.DataFrame({"": [""]})
    if data.empty:
        data = pd.DataFrame([[""] * len(data.columns)], columns=data.columns)
    frame = pl.DataFrame({f"c{i}": [rtf_escape(x) for x in data.iloc[:, i]] for i in range(data.shape[1])})
    n = data.shape[1]
    widths = _column_widths(data)
    justify = ["l"] + ["c"] * (n - 1)
    doc = rtf.RTFDocument(
        df=frame,
        rtf_page=rtf.RTFPage(
            orientation="landscape" if n > 4 else "portrait",
            nrow=rows_per_page,
            page_title="all",
            page_footnote="all",
            page_source="all",
        ),
        rtf_page_header=rtf.RTFPageHeader(),
        rtf_title=rtf.RTFTitle(text=[rtf_escape(spec.title)], text_convert=[False]),
        rtf_column_header=[
            rtf.RTFColumnHeader(
                text=[rtf_escape(str(c)) for c in data.columns],
                col_rel_width=widths,
                text_justification=justify,
                text_convert=[False],
            )
        ],
        rtf_body=rtf.RTFBody(col_rel_width=widths, text_justification=[justify], text_convert=[[False]]),
        rtf_footnote=rtf.RTFFootnote(text=[rtf_escape(f) for f in footnotes], text_convert=[False])
        if footnotes
        else None,
        rtf_source=rtf.RTFSource(text=[rtf_escape(f"Source: {spec.label}")], text_convert=[False]),
    )
    return doc.rtf_encode()


def table_footnotes(spec: ReportTableSpec, parameters: dict[str, Any], in_ard: bool) -> list[str]:
    """What a reader of a table alone needs: population, data cutoff and where its numbers are."""
    notes = [
        f"Analysis population: {parameters.get('population') or 'the study default'}. "
        f"Data cutoff: {parameters.get('cutoff') or 'data as delivered'}."
    ]
    if in_ard:
        notes.append(
            f"Every number is a row of the run's analysis results dataset ({ARD_PARQUET}, output_id {spec.label})."
        )
    notes.append("NE: not estimable.")
    return notes


def write_rtf_tables(out_dir: str | Path, nb: Any, dest: str | Path | None = None) -> list[Path]:
    """Write every table of the executed report notebook ``nb`` to ``dest/rtf/<label>.rtf``
    (default ``dest``: ``out_dir``) and ``rtf/index.json``; earlier RTF files there are removed."""
    out_dir = Path(out_dir)
    folder = Path(dest or out_dir) / RTF_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.rtf"):
        old.unlink()
    results = RunResults(out_dir)
    try:
        parameters = results.parameters("90_report")
    except (FileNotFoundError, KeyError):
        parameters = {}
    outputs = set(results.ard_frame()["output_id"])
    written, index = [], []
    for spec in report_tables(out_dir, nb):
        text = table_rtf(spec, table_footnotes(spec, parameters, spec.label in outputs))
        data = text.encode("ascii")  # rtf_escape wrote every other character as \\uN
        path = atomic_write_bytes(folder / f"{spec.label}.rtf", data)
        written.append(path)
        index.append({"file": path.name, "title": spec.title, "sha256": hashlib.sha256(data).hexdigest()})
    atomic_write_bytes(folder / RTF_INDEX, dumps_json(index).encode("utf-8"))
    return written
