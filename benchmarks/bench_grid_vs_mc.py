"""Grid law vs Monte Carlo on the seed mixture: what TV precision each reaches in the same wall time (one core).

Setting (seed 002, slide "Mistura de gaussianas"; seed 000, slide "En la práctica"): target
:math:`\\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)`, its exact score, ``reverse-em`` with
:math:`T = 3`, :math:`\\gamma = 0.05` (:math:`N = 60`), started from :math:`\\mathcal N(0, 1)`.

1. Grid: :func:`theorylab.laws.grid_output_law` with ``tol=1e-6`` (refine :math:`n \\to 2n-1` until the refinement
   TV estimate is below 1e-6); the wall time is the median of several warm runs.
2. Monte Carlo in the same wall time: the torch sampler (float64, one thread) with as many particles as fit in that
   time (throughput measured on a pilot run). Its TV precision against the law of the sampler (the reference is
   the grid law at ``tol=1e-10``, whose own error is ~1e-12) is measured three ways:

   * the histogram TV estimate (``theorylab.divergences.tv_samples``, Freedman–Diaconis bins) with its bootstrap
     CI: the true TV is ~0, so the estimate itself is the error of the Monte Carlo law at the histogram's resolution;
   * the Kolmogorov–Smirnov distance :math:`\\sup_x|F_n(x) - F(x)|` (a lower bound on the TV error of the empirical
     law on half-lines, the easiest sets; :math:`\\approx 0.87/\\sqrt n` on average);
   * the CI half-width of the histogram TV estimate.

   The time Monte Carlo would need to reach 1e-6 is extrapolated from the :math:`n^{-1/2}` rate of each.

Ratios are measured in one run, side by side. Results: ``benchmarks/results/grid_vs_mc.json``.
Run: ``python benchmarks/bench_grid_vs_mc.py`` from the repository root.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: BLAS and torch intra-op pools
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorylab.distributions import GaussianMixture  # noqa: E402
from theorylab.divergences import tv_samples  # noqa: E402
from theorylab.laws import grid_output_law  # noqa: E402
from theorylab.samplers import TimeGrid, get_sampler  # noqa: E402
from theorylab.scores import ExactScore  # noqa: E402

TARGET_TV = 1e-6
REPEATS = 5
SEED = 20240601
OUT = Path(__file__).resolve().parent / "results" / "grid_vs_mc.json"


def main() -> dict:
    torch.set_num_threads(1)
    target = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    score = ExactScore(target)
    grid = TimeGrid.constant(3.0, 0.05)
    sampler = get_sampler("reverse-em")

    # --- grid ---------------------------------------------------------------------------------------------------
    t0 = time.perf_counter()
    first = grid_output_law(score, sampler, grid, target=target, tol=TARGET_TV)
    cold = time.perf_counter() - t0
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        out = grid_output_law(score, sampler, grid, target=target, tol=TARGET_TV)
        times.append(time.perf_counter() - t0)
    t_grid = statistics.median(times)
    refinements = out.details["refinements"]
    grid_estimate = refinements[-1][2]
    reference = grid_output_law(score, sampler, grid, target=target, tol=1e-10)
    ref_law = reference.law

    # --- Monte Carlo in the same wall time -----------------------------------------------------------------------
    # calibrate the particle count so that one sampler call takes the grid's time (a fixed per-step overhead makes
    # the time affine in n, so a few secant updates are needed)
    n_mc, t_mc, samples = 20_000, None, None
    for attempt in range(6):
        t0 = time.perf_counter()
        run = sampler.sample(score, grid, n_mc, generator=SEED + attempt).numpy()
        elapsed = time.perf_counter() - t0
        if samples is None or abs(elapsed - t_grid) < abs(t_mc - t_grid):
            samples, t_mc = run, elapsed
        if abs(elapsed - t_grid) <= 0.05 * t_grid:
            break
        n_mc = max(int(n_mc * t_grid / elapsed), 100)
    n_mc = samples.shape[0]
    rate = n_mc / t_mc
    rng = np.random.default_rng(SEED)
    hist = tv_samples(samples, ref_law, rng, estimator="histogram", n_boot=200)
    xs = np.sort(samples[:, 0])
    cdf = ref_law.cdf(xs)
    ks = float(max(np.max(np.arange(1, n_mc + 1) / n_mc - cdf), np.max(cdf - np.arange(n_mc) / n_mc)))

    def needed(err: float) -> float:  # seconds for Monte Carlo to reach TARGET_TV at an n^-1/2 rate
        return t_mc * (err / TARGET_TV) ** 2

    result = {
        "setting": {"target": "1/2 N(-3, 1/4) + 1/2 N(3, 1)", "score": "exact", "sampler": "reverse-em",
                    "T": grid.T, "gamma": float(grid.gammas[0]), "N": grid.N, "initial": "N(0, 1)",
                    "threads": 1, "dtype": "float64"},
        "grid": {
            "target_tv": TARGET_TV,
            "seconds_median_warm": t_grid,
            "seconds_all_warm": times,
            "seconds_cold_first_call": cold,
            "refinements": [{"n": a, "2n-1": b, "tv_estimate": e} for a, b, e in refinements],
            "tv_estimate": grid_estimate,
            "truncated_mass": out.law.truncated_mass,
            "tv_bound": out.error.tv_bound,
            "nodes": out.law.shape[0],
            "first_call_matches": first.details["refinements"] == refinements,
        },
        "reference": {"tol": 1e-10, "tv_bound": reference.error.tv_bound, "nodes": ref_law.shape[0]},
        "monte_carlo": {
            "particles": n_mc,
            "seconds": t_mc,
            "particles_per_second": rate,
            "histogram_tv": hist.value,
            "histogram_tv_ci": [hist.uncertainty.lower, hist.uncertainty.upper],
            "histogram_tv_ci_half_width": hist.uncertainty.half_width,
            "histogram_method": hist.method,
            "ks_distance": ks,
        },
        "ratios": {
            "mc_histogram_tv_over_grid_estimate": hist.value / grid_estimate,
            "mc_ci_half_width_over_grid_estimate": hist.uncertainty.half_width / grid_estimate,
            "mc_ks_over_grid_estimate": ks / grid_estimate,
            "mc_seconds_over_grid_seconds": t_mc / t_grid,
            "mc_seconds_to_reach_target_by_histogram_tv": needed(hist.value),
            "mc_seconds_to_reach_target_by_ks": needed(ks),
            "speedup_grid_vs_mc_by_ks": needed(ks) / t_grid,
        },
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                    "processor": platform.processor() or platform.machine()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


def summary(r: dict) -> str:
    g, m, q = r["grid"], r["monte_carlo"], r["ratios"]
    lines = [
        "Seed GMM, exact score, reverse-em, T=3, gamma=0.05 (N=60), one core, float64",
        f"  grid : TV estimate {g['tv_estimate']:.2e} (target {g['target_tv']:.0e}) in "
        f"{g['seconds_median_warm']:.3f} s "
        f"(median of {len(g['seconds_all_warm'])} warm runs; cold first call {g['seconds_cold_first_call']:.3f} s), "
        f"{g['nodes']} nodes, truncated mass {g['truncated_mass']:.1e}",
        f"  MC   : {m['particles']} particles in {m['seconds']:.3f} s -> histogram TV {m['histogram_tv']:.2e} "
        f"(95% CI half-width {m['histogram_tv_ci_half_width']:.1e}), KS {m['ks_distance']:.2e}",
        f"  ratio: MC error / grid error = {q['mc_histogram_tv_over_grid_estimate']:.2e} (histogram TV), "
        f"{q['mc_ks_over_grid_estimate']:.2e} (KS, a lower bound)",
        f"  MC would need ~{q['mc_seconds_to_reach_target_by_ks']:.2e} s (KS) / "
        f"{q['mc_seconds_to_reach_target_by_histogram_tv']:.2e} s (histogram TV) to reach {g['target_tv']:.0e}: "
        f"{q['speedup_grid_vs_mc_by_ks']:.1e}x the grid's time",
        f"  written to {OUT}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(main()))
