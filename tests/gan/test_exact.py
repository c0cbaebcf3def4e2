"""The optimal discriminator and the value identity (seed 000, 'Definición Formal de una GAN'), numerically.

Independent routes: a bounded scalar optimiser (scipy) for the pointwise maximiser; JS from theorylab.divergences
(its own quadrature or grid) against V(mu_G, D*) from theorylab.gan.quadrature; Monte Carlo against quadrature;
the KL form of the value gap against the difference of two values; the second-order expansion of the gap.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from tests.distributions.strategies import mixture_params_1d
from tests.gan.laws import MU_2D, PI_2D, SEED_GMM, STANDARD_1D, STANDARD_2D, ring
from theorylab.distributions import GaussianMixture
from theorylab.gan.exact import (
    check_pointwise_optimality,
    check_value_identity,
    js_exact,
    optimal_discriminator,
    perturbation_gaps,
    pointwise_objective,
    value_at_optimum,
    value_monte_carlo,
    value_of_logit,
)
from theorylab.tolerances import (
    CLOSED_FORM_RTOL,
    GRID_IDENTITY_ATOL,
    MC_SIGMA,
    OPTIMIZER_RTOL,
    QUADRATURE_ATOL,
)

LN4 = math.log(4.0)
# weights a, b of a ln y + b ln(1 - y): positive, six decades (densities of well-separated laws differ that much)
WEIGHT = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
# competitor y in (0, 1), bounded away from the endpoints where ln y or ln(1 - y) is not finite
COMPETITOR = st.floats(min_value=1e-9, max_value=1.0 - 1e-9, allow_nan=False, allow_infinity=False)
# evaluation points for D*: within the bulk and the tails of the strategies' laws (means in [-3, 3], std <= 5)
POINT = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(a=WEIGHT, b=WEIGHT, y=COMPETITOR)
def test_pointwise_maximiser_beats_every_competitor(a, b, y):
    y_star = a / (a + b)
    best, other = float(pointwise_objective(a, b, y_star)), float(pointwise_objective(a, b, y))
    scale = abs(a * math.log(y)) + abs(b * math.log1p(-y)) + abs(best)
    assert best >= other - CLOSED_FORM_RTOL * scale


@settings(max_examples=50, deadline=None)
@given(a=WEIGHT, b=WEIGHT)
def test_pointwise_maximiser_matches_a_numerical_optimiser(a, b):
    res = optimize.minimize_scalar(lambda y: -float(pointwise_objective(a, b, y)), bounds=(1e-12, 1 - 1e-12),
                                   method="bounded", options={"xatol": 1e-14})
    assert res.x == pytest.approx(a / (a + b), rel=OPTIMIZER_RTOL, abs=OPTIMIZER_RTOL)


@settings(max_examples=25, deadline=None)
@given(params_p=mixture_params_1d(), params_q=mixture_params_1d(), x=POINT, y=COMPETITOR)
def test_d_star_maximises_the_pointwise_objective_of_two_laws(params_p, params_q, x, y):
    p, q = GaussianMixture(*params_p), GaussianMixture(*params_q)
    pts = np.array([[x]])
    a, b = float(p.pdf(pts)[0]), float(q.pdf(pts)[0])
    d = float(optimal_discriminator(p, q, pts)[0])
    if a > 1e-300 and b > 1e-300:  # both densities representable: compare with p/(p+q) computed directly
        assert d == pytest.approx(a / (a + b), rel=CLOSED_FORM_RTOL)
    # normalised objective (divided by a + b > 0: same maximiser, no underflow)
    best = float(pointwise_objective(d, 1 - d, d)) if 0 < d < 1 else 0.0
    other = float(pointwise_objective(d, 1 - d, y))
    assert best >= other - CLOSED_FORM_RTOL * (abs(other) + abs(best))


@settings(max_examples=10, deadline=None)
@given(params_p=mixture_params_1d(), params_q=mixture_params_1d())
def test_d_star_beats_perturbed_discriminators_on_a_grid(params_p, params_q):
    p, q = GaussianMixture(*params_p), GaussianMixture(*params_q)
    check = check_pointwise_optimality(p, q, np.linspace(-25.0, 25.0, 501)[:, None], (0.3, 0.03, 0.003))
    assert check.holds and check.n_violations == 0  # no improvement beyond round-off (allowance in the docstring)
    assert check.min_relative_gain > 0.0  # strict loss wherever the second-order loss is above round-off


@settings(max_examples=10, deadline=None)
@given(params=mixture_params_1d())
def test_value_is_minus_log4_when_the_generator_is_the_data_law(params):
    pi = GaussianMixture(*params)
    v = value_at_optimum(pi, pi)
    assert v.uncertainty.half_width <= QUADRATURE_ATOL
    assert abs(v.value + LN4) <= QUADRATURE_ATOL


def test_value_is_minus_log4_in_2d():
    v = value_at_optimum(PI_2D, PI_2D)
    assert v.uncertainty.half_width <= QUADRATURE_ATOL
    assert abs(v.value + LN4) <= QUADRATURE_ATOL


@settings(max_examples=15, deadline=None)
@given(params_p=mixture_params_1d(), params_q=mixture_params_1d())
def test_value_identity_over_random_pairs_1d(params_p, params_q):
    p, q = GaussianMixture(*params_p), GaussianMixture(*params_q)
    ident = check_value_identity(p, q)
    assert ident.holds, (ident.difference, ident.precision)
    assert abs(ident.difference) <= QUADRATURE_ATOL
    # the slide's V = JS - 2 ln 2 is off by exactly JS under the 1/2-weighted convention
    assert ident.slide_difference == pytest.approx(ident.js.value, abs=QUADRATURE_ATOL)


@pytest.mark.parametrize("pi, mu", [(PI_2D, MU_2D), (ring(), STANDARD_2D)], ids=["correlated", "ring8"])
def test_value_identity_2d(pi, mu):
    ident = check_value_identity(pi, mu)
    assert ident.tolerance == GRID_IDENTITY_ATOL
    assert ident.precision <= GRID_IDENTITY_ATOL
    assert abs(ident.difference) <= GRID_IDENTITY_ATOL and ident.holds
    assert ident.js.value > 0.1  # the slide's form would be off by this much


def test_js_2d_grid_route_matches_monte_carlo():
    from theorylab.divergences import js_monte_carlo

    j = js_exact(PI_2D, MU_2D)
    mc = js_monte_carlo(PI_2D, MU_2D, 200_000, np.random.default_rng(3))
    assert abs(j.value - mc.value) <= MC_SIGMA * mc.uncertainty.half_width / 1.96


@pytest.mark.parametrize("pi, mu", [(SEED_GMM, STANDARD_1D), (PI_2D, MU_2D)], ids=["1d", "2d"])
def test_monte_carlo_value_agrees_with_quadrature(pi, mu):
    v = value_at_optimum(pi, mu)
    mc = value_monte_carlo(pi, mu, 100_000, np.random.default_rng(11))
    se = mc.uncertainty.half_width / 1.959963984540054
    assert abs(mc.value - v.value) <= MC_SIGMA * se


def test_perturbations_lower_the_value_at_second_order():
    gaps = perturbation_gaps(SEED_GMM, STANDARD_1D, (0.1, 0.01, 0.001), np.random.default_rng(5))
    for g in gaps:
        assert g.gap > g.gap_error > 0.0  # every perturbed discriminator is strictly worse
        assert abs(g.gap - g.gap_by_difference) <= QUADRATURE_ATOL  # KL form == V* - V_eps
    # symmetric average: (gap(eps) + gap(-eps)) / 2 = eps^2/2 int (p+q) D*(1-D*) phi^2 + O(eps^4)
    rel = [abs(0.5 * (a.gap + b.gap) / a.second_order - 1.0) for a, b in zip(gaps[::2], gaps[1::2])]
    assert rel[0] > rel[1] > rel[2]
    assert rel[1] / rel[0] < 0.1 and rel[2] / rel[1] < 0.1  # O(eps^2): each decade gains at least one more


def test_value_of_an_arbitrary_discriminator_by_quadrature():
    # D = expit(l* + sin x): V* - V(D) from two quadratures equals the KL form, and V(D) < V*
    logit = lambda lp, lq, x: lp - lq + np.sin(x[..., 0])  # noqa: E731
    v_star = value_at_optimum(SEED_GMM, STANDARD_1D).value
    v_d = value_of_logit(SEED_GMM, STANDARD_1D, logit)
    assert v_d.value < v_star - 1e3 * v_d.uncertainty.half_width
    mc = value_monte_carlo(SEED_GMM, STANDARD_1D, 100_000, np.random.default_rng(2),
                           logit=lambda x: np.asarray(SEED_GMM.logpdf(x)) - np.asarray(STANDARD_1D.logpdf(x))
                           + np.sin(x[..., 0]))
    assert abs(mc.value - v_d.value) <= MC_SIGMA * mc.uncertainty.half_width / 1.959963984540054
