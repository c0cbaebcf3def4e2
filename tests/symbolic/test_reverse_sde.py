"""Tests of theorylab.symbolic.reverse_sde: moment ODEs against scipy's ODE solver, the probability-flow ODE and
the reverse-time SDE against their moment equations integrated numerically, the seed-002 slips refuted with
witnesses in the stated domain, and the one-step gaps of the discretisations against 50-digit evaluations."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from theorylab.errors import ConfigError
from theorylab.symbolic import reverse_sde as rs
from theorylab.symbolic.result import Truth
from theorylab.tolerances import (
    FD_STEP,
    FINITE_DIFFERENCE_RTOL,
    ODE_AGREEMENT_ATOL,
    SERIES_COEFF_RTOL,
)

# Initial law N(mu0, v0): mean in (-2, 2), variance in (0.1, 3).
means = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
variances = st.floats(min_value=0.1, max_value=3.0, allow_nan=False, allow_infinity=False)
# Linear VP schedule beta(t) = beta0 + beta1 t with beta0 in (0.1, 3), beta1 in (0, 2).
beta0s = st.floats(min_value=0.1, max_value=3.0, allow_nan=False, allow_infinity=False)
beta1s = st.floats(min_value=0.0, max_value=2.0, allow_nan=False, allow_infinity=False)
# Horizons T in (0.2, 3).
horizons = st.floats(min_value=0.2, max_value=3.0, allow_nan=False, allow_infinity=False)
# State y in (-3, 3) and forward time t in (0.1, 2) of one sampler step.
states = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
times = st.floats(min_value=0.1, max_value=2.0, allow_nan=False, allow_infinity=False)

_ODE = {"rtol": 1e-12, "atol": 1e-13, "method": "DOP853"}  # solver settings behind ODE_AGREEMENT_ATOL
# A refuted drift must move a transported moment by at least 100 times the solver agreement to count as different.
_SEPARATION = 100 * ODE_AGREEMENT_ATOL
# The seed's probability-flow drift uses g where g^2 belongs: the two coincide where g = 1, so the numerical
# refutation is asserted only when beta(t) stays at least this far from 1 somewhere on [0, T].
_G_AWAY_FROM_ONE = 0.1


def _schedule(name: str, beta0: float, beta1: float):
    """a(t) and g(t)^2 of the named process, written here independently of the module."""
    if name == "ou":
        return (lambda t: 1.0), (lambda t: 2.0)
    return (lambda t: (beta0 + beta1 * t) / 2), (lambda t: beta0 + beta1 * t)


def _marginal_args(name: str, mu0: float, v0: float, beta0: float, beta1: float):
    return (mu0, v0) if name == "ou" else (mu0, v0, beta0, beta1)


@pytest.mark.parametrize("name", ["ou", "vp"])
def test_moment_odes_have_the_linear_sde_form(name: str) -> None:
    dm, dv = rs.moment_odes(name)
    t = sp.Symbol("t", nonnegative=True)
    m, v = sp.Function("M")(t), sp.Function("V")(t)
    sde = rs.linear_sde(name)
    assert sp.simplify(dm.rhs - (-sde.a * m)) == 0
    assert sp.simplify(dv.rhs - (-2 * sde.a * v + sde.g2)) == 0


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(["ou", "vp"]), mu0=means, v0=variances, beta0=beta0s, beta1=beta1s, t_end=horizons)
def test_gaussian_marginal_matches_numerical_moment_odes(
    name: str, mu0: float, v0: float, beta0: float, beta1: float, t_end: float
) -> None:
    a, g2 = _schedule(name, beta0, beta1)
    sol = integrate.solve_ivp(
        lambda t, y: [-a(t) * y[0], -2 * a(t) * y[1] + g2(t)], (0.0, t_end), [mu0, v0], **_ODE
    )
    marg = rs.gaussian_marginal(name)
    extra = _marginal_args(name, mu0, v0, beta0, beta1)
    np.testing.assert_allclose(marg.mean(t_end, *extra), sol.y[0, -1], atol=ODE_AGREEMENT_ATOL)
    np.testing.assert_allclose(marg.variance(t_end, *extra), sol.y[1, -1], atol=ODE_AGREEMENT_ATOL)


@pytest.mark.parametrize("name", ["ou", pytest.param("vp", marks=pytest.mark.slow)])  # VP: ~7 s of sympy
def test_fokker_planck_and_probability_flow_are_proved(name: str) -> None:
    assert rs.check_fokker_planck(name).proved
    assert rs.check_probability_flow(name, "correct").proved


@pytest.mark.parametrize("name", ["ou", "vp"])
def test_seed_probability_flow_fails_where_g_differs_from_one(name: str) -> None:
    check = rs.check_probability_flow(name, "seed")
    assert check.truth is Truth.FAILS
    w = check.witness
    for symbol, (lo, hi) in rs.DOMAIN.items():
        if symbol.name in w:
            assert lo <= w[symbol.name] <= hi
    g2 = 2.0 if name == "ou" else w["beta0"] + w["beta1"] * w["t"]
    assert abs(g2 - 1.0) > 0  # g != 1 at the witness, as the refutation requires


def _flow_image(velocity, x0: float, t_end: float) -> float:
    sol = integrate.solve_ivp(lambda t, y: [velocity(t, y[0])], (0.0, t_end), [x0], **_ODE)
    return float(sol.y[0, -1])


@settings(max_examples=8, deadline=None)
@given(name=st.sampled_from(["ou", "vp"]), mu0=means, v0=variances, beta0=beta0s, beta1=beta1s, t_end=horizons)
def test_probability_flow_transports_the_marginals_numerically(
    name: str, mu0: float, v0: float, beta0: float, beta1: float, t_end: float
) -> None:
    # With Gaussian p_t the flow map is affine, so the images of mu0 +- sqrt(v0) are M(T) +- sqrt(V(T)).
    a, g2 = _schedule(name, beta0, beta1)
    marg = rs.gaussian_marginal(name)
    extra = _marginal_args(name, mu0, v0, beta0, beta1)

    def score(t: float, x: float) -> float:
        return -(x - float(marg.mean(t, *extra))) / float(marg.variance(t, *extra))

    correct = lambda t, x: -a(t) * x - 0.5 * g2(t) * score(t, x)  # noqa: E731
    seed = lambda t, x: -a(t) * x - 0.5 * math.sqrt(g2(t)) * score(t, x)  # noqa: E731
    m_end, sd_end = float(marg.mean(t_end, *extra)), math.sqrt(float(marg.variance(t_end, *extra)))
    sd0 = math.sqrt(v0)
    for sign in (-1.0, 1.0):
        image = _flow_image(correct, mu0 + sign * sd0, t_end)
        np.testing.assert_allclose(image, m_end + sign * sd_end, atol=ODE_AGREEMENT_ATOL)
    # The seed's drift (g instead of g^2) transports the law elsewhere: its image spread differs.
    spread = (_flow_image(seed, mu0 + sd0, t_end) - _flow_image(seed, mu0 - sd0, t_end)) / 2
    g_far_from_one = name == "ou" or max(abs(beta0 - 1), abs(beta0 + beta1 * t_end - 1)) > _G_AWAY_FROM_ONE
    if g_far_from_one:
        assert abs(spread - sd_end) > _SEPARATION


@pytest.mark.parametrize(
    ("name", "reading"),
    # the VP proofs cost ~10 s of sympy (beta(t) = beta0 + beta1 t): in the slow job; OU proves the same readings
    [("ou", "time-reversal"), ("ou", "seed000"), ("ou", "song-backward"),
     pytest.param("vp", "time-reversal", marks=pytest.mark.slow), pytest.param("vp", "song-backward", marks=pytest.mark.slow)],
)
def test_correct_reverse_sde_readings_are_proved(name: str, reading: str) -> None:
    assert rs.check_reverse_sde(name, reading).proved


@pytest.mark.parametrize("name", ["ou", "vp"])
@pytest.mark.parametrize("reading", ["seed002-forward", "seed002-forward-shifted"])
def test_seed002_forward_readings_fail_with_witness_in_domain(name: str, reading: str) -> None:
    check = rs.check_reverse_sde(name, reading)
    assert check.truth is Truth.FAILS
    w = check.witness
    assert 0 < w["s"] < w["T"]
    for symbol, (lo, hi) in rs.DOMAIN.items():
        if symbol.name in w:
            assert lo <= w[symbol.name] <= hi


def test_reverse_sde_rejects_bad_options() -> None:
    with pytest.raises(ConfigError, match="reading"):
        rs.check_reverse_sde("ou", "backwards")
    with pytest.raises(ConfigError, match="reading"):
        rs.check_reverse_sde("vp", "seed000")
    with pytest.raises(ConfigError, match="process"):
        rs.check_reverse_sde("ve", "time-reversal")
    with pytest.raises(ConfigError, match="form"):
        rs.check_probability_flow("ou", "half")


def _reverse_moments(drift_c, drift_e, g2, m_start: float, v_start: float, s_end: float) -> tuple[float, float]:
    """Mean and variance at s_end of dY = (c(s) Y + e(s)) ds + g(s) dB by scipy's ODE solver."""
    sol = integrate.solve_ivp(
        lambda s, y: [drift_c(s) * y[0] + drift_e(s), 2 * drift_c(s) * y[1] + g2(s)], (0.0, s_end),
        [m_start, v_start], **_ODE,
    )
    return float(sol.y[0, -1]), float(sol.y[1, -1])


@settings(max_examples=8, deadline=None)
@given(name=st.sampled_from(["ou", "vp"]), mu0=means, v0=variances, beta0=beta0s, beta1=beta1s, t_end=horizons)
def test_reverse_sde_returns_to_the_data_law_numerically(
    name: str, mu0: float, v0: float, beta0: float, beta1: float, t_end: float
) -> None:
    # The time-reversal drift -f + g^2 score = c(s) y + e(s) is affine in y for Gaussian p_t, so its moment ODEs
    # close; started from p_T they must end at p_0 = N(mu0, v0). The seed-002 forward reading must not.
    a, g2 = _schedule(name, beta0, beta1)
    marg = rs.gaussian_marginal(name)
    extra = _marginal_args(name, mu0, v0, beta0, beta1)
    big_m = lambda t: float(marg.mean(t, *extra))  # noqa: E731
    big_v = lambda t: float(marg.variance(t, *extra))  # noqa: E731
    back = lambda s: t_end - s  # noqa: E731
    c = lambda s: a(back(s)) - g2(back(s)) / big_v(back(s))  # noqa: E731
    e = lambda s: g2(back(s)) * big_m(back(s)) / big_v(back(s))  # noqa: E731
    m_end, v_end = _reverse_moments(c, e, lambda s: g2(back(s)), big_m(t_end), big_v(t_end), t_end)
    np.testing.assert_allclose([m_end, v_end], [mu0, v0], atol=ODE_AGREEMENT_ATOL)
    # Seed 002 read forward: drift f(y, s) - g(s)^2 score_{T-s}(y) = -a(s) y + g2(s) (y - M)/V.
    c_seed = lambda s: -a(s) + g2(s) / big_v(back(s))  # noqa: E731
    e_seed = lambda s: -g2(s) * big_m(back(s)) / big_v(back(s))  # noqa: E731
    _, v_seed = _reverse_moments(c_seed, e_seed, g2, big_m(t_end), big_v(t_end), t_end)
    assert abs(v_seed - v0) > _SEPARATION


def test_reverse_diffusion_step_is_em_and_ddpm_gap_is_second_order() -> None:
    assert rs.check_reverse_diffusion_step().proved
    gap = rs.reverse_diffusion_step_gap()
    assert gap.variance_order is None and gap.variance_coeff == 0
    assert gap.mean_order == 2
    beta, y = sp.Symbol("beta", positive=True), sp.Symbol("y", real=True)
    # Independent 50-digit evaluation of the mean gap over h^2 at a small step.
    with mpmath.workdps(50):
        h, b, yy = mpmath.mpf("1e-12"), mpmath.mpf("1.7"), mpmath.mpf("-0.9")
        seed_mean = yy - (mpmath.sqrt(1 - b * h) - 1) * yy
        em_mean = yy + b / 2 * yy * h
        ratio = float((seed_mean - em_mean) / h**2)
    coeff = float(gap.mean_coeff.subs({beta: 1.7, y: -0.9}))
    np.testing.assert_allclose(ratio, coeff, rtol=SERIES_COEFF_RTOL)


def test_seed000_continuous_sampler_is_em() -> None:
    assert rs.check_seed000_continuous_sampler().proved


@pytest.mark.parametrize("law", [pytest.param("ou", marks=pytest.mark.slow), "chain"])  # ~4 s each
def test_ancestral_step_gap_is_second_order(law: str) -> None:
    gap = rs.ancestral_step_gap(law)
    assert gap.mean_order == 2
    assert gap.variance_order is None


@settings(max_examples=10, deadline=None)
@given(y=states, t=times, mu0=means, v0=variances)
def test_ancestral_gap_coefficient_is_minus_two_time_derivative_of_score(
    y: float, t: float, mu0: float, v0: float
) -> None:
    marg = rs.gaussian_marginal("ou")

    def score(time: float) -> float:
        return -(y - float(marg.mean(time, mu0, v0))) / float(marg.variance(time, mu0, v0))

    step = FD_STEP * max(1.0, t)
    d_score_dt = (score(t + step) - score(t - step)) / (2 * step)
    coeff = rs.ancestral_step_gap("ou").mean_coeff
    names = {s.name: s for s in coeff.free_symbols}
    value = float(coeff.subs({names["y"]: y, names["t"]: t, names["mu0"]: mu0, names["v0"]: v0}))
    np.testing.assert_allclose(value, -2 * d_score_dt, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL)


def test_ancestral_chain_gap_coefficient_matches_50_digit_ratio() -> None:
    gap = rs.ancestral_step_gap("chain")
    names = {s.name: s for s in gap.mean_coeff.free_symbols}
    y, t, mu0, v0 = -0.7, 0.9, 1.3, 0.5
    coeff = float(gap.mean_coeff.subs({names["y"]: y, names["t"]: t, names["mu0"]: mu0, names["v0"]: v0}))
    marg = rs.gaussian_marginal("ou")
    big_m = sp.lambdify(marg.mean.args, marg.mean.expr, "mpmath")
    big_v = sp.lambdify(marg.variance.args, marg.variance.expr, "mpmath")
    with mpmath.workdps(60):
        k = 10**12  # k steps of size h = t / k reach forward time t
        h = mpmath.mpf(t) / k
        mk = (1 - h) ** k
        sk2 = mk**2 * mpmath.mpf(v0) + (1 - (1 - h) ** (2 * k)) / (1 - h / 2)
        chain_score = -(mpmath.mpf(y) - mk * mpmath.mpf(mu0)) / sk2
        ou_next = -(mpmath.mpf(y) - big_m(mpmath.mpf(t) + h, mu0, v0)) / big_v(mpmath.mpf(t) + h, mu0, v0)
        ratio = float(2 * h * (chain_score - ou_next) / h**2)
    np.testing.assert_allclose(ratio, coeff, rtol=SERIES_COEFF_RTOL)
