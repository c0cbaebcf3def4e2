"""Tests of theorylab.symbolic.ar_chain: closed forms vs recursion, W2 vs POT, the counterexample to 'alpha < 1'."""

from __future__ import annotations

import numpy as np
import ot
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.symbolic import ar_chain as ar
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

# |alpha| < 1, the derived convergence domain, bounded away from +-1 by 1e-3.
alphas = st.floats(min_value=-0.999, max_value=0.999, allow_nan=False, allow_infinity=False)
steps = st.integers(min_value=0, max_value=200)
means = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)
# initial variance in [0.01, 5]: positive so that N(m0, v0) is a proper Gaussian.
variances = st.floats(min_value=0.01, max_value=5.0, allow_nan=False, allow_infinity=False)


def _recursion(alpha: float, k: int, m0: float, v0: float) -> tuple[float, float]:
    m, v = m0, v0
    for _ in range(k):
        m, v = alpha * m, alpha**2 * v + (1.0 - alpha**2)
    return m, v


@settings(max_examples=60, deadline=None)
@given(alpha=alphas, k=steps, m0=means, v0=variances)
def test_moments_match_recursion(alpha: float, k: int, m0: float, v0: float) -> None:
    m_rec, v_rec = _recursion(alpha, k, m0, v0)
    np.testing.assert_allclose(ar.mean()(alpha, k, m0), m_rec, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(ar.variance()(alpha, k, v0), v_rec, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@settings(max_examples=40, deadline=None)
@given(alpha=alphas, k=st.integers(min_value=0, max_value=60), m0=means, v0=variances)
def test_w2_matches_pot(alpha: float, k: int, m0: float, v0: float) -> None:
    m_rec, v_rec = _recursion(alpha, k, m0, v0)
    pot = ot.gaussian.bures_wasserstein_distance(
        np.array([m_rec]), np.zeros(1), np.array([[v_rec]]), np.eye(1)
    )
    # POT forms W2^2 = m^2 + tr(A + B - 2 (A^{1/2} B A^{1/2})^{1/2}) with cancellation of terms of size
    # m^2 + v + 1, so squares are compared with an error budget relative to that size.
    mine = float(ar.w2_to_standard_normal()(alpha, k, m0, v0))
    assert abs(mine**2 - pot**2) <= CLOSED_FORM_RTOL * (m_rec**2 + v_rec + 1.0)


def test_w2_with_fixed_step() -> None:
    d = ar.w2_to_standard_normal(5)
    assert ar.K not in d.args
    np.testing.assert_allclose(d(0.5, 1.0, 2.0), ar.w2_to_standard_normal()(0.5, 5, 1.0, 2.0))


def test_limits_and_domain() -> None:
    assert ar.stationary_moments() == (0, 1)
    assert ar.convergence_domain() == sp.Interval.open(-1, 1)


@pytest.mark.parametrize(("alpha", "m0", "v0"), [(0.5, 1.0, 2.0), (-0.7, -2.0, 0.3), (0.9, 0.5, 1.0)])
def test_w2_decays_at_rate_abs_alpha(alpha: float, m0: float, v0: float) -> None:
    const, _ = ar.w2_decay_constant()
    c = float(const.subs({ar.M0: m0, ar.V0: v0}))
    assert c == pytest.approx(abs(m0))
    # |W2/|alpha|^k - |m0|| <= |alpha|^k (v0-1)^2 / (8 |m0|) <= |alpha|^k here: below CLOSED_FORM_RTOL * |m0| once
    # |alpha|^k < CLOSED_FORM_RTOL / 100.
    k = int(np.ceil(np.log(CLOSED_FORM_RTOL / 100) / np.log(abs(alpha))))
    w2 = float(ar.w2_to_standard_normal()(alpha, k, m0, v0))
    np.testing.assert_allclose(w2 / abs(alpha) ** k, c, rtol=CLOSED_FORM_RTOL)


def test_w2_decays_at_rate_alpha_squared_when_centred() -> None:
    _, const = ar.w2_decay_constant()
    for v0 in (0.25, 3.0):  # both sides of 1: the constant is |v0 - 1| / 2
        c = float(const.subs(ar.V0, v0))
        assert c == pytest.approx(abs(v0 - 1) / 2)
        alpha, k = 0.6, 30
        w2 = float(ar.w2_to_standard_normal()(alpha, k, 0.0, v0))
        # relative correction of the next term is O(alpha^{2k}) ~ 5e-14.
        np.testing.assert_allclose(w2 / alpha ** (2 * k), c, rtol=CLOSED_FORM_RTOL)


def test_counterexample_to_alpha_less_than_one() -> None:
    ce = ar.convergence_counterexample(m0=1.0, v0=1.0, k_max=9)
    assert ce.slide_domain.contains(ce.alpha) == sp.true
    assert ce.correct_domain.contains(ce.alpha) == sp.false
    np.testing.assert_array_equal(ce.means, [(-1.0) ** k for k in range(10)])
    np.testing.assert_array_equal(ce.variances, np.ones(10))
    np.testing.assert_allclose(ce.w2, np.ones(10))  # never approaches 0
    assert ce.noise_coefficient_real[-2.0] is False
    assert ce.noise_coefficient_real[-0.5] is True
    # The closed forms agree with the recursion at alpha = -1 too.
    ks = np.arange(10)
    np.testing.assert_allclose(ar.mean()(-1.0, ks, 1.0), ce.means)


def test_counterexample_rejects_bad_variance() -> None:
    with pytest.raises(ConfigError, match="v0"):
        ar.convergence_counterexample(v0=0.0)
