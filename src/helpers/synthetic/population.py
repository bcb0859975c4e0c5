"""Baseline covariates of the simulated population and their effect on the hazards."""

from __future__ import annotations

import numpy as np

from .assumptions import ASSUMPTIONS


def _choice(rng: np.random.Generator, probs: dict, n: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def baseline(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Baseline covariates that enter the hazards: age, sex, diagnosis, disease status,
    cytogenetic risk, pre-HSCT MRD, donor type, RIC (in this order of draws)."""
    a = ASSUMPTIONS
    shape_a, shape_b = a["age_beta"]
    age = (18 + np.floor(47.999 * rng.beta(shape_a, shape_b, size=n))).astype(np.int64)
    sex = np.where(rng.random(n) < a["p_sex_m"], "M", "F").astype(object)
    diag = _choice(rng, a["p_diag"], n)
    disstat = _choice(rng, a["p_disstat"], n)
    cyto = _choice(rng, a["p_cytorisk"], n)
    cyto[rng.random(n) < a["p_cytorisk_missing"]] = np.nan
    mrd = np.where(rng.random(n) < a["p_mrdpre_positive"], "Positive", "Negative").astype(object)
    mrd[rng.random(n) < a["p_mrdpre_missing"]] = np.nan
    donor = _choice(rng, a["p_donor"], n)
    ric = rng.random(n) < np.where(age > 50, a["p_ric"]["age>50"], a["p_ric"]["age<=50"])
    return age, sex, diag, disstat, cyto, mrd, donor, ric


def linear_predictors(age, diag, disstat, cyto, mrd, donor, ric, site_rel, site_nrm) -> tuple[np.ndarray, np.ndarray]:
    """Log hazard multipliers of relapse and NRM (no arm effect), each centred so that the
    mean multiplier exp(lp) over the patients given is 1."""
    a = ASSUMPTIONS
    b = a["beta_rel"]
    lp_rel = (
        np.select([disstat == "CR2+", disstat == "Not in CR"], [b["CR2+"], b["Not in CR"]], 0.0)
        + np.select([cyto == "Adverse", cyto == "Favourable"], [b["Adverse"], b["Favourable"]], 0.0)
        + np.where(mrd == "Positive", b["MRD Positive"], 0.0)
        + np.select([diag == "ALL", diag == "MPAL"], [b["ALL"], b["MPAL"]], 0.0)
        + np.where(ric, b["RIC"], 0.0)
        + site_rel
    )
    bn = a["beta_nrm"]
    lp_nrm = (
        bn["age_per_10y"] * (age - 40) / 10
        + np.select([donor == "MUD", donor == "HAPLO"], [bn["MUD"], bn["HAPLO"]], 0.0)
        + site_nrm
    )
    return (lp_rel - np.log(np.mean(np.exp(lp_rel))), lp_nrm - np.log(np.mean(np.exp(lp_nrm))))
