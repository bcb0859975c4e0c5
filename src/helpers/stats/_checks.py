"""Input checks, group levels and design matrices shared by the statistics helpers.

One implementation of each rule, used by :mod:`helpers.stats.survival`, :mod:`helpers.stats.subgroups`
and :mod:`helpers.stats.competing_risks`, so that they agree:

- :func:`check_columns`: ``data`` is a non-empty DataFrame holding the named columns
  (``TypeError`` for something that is not a DataFrame, ``ValueError`` otherwise).
- :func:`check_durations`, :func:`check_event_codes`: follow-up times and event codes
  (0 = censored, 1, 2, ... = causes; cmprsk's ``cencode = 0``).
- :func:`factor_levels`, :func:`encode_groups`: the level order of R's ``factor()`` --
  categorical order (categories that hold a patient), else sorted.
- :func:`treatment_design`: the model matrix of R's treatment contrasts, terms named
  ``COL[level]``, ``COL`` and ``a_term:b_term``.
- :func:`tie_factor`: cmprsk's correction for tied events.
- :class:`ConvergenceWarning`: the one warning class of a fit that did not converge.

Every check raises one error that names the argument, says what was found and what was
expected (scikit-survival style).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "OVERALL",
    "ConvergenceWarning",
    "Design",
    "check_columns",
    "check_durations",
    "check_event_codes",
    "encode_groups",
    "factor_levels",
    "is_categorical",
    "require_frame",
    "show",
    "tie_factor",
    "treatment_design",
]

#: Label of the single group when no grouping column is given (survfit's and cuminc's).
OVERALL = "Overall"


class ConvergenceWarning(UserWarning):
    """A model fit did not converge, or a coefficient drifts to +/- infinity.

    Raised (as a warning) by :func:`helpers.stats.competing_risks.fine_gray`; filter or catch it by
    class (``warnings.simplefilter("error", ConvergenceWarning)``), never by its text.
    """


_MAX_SHOWN = 5


def _plain(v: Any) -> Any:
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def show(values: Sequence[Any] | np.ndarray) -> str:
    """Format at most a few offending values for an error message (``2.0`` shown as ``2``)."""
    values = list(values)
    shown = ", ".join(repr(_plain(v)) for v in values[:_MAX_SHOWN])
    more = f", ... ({len(values)} in all)" if len(values) > _MAX_SHOWN else ""
    return f"[{shown}{more}]"


def as_array(values: Any) -> np.ndarray:
    """A numpy view of the input; pandas nullable numbers become float with NaN for NA."""
    if (
        isinstance(values, (pd.Series, pd.Index))
        and pd.api.types.is_extension_array_dtype(values.dtype)
        and pd.api.types.is_numeric_dtype(values.dtype)
        and not pd.api.types.is_bool_dtype(values.dtype)
    ):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values)


# --------------------------------------------------------------------------- frames and columns
def require_frame(data: object) -> pd.DataFrame:
    """``data`` itself if it is a DataFrame with at least one row."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data is a {type(data).__name__}; expected a pandas DataFrame")
    if len(data) == 0:
        raise ValueError("data has 0 rows; expected at least one patient")
    return data


def check_columns(data: pd.DataFrame, **columns: str | None) -> pd.DataFrame:
    """Check that ``data`` is a non-empty DataFrame holding every named column.

    Parameters
    ----------
    data : pandas.DataFrame
        The analysis data set.
    **columns : str or None
        Argument name -> column name, e.g. ``duration_col="AVAL"``; ``None`` values are skipped.

    Returns
    -------
    pandas.DataFrame
        ``data``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        If ``data`` has no rows or lacks a named column.
    """
    require_frame(data)
    for argument, column in columns.items():
        if column is None:
            continue
        if column not in data.columns:
            raise ValueError(f"{argument}={column!r} is not a column of data; expected one of {show(data.columns)}")
    return data


# --------------------------------------------------------------------------- outcomes
def check_durations(values: Any, name: str = "durations") -> np.ndarray:
    """Follow-up times as float64: numeric, complete, finite and >= 0."""
    t = as_array(values)
    if t.dtype == bool or not (np.issubdtype(t.dtype, np.number) or t.dtype == object):
        raise ValueError(f"{name} has dtype {t.dtype}; expected numeric follow-up times")
    try:
        t = t.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} holds non-numeric values; expected numeric follow-up times") from None
    if np.isnan(t).any():
        where = np.flatnonzero(np.isnan(t))
        raise ValueError(
            f"{name} holds {len(where)} missing value(s) at positions {show(where)}; "
            "expected a follow-up time for every patient"
        )
    if np.isinf(t).any():
        raise ValueError(f"{name} holds infinite values; expected finite follow-up times")
    if (t < 0).any():
        raise ValueError(
            f"{name} holds {int((t < 0).sum())} negative time(s) {show(np.unique(t[t < 0]))}; expected times >= 0"
        )
    return t


def check_event_codes(
    values: Any,
    name: str = "events",
    allowed_codes: Collection[int] | None = None,
    hint: str = "",
) -> np.ndarray:
    """Event codes as int64: 0 (censored) or a positive integer cause (bool: 0/1).

    Parameters
    ----------
    values : array-like
        One code per patient.
    name : str
        How the argument is named in error messages, e.g. ``"event_col='EVNTCD'"``.
    allowed_codes : collection of int, optional
        If given, the only cause codes accepted (0 is always accepted).
    hint : str
        Appended to the message about unknown codes (what to do instead).

    Raises
    ------
    ValueError
        On missing, non-numeric, non-integer, negative or (with ``allowed_codes``) unknown codes.
    """
    expected = (
        "0 (censored), " + ", ".join(str(c) for c in sorted(set(allowed_codes) - {0}))
        if allowed_codes is not None
        else "0 (censored) or a positive integer cause code 1, 2, ..."
    )
    e = as_array(values)
    if e.dtype == bool:
        e = e.astype(np.int64)
    if not (np.issubdtype(e.dtype, np.number) or e.dtype == object):
        raise ValueError(f"{name} has dtype {e.dtype}; expected integer event codes {expected}")
    try:
        ef = e.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} holds non-numeric codes; expected {expected}") from None
    if np.isnan(ef).any():
        where = np.flatnonzero(np.isnan(ef))
        raise ValueError(f"{name} holds {len(where)} missing value(s) at positions {show(where)}; expected {expected}")
    bad = (ef != np.round(ef)) | (ef < 0) | np.isinf(ef)
    if allowed_codes is not None:
        bad |= ~np.isin(ef, np.asarray([0, *allowed_codes], dtype=np.float64))
    if bad.any():
        raise ValueError(
            f"{name} holds codes {show(np.unique(ef[bad]))}; expected {expected}" + (f". {hint}" if hint else "")
        )
    return ef.astype(np.int64)


# --------------------------------------------------------------------------- levels
def factor_levels(column: pd.Series, name: str = "column") -> list[Any]:
    """Levels in R's ``factor()`` order: categorical order (unused categories dropped), else sorted.

    Missing values are not a level.
    """
    present = column.dropna()
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = set(present.cat.codes.unique().tolist())
        return [lv for i, lv in enumerate(column.cat.categories) if i in used]
    try:
        return sorted(_plain_label(v) for v in pd.unique(present))
    except TypeError:
        raise ValueError(f"{name} holds labels of mixed types that cannot be sorted; expected one type") from None


def _plain_label(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def encode_groups(values: Any, name: str = "group_col") -> tuple[np.ndarray, list[Any]]:
    """Encode group labels as integer codes 0..G-1 in :func:`factor_levels` order.

    Raises ``ValueError`` if a label is missing, or a category of a categorical holds no
    patient (a group to report must exist).
    """
    s = pd.Series(values) if not isinstance(values, pd.Series) else values.reset_index(drop=True)
    if s.isna().any():
        where = np.flatnonzero(s.isna().to_numpy())
        raise ValueError(
            f"{name} holds {len(where)} missing label(s) at positions {show(where)}; expected a group for every patient"
        )
    if isinstance(s.dtype, pd.CategoricalDtype):
        labels = list(s.cat.categories)
        used = factor_levels(s, name)
        empty = [lab for lab in labels if lab not in used]
        if empty:
            raise ValueError(
                f"{name} has categories {show(empty)} with no patients; expected every group "
                "to hold at least one patient (drop unused categories first)"
            )
        return s.cat.codes.to_numpy().astype(np.int64), labels
    try:
        # hash-based: far faster than np.unique on strings at a million rows; same order as
        # factor_levels
        codes, uniques = pd.factorize(s, sort=True)
    except TypeError:
        raise ValueError(f"{name} holds labels of mixed types that cannot be sorted; expected one type") from None
    return codes.astype(np.int64), [_plain_label(v) for v in uniques]


# --------------------------------------------------------------------------- cmprsk
def tie_factor(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """cmprsk's correction ``1 - (d - 1) / (r - 1)`` for ``d > 1`` tied events, else 1."""
    out = np.ones(np.broadcast(d, r).shape)
    tied = np.broadcast_to(d > 1, out.shape)
    dd = np.broadcast_to(d, out.shape)
    rr = np.broadcast_to(r, out.shape)
    out[tied] = 1.0 - (dd[tied] - 1.0) / (rr[tied] - 1.0)
    return out


# --------------------------------------------------------------------------- design matrix
@dataclass
class Design:
    """Model matrix with R's treatment contrasts and the term each column belongs to.

    Attributes
    ----------
    X : pandas.DataFrame
        One column per model term, indexed as the data.
    term_of : dict
        Column -> the covariate or interaction (``"ARM:DIAG"``) that produced it.
    reference : dict
        Categorical covariate -> its reference level.
    factor_columns : dict
        Categorical covariate -> level -> column.
    """

    X: pd.DataFrame
    term_of: dict[str, str]
    reference: dict[str, Any]
    factor_columns: dict[str, dict[Any, str]]

    @property
    def terms(self) -> list[str]:
        return list(self.X.columns)


def is_categorical(column: pd.Series) -> bool:
    """Categorical, object or string columns are factors; numbers and bool enter as they are."""
    return isinstance(column.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(column)


def treatment_design(
    data: pd.DataFrame,
    covariates: Sequence[str],
    interactions: Sequence[tuple[str, ...]] = (),
    forced: Collection[str] = (),
) -> Design:
    """R's ``model.matrix(~ covariates + a:b)`` without the intercept (treatment contrasts).

    A categorical covariate (or one listed in ``forced``, as ``C(x)``) gives one 0/1 column
    ``COL[level]`` per level after the first (:func:`factor_levels`); a numeric or bool one
    the column ``COL``.  An interaction ``(a, b)`` adds the products of their columns, named
    ``a_term:b_term``; its members need not be main effects.

    Raises
    ------
    ValueError
        A covariate of an unusable dtype, or the same term produced twice.
    """
    cols: dict[str, np.ndarray] = {}
    term_of: dict[str, str] = {}
    reference: dict[str, Any] = {}
    factor_columns: dict[str, dict[Any, str]] = {}
    blocks: dict[str, list[tuple[str, np.ndarray]]] = {}
    for cov in dict.fromkeys([*covariates, *(v for ia in interactions for v in ia)]):
        col = data[cov]
        if is_categorical(col) or cov in forced:
            levels = factor_levels(col, f"covariate {cov!r}")
            values = col.to_numpy()
            if levels:
                reference[cov] = levels[0]
            factor_columns[cov] = {}
            blocks[cov] = []
            for lv in levels[1:]:
                name = f"{cov}[{lv}]"
                factor_columns[cov][lv] = name
                blocks[cov].append((name, (values == lv).astype(np.float64)))
        elif col.dtype == bool or pd.api.types.is_numeric_dtype(col):
            blocks[cov] = [(cov, col.to_numpy(dtype=np.float64))]
        else:
            raise ValueError(f"covariate {cov!r} has dtype {col.dtype}; expected numeric, bool, string or categorical")
    names: list[str] = []

    def add(name: str, x: np.ndarray, source: str) -> None:
        names.append(name)
        cols[name] = x
        term_of[name] = source

    for cov in covariates:
        for name, x in blocks[cov]:
            add(name, x, cov)
    for a, b in interactions:
        for name_a, xa in blocks[a]:
            for name_b, xb in blocks[b]:
                add(f"{name_a}:{name_b}", xa * xb, f"{a}:{b}")
    if len(set(names)) != len(names):
        dup = sorted({t for t in names if names.count(t) > 1})
        raise ValueError(f"covariates and interactions give the terms {dup} more than once; expected each once")
    X = pd.DataFrame(cols, index=data.index, columns=names)
    return Design(X, term_of, reference, factor_columns)
