"""measure: W2 for the 2D mixture of experiments/t_gamma_sweep_gmm2d.toml (T = 2, gamma = 0.1), the case of issue 12
where the samples route reported [0.218, 0.327] around a biased plug-in and the grid route refused W2."""

from __future__ import annotations

import pytest

from theorylab.config import validate
from theorylab.measure import measure

RAW = {
    "target": {"kind": "gmm", "weights": [0.5, 0.5], "means": [[-2.0, 0.0], [2.0, 1.0]],
               "covs": [[[0.5, 0.1], [0.1, 0.3]], [[1.0, 0.0], [0.0, 0.5]]]},
    "sampler": {"kind": "reverse-em", "T": 2.0, "gamma": 0.1},
    "metrics": {"names": ["w2"], "method": "samples", "n_samples": 2000},
}


@pytest.mark.slow
def test_samples_and_grid_routes_agree_on_w2_in_2d():
    samples = measure(validate(RAW)).estimates[0]
    assert "confidence bounds for the true W2" in samples.method
    grid_raw = {**RAW, "metrics": {"names": ["w2"], "method": "grid"}}
    grid = measure(validate(grid_raw)).estimates[0]  # refused before issue 12
    assert grid.uncertainty.kind == "grid" and "ot.emd2" in grid.method
    # two independent routes: their intervals, each containing the truth, must overlap; the Gelbrich lower bound
    # (a moment bound, ~0.09 here) must not exceed the grid's upper end
    assert samples.uncertainty.lower <= grid.uncertainty.upper and grid.uncertainty.lower <= samples.uncertainty.upper
