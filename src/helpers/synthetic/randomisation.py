"""Sites, accrual, identifiers, stratification and the permuted-block randomisation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._arrays import zpad
from .assumptions import ASSUMPTIONS, DISSTATS, DONORS


@dataclass(frozen=True)
class Enrolment:
    """Sites and patients in randomisation order (days from the first randomisation)."""

    site_w: np.ndarray  # share of patients per site
    site_act: np.ndarray  # activation day per site, on the patients' day scale
    site_rel: np.ndarray  # log-hazard site effect, relapse
    site_nrm: np.ndarray  # log-hazard site effect, non-relapse mortality
    site: np.ndarray  # site index per patient
    rday: np.ndarray  # randomisation day per patient (the first is day 0)
    siteid: np.ndarray
    subjid: np.ndarray
    usubjid: np.ndarray


def enrol(rng: np.random.Generator, n: int, n_sites: int, accrual_days: int, studyid: str) -> Enrolment:
    """Sites of unequal size (Dirichlet(4)) activated over the first quarter of accrual; patients
    accrue uniformly from their site's activation; ``USUBJID = STUDYID-SITEID-SUBJID``."""
    a = ASSUMPTIONS
    site_w = rng.dirichlet(np.full(n_sites, 4.0))
    site_act = rng.uniform(0, 0.25 * accrual_days, n_sites)
    site_act[0] = 0.0
    site_rel = rng.normal(0, a["site_sd_rel"], n_sites)
    site_nrm = rng.normal(0, a["site_sd_nrm"], n_sites)
    site = rng.choice(n_sites, size=n, p=site_w)
    rday = np.floor(site_act[site] + rng.uniform(size=n) * (accrual_days - site_act[site]))
    shift = rday.min()
    rday = (rday - shift).astype(np.int64)
    order = np.lexsort((rng.random(n), site, rday))  # randomisation order
    site, rday = site[order], rday[order]
    siteid = zpad(site + 1, 2)
    by_site = np.lexsort((np.arange(n), site))
    seq = np.empty(n, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(site[by_site])) + 1]
    run = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    seq[by_site] = run + 1
    subjid = zpad(seq, max(4, len(str(n))))
    usubjid = (studyid + "-" + siteid + "-" + subjid).astype(object)
    return Enrolment(
        site_w=site_w,
        site_act=site_act - shift,
        site_rel=site_rel,
        site_nrm=site_nrm,
        site=site,
        rday=rday,
        siteid=siteid,
        subjid=subjid,
        usubjid=usubjid,
    )


def stratify(
    rng: np.random.Generator, disstat: np.ndarray, donor: np.ndarray
) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """The IRT's stratification values (``STRATDS``, ``STRATDT``) with their codes: the CRF's
    disease status and donor type, 1% of each mis-stratified (another code drawn at random)."""
    a = ASSUMPTIONS
    out: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
    for name, values, codes in (("STRATDS", disstat, DISSTATS), ("STRATDT", donor, DONORS)):
        values = values.copy()
        mis = rng.random(len(values)) < a["p_misstratified"]
        values[mis] = np.array(codes, dtype=object)[rng.integers(0, len(codes), mis.sum())]
        out[name] = (values, codes)
    return out


def allocate(
    rng: np.random.Generator,
    site: np.ndarray,
    strata: list[tuple[np.ndarray, tuple[str, ...]]],
    allocation: tuple[int, ...],
) -> np.ndarray:
    """Arm index (into ``allocation``) per patient: permuted blocks within site x strata.

    Blocks hold ``2 x sum(allocation)`` patients in randomisation order within each stratum,
    each arm ``2 x allocation`` of them in a random order; the last block of a stratum may be
    incomplete.
    """
    n = len(site)
    stratum = site.astype(np.int64)
    for values, codes in strata:
        stratum = stratum * len(codes) + pd.Categorical(values, categories=codes).codes
    size = 2 * sum(allocation)
    o = np.lexsort((np.arange(n), stratum))
    st = stratum[o]
    first = np.r_[True, st[1:] != st[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - grp_start
    new_block = first | (rank % size == 0)
    block = np.cumsum(new_block) - 1
    perm = np.argsort(np.argsort(rng.random((block[-1] + 1, size)), axis=1), axis=1)
    arm = np.empty(n, dtype=np.int64)
    arm[o] = np.searchsorted(np.cumsum(2 * np.asarray(allocation)), perm[block, rank % size], side="right")
    return arm
