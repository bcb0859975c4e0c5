"""The Analysis Results Dataset: one row per number in the cards layout, formatted once; tables
and sentences built from it; its Parquet and JSON files; the RTF and its reading back."""

import json

import pandas as pd
import pytest
from rtfutil import rtf_pages, rtf_rows

from helpers.present import ard, tables
from helpers.run import submission
from helpers.run.outputs import NotebookOutputs
from helpers.study import load_study

STUDY = load_study()
SORA, CTRL = STUDY.comparator_arms[0].label, STUDY.reference_arm.label

#: Cumulative incidence at two landmarks, one cause, two arms, written out (group, cause, time,
#: estimate, conf_low, conf_high).
LANDMARKS = pd.DataFrame(
    [
        (SORA, 1, 365.0, 0.12345, 0.0812, 0.1744),
        (SORA, 1, 730.0, 0.2, 0.15, 0.26),
        (CTRL, 1, 365.0, 0.16699, 0.1158, 0.2263),
        (CTRL, 1, 730.0, float("nan"), float("nan"), float("nan")),
    ],
    columns=["group", "cause", "time", "estimate", "conf_low", "conf_high"],
)


def test_a_frame_becomes_one_row_per_number_in_the_cards_layout():
    rows = ard.ard_cif_landmarks(LANDMARKS.iloc[:1], "ITT")
    assert list(rows.columns) == list(ard.COLUMNS)
    got = rows[["group1", "group1_level", "group2", "group2_level", "variable", "variable_level", "stat_name"]]
    assert got.to_dict("records") == [
        {
            "group1": "group",
            "group1_level": SORA,
            "group2": "cause",
            "group2_level": "1",
            "variable": "time",
            "variable_level": "365",
            "stat_name": name,
        }
        for name in ("estimate", "conf_low", "conf_high")
    ]
    assert rows["stat"].tolist() == [0.12345, 0.0812, 0.1744]  # unrounded
    assert rows["stat_fmt"].tolist() == ["12.3%", "8.1%", "17.4%"]  # formatted once, here
    assert set(rows["fmt_fun"]) == {"percent"} and set(rows["context"]) == {"cuminc"}
    assert set(rows["output_id"]) == {"tbl-cif-landmarks"} and set(rows["population"]) == {"ITT"}
    assert rows["group3"].isna().all() and rows["group4_level"].isna().all()


def test_a_missing_number_is_null_and_prints_ne():
    rows = ard.ard_cif_landmarks(LANDMARKS, "ITT")
    last = rows[(rows["group1_level"] == CTRL) & (rows["variable_level"] == "730")]
    assert last["stat"].isna().all() and last["stat_fmt"].tolist() == ["NE", "NE", "NE"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(730.0, "730"), (1, "1"), (365.25, "365.25"), (True, "true"), ("F", "F"), (None, None), (float("nan"), None)],
)
def test_levels_are_stored_as_text(value, text):
    assert ard.level_text(value) == text


def test_the_table_is_composed_of_the_formatted_texts_of_its_rows():
    rows = ard.ard_cif_landmarks(LANDMARKS, "ITT")
    got = tables.table_cif_landmarks(rows, STUDY)
    assert got.to_dict("records") == [
        {"Event": "Relapse", "Time": "1 year", SORA: "12.3% (8.1%, 17.4%)", CTRL: "16.7% (11.6%, 22.6%)"},
        {"Event": "Relapse", "Time": "2 years", SORA: "20.0% (15.0%, 26.0%)", CTRL: "NE (NE, NE)"},
    ]


def test_two_rows_for_the_same_number_are_refused_naming_it():
    rows = ard.ard_cif_landmarks(LANDMARKS.iloc[:1], "ITT")
    with pytest.raises(
        ValueError, match=r"share output, groups, variable and statistic, e\.g\. tbl-cif-landmarks time=365"
    ):
        ard.concat([rows, rows])


def test_a_column_the_frame_lacks_is_named():
    with pytest.raises(KeyError, match=r"tbl-cif-landmarks: the analysis frame has no column \['conf_high'\]"):
        ard.ard_cif_landmarks(LANDMARKS.drop(columns="conf_high"), "ITT")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="fmt='pct'; expected one of"):
        ard.Stat("%", "pct")


def test_lookups_give_the_formatted_text_or_the_number_and_say_what_is_missing():
    a = ard.Ard(ard.ard_cif_landmarks(LANDMARKS, "ITT"))
    assert a.cell("tbl-cif-landmarks", "estimate", group=SORA, cause="1", time="365") == "12.3%"
    assert a.number("tbl-cif-landmarks", "estimate", group=SORA, cause="1", time="365") == 0.12345
    assert a.number("tbl-cif-landmarks", "estimate", group=CTRL, cause="1", time="730") is None
    with pytest.raises(KeyError, match="the ARD has no output 'tbl-x'; it has: tbl-cif-landmarks"):
        a.cell("tbl-x", "estimate")
    with pytest.raises(KeyError, match="expected one record of tbl-cif-landmarks"):
        a.cell("tbl-cif-landmarks", "estimate", group=SORA)


def test_text_statistics_carry_labels_and_notes_as_cards_does_methods():
    effects = pd.DataFrame(
        [
            {
                "key": "gray",
                "analysis": "Gray's test",
                "comparison": "A vs B",
                "comparator_arm": SORA,
                "hr": None,
                "conf_low": None,
                "conf_high": None,
                "p_value": 0.0004,
                "note": None,
            }
        ]
    )
    rows = ard.ard_relapse_effects(effects, "ITT").set_index("stat_name")
    assert rows.loc["analysis", "stat_fmt"] == "Gray's test" and rows.loc["analysis", "fmt_fun"] == "text"
    assert pd.isna(rows.loc["analysis", "stat"]) and rows.loc["note", "stat_fmt"] == ""
    assert rows.loc["p_value", "stat_fmt"] == "<0.001" and rows.loc["hr", "stat_fmt"] == "NE"


def test_notebook_outputs_write_their_ard_and_replace_an_output_written_again(tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {})
    rows = ard.ard_cif_landmarks(LANDMARKS, "ITT")
    out.table("tbl-cif-landmarks", LANDMARKS, display=tables.table_cif_landmarks(rows, STUDY), ard=rows)
    out.ard(rows, "tbl-cif-landmarks")  # a cell run twice
    saved = json.loads((tmp_path / "02_relapse" / "ard.json").read_text())
    assert len(saved) == len(rows) and saved[0]["stat_fmt"] == "12.3%"
    with pytest.raises(ValueError, match="belong to .'tbl-cif-landmarks'.; expected only tbl-other"):
        out.ard(rows, "tbl-other")


def test_parquet_and_json_hold_the_same_rows_and_the_same_rows_give_the_same_bytes(tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {})
    out.ard(ard.ard_cif_landmarks(LANDMARKS, "ITT"))
    paths = submission.write_ard(tmp_path)
    first = paths["parquet"].read_bytes()
    from_parquet = submission.read_ard(paths["parquet"])
    from_json = submission.read_ard(paths["json"])
    pd.testing.assert_frame_equal(from_parquet, from_json)
    assert from_parquet["stat"].iloc[0] == 0.12345
    assert submission.write_ard(tmp_path)["parquet"].read_bytes() == first

    import pyarrow.parquet as pq

    schema = pq.read_schema(paths["parquet"])
    assert schema.names == list(ard.COLUMNS)
    assert str(schema.field("stat").type) == "double" and str(schema.field("stat_fmt").type) == "string"


def test_rtf_repeats_title_headers_and_footnotes_on_every_page_and_reads_back():
    data = pd.DataFrame({"Term": [f"Event {i} \u2265 3 {{x}} a_b" for i in range(60)], "n (%)": ["1 (0.6%)"] * 60})
    spec = submission.ReportTableSpec("tbl-demo", 4, "Events by [Table 1](#tbl-x), **all**.", data)
    text = submission.table_rtf(spec, ["Analysis population: ITT.", "NE: not estimable."], rows_per_page=30)
    assert text.isascii()
    pages = rtf_pages(text)
    assert len(pages) >= 3
    for page in pages:
        assert "Table 4: Events by Table 1, all." in page and "Analysis population: ITT." in page
        assert "Source: tbl-demo" in page
    rows = [r for r in rtf_rows(text) if r and r[0] != "Term" and not r[0].startswith("Analysis population")]
    assert [r for r in rows if len(r) == 2] == data.values.tolist()
    assert sum(r == ["Term", "n (%)"] for r in rtf_rows(text)) == len(pages)


def test_the_schema_page_documents_every_column():
    from helpers import config

    page = (config.PROJECT_ROOT / "docs" / "ARD.md").read_text(encoding="utf-8")
    for column in ard.COLUMNS:
        name = "group1" if column.startswith("group") and not column.endswith("level") else column
        name = "group1_level" if column.startswith("group") and column.endswith("level") else name
        assert f"`{name}`" in page, column
    for fmt in ard.FORMATS:
        assert f"`{fmt}`" in page or fmt.startswith("num"), fmt
