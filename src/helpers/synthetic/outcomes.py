"""Outcomes: relapse, non-relapse death, death after relapse, dropout, GVHD; ADTTE derivations.

All times are whole days from randomisation.  Relapse and non-relapse death are latent
cause-specific Weibull times (with the covariates' and the site's hazard multipliers and the
arm's relapse hazard ratio), the first of them observed unless dropout or the data cutoff comes
first; GVHD onsets come from mixture-cure models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._arrays import ceil_days, dates, where_text
from .assumptions import ASSUMPTIONS
from .calibration import CALIBRATION

#: a day later than any event ("never")
NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class Outcomes:
    d_rel: np.ndarray  # latent relapse day
    d_nrm: np.ndarray  # latent non-relapse death day
    d_drop: np.ndarray  # latent dropout day
    admin: np.ndarray  # potential follow-up to the data cutoff
    dropped: np.ndarray
    cens: np.ndarray  # end of follow-up without death: dropout or cutoff
    rel_obs: np.ndarray
    nrm_obs: np.ndarray
    died: np.ndarray
    d_death: np.ndarray
    last_alive: np.ndarray
    first_ev: np.ndarray  # day of relapse or non-relapse death, NEVER if neither observed
    ag_obs: np.ndarray  # acute GVHD II-IV observed before relapse, death or censoring
    d_ag: np.ndarray
    ag34: np.ndarray  # ... grade III-IV
    cg_obs: np.ndarray  # chronic GVHD observed
    d_cg: np.ndarray
    cg_sys: np.ndarray  # ... needing systemic therapy
    nrm_cause: np.ndarray  # cause of a non-relapse death (INFECTION, GVHD, ...)
    dthcaus: np.ndarray
    drop_reason: np.ndarray


def simulate(
    rng: np.random.Generator,
    *,
    lp_rel: np.ndarray,
    lp_nrm: np.ndarray,
    donor: np.ndarray,
    tx_gap: np.ndarray,
    admin: np.ndarray,
) -> Outcomes:
    """Draw every outcome; ``lp_rel``/``lp_nrm`` include the arm's effects."""
    a, cal = ASSUMPTIONS, CALIBRATION
    n = len(lp_rel)
    t_rel = cal["lambda_rel_days"] * (rng.exponential(size=n) * np.exp(-lp_rel)) ** (1 / a["rel_shape"])
    t_nrm = cal["lambda_nrm_days"] * (rng.exponential(size=n) * np.exp(-lp_nrm)) ** (1 / a["nrm_shape"])
    t_post = cal["post_relapse_scale_days"] * rng.weibull(a["post_relapse_shape"], n)
    t_drop = rng.exponential(1 / cal["dropout_rate_per_day"], n)
    d_rel, d_nrm, d_post, d_drop = (ceil_days(x) for x in (t_rel, t_nrm, t_post, t_drop))
    dropped = d_drop < admin
    cens = np.minimum(d_drop, admin)
    rel_obs = (d_rel <= d_nrm) & (d_rel <= cens)
    nrm_obs = (d_nrm < d_rel) & (d_nrm <= cens)
    post_death = rel_obs & (d_rel + d_post <= cens)
    died = nrm_obs | post_death
    d_death = np.where(nrm_obs, d_nrm, d_rel + d_post)
    last_alive = np.where(died, d_death, cens)
    first_ev = np.where(rel_obs, d_rel, np.where(nrm_obs, d_nrm, NEVER))

    # GVHD (onset days from randomisation)
    ag_ever = rng.random(n) < pd.Series(donor).map(a["p_agvhd"]).to_numpy(dtype=float)
    d_ag = ceil_days(rng.exponential(a["agvhd_mean_days"], n))
    ag34 = rng.random(n) < a["p_agvhd_34"]
    ag_obs = ag_ever & (d_ag <= np.minimum(first_ev, cens))
    p_cg = pd.Series(donor).map(a["p_cgvhd"]).to_numpy(dtype=float) + np.where(ag_obs, a["cgvhd_after_agvhd"], 0.0)
    cg_ever = rng.random(n) < p_cg
    g_shape, g_scale = a["cgvhd_onset_gamma"]
    d_cg = ceil_days(100 + rng.gamma(g_shape, g_scale, n) - tx_gap)
    cg_sys = rng.random(n) < a["p_cgvhd_systemic"]
    cg_obs = cg_ever & (d_cg <= np.minimum(first_ev, cens))

    # causes of death
    gvhd_hist = (ag_obs & ag34 & (d_ag <= d_death)) | (cg_obs & cg_sys & (d_cg <= d_death))
    causes = np.array(["INFECTION", "GVHD", "ORGAN FAILURE", "OTHER"], dtype=object)
    u = rng.random(n)
    cum = np.where(gvhd_hist[:, None], np.array([[0.35, 0.85, 0.95, 1.0]]), np.array([[0.55, 0.70, 0.90, 1.0]]))
    nrm_cause = causes[np.minimum((u[:, None] > cum).sum(axis=1), 3)]
    dthcaus = where_text(died, np.where(nrm_obs, nrm_cause, "RELAPSE"))

    withdraw = rng.random(n) < a["dropout_withdrawal_share"]
    drop_reason = np.where(withdraw, "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP").astype(object)
    return Outcomes(
        d_rel=d_rel,
        d_nrm=d_nrm,
        d_drop=d_drop,
        admin=admin,
        dropped=dropped,
        cens=cens,
        rel_obs=rel_obs,
        nrm_obs=nrm_obs,
        died=died,
        d_death=d_death,
        last_alive=last_alive,
        first_ev=first_ev,
        ag_obs=ag_obs,
        d_ag=d_ag,
        ag34=ag34,
        cg_obs=cg_obs,
        d_cg=d_cg,
        cg_sys=cg_sys,
        nrm_cause=nrm_cause,
        dthcaus=dthcaus,
        drop_reason=drop_reason,
    )


# --------------------------------------------------------------------------- ADTTE
#: (day, EVNTCD, EVNTDESC, CNSDTDSC) of one endpoint for every patient
Derived = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _tte(o: Outcomes, ev, ev_day, ev_desc, comp, comp_day, comp_desc) -> Derived:
    cens_desc = np.where(o.dropped, o.drop_reason, "DATA CUTOFF").astype(object)
    code = np.where(ev, 1, np.where(comp, 2, 0))
    day = np.where(ev, ev_day, np.where(comp, comp_day, o.cens))
    desc = np.where(ev, ev_desc, np.where(comp, comp_desc, "Censored")).astype(object)
    cdesc = where_text(code != 1, np.where(code == 2, "COMPETING EVENT", cens_desc))
    return day, code, desc, cdesc


def _relapse_or_death(o: Outcomes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed, day and description of the first of relapse and non-relapse death."""
    return (
        o.rel_obs | o.nrm_obs,
        np.where(o.rel_obs, o.d_rel, o.d_nrm),
        np.where(o.rel_obs, "Relapse", "Death without relapse"),
    )


def _rel(o: Outcomes) -> Derived:
    return _tte(o, o.rel_obs, o.d_rel, "Relapse", o.nrm_obs, o.d_nrm, "Death without relapse")


def _nrm(o: Outcomes) -> Derived:
    return _tte(o, o.nrm_obs, o.d_nrm, "Death without relapse", o.rel_obs, o.d_rel, "Relapse")


def _os(o: Outcomes) -> Derived:
    return _tte(o, o.died, o.d_death, "Death", np.zeros(len(o.died), bool), 0, "")


def _lfs(o: Outcomes) -> Derived:
    ev, day, desc = _relapse_or_death(o)
    return _tte(o, ev, day, desc, np.zeros(len(ev), bool), 0, "")


def _agvhd(o: Outcomes) -> Derived:
    return _tte(o, o.ag_obs, o.d_ag, "Acute GVHD grade II-IV", *_relapse_or_death(o))


def _cgvhd(o: Outcomes) -> Derived:
    return _tte(o, o.cg_obs, o.d_cg, "Chronic GVHD", *_relapse_or_death(o))


def _grfs(o: Outcomes) -> Derived:
    rd_ev, rd_day, rd_desc = _relapse_or_death(o)
    g_ag = o.ag_obs & o.ag34
    g_cg = o.cg_obs & o.cg_sys
    g_days = np.stack(
        [np.where(g_ag, o.d_ag, NEVER), np.where(g_cg, o.d_cg, NEVER), np.where(rd_ev, rd_day, NEVER)], axis=1
    )
    g_which = np.argmin(g_days, axis=1)
    g_desc = np.select(
        [g_which == 0, g_which == 1], ["Acute GVHD grade III-IV", "Chronic GVHD requiring systemic therapy"], rd_desc
    ).astype(object)
    return _tte(
        o, g_ag | g_cg | rd_ev, g_days[np.arange(len(g_which)), g_which], g_desc, np.zeros(len(g_which), bool), 0, ""
    )


#: PARAMCD -> (kind, derivation) of every endpoint the generator can derive
DERIVATIONS: dict[str, tuple[str, Callable[[Outcomes], Derived]]] = {
    "REL": ("competing", _rel),  # relapse; competing: death without relapse
    "NRM": ("competing", _nrm),  # death without relapse; competing: relapse
    "OS": ("survival", _os),  # death from any cause
    "LFS": ("survival", _lfs),  # relapse or death
    "AGVHD": ("competing", _agvhd),  # acute GVHD II-IV; competing: relapse or death
    "CGVHD": ("competing", _cgvhd),  # chronic GVHD; competing: relapse or death
    "GRFS": ("survival", _grfs),  # aGVHD III-IV, systemic cGVHD, relapse or death
}


def adtte(
    o: Outcomes,
    endpoints,
    *,
    studyid: str,
    usubjid: np.ndarray,
    rday: np.ndarray,
    startdt: pd.Series,
    origin: pd.Timestamp,
) -> pd.DataFrame:
    """One record per patient and endpoint (``endpoints``: the study's, in their order)."""
    parts = []
    for k, ep in enumerate(endpoints):
        day, code, desc, cdesc = DERIVATIONS[ep.paramcd][1](o)
        parts.append(
            pd.DataFrame(
                {
                    "STUDYID": studyid,
                    "USUBJID": usubjid,
                    "PARAMCD": ep.paramcd,
                    "PARAM": ep.param,
                    "STARTDT": startdt,
                    "ADT": dates(rday + day, origin),
                    "AVAL": day.astype(np.int64),
                    "CNSR": (code != 1).astype(np.int64),
                    "EVNTCD": code.astype(np.int64),
                    "EVNTDESC": desc,
                    "CNSDTDSC": cdesc,
                    "_k": k,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["USUBJID", "_k"], kind="stable").drop(columns="_k")
