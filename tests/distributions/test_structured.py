"""Structured Gaussian targets in any dimension (eigendecomposition, spectra, rotations) and singular (PSD) ones."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.distributions import Gaussian, make_target
from theorylab.distributions.spectral import random_rotation, spectrum
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_ATOL, LINALG_RTOL, MC_SIGMA


def test_from_eigen_is_the_same_law_as_the_covariance_route():
    u = random_rotation(4, 3)
    lam = np.array([2.0, 1.0, 0.5, 0.25])
    g_eig = Gaussian.from_eigen([0.0, 1.0, -1.0, 2.0], lam, u)
    g_cov = Gaussian([0.0, 1.0, -1.0, 2.0], (u * lam) @ u.T)
    x = np.random.default_rng(0).standard_normal((50, 4))
    np.testing.assert_allclose(g_eig.logpdf(x), g_cov.logpdf(x), rtol=LINALG_RTOL)
    lam_back, u_back = g_eig.eigh()
    np.testing.assert_array_equal(lam_back, lam)  # stored, not recomputed
    np.testing.assert_allclose((u_back * lam_back) @ u_back.T, g_cov.covariance(), atol=LINALG_RTOL)
    # the covariance route computes (and caches) its own eigendecomposition
    lam_c, u_c = g_cov.eigh()
    np.testing.assert_allclose(np.sort(lam_c), np.sort(lam), rtol=LINALG_RTOL)
    np.testing.assert_allclose((u_c * lam_c) @ u_c.T, g_cov.covariance(), atol=LINALG_RTOL)


def test_diagonal_laws_keep_no_basis():
    g = Gaussian.from_eigen(np.zeros(3), [1.0, 2.0, 3.0])
    assert g.basis is None
    np.testing.assert_array_equal(g.eigh()[1], np.eye(3))
    assert Gaussian.from_eigen(np.zeros(3), [1.0, 2.0, 3.0], random_rotation(3, 0)).basis is not None


def test_random_rotation_is_a_reproducible_rotation():
    u = random_rotation(6, 11)
    np.testing.assert_allclose(u.T @ u, np.eye(6), atol=LINALG_RTOL)
    assert np.linalg.det(u) == pytest.approx(1.0, abs=LINALG_RTOL)
    np.testing.assert_array_equal(u, random_rotation(6, 11))
    assert not np.allclose(u, random_rotation(6, 12))


def test_spectrum_laws():
    np.testing.assert_allclose(spectrum("power:1.0", 4), [1.0, 1 / 2, 1 / 3, 1 / 4], rtol=LINALG_RTOL)
    np.testing.assert_allclose(spectrum("geometric:0.5", 3), [1.0, 0.5, 0.25], rtol=LINALG_RTOL)
    np.testing.assert_array_equal(spectrum("flat", 3, rank=1), [1.0, 0.0, 0.0])


def test_dimension_is_a_sweep_axis():
    for d in (1, 3, 20):
        g = make_target({"kind": "gaussian", "dim": d, "spectrum": "power:1.0", "rotation_seed": 0})
        assert g.dim == d and not g.is_singular
        np.testing.assert_allclose(np.trace(g.covariance()), np.sum(1.0 / np.arange(1, d + 1)), rtol=LINALG_RTOL)
    m = make_target({"kind": "gmm", "dim": 5, "weights": [0.5, 0.5], "means": [[-2.0], [2.0, 1.0]],
                     "covs": [0.5, 1.0]})
    np.testing.assert_array_equal(m.means, [[-2.0, 0, 0, 0, 0], [2.0, 1.0, 0, 0, 0]])
    np.testing.assert_array_equal(m.covs[0], 0.5 * np.eye(5))


def test_singular_gaussian_lives_on_its_support_and_has_no_density():
    u = random_rotation(3, 5)
    g = make_target({"kind": "gaussian", "mean": [1.0, 2.0, 3.0], "eigenvalues": [2.0, 0.0, 1.0],
                     "rotation_seed": 5})
    assert g.is_singular and g.rank == 2
    x = g.sample(20_000, np.random.default_rng(1))
    # off-support direction u[:, 1]: every sample has exactly the mean's coordinate along it
    resid = (x - g.mean()) @ u[:, 1]
    assert np.max(np.abs(resid)) <= 1e3 * np.finfo(float).eps * np.max(np.abs(x))
    emp = np.cov(x, rowvar=False)
    se = np.sqrt((np.diag(g.covariance())[:, None] * np.diag(g.covariance())[None, :] + g.covariance() ** 2)
                 / x.shape[0])
    assert np.all(np.abs(emp - g.covariance()) <= MC_SIGMA * se + CLOSED_FORM_ATOL)
    with pytest.raises(ValueError, match="singular covariance \\(rank 2 < d = 3\\)"):
        g.logpdf(np.zeros(3))
    with pytest.raises(ValueError, match="no density or score"):
        g.score(np.zeros(3))
    assert not g.ou_marginal(0.1).is_singular  # the OU marginal is regular for t > 0
    assert g.ou_marginal(0.0).is_singular


def test_singular_full_covariance_accepted_only_when_allowed():
    cov = [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(ConfigError, match="^cov: covariance is not positive definite$"):
        Gaussian([0.0, 0.0], cov)
    g = Gaussian([0.0, 0.0], cov, allow_singular=True)
    assert g.rank == 1
    a = g.sqrt_factor()
    np.testing.assert_allclose(a @ a.T, cov, atol=LINALG_RTOL)


@pytest.mark.parametrize("table,pattern", [
    ({"kind": "gaussian", "dim": 0, "cov": 1.0}, r"^target\.dim: must be an integer >= 1, got 0$"),
    ({"kind": "gaussian", "dim": 3, "spectrum": "power:x"}, r"^target\.spectrum: parameter of 'power' must be"),
    ({"kind": "gaussian", "dim": 3, "spectrum": "cubic"}, r"^target\.spectrum: unknown spectrum law 'cubic'"),
    ({"kind": "gaussian", "dim": 3, "spectrum": "geometric:2"}, r"^target\.spectrum: geometric ratio"),
    ({"kind": "gaussian", "spectrum": "flat"}, r"^target\.dim: missing \(required with spectrum\)$"),
    ({"kind": "gaussian", "eigenvalues": [1.0, -1.0]}, r"^target\.eigenvalues: entry 1 must be >= 0, got -1\.0$"),
    ({"kind": "gaussian", "variances": [1.0, 0.0, -0.5]}, r"^target\.variances: entry 2 must be >= 0"),
    ({"kind": "gaussian", "variances": [1.0], "rotation_seed": 1}, r"^target\.rotation_seed: only with"),
    ({"kind": "gaussian", "eigenvalues": [1.0, 2.0], "rotation_seed": -1},
     r"^target\.rotation_seed: must be an integer >= 0"),
    ({"kind": "gaussian", "eigenvalues": [1.0, 2.0], "rotation_seed": 1.5},
     r"^target\.rotation_seed: must be an integer >= 0"),
    ({"kind": "gaussian", "dim": 3, "spectrum": "flat", "rank": 5}, r"^target\.rank: must be an integer in 0\.\.3"),
    ({"kind": "gaussian", "eigenvalues": [1.0], "rank": 1}, r"^target\.rank: only with spectrum"),
    ({"kind": "gaussian", "mean": 0.0, "cov": 1.0, "variances": [1.0]}, r"^target\.cov: give only one of"),
    ({"kind": "gaussian", "dim": 3, "mean": [0.0, 0.0], "cov": 1.0}, r"^target\.mean: has length 2, but dim = 3$"),
    ({"kind": "gaussian", "dim": 2, "eigenvalues": [1.0]}, r"^target\.eigenvalues: has length 1, expected 2$"),
    ({"kind": "gmm", "dim": 1, "weights": [0.5, 0.5], "means": [[0.0, 1.0], [1.0, 0.0]], "covs": [1.0, 1.0]},
     r"^target\.means: with dim = 1"),
    ({"kind": "gmm", "dim": "3", "weights": [1.0], "means": [[0.0]], "covs": [1.0]}, r"^target\.dim: must be"),
])
def test_new_keys_are_validated_with_one_line_naming_them(table, pattern):
    with pytest.raises(ConfigError, match=pattern) as info:
        make_target(table)
    assert "\n" not in str(info.value)
