"""The bound atlas: theorems as data, Girsanov path KL, seed 000's proof chain, rates and verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from theorylab.bounds.decomposition import reverse_reference, reverse_reference_pdf_1d
from theorylab.bounds.theorems import THEOREMS, fit_constants, get_theorem
from theorylab.bounds.theorems.assumptions import fisher_information, log_concavity_check
from theorylab.bounds.theorems.girsanov import path_kl
from theorylab.bounds.theorems.proof import proof_chain
from theorylab.bounds.theorems.tightness import rate_row
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.errors import ConfigError
from theorylab.samplers import SAMPLERS, TimeGrid
from theorylab.scores import BiasedScore, ExactScore
from theorylab.tolerances import CLOSED_FORM_RTOL, MC_SIGMA, QUADRATURE_ATOL

G1 = Gaussian(np.array([0.5]), np.array([[0.5]]))
MIX = GaussianMixture([0.5, 0.5], [[-3.0], [3.0]], [[[0.25]], [[1.0]]])


class _Opaque:
    """A score without ``affine``: forces the Monte Carlo route."""

    def __init__(self, base):
        self.base, self.dim = base, base.dim

    def __call__(self, t, x):
        return self.base(t, x)


def test_every_theorem_names_a_registered_sampler_and_refuses_others():
    for th in THEOREMS.values():
        assert th.sampler in SAMPLERS
        th.check_sampler(th.sampler)
        other = "ancestral" if th.sampler != "ancestral" else "reverse-em"
        with pytest.raises(ConfigError, match="sampler.name"):
            th.check_sampler(other)
        assert th.statement_source.split(":")[0] in ("read", "recalled", "read (as in theorylab.bounds.chen)")
        assert all(c.kind in ("fitted", "explicit") for c in th.constants)


def test_unknown_theorem_is_a_config_error():
    with pytest.raises(ConfigError, match="theorem"):
        get_theorem("nope")


def test_fit_constants_covers_every_cell_and_is_tight_on_its_own_shape():
    th = THEOREMS["chen2023"]
    q = {"T": np.array([2.0, 4.0, 8.0]), "h": np.array([0.1, 0.05, 0.02]), "d": np.ones(3), "eps": np.zeros(3),
         "L": np.full(3, 2.0), "m2": np.ones(3), "kl_prior": np.full(3, 0.3)}
    shape = th.term_matrix(q)[:, 0]
    upper = 0.37 * shape  # data following the bound's own shape: the fitted constant is 0.37
    c, bound = fit_constants(th, q, upper)
    assert np.all(bound >= upper)
    assert math.isclose(c[0], 0.37, rel_tol=1e-9)


def test_assumptions_are_computed():
    # Gaussian: log-concave with lambda = 1/var; the mixture is not log-concave (separated modes)
    assert math.isclose(log_concavity_check(G1).value, 2.0, rel_tol=CLOSED_FORM_RTOL)
    assert log_concavity_check(MIX).holds is False
    # Fisher information of N(mu, s2) relative to N(0, 1): (1 - 1/s2)^2 s2 + mu^2
    value, _, _ = fisher_information(G1)
    assert math.isclose(value, (1 - 2.0) ** 2 * 0.5 + 0.25, rel_tol=CLOSED_FORM_RTOL)
    # mixture quadrature = the Gaussian closed form when both components coincide
    same = GaussianMixture([0.3, 0.7], [[0.5], [0.5]], [[[0.5]], [[0.5]]])
    assert math.isclose(fisher_information(same)[0], value, rel_tol=1e-10)


def test_reference_density_matches_the_moment_odes():
    x = np.linspace(-4.0, 5.0, 13)
    exact = np.asarray(reverse_reference(G1, 1.5).pdf(x[:, None]))
    assert np.allclose(reverse_reference_pdf_1d(G1, 1.5, x), exact, rtol=1e-10, atol=QUADRATURE_ATOL)


@pytest.mark.parametrize("sampler", ["reverse-em", "exponential-integrator"])
def test_path_kl_monte_carlo_interval_covers_the_exact_value(sampler):
    grid = TimeGrid.constant(1.0, 0.1)
    score = BiasedScore(ExactScore(G1), 0.3)
    exact = path_kl(G1, score, sampler, grid)
    mc = path_kl(G1, _Opaque(score), sampler, grid, n_paths=20_000, seed=3)
    se = (mc.uncertainty.upper - mc.uncertainty.lower) / (2 * 1.96)
    assert abs(mc.value - exact.value) <= MC_SIGMA * se


def test_path_kl_is_zero_only_without_error_and_grows_with_the_bias():
    grid = TimeGrid.constant(1.0, 0.1)
    a = path_kl(G1, BiasedScore(ExactScore(G1), 0.1), "exponential-integrator", grid).value
    b = path_kl(G1, BiasedScore(ExactScore(G1), 0.4), "exponential-integrator", grid).value
    assert 0.0 < a < b


def test_path_kl_refuses_other_samplers():
    with pytest.raises(ConfigError, match="sampler.name"):
        path_kl(G1, ExactScore(G1), "ddpm", TimeGrid.constant(1.0, 0.1))


def test_proof_chain_links_hold_and_the_path_link_is_loose_in_rate():
    rows = [proof_chain(G1, ExactScore(G1), "reverse-em", TimeGrid.constant(3.0, h)) for h in (0.2, 0.1, 0.05)]
    for pc in rows:
        for name, ratio in pc.links().items():
            assert ratio >= 1.0 - 1e-9, name
    # the marginal KL is second order in h, the path KL first order: link (3) grows like h^(-1/2)
    r = rate_row("proof", "h", None, [0.2, 0.1, 0.05], [p.pinsker_marginal for p in rows],
                 [p.pinsker_path for p in rows])
    assert r.ratio_slope == pytest.approx(-0.5, abs=0.1)


def test_proof_chain_on_the_seed_mixture():
    pc = proof_chain(MIX, ExactScore(MIX), "reverse-em", TimeGrid.constant(2.0, 0.2), n_paths=1000)
    assert pc.total <= pc.approximation + pc.mixing + 1e-6
    assert pc.approximation <= pc.pinsker_marginal + 1e-6
    assert pc.pinsker_marginal <= math.sqrt(pc.kl_path_ci[1] / 2.0)


def test_rate_verdicts():
    h = np.array([0.2, 0.1, 0.05, 0.025])
    assert rate_row("t", "h", 1.0, h, h, 3 * h).verdict == "tight"
    assert rate_row("t", "h", 1.0, h, h, 300 * h).verdict.startswith("loose by a constant")
    assert rate_row("t", "h", 0.5, h, h, np.sqrt(h)).verdict.startswith("loose in rate")
    # a mutation (the verdict ignoring the exponent) would call this tight
    assert rate_row("t", "h", 0.5, h, h, 2 * h).verdict.startswith("loose in rate")
