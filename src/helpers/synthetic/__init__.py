"""A synthetic trial, driven by a study definition, that satisfies the data contract.

By default NCT04674345 (``studies/nct04674345.yaml``): sorafenib maintenance vs no maintenance
after a first allo-HSCT in FLT3-negative acute leukaemia, randomised 1:1 on day 30-60 after
transplant in permuted blocks within site x stratification factors, 10 centres, open label.
Any study definition with k >= 2 arms works: its arms (codes, labels, allocation ratios, which
receive the drug), STUDYID, strata, endpoints, drug, dose levels, AE windows, size, calendar,
sites and relapse hazard ratios drive the generator; the simulated population (disease, donors,
hazards, toxicities, screening) is the generator's own, in :data:`ASSUMPTIONS`, with the
calibrated baseline hazards in :data:`CALIBRATION`.  :func:`expected_events` gives the primary
events the calibrated model produces by the final cutoff (the design itself is
:func:`helpers.analysis.design.planned_design`'s).  Sources: ``data/README.md``.

Outcomes are drawn from latent cause-specific Weibull times (relapse, non-relapse death) with a
random site effect, then post-relapse survival, dropout and administrative censoring at the
data cutoff; GVHD onsets from mixture-cure models.  Everything is vectorised numpy: 100 000
patients take a few seconds.

Modules: ``assumptions`` (the simulated population), ``population`` (covariates, hazards),
``calibration``, ``design``, ``randomisation`` (sites, accrual, blocks), ``outcomes`` (events,
ADTTE derivations), ``treatment`` (drug course, ADEX), ``adverse_events``, ``screening``,
``trial`` (:func:`generate`, ADSL), ``writing`` and ``cli``.

Command line::

    python -m helpers.synthetic --out data/synthetic [--study studies/nct04674345.yaml
        --n-patients 346 --seed 20201215 --format csv|parquet|xpt --tables adsl,adtte,...]
"""

from __future__ import annotations

from .assumptions import ASSUMPTIONS
from .calibration import CALIBRATION
from .cli import main
from .design import expected_events
from .trial import DEFAULT_SEED, TABLES, default_cutoff, generate
from .writing import write_trial

__all__ = [
    "ASSUMPTIONS",
    "CALIBRATION",
    "DEFAULT_SEED",
    "TABLES",
    "default_cutoff",
    "expected_events",
    "generate",
    "main",
    "write_trial",
]
