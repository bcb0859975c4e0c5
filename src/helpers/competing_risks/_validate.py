"""Shared input validation for competing-risks helpers.

Every check raises one ``ValueError`` that names the argument, says what was found and what
was expected (scikit-survival style). The public entry point,
:func:`check_competing_risks_input`, is also used by :mod:`helpers.competing_risks.fine_gray`;
keep its signature stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_competing_risks_input",
    "check_columns",
    "encode_groups",
    "check_times",
    "check_causes",
]

_MAX_SHOWN = 5


def _show(values: Sequence[Any] | np.ndarray) -> str:
    """Format at most a few offending values for an error message."""
    values = list(values)
    shown = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:_MAX_SHOWN])
    more = f", ... ({len(values)} in all)" if len(values) > _MAX_SHOWN else ""
    return f"[{shown}{more}]"


def _as_array(values: Any) -> np.ndarray:
    """A numpy view of the input; pandas nullable numbers become float with NaN for NA."""
    if isinstance(values, (pd.Series, pd.Index)) and pd.api.types.is_extension_array_dtype(values.dtype):
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values)


def check_columns(data: pd.DataFrame, **columns: str | None) -> None:
    """Check that ``data`` is a non-empty DataFrame holding every named column.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data set.
    **columns : str or None
        Argument name -> column name, e.g. ``duration_col="AVAL"``; ``None`` values are skipped.

    Raises
    ------
    ValueError
        If ``data`` is not a DataFrame, has no rows, or lacks a named column.
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data is a {type(data).__name__}; expected a pandas DataFrame")
    if len(data) == 0:
        raise ValueError("data has 0 rows; expected at least one patient")
    for argument, column in columns.items():
        if column is None:
            continue
        if column not in data.columns:
            raise ValueError(
                f"{argument}={column!r} is not a column of data; expected one of {_show(data.columns)}"
            )


def check_competing_risks_input(
    durations: Any,
    events: Any,
    *,
    duration_name: str = "durations",
    event_name: str = "events",
    allowed_codes: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate competing-risks outcome data and return clean numpy arrays.

    Event codes follow cmprsk's convention with ``cencode=0``: 0 is censored and each positive
    integer is one cause of failure.

    Parameters
    ----------
    durations : array-like
        Follow-up times; finite, non-negative numbers.
    events : array-like
        Event codes; integer-valued, 0 (censored) or a positive cause code.
    duration_name, event_name : str
        How the arguments are named in error messages, e.g. ``"duration_col='AVAL'"``.
    allowed_codes : sequence of int, optional
        If given, the only codes accepted (0 is always accepted).

    Returns
    -------
    durations : numpy.ndarray of float64
    events : numpy.ndarray of int64

    Raises
    ------
    ValueError
        On mismatched lengths, no observations, non-numeric, missing, infinite or negative
        durations, and missing, non-integer, negative or unknown event codes.
    """
    t = _as_array(durations)
    e = _as_array(events)
    if t.ndim != 1 or e.ndim != 1:
        raise ValueError(
            f"{duration_name} has shape {t.shape} and {event_name} has shape {e.shape}; "
            "expected one-dimensional arrays"
        )
    if len(t) != len(e):
        raise ValueError(
            f"{duration_name} has {len(t)} values and {event_name} has {len(e)}; "
            "expected the same length"
        )
    if len(t) == 0:
        raise ValueError(f"{duration_name} is empty; expected at least one observation")

    if t.dtype == bool or not (np.issubdtype(t.dtype, np.number) or t.dtype == object):
        raise ValueError(f"{duration_name} has dtype {t.dtype}; expected numeric follow-up times")
    try:
        t = t.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{duration_name} holds non-numeric values; expected numeric follow-up times") from None
    if np.isnan(t).any():
        where = np.flatnonzero(np.isnan(t))
        raise ValueError(
            f"{duration_name} holds {len(where)} missing value(s) at positions {_show(where)}; "
            "expected a follow-up time for every patient"
        )
    if np.isinf(t).any():
        raise ValueError(f"{duration_name} holds infinite values; expected finite follow-up times")
    if (t < 0).any():
        raise ValueError(
            f"{duration_name} holds negative times {_show(np.unique(t[t < 0]))}; expected times >= 0"
        )

    expected = (
        "0 (censored), " + ", ".join(str(c) for c in sorted(set(allowed_codes) - {0}))
        if allowed_codes is not None
        else "0 (censored) or a positive integer cause code 1, 2, ..."
    )
    if e.dtype == bool:
        e = e.astype(np.int64)
    if not (np.issubdtype(e.dtype, np.number) or e.dtype == object):
        raise ValueError(f"{event_name} has dtype {e.dtype}; expected integer event codes {expected}")
    try:
        ef = e.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{event_name} holds non-numeric codes; expected {expected}") from None
    if np.isnan(ef).any():
        where = np.flatnonzero(np.isnan(ef))
        raise ValueError(
            f"{event_name} holds {len(where)} missing value(s) at positions {_show(where)}; "
            f"expected {expected}"
        )
    bad = (ef != np.round(ef)) | (ef < 0) | np.isinf(ef)
    if allowed_codes is not None:
        bad |= ~np.isin(ef, np.asarray([0, *allowed_codes], dtype=np.float64))
    if bad.any():
        raise ValueError(f"{event_name} holds codes {_show(np.unique(ef[bad]))}; expected {expected}")
    return t, ef.astype(np.int64)


def encode_groups(values: Any, name: str = "group_col") -> tuple[np.ndarray, list[Any]]:
    """Encode group labels as integer codes 0..G-1 in the reporting order.

    Order: the categories' order for a categorical, otherwise sorted labels.

    Parameters
    ----------
    values : array-like or pandas.Series
        Group label per patient.
    name : str
        How the argument is named in error messages.

    Returns
    -------
    codes : numpy.ndarray of int64
    labels : list
        The label of each code.

    Raises
    ------
    ValueError
        If a label is missing, or a category of a categorical holds no patient.
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    if s.isna().any():
        where = np.flatnonzero(s.isna().to_numpy())
        raise ValueError(
            f"{name} holds {len(where)} missing label(s) at positions {_show(where)}; "
            "expected a group for every patient"
        )
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy().astype(np.int64)
        labels = list(s.cat.categories)
        counts = np.bincount(codes, minlength=len(labels))
        empty = [lab for lab, c in zip(labels, counts, strict=True) if c == 0]
        if empty:
            raise ValueError(
                f"{name} has categories {_show(empty)} with no patients; expected every group "
                "to hold at least one patient (drop unused categories first)"
            )
        return codes, labels
    try:
        # hash-based: far faster than np.unique on strings at a million rows
        codes, uniques = pd.factorize(s, sort=True)
    except TypeError:
        raise ValueError(f"{name} holds labels of mixed types that cannot be sorted; expected one type") from None
    return codes.astype(np.int64), [v.item() if isinstance(v, np.generic) else v for v in uniques]


def check_times(times: Any, name: str = "times") -> np.ndarray:
    """Validate requested evaluation times: finite, non-negative; returned sorted and unique."""
    arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} has shape {arr.shape}; expected a non-empty sequence of times")
    if not np.isfinite(arr).all() or (arr < 0).any():
        bad = arr[~np.isfinite(arr) | (arr < 0)]
        raise ValueError(f"{name} holds {_show(bad)}; expected finite times >= 0")
    return np.unique(arr)


def check_causes(causes: Any, observed: np.ndarray, name: str = "causes") -> np.ndarray:
    """Resolve the causes to report: the observed positive codes by default.

    Parameters
    ----------
    causes : sequence of int or None
        Requested cause codes; ``None`` means every cause observed in the data (as cmprsk).
    observed : numpy.ndarray
        The validated event codes.
    name : str
        How the argument is named in error messages.
    """
    if causes is None:
        found = np.unique(observed[observed > 0])
        if len(found) == 0:
            raise ValueError("no event of any cause is observed (all codes are 0); expected at least one event")
        return found.astype(np.int64)
    arr = np.atleast_1d(np.asarray(causes))
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name}={causes!r}; expected a non-empty sequence of positive integer codes")
    try:
        af = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={causes!r}; expected positive integer cause codes") from None
    bad = ~np.isfinite(af) | (af != np.round(af)) | (af <= 0)
    if bad.any():
        raise ValueError(f"{name} holds {_show(arr[bad])}; expected positive integer cause codes")
    return np.unique(af.astype(np.int64))
