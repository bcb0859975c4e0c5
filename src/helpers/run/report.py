"""Render the executed report notebook to one self-contained HTML file, a PDF and a Word file
(and, through :mod:`helpers.run.submission`, write the run's ARD and RTF tables).

The report source, ``notebooks/90_report.ipynb``, is written for Quarto: YAML front matter in its
first (raw) cell, ``#| label: fig-...`` / ``#| fig-cap:`` / ``#| tbl-cap:`` cell options and
``@fig-...`` cross-references. Papermill executes it like every other notebook; this module only
renders the executed notebook:

* ``quarto`` on PATH: ``quarto render`` to HTML (``embed-resources: true``) and to Typst -> PDF.
  Quarto's Jupyter engine puts require.js and jquery from a CDN into the HTML of any notebook
  with an output in :data:`QUARTO_CDN_MIME_TYPES`, so the report notebook shows its tables as
  Markdown (:func:`helpers.present.tables.report_table`); :func:`render_with_quarto` refuses a
  notebook with such an output, and a rendered HTML that would load anything from the network.
* otherwise, from the same executed notebook: :func:`resolve_quarto` numbers figures and tables,
  resolves cross-references and cell options, then nbconvert writes the HTML through a template
  that loads nothing from the network, and pandoc (``pypandoc-binary``) writes Typst, which the
  ``typst`` package compiles to PDF.

Command line: ``python -m helpers.run.report render OUT_DIR [--renderer auto|quarto|nbconvert]``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from helpers import config
from helpers.files import atomic_write_bytes, sigterm_as_interrupt
from helpers.present import tables

_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*)$")
_XREF = re.compile(r"(?<![\w@/])@((?:fig|tbl|sec)-[A-Za-z0-9_-]*[A-Za-z0-9_])")
_HEADING_ID = re.compile(r"^(#{1,6}\s+.*?)\s*\{#(sec-[A-Za-z0-9_-]+)\}\s*$", re.MULTILINE)
_KIND_NAME = {"fig": "Figure", "tbl": "Table", "sec": "Section"}
#: The PDF's fonts, in order: Typst's own Libertinus Serif, then for every character it lacks
#: (Chinese, Japanese, Korean) Noto Sans CJK from the pinned wheel ``cvttf-NotoSansCJK-Regular``
#: (:func:`pdf_font_paths`). Fonts installed on the machine are never used: the same PDF everywhere.
TYPST_FONTS = '#set text(font: ("Libertinus Serif", "Noto Sans CJK TC"))\n'
#: Typst layout rules of the PDF, with both renderers: a table's caption above it and kept on
#: the page where the table starts (a sticky block; the table itself may break across pages,
#: its header repeated), table cells in a smaller font wrapped at spaces, never hyphenated,
#: and figures placed as floats at the top or bottom of a page, so that a large figure does
#: not leave the rest of a page (the first one too) empty while the text goes on around it.
TYPST_LAYOUT = """#show figure.where(kind: table): set block(breakable: true)
#show figure.where(kind: table): set figure.caption(position: top)
#show figure.caption.where(kind: table): it => block(sticky: true, it)
#show figure.where(kind: image): set figure(placement: auto)
#show table: set text(size: 8pt, hyphenate: false)
#show table: set par(justify: false)
"""
#: Typst set-up for the PDF: the fonts, then the layout.
TYPST_PREAMBLE = TYPST_FONTS + TYPST_LAYOUT


class RenderError(RuntimeError):
    """The report could not be rendered."""


# -- reading Quarto constructs ---------------------------------------------------------------------
def front_matter(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """The YAML front matter of the notebook's first raw cell (``---`` ... ``---``), or ``{}``."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            body = cell.source.strip().strip("-").strip()
            return yaml.safe_load(body) or {}
        if cell.cell_type != "raw":
            break
    return {}


def with_front_matter(nb: nbformat.NotebookNode, values: dict[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose front matter also holds ``values`` (e.g. the study's title, which
    the report notebook records in its results: a notebook cannot compute its own front matter)."""
    nb = copy.deepcopy(nb)
    meta = {**front_matter(nb), **{k: v for k, v in values.items() if v}}
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000) + "---"
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "raw" and first.source.lstrip().startswith("---"):
        first.source = text
    else:
        nb.cells.insert(0, nbformat.v4.new_raw_cell(text))
        nb.cells[0].id = "front-matter"
    return nb


def report_values(out_dir: Path) -> dict[str, Any]:
    """The values the report notebook recorded in its ``results.json`` (``{}`` without one)."""
    path = out_dir / config.REPORT_NOTEBOOK / config.RESULTS_FILE
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("values", {}))


def report_title(out_dir: Path) -> dict[str, Any]:
    """Title and subtitle the report notebook recorded (from the study definition)."""
    values = report_values(out_dir)
    return {k: values[k] for k in ("title", "subtitle") if values.get(k)}


_CAPTION_VALUE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_CAPTION_OPTIONS = ("fig-cap", "tbl-cap", "fig-alt")


def _fill_caption(line: str, values: dict[str, Any]) -> str:
    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in values:
            raise RenderError(
                f"caption {line.strip()!r} quotes {{{{{name}}}}}, which the report notebook did not "
                f"record (run.out.value); it recorded: {', '.join(sorted(values)) or 'nothing'}"
            )
        return str(values[name])

    return _CAPTION_VALUE.sub(value, line)


def with_caption_values(nb: nbformat.NotebookNode, values: dict[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose captions (``#| fig-cap:``, ``tbl-cap``, ``fig-alt``) have each
    ``{{name}}`` replaced by the value ``name`` the report notebook recorded (a cell option
    cannot be computed, as the front matter cannot: ``{{min_at_risk}}`` states a parameter of the
    run in a caption). A name the report did not record is a :class:`RenderError`."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code" or "{{" not in cell.source:
            continue
        lines = cell.source.splitlines(keepends=True)
        for i, line in enumerate(lines):
            m = _OPTION.match(line.rstrip("\n"))
            if not m:
                break
            if m.group(1) in _CAPTION_OPTIONS:
                lines[i] = _fill_caption(line, values)
        cell.source = "".join(lines)
    return nb


def cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split Quarto ``#|`` option lines from the top of a code cell: ``(options, rest of source)``."""
    options: dict[str, Any] = {}
    lines = source.splitlines()
    i = 0
    while i < len(lines) and (m := _OPTION.match(lines[i])):
        options[m.group(1)] = yaml.safe_load(m.group(2)) if m.group(2).strip() else None
        i += 1
    return options, "\n".join(lines[i:])


@dataclass
class CrossRefs:
    """Numbers and titles of every labelled figure, table and section, in document order."""

    numbers: dict[str, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, title: str = "") -> int:
        kind = label.split("-", 1)[0]
        if label in self.numbers:
            raise RenderError(f"label {label!r} is used twice in the report")
        n = 1 + sum(1 for k in self.numbers if k.startswith(kind + "-"))
        self.numbers[label] = n
        self.titles[label] = title
        return n

    def name(self, label: str) -> str:
        kind = label.split("-", 1)[0]
        if label not in self.numbers:
            raise RenderError(f"cross-reference @{label} points to no {_KIND_NAME[kind].lower()} in the report")
        if kind == "sec":
            return self.titles[label]
        return f"{_KIND_NAME[kind]} {self.numbers[label]}"

    def resolve(self, text: str) -> str:
        """Replace ``@fig-x`` with a Markdown link ``[Figure 1](#fig-x)``."""
        return _XREF.sub(lambda m: f"[{self.name(m.group(1))}](#{m.group(1)})", text)


def collect_cross_refs(nb: nbformat.NotebookNode) -> CrossRefs:
    refs = CrossRefs()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in _HEADING_ID.finditer(cell.source):
                refs.add(m.group(2), m.group(1).lstrip("#").strip())
        elif cell.cell_type == "code":
            options = cell_options(cell.source)[0]
            label = options.get("label")
            shown = options.get("include") is not False and options.get("output") is not False
            if label and str(label).startswith(("fig-", "tbl-")) and shown:
                refs.add(str(label))
    return refs


# -- resolving them for renderers without Quarto ---------------------------------------------------
@dataclass
class Block:
    """One piece of the resolved report: Markdown text, a figure or a table."""

    kind: str  # "markdown" | "figure" | "table"
    markdown: str = ""
    html: str = ""
    label: str = ""
    number: int = 0  # the figure or table number that cross-references use
    caption: str = ""
    png: bytes = b""
    alt: str = ""


def _output_blocks(cell: nbformat.NotebookNode, options: dict[str, Any], refs: CrossRefs) -> list[Block]:
    label = str(options.get("label") or "")
    number = refs.numbers.get(label, 0)
    blocks: list[Block] = []
    for out in cell.get("outputs", []):
        if out.output_type not in ("display_data", "execute_result"):
            continue  # streams (warnings, progress) are not part of the report
        data = out.get("data", {})
        if label.startswith("fig-") and "image/png" in data:
            cap = refs.resolve(str(options.get("fig-cap", "")))
            blocks.append(
                Block(
                    "figure",
                    label=label,
                    number=number,
                    caption=cap,
                    alt=str(options.get("fig-alt", cap)),
                    png=base64.b64decode(data["image/png"]),
                )
            )
        elif label.startswith("tbl-") and ("text/html" in data or "text/markdown" in data):
            cap = refs.resolve(str(options.get("tbl-cap", "")))
            markdown = data.get("text/markdown", "")
            table_html, table_md = tables.split_report_table(markdown) or (data.get("text/html", ""), markdown)
            blocks.append(Block("table", label=label, number=number, caption=cap, html=table_html, markdown=table_md))
        elif "text/markdown" in data:
            blocks.append(Block("markdown", markdown=refs.resolve(data["text/markdown"])))
        elif "image/png" in data:
            blocks.append(Block("figure", png=base64.b64decode(data["image/png"])))
        elif "text/html" in data:
            blocks.append(Block("markdown", html=data["text/html"]))
    found = sum(b.label == label for b in blocks)
    if label and found != 1:
        raise RenderError(f"cell {label!r} has {found} figure or table outputs; a labelled cell shows exactly one")
    return blocks


def resolve_quarto(nb: nbformat.NotebookNode) -> tuple[dict[str, Any], list[Block]]:
    """Turn an executed Quarto notebook into front matter plus a flat list of rendered blocks.

    Cell options honoured: ``label``, ``fig-cap``, ``fig-alt``, ``tbl-cap``, ``include``, ``output``.
    Code is never shown (the report is for readers of results, as ``echo: false`` in Quarto).
    """
    meta = front_matter(nb)
    refs = collect_cross_refs(nb)
    blocks: list[Block] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = _HEADING_ID.sub(lambda m: f'{m.group(1)} <a id="{m.group(2)}"></a>', cell.source)
            blocks.append(Block("markdown", markdown=refs.resolve(text)))
        elif cell.cell_type == "code":
            options, _ = cell_options(cell.source)
            if options.get("include") is False or options.get("output") is False:
                continue
            blocks.extend(_output_blocks(cell, options, refs))
    return meta, blocks


# -- nbconvert HTML --------------------------------------------------------------------------------
def _html_notebook(meta: dict[str, Any], blocks: list[Block]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["title"] = meta.get("title", "Report")
    head = [f"# {meta.get('title', 'Report')}"]
    if meta.get("subtitle"):
        head.append(f"*{meta['subtitle']}*")
    byline = " · ".join(str(meta[k]) for k in ("author", "date") if meta.get(k))
    if byline:
        head.append(byline)
    html_options = (meta.get("format") or {}).get("html") or {}
    if isinstance(html_options, dict) and html_options.get("toc"):  # Quarto's `toc: true`
        sections = [m.group(1).strip() for b in blocks for m in re.finditer(r"^## (.+)$", b.markdown, re.M)]
        # nbconvert gives each heading the id of its text with spaces as dashes
        head.append("\n".join(f"- [{_strip_anchor(t)}](#{_strip_anchor(t).replace(' ', '-')})" for t in sections))
    cells = [nbformat.v4.new_markdown_cell("\n\n".join(head))]
    for b in blocks:
        if b.kind == "figure":
            img = base64.b64encode(b.png).decode("ascii")
            cap = ""
            if b.label:
                cap = f"<figcaption>Figure {b.number}: {_md_inline(b.caption)}</figcaption>"
            body = (
                f'<figure id="{b.label}"><img src="data:image/png;base64,{img}" '
                f'alt="{html.escape(b.alt, quote=True)}"/>{cap}</figure>'
            )
            cells.append(_html_cell(body))
        elif b.kind == "table":
            cap = f"Table {b.number}: {_md_inline(b.caption)}"
            table = b.html or _markdown_table_to_html(b.markdown)
            cells.append(
                _html_cell(f'<div class="report-table" id="{b.label}"><p class="table-caption">{cap}</p>{table}</div>')
            )
        elif b.html:
            cells.append(_html_cell(b.html))
        else:
            cells.append(nbformat.v4.new_markdown_cell(b.markdown))
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:03d}"  # nbformat draws random ids; the HTML shows them
    nb.cells = cells
    return nb


def _strip_anchor(heading: str) -> str:
    return re.sub(r'\s*<a id="[^"]+"></a>', "", heading)


def _html_cell(body: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": body})]
    return cell


def _md_inline(text: str) -> str:
    """Minimal inline Markdown for captions: links, bold, italics; everything else escaped."""
    out = html.escape(text, quote=False)
    out = re.sub(r"\[([^\]]+)\]\((#[^)]+)\)", r'<a href="\2">\1</a>', out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", out)


def _markdown_table_to_html(md: str) -> str:
    rows = [r.strip().strip("|").split("|") for r in md.strip().splitlines() if r.strip()]
    rows = [r for r in rows if not all(set(c.strip()) <= set(":-") for c in r)]
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(c.strip())}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(nb: nbformat.NotebookNode) -> str:
    """Self-contained HTML through nbconvert and the project's offline template."""
    from nbconvert import HTMLExporter

    meta, blocks = resolve_quarto(nb)
    exporter = HTMLExporter(
        template_name="report_html",
        extra_template_basedirs=[str(config.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(_html_notebook(meta, blocks))
    return body


# -- pandoc + Typst PDF ----------------------------------------------------------------------------
def report_markdown(nb: nbformat.NotebookNode, media_dir: Path, *, numbered: bool = False) -> str:
    """Pandoc Markdown of the resolved report; figures are written as PNG files into ``media_dir``.
    ``numbered``: captions start with ``Table 3:`` / ``Figure 2:`` (for Word, which does not
    number them as Typst does)."""
    meta, blocks = resolve_quarto(nb)

    def caption(b: Block) -> str:
        return f"{_KIND_NAME[b.label.split('-')[0]]} {b.number}: {b.caption}" if numbered and b.label else b.caption

    header: dict[str, Any] = {k: meta[k] for k in ("title", "subtitle", "author", "date") if meta.get(k)}
    parts = ["---\n" + yaml.safe_dump(header, sort_keys=True, allow_unicode=True) + "---"]
    for i, b in enumerate(blocks):
        if b.kind == "figure":
            path = media_dir / f"{b.label or f'figure-{i}'}.png"
            path.write_bytes(b.png)
            ident = f"{{#{b.label}}}" if b.label else ""
            parts.append(f"![{caption(b)}]({path.name}){ident}")
        elif b.kind == "table":
            if not b.markdown:
                raise RenderError(
                    f"table {b.label} has no text/markdown output for the PDF; "
                    "display tables in the report with helpers.present.tables.report_table"
                )
            parts.append(f"{b.markdown.strip()}\n\n: {caption(b)} {{#{b.label}}}")
        elif b.markdown:
            parts.append(re.sub(r'\s*<a id="(sec-[^"]+)"></a>', r" {#\1}", b.markdown))
    return "\n\n".join(parts) + "\n"


def render_pdf(nb: nbformat.NotebookNode, pdf_path: Path) -> Path:
    """PDF through pandoc (Markdown -> Typst) and the Typst compiler, both from PyPI wheels."""
    import pypandoc
    import typst

    with tempfile.TemporaryDirectory(prefix="report-pdf-") as tmp:
        tmpdir = Path(tmp)
        md = report_markdown(nb, tmpdir)
        typ = tmpdir / "report.typ"
        preamble = tmpdir / "preamble.typ"
        preamble.write_text(TYPST_PREAMBLE)
        pypandoc.convert_text(
            md,
            "typst",
            format="markdown",
            outputfile=str(typ),
            extra_args=["--standalone", f"--resource-path={tmpdir}", f"--include-in-header={preamble}"],
        )
        out = tmpdir / "report.pdf"
        # the PDF's CreationDate, ModDate, XMP dates and document id follow the timestamp
        typst.compile(
            str(typ),
            output=str(out),
            root=str(tmpdir),
            timestamp=source_date_epoch(),
            font_paths=pdf_font_paths(),
            ignore_system_fonts=True,
        )
        atomic_write_bytes(pdf_path, out.read_bytes())
    return pdf_path


def render_docx(nb: nbformat.NotebookNode, docx_path: Path) -> Path:
    """Word through pandoc (``pypandoc-binary``) from the same Markdown as the PDF: headings,
    prose, figures, and every table as a real Word table with its caption. Pandoc dates the
    document by ``SOURCE_DATE_EPOCH`` when it is set (then the file rebuilds byte for byte)."""
    import pypandoc

    with tempfile.TemporaryDirectory(prefix="report-docx-") as tmp:
        tmpdir = Path(tmp)
        md = report_markdown(nb, tmpdir, numbered=True)
        out = tmpdir / "report.docx"
        pypandoc.convert_text(
            md,
            "docx",
            format="markdown-smart",  # table cells and quotes exactly as the tables hold them
            outputfile=str(out),
            extra_args=["--standalone", f"--resource-path={tmpdir}"],
        )
        atomic_write_bytes(docx_path, out.read_bytes())
    return docx_path


def pdf_font_paths() -> list[str]:
    """Folders of the fonts :data:`TYPST_FONTS` names beyond Typst's own: the CJK font's."""
    import cvttf_NotoSansCJK_Regular as cjk

    return [str(Path(cjk.__file__).parent)]


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` (seconds since 1970, as reproducible builds set it), or None."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise RenderError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds")
    return int(value)


# -- Quarto ---------------------------------------------------------------------------------------
#: Output MIME types for which Quarto's Jupyter engine (quarto-cli 1.7, ``src/core/jupyter/
#: widgets.ts``) adds ``<script src="https://cdnjs.cloudflare.com/...">`` for require.js and
#: jquery (and, for widget views, the widget manager from unpkg) to the HTML: it does so when any
#: ``display_data`` or ``execute_result`` output of any code cell carries one of them, whichever
#: representation the page then shows, and with ``embed-resources`` it must download them.
QUARTO_CDN_MIME_TYPES = ("text/html", "application/javascript", "application/vnd.jupyter.widget-view+json")
#: An element that makes a browser fetch something from elsewhere when the page opens.
_EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe|source|embed|object|audio|video|track|input)\b[^>]*?"
    r"\b(?:src|href|data|srcset|poster)\s*=\s*[\"']?\s*((?:https?:)?//[^\"'\s>]+)"
    r"|@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"')\s;]+)"
    r"|url\(\s*[\"']?((?:https?:)?//[^\"')\s]+)",
    re.IGNORECASE,
)


def quarto_cdn_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Each output that would make Quarto load scripts from a CDN, as ``"cell 12 (label): text/html"``."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = cell_options(cell.source)[0].get("label")
        for out in cell.get("outputs", []):
            if out.get("output_type") in ("display_data", "execute_result"):
                for mime in QUARTO_CDN_MIME_TYPES:
                    if mime in out.get("data", {}):
                        found.append(f"cell {i}{f' ({label})' if label else ''}: {mime}")
    return found


def external_resources(page: str) -> list[str]:
    """Addresses a browser would fetch when it opens ``page``: scripts, stylesheets, images,
    frames, fonts from elsewhere (links a reader may click are not fetched and not listed)."""
    return sorted({next(g for g in m.groups() if g) for m in _EXTERNAL.finditer(page)})


def with_quarto_typst_fonts(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose Typst format uses the PDF's fonts (:data:`TYPST_FONTS`) and layout
    (:data:`TYPST_LAYOUT`): the fonts' folders as ``font-paths``, the font list and the layout
    rules set at the start of the body (after Quarto's template has set its own)."""
    meta = front_matter(nb)
    formats = dict(meta.get("format") or {})
    typst = formats.get("typst")
    typst = dict(typst) if isinstance(typst, dict) else {}
    paths = typst.get("font-paths") or []
    typst["font-paths"] = [*([paths] if isinstance(paths, str) else paths), *pdf_font_paths()]
    before = typst.get("include-before-body") or []
    typst["include-before-body"] = [
        {"text": TYPST_FONTS + TYPST_LAYOUT},
        *([before] if isinstance(before, str | dict) else before),
    ]
    formats["typst"] = typst
    return with_front_matter(nb, {"format": formats})


def render_with_quarto(nb: nbformat.NotebookNode, dest: Path, quarto: str = "quarto") -> None:
    """``quarto render`` the executed notebook (no re-execution) to ``dest/report.html``,
    ``dest/report.pdf`` (Typst) and ``dest/report.docx`` (Quarto's docx format). A notebook with outputs that make Quarto's HTML load scripts
    from a CDN, or an HTML that loads anything from the network, is a :class:`RenderError`."""
    offending = quarto_cdn_outputs(nb)
    if offending:
        raise RenderError(
            "Quarto would load require.js and jquery from the network into the report's HTML because of "
            f"these outputs: {'; '.join(offending)}. Show tables with helpers.present.tables.report_table "
            "(Markdown), figures as images."
        )
    with tempfile.TemporaryDirectory(prefix="report-quarto-") as tmp:
        src = Path(tmp) / "report.ipynb"
        nbformat.write(with_quarto_typst_fonts(nb), src)
        for fmt, ext in (("html", "html"), ("typst", "pdf"), ("docx", "docx")):
            cmd = [quarto, "render", str(src), "--to", fmt, "--no-execute"]
            done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
            if done.returncode != 0:
                raise RenderError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
            if fmt == "html":
                remote = external_resources((Path(tmp) / "report.html").read_text(encoding="utf-8"))
                if remote:
                    raise RenderError(f"Quarto's HTML would load from the network: {', '.join(remote)}")
            shutil.copyfile(Path(tmp) / f"report.{ext}", dest / f"report.{ext}")


#: What :func:`render` writes into the run folder besides the report itself.
DELIVERABLES = ("ard.parquet", "ard.json", "rtf")


def render(out_dir: str | Path, renderer: str = "auto") -> dict[str, Path]:
    """Render ``OUT_DIR/90_report.ipynb`` to ``OUT_DIR/report.html``, ``report.pdf`` and
    ``report.docx``, and write the run's Analysis Results Dataset (``ard.parquet``,
    ``ard.json``) and every table as RTF (``rtf/``) (:mod:`helpers.run.submission`).

    Everything is written into a temporary folder and moved into place only when all of it
    succeeded; any earlier report is removed first, so a failure never leaves one that looks
    current. Every failure is raised as :class:`RenderError`.
    """
    from helpers.run import submission

    out_dir = Path(out_dir)
    nb_path = out_dir / f"{config.REPORT_NOTEBOOK}.ipynb"
    quarto = shutil.which("quarto")
    if renderer == "auto":
        renderer = "quarto" if quarto else "nbconvert"
    if renderer not in ("quarto", "nbconvert"):
        raise ValueError(f"{renderer=}; expected 'auto', 'quarto' or 'nbconvert'")
    targets = {fmt: out_dir / f"report.{fmt}" for fmt in ("html", "pdf", "docx")}
    for stale in targets.values():
        stale.unlink(missing_ok=True)
    for name in DELIVERABLES:
        stale = out_dir / name
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)
    if not nb_path.exists():
        raise RenderError(f"{nb_path} does not exist: the report notebook has not been executed")
    for leftover in out_dir.glob(".render-*"):  # from a run killed with SIGKILL
        shutil.rmtree(leftover, ignore_errors=True)
    # removed on every exit path, SIGTERM and SIGINT included (see main)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-") as tmp:
        staging = Path(tmp)
        try:
            nb = with_front_matter(nbformat.read(nb_path, as_version=4), report_title(out_dir))
            nb = with_caption_values(nb, report_values(out_dir))
            if renderer == "quarto":
                if not quarto:
                    raise RenderError("renderer 'quarto' was asked for but quarto is not on PATH")
                render_with_quarto(nb, staging, quarto)
            else:
                (staging / "report.html").write_text(render_html(copy.deepcopy(nb)), encoding="utf-8")
                render_pdf(copy.deepcopy(nb), staging / "report.pdf")
                render_docx(nb, staging / "report.docx")
            submission.write_ard(out_dir, staging)
            submission.write_rtf_tables(out_dir, nb, staging)
        except RenderError:
            raise
        except Exception as error:  # nbformat, nbconvert, pandoc, typst and rtflite raise their own types
            raise RenderError(f"{renderer} failed on {nb_path}: {type(error).__name__}: {error}") from error
        for name in DELIVERABLES:
            (staging / name).replace(out_dir / name)
        for fmt, target in targets.items():
            atomic_write_bytes(target, (staging / f"report.{fmt}").read_bytes())
    state = out_dir / config.MAKE_STATE_DIR
    state.mkdir(exist_ok=True)
    (state / "renderer").write_text(renderer + "\n")
    return {**targets, **{name: out_dir / name for name in DELIVERABLES}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.run.report")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render OUT_DIR/90_report.ipynb to report.html, .pdf and .docx, ARD and RTF")
    r.add_argument("out_dir")
    r.add_argument("--renderer", default="auto", choices=("auto", "quarto", "nbconvert"))
    args = parser.parse_args(argv)
    try:
        with sigterm_as_interrupt():
            paths = render(args.out_dir, args.renderer)
    except (RenderError, ValueError) as error:
        print(f"\nERROR: report rendering failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as stop:
        print(f"\nERROR: report rendering stopped ({stop or 'interrupted'}); no report left", file=sys.stderr)
        return 130
    for fmt, path in paths.items():
        print(f"report ({fmt}): {path}" if fmt in ("html", "pdf", "docx") else f"{fmt}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
