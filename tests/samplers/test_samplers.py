"""Samplers: declared orders, exact flows, PC steps, moment recursions, shapes, registry, devices, refusals."""

from __future__ import annotations

import importlib
import re
import math

import numpy as np
import pytest
import torch
from scipy.stats import linregress

from theorylab.distributions import Gaussian
from theorylab.errors import ConfigError
from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving
from theorylab.samplers import (SAMPLERS, HeunPFODESampler, PredictorCorrectorSampler, ReverseEMSampler,
                                ReverseSDESampler, TimeGrid, get_sampler)
from theorylab.scores import ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA, RATE_SLOPE_ATOL

MU = np.array([1.0, -2.0])
SIGMA = np.array([[0.6, 0.2], [0.2, 0.4]])
TARGET = Gaussian(MU, SIGMA)


def _law_error_of_affine_map(sampler, grid, score, law_T, target):
    """Push N(mu_T, S_T) through the sampler's map (affine for affine scores) and measure the law error.

    The map x -> A x + b is recovered from the images of 0 and of the basis vectors.
    """
    d = target.dim
    pts = torch.tensor(np.vstack([np.zeros(d), np.eye(d)]), dtype=torch.float64)
    out = sampler.sample(score, grid, d + 1, x_init=pts).numpy()
    b, A = out[0], (out[1:] - out[0]).T
    mean, cov = A @ law_T.mean() + b, A @ law_T.covariance() @ A.T
    return np.linalg.norm(mean - target.mean()) + np.linalg.norm(cov - target.covariance())


def test_heun_pf_ode_converges_at_its_declared_order():
    # Started from the exact p_T, the exact flow returns exactly the target: the error is pure discretisation.
    T = 2.0
    sampler = HeunPFODESampler()
    steps, errors = [], []
    for N in (20, 40, 80, 160):
        grid = TimeGrid.constant(T, T / N)
        steps.append(T / N)
        errors.append(_law_error_of_affine_map(sampler, grid, ExactScore(TARGET), TARGET.ou_marginal(T), TARGET))
    fit = linregress(np.log(steps), np.log(errors))
    assert abs(fit.slope - sampler.weak_order) <= RATE_SLOPE_ATOL, fit
    assert sampler.weak_order == sampler.strong_order == 2.0


@pytest.mark.parametrize("process", [OrnsteinUhlenbeck(2.0), VariancePreserving(0.1, 20.0, 1.0),
                                     VarianceExploding(0.01, 5.0, 2.0)], ids=["ou", "vp", "ve"])
def test_adaptive_pf_ode_is_the_exact_transport_map_in_1d(process):
    # In 1D the probability-flow map of a Gaussian is the monotone rearrangement
    # x -> mu_0 + (s_0 / s_T)(x - mu_T) (Song et al. 2021: same marginals; monotone since it is a flow).
    target = Gaussian([0.7], [[0.3]])
    alpha, sigma = process.marginal_coefficients(process.T)
    mu_T, s_T = alpha * 0.7, math.sqrt(alpha**2 * 0.3 + sigma**2)
    x = torch.linspace(-3.0, 3.0, 7, dtype=torch.float64)[:, None] * s_T + mu_T
    grid = TimeGrid.constant(process.T, process.T / 4)
    # solve_ivp tolerances 1e-12, 1000x below CLOSED_FORM_RTOL (observed global error ~1e-12)
    sampler = get_sampler("pf-ode-adaptive", rtol=CLOSED_FORM_ATOL, atol=CLOSED_FORM_ATOL)
    out = sampler.sample(ExactScore(target, process=process), grid, 7, process=process, x_init=x)
    expected = 0.7 + math.sqrt(0.3) / s_T * (x - mu_T)
    assert torch.allclose(out, expected, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_RTOL * s_T)
    assert sampler.last_nfev > 0
    _, traj = sampler.sample(ExactScore(target, process=process), grid, 7, process=process, x_init=x,
                             return_trajectory=True)
    assert traj.shape == (grid.N + 1, 7, 1) and torch.equal(traj[0], x)


def _moment_recursion(process, grid, score):
    """Exact mean/covariance of the reverse-SDE EM output for an affine score, Y_0 ~ N(0, prior_std^2 I)."""
    mean, cov = np.zeros(2), process.prior_std**2 * np.eye(2)
    for t, h in zip(grid.forward_times, grid.backward_gammas):
        A, b = score.affine(t)
        a = float(process.drift(t, np.ones(1))[0])  # f(t, x) = a(t) x
        g2 = float(process.diffusion_squared(t))
        M = np.eye(2) + h * (-a * np.eye(2) + g2 * A)
        mean = M @ mean + h * g2 * b
        cov = M @ cov @ M.T + g2 * h * np.eye(2)
    return mean, cov


@pytest.mark.parametrize("name,process", [("reverse-em", OrnsteinUhlenbeck(1.695)),
                                          ("reverse-sde", VariancePreserving(0.1, 20.0, 2.0))])
def test_em_output_moments_match_the_linear_recursion(name, process):
    # linear(0.01, 0.1, 30) has T = 30 * 0.01 + 0.09 * 15.5 = 1.695
    grid = TimeGrid.linear(0.01, 0.1, 30) if name == "reverse-em" else TimeGrid.constant(2.0, 0.05)
    score = ExactScore(TARGET, process=process)
    n = 20_000
    out = get_sampler(name).sample(score, grid, n, np.random.default_rng(3), process=process).numpy()
    mean, cov = _moment_recursion(process, grid, score)
    se = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(out.mean(0) - mean) <= MC_SIGMA * se)
    se_var = np.diag(cov) * math.sqrt(2.0 / (n - 1))
    assert np.all(np.abs(out.var(0) - np.diag(cov)) <= MC_SIGMA * se_var)


@pytest.mark.parametrize("process", [OrnsteinUhlenbeck(0.4), VariancePreserving(0.5, 2.0, 0.4)], ids=["ou", "vp"])
def test_pc_matches_hand_unrolled_langevin_corrector_and_predictor(process):
    grid = TimeGrid.constant(0.4, 0.2)
    snr, n_corr = 0.2, 1
    score = ExactScore(TARGET, process=process)
    rng = np.random.default_rng(11)
    y0 = rng.standard_normal((2, 2))
    z = rng.standard_normal((grid.N * (n_corr + 1), 2, 2))
    y, draw = y0.copy(), iter(z)
    for t, h in zip(grid.forward_times, grid.backward_gammas):
        # alpha_i = 1 - beta_i, the discrete beta_i = 1 - abar(t)/abar(t - h) on the process's own clock (the same
        # number for OU and for a VP process with the same clock; score_sde's 1 - beta(t) h is its first order)
        if isinstance(process, VariancePreserving):
            beta = 0.5 + (2.0 - 0.5) * t / 0.4
            B = 0.5 * h * ((0.5 + 1.5 * t / 0.4) + (0.5 + 1.5 * (t - h) / 0.4))  # int_{t-h}^t beta (linear)
            alpha_i, a, g2 = np.exp(-B), -0.5 * beta, beta
        else:
            alpha_i, a, g2 = np.exp(-2.0 * h), -1.0, 2.0
        s = score(t, y)
        zc = next(draw)
        eps = 2 * alpha_i * (snr * np.linalg.norm(zc, axis=1).mean() / np.linalg.norm(s, axis=1).mean()) ** 2
        y = y + eps * s + np.sqrt(2 * eps) * zc
        y = y + h * (-a * y + g2 * score(t, y)) + np.sqrt(g2 * h) * next(draw)
    out = PredictorCorrectorSampler(snr=snr, n_corrector=n_corr).sample(
        score, grid, 2, process=process, x_init=torch.tensor(y0), noise=torch.tensor(z))
    assert np.allclose(out.numpy(), y, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_pc_without_corrector_is_reverse_sde():
    process = VarianceExploding(0.01, 5.0, 1.0)
    grid = TimeGrid.constant(1.0, 0.05)
    score = ExactScore(TARGET, process=process)
    a = PredictorCorrectorSampler(n_corrector=0).sample(score, grid, 50, 9, process=process)
    b = ReverseSDESampler().sample(score, grid, 50, 9, process=process)
    assert torch.equal(a, b)
    assert PredictorCorrectorSampler(n_corrector=0).weak_order == 1.0
    assert PredictorCorrectorSampler(n_corrector=2).weak_order is None
    # the corrector factor is (alpha_t / alpha_{t-h})^2 in (0, 1]: a coarse VP grid is no longer refused (score_sde's
    # first-order 1 - beta(t) h went negative there)
    vp = VariancePreserving(0.1, 20.0, 1.0)
    out = PredictorCorrectorSampler().sample(ExactScore(TARGET, process=vp), TimeGrid.constant(1.0, 0.1), 4, 0,
                                             process=vp)
    assert torch.isfinite(out).all()


def test_pc_is_the_same_for_ou_and_the_identical_vp_process():
    # VP with beta = 2 is OU on the same clock: every route must give the same output (issue 11).
    grid = TimeGrid.constant(0.6, 0.1)
    ou, vp = OrnsteinUhlenbeck(0.6), VariancePreserving(2.0, 2.0, 0.6)
    outs = [PredictorCorrectorSampler(snr=0.16, n_corrector=2).sample(ExactScore(TARGET, process=p), grid, 64, 3,
                                                                      process=p) for p in (ou, vp)]
    assert torch.allclose(outs[0], outs[1], rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_shape_agnostic_image_batches(name):
    # Target N(0, I) is stationary for OU: p_t = N(0, I), score -x, and the PF-ODE field y + s vanishes.
    x0 = torch.randn(3, 2, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    grid = TimeGrid.constant(1.0, 0.25)
    out, traj = get_sampler(name).sample(lambda t, x: -x, grid, 3, 1, x_init=x0, return_trajectory=True)
    assert out.shape == x0.shape and traj.shape == (grid.N + 1, *x0.shape) and torch.isfinite(out).all()
    if name.startswith("pf-ode"):
        assert torch.allclose(out, x0, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    fresh = get_sampler(name).sample(lambda t, x: -x, grid, 5, 2, dim=(2, 3))
    assert fresh.shape == (5, 2, 3) and fresh.dtype == torch.float64


def test_registry_orders_and_docstrings():
    for name, cls in SAMPLERS.items():
        sampler = cls()
        assert sampler.name == name
        for order in (sampler.weak_order, sampler.strong_order):
            assert order is None or order > 0
        doc = importlib.import_module(cls.__module__).__doc__
        # every scheme cites where it comes from: a seed slide, or a paper with its year
        assert doc and ("seed 000" in doc or "seed 002" in doc or re.search(r"(19|20)\d\d", doc)), name
    assert (ReverseEMSampler.weak_order, ReverseEMSampler.strong_order) == (1.0, 1.0)


def test_refusals_are_config_errors():
    grid = TimeGrid.constant(1.0, 0.1)
    score = ExactScore(TARGET)
    cases = [
        (lambda: get_sampler("ddim-v2"), "sampler.name"),
        (lambda: get_sampler("pc", snr=-1.0), "sampler.snr"),
        (lambda: get_sampler("pc", n_corrector=1.5), "sampler.n_corrector"),
        (lambda: get_sampler("pc", foo=1), "sampler.options"),
        (lambda: get_sampler("pf-ode-adaptive", rtol=0.0), "sampler.rtol"),
        (lambda: ReverseEMSampler().sample(score, grid, 0, 1), "sampler.n"),
        (lambda: ReverseEMSampler().sample(score, grid, 4), "sampler.generator"),
        (lambda: ReverseEMSampler().sample(score, grid, 4, "seed"), "sampler.generator"),
        (lambda: ReverseEMSampler().sample(score, grid, 4, 1, process=OrnsteinUhlenbeck(2.0)), "sampler.grid"),
        (lambda: ReverseEMSampler().sample(score, grid, 4, 1, process=VariancePreserving()), "sampler.process"),
        (lambda: get_sampler("ancestral").sample(score, grid, 4, 1, process=VarianceExploding()), "sampler.process"),
        (lambda: ReverseEMSampler().sample(lambda t, x: -x, grid, 4, 1), "sampler.dim"),
        (lambda: ReverseEMSampler().sample(score, grid, 4, 1, x_init=torch.zeros(3, 2)), "sampler.x_init"),
        (lambda: ReverseEMSampler().sample(score, grid, 4, 1, noise=torch.zeros(3, 4, 2)), "sampler.noise"),
    ]
    for make, key in cases:
        with pytest.raises(ConfigError, match=key):
            make()


def test_numpy_generator_is_reproducible():
    grid = TimeGrid.constant(1.0, 0.1)
    a = ReverseEMSampler().sample(ExactScore(TARGET), grid, 8, np.random.default_rng(4))
    b = ReverseEMSampler().sample(ExactScore(TARGET), grid, 8, rng=np.random.default_rng(4))
    assert torch.equal(a, b)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_cuda_matches_cpu_with_the_same_cpu_generator(name):
    grid = TimeGrid.cosine(20, 2.0)
    score = ExactScore(TARGET)
    cpu = get_sampler(name).sample(score, grid, 256, torch.Generator().manual_seed(0))
    gpu = get_sampler(name).sample(score, grid, 256, torch.Generator().manual_seed(0), device="cuda")
    assert gpu.device.type == "cuda"
    assert torch.allclose(gpu.cpu(), cpu, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
