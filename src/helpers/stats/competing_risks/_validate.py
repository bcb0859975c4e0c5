"""Shared input validation for competing-risks helpers.

Every check raises one ``ValueError`` that names the argument, says what was found and what
was expected (scikit-survival style). The column, time, event-code and group checks are the
ones of :mod:`helpers.stats._checks`, shared with :mod:`helpers.stats.survival`. The public entry point,
:func:`check_competing_risks_input`, is also used by :mod:`helpers.stats.competing_risks.fine_gray`;
keep its signature stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from helpers.stats._checks import as_array, check_columns, check_durations, check_event_codes, encode_groups, show

__all__ = [
    "check_competing_risks_input",
    "check_columns",
    "encode_groups",
    "check_times",
    "check_causes",
]


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
    t = as_array(durations)
    e = as_array(events)
    if t.ndim != 1 or e.ndim != 1:
        raise ValueError(
            f"{duration_name} has shape {t.shape} and {event_name} has shape {e.shape}; expected one-dimensional arrays"
        )
    if len(t) != len(e):
        raise ValueError(f"{duration_name} has {len(t)} values and {event_name} has {len(e)}; expected the same length")
    if len(t) == 0:
        raise ValueError(f"{duration_name} is empty; expected at least one observation")

    return (
        check_durations(t, duration_name),
        check_event_codes(e, event_name, allowed_codes=allowed_codes),
    )


def check_times(times: Any, name: str = "times") -> np.ndarray:
    """Validate requested evaluation times: finite, non-negative; returned sorted and unique."""
    arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} has shape {arr.shape}; expected a non-empty sequence of times")
    if not np.isfinite(arr).all() or (arr < 0).any():
        bad = arr[~np.isfinite(arr) | (arr < 0)]
        raise ValueError(f"{name} holds {show(bad)}; expected finite times >= 0")
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
        raise ValueError(f"{name} holds {show(arr[bad])}; expected positive integer cause codes")
    return np.unique(af.astype(np.int64))
