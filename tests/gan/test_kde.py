"""The smoothed JS of theorylab.gan.kde: the KDE density against the mixture class, the data-processing inequality
JS(pi * K_h, mu * K_h) <= JS(pi, mu) by quadrature, and the Monte Carlo estimator against the exact smoothed JS."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.distributions.strategies import mixture_params_1d
from tests.gan.laws import MU_2D, SEED_GMM, STANDARD_1D
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import js
from theorylab.gan.kde import IsotropicKDE, smoothed_js, smoothed_js_floor, smoothed_law
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA, QUADRATURE_ATOL

# bandwidths: from a tenth to twice the smallest standard deviation of the strategies' laws (0.2)
BANDWIDTH = st.floats(min_value=0.02, max_value=0.4, allow_nan=False, allow_infinity=False)
Z975 = 1.959963984540054


def test_kde_density_is_the_equal_weight_mixture():
    rng = np.random.default_rng(0)
    for d, law in ((1, SEED_GMM), (2, MU_2D)):
        pts = law.sample(50, rng)
        kde = IsotropicKDE(pts, 0.3)
        mix = GaussianMixture(np.full(50, 1 / 50), pts, np.full(50, 0.09))
        x = law.sample(200, rng) * 1.5
        np.testing.assert_allclose(kde.logpdf(x), mix.logpdf(x), rtol=LINALG_RTOL, atol=LINALG_RTOL)
        np.testing.assert_allclose(kde.covariance(), np.cov(pts.T, bias=True).reshape(d, d) + 0.09 * np.eye(d),
                                   rtol=LINALG_RTOL)


def test_smoothed_law_is_the_convolution():
    h = 0.3
    law = smoothed_law(Gaussian([1.0, -1.0], [[1.0, 0.2], [0.2, 0.5]]), h)
    np.testing.assert_allclose(law.covariance(), [[1.0 + h * h, 0.2], [0.2, 0.5 + h * h]], rtol=LINALG_RTOL)


@settings(max_examples=10, deadline=None)
@given(params_p=mixture_params_1d(), params_q=mixture_params_1d(), h=BANDWIDTH)
def test_smoothing_both_sides_lowers_js(params_p, params_q, h):
    # data processing: the same Markov kernel (add N(0, h^2)) applied to both laws cannot increase JS
    p, q = GaussianMixture(*params_p), GaussianMixture(*params_q)
    raw, smooth = js(p, q), js(smoothed_law(p, h), smoothed_law(q, h))
    assert smooth.value <= raw.value + QUADRATURE_ATOL


def test_monte_carlo_estimator_against_the_exact_smoothed_js():
    # pi = N(2, 0.5^2) against samples of N(0, 1) (the GAN test's start): exact smoothed JS by quadrature
    rng = np.random.default_rng(7)
    pi, h = Gaussian([2.0], [0.25]), 0.125
    exact = js(smoothed_law(pi, h), smoothed_law(STANDARD_1D, h)).value
    est = smoothed_js(pi, STANDARD_1D.sample(2000, rng), h, 4000, rng)
    floor = smoothed_js_floor(pi, 2000, h, 4000, rng)
    # Monte Carlo error (the interval) plus the generator sample's own variability and bias, bounded by the floor
    assert abs(est.value - exact) <= MC_SIGMA * est.uncertainty.half_width / Z975 + floor.uncertainty.upper
    assert est.uncertainty.kind == "ci"
    assert "data processing" in est.uncertainty.note and "bias" in est.uncertainty.note  # the caveat is stated
    assert floor.value < 0.1 * exact
