"""The generator: a synthetic trial of a study definition, table by table, from one seed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.study import Arm, Endpoint, Study, load_study

from ._arrays import dates, finish, flags, where_text
from .adverse_events import adverse_events
from .assumptions import ASSUMPTIONS, DAYS_PER_MONTH
from .outcomes import DERIVATIONS, adtte, simulate
from .population import baseline, linear_predictors
from .randomisation import allocate, enrol, stratify
from .screening import screening
from .treatment import course, exposure

__all__ = ["DEFAULT_SEED", "TABLES", "default_cutoff", "generate"]

DEFAULT_SEED = 20201215
#: every table the generator can write, in the order it returns them
TABLES = ("adsl", "adtte", "adae", "adex", "screen")

_ADSL_COLUMNS = [
    "STUDYID",
    "USUBJID",
    "SUBJID",
    "SITEID",
    "ARM",
    "ARMCD",
    "ACTARM",
    "ACTARMCD",
    "RANDDT",
    "STRATDS",
    "STRATDT",
    "AGE",
    "AGEU",
    "AGEGR1",
    "SEX",
    "DIAG",
    "DISSTAT",
    "CYTORISK",
    "MRDPRE",
    "DONORTYP",
    "CONDINT",
    "TRANSDT",
    "ITTFL",
    "SAFFL",
    "PPROTFL",
    "TRTSDT",
    "TRTEDT",
    "EOTSTT",
    "DCTREAS",
    "EOSSTT",
    "EOSDT",
    "DCSREAS",
    "RELDT",
    "DTHFL",
    "DTHDT",
    "DTHCAUS",
    "LSTALVDT",
]
_COLUMNS = {
    "adtte": [
        "STUDYID",
        "USUBJID",
        "PARAMCD",
        "PARAM",
        "STARTDT",
        "ADT",
        "AVAL",
        "CNSR",
        "EVNTCD",
        "EVNTDESC",
        "CNSDTDSC",
    ],
    "adae": [
        "STUDYID",
        "USUBJID",
        "AESEQ",
        "AEBODSYS",
        "AEDECOD",
        "AETOXGR",
        "AESER",
        "AEREL",
        "AEACN",
        "ASTDT",
        "AENDT",
        "ASTDY",
        "TRTEMFL",
    ],
    "adex": [
        "STUDYID",
        "USUBJID",
        "EXSEQ",
        "EXTRT",
        "EXDOSE",
        "EXDOSU",
        "EXDOSFRQ",
        "ASTDT",
        "AENDT",
        "EXDURD",
        "EXADJ",
    ],
    "screen": ["STUDYID", "SCRNID", "SITEID", "SCRNDT", "USUBJID", "RANDFL", "EXCLCAT", "EXCLREAS"],
}
#: ADSL variables the generator draws, and those a study variable may be derived_from (cut points)
_PRODUCED = set(_ADSL_COLUMNS) - {"AGEGR1"}
_DERIVABLE_FROM = ("AGE",)
#: CDISC's actual arm of a patient who took no study drug when every arm receives it
_NOT_TREATED = ("NOTTRT", "Not Treated")


@dataclass(frozen=True)
class _Plan:
    """Everything trial-specific the generator needs, checked once."""

    study: Study
    n: int
    n_sites: int
    accrual_months: float
    followup_months: float
    origin: pd.Timestamp
    log_hr: np.ndarray  # relapse log hazard ratio per arm (reference 0)
    on_drug: np.ndarray  # per arm: receives the study drug
    not_treated: tuple[str, str]  # (ACTARMCD, ACTARM) of a non-starter
    endpoints: tuple[Endpoint, ...]
    tables: tuple[str, ...]


def _resolve(study: Study | str | Path | None) -> Study:
    return study if isinstance(study, Study) else load_study(study)


def default_cutoff(
    study: Study | str | Path | None = None,
    *,
    accrual_months: float | None = None,
    followup_months: float | None = None,
) -> pd.Timestamp:
    """Final data cutoff: first randomisation + accrual + minimum follow-up (default: the
    study's ``design``)."""
    study = _resolve(study)
    accrual, follow = _months(study, accrual_months, followup_months)
    return _origin(study) + pd.Timedelta(days=round((accrual + follow) * DAYS_PER_MONTH))


def _origin(study: Study) -> pd.Timestamp:
    if study.synthetic is None:
        raise ValueError(
            f"study {study.study.id} has no synthetic section (first_randomisation, "
            "n_sites, hazard_ratios); the generator needs one"
        )
    return pd.Timestamp(study.synthetic.first_randomisation)


def _months(study: Study, accrual: float | None, follow: float | None) -> tuple[float, float]:
    if study.design is not None:
        accrual = study.design.accrual_months if accrual is None else accrual
        follow = study.design.follow_up_months if follow is None else follow
    if accrual is None or follow is None:
        raise ValueError(f"study {study.study.id} has no design section: give accrual_months and followup_months")
    if accrual <= 0 or follow <= 0:
        raise ValueError(f"accrual_months={accrual}, followup_months={follow}; expected positive months")
    return accrual, follow


def _plan(study: Study, n_patients, n_sites, accrual_months, followup_months, hazard_ratios, tables) -> _Plan:
    sid = study.study.id
    origin = _origin(study)
    syn = study.synthetic
    if syn is None:
        raise ValueError(f"study {sid} has no synthetic section: the generator needs its settings")
    if n_patients is None:
        if study.design is None:
            raise ValueError(f"study {sid} has no design section: give n_patients")
        n_patients = study.design.n_patients
    if not isinstance(n_patients, (int, np.integer)) or n_patients < 1:
        raise ValueError(f"{n_patients=}; expected a positive integer")
    n_sites = syn.n_sites if n_sites is None else n_sites
    if not 1 <= n_sites <= 99:
        raise ValueError(f"{n_sites=}; expected 1 to 99")
    accrual_months, followup_months = _months(study, accrual_months, followup_months)

    codes = [a.code for a in study.arms]
    hrs = dict(syn.hazard_ratios if hazard_ratios is None else hazard_ratios)
    unknown = sorted(set(hrs) - set(codes))
    if unknown:
        raise ValueError(f"hazard ratios for {unknown}: not arm codes of {sid} {codes}")
    ref = study.reference_arm.code
    if hrs.get(ref, 1.0) != 1.0:
        raise ValueError(
            f"hazard ratio {hrs[ref]} for the reference arm {ref}; ratios are relative to it (1 or left out)"
        )
    bad = {k: v for k, v in hrs.items() if not v > 0}
    if bad:
        raise ValueError(f"hazard ratios {bad}; expected positive numbers")

    tables = syn.tables if tables is None else tuple(tables)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown or not {"adsl", "adtte"} <= set(tables):
        raise ValueError(f"tables={list(tables)}; expected adsl, adtte and any of adae, adex, screen")
    _check_simulable(study, tables)

    untreated = [a for a in study.arms if not a.treated]
    fallback = next((a for a in untreated if a.reference), untreated[0] if untreated else None)
    return _Plan(
        study=study,
        n=int(n_patients),
        n_sites=n_sites,
        accrual_months=accrual_months,
        followup_months=followup_months,
        origin=origin,
        # scalar np.log as before the study definition: the 2-arm stream stays bit-identical
        log_hr=np.array([np.log(hrs.get(a.code, 1.0)) for a in study.arms]),
        on_drug=np.array([a.treated for a in study.arms]),
        not_treated=(fallback.code, fallback.label) if fallback else _NOT_TREATED,
        endpoints=study.endpoints,
        tables=tuple(t for t in TABLES if t in tables),
    )


def _check_simulable(study: Study, tables: tuple[str, ...]) -> None:
    """Refuse what the generator cannot simulate: a table whose section is missing, an endpoint
    it does not derive (or derives as another kind), a stratum or a variable it does not draw."""
    sid = study.study.id
    needs_safety = sorted({"adae", "adex"} & set(tables))
    if needs_safety and study.safety is None:
        raise ValueError(
            f"study {sid} has no safety section (treatment, dose_levels, windows), "
            f"which {needs_safety} need; leave them out with tables="
        )
    if study.safety is not None:
        if not any(d > 0 for d in study.safety.dose_levels):
            raise ValueError(f"safety.dose_levels={list(study.safety.dose_levels)}: no positive dose to start with")
        w = study.safety.untreated_window
        if w is not None and w.anchor not in ("TRANSDT", "RANDDT"):
            raise ValueError(f"safety.untreated_window.anchor={w.anchor}; the generator supports TRANSDT or RANDDT")

    for ep in study.endpoints:
        if ep.paramcd not in DERIVATIONS:
            raise ValueError(
                f"endpoint {ep.paramcd} of {sid}: the generator cannot derive it; it derives {list(DERIVATIONS)}"
            )
        kind = DERIVATIONS[ep.paramcd][0]
        if ep.kind != kind:
            raise ValueError(f"endpoint {ep.paramcd} of {sid} is {ep.kind}; the generator derives it as {kind}")
    strata_ok = {"STRATDS", "STRATDT"}
    if not set(study.strata) <= strata_ok:
        raise ValueError(
            f"strata {list(study.strata)} of {sid}: the generator randomises within {sorted(strata_ok)} only"
        )
    for v in study.variables:
        if v.name in _PRODUCED:
            continue
        src = v.derived_from
        if src is None or src.variable not in _DERIVABLE_FROM:
            raise ValueError(
                f"variable {v.name} of {sid}: the generator neither draws it nor "
                f"derives it (derived_from one of {list(_DERIVABLE_FROM)})"
            )


def generate(
    study: Study | str | Path | None = None,
    *,
    n_patients: int | None = None,
    seed: int = DEFAULT_SEED,
    tables: Iterable[str] | None = None,
    n_sites: int | None = None,
    accrual_months: float | None = None,
    followup_months: float | None = None,
    hazard_ratios: Mapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate the tables of a synthetic trial of ``study``.

    Parameters
    ----------
    study : Study, path or None
        The study definition (None: :data:`helpers.study.DEFAULT_STUDY`).  It gives STUDYID, the
        arms (codes, labels, allocation ratios, which receive the drug), the randomisation
        strata, the endpoints (PARAMCD, PARAM), the drug (EXTRT), dose levels and AE windows
        (``safety``), the size and calendar (``design``) and the synthetic settings
        (first randomisation, sites, relapse hazard ratios, tables).
    n_patients : int, optional
        Number randomised (default: ``design.n_patients``).
    seed : int
        Seed of the numpy Generator; the same arguments give identical tables.
    tables : iterable of str, optional
        Which of ``adsl, adtte, adae, adex, screen`` (default: ``synthetic.tables``); adsl and
        adtte always.  Each table is the same whichever others are asked for.
    n_sites, accrual_months, followup_months, hazard_ratios : optional
        Override ``synthetic.n_sites`` (1-99), ``design.accrual_months``,
        ``design.follow_up_months`` (their sum after the first randomisation is the data cutoff,
        :func:`default_cutoff`) and ``synthetic.hazard_ratios`` (arm code -> cause-specific
        relapse hazard ratio against the reference; a comparator left out has 1).

    Returns
    -------
    dict of str to DataFrame
        The tables asked for, in the order above, rows sorted by key.

    Raises
    ------
    ValueError
        A setting out of range, or something in the study the generator cannot simulate (an
        endpoint it cannot derive, a stratum or variable it does not draw, a table that needs a
        missing section).
    """
    p = _plan(_resolve(study), n_patients, n_sites, accrual_months, followup_months, hazard_ratios, tables)
    study, n, origin = p.study, p.n, p.origin
    sid = study.study.id
    a = ASSUMPTIONS
    rng = np.random.default_rng(seed)
    accrual_days = round(p.accrual_months * DAYS_PER_MONTH)
    cut_day = (default_cutoff(study, accrual_months=p.accrual_months, followup_months=p.followup_months) - origin).days

    # ---- sites, patients, baseline, randomisation (the order of draws is the random stream's)
    e = enrol(rng, n, p.n_sites, accrual_days, sid)
    age, sex, diag, disstat, cyto, mrd, donor, ric = baseline(rng, n)
    tx_gap = rng.integers(a["tx_to_rand_days"][0], a["tx_to_rand_days"][1] + 1, n)
    irt = stratify(rng, disstat, donor)
    arm = allocate(rng, e.site, [irt[s] for s in study.strata], tuple(x.allocation for x in study.arms))
    on_drug_arm = p.on_drug[arm]

    # ---- outcomes and the drug
    lp_rel, lp_nrm = linear_predictors(
        age, diag, disstat, cyto, mrd, donor, ric, e.site_rel[e.site], e.site_nrm[e.site]
    )
    lp_rel = lp_rel + p.log_hr[arm]
    lp_nrm = lp_nrm + np.where(arm == _reference_index(study), 0, np.log(a["hr_nrm"]))
    admin = (cut_day - e.rday).astype(np.int64)  # potential follow-up to the data cutoff
    o = simulate(rng, lp_rel=lp_rel, lp_nrm=lp_nrm, donor=donor, tx_gap=tx_gap, admin=admin)
    c = course(rng, on_drug_arm=on_drug_arm, tx_gap=tx_gap, o=o)
    deviation = rng.random(n) < a["p_major_deviation"]

    rday = e.rday
    out = {
        "adsl": _adsl(
            p,
            e,
            arm,
            c,
            o,
            deviation=deviation,
            tx_gap=tx_gap,
            age=age,
            sex=sex,
            diag=diag,
            disstat=disstat,
            cyto=cyto,
            mrd=mrd,
            donor=donor,
            ric=ric,
            strat={s: v for s, (v, _) in irt.items()},
        )
    }
    out["adtte"] = adtte(
        o, p.endpoints, studyid=sid, usubjid=e.usubjid, rday=rday, startdt=dates(rday, origin), origin=origin
    )

    # ---- safety and screening: a stage runs when it or a later one is asked for, so that
    # each table is the same whichever others are
    wanted = set(p.tables)
    safety = study.safety
    if safety is not None and wanted & {"adex", "adae", "screen"}:
        adex, mods = exposure(
            rng,
            treated=c.treated,
            start_day=rday + c.start_off,
            duration=c.trt_end - c.start_off + 1,
            usubjid=e.usubjid,
            studyid=sid,
            extrt=safety.treatment,
            dose_levels=safety.dose_levels,
            origin=origin,
        )
        out["adex"] = adex
        if wanted & {"adae", "screen"}:
            w = safety.untreated_window
            if w is None:
                untreated_end = a["untreated_ae_days_post_hsct"] - tx_gap
            else:
                untreated_end = w.days - (tx_gap if w.anchor == "TRANSDT" else 0)
            out["adae"] = adverse_events(
                rng,
                usubjid=e.usubjid,
                rday=rday,
                on_drug_arm=on_drug_arm,
                c=c,
                o=o,
                mods=mods,
                after_last_dose=safety.window_days_after_last_dose,
                untreated_end=np.broadcast_to(untreated_end, (n,)),
                untreated_emergent=w is not None,
                studyid=sid,
                origin=origin,
            )
    if "screen" in wanted:
        failures = study.synthetic.screen_failures if study.synthetic is not None else None
        reasons = None if failures is None else [(f.category, f.reason, f.weight) for f in failures]
        out["screen"] = screening(rng, e, accrual_days=accrual_days, studyid=sid, origin=origin, reasons=reasons)
    return {t: finish(out[t], _adsl_columns(out[t]) if t == "adsl" else _COLUMNS[t]) for t in p.tables}


def _reference_index(study: Study) -> int:
    return next(i for i, x in enumerate(study.arms) if x.reference)


def _adsl_columns(adsl: pd.DataFrame) -> list[str]:
    return [c for c in _ADSL_COLUMNS if c in adsl.columns] + [c for c in adsl.columns if c not in _ADSL_COLUMNS]


def _derived(study: Study, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The study's categorical variables derived from cut points of a drawn one (e.g. AGEGR1)."""
    out = {}
    for v in study.variables:
        if v.derived_from is not None and v.name not in _PRODUCED:
            x = values[v.derived_from.variable]
            level = np.searchsorted(np.asarray(v.derived_from.breaks), x, side="right")
            out[v.name] = np.asarray(list(v.levels or {}), dtype=object)[level]
    return out


def _arm_text(arms: tuple[Arm, ...], index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ARMCD and ARM of arm indices."""
    return (
        np.array([x.code for x in arms], dtype=object)[index],
        np.array([x.label for x in arms], dtype=object)[index],
    )


def _adsl(
    p: _Plan, e, arm, c, o, *, deviation, tx_gap, age, sex, diag, disstat, cyto, mrd, donor, ric, strat
) -> pd.DataFrame:
    study, origin, rday = p.study, p.origin, e.rday
    armcd, arm_label = _arm_text(study.arms, arm)
    # a patient of an arm with the drug who took none is in the untreated arm (CDISC ACTARM)
    non_starter = p.on_drug[arm] & ~c.treated
    actarmcd = np.where(non_starter, p.not_treated[0], armcd).astype(object)
    actarm = np.where(non_starter, p.not_treated[1], arm_label).astype(object)
    disc = o.died | o.dropped
    eos_day = np.where(o.died, o.d_death, o.cens)
    nan = np.nan
    adsl = pd.DataFrame(
        {
            "STUDYID": study.study.id,
            "USUBJID": e.usubjid,
            "SUBJID": e.subjid,
            "SITEID": e.siteid,
            "ARM": arm_label,
            "ARMCD": armcd,
            "ACTARM": actarm,
            "ACTARMCD": actarmcd,
            "RANDDT": dates(rday, origin),
            "STRATDS": strat["STRATDS"],
            "STRATDT": strat["STRATDT"],
            "AGE": age,
            "AGEU": "YEARS",
            **_derived(study, {"AGE": age}),
            "SEX": sex,
            "DIAG": diag,
            "DISSTAT": disstat,
            "CYTORISK": cyto,
            "MRDPRE": mrd,
            "DONORTYP": donor,
            "CONDINT": np.where(ric, "RIC", "MAC").astype(object),
            "TRANSDT": dates(rday - tx_gap, origin),
            "ITTFL": "Y",
            "SAFFL": flags(~non_starter),
            "PPROTFL": flags(~(non_starter | deviation)),
            "TRTSDT": dates(np.where(c.treated, rday + c.start_off, nan), origin),
            "TRTEDT": dates(np.where(c.treated, rday + c.trt_end, nan), origin),
            "EOTSTT": c.eotstt,
            "DCTREAS": c.dctreas,
            "EOSSTT": np.where(disc, "DISCONTINUED", "COMPLETED").astype(object),
            "EOSDT": dates(rday + eos_day, origin),
            "DCSREAS": where_text(disc, np.where(o.died, "DEATH", o.drop_reason)),
            "RELDT": dates(np.where(o.rel_obs, rday + o.d_rel, nan), origin),
            "DTHFL": flags(o.died),
            "DTHDT": dates(np.where(o.died, rday + o.d_death, nan), origin),
            "DTHCAUS": o.dthcaus,
            "LSTALVDT": dates(rday + o.last_alive, origin),
        }
    )
    return adsl.sort_values("USUBJID", kind="stable")
