"""Run the blocks of a simulation in-process, on a local process pool or on a Dask cluster.

The work is cut into blocks of at most ``block_size`` trials; block ``i`` is seeded with the
``i``-th child of ``numpy.random.SeedSequence(seed).spawn(n_blocks)`` and the results are
concatenated in block order, so the numbers are bit-identical whichever backend and however
many workers run them (a block depends only on its model, size and seed).

Dask: ``backend="dask"`` with ``scheduler="tcp://host:8786"`` (or the environment variable
``DASK_SCHEDULER_ADDRESS``) submits the blocks to that cluster; a cluster started by
dask-jobqueue (SLURM, PBS) or dask-kubernetes needs nothing else. The Dask nanny starts its
workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``); setting
one malloc threshold switches off glibc's dynamic mmap threshold, so every array above 128 KiB is
then mmap-ed and unmapped anew, page faults and all, and numpy runs at about half speed. Each
block therefore raises the mmap threshold in its own process with ``mallopt`` when it finds
``MALLOC_TRIM_THRESHOLD_`` set and ``MALLOC_MMAP_THRESHOLD_`` not (:func:`tune_malloc`); setting
``MALLOC_MMAP_THRESHOLD_`` in the workers' environment does the same.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

import numpy as np

__all__ = ["BACKENDS", "run_blocks", "tune_malloc"]

BACKENDS = ("serial", "processes", "dask")
Backend = Literal["serial", "processes", "dask"]

#: glibc's mallopt parameter numbers (malloc.h) and the threshold set: glibc's maximum, 32 MiB.
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 * 1024 * 1024


@functools.cache
def tune_malloc() -> bool:
    """Raise glibc's mmap threshold in this process if a Dask nanny set only the trim threshold.

    Returns whether it did. A no-op where the C library is not glibc.
    """
    if "MALLOC_TRIM_THRESHOLD_" not in os.environ or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


def _run_one(task: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    tune_malloc()
    fn, args = task
    return fn(*args)


def block_seeds(seed: int, n_trials: int, block_size: int) -> list[tuple[int, np.random.SeedSequence]]:
    """``(size, seed)`` of each block: ``n_trials`` in blocks of ``block_size`` (the last smaller)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{seed=}; expected a whole number >= 0")
    for name, value in (("n_trials", n_trials), ("block_size", block_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}={value!r}; expected a whole number >= 1")
    n_blocks = -(-n_trials // block_size)
    sizes = [block_size] * (n_blocks - 1) + [n_trials - block_size * (n_blocks - 1)]
    return list(zip(sizes, np.random.SeedSequence(seed).spawn(n_blocks), strict=True))


def run_blocks(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    *,
    backend: Backend = "serial",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    label: str = "simulating",
) -> list[Any]:
    """``[fn(*a) for a in args]``, in that order, on the chosen backend.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled for the process pool and Dask).
    args : sequence of tuples
        The arguments of each call.
    backend : {"serial", "processes", "dask"}
    workers : int, optional
        Processes of the local pool (default: the CPUs available).
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default
        ``DASK_SCHEDULER_ADDRESS``. Required for ``backend="dask"``.
    progress : bool
        Show a progress bar (tqdm) over the blocks, labelled ``label``, on the process's own
        standard error (in a notebook kernel: the terminal that started it, never the notebook).
    """
    if backend not in BACKENDS:
        raise ValueError(f"{backend=}; expected one of {BACKENDS}")
    tasks = [(fn, tuple(a)) for a in args]
    bar = _bar(len(tasks), progress, label)
    try:
        if backend == "serial":
            results = []
            for t in tasks:
                results.append(_run_one(t))
                bar.update()
            return results
        if backend == "processes":
            n = workers or len(os.sched_getaffinity(0))
            with ProcessPoolExecutor(max_workers=n) as pool:
                results = []
                for r in pool.map(_run_one, tasks):
                    results.append(r)
                    bar.update()
                return results
        return _run_dask(tasks, scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS"), bar)
    finally:
        bar.close()


def _terminal() -> Any:
    """Where a progress bar goes: standard error; in a notebook kernel (papermill, ``make design``)
    the terminal that started the kernel, which ipykernel keeps as a copy of the original file
    descriptor (``_original_stdstream_copy``), so that the executed notebook holds no timings;
    ``None`` (no bar) in a kernel without one."""
    if "ipykernel" not in sys.modules:
        return sys.stderr
    copy = getattr(sys.stderr, "_original_stdstream_copy", None)
    return os.fdopen(os.dup(copy), "w") if isinstance(copy, int) else None


def _bar(total: int, show: bool, label: str) -> Any:
    from tqdm import tqdm

    stream = _terminal() if show else None
    bar = tqdm(total=total, disable=stream is None, unit="block", desc=label, file=stream)
    if stream is not None and stream is not sys.stderr:
        bar.close = _closing(bar.close, stream)
    return bar


def _closing(close: Callable[[], None], stream: Any) -> Callable[[], None]:
    def both() -> None:
        close()
        stream.close()

    return both


def _run_dask(tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]], address: str | None, bar: Any) -> list[Any]:
    if not address:
        raise ValueError(
            "backend='dask' needs a scheduler address: scheduler='tcp://host:8786' "
            "(make design SCHEDULER=...) or the environment variable DASK_SCHEDULER_ADDRESS"
        )
    from distributed import Client, as_completed

    with Client(address, timeout="30s") as client:
        futures = client.map(_run_one, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        for fut in as_completed(futures):
            results[index[fut.key]] = fut.result()
            bar.update()
        return results
