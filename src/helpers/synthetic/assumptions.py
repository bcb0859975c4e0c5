"""The simulated population: every modelling assumption of the synthetic trial, in one place.

These are properties of the simulated transplant population (disease, donors, hazards, toxicity
profile of a maintenance kinase inhibitor, screening), not of the analysis: they stay the same
whichever study definition drives the generator.  Sources and reasoning: ``data/README.md``
("Assumptions and sources").  What is trial-specific (arms, allocation, hazard ratios, the drug's
name, the endpoints, the calendar, sites, dose levels) comes from the study definition.
"""

from __future__ import annotations

DAYS_PER_MONTH = 365.25 / 12

#: Codes of the disease status and donor type the population model draws (and stratifies on).
DISSTATS = ("CR1", "CR2+", "Not in CR")
DONORS = ("MSD", "MUD", "HAPLO")

#: Every modelling assumption; sources and reasoning in data/README.md ("Assumptions").
ASSUMPTIONS: dict = {
    # outcomes in the reference arm at 2 years (730 days) after randomisation, no censoring
    "rel_ctrl_2y": 0.28,  # FLT3-neg. controls: 25-30%; Xuan 2020 control 31.6% (FLT3-ITD)
    "nrm_2y": 0.10,  # 8-12% in both arms; Xuan 2020 NRM ~ 10%
    "rel_shape": 0.75,  # Weibull shape < 1: relapse hazard falls with time
    "nrm_shape": 0.80,
    "hr_nrm": 1.0,  # the study drug does not change non-relapse mortality
    "site_sd_rel": 0.25,  # SD of the log-hazard site effect (relapse)
    "site_sd_nrm": 0.30,  # SD of the log-hazard site effect (NRM)
    "post_relapse_median_days": 225,  # median survival after relapse 6-9 months
    "post_relapse_shape": 1.2,
    "dropout_2y": 0.04,  # withdrawal or loss to follow-up by 2 years
    "dropout_withdrawal_share": 0.6,
    # relapse log-hazard ratios (reference: CR1, Intermediate, MRD negative, AML, MAC)
    "beta_rel": {
        "CR2+": 0.40,
        "Not in CR": 0.90,
        "Adverse": 0.45,
        "Favourable": -0.40,
        "MRD Positive": 0.60,
        "ALL": 0.15,
        "MPAL": 0.20,
        "RIC": 0.20,
    },
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
    "age_beta": (2.0, 2.3),  # AGE = 18 + 47 * Beta(a, b), rounded down
    "p_misstratified": 0.01,
    "tx_to_rand_days": (30, 60),
    # GVHD after randomisation
    "p_agvhd": {"MSD": 0.20, "MUD": 0.28, "HAPLO": 0.27},
    "agvhd_mean_days": 30,  # mean days from randomisation (most before day 100 post-HSCT)
    "p_agvhd_34": 0.35,  # share of grade III-IV among grade II-IV
    "p_cgvhd": {"MSD": 0.30, "MUD": 0.36, "HAPLO": 0.36},
    "cgvhd_after_agvhd": 0.15,  # added probability after acute GVHD
    "cgvhd_onset_gamma": (2.0, 60.0),  # days after day 100 post-HSCT
    "p_cgvhd_systemic": 0.55,
    # the study drug (dose levels: the study definition's safety.dose_levels)
    "treatment_end_day_post_hsct": 180,
    "p_never_started": 0.03,
    "trt_start_days": (0, 7),
    "ae_discontinuation_mean_days": 800,  # about 15% stop for toxicity before day 180
    "first_modification_mean_days": 150,  # about 55% need >= 1 interruption or reduction
    "next_modification_mean_days": 60,
    "p_modification_type": (0.50, 0.25, 0.25),  # interrupt+reduce, interrupt+resume, reduce
    "interruption_days": (3, 5),  # 3 + Poisson(5)
    "p_major_deviation": 0.03,
    # AE collection of untreated patients when the study defines no untreated window
    "untreated_ae_days_post_hsct": 210,
    # screening
    "p_screen_failure": 0.22,
}

#: MedDRA PT, SOC, probability on the study drug, probability otherwise, CTCAE grade 1-4 probs,
#: whether it is a known toxicity of the drug (onset during treatment on the drug).
AE_TERMS: list[tuple[str, str, float, float, tuple[float, float, float, float], bool]] = [
    (
        "Palmar-plantar erythrodysaesthesia syndrome",
        "Skin and subcutaneous tissue disorders",
        0.45,
        0.02,
        (0.45, 0.40, 0.15, 0.0),
        True,
    ),
    ("Rash maculo-papular", "Skin and subcutaneous tissue disorders", 0.30, 0.08, (0.50, 0.35, 0.15, 0.0), True),
    ("Diarrhoea", "Gastrointestinal disorders", 0.30, 0.12, (0.60, 0.30, 0.10, 0.0), True),
    ("Hypertension", "Vascular disorders", 0.20, 0.08, (0.40, 0.45, 0.15, 0.0), True),
    ("Alanine aminotransferase increased", "Investigations", 0.25, 0.12, (0.60, 0.25, 0.12, 0.03), True),
    ("Aspartate aminotransferase increased", "Investigations", 0.20, 0.10, (0.65, 0.22, 0.11, 0.02), True),
    ("Thrombocytopenia", "Blood and lymphatic system disorders", 0.25, 0.12, (0.30, 0.30, 0.25, 0.15), True),
    ("Neutropenia", "Blood and lymphatic system disorders", 0.18, 0.10, (0.25, 0.35, 0.25, 0.15), True),
    ("Fatigue", "General disorders and administration site conditions", 0.25, 0.12, (0.60, 0.33, 0.07, 0.0), True),
    (
        "Cytomegalovirus infection reactivation",
        "Infections and infestations",
        0.30,
        0.30,
        (0.30, 0.50, 0.18, 0.02),
        False,
    ),
    (
        "Epstein-Barr virus infection reactivation",
        "Infections and infestations",
        0.08,
        0.08,
        (0.40, 0.45, 0.13, 0.02),
        False,
    ),
    ("Pneumonia", "Infections and infestations", 0.12, 0.12, (0.05, 0.45, 0.40, 0.10), False),
    ("Upper respiratory tract infection", "Infections and infestations", 0.10, 0.10, (0.50, 0.45, 0.05, 0.0), False),
    ("Cystitis haemorrhagic", "Renal and urinary disorders", 0.06, 0.06, (0.30, 0.45, 0.22, 0.03), False),
    ("Nausea", "Gastrointestinal disorders", 0.12, 0.12, (0.65, 0.30, 0.05, 0.0), False),
    ("Anaemia", "Blood and lymphatic system disorders", 0.10, 0.10, (0.30, 0.45, 0.22, 0.03), False),
    ("Pyrexia", "General disorders and administration site conditions", 0.15, 0.15, (0.55, 0.38, 0.07, 0.0), False),
]
#: toxicities that lead to interruptions and reductions (indices into AE_TERMS) and weights
ACTION_TERMS = ((0, 0.35), (1, 0.15), (2, 0.15), (3, 0.05), (4, 0.15), (6, 0.15))
FATAL_TERMS = {
    "INFECTION": ("Sepsis", "Infections and infestations"),
    "GVHD": ("Graft versus host disease", "Immune system disorders"),
    "ORGAN FAILURE": ("Multiple organ dysfunction syndrome", "General disorders and administration site conditions"),
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
