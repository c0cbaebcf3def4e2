"""Power of the smile reproduction's criteria (ledger claim 002.experiments.smile), sized by simulation.

Models whose defect is known are simulated from the smile data law itself, at the reproduction's sizes:

* ``perfect``: fresh draws of the data law (no defect);
* ``blur eta``: data + N(0, eta^2 I) (samples too diffuse);
* ``off rho``: a fraction rho of the points moved uniformly into the face's bounding box (mass off the face).

SW2 excess. For each model and R seeded repeats the excess SW2(gen, A) - SW2(B, A) (200 directions, as
smile._sliced) is computed; its mean Delta and standard deviation s over repeats give, with the reproduction's
interval excess +- z s (z = 1.96), the pass probability of the criterion "upper end <= delta":
P(pass) = Phi((delta - Delta)/s - z). delta is chosen so that the perfect model passes with probability >= 0.8
(delta >= s (z + 0.84)) and the stated defect fails with probability >= 0.8 (delta <= Delta_defect + s (z - 0.84)).

Off-face mass. Exact binomial: the criterion "Wilson upper end of the off-face fraction <= delta_off" is evaluated
for every count; P(pass) under the perfect model's off-face rate and under the defect's.

Run: ``python benchmarks/power_smile.py [R] [n]`` (writes benchmarks/results/power_smile.json).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import ot
from scipy import special, stats

from theorylab.distributions import make_target
from theorylab.studies.reproductions import smile

Z = float(special.ndtri(0.975))
Z_POWER = float(special.ndtri(0.8))


def _wilson_upper(k: np.ndarray, n: int) -> np.ndarray:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * np.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre + half


def main(repeats: int = 12, n: int = 2000) -> dict:
    target = make_target({"kind": "smile", "n": 2000, "noise": 0.05, "seed": 0})
    projections = ot.sliced.get_random_projections(2, 200, seed=1001)
    lo, hi = target.data.min(axis=0) - 0.5, target.data.max(axis=0) + 0.5
    models = {"perfect": None, "blur 0.05": 0.05, "blur 0.1": 0.1, "blur 0.2": 0.2, "off 0.03": -0.03}
    out: dict = {"n": n, "repeats": repeats, "models": {}}
    for name, defect in models.items():
        excess, off = [], []
        for r in range(repeats):
            rng = np.random.default_rng([2024, r])
            ref, other, gen = (target.sample(n, rng) for _ in range(3))
            if defect is not None and defect > 0:
                gen = gen + defect * rng.standard_normal(gen.shape)
            elif defect is not None:
                k = int(-defect * n)
                gen[:k] = lo + (hi - lo) * rng.random((k, 2))
            excess.append(smile.sliced_w2(gen, ref, projections) - smile.sliced_w2(other, ref, projections))
            off.append(float(np.mean(smile.assign_parts(gen, target, 4.0) == 3)))
        out["models"][name] = {"excess_mean": float(np.mean(excess)), "excess_sd": float(np.std(excess, ddof=1)),
                               "off_rate": float(np.mean(off))}
        print(name, out["models"][name], flush=True)
    s = out["models"]["perfect"]["excess_sd"]
    out["delta_sw2_min"] = s * (Z + Z_POWER)  # perfect model passes with probability >= 0.8
    for name, m in out["models"].items():
        m["max_delta_failing_w_p0.8"] = m["excess_mean"] + s * (Z - Z_POWER)
    # off-face: exact binomial pass probabilities for a grid of margins
    k = np.arange(n + 1)
    upper = _wilson_upper(k, n)
    grid = {}
    for delta in (0.01, 0.015, 0.02, 0.025, 0.03):
        grid[str(delta)] = {name: float(stats.binom.pmf(k, n, m["off_rate"])[upper <= delta].sum())
                            for name, m in out["models"].items()}
    out["off_pass_probability"] = grid
    print(json.dumps({k: v for k, v in out.items() if k != "models"}, indent=1))
    return out


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    result = main(*args)
    with open("benchmarks/results/power_smile.json", "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=1)
