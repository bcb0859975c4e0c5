"""The study's planned design (helpers.analysis.design) against R rpact and the formulas, from the
study definition; the synthetic generator's expected events."""

import json
import math

import numpy.testing as npt
import pytest

from helpers import config
from helpers.analysis.design import LOOK_COLUMNS, SUMMARY_COLUMNS, planned_design
from helpers.study import Futility, Spending, load_study
from helpers.synthetic import expected_events

THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"
REF = json.loads((config.PROJECT_ROOT / "tests" / "reference" / "design" / "design.json").read_text())
GS = json.loads((config.PROJECT_ROOT / "tests" / "reference" / "group_sequential" / "designs.json").read_text())
GS = {d["id"]: d for d in GS["designs"]}


@pytest.fixture(scope="module")
def default():
    return planned_design(load_study())


def with_design(study, **changes):
    return study.model_copy(update={"design": study.design.model_copy(update=changes)})


def test_the_result_is_tidy(default):
    assert tuple(default.looks.columns) == LOOK_COLUMNS
    assert tuple(default.summary.columns) == SUMMARY_COLUMNS
    assert len(default.summary) == 1 and len(default.looks) == 2


def test_group_sequential_boundaries_match_rpact(default):
    # R 4.2.2, rpact 3.3.4: getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, sided = 1,
    #   typeOfDesign = "asOF", informationRates = c(0.5, 1))$criticalValues (tests/reference/design.R);
    # the study's two-sided 0.05 design: rpact sided = 2 (group_sequential.R, case two_of_2)
    npt.assert_allclose(default.looks["efficacy_z"], [REF["z_boundary_interim"], REF["z_boundary_final"]], atol=1e-5)
    npt.assert_allclose(default.looks["efficacy_z"], GS["two_of_2"]["criticalValues"], atol=1e-6)


def test_event_inflation_for_the_interim_matches_rpact(default):
    # rpact 3.3.4: getDesignCharacteristics(design)$inflationFactor
    npt.assert_allclose(default.summary["inflation_factor"][0], REF["inflation_factor"], rtol=1e-6)


def test_planned_relapse_counts_match_schoenfeld_and_rpact(default):
    s = default.summary.iloc[0]
    assert math.ceil(s["events_fixed"]) == REF["events_fixed_design"]
    assert math.ceil(s["events_required"]) == REF["events_target"] == s["planned_events"]
    assert default.looks["events"].tolist() == [REF["events_interim"], REF["events_target"]]
    assert s["events_method"] == "Schoenfeld (1983)"


def test_nominal_interim_p_value_is_the_alpha_spent_on_both_sides(default):
    npt.assert_allclose(default.looks["nominal_p"][0], 2 * REF["alpha_spent_interim"], rtol=1e-6)
    npt.assert_allclose(default.looks["alpha_spent"], [2 * REF["alpha_spent_interim"], 0.05], rtol=1e-6)


def test_boundary_hazard_ratios_sit_on_the_boundaries(default):
    # 1:1: log HR = -z / sqrt(events / 4); interim 61 relapses, final 121
    npt.assert_allclose(
        default.looks["hr_efficacy"],
        [math.exp(-2.9625880 / math.sqrt(61 / 4)), math.exp(-1.9685956 / math.sqrt(121 / 4))],
        rtol=1e-6,
    )


def test_power_at_the_planned_events_is_the_design_power_at_its_inflated_events(default):
    s = default.summary.iloc[0]
    # 121 relapses are slightly more than the 120.76 required: a little above 80%
    assert 0.8 < s["power_at_planned_events"] < 0.802
    npt.assert_allclose(default.power_at_events(s["events_required"]), 0.8, rtol=1e-7)


def test_a_study_without_interim_has_a_fixed_design():
    # three-arm study: HIGH vs OBS, 1:1, HR 0.65, two-sided 0.05, power 0.8, no interim:
    # D = 4 (1.959964 + 0.841621)^2 / log(0.65)^2 = 169.2 -> 170
    d = planned_design(load_study(THREE_ARM))
    s = d.summary.iloc[0]
    assert math.ceil(s["events_fixed"]) == 170 and s["inflation_factor"] == pytest.approx(1.0)
    npt.assert_allclose(d.looks["efficacy_z"], [1.959964], atol=1e-6)


def test_schoenfeld_events_use_the_allocation_share():
    # 2:1 comparator:reference, p = 2/3: D = (z_0.975 + z_0.8)^2 / (p (1 - p) log(0.65)^2) = 190.3
    study = load_study(THREE_ARM)
    arms = tuple(a.model_copy(update={"allocation": 2 if a.code == "HIGH" else 1}) for a in study.arms)
    s = planned_design(study.model_copy(update={"arms": arms})).summary.iloc[0]
    assert (s["allocation"], math.ceil(s["events_fixed"])) == (pytest.approx(2 / 3), 191)


def test_one_sided_alpha_is_spent_on_one_side():
    study = load_study(THREE_ARM)
    one = planned_design(with_design(study, sided=1, alpha=0.025))
    npt.assert_allclose(one.summary["events_fixed"], planned_design(study).summary["events_fixed"])


def test_three_looks_and_a_futility_boundary_come_from_the_study_definition():
    study = with_design(
        load_study(),
        sided=1,
        alpha=0.025,
        information_fractions=(0.25, 0.6, 1.0),
        futility=Futility(spending=Spending(function="hwang-shih-decani", parameter=-2), binding=True),
        alpha_spending=Spending(function="hwang-shih-decani", parameter=-4),
    )
    d = planned_design(study)
    ref = GS["hsd_bshsd_3_b"]  # rpact 3.3.4, asHSD(-4) and bsHSD(-2), binding, t = 0.25, 0.6, 1
    npt.assert_allclose(d.looks["efficacy_z"], ref["criticalValues"], atol=1e-6)
    npt.assert_allclose(d.looks["futility_z"][:-1], ref["futilityBounds"], atol=1e-6)
    # the futility boundary's hazard ratio is above the efficacy one's (less benefit)
    assert (d.looks["hr_futility"] >= d.looks["hr_efficacy"] - 1e-12).all()


def test_a_subdistribution_effect_is_sized_by_latouche():
    d = planned_design(with_design(load_study(), effect_measure="subdistribution"))
    assert d.summary["events_method"][0].startswith("Latouche")


def test_the_design_settings_are_checked_by_the_study_schema_and_the_module():
    study = with_design(load_study(), sided=2, futility=Futility(spending=Spending(function="pocock")))
    with pytest.raises(ValueError, match="design: futility_spending='pocock' with sided=2"):
        planned_design(study)


def test_the_synthetic_model_expects_fewer_relapses_than_planned():
    # the calibrated model averaged over the reference covariate mix (data/README.md): about 104
    expected = expected_events(load_study())
    assert 100 < expected < 110
    power = planned_design(load_study()).power_at_events(expected)
    assert 0.7 < power < 0.78
