"""Small array helpers shared by the generator's modules: day numbers to dates, padded ids."""

from __future__ import annotations

import numpy as np
import pandas as pd


def dates(days, origin: pd.Timestamp) -> pd.Series:
    """Days since ``origin`` (whole days as float, NaN = missing) -> datetime64[ns].

    Built from integer days under a mask: ``pd.to_timedelta`` on floats with NaN rounds
    uninitialised memory in the NaN slots (pandas 2.3) and can warn "overflow encountered in
    multiply" depending on what that memory held.
    """
    d = np.asarray(days, dtype="float64")
    out = np.full(d.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(d)
    out[ok] = np.datetime64(origin, "ns") + d[ok].astype(np.int64).astype("timedelta64[D]")
    return pd.Series(out)


def ceil_days(t) -> np.ndarray:
    """Continuous times -> whole days, at least 1."""
    return np.maximum(1, np.ceil(np.minimum(t, 1e6))).astype(np.int64)


def zpad(values: np.ndarray, width: int) -> np.ndarray:
    """Integers -> zero-padded text of ``width`` characters (object array)."""
    if len(values) == 0:
        return np.array([], dtype=object)
    return np.char.zfill(values.astype(str), width).astype(object)


def where_text(mask, values) -> np.ndarray:
    """Object array: ``values`` where ``mask``, NaN elsewhere."""
    out = np.full(len(mask), np.nan, dtype=object)
    vals = np.broadcast_to(np.asarray(values, dtype=object), len(mask))
    out[mask] = vals[mask]
    return out


def flags(mask) -> np.ndarray:
    """Boolean array -> ``"Y"``/``"N"`` (object array)."""
    return np.where(mask, "Y", "N").astype(object)


def finish(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The table in ``columns`` order with a fresh index; text missing values are NaN (not
    None)."""
    df = df[columns].reset_index(drop=True)
    for col in df.columns:
        if df[col].dtype == object:
            df[col] = df[col].where(df[col].notna(), np.nan)
    return df
