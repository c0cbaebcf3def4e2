"""law_of_output: route selection, refusals naming metrics.method, the samples route, and comparisons.

Independent routes: the torch sampler called directly with the same seed (samples route), the divergence
dispatcher of theorylab.divergences called directly (exact route), Monte Carlo of the divergence with a CLT
interval (grid tabulation of a 2D Gaussian against a 2D mixture).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.laws.cases import G1, G2, GRIDS, SEED_GMM
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import compare, tv, tv_monte_carlo
from theorylab.errors import ConfigError
from theorylab.laws import GridLaw, SampleLaw, law_of_output
from theorylab.samplers import TimeGrid, get_sampler
from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore
from theorylab.tolerances import MC_SIGMA

GRID = GRIDS["constant"]
G3 = Gaussian(np.zeros(3), 0.5 * np.eye(3))


def test_auto_picks_exact_for_affine_scores():
    out = law_of_output(G2, None, "reverse-em", GRID)
    assert out.method == "exact" and isinstance(out.law, Gaussian) and out.error.kind == "rounding"
    out = law_of_output(G1, BiasedScore(ExactScore(G1), 0.3), "pf-ode-adaptive", GRID)
    assert out.method == "exact" and out.error.kind == "ode" and "rtol" in out.error.note


def test_auto_falls_back_to_the_grid_then_to_samples():
    out = law_of_output(SEED_GMM, None, "ancestral", TimeGrid.constant(2.0, 0.1))
    assert out.method == "grid" and isinstance(out.law, GridLaw)
    assert any(reason.startswith("exact:") for reason in out.details["fallbacks"])
    assert out.error.tv_bound <= 1e-8  # DEFAULT_GRID_TOL in 1D, plus the truncated mass
    out = law_of_output(G3, SmoothPerturbedScore(ExactScore(G3), 0.1), "reverse-em", GRID, n_samples=500)
    assert out.method == "samples" and isinstance(out.law, SampleLaw) and out.error.tv_bound is None
    assert [r.split(":")[0] for r in out.details["fallbacks"]] == ["exact", "grid"]
    out = law_of_output(G1, None, "pc", GRID, n_samples=500)
    assert out.method == "samples" and "pc" in out.details["fallbacks"][0]


def test_explicit_methods_that_do_not_apply_raise_config_errors_naming_metrics_method():
    with pytest.raises(ConfigError, match=r"^metrics\.method: 'exact'"):
        law_of_output(SEED_GMM, None, "reverse-em", GRID, method="exact")
    with pytest.raises(ConfigError, match=r"^metrics\.method: 'exact'.*pc"):
        law_of_output(G1, None, "pc", GRID, method="exact")
    with pytest.raises(ConfigError, match=r"^metrics\.method: 'grid'.*d <= 2"):
        law_of_output(G3, None, "reverse-em", GRID, method="grid")
    with pytest.raises(ConfigError, match=r"^metrics\.method: must be one of"):
        law_of_output(G1, None, "reverse-em", GRID, method="closed-form")
    with pytest.raises(ConfigError, match=r"^sampler\.name"):
        law_of_output(G1, None, "euler", GRID)


def test_explicit_grid_and_exact_agree_on_a_gaussian():
    exact = law_of_output(G1, None, "reverse-em", GRID, method="exact")
    grid = law_of_output(G1, None, "reverse-em", GRID, method="grid")
    est = compare(grid, "tv", exact.law)
    assert est.uncertainty.upper <= 1e-8


def test_samples_route_is_the_seeded_torch_sampler():
    out = law_of_output(G2, None, "reverse-em", GRID, method="samples", n_samples=1000, seed=42)
    direct = get_sampler("reverse-em").sample(ExactScore(G2), GRID, 1000, generator=42).numpy()
    assert np.array_equal(out.law.samples, direct)
    again = law_of_output(G2, None, "reverse-em", GRID, method="samples", n_samples=1000, seed=42)
    assert np.array_equal(out.law.samples, again.law.samples)
    exact = law_of_output(G2, None, "reverse-em", GRID).law
    z = np.abs(out.law.mean() - exact.mean()) / out.law.mean_se()
    assert np.all(z <= MC_SIGMA)


def test_exact_comparison_is_the_divergence_dispatcher():
    out = law_of_output(G2, None, "reverse-em", GRID)
    assert compare(out, "tv", G2) == tv(out.law, G2)


def test_gaussian_against_a_2d_mixture_is_tabulated_and_agrees_with_monte_carlo():
    mix = GaussianMixture([0.5, 0.5], [[-1.0, 0.0], [1.0, 0.5]], [0.4, 0.6])
    out = law_of_output(G2, None, "reverse-em", GRID)
    est = compare(out, "tv", mix)
    assert est.uncertainty.kind == "grid"
    mc = tv_monte_carlo(out.law, mix, 100_000, np.random.default_rng(1), level=0.999999)
    lo = min(est.uncertainty.lower, mc.uncertainty.lower)
    hi = max(est.uncertainty.upper, mc.uncertainty.upper)
    assert est.uncertainty.lower <= mc.uncertainty.upper and mc.uncertainty.lower <= est.uncertainty.upper, (lo, hi)


def test_sample_law_divergences_carry_confidence_intervals():
    out = law_of_output(G1, None, "pc", GRID, n_samples=4000, seed=3)
    est = compare(out, "tv", G1, n_boot=50)
    assert est.uncertainty.kind == "ci" and est.uncertainty.level == 0.95
    w2 = compare(out, "w2", G1, n_boot=50)
    assert w2.name == "W2" and w2.uncertainty.lower <= w2.value <= w2.uncertainty.upper
    with pytest.raises(ConfigError, match="metrics.divergence"):
        compare(out, "chi2", G1)


@pytest.mark.gpu
def test_samples_route_on_cuda_reproduces_the_cpu_particles():
    # A CPU generator draws the noise (theorylab.samplers.base), so CUDA and CPU runs see the same increments; the
    # arithmetic differs only by rounding.
    from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL

    cpu = law_of_output(G2, None, "reverse-em", GRID, method="samples", n_samples=2000, seed=9)
    gpu = law_of_output(G2, None, "reverse-em", GRID, method="samples", n_samples=2000, seed=9, device="cuda")
    assert np.allclose(gpu.law.samples, cpu.law.samples, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
