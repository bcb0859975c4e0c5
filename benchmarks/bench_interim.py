"""Time the interim analysis's projection of event dates (helpers.stats.event_prediction) and the
boundaries, conditional and predictive power of a look (helpers.stats.group_sequential).

Usage::

    .venv/bin/python benchmarks/bench_interim.py             # n = 346 / 10,000 / 100,000 patients

Data: a trial at an interim cut, half of it still to enrol; three competing causes (event,
competing event, dropout) with piecewise-constant hazards changing at 365 and 730 days; seeded.
The projection fits the hazards and simulates 2,000 trials (the notebook's default), the target
being twice the events observed. Prints a table; nothing is asserted (speed is measured here,
never in timed tests).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from helpers.stats import group_sequential as gs
from helpers.stats.event_prediction import predict_event_days


def simulate(n: int, seed: int = 20240701) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    entered = n // 2
    follow = rng.uniform(0, 900, entered)  # days since entry at the cut
    t = rng.exponential(1 / 0.0012, entered)
    code = rng.choice([1, 2, 3], size=entered, p=[0.6, 0.3, 0.1])
    done = t < follow
    data = pd.DataFrame({"AVAL": np.where(done, t, follow), "CODE": np.where(done, code, 0)})
    return data, data.loc[data["CODE"] == 0, "AVAL"].to_numpy()


def best_of(k: int, f) -> float:
    times = []
    for _ in range(k):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    design = gs.design([0.5, 1.0], alpha=0.05, sided=2, power=0.8, alpha_spending="obrien-fleming")
    bounds = gs.update(design, [0.52, 1.0], final=True)
    print(
        "| n | projection, 2,000 simulated trials (s) | boundaries at the observed fraction (s) | conditional + predictive power (s) |"
    )
    print("| --- | --- | --- | --- |")
    for n in (346, 10_000, 100_000):
        data, at_risk = simulate(n)
        observed = int((data["CODE"] == 1).sum())

        def project(data=data, at_risk=at_risk, observed=observed, n=n) -> None:
            predict_event_days(
                data,
                "AVAL",
                "CODE",
                cause=1,
                at_risk=at_risk,
                targets=[2 * observed],
                observed=observed,
                breaks=[365, 730],
                n_new=n - n // 2,
                accrual=(n // 2, 900.0),
                n_sim=2000,
                seed=1,
            )

        t_proj = best_of(3, project)
        t_bound = best_of(3, lambda: gs.update(design, [0.52, 1.0], final=True))
        t_power = best_of(
            3,
            lambda: (
                gs.conditional_power(1.2, 0.52, bounds, theta=2.8),
                gs.conditional_power(1.2, 0.52, bounds, theta="estimate"),
                gs.predictive_power(1.2, 0.52, bounds),
            ),
        )
        print(f"| {n:,} | {t_proj:.3f} | {t_bound:.3f} | {t_power:.3f} |")


if __name__ == "__main__":
    main()
