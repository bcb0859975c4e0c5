"""The synthetic trial's planned design (events, interim, boundaries) against R rpact, and its
inputs from the study definition."""

import json

import numpy.testing as npt
import pytest

from helpers import config
from helpers.study import load_study
from helpers.synthetic import DESIGN, planned_design

THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"
REF = json.loads((config.PROJECT_ROOT / "tests" / "reference" / "design" / "design.json").read_text())


def test_group_sequential_boundaries_match_rpact():
    # R 4.2.2, rpact 3.3.4: getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, sided = 1,
    #   typeOfDesign = "asOF", informationRates = c(0.5, 1))$criticalValues
    npt.assert_allclose(
        [DESIGN["z_boundary_interim"], DESIGN["z_boundary_final"]],
        [REF["z_boundary_interim"], REF["z_boundary_final"]],
        rtol=1e-6,
    )


def test_event_inflation_for_the_interim_matches_rpact():
    # rpact 3.3.4: getDesignCharacteristics(design)$inflationFactor
    npt.assert_allclose(DESIGN["inflation_factor"], REF["inflation_factor"], rtol=1e-6)


def test_planned_relapse_counts_match_schoenfeld_and_rpact():
    assert (DESIGN["events_fixed_design"], DESIGN["events_target"], DESIGN["events_interim"]) == (
        REF["events_fixed_design"],
        REF["events_target"],
        REF["events_interim"],
    )


def test_nominal_interim_p_value_is_the_alpha_spent_on_both_sides():
    npt.assert_allclose(DESIGN["p_nominal_interim"], 2 * REF["alpha_spent_interim"], rtol=1e-6)


def test_the_default_study_gives_the_design():
    assert planned_design(load_study()) == DESIGN
    assert (DESIGN["comparison"], DESIGN["allocation"]) == ("SORA vs CTRL", "1:1")


def test_a_study_without_interim_has_a_fixed_design():
    # three-arm study: HIGH vs OBS, 1:1, HR 0.65, two-sided 0.05, power 0.8, no interim:
    # D = 4 (1.959964 + 0.841621)^2 / log(0.65)^2 = 169.2 -> 170
    d = planned_design(load_study(THREE_ARM))
    assert (d["comparison"], d["events_fixed_design"], d["events_target"]) == ("HIGH vs OBS", 170, 170)
    assert d["events_interim"] is None and d["z_boundary_interim"] is None
    npt.assert_allclose(d["z_boundary_final"], 1.959964, atol=1e-6)


def test_schoenfeld_events_use_the_allocation_share():
    # 2:1 comparator:reference, p = 2/3: D = (z_0.975 + z_0.8)^2 / (p (1 - p) log(0.65)^2) = 190.4
    study = load_study(THREE_ARM)
    arms = tuple(a.model_copy(update={"allocation": 2 if a.code == "HIGH" else 1}) for a in study.arms)
    d = planned_design(study.model_copy(update={"arms": arms}))
    assert (d["allocation"], d["events_fixed_design"]) == ("2:1", 191)


def test_one_sided_alpha_is_spent_on_one_side():
    study = load_study(THREE_ARM)
    one = study.model_copy(update={"design": study.design.model_copy(update={"sided": 1, "alpha": 0.025})})
    assert planned_design(one)["events_fixed_design"] == planned_design(study)["events_fixed_design"]


def test_more_than_one_interim_is_refused():
    study = load_study()
    three = study.model_copy(
        update={"design": study.design.model_copy(update={"information_fractions": (0.33, 0.66, 1.0)})}
    )
    with pytest.raises(ValueError, match="one interim analysis at most"):
        planned_design(three)
