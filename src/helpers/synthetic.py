"""A synthetic NCT04674345 trial that satisfies the data contract.

Sorafenib maintenance vs no maintenance after a first allo-HSCT in FLT3-negative acute
leukaemia (AML, ALL, MPAL), adults 18-65, randomised 1:1 on day 30-60 after transplant in
permuted blocks of 4 within site x stratification factors (disease status, donor type),
10 Chinese centres, open label.  Every assumption and its source is listed in
``data/README.md``; the numbers live in :data:`ASSUMPTIONS`, the calibrated baseline hazards in
:data:`CALIBRATION` and the event-driven design (Schoenfeld, O'Brien-Fleming interim) in
:data:`DESIGN`, all computed at import from the assumptions.

Outcomes are drawn from latent cause-specific Weibull times (relapse, non-relapse death) with a
random site effect, then post-relapse survival, dropout and administrative censoring at the
data cutoff; GVHD onsets from mixture-cure models.  Everything is vectorised numpy: 100 000
patients take a few seconds.

Command line::

    python -m helpers.synthetic --out data/synthetic [--n-patients 346 --seed 20201215
                                                    --format csv|parquet|xpt]
"""

from __future__ import annotations

import argparse
import functools
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special, stats

from helpers import schemas

__all__ = [
    "ASSUMPTIONS",
    "CALIBRATION",
    "DESIGN",
    "FIRST_RANDOMISATION",
    "STUDYID",
    "default_cutoff",
    "generate",
    "write_trial",
    "main",
]

STUDYID = "NCT04674345"
FIRST_RANDOMISATION = pd.Timestamp("2021-01-15")
DAYS_PER_MONTH = 365.25 / 12
_SQRT_2PI = math.sqrt(2 * math.pi)

#: Every modelling assumption; sources and reasoning in data/README.md ("Assumptions").
ASSUMPTIONS: dict = {
    # outcomes in the control arm at 2 years (730 days) after randomisation, no censoring
    "rel_ctrl_2y": 0.28,          # FLT3-neg. controls: 25-30%; Xuan 2020 control 31.6% (FLT3-ITD)
    "nrm_2y": 0.10,               # 8-12% in both arms; Xuan 2020 NRM ~ 10%
    "rel_shape": 0.75,            # Weibull shape < 1: relapse hazard falls with time
    "nrm_shape": 0.80,
    "hr_nrm": 1.0,                # sorafenib does not change non-relapse mortality
    "site_sd_rel": 0.25,          # SD of the log-hazard site effect (relapse)
    "site_sd_nrm": 0.30,          # SD of the log-hazard site effect (NRM)
    "post_relapse_median_days": 225,  # median survival after relapse 6-9 months
    "post_relapse_shape": 1.2,
    "dropout_2y": 0.04,           # withdrawal or loss to follow-up by 2 years
    "dropout_withdrawal_share": 0.6,
    # relapse log-hazard ratios (reference: CR1, Intermediate, MRD negative, AML, MAC)
    "beta_rel": {"CR2+": 0.40, "Not in CR": 0.90, "Adverse": 0.45, "Favourable": -0.40,
                 "MRD Positive": 0.60, "ALL": 0.15, "MPAL": 0.20, "RIC": 0.20},
    # NRM log-hazard ratios (reference: MSD donor); age per 10 years above 40
    "beta_nrm": {"age_per_10y": 0.20, "MUD": 0.20, "HAPLO": 0.25},
    # baseline distributions
    "p_sex_m": 0.57,
    "p_diag": {"AML": 0.60, "ALL": 0.35, "MPAL": 0.05},
    "p_disstat": {"CR1": 0.75, "CR2+": 0.15, "Not in CR": 0.10},
    "p_cytorisk": {"Favourable": 0.20, "Intermediate": 0.50, "Adverse": 0.30},
    "p_cytorisk_missing": 0.04,
    "p_mrdpre_positive": 0.25,
    "p_mrdpre_missing": 0.03,
    "p_donor": {"MSD": 0.25, "MUD": 0.12, "HAPLO": 0.63},
    "p_ric": {"age<=50": 0.05, "age>50": 0.30},
    "age_beta": (2.0, 2.3),       # AGE = 18 + 47 * Beta(a, b), rounded down
    "p_misstratified": 0.01,
    "tx_to_rand_days": (30, 60),
    # GVHD after randomisation
    "p_agvhd": {"MSD": 0.20, "MUD": 0.28, "HAPLO": 0.27},
    "agvhd_mean_days": 30,        # mean days from randomisation (most before day 100 post-HSCT)
    "p_agvhd_34": 0.35,           # share of grade III-IV among grade II-IV
    "p_cgvhd": {"MSD": 0.30, "MUD": 0.36, "HAPLO": 0.36},
    "cgvhd_after_agvhd": 0.15,    # added probability after acute GVHD
    "cgvhd_onset_gamma": (2.0, 60.0),  # days after day 100 post-HSCT
    "p_cgvhd_systemic": 0.55,
    # sorafenib
    "dose_levels": (800, 400, 200),  # mg/day: 400 mg bid, 200 mg bid, 200 mg qd
    "treatment_end_day_post_hsct": 180,
    "p_never_started": 0.03,
    "trt_start_days": (0, 7),
    "ae_discontinuation_mean_days": 800,  # about 15% stop for toxicity before day 180
    "first_modification_mean_days": 150,  # about 55% need >= 1 interruption or reduction
    "next_modification_mean_days": 60,
    "p_modification_type": (0.50, 0.25, 0.25),  # interrupt+reduce, interrupt+resume, reduce
    "interruption_days": (3, 5),  # 3 + Poisson(5)
    "p_major_deviation": 0.03,
    # screening
    "p_screen_failure": 0.22,
}

#: MedDRA PT, SOC, probability on sorafenib, probability otherwise, CTCAE grade 1-4 probs,
#: whether it is a known sorafenib toxicity (onset during treatment on sorafenib).
AE_TERMS: list[tuple[str, str, float, float, tuple[float, float, float, float], bool]] = [
    ("Palmar-plantar erythrodysaesthesia syndrome", "Skin and subcutaneous tissue disorders",
     0.45, 0.02, (0.45, 0.40, 0.15, 0.0), True),
    ("Rash maculo-papular", "Skin and subcutaneous tissue disorders",
     0.30, 0.08, (0.50, 0.35, 0.15, 0.0), True),
    ("Diarrhoea", "Gastrointestinal disorders", 0.30, 0.12, (0.60, 0.30, 0.10, 0.0), True),
    ("Hypertension", "Vascular disorders", 0.20, 0.08, (0.40, 0.45, 0.15, 0.0), True),
    ("Alanine aminotransferase increased", "Investigations",
     0.25, 0.12, (0.60, 0.25, 0.12, 0.03), True),
    ("Aspartate aminotransferase increased", "Investigations",
     0.20, 0.10, (0.65, 0.22, 0.11, 0.02), True),
    ("Thrombocytopenia", "Blood and lymphatic system disorders",
     0.25, 0.12, (0.30, 0.30, 0.25, 0.15), True),
    ("Neutropenia", "Blood and lymphatic system disorders",
     0.18, 0.10, (0.25, 0.35, 0.25, 0.15), True),
    ("Fatigue", "General disorders and administration site conditions",
     0.25, 0.12, (0.60, 0.33, 0.07, 0.0), True),
    ("Cytomegalovirus infection reactivation", "Infections and infestations",
     0.30, 0.30, (0.30, 0.50, 0.18, 0.02), False),
    ("Epstein-Barr virus infection reactivation", "Infections and infestations",
     0.08, 0.08, (0.40, 0.45, 0.13, 0.02), False),
    ("Pneumonia", "Infections and infestations", 0.12, 0.12, (0.05, 0.45, 0.40, 0.10), False),
    ("Upper respiratory tract infection", "Infections and infestations",
     0.10, 0.10, (0.50, 0.45, 0.05, 0.0), False),
    ("Cystitis haemorrhagic", "Renal and urinary disorders",
     0.06, 0.06, (0.30, 0.45, 0.22, 0.03), False),
    ("Nausea", "Gastrointestinal disorders", 0.12, 0.12, (0.65, 0.30, 0.05, 0.0), False),
    ("Anaemia", "Blood and lymphatic system disorders",
     0.10, 0.10, (0.30, 0.45, 0.22, 0.03), False),
    ("Pyrexia", "General disorders and administration site conditions",
     0.15, 0.15, (0.55, 0.38, 0.07, 0.0), False),
]
#: toxicities that lead to interruptions and reductions (indices into AE_TERMS) and weights
ACTION_TERMS = ((0, 0.35), (1, 0.15), (2, 0.15), (3, 0.05), (4, 0.15), (6, 0.15))
FATAL_TERMS = {
    "INFECTION": ("Sepsis", "Infections and infestations"),
    "GVHD": ("Graft versus host disease", "Immune system disorders"),
    "ORGAN FAILURE": ("Multiple organ dysfunction syndrome",
                      "General disorders and administration site conditions"),
    "OTHER": ("Cerebral haemorrhage", "Nervous system disorders"),
}
SCREEN_REASONS = [  # (EXCLCAT, EXCLREAS, probability)
    ("Not meeting inclusion criteria", "FLT3 mutation detected", 0.30),
    ("Not meeting inclusion criteria", "Relapse before randomisation", 0.12),
    ("Not meeting inclusion criteria", "Active grade II-IV acute GVHD", 0.12),
    ("Not meeting inclusion criteria", "No haematopoietic recovery by day 60", 0.10),
    ("Not meeting inclusion criteria", "ECOG performance status > 2", 0.06),
    ("Not meeting inclusion criteria", "Organ dysfunction", 0.05),
    ("Declined to participate", "Declined to participate", 0.18),
    ("Other reasons", "Physician decision", 0.05),
    ("Other reasons", "Other", 0.02),
]


# --------------------------------------------------------------------------- covariates
def _choice(rng: np.random.Generator, probs: dict, n: int) -> np.ndarray:
    keys = list(probs)
    p = np.array([probs[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _baseline(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Baseline covariates that enter the hazards: age, sex, diagnosis, disease status,
    cytogenetic risk, pre-HSCT MRD, donor type, RIC (in this order of draws)."""
    a = ASSUMPTIONS
    age = (18 + np.floor(47.999 * rng.beta(*a["age_beta"], size=n))).astype(np.int64)
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


def _linear_predictors(age, diag, disstat, cyto, mrd, donor, ric, site_rel, site_nrm
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Log hazard multipliers of relapse and NRM (no arm effect), each centred so that the
    mean multiplier exp(lp) over the patients given is 1."""
    a = ASSUMPTIONS
    b = a["beta_rel"]
    lp_rel = (np.select([disstat == "CR2+", disstat == "Not in CR"],
                        [b["CR2+"], b["Not in CR"]], 0.0)
              + np.select([cyto == "Adverse", cyto == "Favourable"],
                          [b["Adverse"], b["Favourable"]], 0.0)
              + np.where(mrd == "Positive", b["MRD Positive"], 0.0)
              + np.select([diag == "ALL", diag == "MPAL"], [b["ALL"], b["MPAL"]], 0.0)
              + np.where(ric, b["RIC"], 0.0) + site_rel)
    bn = a["beta_nrm"]
    lp_nrm = (bn["age_per_10y"] * (age - 40) / 10
              + np.select([donor == "MUD", donor == "HAPLO"], [bn["MUD"], bn["HAPLO"]], 0.0)
              + site_nrm)
    return (lp_rel - np.log(np.mean(np.exp(lp_rel))),
            lp_nrm - np.log(np.mean(np.exp(lp_nrm))))


#: Size and seed of the fixed reference sample of the covariate mix used for calibration.
_REFERENCE_N, _REFERENCE_SEED = 20_000, 20210115


@functools.lru_cache(maxsize=1)
def _reference_multipliers() -> tuple[np.ndarray, np.ndarray]:
    """Hazard multipliers exp(lp) of relapse and NRM in a fixed reference sample.

    The covariates are drawn as in :func:`generate`; the site effects per patient from their
    marginal distribution N(0, SD) (a patient's site is independent of its effect).  Its own
    seed makes the calibration, and so every generated trial, independent of the trial seed.
    """
    a = ASSUMPTIONS
    rng = np.random.default_rng(_REFERENCE_SEED)
    age, _, diag, disstat, cyto, mrd, donor, ric = _baseline(rng, _REFERENCE_N)
    site_rel = rng.normal(0, a["site_sd_rel"], _REFERENCE_N)
    site_nrm = rng.normal(0, a["site_sd_nrm"], _REFERENCE_N)
    lp_rel, lp_nrm = _linear_predictors(age, diag, disstat, cyto, mrd, donor, ric,
                                        site_rel, site_nrm)
    return np.exp(lp_rel), np.exp(lp_nrm)


def _marginal_cifs(t: np.ndarray, lam1: float, k1: float, lam2: float, k2: float,
                   m1: np.ndarray, m2: np.ndarray, rate_d: float = 0.0, hr1: float = 1.0,
                   n_grid: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """Population-averaged cumulative incidences of causes 1 and 2 at times ``t``.

    CIF_j(t) = mean_i int_0^t m_ji S_i(u) dH_j(u), S_i = exp(-hr1 m_1i H_1 - m_2i H_2 -
    rate_d u), Weibull H_j(u) = (u / lam_j)^k_j (Kalbfleisch and Prentice, 2nd ed., 8.2;
    h_j du = dH_j), by the trapezoid rule in H_j on the grid u = t_max s^4, s uniform, dense
    near 0 where the hazards are steep.  Cause 1 is multiplied by ``hr1``.
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    u = float(t.max()) * np.linspace(0.0, 1.0, n_grid) ** 4
    H1, H2 = (u / lam1) ** k1, (u / lam2) ** k2
    surv = np.exp(-np.outer(hr1 * m1, H1) - np.outer(m2, H2) - rate_d * u)
    out = []
    for m, H in ((hr1 * m1, H1), (m2, H2)):
        dens = m[:, None] * surv
        cum = np.cumsum((dens[:, 1:] + dens[:, :-1]) / 2 * np.diff(H), axis=1).mean(axis=0)
        out.append(np.interp(t, u, np.r_[0.0, cum]))
    return out[0], out[1]


# --------------------------------------------------------------------------- calibration
def _cif(t_max: float, lam1: float, k1: float, lam2: float, k2: float, rate_d: float = 0.0,
         hr1: float = 1.0) -> tuple[float, float]:
    """Cumulative incidences at ``t_max`` of causes 1 and 2 with Weibull cause-specific hazards.

    CIF_j(t) = int_0^t h_j(u) S(u) du with S = exp(-H_1 - H_2 - rate_d u) (Kalbfleisch and
    Prentice, 2nd ed., section 8.2); H_j(u) = (u / lam_j)^k_j, cause 1 multiplied by ``hr1``.
    """
    def surv(u):
        return np.exp(-hr1 * (u / lam1) ** k1 - (u / lam2) ** k2 - rate_d * u)

    def h(u, lam, k):
        return k / lam * (u / lam) ** (k - 1)

    c1 = integrate.quad(lambda u: hr1 * h(u, lam1, k1) * surv(u), 0, t_max, limit=200)[0]
    c2 = integrate.quad(lambda u: h(u, lam2, k2) * surv(u), 0, t_max, limit=200)[0]
    return c1, c2


def _calibrate() -> dict:
    """Weibull scales (days) giving the control-arm 2-year relapse and NRM incidences.

    Solved on the covariate mix (:func:`_reference_multipliers`), not for a homogeneous
    population: the incidence is concave in the hazard multiplier, so scales solved with
    every multiplier 1 give a marginal incidence below target (Jensen; 26.5% instead of 28%).
    The homogeneous solution is the starting point.
    """
    a = ASSUMPTIONS
    m1, m2 = _reference_multipliers()

    def eqs_homogeneous(log_lams):
        lam1, lam2 = np.exp(log_lams)
        c1, c2 = _cif(730.0, lam1, a["rel_shape"], lam2, a["nrm_shape"])
        return [c1 - a["rel_ctrl_2y"], c2 - a["nrm_2y"]]

    def eqs(log_lams):
        lam1, lam2 = np.exp(log_lams)
        c1, c2 = _marginal_cifs(730.0, lam1, a["rel_shape"], lam2, a["nrm_shape"], m1, m2)
        return [c1[0] - a["rel_ctrl_2y"], c2[0] - a["nrm_2y"]]

    start = optimize.fsolve(eqs_homogeneous, x0=[np.log(2500.0), np.log(8000.0)], xtol=1e-10)
    sol = optimize.fsolve(eqs, x0=start, xtol=1e-10)
    lam_rel, lam_nrm = (float(x) for x in np.exp(sol))
    post_scale = a["post_relapse_median_days"] / math.log(2) ** (1 / a["post_relapse_shape"])
    return {
        "lambda_rel_days": lam_rel,
        "lambda_nrm_days": lam_nrm,
        "post_relapse_scale_days": post_scale,
        "dropout_rate_per_day": -math.log(1 - a["dropout_2y"]) / 730.0,
    }


#: Baseline Weibull scales solved from :data:`ASSUMPTIONS` on the reference covariate mix.
CALIBRATION = _calibrate()


def _design(n_patients: int = 346, hr: float = 0.6, alpha: float = 0.05, power: float = 0.80,
            info_interim: float = 0.5, accrual_months: float = 36,
            followup_months: float = 24) -> dict:
    """Event-driven group-sequential design for the relapse cause-specific hazard ratio.

    Fixed-design events by Schoenfeld (1983): D = 4 (z_{1-alpha/2} + z_{power})^2 / log(HR)^2
    (1:1 allocation).  One interim at ``info_interim`` of the events; symmetric two-sided
    boundaries, each side spending alpha/2 with the Lan-DeMets O'Brien-Fleming-type function
    a(t) = 2 - 2 Phi(Phi^-1(1 - a/4) / sqrt(t)) as gsDesign's ``sfLDOF`` and rpact's ``asOF``
    (k = 2, t = 0.5, alpha = 0.05: z = 2.963, 1.969).  Events are inflated so that the
    group-sequential design keeps ``power``.  Expected relapses at the final cutoff average the
    calibrated model over the reference covariate mix, with uniform accrual and the dropout
    rate.
    """
    za = stats.norm.ppf(1 - alpha / 2)
    zb = stats.norm.ppf(power)
    theta = abs(math.log(hr))
    d_fixed = 4 * (za + zb) ** 2 / theta**2
    t1 = info_interim
    a_side = alpha / 2
    alpha1 = 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - a_side / 2) / math.sqrt(t1))
    z1 = stats.norm.ppf(1 - alpha1)
    rho = math.sqrt(t1)
    sd = math.sqrt(1 - rho**2)

    def p_below(c1, c2, drift1=0.0, drift2=0.0):
        # P(Z1 < c1, Z2 < c2) with corr(Z1, Z2) = sqrt(t1) and the given means
        def f(z):  # scalar special functions: stats.norm is ~50x slower per call
            return math.exp(-0.5 * z * z) / _SQRT_2PI * special.ndtr((c2 - drift2 - rho * z) / sd)
        return integrate.quad(f, -np.inf, c1 - drift1, limit=200)[0]

    z2 = optimize.brentq(lambda c: p_below(z1, c) - (1 - a_side), 1.0, 4.0, xtol=1e-12)

    def power_gs(drift):  # drift = E[Z] at full information; one side (benefit)
        return 1 - p_below(z1, z2, drift * math.sqrt(t1), drift)

    drift = optimize.brentq(lambda d: power_gs(d) - power, 1.0, 6.0, xtol=1e-12)
    inflation = (drift / (za + zb)) ** 2
    d_gs = math.ceil(d_fixed * inflation)
    d_interim = math.ceil(info_interim * d_gs)
    cal, a = CALIBRATION, ASSUMPTIONS
    fu = np.linspace(followup_months, accrual_months + followup_months, 101) * DAYS_PER_MONTH
    args = (cal["lambda_rel_days"], a["rel_shape"], cal["lambda_nrm_days"], a["nrm_shape"],
            *_reference_multipliers())
    rate_d = cal["dropout_rate_per_day"]
    expected = n_patients / 2 * float(np.mean(_marginal_cifs(fu, *args, rate_d=rate_d)[0])
                                      + np.mean(_marginal_cifs(fu, *args, rate_d=rate_d,
                                                               hr1=hr)[0]))
    return {
        "n_patients": n_patients,
        "allocation": "1:1",
        "hr_relapse": hr,
        "alpha_two_sided": alpha,
        "power": power,
        "events_fixed_design": math.ceil(d_fixed),
        "inflation_factor": inflation,
        "events_target": d_gs,
        "interim_information_fraction": info_interim,
        "events_interim": d_interim,
        "z_boundary_interim": float(z1),
        "z_boundary_final": float(z2),
        "p_nominal_interim": float(2 * (1 - stats.norm.cdf(z1))),
        "p_nominal_final": float(2 * (1 - stats.norm.cdf(z2))),
        "hr_boundary_interim": float(math.exp(-2 * z1 / math.sqrt(d_interim))),
        "hr_boundary_final": float(math.exp(-2 * z2 / math.sqrt(d_gs))),
        "expected_relapses_at_final_cutoff": expected,
        "power_at_expected_relapses": float(stats.norm.cdf(
            math.sqrt(expected) * theta / 2 - za)),
    }


#: The planned design (see data/README.md, "Design and interim analysis").
DESIGN = _design()


# --------------------------------------------------------------------------- helpers
def default_cutoff(accrual_months: float = 36, followup_months: float = 24) -> pd.Timestamp:
    """Final data cutoff: first randomisation + accrual + minimum follow-up."""
    days = round((accrual_months + followup_months) * DAYS_PER_MONTH)
    return FIRST_RANDOMISATION + pd.Timedelta(days=days)


def _dates(days) -> pd.Series:
    """Days since the first randomisation (whole days as float, NaN = missing) -> datetime64[ns].

    Built from integer days under a mask: ``pd.to_timedelta`` on floats with NaN rounds
    uninitialised memory in the NaN slots (pandas 2.3) and can warn "overflow encountered in
    multiply" depending on what that memory held.
    """
    d = np.asarray(days, dtype="float64")
    out = np.full(d.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = ~np.isnan(d)
    out[ok] = np.datetime64(FIRST_RANDOMISATION, "ns") + d[ok].astype(np.int64).astype(
        "timedelta64[D]")
    return pd.Series(out)


def _ceil_days(t) -> np.ndarray:
    return np.maximum(1, np.ceil(np.minimum(t, 1e6))).astype(np.int64)


def _zpad(values: np.ndarray, width: int) -> np.ndarray:
    if len(values) == 0:
        return np.array([], dtype=object)
    return np.char.zfill(values.astype(str), width).astype(object)


def _str(mask, values) -> np.ndarray:
    """Object array: ``values`` where ``mask``, NaN elsewhere."""
    out = np.full(len(mask), np.nan, dtype=object)
    vals = np.broadcast_to(np.asarray(values, dtype=object), len(mask))
    out[mask] = vals[mask]
    return out


# --------------------------------------------------------------------------- generator
def generate(*, n_patients: int = 346, n_sites: int = 10, accrual_months: float = 36,
             followup_months: float = 24, hr_relapse: float = 0.6,
             seed: int = 20201215) -> dict[str, pd.DataFrame]:
    """Generate the five contract tables of a synthetic trial.

    Parameters
    ----------
    n_patients : int
        Number randomised (the registered target is 346).
    n_sites : int
        Number of centres (1-99), with unequal sizes and staggered activation.
    accrual_months, followup_months : float
        Accrual period from the first randomisation (2021-01-15), then minimum follow-up; the
        data cutoff is their sum (:func:`default_cutoff`).
    hr_relapse : float
        Sorafenib vs control cause-specific hazard ratio of relapse.
    seed : int
        Seed of the numpy Generator; the same arguments give identical tables.

    Returns
    -------
    dict of str to DataFrame
        ``adsl, adtte, adae, adex, screen`` in contract column order, rows sorted by key.
    """
    if not isinstance(n_patients, (int, np.integer)) or n_patients < 1:
        raise ValueError(f"{n_patients=}; expected a positive integer")
    if not 1 <= n_sites <= 99:
        raise ValueError(f"{n_sites=}; expected 1 to 99")
    if not hr_relapse > 0:
        raise ValueError(f"{hr_relapse=}; expected a positive hazard ratio")
    if accrual_months <= 0 or followup_months <= 0:
        raise ValueError(f"{accrual_months=}, {followup_months=}; expected positive months")
    a, cal = ASSUMPTIONS, CALIBRATION
    rng = np.random.default_rng(seed)
    n = int(n_patients)
    accrual_days = round(accrual_months * DAYS_PER_MONTH)
    cut_day = (default_cutoff(accrual_months, followup_months) - FIRST_RANDOMISATION).days

    # ---- sites, accrual, identifiers
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
    siteid = _zpad(site + 1, 2)
    by_site = np.lexsort((np.arange(n), site))
    seq = np.empty(n, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(site[by_site])) + 1]
    run = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    seq[by_site] = run + 1
    subjid = _zpad(seq, max(4, len(str(n))))
    usubjid = (STUDYID + "-" + siteid + "-" + subjid).astype(object)

    # ---- baseline
    age, sex, diag, disstat, cyto, mrd, donor, ric = _baseline(rng, n)
    condint = np.where(ric, "RIC", "MAC").astype(object)
    tx_gap = rng.integers(a["tx_to_rand_days"][0], a["tx_to_rand_days"][1] + 1, n)
    stratds, stratdt = disstat.copy(), donor.copy()
    mis = rng.random(n) < a["p_misstratified"]
    stratds[mis] = np.array(schemas.DISSTATS, dtype=object)[rng.integers(0, 3, mis.sum())]
    mis = rng.random(n) < a["p_misstratified"]
    stratdt[mis] = np.array(schemas.DONORS, dtype=object)[rng.integers(0, 3, mis.sum())]

    # ---- randomisation: permuted blocks of 4 within site x STRATDS x STRATDT
    ds_i = pd.Categorical(stratds, categories=schemas.DISSTATS).codes
    dt_i = pd.Categorical(stratdt, categories=schemas.DONORS).codes
    stratum = site * 9 + ds_i * 3 + dt_i
    o = np.lexsort((np.arange(n), stratum))
    st = stratum[o]
    first = np.r_[True, st[1:] != st[:-1]]
    grp_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - grp_start
    new_block = first | (rank % 4 == 0)
    block = np.cumsum(new_block) - 1
    perm = np.argsort(np.argsort(rng.random((block[-1] + 1, 4)), axis=1), axis=1)
    sora = np.empty(n, dtype=bool)
    sora[o] = perm[block, rank % 4] < 2

    # ---- latent event times (days from randomisation)
    lp_rel, lp_nrm = _linear_predictors(age, diag, disstat, cyto, mrd, donor, ric,
                                        site_rel[site], site_nrm[site])
    lp_rel = lp_rel + np.where(sora, np.log(hr_relapse), 0)
    lp_nrm = lp_nrm + np.where(sora, np.log(a["hr_nrm"]), 0)
    t_rel = cal["lambda_rel_days"] * (rng.exponential(size=n) * np.exp(-lp_rel)) ** (
        1 / a["rel_shape"])
    t_nrm = cal["lambda_nrm_days"] * (rng.exponential(size=n) * np.exp(-lp_nrm)) ** (
        1 / a["nrm_shape"])
    t_post = cal["post_relapse_scale_days"] * rng.weibull(a["post_relapse_shape"], n)
    t_drop = rng.exponential(1 / cal["dropout_rate_per_day"], n)
    d_rel, d_nrm, d_post, d_drop = (_ceil_days(x) for x in (t_rel, t_nrm, t_post, t_drop))
    admin = (cut_day - rday).astype(np.int64)  # potential follow-up to the data cutoff
    dropped = d_drop < admin
    cens = np.minimum(d_drop, admin)
    rel_obs = (d_rel <= d_nrm) & (d_rel <= cens)
    nrm_obs = (d_nrm < d_rel) & (d_nrm <= cens)
    post_death = rel_obs & (d_rel + d_post <= cens)
    died = nrm_obs | post_death
    d_death = np.where(nrm_obs, d_nrm, d_rel + d_post)
    last_alive = np.where(died, d_death, cens)
    big = np.iinfo(np.int64).max // 4
    first_ev = np.where(rel_obs, d_rel, np.where(nrm_obs, d_nrm, big))

    # ---- GVHD (onset days from randomisation)
    ag_ever = rng.random(n) < pd.Series(donor).map(a["p_agvhd"]).to_numpy(dtype=float)
    d_ag = _ceil_days(rng.exponential(a["agvhd_mean_days"], n))
    ag34 = rng.random(n) < a["p_agvhd_34"]
    ag_obs = ag_ever & (d_ag <= np.minimum(first_ev, cens))
    p_cg = pd.Series(donor).map(a["p_cgvhd"]).to_numpy(dtype=float) + np.where(
        ag_obs, a["cgvhd_after_agvhd"], 0.0)
    cg_ever = rng.random(n) < p_cg
    g_shape, g_scale = a["cgvhd_onset_gamma"]
    d_cg = _ceil_days(100 + rng.gamma(g_shape, g_scale, n) - tx_gap)
    cg_sys = rng.random(n) < a["p_cgvhd_systemic"]
    cg_obs = cg_ever & (d_cg <= np.minimum(first_ev, cens))

    # ---- death causes
    gvhd_hist = (ag_obs & ag34 & (d_ag <= d_death)) | (cg_obs & cg_sys & (d_cg <= d_death))
    causes = np.array(["INFECTION", "GVHD", "ORGAN FAILURE", "OTHER"], dtype=object)
    u = rng.random(n)
    cum = np.where(gvhd_hist[:, None], np.array([[0.35, 0.85, 0.95, 1.0]]),
                   np.array([[0.55, 0.70, 0.90, 1.0]]))
    nrm_cause = causes[np.minimum((u[:, None] > cum).sum(axis=1), 3)]
    dthcaus = _str(died, np.where(nrm_obs, nrm_cause, "RELAPSE"))

    # ---- study status
    withdraw = rng.random(n) < a["dropout_withdrawal_share"]
    drop_reason = np.where(withdraw, "WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP").astype(object)
    disc = died | dropped
    eosstt = np.where(disc, "DISCONTINUED", "COMPLETED").astype(object)
    dcsreas = _str(disc, np.where(died, "DEATH", drop_reason))
    eos_day = np.where(died, d_death, cens)

    # ---- sorafenib treatment
    start_off = rng.integers(a["trt_start_days"][0], a["trt_start_days"][1] + 1, n)
    planned_end = a["treatment_end_day_post_hsct"] - tx_gap
    d_ae_stop = start_off + _ceil_days(rng.exponential(a["ae_discontinuation_mean_days"], n))
    cand = np.stack([
        planned_end,
        admin,
        np.where(rel_obs, d_rel - 1, big),
        np.where(died, d_death - 1, big),
        np.where(dropped, d_drop, big),
        d_ae_stop,
    ], axis=1)
    stop_why = np.argmin(cand, axis=1)
    trt_end = cand[np.arange(n), stop_why]
    treated = sora & (rng.random(n) >= a["p_never_started"]) & (trt_end >= start_off)
    eot_codes = np.array(["COMPLETED", "ONGOING", "DISCONTINUED", "DISCONTINUED",
                          "DISCONTINUED", "DISCONTINUED"], dtype=object)
    dct_codes = np.array([None, None, "RELAPSE", "DEATH", None, "ADVERSE EVENT"], dtype=object)
    dctreas = dct_codes[stop_why]
    dctreas = np.where(stop_why == 4, drop_reason, dctreas)
    eotstt = _str(treated, eot_codes[stop_why])
    dctreas = _str(treated & (eot_codes[stop_why] == "DISCONTINUED"), dctreas)
    deviation = rng.random(n) < a["p_major_deviation"]
    arm = np.where(sora, schemas.ARMS["SORA"], schemas.ARMS["CTRL"]).astype(object)
    armcd = np.where(sora, "SORA", "CTRL").astype(object)
    actarmcd = np.where(treated, "SORA", "CTRL").astype(object)

    nan = np.nan
    adsl = pd.DataFrame({
        "STUDYID": STUDYID, "USUBJID": usubjid, "SUBJID": subjid, "SITEID": siteid,
        "ARM": arm, "ARMCD": armcd,
        "ACTARM": pd.Series(actarmcd).map(schemas.ARMS).to_numpy(dtype=object),
        "ACTARMCD": actarmcd, "RANDDT": _dates(rday), "STRATDS": stratds, "STRATDT": stratdt,
        "AGE": age, "AGEU": "YEARS",
        "AGEGR1": np.where(age <= 39, "18-39", "40-65").astype(object),
        "SEX": sex, "DIAG": diag, "DISSTAT": disstat, "CYTORISK": cyto, "MRDPRE": mrd,
        "DONORTYP": donor, "CONDINT": condint, "TRANSDT": _dates(rday - tx_gap),
        "ITTFL": "Y",
        "SAFFL": np.where(sora & ~treated, "N", "Y").astype(object),
        "PPROTFL": np.where((sora & ~treated) | deviation, "N", "Y").astype(object),
        "TRTSDT": _dates(np.where(treated, rday + start_off, nan)),
        "TRTEDT": _dates(np.where(treated, rday + trt_end, nan)),
        "EOTSTT": eotstt, "DCTREAS": dctreas, "EOSSTT": eosstt,
        "EOSDT": _dates(rday + eos_day), "DCSREAS": dcsreas,
        "RELDT": _dates(np.where(rel_obs, rday + d_rel, nan)),
        "DTHFL": np.where(died, "Y", "N").astype(object),
        "DTHDT": _dates(np.where(died, rday + d_death, nan)),
        "DTHCAUS": dthcaus,
        "LSTALVDT": _dates(rday + last_alive),
    })

    # ---- ADTTE
    cens_desc = np.where(dropped, drop_reason, "DATA CUTOFF").astype(object)
    rel_desc = "Relapse"
    nrm_desc = "Death without relapse"
    endpoints = {}

    def tte(ev, ev_day, ev_desc, comp, comp_day, comp_desc):
        code = np.where(ev, 1, np.where(comp, 2, 0))
        day = np.where(ev, ev_day, np.where(comp, comp_day, cens))
        desc = np.where(ev, ev_desc, np.where(comp, comp_desc, "Censored")).astype(object)
        cdesc = _str(code != 1, np.where(code == 2, "COMPETING EVENT", cens_desc))
        return day, code, desc, cdesc

    relnrm_day = np.where(rel_obs, d_rel, d_nrm)
    relnrm_desc = np.where(rel_obs, rel_desc, nrm_desc)
    endpoints["REL"] = tte(rel_obs, d_rel, rel_desc, nrm_obs, d_nrm, nrm_desc)
    endpoints["NRM"] = tte(nrm_obs, d_nrm, nrm_desc, rel_obs, d_rel, rel_desc)
    endpoints["OS"] = tte(died, d_death, "Death", np.zeros(n, bool), 0, "")
    endpoints["LFS"] = tte(rel_obs | nrm_obs, relnrm_day, relnrm_desc,
                           np.zeros(n, bool), 0, "")
    endpoints["AGVHD"] = tte(ag_obs, d_ag, "Acute GVHD grade II-IV", rel_obs | nrm_obs,
                             relnrm_day, relnrm_desc)
    endpoints["CGVHD"] = tte(cg_obs, d_cg, "Chronic GVHD", rel_obs | nrm_obs,
                             relnrm_day, relnrm_desc)
    g_ag = ag_obs & ag34
    g_cg = cg_obs & cg_sys
    g_days = np.stack([np.where(g_ag, d_ag, big), np.where(g_cg, d_cg, big),
                       np.where(rel_obs | nrm_obs, relnrm_day, big)], axis=1)
    g_which = np.argmin(g_days, axis=1)
    g_ev = g_ag | g_cg | rel_obs | nrm_obs
    g_desc = np.select([g_which == 0, g_which == 1],
                       ["Acute GVHD grade III-IV", "Chronic GVHD requiring systemic therapy"],
                       relnrm_desc).astype(object)
    endpoints["GRFS"] = tte(g_ev, g_days[np.arange(n), g_which], g_desc,
                            np.zeros(n, bool), 0, "")
    parts = []
    for k, (pcd, (day, code, desc, cdesc)) in enumerate(endpoints.items()):
        parts.append(pd.DataFrame({
            "STUDYID": STUDYID, "USUBJID": usubjid, "PARAMCD": pcd,
            "PARAM": schemas.PARAMS[pcd][0], "STARTDT": adsl["RANDDT"],
            "ADT": _dates(rday + day), "AVAL": day.astype(np.int64),
            "CNSR": (code != 1).astype(np.int64), "EVNTCD": code.astype(np.int64),
            "EVNTDESC": desc, "CNSDTDSC": cdesc, "_k": k,
        }))
    adtte = pd.concat(parts, ignore_index=True)
    adtte = adtte.sort_values(["USUBJID", "_k"], kind="stable").drop(columns="_k")

    # ---- ADEX: dosing periods of treated patients
    adex, mods = _exposure(rng, treated, rday + start_off, trt_end - start_off + 1, usubjid)

    # ---- ADAE
    adae = _adverse_events(
        rng, n=n, usubjid=usubjid, rday=rday, tx_gap=tx_gap, treated=treated,
        trt_start=start_off, trt_end=trt_end, sora=sora, last_alive=last_alive,
        stop_why=stop_why, mods=mods, ag_obs=ag_obs, d_ag=d_ag, ag34=ag34, cg_obs=cg_obs,
        d_cg=d_cg, cg_sys=cg_sys, nrm_obs=nrm_obs, d_death=d_death, nrm_cause=nrm_cause)

    # ---- SCREEN
    screen = _screening(rng, n=n, site_w=site_w, site_act=site_act - shift,
                        accrual_days=accrual_days, siteid_of=lambda s: _zpad(s + 1, 2),
                        usubjid=usubjid, siteid=siteid, rday=rday)

    adsl = adsl.sort_values("USUBJID", kind="stable")
    out = {"adsl": adsl, "adtte": adtte, "adae": adae, "adex": adex, "screen": screen}
    return {t: _contract_frame(df, t) for t, df in out.items()}


def _contract_frame(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Contract column order and types; text missing values are NaN (never None)."""
    df = df[schemas.columns(table)].reset_index(drop=True)
    for v in schemas.TABLES[table]:
        if v.kind == "str":
            col = df[v.name].astype(object)
            df[v.name] = col.where(col.notna(), np.nan)
    return df


def _exposure(rng, treated, start_day, duration, usubjid):
    """Dosing periods: start 800 mg/day; toxicity-driven interruptions and reductions.

    Returns the ADEX frame and the modifications (patient index, day offset from start,
    interruption flag) that the AE generator links to AEs with AEACN set.
    """
    a = ASSUMPTIONS
    idx = np.flatnonzero(treated)
    m = len(idx)
    D = duration[idx].astype(np.int64)
    levels = np.array(a["dose_levels"], dtype=np.int64)
    n_mod = 3
    gaps = np.column_stack([7 + rng.exponential(a["first_modification_mean_days"], m)]
                           + [7 + rng.exponential(a["next_modification_mean_days"], m)
                              for _ in range(n_mod - 1)])
    bpt = np.floor(np.cumsum(gaps, axis=1)).astype(np.int64)
    valid = bpt < (D[:, None] - 1)
    mtype = rng.choice(3, size=(m, n_mod), p=a["p_modification_type"])
    lo, lam = a["interruption_days"]
    ilen = lo + rng.poisson(lam, size=(m, n_mod))
    nxt = np.where(np.c_[valid[:, 1:], np.zeros((m, 1), bool)],
                   np.c_[bpt[:, 1:], np.zeros((m, 1), np.int64)], D[:, None])
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
    adex = pd.DataFrame({
        "STUDYID": STUDYID, "USUBJID": np.asarray(usubjid)[idx][rows],
        "EXSEQ": (exseq + 1).astype(np.int64), "EXTRT": "SORAFENIB",
        "EXDOSE": dose.astype(np.int64), "EXDOSU": "mg",
        "EXDOSFRQ": _str(dose > 0, np.where(dose == 200, "QD", "BID")),
        "ASTDT": _dates(start + s), "AENDT": _dates(start + e),
        "EXDURD": (e - s + 1).astype(np.int64),
        "EXADJ": adj,
    })
    adex = adex.sort_values(["USUBJID", "EXSEQ"], kind="stable")
    mr, mc = np.nonzero(valid)
    mods = pd.DataFrame({"patient": idx[mr], "offset": bpt[mr, mc],
                         "interrupt": mod_interrupt[mr, mc]})
    return adex, mods


def _adverse_events(rng, *, n, usubjid, rday, tx_gap, treated, trt_start, trt_end, sora,
                    last_alive, stop_why, mods, ag_obs, d_ag, ag34, cg_obs, d_cg, cg_sys,
                    nrm_obs, d_death, nrm_cause) -> pd.DataFrame:
    """Adverse events from randomisation to the end of the AE window (all vectorised)."""
    ctrl_window = 210 - tx_gap  # TRANSDT + 210, the control arm's treatment-emergent window
    w_end = np.minimum(np.where(treated, trt_end + 30, ctrl_window), last_alive)
    T = len(AE_TERMS)
    p_sora = np.array([t[2] for t in AE_TERMS])
    p_other = np.array([t[3] for t in AE_TERMS])
    tox = np.array([t[5] for t in AE_TERMS])
    grade_cum = np.cumsum(np.array([t[4] for t in AE_TERMS]), axis=1)
    occ = rng.random((n, T)) < np.where(treated[:, None], p_sora[None, :], p_other[None, :])
    pi, ti = np.nonzero(occ)
    u = rng.random(len(pi))
    dur_trt = (trt_end - trt_start + 1)[pi]
    on_trt = treated[pi] & tox[ti]
    onset = np.where(on_trt, trt_start[pi] + np.floor(dur_trt * u**2),
                     np.floor(u * (w_end[pi] + 1)))
    grade = 1 + (rng.random(len(pi))[:, None] > grade_cum[ti]).sum(axis=1)
    grade = np.minimum(grade, 4)
    related_p = np.where(on_trt, (p_sora[ti] - p_other[ti]) / p_sora[ti], 0.0)
    related = rng.random(len(pi)) < related_p
    duration = _ceil_days(rng.exponential(14, len(pi)))
    ev = {
        "p": pi, "term": np.array([AE_TERMS[t][0] for t in range(T)], dtype=object)[ti],
        "soc": np.array([AE_TERMS[t][1] for t in range(T)], dtype=object)[ti],
        "onset": onset.astype(np.int64), "grade": grade, "related": related,
        "end": onset.astype(np.int64) + duration, "acn": np.full(len(pi), None, object),
    }
    frames = [ev]
    # toxicity behind each dose modification (AEACN set accordingly)
    if len(mods):
        mp = mods["patient"].to_numpy()
        w = np.array([x[1] for x in ACTION_TERMS])
        which = np.array([x[0] for x in ACTION_TERMS])[
            rng.choice(len(ACTION_TERMS), len(mp), p=w / w.sum())]
        on = trt_start[mp] + mods["offset"].to_numpy()
        frames.append({
            "p": mp, "term": np.array([AE_TERMS[t][0] for t in which], dtype=object),
            "soc": np.array([AE_TERMS[t][1] for t in which], dtype=object), "onset": on,
            "grade": np.where(rng.random(len(mp)) < 0.6, 2, 3), "related": np.ones(len(mp), bool),
            "end": on + 3 + _ceil_days(rng.exponential(10, len(mp))),
            "acn": np.where(mods["interrupt"].to_numpy(), "DRUG INTERRUPTED",
                            "DOSE REDUCED").astype(object),
        })
    # toxicity that stopped sorafenib
    wd = np.flatnonzero(treated & (stop_why == 5))
    if len(wd):
        which = np.array([x[0] for x in ACTION_TERMS])[
            rng.choice(len(ACTION_TERMS), len(wd))]
        on = trt_end[wd]
        frames.append({
            "p": wd, "term": np.array([AE_TERMS[t][0] for t in which], dtype=object),
            "soc": np.array([AE_TERMS[t][1] for t in which], dtype=object), "onset": on,
            "grade": np.where(rng.random(len(wd)) < 0.7, 3, 2), "related": np.ones(len(wd), bool),
            "end": on + _ceil_days(rng.exponential(21, len(wd))),
            "acn": np.full(len(wd), "DRUG WITHDRAWN", object),
        })
    # GVHD within the AE window
    for obs, day, severe, term in ((ag_obs, d_ag, ag34, "Acute graft versus host disease"),
                                   (cg_obs, d_cg, cg_sys, "Chronic graft versus host disease")):
        g = np.flatnonzero(obs & (day <= w_end))
        if len(g):
            frames.append({
                "p": g, "term": np.full(len(g), term, object),
                "soc": np.full(len(g), "Immune system disorders", object), "onset": day[g],
                "grade": np.where(severe[g], np.where(rng.random(len(g)) < 0.7, 3, 4), 2),
                "related": np.zeros(len(g), bool),
                "end": day[g] + _ceil_days(rng.exponential(45, len(g))),
                "acn": np.full(len(g), None, object),
            })
    # fatal AEs for non-relapse deaths within the AE window
    f = np.flatnonzero(nrm_obs & (d_death <= w_end))
    if len(f):
        on = np.maximum(0, d_death[f] - rng.integers(0, 8, len(f)))
        frames.append({
            "p": f, "term": np.array([FATAL_TERMS[c][0] for c in nrm_cause[f]], dtype=object),
            "soc": np.array([FATAL_TERMS[c][1] for c in nrm_cause[f]], dtype=object),
            "onset": on, "grade": np.full(len(f), 5), "related": np.zeros(len(f), bool),
            "end": d_death[f], "acn": np.full(len(f), None, object),
        })
    ae = {k: np.concatenate([fr[k] for fr in frames]) for k in frames[0]}
    p = ae["p"]
    onset = ae["onset"].astype(np.int64)
    end = ae["end"].astype(np.int64)
    end_known = (end <= last_alive[p]) | (ae["grade"] == 5)
    on_drug = treated[p] & (onset >= trt_start[p]) & (onset <= trt_end[p])
    acn = np.where(pd.isna(ae["acn"]), np.where(on_drug, "DOSE NOT CHANGED", "NOT APPLICABLE"),
                   ae["acn"]).astype(object)
    acn = np.where((ae["grade"] == 5) & on_drug, "DRUG WITHDRAWN", acn).astype(object)
    ref = np.where(treated[p], trt_start[p], 0)
    rel = onset - ref
    astdy = rel + (rel >= 0)
    temfl = np.where(treated[p], (onset >= trt_start[p]) & (onset <= trt_end[p] + 30),
                     ~sora[p] & (onset <= (210 - tx_gap)[p]))
    p_ser = np.array([0.0, 0.0, 0.02, 0.35, 0.8, 1.0])[ae["grade"]]
    ser = rng.random(len(p)) < p_ser
    adae = pd.DataFrame({
        "STUDYID": STUDYID, "USUBJID": np.asarray(usubjid)[p], "AESEQ": 0,
        "AEBODSYS": ae["soc"], "AEDECOD": ae["term"], "AETOXGR": ae["grade"].astype(np.int64),
        "AESER": np.where(ser, "Y", "N").astype(object),
        "AEREL": np.where(ae["related"] & treated[p], "RELATED", "NOT RELATED").astype(object),
        "AEACN": acn, "ASTDT": _dates(rday[p] + onset),
        "AENDT": _dates(np.where(end_known, rday[p] + end, np.nan)),
        "ASTDY": astdy.astype(np.int64), "TRTEMFL": np.where(temfl, "Y", "N").astype(object),
        "_g": -ae["grade"],
    })
    adae = adae.sort_values(["USUBJID", "ASTDT", "AEDECOD", "_g"], kind="stable")
    adae["AESEQ"] = (adae.groupby("USUBJID", sort=False).cumcount() + 1).astype(np.int64)
    return adae.drop(columns="_g")


def _screening(rng, *, n, site_w, site_act, accrual_days, siteid_of, usubjid, siteid, rday):
    """Screening log: the randomised patients plus screen failures with CONSORT reasons."""
    a = ASSUMPTIONS
    n_fail = int(round(n * a["p_screen_failure"] / (1 - a["p_screen_failure"])))
    fsite = rng.choice(len(site_w), size=n_fail, p=site_w)
    lo = np.maximum(site_act[fsite], 0)
    fday = np.floor(lo + rng.uniform(size=n_fail) * (accrual_days - lo)).astype(np.int64)
    r = np.array([x[2] for x in SCREEN_REASONS])
    k = rng.choice(len(SCREEN_REASONS), size=n_fail, p=r / r.sum())
    sday = rday - rng.integers(0, 15, n)
    scr = pd.DataFrame({
        "STUDYID": STUDYID,
        "SITEID": np.r_[np.asarray(siteid, dtype=object), siteid_of(fsite)],
        "SCRNDT": _dates(np.r_[sday, fday]),
        "USUBJID": np.r_[np.asarray(usubjid, dtype=object), np.full(n_fail, np.nan, object)],
        "RANDFL": np.r_[np.full(n, "Y", object), np.full(n_fail, "N", object)],
        "EXCLCAT": np.r_[np.full(n, np.nan, object),
                         np.array([SCREEN_REASONS[i][0] for i in k], dtype=object)],
        "EXCLREAS": np.r_[np.full(n, np.nan, object),
                          np.array([SCREEN_REASONS[i][1] for i in k], dtype=object)],
        "_r": rng.random(n + n_fail),
    })
    scr = scr.sort_values(["SCRNDT", "SITEID", "_r"], kind="stable").reset_index(drop=True)
    width = max(5, len(str(len(scr))))
    scr["SCRNID"] = ("SCR" + _zpad(np.arange(1, len(scr) + 1), width)).astype(object)
    return scr.drop(columns="_r")


# --------------------------------------------------------------------------- writing
_XPT_STAMP = re.compile(rb"\d{2}[A-Z]{3}\d{2}:\d{2}:\d{2}:\d{2}")


def write_trial(tables: dict[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv"
                ) -> dict[str, Path]:
    """Write the tables as ``<name>.<fmt>`` in ``out_dir``; byte-identical for equal input.

    CSV: UTF-8, ``\\n`` line ends, ISO dates, empty = missing.  Parquet: pyarrow, no index.
    XPT: SAS transport v5, dates as SAS date numbers with ``DATE9.``, labels from the
    contract, header timestamps fixed to 01JAN60:00:00:00 so output does not depend on the
    clock.  Files of other formats for the same tables are removed so that the directory
    holds exactly one file per table.

    Returns
    -------
    dict of str to Path
    """
    if fmt not in ("csv", "parquet", "xpt"):
        raise ValueError(f"{fmt=}; expected 'csv', 'parquet' or 'xpt'")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, df in tables.items():
        contract = schemas.columns(name) if name in schemas.TABLES else []
        cols = [c for c in contract if c in df.columns]
        cols += [c for c in df.columns if c not in contract]
        df = df[cols]
        path = out_dir / f"{name}.{fmt}"
        for other in ("csv", "parquet", "xpt"):
            if other != fmt and (out_dir / f"{name}.{other}").exists():
                (out_dir / f"{name}.{other}").unlink()
        if fmt == "csv":
            df.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n",
                      encoding="utf-8")
        elif fmt == "parquet":
            df.to_parquet(path, index=False, engine="pyarrow")
        else:
            _write_xpt(df, name, path)
        paths[name] = path
    return paths


def _write_xpt(df: pd.DataFrame, name: str, path: Path) -> None:
    import pyreadstat

    kinds = {v.name: v for v in schemas.TABLES.get(name, ())}
    out = pd.DataFrame(index=df.index)
    formats = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = (s - pd.Timestamp("1960-01-01")).dt.days.astype("float64")
            formats[col] = "DATE9."
        elif pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype("float64")
        else:
            out[col] = s.astype(object).where(s.notna(), "")
    labels = [kinds[c].label if c in kinds else c for c in df.columns]
    pyreadstat.write_xport(out, str(path), file_format_version=5, table_name=name.upper(),
                           column_labels=labels, variable_format=formats)
    raw = path.read_bytes()
    head_end = raw.find(b"HEADER RECORD*******OBS")
    head_end = len(raw) if head_end < 0 else head_end
    fixed = _XPT_STAMP.sub(b"01JAN60:00:00:00", raw[:head_end]) + raw[head_end:]
    path.write_bytes(fixed)


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.synthetic --out DIR [--n-patients N --seed S --format F]``."""
    p = argparse.ArgumentParser(prog="python -m helpers.synthetic",
                                description="Write a synthetic NCT04674345 trial.")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--n-patients", type=int, default=346)
    p.add_argument("--n-sites", type=int, default=10)
    p.add_argument("--accrual-months", type=float, default=36)
    p.add_argument("--followup-months", type=float, default=24)
    p.add_argument("--hr-relapse", type=float, default=0.6)
    p.add_argument("--seed", type=int, default=20201215)
    p.add_argument("--format", choices=["csv", "parquet", "xpt"], default="csv")
    args = p.parse_args(argv)
    tables = generate(n_patients=args.n_patients, n_sites=args.n_sites,
                      accrual_months=args.accrual_months, followup_months=args.followup_months,
                      hr_relapse=args.hr_relapse, seed=args.seed)
    paths = write_trial(tables, args.out, fmt=args.format)
    counts = ", ".join(f"{t}={len(df)}" for t, df in tables.items())
    print(f"wrote {len(paths)} tables ({args.format}) to {args.out}: {counts} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
