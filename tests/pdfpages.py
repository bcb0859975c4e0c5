"""Checks of a rendered PDF page by page (``pdftotext`` of poppler-utils, per page): that no
table caption sits on one page while its table starts on the next."""

import re
import shutil
import subprocess
from pathlib import Path

import nbformat

from helpers.run import report

PDFTOTEXT = shutil.which("pdftotext")


def pages(pdf: Path) -> list[str]:
    """The text of each page (``pdftotext -layout``; pages end with a form feed)."""
    done = subprocess.run([PDFTOTEXT or "pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8").split("\f")


def report_tables(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """``(number, first header word)`` of each captioned table of an executed report notebook,
    in the order the renderer numbers them (the first word of its pipe table's first header)."""
    refs = report.collect_cross_refs(nb)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        label = str(report.cell_options(cell.source)[0].get("label") or "")
        if not label.startswith("tbl-") or label not in refs.numbers:
            continue
        for out in cell.get("outputs", []):
            md = out.get("data", {}).get("text/markdown", "")
            split = report.tables.split_report_table(md) if md else None
            pipe = split[1] if split else md
            if pipe.startswith("|"):
                header = pipe.split("|")[1].strip()
                found.append((refs.numbers[label], header.split()[0] if header else ""))
    return found


def captions_apart(pdf: Path, tables: list[tuple[int, str]]) -> list[str]:
    """Each table whose caption (``Table N:``) is not followed, on the same page, by the first
    word of the table's header: the caption was left at the foot of a page."""
    text = pages(pdf)
    problems = []
    for number, word in tables:
        where = [(i, m.end()) for i, page in enumerate(text) for m in re.finditer(rf"Table {number}:", page)]
        if not where:
            problems.append(f"Table {number}: caption not found")
            continue
        page, end = where[0]
        if word and word not in text[page][end:]:
            problems.append(f"Table {number}: caption on page {page + 1}, its table ({word!r}) starts on a later page")
    return problems
