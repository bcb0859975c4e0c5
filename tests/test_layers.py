"""The layers of ``helpers`` as the tree shows them, and the imports allowed between them.

    foundation  config, study, files     paths, the study definition, file writing
    data        helpers.data             reading, contract, cutoff, populations
    stats       helpers.stats            statistics that know no trial (not even the study)
    analysis    helpers.analysis         the trial's analyses: study + trial in, tidy results out
    present     helpers.present          tables, figures, prose, reading results back
    run         helpers.run              parameters, papermill, outputs, provenance, report
    explore     helpers.explore          the investigators' interactive app (make explore): the top
                                         layer, built on every layer but synthetic
    synthetic   helpers.synthetic        the simulated trial: a data source, never imported by
                                         the analysis (it runs as `python -m helpers.synthetic`)

A module may import its own layer and the layers listed as allowed for it; the test fails on any
other import, including imports inside functions.
"""

import ast
from pathlib import Path

import pytest

from helpers import config

HELPERS = config.PROJECT_ROOT / "src" / "helpers"
FOUNDATION = {"config", "study", "files"}
ALLOWED = {
    "foundation": {"foundation"},
    "data": {"foundation", "data"},
    "stats": {"stats"},
    "analysis": {"foundation", "data", "stats", "analysis"},
    "present": {"foundation", "data", "stats", "analysis", "present"},
    "run": {"foundation", "data", "stats", "analysis", "present", "run"},
    "explore": {"foundation", "data", "stats", "analysis", "present", "run", "explore"},
    "synthetic": {"foundation", "data", "synthetic"},
}


def layer(module: str) -> str:
    """``helpers.stats.survival.km`` -> ``stats``; ``helpers.config`` -> ``foundation``."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in FOUNDATION or top in ("", "__init__"):
        return "foundation"
    if top not in ALLOWED:
        raise AssertionError(f"{module}: helpers.{top} belongs to no layer; add it to tests/test_layers.py")
    return top


def module_name(path: Path) -> str:
    parts = path.relative_to(HELPERS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every helpers module ``path`` imports, relative imports resolved, at any depth."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "helpers"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "helpers":
                continue
            if target == "helpers":  # from helpers import config, study
                found |= {f"helpers.{a.name}" for a in node.names}
            else:
                found.add(target)
    return found


MODULES = sorted(p for p in HELPERS.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(HELPERS)))
def test_a_module_imports_only_its_own_and_lower_layers(path):
    own = layer(module_name(path))
    wrong = sorted(m for m in imported(path) if layer(m) not in ALLOWED[own])
    assert wrong == [], f"{module_name(path)} ({own}) may not import {wrong}"


def test_the_layering_test_sees_imports_inside_functions(tmp_path):
    probe = HELPERS / "stats" / "_probe_for_test.py"
    probe.write_text("def f():\n    from helpers.study import Study\n    from ..run import pipeline\n")
    try:
        assert imported(probe) == {"helpers.study", "helpers.run"}
    finally:
        probe.unlink()


def test_every_package_of_helpers_is_a_layer():
    packages = {p.name for p in HELPERS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(ALLOWED) - {"foundation"}
    modules = {p.stem for p in HELPERS.glob("*.py")} - {"__init__"}
    assert modules == FOUNDATION
