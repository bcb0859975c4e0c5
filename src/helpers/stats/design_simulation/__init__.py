"""Design by simulation: whole competing-risks trials, analysed at every look (no trial named).

- :mod:`.model`: what is simulated (:class:`TrialModel`: arms, cause-specific hazards --
  :class:`Weibull`, :class:`PiecewiseExponential` -- or a :class:`SubdistributionModel`, dropout,
  :class:`Accrual`, :class:`Looks` by events or calendar times, the statistic).
- :func:`simulate`: ``n_trials`` trials in seeded blocks, on one core, a process pool or a Dask
  cluster, bit-identical whatever runs them (:mod:`.backends`).
- :func:`operating_characteristics`, :func:`per_look`: power, type I error, stopping
  probabilities, expected patients, events and duration with Monte Carlo standard errors,
  against any boundaries (:mod:`.summary`).
"""

from __future__ import annotations

import numpy as np

from .backends import BACKENDS, Backend, block_seeds, run_blocks, tune_malloc
from .engine import BLOCK_FIELDS, simulate_block
from .model import (
    Accrual,
    ArmEffect,
    Looks,
    PiecewiseExponential,
    SubdistributionModel,
    TrialModel,
    Weibull,
    cumulative_incidences,
    subdistribution_hazard_ratio,
)
from .summary import decide, operating_characteristics, per_look

__all__ = [
    "BACKENDS",
    "BLOCK_FIELDS",
    "DEFAULT_BLOCK_SIZE",
    "Accrual",
    "ArmEffect",
    "Looks",
    "PiecewiseExponential",
    "SubdistributionModel",
    "TrialModel",
    "Weibull",
    "cumulative_incidences",
    "decide",
    "operating_characteristics",
    "per_look",
    "simulate",
    "simulate_block",
    "subdistribution_hazard_ratio",
    "tune_malloc",
]

#: Trials per block: large enough for numpy to work on whole arrays, small enough to spread.
DEFAULT_BLOCK_SIZE = 1000


def simulate(
    model: TrialModel,
    n_trials: int,
    seed: int,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    backend: Backend = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    label: str = "simulating",
) -> dict[str, np.ndarray]:
    """Simulate ``n_trials`` trials of ``model``: the arrays of :data:`BLOCK_FIELDS`, one row per trial.

    Blocks of ``block_size`` trials, block ``i`` seeded by the ``i``-th child of
    ``SeedSequence(seed)``, concatenated in block order: the same numbers on every backend
    (``"serial"``, ``"processes"`` with ``workers``, ``"dask"`` with ``scheduler``).
    """
    blocks = block_seeds(seed, n_trials, block_size)
    parts = run_blocks(
        simulate_block,
        [(model, size, ss) for size, ss in blocks],
        backend=backend,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        label=label,
    )
    return {name: np.concatenate([p[name] for p in parts]) for name in BLOCK_FIELDS}
