"""One-dimensional Gaussian mixtures: the scalar helper (Mixture1D) against scipy and the torch class, and the
quadrature divergences against 30-digit mpmath quadrature, Monte Carlo, the grid route and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special, stats

from tests.distributions.strategies import STD, mixture_params_1d
from tests.divergences.test_gaussian_closed_forms import assert_within_mc, z_of
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import (
    hellinger_monte_carlo,
    hellinger_quad_1d,
    js_monte_carlo,
    js_quad_1d,
    kl_monte_carlo,
    kl_quad_1d,
    tv_monte_carlo,
    tv_quad_1d,
    w2_gaussian,
    w2_grid_1d,
    w2_quantile_1d,
)
from theorylab.divergences.univariate import Mixture1D
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, LINALG_RTOL, MC_SIGMA, QUADRATURE_ATOL

SEED_GMM = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"


def gmm(params) -> GaussianMixture:
    w, m, v = params
    return GaussianMixture(w, m, v)


@settings(max_examples=20, deadline=None)
@given(params=mixture_params_1d())
def test_mixture1d_matches_the_law_and_scipy(params):
    law = gmm(params)
    mix = Mixture1D.from_law(law)
    x = np.linspace(-30.0, 30.0, 61)
    np.testing.assert_allclose(mix.logpdf(x), law.logpdf(x[:, None]), rtol=LINALG_RTOL, atol=LINALG_RTOL)
    w, m, v = params
    cdf = sum(wk * stats.norm.cdf(x, mk, math.sqrt(vk)) for wk, mk, vk in zip(w, m, v))
    np.testing.assert_allclose(mix.cdf(x), cdf, rtol=LINALG_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(mix.cdf(x) + mix.sf(x), 1.0, rtol=LINALG_RTOL)


@settings(max_examples=20, deadline=None)
@given(params=mixture_params_1d(), log_u=st.floats(min_value=-700.0, max_value=math.log(0.5)))
def test_quantiles_invert_the_cdf_in_both_tails(params, log_u):
    # log-probabilities down to e^-700: far beyond 1 - u resolution, which is why quantiles go through logs
    mix = Mixture1D.from_law(gmm(params))
    lower = mix.quantile_from_log(np.array([log_u]))
    upper = mix.quantile_from_log(np.array([log_u]), upper=True)
    assert float(mix.logcdf(lower)[0]) == pytest.approx(log_u, rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_RTOL)
    assert float(mix.logsf(upper)[0]) == pytest.approx(log_u, rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_RTOL)


@settings(max_examples=15, deadline=None)
@given(params=mixture_params_1d(), y=st.floats(min_value=-8.0, max_value=8.0))
def test_partial_moments_match_quadrature(params, y):
    mix = Mixture1D.from_law(gmm(params))
    pdf = lambda t: float(np.exp(mix.logpdf(t)))  # noqa: E731
    b1, b2 = mix.partial_moments_below(y)
    a1, a2 = mix.partial_moments_above(y)
    q1 = integrate.quad(lambda t: t * pdf(t), -np.inf, y, epsabs=1e-13)[0]
    q2 = integrate.quad(lambda t: t * t * pdf(t), -np.inf, y, epsabs=1e-13)[0]
    assert float(b1) == pytest.approx(q1, abs=QUADRATURE_ATOL) and float(b2) == pytest.approx(q2, abs=QUADRATURE_ATOL)
    total1, total2 = mix.partial_moments_below(np.inf)
    assert float(a1 + b1) == pytest.approx(float(total1), abs=QUADRATURE_ATOL)
    assert float(a2 + b2) == pytest.approx(float(total2), abs=QUADRATURE_ATOL)


def _reference_divergences(p: Mixture1D, q: Mixture1D) -> dict[str, float]:
    """TV, KL, JS and H^2 by an independently written quadrature: log-densities written out with ``math`` (not from
    theorylab; spot-checked against ``scipy.stats``), ``scipy.integrate.quad`` on pieces cut at every mean,
    +/-{1, 3, 8, 20, 40} std and at the crossing
    points of the two densities (sign changes on a 20001-point grid, refined by ``brentq``)."""

    def log_density(mix):
        terms = [(math.log(w) - math.log(s) - 0.5 * math.log(2 * math.pi), m, s)
                 for w, m, s in zip(mix.weights, mix.means, mix.stds)]

        def f(x):
            vals = [c - 0.5 * ((x - m) / s) ** 2 for c, m, s in terms]
            top = max(vals)
            return top + math.log(sum(math.exp(v - top) for v in vals))

        return f

    lp, lq = log_density(p), log_density(q)
    # independent cross-check of the scalar log-density on a few points against scipy.stats
    for x in (-5.0, 0.3, 7.0):
        ref = special.logsumexp([math.log(w) + stats.norm.logpdf(x, m, s) for w, m, s in zip(p.weights, p.means,
                                                                                              p.stds)])
        assert lp(x) == pytest.approx(ref, rel=LINALG_RTOL)
    cuts = {float(m + k * s) for mix in (p, q) for m, s in zip(mix.means, mix.stds)
            for k in (-40, -20, -8, -3, -1, 0, 1, 3, 8, 20, 40)}
    lo, hi = min(cuts), max(cuts)
    grid = np.linspace(lo, hi, 20_001)
    diff = np.array([lp(x) - lq(x) for x in grid])
    for i in np.nonzero(diff[:-1] * diff[1:] < 0)[0]:
        cuts.add(optimize.brentq(lambda x: lp(x) - lq(x), grid[i], grid[i + 1], xtol=1e-14))
    pts = sorted(cuts)

    def integral(f):
        return sum(integrate.quad(f, a, b, epsabs=1e-13, epsrel=1e-12, limit=200)[0] for a, b in zip(pts[:-1], pts[1:]))

    def js_term(x):
        a, b = lp(x), lq(x)
        m = np.logaddexp(a, b) - math.log(2.0)
        return (math.exp(a) * (a - m) + math.exp(b) * (b - m)) / 2

    return {
        "TV": integral(lambda x: abs(math.exp(lp(x)) - math.exp(lq(x))) / 2),
        "KL": integral(lambda x: math.exp(lp(x)) * (lp(x) - lq(x))),
        "JS": integral(js_term),
        "H2": integral(lambda x: (math.exp(lp(x) / 2) - math.exp(lq(x) / 2)) ** 2 / 2),
    }


@settings(max_examples=8, deadline=None)
@given(a=mixture_params_1d(max_components=2), b=mixture_params_1d(max_components=2))
def test_mixture_divergences_match_an_independent_quadrature(a, b):
    p, q = gmm(a), gmm(b)
    ref = _reference_divergences(Mixture1D.from_law(p), Mixture1D.from_law(q))
    for est, key in ((tv_quad_1d(p, q), "TV"), (kl_quad_1d(p, q), "KL"), (js_quad_1d(p, q), "JS")):
        tol = QUADRATURE_ATOL * max(1.0, abs(ref[key]))  # relative for large KL (quad's rtol)
        assert est.uncertainty.half_width <= tol, str(est)
        assert abs(est.value - ref[key]) <= tol, (key, str(est), ref[key])
    h = hellinger_quad_1d(p, q)
    assert abs(h.value**2 - ref["H2"]) <= QUADRATURE_ATOL


def test_tv_of_shifted_gaussians_is_the_closed_form():
    # the case where a kink-unaware quadrature is off by 1e-6: N(1, 1) vs N(0, 1), TV = 2 Phi(1/2) - 1
    tv = tv_quad_1d(Gaussian(1.0, 1.0).as_mixture(), Gaussian(0.0, 1.0).as_mixture())
    assert abs(tv.value - (2.0 * stats.norm.cdf(0.5) - 1.0)) <= QUADRATURE_ATOL


def test_seed_mixture_against_monte_carlo():
    # seed 002's mixture against N(0, 1) and against its own OU marginal at t = 0.5
    rng = np.random.default_rng(21)
    for q in (Gaussian(0.0, 1.0), SEED_GMM.ou_marginal(0.5)):
        assert_within_mc(tv_quad_1d(SEED_GMM, q).value, tv_monte_carlo(SEED_GMM, q, 20_000, rng))
        assert_within_mc(kl_quad_1d(SEED_GMM, q).value, kl_monte_carlo(SEED_GMM, q, 20_000, rng))
        assert_within_mc(js_quad_1d(SEED_GMM, q).value, js_monte_carlo(SEED_GMM, q, 20_000, rng))
        mc = hellinger_monte_carlo(SEED_GMM, q, 20_000, rng)  # its CLT interval is on H^2
        se = (mc.uncertainty.upper**2 - mc.uncertainty.lower**2) / (2.0 * z_of(mc.uncertainty.level))
        assert abs(hellinger_quad_1d(SEED_GMM, q).value ** 2 - mc.value**2) <= MC_SIGMA * se


@settings(max_examples=10, deadline=None)
@given(m1=st.floats(-3, 3), m2=st.floats(-3, 3), s1=STD, s2=STD)
def test_w2_quantile_reduces_to_the_gaussian_closed_form(m1, m2, s1, s2):
    p, q = Gaussian(m1, s1**2).as_mixture(), Gaussian(m2, s2**2).as_mixture()
    quad = w2_quantile_1d(p, q)
    exact = w2_gaussian(Gaussian(m1, s1**2), Gaussian(m2, s2**2)).value
    assert 0.5 * (quad.uncertainty.upper**2 - quad.uncertainty.lower**2) <= QUADRATURE_ATOL
    assert abs(quad.value**2 - exact**2) <= QUADRATURE_ATOL


@settings(max_examples=5, deadline=None)
@given(a=mixture_params_1d(), b=mixture_params_1d())
def test_w2_quantile_matches_the_grid_route(a, b):
    p, q = gmm(a), gmm(b)
    quad = w2_quantile_1d(p, q)
    mp_, mq = Mixture1D.from_law(p), Mixture1D.from_law(q)
    lo = min(mp_.support(12.0)[0], mq.support(12.0)[0])
    hi = max(mp_.support(12.0)[1], mq.support(12.0)[1])
    x = np.linspace(lo, hi, 20_001)
    grid = w2_grid_1d(mp_.logpdf(x), mq.logpdf(x), x, log=True)
    assert grid.uncertainty.contains(quad.value, slack=quad.uncertainty.half_width + QUADRATURE_ATOL), (
        str(grid), str(quad))


def test_symmetries_and_ranges_on_the_seed_mixture():
    q = Gaussian(1.0, 4.0)
    assert tv_quad_1d(SEED_GMM, q).value == pytest.approx(tv_quad_1d(q, SEED_GMM).value, abs=QUADRATURE_ATOL)
    assert js_quad_1d(SEED_GMM, q).value == pytest.approx(js_quad_1d(q, SEED_GMM).value, abs=QUADRATURE_ATOL)
    assert 0.0 <= js_quad_1d(SEED_GMM, q).value <= math.log(2.0)
    assert w2_quantile_1d(SEED_GMM, q).value == pytest.approx(w2_quantile_1d(q, SEED_GMM).value, abs=QUADRATURE_ATOL)
    for f in (tv_quad_1d, kl_quad_1d, js_quad_1d, hellinger_quad_1d, w2_quantile_1d):
        assert f(SEED_GMM, SEED_GMM).value == pytest.approx(0.0, abs=math.sqrt(QUADRATURE_ATOL))
