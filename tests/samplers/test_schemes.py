"""Every registered scheme, through its one declaration: the torch sampler, the exact law and the grid law agree, and
the declared weak and strong orders are the fitted ones (issue 11).

Weak orders: started from the exact :math:`p_T` with the exact score of a Gaussian target, the output law differs
from the target only by discretisation; its exact law (the exact route) gives the error at each N without Monte
Carlo, and the slope of log(error) against log(N) is compared with the declared order.

Strong orders: the output is :math:`Y = Py_0 + q + \\sum_k L_k z_k` exactly (affine score), so the mean-square
difference between a run on N steps and on 2N steps driven by the *same Brownian path* (coarse increment
:math:`z^c_k = (z^f_{2k} + z^f_{2k+1})/\\sqrt2`) is a closed form; its slope against N is the strong order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy.stats import linregress

from theorylab.distributions import Gaussian
from theorylab.laws import affine_steps, gaussian_output_law, grid_output_law
from theorylab.processes import (OrnsteinUhlenbeck, SubVariancePreserving, VarianceExploding,
                                 VariancePreserving)
from theorylab.samplers import SAMPLERS, Sampler, TimeGrid, get_sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid
from theorylab.scores import ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, GRID_LAW_TV_ATOL, RATE_SLOPE_ATOL

TARGET_2D = Gaussian([0.5, -1.0], [[0.7, 0.1], [0.1, 0.3]])
TARGET_1D = Gaussian([-1.0], [[0.25]])

#: (registry name, options, process name) for every sampler and the option variants that change the scheme.
CASES = [
    ("reverse-em", {}, "ou"),
    ("ancestral", {}, "ou"),
    ("reverse-sde", {}, "vp"),
    ("pf-ode-euler", {}, "vp"),
    ("pf-ode", {}, "ve"),
    ("pf-ode-rk4", {}, "vp"),
    ("pc", {"step_size": 0.01, "n_corrector": 1}, "vp"),
    ("exponential-integrator", {}, "ou"),
    ("exponential-integrator", {}, "vp"),
    ("exponential-integrator", {}, "subvp"),
    ("ddpm", {}, "vp"),
    ("ddpm", {"variance": "forward"}, "ve"),
    ("ddpm-euler", {}, "ou"),  # beta_n = g^2 h < 1 on the N = 8, 12 grids of the fast checks (VP here: 12 h)
    ("ddim", {"eta": 0.0}, "vp"),
    ("ddim", {"eta": 0.5}, "subvp"),
    ("ddim", {"eta": 0.5}, "vp"),
    ("reverse-diffusion", {}, "ve"),
    ("annealed-langevin", {"eps": 0.05, "n_steps_each": 3}, "ve"),
    ("edm", {}, "ve"),
    ("edm", {"s_churn": 2.0}, "vp"),
    ("dpm-solver-2", {}, "vp"),
]
IDS = [f"{n}-{p}" + ("-" + "-".join(f"{k}{v}" for k, v in o.items()) if o else "") for n, o, p in CASES]


def make_process(name: str, T: float):
    return {"ou": lambda: OrnsteinUhlenbeck(T), "vp": lambda: VariancePreserving(0.1, 12.0, T),
            "subvp": lambda: SubVariancePreserving(0.1, 12.0, T), "ve": lambda: VarianceExploding(0.05, 4.0, T)}[name]()


def make_grid(name: str, process, N: int, karras: bool = True, eps: float = 1e-3):
    """The Karras schedule for edm (its last step goes to t = 0), a constant grid for the others, stopped at ``eps``
    for the schemes written in sigma_t ratios that need sigma > 0 at the end."""
    if name == "edm" and karras:
        return TimeGrid.karras(process, N, sigma_min=0.02)
    grid = TimeGrid.constant(process.T, process.T / N)
    return grid.early_stopped(eps) if name in ("dpm-solver-2", "ddim", "annealed-langevin", "edm") else grid


def make_score(name: str, target, grid, process):
    if name == "ancestral":
        return ExactScore(target, convention="ancestral", grid=grid)
    return ExactScore(target, process=process)


def test_every_registered_sampler_is_covered():
    assert {name for name, _, _ in CASES} == set(SAMPLERS) - {"pf-ode-adaptive"}


@pytest.mark.parametrize("name,options,proc", CASES, ids=IDS)
def test_exact_law_replays_the_torch_sampler_with_the_same_noise(name, options, proc):
    """The affine maps the exact route reads off the declaration reproduce the torch sampler's particles."""
    process = make_process(proc, 1.0)
    grid = make_grid(name, process, 12)
    score = make_score(name, TARGET_2D, grid, process)
    sampler = get_sampler(name, **options)
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((5, 2))
    K = sampler.noise_draws(grid, process)
    z = rng.standard_normal((K, 5, 2))
    out = sampler.sample(score, grid, 5, x_init=torch.tensor(x0), noise=torch.tensor(z) if K else None,
                         process=process).numpy()
    y, k = x0.copy(), 0
    for step in affine_steps(sampler, score, grid, process, 2):
        y = y @ step.matrix.T + step.shift
        if step.noise_var > 0.0:
            y = y + math.sqrt(step.noise_var) * z[k]
            k += 1
    assert k == K
    assert np.allclose(y, out, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@pytest.mark.parametrize("name,options,proc", CASES, ids=IDS)
def test_grid_law_equals_the_exact_law(name, options, proc):
    """The grid route (kernel quadrature / Newton inversion of the same declaration) gives the exact Gaussian."""
    process = make_process(proc, 1.0)
    # DDIM's kernel at eta > 0 has variance ~ sigma_{t-}^2 h: stop at 0.05 so one uniform grid resolves every step
    grid = make_grid(name, process, 8, eps=0.05 if name == "ddim" else 1e-3)
    score = make_score(name, TARGET_1D, grid, process)
    sampler = get_sampler(name, **options)
    exact = gaussian_output_law(score, sampler, grid, process=process).law
    law = grid_output_law(score, sampler, grid, process=process, target=TARGET_1D, tol=1e-9)
    nodes = law.law.axes[0]
    truth = exact.pdf(nodes[:, None])
    tv = 0.5 * float(np.sum(np.abs(law.law.density - truth)) * (nodes[1] - nodes[0]))
    assert tv <= GRID_LAW_TV_ATOL + law.error.tv_bound, (tv, law.error.note)


def _exact_error(name, options, proc, N):
    process = make_process(proc, 1.0)
    # EDM on the Karras schedule ends with a fixed Euler step from sigma_min to 0 (an error floor that does not
    # shrink with N): its order is that of Heun in sigma, measured on a grid that stops before t = 0
    grid = make_grid(name, process, N, karras=False)
    score = make_score(name, TARGET_2D, grid, process)
    alpha, sigma = process.marginal_coefficients(float(grid.T))
    p_T = TARGET_2D.affine_pushforward(alpha * np.eye(2), np.zeros(2), sigma**2 * np.eye(2))
    t0 = float(grid.cumulative_times[0])  # early-stopped grids end at t0: compare with p_{t0}
    a0, s0 = process.marginal_coefficients(t0)
    goal = TARGET_2D.affine_pushforward(a0 * np.eye(2), np.zeros(2), s0**2 * np.eye(2))
    out = gaussian_output_law(score, get_sampler(name, **options), grid, process=process, initial=p_T).law
    return np.linalg.norm(out.mean() - goal.mean()) + np.linalg.norm(out.covariance() - goal.covariance())


ORDER_CASES = [c for c in CASES if get_sampler(c[0], **c[1]).weak_order is not None and c[0] != "ancestral"]


@pytest.mark.parametrize("name,options,proc", ORDER_CASES,
                         ids=[IDS[CASES.index(c)] for c in ORDER_CASES])
def test_fitted_weak_order_is_the_declared_one(name, options, proc):
    # DDPM's error is pre-asymptotic below N ~ 256 on this VP schedule (slopes 0.87, 0.92, 0.94, 0.96 from N = 64)
    Ns = (256, 512, 1024) if name == "ddpm" else (64, 128, 256)
    errors = [_exact_error(name, options, proc, N) for N in Ns]
    fit = linregress(np.log(Ns), np.log(errors))
    assert abs(-fit.slope - get_sampler(name, **options).weak_order) <= RATE_SLOPE_ATOL, (errors, fit.slope)


def _loadings(sampler, score, grid, process, d):
    """``(P, q, L)``: the output is P y0 + q + sum_k L[k] z_k exactly (affine score), one Brownian increment per
    step (``L[k] = M_K ... M_{k+1} sqrt(v_k)``, zero for a noiseless step); suffix products, O(N) matrix products."""
    steps = affine_steps(sampler, score, grid, process, d)
    P, q = np.eye(d), np.zeros(d)
    for step in steps:
        P, q = step.matrix @ P, step.matrix @ q + step.shift
    L, suffix = [], np.eye(d)
    for step in reversed(steps):
        L.append(math.sqrt(step.noise_var) * suffix)
        suffix = suffix @ step.matrix
    return P, q, L[::-1]


def _strong_gap(name, options, proc, N):
    """sqrt E|Y_N - Y_2N|^2 with the coarse increments built from the fine ones, y0 ~ N(0, I), 1D target."""
    process = make_process(proc, 1.0)
    sampler = get_sampler(name, **options)
    out = []
    for n in (N, 2 * N):
        grid = TimeGrid.constant(1.0, 1.0 / n)
        out.append(_loadings(sampler, make_score(name, TARGET_1D, grid, process), grid, process, 1))
    (Pc, qc, Lc), (Pf, qf, Lf) = out
    assert len(Lc) == N and len(Lf) == 2 * N
    second = np.sum((Pc - Pf) ** 2) + np.sum((qc - qf) ** 2)
    for k in range(N):
        second += np.sum((Lc[k] / math.sqrt(2) - Lf[2 * k]) ** 2) + np.sum((Lc[k] / math.sqrt(2) - Lf[2 * k + 1]) ** 2)
    return math.sqrt(second)


STRONG_CASES = [c for c in CASES if c[0] in ("reverse-sde", "exponential-integrator", "ddpm", "ddpm-euler",
                                             "reverse-diffusion")
                or (c[0] == "ddim" and c[1]["eta"] > 0 and c[2] == "vp")]


def _posterior_noise(name, options):
    """DDPM and DDIM with eta > 0 have strong order 1/2: DDPM adds no noise on its last step (Ho et al., Algorithm 2),
    and with the posterior variance (DDPM, DDIM eta > 0) the noise near t = 0 is sigma_{t-}^2/sigma_{t+}^2 times the
    Brownian increment's; the order is reached late (slopes 0.68, 0.63, 0.56, 0.52 for DDPM from N = 64 to 16384),
    so these are fitted at N = 4096, 8192 in the slow suite."""
    return name in ("ddpm", "ddim")


@pytest.mark.parametrize("name,options,proc", [
    pytest.param(*c, id=IDS[CASES.index(c)], marks=[pytest.mark.slow] if _posterior_noise(c[0], c[1]) else [])
    for c in STRONG_CASES])
def test_fitted_strong_order_is_the_declared_one(name, options, proc):
    Ns = (4096, 8192) if _posterior_noise(name, options) else (32, 64, 128)
    gaps = [_strong_gap(name, options, proc, N) for N in Ns]
    fit = linregress(np.log(Ns), np.log(gaps))
    assert abs(-fit.slope - get_sampler(name, **options).strong_order) <= RATE_SLOPE_ATOL, (gaps, fit.slope)


def test_posterior_noise_makes_the_strong_order_one_half():
    # the fast witness of the slow fits: at N = 512 DDPM's coupled gap already shrinks clearly slower than h, the
    # reverse-diffusion predictor's (noise at every step, forward variance) like h
    fast = [_strong_gap("reverse-diffusion", {}, "vp", N) for N in (256, 512)]
    slow = [_strong_gap("ddpm", {}, "vp", N) for N in (256, 512)]
    assert math.log(fast[0] / fast[1], 2) > 0.9 and math.log(slow[0] / slow[1], 2) < 0.75


def test_ddim_with_eta_one_is_ddpm_with_the_posterior_variance():
    process = make_process("vp", 1.0)
    grid = TimeGrid.constant(1.0, 0.05).early_stopped(1e-3)
    score = ExactScore(TARGET_2D, process=process)
    a = affine_steps(get_sampler("ddim", eta=1.0), score, grid, process, 2)
    b = affine_steps(get_sampler("ddpm", variance="posterior"), score, grid, process, 2)
    assert b[-1].noise_var == 0.0 < a[-1].noise_var  # DDPM's last step is noiseless (Ho et al., Algorithm 2)
    a[-1] = dataclasses.replace(a[-1], noise_var=0.0)
    for sa, sb in zip(a, b):
        assert np.allclose(sa.matrix, sb.matrix, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
        assert np.allclose(sa.shift, sb.shift, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
        assert math.isclose(sa.noise_var, sb.noise_var, rel_tol=CLOSED_FORM_RTOL, abs_tol=CLOSED_FORM_ATOL)


def test_exponential_integrator_on_ou_is_chen_et_al_eq_2_4():
    # Y' = e^h Y + 2(e^h - 1) s(t, Y) + sqrt(e^{2h} - 1) Z  (Chen, Chewi, Li, Li, Salim, Zhang 2023, eq. 2.4)
    h = 0.1
    grid = TimeGrid.constant(1.0, h)
    score = ExactScore(TARGET_1D)
    (A, b), = [score.affine(1.0)]
    step = affine_steps(get_sampler("exponential-integrator"), score, grid, OrnsteinUhlenbeck(1.0), 1)[0]
    assert np.allclose(step.matrix, math.exp(h) + 2 * math.expm1(h) * A, rtol=CLOSED_FORM_RTOL)
    assert np.allclose(step.shift, 2 * math.expm1(h) * b, rtol=CLOSED_FORM_RTOL)
    assert math.isclose(step.noise_var, math.expm1(2 * h), rel_tol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("proc", ["ou", "vp", "ve", "subvp"])
def test_score_integral_closed_forms_equal_quadrature(proc):
    from theorylab.processes.base import Process

    process = make_process(proc, 1.0)
    for lo, hi in [(0.0, 0.1), (0.3, 0.35), (0.5, 1.0)]:
        assert math.isclose(process.score_integral(lo, hi), Process.score_integral(process, lo, hi),
                            rel_tol=1e-10)


def test_subvp_marginal_variance_solves_its_moment_ode():
    # d sigma_t^2 / dt = 2 a(t) sigma_t^2 + g(t)^2 (the variance ODE of dX = aX dt + g dB started at X_0 = 0)
    process = SubVariancePreserving(0.1, 12.0, 1.0)
    for t in (0.05, 0.3, 0.9):
        dt = 1e-6
        var = lambda u: float(process.marginal_coefficients(u)[1]) ** 2  # noqa: E731
        lhs = (var(t + dt) - var(t - dt)) / (2 * dt)
        rhs = 2 * process.drift_rate(t) * var(t) + float(process.diffusion_squared(t))
        assert math.isclose(lhs, rhs, rel_tol=1e-6)


def test_early_stopping_and_denoising_reach_the_target_as_eps_shrinks():
    from theorylab.samplers.denoise import TweedieDenoised

    process = make_process("vp", 1.0)
    errors = []
    for eps in (1e-1, 1e-2):
        grid = TimeGrid.constant(1.0, 1.0 / 400).early_stopped(eps)
        alpha, sigma = process.marginal_coefficients(1.0)
        p_T = TARGET_1D.affine_pushforward(alpha * np.eye(1), np.zeros(1), sigma**2 * np.eye(1))
        out = gaussian_output_law(ExactScore(TARGET_1D, process=process), TweedieDenoised(get_sampler("ddim")),
                                  grid, process=process, initial=p_T).law
        errors.append(abs(out.covariance()[0, 0] - TARGET_1D.covariance()[0, 0]))  # Tweedie shrinks the variance
    assert errors[1] < errors[0] / 5


# ------------------------------------------------------------------------------------------------------------------
# A sampler defined outside the package gets every route from its declaration alone (issue 11, "one file plus one
# registry line": here not even the registry line).
# ------------------------------------------------------------------------------------------------------------------
class StochasticMidpoint(Sampler):
    """A test-only scheme: midpoint (RK2) drift of the reverse SDE plus its Euler--Maruyama noise."""

    name = "test-stochastic-midpoint"
    weak_order = 1.0
    strong_order = 1.0

    def declare(self, grid, process) -> Chain:
        def build(n, t_hi, t_lo, h):
            t_mid = 0.5 * (t_hi + t_lo)
            g2_hi, g2_mid = float(process.diffusion_squared(t_hi)), float(process.diffusion_squared(t_mid))

            def drift(y, ev, t, g2):
                return -process.drift_rate(t) * y + g2 * ev.score(t, y)

            def mean(y, ev):
                half = y + (0.5 * h) * drift(y, ev, t_hi, g2_hi)
                return y + h * drift(half, ev, t_mid, g2_mid)

            return [Transition(mean, g2_hi * h, (t_hi, t_mid))]

        return chain_over_grid(grid, build)


def test_a_sampler_defined_outside_the_package_gets_exact_and_grid_laws():
    process = make_process("vp", 1.0)
    grid = TimeGrid.constant(1.0, 0.1)
    score = ExactScore(TARGET_1D, process=process)
    sampler = StochasticMidpoint()
    exact = gaussian_output_law(score, sampler, grid, process=process)
    gridded = grid_output_law(score, sampler, grid, process=process, target=TARGET_1D, tol=1e-9)
    nodes = gridded.law.axes[0]
    tv = 0.5 * float(np.sum(np.abs(gridded.law.density - exact.law.pdf(nodes[:, None]))) * (nodes[1] - nodes[0]))
    assert tv <= GRID_LAW_TV_ATOL + gridded.error.tv_bound
    samples = sampler.sample(score, grid, 40_000, 0, process=process).numpy()
    se = math.sqrt(exact.law.covariance()[0, 0] / samples.shape[0])
    assert abs(samples.mean() - exact.law.mean()[0]) <= 5 * se
