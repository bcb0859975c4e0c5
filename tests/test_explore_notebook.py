"""notebooks/explore.ipynb executes in a Jupyter kernel (the project's, as in JupyterLab) and shows
the app; its parameters cell holds the run's parameters. (`make test` also runs it under nbval.)"""

import json

import nbformat
import papermill
import pytest
from nbclient import NotebookClient

from helpers import config

NOTEBOOK = config.NOTEBOOKS_DIR / f"{config.EXPLORE_NOTEBOOK}.ipynb"
pytestmark = [
    pytest.mark.notebooks,
    pytest.mark.skipif(
        not (config.PROJECT_ROOT / "data" / "synthetic" / "adsl.csv").exists(), reason="no synthetic trial: make data"
    ),
]


def test_the_explore_notebook_has_the_runs_parameters():
    found = papermill.inspect_notebook(str(NOTEBOOK))
    assert {"study", "data_dir", "cutoff", "population", "report", "patient_listings"} <= set(found)


def test_the_explore_notebook_executes_in_a_jupyter_kernel_and_shows_the_app():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name=config.KERNEL_NAME, timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    last = nb.cells[-1]
    assert [o for o in last.outputs if o.output_type == "error"] == []
    bundles = [o["data"] for o in last.outputs if o.output_type in ("execute_result", "display_data")]
    assert any("application/vnd.holoviews_exec.v0+json" in b for b in bundles), json.dumps(list(map(list, bundles)))
