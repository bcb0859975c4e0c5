"""What the synthetic trial's generator expects of the study's design: the primary events its
calibrated model produces by the final cutoff.

The design itself (boundaries, events per look, inflation) is computed from the study definition
by :func:`helpers.analysis.design.planned_design`; only the generator knows its own hazards.
"""

from __future__ import annotations

import numpy as np

from helpers.study import Study

from .assumptions import ASSUMPTIONS, DAYS_PER_MONTH
from .calibration import CALIBRATION, marginal_cifs, reference_multipliers

__all__ = ["expected_events"]


def expected_events(study: Study) -> float:
    """Expected primary events (relapses) in the primary comparison's two arms by the final cutoff.

    The calibrated model averaged over the reference covariate mix, in the reference arm and in the
    first comparator arm (its relapse hazard ratio from ``synthetic.hazard_ratios``, else the
    design's ``hazard_ratio``), with uniform accrual over ``design.accrual_months``, minimum follow-up
    ``design.follow_up_months`` and the dropout rate; ``design.n_patients`` shared by allocation.

    Raises
    ------
    ValueError
        The study has no design section.
    """
    d = study.design
    if d is None:
        raise ValueError(f"study {study.study.id} has no design section; expected events need one")
    ref, comp = study.reference_arm, study.comparator_arms[0]
    hr = d.hazard_ratio
    if study.synthetic is not None and comp.code in study.synthetic.hazard_ratios:
        hr = study.synthetic.hazard_ratios[comp.code]
    total = sum(a.allocation for a in study.arms)
    cal, a = CALIBRATION, ASSUMPTIONS
    fu = np.linspace(d.follow_up_months, d.accrual_months + d.follow_up_months, 101) * DAYS_PER_MONTH
    args = (cal["lambda_rel_days"], a["rel_shape"], cal["lambda_nrm_days"], a["nrm_shape"], *reference_multipliers())
    rate_d = cal["dropout_rate_per_day"]
    cif_ref = float(np.mean(marginal_cifs(fu, *args, rate_d=rate_d)[0]))
    cif_comp = float(np.mean(marginal_cifs(fu, *args, rate_d=rate_d, hr1=hr)[0]))
    return d.n_patients * (ref.allocation / total * cif_ref + comp.allocation / total * cif_comp)
