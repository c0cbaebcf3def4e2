"""GaussianMixture: log-density against a direct scipy sum, score against finite differences, stability far in
the tails, moments against sampling."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from tests.distributions.strategies import mixture_params
from tests.distributions.test_gaussian import central_difference
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.tolerances import FINITE_DIFFERENCE_RTOL, LINALG_RTOL, MC_SIGMA

DIMS = st.integers(min_value=1, max_value=3)


@settings(max_examples=25, deadline=None)
@given(d=DIMS, data=st.data())
def test_logpdf_matches_weighted_sum_of_scipy_densities(d, data):
    w, m, c = data.draw(mixture_params(d))
    gmm = GaussianMixture(w, m, c)
    x = np.random.default_rng(0).normal(size=(9, d)) * 3.0
    terms = np.stack([np.log(wk) + stats.multivariate_normal(mk, ck).logpdf(x) for wk, mk, ck in zip(w, m, c)])
    np.testing.assert_allclose(gmm.logpdf(x), special.logsumexp(terms, axis=0), rtol=LINALG_RTOL, atol=LINALG_RTOL)


@settings(max_examples=25, deadline=None)
@given(d=DIMS, data=st.data())
def test_score_matches_finite_differences_of_logpdf(d, data):
    w, m, c = data.draw(mixture_params(d))
    gmm = GaussianMixture(w, m, c)
    for x in np.random.default_rng(1).normal(size=(3, d)) * 2.0:
        fd = central_difference(lambda y: float(gmm.logpdf(y)), x)
        score = gmm.score(x)
        assert np.all(np.abs(fd - score) <= FINITE_DIFFERENCE_RTOL * (1.0 + np.abs(score)))


def test_far_tail_logpdf_and_score_follow_the_dominant_component():
    # seed 002, "Mistura de gaussianas": 1/2 N(-3, 1/4) + 1/2 N(3, 1); at |x| = 1e4 every density underflows
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    x = np.array([[1.0e4], [-1.0e4]])
    logp = gmm.logpdf(x)
    assert np.all(np.isfinite(logp))
    assert np.all(gmm.pdf(x) == 0.0)
    # far right the wide component N(3, 1) dominates, far left the narrow one loses to the wide one as well
    wide = Gaussian(3.0, 1.0)
    np.testing.assert_allclose(logp, np.log(0.5) + wide.logpdf(x), rtol=LINALG_RTOL)
    np.testing.assert_allclose(gmm.score(x), wide.score(x), rtol=LINALG_RTOL)


def test_responsibilities_sum_to_one_and_pick_the_nearest_component():
    gmm = GaussianMixture([0.3, 0.7], [[-5.0, 0.0], [5.0, 0.0]], [np.eye(2), np.eye(2)])
    r = gmm.responsibilities(np.array([[-5.0, 0.0], [5.0, 0.0]]))
    np.testing.assert_allclose(r.sum(axis=-1), 1.0, rtol=LINALG_RTOL)
    assert r[0, 0] > 0.999 and r[1, 1] > 0.999


@settings(max_examples=10, deadline=None)
@given(d=DIMS, data=st.data())
def test_mean_and_covariance_against_sampling(d, data):
    w, m, c = data.draw(mixture_params(d))
    gmm = GaussianMixture(w, m, c)
    n = 40_000
    x, labels = gmm.sample_with_labels(n, np.random.default_rng(3))
    mean, cov = gmm.mean(), gmm.covariance()
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(x.mean(axis=0) - mean) <= MC_SIGMA * se)
    # component frequencies: binomial standard errors
    freq = np.bincount(labels, minlength=len(w)) / n
    assert np.all(np.abs(freq - w) <= MC_SIGMA * np.sqrt(w * (1 - w) / n))
    # total covariance, every entry (i, j), off-diagonal included: the empirical mean of the products of centred
    # coordinates, with the standard error of that mean (4th-moment bound)
    centred = x - mean
    products = centred[:, :, None] * centred[:, None, :]
    emp_cov = products.mean(axis=0)
    se_cov = np.sqrt(products.var(axis=0) / n)
    assert np.all(np.abs(emp_cov - cov) <= MC_SIGMA * se_cov)


def test_covariance_includes_the_between_component_off_diagonal_term():
    # means (-1, -1) and (1, 1) with identity covariances: within = I, between = [[1, 1], [1, 1]] (law of total
    # covariance); a covariance that dropped the between term's off-diagonal would give 0 off the diagonal
    gmm = GaussianMixture([0.5, 0.5], [[-1.0, -1.0], [1.0, 1.0]], [np.eye(2), np.eye(2)])
    np.testing.assert_allclose(gmm.covariance(), [[2.0, 1.0], [1.0, 2.0]], rtol=LINALG_RTOL)
    # unequal weights and a shift: w = (0.2, 0.8), means (0, 0), (2, -1): between = 0.16 * [[4, -2], [-2, 1]]
    gmm = GaussianMixture([0.2, 0.8], [[0.0, 0.0], [2.0, -1.0]], [np.eye(2), 2.0 * np.eye(2)])
    expected = 0.2 * np.eye(2) + 0.8 * 2.0 * np.eye(2) + 0.16 * np.array([[4.0, -2.0], [-2.0, 1.0]])
    np.testing.assert_allclose(gmm.covariance(), expected, rtol=LINALG_RTOL)


def test_one_component_mixture_equals_gaussian():
    g = Gaussian([0.5, -1.0], [[1.0, 0.2], [0.2, 0.5]])
    mix = g.as_mixture()
    x = np.random.default_rng(4).normal(size=(6, 2))
    np.testing.assert_allclose(mix.logpdf(x), g.logpdf(x), rtol=LINALG_RTOL)
    np.testing.assert_allclose(mix.score(x), g.score(x), rtol=LINALG_RTOL)
    np.testing.assert_allclose(mix.covariance(), g.covariance(), rtol=LINALG_RTOL)


def test_shapes_accepted_for_means_and_covs():
    iso = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0])
    diag = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[1.0, 1.0], [2.0, 2.0]])
    full = GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2.0 * np.eye(2)])
    for other in (diag, full):
        assert np.array_equal(other.covs, iso.covs)
    assert GaussianMixture([1.0], [2.0], [3.0]).dim == 1


def test_score_is_differentiable_by_autograd():
    """The grid route of the probability-flow ODE differentiates the score with torch autograd: the in-place
    shortcuts of the score kernel must not break the backward pass (autograd vs central differences)."""
    import torch

    from theorylab.tolerances import FD_STEP, FINITE_DIFFERENCE_RTOL

    gmm = GaussianMixture([0.3, 0.7], [[-3.0, 1.0], [3.0, 0.0]], [[[0.25, 0.1], [0.1, 0.5]], [[1.0, 0.0], [0.0, 2.0]]])
    x = torch.tensor([[0.3, -0.2], [-2.5, 1.1], [1.0, 4.0]], dtype=torch.float64, requires_grad=True)
    jac = torch.autograd.functional.jacobian(lambda y: gmm.score(y).sum(0), x)  # (d, n, d)
    for j in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[j] = FD_STEP
        fd = (gmm.score(x.detach() + step) - gmm.score(x.detach() - step)) / (2 * FD_STEP)  # (n, d)
        assert torch.allclose(jac[:, :, j].T, fd, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL)
