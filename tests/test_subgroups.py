"""helpers.stats.subgroups against R 4.2.2 (survival 3.5-3 coxph, cmprsk 2.2-11 crr).

Reference values: ``tests/reference/survival.R`` -> ``tests/reference/survival/subgroups.csv``
(model fitted within each level; interaction p-value = Wald test of the arm:subgroup
coefficients of ``~ arm * subgroup``) and ``subgroup_counts.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from helpers.stats.subgroups import SUBGROUP_COLUMNS, subgroup_effects

REF = Path(__file__).parent / "reference" / "survival"
RTOL = 1e-6
P_RTOL = 1e-6  # p-values relative to R's (an absolute 1e-4 would accept any p below 1e-4)
SORAFENIB = "Sorafenib maintenance"


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REF / "sim_subgroup.csv")


@pytest.fixture(scope="module", params=["cox", "fine_gray"])
def effects(request, sim) -> tuple[str, pd.DataFrame]:
    got = subgroup_effects(sim, "time", "status", "arm", ["diag", "sex", "risk"], model=request.param)
    return request.param, got


def test_subgroup_effects_equal_r_within_level_fits(effects):
    model, got = effects
    # R 4.2.2: coxph(Surv(time, status == 1) ~ arm, subset) or
    # crr(time, status, model.matrix(~ arm)[, -1], gtol = 1e-12) within each level;
    # p_interaction from the Wald test of arm:sg in ~ arm * sg (crr: robust variance)
    ref = pd.read_csv(REF / "subgroups.csv").rename(columns={"estimate": "hr"}).query("case == @model")
    merged = ref.merge(got, on=["subgroup", "level"], suffixes=("_r", "_py"))
    assert len(merged) == len(ref)
    for col in ["hr", "conf_low", "conf_high"]:
        npt.assert_allclose(merged[f"{col}_py"], merged[f"{col}_r"], rtol=RTOL, err_msg=col)
    for col in ["p_value", "p_interaction"]:
        npt.assert_allclose(
            merged[f"{col}_py"], merged[f"{col}_r"], rtol=P_RTOL, atol=1e-300, equal_nan=True, err_msg=col
        )


def test_subgroup_counts_equal_r_aggregate(effects, sim):
    _, got = effects
    # R 4.2.2: aggregate(cbind(n, events = status == 1) ~ level + arm) per subgroup
    counts = pd.read_csv(REF / "subgroup_counts.csv")
    wide = counts.pivot_table(
        index=["subgroup", "level", "n_missing"], columns="arm", values=["n", "events"]
    ).reset_index()
    wide.columns = [
        "subgroup",
        "level",
        "n_missing",
        "events_reference",
        "events_comparator",
        "n_reference",
        "n_comparator",
    ]
    merged = wide.merge(got, on=["subgroup", "level"], suffixes=("_r", "_py"))
    assert len(merged) == len(wide) == len(got) - 1
    for col in ["n_reference", "n_comparator", "events_reference", "events_comparator", "n_missing"]:
        npt.assert_array_equal(merged[f"{col}_py"], merged[f"{col}_r"], err_msg=col)
    overall = got.iloc[0]
    assert (overall["subgroup"], overall["level"]) == ("Overall", "Overall")
    assert overall["n_total"] == len(sim)
    assert overall["events_reference"] + overall["events_comparator"] == (sim["status"] == 1).sum()


def test_subgroup_effects_columns_and_arm_labels(effects):
    _, got = effects
    assert list(got.columns) == SUBGROUP_COLUMNS
    assert set(got["reference_arm"]) == {"Control"}
    assert set(got["comparator_arm"]) == {SORAFENIB}
    npt.assert_array_equal(got["n_total"], got["n_reference"] + got["n_comparator"])


def test_missing_subgroup_values_are_counted_not_levelled(effects, sim):
    _, got = effects
    diag = got[got["subgroup"] == "diag"]
    assert "Missing" not in set(diag["level"]) and not diag["level"].isna().any()
    npt.assert_array_equal(diag["n_missing"], sim["diag"].isna().sum())  # 20 patients
    assert diag["n_total"].sum() + diag["n_missing"].iloc[0] == len(sim)


def test_level_without_events_in_one_arm_is_not_estimable(effects):
    _, got = effects
    rare = got[(got["subgroup"] == "risk") & (got["level"] == "rare")].iloc[0]
    assert rare["events_comparator"] == 0
    assert np.isnan([rare["hr"], rare["conf_low"], rare["conf_high"], rare["p_value"]]).all()
    assert rare["note"].startswith("not estimable: no events in one arm")
    # the interaction test is run without the rare level, and says so on every row
    risk = got[got["subgroup"] == "risk"]
    assert risk["p_interaction"].nunique() == 1
    assert risk["note"].str.contains(r"interaction test without level\(s\) \['rare'\]").all()


def test_interaction_without_a_non_estimable_level_equals_r_fit_without_it(effects):
    model, got = effects
    # R 4.2.2: coxph(Surv(time, status == 1) ~ arm * risk) or crr(..., model.matrix(~ arm *
    # risk)[, -1], gtol = 1e-12) on the patients with risk != "rare"; Wald test of arm:risk
    ref = (
        pd.read_csv(REF / "subgroups.csv")
        .rename(columns={"estimate": "hr"})
        .query("case == @model and subgroup == 'risk'")
    )
    assert sorted(ref["level"]) == ["high", "low"]
    risk = got[got["subgroup"] == "risk"].set_index("level")
    npt.assert_allclose(risk["p_interaction"], ref["p_interaction"].iloc[0], rtol=P_RTOL, atol=1e-300)
    merged = ref.merge(risk.reset_index(), on="level", suffixes=("_r", "_py"))
    for col in ["hr", "conf_low", "conf_high"]:
        npt.assert_allclose(merged[f"{col}_py"], merged[f"{col}_r"], rtol=RTOL, err_msg=col)


def test_p_interaction_is_repeated_on_every_row_of_a_subgroup(effects):
    _, got = effects
    per = got[got["subgroup"] != "Overall"].groupby("subgroup")["p_interaction"].nunique()
    assert (per == 1).all()
    assert np.isnan(got.iloc[0]["p_interaction"])


def test_reference_arm_swaps_the_hazard_ratio(sim):
    a = subgroup_effects(sim, "time", "status", "arm", ["sex"], model="cox")
    b = subgroup_effects(sim, "time", "status", "arm", ["sex"], model="cox", reference_arm=SORAFENIB)
    npt.assert_allclose(b["hr"], 1 / a["hr"], rtol=1e-8)
    npt.assert_allclose(b["conf_low"], 1 / a["conf_high"], rtol=1e-8)
    npt.assert_allclose(b["p_interaction"].iloc[1:], a["p_interaction"].iloc[1:], rtol=1e-6)
    npt.assert_array_equal(b["n_reference"], a["n_comparator"])


def test_row_order_does_not_matter(sim):
    a = subgroup_effects(sim, "time", "status", "arm", ["diag"], model="fine_gray")
    b = subgroup_effects(sim.iloc[::-1], "time", "status", "arm", ["diag"], model="fine_gray")
    pd.testing.assert_frame_equal(a, b, rtol=1e-8)


def test_three_arms_give_each_comparator_against_the_reference_on_its_two_arms(sim):
    three = sim.assign(arm=np.where(sim.index % 3 == 0, "Other", sim["arm"]))
    got = subgroup_effects(three, "time", "status", "arm", ["sex"], model="cox", reference_arm="Control")
    assert list(got.columns) == SUBGROUP_COLUMNS
    assert list(dict.fromkeys(got["comparator_arm"])) == ["Other", SORAFENIB]
    assert set(got["reference_arm"]) == {"Control"}
    for comparator in ("Other", SORAFENIB):
        pair = three[three["arm"].isin(["Control", comparator])]
        alone = subgroup_effects(pair, "time", "status", "arm", ["sex"], model="cox", reference_arm="Control")
        mine = got[got["comparator_arm"] == comparator].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone, rtol=1e-10)


def test_comparator_arms_choose_and_order_the_comparisons(sim):
    three = sim.assign(arm=np.where(sim.index % 3 == 0, "Other", sim["arm"]))
    got = subgroup_effects(
        three, "time", "status", "arm", ["sex"], model="cox", reference_arm="Control", comparator_arms=[SORAFENIB]
    )
    assert set(got["comparator_arm"]) == {SORAFENIB}
    with pytest.raises(ValueError, match=r"comparator_arms=\['Control'\]"):
        subgroup_effects(three, "time", "status", "arm", ["sex"], reference_arm="Control", comparator_arms=["Control"])


def test_subgroup_with_a_single_level_is_one_not_estimable_row(sim):
    got = subgroup_effects(sim.assign(one="A"), "time", "status", "arm", ["one"], model="cox")
    row = got[got["subgroup"] == "one"]
    assert len(row) == 1
    r = row.iloc[0]
    assert r["level"] == "A" and r["n_total"] == len(sim) and r["n_missing"] == 0
    assert np.isnan([r["hr"], r["conf_low"], r["p_value"], r["p_interaction"]]).all()
    assert r["note"] == "not estimable: one has a single level"


def test_subgroup_missing_for_every_patient_is_one_not_estimable_row_and_the_others_go_on(sim):
    got = subgroup_effects(sim.assign(gone=np.nan), "time", "status", "arm", ["gone", "sex"], model="fine_gray")
    gone = got[got["subgroup"] == "gone"]
    assert len(gone) == 1
    r = gone.iloc[0]
    assert (r["level"], r["n_total"], r["n_missing"]) == ("", 0, len(sim))
    assert r["note"] == "not estimable: gone is missing for every patient"
    assert np.isfinite(got.loc[got["subgroup"] == "sex", "hr"]).all()


def test_subgroup_effects_refuses_unknown_model(sim):
    with pytest.raises(ValueError, match=r"model='logistic'"):
        subgroup_effects(sim, "time", "status", "arm", ["sex"], model="logistic")


def test_subgroup_effects_refuses_unknown_reference_arm(sim):
    with pytest.raises(ValueError, match=r"reference_arm='Placebo'"):
        subgroup_effects(sim, "time", "status", "arm", ["sex"], reference_arm="Placebo")


@pytest.mark.parametrize("model", ["cox", "fine_gray"])
@pytest.mark.parametrize("bad", [-1, 1.5])
def test_subgroup_effects_refuses_event_codes_that_are_no_cause(sim, model, bad):
    # with model="cox" a -1 or 1.5 would otherwise be counted silently as censored
    data = sim.assign(status=sim["status"].astype(float))
    data.loc[3, "status"] = bad
    with pytest.raises(ValueError, match=r"event_col='status' holds codes \[" + str(bad).replace(".", r"\.")):
        subgroup_effects(data, "time", "status", "arm", ["sex"], model=model)


def test_subgroup_data_cuts_at_breaks_and_decodes_levels_in_the_study_order():
    from helpers.analysis.endpoints import subgroup_data
    from helpers.study import load_study

    three = load_study(Path(__file__).parent / "studies" / "three_arm.yaml")
    data = pd.DataFrame({"AGE": [49.9, 50, 70, None], "SEX": ["M", "F", None, "M"], "CONDINT": ["RIC"] * 4})
    got = subgroup_data(data, three)
    assert got["AGE"].astype(object).where(got["AGE"].notna(), None).tolist() == [
        "Under 50",
        "50 or older",
        "50 or older",
        None,
    ]
    assert list(got["AGE"].cat.categories) == ["Under 50", "50 or older"]
    assert list(got["SEX"].cat.categories) == ["Women", "Men"]  # the study's order, decoded
    assert got["SEX"].isna().sum() == 1
    assert list(got["CONDINT"].cat.categories) == ["Reduced"]  # unused levels dropped
    assert data["AGE"].iloc[0] == 49.9  # the input is not modified
