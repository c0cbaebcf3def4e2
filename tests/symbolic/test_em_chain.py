"""Tests of theorylab.symbolic.em_chain: closed forms against the recursion, autograd, simulation; slide checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.errors import ConfigError
from theorylab.symbolic import em_chain as em
from theorylab.symbolic.result import Truth
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA

# gamma in (0, 1): the regime of the slides; bounded away from 0 so that 1 - (1-gamma)^{2k} is not pure round-off.
gammas = st.floats(min_value=1e-3, max_value=0.999, allow_nan=False, allow_infinity=False)
# gamma in (0, 2): the whole convergence domain of the chain.
gammas_domain = st.floats(min_value=1e-2, max_value=1.99, allow_nan=False, allow_infinity=False)
# k up to 200 steps, as in the brief.
steps = st.integers(min_value=0, max_value=200)
reals = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False, allow_infinity=False)


def _recursion(gamma: float, k: int) -> tuple[float, float]:
    m, v = 1.0, 0.0
    for _ in range(k):
        m, v = (1.0 - gamma) * m, (1.0 - gamma) ** 2 * v + 2.0 * gamma
    return m, v


@settings(max_examples=60, deadline=None)
@given(gamma=gammas_domain, k=steps)
def test_mean_and_variance_match_recursion(gamma: float, k: int) -> None:
    m_rec, v_rec = _recursion(gamma, k)
    np.testing.assert_allclose(em.mean_coefficient()(gamma, k), m_rec, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    np.testing.assert_allclose(em.noise_variance()(gamma, k), v_rec, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@settings(max_examples=30, deadline=None)
@given(gamma=gammas_domain)
def test_stationary_variance_is_limit_of_recursion(gamma: float) -> None:
    # Run until (1-gamma)^{2k} < EPS-level so the recursion has reached its fixed point in float64.
    rho = (1.0 - gamma) ** 2
    k = int(math.ceil(40.0 / -math.log(rho))) if rho > 0 else 1
    _, v_rec = _recursion(gamma, k)
    np.testing.assert_allclose(em.stationary_variance()(gamma), v_rec, rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(em.stationary_variance()(gamma), 1.0 / (1.0 - gamma / 2.0), rtol=CLOSED_FORM_RTOL)


@settings(max_examples=30, deadline=None)
@given(gamma=gammas, k=st.integers(min_value=1, max_value=200), x=reals, x0=reals)
def test_transition_score_matches_autograd(gamma: float, k: int, x: float, x0: float) -> None:
    m_rec, v_rec = _recursion(gamma, k)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    law = torch.distributions.Normal(torch.tensor(m_rec * x0, dtype=torch.float64), math.sqrt(v_rec))
    (grad,) = torch.autograd.grad(law.log_prob(xt), xt)
    np.testing.assert_allclose(
        em.transition_score()(x, x0, gamma, k), grad.item(), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL
    )


@settings(max_examples=30, deadline=None)
@given(gamma=gammas, k=st.integers(min_value=1, max_value=200), z=reals, x0=reals)
def test_score_in_noise_is_score_at_noised_point(gamma: float, k: int, z: float, x0: float) -> None:
    m_rec, v_rec = _recursion(gamma, k)
    x = m_rec * x0 + math.sqrt(v_rec) * z
    expected = -(x - m_rec * x0) / v_rec
    np.testing.assert_allclose(
        em.transition_score_in_noise()(z, gamma, k), expected, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL
    )
    np.testing.assert_allclose(
        em.transition_score_in_noise()(z, gamma, k), -z / math.sqrt(v_rec), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL
    )


def test_slide_noise_variance_is_proved() -> None:
    g, k = em.GAMMA, em.K
    slide = (1 - (1 - g) ** (2 * k)) / (1 - g / 2)
    assert em.check_noise_variance(slide).proved


def test_wrong_noise_variance_is_refuted() -> None:
    g, k = em.GAMMA, em.K
    check = em.check_noise_variance((1 - (1 - g) ** (2 * k)) / (1 - g))
    assert check.truth is Truth.FAILS


def test_slide_stationary_variance_is_proved() -> None:
    assert em.check_stationary_variance(1 / (1 - em.GAMMA / 2)).proved
    assert em.check_stationary_variance(1 / (1 - em.GAMMA)).truth is Truth.FAILS


def test_slide_score_in_noise_is_refuted_with_witness_in_domain() -> None:
    check = em.check_score_in_noise(-em.Z / em.SIGMA**2)
    assert check.truth is Truth.FAILS
    w = check.witness
    lo, hi = em.DEFAULT_CHECK_DOMAIN[em.GAMMA]
    assert lo <= w["gamma"] <= hi and w["k"] >= 1
    # Independent evaluation at an integer step next to the witness: -z/sigma^2 != -z/sigma.
    k = int(round(w["k"]))
    _, v = _recursion(w["gamma"], k)
    slide, correct = -w["z"] / v, float(em.transition_score_in_noise()(w["z"], w["gamma"], k))
    assert abs(slide - correct) > CLOSED_FORM_RTOL * abs(correct)
    assert em.check_score_in_noise(-em.Z / em.SIGMA).proved


def test_sum_form_variance() -> None:
    assert em.check_sum_form_variance().proved
    gamma, k = 0.13, 37
    direct = 2 * gamma * sum((1 - gamma) ** (2 * (k - j)) for j in range(1, k + 1))
    np.testing.assert_allclose(em.sum_form_variance()(gamma, k), direct, rtol=CLOSED_FORM_RTOL)


def test_variance_by_simulation() -> None:
    rng = np.random.default_rng(0)
    gamma, k, n, x0 = 0.05, 40, 40_000, 1.5
    x = np.full(n, x0)
    for _ in range(k):
        x = (1 - gamma) * x + math.sqrt(2 * gamma) * rng.standard_normal(n)
    m, v = float(em.mean_coefficient()(gamma, k)), float(em.noise_variance()(gamma, k))
    assert abs(x.mean() - m * x0) < MC_SIGMA * math.sqrt(v / n)
    assert abs(x.var(ddof=1) - v) < MC_SIGMA * v * math.sqrt(2.0 / (n - 1))


def test_convergence_report() -> None:
    report = em.convergence_report(2.5, k_max=30)
    assert report.domain == sp.Interval.open(0, 2)
    assert report.stationary_mean == 0
    assert report.witness_limit == sp.oo
    assert np.all(np.diff(report.witness_variances) > 0)
    # The rsolve closed form also holds outside the domain (integer k): it diverges like (1.5)^{2k}.
    ks = np.arange(31)
    np.testing.assert_allclose(em.noise_variance()(2.5, ks), report.witness_variances, rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(np.abs(report.witness_means), 1.5**ks, rtol=CLOSED_FORM_RTOL)
    boundary = em.convergence_report(2.0, k_max=10)
    assert boundary.witness_limit == sp.oo
    np.testing.assert_allclose(boundary.boundary_variance(np.arange(11)), boundary.witness_variances)


@pytest.mark.parametrize("bad", [1.5, 0.5, float("nan")])
def test_convergence_report_rejects_steps_inside_domain(bad: float) -> None:
    with pytest.raises(ConfigError, match="gamma_witness"):
        em.convergence_report(bad)
