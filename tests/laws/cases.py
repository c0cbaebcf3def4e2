"""Targets, grids and processes shared by the ``laws`` tests (module-level constants, no randomness)."""

from __future__ import annotations

import numpy as np

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.samplers import TimeGrid
from theorylab.scores import ExactScore

#: 1D and 2D Gaussian targets (2D with correlation, so that the covariance recursion is not diagonal).
G1 = Gaussian([-1.0], [[0.25]])
G2 = Gaussian([0.5, -1.0], [[0.7, 0.1], [0.1, 0.3]])
#: The seed GMM: seed 002, slide "Mistura de gaussianas", 1/2 N(-3, 1/4) + 1/2 N(3, 1).
SEED_GMM = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])

#: Grids of every kind, short (N <= 20) so that Monte Carlo runs stay fast.
GRIDS = {
    "constant": TimeGrid.constant(2.0, 0.1),
    "linear": TimeGrid.linear(0.01, 0.2, 20),
    "cosine": TimeGrid.cosine(20, 2.0),
}


def processes(T: float) -> dict:
    """OU, VP and VE processes with horizon ``T`` (VP/VE parameters small enough for N = 20 steps to be stable)."""
    return {
        "ou": OrnsteinUhlenbeck(T),
        "vp": VariancePreserving(0.1, 5.0, T),
        "ve": VarianceExploding(0.05, 3.0, T),
    }


def exact_score(target, sampler: str, grid, process=None):
    """The exact score in the sampler's convention (``ancestral`` -> EM-chain marginals on ``grid``)."""
    if sampler == "ancestral":
        return ExactScore(target, convention="ancestral", grid=grid)
    return ExactScore(target, process=None if process is None or process.name == "ou" else process)


def prior_samples_1d_2d(seed: int, n: int, d: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, d))
