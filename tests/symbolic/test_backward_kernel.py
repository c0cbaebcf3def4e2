"""Tests of theorylab.symbolic.backward_kernel: the quadratic expansion, the exact supremum behind the slide's
4 C gamma^2 bound (against SLSQP), Taylor's remainder, and the exact vs approximate backward kernel (against
quadrature of Bayes' formula, the chain recursion and high-precision series checks)."""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from theorylab.errors import ConfigError
from theorylab.symbolic import backward_kernel as bk
from theorylab.symbolic import em_chain
from theorylab.symbolic.result import Truth
from theorylab.tolerances import (
    CLOSED_FORM_ATOL,
    CLOSED_FORM_RTOL,
    MC_SIGMA,
    OPTIMIZER_RTOL,
    QUADRATURE_ATOL,
    SERIES_COEFF_RTOL,
)

# Step gamma in (0, 1), the regime of the slides, bounded away from 0 so that gamma^2-sized terms are resolved.
gammas = st.floats(min_value=0.01, max_value=0.99, allow_nan=False, allow_infinity=False)
# The constant C of the slide's assumptions, from a small ball (C < 1/4 reaches the antipodal branch) to C = 20.
constants = st.floats(min_value=0.05, max_value=20.0, allow_nan=False, allow_infinity=False)
# Points, means of p_k: O(1) reals.
reals = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
# Variances of p_k: bounded away from 0 and infinity.
variances = st.floats(min_value=0.1, max_value=5.0, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------------------------------------------------
# (a) expansion
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_quadratic_expansion_is_proved(dim: int) -> None:
    assert bk.check_quadratic_expansion(dim).proved


def test_quadratic_expansion_rejects_a_bad_dimension() -> None:
    with pytest.raises(ConfigError, match="dim"):
        bk.check_quadratic_expansion(0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), gamma=gammas)
def test_quadratic_expansion_numerically_in_dimension_7(seed: int, gamma: float) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=7), rng.normal(size=7)  # a = x_{k+1}, b = x_k
    lhs = np.sum((a - (1 - gamma) * b) ** 2)
    rhs = np.sum((b - (1 + gamma) * a) ** 2) - 2 * gamma * np.sum((a - b) ** 2) + gamma**2 * (b @ b - a @ a)
    np.testing.assert_allclose(lhs, rhs, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


# ---------------------------------------------------------------------------------------------------------------
# (b) supremum and the slide's bound
# ---------------------------------------------------------------------------------------------------------------


def _difference(z: np.ndarray, gamma: float) -> float:
    a, b = z[:2], z[2:]  # a = x_{k+1}, b = x_k in d = 2
    return float(np.sum((a - (1 - gamma) * b) ** 2) - np.sum((b - (1 + gamma) * a) ** 2))


def _slsqp_supremum(c: float, gamma: float, starts: int = 24, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    cons = [
        {"type": "ineq", "fun": lambda z: c * gamma - np.sum((z[:2] - z[2:]) ** 2)},
        {"type": "ineq", "fun": lambda z: c**2 - np.sum(z[:2] ** 2)},
        {"type": "ineq", "fun": lambda z: c**2 - np.sum(z[2:] ** 2)},
    ]
    best = 0.0
    for _ in range(starts):
        z0 = rng.uniform(-c, c, size=4) / 2
        for sign in (1.0, -1.0):
            res = optimize.minimize(
                lambda z, s=sign: -s * _difference(z, gamma), z0, method="SLSQP", constraints=cons,
                options={"ftol": 1e-14, "maxiter": 500},
            )
            feasible = all(con["fun"](res.x) >= -1e-9 for con in cons)
            if res.success and feasible:
                best = max(best, abs(_difference(res.x, gamma)))
    return best


@pytest.mark.parametrize(
    ("c", "gamma"),
    # two corners by default (gamma near 1, a large C); each case is 1-3 s of SLSQP restarts, the rest in the slow job
    [(2.25, 0.99), (10.0, 0.05)] + [pytest.param(c, g, marks=pytest.mark.slow)
                                    for c, g in ((4.0, 0.5), (1.0, 0.3), (0.1, 0.9), (0.2, 0.5))],
)
def test_supremum_matches_slsqp_in_dimension_2(c: float, gamma: float) -> None:
    exact = float(bk.quadratic_bound_supremum()(c, gamma))
    found = _slsqp_supremum(c, gamma)
    np.testing.assert_allclose(found, exact, rtol=OPTIMIZER_RTOL)


@settings(max_examples=60, deadline=None)
@given(c=constants, gamma=gammas, seed=st.integers(0, 2**31 - 1))
def test_no_admissible_pair_exceeds_the_supremum(c: float, gamma: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Admissible pairs by construction: a in the ball of radius C, b = a + step with ||step||^2 <= C gamma, then
    # b rejected if outside the ball.
    a = rng.normal(size=(2000, 3))
    a *= (c * rng.uniform(size=(2000, 1)) ** (1 / 3)) / np.linalg.norm(a, axis=1, keepdims=True)
    step = rng.normal(size=(2000, 3))
    step *= math.sqrt(c * gamma) * rng.uniform(size=(2000, 1)) / np.linalg.norm(step, axis=1, keepdims=True)
    b = a + step
    ok = np.linalg.norm(b, axis=1) <= c
    diff = np.sum((a - (1 - gamma) * b) ** 2, axis=1) - np.sum((b - (1 + gamma) * a) ** 2, axis=1)
    sup = float(bk.quadratic_bound_supremum()(c, gamma))
    assert np.all(np.abs(diff[ok]) <= sup * (1 + CLOSED_FORM_RTOL) + CLOSED_FORM_ATOL)


def test_counterexample_is_admissible_and_violates_the_slide_bound() -> None:
    ce = bk.quadratic_bound_counterexample()
    assert ce.admissible
    assert ce.violates
    assert sp.simplify(ce.lhs - (sp.Rational(3, 2) + 2 * sp.sqrt(2))) == 0
    # Independent float64 evaluation at the same vectors.
    a = np.array([float(v) for v in ce.x_k1])
    b = np.array([float(v) for v in ce.x_k])
    g = float(ce.gamma)
    assert np.sum((a - b) ** 2) <= float(ce.C) * g * (1 + CLOSED_FORM_RTOL)
    assert abs(_difference(np.concatenate([a, b]), g)) > 4 * float(ce.C) * g**2
    attained = abs(_difference(np.concatenate([a, b]), g))
    np.testing.assert_allclose(attained, float(bk.quadratic_bound_supremum()(4, 0.5)), rtol=CLOSED_FORM_RTOL)


def test_counterexample_rejects_out_of_domain_parameters() -> None:
    with pytest.raises(ConfigError, match="gamma"):
        bk.quadratic_bound_counterexample(4, sp.Rational(3, 2))
    with pytest.raises(ConfigError, match="C"):
        bk.quadratic_bound_counterexample(-1, sp.Rational(1, 2))


def test_valid_region_constants() -> None:
    region = bk.quadratic_bound_valid_region()
    assert region.c_uniform == sp.Rational(9, 4)
    np.testing.assert_allclose(region.c_max(1.0), 2.25, rtol=CLOSED_FORM_RTOL)
    # gamma_max(9/4) = 1: the uniform constant and the gamma threshold agree.
    np.testing.assert_allclose(region.gamma_max(2.25), 1.0, rtol=CLOSED_FORM_RTOL)


@settings(max_examples=80, deadline=None)
@given(c=constants, gamma=gammas)
def test_bound_holds_exactly_when_c_below_c_max(c: float, gamma: float) -> None:
    region = bk.quadratic_bound_valid_region()
    sup = float(bk.quadratic_bound_supremum()(c, gamma))
    bound = 4 * c * gamma**2
    margin = (sup - bound) / bound
    # Where |margin| is round-off float64 cannot decide the sign; everywhere else the sign is the region's.
    if abs(margin) > CLOSED_FORM_RTOL:
        assert (margin < 0) == (c < float(region.c_max(gamma)))
        if c > 2.25:
            g_max = float(region.gamma_max(c))
            assert 0 < g_max < 1
            assert (margin < 0) == (gamma < g_max)
    if c <= 2.25:
        assert margin <= CLOSED_FORM_RTOL


# ---------------------------------------------------------------------------------------------------------------
# (c) Taylor remainder
# ---------------------------------------------------------------------------------------------------------------


def test_slide_taylor_remainder_fails_on_the_gaussian_witness() -> None:
    check = bk.check_taylor_remainder("slide", "witness")
    assert check.truth is Truth.FAILS
    h = check.witness["h"]
    assert -3 <= h <= 3 and h != 0
    np.testing.assert_allclose(check.witness["residual"], h**2 / 2, rtol=CLOSED_FORM_RTOL)
    assert bk.check_taylor_remainder("slide", "quartic").truth is Truth.FAILS


@pytest.mark.parametrize("case", ["witness", "quartic", "general"])
def test_corrected_taylor_remainder_is_proved(case: str) -> None:
    assert bk.check_taylor_remainder("corrected", case).proved


def test_taylor_rejects_unknown_options() -> None:
    with pytest.raises(ConfigError, match="form"):
        bk.check_taylor_remainder("other", "witness")
    with pytest.raises(ConfigError, match="case"):
        bk.check_taylor_remainder("corrected", "cubic")
    with pytest.raises(ConfigError, match="case"):
        bk.check_taylor_remainder("slide", "general")


@functools.cache
def _mixture_log_density_derivatives() -> tuple:
    """f = log of a two-component Gaussian mixture (not a polynomial) and f', f'' by sympy, as float functions."""
    y = sp.Symbol("y", real=True)
    f = sp.log(sp.exp(-((y - 1) ** 2) / 2) + 2 * sp.exp(-((y + 1) ** 2)))
    return tuple(sp.lambdify(y, sp.diff(f, y, n), "math") for n in range(3))


@settings(max_examples=20, deadline=None)
@given(x=reals, h=reals)
def test_corrected_remainder_by_quadrature_for_a_mixture_log_density(x: float, h: float) -> None:
    f0, f1, f2 = _mixture_log_density_derivatives()
    truth = f0(x + h) - f0(x) - f1(x) * h
    for weight, should_hold in ((lambda t: 1 - t, True), (lambda t: 1.0, False)):
        rem, err = integrate.quad(
            lambda t: weight(t) * f2(x + t * h) * h**2, 0.0, 1.0, epsabs=QUADRATURE_ATOL / 10, epsrel=0.0, limit=200
        )
        assert err < QUADRATURE_ATOL
        if should_hold:
            assert abs(rem - truth) <= 10 * QUADRATURE_ATOL
        else:
            # The slide's weight integrates to f'(x+h) h - f'(x) h, a different quantity from the truth.
            np.testing.assert_allclose(rem, (f1(x + h) - f1(x)) * h, rtol=0.0, atol=10 * QUADRATURE_ATOL)


# ---------------------------------------------------------------------------------------------------------------
# (d) exact and approximate backward kernel
# ---------------------------------------------------------------------------------------------------------------


def _bayes_by_quadrature(x: float, gamma: float, mu: float, v: float) -> tuple[float, float]:
    """Mean and variance of p(x_k | x_{k+1} = x) ∝ N(x; (1-gamma) x_k, 2 gamma) N(x_k; mu, v), by scipy quad.

    The window is centred at the numerically located mode (Brent on the log-density) with half-width 40 times the
    smaller of the two factor widths, which bounds the posterior width from above.
    """
    lik_sd = math.sqrt(2 * gamma) / (1 - gamma)

    def log_dens(z: float) -> float:
        return stats.norm.logpdf(x, (1 - gamma) * z, math.sqrt(2 * gamma)) + stats.norm.logpdf(z, mu, math.sqrt(v))

    mode = optimize.minimize_scalar(lambda z: -log_dens(z), bracket=(mu, x / (1 - gamma))).x
    half = 40 * min(lik_sd, math.sqrt(v))
    peak = log_dens(mode)
    moments = []
    for power in range(3):
        val, _ = integrate.quad(
            lambda z: (z - mode) ** power * math.exp(log_dens(z) - peak), mode - half, mode + half,
            points=[mode], limit=200, epsabs=1e-13, epsrel=1e-10,
        )
        moments.append(val)
    shift = moments[1] / moments[0]
    return mode + shift, moments[2] / moments[0] - shift**2


@settings(max_examples=15, deadline=None)
@given(x=reals, gamma=gammas, mu=reals, v=variances)
def test_exact_kernel_matches_bayes_by_quadrature(x: float, gamma: float, mu: float, v: float) -> None:
    exact = bk.backward_kernel_exact()
    mean_q, var_q = _bayes_by_quadrature(x, gamma, mu, v)
    # Moments about the mode to relative accuracy 1e-10 (absolute 1e-13): mean and variance good to ~1e-10.
    np.testing.assert_allclose(exact.mean(x, gamma, mu, v), mean_q, rtol=0.0, atol=10 * QUADRATURE_ATOL)
    np.testing.assert_allclose(exact.variance(x, gamma, mu, v), var_q, rtol=0.0, atol=10 * QUADRATURE_ATOL)


def test_exact_kernel_matches_monte_carlo_regression() -> None:
    # Joint (X_k, X_{k+1}) with X_k ~ N(mu, v): E[X_k | X_{k+1}] is affine, Var[X_k | X_{k+1}] constant.
    rng = np.random.default_rng(20240601)
    gamma, mu, v, n = 0.2, 0.7, 1.8, 400_000
    xk = rng.normal(mu, math.sqrt(v), n)
    xk1 = (1 - gamma) * xk + math.sqrt(2 * gamma) * rng.normal(size=n)
    design = np.column_stack([xk1, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, xk, rcond=None)
    resid = xk - design @ coef
    exact = bk.backward_kernel_exact()
    for x in (-1.0, 0.0, 2.0):
        pred = coef[0] * x + coef[1]
        se = math.sqrt(resid.var() * (1 / n + (x - xk1.mean()) ** 2 / (n * xk1.var())))
        assert abs(float(exact.mean(x, gamma, mu, v)) - pred) <= MC_SIGMA * se
    var_exact = float(exact.variance(0.0, gamma, mu, v))
    assert abs(resid.var() - var_exact) <= MC_SIGMA * var_exact * math.sqrt(2 / n)


def test_approximate_kernel_is_the_slide_formula() -> None:
    assert bk.check_approx_kernel_matches_slide().proved


def test_discrepancy_orders_are_two() -> None:
    d = bk.kernel_discrepancy()
    assert (d.mean_order, d.variance_order, d.kl_order) == (2, 2, 2)


@settings(max_examples=10, deadline=None)
@given(x=reals, mu=reals, v=variances)
def test_discrepancy_coefficients_match_high_precision_ratios(x: float, mu: float, v: float) -> None:
    exact, approx, d = bk.backward_kernel_exact(), bk.backward_kernel_approx(), bk.kernel_discrepancy()
    args = bk.backward_kernel_exact().mean.args
    f = {name: sp.lambdify(args, expr, "mpmath") for name, expr in (
        ("m", exact.mean.expr), ("v", exact.variance.expr), ("am", approx.mean.expr), ("av", approx.variance.expr)
    )}
    with mpmath.workdps(50):
        g = mpmath.mpf("1e-12")
        xs, mus, vs = mpmath.mpf(x), mpmath.mpf(mu), mpmath.mpf(v)
        m, var, am, av = (f[k](xs, g, mus, vs) for k in ("m", "v", "am", "av"))
        ratio = var / av
        kl = (ratio - 1 - mpmath.log(ratio) + (m - am) ** 2 / av) / 2
        for gap, coeff in (((m - am), d.mean_coeff), ((var - av), d.variance_coeff), (kl, d.kl_coeff)):
            c = float(coeff(x, mu, v))
            np.testing.assert_allclose(float(gap / g**2), c, rtol=SERIES_COEFF_RTOL, atol=SERIES_COEFF_RTOL)


@settings(max_examples=30, deadline=None)
# k: up to 200 steps; s: data standard deviation in (0.1, 5).
@given(gamma=gammas, k=st.integers(0, 200), mu0=reals, s=st.floats(0.1, 5.0, allow_nan=False, allow_infinity=False))
def test_chain_marginal_matches_recursion_and_em_chain(gamma: float, k: int, mu0: float, s: float) -> None:
    m, v = mu0, s**2
    for _ in range(k):
        m, v = (1 - gamma) * m, (1 - gamma) ** 2 * v + 2 * gamma
    chain = bk.chain_marginal()
    np.testing.assert_allclose(chain.mean(mu0, s, gamma, k), m, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(chain.variance(mu0, s, gamma, k), v, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    # Total variance: m_k^2 s^2 + sigma_k^2 from the em_chain module (derived there by a different rsolve).
    mk = float(em_chain.mean_coefficient()(gamma, k))
    np.testing.assert_allclose(
        chain.variance(mu0, s, gamma, k),
        mk**2 * s**2 + float(em_chain.noise_variance()(gamma, k)),
        rtol=CLOSED_FORM_RTOL,
        atol=CLOSED_FORM_ATOL,
    )
