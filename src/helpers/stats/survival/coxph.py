"""Cox proportional hazards models, as R's ``coxph``, on the project's cumulative-sum machinery.

Efron (R's default) or Breslow (SAS PHREG's default) ties, strata, treatment contrasts and
two-way interactions; what cannot be estimated is reported as NaN with a ``note``, never as 0
or infinity.  The fit itself is :class:`~helpers.stats.survival._partial_likelihood.PartialLikelihood`
(sorted once, risk-set sums by reverse cumulative sums, Newton-Raphson), the algorithm of
:func:`helpers.stats.competing_risks.fine_gray`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg

from helpers.stats._checks import Design, check_columns, require_frame, treatment_design
from helpers.stats._counting import z_quantile
from helpers.stats._regression import WaldTests, diverging, parse_formula, tidy_summary

from ._data import durations, events01
from ._partial_likelihood import TIES, PartialLikelihood

__all__ = ["CoxFit", "cox", "fit_cox"]

# coxph.control(): eps and toler.inf = sqrt(eps), used for R's "coefficient may be
# infinite" check on the Newton step left at the solution
_COXPH_EPS = 1e-9
_TOLER_INF = _COXPH_EPS**0.5


@dataclass(frozen=True)
class CoxFit(WaldTests):
    """A fitted Cox model: the tidy summary of :func:`cox` plus what Wald and zph tests need.

    The same shape as :class:`helpers.stats.competing_risks.FineGrayResult` (``docs/CONVENTIONS.md``).

    Attributes
    ----------
    summary : pandas.DataFrame
        ``term, coef, std_error, hr, conf_low, conf_high, statistic, p_value, note``, one row
        per term; every number NaN where ``note`` starts with "not estimable".
    terms : tuple of str
        Model-matrix columns (``"ARM[Drug]"``, ``"AGE"``, ``"ARM[Drug]:DIAG[MDS]"``).
    coef : pandas.Series
        Log hazard ratios by term: the last Newton-Raphson iterate, also for a diverging term;
        NaN for a term set aside before fitting (a level without events).
    vcov : pandas.DataFrame
        Inverse information over ``terms`` (NaN rows and columns for terms not fitted).
    term_sources : dict
        Term -> the covariate or interaction (``"ARM:DIAG"``) that produced it.
    ties : {"efron", "breslow"}
    conf_level : float
    loglik, loglik_null : float
        Log partial likelihood at ``coef`` and at 0 (R's ``fit$loglik``), over the patients
        fitted.
    n_iter : int
        Newton-Raphson steps.
    converged : bool
        False if Newton-Raphson failed or a coefficient diverges.
    n, n_events : int
        Patients and events fitted (after setting aside the event-free levels).
    infinite_terms : tuple of str
        Fitted terms whose coefficient diverges (coxph's "coefficient may be infinite").
    dropped_rows : int
        Patients set aside because their level or interaction cell has no events.
    design, X, time, event, strata
        The design, the model matrix fitted and its outcome and stratum labels
        (:func:`helpers.stats.survival.cox_ph_test` refits from these).
    """

    summary: pd.DataFrame
    terms: tuple[str, ...]
    coef: pd.Series
    vcov: pd.DataFrame
    term_sources: dict[str, str] = field(repr=False)
    ties: str
    conf_level: float
    loglik: float
    loglik_null: float
    n_iter: int
    converged: bool
    n: int
    n_events: int
    infinite_terms: tuple[str, ...]
    dropped_rows: int
    design: Design = field(repr=False)
    X: pd.DataFrame = field(repr=False)
    time: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    strata: np.ndarray = field(repr=False)

    def _variance(self, robust: bool | None) -> np.ndarray:
        if robust:
            raise ValueError("robust=True; a Cox fit has the model-based variance only (robust=None or False)")
        return self.vcov.to_numpy()


def _model_terms(
    covariates: Sequence[str] | str, interactions: Sequence[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    """Covariates, interactions and forced factors from lists or a formula string."""
    if isinstance(covariates, str):
        covs, formula_interactions, forced = parse_formula(covariates)
    else:
        covs, formula_interactions, forced = list(covariates), [], set()
    pairs = [tuple(p) for p in [*formula_interactions, *interactions]]
    if len(covs) == 0:
        raise ValueError("covariates=[]; expected at least one covariate")
    for pair in pairs:
        if len(pair) != 2 or any(p not in covs for p in pair):
            raise ValueError(f"interactions holds {pair!r}; expected pairs of names listed in covariates")
    return covs, pairs, forced  # type: ignore[return-value]


def _check_model_inputs(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str],
    strata: str | Sequence[str] | None,
) -> list[str]:
    data = require_frame(data)
    strata_cols = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    check_columns(data, duration_col=duration_col, event_col=event_col)
    for c in list(covariates) + strata_cols:
        check_columns(data, covariates=c)
    for c in list(covariates) + strata_cols:
        n_na = int(data[c].isna().sum())
        if n_na:
            raise ValueError(
                f"covariate {c!r} holds {n_na} missing value(s); expected complete data "
                "(drop those rows first and report how many)"
            )
    return strata_cols


def _nonestimable(
    design: Design, e: np.ndarray, interactions: Sequence[tuple[str, str]]
) -> tuple[np.ndarray, dict[str, str], list[str]]:
    """Rows and columns to set aside because their coefficient is infinite.

    A level whose patients have no events gives a monotone likelihood: its
    coefficient tends to minus infinity.  In the limit those patients leave every
    risk set, so the other coefficients equal a fit without them (what R's
    ``coxph`` approaches while warning "coefficient may be infinite").  If the
    reference level has no events, every contrast of that covariate is infinite.
    """
    keep = np.ones(len(e), dtype=bool)
    notes: dict[str, str] = {}
    drop_cols: list[str] = []
    X = design.X
    for cov, lv_cols in design.factor_columns.items():
        ref = design.reference[cov]
        ref_rows = np.ones(len(e), dtype=bool)
        for col in lv_cols.values():
            ref_rows &= X[col].to_numpy() == 0
        if e[ref_rows].sum() == 0:
            keep &= ~ref_rows
            for col in lv_cols.values():
                notes[col] = f"not estimable: no events in reference level {ref!r} of {cov}"
                drop_cols.append(col)
            continue
        for lv, col in lv_cols.items():
            rows = X[col].to_numpy() == 1
            if e[rows].sum() == 0:
                keep &= ~rows
                notes[col] = f"not estimable: no events in level {lv!r} of {cov}"
                drop_cols.append(col)
    # factor x factor cells without events: same limit argument, column by column.  Only
    # there is the product a 0/1 indicator of a cell; a numeric x factor product is an
    # ordinary covariate whose value 1 means nothing special
    for col, term in design.term_of.items():
        if ":" not in term or col in drop_cols:
            continue
        a, b = term.split(":", 1)
        if a not in design.factor_columns or b not in design.factor_columns:
            continue
        in_cell = X[col].to_numpy() != 0
        rows = in_cell & keep
        if rows.any() and e[rows].sum() == 0:
            keep &= ~in_cell
            notes[col] = f"not estimable: no events among patients with {col}"
            drop_cols.append(col)
    return keep, notes, drop_cols


def _stratum_codes(data: pd.DataFrame, strata_cols: list[str]) -> np.ndarray:
    """One integer code per combination of the stratification columns."""
    if not strata_cols:
        return np.zeros(len(data), dtype=np.int64)
    return data.groupby(strata_cols, sort=True, observed=True, dropna=False).ngroup().to_numpy(dtype=np.int64)


def fit_cox(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str] | str,
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    ties: str = "efron",
    conf_level: float = 0.95,
) -> CoxFit:
    """Fit a Cox model, as R's ``coxph``; :func:`cox` returns its ``summary``.

    Parameters and the handling of terms that cannot be estimated: see :func:`cox`.

    Returns
    -------
    CoxFit
    """
    if ties not in TIES:
        raise ValueError(f"{ties=}; expected one of {TIES} (R's coxph(ties=))")
    z = z_quantile(conf_level)
    covs, pairs, forced = _model_terms(covariates, interactions)
    strata_cols = _check_model_inputs(data, duration_col, event_col, covs, strata)
    t = durations(data, duration_col)
    e = events01(data, event_col)
    design = treatment_design(data, covs, pairs, forced)
    s_codes = _stratum_codes(data, strata_cols)
    keep, notes, drop_cols = _nonestimable(design, e, pairs)
    X = design.X.loc[keep, [c for c in design.X.columns if c not in drop_cols]]
    # columns left constant (or all-zero) once rows are set aside carry no information
    for col in list(X.columns):
        if X[col].nunique() <= 1:
            notes.setdefault(col, f"not estimable: {col} does not vary among patients with events")
            X = X.drop(columns=col)
    # a factor whose reference rows left: drop one more column to avoid aliasing
    for lv_cols in design.factor_columns.values():
        present = [c for c in lv_cols.values() if c in X.columns]
        if present and all(c in notes for c in lv_cols.values()):
            X = X.drop(columns=present[0])
    tk, ek, sk = t[keep], e[keep], s_codes[keep]
    terms = tuple(design.X.columns)
    b_all = pd.Series(np.nan, index=list(terms))
    v_all = pd.DataFrame(np.nan, index=list(terms), columns=list(terms))
    loglik = loglik_null = np.nan
    n_iter, converged = 0, False
    infinite: tuple[str, ...] = ()
    if X.shape[1] > 0 and ek.sum() > 0:
        fitted = list(X.columns)
        problem = PartialLikelihood(tk, ek, X.to_numpy(dtype=float), sk, ties)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            loglik_null = problem.loglik(np.zeros(len(fitted)))
            b, loglik, score, info, n_iter, converged = problem.newton()
        try:
            vcov = linalg.inv(info)
            if not np.isfinite(vcov).all():
                raise linalg.LinAlgError("non-finite inverse")
        except (linalg.LinAlgError, ValueError):
            vcov = np.full((len(fitted), len(fitted)), np.nan)
            converged = False
        b_all[fitted] = b
        v_all.loc[fitted, fitted] = (vcov + vcov.T) / 2
        if not converged:
            # a partial likelihood without a finite maximum (e.g. separation by a continuous
            # covariate) or a singular information matrix: nothing to report
            for col in fitted:
                notes[col] = (
                    "not estimable: Cox partial likelihood has no finite maximum (Newton-Raphson did not converge)"
                )
        else:
            flagged = diverging(vcov @ score, b, _TOLER_INF)
            infinite = tuple(col for col, bad in zip(fitted, flagged, strict=True) if bad)
            for col in infinite:
                notes[col] = f"not estimable: coefficient of {col} diverges (monotone likelihood)"
            converged = not infinite
    note_list = [
        notes.get(col, "" if col in X.columns and ek.sum() > 0 else "not estimable: no events left to fit")
        for col in terms
    ]
    summary = tidy_summary(terms, b_all.to_numpy(), np.sqrt(np.diag(v_all.to_numpy())), note_list, z)
    return CoxFit(
        summary=summary,
        terms=terms,
        coef=b_all,
        vcov=v_all,
        term_sources=dict(design.term_of),
        ties=ties,
        conf_level=conf_level,
        loglik=float(loglik),
        loglik_null=float(loglik_null),
        n_iter=int(n_iter),
        converged=bool(converged),
        n=int(keep.sum()),
        n_events=int(ek.sum()),
        infinite_terms=infinite,
        dropped_rows=int((~keep).sum()),
        design=design,
        X=X,
        time=tk,
        event=ek,
        strata=sk,
    )


def cox(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str] | str,
    *,
    strata: str | Sequence[str] | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    ties: str = "efron",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Cox proportional hazards model, as R's ``coxph(ties = "efron")`` or ``"breslow"``.

    Fitted on the project's cumulative-sum machinery (sorted once; risk-set sums by reverse
    cumulative sums; Newton-Raphson from 0 with step halving, as coxph, until the log partial
    likelihood changes by less than 1e-12 relatively), O(n log n); the standard errors are the
    inverse observed information, Wald z and two-sided normal p-values, exactly R's
    ``summary(coxph)``.

    Categorical covariates (pandas categorical, object or string) are coded as
    R's treatment contrasts: the first level (categorical order, else sorted)
    is the reference and each other level a term ``COL[level]``.  Numeric and
    bool covariates enter linearly as term ``COL``.  An interaction ``(a, b)`` adds the products
    of their columns, named ``a_term:b_term`` (``ARM[Drug]:DIAG[MDS]``).

    Hazard ratios that are not estimable are reported as NaN with a ``note``,
    never as 0 or infinity.  A level with no events (or a reference level with
    no events) makes the likelihood monotone: the coefficient runs to -infinity
    (+infinity) while R's coxph warns "coefficient may be infinite".  Those
    patients are set aside (the exact limit of the likelihood) and the remaining
    terms are fitted without them; an interaction cell without events is
    handled the same way.  Any other coefficient that still diverges (R's
    coxph test: the Newton step left at the solution, ``|u' I^-1|``, is not
    negligible against ``|coef|``) is also reported as not estimable, and
    if Newton-Raphson does not converge at all (a partial likelihood without a
    finite maximum, e.g. separation by a continuous covariate) every term is.

    Parameters
    ----------
    data : DataFrame
        One row per patient; covariates and strata must be complete.
    duration_col, event_col : str
        Time and 0/1 event indicator (for a cause-specific hazard, recode the
        cause of interest to 1 and the others to 0 first).
    covariates : sequence of str or str
        Columns entering the linear predictor, or a formula string as
        :func:`helpers.stats.competing_risks.fine_gray` takes: ``"ARM + AGE + C(DONOR) + ARM:DIAG"``
        (``C(x)`` forces categorical coding, ``a*b`` is ``a + b + a:b``).
    strata : str or sequence of str, optional
        Stratification columns (separate baseline hazards), R's ``strata()``.
    interactions : sequence of (str, str)
        Pairs of covariates whose interaction terms are added (both must be covariates).
    ties : {"efron", "breslow"}
        Handling of tied event times: Efron's approximation (R's default) or Breslow's
        (SAS PHREG's default; ``coxph(ties = "breslow")``).
    conf_level : float
        Level of the Wald interval of the hazard ratio.

    Returns
    -------
    DataFrame
        ``term, coef, std_error, hr, conf_low, conf_high, statistic, p_value,
        note``; ``note`` is empty when the term is estimable.
    """
    return fit_cox(
        data,
        duration_col,
        event_col,
        covariates,
        strata=strata,
        interactions=interactions,
        ties=ties,
        conf_level=conf_level,
    ).summary
