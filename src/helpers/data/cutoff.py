"""Data cutoff: what was known on the cutoff date, and nothing after it.

:func:`apply_cutoff` turns validated tables (or a :class:`helpers.data.contract.Trial`) into the
tables an analysis at ``cutoff`` would have seen:

* ADSL: patients randomised after the cutoff leave (from every table and the screening log);
  deaths, end of study and end of treatment after the cutoff are undone (``DTHFL = "N"``,
  ``EOSSTT = "ONGOING"``, ``EOTSTT = "ONGOING"``), and so are the study's other endpoint dates
  (``adsl_events``, e.g. ``RELDT``); ``LSTALVDT`` and ``TRTEDT`` are capped at the cutoff; a
  first dose of the study drug after the cutoff is undone (``TRTSDT``/``TRTEDT`` empty,
  ``ACTARM`` = an untreated arm, and in a treated arm ``SAFFL = PPROTFL = "N"``).
* ADTTE: rows with ``ADT`` after the cutoff are censored at the cutoff (``EVNTCD = 0``,
  ``CNSR = 1``, ``AVAL = cutoff - STARTDT``, ``CNSDTDSC = "DATA CUTOFF"``).
* ADAE: AEs starting after the cutoff leave; end dates after it become missing (ongoing).
  For a first dose undone, ``ASTDY`` is recounted from ``RANDDT`` and ``TRTEMFL = "N"`` in
  a treated arm.  A grade 5 AE of a patient alive at the cutoff becomes grade 4: its
  fatal outcome lies after the cutoff.  ``AEACN = "DRUG WITHDRAWN"`` of a patient whose
  treatment is ongoing at the cutoff becomes ``"DOSE NOT CHANGED"``: the drug was still taken.
* ADEX: dosing periods starting after the cutoff leave; periods running past it end on it.
* SCREEN: screenings after the cutoff leave.

ADAE, ADEX and SCREEN are optional: a table not delivered (absent, or None) stays so.  Arms
(treated or not) come from the study definition.

Inputs are never modified; the function is idempotent (cutting twice at the same date equals
cutting once), and a later cutoff than the data's own leaves the data unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TypeVar

import numpy as np
import pandas as pd

from helpers.data import schemas
from helpers.study import Study, load_study

__all__ = ["apply_cutoff", "as_cutoff"]

T = TypeVar("T")


def as_cutoff(cutoff) -> pd.Timestamp:
    """Parse a cutoff (ISO string, date, datetime, Timestamp) to a midnight Timestamp."""
    try:
        ts = pd.Timestamp(cutoff)
    except (TypeError, ValueError):
        raise ValueError(f"{cutoff=} is not a date; expected YYYY-MM-DD") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(f"{cutoff=} is missing; expected a date YYYY-MM-DD")
    if ts != ts.normalize():
        raise ValueError(f"{cutoff=} has a time of day; expected a date YYYY-MM-DD")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def apply_cutoff(tables: T, cutoff, *, study: Study | None = None) -> T:
    """Cut the trial data at ``cutoff`` (see the module docstring for every rule).

    Parameters
    ----------
    tables : dict of str to DataFrame, or Trial
        Validated tables ``adsl, adtte`` and, when delivered, ``adae, adex, screen``
        (contract types), or a :class:`helpers.data.contract.Trial`.
    cutoff : date-like
        Last day of data included.
    study : Study, optional
        The study definition (its arms); default: the Trial's, else the default study.

    Returns
    -------
    Same type as ``tables``
        New frames; a Trial comes back with ``cutoff`` set.

    Raises
    ------
    ValueError
        If ``cutoff`` is not a date or precedes the first randomisation.
    """
    cut = as_cutoff(cutoff)
    if hasattr(tables, "adsl") and hasattr(tables, "files"):
        trial = tables
        study = study or trial.study  # type: ignore[attr-defined]
        new = _cut(trial.tables, cut, study or load_study())  # type: ignore[attr-defined]
        return replace(trial, **new, cutoff=cut)  # type: ignore[type-var]
    if not isinstance(tables, Mapping):
        raise TypeError(f"tables is {type(tables).__name__}; expected a dict of DataFrames or a Trial")
    return _cut(tables, cut, study or load_study())  # type: ignore[return-value]


def _cut(tables: Mapping[str, pd.DataFrame | None], cut: pd.Timestamp, study: Study) -> dict[str, pd.DataFrame | None]:
    adsl, adtte = tables["adsl"], tables["adtte"]
    assert adsl is not None and adtte is not None, "ADSL and ADTTE are required tables"
    first = adsl["RANDDT"].min()
    if len(adsl) and cut < first:
        raise ValueError(
            f"cutoff={cut.date()} precedes the first randomisation ({first.date()}); expected a date on or after it"
        )
    out = dict(tables)
    kept = adsl["RANDDT"] <= cut
    gone = set(adsl.loc[~kept, "USUBJID"])
    out["adsl"] = _cut_adsl(adsl[kept].copy(), cut, study)
    out["adtte"] = _cut_adtte(_keep(adtte, gone), cut)
    if tables.get("adae") is not None:
        out["adae"] = _cut_adae(
            _keep(tables["adae"], gone),
            cut,
            out["adsl"],
            late_start=set(adsl.loc[kept & _after(adsl["TRTSDT"], cut), "USUBJID"]),
            treated=[a.code for a in study.arms if a.treated],
        )
    if tables.get("adex") is not None:
        out["adex"] = _cut_adex(_keep(tables["adex"], gone), cut)
    screen = tables.get("screen")
    if screen is not None:
        keep_sc = (screen["SCRNDT"] <= cut) & ~screen["USUBJID"].isin(gone)
        out["screen"] = screen[keep_sc].reset_index(drop=True)
    return out


def _keep(df: pd.DataFrame, gone: set) -> pd.DataFrame:
    return df[~df["USUBJID"].isin(gone)].copy()


def _after(s: pd.Series, cut: pd.Timestamp) -> pd.Series:
    return s.notna() & (s > cut)


def _blank(df: pd.DataFrame, mask: pd.Series, cols: list[str]) -> None:
    for c in cols:
        if c in df.columns:
            df.loc[mask, c] = pd.NaT if pd.api.types.is_datetime64_any_dtype(df[c]) else np.nan


def _untreated_arm(study: Study, armcd: str):
    """The actual arm of a patient of planned arm ``armcd`` who took no study drug: the planned
    arm if untreated, else the reference arm if untreated, else the first untreated arm (None
    when every arm is treated)."""
    untreated = [a for a in study.arms if not a.treated]
    for a in untreated:
        if a.code == armcd:
            return a
    ref = study.reference_arm
    return ref if not ref.treated else (untreated[0] if untreated else None)


def _cut_adsl(d: pd.DataFrame, cut: pd.Timestamp, study: Study) -> pd.DataFrame:
    # treatment not yet started at the cutoff
    late_start = _after(d["TRTSDT"], cut)
    _blank(d, late_start, ["TRTSDT", "TRTEDT", "EOTSTT", "DCTREAS"])
    # the safety and per-protocol populations need the study drug taken in a treated arm
    treated = d["ARMCD"].isin([a.code for a in study.arms if a.treated])
    flags = [f for f in schemas.TREATMENT_FLAGS if f in d.columns]
    if flags:
        d.loc[late_start & treated, flags] = "N"
    for armcd in d.loc[late_start, "ARMCD"].unique():
        arm = _untreated_arm(study, armcd)
        if arm is not None:
            d.loc[late_start & (d["ARMCD"] == armcd), ["ACTARMCD", "ACTARM"]] = [arm.code, arm.label]
    # treatment still running at the cutoff
    on_trt = _after(d["TRTEDT"], cut)
    d.loc[on_trt, "TRTEDT"] = cut
    d.loc[on_trt, "EOTSTT"] = "ONGOING"
    _blank(d, on_trt, ["DCTREAS"])
    # deaths and relapses after the cutoff have not happened yet
    late_death = _after(d["DTHDT"], cut)
    d.loc[late_death, "DTHFL"] = "N"
    _blank(d, late_death, ["DTHDT", "DTHCAUS"])
    for date in schemas.event_dates(study):
        if date in d.columns and date != "DTHDT":
            _blank(d, _after(d[date], cut), [date])
    late_eos = _after(d["EOSDT"], cut)
    d.loc[late_eos, "EOSSTT"] = "ONGOING"
    _blank(d, late_eos, ["EOSDT", "DCSREAS"])
    d.loc[_after(d["LSTALVDT"], cut), "LSTALVDT"] = cut
    return d.reset_index(drop=True)


def _cut_adtte(d: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    late = _after(d["ADT"], cut)
    d.loc[late, "ADT"] = cut
    d.loc[late, "AVAL"] = (cut - d.loc[late, "STARTDT"]).dt.days.astype(d["AVAL"].dtype)
    d.loc[late, "EVNTCD"] = 0
    d.loc[late, "CNSR"] = 1
    d.loc[late, "EVNTDESC"] = "Censored"
    d.loc[late, "CNSDTDSC"] = "DATA CUTOFF"
    return d.reset_index(drop=True)


def _cut_adae(
    d: pd.DataFrame, cut: pd.Timestamp, adsl: pd.DataFrame, late_start: set, treated: list[str]
) -> pd.DataFrame:
    d = d[~_after(d["ASTDT"], cut)].copy()
    _blank(d, _after(d["AENDT"], cut), ["AENDT"])
    # first dose after the cutoff: the study-day reference becomes RANDDT, and a patient of a
    # treated arm who has taken nothing has no treatment-emergent AEs (ADAE.TRTEMFL)
    moved = d["USUBJID"].isin(late_start).to_numpy()
    if moved.any() and "ASTDY" in d.columns:
        randdt = d.loc[moved, "USUBJID"].map(adsl.set_index("USUBJID")["RANDDT"])
        days = (d.loc[moved, "ASTDT"] - randdt).dt.days
        d.loc[moved, "ASTDY"] = (days + (days >= 0)).astype(d["ASTDY"].dtype)
    if moved.any() and "TRTEMFL" in d.columns:
        armcd = d["USUBJID"].map(adsl.set_index("USUBJID")["ARMCD"])
        d.loc[moved & armcd.isin(treated).to_numpy(), "TRTEMFL"] = "N"
    # a death after the cutoff is not known at it, so neither is an AE's fatal outcome: the
    # AE stays (it began before the cutoff) as ongoing, at grade 4, the worst grade short of
    # death (CTCAE v5.0: life-threatening)
    if "AETOXGR" in d.columns:
        dead = set(adsl.loc[adsl["DTHFL"] == "Y", "USUBJID"])
        unknown = (d["AETOXGR"] == 5) & ~d["USUBJID"].isin(dead)
        d.loc[unknown, "AETOXGR"] = 4
    # the study drug still taken at the cutoff (ADSL EOTSTT = ONGOING, ADEX dosing through it) has
    # not been withdrawn yet: a fatal AE's withdrawal (last dose the day before death) lies
    # after the cutoff, so the action known on the cutoff date is none
    if "AEACN" in d.columns and "EOTSTT" in adsl.columns:
        ongoing = set(adsl.loc[adsl["EOTSTT"] == "ONGOING", "USUBJID"])
        early = (d["AEACN"] == "DRUG WITHDRAWN") & d["USUBJID"].isin(ongoing)
        d.loc[early, "AEACN"] = "DOSE NOT CHANGED"
    return d.reset_index(drop=True)


def _cut_adex(d: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    d = d[~_after(d["ASTDT"], cut)].copy()
    running = _after(d["AENDT"], cut)
    d.loc[running, "AENDT"] = cut
    d.loc[running, "EXDURD"] = ((cut - d.loc[running, "ASTDT"]).dt.days + 1).astype(d["EXDURD"].dtype)
    return d.reset_index(drop=True)
