"""Sample-based divergences: POT's estimators against the quantile formula and exact assignment, the coverage of
the bootstrap W2 interval, and the density-estimate divergences against the population quantities they estimate."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest

from tests._coverage import assert_nominal, coverage_accepted
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from tests.divergences.test_gaussian_closed_forms import z_of
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import tv_gaussian_1d, tv_samples, w2_gaussian, w2_samples
from theorylab.divergences.samples import _quantile_cells, _w2_quantile_stat
from theorylab.errors import ConfigError
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA, QUADRATURE_ATOL

SIZES = st.integers(min_value=2, max_value=60)


def quantile_formula_w2sq(x: np.ndarray, y: np.ndarray) -> float:
    """W2^2 between two empirical measures by the quantile formula: both quantile functions are step functions;
    integrate (F^-1 - G^-1)^2 over the merged breakpoints i/n, j/m (written independently of POT)."""
    xs, ys = np.sort(x), np.sort(y)
    n, m = len(xs), len(ys)
    knots = np.union1d(np.arange(n + 1) / n, np.arange(m + 1) / m)
    total = 0.0
    for a, b in zip(knots[:-1], knots[1:]):
        mid = 0.5 * (a + b)
        total += (b - a) * (xs[min(int(mid * n), n - 1)] - ys[min(int(mid * m), m - 1)]) ** 2
    return total


@settings(max_examples=40, deadline=None)
@given(n=SIZES, m=SIZES, seed=st.integers(0, 2**16))
def test_pot_1d_w2_equals_the_quantile_formula_and_emd(n, m, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), 1.0 + 2.0 * rng.standard_t(3, size=m)
    pot = float(ot.wasserstein_1d(x, y, p=2))  # POT returns W_p^p, here W2^2
    reference = quantile_formula_w2sq(x, y)
    assert pot == pytest.approx(reference, rel=LINALG_RTOL, abs=LINALG_RTOL)
    emd = float(ot.emd2(np.full(n, 1 / n), np.full(m, 1 / m), ot.dist(x[:, None], y[:, None])))
    assert emd == pytest.approx(reference, rel=LINALG_RTOL, abs=LINALG_RTOL)
    est = w2_samples(x, y, rng, n_boot=2)
    assert est.name == "W2" and "ot.wasserstein_1d" in est.method
    assert est.value == pytest.approx(math.sqrt(reference), rel=LINALG_RTOL, abs=LINALG_RTOL)


@pytest.mark.parametrize("law", [Gaussian(0.5, 2.0), GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])])
def test_quantile_method_equals_the_cellwise_integral(law):
    # W2^2(empirical, G) = sum_i int_{(i-1)/n}^{i/n} (x_(i) - G^{-1}(u))^2 du; substituting u = G(t), each cell is
    # int (x_(i) - t)^2 g(t) dt between the quantiles G^{-1}((i-1)/n) and G^{-1}(i/n) (brentq on scipy's CDF)
    rng = np.random.default_rng(3)
    n = 7
    x = rng.normal(size=n) * 2.0
    m1, m2 = _quantile_cells(law, n)
    ours = _w2_quantile_stat(m1, m2)(x[:, None]) ** 2
    mix = law.as_mixture()
    w, mu, sd = mix.weights, mix.means[:, 0], np.sqrt(mix.covs[:, 0, 0])
    cdf = lambda t: float(np.sum(w * stats.norm.cdf(t, mu, sd)))  # noqa: E731
    pdf = lambda t: float(np.sum(w * stats.norm.pdf(t, mu, sd)))  # noqa: E731
    edges = [-np.inf] + [optimize.brentq(lambda t: cdf(t) - i / n, -60.0, 60.0, xtol=1e-14) for i in range(1, n)]
    edges.append(np.inf)
    xs = np.sort(x)
    total = sum(integrate.quad(lambda t, xi=xs[i]: (xi - t) ** 2 * pdf(t), edges[i], edges[i + 1],
                               epsabs=1e-13, epsrel=1e-12, limit=200)[0] for i in range(n))
    assert ours == pytest.approx(total, abs=QUADRATURE_ATOL)


def test_sliced_w2_in_1d_is_w2():
    # reduction to a known special case: every direction of the line is +-1
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 1)), rng.normal(1.0, 2.0, size=(300, 1))
    sliced = w2_samples(x, y, rng, method="sliced", n_boot=2, n_projections=8)
    exact = w2_samples(x, y, rng, method="sorted", n_boot=2)
    assert sliced.name == "SW2" and "8 projections" in sliced.method
    assert sliced.value == pytest.approx(exact.value, rel=LINALG_RTOL)


def test_emd_in_2d_equals_the_optimal_assignment():
    # equal sizes, uniform weights: the optimal plan is a permutation (Birkhoff), found by linear_sum_assignment
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + [1.0, 0.0]
    cost = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    rows, cols = optimize.linear_sum_assignment(cost)
    est = w2_samples(x, y, rng, method="emd", n_boot=2)
    assert est.name == "W2" and "ot.emd2" in est.method
    assert est.value == pytest.approx(math.sqrt(cost[rows, cols].mean()), rel=LINALG_RTOL)


def _coverage(repeats: int, n: int, n_boot: int, level: float) -> float:
    p, q = Gaussian(1.0, 2.25), Gaussian(0.0, 1.0)
    exact = w2_gaussian(p, q).value
    hits = 0
    for seed in range(repeats):
        rng = np.random.default_rng(1000 + seed)
        est = w2_samples(p.sample(n, rng), q, rng, n_boot=n_boot, level=level)
        assert est.uncertainty.kind == "ci" and est.uncertainty.level == level
        hits += est.uncertainty.contains(exact)
    return hits / repeats


def test_w2_bootstrap_ci_covers_the_exact_value_at_its_nominal_rate_fast():
    # 1D, different laws: the plug-in bias is O(log n / n), small against the O(n^-1/2) width, so the percentile
    # interval should cover the exact W2 at its level; 100 repeats reject a 75% or 99.9% interval labelled 90%
    # with probability >= 0.93 (exact binomial test, tests/_coverage.py)
    level, repeats = 0.9, 100
    assert_nominal(round(_coverage(repeats, n=200, n_boot=100, level=level) * repeats), repeats, level)


@pytest.mark.slow
def test_w2_bootstrap_ci_covers_the_exact_value_at_its_nominal_rate():
    level, repeats = 0.95, 400
    assert_nominal(round(_coverage(repeats, n=500, n_boot=200, level=level) * repeats), repeats, level)


@pytest.mark.slow
@pytest.mark.parametrize("actual_level", [0.75, 0.999])
def test_w2_coverage_test_catches_a_mislabelled_level(actual_level):
    # mutation: intervals computed at 75% (or 99.9%) but checked against the label 90% must be rejected. With
    # B = 100 a percentile interval "at 99.9%" is the replicates' range and covers only ~0.96-0.97 (measured), so
    # catching it needs 300 repeats (power 0.94 against 0.96); the fast test's 100 repeats have power >= 0.93
    # against 75% and against any interval covering >= 0.99, but only ~0.3 against 0.96
    repeats = 300
    hits = round(_coverage(repeats, n=200, n_boot=100, level=actual_level) * repeats)
    assert not coverage_accepted(hits, repeats, 0.9), (actual_level, hits)


def test_histogram_tv_estimates_the_binned_tv_within_its_sampling_error():
    # the histogram TV estimates the TV between the *binned* laws (<= the true TV, data processing), plus a
    # plug-in bias bounded in mean by 1/2 sum_b sqrt(p_b (1 - p_b) / n)
    p, q = Gaussian(1.0, 2.25), Gaussian(0.0, 1.0)
    rng = np.random.default_rng(6)
    n = 5000
    x = p.sample(n, rng)
    est = tv_samples(x, q, rng, n_boot=50)
    edges = np.histogram_bin_edges(x[:, 0], bins="fd")
    cdf_p, cdf_q = stats.norm.cdf(edges, 1.0, 1.5), stats.norm.cdf(edges, 0.0, 1.0)
    pb = np.append(np.diff(cdf_p), 1.0 - (cdf_p[-1] - cdf_p[0]))
    qb = np.append(np.diff(cdf_q), 1.0 - (cdf_q[-1] - cdf_q[0]))
    binned = 0.5 * float(np.sum(np.abs(pb - qb)))
    assert binned <= tv_gaussian_1d(p, q).value + LINALG_RTOL
    bias_bound = 0.5 * float(np.sum(np.sqrt(pb * (1.0 - pb) / n)))
    assert abs(est.value - binned) <= MC_SIGMA * bias_bound
    assert est.uncertainty.kind == "ci" and "biased" in est.uncertainty.note


def test_kde_tv_estimates_the_tv_of_the_smoothed_law():
    # for a Gaussian sample, E[KDE] = p * K_h = N(m, s^2 + h^2) exactly (Gaussian kernel of covariance h^2):
    # the KDE TV estimates TV(N(m, s^2 + h^2), q), not TV(p, q); check it within MC_SIGMA bootstrap standard errors
    from scipy.stats import gaussian_kde

    p, q = Gaussian(1.0, 2.25), Gaussian(0.0, 1.0)
    rng = np.random.default_rng(7)
    x = p.sample(3000, rng)
    est = tv_samples(x, q, rng, estimator="kde", n_boot=30, grid_size=801, level=0.9)
    h2 = float(gaussian_kde(x.T).covariance[0, 0])
    smoothed = tv_gaussian_1d(Gaussian(1.0, 2.25 + h2), q).value
    se = est.uncertainty.half_width / z_of(0.9)
    assert abs(est.value - smoothed) <= MC_SIGMA * se
    assert "KDE" in est.method


def test_bad_arguments():
    rng = np.random.default_rng(8)
    x = rng.normal(size=20)
    with pytest.raises(ConfigError, match=r"^method:"):
        w2_samples(x, Gaussian(0.0, 1.0), rng, method="exact")
    with pytest.raises(ConfigError, match=r"^level:"):
        w2_samples(x, Gaussian(0.0, 1.0), rng, level=1.5)
    with pytest.raises(ConfigError, match=r"^n_boot:"):
        tv_samples(x, Gaussian(0.0, 1.0), rng, n_boot=1)
    with pytest.raises(ConfigError, match=r"^estimator:"):
        tv_samples(x, Gaussian(0.0, 1.0), rng, estimator="knn")
    with pytest.raises(ConfigError, match=r"^method: 'quantile' needs"):
        w2_samples(rng.normal(size=(20, 2)), Gaussian([0.0, 0.0], 1.0), rng, method="quantile")
