"""The renderer without Quarto: cross-references, captions, offline HTML, PDF through pandoc + Typst."""

import base64
import io
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pdfpages
import pytest

from helpers.present.tables import report_table, show_table
from helpers.run import report

FRONT = """---
title: "Demo report"
subtitle: "Sub"
format:
  html:
    embed-resources: true
    toc: true
execute:
  echo: false
---"""


def _png() -> str:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def executed_notebook(extra_markdown: str = "") -> nbformat.NotebookNode:
    """What papermill leaves after running a small Quarto-style report notebook."""
    nb = nbformat.v4.new_notebook()
    fig_cell = nbformat.v4.new_code_cell(
        '#| label: fig-demo\n#| fig-cap: "A demo curve."\n#| fig-alt: "A line."\nshow()'
    )
    fig_cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]
    tbl_cell = nbformat.v4.new_code_cell('#| label: tbl-demo\n#| tbl-cap: "A demo table."\nshow_table()')
    bundle = report_table(pd.DataFrame({"Arm": ["A"], "n": ["3 (50.0%)"]}), "tbl-demo")._repr_mimebundle_()
    tbl_cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    prose = nbformat.v4.new_code_cell("Markdown(text)")
    prose.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "Computed: see @tbl-demo."})]
    hidden = nbformat.v4.new_code_cell("#| include: false\nx = 1")
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="should not show\n")]
    nb.cells = [
        nbformat.v4.new_raw_cell(FRONT),
        hidden,
        nbformat.v4.new_markdown_cell("## Results\n\nAs @fig-demo shows, and @tbl-demo lists." + extra_markdown),
        fig_cell,
        tbl_cell,
        prose,
    ]
    return nb


def analysis_ard(out: Path) -> None:
    """What the analysis notebooks leave for the render step: their part of the run's ARD."""
    from helpers.present import ard
    from helpers.run.outputs import NotebookOutputs
    from helpers.study import load_study

    follow_up = pd.DataFrame({"group": ["Overall"], "median": [365.25]})
    NotebookOutputs(out, "01_cohort", {}).ard(ard.ard_follow_up(follow_up, "ITT", load_study().time))


def test_front_matter_is_read_from_the_first_raw_cell():
    meta = report.front_matter(executed_notebook())
    assert meta["title"] == "Demo report"
    assert meta["format"]["html"]["embed-resources"] is True


def test_cell_options_are_split_from_the_source():
    options, rest = report.cell_options('#| label: fig-x\n#| fig-cap: "Cap: with colon"\nplot()')
    assert options == {"label": "fig-x", "fig-cap": "Cap: with colon"}
    assert rest == "plot()"


def test_cross_references_become_numbered_links():
    meta, blocks = report.resolve_quarto(executed_notebook())
    md = blocks[0].markdown
    assert "[Figure 1](#fig-demo)" in md and "[Table 1](#tbl-demo)" in md
    assert blocks[-1].markdown == "Computed: see [Table 1](#tbl-demo)."
    assert [b.kind for b in blocks] == ["markdown", "figure", "table", "markdown"]


def test_unknown_cross_reference_is_an_error_naming_it():
    with pytest.raises(report.RenderError, match="@fig-missing"):
        report.resolve_quarto(executed_notebook(" See @fig-missing."))


def test_email_addresses_are_not_cross_references():
    _, blocks = report.resolve_quarto(executed_notebook(" Contact stats@fig-unit.org."))
    assert "stats@fig-unit.org" in blocks[0].markdown


def test_html_is_self_contained_and_captioned():
    html = report.render_html(executed_notebook())
    assert "Figure 1: A demo curve." in html
    assert "Table 1: A demo table." in html
    assert '<a href="#Results">Results</a>' in html  # table of contents, as Quarto's toc: true
    assert 'id="fig-demo"' in html and 'id="tbl-demo"' in html
    assert "should not show" not in html and "show_table()" not in html
    # nothing is fetched when the file is opened: no external script, stylesheet, font or image
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r'<link[^>]+href=["\']?https?:', html)
    assert not re.search(r'(src|href)=["\']https?://', html)
    assert "@import" not in html
    assert "mathjax" not in html.lower() and "require.js" not in html and "mermaid" not in html.lower()


def test_html_keeps_the_great_tables_styling_of_a_markdown_table():
    html = report.render_html(executed_notebook())
    assert 'class="gt_table' in html and "#gt-tbl-demo .gt_table" in html
    assert html.count('id="tbl-demo"') == 1 and html.count('id="gt-tbl-demo"') == 1
    assert "```" not in html and "content-visible" not in html


def test_html_still_reads_a_table_shown_as_html(tmp_path):
    """Notebooks executed before tables became Markdown: text/html beside the pipe table."""
    nb = executed_notebook()
    bundle = show_table(pd.DataFrame({"Arm": ["A"], "n": ["3 (50.0%)"]}), "tbl-demo")._repr_mimebundle_()
    nb.cells[4].outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    html = report.render_html(nb)
    assert 'class="gt_table' in html and "Table 1: A demo table." in html
    assert ": A demo table. {#tbl-demo}" in report.report_markdown(nb, tmp_path)


def test_pdf_renders_through_pandoc_and_typst(tmp_path):
    pdf = report.render_pdf(executed_notebook(), tmp_path / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert list(tmp_path.iterdir()) == [pdf]


def _font_unicode(pdf: bytes) -> dict[str, set[str]]:
    """Each embedded font's name (subset prefix removed) and the characters its ToUnicode map
    gives, read from the PDF's bytes: ``{"NotoSansCJKtc-Regular": {"中", ...}}``."""

    def obj(n: bytes) -> bytes:
        return re.search(rb"(?<!\d)" + n + rb" 0 obj\s*(.*?)endobj", pdf, re.S).group(1)

    found = {}
    for name, ref in re.findall(
        rb"/Subtype/Type0/BaseFont/[A-Z]{6}\+([^/\s]+?)-Identity-H.*?/ToUnicode (\d+) 0 R", pdf
    ):
        body = obj(ref)
        data = body[body.index(b"stream") + 6 :].lstrip(b"\r\n")
        cmap = zlib.decompress(data[: data.rindex(b"endstream")].rstrip()) if b"/FlateDecode" in body else data
        chars = {chr(int(h, 16)) for h in re.findall(rb"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]{4})>", cmap)}
        found[name.decode()] = chars
    return found


def test_chinese_text_renders_in_the_pdf_with_the_pinned_cjk_font(tmp_path, monkeypatch):
    """Site names and a Chinese centre's data: the glyphs come from Noto Sans CJK (the pinned
    wheel), never from a font of the machine; Latin text stays in Libertinus Serif."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    text = "北京协和医院 中心 03"
    nb = executed_notebook(f"\n\nSite: {text}.")
    nb.cells[4].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data=report_table(pd.DataFrame({"Site": ["上海瑞金医院"], "n": ["3"]}), "tbl-demo")._repr_mimebundle_(),
        )
    ]
    pdf = report.render_pdf(nb, tmp_path / "report.pdf").read_bytes()
    fonts = _font_unicode(pdf)
    cjk = fonts.get("NotoSansCJKtc-Regular", set())
    assert set("北京协和医院中心上海瑞金") <= cjk, fonts.keys()
    assert "S" in fonts["LibertinusSerif-Regular"] and "S" not in cjk
    assert len(pdf) < 200_000  # the CJK font is embedded as a subset of the glyphs used
    again = report.render_pdf(nb, tmp_path / "again.pdf").read_bytes()
    assert again == pdf  # byte-reproducible with the CJK font too


def test_pdf_uses_no_font_of_the_machine(tmp_path, monkeypatch):
    import typst

    calls = []
    original = typst.compile

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(typst, "compile", spy)
    report.render_pdf(executed_notebook(), tmp_path / "report.pdf")
    assert calls[0]["ignore_system_fonts"] is True
    assert any(Path(p, "NotoSansCJKtc-Regular.otf").is_file() for p in calls[0]["font_paths"])
    assert report.TYPST_FONTS in report.TYPST_PREAMBLE


def test_quarto_typst_gets_the_same_fonts():
    nb = executed_notebook()
    typst = report.front_matter(report.with_quarto_typst_fonts(nb))["format"]["typst"]
    assert typst["font-paths"] == report.pdf_font_paths()
    assert typst["include-before-body"] == [{"text": report.TYPST_FONTS + report.TYPST_LAYOUT}]
    assert report.front_matter(nb)["format"]["html"]["embed-resources"] is True  # the rest kept


def test_markdown_for_the_pdf_carries_labels_and_captions(tmp_path):
    md = report.report_markdown(executed_notebook(), tmp_path)
    assert "![A demo curve.](fig-demo.png){#fig-demo}" in md
    assert "| Arm | n |\n|:-----|---------|\n| A | 3 (50.0%) |\n\n: A demo table. {#tbl-demo}" in md
    assert "gt_table" not in md and ":::" not in md  # the pipe table alone, not the HTML
    assert (tmp_path / "fig-demo.png").exists()


def test_render_removes_a_stale_report_when_rendering_fails(tmp_path):
    (tmp_path / "90_report.ipynb").write_text("not a notebook")
    (tmp_path / "report.html").write_text("old")
    with pytest.raises(report.RenderError, match="NotJSONError|not a notebook|Notebook does not appear"):
        report.render(tmp_path, renderer="nbconvert")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["90_report.ipynb"]


def test_failed_pdf_leaves_no_html_either(tmp_path, monkeypatch):
    nbformat.write(executed_notebook(), tmp_path / "90_report.ipynb")

    def broken(nb, path):
        raise OSError("typst crashed")

    monkeypatch.setattr(report, "render_pdf", broken)
    with pytest.raises(report.RenderError, match="typst crashed"):
        report.render(tmp_path, renderer="nbconvert")
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "report.pdf").exists()


def test_quarto_renderer_is_called_without_execution(tmp_path, monkeypatch):
    """With quarto on PATH, render() hands the executed notebook to `quarto render --no-execute`."""
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    log = tmp_path / "calls.txt"
    fake.write_text(f"""#!/usr/bin/env bash
echo "$@" >> {log}
src="$2"; fmt="$4"
case "$fmt" in
  html) echo '<html>quarto</html>' > "${{src%.ipynb}}.html";;
  typst) printf '%%PDF-1.7' > "${{src%.ipynb}}.pdf";;
  docx) printf 'PK' > "${{src%.ipynb}}.docx";;
esac
""")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    out = tmp_path / "run"
    out.mkdir()
    nbformat.write(executed_notebook(), out / "90_report.ipynb")
    analysis_ard(out)
    report.render(out, renderer="auto")
    calls = log.read_text().splitlines()
    assert [c.split()[2:4] for c in calls] == [["--to", "html"], ["--to", "typst"], ["--to", "docx"]]
    assert all(c.split()[4:] == ["--no-execute"] for c in calls)
    assert (out / "report.html").read_text() == "<html>quarto</html>\n"
    assert (out / "report.docx").read_bytes() == b"PK"
    assert (out / "ard.parquet").exists() and (out / "rtf" / "tbl-demo.rtf").exists()
    assert (out / ".make" / "renderer").read_text() == "quarto\n"


def test_html_is_the_same_bytes_every_time():
    """nbformat gives new cells random ids, which the HTML carries."""
    assert report.render_html(executed_notebook()) == report.render_html(executed_notebook())


def test_pdf_with_source_date_epoch_is_the_same_bytes_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    a = report.render_pdf(executed_notebook(), tmp_path / "a.pdf").read_bytes()
    time.sleep(1.1)
    b = report.render_pdf(executed_notebook(), tmp_path / "b.pdf").read_bytes()
    assert a == b
    assert b"/CreationDate(D:20250101000000Z)" in a and b"/ModDate(D:20250101000000Z)" in a


def test_interrupted_render_leaves_no_staging_folder_and_no_report(tmp_path, monkeypatch):
    nbformat.write(executed_notebook(), tmp_path / "90_report.ipynb")
    (tmp_path / ".render-left-by-a-sigkill").mkdir()

    def interrupted(nb, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "render_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.render(tmp_path, renderer="nbconvert")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["90_report.ipynb"]


def test_sigterm_during_rendering_cleans_up(tmp_path):
    """A renderer still at work when the process gets SIGTERM: staging and temporary folders go."""
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    started = tmp_path / "started"
    fake.write_text(f"#!/usr/bin/env bash\necho '<html/>' > \"${{2%.ipynb}}.html\"\ntouch {started}\nsleep 60\n")
    fake.chmod(0o755)
    out, tmp = tmp_path / "run", tmp_path / "tmp"
    out.mkdir(), tmp.mkdir()
    nbformat.write(executed_notebook(), out / "90_report.ipynb")
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "helpers.run.report", "render", str(out), "--renderer", "quarto"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "SIGTERM" in err
    assert sorted(p.name for p in out.iterdir()) == ["90_report.ipynb"]
    assert list(tmp.iterdir()) == []


# -- Quarto: nothing from the network ----------------------------------------------------------------
def _fake_quarto(tmp_path, html: str) -> Path:
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    (tmp_path / "page.html").write_text(html)
    fake.write_text(f"""#!/usr/bin/env bash
src="$2"; fmt="$4"
if [ "$fmt" = html ]; then cp {tmp_path / "page.html"} "${{src%.ipynb}}.html"; else printf '%%PDF-1.7' > "${{src%.ipynb}}.pdf"; fi
""")
    fake.chmod(0o755)
    return fake


def test_report_tables_carry_no_output_that_makes_quarto_load_scripts():
    """quarto-cli 1.7 src/core/jupyter/widgets.ts: a text/html, application/javascript or widget
    output anywhere in the notebook puts require.js and jquery from cdnjs into the HTML."""
    bundle = report_table(pd.DataFrame({"Arm": ["A"], "n": ["1"]}), "tbl-a")._repr_mimebundle_()
    assert set(bundle) == {"text/markdown", "text/plain"}
    assert not set(bundle) & set(report.QUARTO_CDN_MIME_TYPES)
    assert report.quarto_cdn_outputs(executed_notebook()) == []


def test_cdn_outputs_are_found_in_any_code_cell_and_named():
    nb = executed_notebook()
    nb.cells[5].outputs.append(nbformat.v4.new_output("execute_result", data={"text/html": "<b>x</b>"}))
    nb.cells[1].outputs.append(nbformat.v4.new_output("display_data", data={"application/javascript": "1"}))
    assert report.quarto_cdn_outputs(nb) == ["cell 1: application/javascript", "cell 5: text/html"]
    nb.cells[4].outputs[0]["data"]["text/html"] = "<table></table>"
    assert "cell 4 (tbl-demo): text/html" in report.quarto_cdn_outputs(nb)


def test_quarto_is_not_run_on_a_notebook_with_html_outputs(tmp_path, monkeypatch):
    fake = _fake_quarto(tmp_path, "<html></html>")
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    out = tmp_path / "run"
    out.mkdir()
    nb = executed_notebook()
    nb.cells[4].outputs[0]["data"]["text/html"] = "<table></table>"
    nbformat.write(nb, out / "90_report.ipynb")
    with pytest.raises(report.RenderError, match=r"require\.js and jquery .* cell 4 \(tbl-demo\): text/html"):
        report.render(out, renderer="quarto")
    assert not (out / "report.html").exists()


@pytest.mark.parametrize(
    "tag",
    [
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js"></script>',
        "<link rel=stylesheet href='//fonts.googleapis.com/css2?family=Source+Sans+Pro'>",
        '<style>@import url("https://fonts.googleapis.com/css2");</style>',
        '<img src="http://example.org/a.png">',
    ],
)
def test_quarto_html_that_loads_from_the_network_is_refused(tmp_path, monkeypatch, tag):
    fake = _fake_quarto(tmp_path, f"<html><head>{tag}</head></html>")
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    out = tmp_path / "run"
    out.mkdir()
    nbformat.write(executed_notebook(), out / "90_report.ipynb")
    with pytest.raises(report.RenderError, match="would load from the network"):
        report.render(out, renderer="quarto")
    assert not (out / "report.html").exists()


def test_links_and_inline_data_are_not_network_requests():
    page = (
        '<a href="https://example.org">x</a><svg xmlns="http://www.w3.org/2000/svg"></svg>'
        '<img src="data:image/png;base64,AAAA"><script>/* https://popper.js.org */</script>'
        "<style>.a { background: url(data:image/svg+xml;base64,AA) }</style>"
    )
    assert report.external_resources(page) == []


# -- the PDF's layout, checked on rendered pages ---------------------------------------------------
def _long_report(paragraph_words: list[int]) -> nbformat.NotebookNode:
    """A report with a table after each paragraph of the given lengths: some caption lands
    near the foot of a page whatever the fonts."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_raw_cell(FRONT)]
    for i, words in enumerate(paragraph_words):
        nb.cells.append(nbformat.v4.new_markdown_cell(" ".join(["survival"] * words)))
        cell = nbformat.v4.new_code_cell(f'#| label: tbl-t{i}\n#| tbl-cap: "Caption of table {i}."\nshow()')
        df = pd.DataFrame({f"Marker{i} column": [f"row {j}" for j in range(12)], "n": ["1 (2.0%)"] * 12})
        cell.outputs = [nbformat.v4.new_output("display_data", data=report_table(df, f"tbl-t{i}")._repr_mimebundle_())]
        nb.cells.append(cell)
    return nb


@pytest.mark.skipif(pdfpages.PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_no_table_caption_is_left_at_the_foot_of_a_page(tmp_path, monkeypatch):
    nb = _long_report([40 + 37 * i for i in range(14)])
    pdf = report.render_pdf(nb, tmp_path / "report.pdf")
    tables = pdfpages.report_tables(nb)
    assert len(tables) == 14 and tables[0] == (1, "Marker0")
    assert pdfpages.captions_apart(pdf, tables) == []
    # the check itself: without the sticky caption some caption does end a page
    loose = report.TYPST_LAYOUT.replace("#show figure.caption.where(kind: table): it => block(sticky: true, it)\n", "")
    monkeypatch.setattr(report, "TYPST_PREAMBLE", report.TYPST_FONTS + loose)
    apart = pdfpages.captions_apart(report.render_pdf(nb, tmp_path / "loose.pdf"), tables)
    assert apart, "no caption fell at a page foot even without the rule: lengthen the paragraphs"


def test_caption_values_are_filled_in_from_the_report_values():
    nb = executed_notebook()
    nb.cells[3].source = nb.cells[3].source.replace('"A demo curve."', '"Stops below {{min_at_risk}} at risk."')
    filled = report.with_caption_values(nb, {"min_at_risk": 10})
    assert report.cell_options(filled.cells[3].source)[0]["fig-cap"] == "Stops below 10 at risk."
    assert "{{min_at_risk}}" in nb.cells[3].source  # the notebook given is not changed
    with pytest.raises(report.RenderError, match=r"\{\{min_at_risk\}\}, which the report notebook did not record"):
        report.with_caption_values(nb, {})
