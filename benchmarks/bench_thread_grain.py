"""When is a second intra-op thread worth it? The calibration of :data:`theorylab.threads.MIN_STEP_WORK_PER_THREAD`.

theorylab's sampler runs choose their torch intra-op thread count from the counted work of one step
(:func:`theorylab.threads.threads_for`). This script measures, side by side in one process, the ``reverse-em`` chain
(exact score, T = 3, gamma = 0.05, float64, CPU, the numpy random stream so that the draws are cheap and the
threaded part is as large a share as it can be) forced onto 1 thread, forced onto 2 threads, and left to the policy
(``threads=None``), for two targets:

``seed mixture``
    1/2 N(-3, 1/4) + 1/2 N(3, 1) in ``d = 1`` (the calibration case), over a range of particle counts around the
    break-even.
``d = 8 mixture``
    two diagonal components in ``d = 8`` (means -+ 2 on every coordinate, variances 1/4 and 1): eight times the
    elements per particle and a different split between the step's own passes and the score's, to check that the
    counted-work unit, not the particle count, predicts the break-even.

Like the CLI with ``--threads > 1``, the timing runs in a child interpreter with ``OMP_WAIT_POLICY=passive`` (OpenMP
reads it only at start-up). Each repetition runs the three variants once in a rotating order; the clock is both the
process's CPU time and the wall time; ratios are paired medians (``1 thread / 2 threads`` time: > 1 means the second
thread pays). For each setting the JSON records the counted step work, the policy's choice, and whether the
policy's choice was the faster of the two forced variants in wall time (``policy_right``), with the ratio's range.
The particles are the same bits for every thread count (``tests/samplers/test_threads.py``).

Run from the repository root: ``python benchmarks/bench_thread_grain.py`` (a few minutes on 2 cores; ``--quick``
fewer repetitions). Results: ``benchmarks/results/thread_grain.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from theorylab.cost import samples_step_flops  # noqa: E402
from theorylab.distributions import GaussianMixture  # noqa: E402
from theorylab.samplers import TimeGrid, get_sampler  # noqa: E402
from theorylab.scores import ExactScore  # noqa: E402
from theorylab.samplers.base import run_threads  # noqa: E402
from theorylab.threads import MIN_STEP_WORK_PER_THREAD  # noqa: E402

T, GAMMA, SEED = 3.0, 0.05, 20261203
OUT = ROOT / "benchmarks" / "results" / "thread_grain.json"
TARGETS = {
    "seed mixture": {"weights": [0.5, 0.5], "means": [[-3.0], [3.0]], "covs": [[0.25], [1.0]],
                     "sizes": [50_000, 100_000, 200_000, 400_000, 1_000_000]},
    "d = 8 mixture": {"weights": [0.5, 0.5], "means": [[-2.0] * 8, [2.0] * 8], "covs": [[0.25] * 8, [1.0] * 8],
                      "sizes": [12_500, 25_000, 50_000, 100_000, 200_000]},
}
VARIANTS = {"1 thread": 1, "2 threads": 2, "policy": None}


def _target(spec: dict) -> GaussianMixture:
    return GaussianMixture(spec["weights"], np.array(spec["means"]), [np.diag(c) for c in spec["covs"]])


def timing(repeats: int) -> dict:
    """The table, in this interpreter (which must have been started with ``OMP_WAIT_POLICY=passive``)."""
    torch.set_num_threads(2)
    sampler, grid = get_sampler("reverse-em"), TimeGrid.constant(T, GAMMA)
    out = {}
    for label, spec in TARGETS.items():
        score = ExactScore(_target(spec))
        d = score.dim
        sampler.sample(score, grid, 2_048, generator=np.random.default_rng(SEED))  # warm: marginal caches
        rows = []
        for n in spec["sizes"]:
            cpu = {k: [] for k in VARIANTS}
            wall = {k: [] for k in VARIANTS}
            names = list(VARIANTS)
            for rep in range(repeats):
                for name in names[rep % 3:] + names[:rep % 3]:
                    gc.collect()
                    c0, w0 = time.process_time(), time.perf_counter()
                    sampler.sample(score, grid, n, generator=np.random.default_rng(SEED + rep),
                                   threads=VARIANTS[name])
                    cpu[name].append(time.process_time() - c0)
                    wall[name].append(time.perf_counter() - w0)
            work = samples_step_flops(n, d, score.work_per_particle())
            chosen = run_threads(score, n, d, 2)
            gain = {clock: _paired(data["2 threads"], data["1 thread"])
                    for clock, data in (("cpu", cpu), ("wall", wall))}
            faster = 2 if gain["wall"]["median"] > 1.0 else 1
            rows.append({"particles": n, "dim": d, "step_work": work, "policy_threads": chosen,
                         "faster_threads_wall": faster, "policy_right": chosen == faster,
                         "one_over_two": gain,
                         "ns_per_particle_step": {
                             name: {"cpu": statistics.median(cpu[name]) / (n * grid.N) * 1e9,
                                    "wall": statistics.median(wall[name]) / (n * grid.N) * 1e9} for name in VARIANTS},
                         "policy_over_best_wall": statistics.median(wall["policy"]) / min(
                             statistics.median(wall["1 thread"]), statistics.median(wall["2 threads"]))})
            print(f"{label:14s} n={n:>8d} work={work:.2e} policy={chosen} 1/2 wall={gain['wall']['median']:.2f} "
                  f"cpu={gain['cpu']['median']:.2f}", file=sys.stderr, flush=True)
        out[label] = rows
    return out


def break_even(rows: list[dict]) -> float | None:
    """The step work at which two threads start to pay in wall time: where the paired median ratio
    ``1 thread / 2 threads`` crosses 1 for the last time, interpolated linearly in log work between the two
    bracketing sizes; ``None`` when it never crosses (always or never pays in the measured range)."""
    pts = [(math.log(r["step_work"]), r["one_over_two"]["wall"]["median"]) for r in rows]
    for (x0, y0), (x1, y1) in reversed(list(zip(pts, pts[1:]))):
        if y0 < 1.0 <= y1:
            return math.exp(x0 + (1.0 - y0) * (x1 - x0) / (y1 - y0))
        if y1 < 1.0:
            return None
    return None


def _paired(ours: list[float], theirs: list[float]) -> dict:
    ratios = [b / a for a, b in zip(ours, theirs)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repetitions instead of 7")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(timing(args.child)))
        return {}
    repeats = 3 if args.quick else 7
    start, load_start = time.perf_counter(), os.getloadavg()
    env = dict(os.environ) | {"OMP_WAIT_POLICY": "passive"}
    proc = subprocess.run([sys.executable, __file__, "--child", str(repeats)], stdout=subprocess.PIPE, text=True,
                          check=True, env=env, cwd=ROOT)
    table = json.loads(proc.stdout.strip().splitlines()[-1])
    rows = [r for rows in table.values() for r in rows]
    result = {
        "setting": {"sampler": "reverse-em", "score": "exact", "T": T, "gamma": GAMMA, "dtype": "float64",
                    "device": "cpu", "random_stream": "numpy", "omp_wait_policy": "passive",
                    "repeats": repeats, "targets": {k: {kk: v for kk, v in s.items() if kk != "sizes"}
                                                    for k, s in TARGETS.items()}},
        "min_step_work_per_thread": MIN_STEP_WORK_PER_THREAD,
        "by_target": table,
        "policy_right": {"hits": sum(r["policy_right"] for r in rows), "settings": len(rows)},
        # the measured break-even of two threads per target, in counted step work (None: no crossing measured)
        "break_even_step_work": {label: break_even(r) for label, r in table.items()},
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                        "cpu_count": os.cpu_count(), "load_average_start": load_start,
                        "load_average_end": os.getloadavg(), "seconds": time.perf_counter() - start},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"policy right in {result['policy_right']['hits']} of {len(rows)} settings; written {args.out}")
    return result


if __name__ == "__main__":
    main()
