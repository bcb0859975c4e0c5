"""The synthetic trial's planned design (events, interim, boundaries) against R rpact."""

import json

import numpy.testing as npt

from helpers import config
from helpers.synthetic import DESIGN

REF = json.loads((config.PROJECT_ROOT / "tests" / "reference" / "design" / "design.json").read_text())


def test_group_sequential_boundaries_match_rpact():
    # R 4.2.2, rpact 3.3.4: getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.2, sided = 1,
    #   typeOfDesign = "asOF", informationRates = c(0.5, 1))$criticalValues
    npt.assert_allclose([DESIGN["z_boundary_interim"], DESIGN["z_boundary_final"]],
                        [REF["z_boundary_interim"], REF["z_boundary_final"]], rtol=1e-6)


def test_event_inflation_for_the_interim_matches_rpact():
    # rpact 3.3.4: getDesignCharacteristics(design)$inflationFactor
    npt.assert_allclose(DESIGN["inflation_factor"], REF["inflation_factor"], rtol=1e-6)


def test_planned_relapse_counts_match_schoenfeld_and_rpact():
    assert (DESIGN["events_fixed_design"], DESIGN["events_target"], DESIGN["events_interim"]) == (
        REF["events_fixed_design"], REF["events_target"], REF["events_interim"])


def test_nominal_interim_p_value_is_the_alpha_spent_on_both_sides():
    npt.assert_allclose(DESIGN["p_nominal_interim"], 2 * REF["alpha_spent_interim"], rtol=1e-6)
