"""Group-sequential designs by the error-spending approach (Lan and DeMets 1983), with optional
futility boundaries from beta spending (Pampallona, Tsiatis and Kim 2001; rpact's ``typeBetaSpending``).

The statistic is oriented so that large values favour the alternative; a two-sided design has
symmetric efficacy boundaries +/- b_k.  Probabilities come from the recursive integration in
:mod:`._integration` (Jennison and Turnbull 2000, ch. 19).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from ._integration import Walker
from ._spending import check_fractions, check_probability, check_spending, spending

__all__ = ["Boundaries", "GroupSequentialDesign", "crossing_probabilities", "design", "update"]

_Z_MAX = 40.0  # a boundary beyond is "never crossed" (P < 1e-300)
_XTOL = 1e-12


@dataclass(frozen=True)
class Boundaries:
    """Boundaries of the looks of a group-sequential test on the z scale.

    ``information_fractions`` of the maximum information (the correlation structure), ``efficacy``
    the upper z boundary of each look (a two-sided test also rejects at or below ``-efficacy``),
    ``futility`` the lower z boundary (None: none; at the final look it equals ``efficacy``),
    ``binding`` whether futility binds (enters the type I error), ``sided`` 1 or 2.
    """

    information_fractions: tuple[float, ...]
    efficacy: tuple[float, ...]
    futility: tuple[float, ...] | None = None
    sided: Literal[1, 2] = 1
    binding: bool = False

    @property
    def looks(self) -> int:
        return len(self.information_fractions)

    def continuation(self, k: int, *, with_futility: bool = True) -> tuple[float, float]:
        """The continuation region (lo, hi) of look ``k`` (0-based)."""
        hi = self.efficacy[k]
        if self.sided == 2:
            return -hi, hi
        if with_futility and self.futility is not None:
            return self.futility[k], hi
        return -math.inf, hi


@dataclass(frozen=True)
class GroupSequentialDesign:
    """A group-sequential design: its settings, boundaries and operating characteristics.

    Per look (tuples, one entry a look): ``efficacy`` upper z boundaries, ``futility`` lower ones
    (None without futility), ``nominal_p`` the p-value at the efficacy boundary (two-sided for a
    two-sided design), ``alpha_spent`` and ``beta_spent`` cumulative, ``efficacy_h0``/``efficacy_h1``
    the probability of stopping for efficacy at the look (under H0: both sides of a two-sided
    design, summing to at most ``alpha``; under H1: the side of the alternative), ``futility_h0``/
    ``futility_h1`` of stopping for futility, ``cumulative_power`` the running sum of ``efficacy_h1``.

    ``drift`` is E[Z] at the maximum information under the alternative, ``inflation_factor`` the
    maximum information over the fixed design's ((drift / (z_{1-alpha/sided} + z_power))^2),
    ``expected_information_h0``/``_h1`` the expected information at stopping as a fraction of the
    maximum, ``expected_information_fixed_h0``/``_h1`` the same relative to the fixed design (rpact's
    ``averageSampleNumber0``/``1``).  Non-binding futility boundaries are used in the H1 and H0
    stopping probabilities (a committee that follows them) but not in the efficacy boundaries.
    """

    information_fractions: tuple[float, ...]
    alpha: float
    sided: Literal[1, 2]
    power: float
    alpha_spending: str
    alpha_parameter: float | None
    futility_spending: str | None
    futility_parameter: float | None
    binding: bool
    efficacy: tuple[float, ...]
    futility: tuple[float, ...] | None
    nominal_p: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    beta_spent: tuple[float, ...] | None
    drift: float
    inflation_factor: float
    efficacy_h0: tuple[float, ...]
    futility_h0: tuple[float, ...]
    efficacy_h1: tuple[float, ...]
    futility_h1: tuple[float, ...]
    cumulative_power: tuple[float, ...]
    expected_information_h0: float
    expected_information_h1: float
    expected_information_fixed_h0: float
    expected_information_fixed_h1: float

    @property
    def looks(self) -> int:
        return len(self.information_fractions)

    @property
    def boundaries(self) -> Boundaries:
        return Boundaries(self.information_fractions, self.efficacy, self.futility, self.sided, self.binding)

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :func:`design` that made this design."""
        names = ("alpha", "sided", "power", "alpha_spending", "alpha_parameter", "futility_spending")
        out = {n: getattr(self, n) for n in names}
        out.update(futility_parameter=self.futility_parameter, binding=self.binding)
        return {"information_fractions": self.information_fractions, **out}

    def table(self) -> pd.DataFrame:
        """One row a look: ``look, information_fraction, efficacy_z, futility_z, nominal_p,
        alpha_spent, beta_spent, efficacy_h0, futility_h0, efficacy_h1, futility_h1, cumulative_power``."""
        k = self.looks
        nan = (math.nan,) * k
        return pd.DataFrame(
            {
                "look": np.arange(1, k + 1),
                "information_fraction": self.information_fractions,
                "efficacy_z": self.efficacy,
                "futility_z": self.futility or nan,
                "nominal_p": self.nominal_p,
                "alpha_spent": self.alpha_spent,
                "beta_spent": self.beta_spent or nan,
                "efficacy_h0": self.efficacy_h0,
                "futility_h0": self.futility_h0,
                "efficacy_h1": self.efficacy_h1,
                "futility_h1": self.futility_h1,
                "cumulative_power": self.cumulative_power,
            }
        )


def _solve(f: Callable[[float], float], lo: float, hi: float) -> float:
    return float(optimize.brentq(f, lo, hi, xtol=_XTOL, rtol=4 * np.finfo(float).eps, maxiter=200))


class _Infeasible(ValueError):
    """Fewer paths are still running than the error to spend at a look."""


def _efficacy_boundary(w: Walker, t: float, target: float, sided: int, lower_of: float | None = None) -> float:
    """The z boundary b at ``t`` such that the paths running in ``w`` cross it with probability
    ``target`` (two-sided: cross b or -b)."""

    def excess(b: float) -> float:
        p = w.above(t, b)
        if sided == 2:
            p += w.below(t, -b)
        return p - target

    lo = 0.0 if sided == 2 else -_Z_MAX
    if excess(lo) < 0:
        raise _Infeasible(
            f"cannot spend {target:.3g} at information fraction {t}: only {excess(lo) + target:.3g} "
            "of the paths are still running"
        )
    return _solve(excess, lo, _Z_MAX)


def _solve_drift(shortfall: Callable[[float], float], z_fixed: float) -> float:
    """The drift at which ``shortfall`` (power minus target) is 0: a group-sequential design needs at
    least the fixed design's drift and rarely 30% more; the bracket widens if needed."""
    lo, hi = 0.9 * z_fixed, 1.3 * z_fixed
    while shortfall(hi) < 0:
        lo, hi = hi, 1.5 * hi
        if hi > 100 * z_fixed:
            raise ValueError("no drift gives the requested power")
    while shortfall(lo) > 0 and lo > 1e-6:
        lo /= 2
    return _solve(shortfall, lo, hi)


def _check_sided(sided: object) -> Literal[1, 2]:
    if sided not in (1, 2):
        raise ValueError(f"sided={sided!r}; expected 1 (one-sided) or 2 (two-sided, symmetric)")
    return 1 if sided == 1 else 2


def _alpha_increments(
    function: str, parameter: float | None, t: NDArray[np.float64], alpha: float, sided: int
) -> NDArray[np.float64]:
    """Cumulative alpha at ``t`` (two-sided: twice the one-sided function at alpha / 2)."""
    a = np.asarray(spending(function, t, alpha / sided, parameter), dtype=float) * sided
    a[-1] = alpha if t[-1] >= 1 else a[-1]
    return a


def _efficacy_under_h0(
    t: NDArray[np.float64],
    cumulative: NDArray[np.float64],
    sided: int,
    *,
    kept: Sequence[float] = (),
    futility: Sequence[float] | None = None,
) -> list[float]:
    """Efficacy boundaries spending ``cumulative`` alpha; the first ``len(kept)`` are given.

    ``futility`` (binding) truncates the H0 paths from below.
    """
    w = Walker.start(0.0)
    out: list[float] = []
    for k, tk in enumerate(t):
        target = cumulative[k] - (cumulative[k - 1] if k else 0.0)
        b = kept[k] if k < len(kept) else _efficacy_boundary(w, tk, target, sided)
        out.append(b)
        if k < len(t) - 1:
            lo = -b if sided == 2 else (futility[k] if futility is not None else -math.inf)
            w = w.step(tk, lo, b)
    return out


@dataclass(frozen=True)
class _Run:
    efficacy: list[float]
    futility: list[float]
    beta_spent: list[float]
    power: float


def _probabilities(
    t: Sequence[float] | NDArray[np.float64],
    efficacy: Sequence[float],
    futility: Sequence[float] | None,
    sided: int,
    drift: float,
) -> tuple[list[float], list[float], list[float]]:
    """Per look: P(first crossing of the upper boundary), of the lower efficacy boundary (two-sided),
    of the futility boundary."""
    w = Walker.start(drift)
    up, down, fut = [], [], []
    for k, tk in enumerate(t):
        b = efficacy[k]
        up.append(w.above(tk, b))
        if sided == 2:
            down.append(w.below(tk, -b))
            lo = -b
        else:
            down.append(0.0)
            lo = futility[k] if futility is not None else -math.inf
        fut.append(w.below(tk, lo) if (sided == 1 and futility is not None) else 0.0)
        if k < len(t) - 1:
            w = w.step(tk, lo, b)
    return up, down, fut


def _below_excess(w: Walker, t: float, target: float, x: float) -> float:
    return w.below(t, x) - target


def _with_futility(
    t: NDArray[np.float64],
    cumulative_alpha: NDArray[np.float64],
    cumulative_beta: NDArray[np.float64],
    drift: float,
    binding: bool,
    efficacy_nonbinding: list[float] | None,
    *,
    final: bool = True,
) -> _Run:
    """Efficacy and futility boundaries for a given drift: futility a_k spends the beta increment
    under the alternative (capped at b_k); the final futility boundary is the efficacy one."""
    w0 = Walker.start(0.0)
    w1 = Walker.start(drift)
    eff: list[float] = []
    fut: list[float] = []
    power = 0.0
    for k, tk in enumerate(t):
        if efficacy_nonbinding is None:
            b = _efficacy_boundary(w0, tk, cumulative_alpha[k] - (cumulative_alpha[k - 1] if k else 0.0), 1)
        else:
            b = efficacy_nonbinding[k]
        if final and k == len(t) - 1:
            a = b
        else:
            target = cumulative_beta[k] - (cumulative_beta[k - 1] if k else 0.0)
            if w1.below(tk, b) <= target:
                a = b
            else:
                a = _solve(partial(_below_excess, w1, float(tk), float(target)), -_Z_MAX, b)
        eff.append(b)
        fut.append(a)
        power += w1.above(tk, b)
        if k < len(t) - 1:
            w1 = w1.step(tk, a, b)
            if binding:
                w0 = w0.step(tk, a, b)
    return _Run(eff, fut, [float(x) for x in cumulative_beta], power)


def design(
    information_fractions: ArrayLike,
    *,
    alpha: float,
    sided: int,
    power: float,
    alpha_spending: str,
    alpha_parameter: float | None = None,
    futility_spending: str | None = None,
    futility_parameter: float | None = None,
    binding: bool = False,
) -> GroupSequentialDesign:
    """Boundaries and operating characteristics of a group-sequential design (rpact's
    ``getDesignGroupSequential`` with ``getDesignCharacteristics``).

    Parameters
    ----------
    information_fractions
        Increasing fractions of the maximum information at each look, in (0, 1], the last 1.
    alpha
        Total type I error (two-sided designs: both sides together, e.g. 0.05).
    sided
        1, or 2 for symmetric two-sided efficacy boundaries.
    power
        Power under the alternative (on the alternative's side), which fixes the drift.
    alpha_spending, alpha_parameter
        The alpha-spending function and its parameter (:func:`spending`).
    futility_spending, futility_parameter
        Beta-spending function of the futility boundaries (one-sided designs only); None: no futility.
    binding
        Futility boundaries bind: the efficacy boundaries are computed with the trial stopped at
        them under H0 (smaller boundaries).  Non-binding (default): the efficacy boundaries ignore them.

    Returns
    -------
    GroupSequentialDesign

    Raises
    ------
    ValueError
        Fractions out of order or outside (0, 1], alpha or power outside (0, 1), an unknown spending
        function, a missing or extra parameter, futility with a two-sided design.
    """
    t = check_fractions(information_fractions)
    if t[-1] != 1.0:
        raise ValueError(f"information_fractions={[float(x) for x in t]} must end at 1 (the final analysis)")
    a = check_probability("alpha", alpha)
    pw = check_probability("power", power)
    s = _check_sided(sided)
    if s == 2 and a >= 1:
        raise ValueError(f"alpha={alpha!r} must be below 1")
    ap = check_spending(alpha_spending, alpha_parameter, setting="alpha_spending")
    if futility_spending is None:
        if futility_parameter is not None:
            raise ValueError(f"futility_parameter={futility_parameter!r} given without futility_spending")
        if binding:
            raise ValueError("binding=True needs futility_spending (there is no futility boundary to bind)")
        fp = None
    else:
        fp = check_spending(futility_spending, futility_parameter, setting="futility_spending")
        if s == 2:
            raise ValueError(
                f"futility_spending={futility_spending!r} with sided=2: futility boundaries are supported "
                "for one-sided designs only"
            )
    if pw <= a / s:
        raise ValueError(f"power={power!r} must exceed alpha/sided={a / s}")
    cum_alpha = _alpha_increments(alpha_spending, ap, t, a, s)
    z_fixed = float(special.ndtri(1 - a / s) + special.ndtri(pw))
    beta = 1 - pw

    if futility_spending is None:
        eff = _efficacy_under_h0(t, cum_alpha, s)
        fut = None
        beta_spent = None

        def shortfall(drift: float) -> float:
            return float(np.sum(_probabilities(t, eff, None, s, drift)[0])) - pw

        drift = _solve_drift(shortfall, z_fixed)
    else:
        cum_beta = np.asarray(spending(futility_spending, t, beta, fp), dtype=float)
        cum_beta[-1] = beta
        nonbinding = None if binding else _efficacy_under_h0(t, cum_alpha, 1)

        def shortfall(drift: float) -> float:
            try:
                run = _with_futility(t, cum_alpha, cum_beta, drift, binding, nonbinding)
            except _Infeasible:
                # binding futility so high under this drift that too few H0 paths are left to
                # spend alpha on: the drift is far above the solution
                return 1.0
            return run.power - pw

        drift = _solve_drift(shortfall, z_fixed)
        run = _with_futility(t, cum_alpha, cum_beta, drift, binding, nonbinding)
        eff, fut, beta_spent = run.efficacy, run.futility, run.beta_spent

    up0, down0, fut0 = _probabilities(t, eff, fut, s, 0.0)
    up1, down1, fut1 = _probabilities(t, eff, fut, s, drift)
    eff_h0 = [u + d for u, d in zip(up0, down0)]
    if fut is not None:
        # futility at the final look is "not rejecting": not a stop for futility before the end
        fut0 = fut0[:-1] + [0.0]
        fut1 = fut1[:-1] + [0.0]
    inflation = (drift / z_fixed) ** 2
    e0 = _expected_fraction(t, [e + f for e, f in zip(eff_h0, fut0)])
    e1 = _expected_fraction(t, [u + d + f for u, d, f in zip(up1, down1, fut1)])
    return GroupSequentialDesign(
        information_fractions=tuple(float(x) for x in t),
        alpha=a,
        sided=s,
        power=pw,
        alpha_spending=alpha_spending,
        alpha_parameter=ap,
        futility_spending=futility_spending,
        futility_parameter=fp,
        binding=bool(binding),
        efficacy=tuple(eff),
        futility=None if fut is None else tuple(fut),
        nominal_p=tuple(float(s * special.ndtr(-b)) for b in eff),
        alpha_spent=tuple(float(x) for x in cum_alpha),
        beta_spent=None if beta_spent is None else tuple(float(x) for x in beta_spent),
        drift=drift,
        inflation_factor=inflation,
        efficacy_h0=tuple(eff_h0),
        futility_h0=tuple(fut0),
        efficacy_h1=tuple(up1),
        futility_h1=tuple(fut1),
        cumulative_power=tuple(float(x) for x in np.cumsum(up1)),
        expected_information_h0=e0,
        expected_information_h1=e1,
        expected_information_fixed_h0=e0 * inflation,
        expected_information_fixed_h1=e1 * inflation,
    )


def _expected_fraction(t: NDArray[np.float64], stop: Sequence[float]) -> float:
    """E[information at stopping] / maximum: the looks before the last weighted by their stopping
    probabilities, the rest of the mass at the final look."""
    before = float(np.dot(t[:-1], stop[:-1]))
    return before + float(t[-1]) * (1.0 - float(sum(stop[:-1])))


def crossing_probabilities(
    efficacy: ArrayLike,
    futility: ArrayLike | None,
    information_fractions: ArrayLike,
    drift: float,
    *,
    sided: int = 1,
) -> pd.DataFrame:
    """Per-look probabilities of first crossing each boundary when E[Z(1)] = ``drift``.

    Parameters
    ----------
    efficacy
        Upper z boundary of each look (a two-sided test also stops at or below ``-efficacy``).
    futility
        Lower z boundary of each look of a one-sided test (None: none; use ``-inf`` for a look
        without one).  At the final look a futility boundary is the efficacy one.
    information_fractions
        Fractions of the maximum information, increasing in (0, 1] (any positive increasing values
        are read relative to the last).
    drift
        E[Z] at the last look's information (0: H0).

    Returns
    -------
    DataFrame with one row a look: ``look, information_fraction, efficacy, efficacy_lower, futility,
    stop, cumulative_efficacy``: the probability of stopping at the look by crossing the upper
    efficacy boundary, the lower one (two-sided), the futility boundary (the final look: 0, not
    rejecting is no early stop), of stopping at the look (the final look: the rest), and the running
    sum of ``efficacy + efficacy_lower``.  Under ``drift = 0`` the efficacy probabilities sum to the
    type I error of the boundaries.
    """
    t = check_fractions(information_fractions, allow_above_one=True)
    t = t / t[-1]
    s = _check_sided(sided)
    b = np.asarray(efficacy, dtype=float)
    if b.shape != t.shape or np.any(np.isnan(b)):
        raise ValueError(f"efficacy has {b.size} boundaries for {t.size} information fractions")
    fut = None
    if futility is not None:
        if s == 2:
            raise ValueError("futility boundaries are supported for one-sided tests only (sided=1)")
        f = np.asarray(futility, dtype=float)
        if f.shape != t.shape or np.any(np.isnan(f)):
            raise ValueError(f"futility has {f.size} boundaries for {t.size} information fractions")
        if np.any(f > b):
            raise ValueError("futility boundaries must not exceed the efficacy boundaries at any look")
        fut = [float(x) for x in f]
    up, down, fl = _probabilities(t, [float(x) for x in b], fut, s, float(drift))
    fl[-1] = 0.0
    stop = [u + d + x for u, d, x in zip(up, down, fl)]
    stop[-1] = 1.0 - sum(stop[:-1])
    return pd.DataFrame(
        {
            "look": np.arange(1, t.size + 1),
            "information_fraction": t,
            "efficacy": up,
            "efficacy_lower": down,
            "futility": fl,
            "stop": stop,
            "cumulative_efficacy": np.cumsum(np.add(up, down)),
        }
    )


def update(
    design_or_args: GroupSequentialDesign | Mapping[str, Any],
    observed_fractions: ArrayLike,
    *,
    final: bool,
) -> Boundaries:
    """Boundaries at the information fractions actually observed (the spending-function approach).

    Look k's efficacy boundary spends alpha(t_k) - alpha(t_{k-1}) of the design's spending function
    at the observed fractions t_1..t_k, with every earlier boundary as it was computed at its own
    look (so a boundary, once used, never changes).  At the final analysis (``final=True``) the last
    look spends all the alpha left, whatever its fraction: below 1 (an underrun) or above 1 (an
    overrun; only the final look may exceed 1).  The correlations are then taken over the final
    observed information (fractions t_k / t_final), earlier boundaries kept.  Futility boundaries
    (if any) spend beta at the observed fractions under the design's drift, held at the planned
    maximum information; the final one equals the efficacy boundary.

    Parameters
    ----------
    design_or_args
        A :class:`GroupSequentialDesign`, or the keyword arguments of :func:`design`.
    observed_fractions
        Observed information (e.g. primary events) over the planned maximum at each look so far,
        increasing.
    final
        Whether the last observed look is the final analysis.

    Returns
    -------
    Boundaries
        ``information_fractions`` relative to the information of the last look for a final analysis,
        else to the planned maximum.
    """
    d = design_or_args if isinstance(design_or_args, GroupSequentialDesign) else design(**dict(design_or_args))
    t = check_fractions(observed_fractions, setting="observed_fractions", allow_above_one=True)
    if np.any(t[:-1] > 1) or (t[-1] > 1 and not final):
        raise ValueError(
            f"observed_fractions={[float(x) for x in t]}: a fraction above 1 (more information than planned) "
            "is allowed only at the final analysis (final=True)"
        )
    s = d.sided
    # alpha spent by each look as it happened: the spending function at its observed fraction
    cum = _alpha_increments(d.alpha_spending, d.alpha_parameter, np.minimum(t, 1.0), d.alpha, s)
    if final:
        cum[-1] = d.alpha
    rel = t / t[-1] if final else t
    fut: list[float] | None = None
    if d.futility is None:
        eff = _efficacy_under_h0(t, cum, s)
    else:
        assert d.futility_spending is not None
        beta = 1 - d.power
        cum_beta = np.asarray(spending(d.futility_spending, np.minimum(t, 1.0), beta, d.futility_parameter))
        if final:
            cum_beta[-1] = beta
        # the walk is scale-free: fractions of the planned maximum with the planned drift
        nonbinding = None if d.binding else _efficacy_under_h0(t, cum, 1)
        run = _with_futility(t, cum, cum_beta, d.drift, d.binding, nonbinding, final=final)
        eff, fut = run.efficacy, run.futility
    return Boundaries(
        information_fractions=tuple(float(x) for x in rel),
        efficacy=tuple(float(x) for x in eff),
        futility=None if fut is None else tuple(float(x) for x in fut),
        sided=s,
        binding=d.binding,
    )
