"""Grid output laws (theorylab.laws.grid_route) against the closed form and against Monte Carlo.

Independent routes: the closed-form Gaussian law (mean/covariance recursion, itself checked against the torch
samplers in test_closed_form.py), exact Gaussian CDFs for truncated masses, scipy quadrature for the CDF, and large
Monte Carlo runs of the torch samplers on the seed mixture (histogram TV against a parametric bootstrap of the
multinomial noise).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from tests.laws.cases import G1, G2, GRIDS, SEED_GMM, exact_score, processes
from theorylab.divergences import compare, tv_gaussian_1d, tv_grid
from theorylab.laws import GridLaw, NoGridRouteError, gaussian_output_law, grid_output_law
from theorylab.samplers import TimeGrid, get_sampler
from theorylab.scores import BiasedScore, ExactScore
from theorylab.tolerances import CLOSED_FORM_RTOL, GRID_LAW_TV_ATOL, MC_SIGMA, QUADRATURE_ATOL


def _laws(target, name, grid, proc="ou", **kw):
    process = processes(grid.T)[proc]
    score = exact_score(target, name, grid, process)
    exact = gaussian_output_law(score, name, grid, process=process,
                                sampler_options=kw.get("sampler_options")).law
    out = grid_output_law(score, name, grid, target=target, process=process, **kw)
    return out, exact


def _tv_upper(out, exact) -> float:
    """Upper end of the grid TV between the grid law and the exact law on the grid's nodes (mass defects of both
    on the grid, i.e. the truncated masses, are included by tv_grid)."""
    g = out.law
    return tv_grid(g.density, exact.pdf(g.mesh()), *g.axes).uncertainty.upper


# ---------------------------------------------------------------------------------------------------------------
# Acceptance: the grid law equals the closed form to 1e-8 in TV
# ---------------------------------------------------------------------------------------------------------------
CASES_1D = [(name, proc, kind) for name, proc in [("reverse-em", "ou"), ("ancestral", "ou"), ("reverse-sde", "vp"),
                                                  ("pf-ode", "ou"), ("pf-ode", "vp")] for kind in GRIDS]
CASES_1D += [("reverse-sde", "ve", "constant"), ("pf-ode-adaptive", "ou", "constant"),
             ("pc", "ou", "linear")]


@pytest.mark.parametrize("name,proc,kind", CASES_1D, ids=[f"{n}-{p}-{k}" for n, p, k in CASES_1D])
def test_grid_law_equals_the_closed_form_in_1d(name, proc, kind):
    options = {"sampler_options": {"n_corrector": 0}} if name == "pc" else {}
    out, exact = _laws(G1, name, GRIDS[kind], proc, **options)
    assert out.method == "grid" and out.error.kind == "grid"
    assert _tv_upper(out, exact) <= GRID_LAW_TV_ATOL
    assert out.error.tv_bound <= GRID_LAW_TV_ATOL


# short grids (N <= 6): the 2D EM step costs O(nodes x kernel reach^2), and a refinement pair (n, 2n - 1) is made
# (reverse-em's 2D case costs ~9 s: it runs in the slow job below; ancestral exercises the same 2D kernel route here)
CASES_2D = [("ancestral", "ou", TimeGrid.linear(0.05, 0.2, 5)),
            ("pf-ode", "ou", TimeGrid.constant(1.0, 0.1)), ("pf-ode", "vp", TimeGrid.linear(0.05, 0.2, 8)),
            ("pf-ode-adaptive", "ou", TimeGrid.constant(1.0, 0.1))]


@pytest.mark.parametrize("name,proc,grid", CASES_2D, ids=[f"{n}-{p}-{g.kind}" for n, p, g in CASES_2D])
def test_grid_law_equals_the_closed_form_in_2d(name, proc, grid):
    out, exact = _laws(G2, name, grid, proc)
    assert out.law.dim == 2
    assert _tv_upper(out, exact) <= GRID_LAW_TV_ATOL


@pytest.mark.slow
@pytest.mark.parametrize("name,proc", [("reverse-sde", "vp"), ("reverse-em", "ou")])
def test_grid_law_equals_the_closed_form_in_2d_slow(name, proc):
    out, exact = _laws(G2, name, TimeGrid.constant(1.0, 0.1), proc)
    assert _tv_upper(out, exact) <= GRID_LAW_TV_ATOL


# ---------------------------------------------------------------------------------------------------------------
# Error control: refinement estimate and truncated mass
# ---------------------------------------------------------------------------------------------------------------
def _true_tv(law, exact) -> float:
    """TV between a grid law (through its exact off-node evaluator) and the exact law, on 8001 nodes."""
    xs = np.linspace(law.domain[0][0], law.domain[0][1], 8001)
    return tv_grid(law.pdf(xs[:, None]), exact.pdf(xs[:, None]), xs).value


@pytest.mark.parametrize("name", ["reverse-em", "ancestral", "reverse-sde"])
@pytest.mark.parametrize("n", [13, 17, 21, 27])
def test_refinement_estimate_bounds_the_error_against_the_exact_law(name, n):
    # Deliberately coarse grids (0.4 to 1 node per kernel standard deviation) so that the errors are measurable.
    # grid_output_law(n=n) runs n and 2n-1 nodes and reports the finer law with the estimate TV(run_n, run_2n-1).
    grid = GRIDS["constant"]
    out, exact = _laws(G1, name, grid, n=n)
    estimate = out.details["refinements"][-1][2]
    assert _true_tv(out.law, exact) <= out.error.tv_bound
    # and it is an estimate, not a loose bound: within a factor 3 of the true error of the n-node run, which is the
    # finer run of the pair ((n + 1) / 2, n)
    coarse, _ = _laws(G1, name, grid, n=(n + 1) // 2)
    assert coarse.law.shape == (n,)
    err_coarse = _true_tv(coarse.law, exact)
    assert err_coarse / 3.0 <= estimate <= 3.0 * err_coarse


@pytest.mark.parametrize("name", ["reverse-em", "pf-ode"])
def test_truncated_mass_is_reported_and_its_tv_is_bounded(name):
    # A domain that cuts the output law: the truncated mass must be at least the exact law's mass outside it
    # (the computed density is <= the true one), and TV(exact, grid law) <= truncated/2 + refinement estimate.
    grid = GRIDS["constant"]
    lo, hi = -2.0, 0.2
    out, exact = _laws(G1, name, grid, domain=(lo, hi), n=201)
    g = out.law
    mu, sd = float(exact.mean()[0]), math.sqrt(float(exact.covariance()[0, 0]))
    outside = stats.norm.cdf(lo, mu, sd) + stats.norm.sf(hi, mu, sd)
    assert outside > 1e-3  # the cut is real
    assert g.truncated_mass >= outside - GRID_LAW_TV_ATOL
    inside_tv = 0.5 * integrate.trapezoid(np.abs(g.density - exact.pdf(g.mesh())), g.axes[0])
    assert inside_tv + 0.5 * outside <= out.error.tv_bound + GRID_LAW_TV_ATOL
    if name == "pf-ode":  # the flow route's truncated mass is exactly the output law's mass outside
        assert abs(g.truncated_mass - outside) <= GRID_LAW_TV_ATOL


# ---------------------------------------------------------------------------------------------------------------
# The seed mixture against Monte Carlo
# ---------------------------------------------------------------------------------------------------------------
MC_N = 200_000
EDGES = np.linspace(-6.0, 8.0, 141)  # bins of width 0.1 over the bulk; the rest is one 'outside' cell


def _bin_probabilities(law) -> np.ndarray:
    cdf = law.cdf(EDGES)
    p = np.diff(cdf)
    return np.append(p, max(1.0 - float(np.sum(p)), 0.0))


def _histogram(samples: np.ndarray) -> np.ndarray:
    counts = np.histogram(samples[:, 0], bins=EDGES)[0]
    return np.append(counts, samples.shape[0] - counts.sum()) / samples.shape[0]


def _noise_band(p: np.ndarray, rng: np.random.Generator, n: int = MC_N, reps: int = 200) -> tuple[float, float]:
    """Mean and sd of the histogram TV between n multinomial draws from p and p itself (parametric bootstrap)."""
    tvs = 0.5 * np.abs(rng.multinomial(n, p, size=reps) / n - p).sum(axis=1)
    return float(tvs.mean()), float(tvs.std(ddof=1))


@pytest.mark.parametrize("name,grid", [("reverse-em", TimeGrid.constant(3.0, 0.05)),
                                       ("pf-ode", TimeGrid.constant(2.0, 0.2))], ids=["reverse-em", "pf-ode"])
def test_grid_law_of_the_seed_mixture_matches_monte_carlo(name, grid):
    score = ExactScore(SEED_GMM)
    out = grid_output_law(score, name, grid, target=SEED_GMM, tol=1e-8)
    p = _bin_probabilities(out.law)
    samples = get_sampler(name).sample(score, grid, MC_N, generator=2024).numpy()
    observed = 0.5 * np.abs(_histogram(samples) - p).sum()
    mean, sd = _noise_band(p, np.random.default_rng(7))
    assert observed <= mean + MC_SIGMA * sd, (observed, mean, sd)
    # negative control: the law of a slightly biased score is rejected by the same check
    wrong = grid_output_law(BiasedScore(score, 0.05), name, grid, target=SEED_GMM, tol=1e-8).law
    p_wrong = _bin_probabilities(wrong)
    mean_w, sd_w = _noise_band(p_wrong, np.random.default_rng(8))
    assert 0.5 * np.abs(_histogram(samples) - p_wrong).sum() > mean_w + MC_SIGMA * sd_w


def test_seed_mixture_reaches_the_target_precision():
    out = grid_output_law(ExactScore(SEED_GMM), "reverse-em", TimeGrid.constant(3.0, 0.05), target=SEED_GMM,
                          tol=1e-6)
    n, n2, estimate = out.details["refinements"][-1]
    assert estimate <= 1e-6 and n2 == 2 * n - 1
    assert out.law.truncated_mass <= 1e-6


# ---------------------------------------------------------------------------------------------------------------
# GridLaw API
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def em_law():
    out, exact = _laws(G1, "reverse-em", GRIDS["linear"])
    return out, exact


def test_grid_law_cdf_equals_quadrature_of_its_pdf(em_law):
    out, _ = em_law
    g = out.law
    for x in (-2.0, -1.0, 0.3):
        value, err = integrate.quad(lambda u: float(g.pdf(np.array([[u]]))[0]), g.axes[0][0] - 5.0, x,
                                    epsabs=QUADRATURE_ATOL, limit=200)
        assert err <= QUADRATURE_ATOL
        assert abs(float(g.cdf(np.array([x]))[0]) - value) <= QUADRATURE_ATOL + GRID_LAW_TV_ATOL


def test_grid_law_moments_and_off_grid_values_match_the_closed_form(em_law):
    out, exact = em_law
    g = out.law
    width = max(abs(a) for a in g.domain[0])
    # |E_p f - E_q f| <= 2 TV sup|f|: the moment tolerances follow from the TV tolerance
    assert abs(g.mean()[0] - exact.mean()[0]) <= 2 * GRID_LAW_TV_ATOL * width
    assert abs(g.var()[0] - exact.covariance()[0, 0]) <= 2 * GRID_LAW_TV_ATOL * width**2
    shifted = np.linspace(-3.0, 1.0, 37) + 0.0123
    other = g.on_grid(shifted)
    assert np.max(np.abs(other.density - exact.pdf(shifted[:, None]))) <= GRID_LAW_TV_ATOL


def test_spline_interpolation_is_exact_for_a_gaussian_log_density():
    xs = np.linspace(-6.0, 4.0, 101)
    law = GridLaw([xs], G1.pdf(xs[:, None]))
    pts = np.linspace(-3.0, 1.0, 17)[:, None] + 0.031
    assert np.allclose(law.logpdf(pts), G1.logpdf(pts), rtol=CLOSED_FORM_RTOL)
    assert law.logpdf(np.array([[10.0]]))[0] == -np.inf


def test_grid_law_samples_follow_the_law(em_law):
    out, exact = em_law
    draws = out.law.sample(20_000, np.random.default_rng(3))[:, 0]
    mu, sd = float(exact.mean()[0]), math.sqrt(float(exact.covariance()[0, 0]))
    # Kolmogorov-Smirnov at level 1e-6 (MC_SIGMA-like): a wrong law of TV >= 0.02 is rejected at this n
    assert stats.kstest(draws, "norm", args=(mu, sd)).pvalue > 1e-6


def test_grid_tv_against_the_target_contains_the_closed_form_value(em_law):
    out, exact = em_law
    est = compare(out, "tv", G1)
    truth = tv_gaussian_1d(exact, G1).value
    assert est.uncertainty.lower <= truth <= est.uncertainty.upper
    assert est.uncertainty.half_width <= 1e-3 * truth + GRID_LAW_TV_ATOL


# ---------------------------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------------------------
def test_routes_that_do_not_apply_are_refused():
    grid = GRIDS["constant"]
    with pytest.raises(NoGridRouteError, match="pc"):
        grid_output_law(ExactScore(G1), "pc", grid)
    g3 = ExactScore(G2.affine_pushforward(np.ones((3, 2)), 0.0, 1.0))
    with pytest.raises(NoGridRouteError, match="d <= 2"):
        grid_output_law(g3, "reverse-em", grid)

    def numpy_only(t, x):  # a score torch autograd cannot see through
        return torch.from_numpy(-x.detach().numpy())

    with pytest.raises(NoGridRouteError, match="autograd"):
        grid_output_law(numpy_only, "pf-ode", grid, dim=1)
