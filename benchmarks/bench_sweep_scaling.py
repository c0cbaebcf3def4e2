"""Sweep scale-out side by side on heavy cells: 1 worker, a 2-worker process pool, a 2-worker Dask LocalCluster and
a real Dask cluster over TCP on loopback (``dask scheduler`` + 2 ``dask worker`` processes, started here before the
timed runs, as a user's cluster would already be running). One process, settings interleaved per repeat, each run
into a fresh folder; the rows of every run must be identical.

Run: ``python benchmarks/bench_sweep_scaling.py [--cells 8] [--n-samples 100000] [--repeats 1]`` from the repository
root. Writes ``benchmarks/results/sweep_scaling.json`` and prints the ratios.

Each cell is the samples route of a 1D two-component mixture (``reverse-em``, N = 200 steps, ``n_samples``
particles; W2 by the quantile formula), replicated over ``metrics.seed``: seconds of torch work per cell, no grid,
so the executors' overheads (worker start, imports, serialisation, store writes) are what differs.

Also measured, once per repeat: ``pool_worker_ready_seconds`` (from creating a 2-worker pool until its spawned
worker answers: the start-up the driver lane overlaps) and ``pool_close_seconds`` (closing the idle pool: the
workers' exit, which the sweep waits for at its end).

Reported per setting: wall seconds, the sum over cells of the worker's CPU seconds inside the cell
(``cpu_seconds``), and the driver's plus its children's CPU time. Ratios: ``speedup_2_workers`` (wall of 1 worker /
wall of the pool), ``dask_local_over_pool`` and ``dask_tcp_over_pool`` (wall, > 1 means Dask slower), and the
CPU-time ratios ``cell_cpu_pool_over_serial`` (CPU per cell in parallel over serial: 1 when the workers do not
slow each other down, e.g. by oversubscribed threads) -- more robust than wall ratios on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorylab.experiments import results_table, run_sweep  # noqa: E402
from theorylab.experiments.executors import PoolExecutor  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def heavy_config(cells: int, n_samples: int) -> dict:
    return {
        "target": {"kind": "gmm", "weights": [0.5, 0.5], "means": [-2.0, 2.0], "covs": [0.5, 1.0]},
        "sampler": {"kind": "reverse-em", "T": 2.0, "gamma": 0.01},
        "metrics": {"names": ["w2"], "method": "samples", "n_samples": n_samples},
        "sweep": {"metrics.seed": list(range(cells))},
    }


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def start_tcp_cluster(tmp: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """``dask scheduler`` on 127.0.0.1 and ``workers`` single-threaded ``dask worker`` processes; its address."""
    scheduler_file = tmp / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(scheduler_file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(100):
        if scheduler_file.exists() and scheduler_file.stat().st_size:
            break
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--host", "127.0.0.1", "--dashboard-address", ":0"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    import distributed

    with distributed.Client(address, timeout="30s") as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def pool_lifecycle() -> dict[str, float]:
    """Seconds from creating a 2-worker :class:`PoolExecutor` until its spawned worker has answered (start-up and
    warm imports; the driver lane computes meanwhile), and of its ``close()`` once idle (the workers' exit)."""
    start = time.perf_counter()
    executor = PoolExecutor(2)
    executor._pool.submit(os.getpid).result()
    ready = time.perf_counter()
    executor.close()
    return {"ready": ready - start, "close": time.perf_counter() - ready}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-tcp", action="store_true", help="skip the TCP Dask cluster")
    args = parser.parse_args()
    raw = heavy_config(args.cells, args.n_samples)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        procs: list[subprocess.Popen] = []
        settings = {"1 worker (in-process)": {"workers": 1}, "2 workers (process pool)": {"workers": 2},
                    "2 workers (Dask LocalCluster)": {"workers": 2, "scheduler": "local"}}
        try:
            if not args.no_tcp:
                address, procs = start_tcp_cluster(tmp, 2)
                settings["2 workers (Dask TCP cluster)"] = {"workers": 2, "scheduler": address}
            wall = {name: [] for name in settings}
            cell_cpu = {name: [] for name in settings}
            tree_cpu = {name: [] for name in settings}
            reference, identical = None, True
            lifecycle: dict[str, list[float]] = {"ready": [], "close": []}
            for r in range(args.repeats):
                for key, seconds in pool_lifecycle().items():
                    lifecycle[key].append(seconds)
                for i, (name, options) in enumerate(settings.items()):
                    out = tmp / f"run{r}-{i}"
                    cpus: list[float] = []
                    before = _self_cpu() + _children_cpu()
                    start = time.perf_counter()
                    summary = run_sweep(raw, config_name="bench", out=out, progress=lambda d, t, info:
                                        cpus.append(info["cpu_seconds"]), **options)
                    wall[name].append(time.perf_counter() - start)
                    tree_cpu[name].append(_self_cpu() + _children_cpu() - before)
                    cell_cpu[name].append(sum(cpus))
                    assert summary.complete, summary
                    df = results_table(out)
                    rows = df[["cell", "status", "w2"]].sort_values("cell").to_dict("records")
                    reference = reference or rows
                    identical &= rows == reference
                    shutil.rmtree(out)
                    print(f"repeat {r}: {name}: {wall[name][-1]:.1f} s wall, cells {cell_cpu[name][-1]:.1f} s CPU, "
                          f"driver+children {tree_cpu[name][-1]:.1f} s CPU", flush=True)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)

    med = {name: statistics.median(v) for name, v in wall.items()}
    cpu = {name: statistics.median(v) for name, v in cell_cpu.items()}
    serial, pool = "1 worker (in-process)", "2 workers (process pool)"
    result = {
        "cells": args.cells, "n_samples": args.n_samples, "repeats": args.repeats,
        "python": platform.python_version(), "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
        "wall_seconds": wall, "cell_cpu_seconds": cell_cpu, "driver_and_children_cpu_seconds": tree_cpu,
        "speedup_2_workers": med[serial] / med[pool],
        "dask_local_over_pool": med["2 workers (Dask LocalCluster)"] / med[pool],
        "cell_cpu_pool_over_serial": cpu[pool] / cpu[serial],
        "cell_cpu_dask_local_over_serial": cpu["2 workers (Dask LocalCluster)"] / cpu[serial],
        "rows_identical": identical,
        "pool_worker_ready_seconds": lifecycle["ready"], "pool_close_seconds": lifecycle["close"],
    }
    if "2 workers (Dask TCP cluster)" in med:
        result["dask_tcp_over_pool"] = med["2 workers (Dask TCP cluster)"] / med[pool]
    out = RESULTS / "sweep_scaling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    for key in ("speedup_2_workers", "dask_local_over_pool", "dask_tcp_over_pool", "cell_cpu_pool_over_serial",
                "cell_cpu_dask_local_over_serial", "rows_identical"):
        if key in result:
            print(f"{key}: {result[key]:.3f}" if not isinstance(result[key], bool) else f"{key}: {result[key]}")
    print(f"load average at the end: {os.getloadavg()}; wrote {out}")


if __name__ == "__main__":
    main()
