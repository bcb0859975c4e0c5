"""helpers.stats.survival against R 4.2.2 / survival 3.5-3.

Reference values come from ``tests/reference/survival.R`` (stored at 17 digits in
``tests/reference/survival/``); R is not needed to run these tests.
Tolerances: 1e-6 relative on estimates, standard errors and p-values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers.stats.survival import (
    cox,
    cox_ph_test,
    fit_cox,
    kaplan_meier,
    logrank_test,
    median_follow_up,
    median_survival,
)

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6
# p-values are compared relatively (RTOL); the floor only absorbs values that are 0 in exact
# arithmetic (R prints them as < 2e-16)
P_ATOL_FLOOR = 1e-300


def assert_p_values(got, ref) -> None:
    """P-values to RTOL relatively: an absolute 1e-4 would accept any p below 1e-4."""
    npt.assert_allclose(got, ref, rtol=RTOL, atol=P_ATOL_FLOOR)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv")


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    return {k: _read(k) for k in ("aml", "myeloid", "lung", "sim_ties", "sim_noevents", "sim_half", "sim_frac")}


# case -> (dataset, time, status, group, conf_type, conf_level), as in survival.R's `fits`
KM_CASES = {
    "aml_loglog": ("aml", "time", "status", "x", "log-log", 0.95),
    "aml_log": ("aml", "time", "status", "x", "log", 0.95),
    "aml_plain": ("aml", "time", "status", "x", "plain", 0.95),
    "aml_loglog_90": ("aml", "time", "status", "x", "log-log", 0.90),
    "myeloid_trt": ("myeloid", "futime", "death", "trt", "log-log", 0.95),
    "lung_all": ("lung", "time", "status", None, "log-log", 0.95),
    "ties_group": ("sim_ties", "time", "status", "group", "log-log", 0.95),
    "ties_group_log": ("sim_ties", "time", "status", "group", "log", 0.95),
    "noevents_arm": ("sim_noevents", "time", "status", "arm", "log-log", 0.95),
    "half_group": ("sim_half", "time", "status", "group", "log-log", 0.95),
    "half_group_log": ("sim_half", "time", "status", "group", "log", 0.95),
}
KM_LANDMARKS = {  # survival.R's `landmarks`
    "aml_loglog": [0, 10, 20, 30, 40],
    "aml_plain": [5, 12, 30],
    "myeloid_trt": [0, 100, 365, 730, 1000, 1500],
    "lung_all": [90, 180, 365, 730],
    "ties_group": [1, 5, 10, 20, 30],
    "noevents_arm": [2, 5, 10],
}
KM_VALUES = ["estimate", "std_error", "conf_low", "conf_high"]
KM_COUNTS = ["n_risk", "n_event", "n_censor"]


def _r_groups(ref: pd.DataFrame) -> pd.DataFrame:
    return ref.assign(group=ref["group"].replace("all", "Overall"))


def _assert_same_rows(got: pd.DataFrame, ref: pd.DataFrame, values: list[str], counts=()) -> None:
    merged = ref.merge(got, on=["group", "time"], how="left", suffixes=("_r", "_py"))
    assert len(merged) == len(ref)
    for col in values:
        npt.assert_allclose(merged[f"{col}_py"], merged[f"{col}_r"], rtol=RTOL, equal_nan=True, err_msg=col)
    for col in counts:
        npt.assert_array_equal(merged[f"{col}_py"], merged[f"{col}_r"], err_msg=col)


# --------------------------------------------------------------------------- Kaplan-Meier
@pytest.mark.parametrize("case", list(KM_CASES))
def test_kaplan_meier_step_function_equals_r_survfit(case, datasets):
    ds, t, e, g, conf_type, level = KM_CASES[case]
    got = kaplan_meier(datasets[ds], t, e, g, conf_type=conf_type, conf_level=level)
    # R 4.2.2, survival 3.5-3: summary(survfit(Surv(t, e) ~ g, conf.type=), censored = TRUE)
    ref = _r_groups(_read("km_full").query("case == @case"))
    observed = got[got["time"] > 0]
    assert len(observed) == len(ref)  # one row per distinct observed time, nothing more
    _assert_same_rows(observed, ref, KM_VALUES, KM_COUNTS)


@pytest.mark.parametrize("case", list(KM_LANDMARKS))
def test_kaplan_meier_at_landmarks_equals_r_summary_times(case, datasets):
    ds, t, e, g, conf_type, level = KM_CASES[case]
    got = kaplan_meier(datasets[ds], t, e, g, times=KM_LANDMARKS[case], conf_type=conf_type, conf_level=level)
    # R 4.2.2, survival 3.5-3: summary(survfit(...), times = landmarks)
    ref = _r_groups(_read("km_times").query("case == @case"))
    _assert_same_rows(got, ref, KM_VALUES, KM_COUNTS)


def test_kaplan_meier_starts_at_one_at_time_zero(datasets):
    got = kaplan_meier(datasets["aml"], "time", "status", "x")
    first = got.groupby("group", observed=True).head(1)
    npt.assert_array_equal(first["time"], [0.0, 0.0])
    npt.assert_array_equal(first[["estimate", "conf_low", "conf_high"]].to_numpy(), 1.0)
    # R: n.risk at the first time is the group size (11 and 12 patients)
    npt.assert_array_equal(first["n_risk"], [11, 12])


def test_kaplan_meier_landmark_beyond_follow_up_is_missing_not_extended(datasets):
    got = kaplan_meier(datasets["aml"], "time", "status", "x", times=[200])
    assert got["estimate"].isna().all()
    npt.assert_array_equal(got["n_risk"], [0, 0])


def test_kaplan_meier_group_without_events_is_flat_at_one(datasets):
    got = kaplan_meier(datasets["sim_noevents"], "time", "status", "arm")
    flat = got[got["group"] == "Sorafenib"]
    npt.assert_array_equal(flat["estimate"], 1.0)
    npt.assert_array_equal(flat["n_event"], 0)
    # R: log-log limits are NA where S = 1 (except the time-0 row, limits 1 and 1)
    assert flat["conf_low"].iloc[1:].isna().all()


def test_kaplan_meier_small_case_written_out():
    data = pd.DataFrame(
        [  # one patient per line: time, status
            (1, 1),
            (2, 0),
            (3, 1),
            (3, 1),
            (4, 0),
        ],
        columns=["time", "status"],
    )
    got = kaplan_meier(data, "time", "status", conf_type="plain")
    expected = pd.DataFrame(
        {
            "time": [0.0, 1, 2, 3, 4],
            "estimate": [1, 4 / 5, 4 / 5, 4 / 5 * 1 / 3, 4 / 5 * 1 / 3],
            "n_risk": [5, 5, 4, 3, 1],
            "n_event": [0, 1, 0, 2, 0],
            "n_censor": [0, 0, 1, 0, 1],
        }
    )
    npt.assert_allclose(got["time"], expected["time"])
    npt.assert_allclose(got["estimate"], expected["estimate"], rtol=1e-12)
    for col in KM_COUNTS:
        npt.assert_array_equal(got[col], expected[col])
    # Greenwood: S(3)^2 * (1/(5*4) + 2/(3*1))
    npt.assert_allclose(got["std_error"].iloc[3], (4 / 15) * np.sqrt(1 / 20 + 2 / 3), rtol=1e-12)


def test_kaplan_meier_accepts_boolean_events(datasets):
    aml = datasets["aml"]
    as_bool = aml.assign(status=aml["status"].astype(bool))
    pd.testing.assert_frame_equal(
        kaplan_meier(as_bool, "time", "status", "x"), kaplan_meier(aml, "time", "status", "x")
    )


# --------------------------------------------------------------------------- errors
def test_kaplan_meier_refuses_competing_event_code():
    bmt = _read("bmt")  # sksurv.datasets.load_bmt: status 0, 1, 2
    with pytest.raises(ValueError, match=r"event_col='status' holds codes \[2\]"):
        kaplan_meier(bmt, "ftime", "status")


def test_kaplan_meier_refuses_negative_times():
    data = pd.DataFrame({"time": [1.0, -2.0], "status": [1, 0]})
    with pytest.raises(ValueError, match=r"duration_col='time' holds 1 negative"):
        kaplan_meier(data, "time", "status")


def test_kaplan_meier_refuses_missing_times_and_events():
    with pytest.raises(ValueError, match=r"duration_col='time' holds 1 missing"):
        kaplan_meier(pd.DataFrame({"time": [1.0, np.nan], "status": [1, 0]}), "time", "status")
    with pytest.raises(ValueError, match=r"event_col='status' holds 1 missing"):
        kaplan_meier(pd.DataFrame({"time": [1.0, 2.0], "status": [1, np.nan]}), "time", "status")


def test_kaplan_meier_names_a_missing_column():
    with pytest.raises(ValueError, match=r"group_col='ARM' is not a column"):
        kaplan_meier(pd.DataFrame({"time": [1.0], "status": [1]}), "time", "status", "ARM")


def test_kaplan_meier_refuses_unknown_conf_type(datasets):
    with pytest.raises(ValueError, match=r"conf_type='logit'"):
        kaplan_meier(datasets["aml"], "time", "status", conf_type="logit")


def test_cox_refuses_missing_covariate(datasets):
    with pytest.raises(ValueError, match=r"covariate 'ph_ecog' holds 1 missing"):
        cox(datasets["lung"], "time", "status", ["ph_ecog"])


# --------------------------------------------------------------------------- medians
@pytest.mark.parametrize("case", list(KM_CASES))
def test_median_survival_equals_r_print_survfit(case, datasets):
    ds, t, e, g, conf_type, level = KM_CASES[case]
    got = median_survival(datasets[ds], t, e, g, conf_type=conf_type, conf_level=level)
    # R 4.2.2, survival 3.5-3: summary(survfit(...))$table[, c("median", "0.95LCL", "0.95UCL")]
    ref = _r_groups(_read("km_median").query("case == @case"))
    assert list(got["group"]) == list(ref["group"])
    for col in ["median", "conf_low", "conf_high"]:
        npt.assert_allclose(got[col], ref[col], rtol=RTOL, equal_nan=True, err_msg=col)


def test_median_on_a_flat_half_is_the_midpoint(datasets):
    got = median_survival(datasets["sim_half"], "time", "status", "group")
    # R: S = 0.5 on [3, 5) -> median (3 + 5) / 2; group "high" never reaches 0.5 -> NA
    npt.assert_allclose(got["median"], [4.0, np.nan])


def test_median_of_group_without_events_is_nan(datasets):
    got = median_survival(datasets["sim_noevents"], "time", "status", "arm")
    assert np.isnan(got.set_index("group").loc["Sorafenib", "median"])


FU_CASES = {
    "myeloid_trt_loglog": ("myeloid", "futime", "death", "trt", "log-log"),
    "myeloid_trt_log": ("myeloid", "futime", "death", "trt", "log"),
    "lung_all_loglog": ("lung", "time", "status", None, "log-log"),
    "ties_group_loglog": ("sim_ties", "time", "status", "group", "log-log"),
}


@pytest.mark.parametrize("case", list(FU_CASES))
def test_median_follow_up_equals_r_reverse_kaplan_meier(case, datasets):
    ds, t, e, g, conf_type = FU_CASES[case]
    got = median_follow_up(datasets[ds], t, e, g, conf_type=conf_type)
    # R 4.2.2, survival 3.5-3: print(survfit(Surv(t, 1 - e) ~ g, conf.type=))
    ref = _r_groups(_read("median_follow_up").query("case == @case"))
    for col in ["median", "conf_low", "conf_high"]:
        npt.assert_allclose(got[col], ref[col], rtol=RTOL, err_msg=col)


# --------------------------------------------------------------------------- log-rank
LR_CASES = {
    "aml_x": ("aml", "time", "status", "x", None),
    "myeloid_trt": ("myeloid", "futime", "death", "trt", None),
    "myeloid_trt_strata_sex": ("myeloid", "futime", "death", "trt", "sex"),
    "ties_group": ("sim_ties", "time", "status", "group", None),
    "ties_group_strata": ("sim_ties", "time", "status", "group", "strat"),
    "lung_sex_strata_ecog": ("lung", "time", "status", "sex", "ph_ecog"),
    "noevents_arm": ("sim_noevents", "time", "status", "arm", None),
}


@pytest.mark.parametrize("case", list(LR_CASES))
def test_logrank_equals_r_survdiff(case, datasets):
    ds, t, e, g, s = LR_CASES[case]
    data = datasets[ds].dropna(subset=[g] + ([s] if s else []))  # R drops NA strata rows
    got = logrank_test(data, t, e, g, strata=s)
    # R 4.2.2, survival 3.5-3: survdiff(Surv(t, e) ~ g [+ strata(s)])$chisq, df, p
    ref = _read("logrank").query("case == @case")
    npt.assert_allclose(got["statistic"], ref["statistic"], rtol=RTOL)
    npt.assert_array_equal(got["df"], ref["df"])
    assert_p_values(got["p_value"], ref["p_value"])
    assert list(got.columns) == ["statistic", "df", "p_value", "note"]
    assert (got["note"] == "").all()


def test_logrank_with_one_group_at_risk_at_events_says_why_p_is_missing():
    # group b is censored before the first event: no expected events, 0 df
    data = pd.DataFrame({"time": [0.5, 0.6, 1, 2, 3], "status": [0, 0, 1, 1, 0], "group": ["b", "b", "a", "a", "a"]})
    got = logrank_test(data, "time", "status", "group").iloc[0]
    assert got["statistic"] == 0 and got["df"] == 0 and np.isnan(got["p_value"])
    assert got["note"].startswith("not testable: fewer than two groups")


def test_logrank_with_singular_variance_says_why_it_is_missing():
    # every patient has an event at one shared time: no information (R's survdiff stops)
    data = pd.DataFrame({"time": [1, 1, 1, 1], "status": [1, 1, 1, 1], "group": ["a", "a", "b", "b"]})
    got = logrank_test(data, "time", "status", "group").iloc[0]
    assert np.isnan(got["statistic"]) and np.isnan(got["p_value"])
    assert got["note"].startswith("not testable: variance matrix is singular")


# --------------------------------------------------------------------------- Cox
COX_CASES = {
    "lung_age_sex_ecog": ("lung", "time", "status", ["age", "sex", "ph_ecog"], None),
    "myeloid_trt_sex": ("myeloid", "futime", "death", ["trt", "sex"], None),
    "ties_group_x": ("sim_ties", "time", "status", ["group", "x"], None),
    "ties_group_x_strata": ("sim_ties", "time", "status", ["group", "x"], "strat"),
    "aml_x": ("aml", "time", "status", ["x"], None),
    # a fraction-scale covariate with a true coefficient of 15: large, yet estimable
    "frac_large_coef": ("sim_frac", "time", "status", ["frac", "grp"], None),
}


COX_REFERENCE = {"efron": "coxph", "breslow": "coxph_breslow"}


@pytest.mark.parametrize("ties", list(COX_REFERENCE))
@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_equals_r_coxph(case, ties, datasets):
    ds, t, e, covs, strata = COX_CASES[case]
    data = datasets[ds].dropna(subset=covs)  # R's na.omit
    got = cox(data, t, e, covs, strata=strata, ties=ties)
    # R 4.2.2, survival 3.5-3: summary(coxph(Surv(t, e) ~ covs [+ strata()], ties = <ties>))
    ref = _read(COX_REFERENCE[ties]).query("case == @case")
    assert list(got["term"]) == list(ref["term"])
    for col in ["coef", "std_error", "hr", "conf_low", "conf_high", "statistic"]:
        npt.assert_allclose(got[col], ref[col], rtol=RTOL, err_msg=col)
    assert_p_values(got["p_value"], ref["p_value"])
    assert (got["note"] == "").all()


@pytest.mark.parametrize("ties", list(COX_REFERENCE))
@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_log_partial_likelihood_equals_r_coxph(case, ties, datasets):
    ds, t, e, covs, strata = COX_CASES[case]
    data = datasets[ds].dropna(subset=covs)
    fit = fit_cox(data, t, e, covs, strata=strata, ties=ties)
    # R 4.2.2, survival 3.5-3: coxph(..., ties = <ties>)$loglik (null, fitted)
    ref = _read("coxph_loglik").query("case == @case and ties == @ties").iloc[0]
    npt.assert_allclose([fit.loglik_null, fit.loglik], [ref["loglik_null"], ref["loglik"]], rtol=1e-10)
    assert fit.converged and fit.ties == ties


def test_breslow_and_efron_differ_under_ties_and_agree_without(datasets):
    ties_data = datasets["sim_ties"]
    efron = cox(ties_data, "time", "status", ["group", "x"])
    breslow = cox(ties_data, "time", "status", ["group", "x"], ties="breslow")
    assert np.abs(efron["coef"] - breslow["coef"]).max() > 1e-3  # heavy ties: the methods differ
    distinct = datasets["sim_frac"].drop_duplicates("time")
    pd.testing.assert_frame_equal(
        cox(distinct, "time", "status", ["frac", "grp"]),
        cox(distinct, "time", "status", ["frac", "grp"], ties="breslow"),
        rtol=1e-10,
    )


def test_cox_with_interaction_equals_r_coxph():
    sub = _read("sim_subgroup").dropna(subset=["diag"])
    sub = sub.assign(relapse=(sub["status"] == 1).astype(int))
    got = cox(sub, "time", "relapse", ["arm", "diag"], interactions=[("arm", "diag")])
    # R: coxph(Surv(time, status == 1) ~ arm * diag, ties = "efron")
    ref = _read("coxph").query("case == 'subgroup_arm_diag'")
    assert list(got["term"]) == list(ref["term"])
    npt.assert_allclose(got["coef"], ref["coef"], rtol=RTOL)
    npt.assert_allclose(got["std_error"], ref["std_error"], rtol=RTOL)


def test_cox_numeric_by_factor_interaction_equals_r_coxph(datasets):
    data = datasets["sim_frac"]
    # in group b no patient with lines == 1 has an event: the product column is 1 exactly on
    # event-free rows, which is no empty factor cell and must not be set aside
    assert data.query("grp == 'b' and lines == 1")["status"].sum() == 0
    got = cox(data, "time", "status", ["lines", "grp"], interactions=[("lines", "grp")])
    # R 4.2.2, survival 3.5-3: summary(coxph(Surv(time, status) ~ lines * grp, ties = "efron"))
    ref = _read("coxph").query("case == 'lines_by_grp'")
    assert list(got["term"]) == list(ref["term"]) == ["lines", "grp[b]", "lines:grp[b]"]
    for col in ["coef", "std_error", "hr", "conf_low", "conf_high", "statistic"]:
        npt.assert_allclose(got[col], ref[col], rtol=RTOL, err_msg=col)
    assert_p_values(got["p_value"], ref["p_value"])
    assert (got["note"] == "").all()


def test_cox_group_without_events_is_not_estimable(datasets):
    got = cox(datasets["sim_noevents"], "time", "status", ["arm", "x"]).set_index("term")
    # R's coxph returns coef ~ -20 with "coefficient may be infinite": never report that
    assert np.isnan(got.loc["arm[Sorafenib]", "hr"])
    assert got.loc["arm[Sorafenib]", "note"].startswith("not estimable: no events in level")
    # the other term is the limit fit without the event-free arm
    alone = cox(datasets["sim_noevents"].query("arm == 'Control'"), "time", "status", ["x"])
    npt.assert_allclose(got.loc["x", "coef"], alone["coef"].iloc[0], rtol=1e-10)


def test_cox_reference_level_without_events_is_not_estimable(datasets):
    data = datasets["sim_noevents"].assign(arm=lambda d: d["arm"].map({"Control": "B", "Sorafenib": "A"}))
    got = cox(data, "time", "status", ["arm"])
    assert got["hr"].isna().all()
    assert got["note"].iloc[0].startswith("not estimable: no events in reference level 'A'")


def test_cox_refuses_unknown_ties(datasets):
    with pytest.raises(ValueError, match=r"ties='exact'; expected one of \('efron', 'breslow'\)"):
        cox(datasets["aml"], "time", "status", ["x"], ties="exact")


ZPH_REFERENCE = {"efron": "cox_zph", "breslow": "cox_zph_breslow"}


@pytest.mark.parametrize("ties", list(ZPH_REFERENCE))
@pytest.mark.parametrize("case", list(COX_CASES))
def test_cox_ph_test_equals_r_cox_zph(case, ties, datasets):
    ds, t, e, covs, strata = COX_CASES[case]
    data = datasets[ds].dropna(subset=covs)
    got = cox_ph_test(data, t, e, covs, strata=strata, ties=ties)
    # R 4.2.2, survival 3.5-3: cox.zph(fit)$table (transform = "km", terms = TRUE), fit with <ties>
    ref = _read(ZPH_REFERENCE[ties]).query("case == @case")
    assert list(got["term"]) == list(ref["term"])
    npt.assert_allclose(got["statistic"], ref["statistic"], rtol=RTOL)
    npt.assert_array_equal(got["df"], ref["df"])
    assert_p_values(got["p_value"], ref["p_value"])


def test_cox_ph_test_with_interaction_equals_r_cox_zph():
    sub = _read("sim_subgroup").dropna(subset=["diag"])
    sub = sub.assign(relapse=(sub["status"] == 1).astype(int))
    got = cox_ph_test(sub, "time", "relapse", ["arm", "diag"], interactions=[("arm", "diag")])
    ref = _read("cox_zph").query("case == 'subgroup_arm_diag'")
    assert list(got["term"]) == list(ref["term"])
    npt.assert_allclose(got["statistic"], ref["statistic"], rtol=RTOL)


def test_lifelines_proportional_hazard_test_is_not_r_3_cox_zph(datasets):
    """Why cox_ph_test is written here: lifelines computes the pre-3.0 approximation."""
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    d = datasets["myeloid"][["futime", "death", "trt", "sex"]]
    d = pd.get_dummies(d, drop_first=True, dtype=float)
    fit = CoxPHFitter().fit(d, "futime", "death")
    ll = proportional_hazard_test(fit, d, time_transform="km").summary
    # R 4.2.2, survival 3.5-3: cox.zph(coxph(Surv(futime, death) ~ trt + sex))$table["trt", "chisq"]
    r_trt = 0.49295934755859017
    assert abs(ll.loc["trt_B", "test_statistic"] - r_trt) > 0.1


# --------------------------------------------------------------------------- invariants
@st.composite
def survival_data(draw):
    n = draw(st.integers(min_value=2, max_value=40))
    times = draw(st.lists(st.integers(min_value=0, max_value=12), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(min_value=0, max_value=1), min_size=n, max_size=n))
    groups = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return pd.DataFrame({"time": np.array(times, float), "status": events, "group": groups})


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(survival_data())
def test_kaplan_meier_is_non_increasing_within_zero_one(data):
    got = kaplan_meier(data, "time", "status", "group")
    assert got["estimate"].between(0, 1).all()
    for _, curve in got.groupby("group", observed=True):
        assert (np.diff(curve["estimate"].to_numpy()) <= 1e-15).all()
    lo, hi = got["conf_low"].dropna(), got["conf_high"].dropna()
    assert lo.between(0, 1).all() and hi.between(0, 1).all()


@settings(max_examples=40, deadline=None, derandomize=True)
@given(survival_data(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, rnd):
    shuffled = data.sample(frac=1.0, random_state=rnd.randint(0, 2**31 - 1))
    pd.testing.assert_frame_equal(
        kaplan_meier(shuffled, "time", "status", "group"),
        kaplan_meier(data, "time", "status", "group"),
    )
    if data["group"].nunique() > 1:
        pd.testing.assert_frame_equal(
            logrank_test(shuffled, "time", "status", "group"),
            logrank_test(data, "time", "status", "group"),
        )


@settings(max_examples=40, deadline=None, derandomize=True)
@given(survival_data())
def test_logrank_is_invariant_to_group_relabelling(data):
    assume(data["group"].nunique() >= 2)
    relabelled = data.assign(group=data["group"].map({"a": "z", "b": "a", "c": "m"}))
    a = logrank_test(data, "time", "status", "group")
    b = logrank_test(relabelled, "time", "status", "group")
    npt.assert_allclose(b["statistic"], a["statistic"], rtol=1e-9, atol=1e-12)
    npt.assert_array_equal(b["df"], a["df"])


def test_cox_row_order_does_not_matter(datasets):
    lung = datasets["lung"].dropna(subset=["ph_ecog"])
    a = cox(lung, "time", "status", ["age", "sex", "ph_ecog"])
    b = cox(lung.iloc[::-1], "time", "status", ["age", "sex", "ph_ecog"])
    npt.assert_allclose(b["coef"], a["coef"], rtol=1e-9)


def test_cox_interaction_cell_without_events_is_not_estimable():
    sub = _read("sim_subgroup")
    sub = sub.assign(relapse=(sub["status"] == 1).astype(int))
    got = cox(sub, "time", "relapse", ["arm", "risk"], interactions=[("arm", "risk")])
    got = got.set_index("term")
    cell = "arm[Sorafenib maintenance]:risk[rare]"
    assert np.isnan(got.loc[cell, "hr"])
    assert got.loc[cell, "note"].startswith("not estimable: no events among patients with")
    assert got.drop(index=cell)["hr"].notna().all()


def test_cox_without_finite_maximum_reports_nan_not_a_huge_hazard_ratio():
    # the patient with the largest x always fails first: monotone likelihood in x
    data = pd.DataFrame(
        {
            "time": np.arange(1.0, 21.0),
            "status": [1] * 10 + [0] * 10,
            "x": -np.arange(1.0, 21.0),
        }
    )
    got = cox(data, "time", "status", ["x"])
    assert got["hr"].isna().all()
    assert got["note"].iloc[0].startswith("not estimable")


# --------------------------------------------------------------------------- shared rules
def test_one_level_order_and_one_single_group_label_across_helpers():
    from helpers.stats.competing_risks import cumulative_incidence, fine_gray

    # categorical order, not sorted; unused categories dropped by survival and Cox alike
    arm = pd.Categorical(["z", "a", "z", "a", "z", "a", "z", "a"], categories=["z", "a"])
    data = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "status": [1, 1, 0, 1, 1, 0, 1, 1], "arm": arm})
    assert list(kaplan_meier(data, "time", "status", "arm")["group"].unique()) == ["z", "a"]
    assert list(cumulative_incidence(data, "time", "status", "arm")["group"].unique()) == ["z", "a"]
    assert list(cox(data, "time", "status", ["arm"])["term"]) == ["arm[a]"]
    assert fine_gray(data, "time", "status", ["arm"]).terms == ("arm[a]",)
    # one label for the single group
    assert set(kaplan_meier(data, "time", "status")["group"]) == {"Overall"}
    assert set(cumulative_incidence(data, "time", "status")["group"].astype(str)) == {"Overall"}


def test_non_frame_and_missing_columns_raise_the_same_errors_everywhere():
    from helpers.stats.competing_risks import cumulative_incidence, gray_test

    calls = [
        lambda d: kaplan_meier(d, "time", "status", "arm"),
        lambda d: logrank_test(d, "time", "status", "arm"),
        lambda d: cumulative_incidence(d, "time", "status", "arm"),
        lambda d: gray_test(d, "time", "status", "arm"),
    ]
    data = pd.DataFrame({"time": [1.0, 2.0], "status": [1, 0]})
    for call in calls:
        with pytest.raises(TypeError, match="data is a dict; expected a pandas DataFrame"):
            call(data.to_dict())
        with pytest.raises(ValueError, match=r"group_col='arm' is not a column of data"):
            call(data)


# --------------------------------------------------------------------------- one result shape
def test_cox_accepts_the_formula_strings_fine_gray_accepts(datasets):
    sub = _read("sim_subgroup").dropna(subset=["diag"])
    sub = sub.assign(relapse=(sub["status"] == 1).astype(int))
    lists = cox(sub, "time", "relapse", ["arm", "diag"], interactions=[("arm", "diag")])
    for formula in ("arm + diag + arm:diag", "arm*diag"):
        pd.testing.assert_frame_equal(cox(sub, "time", "relapse", formula), lists)


def test_cox_and_fine_gray_results_have_one_shape(datasets):
    from dataclasses import FrozenInstanceError, fields

    from helpers.stats.competing_risks import fine_gray

    data = datasets["sim_ties"]
    cx = fit_cox(data, "time", "status", ["group", "x"])
    fg = fine_gray(data, "time", "status", ["group", "x"])
    shared = {
        "summary",
        "terms",
        "coef",
        "vcov",
        "term_sources",
        "conf_level",
        "loglik",
        "loglik_null",
        "n_iter",
        "converged",
        "n",
        "n_events",
        "infinite_terms",
    }
    for fit in (cx, fg):
        assert shared <= {f.name for f in fields(fit)}
        assert fit.terms == ("group[B]", "group[C]", "x")
        assert list(fit.coef.index) == list(fit.terms) == list(fit.vcov.columns)
        assert list(fit.summary["term"]) == list(fit.terms)
        assert fit.columns_of("group") == ["group[B]", "group[C]"]
        assert fit.wald_test("group")["df"] == fit.wald_test(["group[B]", "group[C]"])["df"] == 2
        with pytest.raises(FrozenInstanceError):
            fit.converged = False  # type: ignore[misc]
    # with no competing event (codes 0/1) Fine-Gray is Cox with Breslow ties
    breslow = fit_cox(data, "time", "status", ["group", "x"], ties="breslow")
    npt.assert_allclose(fg.coef, breslow.coef, rtol=1e-6)


def test_cox_wald_test_of_one_term_is_the_squared_z(datasets):
    fit = fit_cox(datasets["sim_ties"], "time", "status", ["group", "x"])
    row = fit.summary.set_index("term").loc["x"]
    got = fit.wald_test("x")
    npt.assert_allclose(got["statistic"], row["statistic"] ** 2, rtol=1e-12)
    npt.assert_allclose(got["p_value"], row["p_value"], rtol=1e-10)
    with pytest.raises(ValueError, match="neither a term nor a covariate"):
        fit.wald_test("NOPE")
    with pytest.raises(ValueError, match="robust=True"):
        fit.wald_test("x", robust=True)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(survival_data(), st.sampled_from(["efron", "breslow"]))
def test_cox_is_invariant_to_row_order_and_to_shifting_a_covariate(data, ties):
    data = data.assign(x=np.round(np.sin(np.arange(len(data)) * 1.7), 3))
    assume(data["status"].sum() >= 2 and data["x"].nunique() >= 3)
    fit = fit_cox(data, "time", "status", ["x"], ties=ties)
    assume(fit.converged)  # a monotone likelihood in a small draw has no estimate to compare
    shuffled = fit_cox(data.iloc[::-1], "time", "status", ["x"], ties=ties)
    shifted = fit_cox(data.assign(x=data["x"] + 100.0), "time", "status", ["x"], ties=ties)
    for other in (shuffled, shifted):
        assert other.converged
        npt.assert_allclose(other.coef, fit.coef, rtol=1e-7, atol=1e-10)
        npt.assert_allclose(other.loglik, fit.loglik, rtol=1e-9)
