"""Closed-form output laws (theorylab.laws.gaussian / affine) against the torch samplers.

Independent routes:

* the torch samplers themselves, replayed with the SAME explicit noise and starting points: for an affine score the
  output is an affine function of (start, noise), so it must agree with the affine steps to rounding;
* large Monte Carlo runs (2e5 particles, fixed seeds) of the samplers, compared with the closed-form mean and
  covariance within MC_SIGMA standard errors (mean: from the covariance; covariance entries: from fourth moments);
* hand recursions written from the OU marginal variances (BiasedScore shift), and the defining property of the
  probability-flow ODE (started from the exact p_T it returns the target; Song et al. 2021).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.laws.cases import G1, G2, GRIDS, SEED_GMM, exact_score, processes
from theorylab.distributions import Gaussian
from theorylab.errors import ConfigError
from theorylab.laws import (NoClosedFormError, affine_output_map, affine_steps, flow_map, gaussian_output_law,
                            moment_standard_errors)
from theorylab.processes import OrnsteinUhlenbeck
from theorylab.samplers import AdaptivePFODESampler, TimeGrid, get_sampler
from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA, ODE_AGREEMENT_ATOL

# (sampler name, process name, sampler options)
REPLAY_CASES = [
    ("reverse-em", "ou", {}),
    ("ancestral", "ou", {}),
    ("reverse-sde", "ou", {}),
    ("reverse-sde", "vp", {}),
    ("reverse-sde", "ve", {}),
    ("pf-ode", "ou", {}),
    ("pf-ode", "vp", {}),
    ("pc", "vp", {"n_corrector": 0}),
]


def _replay(steps, x0: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Apply the affine steps to particles with the given noise draws (one draw per stochastic step)."""
    y, k = x0.copy(), 0
    for s in steps:
        y = y @ s.matrix.T + s.shift
        if s.noise_var > 0.0:
            y = y + math.sqrt(s.noise_var) * z[k]
            k += 1
    return y


@pytest.mark.parametrize("target", [G1, G2], ids=["1d", "2d"])
@pytest.mark.parametrize("kind", list(GRIDS))
@pytest.mark.parametrize("name,proc,options", REPLAY_CASES, ids=[f"{c[0]}-{c[1]}" for c in REPLAY_CASES])
def test_affine_steps_replay_the_sampler_with_the_same_noise(target, kind, name, proc, options):
    grid = GRIDS[kind]
    process = processes(grid.T)[proc]
    score = exact_score(target, name, grid, process)
    sampler = get_sampler(name, **options)
    rng = np.random.default_rng(11)
    d = target.dim
    x0 = rng.standard_normal((4, d))
    K = sampler.noise_draws(grid)
    z = rng.standard_normal((K, 4, d))
    try:
        out = sampler.sample(score, grid, 4, x_init=torch.tensor(x0), noise=torch.tensor(z) if K else None,
                             process=process).numpy()
    except ConfigError as exc:  # pc refuses coarse VP grids (Langevin factor <= 0): the law must refuse too
        with pytest.raises(ConfigError, match="sampler.grid"):
            affine_steps(sampler, score, grid, process, d)
        assert name == "pc", exc
        return
    steps = affine_steps(sampler, score, grid, process, d)
    assert len(steps) == grid.N
    assert np.allclose(_replay(steps, x0, z), out, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


@pytest.mark.parametrize("kind", list(GRIDS))
@pytest.mark.parametrize("name", ["pf-ode", "reverse-em", "ancestral"])
def test_noiseless_map_of_the_mean_is_exact_on_deterministic_points(kind, name):
    # With the noise switched off (pf-ode has none; EM samplers get explicit zero increments) the output is
    # P x + q exactly: checked on the origin, the basis vectors and a far point.
    grid = GRIDS[kind]
    score = exact_score(G2, name, grid)
    sampler = get_sampler(name)
    pts = np.vstack([np.zeros(2), np.eye(2), [[3.0, -4.0]]])
    K = sampler.noise_draws(grid)
    out = sampler.sample(score, grid, 4, x_init=torch.tensor(pts),
                         noise=torch.zeros(K, 4, 2, dtype=torch.float64) if K else None).numpy()
    P, q, Q = affine_output_map(score, name, grid)
    assert np.allclose(pts @ P.T + q, out, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    if name == "pf-ode":
        assert np.all(Q == 0.0)


@pytest.mark.parametrize("proc", ["ou", "vp"])
def test_adaptive_flow_map_agrees_with_a_tight_torch_run(proc):
    grid = GRIDS["constant"]
    process = processes(grid.T)[proc]
    score = exact_score(G2, "pf-ode-adaptive", grid, process)
    pts = np.vstack([np.zeros(2), np.eye(2), [[2.0, -1.5]]])
    sampler = AdaptivePFODESampler(rtol=1e-10, atol=1e-10)
    out = sampler.sample(score, grid, 4, x_init=torch.tensor(pts), process=process).numpy()
    P, q, _ = flow_map(score, process, grid.T, 2)
    assert np.max(np.abs(pts @ P.T + q - out)) <= ODE_AGREEMENT_ATOL


@pytest.mark.parametrize("proc", ["ou", "vp", "ve"])
def test_probability_flow_from_the_exact_p_T_returns_the_target(proc):
    # Song et al. 2021: the probability-flow ODE maps p_T to p_0 (seed 002, "Fluxo de probabilidade").
    grid = GRIDS["constant"]
    process = processes(grid.T)[proc]
    alpha, sigma = process.marginal_coefficients(grid.T)
    p_T = G2.affine_pushforward(alpha, 0.0, sigma**2)
    law = gaussian_output_law(exact_score(G2, "pf-ode-adaptive", grid, process), "pf-ode-adaptive", grid,
                              process=process, initial=p_T)
    assert law.error.kind == "ode"
    assert np.max(np.abs(law.mean() - G2.mean())) <= ODE_AGREEMENT_ATOL
    assert np.max(np.abs(law.covariance() - G2.covariance())) <= ODE_AGREEMENT_ATOL


# ---------------------------------------------------------------------------------------------------------------
# Monte Carlo
# ---------------------------------------------------------------------------------------------------------------
MC_N = 200_000
MC_CASES = [("reverse-em", "ou"), ("ancestral", "ou"), ("reverse-sde", "vp"), ("pf-ode", "ou")]


def _mc_agrees(samples: np.ndarray, law) -> tuple[bool, float]:
    """Whether every mean and covariance entry is within MC_SIGMA standard errors; also the largest z-score."""
    mean, mean_se, cov, cov_se = moment_standard_errors(samples)
    z_mean = np.abs(mean - law.mean()) / mean_se
    z_cov = np.abs(cov - law.covariance()) / cov_se
    worst = float(max(np.max(z_mean), np.max(z_cov)))
    return worst <= MC_SIGMA, worst


@pytest.mark.parametrize("target", [G1, G2], ids=["1d", "2d"])
@pytest.mark.parametrize("kind", ["constant", "linear"])
@pytest.mark.parametrize("name,proc", MC_CASES, ids=[f"{n}-{p}" for n, p in MC_CASES])
def test_closed_form_law_matches_monte_carlo_of_the_torch_sampler(target, kind, name, proc):
    grid = GRIDS[kind]
    process = processes(grid.T)[proc]
    score = exact_score(target, name, grid, process)
    law = gaussian_output_law(score, name, grid, process=process).law
    seed = 1000 + 10 * list(GRIDS).index(kind) + MC_CASES.index((name, proc)) + 100 * target.dim
    samples = get_sampler(name).sample(score, grid, MC_N, generator=seed, process=process).numpy()
    ok, worst = _mc_agrees(samples, law)
    assert ok, f"largest z-score {worst:.2f} > {MC_SIGMA}"


def test_monte_carlo_check_detects_the_wrong_convention():
    # Negative control: reverse-em particles against the ancestral closed form must fail the same check.
    grid = GRIDS["constant"]
    em_samples = get_sampler("reverse-em").sample(ExactScore(G2), grid, MC_N, generator=5).numpy()
    wrong = gaussian_output_law(exact_score(G2, "ancestral", grid), "ancestral", grid).law
    ok, worst = _mc_agrees(em_samples, wrong)
    assert not ok and worst > 4 * MC_SIGMA


# ---------------------------------------------------------------------------------------------------------------
# BiasedScore, refusals, pc
# ---------------------------------------------------------------------------------------------------------------
def _ou_var(t: float, s2: float) -> float:
    return math.exp(-2 * t) * s2 + 1 - math.exp(-2 * t)


@pytest.mark.parametrize("kind", list(GRIDS))
@pytest.mark.parametrize("M", [0.1, 0.7])
def test_biased_score_shifts_the_law_by_the_predicted_amount(kind, M):
    # 1D OU, target N(m, s2): A_t = -1/var_t. reverse-em: delta' = (1 + h(1 + 2A_t)) delta + 2 h M;
    # pf-ode (field y + s): B_t = 1 + A_t, delta' = P_n delta + h/2 (2M + h B_lo M). Covariances unchanged.
    grid = GRIDS[kind]
    s2 = float(G1.covariance()[0, 0])
    F, hb, N = grid.cumulative_times, grid.backward_gammas, grid.N
    for name in ("reverse-em", "pf-ode"):
        base = gaussian_output_law(ExactScore(G1), name, grid).law
        biased = gaussian_output_law(BiasedScore(ExactScore(G1), M), name, grid).law
        delta = 0.0
        for n in range(N):
            h = hb[n]
            if name == "reverse-em":
                delta = (1 + h * (1 - 2 / _ou_var(F[N - n], s2))) * delta + 2 * h * M
            else:
                b_hi, b_lo = 1 - 1 / _ou_var(F[N - n], s2), 1 - 1 / _ou_var(F[N - 1 - n], s2)
                delta = (1 + 0.5 * h * (b_hi + b_lo + h * b_lo * b_hi)) * delta + 0.5 * h * (2 * M + h * b_lo * M)
        assert math.isclose(biased.mean()[0] - base.mean()[0], delta, rel_tol=CLOSED_FORM_RTOL)
        assert np.allclose(biased.covariance(), base.covariance(), rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_biased_score_law_matches_monte_carlo_in_2d():
    grid = GRIDS["linear"]
    score = BiasedScore(ExactScore(G2), 0.5, direction=[1.0, 1.0])
    law = gaussian_output_law(score, "reverse-em", grid).law
    samples = get_sampler("reverse-em").sample(score, grid, MC_N, generator=77).numpy()
    ok, worst = _mc_agrees(samples, law)
    assert ok, worst


def test_pc_with_correctors_has_no_closed_form_and_without_them_is_reverse_sde():
    grid = GRIDS["constant"]
    process = processes(grid.T)["vp"]
    score = exact_score(G2, "pc", grid, process)
    with pytest.raises(NoClosedFormError, match="pc"):
        gaussian_output_law(score, "pc", grid, process=process)
    plain = gaussian_output_law(score, "pc", grid, process=process, sampler_options={"n_corrector": 0}).law
    sde = gaussian_output_law(score, "reverse-sde", grid, process=process).law
    assert np.array_equal(plain.mean(), sde.mean()) and np.array_equal(plain.covariance(), sde.covariance())


def test_non_affine_scores_and_targets_are_refused_with_the_sampler_named():
    grid = GRIDS["constant"]
    with pytest.raises(NoClosedFormError, match="reverse-em"):
        gaussian_output_law(ExactScore(SEED_GMM), "reverse-em", grid)
    with pytest.raises(NoClosedFormError, match="pf-ode"):
        gaussian_output_law(SmoothPerturbedScore(ExactScore(G1), 0.2), "pf-ode", grid)
    with pytest.raises(NoClosedFormError, match="affine"):
        gaussian_output_law(lambda t, x: -x, "reverse-em", grid, dim=1)
    with pytest.raises(ConfigError, match="sampler.process"):
        gaussian_output_law(ExactScore(G1), "reverse-em", grid, process=processes(grid.T)["vp"])


def test_exact_score_gives_rounding_error_control_and_a_gaussian():
    out = gaussian_output_law(ExactScore(G1), "reverse-em", GRIDS["cosine"])
    assert isinstance(out.law, Gaussian) and out.method == "exact"
    assert out.error.kind == "rounding" and out.error.tv_bound == 0.0 and "exact to rounding" in out.error.note


# ---------------------------------------------------------------------------------------------------------------
# Property: random Gaussian targets and random constant grids, replayed with the same noise
# ---------------------------------------------------------------------------------------------------------------
# target mean entries in [-3, 3]; covariance A A^T + r I with A entries in [-1, 1], r in [0.1, 2] (eigenvalues
# in [0.1, 4]); step gamma in [0.02, 0.3] and N in [1, 15] steps (T = N gamma <= 4.5; EM stable for gamma < 1)
_ENTRY = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_infinity=False)
_MEAN = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
_RIDGE = st.floats(min_value=0.1, max_value=2.0, allow_nan=False, allow_infinity=False)
_GAMMA = st.floats(min_value=0.02, max_value=0.3, allow_nan=False, allow_infinity=False)


@settings(max_examples=15, deadline=None)
@given(mean=st.tuples(_MEAN, _MEAN), factor=st.tuples(_ENTRY, _ENTRY, _ENTRY, _ENTRY), ridge=_RIDGE,
       gamma=_GAMMA, N=st.integers(min_value=1, max_value=15),
       name=st.sampled_from(["reverse-em", "ancestral", "pf-ode"]))
def test_replay_holds_for_random_gaussians_and_grids(mean, factor, ridge, gamma, N, name):
    a = np.array(factor).reshape(2, 2)
    target = Gaussian(np.array(mean), a @ a.T + ridge * np.eye(2))
    grid = TimeGrid.constant(N * gamma, gamma)
    score = exact_score(target, name, grid)
    sampler = get_sampler(name)
    rng = np.random.default_rng(N)
    x0 = rng.standard_normal((3, 2))
    K = sampler.noise_draws(grid)
    z = rng.standard_normal((K, 3, 2))
    out = sampler.sample(score, grid, 3, x_init=torch.tensor(x0), noise=torch.tensor(z) if K else None).numpy()
    steps = affine_steps(sampler, score, grid, OrnsteinUhlenbeck(grid.T), 2)
    assert np.allclose(_replay(steps, x0, z), out, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
