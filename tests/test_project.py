"""Promises of the project itself: pinned environment, stripped notebooks with papermill parameters,
the README's two commands, CI calling them."""

import json
import re
import tomllib
from pathlib import Path

import papermill
import pytest
import yaml

from helpers import config
from helpers.run.pipeline import PARAMETERS

ROOT = config.PROJECT_ROOT
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
#: The notebooks a run executes with papermill (all but the app's, which no run executes).
RUN_NOTEBOOKS = [p for p in NOTEBOOKS if p.stem != config.EXPLORE_NOTEBOOK]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.lower())


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_norm(name)] = version.strip()
    return pins


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    return [_norm(re.split(r"[<>=!~; \[]", d)[0]) for d in deps]


def test_every_declared_dependency_is_pinned_in_the_lock():
    lock = _lock()
    assert [d for d in _declared() if d not in lock] == []


def test_lock_never_needs_quarto_cli_which_downloads_at_install_time():
    assert "quarto-cli" not in _lock()


def test_environment_yml_pins_the_same_versions_as_the_lock():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    lock = _lock()
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep["pip"]:
                name, version = p.split("==")
                pins[_norm(name)] = version
        elif "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=")
            pins[_norm(name)] = version
    disagree = {n: (v, lock.get(n)) for n, v in pins.items() if lock.get(n) != v}
    assert disagree == {}, "environment.yml and requirements.lock disagree (name: (yml, lock))"
    assert [d for d in _declared() if d not in pins] == []
    assert "quarto" in env["dependencies"]


def test_lifelines_pin_respects_its_pandas_bound():
    assert int(_lock()["pandas"].split(".")[0]) < 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_sources_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
    assert dirty == [], f"{path.name}: cells with outputs (run nbstripout)"


@pytest.mark.parametrize("path", RUN_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_one_parameters_cell_that_papermill_can_read(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    found = papermill.inspect_notebook(str(path))
    assert set(PARAMETERS) <= set(found), f"{path.name} lacks parameters {set(PARAMETERS) - set(found)}"
    assert all(p["inferred_type_name"] != "None" for p in found.values())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_project_kernel(path):
    assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == config.KERNEL_NAME


def test_notebooks_are_those_the_makefile_runs():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^NOTEBOOKS := (.*)$", makefile, re.M).group(1).split()
    assert listed == list(config.ANALYSIS_NOTEBOOKS)
    assert sorted(p.stem for p in NOTEBOOKS) == [
        *config.ANALYSIS_NOTEBOOKS,
        config.REPORT_NOTEBOOK,
        config.EXPLORE_NOTEBOOK,
    ]


def test_makefile_registers_the_kernel_named_in_config():
    assert re.search(rf"^KERNEL := {config.KERNEL_NAME}$", (ROOT / "Makefile").read_text(), re.M)


def test_project_kernel_is_registered_in_the_virtual_environment_for_lab_and_papermill():
    import subprocess
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(config.KERNEL_NAME)
    assert spec.argv[0] in (sys.executable, "python") or Path(spec.argv[0]).resolve() == Path(sys.executable).resolve()
    lab = subprocess.run([sys.executable, "-m", "jupyterlab", "--version"], capture_output=True, text=True)
    assert lab.returncode == 0 and lab.stdout.startswith("4.")


def test_readme_gives_the_two_commands_on_its_first_screen():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make report" in head and "make test" in head


def test_ci_runs_lint_then_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci and "make test" in ci and ci.index("make lint") < ci.index("make test")


def test_make_help_is_the_default_goal_and_lists_every_target():
    import subprocess

    out = subprocess.run(
        ["make", "--no-print-directory"], cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    ).stdout
    for target in (
        "report",
        "test",
        "test-fast",
        "lint",
        "lab",
        "explore",
        "data",
        "lock",
        "clean",
        "freeze",
        "verify",
    ):
        assert re.search(rf"^  {target}\s+\S", out, re.M), target
    for variable in ("DATA_DIR", "CUTOFF", "POPULATION", "OUT_DIR", "SEED"):
        assert re.search(rf"^  {variable}\s+\S", out, re.M), variable
