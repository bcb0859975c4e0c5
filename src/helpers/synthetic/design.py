"""The planned event-driven design of the primary comparison, from the study definition.

A minimal design for the synthetic trial's documentation and checks: Schoenfeld's number of
relapses for the first comparator arm against the reference, with its allocation share, and
O'Brien-Fleming-type boundaries for at most one interim analysis.  A full group-sequential
module (any number of looks, other spending functions) is separate work.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize, special, stats

from helpers.study import Study

from .assumptions import ASSUMPTIONS, DAYS_PER_MONTH
from .calibration import CALIBRATION, marginal_cifs, reference_multipliers

__all__ = ["planned_design"]

_SQRT_2PI = math.sqrt(2 * math.pi)


def _obrien_fleming_two_looks(t1: float, a_side: float) -> tuple[float, float, float]:
    """Boundaries (z1, z2) and rho of two looks at information ``t1`` and 1 spending ``a_side``.

    Lan-DeMets O'Brien-Fleming-type spending a(t) = 2 - 2 Phi(Phi^-1(1 - a/2) / sqrt(t)), as
    gsDesign's ``sfLDOF`` and rpact's ``asOF``; the final boundary spends the rest exactly.
    """
    alpha1 = 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - a_side / 2) / math.sqrt(t1))
    z1 = stats.norm.ppf(1 - alpha1)
    rho = math.sqrt(t1)
    z2 = optimize.brentq(lambda c: _p_below(z1, c, rho) - (1 - a_side), 1.0, 4.0, xtol=1e-12)
    return float(z1), float(z2), rho


def _p_below(c1: float, c2: float, rho: float, drift1: float = 0.0, drift2: float = 0.0) -> float:
    """P(Z1 < c1, Z2 < c2) with corr(Z1, Z2) = rho and the given means."""
    sd = math.sqrt(1 - rho**2)

    def f(z):  # scalar special functions: stats.norm is ~50x slower per call
        return math.exp(-0.5 * z * z) / _SQRT_2PI * special.ndtr((c2 - drift2 - rho * z) / sd)

    return integrate.quad(f, -np.inf, c1 - drift1, limit=200)[0]


def planned_design(study: Study) -> dict:
    """Event-driven design for the relapse cause-specific hazard ratio of ``study``.

    The comparison is the first comparator arm against the reference, with allocation share
    p = a_comparator / (a_comparator + a_reference).  Fixed-design events by Schoenfeld (1983):
    D = (z_{1-alpha/s} + z_{power})^2 / (p (1 - p) log(HR)^2), s = ``design.sided`` (D = 4 (...)^2
    / log(HR)^2 at 1:1).  With one interim (``information_fractions`` of length 2), symmetric
    boundaries, each side spending alpha/s with the Lan-DeMets O'Brien-Fleming-type function
    (k = 2, t = 0.5, alpha = 0.05 two-sided: z = 2.963, 1.969, as rpact's ``asOF``); events are
    inflated so that the group-sequential design keeps ``power``.  Expected relapses at the final
    cutoff average the calibrated model over the reference covariate mix in both arms of the
    comparison, with uniform accrual and the dropout rate.

    Raises
    ------
    ValueError
        The study has no design, or more than one interim analysis.
    """
    d = study.design
    if d is None:
        raise ValueError(
            f"study {study.study.id} has no design section; the synthetic trial's planned design needs one"
        )
    if len(d.information_fractions) > 2:
        raise ValueError(
            f"information_fractions={list(d.information_fractions)}: the synthetic "
            "trial's design handles one interim analysis at most (two looks)"
        )
    ref, comp = study.reference_arm, study.comparator_arms[0]
    total = sum(a.allocation for a in study.arms)
    p = comp.allocation / (comp.allocation + ref.allocation)
    a_side = d.alpha / d.sided
    za = stats.norm.ppf(1 - a_side)
    zb = stats.norm.ppf(d.power)
    theta = abs(math.log(d.hazard_ratio))
    d_fixed = (za + zb) ** 2 / (p * (1 - p) * theta**2)
    interim = len(d.information_fractions) == 2
    if interim:
        t1 = d.information_fractions[0]
        z1, z2, rho = _obrien_fleming_two_looks(t1, a_side)

        def power_gs(drift):  # drift = E[Z] at full information; one side (benefit)
            return 1 - _p_below(z1, z2, rho, drift * math.sqrt(t1), drift)

        drift = optimize.brentq(lambda x: power_gs(x) - d.power, 1.0, 6.0, xtol=1e-12)
        inflation = (drift / (za + zb)) ** 2
    else:
        t1, z1, z2, inflation = None, None, float(za), 1.0
    d_gs = math.ceil(d_fixed * inflation)
    d_interim = math.ceil(t1 * d_gs) if interim else None
    cal, a = CALIBRATION, ASSUMPTIONS
    fu = np.linspace(d.follow_up_months, d.accrual_months + d.follow_up_months, 101) * DAYS_PER_MONTH
    args = (cal["lambda_rel_days"], a["rel_shape"], cal["lambda_nrm_days"], a["nrm_shape"], *reference_multipliers())
    rate_d = cal["dropout_rate_per_day"]
    cif_ref = float(np.mean(marginal_cifs(fu, *args, rate_d=rate_d)[0]))
    cif_comp = float(np.mean(marginal_cifs(fu, *args, rate_d=rate_d, hr1=d.hazard_ratio)[0]))
    expected = d.n_patients * (ref.allocation / total * cif_ref + comp.allocation / total * cif_comp)
    sd_log_hr = 1 / math.sqrt(p * (1 - p))  # times 1 / sqrt(events)
    return {
        "comparison": f"{comp.code} vs {ref.code}",
        "n_patients": d.n_patients,
        "allocation": f"{comp.allocation}:{ref.allocation}",
        "hr_relapse": d.hazard_ratio,
        "alpha": d.alpha,
        "sided": d.sided,
        "alpha_two_sided": d.alpha if d.sided == 2 else 2 * d.alpha,
        "power": d.power,
        "events_fixed_design": math.ceil(d_fixed),
        "inflation_factor": inflation,
        "events_target": d_gs,
        "interim_information_fraction": t1,
        "events_interim": d_interim,
        "z_boundary_interim": z1,
        "z_boundary_final": float(z2),
        "p_nominal_interim": float(2 * (1 - stats.norm.cdf(z1))) if interim else None,
        "p_nominal_final": float(2 * (1 - stats.norm.cdf(z2))),
        "hr_boundary_interim": (
            float(math.exp(-sd_log_hr * z1 / math.sqrt(d_interim)))
            if z1 is not None and d_interim is not None
            else None
        ),
        "hr_boundary_final": float(math.exp(-sd_log_hr * z2 / math.sqrt(d_gs))),
        "expected_relapses_at_final_cutoff": expected,
        "power_at_expected_relapses": float(stats.norm.cdf(math.sqrt(expected) * theta / sd_log_hr - za)),
    }
