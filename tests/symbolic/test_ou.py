"""Tests of theorylab.symbolic.ou: dsolve moments vs matrix exponential, W2 vs POT, KL vs quadrature, bounds."""

from __future__ import annotations

import math

import numpy as np
import ot
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, linalg, stats

from theorylab.errors import ConfigError
from theorylab.symbolic import ou
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, QUADRATURE_ATOL

# t in (0, 10) as in the brief.
times = st.floats(min_value=1e-3, max_value=10.0, allow_nan=False, allow_infinity=False)
reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)
# initial sd in [0.1, 5]: a proper Gaussian, not so narrow that quadrature needs special care.
sds = st.floats(min_value=0.1, max_value=5.0, allow_nan=False, allow_infinity=False)
# initial variance in [0, 5]; 0 is the transition kernel.
variances = st.floats(min_value=0.0, max_value=5.0, allow_nan=False, allow_infinity=False)


def test_moment_odes_from_generator() -> None:
    m, v = sp.Function("m")(ou.T), sp.Function("v")(ou.T)
    ode_m, ode_v = ou.moment_odes()
    assert sp.simplify(ode_m.rhs + m) == 0
    assert sp.simplify(ode_v.rhs - (2 - 2 * v)) == 0


@settings(max_examples=40, deadline=None)
@given(t=times, x0=reals, v0=variances)
def test_moments_match_matrix_exponential(t: float, x0: float, v0: float) -> None:
    # Independent route: (m, v, 1)' = A (m, v, 1) is linear; its flow is expm(A t), exact to round-off.
    a = np.array([[-1.0, 0.0, 0.0], [0.0, -2.0, 2.0], [0.0, 0.0, 0.0]])
    m_t, v_t, _ = linalg.expm(a * t) @ np.array([x0, v0, 1.0])
    np.testing.assert_allclose(ou.mean()(t, x0), m_t, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(ou.variance()(t, v0), v_t, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_closed_forms_and_em_limit_are_proved() -> None:
    for check in (*ou.check_closed_form().values(), *ou.em_limit().values()):
        assert check.proved, check.summary()


@settings(max_examples=40, deadline=None)
@given(t=times, mu=st.floats(min_value=0.0, max_value=5.0), s=sds, d=st.integers(min_value=1, max_value=6))
def test_w2_exact_matches_pot(t: float, mu: float, s: float, d: int) -> None:
    mean = np.zeros(d)
    mean[0] = math.exp(-t) * mu
    v_t = 1 + (s * s - 1) * math.exp(-2 * t)
    pot = ot.gaussian.bures_wasserstein_distance(mean, np.zeros(d), v_t * np.eye(d), np.eye(d))
    # POT forms W2^2 from a trace with cancellation of terms of size ||m||^2 + d (v + 1): squares are compared with
    # an error budget relative to that size (POT loses the relative accuracy of tiny distances, not this module).
    mine = float(ou.w2_exact()(t, mu, s, d))
    assert abs(mine**2 - pot**2) <= CLOSED_FORM_RTOL * (mean[0] ** 2 + d * (v_t + 1.0))


def test_w2_exact_equals_naive_bures_form() -> None:
    # The module writes sqrt(v) - 1 as (v - 1)/(sqrt(v) + 1) for float64 stability; same expression symbolically.
    v_t = ou.variance().expr.subs(ou.V0, ou.S**2)
    naive = sp.sqrt(ou.mean().expr.subs(ou.X0, ou.MU) ** 2 + ou.D * (sp.sqrt(v_t) - 1) ** 2)
    from theorylab.symbolic.result import check_identity

    assert check_identity(ou.w2_exact().expr, naive).holds


def test_w2_exact_is_accurate_near_stationarity() -> None:
    # At t = 30 the naive sqrt(v) - 1 is pure round-off; the stable form keeps full relative accuracy:
    # W2 = sqrt(d) |s^2 - 1| e^{-2t} / (sqrt(v) + 1) with v = 1 + (s^2-1) e^{-2t}.
    t, s, d = 30.0, 0.5, 4
    v = 1 + (s * s - 1) * math.exp(-2 * t)
    expected = math.sqrt(d) * abs(s * s - 1) * math.exp(-2 * t) / (math.sqrt(v) + 1)
    np.testing.assert_allclose(ou.w2_exact()(t, 0.0, s, d), expected, rtol=CLOSED_FORM_RTOL)


def test_w2_bound_holds_on_grid() -> None:
    result = ou.check_w2_bound(
        mu=[0.0, 0.5, 2.0, 10.0], s=[0.05, 0.5, 1.0, 3.0], d=[1, 2, 10, 1000], t=[0.0, 0.1, 1.0, 5.0, 10.0]
    )
    assert result.holds and result.max_ratio <= 1.0
    # Independent recomputation of one grid value.
    t, mu, s, d = 1.0, 2.0, 3.0, 10
    exact = math.sqrt(math.exp(-2 * t) * mu**2 + d * (math.sqrt(1 + (s**2 - 1) * math.exp(-2 * t)) - 1) ** 2)
    bound = math.exp(-t) * (math.sqrt(mu**2 + d * s**2) + math.sqrt(d))
    np.testing.assert_allclose(result.ratio[2, 3, 2, 2], exact / bound, rtol=CLOSED_FORM_RTOL)


def test_w2_bound_rejects_bad_grid() -> None:
    with pytest.raises(ConfigError, match="s"):
        ou.check_w2_bound(mu=[0.0], s=[0.0], d=[1], t=[1.0])


@settings(max_examples=20, deadline=None)
@given(m=reals, s=sds)
def test_kl_matches_quadrature(m: float, s: float) -> None:
    p, q = stats.norm(m, s), stats.norm(0.0, 1.0)

    def integrand(x: float) -> float:
        return p.pdf(x) * (p.logpdf(x) - q.logpdf(x))

    # Beyond 12 sd the integrand is below exp(-70): negligible against QUADRATURE_ATOL.
    value, err = integrate.quad(integrand, m - 12 * s, m + 12 * s, epsabs=QUADRATURE_ATOL / 10, epsrel=0, limit=200)
    assert err < QUADRATURE_ATOL
    np.testing.assert_allclose(ou.kl_gaussian_to_standard()(m, s * s), value, atol=QUADRATURE_ATOL)


def test_kl_contraction_is_proved() -> None:
    proof = ou.check_kl_contraction()
    assert proof.proved
    assert proof.endpoints == (0, 0)


@settings(max_examples=40, deadline=None)
@given(t=times, mu=reals, s=sds)
def test_kl_contraction_numerically(t: float, mu: float, s: float) -> None:
    kl = ou.kl_at_time()
    kl_t, kl_0 = float(kl(t, mu, s)), float(kl(0.0, mu, s))
    assert kl_t <= math.exp(-2 * t) * kl_0 + CLOSED_FORM_ATOL
