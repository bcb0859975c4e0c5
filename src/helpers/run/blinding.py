"""Proof that an open report is blind: no output of an open run names an arm or quotes a comparison.

``make report REPORT=open`` pools the arms before any notebook sees the data
(:func:`helpers.data.blind.pool_arms`); this module checks the result, file by file, and the
render step of an open run refuses to leave a report behind when it finds anything
(:func:`check_open_run`). What it looks for (:func:`forbidden`):

* every text that names an arm or what an arm receives, from the study definition
  (:attr:`helpers.study.Study.arm_terms`: arm codes as written, arm labels and short labels, the
  study drug and the treatment name in any case, as whole words);
* the names of comparative statistics as the analyses write them (:data:`COMPARISON_KEYS`:
  ``hr``, ``p_value``, ``comparator_arm``, ...) where names are: JSON keys, the header of a CSV or
  Parquet table, the code of a notebook (in prose "comparison" is a word like any other);
* the words of a treatment effect or a boundary decision in prose (:data:`COMPARISON_WORDS`:
  "hazard ratio", "p-value", "p = 0.04", "Gray's test", "boundary crossed", ...).

Where it looks (:func:`output_texts`): every file of the run folder but its state (``.make``,
``.stale``): executed notebooks (cell sources, text outputs and metadata; images left out),
HTML and SVG (their text, embedded images left out), CSV, JSON, Markdown and other text files,
Parquet tables (as CSV), Office files (the text of their XML) and the PDF through ``pdftotext``
(poppler) when it is on PATH. PNG images are the only files it cannot read: each is drawn beside an
SVG twin with the same text, which it reads.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import config
from helpers.study import Study, load_study

__all__ = [
    "COMPARISON_KEYS",
    "COMPARISON_WORDS",
    "BlindingError",
    "Leak",
    "check_open_run",
    "find_leaks",
    "forbidden",
    "output_texts",
]

#: Names the analyses give to comparative statistics and to the arms of a comparison (columns of
#: ``relapse_effects``, ``secondary_summary``, ``subgroup_effects``; docs/CONVENTIONS.md).
COMPARISON_KEYS = (
    "hr",
    "hr_conf_low",
    "hr_conf_high",
    "p_value",
    "p_interaction",
    "comparator_arm",
    "reference_arm",
    "comparison",
    "conditional_power",
    "predictive_power",
)
#: Prose of a treatment effect, a comparative test or a boundary decision (case-insensitive).
COMPARISON_WORDS = (
    r"hazard ratios?",
    r"s?HR",
    r"p-values?",
    r"p ?[=<>\u2264\u2265] ?[0-9.]",
    r"Gray's test",
    r"log-rank test",
    r"boundary (?:was |is )?crossed",
    r"conditional power",
    r"predictive power",
)
#: Folders of a run that are its state, not its outputs.
STATE_DIRS = {config.MAKE_STATE_DIR, ".stale"}
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp"}
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


class BlindingError(RuntimeError):
    """An output of an open report names an arm or quotes a comparison."""


@dataclass(frozen=True)
class Leak:
    """One forbidden text found: the file (relative to the run folder), what it matched and
    the text around it."""

    file: str
    found: str
    context: str

    def __str__(self) -> str:
        return f"{self.file}: {self.found!r} in ...{self.context}..."


def forbidden(study: Study) -> list[tuple[str, re.Pattern[str], str]]:
    """``(what, pattern, where)`` of everything an open report must not hold, for ``study`` (the
    definition as written, with its arms: not the pooled view). ``where`` is ``"text"`` (all the
    text of a file) or ``"names"`` (its keys, column names and code)."""
    if study.is_pooled:
        raise ValueError("forbidden() needs the study definition with its arms, not the open report's pooled view")
    codes = {a.code for a in study.arms}
    out = []
    for term in study.arm_terms:
        flags = 0 if term in codes else re.IGNORECASE
        out.append((term, re.compile(rf"(?<![A-Za-z0-9]){re.escape(term)}(?![A-Za-z0-9])", flags), "text"))
    for key in COMPARISON_KEYS:
        out.append((key, re.compile(rf"(?<![A-Za-z0-9_]){key}(?![A-Za-z0-9_])"), "names"))
    for words in COMPARISON_WORDS:
        flags = 0 if words == r"s?HR" else re.IGNORECASE
        out.append((words, re.compile(rf"(?<![A-Za-z0-9]){words}(?![A-Za-z])", flags), "text"))
    return out


# -- reading every output as text ------------------------------------------------------------------
def _markup_text(text: str) -> str:
    text = _DATA_URI.sub(" ", text)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    comments = " ".join(re.findall(r"<!--(.*?)-->", text, flags=re.S))  # matplotlib's SVG text
    return html.unescape(re.sub(r"<[^>]+>", " ", text)) + " " + comments


def _notebook_text(raw: str) -> tuple[str, str]:
    nb = json.loads(raw)
    parts = [json.dumps(nb.get("metadata", {}), ensure_ascii=False)]
    code = []
    for cell in nb.get("cells", []):
        parts.append("".join(cell.get("source", "")))
        if cell.get("cell_type") == "code":
            code.append(parts[-1])
        parts.append(json.dumps(cell.get("metadata", {}), ensure_ascii=False))
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts += [str(out.get(k, "")) for k in ("ename", "evalue")]
            for mime, data in out.get("data", {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    continue
                value = "".join(data) if isinstance(data, list) else data
                value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                parts.append(_markup_text(value) if mime in ("text/html", "image/svg+xml") else value)
    return "\n".join(parts), "\n".join(code)


def _json_keys(raw: str) -> str:
    """Every key of the JSON, one per line."""
    keys: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            keys.extend(str(k) for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(json.loads(raw))
    return "\n".join(keys)


def _pdf_text(path: Path) -> str | None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return None
    done = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True)
    if done.returncode != 0:
        raise BlindingError(f"{path}: pdftotext could not read it: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode("utf-8", errors="replace")


def _file_text(path: Path) -> tuple[str, str] | None:
    """``(text, names)``: the text a reader could find in ``path``, and its names (JSON keys, a
    table's column names, a notebook's code); None for a file with no text to read (an image, or
    a PDF without pdftotext)."""
    suffix = path.suffix.lower()
    if suffix in _IMAGES:
        return None
    if suffix == ".pdf":
        text = _pdf_text(path)
        return None if text is None else (text, "")
    if suffix == ".parquet":
        import pandas as pd

        table = pd.read_parquet(path)
        return table.to_csv(index=False), "\n".join(map(str, table.columns))
    if suffix in (".docx", ".xlsx", ".pptx", ".odt", ".ods"):
        with zipfile.ZipFile(path) as z:
            xml = [z.read(n).decode("utf-8", errors="replace") for n in z.namelist() if n.endswith(".xml")]
        return "\n".join(_markup_text(x) for x in xml), ""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if suffix == ".ipynb":
        return _notebook_text(raw)
    if suffix in (".html", ".htm", ".svg", ".xml"):
        return _markup_text(raw), ""
    if suffix == ".json":
        return raw, _json_keys(raw)
    if suffix in (".csv", ".tsv"):
        return raw, raw.split("\n", 1)[0]
    return raw, ""


def output_files(out_dir: str | Path) -> list[Path]:
    """Every file of the run folder but its state (``.make``, ``.stale``), sorted."""
    root = Path(out_dir)
    return sorted(p for p in root.rglob("*") if p.is_file() and not STATE_DIRS & set(p.relative_to(root).parts[:-1]))


def output_texts(out_dir: str | Path) -> Iterator[tuple[Path, tuple[str, str] | None]]:
    """``(file, (text, names))`` of every output of the run folder (:func:`output_files`); None
    for a file without text."""
    for path in output_files(out_dir):
        yield path, _file_text(path)


def find_leaks(out_dir: str | Path, study: Study) -> tuple[list[Leak], list[Path]]:
    """Every forbidden text (:func:`forbidden`) in the outputs of ``out_dir``, and the files
    that could not be read as text (images; the PDF without pdftotext)."""
    root = Path(out_dir)
    patterns = forbidden(study)
    leaks, unread = [], []
    for path, read in output_texts(root):
        if read is None:
            unread.append(path)
            continue
        for what, pattern, where in patterns:
            text = read[0] if where == "text" else read[1]
            for m in pattern.finditer(text):
                context = re.sub(r"\s+", " ", text[max(0, m.start() - 40) : m.end() + 40])
                leaks.append(Leak(path.relative_to(root).as_posix(), what, context))
    return leaks, unread


def check_open_run(out_dir: str | Path, study: Study, *, limit: int = 20) -> int:
    """Raise :class:`BlindingError` listing what an open run's outputs must not hold (at most
    ``limit`` lines); otherwise return how many files were read."""
    leaks, unread = find_leaks(out_dir, study)
    if leaks:
        lines = [str(x) for x in leaks[:limit]]
        more = f"\n  ... and {len(leaks) - limit} more" if len(leaks) > limit else ""
        raise BlindingError(
            f"the open report in {out_dir} is not blind: {len(leaks)} output text"
            f"{'s name' if len(leaks) != 1 else ' names'} an arm or a comparison:\n  " + "\n  ".join(lines) + more
        )
    return len(output_files(out_dir)) - len(unread)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.run.blinding", description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path, help="the open run's folder")
    parser.add_argument("--study", type=Path, default=config.DEFAULT_STUDY, help="its study definition")
    args = parser.parse_args(argv)
    try:
        n = check_open_run(args.out_dir, load_study(args.study))
    except BlindingError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    print(f"{args.out_dir}: {n} files read, none names an arm or a comparison")
    return 0


if __name__ == "__main__":
    sys.exit(main())
