"""What every analysis notebook does first: load the trial for its parameters and open its outputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from . import config, figures
from .contract import Trial, load_trial
from .outputs import NotebookOutputs


@dataclass
class NotebookRun:
    """A notebook's parameters, its data (cut and population applied) and its output writer."""

    name: str
    data_dir: str
    cutoff: str
    population: str
    out_dir: str
    seed: int

    @property
    def parameters(self) -> dict[str, Any]:
        data = Path(self.data_dir).resolve()
        shown = data.relative_to(config.PROJECT_ROOT) if data.is_relative_to(config.PROJECT_ROOT) else data
        return {"data_dir": shown.as_posix(), "cutoff": self.cutoff or None,
                "population": self.population, "seed": self.seed}

    @cached_property
    def trial(self) -> Trial:
        """The trial in the analysis population, after the data cutoff."""
        return load_trial(self.data_dir, cutoff=self.cutoff or None, population=self.population)

    @cached_property
    def all_randomised(self) -> Trial:
        """Every randomised patient (ITT) after the data cutoff, e.g. for the CONSORT diagram."""
        if self.population.upper() == "ITT":
            return self.trial
        return load_trial(self.data_dir, cutoff=self.cutoff or None, population="ITT")

    @cached_property
    def safety(self) -> Trial:
        """The safety population (patients who started their allocated strategy) after the cutoff;
        safety tables use it whatever the analysis population."""
        return load_trial(self.data_dir, cutoff=self.cutoff or None, population="SAFETY")

    @cached_property
    def out(self) -> NotebookOutputs:
        return NotebookOutputs(self.out_dir, self.name, self.parameters)


def setup(name: str, *, data_dir: str, cutoff: str, population: str, out_dir: str, seed: int) -> NotebookRun:
    """Validate and load the data, set the plotting style, and open ``out_dir/<name>/`` for outputs.

    Loading first means a data-contract error is the first thing the notebook shows.
    """
    run = NotebookRun(name, data_dir, cutoff, population.upper(), out_dir, int(seed))
    run.trial  # noqa: B018 (load now: fail early with the contract error)
    run.out  # noqa: B018
    figures.set_style()
    return run
