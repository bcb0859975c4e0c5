"""Cox's partial likelihood by cumulative sums: Efron or Breslow ties, strata, Newton-Raphson.

The same machinery as :mod:`helpers.stats.competing_risks.fine_gray`: the data are sorted once by
stratum and time; every risk-set sum ``sum_{T_j >= t} f_j exp(eta_j)`` of the features
``f = (1, x, x x')`` is a reverse cumulative sum read at the first subject of each block of
tied times, and the sums over the tied events of a block are one ``reduceat``.  Efron's
approximation (R ``coxph``'s default) uses, for the k-th of the d tied events of a block
(k = 0 .. d-1), the risk-set sums minus ``k / d`` of the tied events' sums; Breslow's (SAS
PHREG's default, ``coxph(ties = "breslow")``) uses the full risk set d times.  One evaluation
of the log partial likelihood, score and information costs O(n p^2); with the initial sort a
fit is O(n log n).  Unit case weights, as every caller here.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from helpers.stats._counting import tied_blocks

#: Ties methods offered, named as R's ``coxph(ties=)``.
TIES = ("efron", "breslow")


class PartialLikelihood:
    """Sorted data and everything about them that does not depend on the coefficients."""

    def __init__(self, time: np.ndarray, event: np.ndarray, x: np.ndarray, strata: np.ndarray, ties: str) -> None:
        order = np.lexsort((time, strata))
        self.order = order
        self.t = t = time[order]
        self.s = s = strata[order]
        ev = event[order] > 0
        self.x = x = x[order] - (x.mean(axis=0) if len(x) else 0.0)  # centring: better conditioned
        n, p = x.shape
        self.n, self.p = n, p
        # blocks of tied times never span two strata
        self.block, self.starts = block, starts = tied_blocks(t, s)
        self.stratum_bounds = np.r_[np.flatnonzero(np.r_[True, s[1:] != s[:-1]]), n] if n else np.array([0])
        self.ev_idx = ev_idx = np.flatnonzero(ev)
        ev_block = block[ev_idx]
        # one row per event: its block, and the fraction of the tied events removed (Efron)
        first = np.r_[True, ev_block[1:] != ev_block[:-1]] if len(ev_idx) else np.zeros(0, bool)
        self.ev_block_starts = np.flatnonzero(first)  # into ev_idx: first event of each event block
        self.ev_blocks = ev_block[self.ev_block_starts]  # the blocks holding events
        d = np.diff(np.r_[self.ev_block_starts, len(ev_idx)])
        self.d = d
        row_of_block = np.repeat(np.arange(len(d)), d)  # event row -> event block
        self.row_block = row_of_block
        if ties == "efron":
            rank = np.arange(len(ev_idx)) - np.repeat(self.ev_block_starts, d)
            self.frac = rank / np.repeat(d, d)
        else:
            self.frac = np.zeros(len(ev_idx))
        self.sum_x_events = x[ev_idx].sum(axis=0)
        self.iu = iu = np.triu_indices(p)
        self.features = np.hstack([np.ones((n, 1)), x, x[:, iu[0]] * x[:, iu[1]]])
        self.row_stratum = np.searchsorted(self.stratum_bounds, self.starts[self.ev_blocks], side="right") - 1
        self.ev_row_stratum = self.row_stratum[row_of_block]

    # -- risk-set sums ----------------------------------------------------------------------
    def _sums(self, b: np.ndarray, upto: int, extra: np.ndarray | None = None):
        """Per event row: risk-set sums minus the Efron fraction of the tied events' sums.

        Returns the (events x features) sums, ``exp(eta - shift)``, and per-event-row shifts.
        """
        eta = self.x @ b
        f = self.features[:, :upto] if extra is None else extra
        e = np.empty(self.n)
        shifts = np.empty(len(self.stratum_bounds) - 1)
        risk = np.empty((len(self.starts), f.shape[1]))
        for k in range(len(shifts)):
            lo, hi = self.stratum_bounds[k], self.stratum_bounds[k + 1]
            shifts[k] = eta[lo:hi].max()
            e[lo:hi] = np.exp(eta[lo:hi] - shifts[k])
            fe = f[lo:hi] * e[lo:hi, None]
            suffix = np.cumsum(fe[::-1], axis=0)[::-1]
            b_lo, b_hi = self.block[lo], self.block[hi - 1] + 1
            risk[b_lo:b_hi] = suffix[self.starts[b_lo:b_hi] - lo]
        fe_ev = f[self.ev_idx] * e[self.ev_idx, None]
        tied = np.add.reduceat(fe_ev, self.ev_block_starts, axis=0) if len(fe_ev) else fe_ev
        rows = risk[self.ev_blocks][self.row_block] - self.frac[:, None] * tied[self.row_block]
        return rows, eta, shifts[self.ev_row_stratum]

    def loglik(self, b: np.ndarray) -> float:
        rows, eta, shift = self._sums(b, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(eta[self.ev_idx].sum() - np.sum(np.log(rows[:, 0]) + shift))

    def derivatives(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log partial likelihood, score and information at ``b``."""
        p = self.p
        rows, eta, shift = self._sums(b, self.features.shape[1])
        s0 = rows[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = rows[:, 1 : 1 + p] / s0[:, None]
            second = (rows[:, 1 + p :] / s0[:, None]).sum(axis=0)
            lik = float(eta[self.ev_idx].sum() - np.sum(np.log(s0) + shift))
        info = np.zeros((p, p))
        info[self.iu] = second
        info[self.iu[1], self.iu[0]] = second
        info -= mean.T @ mean
        score = self.sum_x_events - mean.sum(axis=0)
        return lik, score, info

    def time_varying_score(self, b: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score and 2p x 2p information with the terms ``x * g(t)`` added, at ``(b, 0)``.

        ``g`` holds ``g(T_i)`` for each subject, in the order of the data as given (only the
        events' values are used).  This is
        survival's C routine ``zph1`` (what ``cox.zph`` tests), vectorised: at an event time
        the added covariates of everyone at risk are ``x g(t)``, so their sums are ``g(t)``
        times the ordinary ones.
        """
        p = self.p
        rows, _, _ = self._sums(b, self.features.shape[1])
        s0 = rows[:, 0]
        mean = rows[:, 1 : 1 + p] / s0[:, None]
        second = rows[:, 1 + p :] / s0[:, None]
        g = np.asarray(g, dtype=float)[self.order[self.ev_idx]]
        x_ev = self.x[self.ev_idx]
        u = np.zeros(2 * p)
        u[:p] = self.sum_x_events - mean.sum(axis=0)
        u[p:] = (g[:, None] * (x_ev - mean)).sum(axis=0)
        imat = np.zeros((2 * p, 2 * p))
        for weight, (r, c) in ((np.ones_like(g), (0, 0)), (g, (0, p)), (g * g, (p, p))):
            v = np.zeros((p, p))
            sec = (weight[:, None] * second).sum(axis=0)
            v[self.iu] = sec
            v[self.iu[1], self.iu[0]] = sec
            v -= (mean * weight[:, None]).T @ mean
            imat[r : r + p, c : c + p] = v
        imat[p:, :p] = imat[:p, p:].T
        return u, imat

    # -- Newton-Raphson -------------------------------------------------------------------
    def newton(self, max_iter: int = 100, tol: float = 1e-12):
        """Maximise from b = 0 with step halving, as ``coxph``; to full convergence.

        Stops when the log partial likelihood changes by less than ``tol`` relatively (coxph's
        rule, with ``eps = 1e-9`` there).  Returns ``(b, loglik, score, information, n_iter,
        converged)``; ``converged`` is False when the iteration limit is reached, step halving
        fails or the information matrix is singular.
        """
        b = np.zeros(self.p)
        lik, score, info = self.derivatives(b)
        for it in range(1, max_iter + 1):
            try:
                step = linalg.solve(info, score, assume_a="sym")
            except (linalg.LinAlgError, ValueError):
                return b, lik, score, info, it - 1, False
            if not np.isfinite(step).all():
                return b, lik, score, info, it - 1, False
            new_b = b + step
            new = self.derivatives(new_b)
            halvings = 0
            while not np.isfinite(new[0]) or new[0] < lik - 1e-13 * max(abs(lik), 1.0):
                halvings += 1
                if halvings > 30:
                    return b, lik, score, info, it, False
                step = step / 2
                new_b = b + step
                new = self.derivatives(new_b)
            done = abs(new[0] - lik) <= tol * max(abs(new[0]), 1.0)
            b = new_b
            lik, score, info = new
            if done:
                return b, lik, score, info, it, True
        return b, lik, score, info, max_iter, False
