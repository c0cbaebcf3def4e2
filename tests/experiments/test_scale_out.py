"""Scale-out (docs/scale-out.md): a Dask cluster reached by its address on loopback gives the rows of an in-process
run, and every worker (process pool or Dask) runs one thread per numerical library with its imports done."""

from __future__ import annotations

import logging
import os

import pytest

from theorylab.experiments import results_table, run_sweep
from theorylab.experiments.executors import WORKER_ENV, PoolExecutor

from .helpers import same_rows, samples_config


def worker_threads() -> dict:
    """What a worker sees: the thread variables, torch's intra-op threads, and whether the cell's modules are loaded."""
    import sys

    import torch

    from theorylab.experiments import cells

    return {"env": {k: os.environ.get(k) for k in WORKER_ENV}, "torch": torch.get_num_threads(),
            "warm": "theorylab.measure" in sys.modules and "theorylab.laws" in sys.modules,
            "prepared": cells._prepared,
            # import ot costs 1.5-2 s (scikit-learn): a worker running no transport problem must not pay it
            "heavy": sorted(m for m in ("ot", "sklearn", "pandas", "matplotlib") if m in sys.modules)}


@pytest.mark.slow  # ~9 s: two spawned workers importing torch; test_runner's two-worker test covers the pool
def test_pool_workers_run_one_thread_per_library_and_start_warm():
    before = {k: os.environ.get(k) for k in WORKER_ENV}
    pool = PoolExecutor(3)  # the driver lane and two spawned processes; the spawned ones are probed directly
    try:
        seen = [f.result() for f in [pool._pool.submit(worker_threads) for _ in range(2)]]
    finally:
        pool.close()
    for s in seen:
        assert s == {"env": WORKER_ENV, "torch": 1, "warm": True, "prepared": True, "heavy": []}
    assert {k: os.environ.get(k) for k in WORKER_ENV} == before  # the driver's own environment is restored


@pytest.mark.slow  # ~9 s: a scheduler and two workers started as processes; runs in CI's slow step
def test_dask_cluster_by_tcp_address_on_loopback_gives_the_same_rows(tmp_path):
    distributed = pytest.importorskip("distributed")
    sweep = {"sampler.gamma": [0.1, 0.05], "score.M": [0.0, 0.2]}
    here = run_sweep(samples_config(n_samples=500, **sweep), config_name="x", out=tmp_path / "here", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        remote = run_sweep(samples_config(n_samples=500, **sweep), config_name="x", out=tmp_path / "tcp",
                           scheduler=address, progress=False)
        with distributed.Client(address) as client:
            seen = list(client.run(worker_threads).values())
    assert remote.executor == f"dask {address}" and remote.complete
    assert len(seen) == 2 and all(s["torch"] == 1 and s["warm"] and s["prepared"] for s in seen)
    same_rows(results_table(here.run_dir), results_table(remote.run_dir))


def _busy(seconds: float) -> int:
    """A Python-level loop (interruptible between bytecodes), as a cell's step loop is."""
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return os.getpid()


def test_the_driver_lane_runs_cells_and_stops_on_cancel():
    """PoolExecutor(2) = the driver's own lane + one spawned process: both run cells; an interrupt stops the driver
    lane mid-cell (no thread left inside a cell when the interpreter exits) and drops the queued cells."""
    import time

    pool = PoolExecutor(2)
    try:
        pids = {f.result() for f in pool.as_completed([pool.submit(os.getpid) for _ in range(6)])}
        assert os.getpid() in pids  # the driver lane took some (it starts before the spawned worker is up)
        long = [pool.submit(_busy, 60.0) for _ in range(3)]
        time.sleep(0.5)
    finally:
        start = time.monotonic()
        pool.close(cancel=True)
    assert time.monotonic() - start < 20.0
    assert not pool._lanes[0].is_alive()
    assert all(f.done() for f in long) and any(f.cancelled() for f in long)
