"""Curves and tests in one call, as R ``cmprsk::cuminc`` returns them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.stats._counting import check_conf_type, z_quantile

from ._validate import check_causes, check_columns, check_competing_risks_input, check_times, encode_groups
from .cuminc import curves_from_arrays
from .gray import test_from_arrays

__all__ = ["cuminc"]


def cuminc(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    group_col: str,
    *,
    times: Sequence[float] | None = None,
    conf_level: float = 0.95,
    conf_type: str = "log-log",
    causes: Sequence[int] | None = None,
    rho: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every group's and cause's cumulative incidence and Gray's test of each cause, as
    ``cmprsk::cuminc(ftime, fstatus, group, rho)`` computes them in one call.

    The same frames as :func:`~helpers.stats.competing_risks.cumulative_incidence` and
    :func:`~helpers.stats.competing_risks.gray_test` with these arguments (tidycmprsk's
    ``cuminc()`` and its ``glance()``), from one validation of the input and one sort of the
    times, which is most of the time at a million patients.

    Returns
    -------
    curves, tests : pandas.DataFrame
    """
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col)
    check_conf_type(conf_type)
    z_quantile(conf_level)
    t, e = check_competing_risks_input(
        data[duration_col],
        data[event_col],
        duration_name=f"duration_col={duration_col!r}",
        event_name=f"event_col={event_col!r}",
    )
    if not np.isfinite(rho):
        raise ValueError(f"{rho=}; expected a finite number")
    cause_codes = check_causes(causes, e)
    req = check_times(times) if times is not None else None
    codes, labels = encode_groups(data[group_col], name=f"group_col={group_col!r}")
    if len(labels) < 2:
        raise ValueError(
            f"group_col={group_col!r} holds {len(labels)} group {labels}; expected at least 2 groups to compare"
        )
    order = np.argsort(t)
    curves = curves_from_arrays(t, e, codes, labels, cause_codes, req, conf_level, conf_type, time_order=order)
    tests = test_from_arrays(t, e, codes, len(labels), cause_codes, float(rho), time_order=order)
    return curves, tests
