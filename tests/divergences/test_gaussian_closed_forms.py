"""Gaussian closed forms (KL, W2, Hellinger) and the 1D JS quadrature against independent routes: quadrature of
the densities, Monte Carlo, and formulas derived differently (diagonal / 2x2 trace formulas, numpy inverses)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special

from tests.distributions.strategies import MEAN, STD, gaussian_params
from theorylab.distributions import Gaussian
from theorylab.divergences import (
    hellinger_gaussian,
    hellinger_monte_carlo,
    hellinger_quad_1d,
    js_gaussian,
    js_monte_carlo,
    kl_gaussian,
    kl_monte_carlo,
    kl_quad_1d,
    w2_gaussian,
    w2_quantile_1d,
)
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA, QUADRATURE_ATOL

DIMS = st.integers(min_value=1, max_value=4)


def z_of(level: float) -> float:
    return float(special.ndtri(0.5 * (1.0 + level)))


def assert_within_mc(exact: float, mc) -> None:
    """|exact - MC| <= MC_SIGMA standard errors, the standard error read back from the CLT interval."""
    se = (mc.uncertainty.upper - mc.uncertainty.lower) / (2.0 * z_of(mc.uncertainty.level))
    assert abs(mc.value - exact) <= MC_SIGMA * se, (exact, str(mc))


def assert_quad_agrees(exact: float, quad) -> None:
    """quad's own error estimate is below QUADRATURE_ATOL, and the closed form is within it (both scaled by the
    size of the value when it exceeds 1: KL between a wide and a narrow law reaches ~300 here, and quad works to a
    relative tolerance)."""
    tol = QUADRATURE_ATOL * max(1.0, abs(exact))
    assert quad.uncertainty.kind == "quadrature" and quad.uncertainty.half_width <= tol
    assert abs(quad.value - exact) <= tol, (exact, str(quad))


@settings(max_examples=20, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD)
def test_kl_and_hellinger_1d_match_quadrature(m1, m2, s1, s2):
    p, q = Gaussian(m1, s1**2), Gaussian(m2, s2**2)
    assert_quad_agrees(kl_gaussian(p, q).value, kl_quad_1d(p, q))
    # Hellinger: compare H^2 = 1 - int sqrt(pq), on which quad's error is stated
    h = hellinger_quad_1d(p, q)
    h2_error = 0.5 * (h.uncertainty.upper**2 - h.uncertainty.lower**2)
    assert h2_error <= QUADRATURE_ATOL
    assert abs(h.value**2 - hellinger_gaussian(p, q).value ** 2) <= QUADRATURE_ATOL


@settings(max_examples=8, deadline=None)
@given(d=DIMS, data=st.data())
def test_kl_and_hellinger_any_dimension_match_monte_carlo(d, data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(d)), data.draw(gaussian_params(d))
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    # E_P[sqrt(q/p)] is heavy-tailed when the laws barely overlap (rare samples carry the mean): keep overlapping laws
    assume(hellinger_gaussian(p, q).value ** 2 < 0.9)
    rng = np.random.default_rng(0)
    assert_within_mc(kl_gaussian(p, q).value, kl_monte_carlo(p, q, 40_000, rng))
    h = hellinger_monte_carlo(p, q, 40_000, rng)
    # compare H^2 (the CLT interval is on H^2)
    se = (h.uncertainty.upper**2 - h.uncertainty.lower**2) / (2.0 * z_of(0.95))
    assert abs(h.value**2 - hellinger_gaussian(p, q).value ** 2) <= MC_SIGMA * se


@settings(max_examples=20, deadline=None)
@given(d=DIMS, data=st.data())
def test_kl_matches_a_direct_numpy_formula(d, data):
    (m1, c1), (m2, c2) = data.draw(gaussian_params(d)), data.draw(gaussian_params(d))
    inv2 = np.linalg.inv(c2)
    direct = 0.5 * (np.trace(inv2 @ c1) + (m2 - m1) @ inv2 @ (m2 - m1) - d
                    + np.linalg.slogdet(c2)[1] - np.linalg.slogdet(c1)[1])
    assert kl_gaussian(Gaussian(m1, c1), Gaussian(m2, c2)).value == pytest.approx(direct, rel=LINALG_RTOL,
                                                                                   abs=LINALG_RTOL)


@settings(max_examples=20, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD)
def test_w2_1d_is_the_distance_not_its_square(m1, m2, s1, s2):
    # in 1D the optimal map is monotone: W2^2 = (m1 - m2)^2 + (s1 - s2)^2
    p, q = Gaussian(m1, s1**2), Gaussian(m2, s2**2)
    expected = math.hypot(m1 - m2, s1 - s2)
    scale = s1**2 + s2**2 + (m1 - m2) ** 2
    assert w2_gaussian(p, q).value ** 2 == pytest.approx(expected**2, abs=LINALG_RTOL * scale)
    quad = w2_quantile_1d(p, q)  # quadrature error is stated on W2^2
    assert 0.5 * (quad.uncertainty.upper**2 - quad.uncertainty.lower**2) <= QUADRATURE_ATOL
    assert abs(quad.value**2 - expected**2) <= QUADRATURE_ATOL


@settings(max_examples=20, deadline=None)
@given(d=DIMS, data=st.data())
def test_w2_commuting_covariances(d, data):
    # diagonal covariances commute: W2^2 = |m1 - m2|^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2
    m1, m2 = data.draw(gaussian_params(d))[0], data.draw(gaussian_params(d))[0]
    a = np.array([data.draw(STD) ** 2 for _ in range(d)])
    b = np.array([data.draw(STD) ** 2 for _ in range(d)])
    expected_sq = float(np.sum((m1 - m2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))
    scale = float(np.sum(a + b) + np.sum((m1 - m2) ** 2))
    assert w2_gaussian(Gaussian(m1, a), Gaussian(m2, b)).value ** 2 == pytest.approx(expected_sq,
                                                                                      abs=LINALG_RTOL * scale)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_w2_2d_trace_formula(data):
    # for 2x2 SPD M: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)); with M = S1^1/2 S2 S1^1/2, tr M = tr(S1 S2),
    # det M = det S1 det S2 -- no matrix square root needed
    (m1, c1), (m2, c2) = data.draw(gaussian_params(2)), data.draw(gaussian_params(2))
    fidelity = math.sqrt(np.trace(c1 @ c2) + 2.0 * math.sqrt(np.linalg.det(c1) * np.linalg.det(c2)))
    w2sq = float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2) - 2.0 * fidelity)
    # compare squares: near W2 = 0 the square root turns round-off ~1e-16 into ~1e-8
    scale = np.trace(c1) + np.trace(c2) + float(np.sum((m1 - m2) ** 2))
    assert w2_gaussian(Gaussian(m1, c1), Gaussian(m2, c2)).value ** 2 == pytest.approx(w2sq, abs=LINALG_RTOL * scale)


@settings(max_examples=10, deadline=None)
@given(m1=MEAN, m2=MEAN, s1=STD, s2=STD)
def test_js_1d_quadrature_matches_mpmath_and_is_below_ln2(m1, m2, s1, s2):
    # independent route: mpmath's tanh-sinh quadrature at 30 digits, cut at the means. (Monte Carlo is no good
    # here: for nearly disjoint laws JS = ln 2 - tiny, and the overlap events that carry "tiny" are too rare to
    # be sampled, so the CLT interval is overconfident; see the fixed case below for a Monte Carlo check.)
    import mpmath as mp

    p, q = Gaussian(m1, s1**2), Gaussian(m2, s2**2)
    js = js_gaussian(p, q)
    assert js.uncertainty.kind == "quadrature" and js.uncertainty.half_width <= QUADRATURE_ATOL
    assert 0.0 <= js.value <= math.log(2.0)
    with mp.workdps(30):
        fp = lambda x: mp.npdf(x, m1, s1)  # noqa: E731
        fq = lambda x: mp.npdf(x, m2, s2)  # noqa: E731

        def integrand(x):
            a, b = fp(x), fq(x)
            m = (a + b) / 2
            return (a * mp.log(a / m) if a > 0 else 0) / 2 + (b * mp.log(b / m) if b > 0 else 0) / 2

        cuts = sorted({m1 - 40 * s1, m2 - 40 * s2, m1, m2, m1 + 40 * s1, m2 + 40 * s2})
        reference = float(mp.quad(integrand, [-mp.inf] + cuts + [mp.inf]))
    assert abs(js.value - reference) <= QUADRATURE_ATOL


def test_js_1d_matches_monte_carlo_on_overlapping_laws():
    p, q = Gaussian(0.0, 1.0), Gaussian(1.0, 2.25)
    assert_within_mc(js_gaussian(p, q).value, js_monte_carlo(p, q, 40_000, np.random.default_rng(1)))


def test_js_of_far_apart_gaussians_tends_to_ln2_and_is_symmetric():
    p, q = Gaussian(0.0, 1.0), Gaussian(80.0, 1.0)
    assert js_gaussian(p, q).value == pytest.approx(math.log(2.0), abs=QUADRATURE_ATOL)
    a, b = Gaussian(0.0, 1.0), Gaussian(1.0, 4.0)
    assert js_gaussian(a, b).value == pytest.approx(js_gaussian(b, a).value, abs=QUADRATURE_ATOL)


def test_js_in_two_dimensions_is_a_monte_carlo_interval():
    est = js_gaussian(Gaussian([0.0, 0.0], 1.0), Gaussian([1.0, 0.0], 1.0))
    assert est.uncertainty.kind == "ci" and "Monte Carlo" in est.method


def test_closed_forms_vanish_on_equal_laws():
    g = Gaussian([0.3, -0.2, 1.0], [[1.0, 0.2, 0.0], [0.2, 2.0, 0.3], [0.0, 0.3, 0.7]])
    for f in (kl_gaussian, hellinger_gaussian, w2_gaussian):
        e = f(g, g)
        assert e.uncertainty.kind == "exact"
        assert e.value == pytest.approx(0.0, abs=math.sqrt(LINALG_RTOL))


def _mpmath_reference(m1, c1, m2, c2):
    """KL, H and W2 at 50 significant digits, by the textbook formulas (matrix square roots with mpmath)."""
    import mpmath as mp

    with mp.workdps(50):
        d = len(m1)
        a, b = mp.matrix(c1.tolist()), mp.matrix(c2.tolist())
        delta = mp.matrix((m1 - m2).tolist())
        inv_b = b**-1
        kl = (sum((inv_b * a)[i, i] for i in range(d)) + (delta.T * inv_b * delta)[0] - d
              + mp.log(mp.det(b)) - mp.log(mp.det(a))) / 2
        mid = (a + b) / 2
        bc = mp.det(a) ** 0.25 * mp.det(b) ** 0.25 / mp.sqrt(mp.det(mid)) * mp.exp(-(delta.T * mid**-1 * delta)[0] / 8)
        ra = mp.sqrtm(a)
        fid = mp.sqrtm(ra * b * ra)
        w2 = mp.sqrt((delta.T * delta)[0] + sum(a[i, i] + b[i, i] - 2 * fid[i, i] for i in range(d)))
        return float(kl), float(mp.sqrt(1 - bc)), float(w2)


@pytest.mark.parametrize("eps", [1e-1, 1e-3, 1e-6])
def test_closed_forms_keep_relative_accuracy_for_nearly_equal_laws(eps):
    # the regime of every convergence claim: the sampler's law -> the target. The textbook formulas cancel O(1)
    # terms; ours must agree with a 50-digit evaluation to LINALG_RTOL relative down to eps = 1e-6 (KL ~ 1e-12)
    rng = np.random.default_rng(8)
    a = rng.normal(size=(3, 3))
    c1 = a @ a.T + np.eye(3)
    e = rng.normal(size=(3, 3))
    c2 = c1 + eps * (e + e.T) / 2
    m1 = rng.normal(size=3)
    m2 = m1 + eps * rng.normal(size=3)
    p, q = Gaussian(m1, c1), Gaussian(m2, c2)
    kl, h, w2 = _mpmath_reference(m1, c1, m2, c2)
    assert kl_gaussian(p, q).value == pytest.approx(kl, rel=LINALG_RTOL)
    assert hellinger_gaussian(p, q).value == pytest.approx(h, rel=LINALG_RTOL)
    assert w2_gaussian(p, q).value == pytest.approx(w2, rel=LINALG_RTOL)


@settings(max_examples=15, deadline=None)
@given(d=DIMS, data=st.data())
def test_w2_agrees_with_pot_where_pot_is_accurate(d, data):
    # POT's trace formula loses ~sqrt(EPS) absolutely on W2 near 0; away from 0 both must agree
    import ot

    (m1, c1), (m2, c2) = data.draw(gaussian_params(d)), data.draw(gaussian_params(d))
    ours = w2_gaussian(Gaussian(m1, c1), Gaussian(m2, c2)).value
    theirs = float(ot.gaussian.bures_wasserstein_distance(m1, m2, c1, c2))
    scale = float(np.trace(c1) + np.trace(c2) + np.sum((m1 - m2) ** 2))
    assert ours**2 == pytest.approx(theirs**2, abs=LINALG_RTOL * scale)
