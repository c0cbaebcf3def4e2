"""Gaussian: log-density against scipy, score against finite differences, sampling against the exact moments."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.distributions.strategies import gaussian_params
from theorylab.distributions import Gaussian
from theorylab.errors import ConfigError
from theorylab.tolerances import FD_STEP, FINITE_DIFFERENCE_RTOL, LINALG_RTOL, MC_SIGMA

DIMS = st.integers(min_value=1, max_value=4)  # covers scalar, planar and a few higher dimensions


def central_difference(f, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar function of (d,) by central differences with step FD_STEP * max(1, |x_i|)."""
    grad = np.empty_like(x)
    for i in range(x.shape[0]):
        h = FD_STEP * max(1.0, abs(x[i]))
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (f(x + e) - f(x - e)) / (2.0 * h)
    return grad


@settings(max_examples=25, deadline=None)
@given(d=DIMS, data=st.data())
def test_logpdf_matches_scipy(d, data):
    mean, cov = data.draw(gaussian_params(d))
    g = Gaussian(mean, cov)
    x = np.random.default_rng(0).normal(size=(7, d)) * 3.0
    expected = stats.multivariate_normal(mean, cov).logpdf(x)
    np.testing.assert_allclose(g.logpdf(x), expected, rtol=LINALG_RTOL, atol=LINALG_RTOL)
    np.testing.assert_allclose(g.pdf(x), np.exp(expected), rtol=LINALG_RTOL)


@settings(max_examples=25, deadline=None)
@given(d=DIMS, data=st.data())
def test_score_matches_finite_differences_of_logpdf(d, data):
    mean, cov = data.draw(gaussian_params(d))
    g = Gaussian(mean, cov)
    for x in np.random.default_rng(1).normal(size=(3, d)) * 2.0:
        fd = central_difference(lambda y: float(g.logpdf(y)), x)
        score = g.score(x)
        assert np.all(np.abs(fd - score) <= FINITE_DIFFERENCE_RTOL * (1.0 + np.abs(score)))


def test_score_is_minus_precision_times_centred_point():
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    g = Gaussian([1.0, -1.0], cov)
    x = np.array([[0.3, 0.7], [5.0, -4.0]])
    expected = -np.linalg.solve(cov, (x - [1.0, -1.0]).T).T
    np.testing.assert_allclose(g.score(x), expected, rtol=LINALG_RTOL)


def test_batch_shapes():
    g = Gaussian(np.zeros(3), np.eye(3))
    x = np.zeros((2, 5, 3))
    assert g.logpdf(x).shape == (2, 5)
    assert g.score(x).shape == (2, 5, 3)
    assert g.logpdf(np.zeros(3)).shape == ()


@settings(max_examples=10, deadline=None)
@given(d=DIMS, data=st.data())
def test_sample_moments(d, data):
    mean, cov = data.draw(gaussian_params(d))
    g = Gaussian(mean, cov)
    n = 20_000
    x = g.sample(n, np.random.default_rng(2))
    assert x.shape == (n, d) and x.dtype == np.float64
    # each coordinate mean within MC_SIGMA standard errors
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= MC_SIGMA * se)
    # each covariance entry: the standard error of mean((X_i - m_i)(X_j - m_j)) is sqrt((S_ii S_jj + S_ij^2) / n)
    centred = x - mean
    emp = centred.T @ centred / n
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(emp - cov) <= MC_SIGMA * se_cov)


def test_scalar_and_diagonal_covariances():
    assert np.array_equal(Gaussian([0.0, 0.0], 2.0).covariance(), 2.0 * np.eye(2))
    assert np.array_equal(Gaussian([0.0, 0.0], [1.0, 3.0]).covariance(), np.diag([1.0, 3.0]))
    g = Gaussian(1.5, 4.0)
    assert g.dim == 1 and float(g.mean()[0]) == 1.5 and float(g.covariance()[0, 0]) == 4.0


def test_sample_is_reproducible():
    g = Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 1.0]])
    a = g.sample(5, np.random.default_rng(7))
    b = g.sample(5, np.random.default_rng(7))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("cov", ["vector", "matrix"])
def test_a_diagonal_covariance_is_its_own_eigendecomposition(cov):
    """No O(d^3) factorisation for a diagonal covariance (given as a vector or as a diagonal matrix): the eigenbasis
    is the identity (stored as None), Cholesky is diag(sqrt(v)); both equal what LAPACK gives."""
    v = np.array([0.3, 2.0, 1e-3, 5.0])
    g = Gaussian(np.zeros(4), v if cov == "vector" else np.diag(v))
    lam, basis = g.eigen_parts()
    assert basis is None and np.array_equal(lam, v)
    np.testing.assert_allclose(g.cholesky, np.linalg.cholesky(np.diag(v)), rtol=1e-15)
    np.testing.assert_allclose(g.logpdf(np.ones((1, 4))), stats.multivariate_normal(np.zeros(4), np.diag(v))
                               .logpdf(np.ones(4)), rtol=1e-13)


@pytest.mark.parametrize("v, allow_singular, message", [
    ([1.0, 0.0], False, "not positive definite"),
    ([1.0, -0.5], False, "not positive definite"),
    ([1.0, -0.5], True, "not positive semi-definite"),
])
def test_a_bad_diagonal_is_refused_like_a_bad_matrix(v, allow_singular, message):
    with pytest.raises(ConfigError, match=f"target.cov: covariance is {message}"):
        Gaussian([0.0, 0.0], v, key="target", allow_singular=allow_singular)


def test_a_singular_diagonal_is_allowed_when_asked():
    g = Gaussian([0.0, 0.0], [1.0, 0.0], allow_singular=True)
    assert g.is_singular and g.rank == 1
