"""Analysis helpers for a randomised trial described by a study definition (``helpers.study``).

Data flow, one direction only::

    contract (load + validate) -> cutoff -> competing_risks / survival / safety / subgroups
    -> tables / figures (formatting and drawing) -> outputs (the one writer) -> report
"""

__version__ = "0.1.0"
