"""The design simulation of a study: its model from the study definition, its assumptions against
the synthetic trial's calibration, its tidy results and their presentation."""

from __future__ import annotations

import math

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from helpers import config
from helpers.analysis import design_simulation as dsim
from helpers.present import design as present
from helpers.stats import design_simulation as ds
from helpers.study import StudyError, load_study, parse_study

THREE_ARM = config.PROJECT_ROOT / "tests" / "studies" / "three_arm.yaml"


def test_the_model_follows_the_study_design():
    study = load_study()
    d = study.design
    model = dsim.trial_model(study, hazard_ratio=0.6)
    assert model.n_patients == d.n_patients
    assert model.looks.events == tuple(math.ceil(f * d.planned_events) for f in d.information_fractions)
    assert model.statistic == d.statistic
    assert model.arms[model.comparator].hr_primary == 0.6 and model.arms[model.reference].hr_primary == 1.0
    assert [a.allocation for a in model.arms] == [a.allocation for a in study.arms]
    assert model.accrual.duration(d.n_patients) == pytest.approx(d.accrual_months)


def test_three_arm_study_compares_the_first_comparator_and_uses_its_piecewise_hazard_and_accrual():
    study = load_study(THREE_ARM)
    model = dsim.trial_model(study, hazard_ratio=0.65, competing_multiplier=2.0)
    codes = [a.code for a in study.arms]
    assert model.reference == codes.index(study.reference_arm.code)
    assert model.comparator == codes.index(study.comparator_arms[0].code)
    assert isinstance(model.primary, ds.PiecewiseExponential)
    assert model.accrual.rates == (5.0, 12.0)
    assert all(a.hr_competing == 2.0 for a in model.arms)


def test_the_simulation_assumptions_match_the_synthetic_trials_calibration():
    # the synthetic trial's targets for a homogeneous population (helpers.synthetic.assumptions)
    from helpers.synthetic.assumptions import ASSUMPTIONS, DAYS_PER_MONTH
    from helpers.synthetic.calibration import CALIBRATION

    study = load_study()
    model = dsim.trial_model(study, hazard_ratio=1.0)
    two_years = 730.0 / DAYS_PER_MONTH
    f = ds.cumulative_incidences(model, model.reference, np.array([two_years]))[:, 0]
    npt.assert_allclose(f, [ASSUMPTIONS["rel_ctrl_2y"], ASSUMPTIONS["nrm_2y"]], atol=5e-4)
    assert (model.primary.shape, model.competing.shape) == (ASSUMPTIONS["rel_shape"], ASSUMPTIONS["nrm_shape"])
    npt.assert_allclose(model.dropout_rate, CALIBRATION["dropout_rate_per_day"] * DAYS_PER_MONTH, rtol=0.01)


def test_true_incidences_of_weibull_hazards_sum_with_event_free_survival_to_one():
    model = dsim.trial_model(load_study(), hazard_ratio=0.6)
    t = np.array([6.0, 24.0, 60.0])
    f = ds.cumulative_incidences(model, model.comparator, t)
    h = 0.6 * model.primary.cumulative(t) + model.competing.cumulative(t)
    npt.assert_allclose(f.sum(axis=0) + np.exp(-h), 1.0, atol=1e-6)


def test_design_simulation_results_are_tidy_and_reproducible():
    study = load_study(THREE_ARM)
    first = dsim.simulate_design(study, 60, 5)
    again = dsim.simulate_design(study, 60, 5)
    for name in ("scenarios", "operating_characteristics", "per_look", "power_curves", "sizing", "boundaries"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert list(first.scenarios["scenario"]) == [s.name for s in study.design.simulation.scenarios]
    assert set(first.power_curves["curve"]) == {"hazard_ratio", "competing_multiplier"}
    assert list(first.sizing.columns) == ["method", "effect", "events", "event_probability", "patients"]
    assert first.boundaries["events"].tolist() == [170]


def test_conventional_sizing_expects_more_events_per_patient_than_competing_risks_allow():
    sim = dsim.simulate_design(load_study(), 20, 1, scenarios="design", curves=False)
    conventional, true, _ = sim.sizing.itertuples(index=False)
    assert conventional.events == true.events
    assert conventional.event_probability > true.event_probability
    assert conventional.patients < true.patients


def test_unknown_scenarios_and_a_missing_simulation_are_refused_naming_them():
    study = load_study()
    with pytest.raises(ValueError, match=r"scenarios \['typo'\] are not scenarios of the study"):
        dsim.scenario_names(study, "design,typo")
    bare = study.model_copy(update={"design": study.design.model_copy(update={"simulation": None})})
    with pytest.raises(ValueError, match="design.simulation is missing"):
        dsim.trial_model(bare, hazard_ratio=0.6)
    assert not dsim.has_simulation(bare)


def test_a_weibull_hazard_without_its_scale_is_a_study_error_naming_the_field():
    text = (config.PROJECT_ROOT / "studies" / "nct04674345.yaml").read_text(encoding="utf-8")
    broken = text.replace("{distribution: weibull, shape: 0.75, scale: 96.68}", "{distribution: weibull, shape: 0.75}")
    with pytest.raises(StudyError, match="design.simulation.primary_hazard"):
        parse_study(broken, config.PROJECT_ROOT / "studies" / "broken.yaml")


def test_backend_options():
    assert dsim.backend_options("tcp://h:1", 4) == {"backend": "dask", "scheduler": "tcp://h:1"}
    assert dsim.backend_options("", 2) == {"backend": "processes", "workers": 2}
    assert dsim.backend_options("", 1) == {"backend": "serial"}
    with pytest.raises(ValueError, match="workers=0"):
        dsim.backend_options("", 0)


def test_scenario_table_shows_power_with_its_monte_carlo_error_and_early_stopping():
    study = load_study()
    scenarios = pd.DataFrame(
        [
            {
                "scenario": "design",
                "label": "Planned effect",
                "hazard_ratio": 0.6,
                "subdistribution_hr": 0.6018,
                "competing_reference": 0.1,
            }
        ]
    )
    oc = pd.DataFrame(
        {
            "scenario": "design",
            "quantity": ["reject", "expected_primary_events", "expected_competing_events", "expected_duration"],
            "estimate": [0.7812, 111.74, 51.9, 67.83],
            "mc_std_error": [0.0058, 0.1, 0.1, 0.1],
        }
    )
    looks = pd.DataFrame(
        {
            "scenario": "design",
            "look": [1, 2],
            "stop_efficacy": [0.155, 0.626],
            "stop_harm": [0.0, 0.0],
            "stop_futility": [0.0, 0.0],
        }
    )
    shown = present.table_design_scenarios(present.ard_design_scenarios(scenarios, oc, looks, "ITT"), study)
    row = shown.iloc[0]
    assert row["Power"] == "78.1% (MC SE 0.6)"
    assert row["Stops at look 1"] == "15.5%"
    assert row["Subdistribution hazard ratio at 2 years"] == "0.602"
    assert row["Expected duration, months"] == "67.8"
    assert "Stops at look 2" not in shown.columns


def test_the_estimated_subdistribution_hazard_ratio_comes_from_fine_gray_trials():
    sim = dsim.simulate_design(load_study(THREE_ARM), 30, 2, scenarios="planned", curves=False, shr_trials=25)
    q = sim.operating_characteristics.set_index("quantity")["estimate"]
    assert q["shr_quantile_0.025"] < q["shr_quantile_0.5"] < q["shr_quantile_0.975"]
    assert 0.3 < q["shr_quantile_0.5"] < 1.2
    shown = present.table_design_scenarios(
        present.ard_design_scenarios(sim.scenarios, sim.operating_characteristics, sim.per_look, "ITT"),
        load_study(THREE_ARM),
    )
    assert shown.filter(like="Estimated sHR").shape == (1, 1)
