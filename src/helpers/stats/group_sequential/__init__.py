"""Group-sequential designs: spending functions, boundaries, crossing probabilities, sample sizes and
monitoring.  Statistics that know no trial: plain keyword arguments in, numbers and tidy frames out.

- :func:`spending`: the Lan-DeMets family of error-spending functions (``_spending``);
- :func:`design`, :class:`GroupSequentialDesign`: efficacy and futility boundaries with their
  operating characteristics; :func:`update`: boundaries at the information observed;
  :func:`crossing_probabilities`: per-look crossing probabilities of any boundaries (``_design``,
  on the recursive integration of ``_integration``);
- :func:`schoenfeld_events`, :func:`latouche_events`: events (and patients) of a fixed design
  (``_sample_size``);
- :func:`expected_events`, :func:`calendar_time`: expected events over calendar time with staggered
  accrual and piecewise-constant event, competing and dropout hazards (``_calendar``);
- :func:`conditional_power`, :func:`predictive_power`, :func:`repeated_confidence_interval`:
  monitoring at an interim look (``_monitoring``).
"""

from ._calendar import ArmHazards, calendar_time, expected_events
from ._design import Boundaries, GroupSequentialDesign, crossing_probabilities, design, update
from ._monitoring import conditional_power, predictive_power, repeated_confidence_interval
from ._sample_size import LatoucheSize, latouche_events, schoenfeld_events
from ._spending import SPENDING_FUNCTIONS, SpendingFunction, spending

__all__ = [
    "SPENDING_FUNCTIONS",
    "ArmHazards",
    "Boundaries",
    "GroupSequentialDesign",
    "LatoucheSize",
    "SpendingFunction",
    "calendar_time",
    "conditional_power",
    "crossing_probabilities",
    "design",
    "expected_events",
    "latouche_events",
    "predictive_power",
    "repeated_confidence_interval",
    "schoenfeld_events",
    "spending",
    "update",
]
