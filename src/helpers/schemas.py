"""The data contract of NCT04674345: variables of every table and the pandera schemas.

Each table is described once, as a tuple of :class:`Var` (name, type, allowed values,
meaning, derivation).  The same description drives

* the pandera schemas used by :func:`helpers.contract.validate` (per-table checks),
* the type conversion in :func:`helpers.contract.read_table`,
* the column order written by :func:`helpers.synthetic.write_trial`,
* the data dictionary in ``data/README.md`` (:func:`data_dictionary`).

Cross-table rules (every patient in ADSL, dates in order across tables) are pandera schemas
too; they run on frames that :mod:`helpers.contract` builds by merging a table with ADSL.
Variable names follow CDISC ADaM (ADaMIG v1.3, ADaM BDS for time-to-event v1.0).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = [
    "ARMS",
    "ARMCDS",
    "PARAMS",
    "TABLES",
    "TABLE_NAMES",
    "ID_COLUMN",
    "Var",
    "columns",
    "table_schema",
    "cross_schemas",
    "data_dictionary",
]

ARMS = {"SORA": "Sorafenib maintenance", "CTRL": "No maintenance"}
ARMCDS = tuple(ARMS)
YN = ("Y", "N")
DISSTATS = ("CR1", "CR2+", "Not in CR")
DONORS = ("MSD", "MUD", "HAPLO")
STATUSES = ("COMPLETED", "DISCONTINUED", "ONGOING")
AEACNS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "DOSE NOT CHANGED",
          "NOT APPLICABLE")
DOSE_ACTIONS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "DOSE NOT CHANGED")
EXADJS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DOSE RESUMED")

#: PARAMCD -> (PARAM, event of interest, competing events)
PARAMS: dict[str, tuple[str, str, str]] = {
    "REL": ("Time to relapse (days)", "relapse", "death without relapse"),
    "NRM": ("Time to non-relapse mortality (days)", "death without prior relapse", "relapse"),
    "OS": ("Overall survival (days)", "death from any cause", "none"),
    "LFS": ("Leukaemia-free survival (days)", "relapse or death, whichever first", "none"),
    "AGVHD": ("Time to acute GVHD grade II-IV (days)", "acute GVHD grade II-IV",
              "relapse or death"),
    "CGVHD": ("Time to chronic GVHD (days)", "chronic GVHD (any severity)", "relapse or death"),
    "GRFS": (
        "GVHD-free relapse-free survival (days)",
        "aGVHD III-IV, cGVHD needing systemic therapy, relapse or death",
        "none",
    ),
}
NO_COMPETING = ("OS", "LFS", "GRFS")

TABLE_NAMES = ("adsl", "adtte", "adae", "adex", "screen")
#: column that identifies a row's patient in error messages
ID_COLUMN = {"adsl": "USUBJID", "adtte": "USUBJID", "adae": "USUBJID", "adex": "USUBJID",
             "screen": "SCRNID"}


@dataclass(frozen=True)
class Var:
    """One variable of the contract.

    Parameters
    ----------
    name : str
        ADaM variable name (at most 8 characters, upper case; SAS transport limit).
    kind : {"str", "int", "date"}
        Type after loading: ``object`` holding ``str`` (missing = NaN), ``int64``,
        ``datetime64[ns]`` (missing = NaT).
    label : str
        Short label (at most 40 characters; SAS transport limit).
    nullable : bool
        Whether missing values are allowed.
    allowed : tuple, optional
        Allowed values (codes).
    bounds : tuple of int, optional
        Inclusive range ``(low, high)``; ``high`` may be None.
    derivation : str
        How the value is derived, or its source.
    """

    name: str
    kind: str
    label: str
    nullable: bool = False
    allowed: tuple | None = None
    bounds: tuple | None = None
    derivation: str = ""


V = Var
TABLES: dict[str, tuple[Var, ...]] = {
    "adsl": (
        V("STUDYID", "str", "Study Identifier", allowed=("NCT04674345",), derivation="Constant."),
        V("USUBJID", "str", "Unique Subject Identifier",
          derivation="STUDYID-SITEID-SUBJID; unique key of ADSL."),
        V("SUBJID", "str", "Subject Identifier for the Study",
          derivation="Sequence number within site, in order of randomisation."),
        V("SITEID", "str", "Study Site Identifier", derivation="Two-digit centre number."),
        V("ARM", "str", "Description of Planned Arm", allowed=tuple(ARMS.values()),
          derivation="Randomised arm."),
        V("ARMCD", "str", "Planned Arm Code", allowed=ARMCDS,
          derivation="SORA = Sorafenib maintenance, CTRL = No maintenance."),
        V("ACTARM", "str", "Description of Actual Arm", allowed=tuple(ARMS.values()),
          derivation="Sorafenib maintenance if any sorafenib was taken (TRTSDT set), "
                     "else No maintenance."),
        V("ACTARMCD", "str", "Actual Arm Code", allowed=ARMCDS, derivation="Code of ACTARM."),
        V("RANDDT", "date", "Date of Randomization",
          derivation="Randomisation date, day 30-60 after transplant; origin of all ADTTE times."),
        V("STRATDS", "str", "Strat: Disease Status at Transplant", allowed=DISSTATS,
          derivation="Stratification factor as entered in the randomisation system; "
                     "can differ from DISSTAT (CRF) when mis-stratified."),
        V("STRATDT", "str", "Strat: Donor Type", allowed=DONORS,
          derivation="Stratification factor as entered in the randomisation system; "
                     "can differ from DONORTYP (CRF)."),
        V("AGE", "int", "Age at Randomization", bounds=(18, 65),
          derivation="Completed years at randomisation."),
        V("AGEU", "str", "Age Units", allowed=("YEARS",), derivation="Constant."),
        V("AGEGR1", "str", "Pooled Age Group 1", allowed=("18-39", "40-65"),
          derivation="18-39 if AGE <= 39 else 40-65."),
        V("SEX", "str", "Sex", allowed=("M", "F")),
        V("DIAG", "str", "Diagnosis", allowed=("AML", "ALL", "MPAL"),
          derivation="Acute myeloid, acute lymphoblastic, mixed-phenotype acute leukaemia."),
        V("DISSTAT", "str", "Disease Status at Transplant", allowed=DISSTATS,
          derivation="CRF: first, second or later complete remission, or not in remission."),
        V("CYTORISK", "str", "Cytogenetic/Molecular Risk", nullable=True,
          allowed=("Favourable", "Intermediate", "Adverse"),
          derivation="ELN 2017 (AML) or NCCN (ALL) risk; missing when not assessable."),
        V("MRDPRE", "str", "MRD Status Before Transplant", nullable=True,
          allowed=("Positive", "Negative"),
          derivation="Flow cytometry MRD before conditioning; missing when not done."),
        V("DONORTYP", "str", "Donor Type", allowed=DONORS,
          derivation="Matched sibling, matched unrelated, haploidentical donor."),
        V("CONDINT", "str", "Conditioning Intensity", allowed=("MAC", "RIC"),
          derivation="Myeloablative or reduced-intensity conditioning."),
        V("TRANSDT", "date", "Date of Transplant", derivation="Day 0 of the first allo-HSCT."),
        V("ITTFL", "str", "Intent-To-Treat Population Flag", allowed=YN,
          derivation="Y for every randomised patient."),
        V("SAFFL", "str", "Safety Population Flag", allowed=YN,
          derivation="Sorafenib arm: Y if any sorafenib taken (TRTSDT set). "
                     "Control arm: Y for every randomised patient."),
        V("PPROTFL", "str", "Per-Protocol Population Flag", allowed=YN,
          derivation="Y unless a major protocol deviation or, in the sorafenib arm, "
                     "no sorafenib taken; requires ITTFL = Y."),
        V("TRTSDT", "date", "Date of First Exposure to Treatment", nullable=True,
          derivation="First sorafenib dose; empty in the control arm and if never taken."),
        V("TRTEDT", "date", "Date of Last Exposure to Treatment", nullable=True,
          derivation="Last sorafenib dose; set iff TRTSDT is set; capped at the data cutoff."),
        V("EOTSTT", "str", "End of Treatment Status", nullable=True, allowed=STATUSES,
          derivation="Sorafenib status; set iff TRTSDT is set. COMPLETED = reached day 180 "
                     "after transplant."),
        V("DCTREAS", "str", "Reason for Discontinuation of Treatment", nullable=True,
          allowed=("ADVERSE EVENT", "RELAPSE", "DEATH", "WITHDRAWAL BY SUBJECT",
                   "LOST TO FOLLOW-UP"),
          derivation="Set iff EOTSTT = DISCONTINUED."),
        V("EOSSTT", "str", "End of Study Status", allowed=STATUSES,
          derivation="COMPLETED = alive and followed to study closure; DISCONTINUED = death, "
                     "withdrawal or loss to follow-up; ONGOING = in follow-up at the data cutoff."),
        V("EOSDT", "date", "End of Study Date", nullable=True,
          derivation="Date of study completion or discontinuation; empty iff EOSSTT = ONGOING."),
        V("DCSREAS", "str", "Reason for Discontinuation from Study", nullable=True,
          allowed=("DEATH", "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP"),
          derivation="Set iff EOSSTT = DISCONTINUED."),
        V("RELDT", "date", "Date of Relapse", nullable=True,
          derivation="First haematological or extramedullary relapse after randomisation."),
        V("DTHFL", "str", "Subject Death Flag", allowed=YN, derivation="Y iff DTHDT is set."),
        V("DTHDT", "date", "Date of Death", nullable=True, derivation="Set iff DTHFL = Y."),
        V("DTHCAUS", "str", "Cause of Death", nullable=True,
          allowed=("RELAPSE", "INFECTION", "GVHD", "ORGAN FAILURE", "OTHER"),
          derivation="Set iff DTHFL = Y; RELAPSE for deaths after relapse."),
        V("LSTALVDT", "date", "Date Last Known Alive",
          derivation="Death date for deaths, else last contact (end of study or data cutoff)."),
    ),
    "adtte": (
        V("STUDYID", "str", "Study Identifier", allowed=("NCT04674345",)),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V("PARAMCD", "str", "Parameter Code", allowed=tuple(PARAMS),
          derivation="One row per patient per PARAMCD (see the endpoint table)."),
        V("PARAM", "str", "Parameter", allowed=tuple(p[0] for p in PARAMS.values()),
          derivation="Text of PARAMCD."),
        V("STARTDT", "date", "Time-to-Event Origin Date", derivation="= ADSL.RANDDT."),
        V("ADT", "date", "Analysis Date",
          derivation="Date of the event of interest, of the competing event, or of censoring."),
        V("AVAL", "int", "Analysis Value", bounds=(0, None),
          derivation="Days from randomisation: ADT - STARTDT."),
        V("CNSR", "int", "Censor", allowed=(0, 1),
          derivation="ADaM convention: 0 = event of interest, 1 = censored or competing event."),
        V("EVNTCD", "int", "Event Code", allowed=(0, 1, 2),
          derivation="cmprsk fstatus: 0 = censored, 1 = event of interest, 2 = competing event; "
                     "CNSR = 0 iff EVNTCD = 1; never 2 for OS, LFS, GRFS."),
        V("EVNTDESC", "str", "Event or Censoring Description",
          derivation="Text of the event, competing event, or 'Censored'."),
        V("CNSDTDSC", "str", "Censor Date Description", nullable=True,
          derivation="Why follow-up ended for CNSR = 1 rows (DATA CUTOFF, LOST TO FOLLOW-UP, "
                     "WITHDRAWAL BY SUBJECT, COMPETING EVENT); empty iff CNSR = 0."),
    ),
    "adae": (
        V("STUDYID", "str", "Study Identifier", allowed=("NCT04674345",)),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V("AESEQ", "int", "Sequence Number", bounds=(1, None),
          derivation="Unique within patient, in order of onset."),
        V("AEBODSYS", "str", "Body System or Organ Class", derivation="MedDRA SOC."),
        V("AEDECOD", "str", "Dictionary-Derived Term", derivation="MedDRA preferred term."),
        V("AETOXGR", "int", "Standard Toxicity Grade", allowed=(1, 2, 3, 4, 5),
          derivation="CTCAE v5.0 worst grade; grade 5 AEs end on the death date."),
        V("AESER", "str", "Serious Event", allowed=YN),
        V("AEREL", "str", "Causality", allowed=("RELATED", "NOT RELATED"),
          derivation="Relationship to sorafenib; RELATED only for treated patients."),
        V("AEACN", "str", "Action Taken with Study Treatment", allowed=AEACNS,
          derivation="Dose actions only for patients who took sorafenib; NOT APPLICABLE "
                     "otherwise (control arm, before or after treatment)."),
        V("ASTDT", "date", "Analysis Start Date", derivation="Onset; on or after RANDDT."),
        V("AENDT", "date", "Analysis End Date", nullable=True,
          derivation="Resolution; empty = ongoing at last contact or at the data cutoff."),
        V("ASTDY", "int", "Analysis Start Relative Day",
          derivation="ASTDT - reference + 1 if on/after reference, else ASTDT - reference "
                     "(no day 0); reference = TRTSDT, or RANDDT when TRTSDT is empty."),
        V("TRTEMFL", "str", "Treatment Emergent Analysis Flag", allowed=YN,
          derivation="Sorafenib takers: onset in [TRTSDT, TRTEDT + 30]. Control arm: onset in "
                     "[RANDDT, TRANSDT + 210] (the same post-transplant window). Else N."),
    ),
    "adex": (
        V("STUDYID", "str", "Study Identifier", allowed=("NCT04674345",)),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V("EXSEQ", "int", "Sequence Number", bounds=(1, None),
          derivation="Dosing period number within patient, in time order."),
        V("EXTRT", "str", "Name of Treatment", allowed=("SORAFENIB",)),
        V("EXDOSE", "int", "Dose per Day", allowed=(0, 200, 400, 800),
          derivation="mg/day: 800 = 400 mg twice daily (start), 400, 200; 0 = interrupted."),
        V("EXDOSU", "str", "Dose Units", allowed=("mg",), derivation="EXDOSE is mg per day."),
        V("EXDOSFRQ", "str", "Dosing Frequency per Interval", nullable=True,
          allowed=("BID", "QD"), derivation="BID for 800 and 400 mg/day, QD for 200; empty if 0."),
        V("ASTDT", "date", "Analysis Start Date", derivation="First day of the period."),
        V("AENDT", "date", "Analysis End Date",
          derivation="Last day of the period; periods are contiguous and do not overlap."),
        V("EXDURD", "int", "Duration of Period (days)", bounds=(1, None),
          derivation="AENDT - ASTDT + 1."),
        V("EXADJ", "str", "Reason for Dose Adjustment", nullable=True, allowed=EXADJS,
          derivation="Empty for the first period; DRUG INTERRUPTED iff EXDOSE = 0; DOSE REDUCED "
                     "or DOSE RESUMED (same dose after an interruption)."),
    ),
    "screen": (
        V("STUDYID", "str", "Study Identifier", allowed=("NCT04674345",)),
        V("SCRNID", "str", "Screening Identifier", derivation="Unique key of the screening log."),
        V("SITEID", "str", "Study Site Identifier"),
        V("SCRNDT", "date", "Date of Screening", derivation="On or before RANDDT if randomised."),
        V("USUBJID", "str", "Unique Subject Identifier", nullable=True,
          derivation="Set iff RANDFL = Y; every ADSL patient appears exactly once."),
        V("RANDFL", "str", "Randomized Flag", allowed=YN),
        V("EXCLCAT", "str", "Exclusion Category (CONSORT)", nullable=True,
          allowed=("Not meeting inclusion criteria", "Declined to participate", "Other reasons"),
          derivation="Set iff RANDFL = N."),
        V("EXCLREAS", "str", "Exclusion Reason", nullable=True,
          derivation="Set iff RANDFL = N; detailed reason within EXCLCAT."),
    ),
}


def columns(table: str) -> list[str]:
    """Contract column names of ``table`` in file order."""
    return [v.name for v in TABLES[table]]


# --------------------------------------------------------------------------- checks
def _row_check(
    rule: str, column: str, needs: Sequence[str], fn: Callable[[pd.DataFrame], pd.Series],
    required: Sequence[str] = (),
) -> pa.Check:
    """A row-wise pandera check whose failures are reported against ``column``.

    The check passes trivially when a needed column is absent or of the wrong type, and rows
    pass where a ``required`` (not nullable) column is missing: those faults are already
    reported by the column checks, and reporting them twice would bury them.
    """

    def check(df: pd.DataFrame) -> pd.Series:
        if any(c not in df.columns for c in needs):
            return pd.Series(True, index=df.index)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
                out = np.asarray(fn(df), dtype=bool)
        except (TypeError, ValueError, AttributeError, KeyError):
            # a column of the wrong type (reported by its dtype check) breaks the rule's code
            return pd.Series(True, index=df.index)
        for c in required:
            out = out | df[c].isna().to_numpy()
        return pd.Series(out, index=df.index)

    # ignore_na=False: the rules handle missing values themselves, and pandera's all-NA row
    # scan per check would dominate the run time
    return pa.Check(check, name=rule, error=rule, statistics={"column": column}, ignore_na=False)


def _set(s: pd.Series) -> pd.Series:
    return s.notna()


def _iff(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.to_numpy(dtype=bool) == b.to_numpy(dtype=bool)


def _implies(a: pd.Series, b: pd.Series) -> pd.Series:
    return ~a.to_numpy(dtype=bool) | b.to_numpy(dtype=bool)


def _le(a: pd.Series, b: pd.Series) -> pd.Series:
    """a <= b where both are set (missing dates pass: nullability is checked elsewhere)."""
    return (a.isna() | b.isna() | (a <= b)).to_numpy()


_DTYPE = {"str": str, "int": "int64", "date": "datetime64[ns]"}


def _column(v: Var) -> pa.Column:
    checks = []
    if v.allowed is not None:
        checks.append(pa.Check.isin(list(v.allowed)))
    if v.bounds is not None:
        lo, hi = v.bounds
        checks.append(pa.Check.ge(lo) if hi is None else pa.Check.in_range(lo, hi))
    return pa.Column(_DTYPE[v.kind], checks=checks, nullable=v.nullable, required=True)


def _adsl_checks() -> list[pa.Check]:
    c = _row_check
    return [
        c("ARMCD matches ARM", "ARMCD", ["ARM", "ARMCD"],
          lambda d: d["ARM"] == d["ARMCD"].map(ARMS), ["ARM", "ARMCD"]),
        c("ACTARMCD matches ACTARM", "ACTARMCD", ["ACTARM", "ACTARMCD"],
          lambda d: d["ACTARM"] == d["ACTARMCD"].map(ARMS), ["ACTARM", "ACTARMCD"]),
        c("AGEGR1 matches AGE", "AGEGR1", ["AGE", "AGEGR1"],
          lambda d: d["AGEGR1"] == np.where(d["AGE"] <= 39, "18-39", "40-65"), ["AGE", "AGEGR1"]),
        c("TRANSDT before RANDDT", "TRANSDT", ["TRANSDT", "RANDDT"],
          lambda d: _le(d["TRANSDT"] + pd.Timedelta(days=1), d["RANDDT"])),
        c("RANDDT not after LSTALVDT", "LSTALVDT", ["RANDDT", "LSTALVDT"],
          lambda d: _le(d["RANDDT"], d["LSTALVDT"])),
        c("DTHDT set iff DTHFL = Y", "DTHDT", ["DTHFL", "DTHDT"],
          lambda d: _iff(d["DTHFL"] == "Y", _set(d["DTHDT"])), ["DTHFL"]),
        c("DTHCAUS set iff DTHFL = Y", "DTHCAUS", ["DTHFL", "DTHCAUS"],
          lambda d: _iff(d["DTHFL"] == "Y", _set(d["DTHCAUS"])), ["DTHFL"]),
        c("LSTALVDT = DTHDT for deaths", "LSTALVDT", ["DTHDT", "LSTALVDT"],
          lambda d: d["DTHDT"].isna() | (d["LSTALVDT"] == d["DTHDT"])),
        c("RELDT in [RANDDT, LSTALVDT]", "RELDT", ["RELDT", "RANDDT", "LSTALVDT"],
          lambda d: _le(d["RANDDT"], d["RELDT"]) & _le(d["RELDT"], d["LSTALVDT"])),
        c("TRTSDT empty in the control arm", "TRTSDT", ["ARMCD", "TRTSDT"],
          lambda d: _implies(d["ARMCD"] == "CTRL", d["TRTSDT"].isna())),
        c("TRTEDT set iff TRTSDT set", "TRTEDT", ["TRTSDT", "TRTEDT"],
          lambda d: _iff(_set(d["TRTSDT"]), _set(d["TRTEDT"]))),
        c("RANDDT <= TRTSDT <= TRTEDT <= LSTALVDT", "TRTSDT",
          ["RANDDT", "TRTSDT", "TRTEDT", "LSTALVDT"],
          lambda d: _le(d["RANDDT"], d["TRTSDT"]) & _le(d["TRTSDT"], d["TRTEDT"])
          & _le(d["TRTEDT"], d["LSTALVDT"])),
        c("ACTARMCD = SORA iff TRTSDT set", "ACTARMCD", ["ACTARMCD", "TRTSDT"],
          lambda d: _iff(d["ACTARMCD"] == "SORA", _set(d["TRTSDT"])), ["ACTARMCD"]),
        c("SAFFL = Y in the sorafenib arm requires TRTSDT", "SAFFL", ["SAFFL", "ARMCD", "TRTSDT"],
          lambda d: _implies((d["SAFFL"] == "Y") & (d["ARMCD"] == "SORA"), _set(d["TRTSDT"]))),
        c("PPROTFL = Y requires ITTFL = Y", "PPROTFL", ["PPROTFL", "ITTFL"],
          lambda d: _implies(d["PPROTFL"] == "Y", d["ITTFL"] == "Y"), ["ITTFL"]),
        c("EOTSTT set iff TRTSDT set", "EOTSTT", ["EOTSTT", "TRTSDT"],
          lambda d: _iff(_set(d["EOTSTT"]), _set(d["TRTSDT"]))),
        c("DCTREAS set iff EOTSTT = DISCONTINUED", "DCTREAS", ["DCTREAS", "EOTSTT"],
          lambda d: _iff(_set(d["DCTREAS"]), d["EOTSTT"] == "DISCONTINUED")),
        c("DCSREAS set iff EOSSTT = DISCONTINUED", "DCSREAS", ["DCSREAS", "EOSSTT"],
          lambda d: _iff(_set(d["DCSREAS"]), d["EOSSTT"] == "DISCONTINUED"), ["EOSSTT"]),
        c("EOSDT set iff EOSSTT != ONGOING", "EOSDT", ["EOSDT", "EOSSTT"],
          lambda d: _iff(_set(d["EOSDT"]), d["EOSSTT"] != "ONGOING"), ["EOSSTT"]),
        c("DCSREAS = DEATH iff DTHFL = Y", "DCSREAS", ["DCSREAS", "DTHFL"],
          lambda d: _iff(d["DCSREAS"] == "DEATH", d["DTHFL"] == "Y"), ["DTHFL"]),
    ]


def _adtte_checks() -> list[pa.Check]:
    c = _row_check
    return [
        c("PARAM matches PARAMCD", "PARAM", ["PARAM", "PARAMCD"],
          lambda d: d["PARAM"] == d["PARAMCD"].map({k: v[0] for k, v in PARAMS.items()}),
          ["PARAM", "PARAMCD"]),
        c("ADT = STARTDT + AVAL", "ADT", ["ADT", "STARTDT", "AVAL"],
          lambda d: d["ADT"] == d["STARTDT"] + pd.to_timedelta(d["AVAL"], unit="D"),
          ["ADT", "STARTDT", "AVAL"]),
        c("CNSR = 0 iff EVNTCD = 1", "CNSR", ["CNSR", "EVNTCD"],
          lambda d: _iff(d["CNSR"] == 0, d["EVNTCD"] == 1), ["CNSR", "EVNTCD"]),
        c("EVNTCD = 2 only for competing-risk parameters", "EVNTCD", ["EVNTCD", "PARAMCD"],
          lambda d: ~((d["EVNTCD"] == 2) & d["PARAMCD"].isin(NO_COMPETING))),
        c("CNSDTDSC set iff CNSR = 1", "CNSDTDSC", ["CNSDTDSC", "CNSR"],
          lambda d: _iff(_set(d["CNSDTDSC"]), d["CNSR"] == 1), ["CNSR"]),
    ]


def _adae_checks() -> list[pa.Check]:
    c = _row_check
    return [
        c("AENDT not before ASTDT", "AENDT", ["ASTDT", "AENDT"],
          lambda d: _le(d["ASTDT"], d["AENDT"])),
    ]


def _adex_checks() -> list[pa.Check]:
    c = _row_check
    return [
        c("AENDT not before ASTDT", "AENDT", ["ASTDT", "AENDT"],
          lambda d: _le(d["ASTDT"], d["AENDT"])),
        c("EXDURD = AENDT - ASTDT + 1", "EXDURD", ["ASTDT", "AENDT", "EXDURD"],
          lambda d: (d["AENDT"] - d["ASTDT"]).dt.days + 1 == d["EXDURD"],
          ["ASTDT", "AENDT", "EXDURD"]),
        c("EXADJ = DRUG INTERRUPTED iff EXDOSE = 0", "EXADJ", ["EXADJ", "EXDOSE"],
          lambda d: _iff(d["EXADJ"] == "DRUG INTERRUPTED", d["EXDOSE"] == 0), ["EXDOSE"]),
        c("EXDOSFRQ empty iff EXDOSE = 0", "EXDOSFRQ", ["EXDOSFRQ", "EXDOSE"],
          lambda d: _iff(d["EXDOSFRQ"].isna(), d["EXDOSE"] == 0), ["EXDOSE"]),
    ]


def _screen_checks() -> list[pa.Check]:
    c = _row_check
    return [
        c("USUBJID set iff RANDFL = Y", "USUBJID", ["USUBJID", "RANDFL"],
          lambda d: _iff(_set(d["USUBJID"]), d["RANDFL"] == "Y"), ["RANDFL"]),
        c("EXCLREAS set iff RANDFL = N", "EXCLREAS", ["EXCLREAS", "RANDFL"],
          lambda d: _iff(_set(d["EXCLREAS"]), d["RANDFL"] == "N"), ["RANDFL"]),
        c("EXCLCAT set iff RANDFL = N", "EXCLCAT", ["EXCLCAT", "RANDFL"],
          lambda d: _iff(_set(d["EXCLCAT"]), d["RANDFL"] == "N"), ["RANDFL"]),
    ]


_KEYS = {
    "adsl": ["USUBJID"],
    "adtte": ["USUBJID", "PARAMCD"],
    "adae": ["USUBJID", "AESEQ"],
    "adex": ["USUBJID", "EXSEQ"],
    "screen": ["SCRNID"],
}
_CHECKS = {"adsl": _adsl_checks, "adtte": _adtte_checks, "adae": _adae_checks,
           "adex": _adex_checks, "screen": _screen_checks}


def _unique_check(keys: list[str]) -> pa.Check:
    """Unique key as a row check, so that duplicates are counted once per row."""
    rule = f"unique key ({', '.join(keys)})"
    return _row_check(rule, keys[-1], keys,
                      lambda d: ~d.duplicated(subset=keys, keep=False).to_numpy())


def table_schema(table: str) -> pa.DataFrameSchema:
    """Pandera schema of one table: columns, types, codes, ranges, unique key, row rules.

    Extra columns are allowed (ADaM permits sponsor-defined variables); missing ones are not.
    """
    cols = {v.name: _column(v) for v in TABLES[table]}
    checks = [_unique_check(_KEYS[table]), *_CHECKS[table]()]
    return pa.DataFrameSchema(cols, checks=checks, strict=False, coerce=False, name=table)


# --------------------------------------------------------------------------- cross-table
def cross_schemas() -> dict[str, pa.DataFrameSchema]:
    """Schemas of the cross-table frames built by :func:`helpers.contract.cross_frames`.

    Keys are the table the failing rows belong to.  Each frame holds that table's rows (same
    index) with the needed ADSL variables merged in under an ``ADSL_`` prefix, and
    ``IN_ADSL`` (bool).
    """
    c = _row_check
    in_adsl = c("USUBJID in ADSL", "USUBJID", ["IN_ADSL"], lambda d: d["IN_ADSL"])
    adtte = [
        in_adsl,
        c("STARTDT = ADSL.RANDDT", "STARTDT", ["STARTDT", "ADSL_RANDDT"],
          lambda d: ~d["IN_ADSL"] | (d["STARTDT"] == d["ADSL_RANDDT"])),
        c("ADT not after ADSL.LSTALVDT", "ADT", ["ADT", "ADSL_LSTALVDT"],
          lambda d: _le(d["ADT"], d["ADSL_LSTALVDT"])),
        c("OS event iff ADSL.DTHFL = Y, at DTHDT", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_DTHFL", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "OS") | np.where(
              d["ADSL_DTHFL"] == "Y", (d["EVNTCD"] == 1) & (d["ADT"] == d["ADSL_DTHDT"]),
              d["EVNTCD"] == 0)),
        c("REL event iff ADSL.RELDT set, at RELDT", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_RELDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "REL") | np.where(
              d["ADSL_RELDT"].notna(), (d["EVNTCD"] == 1) & (d["ADT"] == d["ADSL_RELDT"]),
              d["EVNTCD"] != 1)),
        c("REL competing event iff death without relapse, at ADSL.DTHDT", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_RELDT", "ADSL_DTHFL", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "REL") | np.where(
              _death_without_relapse(d),
              (d["EVNTCD"] == 2) & (d["ADT"] == d["ADSL_DTHDT"]), d["EVNTCD"] != 2)),
        c("NRM event iff death without relapse, at ADSL.DTHDT", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_RELDT", "ADSL_DTHFL", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "NRM") | np.where(
              _death_without_relapse(d),
              (d["EVNTCD"] == 1) & (d["ADT"] == d["ADSL_DTHDT"]), d["EVNTCD"] != 1)),
        c("NRM competing event iff ADSL.RELDT set, at RELDT", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_RELDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "NRM") | np.where(
              d["ADSL_RELDT"].notna(), (d["EVNTCD"] == 2) & (d["ADT"] == d["ADSL_RELDT"]),
              d["EVNTCD"] != 2)),
        c("LFS event iff ADSL.RELDT or DTHDT set, at the earlier", "EVNTCD",
          ["PARAMCD", "EVNTCD", "ADT", "ADSL_RELDT", "ADSL_DTHFL", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | (d["PARAMCD"] != "LFS") | np.where(
              d["ADSL_RELDT"].notna() | (d["ADSL_DTHFL"] == "Y"),
              (d["EVNTCD"] == 1)
              & (d["ADT"].to_numpy() == np.fmin(d["ADSL_RELDT"].to_numpy(),
                                                 d["ADSL_DTHDT"].to_numpy())),
              d["EVNTCD"] == 0)),
    ]
    coverage = [
        c("one ADTTE row per patient per PARAMCD", "PARAMCD", ["N_ROWS"],
          lambda d: d["N_ROWS"] == 1),
    ]
    adae = [
        in_adsl,
        c("ASTDT in [ADSL.RANDDT, ADSL.LSTALVDT]", "ASTDT",
          ["ASTDT", "ADSL_RANDDT", "ADSL_LSTALVDT"],
          lambda d: _le(d["ADSL_RANDDT"], d["ASTDT"]) & _le(d["ASTDT"], d["ADSL_LSTALVDT"])),
        c("TRTEMFL = Y not before ADSL.TRTSDT (RANDDT in the control arm)", "TRTEMFL",
          ["TRTEMFL", "ASTDT", "ADSL_TRTSDT", "ADSL_RANDDT", "ADSL_ARMCD"],
          lambda d: ~d["IN_ADSL"] | _implies(
              d["TRTEMFL"] == "Y",
              (d["ADSL_TRTSDT"].notna() & (d["ASTDT"] >= d["ADSL_TRTSDT"]))
              | ((d["ADSL_ARMCD"] == "CTRL") & (d["ASTDT"] >= d["ADSL_RANDDT"])))),
        c("ASTDY consistent with ASTDT", "ASTDY",
          ["ASTDY", "ASTDT", "ADSL_TRTSDT", "ADSL_RANDDT"],
          lambda d: ~d["IN_ADSL"] | (d["ASTDY"] == _study_day(
              d["ASTDT"], d["ADSL_TRTSDT"].fillna(d["ADSL_RANDDT"])))),
        c("dose action requires sorafenib taken (ADSL.TRTSDT)", "AEACN",
          ["AEACN", "ADSL_TRTSDT"],
          lambda d: ~d["IN_ADSL"] | _implies(d["AEACN"].isin(DOSE_ACTIONS),
                                             d["ADSL_TRTSDT"].notna())),
        c("AEREL = RELATED requires sorafenib taken (ADSL.TRTSDT)", "AEREL",
          ["AEREL", "ADSL_TRTSDT"],
          lambda d: ~d["IN_ADSL"] | _implies(d["AEREL"] == "RELATED", d["ADSL_TRTSDT"].notna())),
        c("grade 5 AE requires ADSL.DTHFL = Y, onset not after DTHDT", "AETOXGR",
          ["AETOXGR", "ASTDT", "ADSL_DTHFL", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | _implies(
              d["AETOXGR"] == 5,
              (d["ADSL_DTHFL"] == "Y") & d["ADSL_DTHDT"].notna()
              & (d["ASTDT"] <= d["ADSL_DTHDT"]))),
        c("ended grade 5 AE ends at ADSL.DTHDT", "AETOXGR",
          ["AETOXGR", "AENDT", "ADSL_DTHDT"],
          lambda d: ~d["IN_ADSL"] | _implies((d["AETOXGR"] == 5) & d["AENDT"].notna(),
                                             d["AENDT"] == d["ADSL_DTHDT"])),
    ]
    adex = [
        in_adsl,
        c("exposure within [ADSL.TRTSDT, ADSL.TRTEDT]", "ASTDT",
          ["ASTDT", "AENDT", "ADSL_TRTSDT", "ADSL_TRTEDT"],
          lambda d: ~d["IN_ADSL"] | (d["ADSL_TRTSDT"].notna() & (d["ASTDT"] >= d["ADSL_TRTSDT"])
                                     & (d["AENDT"] <= d["ADSL_TRTEDT"]))),
        c("dosing periods do not overlap", "ASTDT", ["ASTDT", "PREV_AENDT"],
          lambda d: _le(d["PREV_AENDT"] + pd.Timedelta(days=1), d["ASTDT"])),
    ]
    screen = [
        c("USUBJID in ADSL", "USUBJID", ["IN_ADSL", "USUBJID"],
          lambda d: d["USUBJID"].isna() | d["IN_ADSL"]),
        c("SCRNDT not after ADSL.RANDDT", "SCRNDT", ["SCRNDT", "ADSL_RANDDT"],
          lambda d: _le(d["SCRNDT"], d["ADSL_RANDDT"])),
    ]
    screen_coverage = [
        c("every ADSL patient once in SCREEN", "USUBJID", ["N_ROWS"], lambda d: d["N_ROWS"] == 1),
    ]

    def schema(checks: list[pa.Check], name: str) -> pa.DataFrameSchema:
        return pa.DataFrameSchema({}, checks=checks, strict=False, name=name)

    return {
        "adtte": schema(adtte, "adtte x adsl"),
        "adtte_coverage": schema(coverage, "adsl x PARAMCD"),
        "adae": schema(adae, "adae x adsl"),
        "adex": schema(adex, "adex x adsl"),
        "screen": schema(screen, "screen x adsl"),
        "screen_coverage": schema(screen_coverage, "adsl x screen"),
    }


def _death_without_relapse(d: pd.DataFrame) -> np.ndarray:
    """ADSL says the patient died (DTHFL = Y) with no relapse recorded (RELDT empty)."""
    return ((d["ADSL_DTHFL"] == "Y") & d["ADSL_RELDT"].isna()).to_numpy()


def _study_day(date: pd.Series, ref: pd.Series) -> pd.Series:
    """ADaM relative day: date - ref + 1 on or after ref, date - ref before it (no day 0)."""
    days = (date - ref).dt.days
    return days + (days >= 0)


# --------------------------------------------------------------------------- documentation
def data_dictionary() -> str:
    """Markdown data dictionary of every table (pasted into ``data/README.md``)."""
    out = []
    for table, vars_ in TABLES.items():
        out.append(f"### {table.upper()} (`{table}.csv` / `.parquet` / `.xpt`)\n")
        out.append("| Variable | Type | Missing | Allowed values | Label | Derivation / meaning |")
        out.append("|---|---|---|---|---|---|")
        for v in vars_:
            allowed = ""
            if v.allowed is not None:
                allowed = ", ".join(f"`{a}`" for a in v.allowed)
            elif v.bounds is not None:
                lo, hi = v.bounds
                allowed = f">= {lo}" if hi is None else f"{lo}-{hi}"
            miss = "allowed" if v.nullable else "no"
            out.append(f"| {v.name} | {v.kind} | {miss} | {allowed} | {v.label} | "
                       f"{v.derivation} |")
        out.append("")
    return "\n".join(out)
