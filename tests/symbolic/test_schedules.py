"""Tests of theorylab.symbolic.schedules: score time vs cumsum, time change, EM step identity, cosine schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.symbolic import ou
from theorylab.symbolic import schedules as sch
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

n_steps = st.integers(min_value=1, max_value=500)
# gamma_min <= gamma_max: typical schedules have steps between 1e-4 and 0.5.
gamma_mins = st.floats(min_value=1e-4, max_value=0.01, allow_nan=False, allow_infinity=False)
gamma_maxs = st.floats(min_value=0.01, max_value=0.5, allow_nan=False, allow_infinity=False)


def _linear(n: int, gmin: float, gmax: float) -> np.ndarray:
    k = np.arange(n + 1, dtype=np.float64)
    return gmin + (gmax - gmin) * (n - k) / n


@settings(max_examples=40, deadline=None)
@given(n=n_steps, gmin=gamma_mins, gmax=gamma_maxs, data=st.data())
def test_score_time_matches_cumsum(n: int, gmin: float, gmax: float, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    cumsum = np.cumsum(_linear(n, gmin, gmax))[k]
    np.testing.assert_allclose(sch.score_time()(k, n, gmin, gmax), cumsum, rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(sch.linear_schedule()(k, n, gmin, gmax), _linear(n, gmin, gmax)[k],
                               rtol=CLOSED_FORM_RTOL)


@settings(max_examples=30, deadline=None)
@given(n=n_steps, gmin=gamma_mins, gmax=gamma_maxs, data=st.data())
def test_time_change_of_linear_schedule(n: int, gmin: float, gmax: float, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n - 1))
    tau = sch.linear_time_change()
    # tau'(k/N) / N = gamma_k, by a symbolic derivative evaluated numerically.
    rate = sp.lambdify((sch.U, sch.N, sch.GAMMA_MIN, sch.GAMMA_MAX), sp.diff(tau.expr, sch.U))
    np.testing.assert_allclose(rate(k / n, n, gmin, gmax) / n, _linear(n, gmin, gmax)[k], rtol=CLOSED_FORM_RTOL)
    assert float(tau(0.0, n, gmin, gmax)) == 0.0
    # Score time overshoots tau((k+1)/N) by (k+1)(gmax - gmin)/(2N).
    gap = np.cumsum(_linear(n, gmin, gmax))[k] - float(tau((k + 1) / n, n, gmin, gmax))
    np.testing.assert_allclose(sch.score_time_minus_time_change()(k, n, gmin, gmax), gap, rtol=CLOSED_FORM_RTOL,
                               atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(gap, (k + 1) * (gmax - gmin) / (2 * n), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_time_changed_moments_are_proved() -> None:
    checks = sch.check_time_change()
    assert checks["mean"].proved and checks["variance"].proved
    assert sp.simplify(checks["mean"].lhs - ou.X0 * sp.exp(-sch.TAU(sch.U))) == 0


def test_em_step_identity_proved_and_numeric() -> None:
    assert sch.check_em_step_is_time_changed_em().proved
    rng = np.random.default_rng(1)
    n, gmin, gmax = 50, 1e-3, 0.2
    gammas = _linear(n, gmin, gmax)[:-1]
    y_ou = y_tc = 0.8
    for k, gamma in enumerate(gammas):
        z = rng.standard_normal()
        rate = n * (gmin + (gmax - gmin) * (1 - k / n))  # tau'(u_k) of the linear time change
        y_ou = (1 - gamma) * y_ou + math.sqrt(2 * gamma) * z
        y_tc = y_tc - rate * y_tc / n + math.sqrt(2 * rate / n) * z
    np.testing.assert_allclose(y_tc, y_ou, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_cosine_schedule(n: int) -> None:
    s = 0.008
    sched = sch.cosine_schedule(n, s=s)
    assert sched.betas.shape == (n,) and sched.alpha_bar.shape == (n + 1,)
    assert np.all(sched.betas > 0) and np.all(sched.betas <= 0.999)
    # Before the final clip, alpha_bar is f(i/N)/f(0) with f the squared cosine.
    i = np.arange(n + 1) / n
    f = np.cos((i + s) / (1 + s) * np.pi / 2) ** 2
    unclipped = sched.betas < 0.999
    idx = np.flatnonzero(np.concatenate([[True], np.cumprod(unclipped).astype(bool)]))
    np.testing.assert_allclose(sched.alpha_bar[idx], (f / f[0])[idx], rtol=CLOSED_FORM_RTOL)
    # The DDPM step over [t_{i-1}, t_i] is the exact OU kernel: variance 1 - e^{-2 dt} equals beta_i.
    dt = np.diff(sched.ou_time)
    np.testing.assert_allclose(-np.expm1(-2 * dt), sched.betas, rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize(("kwargs", "key"), [({"n_steps": 0}, "n_steps"), ({"n_steps": 5, "s": -1.0}, "s"),
                                             ({"n_steps": 5, "max_beta": 1.5}, "max_beta")])
def test_cosine_schedule_rejects_bad_input(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        sch.cosine_schedule(**kwargs)
