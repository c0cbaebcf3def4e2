"""BiasedScore and SmoothPerturbedScore: the perturbation's sup-norm is exactly M (bounded and attained)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.errors import ConfigError
from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, SUP_ATTAINED_RTOL

TARGET = Gaussian([1.0, -2.0, 0.5], np.diag([0.5, 1.0, 2.0]))
BASE = ExactScore(TARGET)


@settings(max_examples=25, deadline=None)
@given(M=st.floats(min_value=0.0, max_value=10.0, allow_nan=False),  # bias size in [0, 10]
       direction=st.lists(st.floats(min_value=-3, max_value=3, allow_nan=False), min_size=3, max_size=3)
       .filter(lambda v: np.linalg.norm(v) > 1e-3),  # any non-degenerate direction
       t=st.floats(min_value=0.0, max_value=3.0, allow_nan=False))  # forward time in [0, 3]
def test_biased_score_adds_m_times_a_unit_vector(M, direction, t):
    score = BiasedScore(BASE, M, direction)
    x = torch.tensor([[0.1, 0.2, 0.3], [-2.0, 1.0, 4.0]], dtype=torch.float64)
    diff = (score(t, x) - BASE(t, x)).numpy()
    u = np.asarray(direction) / np.linalg.norm(direction)
    assert np.allclose(diff, M * u, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(np.linalg.norm(diff, axis=1), M, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    A, b = score.affine(t)
    A0, b0 = BASE.affine(t)
    assert np.array_equal(A, A0) and np.allclose(b, b0 + M * u, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(x.numpy() @ A.T + b, score(t, x).numpy(), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_biased_defaults_and_validation():
    score = BiasedScore(BASE, 2.0)
    assert np.array_equal(score.direction, [1.0, 0.0, 0.0])  # default e_1
    x = np.zeros((1, 3))
    assert np.allclose(score(0.4, x) - BASE(0.4, x), [[2.0, 0.0, 0.0]])  # numpy in, numpy out
    gmm = GaussianMixture([0.3, 0.7], [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], [1.0, 2.0])
    assert BiasedScore(ExactScore(gmm), 1.0).affine(0.2) is None
    with pytest.raises(ConfigError, match=r"score.M: must be >= 0"):
        BiasedScore(BASE, -0.1)
    with pytest.raises(ConfigError, match=r"score.M: must be >= 0"):
        SmoothPerturbedScore(BASE, -1.0)
    with pytest.raises(ConfigError, match="score.direction"):
        BiasedScore(BASE, 1.0, [0.0, 0.0, 0.0])
    with pytest.raises(ConfigError, match="score.direction"):
        BiasedScore(BASE, 1.0, [1.0, 0.0])
    with pytest.raises(ConfigError, match="score.frequency"):
        SmoothPerturbedScore(BASE, 1.0, frequency=0.0)


@settings(max_examples=20, deadline=None)
@given(M=st.floats(min_value=0.01, max_value=10.0, allow_nan=False),  # sup-norm in [0.01, 10]
       omega=st.floats(min_value=0.1, max_value=5.0, allow_nan=False),  # spatial frequency
       phi=st.floats(min_value=-3.0, max_value=3.0, allow_nan=False),  # time frequency
       seed=st.integers(min_value=0, max_value=2**32 - 1))  # directions u, v
def test_smooth_perturbation_sup_norm_is_exactly_m_on_a_dense_grid(M, omega, phi, seed):
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal(3), rng.standard_normal(3)
    score = SmoothPerturbedScore(BASE, M, frequency=omega, direction=u, wave_vector=v, time_frequency=phi,
                                 phase=0.3)
    v_unit = v / np.linalg.norm(v)
    # Dense grid: times in [0, 3] x points lam * v + an orthogonal offset, lam covering one full spatial period
    # with phase spacing delta = omega * h (so the grid maximum is >= M cos(delta/2) >= M (1 - delta^2/8)).
    delta = 1e-3  # grid resolution in phase (the bound behind SUP_ATTAINED_RTOL)
    h = delta / omega
    lam = np.arange(-math.pi / omega, math.pi / omega + h, h)
    offset = rng.standard_normal(3)
    offset -= (offset @ v_unit) * v_unit
    x = torch.tensor(lam[:, None] * v_unit + offset, dtype=torch.float64)
    norms = []
    for t in np.linspace(0.0, 3.0, 7):
        e = score(t, x) - BASE(t, x)
        assert torch.allclose(e, score.perturbation(t, x), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL * M)
        n_t = torch.linalg.vector_norm(e, dim=-1).numpy()
        assert n_t.max() >= M * (1 - SUP_ATTAINED_RTOL)  # attained at every time
        norms.append(n_t)
    norms = np.concatenate(norms)
    assert norms.max() <= M * (1 + CLOSED_FORM_RTOL)
    # non-constant: within delta/2 in phase of every zero crossing, so |e| <= M sin(delta/2) somewhere
    assert norms.min() <= M * math.sin(delta / 2) * (1 + CLOSED_FORM_RTOL)
    assert score.affine(0.1) is None


def test_smooth_perturbation_random_points_stay_below_m_and_m_zero_is_the_base():
    score = SmoothPerturbedScore(BASE, 1.5, frequency=2.0)
    x = torch.randn(1000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3)) * 10
    for t in (0.0, 1.0, 7.5):
        assert torch.linalg.vector_norm(score.perturbation(t, x), dim=-1).max() <= 1.5 * (1 + CLOSED_FORM_RTOL)
    zero = SmoothPerturbedScore(BASE, 0.0)
    assert torch.equal(zero(0.5, x), BASE(0.5, x))
    A, b = zero.affine(0.5)
    assert np.array_equal(A, BASE.affine(0.5)[0])
