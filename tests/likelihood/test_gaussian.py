"""Closed forms of the probability-flow model on Gaussian targets against independent routes.

Independent routes: the flow map against ``solve_ivp`` of the PF-ODE; the expected NLL against
``scipy.stats.multivariate_normal.entropy`` + ``theorylab.divergences.kl_gaussian`` of the model law written in the
original coordinates; the per-sample log-density against the integrated change of variables.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.integrate import solve_ivp

from theorylab.distributions import Gaussian
from theorylab.divergences.gaussian import kl_gaussian
from theorylab.likelihood.field import AffineDiagonalField, TorchField
from theorylab.likelihood.gaussian import DiagonalGaussianFlow, eigenbasis
from theorylab.likelihood.ode import integrate_divergence
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.scores import BiasedScore, ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, LIKELIHOOD_ODE_ATOL, LINALG_RTOL

PROCESSES = {
    "ou": OrnsteinUhlenbeck(1.5),
    "vp": VariancePreserving(0.1, 20.0, 1.0),
    "ve": VarianceExploding(0.01, 5.0, 1.0),
}
LAM = np.array([0.3, 1.0, 2.5])
M_EIG = np.array([0.5, -1.0, 2.0])
BIAS = np.array([0.4, 0.0, -0.3])


def _ode_flow(flow: DiagonalGaussianFlow, z0: np.ndarray, t0: float, t1: float) -> np.ndarray:
    sol = solve_ivp(lambda t, y: flow.velocity(t, y.reshape(z0.shape)).reshape(-1), (t0, t1), z0.reshape(-1),
                    method="DOP853", rtol=1e-12, atol=1e-12)
    return sol.y[:, -1].reshape(z0.shape)


@pytest.mark.parametrize("name", PROCESSES)
@pytest.mark.parametrize("bias", [np.zeros(3), BIAS], ids=["exact", "biased"])
def test_flow_map_matches_the_ode(name, bias):
    flow = DiagonalGaussianFlow(PROCESSES[name], LAM, M_EIG, bias)
    z0 = np.random.default_rng(0).normal(size=(5, 3))
    T = PROCESSES[name].T
    closed = flow.flow(z0, 1e-3, T)
    scale = max(1.0, float(np.abs(closed).max()))
    assert np.allclose(closed, _ode_flow(flow, z0, 1e-3, T), rtol=0, atol=LIKELIHOOD_ODE_ATOL * scale)


@pytest.mark.parametrize("name", PROCESSES)
def test_exact_score_transports_the_marginals(name):
    """With b = 0 the flow maps p_eps = N(mu_eps, v_eps) onto p_T exactly: r^2 v_eps = v_T, beta = 0."""
    flow = DiagonalGaussianFlow(PROCESSES[name], LAM, M_EIG, np.zeros(3))
    r, beta = flow.flow_coefficients(0.01, PROCESSES[name].T)
    assert np.allclose(r**2 * flow.variance(0.01), flow.variance(PROCESSES[name].T), rtol=CLOSED_FORM_RTOL)
    assert np.all(beta == 0.0)


def _model_law_original_coords(flow, Q, eps, T, prior_var):
    """q_eps = law of F^{-1}(Y), Y ~ N(0, c^2 I), written back in the original coordinates (independent algebra)."""
    r, beta = flow.flow_coefficients(eps, T)
    mean_eig = flow.mean(eps) + (0.0 - flow.mean(T) - beta) / r
    cov_eig = np.diag(prior_var / r**2)
    return Gaussian(Q @ mean_eig, Q @ cov_eig @ Q.T)


@pytest.mark.parametrize("name", PROCESSES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_expected_nll_is_entropy_plus_kl(name, with_bias):
    rng = np.random.default_rng(3)
    A = rng.normal(size=(3, 3))
    cov = A @ A.T + 0.5 * np.eye(3)
    mean = rng.normal(size=3)
    lam, Q = eigenbasis(cov)
    process = PROCESSES[name]
    bias = (0.7 * np.array([1.0, 0.0, 0.0]) @ Q) if with_bias else np.zeros(3)
    flow = DiagonalGaussianFlow(process, lam, mean @ Q, bias)
    c2 = process.prior_std**2
    prior_var = np.full(3, c2)
    got = flow.expected_nll(1e-3, process.T, np.zeros(3), prior_var)
    data = Gaussian(mean, cov)
    model = _model_law_original_coords(flow, Q, 1e-3, process.T, prior_var)
    want = stats.multivariate_normal(mean, cov).entropy() + kl_gaussian(data, model).value
    assert got == pytest.approx(want, rel=LINALG_RTOL, abs=CLOSED_FORM_ATOL)


def test_gap_chain_adds_up_and_vanishes_for_a_perfect_model():
    process = PROCESSES["ou"]
    flow = DiagonalGaussianFlow(process, LAM, M_EIG, np.zeros(3))
    perfect = flow.gap_chain(0.0, process.T, flow.mean(process.T), flow.variance(process.T))
    assert perfect["exact_nll"] == pytest.approx(flow.entropy(), rel=CLOSED_FORM_RTOL)
    assert abs(perfect["prior_mismatch"]) + abs(perfect["score_error"]) < 1e-9
    biased = DiagonalGaussianFlow(process, LAM, M_EIG, BIAS)
    chain = biased.gap_chain(0.01, process.T, np.zeros(3), np.ones(3))
    parts = chain["entropy"] + chain["score_error"] + chain["prior_mismatch"] + chain["eps_truncation"]
    assert parts == pytest.approx(chain["exact_nll"], rel=CLOSED_FORM_RTOL)
    assert chain["score_error"] > 0.0  # a biased score is a worse model (KL > 0 at eps = 0 with prior p_T)


@pytest.mark.parametrize("name", PROCESSES)
def test_change_of_variables_integrated_equals_closed_form_per_sample(name):
    process = PROCESSES[name]
    flow = DiagonalGaussianFlow(process, LAM, M_EIG, BIAS)
    z = np.random.default_rng(1).normal(size=(6, 3)) * np.sqrt(LAM) + M_EIG
    prior_var = np.full(3, process.prior_std**2)
    sol = integrate_divergence(AffineDiagonalField(flow, exact=True, probes=None), z, 1e-3, process.T,
                               rtol=1e-10, atol=1e-10, method="DOP853")
    log_prior = -0.5 * np.sum(sol.x_end**2 / prior_var + np.log(2 * np.pi * prior_var), axis=-1)
    closed = flow.log_model_density(z, 1e-3, process.T, np.zeros(3), prior_var)
    assert np.allclose(log_prior + sol.int_exact, closed, rtol=0, atol=LIKELIHOOD_ODE_ATOL)
    # mutation: the wrong sign of the divergence term is caught
    assert not np.allclose(log_prior - sol.int_exact, closed, rtol=0, atol=LIKELIHOOD_ODE_ATOL)


@pytest.mark.parametrize("name", ["ou", "vp"])
def test_autograd_field_equals_affine_field(name):
    """The autograd route (TorchField with ExactScore + bias, full covariance) equals the analytic one."""
    process = PROCESSES[name]
    cov = np.array([[1.0, 0.4], [0.4, 0.6]])
    mean = np.array([0.3, -0.5])
    target = Gaussian(mean, cov)
    score = BiasedScore(ExactScore(target, process=process), 0.5)
    lam, Q = eigenbasis(cov)
    flow = DiagonalGaussianFlow(process, lam, mean @ Q, (0.5 * np.array([1.0, 0.0])) @ Q)
    x = target.sample(4, np.random.default_rng(2))
    probes = np.random.default_rng(5).standard_normal((2, 4, 2))
    t = 0.37
    u1, e1, h1 = TorchField(process, score, exact=True, probes=probes)(t, x)
    u2, e2, h2 = AffineDiagonalField(flow, exact=True, probes=probes, Q=Q)(t, x @ Q)
    assert np.allclose(u1 @ Q, u2, rtol=LINALG_RTOL, atol=CLOSED_FORM_ATOL)
    assert np.allclose(e1, e2, rtol=LINALG_RTOL)
    assert np.allclose(h1, h2, rtol=LINALG_RTOL)


def test_rademacher_probe_is_exact_on_a_diagonal_jacobian_and_gaussian_is_not():
    process = PROCESSES["vp"]
    flow = DiagonalGaussianFlow(process, LAM, M_EIG, np.zeros(3))
    z = np.zeros((3, 3))
    rng = np.random.default_rng(0)
    rad = rng.choice([-1.0, 1.0], size=(1, 3, 3))
    gau = rng.standard_normal((1, 3, 3))
    _, exact, h_rad = AffineDiagonalField(flow, exact=True, probes=rad)(0.5, z)
    _, _, h_gau = AffineDiagonalField(flow, exact=True, probes=gau)(0.5, z)
    assert np.allclose(h_rad, exact, rtol=CLOSED_FORM_RTOL)
    assert not np.allclose(h_gau, exact, rtol=1e-3)
