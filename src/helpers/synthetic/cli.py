"""Command line: ``python -m helpers.synthetic --study FILE --out DIR [...]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers.study import DEFAULT_STUDY, StudyError, load_study

from .trial import DEFAULT_SEED, TABLES, generate
from .writing import FORMATS, write_trial


def _tables(text: str) -> tuple[str, ...]:
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    unknown = sorted(set(names) - set(TABLES))
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown}: expected a comma-separated list of {list(TABLES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.synthetic --study FILE --out DIR [--n-patients N --seed S
    --format csv|parquet|xpt --tables adsl,adtte,...]``."""
    p = argparse.ArgumentParser(
        prog="python -m helpers.synthetic", description="Write a synthetic trial of a study definition."
    )
    p.add_argument("--study", type=Path, default=DEFAULT_STUDY, help="study definition YAML (default: %(default)s)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables to")
    p.add_argument(
        "--n-patients", type=int, default=None, help="number randomised (default: the study's design.n_patients)"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--format", choices=FORMATS, default="csv")
    p.add_argument(
        "--tables", type=_tables, default=None, help="comma-separated tables (default: the study's synthetic.tables)"
    )
    args = p.parse_args(argv)
    try:
        study = load_study(args.study)
        tables = generate(study, n_patients=args.n_patients, seed=args.seed, tables=args.tables)
    except (StudyError, ValueError) as exc:
        print(f"python -m helpers.synthetic: error: {exc}", file=sys.stderr)
        return 2
    paths = write_trial(tables, args.out, fmt=args.format, study=study)
    counts = ", ".join(f"{t}={len(df)}" for t, df in tables.items())
    print(f"wrote {len(paths)} tables ({args.format}) of {study.study.id} to {args.out}: {counts} rows")
    return 0
