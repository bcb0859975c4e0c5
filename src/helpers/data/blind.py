"""The open report's trial: every arm pooled into one group before any analysis sees the data.

``make report REPORT=open`` makes the trial team's report, which must show no result by arm. The
notebooks do not each have to remember that: :class:`helpers.run.notebook.NotebookRun` hands
them :func:`pool_arms` of the validated trial, in which every patient is in the one arm of
:meth:`helpers.study.Study.pooled`. A by-arm table written by mistake then has a single column,
the pooled one; a comparison of arms has nothing to compare.

What the pooling does, table by table:

* every arm column (:data:`ARM_COLUMNS`: ``ARM``, ``ARMCD``, ``ACTARM``, ``ACTARMCD``) holds the
  pooled label or code, in whichever table has it;
* the columns only patients given the study drug fill (:data:`DRUG_COLUMNS`: treatment dates,
  end-of-treatment status and reason in ADSL, the action taken with the drug in ADAE) are emptied:
  counted over all patients they would still be counts of the drug's arm alone;
* ADEX (exposure to the study drug, by nature the drug's arm only) is left out: ``None``, as a
  table not delivered; :attr:`Trial.files` still records the file for the provenance.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from helpers.data import schemas
from helpers.data.contract import Trial

__all__ = ["ARM_COLUMNS", "DRUG_COLUMNS", "DROPPED_TABLES", "is_pooled", "pool_arms"]

#: Arm columns: label columns get the pooled label, code columns the pooled code.
ARM_COLUMNS = {"ARM": "label", "ACTARM": "label", "ARMCD": "code", "ACTARMCD": "code"}
#: Columns filled only for patients given the study drug, emptied in the pooled trial.
DRUG_COLUMNS = {"adsl": ("TRTSDT", "TRTEDT", "EOTSTT", "DCTREAS"), "adae": ("AEACN",)}
#: Tables that describe the study drug's arm only, left out of the pooled trial.
DROPPED_TABLES = ("adex",)


def _emptied(column: pd.Series) -> pd.Series:
    return column.mask(pd.Series(True, index=column.index))  # NaT, NaN or <NA> as the dtype has it


def pool_arms(trial: Trial) -> Trial:
    """``trial`` with every arm pooled into the one arm of ``trial.study.pooled()`` (see the
    module's description); its ``study`` is that pooled view. A trial already pooled is returned
    as it is.

    Raises
    ------
    ValueError
        The trial has no study (:func:`helpers.data.contract.load_trial` sets it).
    """
    if trial.study is None:
        raise ValueError("pool_arms() needs the trial's study (load_trial sets it)")
    if trial.study.is_pooled:
        return trial
    pooled = trial.study.pooled()
    arm = pooled.arms[0]
    tables: dict[str, pd.DataFrame | None] = {}
    for name in schemas.TABLE_NAMES:
        df = getattr(trial, name)
        if df is None or name in DROPPED_TABLES:
            tables[name] = None
            continue
        df = df.copy()
        for col, what in ARM_COLUMNS.items():
            if col in df.columns:
                value = arm.label if what == "label" else arm.code
                df[col] = pd.Series(value, index=df.index, dtype=df[col].dtype if df[col].dtype != "category" else None)
        for col in DRUG_COLUMNS.get(name, ()):
            if col in df.columns:
                df[col] = _emptied(df[col])
        tables[name] = df
    return dataclasses.replace(trial, **tables, study=pooled)  # type: ignore[arg-type]


def is_pooled(trial: Trial) -> bool:
    """Whether ``trial`` is an open report's pooled trial (:func:`pool_arms`)."""
    return trial.study is not None and trial.study.is_pooled
