"""Treatment effect within subgroups, with the treatment-by-subgroup interaction test.

One function, :func:`subgroup_effects`, returns the numbers behind a forest
plot: the (subdistribution) hazard ratio of the comparator arm versus the
reference arm overall and within each level of each subgroup variable, and for
each subgroup variable the Wald test of the arm-by-subgroup interaction.
Reference values: R's ``coxph`` and ``cmprsk::crr`` fitted within each level and
with ``arm * subgroup`` (``tests/reference/survival.R``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.stats._checks import OVERALL, check_columns, check_durations, check_event_codes, factor_levels
from helpers.stats.survival import fit_cox

__all__ = ["SUBGROUP_COLUMNS", "subgroup_effects"]

#: Columns of :func:`subgroup_effects`, in order.
SUBGROUP_COLUMNS = [
    "subgroup",
    "level",
    "reference_arm",
    "comparator_arm",
    "n_total",
    "n_reference",
    "n_comparator",
    "events_reference",
    "events_comparator",
    "n_missing",
    "hr",
    "conf_low",
    "conf_high",
    "p_value",
    "p_interaction",
    "note",
]
_EVENT = "__event_of_cause__"


def _effect(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    arm_col: str,
    comparator: object,
    *,
    model: str,
    cause: int,
    conf_level: float,
    subgroup: str | None = None,
) -> tuple[dict[str, float], str, dict[str, float] | None]:
    """Arm effect in ``data``; with ``subgroup``, also the interaction Wald test."""
    term = f"{arm_col}[{comparator}]"
    covariates = [arm_col] if subgroup is None else [arm_col, subgroup]
    interactions = [] if subgroup is None else [(arm_col, subgroup)]
    nan = {"hr": np.nan, "conf_low": np.nan, "conf_high": np.nan, "p_value": np.nan}
    if model == "cox":
        fit = fit_cox(
            data,
            duration_col,
            _EVENT,
            covariates,
            interactions=interactions,
            conf_level=conf_level,
        )
        row = fit.summary.set_index("term").loc[term]
        note = row["note"]
        effect = (
            nan
            if note.startswith("not estimable")
            else {
                "hr": row["hr"],
                "conf_low": row["conf_low"],
                "conf_high": row["conf_high"],
                "p_value": row["p_value"],
            }
        )
        inter = None
        if subgroup is not None:
            inter = fit.wald_test(fit.columns_of(f"{arm_col}:{subgroup}"))
        return effect, note, inter

    import warnings

    from helpers.stats.competing_risks import ConvergenceWarning, fine_gray

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fine_gray(
            data,
            duration_col,
            event_col,
            covariates,
            cause=cause,
            interactions=interactions,
            conf_level=conf_level,
        )
    if not res.converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return (
            nan,
            "not estimable: Fine-Gray fit did not converge (monotone likelihood)",
            (None if subgroup is None else {"statistic": np.nan, "df": np.nan, "p_value": np.nan}),
        )
    row = res.summary.set_index("term").loc[term]
    effect = {
        "hr": row["hr"],
        "conf_low": row["conf_low"],
        "conf_high": row["conf_high"],
        "p_value": row["p_value"],
    }
    inter = res.wald_test(f"{arm_col}:{subgroup}") if subgroup is not None else None
    return effect, "", inter


def subgroup_effects(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    arm_col: str,
    subgroups: Sequence[str],
    *,
    model: str = "fine_gray",
    cause: int = 1,
    reference_arm: object | None = None,
    comparator_arms: Sequence[object] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Arm effect overall and within each subgroup level, with interaction p-values, for each
    comparator arm against the reference arm.

    For every level of every subgroup variable the model ``~ arm`` is fitted to
    the patients of that level alone; the interaction p-value is the Wald test
    of all ``arm:subgroup`` terms in ``~ arm + subgroup + arm:subgroup`` fitted
    to the patients with a known subgroup value (R: ``coxph(Surv(time, status ==
    cause) ~ arm * sg)`` or ``crr(time, status, model.matrix(~ arm * sg)[, -1])``,
    then ``b' V^-1 b`` over the interaction coefficients with the model's
    variance -- robust for crr).

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    duration_col : str
        Time to the first event or censoring.
    event_col : str
        0 = censored, 1, 2, ... = cause (ADTTE's EVNTCD).
    arm_col : str
        Treatment column with two or more arms. Each comparison is fitted to the patients of
        its two arms only.
    subgroups : sequence of str
        Subgroup columns; each is treated as categorical (levels sorted, or in
        categorical order).
    model : {"fine_gray", "cox"}
        ``"fine_gray"``: subdistribution hazard ratio for ``cause``
        (:func:`helpers.stats.competing_risks.fine_gray`, as ``cmprsk::crr``).
        ``"cox"``: cause-specific hazard ratio (:func:`helpers.stats.survival.cox`),
        events of other causes censored; for a 0/1 endpoint this is the usual Cox
        hazard ratio.
    cause : int
        Event code of interest; ``events_*`` count this code.
    reference_arm : optional
        The reference arm; default the first level of ``arm_col`` (categorical
        order, else sorted, as R's ``factor()``).
    comparator_arms : sequence, optional
        The arms compared with the reference, in output order; default every
        other arm in level order.
    conf_level : float
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        For each comparator (in ``comparator_arms`` order): one row for
        ``subgroup == "Overall"`` and one per subgroup level, columns
        ``subgroup, level, reference_arm, comparator_arm, n_total, n_reference,
        n_comparator, events_reference, events_comparator, n_missing, hr,
        conf_low, conf_high, p_value, p_interaction, note`` (``SUBGROUP_COLUMNS``).
        The per-arm counts are wide (one column per arm role) so that a forest
        plot row is one frame row; ``reference_arm``/``comparator_arm`` name the
        arms.  ``hr`` is the HR (or sHR) of the comparator versus the
        reference.  Patients with a missing value of a subgroup variable are left
        out of that variable's rows and of its interaction test; their number is
        ``n_missing`` on each of its rows (0 on the Overall row).
        ``p_interaction`` is repeated on every row of a subgroup variable.

        A level in which one arm has no event of the cause is not estimable: its
        estimate and limits are NaN and ``note`` says why; such levels are also
        left out of the interaction test (noted), which needs at least two
        estimable levels.  A subgroup variable with a single level, or missing
        for every patient, is one row (``level`` that level, or ``""``) that is
        not estimable, with the reason in ``note`` (``"not estimable: SEX has a
        single level"``).  Nothing is reported as 0 or infinity.
    """
    check_columns(data, duration_col=duration_col, event_col=event_col, arm_col=arm_col)
    if model not in ("fine_gray", "cox"):
        raise ValueError(f"{model=}; expected 'fine_gray' or 'cox'")
    if isinstance(subgroups, str):
        raise ValueError(f"subgroups={subgroups!r}; expected a list of column names")
    for sg in subgroups:
        check_columns(data, subgroups=sg)
        if sg == arm_col:
            raise ValueError(f"subgroups holds {sg!r}, the arm column; expected other columns")
    check_durations(data[duration_col], f"{duration_col=}")
    # one event-code rule with helpers.stats.competing_risks: a -1 or 1.5 is refused, never
    # silently counted as censored by the cause-specific Cox model
    check_event_codes(data[event_col], f"{event_col=}")
    if data[arm_col].isna().any():
        raise ValueError(
            f"{arm_col=} holds {int(data[arm_col].isna().sum())} missing value(s); expected an arm for every patient"
        )
    arms = factor_levels(data[arm_col], f"{arm_col=}")
    if len(arms) < 2:
        raise ValueError(f"{arm_col=} holds the arms {arms}; expected at least two")
    if reference_arm is None:
        reference_arm = arms[0]
    if reference_arm not in arms:
        raise ValueError(f"{reference_arm=} is not an arm of {arm_col}; expected one of {arms}")
    others = [a for a in arms if a != reference_arm]
    if comparator_arms is None:
        comparator_arms = others
    bad = [a for a in comparator_arms if a not in others]
    if bad or not comparator_arms:
        raise ValueError(f"{comparator_arms=}; expected arms of {arm_col} other than the reference: {others}")
    frames = []
    for comparator in comparator_arms:
        pair = data[data[arm_col].isin([reference_arm, comparator])]
        frames.append(
            _one_comparison(
                pair,
                duration_col,
                event_col,
                arm_col,
                subgroups,
                model=model,
                cause=cause,
                reference_arm=reference_arm,
                comparator=comparator,
                conf_level=conf_level,
            )
        )
    return pd.concat(frames, ignore_index=True)[SUBGROUP_COLUMNS]


def _one_comparison(
    data: pd.DataFrame,
    duration_col: str,
    event_col: str,
    arm_col: str,
    subgroups: Sequence[str],
    *,
    model: str,
    cause: int,
    reference_arm: object,
    comparator: object,
    conf_level: float,
) -> pd.DataFrame:
    """:func:`subgroup_effects` for one comparator against the reference (the two arms' patients)."""
    work = data.copy()
    work[arm_col] = pd.Categorical(work[arm_col], categories=[reference_arm, comparator])
    work[_EVENT] = (work[event_col] == cause).astype(float)
    nan = {"hr": np.nan, "conf_low": np.nan, "conf_high": np.nan, "p_value": np.nan}

    def counts(d: pd.DataFrame) -> dict[str, object]:
        is_ref = d[arm_col] == reference_arm
        return {
            "reference_arm": reference_arm,
            "comparator_arm": comparator,
            "n_total": len(d),
            "n_reference": int(is_ref.sum()),
            "n_comparator": int((~is_ref).sum()),
            "events_reference": int(d.loc[is_ref, _EVENT].sum()),
            "events_comparator": int(d.loc[~is_ref, _EVENT].sum()),
        }

    def one(d: pd.DataFrame) -> tuple[dict[str, float], str]:
        c = counts(d)
        if c["n_reference"] == 0 or c["n_comparator"] == 0:
            return nan, "not estimable: one arm has no patients"
        if c["events_reference"] == 0 or c["events_comparator"] == 0:
            return nan, "not estimable: no events in one arm"
        effect, note, _ = _effect(
            d,
            duration_col,
            event_col,
            arm_col,
            comparator,
            model=model,
            cause=cause,
            conf_level=conf_level,
        )
        return effect, note

    rows = []
    effect, note = one(work)
    rows.append(
        {
            "subgroup": OVERALL,
            "level": OVERALL,
            **counts(work),
            "n_missing": 0,
            **effect,
            "p_interaction": np.nan,
            "note": note,
        }
    )
    for sg in subgroups:
        missing = work[sg].isna()
        known = work.loc[~missing].copy()
        levels = factor_levels(known[sg], f"subgroups={sg!r}")
        if len(levels) < 2:
            # one level is the whole (known) population again; none is nobody: not a subgroup
            reason = f"{sg} is missing for every patient" if not levels else f"{sg} has a single level"
            d = known if levels else known.iloc[:0]
            rows.append(
                {
                    "subgroup": sg,
                    "level": levels[0] if levels else "",
                    **counts(d),
                    "n_missing": int(missing.sum()),
                    **nan,
                    "p_interaction": np.nan,
                    "note": f"not estimable: {reason}",
                }
            )
            continue
        known[sg] = pd.Categorical(known[sg], categories=levels)
        sg_rows = []
        estimable = []
        for lv in levels:
            d = known[known[sg] == lv]
            effect, note = one(d)
            if not note.startswith("not estimable"):
                estimable.append(lv)
            sg_rows.append(
                {"subgroup": sg, "level": lv, **counts(d), "n_missing": int(missing.sum()), **effect, "note": note}
            )
        p_inter = np.nan
        inter_note = ""
        if len(estimable) >= 2:
            d = known[known[sg].isin(estimable)].copy()
            d[sg] = pd.Categorical(d[sg], categories=estimable)
            _, _, inter = _effect(
                d,
                duration_col,
                event_col,
                arm_col,
                comparator,
                model=model,
                cause=cause,
                conf_level=conf_level,
                subgroup=sg,
            )
            p_inter = inter["p_value"] if inter is not None else np.nan
            dropped = [lv for lv in levels if lv not in estimable]
            if dropped:
                inter_note = f"interaction test without level(s) {dropped} (not estimable)"
        else:
            inter_note = "interaction not testable: fewer than two estimable levels"
        for r in sg_rows:
            r["p_interaction"] = p_inter
            if inter_note:
                r["note"] = "; ".join(x for x in (r["note"], inter_note) if x)
            rows.append(r)
    return pd.DataFrame(rows)
