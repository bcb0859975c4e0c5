"""Outcome and group columns of a single-event analysis, checked by the rules of :mod:`helpers.stats._checks`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.stats._checks import (
    OVERALL,
    check_columns,
    check_durations,
    check_event_codes,
    factor_levels,
    require_frame,
)


def durations(data: pd.DataFrame, duration_col: str) -> np.ndarray:
    return check_durations(data[duration_col], f"{duration_col=}")


def events01(data: pd.DataFrame, event_col: str) -> np.ndarray:
    """0/1 event indicator as float; any other code (a competing event 2) is refused."""
    return check_event_codes(
        data[event_col],
        f"{event_col=}",
        allowed_codes=[1],
        hint="A code 2 (competing event) needs helpers.stats.competing_risks, or recode it "
        "explicitly for a cause-specific analysis",
    ).astype(float)


def groups(data: pd.DataFrame, col: str | None, name: str = "group_col") -> tuple[np.ndarray, list]:
    """Labels of ``col`` and their order (categorical order, else sorted as R's factor()).

    ``None`` gives the single group ``"Overall"``; a missing label raises ``ValueError``
    naming the argument (``name``).
    """
    if col is None:
        return np.full(len(data), OVERALL, dtype=object), [OVERALL]
    values = data[col]
    if values.isna().any():
        raise ValueError(
            f"{name}={col!r} holds {int(values.isna().sum())} missing value(s); "
            "expected a group for every patient (drop or label them first)"
        )
    return values.to_numpy(dtype=object), factor_levels(values, f"{name}={col!r}")


def group_codes(data: pd.DataFrame, col: str | None, name: str = "group_col") -> tuple[np.ndarray, list]:
    """Integer codes 0..G-1 in :func:`groups` order, and the levels."""
    labels, levels = groups(data, col, name)
    if col is None:
        return np.zeros(len(data), dtype=np.int64), levels
    return pd.Categorical(labels, categories=levels).codes.astype(np.int64), levels


def split(
    data: pd.DataFrame, duration_col: str, event_col: str, group_col: str | None
) -> list[tuple[object, np.ndarray, np.ndarray]]:
    """``(level, times, events)`` per group, in level order."""
    data = require_frame(data)
    check_columns(data, duration_col=duration_col, event_col=event_col, group_col=group_col)
    t = durations(data, duration_col)
    e = events01(data, event_col)
    g, levels = groups(data, group_col)
    return [(lv, t[g == lv], e[g == lv]) for lv in levels]


def as_group_column(labels: list, levels: list) -> pd.Categorical:
    """The ``group`` column of every tidy output: categorical in level order."""
    return pd.Categorical(labels, categories=levels)
