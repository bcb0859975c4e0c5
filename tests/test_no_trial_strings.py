"""Nothing trial-specific is spelled in the analysis code, the notebooks or the report source:
arms, the drug, the study id, endpoints, subgroups and strata come from the study definition."""

import json
import re
from pathlib import Path

import pytest

from helpers import config

HELPERS = config.PROJECT_ROOT / "src" / "helpers"
#: Words of the default study (studies/nct04674345.yaml) that no code may spell (case-sensitive
#: unless marked (?i)): the drug, arm labels and codes, the study id and short title, the
#: population's mutation, decoded levels, strata, endpoint names.
FORBIDDEN = [
    r"(?i)orafenib",
    r"(?i)no maintenance",
    "NCT04674345",
    r"(?i)flt3",
    r"\bSORA\b",
    r"\bCTRL\b",
    "Haploidentical",
    "Matched sibling",
    "STRATDS",
    "STRATDT",
    r"(?i)non-relapse mortality",
    r"(?i)leuka?emia",
    "GVHD",
    "AGEGR1",
    "DONORTYP",
    "CYTORISK",
    "MRDPRE",
    "CONDINT",
]
#: The synthetic generator simulates this trial's population (its disease model, donor types and
#: toxicities are simulation assumptions, documented in data/README.md); the analysis never
#: imports it (tests/test_layers.py), so it is the one package allowed to spell them.
SIMULATOR = HELPERS / "synthetic"


def _python_files() -> list[Path]:
    return sorted(p for p in HELPERS.rglob("*.py") if p.name != "study.py" and not p.is_relative_to(SIMULATOR))


def _hits(text: str) -> list[str]:
    return sorted({m.group(0) for pattern in FORBIDDEN for m in re.finditer(pattern, text)})


@pytest.mark.parametrize("path", _python_files(), ids=lambda p: str(p.relative_to(HELPERS)))
def test_helpers_spell_nothing_of_the_default_study(path):
    assert _hits(path.read_text(encoding="utf-8")) == []


def test_study_module_spells_the_default_study_only_in_docstrings_and_comments():
    import ast

    tree = ast.parse((HELPERS / "study.py").read_text(encoding="utf-8"))
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    strings = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]
    assert _hits("\n".join(strings)) == []


@pytest.mark.parametrize("path", sorted(config.NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_spell_nothing_of_the_default_study(path):
    # the cells only: the kernelspec names the project's kernel, not the trial's content
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    source = "\n".join("".join(c["source"]) for c in cells)
    found = _hits(re.sub(r"nct04674345\.yaml", "", source))  # the default study's file name
    assert found == []


def test_the_forbidden_words_are_those_of_the_default_study():
    text = (config.STUDIES_DIR / "nct04674345.yaml").read_text(encoding="utf-8")
    missing = [p for p in FORBIDDEN if not re.search(p, text)]
    assert missing == []
