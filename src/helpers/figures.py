"""Drawing only: every figure takes tidy results computed elsewhere and returns a matplotlib Figure.

Conventions shared by all figures: time axes in months since randomisation (days / 30.4375),
one colour per arm from seaborn's colour-blind palette in a fixed arm order, numbers at risk
under time-to-event plots counted as R and SAS do (patients with time >= t).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .config import DAYS_PER_MONTH


def set_style() -> None:
    """The project's plotting style (call once per notebook; deterministic fonts and sizes)."""
    sns.set_theme(context="notebook", style="ticks", palette="colorblind", font="DejaVu Sans")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.right": False,
                         "axes.spines.top": False})


def group_colours(groups: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    palette = sns.color_palette("colorblind", n_colors=max(len(groups), 3))
    return {g: palette[i] for i, g in enumerate(groups)}


def numbers_at_risk(data: pd.DataFrame, duration_col: str, group_col: str | None,
                    times: Sequence[float]) -> pd.DataFrame:
    """Patients still at risk (``duration >= t``) at each time, per group: ``group, time, n_risk``."""
    groups = _groups(data, group_col)
    rows = []
    for g in groups:
        d = data[duration_col] if group_col is None else data.loc[data[group_col] == g, duration_col]
        values = np.sort(d.to_numpy(dtype=float))
        for t in times:
            rows.append({"group": g, "time": float(t),
                         "n_risk": int(len(values) - np.searchsorted(values, t, side="left"))})
    return pd.DataFrame(rows)


def _groups(data: pd.DataFrame, group_col: str | None) -> list[str]:
    if group_col is None:
        return ["Overall"]
    col = data[group_col]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories if (col == c).any()]
    return sorted(col.dropna().astype(str).unique())


def step_curves(curves: pd.DataFrame, *, at_risk: pd.DataFrame | None = None, ylabel: str,
                xmax_days: float | None = None, ylim: tuple[float, float] | None = None,
                month_ticks: int = 6, title: str | None = None, percent: bool = True) -> Figure:
    """Step curves with 95% bands per group, and a numbers-at-risk table under the axes.

    ``curves`` is a tidy frame with ``group, time, estimate, conf_low, conf_high`` (time in days),
    as returned by ``cumulative_incidence`` (one cause) or ``kaplan_meier``. ``at_risk`` is the
    output of :func:`numbers_at_risk` at the tick times. ``ylim`` defaults to 0 up to the next
    tenth above the highest confidence limit, so nothing is clipped.
    """
    from .cohort import order_arms

    groups = order_arms(curves["group"].astype(str).unique())
    colours = group_colours(groups)
    fig = plt.figure(figsize=(7.5, 5.2 if at_risk is not None else 4.5))
    grid = fig.add_gridspec(2, 1, height_ratios=(4, 0.25 + 0.22 * len(groups)) if at_risk is not None else (1, 0.0001),
                            hspace=0.35)
    ax = fig.add_subplot(grid[0])
    for g in groups:
        c = curves[curves["group"].astype(str) == g].sort_values("time")
        t = c["time"].to_numpy() / DAYS_PER_MONTH
        ax.step(t, c["estimate"], where="post", color=colours[g], label=g, lw=1.8)
        ax.fill_between(t, c["conf_low"], c["conf_high"], step="post", color=colours[g], alpha=0.15, lw=0)
    xmax = (xmax_days if xmax_days is not None else curves["time"].max()) / DAYS_PER_MONTH
    ticks = np.arange(0, xmax + 1e-9, month_ticks)
    ax.set_xlim(0, max(xmax, month_ticks))
    ax.set_xticks(ticks)
    if ylim is None:
        top = float(np.nanmax(curves[["estimate", "conf_high"]].to_numpy(dtype=float)))
        ylim = (0.0, min(1.0, np.ceil(top * 10 - 1e-9) / 10))
    ax.set_ylim(*ylim)
    ax.set_xlabel("Months since randomisation")
    ax.set_ylabel(ylabel)
    if percent:
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.legend(frameon=False, loc="best")
    if title:
        ax.set_title(title, loc="left")
    if at_risk is not None:
        tab = fig.add_subplot(grid[1], sharex=ax)
        tab.set_ylim(-0.5, len(groups) - 0.5)
        for row, g in enumerate(groups):
            y = len(groups) - 1 - row
            sub = at_risk[at_risk["group"].astype(str) == g]
            for _, r in sub.iterrows():
                if r["time"] / DAYS_PER_MONTH <= xmax + 1e-9:
                    tab.text(r["time"] / DAYS_PER_MONTH, y, f"{int(r['n_risk'])}", ha="center", va="center",
                             fontsize=9, color=colours[g])
        tab.set_yticks(range(len(groups)))
        tab.set_yticklabels(list(reversed(groups)), fontsize=9)
        tab.tick_params(axis="both", length=0, labelbottom=False)
        tab.tick_params(axis="y", pad=14)
        for side in ("top", "right", "bottom", "left"):
            tab.spines[side].set_visible(False)
        tab.set_title("Number at risk", loc="left", fontsize=9)
    return fig


def forest_plot(effects: pd.DataFrame, *, estimate_label: str = "Hazard ratio (95% CI)",
                favours: tuple[str, str] = ("Favours sorafenib", "Favours no maintenance")) -> Figure:
    """Forest plot of subgroup effects on a log scale.

    ``effects`` has one row per line: ``label`` (text on the left), ``estimate``, ``conf_low``,
    ``conf_high``, and optionally ``is_header`` (bold text, no marker).
    """
    n = len(effects)
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * n + 1.4))
    y = np.arange(n)[::-1]
    finite = effects[np.isfinite(effects["estimate"].astype(float))]
    lo = float(np.nanmin(finite["conf_low"])) if len(finite) else 0.1
    hi = float(np.nanmax(finite["conf_high"])) if len(finite) else 10
    lo, hi = min(lo, 0.5) * 0.8, max(hi, 2.0) * 1.25
    for yi, (_, r) in zip(y, effects.iterrows()):
        header = bool(r.get("is_header", False))
        ax.text(-0.02, yi, str(r["label"]), transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontsize=9, fontweight="bold" if header else "normal")
        if header or not np.isfinite(float(r["estimate"])):
            continue
        ax.plot([max(r["conf_low"], lo), min(r["conf_high"], hi)], [yi, yi], color="0.25", lw=1.2)
        ax.plot(r["estimate"], yi, "s", color="0.15", ms=5)
    ax.axvline(1.0, color="0.5", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.8, n - 0.2)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(estimate_label)
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10) if lo <= t <= hi]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    for x, text, ha in ((0.0, f"\u2190 {favours[0]}", "left"), (1.0, f"{favours[1]} \u2192", "right")):
        ax.annotate(text, xy=(x, 0), xycoords="axes fraction", xytext=(0, -36), textcoords="offset points",
                    ha=ha, va="top", fontsize=8)
    return fig


def figure_consort(flow: Mapping[str, object]) -> Figure:
    """CONSORT 2010 flow diagram from the counts of ``helpers.cohort.consort_flow``."""
    fig, ax = plt.subplots(figsize=(8.5, 9.5))
    ax.set_axis_off()
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    box = {"boxstyle": "round,pad=0.5", "fc": "white", "ec": "0.3", "lw": 1}

    def put(x: float, y: float, text: str, ha: str = "center") -> None:
        ax.text(x, y, text, ha=ha, va="center", fontsize=8.5, bbox=box, multialignment="left")

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1})

    def reasons(counts: object, indent: str = "   ") -> str:
        assert isinstance(counts, Mapping)
        return "".join(f"\n{indent}{k.capitalize() if k.isupper() else k} (n={v})" for k, v in counts.items())

    put(30, 97, f"Assessed for eligibility (n={flow['assessed']})")
    put(52, 85, f"Excluded (n={flow['excluded']}){reasons(flow['excluded_reasons'])}", ha="left")
    arrow(30, 95.2, 30, 74.8)
    ax.plot([30, 51.2], [85, 85], color="0.3", lw=1)
    put(30, 73, f"Randomised (n={flow['randomised']})")
    arms = flow["arms"]
    assert isinstance(arms, Mapping)
    for x, (arm, c) in zip((25, 75), arms.items()):
        arrow(30, 71.2, x, 64.5)
        put(x, 60, f"Allocated to {arm.lower()} (n={c['allocated']})\n"
                   f"   Received allocated strategy (n={c['received']})\n"
                   f"   Did not receive it (n={c['allocated'] - c['received']})")
        stopped = (f"Discontinued sorafenib (n={c['discontinued_intervention']}){reasons(c['discontinued_reasons'])}"
                   if c["treated"] else "No maintenance treatment given")
        put(x, 38, f"{stopped}\nDied (n={c['died']})\n"
                   f"Left the study alive (n={c['left_study']}){reasons(c['left_study_reasons'])}")
        put(x, 13, f"Analysed, {flow['population']} (n={c['analysed']})\n"
                   f"   Not in the analysis population (n={c['allocated'] - c['analysed']})")
        arrow(x, 55.3, x, 46)
        arrow(x, 30, x, 16.5)
    for y, label in ((66.5, "Allocation"), (48.5, "Follow-up"), (22, "Analysis")):
        ax.text(50, y, label, ha="center", va="center", fontsize=9, fontweight="bold",
                bbox={"boxstyle": "round,pad=0.3", "fc": "#dde8f3", "ec": "none"})
    return fig


def forest_rows(effects: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Lines of a forest plot from ``subgroup_effects``: a bold header per subgroup, then its levels."""
    rows = []
    for subgroup, d in effects.groupby("subgroup", sort=False):
        if len(d) == 1 and str(d["level"].iloc[0]) == str(subgroup):
            r = d.iloc[0]
            rows.append({"label": str(subgroup), "estimate": r["estimate"], "conf_low": r["conf_low"],
                         "conf_high": r["conf_high"], "is_header": False})
            continue
        rows.append({"label": labels.get(str(subgroup), str(subgroup)), "estimate": np.nan, "conf_low": np.nan,
                     "conf_high": np.nan, "is_header": True})
        for r in d.itertuples():
            rows.append({"label": f"    {r.level}", "estimate": r.estimate, "conf_low": r.conf_low,
                         "conf_high": r.conf_high, "is_header": False})
    return pd.DataFrame(rows)


def figure_teae_terms(terms: pd.DataFrame) -> Figure:
    """Percent of patients with each preferred term by arm, any grade (circles) and grade >= 3
    (squares), terms in the table's order (``safety.teae_by_term``)."""
    arms = [g for g in dict.fromkeys(terms["group"]) if g != "Total"]
    colours = group_colours(arms)
    order = list(dict.fromkeys(terms["term"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(order) + 1.5))
    y = {t: len(order) - 1 - i for i, t in enumerate(order)}
    for k, arm in enumerate(arms):
        d = terms[terms["group"] == arm]
        offset = 0.15 * (k - (len(arms) - 1) / 2)
        ax.scatter(d["percent_any"] * 100, [y[t] + offset for t in d["term"]], color=colours[arm], marker="o",
                   s=28, label=f"{arm}, any grade")
        ax.scatter(d["percent_grade3plus"] * 100, [y[t] + offset for t in d["term"]], color=colours[arm],
                   marker="s", s=22, facecolors="none", label=f"{arm}, grade \u22653")
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels(list(y.keys()), fontsize=9)
    ax.set_xlabel("Patients (%)")
    ax.set_xlim(0, None)
    ax.grid(axis="y", color="0.92")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig
