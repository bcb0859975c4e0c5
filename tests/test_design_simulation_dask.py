"""The design simulator on a real Dask cluster: a `dask scheduler` and two `dask worker` processes
on 127.0.0.1 give the serial run's numbers bit for bit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.testing as npt
import pytest

from helpers.stats.design_simulation import Accrual, ArmEffect, Looks, TrialModel, Weibull, simulate, tune_malloc

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and two single-threaded workers (each under a nanny, as deployed)."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> None:
        with open(logs / f"{name}.log", "wb") as log:
            started.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, env=env))

    port = address.rsplit(":", 1)[1]
    start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard")
    for i in range(2):
        start(f"worker{i}", "worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}")
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(started):
            p.terminate()
        for p in reversed(started):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def _model() -> TrialModel:
    return TrialModel(
        n_patients=150,
        arms=(ArmEffect(), ArmEffect(hr_primary=0.65)),
        primary=Weibull(0.75, 40.0),
        competing=Weibull(0.8, 120.0),
        accrual=Accrual.uniform(150, 24.0),
        looks=Looks(events=(25, 50)),
        dropout_rate=0.002,
    )


def test_a_dask_cluster_gives_the_serial_numbers_bit_for_bit(cluster: str) -> None:
    serial = simulate(_model(), 500, 20240601, block_size=100)
    on_dask = simulate(_model(), 500, 20240601, block_size=100, backend="dask", scheduler=cluster)
    for name, values in serial.items():
        npt.assert_array_equal(on_dask[name], values)


def test_the_scheduler_address_can_come_from_the_environment(cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster)
    got = simulate(_model(), 120, 7, block_size=60, backend="dask")
    npt.assert_array_equal(got["z"], simulate(_model(), 120, 7, block_size=60)["z"])


def test_dask_workers_raise_the_mmap_threshold_the_nanny_left_low(cluster: str) -> None:
    from distributed import Client

    def malloc_env() -> tuple[str | None, str | None, bool]:
        return os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("MALLOC_MMAP_THRESHOLD_"), tune_malloc()

    with Client(cluster) as client:
        found = client.run(malloc_env)
    assert len(found) == 2
    for trim, mmap, tuned in found.values():
        # the nanny's setting (distributed.nanny.pre-spawn-environ), and our fix in the worker
        assert trim is not None and mmap is None and tuned


def test_dask_without_an_address_is_refused_naming_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(ValueError, match="DASK_SCHEDULER_ADDRESS"):
        simulate(_model(), 10, 1, backend="dask")
    assert np.isfinite(simulate(_model(), 10, 1)["look_time"]).all()
