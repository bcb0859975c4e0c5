"""Read one run's results back for the report: quoted numbers, tables and figures by output ID."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import config
from helpers.present import ard as ard_rows
from helpers.present.tables import ReportTable

#: Each notebook's part of the run's Analysis Results Dataset (:mod:`helpers.present.ard`).
ARD_FILE = "ard.json"


class RunResults:
    """The artefacts a run wrote into ``out_dir``, looked up by notebook and output ID.

    >>> r = RunResults("../reports/synthetic")
    >>> r.value("02_relapse", "gray_p_value")          # a number the prose quotes
    >>> r.figure("02_relapse", "fig-cif-relapse")      # displays the saved PNG
    >>> r.table("02_relapse", "tbl-cif-landmarks")     # displays the formatted table (no text/html)
    """

    def __init__(self, out_dir: str | Path):
        self.out_dir = Path(out_dir)

    @cache  # noqa: B019 (one RunResults per report; results.json does not change during a run)
    def results(self, notebook: str) -> dict[str, Any]:
        path = self.out_dir / notebook / config.RESULTS_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: run notebook {notebook!r} first "
                "(make report runs every notebook before the report)"
            )
        return json.loads(path.read_text(encoding="utf-8"))

    @cache  # noqa: B019 (as results)
    def ard_frame(self) -> pd.DataFrame:
        """The run's Analysis Results Dataset: every notebook's ``ard.json``, in notebook order."""
        parts = []
        for path in sorted(self.out_dir.glob(f"*/{ARD_FILE}")):
            if path.parent.name.startswith(".") or path.parent.name.endswith(config.FAILED_SUFFIX):
                continue
            parts.append(ard_rows.from_records(json.loads(path.read_text(encoding="utf-8"))))
        if not parts:
            raise FileNotFoundError(
                f"no notebook of {self.out_dir} wrote {ARD_FILE}: run the analysis notebooks first "
                "(make report runs every notebook before the report)"
            )
        return ard_rows.concat(parts)

    @cache  # noqa: B019
    def ard(self) -> ard_rows.Ard:
        """The run's ARD with the look-ups the report's sentences use."""
        return ard_rows.Ard(self.ard_frame())

    def value(self, notebook: str, key: str) -> Any:
        values = self.results(notebook)["values"]
        if key not in values:
            raise KeyError(f"{notebook} recorded no value {key!r}; it has: {', '.join(sorted(values))}")
        return values[key]

    def parameters(self, notebook: str) -> dict[str, Any]:
        return self.results(notebook)["parameters"]

    def table_data(self, notebook: str, output_id: str, *, display: bool = True) -> pd.DataFrame:
        entry = self.results(notebook)["tables"].get(output_id)
        if entry is None:
            raise KeyError(f"{notebook} wrote no table {output_id!r}")
        name = entry.get("display_file") if display else entry["file"]
        return pd.read_csv(
            self.out_dir / notebook / (name or entry["file"]), keep_default_na=False, dtype=str if display else None
        )

    def table(self, notebook: str, output_id: str, **html_options: Any) -> ReportTable:
        """The table in the report's form (:func:`helpers.present.tables.report_table`)."""
        return ReportTable(self.table_data(notebook, output_id), output_id, **html_options)

    def figure(self, notebook: str, output_id: str) -> Any:
        from IPython.display import Image

        entry = self.results(notebook)["figures"].get(output_id)
        if entry is None:
            raise KeyError(f"{notebook} wrote no figure {output_id!r}")
        return Image(filename=str(self.out_dir / notebook / entry["file"]))
