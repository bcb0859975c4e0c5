"""Adverse events (ADAE): the drug's toxicities, background post-transplant events, GVHD, the
toxicities behind dose modifications and withdrawals, and fatal events of non-relapse deaths."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import ceil_days, dates, flags
from .assumptions import ACTION_TERMS, AE_TERMS, FATAL_TERMS
from .outcomes import Outcomes
from .treatment import STOP_TOXICITY, Course


def adverse_events(
    rng: np.random.Generator,
    *,
    usubjid: np.ndarray,
    rday: np.ndarray,
    on_drug_arm: np.ndarray,
    c: Course,
    o: Outcomes,
    mods: pd.DataFrame,
    after_last_dose: int,
    untreated_end: np.ndarray,
    untreated_emergent: bool,
    studyid: str,
    origin: pd.Timestamp,
) -> pd.DataFrame:
    """Adverse events from randomisation to the end of the AE window (all vectorised).

    The window ends ``after_last_dose`` days after the last dose for patients who took the drug
    and on day ``untreated_end`` (from randomisation) for the others, never after death or last
    contact.  ``TRTEMFL``: onset from the first dose to ``after_last_dose`` days after the last,
    or, in arms without the drug, up to ``untreated_end`` when ``untreated_emergent``.
    """
    n = len(usubjid)
    treated, trt_start, trt_end = c.treated, c.start_off, c.trt_end
    w_end = np.minimum(np.where(treated, trt_end + after_last_dose, untreated_end), o.last_alive)
    T = len(AE_TERMS)
    p_drug = np.array([t[2] for t in AE_TERMS])
    p_other = np.array([t[3] for t in AE_TERMS])
    tox = np.array([t[5] for t in AE_TERMS])
    grade_cum = np.cumsum(np.array([t[4] for t in AE_TERMS]), axis=1)
    occ = rng.random((n, T)) < np.where(treated[:, None], p_drug[None, :], p_other[None, :])
    pi, ti = np.nonzero(occ)
    u = rng.random(len(pi))
    dur_trt = (trt_end - trt_start + 1)[pi]
    on_trt = treated[pi] & tox[ti]
    onset = np.where(on_trt, trt_start[pi] + np.floor(dur_trt * u**2), np.floor(u * (w_end[pi] + 1)))
    grade = 1 + (rng.random(len(pi))[:, None] > grade_cum[ti]).sum(axis=1)
    grade = np.minimum(grade, 4)
    related_p = np.where(on_trt, (p_drug[ti] - p_other[ti]) / p_drug[ti], 0.0)
    related = rng.random(len(pi)) < related_p
    duration = ceil_days(rng.exponential(14, len(pi)))
    ev = {
        "p": pi,
        "term": np.array([AE_TERMS[t][0] for t in range(T)], dtype=object)[ti],
        "soc": np.array([AE_TERMS[t][1] for t in range(T)], dtype=object)[ti],
        "onset": onset.astype(np.int64),
        "grade": grade,
        "related": related,
        "end": onset.astype(np.int64) + duration,
        "acn": np.full(len(pi), None, object),
    }
    frames = [ev]
    # toxicity behind each dose modification (AEACN set accordingly)
    if len(mods):
        mp = mods["patient"].to_numpy()
        w = np.array([x[1] for x in ACTION_TERMS])
        which = np.array([x[0] for x in ACTION_TERMS])[rng.choice(len(ACTION_TERMS), len(mp), p=w / w.sum())]
        on = trt_start[mp] + mods["offset"].to_numpy()
        frames.append(
            {
                "p": mp,
                "term": np.array([AE_TERMS[t][0] for t in which], dtype=object),
                "soc": np.array([AE_TERMS[t][1] for t in which], dtype=object),
                "onset": on,
                "grade": np.where(rng.random(len(mp)) < 0.6, 2, 3),
                "related": np.ones(len(mp), bool),
                "end": on + 3 + ceil_days(rng.exponential(10, len(mp))),
                "acn": np.where(mods["interrupt"].to_numpy(), "DRUG INTERRUPTED", "DOSE REDUCED").astype(object),
            }
        )
    # toxicity that stopped the drug
    wd = np.flatnonzero(treated & (c.stop_why == STOP_TOXICITY))
    if len(wd):
        which = np.array([x[0] for x in ACTION_TERMS])[rng.choice(len(ACTION_TERMS), len(wd))]
        on = trt_end[wd]
        frames.append(
            {
                "p": wd,
                "term": np.array([AE_TERMS[t][0] for t in which], dtype=object),
                "soc": np.array([AE_TERMS[t][1] for t in which], dtype=object),
                "onset": on,
                "grade": np.where(rng.random(len(wd)) < 0.7, 3, 2),
                "related": np.ones(len(wd), bool),
                "end": on + ceil_days(rng.exponential(21, len(wd))),
                "acn": np.full(len(wd), "DRUG WITHDRAWN", object),
            }
        )
    # GVHD within the AE window
    for obs, day, severe, term in (
        (o.ag_obs, o.d_ag, o.ag34, "Acute graft versus host disease"),
        (o.cg_obs, o.d_cg, o.cg_sys, "Chronic graft versus host disease"),
    ):
        g = np.flatnonzero(obs & (day <= w_end))
        if len(g):
            frames.append(
                {
                    "p": g,
                    "term": np.full(len(g), term, object),
                    "soc": np.full(len(g), "Immune system disorders", object),
                    "onset": day[g],
                    "grade": np.where(severe[g], np.where(rng.random(len(g)) < 0.7, 3, 4), 2),
                    "related": np.zeros(len(g), bool),
                    "end": day[g] + ceil_days(rng.exponential(45, len(g))),
                    "acn": np.full(len(g), None, object),
                }
            )
    # fatal AEs for non-relapse deaths within the AE window
    f = np.flatnonzero(o.nrm_obs & (o.d_death <= w_end))
    if len(f):
        on = np.maximum(0, o.d_death[f] - rng.integers(0, 8, len(f)))
        frames.append(
            {
                "p": f,
                "term": np.array([FATAL_TERMS[c][0] for c in o.nrm_cause[f]], dtype=object),
                "soc": np.array([FATAL_TERMS[c][1] for c in o.nrm_cause[f]], dtype=object),
                "onset": on,
                "grade": np.full(len(f), 5),
                "related": np.zeros(len(f), bool),
                "end": o.d_death[f],
                "acn": np.full(len(f), None, object),
            }
        )
    ae = {k: np.concatenate([fr[k] for fr in frames]) for k in frames[0]}
    p = ae["p"]
    onset = ae["onset"].astype(np.int64)
    end = ae["end"].astype(np.int64)
    end_known = (end <= o.last_alive[p]) | (ae["grade"] == 5)
    on_drug = treated[p] & (onset >= trt_start[p]) & (onset <= trt_end[p])
    acn = np.where(pd.isna(ae["acn"]), np.where(on_drug, "DOSE NOT CHANGED", "NOT APPLICABLE"), ae["acn"]).astype(
        object
    )
    acn = np.where((ae["grade"] == 5) & on_drug, "DRUG WITHDRAWN", acn).astype(object)
    ref = np.where(treated[p], trt_start[p], 0)
    rel = onset - ref
    astdy = rel + (rel >= 0)
    temfl = np.where(
        treated[p],
        (onset >= trt_start[p]) & (onset <= trt_end[p] + after_last_dose),
        untreated_emergent & ~on_drug_arm[p] & (onset <= untreated_end[p]),
    )
    p_ser = np.array([0.0, 0.0, 0.02, 0.35, 0.8, 1.0])[ae["grade"]]
    ser = rng.random(len(p)) < p_ser
    adae = pd.DataFrame(
        {
            "STUDYID": studyid,
            "USUBJID": np.asarray(usubjid)[p],
            "AESEQ": 0,
            "AEBODSYS": ae["soc"],
            "AEDECOD": ae["term"],
            "AETOXGR": ae["grade"].astype(np.int64),
            "AESER": flags(ser),
            "AEREL": np.where(ae["related"] & treated[p], "RELATED", "NOT RELATED").astype(object),
            "AEACN": acn,
            "ASTDT": dates(rday[p] + onset, origin),
            "AENDT": dates(np.where(end_known, rday[p] + end, np.nan), origin),
            "ASTDY": astdy.astype(np.int64),
            "TRTEMFL": flags(temfl),
            "_g": -ae["grade"],
        }
    )
    adae = adae.sort_values(["USUBJID", "ASTDT", "AEDECOD", "_g"], kind="stable")
    adae["AESEQ"] = (adae.groupby("USUBJID", sort=False).cumcount() + 1).astype(np.int64)
    return adae.drop(columns="_g")
