"""Competing-risks estimation and testing, matched to R cmprsk.

- :func:`cumulative_incidence`: Aalen-Johansen cumulative incidence per group and cause with
  cmprsk's variance (``cmprsk::cuminc``, ``cmprsk::timepoints``) and tidycmprsk's intervals.
- :func:`gray_test`: Gray's K-sample test (the ``Tests`` of ``cmprsk::cuminc``); :func:`gray_z`, its
  signed two-sample square root.
- :func:`cuminc`: both in one call (one validation, one sort), as ``cmprsk::cuminc`` returns them.
- :func:`fine_gray`: Fine-Gray subdistribution hazards regression (``cmprsk::crr``).

All of them compute on one array kernel (``_kernel``: count tables with a batch axis), which the
design simulator (:mod:`helpers.stats.design_simulation`) also calls on thousands of trials at once.

Event codes everywhere: 0 = censored, 1, 2, ... = causes (cmprsk's ``cencode = 0``).
Column names and result objects follow ``docs/CONVENTIONS.md``.
"""

from helpers.stats._checks import ConvergenceWarning
from helpers.stats._counting import CONF_TYPES

from ._validate import check_competing_risks_input
from .both import cuminc
from .cuminc import COLUMNS, cumulative_incidence
from .fine_gray import FineGrayConvergenceWarning, FineGrayResult, fine_gray
from .gray import gray_test, gray_z

__all__ = [
    "COLUMNS",
    "CONF_TYPES",
    "ConvergenceWarning",
    "FineGrayConvergenceWarning",
    "FineGrayResult",
    "check_competing_risks_input",
    "cuminc",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
    "gray_z",
]
