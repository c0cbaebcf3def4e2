"""Sweep executors side by side: the shipped γ sweep on 1 and 2 workers (process pool), and Dask's LocalCluster
against the process pool at equal workers. All runs in one process, interleaved, each into a fresh run folder.

Run: ``python benchmarks/bench_sweep_executors.py [--experiment experiments/gamma_sweep_gaussian.toml] [--repeats 2]``
from the repository root. Writes ``benchmarks/results/sweep_executors_<experiment>_<profile>.json`` and prints a summary. The rows of every
run are compared (metric values and statuses must be identical whichever executor ran them).

Wall time includes starting the workers (each imports torch, ~2-3 s), which is what a user pays; the per-cell work
of the exact and 1D grid routes is milliseconds to a second, so the ratios say how much the parallelism saves on
the shipped grids, not on heavier cells.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorylab.config import load_toml  # noqa: E402
from theorylab.experiments import results_table, run_sweep  # noqa: E402
from theorylab.studies.reproduce import apply_profile  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SETTINGS = {"1 worker (in-process)": {"workers": 1}, "2 workers (process pool)": {"workers": 2},
            "2 workers (Dask LocalCluster)": {"workers": 2, "scheduler": "local"}}


def _rows(run_dir: Path):
    df = results_table(run_dir)
    metrics = [c for c in ("tv", "kl", "w2") if c in df]
    return df[["cell", "status", *metrics]].sort_values("cell").to_dict("records")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="experiments/t_gamma_sweep_gmm.toml")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="the experiment's full grid (default: quick profile)")
    args = parser.parse_args()
    raw = apply_profile(load_toml(args.experiment), args.full)
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    reference = None
    identical = True
    n_cells = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for name, options in SETTINGS.items():
                out = Path(tmp) / f"run{r}-{len(times[name])}-{options['workers']}-{options.get('scheduler', 'pool')}"
                start = time.perf_counter()
                summary = run_sweep(raw, config_name="bench", out=out, progress=False, **options)
                times[name].append(time.perf_counter() - start)
                n_cells = summary.total
                rows = _rows(out)
                if reference is None:
                    reference = rows
                identical &= rows == reference
                shutil.rmtree(out)
                print(f"  repeat {r}: {name}: {times[name][-1]:.2f} s", flush=True)
    med = {name: statistics.median(v) for name, v in times.items()}
    base = med["1 worker (in-process)"]
    result = {
        "experiment": args.experiment, "profile": "full" if args.full else "quick", "cells": n_cells,
        "repeats": args.repeats, "python": platform.python_version(), "machine": platform.machine(),
        "seconds": times, "median_seconds": med,
        "speedup_2_workers_vs_1": base / med["2 workers (process pool)"],
        "dask_over_pool_2_workers": med["2 workers (Dask LocalCluster)"] / med["2 workers (process pool)"],
        "rows_identical_across_executors": identical,
    }
    out = RESULTS / f"sweep_executors_{Path(args.experiment).stem}_{result['profile']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{args.experiment} ({result['profile']}, {n_cells} cells), median of {args.repeats}:")
    for name, value in med.items():
        print(f"  {name:32s} {value:7.2f} s")
    print(f"  speed-up 2 workers / 1: {result['speedup_2_workers_vs_1']:.2f}x; Dask / pool at 2 workers: "
          f"{result['dask_over_pool_2_workers']:.2f}x; rows identical: {identical}")


if __name__ == "__main__":
    main()
