"""What every analysis notebook does first: load the study and the trial for its parameters and
open its outputs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from helpers import config
from helpers.data.blind import pool_arms
from helpers.data.contract import ContractError, InputFile, Trial, find_tables, load_trial
from helpers.data.cutoff import as_cutoff
from helpers.data.saved import load_saved_files, load_saved_trial, saved_trial_info
from helpers.files import sha256_file
from helpers.present import figures
from helpers.run.outputs import NotebookOutputs
from helpers.study import Study, load_study

#: The reports a run makes (make's REPORT): ``closed`` by arm, for the Data Monitoring Committee;
#: ``open`` pooled over every arm, for the trial team (the notebooks see a pooled trial and study).
REPORTS = ("closed", "open")


@dataclass
class NotebookRun:
    """A notebook's parameters, its study, its data (cutoff and population applied) and its
    output writer. Each view of the data is read and validated when first used.

    In an open report (``report="open"``) :attr:`study` and every view of the data are pooled
    over the arms (:meth:`helpers.study.Study.pooled`, :func:`helpers.data.blind.pool_arms`)
    before the notebook sees them: no notebook can split them by arm."""

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
    #: REPORT: ``closed`` (by arm) or ``open`` (every arm pooled; :data:`REPORTS`)
    report: str = "closed"
    #: where :attr:`all_randomised` came from: ``"saved"`` by the validation step, or ``"read"``
    #: and validated here (empty until first used)
    trial_source: str = field(default="", init=False, repr=False)

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
            "report": self.report,
        }

    @property
    def closed(self) -> bool:
        """Whether this is the closed report, by arm (else the open, pooled one)."""
        return self.report == "closed"

    @cached_property
    def definition(self) -> Study:
        """The study definition as written (every arm): what the data are validated against."""
        return load_study(self.study_path)

    @cached_property
    def study(self) -> Study:
        """The study the analyses use (arms, endpoints, labels, landmarks, ...): the definition,
        or in an open report its pooled view (one arm for every patient)."""
        return self.definition if self.closed else self.definition.pooled()

    @cached_property
    def all_randomised(self) -> Trial:
        """Every randomised patient after the data cutoff, no population selected (CONSORT).

        In a pipeline run, the trial the validation step saved for exactly this run's parameters
        and input files (:func:`saved_trial`); otherwise (JupyterLab, a notebook run by hand, a
        saved trial of other data) the data are read and validated here. Either way once per
        notebook: the populations below are selected from it."""
        saved = saved_trial(self.out_dir, study=self.definition, data_dir=self.data_dir, cutoff=self.cutoff)
        self.trial_source = "saved" if saved is not None else "read"
        if saved is None:
            saved = load_trial(self.data_dir, study=self.definition, cutoff=self.cutoff or None, population=None)
        return saved if self.closed else pool_arms(saved)  # the open report: arms pooled before any use

    @cached_property
    def files(self) -> dict[str, InputFile]:
        """Provenance of the input files (path, format, SHA-256, rows), as ``Trial.files``:
        from the validation step's record when it is this run's (no table is read; the report
        needs nothing else), else from the trial."""
        if "all_randomised" not in self.__dict__:
            folder = saved_trial_folder(self.out_dir, study=self.definition, data_dir=self.data_dir, cutoff=self.cutoff)
            if folder is not None:
                try:
                    return load_saved_files(folder, data_dir=self.data_dir)
                except (OSError, ValueError, KeyError):
                    pass
        return self.all_randomised.files

    @cached_property
    def trial(self) -> Trial:
        """The trial in the analysis population, after the data cutoff."""
        return self.all_randomised.select(self.population)

    @cached_property
    def safety(self) -> Trial:
        """The safety population (patients who started their allocated strategy) after the cutoff;
        safety tables use it whatever the analysis population."""
        if self.study.safety_population is None:
            return self.trial
        return self.all_randomised.select(self.study.safety_population)

    @cached_property
    def out(self) -> NotebookOutputs:
        return NotebookOutputs(self.out_dir, self.name, self.parameters)


def saved_trial(out_dir: str | Path, *, study: Study, data_dir: str | Path, cutoff: str) -> Trial | None:
    """The trial the validation step saved in ``out_dir/.make/trial/``, if it is the one these
    parameters and the input files as they are now give (:func:`saved_trial_folder`); otherwise
    None (then read the data)."""
    folder = saved_trial_folder(out_dir, study=study, data_dir=data_dir, cutoff=cutoff)
    if folder is None:
        return None
    try:
        return load_saved_trial(folder, study=study, data_dir=data_dir)
    except (OSError, ValueError, KeyError):
        return None


def saved_trial_folder(out_dir: str | Path, *, study: Study, data_dir: str | Path, cutoff: str) -> Path | None:
    """``out_dir/.make/trial/`` if the trial the validation step saved there is the one these
    parameters and the input files as they are now give; otherwise None.

    It must be the latest validation's (its key is the ``.make/validated`` stamp, which
    validation removes first and writes only on success), of every randomised patient, for this
    cutoff, of this study file with the same content, and of the same files in ``data_dir``
    with the same content (SHA-256 of each, read now: a file changed since, even without make,
    means the data are read again)."""
    state = Path(out_dir) / config.MAKE_STATE_DIR
    folder = state / config.SAVED_TRIAL_DIR
    info = saved_trial_info(folder)
    if info is None:
        return None
    try:
        stamp = (state / config.VALIDATED_STAMP).read_text().strip()
    except OSError:
        return None
    try:
        cut = as_cutoff(cutoff).isoformat() if cutoff else None
    except ValueError:
        return None  # load_trial says what is wrong with it
    saved_study = info.get("study") or {}
    if (
        not info.get("key")
        or info["key"] != stamp
        or info.get("population") is not None
        or info.get("cutoff") != cut
        or study.source is None
        or saved_study.get("path") is None
        or Path(saved_study["path"]).resolve() != Path(study.source).resolve()
        or saved_study.get("sha256") != sha256_file(study.source)
    ):
        return None
    try:
        paths = find_tables(data_dir)
    except ContractError:
        return None
    saved = info.get("files", {})
    if set(paths) != set(saved):
        return None
    for table, path in paths.items():
        was = Path(saved[table]["path"])
        if was.resolve() != path.resolve() or saved[table]["sha256"] != sha256_file(path):
            return None
    return folder


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
    report: str = "closed",
    trial: bool = True,
) -> NotebookRun:
    """Load the study definition, validate and load the data, seed the random generators, set
    the plotting style, and open ``out_dir/<name>/`` for outputs.

    Loading first means a study-definition or data-contract error is the first thing the
    notebook shows. ``trial=False`` leaves the data until first used (the report, which reads
    the analyses' results and needs only the input files' provenance, :attr:`NotebookRun.files`).
    ``report`` is ``"closed"`` (by arm) or ``"open"`` (every arm pooled, :class:`NotebookRun`).
    """
    if report not in REPORTS:
        raise ValueError(f"parameter {report=} is not a report; expected one of {', '.join(REPORTS)}")
    run = NotebookRun(
        name, study, data_dir, cutoff, population.upper(), out_dir, int(seed), bool(patient_listings), report
    )
    run.population = run.population or run.study.default_population  # empty: the study's default
    random.seed(run.seed)
    np.random.seed(run.seed)  # noqa: NPY002 (libraries that draw from numpy's global generator)
    run.study  # noqa: B018 (fail early with the study-definition error)
    if trial:
        run.trial  # noqa: B018 (fail early with the contract error)
    run.out.save()  # results.json records the parameters even of a notebook with nothing to show
    figures.set_style()
    return run
