"""Drawing only: every figure takes tidy results computed elsewhere and returns a matplotlib Figure.

Conventions shared by all figures, all read from the :class:`helpers.study.Study`: time axes in the
study's unit since randomisation (``study.time``), arms in display order with their colours
(``Arm.colour``), labels from the study; numbers at risk under time-to-event plots counted as R
and SAS do (patients with time >= t).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from helpers.study import Study, in_prose


def set_style() -> None:
    """The project's plotting style (call once per notebook; deterministic fonts and sizes)."""
    sns.set_theme(context="notebook", style="ticks", palette="colorblind", font="DejaVu Sans")
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "axes.spines.right": False, "axes.spines.top": False})


def group_colours(groups: Sequence[str], study: Study | None = None) -> dict[str, object]:
    """A colour per group: the study's colour of an arm, the colour-blind palette otherwise
    (grey for a single ``Overall`` group)."""
    palette = sns.color_palette("colorblind", n_colors=max(len(groups), 3))
    known = study.arm_colours if study is not None else {}
    out: dict[str, object] = {}
    for i, g in enumerate(groups):
        out[g] = known.get(g, "0.3" if g == "Overall" else palette[i])
    return out


#: Curves stop where fewer than this many patients remain at risk (the figures' default).
MIN_AT_RISK = 10


def until_at_risk(curves: pd.DataFrame, min_at_risk: int = MIN_AT_RISK) -> pd.DataFrame:
    """The rows of each group's curve up to its last time with at least ``min_at_risk``
    patients at risk (``n_risk``: patients with ``T >= time``, on every distinct time the
    estimators report): the curve stops where fewer remain, and its estimate there holds up to
    that time. ``min_at_risk`` 0 keeps every row."""
    if min_at_risk < 0 or int(min_at_risk) != min_at_risk:
        raise ValueError(f"{min_at_risk=}; expected a whole number >= 0")
    if min_at_risk == 0:
        return curves
    keep = pd.Series(False, index=curves.index)
    for _, c in curves.groupby(curves["group"].astype(str), sort=False):
        enough = c.loc[c["n_risk"] >= min_at_risk, "time"]
        if len(enough):
            keep.loc[c.index] = c["time"] <= enough.max()
    return curves[keep]


def step_curves(
    curves: pd.DataFrame,
    study: Study,
    *,
    min_at_risk: int = MIN_AT_RISK,
    at_risk: pd.DataFrame | None = None,
    ylabel: str,
    xmax_days: float | None = None,
    ylim: tuple[float, float] | None = None,
    title: str | None = None,
    percent: bool = True,
) -> Figure:
    """Step curves with 95% bands per group, and a numbers-at-risk table under the axes.

    ``curves`` is a tidy frame with ``group, time, estimate, conf_low, conf_high`` (time in days),
    as returned by ``cumulative_incidence`` (one cause) or ``kaplan_meier``. ``at_risk`` is the
    output of :func:`helpers.stats.survival.numbers_at_risk` at the tick times. The time axis is in ``study.time``'s
    unit with a tick every ``tick_every`` units; arms are in display order in their colours.
    Each curve stops where fewer than ``min_at_risk`` patients remain at risk
    (:func:`until_at_risk`; ``curves`` needs ``n_risk``); the numbers-at-risk table stays complete
    up to the longest follow-up. ``ylim`` defaults to 0 up to the next tenth above the highest
    confidence limit drawn, so nothing is clipped.
    """
    from helpers.analysis.cohort import order_arms

    per_unit = study.time.days_per_unit
    every = study.time.tick_every
    full_time = float(curves["time"].max())
    curves = until_at_risk(curves, min_at_risk)
    groups = order_arms(curves["group"].astype(str).unique(), study.arm_labels)
    colours = group_colours(groups, study)
    fig = plt.figure(figsize=(7.5, 5.2 if at_risk is not None else 4.5))
    grid = fig.add_gridspec(
        2, 1, height_ratios=(4, 0.25 + 0.22 * len(groups)) if at_risk is not None else (1, 0.0001), hspace=0.35
    )
    ax = fig.add_subplot(grid[0])
    for g in groups:
        c = curves[curves["group"].astype(str) == g].sort_values("time")
        t = c["time"].to_numpy() / per_unit
        ax.step(t, c["estimate"], where="post", color=colours[g], label=g, lw=1.8)
        ax.fill_between(t, c["conf_low"], c["conf_high"], step="post", color=colours[g], alpha=0.15, lw=0)
    xmax = (xmax_days if xmax_days is not None else full_time) / per_unit
    ticks = np.arange(0, xmax + 1e-9, every)
    ax.set_xlim(0, max(xmax, every))
    ax.set_xticks(ticks)
    if ylim is None:
        top = float(np.nanmax(curves[["estimate", "conf_high"]].to_numpy(dtype=float)))
        ylim = (0.0, min(1.0, np.ceil(top * 10 - 1e-9) / 10))
    ax.set_ylim(*ylim)
    ax.set_xlabel(study.time.axis_label)
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
                if r["time"] / per_unit <= xmax + 1e-9:
                    tab.text(
                        r["time"] / per_unit,
                        y,
                        f"{int(r['n_risk'])}",
                        ha="center",
                        va="center",
                        fontsize=9,
                        color=colours[g],
                    )
        tab.set_yticks(range(len(groups)))
        tab.set_yticklabels(list(reversed(groups)), fontsize=9)
        tab.tick_params(axis="both", length=0, labelbottom=False)
        tab.tick_params(axis="y", pad=14)
        for side in ("top", "right", "bottom", "left"):
            tab.spines[side].set_visible(False)
        tab.set_title("Number at risk", loc="left", fontsize=9)
    return fig


def favours_labels(study: Study, comparator: str) -> tuple[str, str]:
    """``("Favours <comparator>", "Favours <reference>")`` from the arms' short labels."""
    return (
        f"Favours {in_prose(study.arm(comparator).short_label)}",
        f"Favours {in_prose(study.reference_arm.short_label)}",
    )


def forest_plot(
    panels: Mapping[str, pd.DataFrame],
    *,
    estimate_label: str = "Hazard ratio (95% CI)",
    favours: Mapping[str, tuple[str, str]],
    text_columns: Mapping[str, Sequence[tuple[str, str, str]]] | None = None,
) -> Figure:
    """Forest plot of subgroup effects on a log scale, one panel per comparison side by side,
    with the numbers beside the lines.

    ``panels`` maps a comparison's title (shown above its panel when there is more than one) to
    its lines, each panel with the same lines (:func:`forest_rows`): ``label`` (text on the left
    of the first panel), ``estimate``, ``conf_low``, ``conf_high``, and optionally
    ``is_header`` (bold text, no marker). A line without an estimate that is no header reads
    "not estimable". ``favours`` maps each title to its (left, right) labels under the axis.
    ``text_columns`` maps a title to the text columns printed beside its panel, each
    ``(header, column of the panel's frame, "left" or "right")``.
    """
    import textwrap

    titles = list(panels)
    first = panels[titles[0]]
    n = len(first)
    k = len(titles)
    text_columns = text_columns or {}
    longest = max((len(str(x)) for x in first["label"]), default=10)
    widths = [max(2.0, 0.068 * longest)]
    slots: list[tuple[str, str, tuple[str, str, str] | None]] = [("label", "", None)]
    for title in titles:
        cols = list(text_columns.get(title, ()))
        for col in (c for c in cols if c[2] == "left"):
            widths.append(0.85)
            slots.append(("text", title, col))
        widths.append(3.0)
        slots.append(("plot", title, None))
        for col in (c for c in cols if c[2] == "right"):
            texts = panels[title][col[1]].astype(str) if col[1] in panels[title] else pd.Series([""])
            widths.append(max(0.8, 0.062 * max(len(t) for t in texts)))
            slots.append(("text", title, col))
    height = 0.3 * n + 1.9 + (0.3 if k > 1 else 0)
    fig = plt.figure(figsize=(sum(widths) + 0.3, height))
    grid = fig.add_gridspec(1, len(widths), width_ratios=widths, wspace=0.03, left=0.02, right=0.98)
    y = np.arange(n)[::-1]
    finite = pd.concat([p[np.isfinite(p["estimate"].astype(float))] for p in panels.values()])
    lo = float(np.nanmin(finite["conf_low"])) if len(finite) else 0.1
    hi = float(np.nanmax(finite["conf_high"])) if len(finite) else 10
    lo, hi = min(lo, 0.5) * 0.8, max(hi, 2.0) * 1.25
    top = n + 0.9
    for slot, (kind, title, spec) in enumerate(slots):
        ax = fig.add_subplot(grid[0, slot])
        ax.set_ylim(-0.8, top)
        if kind != "plot":
            ax.set_axis_off()
            ax.set_xlim(0, 1)
        if kind == "label":
            for yi, (_, r) in zip(y, first.iterrows()):
                bold = bool(r.get("is_header", False))
                ax.text(
                    0, yi, str(r["label"]), ha="left", va="center", fontsize=9, fontweight="bold" if bold else "normal"
                )
            continue
        effects = panels[title]
        if kind == "text" and spec is not None:
            header, column, _ = spec
            wrapped = "\n".join(textwrap.fill(part, 14, break_on_hyphens=False) for part in header.split("\n"))
            ax.text(0.5, n - 0.3, wrapped, ha="center", va="bottom", fontsize=7.5, fontweight="bold")
            for yi, (_, r) in zip(y, effects.iterrows()):
                ax.text(0.5, yi, str(r.get(column, "") or ""), ha="center", va="center", fontsize=8)
            continue
        for yi, (_, r) in zip(y, effects.iterrows()):
            if bool(r.get("is_header", False)):
                continue
            if not np.isfinite(float(r["estimate"])):
                ax.text(1.0, yi, "not estimable", ha="center", va="center", fontsize=7, color="0.45")
                continue
            ax.plot([max(r["conf_low"], lo), min(r["conf_high"], hi)], [yi, yi], color="0.25", lw=1.2)
            ax.plot(r["estimate"], yi, "s", color="0.15", ms=5)
        ax.axvline(1.0, color="0.5", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(estimate_label, fontsize=9)
        ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10) if lo <= t <= hi]
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()
        if k > 1:
            ax.set_title(title, fontsize=10)
        left, right = favours[title]
        for x, text, ha in ((0.0, f"\u2190 {left}", "left"), (1.0, f"{right} \u2192", "right")):
            ax.annotate(
                text,
                xy=(x, 0),
                xycoords="axes fraction",
                xytext=(0, -36),
                textcoords="offset points",
                ha=ha,
                va="top",
                fontsize=7.5,
            )
    return fig


def forest_rows(rows: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Lines of a forest plot from the ARD rows (:func:`helpers.present.ard.ard_subgroups`) of
    one comparison of ``subgroup_effects``: the Overall line, then a bold header per subgroup
    (the study's label) and its levels; the estimate and interval (numbers, for the drawing)
    and, as the table shows them, ``events_comparator`` and ``events_reference``
    ("events/patients"), ``effect_text`` (the effect with its interval) and ``p_text`` (the
    interaction p-value, on the subgroup's header)."""
    from helpers.present.ard import records

    def numbers(r: dict[str, Any], t: dict[str, Any]) -> dict[str, object]:
        return {
            "estimate": r["hr"],
            "conf_low": r["conf_low"],
            "conf_high": r["conf_high"],
            "events_comparator": f"{t['events_comparator']}/{t['n_comparator']}",
            "events_reference": f"{t['events_reference']}/{t['n_reference']}",
            "effect_text": "NE" if t["hr"] == "NE" else f"{t['hr']} ({t['conf_low']}, {t['conf_high']})",
            "p_text": "",
        }

    pairs = list(zip(records(rows, "stat"), records(rows, "stat_fmt")))
    lines: list[dict[str, object]] = []
    for subgroup in dict.fromkeys(t["subgroup"] for _, t in pairs):
        mine = [(r, t) for r, t in pairs if t["subgroup"] == subgroup]
        if len(mine) == 1 and mine[0][1]["level"] == subgroup:
            lines.append({"label": subgroup, **numbers(*mine[0]), "is_header": False})
            continue
        tested = [t["p_interaction"] for _, t in mine if t["p_interaction"] != "NE"]
        lines.append(
            {
                "label": study.subgroup_label(subgroup),
                "estimate": np.nan,
                "conf_low": np.nan,
                "conf_high": np.nan,
                "events_comparator": "",
                "events_reference": "",
                "effect_text": "",
                "p_text": tested[0] if tested else "NE",
                "is_header": True,
            }
        )
        for r, t in mine:
            lines.append({"label": f"    {t['level'] or 'all values missing'}", **numbers(r, t), "is_header": False})
    frame = pd.DataFrame(lines)
    for c in ("estimate", "conf_low", "conf_high"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame


def figure_forest(rows: pd.DataFrame, study: Study, *, estimate_label: str, effect_label: str = "HR") -> Figure:
    """The forest plot of :func:`helpers.stats.subgroups.subgroup_effects` from its ARD rows
    (:func:`helpers.present.ard.ard_subgroups`): one panel per comparison (comparator vs the
    reference arm, titled with the short labels), favours labels from the arms, and beside each
    panel its numbers as the table shows them: events/patients of the comparator and of the
    reference arm, the effect (``effect_label``, e.g. "sHR") with its 95% CI and the
    interaction p-value."""
    panels, favours, text = {}, {}, {}
    reference = study.reference_arm.short_label
    for comp in dict.fromkeys(rows["group1_level"]):
        title = study.comparison_label(str(comp))
        panels[title] = forest_rows(rows[rows["group1_level"] == comp], study)
        favours[title] = favours_labels(study, str(comp))
        text[title] = [
            (f"{study.arm(str(comp)).short_label}\nevents/N", "events_comparator", "left"),
            (f"{reference}\nevents/N", "events_reference", "left"),
            (f"{effect_label} (95% CI)", "effect_text", "right"),
            ("P-interaction", "p_text", "right"),
        ]
    return forest_plot(panels, estimate_label=estimate_label, favours=favours, text_columns=text)


def _reasons(counts: Mapping[str, int] | None, indent: str = "   ") -> str:
    if not counts:
        return ""
    return "".join(f"\n{indent}{k.capitalize() if k.isupper() else k} (n={v})" for k, v in counts.items())


def figure_consort(flow: Mapping[str, Any], study: Study) -> Figure:
    """CONSORT 2010 flow diagram from :func:`helpers.analysis.cohort.consort_flow`, one column per arm.

    The drug's name comes from the study: "Discontinued <drug>" for an arm given it, "No <drug>
    given" for an arm without it. Without a screening log the enrolment boxes say "not delivered".
    The open report's pooled study (:meth:`helpers.study.Study.pooled`) has one column for every
    patient, without the drug's lines and who received it (counts of the drug's arm alone).
    Arrows join the drawn boxes' edges, whatever the number of lines in a box.
    """
    arms = {a.label: flow["arms"][a.label] for a in study.arms if a.label in flow["arms"]}  # display order
    k = len(arms)
    fontsize = 8.5 if k <= 3 else 7.5
    fig, ax = plt.subplots(figsize=(max(8.5, 3.3 * k + 1.0), 9.5))
    ax.set_axis_off()
    ax.set_xlim(-8, 100)
    ax.set_ylim(0, 100)
    box = {"boxstyle": "round,pad=0.5", "fc": "white", "ec": "0.3", "lw": 1}
    drug = study.study.drug

    def put(x: float, y: float, text: str, ha: str = "center") -> Any:
        return ax.text(x, y, text, ha=ha, va="center", fontsize=fontsize, bbox=box, multialignment="left")

    top_x = 30 if k == 2 else 50 - 100 / (2 * k)
    if flow.get("screening_delivered", True):
        assessed = put(top_x, 97, f"Assessed for eligibility (n={flow['assessed']})")
        excluded = put(
            top_x + 22, 85, f"Excluded (n={flow['excluded']}){_reasons(flow['excluded_reasons'])}", ha="left"
        )
    else:
        assessed = put(top_x, 97, "Assessed for eligibility: not delivered (no screening log)")
        excluded = put(top_x + 22, 85, "Excluded: not delivered", ha="left")
    randomised = put(top_x, 73, f"Randomised (n={flow['randomised']})")
    population = flow.get("population")
    analysed = f"Analysed, {population}" if population else "Analysed, all randomised"
    columns = []
    for i, (label, c) in enumerate(arms.items()):
        x = 100 * (i + 0.5) / k
        received = (
            ""
            if c.get("received") is None or study.is_pooled  # pooled: the drug arm's non-starters
            else f"\n   Received allocated strategy (n={c['received']})"
            f"\n   Did not receive it (n={c['allocated'] - c['received']})"
        )
        if c["treated"]:
            stopped = f"Discontinued {drug} (n={c['discontinued_intervention']}){_reasons(c['discontinued_reasons'])}\n"
        else:
            stopped = "" if study.is_pooled else f"No {drug} given\n"
        allocated = f"{label}, all arms pooled" if study.is_pooled else f"Allocated to {in_prose(label)}"
        columns.append(
            [
                put(x, 60, f"{allocated} (n={c['allocated']}){received}"),
                put(
                    x,
                    38,
                    f"{stopped}Died (n={c['died']})\n"
                    f"Left the study alive (n={c['left_study']}){_reasons(c['left_study_reasons'])}",
                ),
                put(x, 9, f"{analysed} (n={c['analysed']})\n   Not in the analysis population (n={c['not_analysed']})"),
            ]
        )
    for y, label in ((85, "Enrolment"), (66.5, "Allocation"), (48.5, "Follow-up"), (20, "Analysis")):
        ax.text(
            -6,
            y,
            label,
            ha="center",
            va="center",
            fontsize=9,
            fontweight="bold",
            rotation=90,
            bbox={"boxstyle": "round,pad=0.3", "fc": "#dde8f3", "ec": "none"},
        )

    # connect the boxes at their drawn edges (data coordinates of each box's outline)
    fig.canvas.draw()
    to_data = ax.transData.inverted()

    def edges(t: Any) -> tuple[float, float, float, float]:
        (x0, y0), (x1, y1) = to_data.transform(t.get_bbox_patch().get_window_extent())
        return x0, x1, y0, y1

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "-|>", "color": "0.3", "lw": 1, "shrinkA": 0, "shrinkB": 0},
        )

    _, _, a_bottom, _ = edges(assessed)
    _, _, _, r_top = edges(randomised)
    arrow(top_x, a_bottom, top_x, r_top)
    e_left, _, e_bottom, e_top = edges(excluded)
    ax.plot([top_x, e_left], [(e_bottom + e_top) / 2] * 2, color="0.3", lw=1)
    _, _, r_bottom, _ = edges(randomised)
    for column in columns:
        x = (edges(column[0])[0] + edges(column[0])[1]) / 2
        arrow(top_x, r_bottom, x, edges(column[0])[3])
        for upper, lower in zip(column, column[1:]):
            arrow(x, edges(upper)[2], x, edges(lower)[3])
    return fig


def figure_not_delivered(what: str) -> Figure:
    """A small figure that says a figure's input was not delivered (the report's figure slot
    then shows this sentence, never an empty or zero plot)."""
    fig, ax = plt.subplots(figsize=(7.5, 1.2))
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"Not delivered: this delivery has no {what}.", ha="center", va="center", fontsize=11)
    return fig


def figure_teae_terms(terms: pd.DataFrame, study: Study) -> Figure:
    """Percent of patients with each preferred term by arm, any grade (circles) and grade >= 3
    (squares), terms in the table's order (``safety.teae_by_term``). Terms given for the Total
    column only (pooled, blind to arm) draw that column."""
    groups = list(dict.fromkeys(terms["group"]))
    arms = [g for g in groups if g != "Total"] or groups
    colours = group_colours(arms, study)
    order = list(dict.fromkeys(terms["term"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(order) + 1.5))
    y = {t: len(order) - 1 - i for i, t in enumerate(order)}
    for k, arm in enumerate(arms):
        d = terms[terms["group"] == arm]
        offset = 0.15 * (k - (len(arms) - 1) / 2)
        ax.scatter(
            d["proportion_any"] * 100,
            [y[t] + offset for t in d["term"]],
            color=colours[arm],
            marker="o",
            s=28,
            label=f"{arm}, any grade",
        )
        ax.scatter(
            d["proportion_grade3plus"] * 100,
            [y[t] + offset for t in d["term"]],
            color=colours[arm],
            marker="s",
            s=22,
            facecolors="none",
            label=f"{arm}, grade \u22653",
        )
    ax.set_yticks(list(y.values()))
    ax.set_yticklabels(list(y.keys()), fontsize=9)
    ax.set_xlabel("Patients (%)")
    ax.set_xlim(0, None)
    ax.grid(axis="y", color="0.92")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def figure_accrual(by_month: pd.DataFrame, by_site: pd.DataFrame, study: Study) -> Figure:
    """Accrual: cumulative randomisations at the end of each month against the planned rate
    (:func:`helpers.analysis.cohort.accrual_by_month`; dashed, when the study has a design), and
    randomised patients per site stacked by arm in the arms' colours
    (:func:`helpers.analysis.cohort.accrual_by_site`)."""
    fig, (ax, bars) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": (3, 2), "wspace": 0.35})
    x = np.concatenate(([0.0], by_month["months_since_start"].to_numpy(dtype=float)))
    ax.step(
        x, np.concatenate(([0], by_month["cum_randomised"])), where="post", color="0.15", lw=1.8, label="Randomised"
    )
    design = study.design
    if design is not None:
        end = max(design.accrual_months, float(x.max()))
        ax.plot(
            [0, design.accrual_months, end],
            [0, design.n_patients, design.n_patients],
            ls="--",
            color="0.5",
            lw=1.2,
            label=f"Planned: {design.n_patients} in {design.accrual_months:g} months",
        )
    ax.set_xlabel("Months since the first randomisation")
    ax.set_ylabel("Patients randomised (cumulative)")
    ax.set_xlim(0, None)
    ax.set_ylim(0, None)
    ax.legend(frameon=False, loc="upper left", fontsize=9)
    arms = [a.label for a in study.arms]
    sites = list(dict.fromkeys(by_site["site"]))
    left = np.zeros(len(sites))
    yy = np.arange(len(sites))[::-1]
    for arm in arms:
        d = by_site[by_site["group"] == arm].set_index("site").reindex(sites)["n"].fillna(0).to_numpy(dtype=float)
        bars.barh(yy, d, left=left, color=study.arm_colours[arm], label=study.arm(arm).short_label, height=0.7)
        left += d
    bars.set_yticks(yy)
    bars.set_yticklabels(sites, fontsize=8)
    bars.set_ylabel("Site")
    bars.set_xlabel("Patients randomised")
    bars.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def figure_teae_risk_differences(proportions: pd.DataFrame, differences: pd.DataFrame, study: Study) -> Figure:
    """The adverse-event dot plot of Amit, Heiberger and Lane (2008): for each preferred term,
    the percentage of patients per arm (left panel, the arms' colours) and the risk difference of
    each comparator arm against the reference arm with its 95% CI (right panel, in percentage
    points). ``proportions`` holds the term rows of :func:`helpers.analysis.safety.teae_soc_term`,
    ``differences`` :func:`helpers.analysis.safety.teae_risk_differences`; terms are sorted by the
    first comparison's risk difference, largest at the top."""
    comparisons = list(dict.fromkeys(differences["comparison"]))
    first = differences[differences["comparison"] == comparisons[0]] if comparisons else differences
    order = list(first.sort_values(["risk_difference", "term"], ascending=[True, False])["term"])
    y = {t: i for i, t in enumerate(order)}
    fig, (left, right) = plt.subplots(
        1,
        2,
        figsize=(9.5, 0.28 * len(order) + 1.6),
        sharey=True,
        gridspec_kw={"width_ratios": (1, 1.2), "wspace": 0.05},
    )
    terms = proportions[proportions["term"].isin(order)]
    arms = [a for a in study.arms if a.label in set(terms["group"])]
    for a in arms:
        d = terms[terms["group"] == a.label]
        left.scatter(100 * d["proportion"], [y[t] for t in d["term"]], color=a.colour, s=22, label=a.short_label)
    left.set_yticks(list(y.values()))
    left.set_yticklabels(order, fontsize=8)
    left.set_xlabel("Patients (%)")
    left.set_xlim(0, None)
    left.grid(axis="y", color="0.92")
    left.legend(frameon=False, fontsize=8, loc="lower right")
    k = len(comparisons)
    for i, c in enumerate(comparisons):
        d = differences[differences["comparison"] == c]
        colour = study.arm_colours[str(d["comparator_arm"].iloc[0])] if len(d) else "0.2"
        offset = 0.18 * (i - (k - 1) / 2)
        yy = np.array([y[t] for t in d["term"]]) + offset
        right.errorbar(
            100 * d["risk_difference"],
            yy,
            xerr=[100 * (d["risk_difference"] - d["conf_low"]), 100 * (d["conf_high"] - d["risk_difference"])],
            fmt="o",
            ms=4,
            color=colour,
            elinewidth=1,
            capsize=0,
            label=c,
        )
    right.axvline(0, color="0.5", lw=0.8, ls="--")
    right.set_xlabel(f"Difference from {in_prose(study.reference_arm.short_label)}, percentage points (95% CI)")
    right.grid(axis="y", color="0.92")
    if k > 1:
        right.legend(frameon=False, fontsize=8, loc="lower right")
    right.tick_params(axis="y", length=0)
    return fig


def figure_accrual_by_group(accrual: pd.DataFrame, study: Study) -> Figure:
    """Cumulative randomisations over calendar time (:func:`helpers.analysis.cohort.accrual`): one
    step line per group, arms in their colours and Total in grey; with a design in the study, the
    planned accrual (``design.n_patients`` evenly over ``design.accrual_months`` from the first
    randomisation) as a dashed line."""
    groups = list(dict.fromkeys(accrual["group"].astype(str)))
    colours = {**group_colours(groups, study), "Total": "0.3"}
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for g in groups:
        d = accrual[accrual["group"].astype(str) == g]
        ax.step(pd.to_datetime(d["date"]), d["cum_randomised"], where="post", color=colours[g], label=g, lw=1.8)
    if study.design is not None and len(accrual):
        start = pd.Timestamp(pd.to_datetime(accrual["date"]).min())
        end = start + pd.Timedelta(days=study.design.accrual_months * 365.25 / 12)
        ax.plot([start, end], [0, study.design.n_patients], color="0.5", ls="--", lw=1, label="Planned")
    ax.set_ylim(0, None)
    ax.set_xlabel("Date of randomisation")
    ax.set_ylabel("Patients randomised")
    ax.legend(frameon=False, loc="upper left")
    fig.autofmt_xdate()
    return fig


def figure_interim_boundaries(looks: pd.DataFrame, summary: Mapping[str, Any], study: Study) -> Figure:
    """The group-sequential boundaries against the information fraction, with the observed statistic.

    ``looks`` is the interim analysis's table of looks (``helpers.analysis.interim``): per look its
    ``information_fraction`` (observed, or planned for a look to come), ``efficacy_z`` and
    ``futility_z`` on the scale oriented to the planned effect, and ``status`` (``held``,
    ``current``, ``to come``). ``summary`` holds the current look's ``information_fraction``,
    ``z_planned``, ``sided`` and ``comparator_arm``. The efficacy boundary is drawn above zero (and
    mirrored below for a two-sided design), the futility boundary below it; boundaries of looks to
    come are hollow. The sides are labelled with the arm the statistic favours.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    x = looks["information_fraction"].astype(float).to_numpy()
    eff = looks["efficacy_z"].astype(float).to_numpy()
    fut = looks["futility_z"].astype(float).to_numpy() if "futility_z" in looks else np.full(len(looks), np.nan)
    coming = (looks["status"] == "to come").to_numpy()
    sided = int(summary["sided"])
    colour_eff, colour_fut, colour_obs = "#B2182B", "#2166AC", "0.1"
    lines: list[tuple[np.ndarray, str, str | None]] = [(eff, colour_eff, "Efficacy boundary")]
    if sided == 2:
        lines.append((-eff, colour_eff, None))
    if np.isfinite(fut).any():
        lines.append((fut, colour_fut, "Futility boundary"))
    for y, colour, label in lines:
        ok = np.isfinite(y)
        ax.plot(x[ok], y[ok], color=colour, lw=1.4, label=label)
        ax.scatter(x[ok & ~coming], y[ok & ~coming], color=colour, s=30, zorder=3)
        ax.scatter(x[ok & coming], y[ok & coming], facecolors="white", edgecolors=colour, s=30, zorder=3)
    z = float(summary["z_planned"])
    t = float(summary["information_fraction"])
    ax.scatter([t], [z], marker="D", s=55, color=colour_obs, zorder=4, label="Observed statistic")
    ax.annotate(f"z = {z:.2f}", (t, z), xytext=(8, 6), textcoords="offset points", fontsize=9)
    ax.axhline(0, color="0.6", lw=0.8)
    finite = np.concatenate([y[np.isfinite(y)] for y, _, _ in lines] + [np.array([z])])
    top = max(4.0, float(np.max(np.abs(finite))) * 1.1)
    ax.set_ylim(-top if sided == 2 or np.isfinite(fut).any() or z < 0 else -1.0, top)
    ax.set_xlim(0, max(1.0, float(np.nanmax(x))) * 1.05)
    ax.set_xlabel("Information fraction (primary events observed / planned)")
    ax.set_ylabel("Standardised test statistic (z)")
    for lk, xi, e in zip(looks["look"], x, eff):
        if np.isfinite(xi) and np.isfinite(e):
            ax.annotate(f"look {lk}", (xi, 0), xytext=(0, -12), textcoords="offset points", ha="center", fontsize=8)
    comparator = str(summary["comparator_arm"])
    favours_comp, favours_ref = favours_labels(study, comparator)
    planned_lower = study.design is None or study.design.hazard_ratio < 1
    upper, lower = (favours_comp, favours_ref) if planned_lower else (favours_ref, favours_comp)
    ax.text(0.01, 0.98, f"\u2191 {upper}", transform=ax.transAxes, va="top", fontsize=8)
    ax.text(0.01, 0.02, f"\u2193 {lower}", transform=ax.transAxes, va="bottom", fontsize=8)
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    return fig
