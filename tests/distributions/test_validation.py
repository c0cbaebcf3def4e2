"""Bad parameters raise a one-line ConfigError naming the parameter (and its config key when built from a table)."""

from __future__ import annotations

import numpy as np
import pytest

from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_ATOL, COV_SYMMETRY_RTOL, MIXTURE_WEIGHT_SUM_ATOL

CASES = [
    (lambda: Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]]), r"^cov: covariance is not positive definite$"),
    (lambda: Gaussian([0.0, 0.0], [[1.0, 0.5], [0.4, 1.0]]), r"^cov: covariance is not symmetric$"),
    (lambda: Gaussian([0.0, 0.0], np.eye(3)), r"^cov: covariance has shape \(3, 3\), expected \(2, 2\)$"),
    (lambda: Gaussian([0.0, np.nan], np.eye(2)), r"^mean: all entries must be finite"),
    (lambda: Gaussian("zero", 1.0), r"^mean: must be a number"),
    (lambda: Gaussian([[0.0, 1.0], [1.0]], 1.0), r"^mean: must be a number or a rectangular"),
    (lambda: Gaussian([0.0], [-1.0]), r"^cov: covariance is not positive definite$"),
    (lambda: Gaussian([0.0, 0.0], [1.0, np.inf]), r"^cov: all entries must be finite"),
    (lambda: GaussianMixture([0.5, 0.6], [0.0, 1.0], [1.0, 1.0]), r"^weights: must sum to 1"),
    (lambda: GaussianMixture([1.5, -0.5], [0.0, 1.0], [1.0, 1.0]), r"^weights: weight 1 must be positive"),
    (lambda: GaussianMixture([0.5, 0.5], [0.0, 1.0, 2.0], [1.0, 1.0]), r"^means: has 3 components, but weights has 2"),
    (lambda: GaussianMixture([0.5, 0.5], [0.0, 1.0], [1.0, -1.0]), r"^covs: covariance 1 is not positive definite$"),
    (lambda: GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), np.eye(3)]), r"^covs: must be a"),
    (lambda: GaussianMixture([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
     r"^covs: diagonal covariance 0 has length 3, expected 2$"),
    (lambda: Gaussian([0.0], 1.0, key="target"), None),
    (lambda: Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], key="target"),
     r"^target\.cov: covariance is not positive definite$"),
    (lambda: GaussianMixture([0.5, 0.5], [0.0, 1.0], [1.0, 0.0], key="target"),
     r"^target\.covs: covariance 1 is not positive definite$"),
]


@pytest.mark.parametrize("build,pattern", CASES)
def test_bad_parameters_raise_config_error_naming_them(build, pattern):
    if pattern is None:
        build()
        return
    with pytest.raises(ConfigError, match=pattern) as info:
        build()
    assert "\n" not in str(info.value)


def test_weights_within_tolerance_are_renormalised():
    third = 1.0 / 3.0
    gmm = GaussianMixture([third, third, third + 0.5 * MIXTURE_WEIGHT_SUM_ATOL], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0])
    assert abs(gmm.weights.sum() - 1.0) <= CLOSED_FORM_ATOL
    with pytest.raises(ConfigError, match="^weights: must sum to 1"):
        GaussianMixture([third, third, third + 2.0 * MIXTURE_WEIGHT_SUM_ATOL], [0.0, 1.0, 2.0], [1.0, 1.0, 1.0])


def test_tiny_asymmetry_from_round_off_is_accepted_and_symmetrised():
    a = np.array([[2.0, 0.3], [0.3, 1.0]])
    a[0, 1] += 0.01 * COV_SYMMETRY_RTOL * 2.0  # round-off of a computed covariance, well inside the tolerance
    cov = Gaussian([0.0, 0.0], a).covariance()
    assert np.array_equal(cov, cov.T)
    a[0, 1] += 100.0 * COV_SYMMETRY_RTOL * 2.0  # a genuine asymmetry
    with pytest.raises(ConfigError, match="^cov: covariance is not symmetric$"):
        Gaussian([0.0, 0.0], a)
