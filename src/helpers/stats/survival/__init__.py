"""Kaplan-Meier, log-rank and Cox models, each matching R's ``survival`` package.

Every function takes a data frame and column names (``duration_col``, ``event_col``,
``group_col``, ``strata``) and returns an unrounded tidy frame or, for :func:`fit_cox`, a
result object of the same shape as :func:`helpers.stats.competing_risks.fine_gray`'s.  The numbers
are proven against R 4.2.2 / survival 3.5-3 in ``tests/test_survival.py`` with the script
``tests/reference/survival.R``; column names and meanings are in ``docs/CONVENTIONS.md``.

- :mod:`~helpers.stats.survival.km`: :func:`kaplan_meier`, :func:`median_survival`,
  :func:`median_follow_up` (``survfit``);
- :mod:`~helpers.stats.survival.logrank`: :func:`logrank_test` (``survdiff``), :func:`logrank_z` (its signed
  two-sample square root);
- :mod:`~helpers.stats.survival.coxph`: :func:`cox`, :func:`fit_cox`, :class:`CoxFit` (``coxph``,
  Efron or Breslow ties), fitted by :mod:`~helpers.stats.survival._partial_likelihood`;
- :mod:`~helpers.stats.survival.zph`: :func:`cox_ph_test` (``cox.zph``).

Event coding: these are single-event methods.  ``event_col`` holds 1 (event)
and 0 (censored), or booleans.  Any other code -- ADTTE's 2 for a competing
event, say -- is refused with a ``ValueError`` rather than silently counted as
an event or as censoring; competing-risk endpoints belong in
:mod:`helpers.stats.competing_risks`.
"""

from __future__ import annotations

from helpers.stats._checks import OVERALL, ConvergenceWarning
from helpers.stats._counting import CONF_TYPES

from ._partial_likelihood import TIES
from .coxph import CoxFit, cox, fit_cox
from .km import KM_COLUMNS, kaplan_meier, median_follow_up, median_survival, numbers_at_risk
from .logrank import logrank_test, logrank_z
from .zph import cox_ph_test

__all__ = [
    "CONF_TYPES",
    "ConvergenceWarning",
    "KM_COLUMNS",
    "OVERALL",
    "TIES",
    "CoxFit",
    "cox",
    "cox_ph_test",
    "fit_cox",
    "kaplan_meier",
    "logrank_test",
    "logrank_z",
    "median_follow_up",
    "median_survival",
    "numbers_at_risk",
]
