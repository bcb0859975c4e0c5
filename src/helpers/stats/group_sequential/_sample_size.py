"""Events and patients of a fixed design for a hazard ratio (Schoenfeld 1983) or a subdistribution
hazard ratio (Latouche, Porcher and Chevret 2004); a group-sequential design multiplies the events
by its inflation factor."""

from __future__ import annotations

import math
from typing import NamedTuple

from scipy import special

from ._spending import check_probability

__all__ = ["LatoucheSize", "latouche_events", "schoenfeld_events"]


def _z_sum(alpha: float, sided: int, power: float) -> float:
    a = check_probability("alpha", alpha)
    pw = check_probability("power", power)
    if sided not in (1, 2):
        raise ValueError(f"sided={sided!r}; expected 1 or 2")
    return float(special.ndtri(1 - a / sided) + special.ndtri(pw))


def _log_ratio(name: str, ratio: float) -> float:
    r = float(ratio)
    if not (r > 0 and math.isfinite(r)) or r == 1:
        raise ValueError(f"{name}={ratio!r} must be a positive number other than 1")
    return math.log(r)


def schoenfeld_events(hazard_ratio: float, *, alpha: float, sided: int, power: float, allocation: float = 0.5) -> float:
    """Events for a log-rank / Cox test of ``hazard_ratio`` (Schoenfeld 1983), unrounded:
    ``D = (z_{1 - alpha/sided} + z_power)^2 / (p (1 - p) log(HR)^2)``, p = ``allocation`` (the
    share randomised to one arm).  rpact's ``getSampleSizeSurvival(...)$eventsFixed`` at 1:1.
    """
    p = check_probability("allocation", allocation)
    return _z_sum(alpha, sided, power) ** 2 / (p * (1 - p) * _log_ratio("hazard_ratio", hazard_ratio) ** 2)


class LatoucheSize(NamedTuple):
    """``events`` of the cause of interest and ``patients`` (unrounded)."""

    events: float
    patients: float


def latouche_events(
    subdistribution_hazard_ratio: float,
    *,
    event_probability: float,
    alpha: float,
    sided: int,
    power: float,
    allocation: float = 0.5,
) -> LatoucheSize:
    """Events of interest and patients for a Fine-Gray test of a subdistribution hazard ratio
    (Latouche, Porcher and Chevret, Stat Med 2004;23:3263-74, formula (6)):
    ``D = (z_{1 - alpha/sided} + z_power)^2 / (p (1 - p) log(theta)^2)`` and ``n = D / psi``, with
    p = ``allocation`` and psi = ``event_probability``, the probability that a patient's event of
    interest is observed (over accrual and follow-up, with the competing event and censoring).
    """
    psi = check_probability("event_probability", event_probability)
    p = check_probability("allocation", allocation)
    d = _z_sum(alpha, sided, power) ** 2 / (
        p * (1 - p) * _log_ratio("subdistribution_hazard_ratio", subdistribution_hazard_ratio) ** 2
    )
    return LatoucheSize(d, d / psi)
