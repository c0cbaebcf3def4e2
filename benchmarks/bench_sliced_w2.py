"""The hand-written sliced W2 of the smile reproduction against POT's ``ot.sliced_wasserstein_distance`` (one run).

``theorylab.divergences.samples`` already calls POT for its sliced W2; the one hand-written sliced W2 left is
:func:`theorylab.studies.reproductions.smile.sliced_w2` (equal-size samples, sorted projections), kept because its
bootstrap calls it hundreds of times. This script measures, on the same samples and the same directions
(``ot.sliced.get_random_projections``, seeded), that both give the same value (to round-off) and the time ratio.
Setting: two 2D standard normal samples, n = 2000, L = 200 directions (the reproduction's sizes), 20 interleaved
repetitions, median. Writes ``benchmarks/results/sliced_w2.json``.

Run: ``python benchmarks/bench_sliced_w2.py`` (a few seconds).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import ot

from theorylab.studies.reproductions.smile import sliced_w2

N, L, D, REPS = 2000, 200, 2, 20


def main() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((N, D)), rng.standard_normal((N, D)) + 0.1
    proj = ot.sliced.get_random_projections(D, L, seed=0)
    ours, pot = [], []
    for _ in range(REPS):
        t = time.perf_counter()
        v_ours = sliced_w2(a, b, proj)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        v_pot = float(ot.sliced_wasserstein_distance(a, b, projections=proj, p=2))
        pot.append(time.perf_counter() - t)
    result = {"n": N, "L": L, "d": D, "value_ours": v_ours, "value_pot": v_pot,
              "abs_diff": abs(v_ours - v_pot), "median_s_ours": float(np.median(ours)),
              "median_s_pot": float(np.median(pot)), "ratio_pot_over_ours": float(np.median(pot) / np.median(ours)),
              "load_average": os.getloadavg()}
    print(json.dumps(result, indent=2))
    Path("benchmarks/results/sliced_w2.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
