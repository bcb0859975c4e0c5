"""What every analysis notebook does first: load the study and the trial for its parameters and
open its outputs."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from helpers import config
from helpers.data.contract import Trial, load_trial
from helpers.present import figures
from helpers.run.outputs import NotebookOutputs
from helpers.study import Study, load_study


@dataclass
class NotebookRun:
    """A notebook's parameters, its study, its data (cutoff and population applied) and its
    output writer. Each view of the data is read and validated when first used."""

    name: str
    study_path: str
    data_dir: str
    cutoff: str
    population: str
    out_dir: str
    seed: int
    #: PATIENT_LISTINGS: also write patient-level listings (one row per patient, with USUBJID);
    #: without it a run writes aggregates only.
    patient_listings: bool = False

    @property
    def parameters(self) -> dict[str, Any]:
        """The values this run used, as recorded in ``results.json`` (paths relative to the project)."""
        return {
            "study": _shown(self.study_path),
            "data_dir": _shown(self.data_dir),
            "cutoff": self.cutoff or None,
            "population": self.population,
            "seed": self.seed,
            "patient_listings": self.patient_listings,
        }

    @cached_property
    def study(self) -> Study:
        """The study definition (arms, endpoints, labels, landmarks, ...)."""
        return load_study(self.study_path)

    @cached_property
    def all_randomised(self) -> Trial:
        """Every randomised patient after the data cutoff, no population selected (CONSORT).
        The data are read and validated once; the populations below are selected from it."""
        return load_trial(self.data_dir, study=self.study, cutoff=self.cutoff or None, population=None)

    @cached_property
    def trial(self) -> Trial:
        """The trial in the analysis population, after the data cutoff."""
        return self.all_randomised.select(self.population)

    @cached_property
    def safety(self) -> Trial:
        """The safety population (patients who started their allocated strategy) after the cutoff;
        safety tables use it whatever the analysis population."""
        return self.all_randomised.select("SAFETY")

    @cached_property
    def out(self) -> NotebookOutputs:
        return NotebookOutputs(self.out_dir, self.name, self.parameters)


def _shown(path: str) -> str:
    """A path as results may record it: relative to the project, or for a file or folder
    outside it its name only (a full path names users and folder layouts)."""
    p = Path(path).resolve()
    return p.relative_to(config.PROJECT_ROOT).as_posix() if p.is_relative_to(config.PROJECT_ROOT) else p.name


def setup(
    name: str,
    *,
    study: str,
    data_dir: str,
    cutoff: str,
    population: str,
    out_dir: str,
    seed: int,
    patient_listings: bool = False,
) -> NotebookRun:
    """Load the study definition, validate and load the data, seed the random generators, set
    the plotting style, and open ``out_dir/<name>/`` for outputs.

    Loading first means a study-definition or data-contract error is the first thing the
    notebook shows.
    """
    run = NotebookRun(name, study, data_dir, cutoff, population.upper(), out_dir, int(seed), bool(patient_listings))
    random.seed(run.seed)
    np.random.seed(run.seed)  # noqa: NPY002 (libraries that draw from numpy's global generator)
    run.study  # noqa: B018 (fail early with the study-definition error)
    run.trial  # noqa: B018 (fail early with the contract error)
    run.out  # noqa: B018
    figures.set_style()
    return run
