"""Chen et al. (2022), Theorem 2, as overlaid by theorylab.bounds.chen: term-by-term against hand-computed closed
forms for a Gaussian target, monotone in h, and the Lipschitz constants against independent derivations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.bounds import CHEN_NOTE, chen_bound, chen_table, gmm_log_hessian, score_lipschitz, second_moment
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.errors import ConfigError
from theorylab.tolerances import CLOSED_FORM_RTOL, FD_STEP, FINITE_DIFFERENCE_RTOL, LINALG_RTOL

# 1D target N(mu, s2): mean in [-3, 3], variance in [0.05, 4]; horizon in [0.1, 10]; score error in [0, 0.5]
MEAN = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
VAR = st.floats(0.05, 4.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=25, deadline=None)
@given(mu=MEAN, s2=VAR, T=st.floats(0.1, 10.0, allow_nan=False), eps=st.floats(0.0, 0.5, allow_nan=False))
def test_gaussian_target_terms_by_hand(mu, s2, T, eps):
    h = np.array([0.2, 0.1, 0.05, 0.01, 0.001])
    cb = chen_bound(Gaussian([mu], [[s2]]), T=T, h=h, eps_score=eps)
    kl = 0.5 * (s2 + mu * mu - 1.0 - math.log(s2))  # KL(N(mu, s2) || N(0, 1))
    L = max(1.0, 1.0 / s2)  # sup_t 1/Var(X_t)
    m2 = math.sqrt(s2 + mu * mu)
    mixing = math.sqrt(kl) * math.exp(-T)
    disc = (L * np.sqrt(h) + L * m2 * h) * math.sqrt(T)
    np.testing.assert_allclose(cb.total, mixing + disc + eps * math.sqrt(T), rtol=LINALG_RTOL)
    assert (cb.L, cb.d) == (pytest.approx(L, rel=CLOSED_FORM_RTOL), 1)
    assert np.all(np.isfinite(cb.total)) and np.all(np.diff(cb.total) < 0.0)  # decreasing in h
    np.testing.assert_array_equal(cb.step_ok, h * L <= 1.0)


def test_constant_scales_the_bound_and_the_note_states_the_scope():
    target = Gaussian([1.0, -0.5], [[0.5, 0.1], [0.1, 2.0]])
    one = chen_bound(target, T=[1.0, 2.0, 4.0], h=0.05, eps_score=0.1)
    three = chen_bound(target, T=[1.0, 2.0, 4.0], h=0.05, eps_score=0.1, constant=3.0)
    np.testing.assert_allclose(three.total, 3.0 * one.total, rtol=CLOSED_FORM_RTOL)
    assert one.constant == 1.0 and one.d == 2
    for phrase in ("exponential-integrator", "NOT for plain Euler-Maruyama", "constant", "L-Lipschitz", "eps_score"):
        assert phrase in one.note and phrase in CHEN_NOTE
    frame = one.frame()
    assert list(frame["T"]) == [1.0, 2.0, 4.0] and np.all(frame["total"] > 0.0)


def test_gaussian_lipschitz_constant_against_a_dense_time_grid():
    cov = np.array([[0.3, 0.1], [0.1, 2.5]])
    t = np.concatenate([[0.0], np.geomspace(1e-6, 40.0, 4000)])
    norms = [np.linalg.norm(np.linalg.inv(math.exp(-2 * s) * cov - math.expm1(-2 * s) * np.eye(2)), 2) for s in t]
    lip = score_lipschitz(Gaussian([0.0, 0.0], cov))
    assert lip.kind == "exact" and abs(lip.value - max(norms)) <= LINALG_RTOL * lip.value
    wide = score_lipschitz(Gaussian([0.0], [[4.0]]), T=1.0)  # variance > 1: the sup over [0, 1] is at t = 1
    assert abs(wide.value - 1.0 / (4.0 * math.exp(-2.0) - math.expm1(-2.0))) <= LINALG_RTOL


def test_mixture_log_hessian_against_finite_differences_of_the_score():
    target = GaussianMixture([0.2, 0.5, 0.3], [[-1.0, 0.0], [1.0, 1.0], [0.0, -2.0]],
                             [[[0.5, 0.1], [0.1, 0.3]], [[1.0, 0.0], [0.0, 0.2]], [[0.4, -0.1], [-0.1, 0.6]]])
    x = np.random.default_rng(0).normal(size=(20, 2))
    H = gmm_log_hessian(target, x)
    fd = np.empty_like(H)
    for j in range(2):
        e = np.zeros(2)
        e[j] = FD_STEP
        fd[:, :, j] = (target.score(x + e) - target.score(x - e)) / (2.0 * FD_STEP)
    np.testing.assert_allclose(H, fd, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL * np.abs(H).max())
    # the torch autograd Hessian of the law's own logpdf, a third route
    xt = torch.tensor(x[0], dtype=torch.float64)
    auto = torch.autograd.functional.hessian(lambda z: target.logpdf(z), xt).numpy()
    np.testing.assert_allclose(H[0], auto, rtol=LINALG_RTOL, atol=LINALG_RTOL)


@pytest.mark.parametrize("m,s2", [(1.0, 0.25), (2.0, 0.5), (0.5, 0.8)])
def test_symmetric_mixture_lipschitz_against_the_sech_formula(m, s2):
    """1/2 N(-m, s2) + 1/2 N(m, s2) at time t (means m e^-t, variance v_t): the score is
    -x/v + (m_t/v) tanh(m_t x / v), whose derivative -1/v + (m_t/v)^2 sech^2(m_t x / v) has
    sup_x |.| = max(1/v, m_t^2/v^2 - 1/v) (at x -> infinity, resp. x = 0)."""
    t = np.concatenate([[0.0], np.geomspace(1e-4, 20.0, 200)])  # the same times as score_lipschitz's default
    v = s2 * np.exp(-2 * t) - np.expm1(-2 * t)
    mt = m * np.exp(-t)
    expected = max(float(np.max(np.maximum(1.0 / v, mt**2 / v**2 - 1.0 / v))), 1.0)
    lip = score_lipschitz(GaussianMixture([0.5, 0.5], [-m, m], [s2, s2]))
    assert abs(lip.estimate - expected) <= LINALG_RTOL * expected  # x = 0 is a grid point (odd symmetric grid)
    assert lip.kind == "rigorous upper bound" and lip.upper >= lip.estimate
    unequal = score_lipschitz(GaussianMixture([0.5, 0.5], [-m, m], [s2, 2.0 * s2]))
    assert unequal.kind == "grid estimate" and math.isinf(unequal.upper)


def test_second_moment_of_a_mixture():
    target = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, 'Mistura de gaussianas'
    assert abs(second_moment(target) - math.sqrt(0.5 * (9.0 + 0.25) + 0.5 * (9.0 + 1.0))) <= CLOSED_FORM_RTOL * 3.0


def test_chen_table_on_measured_cells():
    target = Gaussian([1.0], [[0.5]])
    df = pd.DataFrame({"T": [1.0, 2.0, 2.0, 2.0], "gamma": [0.1, 0.1, 0.0, 0.05], "M": [0.0, 0.1, 0.0, 0.1],
                       "tv": [0.1, 0.05, 0.02, 0.04]})
    out = chen_table(df, target, columns={"T": "T", "gamma": "gamma", "M": "M", "value": "tv", "lower": None,
                                          "upper": None, "status": None})
    assert list(out.index) == [0, 1, 3]  # gamma = 0 has no step
    direct = chen_bound(target, T=2.0, h=0.05, eps_score=0.1)
    assert out.loc[3, "chen"] == pytest.approx(float(direct.total), rel=CLOSED_FORM_RTOL)
    assert "exponential-integrator" in out.attrs["note"]


def test_bad_arguments():
    with pytest.raises(ConfigError, match="^h: "):
        chen_bound(Gaussian([0.0], [[1.0]]), T=1.0, h=0.0)
    with pytest.raises(ConfigError, match="^constant: "):
        chen_bound(Gaussian([0.0], [[1.0]]), T=1.0, h=0.1, constant=-1.0)
    with pytest.raises(ConfigError, match="^target: "):
        chen_bound(T=1.0, h=0.1, L=2.0)
    ok = chen_bound(T=1.0, h=0.1, L=0.5, m2=1.0, kl=0.0, d=3)
    assert ok.L == 1.0 and "raised to 1" in ok.note
