"""What the design simulator simulates: hazards, accrual, arms, looks (no trial named).

A :class:`TrialModel` holds everything one simulated trial needs: the number of patients, the
arms with their allocation and their effect on each cause, the reference arm's cause-specific
hazards of the primary and the competing event (:class:`Weibull` or
:class:`PiecewiseExponential`) or, instead, a proportional subdistribution hazards model
(:class:`SubdistributionModel`, Fine and Gray, 1999, section 5), an exponential dropout, the
accrual (:class:`Accrual`) and when the looks happen (:class:`Looks`: primary event counts or
calendar times). Every check raises one ``ValueError`` naming the argument, the value and what
was expected. Times are in one unit throughout (the study's, e.g. months).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "Accrual",
    "ArmEffect",
    "Looks",
    "PiecewiseExponential",
    "SubdistributionModel",
    "TrialModel",
    "Weibull",
    "cumulative_incidences",
    "subdistribution_hazard_ratio",
]


def _positive(name: str, value: float, *, zero: bool = False) -> None:
    ok = value >= 0 if zero else value > 0
    if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
        raise ValueError(f"{name}={value!r}; expected a finite number {'>= 0' if zero else '> 0'}")


@dataclass(frozen=True)
class Weibull:
    """Cause-specific hazard ``h(t) = shape / scale (t / scale)^(shape - 1)``, ``H(t) = (t / scale)^shape``."""

    shape: float
    scale: float

    def __post_init__(self) -> None:
        _positive("shape", self.shape)
        _positive("scale", self.scale)

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        return (np.asarray(t, dtype=np.float64) / self.scale) ** self.shape

    def inverse(self, h: np.ndarray) -> np.ndarray:
        """The time at which the cumulative hazard reaches ``h``."""
        return self.scale * np.asarray(h, dtype=np.float64) ** (1.0 / self.shape)


@dataclass(frozen=True)
class PiecewiseExponential:
    """Hazard ``rates[j]`` from ``starts[j]`` (``starts[0] = 0``) to the next start; the last rate
    holds for ever (rpact's ``piecewiseSurvivalTime``, ``lambda``)."""

    rates: tuple[float, ...]
    starts: tuple[float, ...] = (0.0,)

    def __post_init__(self) -> None:
        if len(self.rates) == 0 or len(self.rates) != len(self.starts):
            raise ValueError(
                f"rates has {len(self.rates)} values and starts {len(self.starts)}; expected the same, at least one"
            )
        for r in self.rates:
            _positive("rates", r, zero=True)
        if self.starts[0] != 0 or any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False)):
            raise ValueError(f"starts={list(self.starts)}; expected 0 first, then increasing times")

    def _knots(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        starts = np.asarray(self.starts, dtype=np.float64)
        rates = np.asarray(self.rates, dtype=np.float64)
        h_at = np.concatenate(([0.0], np.cumsum(rates[:-1] * np.diff(starts))))
        return starts, rates, h_at

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        starts, rates, h_at = self._knots()
        t = np.asarray(t, dtype=np.float64)
        j = np.searchsorted(starts, t, side="right") - 1
        return h_at[j] + rates[j] * (t - starts[j])

    def inverse(self, h: np.ndarray) -> np.ndarray:
        starts, rates, h_at = self._knots()
        h = np.asarray(h, dtype=np.float64)
        j = np.searchsorted(h_at, h, side="right") - 1
        r = rates[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r > 0, starts[j] + (h - h_at[j]) / np.where(r > 0, r, 1.0), np.inf)


Hazard = Weibull | PiecewiseExponential


@dataclass(frozen=True)
class SubdistributionModel:
    """Proportional subdistribution hazards (Fine and Gray, 1999, section 5).

    In the reference arm the primary event's cumulative incidence is ``F1(t) = p (1 - exp(-rate t))``;
    an arm with subdistribution hazard ratio ``theta`` has ``1 - (1 - F1(t))^theta``.  A patient
    without the primary event has the competing event at an exponential time with
    ``competing_rate``.
    """

    p: float
    rate: float
    competing_rate: float

    def __post_init__(self) -> None:
        if not 0 < self.p < 1:
            raise ValueError(f"p={self.p!r}; expected a probability strictly between 0 and 1")
        _positive("rate", self.rate)
        _positive("competing_rate", self.competing_rate)

    def cif(self, t: np.ndarray | float, theta: float = 1.0) -> np.ndarray:
        return 1.0 - (1.0 - self.p * (1.0 - np.exp(-self.rate * np.asarray(t, dtype=np.float64)))) ** theta


@dataclass(frozen=True)
class ArmEffect:
    """An arm: its allocation weight and its hazard ratios on the primary and the competing cause
    (cause-specific hazards; with a :class:`SubdistributionModel`, ``hr_primary`` is the
    subdistribution hazard ratio and ``hr_competing`` must be 1)."""

    allocation: float = 1.0
    hr_primary: float = 1.0
    hr_competing: float = 1.0

    def __post_init__(self) -> None:
        _positive("allocation", self.allocation)
        _positive("hr_primary", self.hr_primary)
        _positive("hr_competing", self.hr_competing, zero=True)


@dataclass(frozen=True)
class Accrual:
    """Piecewise-constant accrual: ``rates[j]`` patients per time unit from ``starts[j]``; the last
    rate continues until every patient is in (rpact's ``accrualTime``, ``accrualIntensity``).
    Entry times are independent draws from the accrual density up to the expected time the last
    patient enters."""

    rates: tuple[float, ...]
    starts: tuple[float, ...] = (0.0,)

    def __post_init__(self) -> None:
        PiecewiseExponential(self.rates, self.starts)  # same shape rules
        if self.rates[-1] <= 0:
            raise ValueError(f"accrual rates={list(self.rates)}; expected the last rate > 0")

    @classmethod
    def uniform(cls, n_patients: int, duration: float) -> Accrual:
        """Every patient in at a constant rate over ``duration``."""
        _positive("accrual duration", duration)
        return cls((n_patients / duration,))

    def entry_times(self, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
        n = size[1]
        # the cumulative accrual is a cumulative "hazard" with these rates
        curve = PiecewiseExponential(self.rates, self.starts)
        return curve.inverse(rng.random(size) * n)

    def duration(self, n_patients: int) -> float:
        """When the expected accrual reaches ``n_patients``."""
        return float(PiecewiseExponential(self.rates, self.starts).inverse(np.array(float(n_patients))))


@dataclass(frozen=True)
class Looks:
    """When the analyses happen: at ``events`` primary events in the compared arms (cumulative,
    increasing), or at calendar ``times`` since the first patient entered.  A look whose events
    are never reached happens when the last compared patient's follow-up ends (all the
    information there is; later looks then see the same data), with the planned boundaries
    (the simulator does not recompute them at the information observed)."""

    events: tuple[int, ...] | None = None
    times: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if (self.events is None) == (self.times is None):
            raise ValueError("looks: give either events (primary event counts) or times (calendar), not both")
        values = self.events if self.events is not None else self.times
        assert values is not None
        if len(values) == 0 or values[0] <= 0 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
            which = "events" if self.events is not None else "times"
            raise ValueError(f"looks {which}={list(values)}; expected positive, strictly increasing values")

    @property
    def count(self) -> int:
        return len(self.events if self.events is not None else self.times or ())


Statistic = Literal["gray", "fine-gray", "logrank"]


@dataclass(frozen=True)
class TrialModel:
    """One simulated trial design: patients, arms, hazards, dropout, accrual, looks, statistic.

    ``primary`` and ``competing`` are the reference arm's cause-specific hazards; or ``primary``
    is a :class:`SubdistributionModel` and ``competing`` is ``None``.  ``dropout_rate`` is an
    exponential censoring rate (0: none).  The analyses compare ``arms[comparator]`` with
    ``arms[reference]`` (the other arms are simulated and ignored) with ``statistic``: ``gray``
    (Gray's test, signed), ``logrank`` (cause-specific log-rank), ``fine-gray`` (Wald z of the
    Fine-Gray model with the arm as covariate).  Every statistic is negative when the
    comparator has fewer primary events.
    """

    n_patients: int
    arms: tuple[ArmEffect, ...]
    primary: Hazard | SubdistributionModel
    competing: Hazard | None
    accrual: Accrual
    looks: Looks
    statistic: Statistic = "gray"
    dropout_rate: float = 0.0
    reference: int = 0
    comparator: int = 1
    max_follow_up: float = field(default=math.inf)

    def __post_init__(self) -> None:
        if not isinstance(self.n_patients, (int, np.integer)) or self.n_patients < 2:
            raise ValueError(f"n_patients={self.n_patients!r}; expected a whole number >= 2")
        if len(self.arms) < 2:
            raise ValueError(f"arms has {len(self.arms)} arm; expected at least 2")
        for name, i in (("reference", self.reference), ("comparator", self.comparator)):
            if not 0 <= i < len(self.arms):
                raise ValueError(f"{name}={i}; expected an arm index in 0..{len(self.arms) - 1}")
        if self.reference == self.comparator:
            raise ValueError(f"reference and comparator are both arm {self.reference}; expected two arms")
        if self.statistic not in ("gray", "fine-gray", "logrank"):
            raise ValueError(f"statistic={self.statistic!r}; expected 'gray', 'fine-gray' or 'logrank'")
        _positive("dropout_rate", self.dropout_rate, zero=True)
        if not self.max_follow_up > 0:
            raise ValueError(f"max_follow_up={self.max_follow_up!r}; expected > 0")
        if isinstance(self.primary, SubdistributionModel):
            if self.competing is not None:
                raise ValueError("competing must be None with a SubdistributionModel (it holds the competing rate)")
            bad = [a.hr_competing for a in self.arms if a.hr_competing != 1]
            if bad:
                raise ValueError(f"hr_competing={bad}; expected 1 with a SubdistributionModel")
        elif self.competing is None:
            raise ValueError("competing is None; expected the competing cause's hazard (rates of 0 for none)")


def cumulative_incidences(model: TrialModel, arm: int, times: np.ndarray, n_grid: int = 4001) -> np.ndarray:
    """The true cumulative incidences of the primary and the competing event in ``arm`` (no dropout).

    Shape ``(2, len(times))``. Cause-specific hazards: ``F_j(t) = int_0^t S(u) dH_j(u)`` with
    ``S = exp(-H_1 - H_2)`` (Kalbfleisch and Prentice, 2nd ed., 8.2), by the midpoint rule in
    ``H_j`` on the grid ``u = t_max s^4``, dense near 0 where Weibull hazards with shape < 1 are
    steep; a :class:`SubdistributionModel` has them in closed form.
    """
    t = np.atleast_1d(np.asarray(times, dtype=np.float64))
    a = model.arms[arm]
    if isinstance(model.primary, SubdistributionModel):
        m = model.primary
        f1 = m.cif(t, a.hr_primary)
        # the competing event: the rest of the patients, at exponential times
        f2 = (1.0 - m.cif(np.inf, a.hr_primary)) * (1.0 - np.exp(-m.competing_rate * t))
        return np.vstack((f1, f2))
    assert model.competing is not None
    u = float(t.max()) * np.linspace(0.0, 1.0, n_grid) ** 4
    h1 = a.hr_primary * model.primary.cumulative(u)
    h2 = a.hr_competing * model.competing.cumulative(u)
    surv = np.exp(-h1 - h2)
    mid = (surv[1:] + surv[:-1]) / 2
    out = []
    for h in (h1, h2):
        out.append(np.interp(t, u, np.concatenate(([0.0], np.cumsum(mid * np.diff(h))))))
    return np.vstack(out)


def subdistribution_hazard_ratio(model: TrialModel, horizon: float) -> float:
    """The comparator's subdistribution hazard ratio implied at ``horizon``:
    ``log(1 - F_c(horizon)) / log(1 - F_r(horizon))``, the ratio of cumulative subdistribution
    hazards (exact under proportional subdistribution hazards, an average otherwise)."""
    f_ref = cumulative_incidences(model, model.reference, np.array([horizon]))[0, 0]
    f_cmp = cumulative_incidences(model, model.comparator, np.array([horizon]))[0, 0]
    return float(np.log1p(-f_cmp) / np.log1p(-f_ref))
