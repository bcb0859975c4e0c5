"""Group-sequential designs (helpers.stats.group_sequential) against published values and R rpact.

Reference values: tests/reference/group_sequential.R (R 4.2.2, rpact 3.3.4), stored in
tests/reference/group_sequential/*.json.
"""

import json
import math

import numpy as np
import numpy.testing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from helpers import config
from helpers.stats.group_sequential import (
    ArmHazards,
    Boundaries,
    calendar_time,
    conditional_power,
    crossing_probabilities,
    design,
    expected_events,
    latouche_events,
    predictive_power,
    repeated_confidence_interval,
    schoenfeld_events,
    spending,
    update,
)

REF_DIR = config.PROJECT_ROOT / "tests" / "reference" / "group_sequential"
DESIGNS = {d["id"]: d for d in json.loads((REF_DIR / "designs.json").read_text())["designs"]}
UPDATES = {u["id"]: u for u in json.loads((REF_DIR / "updates.json").read_text())["updates"]}

#: rpact's boundary search stops at 1e-8 on the spent alpha, which can leave a boundary 2.5e-6 off
#: where the spent alpha barely moves with it (test_late_interim_final_boundary_spends_exactly_the_alpha_left)
IMPRECISE = {"of_late_2": "rpact 3.3.4 final boundary 2.5e-6 off (its type I error 0.02500007)"}


def cases(names):
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=IMPRECISE[n], strict=True)) if n in IMPRECISE else n
        for n in sorted(names)
    ]


RPACT_NAMES = {"asOF": "obrien-fleming", "asP": "pocock", "asHSD": "hwang-shih-decani", "asKD": "kim-demets"}
BETA_NAMES = {"bsOF": "obrien-fleming", "bsP": "pocock", "bsHSD": "hwang-shih-decani", "bsKD": "kim-demets"}


def scalar(v):
    return v[0] if isinstance(v, list) else v


def from_rpact(ref):
    """design() called as rpact's getDesignGroupSequential was."""
    beta_type = ref["typeBetaSpending"]
    return design(
        ref["informationRates"],
        alpha=scalar(ref["alpha"]),
        sided=int(scalar(ref["sided"])),
        power=1 - scalar(ref["beta"]),
        alpha_spending=RPACT_NAMES[ref["typeOfDesign"]],
        alpha_parameter=scalar(ref["gammaA"]),
        futility_spending=BETA_NAMES.get(beta_type),
        futility_parameter=scalar(ref["gammaB"]) if beta_type != "none" else None,
        binding=bool(ref["bindingFutility"]) if beta_type != "none" else False,
    )


# ---- published values ---------------------------------------------------------------------------


def test_obrien_fleming_two_looks_matches_the_published_boundaries():
    # Lan-DeMets O'Brien-Fleming type, one-sided alpha 0.025, t = 0.5, 1 (Jennison and Turnbull
    # 2000, table 7.6; gsDesign sfLDOF; rpact asOF)
    d = design([0.5, 1], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")
    npt.assert_allclose(d.efficacy, [2.96259, 1.96860], atol=1e-4)


def test_obrien_fleming_three_equal_looks_matches_the_published_boundaries():
    d = design([1 / 3, 2 / 3, 1], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")
    npt.assert_allclose(d.efficacy, [3.71030, 2.51143, 1.99305], atol=1e-4)


# ---- rpact: every design of the reference script ------------------------------------------------


@pytest.mark.parametrize("case", cases(DESIGNS), ids=str)
def test_boundaries_match_rpact(case):
    ref = DESIGNS[case]
    d = from_rpact(ref)
    # R 4.2.2, rpact 3.3.4: getDesignGroupSequential(...)$criticalValues, $futilityBounds
    npt.assert_allclose(d.efficacy, ref["criticalValues"], atol=1e-6)
    if ref["typeBetaSpending"] != "none":
        npt.assert_allclose(d.futility[:-1], ref["futilityBounds"], atol=1e-6)
        npt.assert_allclose(d.futility[-1], d.efficacy[-1])
    # $alphaSpent (rpact stops its search at tolerance 1e-8)
    npt.assert_allclose(d.alpha_spent, ref["alphaSpent"], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(DESIGNS), ids=str)
def test_nominal_p_values_match_rpact_stage_levels(case):
    ref = DESIGNS[case]
    d = from_rpact(ref)
    # rpact's stageLevels are one-sided: a two-sided design's nominal p is twice
    npt.assert_allclose(np.array(d.nominal_p) / d.sided, ref["stageLevels"], rtol=1e-5)


@pytest.mark.parametrize("case", cases(DESIGNS), ids=str)
def test_drift_inflation_and_power_match_rpact(case):
    ref = DESIGNS[case]
    d = from_rpact(ref)
    # getDesignCharacteristics(design)$shift, $inflationFactor, $power, $rejectionProbabilities
    npt.assert_allclose(d.drift**2, scalar(ref["shift"]), rtol=1e-6)
    npt.assert_allclose(d.inflation_factor, scalar(ref["inflationFactor"]), rtol=1e-6)
    npt.assert_allclose(d.cumulative_power, ref["power"], atol=1e-6)
    npt.assert_allclose(d.efficacy_h1, ref["rejectionProbabilities"], atol=1e-6)
    if ref["typeBetaSpending"] != "none":
        npt.assert_allclose(d.futility_h1[:-1], ref["futilityProbabilities"], atol=1e-6)


@pytest.mark.parametrize("case", cases(DESIGNS), ids=str)
def test_expected_information_matches_rpact(case):
    ref = DESIGNS[case]
    d = from_rpact(ref)
    # getDesignCharacteristics(design)$averageSampleNumber1 (H1) and $averageSampleNumber0 (H0),
    # relative to the fixed design
    npt.assert_allclose(d.expected_information_fixed_h1, scalar(ref["averageSampleNumber1"]), rtol=1e-6)
    npt.assert_allclose(d.expected_information_fixed_h0, scalar(ref["averageSampleNumber0"]), rtol=1e-6)


@pytest.mark.parametrize("case", sorted(DESIGNS), ids=str)
def test_stopping_under_h0_matches_rpact(case):
    ref = DESIGNS[case]
    d = from_rpact(ref)
    # getPowerAndAverageSampleNumber(design, theta = 0, nMax = 1)$rejectPerStage, $averageSampleNumber
    npt.assert_allclose(d.efficacy_h0, ref["h0_rejectPerStage"], atol=1e-6)
    npt.assert_allclose(d.expected_information_h0, scalar(ref["h0_averageSampleNumber"]), atol=1e-6)


@pytest.mark.parametrize("case", sorted(UPDATES), ids=str)
def test_boundaries_at_observed_fractions_match_a_new_rpact_design(case):
    ref = UPDATES[case]
    planned = design(
        ref["planned"],
        alpha=scalar(ref["alpha"]),
        sided=int(scalar(ref["sided"])),
        power=0.8,
        alpha_spending=RPACT_NAMES[ref["typeOfDesign"]],
        alpha_parameter=scalar(ref["gammaA"]),
    )
    # rpact 3.3.4: getDesignGroupSequential(informationRates = <observed>, ...)$criticalValues
    got = update(planned, ref["observed"], final=True)
    npt.assert_allclose(got.efficacy, ref["criticalValues"], atol=1e-6)
    interim = update(planned, ref["observed"][:-1], final=False)
    npt.assert_allclose(interim.efficacy, ref["criticalValues"][:-1], atol=1e-6)


# ---- properties ---------------------------------------------------------------------------------

SPENDINGS = [
    ("obrien-fleming", None),
    ("pocock", None),
    ("hwang-shih-decani", -4.0),
    ("hwang-shih-decani", 1.0),
    ("kim-demets", 1.0),
    ("kim-demets", 3.0),
]


@st.composite
def fractions(draw, max_looks=6):
    k = draw(st.integers(1, max_looks))
    inner = draw(st.lists(st.floats(0.05, 0.95), min_size=k - 1, max_size=k - 1, unique=True))
    t = sorted(inner)
    if any(b - a < 0.02 for a, b in zip([0.0, *t], [*t, 1.0])):
        t = [(i + 1) / k for i in range(k - 1)]
    return [*t, 1.0]


@settings(max_examples=30, deadline=None)
@given(t=fractions(), which=st.sampled_from(SPENDINGS), sided=st.sampled_from([1, 2]))
def test_cumulative_alpha_spent_equals_the_spending_function_at_each_look(t, which, sided):
    function, parameter = which
    d = design(t, alpha=0.05, sided=sided, power=0.8, alpha_spending=function, alpha_parameter=parameter)
    expected = sided * np.asarray(spending(function, t, 0.05 / sided, parameter))
    npt.assert_allclose(np.cumsum(d.efficacy_h0), expected, rtol=1e-6, atol=1e-10)
    npt.assert_allclose(d.alpha_spent, expected, rtol=1e-12, atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(k=st.integers(2, 10), sided=st.sampled_from([1, 2]), alpha=st.sampled_from([0.01, 0.025, 0.05]))
def test_obrien_fleming_boundaries_decrease_over_equally_spaced_looks(k, sided, alpha):
    # not over any looks: a late interim (t = 0.9375) leaves the final look so little alpha that its
    # boundary is higher (rpact agrees: case of_late_2 of the reference script)
    t = [(i + 1) / k for i in range(k)]
    d = design(t, alpha=alpha, sided=sided, power=0.9, alpha_spending="obrien-fleming")
    assert all(a > b for a, b in zip(d.efficacy, d.efficacy[1:]))


@settings(max_examples=30, deadline=None)
@given(t=fractions(), which=st.sampled_from(SPENDINGS), sided=st.sampled_from([1, 2]))
def test_crossing_probabilities_under_no_drift_sum_to_alpha(t, which, sided):
    function, parameter = which
    d = design(t, alpha=0.025 * sided, sided=sided, power=0.8, alpha_spending=function, alpha_parameter=parameter)
    got = crossing_probabilities(d.efficacy, None, t, 0.0, sided=sided)
    npt.assert_allclose(got["cumulative_efficacy"].iloc[-1], 0.025 * sided, rtol=1e-6)
    npt.assert_allclose(got["stop"].sum(), 1.0, rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(t=fractions(max_looks=5), which=st.sampled_from(SPENDINGS), binding=st.booleans())
def test_futility_design_has_its_power_and_spends_its_beta(t, which, binding):
    function, parameter = which
    d = design(
        t,
        alpha=0.025,
        sided=1,
        power=0.85,
        alpha_spending="obrien-fleming",
        futility_spending=function,
        futility_parameter=parameter,
        binding=binding,
    )
    npt.assert_allclose(d.cumulative_power[-1], 0.85, atol=1e-8)
    assert all(a <= b for a, b in zip(d.futility, d.efficacy))
    got = crossing_probabilities(d.efficacy, d.futility, t, d.drift)
    npt.assert_allclose(got["efficacy"], d.efficacy_h1, atol=1e-12)
    # binding futility keeps the type I error at alpha; non-binding spends less with futility
    h0 = crossing_probabilities(d.efficacy, d.futility, t, 0.0)["efficacy"].sum()
    if binding:
        npt.assert_allclose(h0, 0.025, rtol=1e-6)
    else:
        assert h0 <= 0.025 + 1e-9
        npt.assert_allclose(crossing_probabilities(d.efficacy, None, t, 0.0)["efficacy"].sum(), 0.025, rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(t=fractions(max_looks=4), which=st.sampled_from(SPENDINGS))
def test_boundaries_at_the_planned_fractions_are_the_design_boundaries(t, which):
    function, parameter = which
    d = design(t, alpha=0.025, sided=1, power=0.8, alpha_spending=function, alpha_parameter=parameter)
    npt.assert_allclose(update(d, t, final=True).efficacy, d.efficacy, atol=1e-9)


def test_a_single_look_is_the_fixed_design():
    d = design([1.0], alpha=0.05, sided=2, power=0.8, alpha_spending="pocock")
    npt.assert_allclose(d.efficacy, [1.959963984540054], rtol=1e-9)
    npt.assert_allclose(d.inflation_factor, 1.0, rtol=1e-9)


def test_spending_functions_start_at_zero_and_end_at_alpha():
    for function, parameter in SPENDINGS:
        npt.assert_allclose(spending(function, [0.0, 1.0], 0.025, parameter), [0.0, 0.025])
    # gamma = 0 is the linear function
    npt.assert_allclose(spending("hwang-shih-decani", [0.3, 0.7], 0.05, 0.0), [0.015, 0.035])
    assert isinstance(spending("pocock", 0.5, 0.05), float)


def test_grid_is_fine_enough_for_six_digits(monkeypatch):
    # the boundaries and the drift move by less than 1e-8 when the grid is refined from r = 32 to 96
    from helpers.stats.group_sequential import _integration

    t = [0.15, 0.35, 0.55, 0.8, 1.0]
    kwargs = dict(alpha=0.025, sided=1, power=0.9, alpha_spending="pocock", futility_spending="obrien-fleming")
    coarse = design(t, **kwargs)
    monkeypatch.setattr(_integration, "GRID_R", 96)
    fine = design(t, **kwargs)
    npt.assert_allclose(coarse.efficacy, fine.efficacy, atol=1e-8)
    npt.assert_allclose(coarse.futility, fine.futility, atol=1e-8)
    npt.assert_allclose(coarse.drift, fine.drift, atol=1e-8)


def test_late_interim_final_boundary_spends_exactly_the_alpha_left():
    # t = 0.9375, 1: the final look spends 0.025 - alpha(0.9375) at correlation sqrt(0.9375);
    # checked with scipy's adaptive quadrature of the bivariate normal (rpact 3.3.4 gives 2.061112,
    # whose type I error is 0.02500007: its tolerance is 1e-8 on a search, not on the probability)
    d = design([0.9375, 1.0], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")
    rho = math.sqrt(0.9375)

    def density(z):
        return (
            math.exp(-z * z / 2)
            / math.sqrt(2 * math.pi)
            * special.ndtr((d.efficacy[1] - rho * z) / math.sqrt(1 - rho**2))
        )

    no_crossing = integrate.quad(density, -40, d.efficacy[0], epsabs=1e-15, epsrel=1e-13, limit=500)[0]
    npt.assert_allclose(1 - no_crossing, 0.025, rtol=1e-7)


# ---- bad input ----------------------------------------------------------------------------------

GOOD = dict(alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")


@pytest.mark.parametrize(
    ("t", "kwargs", "message"),
    [
        ([0.6, 0.4, 1.0], {}, "out of order"),
        ([0.0, 1.0], {}, r"outside \(0, 1\]"),
        ([0.5, 1.2], {}, r"outside \(0, 1\]"),
        ([0.5, 0.9], {}, "must end at 1"),
        ([0.5, 1.0], {"alpha": 1.5}, "alpha=1.5"),
        ([0.5, 1.0], {"power": 0.0}, "power=0.0"),
        ([0.5, 1.0], {"alpha_spending": "haybittle"}, "alpha_spending='haybittle' is not a spending function"),
        ([0.5, 1.0], {"alpha_spending": "kim-demets"}, "needs its parameter"),
        ([0.5, 1.0], {"alpha_parameter": 2.0}, "takes no parameter"),
        ([0.5, 1.0], {"futility_spending": "gamma"}, "futility_spending='gamma'"),
        ([0.5, 1.0], {"binding": True}, "binding=True needs futility_spending"),
        ([0.5, 1.0], {"sided": 3}, "sided=3"),
        ([0.5, 1.0], {"sided": 2, "alpha": 0.05, "futility_spending": "pocock"}, "one-sided designs only"),
    ],
)
def test_bad_settings_raise_errors_naming_them(t, kwargs, message):
    with pytest.raises(ValueError, match=message):
        design(t, **{**GOOD, **kwargs})


def test_an_overrun_is_allowed_only_at_the_final_analysis():
    d = design([0.5, 1.0], **GOOD)
    with pytest.raises(ValueError, match="only at the final analysis"):
        update(d, [0.5, 1.1], final=False)
    with pytest.raises(ValueError, match="out of order"):
        update(d, [0.5, 0.4], final=True)


def test_an_overrun_final_analysis_spends_the_alpha_left():
    d = design([0.5, 1.0], **GOOD)
    b = update(d, [0.5, 1.2], final=True)
    # the interim boundary is the one used; the final spends the rest over the correlation
    # sqrt(0.5 / 1.2)
    npt.assert_allclose(b.efficacy[0], d.efficacy[0], atol=1e-12)
    npt.assert_allclose(b.information_fractions, [0.5 / 1.2, 1.0])
    h0 = crossing_probabilities(b.efficacy, None, b.information_fractions, 0.0)
    npt.assert_allclose(h0["cumulative_efficacy"].iloc[-1], 0.025, rtol=1e-7)
    # less correlation with the interim (sqrt(0.5 / 1.2) < sqrt(0.5)): a higher final boundary,
    # still below the fixed design's boundary for the alpha left
    assert d.efficacy[1] < b.efficacy[1] < -special.ndtri(0.025 - d.alpha_spent[0])


def test_an_underrun_final_analysis_spends_the_alpha_left():
    d = design([0.5, 1.0], **GOOD)
    b = update(d, [0.5, 0.8], final=True)
    npt.assert_allclose(b.efficacy[0], d.efficacy[0], atol=1e-12)
    h0 = crossing_probabilities(b.efficacy, None, b.information_fractions, 0.0)
    npt.assert_allclose(h0["cumulative_efficacy"].iloc[-1], 0.025, rtol=1e-7)


# ---- monitoring ---------------------------------------------------------------------------------

MONITORING = json.loads((REF_DIR / "monitoring.json").read_text())


def monitored_design():
    return design(MONITORING["informationRates"], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")


def test_conditional_power_matches_rpact():
    d = monitored_design()
    t1 = MONITORING["events"][0] / scalar(MONITORING["maxEvents"])
    z1 = MONITORING["logRanks"][0]
    # drift of HR 1.6 at 120 events, 1:1: log(1.6) sqrt(120 / 4)
    drift = math.log(scalar(MONITORING["thetaH1"])) * math.sqrt(scalar(MONITORING["maxEvents"]) / 4)
    # R 4.2.2, rpact 3.3.4: getConditionalPower(getStageResults(design, dataset, stage = 1),
    #   nPlanned = c(40, 40), thetaH1 = 1.6)$conditionalPower (cumulative over the looks left)
    npt.assert_allclose(conditional_power(z1, t1, d, theta=drift), MONITORING["conditionalPower_thetaH1"][2], rtol=1e-6)
    two_looks = Boundaries(d.information_fractions[:2], d.efficacy[:2])
    npt.assert_allclose(
        conditional_power(z1, t1, two_looks, theta=drift), MONITORING["conditionalPower_thetaH1"][1], rtol=1e-6
    )
    # without thetaH1 rpact uses the current estimate
    npt.assert_allclose(
        conditional_power(z1, t1, d, theta="estimate"), MONITORING["conditionalPower_estimate"][2], rtol=1e-6
    )


def test_conditional_power_with_the_final_look_left_is_lan_and_wittes_closed_form():
    d = design([0.5, 1.0], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")
    z, t, c = 1.5, 0.5, d.efficacy[1]
    # 1 - Phi((c - z sqrt(t) - theta (1 - t)) / sqrt(1 - t)), theta the design's drift
    expected = special.ndtr(-(c - z * math.sqrt(t) - d.drift * (1 - t)) / math.sqrt(1 - t))
    npt.assert_allclose(conditional_power(z, t, d), expected, rtol=1e-12)
    npt.assert_allclose(conditional_power(z, t, c, theta=d.drift), expected, rtol=1e-12)


def test_predictive_power_with_the_final_look_left_is_the_closed_form():
    d = design([0.5, 1.0], alpha=0.025, sided=1, power=0.8, alpha_spending="obrien-fleming")
    for z in (-0.5, 0.8, 1.5, 2.5):
        # flat prior: Phi((z - c sqrt(t)) / sqrt(1 - t)) (Jennison and Turnbull 2000, (10.8))
        expected = special.ndtr((z - d.efficacy[1] * math.sqrt(0.5)) / math.sqrt(0.5))
        npt.assert_allclose(predictive_power(z, 0.5, d), expected, rtol=1e-9)


def test_predictive_power_with_several_looks_left_averages_conditional_power():
    d = monitored_design()
    pp = predictive_power(1.2, 1 / 3, d)
    # between the conditional power at the estimate and at drifts one posterior sd either side
    lo = conditional_power(1.2, 1 / 3, d, theta=1.2 / math.sqrt(1 / 3) - math.sqrt(3))
    hi = conditional_power(1.2, 1 / 3, d, theta=1.2 / math.sqrt(1 / 3) + math.sqrt(3))
    assert lo < pp < hi


def test_repeated_confidence_intervals_match_rpact():
    d = monitored_design()
    events = np.array(MONITORING["events"], dtype=float)
    log_hr = 2 * np.array(MONITORING["logRanks"]) / np.sqrt(events)
    low, high = repeated_confidence_interval(log_hr, 2 / np.sqrt(events), d.efficacy[:2])
    # rpact 3.3.4: getRepeatedConfidenceIntervals(design, dataInput = dataset, stage = 2)
    npt.assert_allclose(low, MONITORING["rci_lower"], rtol=1e-6)
    npt.assert_allclose(high, MONITORING["rci_upper"], rtol=1e-6)
    assert repeated_confidence_interval(0.0, 0.2, 1.96) == pytest.approx((math.exp(-0.392), math.exp(0.392)))


def test_monitoring_refuses_a_look_after_the_last_and_a_design_drift_without_a_design():
    d = monitored_design()
    with pytest.raises(ValueError, match="no look is left"):
        conditional_power(1.0, 1.0, d)
    with pytest.raises(ValueError, match="theta='design' needs a GroupSequentialDesign"):
        conditional_power(1.0, 0.5, d.boundaries)
    with pytest.raises(ValueError, match="std_error"):
        repeated_confidence_interval(0.1, 0.0, 2.0)


# ---- events and patients ------------------------------------------------------------------------


def test_schoenfeld_events():
    # 4 (z_0.975 + z_0.8)^2 / log(0.6)^2 = 120.3 (the trial's fixed design: 121 relapses)
    npt.assert_allclose(schoenfeld_events(0.6, alpha=0.05, sided=2, power=0.8), 120.3157043775, rtol=1e-10)
    # one-sided 0.025 is two-sided 0.05; 2:1 allocation, p = 2/3: 7.848880 / (2/9 log(0.65)^2) = 190.33
    assert schoenfeld_events(0.65, alpha=0.025, sided=1, power=0.8) == pytest.approx(
        schoenfeld_events(0.65, alpha=0.05, sided=2, power=0.8)
    )
    npt.assert_allclose(schoenfeld_events(0.65, alpha=0.05, sided=2, power=0.8, allocation=2 / 3), 190.328, atol=1e-3)


def test_latouche_events_and_patients():
    # Latouche, Porcher and Chevret (2004): D = (z_0.975 + z_0.8)^2 / (p (1 - p) log(2)^2) and
    # n = D / psi; theta = 2, 1:1, psi = 0.505: D = 65.35, n = 129.4
    got = latouche_events(2.0, event_probability=0.505, alpha=0.05, sided=2, power=0.8)
    npt.assert_allclose(got.events, 7.848879734349 / (0.25 * math.log(2) ** 2), rtol=1e-10)
    npt.assert_allclose(got.patients, got.events / 0.505, rtol=1e-12)
    # the events do not depend on the event probability; a subdistribution ratio below 1 is symmetric
    assert latouche_events(0.5, event_probability=0.2, alpha=0.05, sided=2, power=0.8).events == pytest.approx(
        got.events
    )
    with pytest.raises(ValueError, match="event_probability=1.2"):
        latouche_events(2.0, event_probability=1.2, alpha=0.05, sided=2, power=0.8)
    with pytest.raises(ValueError, match="subdistribution_hazard_ratio=1"):
        latouche_events(1, event_probability=0.5, alpha=0.05, sided=2, power=0.8)


# ---- calendar time ------------------------------------------------------------------------------

CALENDAR = json.loads((REF_DIR / "calendar.json").read_text())


def exponential_case():
    c = CALENDAR["exponential"]
    lam2 = scalar(c["lambda2"])
    # rpact's dropoutRate is the probability of dropping out by dropoutTime: hazard -log(1 - rate) / time
    dropout = -math.log(1 - scalar(c["dropoutRate"])) / scalar(c["dropoutTime"])
    arms = [
        ArmHazards(1, lam2 * scalar(c["hazardRatio"]), dropout=dropout),
        ArmHazards(1, lam2, dropout=dropout),
    ]
    kwargs = dict(
        n_patients=scalar(c["maxNumberOfSubjects"]),
        accrual_time=c["accrualTime"],
        accrual_intensity=c["accrualIntensity"],
        arms=arms,
    )
    return c, kwargs


def piecewise_case():
    c = CALENDAR["piecewise"]
    lam2 = np.array(c["lambda2"])
    arms = [ArmHazards(scalar(c["allocationRatioPlanned"]), lam2 * scalar(c["hazardRatio"])), ArmHazards(1, lam2)]
    kwargs = dict(
        n_patients=scalar(c["maxNumberOfSubjects"]),
        accrual_time=c["accrualTime"],
        accrual_intensity=[1.0],
        arms=arms,
        hazard_time=c["piecewiseSurvivalTime"],
    )
    return c, kwargs


@pytest.mark.parametrize(
    ("case", "rtol"),
    # rpact integrates piecewise hazards numerically, to about 5e-7 (ours agrees with a midpoint
    # rule to 1e-9: test_expected_events_agree_with_a_midpoint_rule)
    [(exponential_case, 1e-7), (piecewise_case, 1e-6)],
    ids=["exponential", "piecewise"],
)
def test_expected_events_over_calendar_time_match_rpact(case, rtol):
    c, kwargs = case()
    # R 4.2.2, rpact 3.3.4: getEventProbabilities(times, ...)$overallEventProbabilities * maxNumberOfSubjects
    npt.assert_allclose(
        expected_events(c["times"], **kwargs),
        np.array(c["overallEventProbabilities"]) * kwargs["n_patients"],
        rtol=rtol,
    )


def test_expected_events_agree_with_a_midpoint_rule():
    _, kwargs = piecewise_case()
    # uniform accrual over 30 months, 400 patients, 2:1; the incidence by follow-up u from the hazards
    n, c = 400_000, 30.0
    entry = (np.arange(n) + 0.5) / n * 30.0
    u = c - entry
    total = 0.0
    for arm, share in zip(kwargs["arms"], (2 / 3, 1 / 3)):
        lam = np.asarray(arm.event)
        # cumulative hazard by u with breaks 0, 6, 12; F = 1 - exp(-H) (no competing event)
        h = lam[0] * np.minimum(u, 6) + lam[1] * np.clip(u - 6, 0, 6) + lam[2] * np.maximum(u - 12, 0)
        total += share * np.mean(-np.expm1(-h))
    npt.assert_allclose(expected_events(c, **kwargs), 400 * total, rtol=1e-9)


def test_calendar_time_of_each_look_matches_rpact():
    c, kwargs = exponential_case()
    # rpact 3.3.4: getPowerSurvival(design, ..., maxNumberOfEvents = 120)$analysisTime
    npt.assert_allclose(calendar_time(c["events"], **kwargs), c["analysisTime"], rtol=1e-7)


@pytest.mark.xfail(
    strict=True,
    reason="rpact 3.3.4's analysisTime stops its search early: at its final time (34.81025) its own "
    "getEventProbabilities gives 149.9997 of the 150 events; ours reaches 150 to 1e-7",
)
def test_calendar_time_with_piecewise_hazards_matches_rpact():
    c, kwargs = piecewise_case()
    npt.assert_allclose(calendar_time(c["events"], **kwargs), c["analysisTime"], rtol=1e-7)


def test_calendar_time_with_piecewise_hazards_reaches_the_events():
    c, kwargs = piecewise_case()
    got = calendar_time(c["events"], **kwargs)
    npt.assert_allclose(expected_events(got, **kwargs), c["events"], rtol=1e-9)
    npt.assert_allclose(got, c["analysisTime"], rtol=2e-6)  # rpact's, within its search tolerance


def test_a_competing_event_delays_the_calendar_time():
    _, kwargs = exponential_case()
    competing = [ArmHazards(a.allocation, a.event, competing=0.02, dropout=a.dropout) for a in kwargs["arms"]]
    plain = calendar_time(100, **kwargs)
    assert calendar_time(100, **{**kwargs, "arms": competing}) > plain
    with pytest.raises(ValueError, match="never reach"):
        calendar_time(400, **kwargs)
    with pytest.raises(ValueError, match="accrual_time"):
        calendar_time(100, **{**kwargs, "accrual_time": [1, 24]})
