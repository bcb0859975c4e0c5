"""The output writer: one ID per artefact, deterministic bytes, never a half-written file."""

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from helpers.files import atomic_write_bytes
from helpers.run.outputs import NotebookOutputs, dumps_json, table_csv_bytes


def _figure():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.step([0, 1, 2, 3], [0, 0.1, 0.25, 0.3], where="post", label="arm")
    ax.legend()
    return fig


def test_table_csv_keeps_full_precision_and_unix_line_ends():
    got = table_csv_bytes(pd.DataFrame({"estimate": [1 / 3], "group": ["a"]}))
    assert got == b"estimate,group\n0.3333333333333333,a\n"


def test_same_figure_gives_byte_identical_png_and_svg(tmp_path):
    a = NotebookOutputs(tmp_path / "a", "nb", {}).figure("fig-x", _figure())
    b = NotebookOutputs(tmp_path / "b", "nb", {}).figure("fig-x", _figure())
    assert a.read_bytes() == b.read_bytes()
    assert a.with_suffix(".svg").read_bytes() == b.with_suffix(".svg").read_bytes()
    assert b"<dc:date>" not in a.with_suffix(".svg").read_bytes()


def test_results_json_records_parameters_tables_figures_and_values(tmp_path):
    out = NotebookOutputs(tmp_path, "02_relapse", {"cutoff": None, "population": "ITT"})
    out.table("tbl-demo", pd.DataFrame({"x": [1.5]}), display=pd.DataFrame({"X": ["1.5"]}))
    out.figure("fig-demo", _figure())
    out.value("p_value", np.float64(0.0123))
    out.value("missing", float("nan"))
    res = json.loads((tmp_path / "02_relapse" / "results.json").read_text())
    assert res["parameters"] == {"cutoff": None, "population": "ITT"}
    assert res["tables"]["tbl-demo"] == {"file": "tbl-demo.csv", "display_file": "tbl-demo.display.csv", "n_rows": 1}
    assert res["figures"]["fig-demo"]["file"] == "fig-demo.png"
    assert res["values"] == {"p_value": 0.0123, "missing": None}


@pytest.mark.parametrize("bad", ["table-x", "tbl_x", "tbl-X", "fig-x", "tbl-"])
def test_table_ids_must_follow_the_tbl_convention(tmp_path, bad):
    with pytest.raises(ValueError, match="not a valid tbl id"):
        NotebookOutputs(tmp_path, "nb", {}).table(bad, pd.DataFrame({"x": [1]}))


def test_json_is_sorted_and_refuses_nothing_numpy(tmp_path):
    text = dumps_json({"b": np.int64(2), "a": [np.bool_(True), pd.Timestamp("2025-06-30")]})
    assert text == '{\n  "a": [\n    true,\n    "2025-06-30"\n  ],\n  "b": 2\n}\n'


def test_atomic_write_leaves_no_temporary_file_when_writing_fails(tmp_path, monkeypatch):
    import os

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(tmp_path / "x.csv", b"data")
    assert list(tmp_path.iterdir()) == []


def test_tables_refuse_patient_ids_and_listings_need_patient_listings(tmp_path):
    per_patient = pd.DataFrame({"USUBJID": ["S-01-0001"], "duration_days": [30]})
    plain = NotebookOutputs(tmp_path, "03_safety", {"patient_listings": False})
    with pytest.raises(ValueError, match="patient id column USUBJID"):
        plain.table("tbl-exposure", per_patient)
    with pytest.raises(ValueError, match="only with PATIENT_LISTINGS=1"):
        plain.listing("lst-exposure", per_patient)
    assert not list((tmp_path / "03_safety").glob("*.csv"))
    listed = NotebookOutputs(tmp_path, "03_safety", {"patient_listings": True})
    assert listed.listing("lst-exposure", per_patient).name == "lst-exposure.csv"
    with pytest.raises(ValueError, match="not a valid lst id"):
        listed.listing("tbl-exposure", per_patient)
