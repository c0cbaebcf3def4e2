"""Forward processes: coefficients vs quadrature, marginals vs simulation, reversal, shapes, validation.

Independent routes: ``marginal_coefficients`` (closed forms) against (i) quadrature of the linear-SDE formulas
:math:`\\log\\alpha_t = \\int_0^t a`, :math:`\\sigma_t^2 = \\int_0^t (\\alpha_t/\\alpha_s)^2 g(s)^2 ds` built from
``drift``/``diffusion_squared`` only, (ii) a fine Euler--Maruyama simulation of the forward SDE, and (iii) the
reduction VP = OU on the clock :math:`\\tau = \\frac12\\int_0^t\\beta`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from theorylab.errors import ConfigError
from theorylab.processes import PROCESSES, OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA, QUADRATURE_ATOL

# Horizons deliberately != 1 (no T = 1 assumption anywhere).
PROCESS_CASES = [
    OrnsteinUhlenbeck(T=2.5),
    VariancePreserving(beta_min=0.1, beta_max=20.0, T=1.0),
    VariancePreserving(beta_min=0.3, beta_max=4.0, T=3.0),
    VarianceExploding(sigma_min=0.01, sigma_max=5.0, T=2.0),
]
IDS = [repr(p) for p in PROCESS_CASES]


def _linear_rate(process, u: float) -> float:
    """a(u) in f(u, x) = a(u) x, read off the drift at x = 1."""
    return float(process.drift(u, np.ones(1))[0])


@pytest.mark.parametrize("process", PROCESS_CASES, ids=IDS)
@settings(max_examples=15, deadline=None)
@given(frac=st.floats(min_value=0.0, max_value=1.0, allow_nan=False))  # t = frac * T covers [0, T]
def test_marginal_coefficients_match_quadrature(process, frac):
    t = frac * process.T
    alpha, sigma = process.marginal_coefficients(t)
    log_alpha, err_a = quad(lambda u: _linear_rate(process, u), 0.0, t, epsabs=QUADRATURE_ATOL, epsrel=0)
    assert err_a <= QUADRATURE_ATOL
    assert alpha == pytest.approx(math.exp(log_alpha), rel=CLOSED_FORM_RTOL, abs=QUADRATURE_ATOL)

    def integrand(s):
        la_s, _ = quad(lambda u: _linear_rate(process, u), s, t, epsabs=QUADRATURE_ATOL, epsrel=0)
        return math.exp(2.0 * la_s) * process.diffusion_squared(s)

    var, err_v = quad(integrand, 0.0, t, epsabs=QUADRATURE_ATOL, epsrel=CLOSED_FORM_RTOL)
    assert err_v <= QUADRATURE_ATOL + CLOSED_FORM_RTOL * var
    assert sigma**2 == pytest.approx(var, rel=CLOSED_FORM_RTOL, abs=QUADRATURE_ATOL)


@pytest.mark.parametrize("process", PROCESS_CASES, ids=IDS)
def test_marginals_match_fine_euler_maruyama_simulation(process):
    # 20000 particles from a fixed x0 in d = 2, 1000 EM steps on [0, T]; compare at t = T/4 and t = T.
    # EM bias of the mean/variance is O(dt) relative: at most ~ max(beta, 2 ln(s_max/s_min)/T) dt / 2 <= 1e-2
    # here, below one MC standard error of the variance (sqrt(2/n) = 1e-2) and far below MC_SIGMA of them.
    n, steps = 20_000, 1000
    x0 = np.array([1.5, -0.7])
    gen = torch.Generator().manual_seed(1234)
    x = torch.tensor(x0).repeat(n, 1)
    dt = process.T / steps
    checkpoints = {steps // 4: None, steps: None}
    for k in range(steps):
        t = k * dt
        x = x + dt * process.drift(t, x) + math.sqrt(process.diffusion_squared(t) * dt) * torch.randn(
            x.shape, generator=gen, dtype=torch.float64)
        if k + 1 in checkpoints:
            checkpoints[k + 1] = x.clone()
    for k, xs in checkpoints.items():
        t = k * dt
        mean, std = process.marginal(t, x0)
        emp_mean = xs.mean(0).numpy()
        emp_var = xs.var(0).numpy()
        se_mean = std / math.sqrt(n)
        se_var = std**2 * math.sqrt(2.0 / (n - 1))
        assert np.all(np.abs(emp_mean - mean) <= MC_SIGMA * se_mean), (t, emp_mean, mean)
        assert np.all(np.abs(emp_var - std**2) <= MC_SIGMA * se_var), (t, emp_var, std**2)


@settings(max_examples=30, deadline=None)
@given(frac=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),  # t = frac * T
       beta_min=st.floats(min_value=0.0, max_value=5.0, allow_nan=False),  # beta(0) in [0, 5]
       spread=st.floats(min_value=0.0, max_value=20.0, allow_nan=False),  # beta_max - beta_min in [0, 20]
       T=st.floats(min_value=0.1, max_value=10.0, allow_nan=False))  # horizon in [0.1, 10]
def test_vp_is_ou_on_the_clock_half_integrated_beta(frac, beta_min, spread, T):
    vp = VariancePreserving(beta_min=beta_min, beta_max=beta_min + spread + 1e-3, T=T)  # +1e-3: beta_max > 0
    t = frac * T
    tau = 0.5 * (vp.beta_min * t + 0.5 * (vp.beta_max - vp.beta_min) * t**2 / T)
    a_vp, s_vp = vp.marginal_coefficients(t)
    a_ou, s_ou = OrnsteinUhlenbeck(T=max(tau, 1e-3)).marginal_coefficients(tau)  # any valid horizon >= tau
    assert a_vp == pytest.approx(a_ou, rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL)
    assert s_vp == pytest.approx(s_ou, rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL)


def test_ve_coefficients_closed_form():
    ve = VarianceExploding(sigma_min=0.02, sigma_max=8.0, T=3.0)
    for t in (0.0, 0.7, 3.0):
        sigma_t = 0.02 * (8.0 / 0.02) ** (t / 3.0)
        assert ve.sigma(t) == pytest.approx(sigma_t, rel=CLOSED_FORM_RTOL)
        assert ve.diffusion(t) == pytest.approx(sigma_t * math.sqrt(2 * math.log(400.0) / 3.0), rel=CLOSED_FORM_RTOL)
        alpha, std = ve.marginal_coefficients(t)
        assert alpha == 1.0
        assert std == pytest.approx(math.sqrt(sigma_t**2 - 0.02**2), rel=CLOSED_FORM_RTOL, abs=CLOSED_FORM_ATOL)
    assert ve.prior_std == 8.0


@settings(max_examples=20, deadline=None)
@given(s=st.floats(min_value=0.0, max_value=2.5, allow_nan=False),  # reversed time in [0, T], T = 2.5
       y=st.lists(st.floats(min_value=-10, max_value=10, allow_nan=False), min_size=3, max_size=3))  # a point
def test_reverse_drift_for_ou_is_y_plus_twice_the_score(s, y):
    ou = OrnsteinUhlenbeck(T=2.5)
    seen = []

    def score(t, x):
        seen.append(t)
        return torch.sin(x) * (1.0 + t)  # any smooth field; its time argument is checked below

    yt = torch.tensor([y], dtype=torch.float64)
    rev = ou.reverse(score)
    expected = yt + 2.0 * torch.sin(yt) * (1.0 + (2.5 - s))
    assert torch.allclose(rev.drift(s, yt), expected, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert seen[-1] == pytest.approx(2.5 - s, abs=CLOSED_FORM_ATOL)
    assert rev.diffusion(s) == pytest.approx(math.sqrt(2.0), rel=CLOSED_FORM_RTOL)
    flow = ou.reverse(score, probability_flow=True)
    expected_flow = yt + torch.sin(yt) * (1.0 + (2.5 - s))
    assert torch.allclose(flow.drift(s, yt), expected_flow, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert flow.diffusion(s) == 0.0


def test_reverse_drift_vp_general_formula():
    vp = VariancePreserving(beta_min=0.2, beta_max=12.0, T=2.0)
    y = torch.tensor([[0.3, -1.2], [2.0, 0.5]], dtype=torch.float64)
    score = lambda t, x: -x / (1.0 + t)  # noqa: E731
    for s in (0.0, 0.4, 2.0):
        t = 2.0 - s
        beta = 0.2 + (12.0 - 0.2) * t / 2.0
        exp_sde = 0.5 * beta * y + beta * score(t, y)
        exp_ode = 0.5 * beta * y + 0.5 * beta * score(t, y)
        assert torch.allclose(vp.reverse(score).drift(s, y), exp_sde, rtol=CLOSED_FORM_RTOL)
        assert torch.allclose(vp.reverse(score, True).drift(s, y), exp_ode, rtol=CLOSED_FORM_RTOL)
        assert vp.reverse(score).diffusion(s) == pytest.approx(math.sqrt(beta), rel=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("process", PROCESS_CASES, ids=IDS)
def test_shape_agnostic_image_batches_and_numpy(process):
    x = torch.randn(3, 2, 4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    t = 0.3 * process.T
    alpha, sigma = process.marginal_coefficients(t)
    assert process.drift(t, x).shape == x.shape
    mean, std = process.marginal(t, x)
    assert mean.shape == x.shape and torch.allclose(mean, alpha * x) and std == sigma
    a = (process.drift(t, np.ones(1))[0])
    assert torch.allclose(process.drift(np.float64(t), x), a * x)  # numpy scalar time
    assert np.isscalar(process.diffusion(t)) or np.ndim(process.diffusion(t)) == 0
    rev = process.reverse(lambda tt, z: -z)
    assert rev.drift(0.1, x).shape == x.shape
    # vectorised coefficients over an array of times
    alphas, sigmas = process.marginal_coefficients(np.array([0.0, t]))
    assert alphas.shape == (2,) and alphas[1] == pytest.approx(alpha) and sigmas[0] == 0.0


@pytest.mark.parametrize("process", PROCESS_CASES, ids=IDS)
def test_prior_is_isotropic_gaussian(process):
    prior = process.prior(3)
    assert np.allclose(prior.mean(), 0.0)
    assert np.allclose(prior.covariance(), process.prior_std**2 * np.eye(3))


def test_registry_and_validation():
    assert set(PROCESSES) == {"ou", "vp", "ve", "subvp"}
    assert all(cls.name == key for key, cls in PROCESSES.items())
    bad = [
        (lambda: OrnsteinUhlenbeck(T=0.0), "process.T"),
        (lambda: OrnsteinUhlenbeck(T=float("inf")), "process.T"),
        (lambda: VariancePreserving(beta_min=5.0, beta_max=1.0), "process.beta_max"),
        (lambda: VariancePreserving(beta_min=-1.0), "process.beta_min"),
        (lambda: VarianceExploding(sigma_min=1.0, sigma_max=1.0), "process.sigma_max"),
        (lambda: VarianceExploding(sigma_min=0.0), "process.sigma_min"),
        (lambda: OrnsteinUhlenbeck(1.0).prior(0), "process.dim"),
    ]
    for make, key in bad:
        with pytest.raises(ConfigError, match=key):
            make()
