"""Mode coverage: samples from pi cover every mode with binomial counts; samples from one mode cover one."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from tests.gan.laws import SEED_GMM, ring
from theorylab.gan.modes import mode_coverage
from theorylab.tolerances import MC_SIGMA


def test_samples_from_the_ring_cover_all_modes_with_binomial_counts():
    law = ring()
    n = 20_000
    cov = mode_coverage(law, law.sample(n, np.random.default_rng(0)))
    assert cov.n_covered == 8 and all(cov.covered)
    # modes are 1.53 apart, 30 standard deviations: count_k ~ Binomial(n, w_k P(chi2_2 <= 9))
    prob = 0.125 * stats.chi2.cdf(9.0, df=2)
    sd = math.sqrt(n * prob * (1 - prob))
    for c in cov.counts:
        assert abs(c - n * prob) <= MC_SIGMA * sd
    assert abs(cov.high_quality_fraction - 8 * prob) <= MC_SIGMA * math.sqrt(8 * prob * (1 - 8 * prob) / n)


def test_a_collapsed_generator_covers_one_mode():
    law = ring()
    one = law.component(3).sample(1000, np.random.default_rng(1))
    cov = mode_coverage(law, one)
    assert cov.n_covered == 1 and cov.covered[3] and cov.counts[3] > 980


def test_one_dimensional_mixture_and_thresholds():
    rng = np.random.default_rng(2)
    left = SEED_GMM.component(0).sample(900, rng)
    right = SEED_GMM.component(1).sample(100, rng)  # 10 % of the samples: below 0.25 * w = 12.5 %
    cov = mode_coverage(SEED_GMM, np.concatenate([left, right]))
    assert cov.thresholds == (125.0, 125.0)
    assert cov.covered == (True, False) and cov.n_covered == 1
    cov2 = mode_coverage(SEED_GMM, np.concatenate([left, right]), fraction=0.1)
    assert cov2.n_covered == 2
