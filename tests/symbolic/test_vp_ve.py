"""Tests of theorylab.symbolic.vp_ve: general kernels, the seed's VP mean, linear schedule vs quadrature, DDPM/SMLD."""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from theorylab.symbolic import vp_ve
from theorylab.symbolic.result import Truth
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, QUADRATURE_ATOL

# Song et al. (2021) use beta_min = 0.1, beta_max = 20 on T = 1; the ranges contain them, with T kept general.
beta_mins = st.floats(min_value=0.01, max_value=1.0, allow_nan=False, allow_infinity=False)
beta_maxs = st.floats(min_value=5.0, max_value=20.0, allow_nan=False, allow_infinity=False)
horizons = st.floats(min_value=0.5, max_value=5.0, allow_nan=False, allow_infinity=False)
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)  # t / T
reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)

_INTEGRAL = sp.Integral(vp_ve.BETA(vp_ve.S), (vp_ve.S, 0, vp_ve.T))


def test_general_kernels() -> None:
    assert vp_ve.vp_mean().expr == vp_ve.X0 * sp.exp(-_INTEGRAL / 2)
    assert vp_ve.vp_variance().expr == 1 - sp.exp(-_INTEGRAL)
    assert vp_ve.ve_mean().expr == vp_ve.X0
    assert sp.simplify(vp_ve.ve_variance().expr - (vp_ve.SIGMA(vp_ve.T) ** 2 - vp_ve.SIGMA(0) ** 2)) == 0


def test_moment_odes_of_affine_sde() -> None:
    ode_m, ode_v = vp_ve.affine_moment_odes()
    a, g2 = sp.Function("a")(vp_ve.T), sp.Function("g2")(vp_ve.T)
    m, v = sp.Function("m")(vp_ve.T), sp.Function("v")(vp_ve.T)
    assert sp.expand(ode_m.rhs - a * m) == 0
    assert sp.expand(ode_v.rhs - (2 * a * v + g2)) == 0


def test_seed_vp_mean_is_refuted_and_correct_one_proved() -> None:
    seed = vp_ve.check_vp_mean(vp_ve.X0 * sp.exp(-_INTEGRAL))
    assert seed.truth is Truth.FAILS
    w = seed.witness
    for symbol, (lo, hi) in vp_ve.DEFAULT_CHECK_DOMAIN.items():
        if symbol.name in w:
            assert lo <= w[symbol.name] <= hi
    assert w["t"] <= w["T"]  # the witness time lies in [0, T]
    # Independent evaluation at the witness: exp(-int beta) vs exp(-int beta / 2), integral by quadrature.
    integral, _ = integrate.quad(
        lambda s: w["beta_min"] + s / w["T"] * (w["beta_max"] - w["beta_min"]), 0.0, w["t"], epsabs=QUADRATURE_ATOL
    )
    gap = abs(w["x0"]) * abs(math.exp(-integral) - math.exp(-integral / 2))
    # The witness residual is evaluated at 50 digits; the quadrature integral carries at most QUADRATURE_ATOL.
    np.testing.assert_allclose(gap, w["residual"], atol=abs(w["x0"]) * QUADRATURE_ATOL + CLOSED_FORM_ATOL)
    assert vp_ve.check_vp_mean(vp_ve.X0 * sp.exp(-_INTEGRAL / 2)).proved


def test_seed_vp_variance_and_ve_kernel_are_proved() -> None:
    assert vp_ve.check_vp_variance(1 - sp.exp(-_INTEGRAL)).proved
    assert vp_ve.check_ve_variance(vp_ve.SIGMA(vp_ve.T) ** 2 - vp_ve.SIGMA(0) ** 2).proved
    assert vp_ve.check_ve_variance(vp_ve.SIGMA(vp_ve.T) ** 2).truth is Truth.FAILS  # forgets sigma(0)^2


@settings(max_examples=30, deadline=None)
@given(bmin=beta_mins, bmax=beta_maxs, horizon=horizons, frac=fractions, x0=reals)
def test_linear_schedule_kernel_matches_quadrature(
    bmin: float, bmax: float, horizon: float, frac: float, x0: float
) -> None:
    t = frac * horizon
    integral, err = integrate.quad(lambda s: bmin + s / horizon * (bmax - bmin), 0.0, t, epsabs=QUADRATURE_ATOL)
    assert err < QUADRATURE_ATOL
    mean = vp_ve.specialise_linear_beta(vp_ve.vp_mean())
    var = vp_ve.specialise_linear_beta(vp_ve.vp_variance())
    # quad's absolute error QUADRATURE_ATOL on the integral propagates to at most that error on exp(-I/2), exp(-I).
    np.testing.assert_allclose(mean(t, x0, bmin, bmax, horizon), x0 * math.exp(-integral / 2),
                               atol=abs(x0) * QUADRATURE_ATOL + CLOSED_FORM_ATOL)
    np.testing.assert_allclose(var(t, bmin, bmax, horizon), -math.expm1(-integral),
                               atol=QUADRATURE_ATOL + CLOSED_FORM_ATOL)


@settings(max_examples=20, deadline=None)
@given(bmin=beta_mins, bmax=beta_maxs, horizon=horizons, frac=fractions, x0=reals)
def test_linear_schedule_kernel_matches_ddpm_product(
    bmin: float, bmax: float, horizon: float, frac: float, x0: float
) -> None:
    # Exact route for the mean: the VP mean solves m' = -beta m / 2, i.e. it is the product over a fine grid of
    # the exact one-step factors exp(-int_{t_i}^{t_{i+1}} beta / 2), integrals of a linear function done exactly.
    t = frac * horizon
    grid = np.linspace(0.0, t, 257)
    beta = bmin + grid / horizon * (bmax - bmin)
    steps = 0.5 * (beta[1:] + beta[:-1]) * np.diff(grid)  # trapezoid is exact for a linear beta
    product = x0 * np.prod(np.exp(-steps / 2))
    mean = vp_ve.specialise_linear_beta(vp_ve.vp_mean())
    np.testing.assert_allclose(mean(t, x0, bmin, bmax, horizon), product, rtol=CLOSED_FORM_RTOL,
                               atol=CLOSED_FORM_ATOL)


def test_geometric_ve_variance() -> None:
    var = vp_ve.specialise_geometric_sigma(vp_ve.ve_variance())
    t, smin, smax, horizon = 0.3, 0.01, 50.0, 1.0
    sigma = smin * (smax / smin) ** (t / horizon)
    np.testing.assert_allclose(var(t, smin, smax, horizon), sigma**2 - smin**2, rtol=CLOSED_FORM_RTOL)


def test_ddpm_is_first_order_discretisation_of_vp() -> None:
    match = vp_ve.ddpm_step_match()
    assert match.mean_first_order.proved and match.var_first_order.proved
    beta = vp_ve.BETA(vp_ve.T)
    dbeta = sp.Derivative(beta, vp_ve.T)
    # Second-order terms differ: the match is exactly first order.
    assert sp.simplify(match.mean_h2_gap - (-(beta**2) - dbeta) / 4) == 0
    assert sp.simplify(match.var_h2_gap - (beta**2 + dbeta) / 2) == 0


def test_smld_is_exact_ve_kernel_per_step() -> None:
    match = vp_ve.smld_step_match()
    assert match.mean_first_order.proved and match.var_first_order.proved
    assert match.mean_h2_gap == 0 and match.var_h2_gap == 0
    # First order coefficient is the EM step g^2 h with g^2 = d sigma^2 / dt.
    sigma = vp_ve.SIGMA(vp_ve.T)
    assert sp.simplify(match.var_step.coeff(vp_ve.H, 1) - sp.diff(sigma**2, vp_ve.T)) == 0
