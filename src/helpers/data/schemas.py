"""The data contract: generic ADaM variables, and the trial-specific part built from a study.

Each table is described once, as a tuple of :class:`Var` (name, type, allowed values,
meaning, derivation).  :data:`TABLES` holds the *generic* variables, those every trial of this
kind delivers whatever its arms, endpoints and baseline variables (identifiers, arms, dates of
randomisation, treatment, study end and death; the ADTTE, ADAE, ADEX and SCREEN structures).
:func:`variables` adds what a :class:`helpers.study.Study` defines: its study id, arm codes and
labels, population flags, PARAMCDs, study drug and dose levels, and its ``variables`` as required
ADSL columns of their kind.  The same description drives

* the pandera schemas used by :func:`helpers.data.contract.validate` (:func:`table_schema`),
* the type conversion in :func:`helpers.data.contract.read_table`,
* the column order written by :func:`helpers.synthetic.write_trial` (:func:`columns`),
* the data dictionary in ``data/README.md`` (:func:`data_dictionary`).

Every rule has a tier: an **error** stops the run (the analysis would be wrong or impossible:
a missing or mistyped column, a duplicate key, an unknown patient or arm, impossible
chronology, an endpoint that contradicts ADSL); a **finding** is reported and the run goes on
(a protocol deviation, a missing covariate, a code outside a variable's decoded levels, a
non-fatal inconsistency).  Row rules carry their tier (:func:`rule_severity`); pandera's own
column checks (``column present``, ``dtype``, ``not_nullable``, ``isin``, ranges) on generic
variables are errors.

Cross-table rules (every patient in ADSL, dates in order across tables, endpoints against ADSL
dates) are pandera schemas too (:func:`cross_schemas`); they run on frames that
:mod:`helpers.data.contract` builds by merging a table with ADSL.
Variable names follow CDISC ADaM (ADaMIG v1.3, ADaM BDS for time-to-event v1.0).
"""

from __future__ import annotations

import bisect
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

if TYPE_CHECKING:
    from helpers.study import Study

__all__ = [
    "TABLES",
    "TABLE_NAMES",
    "REQUIRED_TABLES",
    "OPTIONAL_TABLES",
    "ID_COLUMN",
    "KEYS",
    "TREATMENT_FLAGS",
    "Var",
    "columns",
    "event_dates",
    "adsl_lookup_columns",
    "variables",
    "table_schema",
    "cross_schemas",
    "rule_severity",
    "data_dictionary",
    "rules",
    "rule_table",
]

YN = ("Y", "N")
STATUSES = ("COMPLETED", "DISCONTINUED", "ONGOING")
AEACNS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "DOSE NOT CHANGED", "NOT APPLICABLE")
DOSE_ACTIONS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "DOSE NOT CHANGED")
EXADJS = ("DOSE REDUCED", "DRUG INTERRUPTED", "DOSE RESUMED")

TABLE_NAMES = ("adsl", "adtte", "adae", "adex", "screen")
#: tables every delivery holds; the others may be absent ("not delivered", a finding)
REQUIRED_TABLES = ("adsl", "adtte")
OPTIONAL_TABLES = ("adae", "adex", "screen")
#: column that identifies a row's patient in error messages
ID_COLUMN = {"adsl": "USUBJID", "adtte": "USUBJID", "adae": "USUBJID", "adex": "USUBJID", "screen": "SCRNID"}
#: unique key of each table
KEYS = {
    "adsl": ("USUBJID",),
    "adtte": ("USUBJID", "PARAMCD"),
    "adae": ("USUBJID", "AESEQ"),
    "adex": ("USUBJID", "EXSEQ"),
    "screen": ("SCRNID",),
}
#: ADaM population flags that need the study drug taken in a treated arm (safety, per protocol)
TREATMENT_FLAGS = ("SAFFL", "PPROTFL")

ERROR, FINDING = "error", "finding"


@dataclass(frozen=True)
class Var:
    """One variable of the contract.

    Parameters
    ----------
    name : str
        ADaM variable name (at most 8 characters, upper case; SAS transport limit).
    kind : {"str", "int", "num", "date"}
        Type after loading: ``object`` holding ``str`` (missing = NaN), ``int64``, a number
        (``int64``, or ``float64`` when a value is missing or fractional), ``datetime64[ns]``
        (missing = NaT).
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
    tier : {"error", "finding"}
        Tier of the value checks (missing value, allowed values): ``finding`` for the study's
        variables, whose type alone is an error.
    """

    name: str
    kind: str
    label: str
    nullable: bool = False
    allowed: tuple | None = None
    bounds: tuple | None = None
    derivation: str = ""
    tier: str = ERROR


V = Var
_ADSL_HEAD = (
    V("STUDYID", "str", "Study Identifier", derivation="Constant: the study definition's id."),
    V("USUBJID", "str", "Unique Subject Identifier", derivation="STUDYID-SITEID-SUBJID; unique key of ADSL."),
    V(
        "SUBJID",
        "str",
        "Subject Identifier for the Study",
        derivation="Sequence number within site, in order of randomisation.",
    ),
    V("SITEID", "str", "Study Site Identifier", derivation="Centre number."),
    V("ARM", "str", "Description of Planned Arm", derivation="Randomised arm: an arm label of the study."),
    V("ARMCD", "str", "Planned Arm Code", derivation="Code of ARM, as the study definition pairs them."),
    V(
        "ACTARM",
        "str",
        "Description of Actual Arm",
        derivation="A treated arm if any study drug was taken (TRTSDT set), else an untreated arm.",
    ),
    V("ACTARMCD", "str", "Actual Arm Code", derivation="Code of ACTARM."),
    V("RANDDT", "date", "Date of Randomization", derivation="Origin of all ADTTE times."),
)
_ADSL_TAIL = (
    V(
        "TRTSDT",
        "date",
        "Date of First Exposure to Treatment",
        nullable=True,
        derivation="First dose of the study drug; empty in untreated arms and if never taken.",
    ),
    V(
        "TRTEDT",
        "date",
        "Date of Last Exposure to Treatment",
        nullable=True,
        derivation="Last dose of the study drug; set iff TRTSDT is set; capped at the data cutoff.",
    ),
    V(
        "EOTSTT",
        "str",
        "End of Treatment Status",
        nullable=True,
        allowed=STATUSES,
        derivation="Study drug status; set iff TRTSDT is set.",
    ),
    V(
        "DCTREAS",
        "str",
        "Reason for Discontinuation of Treatment",
        nullable=True,
        derivation="Free text (e.g. ADVERSE EVENT, RELAPSE, DEATH); set iff EOTSTT = DISCONTINUED.",
    ),
    V(
        "EOSSTT",
        "str",
        "End of Study Status",
        allowed=STATUSES,
        derivation="COMPLETED = alive and followed to study closure; DISCONTINUED = death, "
        "withdrawal or loss to follow-up; ONGOING = in follow-up at the data cutoff.",
    ),
    V(
        "EOSDT",
        "date",
        "End of Study Date",
        nullable=True,
        derivation="Date of study completion or discontinuation; empty iff EOSSTT = ONGOING.",
    ),
    V(
        "DCSREAS",
        "str",
        "Reason for Discontinuation from Study",
        nullable=True,
        derivation="Free text (DEATH, WITHDRAWAL BY SUBJECT, LOST TO FOLLOW-UP, ...); set iff "
        "EOSSTT = DISCONTINUED; DEATH iff DTHFL = Y.",
    ),
    V("DTHFL", "str", "Subject Death Flag", allowed=YN, derivation="Y iff DTHDT is set."),
    V("DTHDT", "date", "Date of Death", nullable=True, derivation="Set iff DTHFL = Y."),
    V("DTHCAUS", "str", "Cause of Death", nullable=True, derivation="Free text; set iff DTHFL = Y."),
    V(
        "LSTALVDT",
        "date",
        "Date Last Known Alive",
        derivation="Death date for deaths, else last contact (end of study or data cutoff).",
    ),
)
TABLES: dict[str, tuple[Var, ...]] = {
    "adsl": _ADSL_HEAD + _ADSL_TAIL,
    "adtte": (
        V("STUDYID", "str", "Study Identifier"),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V("PARAMCD", "str", "Parameter Code", derivation="An endpoint of the study; one row per patient per PARAMCD."),
        V("PARAM", "str", "Parameter", derivation="Text of PARAMCD (the endpoint's param)."),
        V("STARTDT", "date", "Time-to-Event Origin Date", derivation="= ADSL.RANDDT."),
        V(
            "ADT",
            "date",
            "Analysis Date",
            derivation="Date of the event of interest, of the competing event, or of censoring.",
        ),
        V("AVAL", "int", "Analysis Value", bounds=(0, None), derivation="Days from randomisation: ADT - STARTDT."),
        V(
            "CNSR",
            "int",
            "Censor",
            allowed=(0, 1),
            derivation="ADaM convention: 0 = event of interest, 1 = censored or competing event.",
        ),
        V(
            "EVNTCD",
            "int",
            "Event Code",
            allowed=(0, 1, 2),
            derivation="cmprsk fstatus: 0 = censored, 1 = event of interest, 2 = competing event; "
            "CNSR = 0 iff EVNTCD = 1; never 2 for survival endpoints.",
        ),
        V(
            "EVNTDESC",
            "str",
            "Event or Censoring Description",
            derivation="Text of the event, competing event, or 'Censored'.",
        ),
        V(
            "CNSDTDSC",
            "str",
            "Censor Date Description",
            nullable=True,
            derivation="Why follow-up ended for CNSR = 1 rows (DATA CUTOFF, LOST TO FOLLOW-UP, "
            "WITHDRAWAL BY SUBJECT, COMPETING EVENT); empty iff CNSR = 0.",
        ),
    ),
    "adae": (
        V("STUDYID", "str", "Study Identifier"),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V("AESEQ", "int", "Sequence Number", bounds=(1, None), derivation="Unique within patient, in order of onset."),
        V("AEBODSYS", "str", "Body System or Organ Class", derivation="MedDRA SOC."),
        V("AEDECOD", "str", "Dictionary-Derived Term", derivation="MedDRA preferred term."),
        V(
            "AETOXGR",
            "int",
            "Standard Toxicity Grade",
            allowed=(1, 2, 3, 4, 5),
            derivation="CTCAE v5.0 worst grade; grade 5 AEs end on the death date.",
        ),
        V("AESER", "str", "Serious Event", allowed=YN),
        V(
            "AEREL",
            "str",
            "Causality",
            allowed=("RELATED", "NOT RELATED"),
            derivation="Relationship to the study drug; RELATED only for patients who took it.",
        ),
        V(
            "AEACN",
            "str",
            "Action Taken with Study Treatment",
            allowed=AEACNS,
            derivation="Dose actions only for patients who took the study drug; NOT APPLICABLE "
            "otherwise (untreated arms, before or after treatment).",
        ),
        V("ASTDT", "date", "Analysis Start Date", derivation="Onset; on or after RANDDT."),
        V(
            "AENDT",
            "date",
            "Analysis End Date",
            nullable=True,
            derivation="Resolution; empty = ongoing at last contact or at the data cutoff.",
        ),
        V(
            "ASTDY",
            "int",
            "Analysis Start Relative Day",
            derivation="ASTDT - reference + 1 if on/after reference, else ASTDT - reference "
            "(no day 0); reference = TRTSDT, or RANDDT when TRTSDT is empty.",
        ),
        V(
            "TRTEMFL",
            "str",
            "Treatment Emergent Analysis Flag",
            allowed=YN,
            derivation="Study drug takers: onset in [TRTSDT, TRTEDT + safety."
            "window_days_after_last_dose]. Untreated arms: onset in [RANDDT, anchor + "
            "days] (safety.untreated_window). Else N.",
        ),
    ),
    "adex": (
        V("STUDYID", "str", "Study Identifier"),
        V("USUBJID", "str", "Unique Subject Identifier", derivation="Key to ADSL."),
        V(
            "EXSEQ",
            "int",
            "Sequence Number",
            bounds=(1, None),
            derivation="Dosing period number within patient, in time order.",
        ),
        V("EXTRT", "str", "Name of Treatment", derivation="The study's safety.treatment."),
        V(
            "EXDOSE",
            "int",
            "Dose per Day",
            derivation="One of the study's safety.dose_levels (unit safety.dose_unit); 0 = interrupted.",
        ),
        V("EXDOSU", "str", "Dose Units", derivation="Unit of EXDOSE."),
        V(
            "EXDOSFRQ",
            "str",
            "Dosing Frequency per Interval",
            nullable=True,
            derivation="CDISC frequency (QD, BID, ...); empty iff EXDOSE = 0.",
        ),
        V("ASTDT", "date", "Analysis Start Date", derivation="First day of the period."),
        V("AENDT", "date", "Analysis End Date", derivation="Last day of the period; periods do not overlap."),
        V("EXDURD", "int", "Duration of Period (days)", bounds=(1, None), derivation="AENDT - ASTDT + 1."),
        V(
            "EXADJ",
            "str",
            "Reason for Dose Adjustment",
            nullable=True,
            allowed=EXADJS,
            derivation="Empty for the first period; DRUG INTERRUPTED iff EXDOSE = 0; DOSE REDUCED "
            "or DOSE RESUMED (same dose after an interruption).",
        ),
    ),
    "screen": (
        V("STUDYID", "str", "Study Identifier"),
        V("SCRNID", "str", "Screening Identifier", derivation="Unique key of the screening log."),
        V("SITEID", "str", "Study Site Identifier"),
        V("SCRNDT", "date", "Date of Screening", derivation="On or before RANDDT if randomised."),
        V(
            "USUBJID",
            "str",
            "Unique Subject Identifier",
            nullable=True,
            derivation="Set iff RANDFL = Y; every ADSL patient appears exactly once.",
        ),
        V("RANDFL", "str", "Randomized Flag", allowed=YN),
        V(
            "EXCLCAT",
            "str",
            "Exclusion Category (CONSORT)",
            nullable=True,
            allowed=("Not meeting inclusion criteria", "Declined to participate", "Other reasons"),
            derivation="Set iff RANDFL = N.",
        ),
        V(
            "EXCLREAS",
            "str",
            "Exclusion Reason",
            nullable=True,
            derivation="Set iff RANDFL = N; detailed reason within EXCLCAT.",
        ),
    ),
}
_GENERIC_ADSL = {v.name for v in TABLES["adsl"]}


# --------------------------------------------------------------------------- the study's part
def _default_study() -> Study:
    from helpers.study import load_study

    return load_study()


def _study_kind(kind: str) -> str:
    return {"categorical": "str", "continuous": "num", "date": "date"}[kind]


def event_dates(study: Study) -> list[str]:
    """ADSL dates that define endpoints (``adsl_events``), in order of first mention."""
    return list(dict.fromkeys(d for e in study.endpoints for d in e.adsl_events))


def _study_vars(study: Study) -> tuple[Var, ...]:
    """The study's ADSL variables (not already generic), then its population flags, then any
    ``adsl_events`` date it does not declare."""
    out = []
    for v in study.variables:
        if v.name in _GENERIC_ADSL:
            continue
        allowed = tuple(v.levels) if v.levels else None
        text = f"Study variable ({v.kind})"
        decoded = [f"{k} = {lab}" for k, lab in (v.levels or {}).items() if k != lab]
        if decoded:
            text += "; " + ", ".join(decoded)
        if v.derived_from is not None:
            src = v.derived_from
            text += (
                f"; from {src.variable}, breaks "
                + ", ".join(f"{b:g}" for b in src.breaks)
                + " (level 1 below the first)"
            )
        out.append(
            V(
                v.name,
                _study_kind(v.kind),
                v.label[:40],
                nullable=v.nullable,
                allowed=allowed,
                derivation=text + ".",
                tier=FINDING,
            )
        )
    itt = study.populations[study.default_population].flag
    for name, pop in study.populations.items():
        text = (
            "Y for every randomised patient (N is a finding)."
            if pop.flag == itt
            else f"Population {name}" + (f"; requires {itt} = Y." if pop.flag == "PPROTFL" else ".")
        )
        if pop.flag in TREATMENT_FLAGS:
            text += " In a treated arm, requires the study drug taken (TRTSDT)."
        out.append(V(pop.flag, "str", f"{pop.label} Population Flag"[:40], allowed=YN, derivation=text))
    known = {v.name for v in out} | _GENERIC_ADSL
    for d in event_dates(study):
        if d not in known:
            out.append(V(d, "date", f"Date of {d}", nullable=True, derivation="Endpoint event date (adsl_events)."))
    return tuple(out)


def _study_allowed(v: Var, study: Study) -> Var:
    """Fill the study's codes into a generic variable (study id, arms, PARAMCD, treatment)."""
    arms = study.arms
    safety = study.safety
    fill = {
        "STUDYID": (study.study.id,),
        "ARM": tuple(a.label for a in arms),
        "ACTARM": tuple(a.label for a in arms),
        "ARMCD": tuple(a.code for a in arms),
        "ACTARMCD": tuple(a.code for a in arms),
        "PARAMCD": tuple(e.paramcd for e in study.endpoints),
        "EXTRT": (safety.treatment,) if safety else None,
        "EXDOSE": tuple(safety.dose_levels) if safety else None,
    }
    if v.name in fill and fill[v.name] is not None:
        return replace(v, allowed=fill[v.name])
    return v


def variables(table: str, study: Study | None = None) -> tuple[Var, ...]:
    """Every contract variable of ``table`` for ``study`` (default: the default study
    definition), in file order: for ADSL the generic identifiers and arms, then the study's
    variables and population flags, then the generic treatment, disposition and death dates."""
    study = _default_study() if study is None else study
    generic = tuple(_study_allowed(v, study) for v in TABLES[table])
    if table != "adsl":
        return generic
    head = generic[: len(_ADSL_HEAD)]
    return head + _study_vars(study) + generic[len(_ADSL_HEAD) :]


def columns(table: str, study: Study | None = None) -> list[str]:
    """Contract column names of ``table`` in file order (see :func:`variables`)."""
    return [v.name for v in variables(table, study)]


# --------------------------------------------------------------------------- checks
def _key(severity: str, column: str, rule: str) -> str:
    # pandera reports a check by its name: make it unique per (tier, column, rule)
    return f"{severity}|{column}|{rule}"


def rule_severity(check_name: str) -> tuple[str, str | None, str] | None:
    """``(severity, column, rule)`` of a row rule's pandera check name; None for pandera's own
    column checks (which are errors)."""
    parts = check_name.split("|", 2)
    if len(parts) != 3 or parts[0] not in (ERROR, FINDING):
        return None
    return parts[0], parts[1], parts[2]


def _row_check(
    rule: str,
    column: str,
    needs: Sequence[str],
    fn: Callable[..., Any],
    required: Sequence[str] = (),
    severity: str = ERROR,
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

    key = _key(severity, column, rule)
    # ignore_na=False: the rules handle missing values themselves, and pandera's all-NA row
    # scan per check would dominate the run time
    return pa.Check(
        check, name=key, error=key, statistics={"column": column, "rule": rule, "severity": severity}, ignore_na=False
    )


def _finding(
    rule: str, column: str, needs: Sequence[str], fn: Callable[..., Any], required: Sequence[str] = ()
) -> pa.Check:
    return _row_check(rule, column, needs, fn, required, severity=FINDING)


def _set(s: pd.Series) -> pd.Series:
    return s.notna()


def _iff(a: pd.Series, b: pd.Series) -> pd.Series:
    return a.to_numpy(dtype=bool) == b.to_numpy(dtype=bool)


def _implies(a: pd.Series, b: pd.Series) -> pd.Series:
    return ~a.to_numpy(dtype=bool) | b.to_numpy(dtype=bool)


def _le(a: pd.Series, b: pd.Series) -> pd.Series:
    """a <= b where both are set (missing dates pass: nullability is checked elsewhere)."""
    return (a.isna() | b.isna() | (a <= b)).to_numpy()


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


_DTYPE = {"str": str, "int": "int64", "date": "datetime64[ns]"}
NUMBER_CHECK = "dtype('number')"


def _column(v: Var) -> pa.Column:
    if v.tier == FINDING:
        # a study variable: its type is an error, its values findings (see _variable_findings)
        dtype = None if v.kind == "num" else _DTYPE[v.kind]
        checks = [pa.Check(_is_number, name=NUMBER_CHECK, error=NUMBER_CHECK)] if v.kind == "num" else []
        return pa.Column(dtype, checks=checks, nullable=True, required=True)
    checks = []
    if v.allowed is not None:
        checks.append(pa.Check.isin(list(v.allowed)))
    if v.bounds is not None:
        lo, hi = v.bounds
        checks.append(pa.Check.ge(lo) if hi is None else pa.Check.in_range(lo, hi))
    return pa.Column(_DTYPE[v.kind], checks=checks, nullable=v.nullable, required=True)


def _variable_findings(study: Study) -> list[pa.Check]:
    """The study's variables: missing values, codes outside the levels, derivations,
    eligibility and baseline dates after randomisation are findings."""
    out = []
    events = set(event_dates(study))
    for v in study.variables:
        if v.name in _GENERIC_ADSL:
            continue
        name = v.name
        if not v.nullable:
            out.append(_finding("not_nullable", name, [name], lambda d, n=name: d[n].notna()))
        if v.levels:
            levels = list(v.levels)
            out.append(
                _finding(f"isin({levels})", name, [name], lambda d, n=name, lv=levels: d[n].isna() | d[n].isin(lv))
            )
        if v.derived_from is not None:
            out.append(_derived_check(v.name, list(v.levels or ()), v.derived_from.variable, v.derived_from.breaks))
        if v.kind == "date" and name not in events:
            out.append(
                _finding(f"{name} not after RANDDT", name, [name, "RANDDT"], lambda d, n=name: _le(d[n], d["RANDDT"]))
            )
    for e in study.eligibility:
        col = e.variable
        ok: Callable[..., Any]
        if e.allowed is not None:
            ok = lambda d, c=col, a=list(e.allowed): d[c].isna() | d[c].isin(a)
        else:
            lo = -np.inf if e.min is None else e.min
            hi = np.inf if e.max is None else e.max
            ok = lambda d, c=col, lo=lo, hi=hi: d[c].isna() | ((d[c] >= lo) & (d[c] <= hi))
        out.append(_finding(e.rule, col, [col], ok))
    return out


def _derived_check(name: str, levels: list[str], source: str, breaks: tuple[float, ...]) -> pa.Check:
    """``name`` is level i of ``levels`` where ``source`` lies between break i-1 and break i
    (level 1 below the first break)."""

    def ok(d: pd.DataFrame) -> np.ndarray:
        src = d[source].to_numpy(dtype="float64")
        idx = np.array([bisect.bisect_right(breaks, x) if np.isfinite(x) else -1 for x in src])
        want = np.array([levels[i] if i >= 0 else None for i in idx], dtype=object)
        return (d[source].isna() | d[name].isna()).to_numpy() | (d[name].to_numpy() == want)

    return _finding(f"{name} matches {source}", name, [name, source], ok)


def _arms(study: Study) -> tuple[dict[str, str], list[str], list[str]]:
    """code -> label, treated codes, untreated codes."""
    return (
        {a.code: a.label for a in study.arms},
        [a.code for a in study.arms if a.treated],
        [a.code for a in study.arms if not a.treated],
    )


def _adsl_checks(study: Study) -> list[pa.Check]:
    c, f = _row_check, _finding
    labels, treated, untreated = _arms(study)
    codes = list(labels)
    flags = [p.flag for p in study.populations.values()]
    itt = study.populations[study.default_population].flag
    events = [d for d in event_dates(study) if d != "DTHDT"]
    checks = [
        # rows of an arm code not in the study pass the rules that need the arm: the code's
        # own check reports them
        c(
            "ARMCD matches ARM",
            "ARMCD",
            ["ARM", "ARMCD"],
            lambda d: ~d["ARMCD"].isin(codes) | (d["ARM"] == d["ARMCD"].map(labels)),
            ["ARM", "ARMCD"],
        ),
        c(
            "ACTARMCD matches ACTARM",
            "ACTARMCD",
            ["ACTARM", "ACTARMCD"],
            lambda d: ~d["ACTARMCD"].isin(codes) | (d["ACTARM"] == d["ACTARMCD"].map(labels)),
            ["ACTARM", "ACTARMCD"],
        ),
        c("RANDDT not after LSTALVDT", "LSTALVDT", ["RANDDT", "LSTALVDT"], lambda d: _le(d["RANDDT"], d["LSTALVDT"])),
        c(
            "DTHDT set iff DTHFL = Y",
            "DTHDT",
            ["DTHFL", "DTHDT"],
            lambda d: _iff(d["DTHFL"] == "Y", _set(d["DTHDT"])),
            ["DTHFL"],
        ),
        f(
            "DTHCAUS set iff DTHFL = Y",
            "DTHCAUS",
            ["DTHFL", "DTHCAUS"],
            lambda d: _iff(d["DTHFL"] == "Y", _set(d["DTHCAUS"])),
            ["DTHFL"],
        ),
        c(
            "LSTALVDT = DTHDT for deaths",
            "LSTALVDT",
            ["DTHDT", "LSTALVDT"],
            lambda d: d["DTHDT"].isna() | (d["LSTALVDT"] == d["DTHDT"]),
        ),
        *[
            c(
                f"{e} in [RANDDT, LSTALVDT]",
                e,
                [e, "RANDDT", "LSTALVDT"],
                lambda d, e=e: _le(d["RANDDT"], d[e]) & _le(d[e], d["LSTALVDT"]),
            )
            for e in events
        ],
        c(
            "TRTSDT empty in an untreated arm",
            "TRTSDT",
            ["ARMCD", "TRTSDT"],
            lambda d: _implies(d["ARMCD"].isin(untreated), d["TRTSDT"].isna()),
        ),
        c(
            "TRTEDT set iff TRTSDT set",
            "TRTEDT",
            ["TRTSDT", "TRTEDT"],
            lambda d: _iff(_set(d["TRTSDT"]), _set(d["TRTEDT"])),
        ),
        c(
            "RANDDT <= TRTSDT <= TRTEDT <= LSTALVDT",
            "TRTSDT",
            ["RANDDT", "TRTSDT", "TRTEDT", "LSTALVDT"],
            lambda d: _le(d["RANDDT"], d["TRTSDT"]) & _le(d["TRTSDT"], d["TRTEDT"]) & _le(d["TRTEDT"], d["LSTALVDT"]),
        ),
        c(
            "ACTARMCD is a treated arm iff TRTSDT set",
            "ACTARMCD",
            ["ACTARMCD", "TRTSDT"],
            lambda d: ~d["ACTARMCD"].isin(codes) | _iff(d["ACTARMCD"].isin(treated), _set(d["TRTSDT"])),
            ["ACTARMCD"],
        ),
        *[
            c(
                f"{fl} = Y in a treated arm requires TRTSDT",
                fl,
                [fl, "ARMCD", "TRTSDT"],
                lambda d, fl=fl: _implies((d[fl] == "Y") & d["ARMCD"].isin(treated), _set(d["TRTSDT"])),
            )
            for fl in flags
            if fl == "SAFFL"
        ],
        *[
            c(
                f"{fl} = Y requires {itt} = Y",
                fl,
                [fl, itt],
                lambda d, fl=fl: _implies(d[fl] == "Y", d[itt] == "Y"),
                [itt],
            )
            for fl in flags
            if fl == "PPROTFL"
        ],
        f(f"{itt} = Y for every randomised patient", itt, [itt], lambda d: d[itt] == "Y", [itt]),
        c(
            "EOTSTT set iff TRTSDT set",
            "EOTSTT",
            ["EOTSTT", "TRTSDT"],
            lambda d: _iff(_set(d["EOTSTT"]), _set(d["TRTSDT"])),
        ),
        f(
            "DCTREAS set iff EOTSTT = DISCONTINUED",
            "DCTREAS",
            ["DCTREAS", "EOTSTT"],
            lambda d: _iff(_set(d["DCTREAS"]), d["EOTSTT"] == "DISCONTINUED"),
        ),
        f(
            "DCSREAS set iff EOSSTT = DISCONTINUED",
            "DCSREAS",
            ["DCSREAS", "EOSSTT"],
            lambda d: _iff(_set(d["DCSREAS"]), d["EOSSTT"] == "DISCONTINUED"),
            ["EOSSTT"],
        ),
        c(
            "EOSDT set iff EOSSTT != ONGOING",
            "EOSDT",
            ["EOSDT", "EOSSTT"],
            lambda d: _iff(_set(d["EOSDT"]), d["EOSSTT"] != "ONGOING"),
            ["EOSSTT"],
        ),
        f(
            "DCSREAS = DEATH iff DTHFL = Y",
            "DCSREAS",
            ["DCSREAS", "DTHFL"],
            lambda d: _iff(d["DCSREAS"] == "DEATH", d["DTHFL"] == "Y"),
            ["DTHFL"],
        ),
    ]
    return checks + _variable_findings(study)


def _adtte_checks(study: Study) -> list[pa.Check]:
    c = _row_check
    params = {e.paramcd: e.param for e in study.endpoints}
    survival = [e.paramcd for e in study.endpoints if e.kind == "survival"]
    return [
        _finding(
            "PARAM matches PARAMCD",
            "PARAM",
            ["PARAM", "PARAMCD"],
            lambda d: ~d["PARAMCD"].isin(list(params)) | (d["PARAM"] == d["PARAMCD"].map(params)),
            ["PARAM", "PARAMCD"],
        ),
        c(
            "ADT = STARTDT + AVAL",
            "ADT",
            ["ADT", "STARTDT", "AVAL"],
            lambda d: d["ADT"] == d["STARTDT"] + pd.to_timedelta(d["AVAL"], unit="D"),
            ["ADT", "STARTDT", "AVAL"],
        ),
        c(
            "CNSR = 0 iff EVNTCD = 1",
            "CNSR",
            ["CNSR", "EVNTCD"],
            lambda d: _iff(d["CNSR"] == 0, d["EVNTCD"] == 1),
            ["CNSR", "EVNTCD"],
        ),
        c(
            "EVNTCD = 2 only for competing-risk parameters",
            "EVNTCD",
            ["EVNTCD", "PARAMCD"],
            lambda d: ~((d["EVNTCD"] == 2) & d["PARAMCD"].isin(survival)),
        ),
        _finding(
            "CNSDTDSC set iff CNSR = 1",
            "CNSDTDSC",
            ["CNSDTDSC", "CNSR"],
            lambda d: _iff(_set(d["CNSDTDSC"]), d["CNSR"] == 1),
            ["CNSR"],
        ),
    ]


def _adae_checks(study: Study) -> list[pa.Check]:
    return [
        _row_check("AENDT not before ASTDT", "AENDT", ["ASTDT", "AENDT"], lambda d: _le(d["ASTDT"], d["AENDT"])),
    ]


def _adex_checks(study: Study) -> list[pa.Check]:
    c = _row_check
    return [
        c("AENDT not before ASTDT", "AENDT", ["ASTDT", "AENDT"], lambda d: _le(d["ASTDT"], d["AENDT"])),
        c(
            "EXDURD = AENDT - ASTDT + 1",
            "EXDURD",
            ["ASTDT", "AENDT", "EXDURD"],
            lambda d: (d["AENDT"] - d["ASTDT"]).dt.days + 1 == d["EXDURD"],
            ["ASTDT", "AENDT", "EXDURD"],
        ),
        c(
            "EXADJ = DRUG INTERRUPTED iff EXDOSE = 0",
            "EXADJ",
            ["EXADJ", "EXDOSE"],
            lambda d: _iff(d["EXADJ"] == "DRUG INTERRUPTED", d["EXDOSE"] == 0),
            ["EXDOSE"],
        ),
        _finding(
            "EXDOSFRQ empty iff EXDOSE = 0",
            "EXDOSFRQ",
            ["EXDOSFRQ", "EXDOSE"],
            lambda d: _iff(d["EXDOSFRQ"].isna(), d["EXDOSE"] == 0),
            ["EXDOSE"],
        ),
    ]


def _screen_checks(study: Study) -> list[pa.Check]:
    c = _row_check
    return [
        c(
            "USUBJID set iff RANDFL = Y",
            "USUBJID",
            ["USUBJID", "RANDFL"],
            lambda d: _iff(_set(d["USUBJID"]), d["RANDFL"] == "Y"),
            ["RANDFL"],
        ),
        _finding(
            "EXCLREAS set iff RANDFL = N",
            "EXCLREAS",
            ["EXCLREAS", "RANDFL"],
            lambda d: _iff(_set(d["EXCLREAS"]), d["RANDFL"] == "N"),
            ["RANDFL"],
        ),
        c(
            "EXCLCAT set iff RANDFL = N",
            "EXCLCAT",
            ["EXCLCAT", "RANDFL"],
            lambda d: _iff(_set(d["EXCLCAT"]), d["RANDFL"] == "N"),
            ["RANDFL"],
        ),
    ]


_CHECKS = {
    "adsl": _adsl_checks,
    "adtte": _adtte_checks,
    "adae": _adae_checks,
    "adex": _adex_checks,
    "screen": _screen_checks,
}


def _unique_check(keys: Sequence[str]) -> pa.Check:
    """Unique key as a row check, so that duplicates are counted once per row."""
    keys = list(keys)
    rule = f"unique key ({', '.join(keys)})"
    return _row_check(rule, keys[-1], keys, lambda d: ~d.duplicated(subset=keys, keep=False).to_numpy())


def table_schema(table: str, study: Study | None = None) -> pa.DataFrameSchema:
    """Pandera schema of one table for ``study`` (default: the default study definition):
    columns, types, codes, ranges, unique key, row rules of both tiers.

    Extra columns are allowed (ADaM permits sponsor-defined variables); missing ones are not.
    """
    study = _default_study() if study is None else study
    cols = {v.name: _column(v) for v in variables(table, study)}
    checks = [_unique_check(KEYS[table]), *_CHECKS[table](study)]
    return pa.DataFrameSchema(cols, checks=checks, strict=False, coerce=False, name=table)


# --------------------------------------------------------------------------- cross-table
def _endpoint_checks(study: Study) -> list[pa.Check]:
    """Each endpoint with ``adsl_events`` against ADSL: the earliest of its ADSL dates set
    decides the event code and ADT (ties: the mapping's order); none set, no such event."""
    out = []
    for e in study.endpoints:
        if not e.adsl_events:
            continue
        dates = list(e.adsl_events)
        for code in sorted(set(e.adsl_events.values())):
            mine = [d for d in dates if e.adsl_events[d] == code]
            at = mine[0] if len(mine) == 1 else "the earlier"
            what = "event" if code == 1 else "competing event"
            if len(mine) == len(dates):
                cond = f"ADSL.{' or '.join(mine)} set"
            else:
                cond = f"ADSL.{' or '.join(mine)} set and first of ({', '.join(dates)})"
            rule = f"{e.paramcd} {what} iff {cond}, at {at}"
            out.append(
                _row_check(
                    rule,
                    "EVNTCD",
                    ["PARAMCD", "EVNTCD", "ADT", *(f"ADSL_{d}" for d in dates)],
                    lambda d, e=e, code=code, dates=dates: _endpoint_ok(d, e, code, dates),
                )
            )
    return out


def _endpoint_ok(d: pd.DataFrame, e, code: int, dates: list[str]) -> np.ndarray:
    vals = np.stack([d[f"ADSL_{x}"].to_numpy(dtype="datetime64[ns]") for x in dates], axis=1)
    any_set = ~np.isnat(vals).all(axis=1)
    # the earliest date set; argmin (NaT as the largest date) keeps the first column on ties
    big = np.where(np.isnat(vals), np.datetime64("2262-01-01", "ns"), vals)
    first = np.argmin(big, axis=1)
    winner_code = np.array([e.adsl_events[dates[i]] for i in first])
    winner_date = big[np.arange(len(d)), first]
    evntcd = d["EVNTCD"].to_numpy()
    adt = d["ADT"].to_numpy(dtype="datetime64[ns]")
    expected = any_set & (winner_code == code)
    otherwise = evntcd == 0 if e.kind == "survival" else evntcd != code
    ok = np.where(expected, (evntcd == code) & (adt == winner_date), otherwise)
    return ~d["IN_ADSL"].to_numpy(dtype=bool) | (d["PARAMCD"] != e.paramcd).to_numpy() | ok


def _te_upper(study: Study):
    """TRTEMFL = Y onset not after the end of the treatment-emergent window (a finding)."""
    if study.safety is None:
        return []
    _, treated, _ = _arms(study)
    w = study.safety.window_days_after_last_dose
    uw = study.safety.untreated_window
    rule = f"TRTEMFL = Y not after ADSL.TRTEDT + {w} days"
    needs = ["TRTEMFL", "ASTDT", "ADSL_TRTSDT", "ADSL_TRTEDT", "ADSL_ARMCD"]
    if uw is not None:
        rule += f" ({uw.anchor} + {uw.days} days in an untreated arm)"
        needs.append(f"ADSL_{uw.anchor}")

    def ok(d: pd.DataFrame) -> np.ndarray:
        taken = d["ADSL_TRTSDT"].notna()
        end = d["ADSL_TRTEDT"] + pd.Timedelta(days=w)
        if uw is not None:
            untr = ~taken & ~d["ADSL_ARMCD"].isin(treated)
            end = end.where(~untr, d[f"ADSL_{uw.anchor}"] + pd.Timedelta(days=uw.days))
        return ~d["IN_ADSL"] | _implies(d["TRTEMFL"] == "Y", pd.Series(_le(d["ASTDT"], end)))

    return [_finding(rule, "TRTEMFL", needs, ok)]


def adsl_lookup_columns(study: Study) -> list[str]:
    """ADSL variables the cross-table frames carry (prefixed ``ADSL_``)."""
    cols = ["RANDDT", "LSTALVDT", "DTHFL", "DTHDT", "TRTSDT", "TRTEDT", "ARMCD", *event_dates(study)]
    if study.safety is not None and study.safety.untreated_window is not None:
        cols.append(study.safety.untreated_window.anchor)
    return list(dict.fromkeys(cols))


def cross_schemas(study: Study | None = None) -> dict[str, pa.DataFrameSchema]:
    """Schemas of the cross-table frames built by :func:`helpers.data.contract.cross_frames`.

    Keys are ``<table>`` or ``<table>_<what>``: the failing rows belong to ``<table>``.  Each
    frame holds that table's rows (same index) with the ADSL variables of
    :func:`adsl_lookup_columns` merged in under an ``ADSL_`` prefix, and ``IN_ADSL`` (bool).
    """
    study = _default_study() if study is None else study
    c = _row_check
    _, treated, _ = _arms(study)
    drug = study.study.drug
    in_adsl = c("USUBJID in ADSL", "USUBJID", ["IN_ADSL"], lambda d: d["IN_ADSL"])
    adtte = [
        in_adsl,
        c(
            "STARTDT = ADSL.RANDDT",
            "STARTDT",
            ["STARTDT", "ADSL_RANDDT"],
            lambda d: ~d["IN_ADSL"] | (d["STARTDT"] == d["ADSL_RANDDT"]),
        ),
        c("ADT not after ADSL.LSTALVDT", "ADT", ["ADT", "ADSL_LSTALVDT"], lambda d: _le(d["ADT"], d["ADSL_LSTALVDT"])),
        *_endpoint_checks(study),
    ]
    coverage = [
        c("one ADTTE row per patient per PARAMCD", "PARAMCD", ["N_ROWS"], lambda d: d["N_ROWS"] == 1),
    ]
    optional = [
        _finding(
            f"{e.paramcd} row for every patient (optional endpoint)",
            "PARAMCD",
            ["N_ROWS", "PARAMCD"],
            lambda d, p=e.paramcd: (d["PARAMCD"] != p) | (d["N_ROWS"] == 1),
        )
        for e in study.endpoints
        if not e.required
    ]
    adae = [
        in_adsl,
        c(
            "ASTDT in [ADSL.RANDDT, ADSL.LSTALVDT]",
            "ASTDT",
            ["ASTDT", "ADSL_RANDDT", "ADSL_LSTALVDT"],
            lambda d: _le(d["ADSL_RANDDT"], d["ASTDT"]) & _le(d["ASTDT"], d["ADSL_LSTALVDT"]),
        ),
        c(
            "TRTEMFL = Y not before ADSL.TRTSDT (RANDDT in an untreated arm)",
            "TRTEMFL",
            ["TRTEMFL", "ASTDT", "ADSL_TRTSDT", "ADSL_RANDDT", "ADSL_ARMCD"],
            lambda d: (
                ~d["IN_ADSL"]
                | _implies(
                    d["TRTEMFL"] == "Y",
                    (d["ADSL_TRTSDT"].notna() & (d["ASTDT"] >= d["ADSL_TRTSDT"]))
                    | (~d["ADSL_ARMCD"].isin(treated) & (d["ASTDT"] >= d["ADSL_RANDDT"])),
                )
            ),
        ),
        *_te_upper(study),
        c(
            "ASTDY consistent with ASTDT",
            "ASTDY",
            ["ASTDY", "ASTDT", "ADSL_TRTSDT", "ADSL_RANDDT"],
            lambda d: ~d["IN_ADSL"] | (d["ASTDY"] == _study_day(d["ASTDT"], d["ADSL_TRTSDT"].fillna(d["ADSL_RANDDT"]))),
        ),
        c(
            f"dose action requires {drug} taken (ADSL.TRTSDT)",
            "AEACN",
            ["AEACN", "ADSL_TRTSDT"],
            lambda d: ~d["IN_ADSL"] | _implies(d["AEACN"].isin(DOSE_ACTIONS), d["ADSL_TRTSDT"].notna()),
        ),
        c(
            f"AEREL = RELATED requires {drug} taken (ADSL.TRTSDT)",
            "AEREL",
            ["AEREL", "ADSL_TRTSDT"],
            lambda d: ~d["IN_ADSL"] | _implies(d["AEREL"] == "RELATED", d["ADSL_TRTSDT"].notna()),
        ),
        c(
            "grade 5 AE requires ADSL.DTHFL = Y, onset not after DTHDT",
            "AETOXGR",
            ["AETOXGR", "ASTDT", "ADSL_DTHFL", "ADSL_DTHDT"],
            lambda d: (
                ~d["IN_ADSL"]
                | _implies(
                    d["AETOXGR"] == 5,
                    (d["ADSL_DTHFL"] == "Y") & d["ADSL_DTHDT"].notna() & (d["ASTDT"] <= d["ADSL_DTHDT"]),
                )
            ),
        ),
        c(
            "ended grade 5 AE ends at ADSL.DTHDT",
            "AETOXGR",
            ["AETOXGR", "AENDT", "ADSL_DTHDT"],
            lambda d: ~d["IN_ADSL"] | _implies((d["AETOXGR"] == 5) & d["AENDT"].notna(), d["AENDT"] == d["ADSL_DTHDT"]),
        ),
    ]
    adex = [
        in_adsl,
        c(
            "exposure within [ADSL.TRTSDT, ADSL.TRTEDT]",
            "ASTDT",
            ["ASTDT", "AENDT", "ADSL_TRTSDT", "ADSL_TRTEDT"],
            lambda d: (
                ~d["IN_ADSL"]
                | (d["ADSL_TRTSDT"].notna() & (d["ASTDT"] >= d["ADSL_TRTSDT"]) & (d["AENDT"] <= d["ADSL_TRTEDT"]))
            ),
        ),
        c(
            "dosing periods do not overlap",
            "ASTDT",
            ["ASTDT", "PREV_AENDT"],
            lambda d: _le(d["PREV_AENDT"] + pd.Timedelta(days=1), d["ASTDT"]),
        ),
    ]
    screen = [
        c("USUBJID in ADSL", "USUBJID", ["IN_ADSL", "USUBJID"], lambda d: d["USUBJID"].isna() | d["IN_ADSL"]),
        c(
            "SCRNDT not after ADSL.RANDDT",
            "SCRNDT",
            ["SCRNDT", "ADSL_RANDDT"],
            lambda d: _le(d["SCRNDT"], d["ADSL_RANDDT"]),
        ),
    ]
    screen_coverage = [
        c("every ADSL patient once in SCREEN", "USUBJID", ["N_ROWS"], lambda d: d["N_ROWS"] == 1),
    ]

    def schema(checks: list[pa.Check], name: str) -> pa.DataFrameSchema:
        return pa.DataFrameSchema({}, checks=checks, strict=False, name=name)

    return {
        "adtte": schema(adtte, "adtte x adsl"),
        "adtte_coverage": schema(coverage, "adsl x required PARAMCD"),
        "adtte_optional": schema(optional, "adsl x optional PARAMCD"),
        "adae": schema(adae, "adae x adsl"),
        "adex": schema(adex, "adex x adsl"),
        "screen": schema(screen, "screen x adsl"),
        "screen_coverage": schema(screen_coverage, "adsl x screen"),
    }


def _study_day(date: pd.Series, ref: pd.Series) -> pd.Series:
    """ADaM relative day: date - ref + 1 on or after ref, date - ref before it (no day 0)."""
    days = (date - ref).dt.days
    return days + (days >= 0)


# --------------------------------------------------------------------------- documentation
def data_dictionary(study: Study | None = None) -> str:
    """Markdown data dictionary of every table for ``study`` (default: the default study
    definition), as pasted into ``data/README.md``.

    Missing: ``no`` (an error), ``allowed``, or ``finding`` (a study variable: reported, not
    fatal).  Allowed values of a study variable are its decoded levels (a code outside them is a
    finding); of a generic variable, the codes the contract requires (an error).
    """
    study = _default_study() if study is None else study
    out = []
    for table in TABLE_NAMES:
        need = "required" if table in REQUIRED_TABLES else "optional"
        out.append(f"### {table.upper()} (`{table}.csv` / `.parquet` / `.xpt`; {need})\n")
        out.append("| Variable | Type | Missing | Allowed values | Label | Derivation / meaning |")
        out.append("|---|---|---|---|---|---|")
        for v in variables(table, study):
            allowed = ""
            if v.allowed is not None:
                allowed = ", ".join(f"`{a}`" for a in v.allowed)
            elif v.bounds is not None:
                lo, hi = v.bounds
                allowed = f">= {lo}" if hi is None else f"{lo}-{hi}"
            miss = "allowed" if v.nullable else ("finding" if v.tier == FINDING else "no")
            out.append(f"| {v.name} | {v.kind} | {miss} | {allowed} | {v.label} | {v.derivation} |")
        out.append("")
    return "\n".join(out)


def rules(study: Study | None = None) -> list[tuple[str, str, str, str]]:
    """Every row rule of the contract for ``study`` (default: the default study definition) as
    ``(table, column, rule, severity)``: per table, then across tables (pandera's own column
    checks, listed in the data dictionary, are not included)."""
    study = _default_study() if study is None else study
    out = []
    for table in TABLE_NAMES:
        out += [(table, *_meta(chk)) for chk in table_schema(table, study).checks]
    for key, schema in cross_schemas(study).items():
        out += [(key.split("_")[0], *_meta(chk)) for chk in schema.checks]
    return list(dict.fromkeys(out))


def _meta(check: pa.Check) -> tuple[str, str, str]:
    meta = rule_severity(str(check.error or check.name))
    assert meta is not None, check.name  # every check of ours is named by _key()
    severity, column, rule = meta
    return str(column), rule, severity


def rule_table(study: Study | None = None) -> str:
    """Markdown table of :func:`rules` (pasted into ``data/README.md``)."""
    lines = ["| Table | Column | Rule | Tier |", "|---|---|---|---|"]
    for table, column, rule, severity in rules(study):
        lines.append(f"| {table.upper()} | {column} | `{rule}` | {severity} |")
    return "\n".join(lines) + "\n"
