"""Tests for helpers.stats.competing_risks.fine_gray against cmprsk::crr.

Reference values: tests/reference/fine_gray.R (R 4.2.2, survival 3.5-3, cmprsk 2.2-11) wrote
the data sets and crr's results into tests/reference/fine_gray/*.json; these tests read them
and never call R.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers.stats.competing_risks import ConvergenceWarning, FineGrayConvergenceWarning, FineGrayResult, fine_gray

REF = Path(__file__).parent / "reference" / "fine_gray"
# p-values relatively, as every other number: an absolute 1e-4 would accept any p below 1e-4
P_RTOL = 1e-6
CASES = sorted(p.stem for p in REF.glob("*.json") if "case" in json.loads(p.read_text()))


def load_case(name: str) -> tuple[dict, pd.DataFrame]:
    ref = json.loads((REF / f"{name}.json").read_text())
    return ref, pd.read_csv(REF / ref["data"])


def fit_case(ref: dict, data: pd.DataFrame) -> FineGrayResult:
    return fine_gray(
        data,
        ref["duration_col"],
        ref["event_col"],
        ref["covariates"] if isinstance(ref["covariates"], list) else [ref["covariates"]],
        cause=ref["cause"],
        cengroup_col=ref["cengroup_col"],
        interactions=[tuple(ia) for ia in ref["interactions"]],
        tol=ref["gtol"],
        max_iter=ref["maxiter"],
    )


# ---------------------------------------------------------------------------------------------
# Agreement with cmprsk::crr
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
def test_fine_gray_matches_crr_coefficients_and_robust_standard_errors(case: str) -> None:
    ref, data = load_case(case)
    fit = fit_case(ref, data)
    # R 4.2.2, cmprsk 2.2-11: crr(ftime, fstatus, cov1, failcode, cencode = 0, gtol, maxiter)
    # $coef and sqrt(diag($var)), stored by tests/reference/fine_gray.R in <case>.json
    assert list(fit.terms) == (ref["terms"] if isinstance(ref["terms"], list) else [ref["terms"]])
    npt.assert_allclose(fit.coef, np.atleast_1d(ref["coef"]), rtol=1e-6)
    npt.assert_allclose(fit.summary["std_error"], np.atleast_1d(ref["std_error"]), rtol=1e-6)
    # 2 * pnorm(-abs(coef / se)), as summary.crr
    npt.assert_allclose(fit.summary["p_value"], np.atleast_1d(ref["p_value"]), rtol=P_RTOL, atol=1e-300)
    assert fit.converged == ref["converged"]
    assert fit.n == ref["n"] and fit.n_events == ref["n_events"]


@pytest.mark.parametrize("case", CASES)
def test_fine_gray_matches_crr_variance_matrices_and_loglik(case: str) -> None:
    ref, data = load_case(case)
    fit = fit_case(ref, data)
    p = len(fit.terms)
    # R 4.2.2, cmprsk 2.2-11: crr(...)$var, $inf, $invinf, $loglik, $loglik.null
    npt.assert_allclose(fit.var, np.reshape(ref["var"], (p, p)), rtol=1e-6)
    npt.assert_allclose(fit.information, np.reshape(ref["inf"], (p, p)), rtol=1e-6)
    npt.assert_allclose(fit.var_naive, np.reshape(ref["invinf"], (p, p)), rtol=1e-6)
    npt.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-6)
    npt.assert_allclose(fit.loglik_null, ref["loglik_null"], rtol=1e-6)


def test_fine_gray_with_crr_defaults_stops_at_crrs_iterate() -> None:
    ref, data = load_case("sim_ties_crr_defaults")
    converged_ref, _ = load_case("sim_ties")
    fit = fine_gray(data, "time", "status", ["ARM", "AGE"], tol=1e-6, max_iter=10)
    # R 4.2.2, cmprsk 2.2-11: crr(time, status, cov1) with gtol = 1e-6, maxiter = 10 (defaults);
    # the same Newton path, so the same iterate to rounding error, not only to 1e-6
    npt.assert_allclose(fit.coef, ref["coef"], rtol=1e-10)
    npt.assert_allclose(fit.var, ref["var"], rtol=1e-10)
    # ... which is one step short of the converged value (gtol = 1e-9)
    assert np.max(np.abs(fit.coef / np.asarray(converged_ref["coef"]) - 1)) > 1e-6


def test_tiny_data_written_out_matches_crr() -> None:
    data = pd.read_csv(
        io.StringIO(
            """\
time,status,x
1,1,0
2,2,1
2,0,0
3,1,1
4,0,1
4,1,0
5,2,1
6,1,0
7,0,1
8,1,0
9,2,0
10,0,1
"""
        )
    )
    fit = fine_gray(data, "time", "status", ["x"])
    # R 4.2.2, cmprsk 2.2-11: crr(time, status, x) (gtol = 1e-9, maxiter = 50), tiny.json
    expected = pd.DataFrame(
        {
            "term": ["x"],
            "coef": [-1.5890273188858395],
            "std_error": [1.0601236449631819],
            "p_value": [0.1338976214955368],
        }
    )
    pd.testing.assert_frame_equal(fit.summary[["term", "coef", "std_error", "p_value"]], expected, rtol=1e-6)
    npt.assert_allclose(fit.loglik, -9.0624235319916107, rtol=1e-6)
    npt.assert_allclose(fit.var_naive, [[1.2531428499725805]], rtol=1e-6)
    assert (fit.n, fit.n_events, fit.n_competing, fit.n_censored) == (12, 5, 3, 4)


@pytest.mark.parametrize("case", ["sim_interaction", "myeloid_interaction"])
def test_wald_test_of_interaction_matches_r(case: str) -> None:
    ref, data = load_case(case)
    fit = fit_case(ref, data)
    wald = ref["wald_interaction"]
    ia = ref["interactions"][0]
    # R 4.2.2: t(b) %*% solve(fit$var[i, i], b), pchisq(stat, df, lower.tail = FALSE), i = product terms
    for got in (
        fit.wald_test(wald["terms"] if isinstance(wald["terms"], list) else [wald["terms"]]),
        fit.wald_test(f"{ia[0]}:{ia[1]}"),
    ):
        npt.assert_allclose(got["statistic"], wald["statistic"], rtol=1e-6)
        assert got["df"] == wald["df"]
        npt.assert_allclose(got["p_value"], wald["p_value"], rtol=P_RTOL, atol=1e-300)


def test_wald_test_of_one_term_is_the_squared_z() -> None:
    ref, data = load_case("sim_categorical")
    fit = fit_case(ref, data)
    got = fit.wald_test("SCORE")
    npt.assert_allclose(got["statistic"], fit.summary["statistic"].iloc[2] ** 2, rtol=1e-12)
    npt.assert_allclose(got["p_value"], fit.summary["p_value"].iloc[2], rtol=1e-10)
    assert fit.wald_test("DONORTYP")["df"] == 2
    with pytest.raises(ValueError, match="neither a term nor a covariate"):
        fit.wald_test("NOPE")


# ---------------------------------------------------------------------------------------------
# No competing events: the Fine-Gray model is Cox's model with Breslow ties
# ---------------------------------------------------------------------------------------------
def test_without_competing_events_fine_gray_equals_coxph_breslow_with_ties() -> None:
    ref = json.loads((REF / "sim_no_competing_coxph.json").read_text())
    data = pd.read_csv(REF / "sim_no_competing.csv")
    fit = fine_gray(data, "time", "status", ["X"])
    # R 4.2.2, survival 3.5-3: coxph(Surv(time, status == 1) ~ X, ties = "breslow", robust = TRUE)
    npt.assert_allclose(fit.coef, ref["coef"], rtol=1e-6)
    npt.assert_allclose(fit.var_naive.ravel(), np.ravel(ref["naive_var"]), rtol=1e-6)
    npt.assert_allclose(fit.var.ravel(), np.ravel(ref["robust_var"]), rtol=1e-6)
    npt.assert_allclose(fit.loglik, ref["loglik"], rtol=1e-6)


def test_without_competing_events_fine_gray_equals_scikit_survival_breslow_cox() -> None:
    from sksurv.linear_model import CoxPHSurvivalAnalysis
    from sksurv.util import Surv

    ref, data = load_case("sim_ties")
    data = data.assign(status=data["status"].replace({2: 0}))  # heavy ties, no competing events
    fit = fine_gray(data, "time", "status", ["ARM", "AGE"])
    x = np.column_stack([(data["ARM"] == "sorafenib").astype(float), data["AGE"]])
    cox = CoxPHSurvivalAnalysis(ties="breslow", tol=1e-12).fit(x, Surv.from_arrays(data["status"] == 1, data["time"]))
    npt.assert_allclose(fit.coef, cox.coef_, rtol=1e-6)


cox_data = st.integers(min_value=8, max_value=40).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(0.5, 100, allow_nan=False), min_size=n, max_size=n, unique=True),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.floats(-2, 2, allow_nan=False), min_size=n, max_size=n),
    )
)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
@given(cox_data)
def test_without_competing_events_fine_gray_equals_breslow_cox(drawn) -> None:
    from helpers.stats.survival import fit_cox

    times, events, x = drawn
    data = pd.DataFrame({"time": times, "status": np.asarray(events, dtype=int), "x": np.round(x, 3)})
    # need events and a covariate that varies
    assume(data["status"].sum() >= 3 and data["x"].nunique() >= 3)
    fit = _fit_or_reject(data, ["x"])
    cox = fit_cox(data, "time", "status", ["x"], ties="breslow")
    assert cox.converged
    npt.assert_allclose(fit.coef, cox.coef, rtol=1e-6, atol=1e-9)
    npt.assert_allclose(fit.var_naive, cox.vcov, rtol=1e-6)
    npt.assert_allclose(fit.loglik, cox.loglik, rtol=1e-9)
    # The robust variance is not compared with lifelines' robust=True: on small data it can
    # differ from survival::coxph(robust = TRUE) (e.g. 4.30 against 24.86 for coxph and crr
    # on a 12-patient case found by hypothesis); the coxph reference test above covers it.


def test_coefficient_near_zero_without_competing_events_equals_coxph_breslow() -> None:
    # the case hypothesis found above, written out: one patient per line
    data = pd.DataFrame(
        [
            (8.0, 0, 0.484),
            (9.0, 0, -1.672),
            (6.0, 1, -0.469),
            (4.0, 1, 0.0),
            (7.0, 1, 0.438),
            (5.0, 1, -0.094),
            (0.5, 0, 0.0),
            (2.0, 1, -0.938),
            (3.0, 0, 0.625),
            (10.0, 0, -1.094),
            (11.0, 0, 1.531),
            (1.0, 0, 0.0),
            (12.0, 0, -0.922),
        ],
        columns=["time", "status", "x"],
    )
    fit = fine_gray(data, "time", "status", ["x"])
    # R 4.2.2, survival 3.5-3: coxph(Surv(time, status) ~ x, ties = "breslow",
    #   control = coxph.control(eps = 1e-14)); coef(fit), vcov(fit)
    npt.assert_allclose(fit.coef, [0.000557722239459794], rtol=1e-6)
    npt.assert_allclose(fit.var_naive, [[0.206643853779804]], rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------------------------
cr_data = st.integers(min_value=15, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 12), min_size=n, max_size=n),
        st.lists(st.sampled_from([0, 1, 1, 2]), min_size=n, max_size=n),
        st.lists(st.integers(-3, 3), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n),
        st.randoms(use_true_random=False),
    )
)


def _fit_or_reject(data: pd.DataFrame, covariates=("x", "g")) -> FineGrayResult:
    """The fit, or hypothesis rejects the draw: separation (a ConvergenceWarning), or a
    covariate constant or aliased in a small draw.  Any other error fails the test."""
    assume((data["status"] == 1).any())  # an event of the cause to model
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            return fine_gray(data, "time", "status", list(covariates))
        except ConvergenceWarning:
            assume(False)
        except ValueError as err:
            assume(not re.search(r"are constant|linearly dependent|single level", str(err)))
            raise
    raise AssertionError("unreachable")


def _refit(data: pd.DataFrame) -> FineGrayResult:
    """A refit of the same problem transformed: it must succeed (no rejection)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return fine_gray(data, "time", "status", ["x", "g"])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(cr_data)
def test_row_order_does_not_matter(drawn) -> None:
    times, status, x, g, rnd = drawn
    data = pd.DataFrame({"time": times, "status": status, "x": x, "g": g})
    fit = _fit_or_reject(data)
    perm = list(range(len(data)))
    rnd.shuffle(perm)
    other = _refit(data.iloc[perm])
    npt.assert_allclose(other.coef, fit.coef, rtol=1e-8, atol=1e-10)
    npt.assert_allclose(other.var, fit.var, rtol=1e-8, atol=1e-12)
    npt.assert_allclose(other.loglik, fit.loglik, rtol=1e-10)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(cr_data)
def test_increasing_transform_of_time_does_not_matter(drawn) -> None:
    times, status, x, g, _ = drawn
    data = pd.DataFrame({"time": times, "status": status, "x": x, "g": g})
    fit = _fit_or_reject(data)
    other = _refit(data.assign(time=3.0 * data["time"] ** 2 + 1.0))
    npt.assert_allclose(other.coef, fit.coef, rtol=1e-8, atol=1e-10)
    npt.assert_allclose(other.var, fit.var, rtol=1e-8, atol=1e-12)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(cr_data)
def test_shifting_a_covariate_changes_nothing_but_its_mean(drawn) -> None:
    times, status, x, g, _ = drawn
    data = pd.DataFrame({"time": times, "status": status, "x": x, "g": g})
    fit = _fit_or_reject(data)
    other = _refit(data.assign(x=data["x"] + 1000.0))
    npt.assert_allclose(other.coef, fit.coef, rtol=1e-7, atol=1e-10)
    npt.assert_allclose(other.loglik, fit.loglik, rtol=1e-9)


def test_one_censoring_group_equals_no_cengroup() -> None:
    ref, data = load_case("sim_categorical")
    fit = fit_case(ref, data)
    other = fine_gray(data.assign(c="all"), "time", "status", ["DONORTYP", "SCORE"], cengroup_col="c")
    npt.assert_allclose(other.coef, fit.coef, rtol=1e-12)
    npt.assert_allclose(other.var, fit.var, rtol=1e-10)


def test_cause_two_swaps_the_roles_of_the_causes() -> None:
    ref, data = load_case("bmt_cause2")
    swapped = data.assign(status=data["status"].replace({1: 2, 2: 1}))
    a = fine_gray(data, "ftime", "status", ["dis"], cause=2)
    b = fine_gray(swapped, "ftime", "status", ["dis"], cause=1)
    npt.assert_allclose(a.coef, b.coef, rtol=1e-12)
    # R 4.2.2, cmprsk 2.2-11: crr(ftime, status, dis, failcode = 2)$coef (bmt_cause2.json)
    npt.assert_allclose(a.coef, np.atleast_1d(ref["coef"]), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Covariate coding and the result frame
# ---------------------------------------------------------------------------------------------
def test_summary_is_a_tidy_frame_with_hazard_ratio_intervals() -> None:
    ref, data = load_case("sim_categorical")
    fit = fit_case(ref, data)
    s = fit.summary
    assert list(s.columns) == [
        "term",
        "coef",
        "std_error",
        "hr",
        "conf_low",
        "conf_high",
        "statistic",
        "p_value",
        "note",
    ]
    assert (s["note"] == "").all()  # empty when estimable, as cox's note
    npt.assert_allclose(s["hr"], np.exp(s["coef"]))
    npt.assert_allclose(s["conf_low"], np.exp(s["coef"] - 1.959963984540054 * s["std_error"]))
    npt.assert_allclose(s["statistic"], s["coef"] / s["std_error"])
    narrow = fine_gray(data, "time", "status", ["DONORTYP", "SCORE"], conf_level=0.5)
    assert (narrow.summary["conf_low"] > s["conf_low"]).all()


def test_naive_standard_errors_when_robust_is_false() -> None:
    ref, data = load_case("myeloid")
    fit = fine_gray(data, "relapse_time", "relapse_status", ["trt", "sex"], robust=False)
    # R 4.2.2, cmprsk 2.2-11: sqrt(diag(crr(...)$invinf)) (myeloid.json)
    npt.assert_allclose(fit.summary["std_error"], np.sqrt(np.diag(np.asarray(ref["invinf"]))), rtol=1e-6)


def test_categorical_dtype_sets_the_reference_level() -> None:
    ref, data = load_case("sim_categorical")
    data["DONORTYP"] = pd.Categorical(data["DONORTYP"], categories=["MRD", "HAPLO", "MUD"])
    fit = fine_gray(data, "time", "status", ["DONORTYP", "SCORE"])
    assert fit.terms == ("DONORTYP[HAPLO]", "DONORTYP[MUD]", "SCORE")
    # reference HAPLO -> MRD: coef(HAPLO vs MRD) = -coef(MRD vs HAPLO) of crr's fit
    npt.assert_allclose(fit.coef["DONORTYP[HAPLO]"], -ref["coef"][0], rtol=1e-6)
    npt.assert_allclose(fit.coef["DONORTYP[MUD]"], ref["coef"][1] - ref["coef"][0], rtol=1e-6)


def test_formula_string_gives_the_same_fit_as_lists() -> None:
    ref, data = load_case("sim_interaction")
    fit = fit_case(ref, data)
    for formula in ("ARM + DIAG + ARM:DIAG", "ARM*DIAG", "C(ARM) + C(DIAG) + C(ARM):C(DIAG)"):
        other = fine_gray(data, "time", "status", formula)
        assert other.terms == fit.terms
        npt.assert_allclose(other.coef, fit.coef, rtol=1e-12)


def test_c_forces_a_numeric_column_to_be_categorical() -> None:
    data = pd.read_csv(REF / "bmt.csv")
    fit = fine_gray(data, "ftime", "status", "C(dis)")
    assert fit.terms == ("dis[1]",)
    npt.assert_allclose(fit.coef, fine_gray(data, "ftime", "status", ["dis"]).coef, rtol=1e-12)


def test_bool_covariate_enters_as_zero_one() -> None:
    data = pd.read_csv(REF / "bmt.csv")
    fit = fine_gray(data.assign(dis=data["dis"] == 1), "ftime", "status", ["dis"])
    ref, _ = load_case("bmt")
    # R 4.2.2, cmprsk 2.2-11: crr(ftime, status, dis, gtol = 1e-9)$coef, stored in bmt.json
    npt.assert_allclose(fit.coef, np.atleast_1d(ref["coef"]), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Errors and non-convergence
# ---------------------------------------------------------------------------------------------
def test_missing_covariates_raise_naming_column_and_count() -> None:
    data = pd.read_csv(REF / "sim_categorical.csv")
    data.loc[[3, 7, 11], "SCORE"] = np.nan
    with pytest.raises(ValueError, match=r"'SCORE' \(3 rows\).*dropna=True"):
        fine_gray(data, "time", "status", ["DONORTYP", "SCORE"])


def test_dropna_drops_incomplete_rows_like_crr_na_omit() -> None:
    data = pd.read_csv(REF / "sim_categorical.csv")
    data.loc[[3, 7, 11], "SCORE"] = np.nan
    fit = fine_gray(data, "time", "status", ["DONORTYP", "SCORE"], dropna=True)
    complete = fine_gray(data.dropna(), "time", "status", ["DONORTYP", "SCORE"])
    assert fit.n_dropped == 3 and fit.n == len(data) - 3
    npt.assert_allclose(fit.coef, complete.coef, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"covariates": ["NOPE"]}, "covariates='NOPE' is not a column"),
        ({"cause": 3}, "cause=3 has no events"),
        ({"covariates": []}, "covariates is empty"),
        ({"conf_level": 95}, "conf_level=95"),
    ],
)
def test_invalid_arguments_raise_clear_errors(kwargs: dict, message: str) -> None:
    data = pd.read_csv(REF / "sim_categorical.csv")
    args = {"covariates": ["DONORTYP", "SCORE"]} | kwargs
    with pytest.raises(ValueError, match=message):
        fine_gray(data, "time", "status", **args)


def test_negative_times_and_unknown_codes_raise() -> None:
    data = pd.read_csv(REF / "bmt.csv")
    with pytest.raises(ValueError, match=r"negative time\(s\)"):
        fine_gray(data.assign(ftime=data["ftime"] - 1), "ftime", "status", ["dis"])
    with pytest.raises(ValueError, match="event_col='status' holds codes"):
        fine_gray(data.assign(status=data["status"] - 0.5), "ftime", "status", ["dis"])


def test_constant_and_aliased_terms_raise() -> None:
    data = pd.read_csv(REF / "sim_categorical.csv")
    with pytest.raises(ValueError, match=r"terms \['ONE'\] are constant"):
        fine_gray(data.assign(ONE=1.0), "time", "status", ["SCORE", "ONE"])
    with pytest.raises(ValueError, match="linearly dependent"):
        fine_gray(data.assign(S2=2 * data["SCORE"] + 1), "time", "status", ["SCORE", "S2"])


def test_level_without_events_of_the_cause_warns_and_reports_no_inference() -> None:
    data = pd.read_csv(REF / "sim_categorical.csv")
    data.loc[(data["DONORTYP"] == "MUD") & (data["status"] == 1), "status"] = 2
    # one warning class for every fit (subgroups filters by class, never by the message)
    with pytest.warns(ConvergenceWarning, match=r"DONORTYP\[MUD\].*infinity"):
        fit = fine_gray(data, "time", "status", ["DONORTYP", "SCORE"])
    assert not fit.converged
    assert fit.infinite_terms == ("DONORTYP[MUD]",)
    row = fit.summary.set_index("term").loc["DONORTYP[MUD]"]
    numbers = ["coef", "std_error", "hr", "conf_low", "conf_high", "statistic", "p_value"]
    # no number at all, not an hr near 0 from wherever the iteration stopped
    assert np.isnan(row[numbers].astype(float)).all()
    assert row["note"].startswith("not estimable: coefficient drifts to +/- infinity")
    # the raw last iterate stays on the result object
    assert fit.coef["DONORTYP[MUD]"] < -10
    # the other terms keep their inference and an empty note
    assert fit.summary.set_index("term").loc["SCORE", "p_value"] < 1e-6
    assert fit.summary.set_index("term").loc["SCORE", "note"] == ""
    # a Wald test involving the infinite term is NaN, as survival's Wald tests
    for terms in ("DONORTYP", ["DONORTYP[MUD]", "SCORE"]):
        got = fit.wald_test(terms)
        assert np.isnan(got["statistic"]) and np.isnan(got["p_value"])
    assert fit.wald_test("SCORE")["p_value"] < 1e-6


def test_iteration_limit_warns_and_sets_converged_false() -> None:
    ref, data = load_case("sim_n1000")
    with pytest.warns(FineGrayConvergenceWarning, match="did not converge in 1"):
        fit = fine_gray(data, "time", "status", ["GROUP", "Z"], max_iter=1)
    assert not fit.converged and fit.n_iter == 1
    # a fit that stopped short reports no inference, and says why on every row
    numbers = ["coef", "std_error", "hr", "conf_low", "conf_high", "statistic", "p_value"]
    assert np.isnan(fit.summary[numbers].to_numpy(dtype=float)).all()
    assert fit.summary["note"].str.startswith("not estimable: Newton-Raphson did not converge in 1").all()
    assert np.isnan(fit.wald_test("Z")["p_value"])


def test_singular_information_is_reported_as_nan_with_a_note_not_linalgerror() -> None:
    # X varies only among patients censored before the first event: it is in no risk set,
    # carries no information, and Newton-Raphson cannot even take its first step
    data = pd.DataFrame(
        {
            "time": [1, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            "status": [0, 0, 1, 2, 1, 0, 1, 2, 1, 0],
            "X": [1.0, 2.0, 0, 0, 0, 0, 0, 0, 0, 0],
            "Z": [0.3, -1.2, 0.5, 1.1, -0.4, 0.9, -0.7, 0.2, 1.5, -0.1],
        }
    )
    with pytest.warns(FineGrayConvergenceWarning):
        fit = fine_gray(data, "time", "status", ["X", "Z"])
    assert not fit.converged
    assert np.isnan(fit.var_naive).all() and np.isnan(fit.var).all()
    assert np.isnan(fit.summary[["coef", "std_error", "p_value"]].to_numpy(dtype=float)).all()
    assert fit.summary["note"].str.startswith("not estimable").all()
    assert (fit.summary["note"] != "").all()
