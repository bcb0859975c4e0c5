"""The design simulator: its array kernel equals the validated DataFrame statistics, its blocks are
reproducible whatever runs them, and its operating characteristics match the analytic design."""

from __future__ import annotations

import math

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from helpers.stats.competing_risks import fine_gray, gray_test
from helpers.stats.competing_risks._kernel import batch_counts, gray_from_counts, logrank_from_counts
from helpers.stats.design_simulation import (
    Accrual,
    ArmEffect,
    Looks,
    PiecewiseExponential,
    SubdistributionModel,
    TrialModel,
    Weibull,
    decide,
    operating_characteristics,
    per_look,
    simulate,
    simulate_block,
)
from helpers.stats.survival import logrank_test


def _samples(n_samples: int, n: int, seed: int, *, decimals: int | None = 0):
    """Samples with two groups, two causes, censoring, ties (times rounded) and absent patients."""
    rng = np.random.default_rng(seed)
    t = rng.exponential(10.0, (n_samples, n))
    if decimals is not None:
        t = np.round(t, decimals)
    e = rng.choice([0, 1, 1, 2], size=(n_samples, n))
    g = rng.integers(0, 2, (n_samples, n))
    present = rng.random((n_samples, n)) > 0.1
    order = np.argsort(np.where(present, t, np.inf), axis=1, kind="stable")
    rows = np.arange(n_samples)[:, None]
    return t[rows, order], e[rows, order], g[rows, order], present[rows, order]


def _frame(t, e, g, p):
    return pd.DataFrame({"t": t[p], "e": e[p], "g": g[p]})


@pytest.mark.parametrize("decimals", [0, None], ids=["tied", "continuous"])
def test_batched_gray_statistic_equals_gray_test_on_each_sample(decimals):
    t, e, g, p = _samples(6, 80, 1, decimals=decimals)
    scores, variance = gray_from_counts(*batch_counts(t, e, g, 2, cause=1, present=p))
    z2 = scores[:, 0] ** 2 / variance[:, 0, 0]
    for i in range(len(t)):
        # gray_test is checked against R cmprsk::cuminc()$Tests in test_competing_risks.py
        want = gray_test(_frame(t[i], e[i], g[i], p[i]), "t", "e", "g", causes=[1])
        npt.assert_allclose(z2[i], want["statistic"].iloc[0], rtol=1e-10)


def test_batched_gray_sign_is_negative_when_the_second_group_has_fewer_events():
    t = np.arange(1.0, 21.0)[None, :]
    g = (np.arange(20) % 2)[None, :]
    e = np.where(g == 1, np.where(np.arange(20) % 4 == 1, 1, 0), 1)
    scores, variance = gray_from_counts(*batch_counts(t, e, g, 2, cause=1))
    assert -scores[0, 0] / math.sqrt(variance[0, 0, 0]) < 0


def test_batched_cause_specific_logrank_equals_logrank_test_with_competing_events_censored():
    t, e, g, p = _samples(5, 60, 2)
    n_risk, _, n_cause = batch_counts(t, e, g, 2, cause=1, present=p)
    o_minus_e, var = logrank_from_counts(n_risk, n_cause)
    for i in range(len(t)):
        df = _frame(t[i], e[i], g[i], p[i]).assign(d=lambda d: (d["e"] == 1).astype(int))
        # logrank_test is checked against R survival::survdiff in test_survival.py
        want = logrank_test(df, "t", "d", "g")
        npt.assert_allclose(o_minus_e[i] ** 2 / var[i], want["statistic"].iloc[0], rtol=1e-10)


def _model(**change) -> TrialModel:
    base = dict(
        n_patients=120,
        arms=(ArmEffect(), ArmEffect(hr_primary=0.6)),
        primary=Weibull(0.75, 40.0),
        competing=Weibull(0.8, 120.0),
        accrual=Accrual.uniform(120, 24.0),
        looks=Looks(events=(20, 40)),
        dropout_rate=0.002,
    )
    return TrialModel(**{**base, **change})


def test_fine_gray_statistic_of_a_simulated_trial_equals_fine_gray():
    model = _model(statistic="fine-gray", looks=Looks(events=(40,)))
    got = simulate_block(model, 3, np.random.SeedSequence(5))
    gray_model = _model(looks=Looks(events=(40,)))
    # the same seed gives the same trials whatever the statistic; rebuild trial 0 at its look
    sims = simulate_block(gray_model, 3, np.random.SeedSequence(5))
    npt.assert_array_equal(sims["look_time"], got["look_time"])
    rng = np.random.default_rng(np.random.SeedSequence(5))
    from helpers.stats.design_simulation.engine import _allocate, _latent_times

    arm = _allocate(rng, 3, 120, np.array([1.0, 1.0]))
    entry = model.accrual.entry_times(rng, (3, 120))
    time, cause = _latent_times(model, rng, arm)
    cut = got["look_time"][0, 0]
    inside = entry[0] <= cut
    observed = entry[0] + time[0] <= cut
    frame = pd.DataFrame(
        {
            "t": np.where(observed, time[0], cut - entry[0])[inside],
            "e": np.where(observed, cause[0], 0)[inside],
            "arm": arm[0][inside],
        }
    )
    fit = fine_gray(frame, "t", "e", ["arm"])  # checked against cmprsk::crr in test_fine_gray.py
    npt.assert_allclose(got["z"][0, 0], fit.summary["statistic"].iloc[0], rtol=1e-10)
    npt.assert_allclose(np.exp(got["log_shr"][0, 0]), fit.summary["hr"].iloc[0], rtol=1e-10)


def test_looks_by_events_happen_at_the_planned_primary_event_counts():
    sims = simulate(_model(), 200, 3)
    reached = sims["n_primary"][:, -1] >= 40
    assert reached.sum() > 100
    npt.assert_array_equal(sims["n_primary"][reached], np.broadcast_to([20, 40], (reached.sum(), 2)))


def test_looks_by_calendar_times():
    sims = simulate(_model(looks=Looks(times=(12.0, 30.0))), 100, 3)
    npt.assert_array_equal(np.unique(sims["look_time"][:, 0]), [12.0])
    assert (sims["n_patients"][:, 0] < 120).all()


def test_blocks_are_identical_whatever_the_block_order_and_the_backend():
    model = _model()
    serial = simulate(model, 250, 11, block_size=100)
    pool = simulate(model, 250, 11, block_size=100, backend="processes", workers=2)
    for name in serial:
        npt.assert_array_equal(serial[name], pool[name])
    # the first block does not depend on how many blocks follow
    short = simulate(model, 100, 11, block_size=100)
    npt.assert_array_equal(short["z"], serial["z"][:100])


def test_piecewise_exponential_inverts_its_cumulative_hazard():
    h = PiecewiseExponential((0.1, 0.05, 0.2), (0.0, 6.0, 12.0))
    t = np.array([0.0, 3.0, 6.0, 9.5, 12.0, 40.0])
    npt.assert_allclose(h.inverse(h.cumulative(t)), t, atol=1e-12)
    npt.assert_allclose(h.cumulative(np.array([6.0, 12.0])), [0.6, 0.9])


def test_subdistribution_model_draws_its_cumulative_incidence():
    m = SubdistributionModel(p=0.4, rate=0.1, competing_rate=0.05)
    model = _model(primary=m, competing=None, arms=(ArmEffect(), ArmEffect(hr_primary=2.0)))
    from helpers.stats.design_simulation.engine import _latent_times

    arm = np.repeat([[0, 1]], 100_000, axis=0).T.reshape(1, -1)
    time, cause = _latent_times(model, np.random.default_rng(1), arm.reshape(1, -1))
    for a, theta in ((0, 1.0), (1, 2.0)):
        sel = arm[0] == a
        got = np.mean((time[0, sel] <= 10.0) & (cause[0, sel] == 1))
        npt.assert_allclose(got, m.cif(10.0, theta), atol=4 * math.sqrt(0.25 / sel.sum()))


def test_decisions_stop_at_the_first_crossing():
    z = np.array([[-3.0, -1.0], [-1.0, -2.5], [2.9, 0.0], [0.1, -5.0], [np.nan, -2.0]])
    d = decide(z, [2.5, 1.96], [0.0, -np.inf], sided=2)
    npt.assert_array_equal(d.stop, [0, 1, 0, 0, 1])
    npt.assert_array_equal(d.outcome, [1, 1, -1, 2, 1])


def test_operating_characteristics_are_tidy_with_monte_carlo_errors():
    sims = simulate(_model(), 300, 4)
    oc = operating_characteristics(sims, [2.8, 1.98])
    assert list(oc.columns) == ["quantity", "estimate", "mc_std_error"]
    power = oc.set_index("quantity").loc["reject"]
    npt.assert_allclose(power["mc_std_error"], math.sqrt(power["estimate"] * (1 - power["estimate"]) / 300))
    looks = per_look(sims, [2.8, 1.98])
    npt.assert_allclose(looks["cumulative_reject"].iloc[-1], power["estimate"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_patients": 1}, "n_patients=1"),
        ({"arms": (ArmEffect(),)}, "arms has 1 arm"),
        ({"statistic": "wald"}, "statistic='wald'"),
        ({"dropout_rate": -0.1}, "dropout_rate=-0.1"),
        ({"comparator": 0}, "reference and comparator"),
        ({"competing": None}, "competing is None"),
    ],
)
def test_bad_models_are_refused_naming_the_setting(change, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        _model(**change)


def test_bad_looks_hazards_and_seeds_are_refused_naming_the_setting():
    with pytest.raises(ValueError, match="looks events"):
        Looks(events=(40, 20))
    with pytest.raises(ValueError, match="either events"):
        Looks()
    with pytest.raises(ValueError, match="shape"):
        Weibull(0.0, 1.0)
    with pytest.raises(ValueError, match="seed=-1"):
        simulate(_model(), 10, -1)
    with pytest.raises(ValueError, match="efficacy has 1 values"):
        decide(np.zeros((3, 2)), [1.96])
