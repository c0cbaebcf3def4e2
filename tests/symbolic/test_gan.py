"""Tests of theorylab.symbolic.gan: the optimal discriminator and the value of the game, against quadrature, grids
and direct sums; the slide's JS convention refuted with a two-point witness."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import rel_entr

from theorylab.errors import ConfigError
from theorylab.symbolic import gan
from theorylab.symbolic.result import Truth
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, QUADRATURE_ATOL

# Weights a, b of a ln y + b ln(1-y): strictly positive (the stated domain), up to 100 (ratios up to 1e4).
weights = st.floats(min_value=1e-2, max_value=100.0, allow_nan=False, allow_infinity=False)
# Masses of two-point distributions, bounded away from 0 and 1 so that every log is finite.
masses = st.floats(min_value=0.01, max_value=0.99, allow_nan=False, allow_infinity=False)
# Gaussian means and standard deviations for pairs (pi, mu_G).
means = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
stds = st.floats(min_value=0.5, max_value=2.0, allow_nan=False, allow_infinity=False)

_GRID = np.linspace(1e-6, 1 - 1e-6, 200_001)


@settings(max_examples=40, deadline=None)
@given(a=weights, b=weights)
def test_pointwise_maximiser_beats_a_fine_grid(a: float, b: float) -> None:
    y_star = float(gan.pointwise_maximiser()(a, b))
    h = a * np.log(_GRID) + b * np.log1p(-_GRID)
    h_star = a * math.log(y_star) + b * math.log1p(-y_star)
    # No grid point is better (up to float64 round-off of h), and the grid's argmax is adjacent to y*.
    assert h.max() <= h_star + CLOSED_FORM_RTOL * abs(h_star) + CLOSED_FORM_ATOL
    assert abs(_GRID[np.argmax(h)] - y_star) <= 2 * (_GRID[1] - _GRID[0])


@settings(max_examples=30, deadline=None)
@given(a=weights, b=weights)
def test_curvature_is_negative_and_equals_the_hand_second_derivative(a: float, b: float) -> None:
    y_star = a / (a + b)
    by_hand = -a / y_star**2 - b / (1 - y_star) ** 2
    value = float(gan.pointwise_curvature()(a, b))
    assert value < 0
    np.testing.assert_allclose(value, by_hand, rtol=CLOSED_FORM_RTOL)


def test_boundary_cases_are_the_endpoints_with_supremum_zero() -> None:
    cases = gan.pointwise_boundary_cases()
    assert cases["a=0"] == (0, 0)
    assert cases["b=0"] == (1, 0)


def _gauss_pair(m1: float, s1: float, m2: float, s2: float):
    return stats.norm(m1, s1).pdf, stats.norm(m2, s2).pdf


def _quad(f) -> float:
    value, err = integrate.quad(f, -30.0, 30.0, epsabs=QUADRATURE_ATOL / 10, epsrel=0.0, limit=400)
    assert err < QUADRATURE_ATOL
    return value


def _js_half_quad(p, q) -> float:
    m = lambda x: 0.5 * (p(x) + q(x))  # noqa: E731
    kl_pm = _quad(lambda x: rel_entr(p(x), m(x)))
    kl_qm = _quad(lambda x: rel_entr(q(x), m(x)))
    return 0.5 * kl_pm + 0.5 * kl_qm


@settings(max_examples=8, deadline=None)
@given(m1=means, s1=stds, m2=means, s2=stds)
def test_value_at_optimum_is_2js_minus_ln4_on_gaussian_pairs(m1: float, s1: float, m2: float, s2: float) -> None:
    p, q = _gauss_pair(m1, s1, m2, s2)
    v = gan.value_at_optimum()
    value = _quad(lambda x: float(v(max(p(x), 1e-300), max(q(x), 1e-300))))
    js = _js_half_quad(p, q)
    np.testing.assert_allclose(value, 2 * js - math.log(4), atol=10 * QUADRATURE_ATOL)
    # The slide's form JS - 2 ln 2 (half-weighted JS) is off by exactly JS.
    assert value - (js - 2 * math.log(2)) == pytest.approx(js, abs=10 * QUADRATURE_ATOL)


def test_optimal_discriminator_beats_perturbed_discriminators() -> None:
    p, q = _gauss_pair(0.0, 1.0, 1.0, 1.5)
    d_star = gan.optimal_discriminator()

    def value(d) -> float:
        return _quad(lambda x: p(x) * math.log(d(x)) + q(x) * math.log1p(-d(x)))

    best = value(lambda x: float(d_star(p(x), q(x))))
    for eps in (-0.05, -0.01, 0.01, 0.05):
        def perturbed(x: float, e: float = eps) -> float:
            return float(np.clip(d_star(p(x), q(x)) + e * math.sin(x), 1e-12, 1 - 1e-12))

        assert value(perturbed) < best


def test_value_decomposition_is_proved() -> None:
    assert gan.check_value_decomposition().proved


@settings(max_examples=40, deadline=None)
@given(p=masses, q=masses)
def test_two_point_value_and_js_match_direct_sums(p: float, q: float) -> None:
    pp, qq = np.array([p, 1 - p]), np.array([q, 1 - q])
    mm = 0.5 * (pp + qq)
    direct_v = float(np.sum(pp * np.log(pp / (pp + qq)) + qq * np.log(qq / (pp + qq))))
    kl_sum = float(np.sum(rel_entr(pp, mm)) + np.sum(rel_entr(qq, mm)))
    np.testing.assert_allclose(gan.value_two_point()(p, q), direct_v, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(gan.js_two_point("half")(p, q), kl_sum / 2, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(
        gan.js_two_point("unnormalised")(p, q), kl_sum, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL
    )
    assert float(gan.js_two_point("half")(p, q)) <= math.log(2)


def test_slide_value_identity_fails_for_half_js_with_a_two_point_witness() -> None:
    check = gan.check_value_identity("half", "slide")
    assert check.truth is Truth.FAILS
    for symbol, (lo, hi) in gan.TWO_POINT_DOMAIN.items():
        assert lo <= check.witness[symbol.name] <= hi
    p, q = check.witness["p"], check.witness["q"]
    # The residual is exactly JS_half of the two witness distributions, computed here independently.
    pp, qq = np.array([p, 1 - p]), np.array([q, 1 - q])
    mm = 0.5 * (pp + qq)
    js_half = 0.5 * float(np.sum(rel_entr(pp, mm)) + np.sum(rel_entr(qq, mm)))
    np.testing.assert_allclose(check.witness["residual"], js_half, rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize(
    ("convention", "form"), [("half", "corrected"), ("unnormalised", "slide"), ("unnormalised", "corrected")]
)
def test_value_identity_holds_under_the_right_convention(convention: str, form: str) -> None:
    assert gan.check_value_identity(convention, form).proved


def test_bad_convention_and_form_raise_config_error() -> None:
    with pytest.raises(ConfigError, match="convention"):
        gan.check_value_identity("thirds")
    with pytest.raises(ConfigError, match="form"):
        gan.check_value_identity("half", "other")
    with pytest.raises(ConfigError, match="convention"):
        gan.js_two_point("log2")


def test_minimum_of_c_is_at_pi_with_value_minus_ln4() -> None:
    opt = gan.minimum_of_C()
    assert opt.convexity.proved
    for p in (0.05, 0.3, 0.5, 0.9):
        np.testing.assert_allclose(opt.argmin(p), p, rtol=CLOSED_FORM_RTOL)
        np.testing.assert_allclose(opt.minimum(p), -math.log(4), rtol=CLOSED_FORM_RTOL)


@settings(max_examples=30, deadline=None)
@given(p=masses)
def test_c_on_a_grid_is_minimised_next_to_p(p: float) -> None:
    grid = np.linspace(0.001, 0.999, 99_801)
    c = gan.value_two_point()(p, grid)
    assert c.min() >= -math.log(4) - CLOSED_FORM_ATOL
    assert abs(grid[np.argmin(c)] - p) <= 2 * (grid[1] - grid[0])
    assert np.all(gan.minimum_of_C().curvature(p, grid) > 0)
