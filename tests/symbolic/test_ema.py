"""Tests of theorylab.symbolic.ema: closed form vs the update, weights, half-life."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.symbolic import ema
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

# m in (0, 1]: the range where m reads as "forgetting"; bounded below so (1-m)^n is not 1 to round-off.
rates = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, allow_infinity=False)
steps = st.integers(min_value=0, max_value=200)
reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(m=rates, n=steps, theta=reals, theta_bar0=reals)
def test_constant_target_matches_update(m: float, n: int, theta: float, theta_bar0: float) -> None:
    avg = theta_bar0
    for _ in range(n):
        avg = (1 - m) * avg + m * theta
    np.testing.assert_allclose(ema.ema_constant_target()(n, m, theta, theta_bar0), avg, rtol=CLOSED_FORM_RTOL,
                               atol=CLOSED_FORM_ATOL)


@settings(max_examples=30, deadline=None)
@given(m=rates, n=st.integers(min_value=1, max_value=100), seed=st.integers(min_value=0, max_value=2**31))
def test_weights_reproduce_update_for_any_sequence(m: float, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    thetas = rng.standard_normal(n)
    theta_bar0 = rng.standard_normal()
    avg = theta_bar0
    for theta in thetas:
        avg = (1 - m) * avg + m * theta
    j = np.arange(n)
    weights = ema.weight_of_iterate()(n, j, m)
    initial = float(ema.initial_weight()(n, m))
    np.testing.assert_allclose(initial * theta_bar0 + np.sum(weights * thetas), avg, rtol=CLOSED_FORM_RTOL,
                               atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(initial + weights.sum(), 1.0, rtol=CLOSED_FORM_RTOL)


def test_weights_sum_to_one_proved() -> None:
    assert ema.check_weights_sum_to_one().proved


@settings(max_examples=30, deadline=None)
@given(m=st.floats(min_value=1e-3, max_value=0.999, allow_nan=False, allow_infinity=False))
def test_half_life(m: float) -> None:
    n_half = float(ema.half_life()(m))
    np.testing.assert_allclose((1 - m) ** n_half, 0.5, rtol=CLOSED_FORM_RTOL)


def test_forgetting_is_monotone_in_m() -> None:
    # "m is the forgetting": on (0, 1] a larger m leaves less weight on the initial condition.
    ms = np.linspace(0.01, 1.0, 50)
    w = ema.initial_weight()(10, ms)
    assert np.all(np.diff(w) < 0)
    assert w[-1] == 0.0  # m = 1 forgets everything after one step
