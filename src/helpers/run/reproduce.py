"""Byte-for-byte reproduction: rebuild the synthetic run from scratch and compare it with a manifest.

``make freeze`` writes the manifest (``tests/reference/report-manifest.sha256``, committed): the
SHA-256 of every output of the default run on the synthetic trial -- the generated data, every
executed notebook, table, figure and ``results.json``, ``report.html`` and ``report.pdf`` -- built
with a fixed ``SOURCE_DATE_EPOCH``. ``make verify`` rebuilds the same run and compares file by file.

Both build the same way, from scratch: the project's tracked files (as they are in the working
tree) are copied into a temporary folder, which gets the project's virtual environment, and
``make report`` runs there with default parameters: the synthetic trial is generated, validated,
every notebook executed and the report rendered. Paths inside the copy are the same, relative to
it, as in the project, so nothing depends on where the project or the temporary folder lies.

Command line::

    python -m helpers.run.reproduce freeze --manifest FILE --epoch SECONDS
    python -m helpers.run.reproduce verify --manifest FILE [--keep]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from helpers import config
from helpers.files import atomic_write_bytes, sha256_file, sigterm_as_interrupt
from helpers.run import params

RUN_DIR = "reports/synthetic-dmc-closed"
HEADER = """\
# SHA-256 of every output of the default synthetic run (make report with default parameters),
# built from scratch with SOURCE_DATE_EPOCH={epoch}. Written by `make freeze`; `make verify`
# rebuilds the run in a temporary folder and compares every file with this list.
"""


class BuildFailed(RuntimeError):
    """``make report`` failed in the temporary copy."""


def _tracked_files(root: Path) -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: everything but outputs
        skip = {".git", ".venv", "reports", "build"}
        names = [
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] not in skip and "__pycache__" not in p.parts
        ]
        names.append("reports/README.md")
    return [n for n in names if (root / n).exists() and not n.startswith(f"{params.SYNTHETIC_DIR}/")]


def copy_project(root: Path, dest: Path) -> None:
    """Copy the tracked files (working-tree content, modification times kept so make sees the
    environment as up to date) and link the virtual environment."""
    for name in _tracked_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target, follow_symlinks=False)
    (dest / ".venv").symlink_to(root / ".venv")


def _build_env(root: Path, copy: Path, epoch: int) -> dict[str, str]:
    drop = {v.name for v in params.VARIABLES} | {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(SOURCE_DATE_EPOCH=str(epoch), PYTHONPATH=str(copy / "src"), GIT_OPTIONAL_LOCKS="0")
    try:  # the copy reports the project's commit (provenance) through the project's repository
        git_dir = subprocess.run(
            ["git", "rev-parse", "--absolute-git-dir"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        env.update(GIT_DIR=git_dir, GIT_WORK_TREE=str(copy))
    except (OSError, subprocess.CalledProcessError):
        pass
    return env


def build(workdir: Path, epoch: int, root: Path = config.PROJECT_ROOT, jobs: int = 2) -> Path:
    """Copy the project into ``workdir`` and run ``make report`` there; returns the copy's root."""
    copy = workdir / "project"
    copy_project(root, copy)
    venv_stamps = [".venv/.installed", f".venv/share/jupyter/kernels/{config.KERNEL_NAME}/kernel.json"]
    cmd = ["make", "--no-print-directory", f"-j{jobs}", "report", *(f"-o{s}" for s in venv_stamps)]
    log = workdir / "make-report.log"
    print(f"building the synthetic run from scratch in {copy} (log: {log})", flush=True)
    with open(log, "wb") as fh:
        done = subprocess.run(cmd, cwd=copy, env=_build_env(root, copy, epoch), stdout=fh, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise BuildFailed(f"make report failed in {copy} (exit {done.returncode}):\n{tail}")
    return copy


def output_files(copy: Path) -> list[str]:
    """Every output of the run, relative to the project: the generated data and everything in the
    run folder except make's own state (``.make``) and other hidden files."""
    found = []
    for base in (params.SYNTHETIC_DIR, RUN_DIR):
        for p in sorted((copy / base).rglob("*")):
            rel = p.relative_to(copy / base)
            if p.is_file() and not any(part.startswith(".") for part in rel.parts):
                found.append(f"{base}/{rel.as_posix()}")
    return found


def digests(copy: Path) -> dict[str, str]:
    return {name: sha256_file(copy / name) for name in output_files(copy)}


def write_manifest(path: Path, sums: Mapping[str, str], epoch: int) -> None:
    body = "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items()))
    atomic_write_bytes(path, (HEADER.format(epoch=epoch) + body).encode("utf-8"))


def read_manifest(path: Path) -> tuple[int, dict[str, str]]:
    epoch, sums = None, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            if m := re.search(r"SOURCE_DATE_EPOCH=(\d+)", line):
                epoch = int(m.group(1))
            continue
        if line.strip():
            sha, name = line.split(None, 1)
            sums[name.strip()] = sha
    if epoch is None:
        raise ValueError(f"{path} names no SOURCE_DATE_EPOCH; rewrite it with make freeze")
    return epoch, sums


def compare(expected: Mapping[str, str], actual: Mapping[str, str]) -> tuple[list[str], int]:
    """One line per file (``ok``, ``DIFFERS``, ``MISSING``: in the manifest, not built; ``EXTRA``:
    built, not in the manifest) and the number of differences."""
    lines, bad = [], 0
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            status = "MISSING"
        elif name not in expected:
            status = "EXTRA"
        else:
            status = "ok" if expected[name] == actual[name] else "DIFFERS"
        bad += status != "ok"
        lines.append(f"  {status:<8} {name}")
    return lines, bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.run.reproduce", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("freeze", help="rebuild from scratch and write the manifest")
    f.add_argument("--manifest", type=Path, required=True)
    f.add_argument("--epoch", type=int, required=True, help="SOURCE_DATE_EPOCH of the build")
    v = sub.add_parser("verify", help="rebuild from scratch and compare with the manifest")
    v.add_argument("--manifest", type=Path, required=True)
    for p in (f, v):
        p.add_argument("--keep", action="store_true", help="keep the temporary folder")
        p.add_argument("--workdir", type=Path, help="build here instead of a new temporary folder")
    args = parser.parse_args(argv)

    manifest = args.manifest if args.manifest.is_absolute() else config.PROJECT_ROOT / args.manifest
    if args.command == "verify":
        if not manifest.exists():
            print(f"ERROR: {args.manifest} does not exist; write it with make freeze", file=sys.stderr)
            return 2
        epoch, expected = read_manifest(manifest)
    else:
        epoch, expected = args.epoch, {}
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="nct04674345-reproduce-"))
    workdir.mkdir(parents=True, exist_ok=True)
    keep = args.keep or args.workdir is not None
    try:
        with sigterm_as_interrupt():
            copy = build(workdir, epoch)
            actual = digests(copy)
    except (BuildFailed, KeyboardInterrupt) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    finally:
        if not keep and sys.exc_info()[0] is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.command == "freeze":
        write_manifest(manifest, actual, epoch)
        print(f"wrote {len(actual)} SHA-256 sums to {args.manifest} (SOURCE_DATE_EPOCH={epoch}); commit it")
        bad = 0
    else:
        lines, bad = compare(expected, actual)
        print(f"Comparing {len(actual)} rebuilt files with {args.manifest} (SOURCE_DATE_EPOCH={epoch}):")
        print("\n".join(lines))
        if bad:
            print(
                f"\n{bad} of {len(lines)} files differ from the manifest (rebuilt run kept in {copy}).\n"
                "If the change in outputs is intended, commit the code and run `make freeze`."
            )
            keep = True
        else:
            print(f"\nall {len(lines)} files are byte-identical to the manifest.")
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
