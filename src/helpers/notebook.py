"""What every analysis notebook does first: load the trial for its parameters and open its outputs."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import config, figures
from .contract import Trial, load_trial, select_population
from .outputs import NotebookOutputs


def with_population(trial: Trial, population: str) -> Trial:
    """The same (already validated and cut) trial restricted to another population."""
    tables = select_population(trial.tables, population)
    return dataclasses.replace(trial, **tables, population=population.upper())


@dataclass
class NotebookRun:
    """A notebook's parameters, its data (cutoff and population applied) and its output writer.

    The data are read and validated once, for every randomised patient; the analysis and
    safety populations are selected from them.
    """

    name: str
    data_dir: str
    cutoff: str
    population: str
    out_dir: str
    seed: int

    @property
    def parameters(self) -> dict[str, Any]:
        """The values this run used, as recorded in ``results.json`` (paths relative to the project)."""
        data = Path(self.data_dir).resolve()
        shown = data.relative_to(config.PROJECT_ROOT) if data.is_relative_to(config.PROJECT_ROOT) else data
        return {"data_dir": shown.as_posix(), "cutoff": self.cutoff or None,
                "population": self.population, "seed": self.seed}

    @cached_property
    def all_randomised(self) -> Trial:
        """Every randomised patient (ITT) after the data cutoff, e.g. for the CONSORT diagram."""
        return load_trial(self.data_dir, cutoff=self.cutoff or None, population="ITT")

    @cached_property
    def trial(self) -> Trial:
        """The trial in the analysis population, after the data cutoff."""
        return with_population(self.all_randomised, self.population)

    @cached_property
    def safety(self) -> Trial:
        """The safety population (patients who started their allocated strategy) after the cutoff;
        safety tables use it whatever the analysis population."""
        return with_population(self.all_randomised, "SAFETY")

    @cached_property
    def out(self) -> NotebookOutputs:
        return NotebookOutputs(self.out_dir, self.name, self.parameters)


def setup(name: str, *, data_dir: str, cutoff: str, population: str, out_dir: str, seed: int) -> NotebookRun:
    """Validate and load the data, seed the random generators, set the plotting style, and open
    ``out_dir/<name>/`` for outputs.

    Loading first means a data-contract error is the first thing the notebook shows.
    """
    run = NotebookRun(name, data_dir, cutoff, population.upper(), out_dir, int(seed))
    random.seed(run.seed)
    np.random.seed(run.seed)  # libraries that draw from numpy's global generator
    run.trial  # noqa: B018 (load now: fail early with the contract error)
    run.out  # noqa: B018
    figures.set_style()
    return run
