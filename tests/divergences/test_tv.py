"""Total variation between Gaussians: exact 1D formula vs quadrature, the 2D quadrature vs reductions and Monte
Carlo, and the rigorous intervals (Devroye–Mehrabian–Reddad, Le Cam, Pinsker, projections) containing the value."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from tests.distributions.strategies import MEAN, STD, covariances, gaussian_params
from tests.divergences.test_gaussian_closed_forms import assert_within_mc, z_of
from theorylab.distributions import Gaussian
from theorylab.divergences import (
    kl_gaussian,
    tv_gaussian,
    tv_gaussian_1d,
    tv_gaussian_2d_quad,
    tv_gaussian_bounds,
    tv_monte_carlo,
    tv_quad_1d,
)
from theorylab.tolerances import CLOSED_FORM_RTOL, EPS, LINALG_RTOL, MC_SIGMA, QUADRATURE_ATOL

# relative perturbation of a standard deviation: 0 (equal variances, the special branch) or tiny (the quadratic
# nearly degenerates: one crossing point runs off to infinity)
STD_PERTURBATION = st.sampled_from([0.0, 1e-12, 1e-6, 1e-2])


@settings(max_examples=40, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD, same=st.booleans(), eps=STD_PERTURBATION)
def test_tv_1d_closed_form_matches_quadrature(m1, m2, s1, s2, same, eps):
    if same:
        s2 = s1 * (1.0 + eps)
    p, q = Gaussian(m1, s1**2), Gaussian(m2, s2**2)
    exact = tv_gaussian_1d(p, q)
    quad = tv_quad_1d(p, q)
    assert exact.uncertainty.kind == "exact" and 0.0 <= exact.value <= 1.0
    assert quad.uncertainty.half_width <= QUADRATURE_ATOL
    assert abs(exact.value - quad.value) <= QUADRATURE_ATOL
    assert tv_gaussian_1d(q, p).value == pytest.approx(exact.value, abs=QUADRATURE_ATOL)  # symmetric


@settings(max_examples=30, deadline=None)
@given(m1=MEAN, m2=MEAN, s=STD)
def test_tv_1d_equal_variances_is_2_phi_minus_1(m1, m2, s):
    expected = 2.0 * stats.norm.cdf(abs(m1 - m2) / (2.0 * s)) - 1.0
    value = tv_gaussian_1d(Gaussian(m1, s**2), Gaussian(m2, s**2)).value
    assert value == pytest.approx(expected, rel=CLOSED_FORM_RTOL, abs=LINALG_RTOL)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_dmr_bounds_contain_the_2d_quadrature_value_for_equal_means(data):
    mean = data.draw(gaussian_params(2))[0]
    p, q = Gaussian(mean, data.draw(covariances(2))), Gaussian(mean, data.draw(covariances(2)))
    bounds = tv_gaussian_bounds(p, q)
    assert "DMR" in bounds.uncertainty.note
    quad = tv_gaussian_2d_quad(p, q)
    assert quad.uncertainty.half_width <= QUADRATURE_ATOL
    assert bounds.uncertainty.contains(quad.value, slack=QUADRATURE_ATOL), (str(bounds), str(quad))
    # the DMR statement itself: 1/100 <= TV / min(1, |lambda|_2) <= 3/2
    from scipy import linalg

    lam = linalg.eigh(q.covariance(), p.covariance(), eigvals_only=True) - 1.0
    scale = min(1.0, float(np.sqrt(np.sum(lam**2))))
    if scale > LINALG_RTOL:  # below, both TV and scale are round-off
        assert 1.0 / 100.0 <= quad.value / scale * (1 + LINALG_RTOL) and quad.value / scale <= 1.5 * (1 + LINALG_RTOL)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_general_bounds_contain_the_2d_quadrature_value(data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(2)), data.draw(gaussian_params(2))
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    bounds, quad = tv_gaussian_bounds(p, q), tv_gaussian_2d_quad(p, q)
    assert bounds.uncertainty.kind == "bounds"
    assert bounds.uncertainty.contains(quad.value, slack=QUADRATURE_ATOL), (str(bounds), str(quad))


@settings(max_examples=15, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD, t1=STD)
def test_2d_quadrature_reduces_to_1d_when_one_coordinate_is_shared(m1, m2, s1, s2, t1):
    # P = N(m1, s1^2) x N(0, t1^2), Q = N(m2, s2^2) x N(0, t1^2): the shared factor drops out of TV
    p = Gaussian([m1, 0.0], [s1**2, t1**2])
    q = Gaussian([m2, 0.0], [s2**2, t1**2])
    one_d = tv_gaussian_1d(Gaussian(m1, s1**2), Gaussian(m2, s2**2)).value
    assert abs(tv_gaussian_2d_quad(p, q).value - one_d) <= QUADRATURE_ATOL
    # and with the roles of the coordinates swapped (the inner integral then carries the difference)
    p2 = Gaussian([0.0, m1], [t1**2, s1**2])
    q2 = Gaussian([0.0, m2], [t1**2, s2**2])
    assert abs(tv_gaussian_2d_quad(p2, q2).value - one_d) <= QUADRATURE_ATOL


@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_2d_quadrature_matches_monte_carlo(data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(2)), data.draw(gaussian_params(2))
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    exact = tv_gaussian_2d_quad(p, q).value
    # nearly disjoint laws: 1 - TV is carried by overlap events too rare to sample, the CLT interval is then
    # overconfident (a limitation of Monte Carlo, not of the quadrature); keep overlapping laws
    assume(exact < 0.99)
    assert_within_mc(exact, tv_monte_carlo(p, q, 40_000, np.random.default_rng(5)))


@settings(max_examples=6, deadline=None)
@given(d=st.integers(min_value=3, max_value=5), data=st.data())
def test_bounds_in_higher_dimension_contain_the_monte_carlo_interval_centre(d, data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(d)), data.draw(gaussian_params(d))
    if data.draw(st.booleans()):
        m2 = m1  # equal means: DMR applies
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    bounds = tv_gaussian(p, q, method="bounds")
    assert bounds.uncertainty.kind == "bounds"
    assume(bounds.uncertainty.upper < 0.99)  # overlapping laws (see the 2D Monte Carlo test)
    mc = tv_monte_carlo(p, q, 40_000, np.random.default_rng(6))
    se = mc.uncertainty.half_width / z_of(mc.uncertainty.level)
    assert bounds.uncertainty.lower - MC_SIGMA * se <= mc.value <= bounds.uncertainty.upper + MC_SIGMA * se


def test_dispatch_by_dimension():
    assert tv_gaussian(Gaussian(0.0, 1.0), Gaussian(1.0, 2.0)).uncertainty.kind == "exact"
    assert tv_gaussian(Gaussian([0.0, 0.0], 1.0), Gaussian([1.0, 0.0], 2.0)).uncertainty.kind == "quadrature"
    assert tv_gaussian(Gaussian(np.zeros(3), 1.0), Gaussian(np.ones(3), 2.0)).uncertainty.kind == "ci"
    assert tv_gaussian(Gaussian(np.zeros(3), 1.0), Gaussian(np.ones(3), 2.0), method="bounds").uncertainty.kind \
        == "bounds"


def test_tv_limits():
    assert tv_gaussian_1d(Gaussian(0.0, 1.0), Gaussian(0.0, 1.0)).value == 0.0
    assert tv_gaussian_1d(Gaussian(0.0, 1.0), Gaussian(60.0, 1.0)).value == pytest.approx(1.0, abs=LINALG_RTOL)
    # a 1e-12 relative change of variance: the crossing points are still found, and TV obeys Pinsker's bound
    p, q = Gaussian(0.0, 1.0), Gaussian(0.0, 1.0 + 1e-12)
    tiny = tv_gaussian_1d(p, q).value
    assert math.isfinite(tiny) and 0.0 <= tiny <= math.sqrt(kl_gaussian(p, q).value / 2.0) + EPS
