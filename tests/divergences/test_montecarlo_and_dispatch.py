"""Monte Carlo estimators (coverage of their CLT intervals) and the deterministic routing between laws."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theorylab.distributions import Gaussian, GaussianMixture, SmileDataset
from theorylab.divergences import (
    DIVERGENCES,
    divergence,
    kl_gaussian,
    kl_monte_carlo,
    tv_gaussian_1d,
    tv_monte_carlo,
)
from theorylab.errors import ConfigError
from tests._coverage import assert_nominal, coverage_accepted


def _hits(estimator, exact, level: float, repeats: int) -> int:
    p, q = Gaussian(0.0, 1.0), Gaussian(0.8, 1.7)
    truth = exact(p, q).value
    return sum(estimator(p, q, 2000, np.random.default_rng(s), level=level).uncertainty.contains(truth)
               for s in range(repeats))


@pytest.mark.parametrize("estimator,exact,repeats", [(tv_monte_carlo, tv_gaussian_1d, 200),
                                                     (kl_monte_carlo, kl_gaussian, 1000)])
def test_clt_intervals_cover_at_their_level(estimator, exact, repeats):
    # exact binomial test at the nominal level; the repeat counts reject a 75% or 99.9% interval labelled 90%
    # with probability >= 0.99 (tests/_coverage.py checks the power before the coverage)
    assert_nominal(_hits(estimator, exact, 0.9, repeats), repeats, 0.9)


@pytest.mark.parametrize("actual_level", [0.75, 0.999])
def test_coverage_test_catches_a_mislabelled_level(actual_level):
    # mutation: the cheap KL estimator's intervals at 75% (99.9%) checked against the label 90% are rejected
    repeats = 1000
    assert not coverage_accepted(_hits(kl_monte_carlo, kl_gaussian, actual_level, repeats), repeats, 0.9)


def test_monte_carlo_argument_errors():
    p = Gaussian(0.0, 1.0)
    with pytest.raises(ConfigError, match=r"^n:"):
        tv_monte_carlo(p, p, 1, np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"^level:"):
        kl_monte_carlo(p, p, 100, np.random.default_rng(0), level=0.0)


def test_routing_between_laws():
    g1, g2 = Gaussian(0.0, 1.0), Gaussian(1.0, 2.0)
    gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    assert set(DIVERGENCES) == {"tv", "kl", "js", "hellinger", "w2"}
    assert divergence("tv", g1, g2).uncertainty.kind == "exact"
    assert divergence("js", g1, g2).uncertainty.kind == "quadrature"
    for name in DIVERGENCES:
        assert divergence(name, gmm, g1).uncertainty.kind == "quadrature"
    with pytest.raises(ConfigError, match=r"^divergence: unknown name 'chi2'"):
        divergence("chi2", g1, g2)
    with pytest.raises(NotImplementedError, match="montecarlo"):
        divergence("tv", GaussianMixture([1.0], [[0.0, 0.0]], [1.0]), Gaussian([0.0, 0.0], 1.0).as_mixture())
    with pytest.raises(NotImplementedError):
        divergence("kl", SmileDataset(n=10), Gaussian([0.0, 0.0], 1.0))
