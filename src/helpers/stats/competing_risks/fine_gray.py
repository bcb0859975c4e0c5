"""Fine-Gray proportional subdistribution hazards model, matching ``cmprsk::crr``.

The model (Fine and Gray 1999, JASA 94:496-509) is fitted exactly as cmprsk 2.2-11 ``crr``
fits it -- same inverse-probability-of-censoring weights, same Breslow handling of ties, same
Newton-Raphson path and stopping rule, same robust (sandwich) and naive variances -- but every
risk-set sum is computed with cumulative sums over the time-sorted data, as in the
forward-backward scan of Kawaguchi et al. (2020, Biometrics 76:1186, R package fastcmprsk).
One likelihood, score and information evaluation costs O(n p^2), the robust variance also;
with the initial sort the whole fit is O(n log n), where crr is O(n^2) per iteration.

What crr computes (read from cmprsk's ``crr.R`` and the Fortran ``crrfsv``, ``crrf``,
``crrvv``), for a cause of interest and ``cengroup`` groups g:

* ``G_g(t-)``: the Kaplan-Meier estimate of the censoring distribution within group g
  (``survfit(Surv(ftime, fstatus == cencode) ~ 1)``, events of any cause counting as
  "censored" for it), evaluated at ``t * (1 - 100 eps)`` so that censorings tied with t are
  excluded; at time 0 the censorings at 0 are included, and beyond ``max(t in g) * (1 + 10
  eps)`` the estimate is 0 (crr's ``approx`` call).
* Weights at an event time t: 1 for a subject still under observation (``T_i >= t``, any
  status); ``G_g(t-) / G_g(T_i-)`` for a subject of group g who failed from a competing cause
  before t; 0 for a subject censored before t.
* Log pseudo-likelihood with Breslow ties:
  ``sum over cause events i of [x_i b - log sum_j w_j(T_i) exp(x_j b)]``.
* Newton-Raphson from b = 0 with step halving (Armijo constant 1e-4, at most 20 halvings);
  it stops when ``max(|score| * max(|b|, 1)) < max(|loglik|, 1) * tol``.
* Robust variance ``I^-1 (sum_i u_i u_i') I^-1`` with u_i = eta_i + psi_i, eta_i the score
  residual and psi_i the term for the estimated censoring distribution (Fine and Gray 1999,
  section 3). With ``cengroup``, crr's psi for group g uses only the cause events of group g
  (Fortran ``crrvv``, ``qu(k, icg(j1))``); this is reproduced, not corrected.
* Naive variance: the inverse of the information matrix (crr's ``invinf``).

Deliberate differences from crr: the defaults are ``tol=1e-9, max_iter=50`` (crr: ``gtol=1e-6,
maxiter=10``), so estimates are converged to all printed digits; ``tol=1e-6, max_iter=10``
reproduces crr's own stopping point. Near the solution, when a Newton step's predicted
decrease of the log-likelihood is below 1e-10 of its size, the step is taken without crr's
step-halving test, which would otherwise compare rounding noise and could stop with
``converged=FALSE`` (or, in crr, depend on the row order). Missing covariates raise an error instead of being
dropped silently (``dropna=True`` drops them, as crr's ``na.omit``). Time-varying covariates
(crr's ``cov2``/``tf``) are not supported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import linalg

from helpers.stats._checks import ConvergenceWarning, treatment_design
from helpers.stats._counting import risk_table, z_quantile
from helpers.stats._regression import WaldTests, diverging, parse_formula, tidy_summary

from ._validate import check_columns, check_competing_risks_input, encode_groups

__all__ = ["ConvergenceWarning", "FineGrayConvergenceWarning", "FineGrayResult", "fine_gray"]

_EPS = np.finfo(np.float64).eps


class FineGrayConvergenceWarning(ConvergenceWarning):
    """Newton-Raphson did not converge, or a coefficient is drifting to +/- infinity.

    A subclass of :class:`helpers.stats._checks.ConvergenceWarning`: filter by that class.
    """


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FineGrayResult(WaldTests):
    """A fitted Fine-Gray model (what ``cmprsk::crr`` returns, in tidy form).

    The same shape as :class:`helpers.stats.survival.CoxFit` (``docs/CONVENTIONS.md``): ``summary``,
    ``terms``, ``coef`` (Series by term), ``vcov``, ``term_sources``, ``wald_test(terms, *,
    robust=None)``, ``columns_of(source)``, ``converged``, ``n_iter``, ``loglik``.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per term: ``term, coef, std_error, hr, conf_low, conf_high, statistic,
        p_value, note`` (``statistic`` is the Wald z; ``std_error`` is robust unless
        ``robust=False``; ``conf_low``/``conf_high`` bound the subdistribution hazard ratio).
        ``note`` means what it means in :func:`helpers.stats.survival.cox`: empty when the term is
        estimable, else ``"not estimable: <why>"`` with every number of the row NaN (a
        coefficient drifting to infinity, a fit that did not converge, a singular
        information matrix). Nothing is reported as 0 or infinity.
    terms : tuple of str
        Term names, e.g. ``("ARM[Drug]", "AGE", "ARM[Drug]:DIAG[AML]")``.
    coef : pandas.Series
        Log subdistribution hazard ratios by term (crr's ``coef``): the raw last Newton-Raphson
        iterate, also for terms that are not estimable (``summary`` shows NaN for those).
    vcov : pandas.DataFrame
        The variance ``summary`` uses (``var`` if ``robust``, else ``var_naive``), over ``terms``.
    var : numpy.ndarray
        Robust sandwich variance (crr's ``var``).
    var_naive : numpy.ndarray
        Inverse information (crr's ``invinf``); NaN if the information matrix is singular.
    information : numpy.ndarray
        Observed information at ``coef`` (crr's ``inf``).
    loglik, loglik_null : float
        Log pseudo-likelihood at ``coef`` and at 0 (crr's ``loglik``, ``loglik.null``).
    n_iter : int
        Newton-Raphson steps taken.
    converged : bool
        False if the iteration limit was reached, step halving failed, or a coefficient is
        drifting to +/- infinity (monotone likelihood, e.g. a level with no event of the cause).
    n, n_events, n_competing, n_censored : int
        Patients used; events of the cause; events of other causes; censored.
    n_dropped : int
        Rows dropped for missing values (only with ``dropna=True``).
    cause : int
        The cause of interest.
    conf_level : float
    robust : bool
        Whether ``summary`` and :meth:`wald_test` use the robust variance.
    term_sources : dict
        Term -> the covariate or interaction ("ARM:DIAG") that produced it.
    infinite_terms : tuple of str
        Terms whose coefficient drifts to +/- infinity (see ``fine_gray``'s Warns); their
        ``coef``, ``std_error``, ``hr``, confidence limits, ``statistic`` and ``p_value`` in
        ``summary`` are NaN with a ``note``; the last iterate stays in :attr:`coef`.
    """

    summary: pd.DataFrame
    terms: tuple[str, ...]
    coef: pd.Series
    vcov: pd.DataFrame
    var: np.ndarray
    var_naive: np.ndarray
    information: np.ndarray
    loglik: float
    loglik_null: float
    n_iter: int
    converged: bool
    n: int
    n_events: int
    n_competing: int
    n_censored: int
    n_dropped: int
    cause: int
    conf_level: float
    robust: bool
    term_sources: dict[str, str] = field(repr=False)
    infinite_terms: tuple[str, ...] = ()

    def _variance(self, robust: bool | None) -> np.ndarray:
        return self.var if (self.robust if robust is None else robust) else self.var_naive


# --------------------------------------------------------------------------------------------
# Design matrix
# --------------------------------------------------------------------------------------------
def _design(
    data: pd.DataFrame,
    covariates: Sequence[str],
    interactions: Sequence[tuple[str, ...]],
    forced: set[str],
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Treatment contrasts as :func:`helpers.stats.survival.cox` builds them (:mod:`helpers.stats._checks`)."""
    design = treatment_design(data, covariates, interactions, forced)
    for cov, lv_cols in design.factor_columns.items():
        if not lv_cols:
            raise ValueError(
                f"covariate {cov!r} has the single level {[design.reference[cov]]!r}; expected at least two levels"
            )
    return design.X.to_numpy(dtype=np.float64), design.terms, dict(design.term_of)


def _check_design(x: np.ndarray, terms: list[str]) -> None:
    """Refuse constant or linearly dependent terms: crr would fail in ``solve``."""
    if not np.isfinite(x).all():
        bad = [t for t, ok in zip(terms, np.isfinite(x).all(axis=0), strict=True) if not ok]
        raise ValueError(f"terms {bad} hold infinite values; expected finite covariates")
    sd = x.std(axis=0)
    const = [t for t, s in zip(terms, sd, strict=True) if s == 0]
    if const:
        raise ValueError(f"terms {const} are constant over the patients used; expected varying covariates")
    z = (x - x.mean(axis=0)) / sd
    eigval, eigvec = np.linalg.eigh(z.T @ z / len(z))
    if eigval[0] < 1e-10 * max(eigval[-1], 1.0):
        involved = [t for t, w in zip(terms, eigvec[:, 0], strict=True) if abs(w) > 1e-6]
        raise ValueError(f"terms {involved} are linearly dependent (aliased); expected a design of full column rank")


# --------------------------------------------------------------------------------------------
# crr's pseudo-likelihood by cumulative sums
# --------------------------------------------------------------------------------------------
def _censoring_km_left(time: np.ndarray, censored: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Censoring Kaplan-Meier just before ``at``, exactly as crr's ``survfit`` + ``approx`` call."""
    tab = risk_table(time, censored)
    surv = np.r_[1.0, tab.surv]
    x = at * (1.0 - 100.0 * _EPS)
    g = surv[np.searchsorted(tab.time, x, side="right")]
    g[x >= tab.time[-1] * (1.0 + 10.0 * _EPS)] = 0.0
    return g


class _Problem:
    """Time-sorted data and everything about it that does not depend on the coefficients."""

    def __init__(self, time: np.ndarray, status: np.ndarray, x: np.ndarray, group: np.ndarray) -> None:
        order = np.argsort(time, kind="stable")
        self.t = t = time[order]
        self.status = s = status[order]  # 1 cause, 2 competing, 0 censored
        self.g = g = group[order]
        self.ncg = int(g.max()) + 1
        # centring changes neither estimates, likelihood nor variances, but keeps exp() and
        # the moment differences well conditioned
        self.x = x = x[order] - x.mean(axis=0)
        n, p = x.shape
        self.n, self.p = n, p

        new_block = np.r_[True, t[1:] != t[:-1]]
        self.block = block = np.cumsum(new_block) - 1
        self.nb = nb = int(block[-1]) + 1
        self.starts = np.flatnonzero(new_block)
        is_event = s == 1
        self.d_block = np.bincount(block, weights=is_event, minlength=nb)
        self.ev_blocks = np.flatnonzero(self.d_block > 0)
        self.d = self.d_block[self.ev_blocks]
        self.sum_x_events = x[is_event].sum(axis=0)
        self.is_event = is_event

        # censoring KM by group: at each event block for every group, at each subject for its own
        t_ev = t[self.starts[self.ev_blocks]]
        self.g_ev = np.empty((len(self.ev_blocks), self.ncg))
        self.g_self = np.ones(n)
        self.comp = []  # per group: indices (sorted) of competing-cause subjects
        for k in range(self.ncg):
            in_g = g == k
            self.g_ev[:, k] = _censoring_km_left(t[in_g], s[in_g] == 0, t_ev)
            self.g_self[in_g] = _censoring_km_left(t[in_g], s[in_g] == 0, t[in_g])
            self.comp.append(np.flatnonzero(in_g & (s == 2)))

        iu = np.triu_indices(p)
        self.iu = iu
        # rows 1, x, upper triangle of x x'; stored (features, subjects) and in reverse time
        # order so that a forward cumulative sum along contiguous memory gives, at subject i,
        # the sum over all subjects with T_j >= T_i
        features = np.vstack([np.ones(n), x.T, x[:, iu[0]].T * x[:, iu[1]].T])
        self.features_rev = np.ascontiguousarray(features[:, ::-1])
        self.n_features = features.shape[0]
        self.ev_rev = n - 1 - self.starts[self.ev_blocks]  # first subject of each event block
        # competing subjects: features / G(T_i-), and how many precede each event block
        self.comp_features = [np.ascontiguousarray(features[:, idx] / self.g_self[idx]) for idx in self.comp]
        self.comp_before_ev = [np.searchsorted(block[idx], self.ev_blocks, side="left") for idx in self.comp]

    # -- risk-set moments at every event block --------------------------------------------
    def _moments(self, b: np.ndarray, upto: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Weighted sums S0, S1, S2 (first ``upto`` feature rows) at the event blocks.

        ``S(t) = sum_{T_j >= t} f_j e_j + sum_g G_g(t-) sum_{j in g, competing, T_j < t}
        f_j e_j / G_g(T_j-)``: one reverse and one forward cumulative sum. Returns the moments
        (event blocks x features), ``e = exp(eta - shift)`` and the shift.
        """
        eta = self.x @ b
        shift = float(eta.max())
        e = np.exp(eta - shift)
        suffix = np.cumsum(self.features_rev[:upto] * e[::-1], axis=1)
        moments = suffix[:, self.ev_rev].T.copy()
        for k, idx in enumerate(self.comp):
            if len(idx) == 0:
                continue
            prefix = np.zeros((upto, len(idx) + 1))
            np.cumsum(self.comp_features[k][:upto] * e[idx], axis=1, out=prefix[:, 1:])
            moments += self.g_ev[:, k, None] * prefix[:, self.comp_before_ev[k]].T
        return moments, e, shift

    def _competing_prefix_all_blocks(self, k: int, e: np.ndarray) -> np.ndarray:
        """Per block u: sums of (1, x) e / G(T-) over competing subjects of group k with T < u."""
        idx = self.comp[k]
        prefix = np.zeros((1 + self.p, len(idx) + 1))
        np.cumsum(self.comp_features[k][: 1 + self.p] * e[idx], axis=1, out=prefix[:, 1:])
        before = np.searchsorted(self.block[idx], np.arange(self.nb), side="left")
        return prefix[:, before].T

    def neg_loglik(self, b: np.ndarray) -> float:
        m, _, shift = self._moments(b, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(self.sum_x_events @ b) + np.sum(self.d * (np.log(m[:, 0]) + shift)))

    def derivatives(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, dict]:
        """crr's ``crrfsv``: minus log-likelihood, minus score, information."""
        p = self.p
        m, e, shift = self._moments(b, self.n_features)
        s0 = m[:, 0]
        xbar = m[:, 1 : 1 + p] / s0[:, None]
        s2 = np.zeros((len(s0), p, p))
        s2[:, self.iu[0], self.iu[1]] = m[:, 1 + p :]
        s2[:, self.iu[1], self.iu[0]] = m[:, 1 + p :]
        w = self.d / s0
        info = np.einsum("k,kij->ij", w, s2) - np.einsum("k,ki,kj->ij", self.d, xbar, xbar)
        lik = float(-(self.sum_x_events @ b) + np.sum(self.d * (np.log(s0) + shift)))
        score = self.sum_x_events - self.d @ xbar
        state = {"s0": s0, "xbar": xbar, "e": e}
        return lik, -score, info, state

    # -- crr's crrvv: score residuals and censoring-distribution term --------------------
    def influence(self, state: dict) -> np.ndarray:
        """Rows u_i = eta_i + psi_i whose cross-product is the middle of crr's sandwich."""
        p, n = self.p, self.n
        x, e, block = self.x, state["e"], self.block
        s0, xbar = state["s0"], state["xbar"]
        d = self.d

        # eta_i: dN part
        u = np.zeros((n, p))
        ev_pos = np.searchsorted(self.ev_blocks, block)  # event-block position of own block
        ev = self.is_event
        u[ev] = x[ev] - xbar[ev_pos[ev]]

        # eta_i: d Lambda part, event times t <= T_i (weight 1)
        n_le = np.searchsorted(self.ev_blocks, block, side="right")  # event blocks with t <= T_i
        cum_p = np.r_[0.0, np.cumsum(d / s0)]
        cum_q = np.vstack([np.zeros(p), np.cumsum((d / s0)[:, None] * xbar, axis=0)])
        u -= e[:, None] * (x * cum_p[n_le, None] - cum_q[n_le])

        # eta_i: d Lambda part, event times t > T_i for competing-cause subjects (IPCW weight)
        for k, idx in enumerate(self.comp):
            if len(idx) == 0:
                continue
            c = d * self.g_ev[:, k] / s0
            tail_r = np.r_[np.cumsum(c[::-1])[::-1], 0.0]
            tail_t = np.vstack([np.cumsum((c[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros(p)])
            j = n_le[idx]
            u[idx] -= (e[idx] / self.g_self[idx])[:, None] * (x[idx] * tail_r[j, None] - tail_t[j])

        # psi_i: estimated censoring distribution, per censoring group
        blocks_first = block[self.starts]
        for k in range(self.ncg):
            in_g = self.g == k
            cens = in_g & (self.status == 0)
            if not cens.any():
                continue
            pre = self._competing_prefix_all_blocks(k, e)  # competing subjects of g with T < u
            a_u, b_u = pre[:, 1 : 1 + p], pre[:, 0]
            d_g = np.bincount(block[ev & in_g], minlength=self.nb)[self.ev_blocks]
            c = d_g * self.g_ev[:, k] / s0
            tail_c = np.r_[np.cumsum(c[::-1])[::-1], 0.0]
            tail_d = np.vstack([np.cumsum((c[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros(p)])
            j = np.searchsorted(self.ev_blocks, blocks_first, side="left")  # event times >= u
            q = a_u * tail_c[j, None] - b_u[:, None] * tail_d[j]
            at_risk = np.cumsum(np.bincount(block[in_g], minlength=self.nb)[::-1])[::-1].astype(float)
            n_cens = np.bincount(block[cens], minlength=self.nb)
            with np.errstate(divide="ignore", invalid="ignore"):
                jump = np.where(n_cens[:, None] > 0, n_cens[:, None] * q / at_risk[:, None] ** 2, 0.0)
                ss2 = -np.cumsum(jump, axis=0)
                u[in_g] += ss2[block[in_g]]
                u[cens] += q[block[cens]] / at_risk[block[cens], None]
        return u


def _newton(
    problem: _Problem, tol: float, max_iter: int
) -> tuple[np.ndarray, int, bool, float, np.ndarray, np.ndarray, dict]:
    """crr's Newton-Raphson with step halving, step for step."""
    b = np.zeros(problem.p)
    converged = False
    for it in range(max_iter + 1):
        lik, neg_score, info, state = problem.derivatives(b)
        if np.max(np.abs(neg_score) * np.maximum(np.abs(b), 1.0)) < max(abs(lik), 1.0) * tol:
            converged = True
            break
        if it == max_iter:
            break
        try:
            step = -linalg.solve(info, neg_score, assume_a="sym")
        except (linalg.LinAlgError, ValueError):
            break
        predicted = float(step @ neg_score)
        new_b = b + step
        if abs(predicted) < 1e-10 * max(abs(lik), 1.0):
            # the predicted decrease is below what the summed log-likelihood resolves, so
            # crr's Armijo test would compare rounding noise (and may report non-convergence
            # at a solution): take the Newton step
            b = new_b
            continue
        slope = 1e-4 * predicted
        f_new = problem.neg_loglik(new_b)
        halvings = 0
        while np.isnan(f_new) or f_new > lik + slope:
            halvings += 1
            step = step * 0.5
            slope = slope * 0.5
            new_b = b + step
            f_new = problem.neg_loglik(new_b)
            if halvings > 20:
                break
        if halvings > 20:
            break
        b = new_b
    return b, it, converged, lik, neg_score, info, state


class ArrayFit(NamedTuple):
    """A Fine-Gray fit on arrays (:func:`fit_arrays`): crr's ``coef``, ``var`` (robust) and ``invinf``."""

    coef: np.ndarray
    var: np.ndarray
    var_naive: np.ndarray
    n_iter: int
    converged: bool
    loglik: float
    neg_score: np.ndarray
    information: np.ndarray
    notes: tuple[str, ...]
    problem: _Problem


def fit_arrays(
    time: np.ndarray, status: np.ndarray, x: np.ndarray, group: np.ndarray, *, tol: float = 1e-9, max_iter: int = 50
) -> ArrayFit:
    """The Fine-Gray fit on validated arrays, the computation of :func:`fine_gray` without its frame.

    ``status``: 1 the cause, 2 a competing cause, 0 censored; ``x`` the design matrix (patients x
    terms); ``group`` the censoring groups 0, 1, ... (crr's ``cengroup``). The design simulator
    calls it on each simulated trial; :func:`fine_gray` adds the checks, names and notes.
    """
    problem = _Problem(time, status, x, group)
    # A diverging or singular fit makes risk-set sums 0 or inf on the way; that is detected and
    # reported below (converged, infinite_terms, notes), so numpy's and scipy's warnings are noise.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        b, n_iter, converged, lik, neg_score, info, state = _newton(problem, tol, max_iter)
    notes = [""] * problem.p
    try:
        var_naive = linalg.inv(info)
        if not np.isfinite(var_naive).all():
            raise linalg.LinAlgError("non-finite inverse")
    except (linalg.LinAlgError, ValueError):
        # e.g. a term with no information (it varies only outside every risk set): crr stops
        # in solve(); here the terms are reported without inference
        var_naive = np.full((problem.p, problem.p), np.nan)
        notes = ["not estimable: information matrix is singular"] * problem.p
    var_naive = (var_naive + var_naive.T) / 2
    with np.errstate(divide="ignore", invalid="ignore"):  # NaN or 0 moments after a failed fit
        resid = problem.influence(state)
    var = var_naive @ (resid.T @ resid) @ var_naive
    var = (var + var.T) / 2
    return ArrayFit(b, var, var_naive, n_iter, converged, lik, neg_score, info, tuple(notes), problem)


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------
def fine_gray(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    covariates: Sequence[str] | str,
    *,
    cause: int = 1,
    cengroup_col: str | None = None,
    interactions: Sequence[tuple[str, str]] = (),
    conf_level: float = 0.95,
    robust: bool = True,
    tol: float = 1e-9,
    max_iter: int = 50,
    dropna: bool = False,
) -> FineGrayResult:
    """Fit the Fine-Gray proportional subdistribution hazards model, as ``cmprsk::crr``.

    Matches ``crr(ftime, fstatus, cov1, cengroup, failcode=cause, cencode=0, gtol=tol,
    maxiter=max_iter)`` (cmprsk 2.2-11) in coefficients, log pseudo-likelihood, robust variance
    ``var`` and naive variance ``invinf``, to rounding error, in O(n log n) time (see the
    module docstring for what crr computes and the cumulative-sum algorithm).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient.
    duration_col : str
        Time to the first event or censoring; finite and >= 0.
    event_col : str
        0 = censored, 1, 2, ... = cause of the event.
    covariates : sequence of str or str
        Column names, or a formula-like string ``"ARM + AGE + C(DONOR) + ARM:DIAG"``
        (``C(x)`` forces categorical coding, ``a:b`` adds the interaction, ``a*b`` means
        ``a + b + a:b``). Numeric and bool columns enter as they are. Categorical columns
        (pandas categorical, object or string) are dummy coded against the first level
        (categorical order, unused categories dropped; otherwise sorted), terms named
        ``"DONOR[MUD]"``.
    cause : int
        Event code of the cause of interest (crr's ``failcode``); other non-zero codes are
        competing causes.
    cengroup_col : str, optional
        Column whose values define groups with separate censoring distributions (crr's
        ``cengroup``).
    interactions : sequence of (str, str)
        Pairs of covariates whose products are added after the main effects, terms named
        ``"ARM[Drug]:DIAG[AML]"``. The covariates need not be main effects.
    conf_level : float
        Level of the hazard-ratio confidence intervals (Wald, on the log scale).
    robust : bool
        Whether ``summary`` and ``wald_test`` use the robust variance (crr's default) or the
        naive inverse information. Both are always computed.
    tol : float
        crr's ``gtol``: stop when ``max(|score| * max(|b|, 1)) < max(|loglik|, 1) * tol``.
    max_iter : int
        crr's ``maxiter``: at most this many Newton-Raphson steps.
    dropna : bool
        Drop rows with a missing value in a used column (crr's ``na.action=na.omit``). By
        default such rows raise a ``ValueError``.

    Returns
    -------
    FineGrayResult

    Raises
    ------
    ValueError
        Missing columns or values (unless ``dropna``), invalid times or event codes, no event
        of ``cause``, constant or aliased terms.

    Warns
    -----
    FineGrayConvergenceWarning
        If Newton-Raphson stops without converging, or if at the end a Newton step would still
        move a coefficient by more than ``sqrt(tol) * max(|coef|, 1)`` (the coxph check for an
        infinite coefficient, e.g. a level with no event of the cause). ``converged`` is then
        False; such a term's row in ``summary`` is NaN with a ``note`` (``infinite_terms``
        lists it; ``coef`` keeps the last iterate). A fit that did not converge has a note on
        every row and no numbers in ``summary``.

    Notes
    -----
    With no competing events every weight is 1 or 0 and the model is exactly Cox's partial
    likelihood with Breslow ties: coefficients equal ``coxph(ties="breslow")`` and the robust
    variance equals coxph's ``robust=TRUE`` sandwich (the censoring term psi vanishes).

    References
    ----------
    Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution of a
    competing risk. JASA 94:496-509.
    Kawaguchi ES, Shen JI, Suchard MA, Li G (2020). Scalable algorithms for large competing
    risks data. Biometrics 76:1186 (fastcmprsk's forward-backward scan).
    """
    if isinstance(covariates, str):
        cov_list, formula_interactions, forced = parse_formula(covariates)
    else:
        cov_list, formula_interactions, forced = list(covariates), [], set()
        if not cov_list:
            raise ValueError("covariates is empty; expected at least one column name")
    all_interactions = [tuple(ia) for ia in [*formula_interactions, *interactions]]
    for ia in all_interactions:
        if len(ia) != 2:
            raise ValueError(f"interactions holds {ia!r}; expected pairs of column names")
    crit = z_quantile(conf_level)
    if tol <= 0 or max_iter < 0:
        raise ValueError(f"{tol=}, {max_iter=}; expected tol > 0 and max_iter >= 0")

    check_columns(data, duration_col=duration_col, event_col=event_col, cengroup_col=cengroup_col)
    used = list(dict.fromkeys([*cov_list, *(v for ia in all_interactions for v in ia)]))
    for c in used:
        check_columns(data, covariates=c)

    columns = list(dict.fromkeys([duration_col, event_col, *([cengroup_col] if cengroup_col else []), *used]))
    missing = data[columns].isna()
    n_dropped = 0
    if missing.to_numpy().any():
        if not dropna:
            counts = missing.sum()
            found = ", ".join(f"{c!r} ({int(k)} rows)" for c, k in counts.items() if k > 0)
            raise ValueError(
                f"missing values in {found}; expected complete data "
                "(pass dropna=True to drop these rows, as crr's na.omit does)"
            )
        keep = ~missing.any(axis=1).to_numpy()
        n_dropped = int((~keep).sum())
        data = data.loc[keep]
    if len(data) == 0:
        raise ValueError("no rows left after dropping missing values; expected at least one patient")

    time, event = check_competing_risks_input(
        data[duration_col].to_numpy(),
        data[event_col].to_numpy(),
        duration_name=f"duration_col={duration_col!r}",
        event_name=f"event_col={event_col!r}",
    )
    status = np.where(event == cause, 1, np.where(event == 0, 0, 2))
    n_events = int((status == 1).sum())
    if n_events == 0:
        raise ValueError(
            f"{cause=} has no events in event_col={event_col!r} (codes found: "
            f"{sorted(np.unique(event).tolist())}); expected at least one event of the cause"
        )
    if cengroup_col is not None:
        group, _ = encode_groups(data[cengroup_col], name=f"cengroup_col={cengroup_col!r}")
    else:
        group = np.zeros(len(time), dtype=np.int64)

    x, terms, sources = _design(data.reset_index(drop=True), cov_list, all_interactions, forced)
    _check_design(x, terms)

    fit = fit_arrays(time, status, x, group, tol=tol, max_iter=max_iter)
    b, n_iter, converged, lik, neg_score = fit.coef, fit.n_iter, fit.converged, fit.loglik, fit.neg_score
    var_naive, var, notes, problem = fit.var_naive, fit.var, list(fit.notes), fit.problem
    info = fit.information

    infinite_terms: tuple[str, ...] = ()
    if not converged:
        notes = [note or f"not estimable: Newton-Raphson did not converge in {n_iter} steps" for note in notes]
        warnings.warn(
            f"fine_gray did not converge in {n_iter} Newton-Raphson steps ({tol=}); estimates are the last iterate",
            FineGrayConvergenceWarning,
            stacklevel=2,
        )
    else:
        # coxph's test for a coefficient drifting to infinity: the Newton step at the
        # "converged" point is still large (monotone likelihood, the score decays
        # exponentially while the coefficient grows linearly)
        drifting = diverging(var_naive @ neg_score, b, np.sqrt(tol))
        infinite_terms = tuple(t for t, f in zip(terms, drifting, strict=True) if f)
        notes = [
            note or ("not estimable: coefficient drifts to +/- infinity (monotone pseudo-likelihood)" if f else "")
            for note, f in zip(notes, drifting, strict=True)
        ]
        if drifting.any():
            converged = False
            warnings.warn(
                f"terms {list(infinite_terms)} have coefficients "
                "drifting to +/- infinity (monotone pseudo-likelihood, e.g. a level with no event "
                "of the cause); their estimates and standard errors are meaningless",
                FineGrayConvergenceWarning,
                stacklevel=2,
            )

    loglik_null = -problem.neg_loglik(np.zeros(problem.p))
    v_used = var if robust else var_naive
    # no estimate for a coefficient on its way to infinity, nor for a fit that stopped short:
    # the last iterate and its "standard error" are artefacts of where the iteration stopped
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(v_used))
    summary = tidy_summary(terms, b, se, notes, crit)
    return FineGrayResult(
        summary=summary,
        terms=tuple(terms),
        coef=pd.Series(b, index=list(terms)),
        vcov=pd.DataFrame(v_used, index=list(terms), columns=list(terms)),
        var=var,
        var_naive=var_naive,
        information=info,
        loglik=-lik,
        loglik_null=loglik_null,
        n_iter=n_iter,
        converged=converged,
        n=problem.n,
        n_events=n_events,
        n_competing=int((status == 2).sum()),
        n_censored=int((status == 0).sum()),
        n_dropped=n_dropped,
        cause=int(cause),
        conf_level=conf_level,
        robust=robust,
        term_sources=sources,
        infinite_terms=infinite_terms,
    )
