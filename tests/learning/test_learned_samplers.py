"""A learned score plugs into every sampler and into the law routes (issue: 'the learned score plugs into every
sampler; its output law comes from the grid propagator in 1D and 2D and from samples otherwise')."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from theorylab.config import validate
from theorylab.learning.config import TrainConfig
from theorylab.learning.score import LearnedScore
from theorylab.learning.training import train
from theorylab.samplers import SAMPLERS, TimeGrid, get_sampler

TARGET = {"kind": "gaussian", "mean": [1.0, -1.0], "cov": [0.5, 2.0]}


# the VP score's routes took ~105 s of the learning tests' ~250 s (loaded 2-core machine): they run in the slow
# step; the OU score covers the same routes by default
@pytest.fixture(scope="module", params=["ou", pytest.param("vp", marks=pytest.mark.slow)])
def learned(request):
    raw = {"target": TARGET, "process": {"kind": request.param, "T": 1.0},
           "network": {"kind": "mlp", "hidden": 32, "depth": 2, "fourier_features": 16, "fourier_scale": 4.0},
           "training": {"steps": 200, "batch_size": 256, "n_data": 2000, "ema": 0.05, "device": "cpu"}}
    result = train(validate(raw, TrainConfig), progress=False)
    return LearnedScore(result.ema_model, result.config.training.t_min)


def test_every_sampler_runs_with_a_learned_score(learned):
    """Every sampler defined for the score's process returns finite particles of the right shape and dtype, and
    the same seed gives the same particles."""
    # pc's VP Langevin factor 1 - beta(t) h needs beta_max h = 0.4 < 1; OU has no such constraint (20 steps suffice)
    grid = TimeGrid.constant(1.0, 0.02 if learned.process.name == "vp" else 0.05)
    ran = []
    for name, cls in SAMPLERS.items():
        if cls.processes is not None and learned.process.name not in cls.processes:
            continue
        sampler = get_sampler(name)
        x = sampler.sample(learned, grid, 200, generator=3, process=learned.process, dim=2)
        again = sampler.sample(learned, grid, 200, generator=3, process=learned.process, dim=2)
        assert x.shape == (200, 2) and x.dtype == torch.float64 and torch.isfinite(x).all(), name
        assert torch.equal(x, again), name
        ran.append(name)
    expected = {name for name, cls in SAMPLERS.items()
                if cls.processes is None or learned.process.name in cls.processes}
    assert set(ran) == expected and len(ran) >= {"ou": 15, "vp": 13}[learned.process.name], ran


def test_output_law_routes_with_a_learned_score(learned):
    """The law dispatcher takes the grid route in 2D for a (non-affine) learned score, and samples on request;
    the two agree on the mean within the samples' CI (an independent route)."""
    from theorylab.distributions import make_target
    from theorylab.laws import law_of_output

    if learned.process.name != "vp":
        pytest.skip("one process suffices for the routes")
    target = make_target(TARGET)
    grid = TimeGrid.constant(1.0, 0.1)
    by_grid = law_of_output(target, learned, "reverse-sde", grid, method="grid", process=learned.process,
                            grid_options={"tol": 1e-4})
    by_samples = law_of_output(target, learned, "reverse-sde", grid, method="samples", n_samples=20000, seed=1,
                               process=learned.process)
    assert by_grid.method == "grid" and by_samples.method == "samples"
    from theorylab.tolerances import MC_SIGMA

    se = np.sqrt(np.diag(by_samples.covariance()) / 20000)
    # laws within TV delta of each other on [-R, R]^2 have means within 2 R delta: the grid law's error allowance
    radius = max(abs(a) for axis in by_grid.law.domain for a in axis)
    allowance = 2.0 * radius * by_grid.error.tv_bound
    assert np.all(np.abs(by_grid.mean() - by_samples.mean()) <= MC_SIGMA * se + allowance)
