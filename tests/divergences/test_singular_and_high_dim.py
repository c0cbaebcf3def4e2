"""Divergences between Gaussians in any dimension: singular (PSD) laws, and TV/JS by Monte Carlo in diagonalised
coordinates (checked against 1D quadrature, high-accuracy 2D quadrature, an independent Monte Carlo route, and for
interval coverage on known answers)."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
from scipy import special, stats

from theorylab.distributions import Gaussian, make_target
from theorylab.distributions.spectral import random_rotation
from theorylab.divergences import (
    divergence,
    hellinger_gaussian,
    js_gaussian,
    js_grid,
    kl_gaussian,
    tv_gaussian,
    tv_gaussian_1d,
    tv_gaussian_2d_quad,
    tv_monte_carlo,
    w2_gaussian,
)
from theorylab.divergences.gaussian_mc import js_gaussian_mc, tv_gaussian_mc
from theorylab.divergences.quadrature import js_quad_1d
from theorylab.errors import ConfigError
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA

#: Confidence level whose normal interval is MC_SIGMA standard errors wide: "contains the truth" at this level is the
#: MC_SIGMA check (the rigorous bounds the interval is intersected with never exclude the truth).
LEVEL_MC_SIGMA = float(special.erf(MC_SIGMA / math.sqrt(2.0)))


def _embed(g2: Gaussian, u: np.ndarray, shift: np.ndarray) -> Gaussian:
    """The law of shift + U[:, :2] X for X ~ g2: a singular Gaussian in R^3 with a 2D affine hull."""
    a = u[:, :2]
    return Gaussian(shift + a @ g2.mean(), a @ g2.covariance() @ a.T, allow_singular=True)


# ---- singular laws -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("p,q", [
    # two different planes through 0
    (make_target({"kind": "gaussian", "variances": [1.0, 1.0, 0.0]}),
     make_target({"kind": "gaussian", "variances": [1.0, 0.0, 1.0]})),
    # the same plane, shifted off it
    (make_target({"kind": "gaussian", "variances": [1.0, 1.0, 0.0]}),
     make_target({"kind": "gaussian", "mean": [0.0, 0.0, 1e-3], "variances": [1.0, 2.0, 0.0]})),
    # a line inside a plane (nested hulls)
    (make_target({"kind": "gaussian", "variances": [1.0, 0.0, 0.0]}),
     make_target({"kind": "gaussian", "variances": [1.0, 1.0, 0.0]})),
    # a definite law against a singular one
    (Gaussian(np.zeros(3), 1.0), make_target({"kind": "gaussian", "variances": [1.0, 1.0, 0.0]})),
])
def test_different_affine_hulls_are_mutually_singular_exactly(p, q):
    expected = {"tv": 1.0, "kl": math.inf, "js": math.log(2.0), "hellinger": 1.0}
    for name, value in expected.items():
        for a, b in ((p, q), (q, p)):
            est = divergence(name, a, b)
            assert est.value == value and est.uncertainty.kind == "exact" and "mutually singular" in est.method
    assert math.isfinite(divergence("w2", p, q).value)


def test_same_affine_hull_reduces_to_the_definite_laws_on_it():
    u, shift = random_rotation(3, 4), np.array([1.0, -2.0, 0.5])
    a2 = Gaussian([0.3, -0.1], [[1.0, 0.3], [0.3, 0.6]])
    b2 = Gaussian([-0.2, 0.4], [[0.7, -0.1], [-0.1, 1.2]])
    a3, b3 = _embed(a2, u, shift), _embed(b2, u, shift)
    assert a3.is_singular and b3.is_singular
    for f in (kl_gaussian, hellinger_gaussian, w2_gaussian):
        assert f(a3, b3).value == pytest.approx(f(a2, b2).value, rel=LINALG_RTOL)
    tv3 = tv_gaussian(a3, b3)
    assert tv3.value == pytest.approx(tv_gaussian_2d_quad(a2, b2).value, rel=LINALG_RTOL)
    assert "common support (dimension 2 of 3)" in tv3.method
    same = _embed(a2, u, shift)
    assert divergence("kl", a3, same).value == pytest.approx(0.0, abs=LINALG_RTOL)


def test_w2_with_singular_covariances_matches_pot_bures():
    cases = [
        (make_target({"kind": "gaussian", "mean": [1.0, 0.0, 0.0], "eigenvalues": [2.0, 0.0, 0.5],
                      "rotation_seed": 1}),
         make_target({"kind": "gaussian", "eigenvalues": [0.0, 1.0, 3.0], "rotation_seed": 2})),
        (make_target({"kind": "gaussian", "variances": [1.0, 0.0]}),
         make_target({"kind": "gaussian", "variances": [0.0, 4.0]})),  # W2^2 = 1 + 4 exactly
        (Gaussian(np.zeros(4), 1.0), make_target({"kind": "gaussian", "dim": 4, "spectrum": "flat", "rank": 2,
                                                  "rotation_seed": 3})),
    ]
    # POT takes matrix square roots through eigh + sqrt: a rotated singular covariance has eigenvalues ~ -1e-17 and
    # POT returns NaN (measured, POT 0.9.7). It is therefore given Sigma + eps I: W2 moves by at most
    # W2(N(0, S), N(0, S + eps I)) <= sqrt(d eps) per law (couple X with X + sqrt(eps) Z).
    eps = 1e-8  # large enough that Sigma^{1/2} (Sigma + eps I) Sigma^{1/2} stays definite in float64
    for p, q in cases:
        ours = w2_gaussian(p, q).value
        reg = eps * np.eye(p.dim)
        pot = float(ot.gaussian.bures_wasserstein_distance(p.mean(), q.mean(), p.covariance() + reg,
                                                           q.covariance() + reg))
        # POT's trace form loses ~sqrt(EPS tr) absolutely (theorylab.divergences.gaussian.w2_gaussian), ~1e-8 here
        assert ours == pytest.approx(pot, abs=2.0 * math.sqrt(p.dim * eps) + math.sqrt(LINALG_RTOL))
    assert w2_gaussian(*cases[1]).value == pytest.approx(math.sqrt(5.0), rel=LINALG_RTOL)


def test_w2_singular_laws_in_a_shared_eigenbasis_use_the_O_d_form():
    """Laws given by eigenvalues in one basis, zeros allowed (Pierret & Galerne's CIFAR-10 Gaussian has a zero
    eigenvalue): W2 is the O(d) coordinate sum, equal to the dense Procrustes form, and 0 (not 0/0 = NaN) between
    equal singular laws."""
    basis = random_rotation(5, 4)
    lp, lq = np.array([2.0, 0.0, 0.5, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 3.0, 1.0])
    p = Gaussian.from_eigen(np.arange(5.0), lp, basis=basis)
    q = Gaussian.from_eigen(np.zeros(5), lq, basis=basis)
    est = w2_gaussian(p, q)
    assert "O(d)" in est.method
    expected = math.sqrt(float(np.sum(np.arange(5.0) ** 2) + np.sum((np.sqrt(lp) - np.sqrt(lq)) ** 2)))
    assert est.value == pytest.approx(expected, rel=LINALG_RTOL)
    dense = w2_gaussian(Gaussian(p.mean(), p.covariance(), allow_singular=True),
                        Gaussian(q.mean(), q.covariance(), allow_singular=True))
    assert "O(d)" not in dense.method and est.value == pytest.approx(dense.value, rel=math.sqrt(LINALG_RTOL))
    assert w2_gaussian(p, p).value == 0.0


def test_dirac_masses():
    dirac = make_target({"kind": "gaussian", "mean": [1.0, 2.0], "variances": [0.0, 0.0]})
    assert divergence("tv", dirac, dirac).value == 0.0
    other = make_target({"kind": "gaussian", "mean": [1.0, 2.5], "variances": [0.0, 0.0]})
    assert divergence("tv", dirac, other).value == 1.0
    assert divergence("w2", dirac, other).value == pytest.approx(0.5, rel=LINALG_RTOL)


# ---- TV and JS by Monte Carlo in any dimension ---------------------------------------------------------------------
def test_tv_monte_carlo_matches_exact_1d_and_2d_quadrature():
    rng = np.random.default_rng(0)
    p1, q1 = Gaussian(0.0, 1.0), Gaussian(0.7, 2.0)
    est = tv_gaussian_mc(p1, q1, 50_000, rng, level=LEVEL_MC_SIGMA)
    assert est.uncertainty.contains(tv_gaussian_1d(p1, q1).value), str(est)
    p2 = Gaussian([0.0, 0.5], [[1.0, 0.4], [0.4, 0.8]])
    q2 = Gaussian([0.6, -0.2], [[2.0, -0.3], [-0.3, 0.5]])
    est = tv_gaussian_mc(p2, q2, 50_000, rng, level=LEVEL_MC_SIGMA)
    assert est.uncertainty.contains(tv_gaussian_2d_quad(p2, q2).value), str(est)


def test_js_monte_carlo_matches_1d_quadrature_and_a_fine_2d_grid():
    rng = np.random.default_rng(1)
    p1, q1 = Gaussian(0.0, 1.0), Gaussian(1.2, 0.5)
    est = js_gaussian_mc(p1, q1, 50_000, rng, level=LEVEL_MC_SIGMA)
    assert est.uncertainty.contains(js_quad_1d(p1, q1).value), str(est)
    p2 = Gaussian([0.0, 0.5], [[1.0, 0.4], [0.4, 0.8]])
    q2 = Gaussian([0.6, -0.2], [[2.0, -0.3], [-0.3, 0.5]])
    # high-accuracy 2D quadrature: the trapezoid rule on a smooth, rapidly decaying integrand converges faster than
    # any power of the spacing; 401^2 nodes over +-9 sd give a grid error (reported) far below the MC error
    x = np.linspace(-13.0, 13.0, 401)
    mesh = np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1)
    ref = js_grid(p2.logpdf(mesh), q2.logpdf(mesh), x, x, log=True)
    assert ref.uncertainty.half_width < 1e-6
    est = js_gaussian_mc(p2, q2, 50_000, rng, level=LEVEL_MC_SIGMA)
    assert est.uncertainty.contains(ref.value), (str(est), str(ref))


def test_diagonalised_route_agrees_with_the_density_route_in_5d():
    p = make_target({"kind": "gaussian", "mean": [0.3, 0, 0, 0, 0], "dim": 5, "spectrum": "power:1.0",
                     "rotation_seed": 1})
    q = Gaussian(np.zeros(5), 0.5)
    ours = tv_gaussian_mc(p, q, 40_000, np.random.default_rng(2))
    theirs = tv_monte_carlo(p, q, 40_000, np.random.default_rng(3))
    se = math.hypot(ours.uncertainty.half_width, theirs.uncertainty.half_width) / 1.96
    assert abs(ours.value - theirs.value) <= MC_SIGMA * se


def test_monte_carlo_interval_coverage_on_known_answers():
    """The 95 % intervals cover the exact 1D TV and the quadrature JS at their level: the Wilson 99.9 % interval of
    the observed coverage over 300 repetitions must contain 0.95."""
    p, q = Gaussian(0.0, 1.0), Gaussian(0.8, 1.7)
    for est_fn, truth in ((tv_gaussian_mc, tv_gaussian_1d(p, q).value), (js_gaussian_mc, js_quad_1d(p, q).value)):
        hits = sum(est_fn(p, q, 1000, np.random.default_rng(s)).uncertainty.contains(truth) for s in range(300))
        ci = stats.binomtest(hits, 300).proportion_ci(confidence_level=0.999, method="wilson")
        assert ci.low <= 0.95 <= ci.high, (est_fn.__name__, hits)


def test_high_dimension_is_fast_and_bounded():
    p = make_target({"kind": "gaussian", "dim": 50, "spectrum": "power:1.0", "rotation_seed": 0})
    q = make_target({"kind": "gaussian", "dim": 50, "spectrum": "power:1.2", "rotation_seed": 0})
    for name in ("tv", "js"):
        est = divergence(name, p, q)
        assert est.uncertainty.kind == "ci" and est.uncertainty.lower <= est.value <= est.uncertainty.upper
        assert est.uncertainty.half_width < 0.01
    # the diagonalised problem keeps only the coordinates where the laws differ: equal laws give exactly 0
    assert divergence("tv", p, p).value == 0.0


def test_bad_arguments():
    g = Gaussian(np.zeros(3), 1.0)
    with pytest.raises(ConfigError, match=r"^method: must be one of auto, bounds, mc"):
        tv_gaussian(g, g, method="quad")
    with pytest.raises(ConfigError, match=r"^n: must be an integer >= 2"):
        js_gaussian(g, g, n=1)
    with pytest.raises(ConfigError, match=r"^rng: must be a numpy.random.Generator"):
        tv_gaussian_mc(g, g, 100, rng=3)
