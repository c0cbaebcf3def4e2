"""Exact forward marginals (seed 000, "El Proceso Forward" and "Análisis del proceso Ornstein-Uhlenbeck") against
independent routes: the variance recursion, simulation of the Euler–Maruyama chain, and sampling of the affine map.

The Monte Carlo comparisons use the characteristic function, which determines the law: for a Gaussian mixture
:math:`E[e^{i\\omega^\\top X}] = \\sum_k w_k \\exp(i\\omega^\\top\\mu_k - \\tfrac12\\omega^\\top\\Sigma_k\\omega)`,
so a wrong
component (mean, covariance or weight) shows up, not only a wrong overall mean or covariance.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.distributions import (
    Gaussian,
    GaussianMixture,
    chain_coefficients,
    chain_schedule_coefficients,
    ou_coefficients,
)
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA

GAMMA = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)  # step sizes used in practice
STEPS = st.integers(min_value=0, max_value=2000)  # up to T = 2000 gamma


def characteristic_function(gmm: GaussianMixture, omegas: np.ndarray) -> np.ndarray:
    """Exact :math:`E[e^{i\\omega^\\top X}]` of a Gaussian mixture, shape ``(n_omega,)``, complex."""
    w, m, c = gmm.weights, gmm.means, gmm.covs
    phase = omegas @ m.T  # (n_omega, K)
    quad = np.einsum("oi,kij,oj->ok", omegas, c, omegas)
    return np.sum(w * np.exp(1j * phase - 0.5 * quad), axis=1)


def assert_same_law(samples: np.ndarray, law: GaussianMixture, omegas: np.ndarray) -> None:
    """Empirical characteristic function within MC_SIGMA standard errors of the exact one (real and imaginary)."""
    z = np.exp(1j * samples @ omegas.T)  # (n, n_omega)
    n = samples.shape[0]
    exact = characteristic_function(law, omegas)
    for part, emp, ex in ((np.real, z.real, exact.real), (np.imag, z.imag, exact.imag)):
        se = emp.std(axis=0, ddof=1) / math.sqrt(n)
        assert np.all(np.abs(emp.mean(axis=0) - ex) <= MC_SIGMA * se), (part.__name__, emp.mean(0), ex)


SEED_GMM = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"
GMM_2D = GaussianMixture([0.3, 0.7], [[-2.0, 1.0], [2.0, -0.5]], [[[0.3, 0.1], [0.1, 0.5]], [[1.5, -0.4], [-0.4, 0.8]]])
OMEGAS_1D = np.array([[0.2], [0.5], [1.0], [2.0]])
OMEGAS_2D = np.array([[0.3, 0.0], [0.0, 0.7], [0.5, -0.5], [1.0, 1.0]])


@settings(max_examples=60, deadline=None)
@given(k=STEPS, gamma=GAMMA)
def test_chain_coefficients_solve_the_recursion(k, gamma):
    m, v = 1.0, 0.0
    for _ in range(k):
        m, v = (1.0 - gamma) * m, (1.0 - gamma) ** 2 * v + 2.0 * gamma
    mk, vk = chain_coefficients(k, gamma)
    assert math.isclose(mk, m, rel_tol=CLOSED_FORM_RTOL, abs_tol=CLOSED_FORM_ATOL)
    assert math.isclose(vk, v, rel_tol=CLOSED_FORM_RTOL, abs_tol=CLOSED_FORM_ATOL)
    assert chain_schedule_coefficients([gamma] * k) == pytest.approx((m, v), rel=CLOSED_FORM_RTOL,
                                                                      abs=CLOSED_FORM_ATOL)


@settings(max_examples=30, deadline=None)
@given(gamma=st.floats(min_value=1e-3, max_value=0.999, allow_nan=False))
def test_chain_variance_converges_to_one_over_one_minus_half_gamma(gamma):
    # seed 000: the chain "converge exponencialmente rápido a N(0, Id/(1 - gamma/2))"
    k = int(math.ceil(40.0 / gamma))  # (1 - gamma)^{2k} <= e^{-80}
    m, v = chain_coefficients(k, gamma)
    assert abs(m) <= math.exp(-39.0)
    assert math.isclose(v, 1.0 / (1.0 - gamma / 2.0), rel_tol=CLOSED_FORM_RTOL)


def test_ou_coefficients_small_and_large_time():
    a, s2 = ou_coefficients(1e-12)
    assert math.isclose(s2, 2e-12, rel_tol=CLOSED_FORM_RTOL)  # -expm1 keeps the relative accuracy
    assert ou_coefficients(0.0) == (1.0, 0.0)
    a, s2 = ou_coefficients(50.0)
    assert a == pytest.approx(math.exp(-50.0), rel=CLOSED_FORM_RTOL) and s2 == 1.0


def test_gaussian_ou_marginal_closed_form():
    g = Gaussian([1.0, -2.0], [[2.0, 0.3], [0.3, 0.5]])
    t = 0.7
    law = g.ou_marginal(t)
    np.testing.assert_allclose(law.mean(), math.exp(-t) * g.mean(), rtol=CLOSED_FORM_RTOL)
    expected = math.exp(-2 * t) * g.covariance() + (1 - math.exp(-2 * t)) * np.eye(2)
    np.testing.assert_allclose(law.covariance(), expected, rtol=CLOSED_FORM_RTOL)
    assert np.array_equal(g.ou_marginal(0.0).covariance(), g.covariance())  # t = 0: alpha = 1, no noise


@pytest.mark.parametrize("law,omegas", [(SEED_GMM, OMEGAS_1D), (GMM_2D, OMEGAS_2D)])
@pytest.mark.parametrize("k,gamma", [(1, 0.5), (7, 0.1), (40, 0.05)])
def test_gmm_chain_marginal_matches_simulated_chain(law, omegas, k, gamma):
    rng = np.random.default_rng(11)
    n = 40_000
    x = law.sample(n, rng)
    for _ in range(k):
        x = (1.0 - gamma) * x + math.sqrt(2.0 * gamma) * rng.standard_normal(x.shape)
    assert_same_law(x, law.chain_marginal(k, gamma), omegas)


@pytest.mark.parametrize("law,omegas", [(SEED_GMM, OMEGAS_1D), (GMM_2D, OMEGAS_2D)])
def test_gmm_chain_schedule_matches_simulated_chain(law, omegas):
    rng = np.random.default_rng(12)
    gammas = np.linspace(0.01, 0.2, 15)
    x = law.sample(40_000, rng)
    for g in gammas:
        x = (1.0 - g) * x + math.sqrt(2.0 * g) * rng.standard_normal(x.shape)
    assert_same_law(x, law.chain_marginal_schedule(gammas), omegas)


@pytest.mark.parametrize("law,omegas", [(SEED_GMM, OMEGAS_1D), (GMM_2D, OMEGAS_2D)])
@pytest.mark.parametrize("t", [0.1, 0.8])
def test_gmm_ou_marginal_matches_euler_maruyama_simulation(law, omegas, t):
    # Euler–Maruyama of dX = -X dt + sqrt(2) dB with step h = 1e-3: its law differs from the OU marginal by O(h)
    # (|m_k - e^{-t}| <= t h e^{-t} / 2 ~ 4e-4 here, moving the characteristic function by < 3e-3 for |omega mu| <= 6),
    # well below the Monte Carlo resolution MC_SIGMA * 0.005 ~ 0.025 of n = 40000 samples.
    rng = np.random.default_rng(13)
    h = 1e-3
    x = law.sample(40_000, rng)
    for _ in range(int(round(t / h))):
        x = x - h * x + math.sqrt(2.0 * h) * rng.standard_normal(x.shape)
    assert_same_law(x, law.ou_marginal(t), omegas)


def test_affine_pushforward_matches_sampling():
    rng = np.random.default_rng(14)
    A = np.array([[1.0, 2.0], [0.0, -1.0], [0.5, 0.5]])  # R^2 -> R^3
    b = np.array([1.0, 0.0, -1.0])
    noise = np.diag([0.1, 0.2, 0.3])
    law = GMM_2D.affine_pushforward(A, b, noise)
    assert law.dim == 3
    x = GMM_2D.sample(40_000, rng)
    y = x @ A.T + b + rng.multivariate_normal(np.zeros(3), noise, size=x.shape[0])
    omegas = np.array([[0.3, 0.0, 0.0], [0.0, 0.5, 0.2], [0.2, -0.3, 0.4]])
    assert_same_law(y, law, omegas)


def test_projection_gives_the_marginal_law():
    marginal = GMM_2D.affine_pushforward([[1.0, 0.0]], 0.0, 0.0)
    np.testing.assert_allclose(marginal.means[:, 0], GMM_2D.means[:, 0])
    np.testing.assert_allclose(marginal.covs[:, 0, 0], GMM_2D.covs[:, 0, 0])


def test_marginal_argument_errors_name_the_parameter():
    with pytest.raises(ConfigError, match=r"^t:"):
        SEED_GMM.ou_marginal(-1.0)
    with pytest.raises(ConfigError, match=r"^gamma:"):
        SEED_GMM.chain_marginal(3, 2.5)
    with pytest.raises(ConfigError, match=r"^k:"):
        SEED_GMM.chain_marginal(-1, 0.1)
    with pytest.raises(ConfigError, match=r"^gammas\[1\]:"):
        SEED_GMM.chain_marginal_schedule([0.1, 0.0])
    with pytest.raises(ConfigError, match=r"^A:"):
        GMM_2D.affine_pushforward(np.zeros((2, 2)), 0.0, 0.0)
    with pytest.raises(ConfigError, match=r"^noise_cov:"):
        GMM_2D.affine_pushforward(1.0, 0.0, -1.0)
