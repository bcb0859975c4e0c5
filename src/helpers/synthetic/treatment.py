"""The study drug: who takes it, from when to when, and its dosing periods (ADEX)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._arrays import ceil_days, dates, where_text
from .assumptions import ASSUMPTIONS
from .outcomes import NEVER, Outcomes


@dataclass(frozen=True)
class Course:
    start_off: np.ndarray  # first dose, days after randomisation
    trt_end: np.ndarray  # last dose, days after randomisation
    stop_why: np.ndarray  # index into the stop reasons of :func:`course`
    treated: np.ndarray  # took at least one dose
    eotstt: np.ndarray
    dctreas: np.ndarray


def course(rng: np.random.Generator, *, on_drug_arm: np.ndarray, tx_gap: np.ndarray, o: Outcomes) -> Course:
    """Treatment from randomisation (+0-7 days) to day 180 after transplant, stopped earlier by
    the data cutoff, relapse (the day before), death, dropout or toxicity; 3% of patients of
    an arm that receives the drug never start it."""
    a = ASSUMPTIONS
    n = len(tx_gap)
    start_off = rng.integers(a["trt_start_days"][0], a["trt_start_days"][1] + 1, n)
    planned_end = a["treatment_end_day_post_hsct"] - tx_gap
    d_ae_stop = start_off + ceil_days(rng.exponential(a["ae_discontinuation_mean_days"], n))
    cand = np.stack(
        [
            planned_end,
            o.admin,
            np.where(o.rel_obs, o.d_rel - 1, NEVER),
            np.where(o.died, o.d_death - 1, NEVER),
            np.where(o.dropped, o.d_drop, NEVER),
            d_ae_stop,
        ],
        axis=1,
    )
    stop_why = np.argmin(cand, axis=1)
    trt_end = cand[np.arange(n), stop_why]
    treated = on_drug_arm & (rng.random(n) >= a["p_never_started"]) & (trt_end >= start_off)
    eot_codes = np.array(
        ["COMPLETED", "ONGOING", "DISCONTINUED", "DISCONTINUED", "DISCONTINUED", "DISCONTINUED"], dtype=object
    )
    dct_codes = np.array([None, None, "RELAPSE", "DEATH", None, "ADVERSE EVENT"], dtype=object)
    dctreas = dct_codes[stop_why]
    dctreas = np.where(stop_why == 4, o.drop_reason, dctreas)
    eotstt = where_text(treated, eot_codes[stop_why])
    dctreas = where_text(treated & (eot_codes[stop_why] == "DISCONTINUED"), dctreas)
    return Course(
        start_off=start_off, trt_end=trt_end, stop_why=stop_why, treated=treated, eotstt=eotstt, dctreas=dctreas
    )


#: :attr:`Course.stop_why` of a stop for toxicity
STOP_TOXICITY = 5


def exposure(
    rng: np.random.Generator,
    *,
    treated: np.ndarray,
    start_day: np.ndarray,
    duration: np.ndarray,
    usubjid: np.ndarray,
    studyid: str,
    extrt: str,
    dose_levels: tuple[int, ...],
    origin: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Dosing periods: start at the highest of ``dose_levels`` (mg/day), step down one level at
    each toxicity-driven reduction; interruptions (``EXDOSE = 0``) in between.  The lowest
    level is taken once a day (QD), the others twice (BID).

    Returns the ADEX frame and the modifications (patient index, day offset from start,
    interruption flag) that the AE generator links to AEs with AEACN set.
    """
    a = ASSUMPTIONS
    idx = np.flatnonzero(treated)
    m = len(idx)
    D = duration[idx].astype(np.int64)
    levels = np.array(sorted((d for d in dose_levels if d > 0), reverse=True), dtype=np.int64)
    n_mod = 3
    gaps = np.column_stack(
        [7 + rng.exponential(a["first_modification_mean_days"], m)]
        + [7 + rng.exponential(a["next_modification_mean_days"], m) for _ in range(n_mod - 1)]
    )
    bpt = np.floor(np.cumsum(gaps, axis=1)).astype(np.int64)
    valid = bpt < (D[:, None] - 1)
    mtype = rng.choice(3, size=(m, n_mod), p=a["p_modification_type"])
    lo, lam = a["interruption_days"]
    ilen = lo + rng.poisson(lam, size=(m, n_mod))
    nxt = np.where(
        np.c_[valid[:, 1:], np.zeros((m, 1), bool)], np.c_[bpt[:, 1:], np.zeros((m, 1), np.int64)], D[:, None]
    )
    # segments: 0 = initial; per modification: interruption then dosing
    seg_s = np.zeros((m, 1 + 2 * n_mod), np.int64)
    seg_e = np.zeros_like(seg_s)
    seg_dose = np.zeros_like(seg_s)
    seg_adj = np.full(seg_s.shape, None, dtype=object)
    seg_ok = np.zeros(seg_s.shape, bool)
    seg_s[:, 0] = 0
    seg_e[:, 0] = np.where(valid[:, 0], bpt[:, 0], D) - 1
    seg_dose[:, 0] = levels[0]
    seg_ok[:, 0] = True
    level = np.zeros(m, np.int64)
    mod_interrupt = np.zeros((m, n_mod), bool)
    for j in range(n_mod):
        room = nxt[:, j] - bpt[:, j] - 1
        interrupt = (mtype[:, j] < 2) & valid[:, j]
        length = np.where(interrupt, np.minimum(ilen[:, j], room), 0)
        interrupt &= length > 0
        reduce = (mtype[:, j] != 1) & (level < len(levels) - 1)
        valid[:, j] &= interrupt | reduce
        new_level = np.where(valid[:, j] & reduce, level + 1, level)
        k = 1 + 2 * j
        seg_s[:, k], seg_e[:, k] = bpt[:, j], bpt[:, j] + length - 1
        seg_ok[:, k] = valid[:, j] & interrupt
        seg_adj[:, k] = "DRUG INTERRUPTED"
        seg_s[:, k + 1], seg_e[:, k + 1] = bpt[:, j] + length, nxt[:, j] - 1
        seg_dose[:, k + 1] = levels[new_level]
        seg_ok[:, k + 1] = valid[:, j]
        seg_adj[:, k + 1] = np.where(new_level > level, "DOSE REDUCED", "DOSE RESUMED")
        mod_interrupt[:, j] = interrupt
        level = new_level
    # a dropped modification leaves the previous dosing segment running on: each kept
    # segment ends the day before the next kept one starts
    ok = seg_ok
    rows, cols = np.nonzero(ok)
    s = seg_s[rows, cols]
    start = np.asarray(start_day)[idx][rows]
    nxt_start = np.r_[s[1:], 0]
    same_next = np.r_[rows[1:] == rows[:-1], False]
    e = np.where(same_next, nxt_start - 1, D[rows] - 1)
    dose = seg_dose[rows, cols]
    adj = seg_adj[rows, cols]
    exseq = np.arange(len(rows)) - np.searchsorted(rows, rows)
    adex = pd.DataFrame(
        {
            "STUDYID": studyid,
            "USUBJID": np.asarray(usubjid)[idx][rows],
            "EXSEQ": (exseq + 1).astype(np.int64),
            "EXTRT": extrt,
            "EXDOSE": dose.astype(np.int64),
            "EXDOSU": "mg",
            "EXDOSFRQ": where_text(dose > 0, np.where(dose == levels[-1], "QD", "BID")),
            "ASTDT": dates(start + s, origin),
            "AENDT": dates(start + e, origin),
            "EXDURD": (e - s + 1).astype(np.int64),
            "EXADJ": adj,
        }
    )
    adex = adex.sort_values(["USUBJID", "EXSEQ"], kind="stable")
    mr, mc = np.nonzero(valid)
    mods = pd.DataFrame({"patient": idx[mr], "offset": bpt[mr, mc], "interrupt": mod_interrupt[mr, mc]})
    return adex, mods
