"""The screening log (SCREEN): the randomised patients plus screen failures with reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import dates, zpad
from .assumptions import ASSUMPTIONS, SCREEN_REASONS
from .randomisation import Enrolment


def screening(
    rng: np.random.Generator,
    e: Enrolment,
    *,
    accrual_days: int,
    studyid: str,
    origin: pd.Timestamp,
    reasons: list[tuple[str, str, float]] | None = None,
) -> pd.DataFrame:
    """Screen failures at the sites' shares over accrual (after each site's activation) with
    CONSORT reasons (``(EXCLCAT, EXCLREAS, weight)``; default :data:`SCREEN_REASONS`);
    randomised patients are screened 0-14 days before randomisation."""
    a = ASSUMPTIONS
    reasons = SCREEN_REASONS if reasons is None else reasons
    n = len(e.usubjid)
    site_w, site_act, rday = e.site_w, e.site_act, e.rday
    n_fail = int(round(n * a["p_screen_failure"] / (1 - a["p_screen_failure"])))
    fsite = rng.choice(len(site_w), size=n_fail, p=site_w)
    lo = np.maximum(site_act[fsite], 0)
    fday = np.floor(lo + rng.uniform(size=n_fail) * (accrual_days - lo)).astype(np.int64)
    r = np.array([x[2] for x in reasons])
    k = rng.choice(len(reasons), size=n_fail, p=r / r.sum())
    sday = rday - rng.integers(0, 15, n)
    scr = pd.DataFrame(
        {
            "STUDYID": studyid,
            "SITEID": np.r_[np.asarray(e.siteid, dtype=object), zpad(fsite + 1, 2)],
            "SCRNDT": dates(np.r_[sday, fday], origin),
            "USUBJID": np.r_[np.asarray(e.usubjid, dtype=object), np.full(n_fail, np.nan, object)],
            "RANDFL": np.r_[np.full(n, "Y", object), np.full(n_fail, "N", object)],
            "EXCLCAT": np.r_[np.full(n, np.nan, object), np.array([reasons[i][0] for i in k], dtype=object)],
            "EXCLREAS": np.r_[np.full(n, np.nan, object), np.array([reasons[i][1] for i in k], dtype=object)],
            "_r": rng.random(n + n_fail),
        }
    )
    scr = scr.sort_values(["SCRNDT", "SITEID", "_r"], kind="stable").reset_index(drop=True)
    width = max(5, len(str(len(scr))))
    scr["SCRNID"] = ("SCR" + zpad(np.arange(1, len(scr) + 1), width)).astype(object)
    return scr.drop(columns="_r")
