"""The Panel page: filters on the left, the chosen view on the right (its label, figure, numbers,
downloads and "Show code"). Every interaction recomputes the view with :func:`views.compute`.

``explore(...)`` builds the page for JupyterLab (``notebooks/explore.ipynb``); ``python -m
helpers.explore`` serves one per browser session (``make explore``).
"""

from __future__ import annotations

import html
import io
import time
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn

from helpers.explore import selection as sel
from helpers.explore.views import TrialSource, View, compute, figure_bytes
from helpers.run.outputs import table_csv_bytes

__all__ = ["ExploreApp", "explore"]

#: Inline styles (each pane renders in its own shadow root): the label's colours by kind.
_LABEL_STYLE = {
    "prespecified": "background: #e6f2e6; border-left: 6px solid #2e7d32; padding: 6px 10px;",
    "exploratory": "background: #fff4e0; border-left: 6px solid #e65100; padding: 6px 10px; font-weight: bold;",
}
_CODE_STYLE = "background: #f6f8fa; padding: 8px; font-size: 12px; white-space: pre; overflow-x: auto;"


class ExploreApp:
    """One page of the app over a :class:`TrialSource` (one per browser session; the source is shared)."""

    def __init__(self, source: TrialSource):
        self.source = source
        study, settings = source.study, source.settings
        everyone = source.everyone
        views = {title: key for key, title in sel.VIEWS.items() if key != "patients" or settings.patient_listings}
        self.view = pn.widgets.RadioButtonGroup(
            name="View", options=views, value="time_to_event", orientation="vertical", css_classes=["explore-view"]
        )
        delivered = {e.label: e.paramcd for e in study.endpoints if everyone.has_endpoint(e.paramcd)}
        self.endpoint = pn.widgets.Select(
            name="Endpoint", options=delivered, value=study.primary.endpoint, css_classes=["explore-endpoint"]
        )
        self.cause = pn.widgets.Select(name="Event drawn", options={}, css_classes=["explore-cause"])
        self.population = pn.widgets.Select(
            name="Population",
            options={f"{p.label} ({name})": name for name, p in study.populations.items()},
            value=sel.Selection().resolved(settings, study).population,
            css_classes=["explore-population"],
        )
        self.cutoff = pn.widgets.TextInput(
            name=f"Data cutoff, YYYY-MM-DD (empty: the run's, {settings.cutoff or 'as delivered'})",
            placeholder="YYYY-MM-DD",
            css_classes=["explore-cutoff"],
        )
        last_day = float(everyone.adtte["AVAL"].max()) if len(everyone.adtte) else study.time.main_landmark
        self.landmark = pn.widgets.Select(
            name="Landmark time",
            options=sel.landmark_options(study, last_day),
            value=float(study.time.main_landmark),
            css_classes=["explore-landmark"],
        )
        self.min_grade = pn.widgets.Select(
            name="Adverse events: lowest grade counted",
            options={"Any grade": 1, **{f"Grade {g} or higher": g for g in range(2, 6)}},
            value=1,
            css_classes=["explore-grade"],
        )
        socs = sorted(everyone.adae["AEBODSYS"].dropna().unique()) if everyone.adae is not None else []
        self.soc = pn.widgets.Select(
            name="Adverse events: system organ class",
            options={"All": "", **{str(s): str(s) for s in socs}},
            css_classes=["explore-soc"],
        )
        self.categories: dict[str, pn.widgets.MultiChoice] = {}
        self.ranges: dict[str, pn.widgets.RangeSlider] = {}
        adsl = everyone.adsl
        for name in sel.filter_variables(study):
            var = study.variable(name)
            if var.kind == "continuous":
                values = pd.to_numeric(adsl[name], errors="coerce").dropna()
                if values.empty or values.min() == values.max():
                    continue
                low, high = float(values.min()), float(values.max())
                self.ranges[name] = pn.widgets.RangeSlider(
                    name=var.label,
                    start=low,
                    end=high,
                    value=(low, high),
                    step=1,
                    css_classes=[f"explore-filter-{name}"],
                )
            else:
                levels = sel.filter_levels(adsl, study, name)
                self.categories[name] = pn.widgets.MultiChoice(
                    name=f"{var.label} (empty: all)",
                    options={label: code for code, label in levels.items()},
                    css_classes=[f"explore-filter-{name}"],
                )
        mode = (
            "Closed mode: by arm, for the data monitoring committee."
            if settings.by_arm
            else "Open (pooled) mode: blind to arm; nothing comparative is shown."
        )
        self.mode = pn.pane.HTML(f"<p class='explore-mode'>{html.escape(mode)}</p>")
        self.label = pn.pane.HTML("", css_classes=["explore-label"], sizing_mode="stretch_width")
        self.message = pn.pane.HTML("", css_classes=["explore-message"])
        self.error = pn.pane.HTML("", css_classes=["explore-error"], styles={"color": "#b00020"})
        self.figure = pn.pane.PNG(None, width=760, css_classes=["explore-figure"])
        self.numbers = pn.Column(css_classes=["explore-numbers"])
        self.downloads = pn.Row(css_classes=["explore-downloads"])
        self.show_code = pn.widgets.Toggle(name="Show code", value=False, css_classes=["explore-show-code"])
        self.code = pn.pane.HTML("", visible=False, css_classes=["explore-code"], sizing_mode="stretch_width")
        self.timing = pn.pane.HTML("", css_classes=["explore-timing"], styles={"color": "#777", "font-size": "11px"})
        self.current: View | None = None
        #: refreshes so far (the label's ``data-refresh``: a browser test waits for it to change)
        self.refreshes = 0

        controls = [self.endpoint, self.cause, self.population, self.cutoff, self.landmark, self.min_grade, self.soc]
        for w in [self.view, *controls, *self.categories.values(), *self.ranges.values()]:
            w.param.watch(self._changed, "value")
        self.show_code.param.watch(lambda e: setattr(self.code, "visible", e.new), "value")
        self._set_causes()
        filters = pn.Card(
            *self.categories.values(), *self.ranges.values(), title="Subgroup filters", collapsed=False, width=320
        )
        sidebar = pn.Column(
            pn.pane.HTML(f"<h2>{html.escape(study.study.id)}: explore</h2>"),
            self.mode,
            self.view,
            *controls,
            filters,
            width=340,
        )
        main = pn.Column(
            self.label,
            self.error,
            self.message,
            self.figure,
            self.downloads,
            self.numbers,
            self.show_code,
            self.code,
            self.timing,
            sizing_mode="stretch_width",
        )
        self.layout = pn.Row(sidebar, main)
        self.refresh()

    # -- state ----------------------------------------------------------------------------------
    def selection(self) -> sel.Selection:
        """The selection the widgets show."""
        categories = tuple((name, tuple(w.value)) for name, w in self.categories.items() if w.value)
        ranges = tuple(
            (name, float(w.value[0]), float(w.value[1]))
            for name, w in self.ranges.items()
            if tuple(w.value) != (w.start, w.end)
        )
        return sel.Selection(
            view=self.view.value,
            endpoint=self.endpoint.value,
            cause=int(self.cause.value or 0),
            population=self.population.value,
            cutoff=(self.cutoff.value or "").strip(),
            landmark=float(self.landmark.value),
            categories=categories,
            ranges=ranges,
            min_grade=int(self.min_grade.value),
            soc=self.soc.value,
        )

    def _set_causes(self) -> None:
        e = self.source.study.endpoint(self.endpoint.value)
        if e.kind == "competing":
            options = {label: code for code, label in e.causes.items()}
            default = self.source.study.primary.cause if e.paramcd == self.source.study.primary.endpoint else 1
            self.cause.param.update(options=options, value=default, disabled=False)
        else:
            self.cause.param.update(options={e.label: 1}, value=1, disabled=True)

    def _changed(self, event: Any) -> None:
        if event.obj is self.endpoint:
            self._set_causes()
        self.refresh()

    def refresh(self) -> None:
        """Recompute the view of the current selection and show it."""
        started = time.perf_counter()
        try:
            view = compute(self.source, self.selection())
        except ValueError as error:
            self.refreshes += 1
            self.error.object = (
                f"<p class='explore-error-text' data-refresh='{self.refreshes}'>{html.escape(str(error))}</p>"
            )
            return
        self.error.object = ""
        self.current = view
        self.refreshes += 1
        kind = "prespecified" if view.label.prespecified else "exploratory"
        self.label.object = (
            f"<div class='explore-label-text' data-kind='{kind}' data-view='{view.key}' "
            f"data-refresh='{self.refreshes}' style='{_LABEL_STYLE[kind]}'>"
            f"{html.escape(view.label.text)}</div>"
        )
        self.message.object = f"<p>{html.escape(view.message)}</p>" if view.message else ""
        self.figure.object = view.png()
        self.figure.visible = view.figure is not None
        self.numbers[:] = [
            pn.Column(
                pn.pane.HTML(f"<h3>{html.escape(heading)}</h3>"),
                pn.pane.DataFrame(frame, index=False, escape=True, css_classes=["explore-table"]),
            )
            for heading, frame in view.shown.items()
        ]
        self.downloads[:] = self._downloads(view)
        self.code.object = f"<pre class='explore-code-text' style='{_CODE_STYLE}'>{html.escape(view.code)}</pre>"
        self.timing.object = f"computed in {time.perf_counter() - started:.2f} s"

    def _downloads(self, view: View) -> list[Any]:
        """Download buttons; each file is made when its button is pressed (the PNG is the one shown)."""
        stem = view.key.replace("_", "-")
        shown_png = self.figure.object
        out = []
        if view.figure is not None:
            fig = view.figure
            out.append(
                pn.widgets.FileDownload(
                    callback=lambda: io.BytesIO(shown_png), filename=f"{stem}.png", label="Figure (PNG)", embed=False
                )
            )
            out.append(
                pn.widgets.FileDownload(
                    callback=lambda: io.BytesIO(figure_bytes(fig, "svg")),
                    filename=f"{stem}.svg",
                    label="Figure (SVG)",
                    embed=False,
                )
            )
        for name, frame in view.numbers.items():
            out.append(
                pn.widgets.FileDownload(
                    callback=lambda frame=frame: io.BytesIO(table_csv_bytes(frame)),
                    filename=f"{stem}-{name}.csv",
                    label=f"Numbers: {name} (CSV)",
                    embed=False,
                )
            )
        return out


def explore(
    *,
    study: str | Path,
    data_dir: str | Path,
    cutoff: str = "",
    population: str = "",
    report: str = "closed",
    patient_listings: bool = False,
    out_dir: str | Path | None = None,
) -> pn.Row:
    """The app for a notebook cell: the run's parameters in, the Panel page out."""
    settings = sel.Settings(
        study=Path(study),
        data_dir=Path(data_dir),
        cutoff=cutoff,
        population=population.upper(),
        report=report,
        patient_listings=patient_listings,
    )
    return ExploreApp(TrialSource.load(settings, out_dir)).layout
