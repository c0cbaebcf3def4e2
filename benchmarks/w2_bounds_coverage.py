"""Coverage of the W2 confidence bounds of theorylab.divergences.w2_bounds on cases with a known answer.

Cases: Gaussian vs Gaussian in d = 2, 3, 5 (Bures closed form), and 2D and 3D Gaussian mixtures vs their translates by v
(W2 = |v| exactly: W2^2 = |mean difference|^2 + W2^2 of the centred laws, which are equal). Each repetition draws
n samples of P with its own seed and calls w2_samples_bounds at level 0.95; the table gives the repetitions, the
observed coverage and its Wilson 95 % interval (theorylab.divergences.estimate.wilson_interval), the mean interval
and the time per call.

Run: python benchmarks/w2_bounds_coverage.py [repetitions] [n]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from theorylab.distributions import Gaussian, GaussianMixture, make_target
from theorylab.divergences import w2_gaussian
from theorylab.divergences.estimate import wilson_interval
from theorylab.divergences.w2_bounds import w2_samples_bounds


def cases() -> list[tuple[str, object, object, float]]:
    out = []
    for d in (2, 3, 5):
        p = make_target({"kind": "gaussian", "dim": d, "spectrum": "power:1.0", "rotation_seed": d})
        q = Gaussian(np.full(d, 0.2), 0.7)
        out.append((f"gaussian d={d}", p, q, w2_gaussian(p, q).value))
    means = np.array([[-2.0, 0.0], [2.0, 1.0]])
    covs = np.array([[[0.5, 0.1], [0.1, 0.3]], [[1.0, 0.0], [0.0, 0.5]]])
    v = np.array([0.15, -0.1])
    p = GaussianMixture([0.5, 0.5], means, covs)
    q = GaussianMixture([0.5, 0.5], means + v, covs)
    out.append(("gmm 2D vs translate", p, q, float(np.linalg.norm(v))))
    # a mixture in d = 3 (issue 12: mixtures beyond 2D) against its translate: W2(p, p(. - v)) = |v| exactly
    means3 = np.array([[-2.0, 0.0, 1.0], [2.0, 1.0, -1.0], [0.0, -2.0, 0.0]])
    covs3 = np.stack([np.diag([0.5, 0.3, 0.4]), np.diag([1.0, 0.5, 0.2]), np.diag([0.3, 0.3, 0.6])])
    v3 = np.array([0.15, -0.1, 0.05])
    p = GaussianMixture([0.3, 0.3, 0.4], means3, covs3)
    q = GaussianMixture([0.3, 0.3, 0.4], means3 + v3, covs3)
    out.append(("gmm 3D vs translate", p, q, float(np.linalg.norm(v3))))
    return out


def coverage_table(repetitions: int, n: int, level: float = 0.95) -> list[dict]:
    rows = []
    for name, p, q, truth in cases():
        hits, lows, highs, secs = 0, [], [], []
        for r in range(repetitions):
            rng = np.random.default_rng([r, n])
            x = p.sample(n, rng)
            t0 = time.perf_counter()
            est = w2_samples_bounds(x, q, rng, level=level)
            secs.append(time.perf_counter() - t0)
            hits += est.uncertainty.contains(truth)
            lows.append(est.uncertainty.lower)
            highs.append(est.uncertainty.upper)
        wilson_low, wilson_high = wilson_interval(hits, repetitions, 0.95)
        rows.append({"case": name, "truth": truth, "reps": repetitions, "coverage": hits / repetitions,
                     "wilson_low": wilson_low, "wilson_high": wilson_high, "mean_lower": float(np.mean(lows)),
                     "mean_upper": float(np.mean(highs)), "seconds": float(np.mean(secs))})
    return rows


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    print(f"| case | W2 truth | reps | coverage | Wilson 95% | mean interval | s/call |  (n = {n}, level 0.95)")
    print("|---|---|---|---|---|---|---|")
    for r in coverage_table(reps, n):
        print(f"| {r['case']} | {r['truth']:.4f} | {r['reps']} | {r['coverage']:.3f} | [{r['wilson_low']:.3f}, "
              f"{r['wilson_high']:.3f}] | [{r['mean_lower']:.3f}, {r['mean_upper']:.3f}] | {r['seconds']:.2f} |")
