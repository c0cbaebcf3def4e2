"""ExactScore against closed forms derived by hand (not through the distributions layer's marginals).

* continuous OU: :math:`\\mu_t = e^{-t}\\mu`, :math:`\\Sigma_t = e^{-2t}\\Sigma + (1-e^{-2t})I`;
* EM chain (seed 000, slide 'Denoising Score matching'): :math:`m_k = (1-\\gamma)^k`,
  :math:`\\sigma_k^2 = (1-(1-\\gamma)^{2k})/(1-\\gamma/2)`; schedules by the numpy recursion;
* VP/VE through the clock change / the VE variance :math:`\\sigma(t)^2 - \\sigma(0)^2`;
* mixtures: posterior-weighted component scores computed in numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.errors import ConfigError
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.samplers import TimeGrid
from theorylab.scores import ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

MU = np.array([1.0, -2.0])
SIGMA = np.array([[0.6, 0.2], [0.2, 0.4]])
TARGET = Gaussian(MU, SIGMA)

points = st.lists(  # a few points in a box of half-width 5 around the origin
    st.lists(st.floats(min_value=-5, max_value=5, allow_nan=False), min_size=2, max_size=2), min_size=1, max_size=4
)


def gaussian_score(x, mean, cov):
    return -np.linalg.solve(cov, (np.asarray(x) - mean).T).T


def close(a, b):
    return np.allclose(np.asarray(a), np.asarray(b), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@settings(max_examples=25, deadline=None)
@given(t=st.floats(min_value=0.0, max_value=6.0, allow_nan=False), x=points)  # forward times in [0, 6]
def test_reverse_em_convention_is_the_ou_marginal_score(t, x):
    score = ExactScore(TARGET)
    a = math.exp(-t)
    cov_t = a**2 * SIGMA + (1 - a**2) * np.eye(2)
    expected = gaussian_score(x, a * MU, cov_t)
    assert close(score(t, np.array(x)), expected)
    got = score(t, torch.tensor(x, dtype=torch.float64))
    assert isinstance(got, torch.Tensor) and close(got.numpy(), expected)
    A, b = score.affine(t)
    assert close(np.array(x) @ A.T + b, expected)
    assert close(-np.linalg.inv(A), cov_t)


@settings(max_examples=25, deadline=None)
@given(k=st.integers(min_value=0, max_value=40), x=points)  # chain index k on a grid of N = 40 steps
def test_ancestral_convention_constant_grid_uses_seed_chain_formula(k, x):
    gamma = 0.05
    grid = TimeGrid.constant(2.0, gamma)
    score = ExactScore(TARGET, convention="ancestral", grid=grid)
    m = (1 - gamma) ** k
    var = (1 - (1 - gamma) ** (2 * k)) / (1 - gamma / 2)
    expected = gaussian_score(x, m * MU, m**2 * SIGMA + var * np.eye(2))
    assert close(score(k * gamma, np.array(x)), expected)
    assert close(score(grid.cumulative_times[k], np.array(x)), expected)


def test_ancestral_convention_schedule_matches_numpy_recursion():
    grid = TimeGrid.linear(0.01, 0.2, 12)
    score = ExactScore(TARGET, convention="ancestral", grid=grid)
    x = np.array([[0.3, 0.1], [-1.0, 2.0]])
    mean, cov = MU.copy(), SIGMA.copy()
    for k in range(grid.N + 1):
        assert close(score(float(np.sum(grid.gammas[:k])), x), gaussian_score(x, mean, cov))
        if k < grid.N:
            g = grid.gammas[k]
            mean, cov = (1 - g) * mean, (1 - g) ** 2 * cov + 2 * g * np.eye(2)


def test_ancestral_refuses_off_grid_times_and_bad_arguments():
    grid = TimeGrid.constant(1.0, 0.1)
    score = ExactScore(TARGET, convention="ancestral", grid=grid)
    with pytest.raises(ConfigError, match="score.t"):
        score(0.15, np.zeros(2))
    with pytest.raises(ConfigError, match="score.grid"):
        ExactScore(TARGET, convention="ancestral")
    with pytest.raises(ConfigError, match="score.grid"):
        ExactScore(TARGET, grid=grid)
    with pytest.raises(ConfigError, match="score.convention"):
        ExactScore(TARGET, convention="ddpm")
    with pytest.raises(ConfigError, match="score.process"):
        ExactScore(TARGET, convention="ancestral", grid=grid, process=VariancePreserving())


@settings(max_examples=20, deadline=None)
@given(frac=st.floats(min_value=0.0, max_value=1.0, allow_nan=False), x=points)  # t = frac * T
def test_vp_score_is_ou_score_on_the_clock_change(frac, x):
    vp = VariancePreserving(beta_min=0.1, beta_max=20.0, T=2.0)
    t = frac * 2.0
    tau = 0.5 * (0.1 * t + 0.5 * (20.0 - 0.1) * t**2 / 2.0)
    got = ExactScore(TARGET, process=vp)(t, np.array(x))
    assert close(got, ExactScore(TARGET)(tau, np.array(x)))
    # explicit OU process goes through the same law as the default
    assert close(ExactScore(TARGET, process=OrnsteinUhlenbeck(3.0))(t, np.array(x)), ExactScore(TARGET)(t, np.array(x)))


def test_ve_score_closed_form():
    ve = VarianceExploding(sigma_min=0.01, sigma_max=5.0, T=2.0)
    x = np.array([[0.3, 0.1], [-1.0, 2.0], [4.0, -4.0]])
    for t in (0.0, 0.5, 2.0):
        var = (0.01 * 500.0 ** (t / 2.0)) ** 2 - 0.01**2
        assert close(ExactScore(TARGET, process=ve)(t, x), gaussian_score(x, MU, SIGMA + var * np.eye(2)))


def test_mixture_score_is_posterior_weighted_and_not_affine():
    w, means, var = np.array([0.5, 0.5]), np.array([[-3.0], [3.0]]), np.array([0.25, 1.0])  # seed 002 mixture
    gmm = GaussianMixture(w, means, var)
    score = ExactScore(gmm)
    x = np.linspace(-6, 6, 25)[:, None]
    for t in (0.0, 0.3, 2.0):
        a = math.exp(-t)
        m_t, v_t = a * means[:, 0], a**2 * var + 1 - a**2
        logs = np.log(w) - 0.5 * np.log(2 * np.pi * v_t) - 0.5 * (x - m_t) ** 2 / v_t  # (n, K)
        r = np.exp(logs - logs.max(1, keepdims=True))
        r /= r.sum(1, keepdims=True)
        expected = np.sum(r * (-(x - m_t) / v_t), axis=1, keepdims=True)
        assert close(score(t, x), expected)
        assert score.affine(t) is None


def test_marginals_are_cached_per_time():
    score = ExactScore(TARGET)
    assert score.law(0.5) is score.law(0.5)
    grid = TimeGrid.constant(1.0, 0.1)
    anc = ExactScore(TARGET, convention="ancestral", grid=grid)
    assert anc.law(0.3) is anc.law(3 * 0.1)  # 0.30000000000000004: same chain index k = 3
