"""Recursive numerical integration of a group-sequential statistic (Armitage, McPherson and Rowe 1969;
Jennison and Turnbull 2000, ch. 19).

The z statistics Z_1..Z_K at information fractions t_1 < ... < t_K of the maximum have the canonical
joint distribution: the scores S_k = Z_k sqrt(t_k) have independent increments,
S_k - S_{k-1} ~ N(drift (t_k - t_{k-1}), t_k - t_{k-1}), where ``drift`` is E[Z] at full information.
The sub-density of Z_k on the continuation region (a_k, b_k) of every look so far is carried from
look to look on Jennison and Turnbull's grid (6r - 1 points about the mean, denser in the centre,
trimmed to the region, with midpoints for Simpson's rule); crossing probabilities are sums of normal
tails over that grid.  A :class:`Walker` starts from a point mass (Z = 0 at t = 0 for a design, the
observed z at an interim for conditional power).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = ["GRID_R", "Walker"]

#: Grid size parameter r of Jennison and Turnbull (the grid has 6r - 1 points before trimming).
GRID_R = 32
_SQRT_2PI = math.sqrt(2 * math.pi)


def _base_grid(r: int) -> NDArray[np.float64]:
    """Jennison and Turnbull's (19.1) grid for a standard normal, mean 0, 6r - 1 points."""
    i = np.arange(1, 6 * r)
    x = np.empty(i.size)
    left, mid, right = i < r, (i >= r) & (i <= 5 * r), i > 5 * r
    x[left] = -3 - 4 * np.log(r / i[left])
    x[mid] = -3 + 3 * (i[mid] - r) / (2 * r)
    x[right] = 3 + 4 * np.log(r / (6 * r - i[right]))
    return x


_BASE = {GRID_R: _base_grid(GRID_R)}


def simpson_grid(lo: float, hi: float, mean: float, sd: float, r: int = GRID_R) -> tuple[np.ndarray, np.ndarray]:
    """Points and Simpson weights on ``(lo, hi)`` for a density of mean ``mean`` and scale ``sd``.

    The grid's points beyond the region are replaced by its ends; an empty region (``lo >= hi``)
    gives empty arrays.
    """
    base = _BASE.get(r)
    if base is None:
        base = _BASE.setdefault(r, _base_grid(r))
    x = mean + sd * base
    inside = x[(x > lo) & (x < hi)]
    y = inside
    if lo > x[0]:
        y = np.concatenate(([lo], y))
    if hi < x[-1]:
        y = np.concatenate((y, [hi]))
    if y.size < 2:
        if lo < hi and np.isfinite(lo) and np.isfinite(hi):
            y = np.array([lo, hi])
        else:
            return np.empty(0), np.empty(0)
    d = np.diff(y)
    z = np.empty(2 * y.size - 1)
    z[0::2] = y
    z[1::2] = y[:-1] + d / 2
    w = np.zeros(z.size)
    w[0::2][:-1] += d / 6
    w[0::2][1:] += d / 6
    w[1::2] = 4 * d / 6
    return z, w


@dataclass(frozen=True)
class Walker:
    """The sub-density of the statistic at information fraction ``t`` on the paths still running.

    ``z`` are grid points of Z(t), ``mass`` the density times the quadrature weight (so that
    ``mass.sum()`` is the probability of still running), ``drift`` E[Z(1)].
    """

    t: float
    z: np.ndarray
    mass: np.ndarray
    drift: float
    origin: tuple[float, float] = (0.0, 0.0)
    r: int = GRID_R

    @classmethod
    def start(cls, drift: float, *, z: float = 0.0, t: float = 0.0, r: int | None = None) -> Walker:
        """A point mass: Z(t) = z (t = 0: the start of a trial); grid size ``r`` (default
        :data:`GRID_R`, read at the call)."""
        grid = GRID_R if r is None else r
        return cls(float(t), np.array([float(z)]), np.array([1.0]), float(drift), (float(t), z * math.sqrt(t)), grid)

    def _moved(self, t: float, z: np.ndarray, mass: np.ndarray) -> Walker:
        return Walker(t, z, mass, self.drift, self.origin, self.r)

    def _standardise(self, t: float, c: float | np.ndarray) -> np.ndarray:
        """(c sqrt(t) - S(self.t) - drift (t - self.t)) / sqrt(t - self.t) for each grid point."""
        dt = t - self.t
        if not dt > 0:
            raise ValueError(f"information fraction {t} must exceed the previous one ({self.t})")
        s = self.z * math.sqrt(self.t)
        return (np.multiply.outer(np.atleast_1d(c), np.ones(1)) * math.sqrt(t) - s - self.drift * dt) / math.sqrt(dt)

    def above(self, t: float, c: float) -> float:
        """P(Z(t) >= c, still running now)."""
        if self.mass.size == 0 or c == math.inf:
            return 0.0
        if c == -math.inf:
            return float(self.mass.sum())
        return float(special.ndtr(-self._standardise(t, c)[0]) @ self.mass)

    def below(self, t: float, c: float) -> float:
        """P(Z(t) <= c, still running now)."""
        if self.mass.size == 0 or c == -math.inf:
            return 0.0
        if c == math.inf:
            return float(self.mass.sum())
        return float(special.ndtr(self._standardise(t, c)[0]) @ self.mass)

    def step(self, t: float, lo: float, hi: float) -> Walker:
        """The walker at ``t`` on the paths that continue there: lo < Z(t) < hi."""
        dt = t - self.t
        if not dt > 0:
            raise ValueError(f"information fraction {t} must exceed the previous one ({self.t})")
        if self.mass.size == 0:
            return self._moved(t, self.z, self.mass)
        # Jennison and Turnbull centre the grid on the unconditional mean of Z(t) given the start,
        # scaled by its standard deviation
        t0, s_origin = self.origin
        mean = (s_origin + self.drift * (t - t0)) / math.sqrt(t)
        sd = math.sqrt((t - t0) / t)
        z, w = simpson_grid(lo, hi, mean, sd, self.r)
        s0 = self.z * math.sqrt(self.t)
        if z.size == 0:
            return self._moved(t, z, z.copy())
        sd_inc = math.sqrt(dt)
        u = (np.multiply.outer(z * math.sqrt(t), np.ones(s0.size)) - s0 - self.drift * dt) / sd_inc
        density = np.exp(-0.5 * u * u) @ self.mass * (math.sqrt(t) / (sd_inc * _SQRT_2PI))
        return self._moved(t, z, density * w)

    @property
    def running(self) -> float:
        """Probability of still running."""
        return float(self.mass.sum())
