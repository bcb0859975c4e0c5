"""``python -m helpers.explore``: serve the app on 127.0.0.1 and print its address.

``make explore`` runs it with ``--run RUN``: the run's parameters (study, data folder, cutoff,
population, patient listings) come from ``RUN/.make/params.json`` and the app's own (report mode,
port) from ``RUN/.make/explore.json``, both written by ``helpers.run.params`` from make's
variables; the trial is the one the run's validation step saved, when it is this run's. Options
given on the command line take precedence.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib

from helpers import config
from helpers.explore import selection as sel
from helpers.run.params import EXPLORE_FILE


def _settings(args: argparse.Namespace) -> tuple[sel.Settings, int, Path | None]:
    notebook: dict = {}
    app: dict = {}
    run = None
    if args.run is not None:
        run = Path(args.run)
        state = run / config.MAKE_STATE_DIR
        try:
            notebook = json.loads((state / "params.json").read_text(encoding="utf-8"))["notebook"]
            app = json.loads((state / EXPLORE_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise SystemExit(f"ERROR: {error.filename} does not exist: run `make explore`") from None
    study = args.study or notebook.get("study") or str(config.DEFAULT_STUDY)
    settings = sel.Settings(
        study=Path(study),
        data_dir=Path(args.data_dir or notebook.get("data_dir") or config.PROJECT_ROOT / "data" / "synthetic"),
        cutoff=args.cutoff if args.cutoff is not None else notebook.get("cutoff", ""),
        population=(args.population if args.population is not None else notebook.get("population", "")).upper(),
        report=args.report or app.get("report", "closed"),
        patient_listings=bool(args.patient_listings or notebook.get("patient_listings", False)),
    )
    port = args.port if args.port is not None else int(app.get("port", 5006))
    return settings, port, run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.explore", description=__doc__.split("\n")[0])
    parser.add_argument("--run", help="a run folder written by make (its .make/params.json and explore.json)")
    parser.add_argument("--study", help="study definition (.yaml)")
    parser.add_argument("--data-dir", help="ADaM-like input folder")
    parser.add_argument("--cutoff", help="the run's data cutoff YYYY-MM-DD (empty: as delivered)")
    parser.add_argument("--population", help="the run's analysis population (empty: the study's default)")
    parser.add_argument("--report", choices=sel.REPORT_MODES, help="closed (by arm) or open (pooled, blind to arm)")
    parser.add_argument("--patient-listings", action="store_true", help="offer the patient-level listing")
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args(argv)
    matplotlib.use("Agg")
    try:
        settings, port, run = _settings(args)
        from helpers.explore.app import ExploreApp
        from helpers.explore.views import TrialSource

        source = TrialSource.load(settings, run)
    except ValueError as error:  # the contract's, the study's and the settings' errors
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    import panel as pn

    if port == 0:  # any free port: ask the system for one
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    server = pn.serve(
        {"explore": lambda: ExploreApp(source).layout},
        address="127.0.0.1",
        port=port,
        show=False,
        start=False,
        title=f"{source.study.study.id}: explore",
        websocket_origin=[f"127.0.0.1:{port}", f"localhost:{port}"],
    )
    address = f"http://127.0.0.1:{server.port}/explore"
    mode = "closed (by arm)" if settings.by_arm else "open (pooled, blind to arm)"
    print(f"Explore app ({mode}) at {address}  (Ctrl-C stops it)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.io_loop.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
