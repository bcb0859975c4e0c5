"""Expected primary events over calendar time, and the calendar time at which they reach a number,
for staggered accrual and piecewise-constant hazards (the accrual logic of rpact's
``getSampleSizeSurvival`` / ``getPowerSurvival``, with competing events added).

Patients enter at the piecewise-constant ``accrual_intensity`` between the ``accrual_time``
breakpoints (0 first, the end of accrual last).  In each arm, from entry, the event of interest,
the competing event and dropout have cause-specific hazards that are constant between the
``hazard_time`` breakpoints; the probability of the event of interest by follow-up u is its
cumulative incidence F(u) = int_0^u lambda_e(s) S(s) ds, S the probability of none of the three.
Expected events by calendar time c: n sum_j share_j int_0^c g(s) F_j(c - s) ds, g the accrual density.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize

__all__ = ["ArmHazards", "calendar_time", "expected_events"]


@dataclass(frozen=True)
class ArmHazards:
    """One arm: ``allocation`` weight and cause-specific hazards per time unit of follow-up, each a
    number or one value per interval of ``hazard_time`` (``event`` of interest, ``competing``,
    ``dropout``)."""

    allocation: float
    event: float | Sequence[float]
    competing: float | Sequence[float] = 0.0
    dropout: float | Sequence[float] = 0.0


def _pieces(name: str, value: float | Sequence[float], k: int) -> NDArray[np.float64]:
    v = np.atleast_1d(np.asarray(value, dtype=float))
    if v.size == 1:
        v = np.repeat(v, k)
    if v.size != k:
        raise ValueError(f"{name} has {v.size} values for {k} hazard intervals (hazard_time)")
    if np.any(v < 0) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name}={value!r}: hazards must be finite and >= 0")
    return v


def _cif(
    arm: ArmHazards, starts: NDArray[np.float64], name: str
) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    k = starts.size
    e = _pieces(f"{name}.event", arm.event, k)
    tot = e + _pieces(f"{name}.competing", arm.competing, k) + _pieces(f"{name}.dropout", arm.dropout, k)
    widths = np.diff(np.append(starts, np.inf))
    # survival and incidence at each piece's start
    with np.errstate(invalid="ignore"):
        step_s = np.exp(-tot[:-1] * widths[:-1])
        frac = np.where(tot > 0, e / np.where(tot > 0, tot, 1), 0.0)
    s_start = np.concatenate(([1.0], np.cumprod(step_s)))
    f_start = np.concatenate(([0.0], np.cumsum(frac[:-1] * s_start[:-1] * (1 - step_s))))

    def f(u: NDArray[np.float64]) -> NDArray[np.float64]:
        u = np.maximum(u, 0.0)
        i = np.searchsorted(starts, u, side="right") - 1
        du = u - starts[i]
        inc = np.where(tot[i] > 0, frac[i] * -np.expm1(-tot[i] * du), e[i] * du)
        return f_start[i] + s_start[i] * inc

    return f


def _check_accrual(accrual_time: ArrayLike, accrual_intensity: ArrayLike):
    a = np.asarray(accrual_time, dtype=float)
    g = np.atleast_1d(np.asarray(accrual_intensity, dtype=float))
    if a.ndim != 1 or a.size < 2 or a[0] != 0 or np.any(np.diff(a) <= 0):
        raise ValueError(f"accrual_time={accrual_time!r} must be increasing breakpoints from 0 to the end of accrual")
    if g.size != a.size - 1 or np.any(g < 0) or not np.any(g > 0):
        raise ValueError(
            f"accrual_intensity={accrual_intensity!r}: one non-negative intensity per accrual interval, not all 0"
        )
    share = g * np.diff(a)
    return a, g / share.sum()  # density per time unit


def _integral(
    f: Callable[[NDArray[np.float64]], NDArray[np.float64]], c: float, lo: float, hi: float, kinks: list[float]
) -> float:
    """int_lo^hi F(c - s) ds, piece by piece (Gauss-Kronrod on smooth pieces)."""
    edges = [lo, *sorted(kinks), hi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        total += integrate.quad(lambda s: float(f(np.array([c - s]))[0]), a, b, epsabs=1e-13, epsrel=1e-12)[0]
    return total


def expected_events(
    time: ArrayLike,
    *,
    n_patients: float,
    accrual_time: ArrayLike,
    accrual_intensity: ArrayLike,
    arms: Sequence[ArmHazards],
    hazard_time: ArrayLike = (0.0,),
) -> NDArray[np.float64] | float:
    """Expected events of interest by calendar time ``time`` (from the first entry), all arms.

    ``accrual_intensity`` is relative (rescaled so that ``n_patients`` enter by the end of
    ``accrual_time``); ``hazard_time`` the follow-up breakpoints of the piecewise hazards (0 first).
    """
    a, density = _check_accrual(accrual_time, accrual_intensity)
    starts = np.asarray(hazard_time, dtype=float)
    if starts.ndim != 1 or starts[0] != 0 or np.any(np.diff(starts) <= 0):
        raise ValueError(f"hazard_time={hazard_time!r} must be increasing breakpoints from 0")
    if not arms:
        raise ValueError("arms is empty; expected at least one ArmHazards")
    total = sum(float(x.allocation) for x in arms)
    cifs = [(float(x.allocation) / total, _cif(x, starts, f"arms[{i}]")) for i, x in enumerate(arms)]
    times = np.atleast_1d(np.asarray(time, dtype=float))
    out = np.empty(times.size)
    for j, c in enumerate(times):
        value = 0.0
        for lo, hi, dens in zip(a[:-1], a[1:], density):
            top = min(hi, c)
            if top <= lo or dens == 0:
                continue
            # F is smooth between the entry times whose follow-up at c hits a hazard breakpoint
            kinks = [c - b for b in starts[1:] if lo < c - b < top]
            for share, f in cifs:
                value += share * dens * _integral(f, c, lo, top, kinks)
        out[j] = n_patients * value
    return float(out[0]) if np.ndim(time) == 0 else out


def _excess(c: float, target: float, kwargs: dict[str, Any]) -> float:
    return float(expected_events(c, **kwargs)) - target


def calendar_time(
    events: ArrayLike,
    *,
    n_patients: float,
    accrual_time: ArrayLike,
    accrual_intensity: ArrayLike,
    arms: Sequence[ArmHazards],
    hazard_time: ArrayLike = (0.0,),
) -> NDArray[np.float64] | float:
    """Calendar time at which the expected events reach ``events`` (rpact's ``analysisTime``).

    Raises ValueError when the expected events never reach the number (they level off below it).
    """
    kwargs: dict[str, Any] = dict(
        n_patients=n_patients,
        accrual_time=accrual_time,
        accrual_intensity=accrual_intensity,
        arms=arms,
        hazard_time=hazard_time,
    )
    targets = np.atleast_1d(np.asarray(events, dtype=float))
    end = float(np.asarray(accrual_time, dtype=float)[-1])
    out = []
    for d in targets:
        hi = max(end, 1.0)
        while float(expected_events(hi, **kwargs)) < d:
            hi *= 2
            if hi > 1e4 * max(end, 1.0):
                raise ValueError(f"events={d}: the expected events never reach it (they level off below)")
        out.append(optimize.brentq(_excess, 0.0, hi, args=(float(d), kwargs), xtol=1e-10))
    return float(out[0]) if np.ndim(events) == 0 else np.asarray(out)
