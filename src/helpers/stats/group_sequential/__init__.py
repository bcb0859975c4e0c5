"""Group-sequential designs: spending functions, boundaries, crossing probabilities, sample sizes and
monitoring.  Statistics that know no trial: plain keyword arguments in, numbers and tidy frames out.

- :func:`spending`: the Lan-DeMets family of error-spending functions (``_spending``);
- :func:`design`, :class:`GroupSequentialDesign`: efficacy and futility boundaries with their
  operating characteristics; :func:`update`: boundaries at the information observed;
  :func:`crossing_probabilities`: per-look crossing probabilities of any boundaries (``_design``,
  on the recursive integration of ``_integration``).
"""

from ._design import Boundaries, GroupSequentialDesign, crossing_probabilities, design, update
from ._spending import SPENDING_FUNCTIONS, SpendingFunction, spending

__all__ = [
    "SPENDING_FUNCTIONS",
    "Boundaries",
    "GroupSequentialDesign",
    "SpendingFunction",
    "crossing_probabilities",
    "design",
    "spending",
    "update",
]
