"""The claims added for full coverage of both decks (docs/ledger-coverage.md): each check's underlying identity is
fed a mutated statement and the outcome flips, and each claim's verdict is what the mathematics makes it."""

from __future__ import annotations

import pytest
import sympy as sp

from theorylab.claims import seed000_continuous
from theorylab.claims.model import Verdict
from theorylab.claims.registry import get_claim
from theorylab.symbolic import gan, linear_sde, ou_reversal_kernels, state_dependent
from theorylab.symbolic import score_matching as sm
from theorylab.symbolic.result import Truth


def test_kernel_reduction_needs_concavity():
    assert gan.kernel_reduction_curvature("slide").expr.is_negative
    assert gan.kernel_reduction_curvature("convex").expr.is_negative is not True


def test_discriminator_is_the_posterior_only_with_equal_priors():
    assert gan.check_discriminator_posterior().truth is Truth.PROVED
    assert gan.check_discriminator_posterior(sp.Rational(1, 3)).truth is Truth.FAILS


def test_quantile_pushforward_and_a_wrong_transform():
    assert gan.check_quantile_pushforward().truth is Truth.PROVED
    assert gan.check_quantile_pushforward("logistic-cdf").truth is Truth.FAILS


def test_integrated_loss_zero_weight_leaves_an_index_free():
    assert sm.integrated_loss_free_indices([1, 0, 1]) == (2,)
    assert sm.integrated_loss_free_indices([0, 0]) == (1, 2)
    assert sm.integrated_loss_free_indices(sp.symbols("l1:4", positive=True)) == ()
    assert sm.integrated_loss_free_indices(sp.symbols("l1:3", nonnegative=True)) == (1, 2)


def test_tanaka_pair_shares_its_driver():
    pair = seed000_continuous.tanaka_pair(n=1000, seed=3)
    assert pair["same_driver"] == 0.0 and pair["distance"] > 0.0
    for name in ("x", "x_neg"):
        assert abs(pair[f"residual_{name}"] - pair["first_increment"]) < 1e-12


def test_strong_solution_verdict_follows_the_data(monkeypatch):
    assert get_claim("000.sde.strong-solution-definition").check().verdict is Verdict.CONDITIONAL
    # if -W were the same path as W (no second solution), the slide's definition would not be refuted and the
    # restricted evidence would not hold either: the verdict is computed, not typed
    fake = seed000_continuous.tanaka_pair() | {"distance": 0.0}
    monkeypatch.setattr(seed000_continuous, "tanaka_pair", lambda *a, **k: fake)
    assert get_claim("000.sde.strong-solution-definition").check().verdict is Verdict.REFUTED


@pytest.mark.parametrize("d", [1, 2])
def test_state_dependent_reversal_and_flow_need_the_divergence_term(d):
    assert state_dependent.check_reversal_state_dependent(d, "divergence").truth is Truth.PROVED
    assert state_dependent.check_reversal_state_dependent(d, "naive").truth is Truth.FAILS
    assert state_dependent.check_flow_state_dependent(d, "divergence").truth is Truth.PROVED
    assert state_dependent.check_flow_state_dependent(d, "naive").truth is Truth.FAILS


def test_backward_kernels_are_a_semigroup_only_for_the_stationary_law():
    assert ou_reversal_kernels.check_semigroup().truth is Truth.FAILS
    assert ou_reversal_kernels.check_semigroup(sp.Integer(0), sp.Integer(1)).truth is Truth.PROVED
    assert ou_reversal_kernels.check_semigroup(sp.Integer(1), sp.Integer(1)).truth is Truth.FAILS  # mean != 0
    assert ou_reversal_kernels.check_reversal_reproduces_data().truth is Truth.PROVED


def test_a_wrong_backward_kernel_does_not_reproduce_the_data():
    k, c, w = ou_reversal_kernels.backward_kernel(0, sp.Symbol("T", positive=True))
    T = sp.Symbol("T", positive=True)
    law = (sp.exp(-T) * ou_reversal_kernels.MU, 1 + (ou_reversal_kernels.V0 - 1) * sp.exp(-2 * T))
    pushed = ou_reversal_kernels.push(law, (k, c, w / 2))  # halved noise: not the conditional law
    assert sp.simplify(pushed[1] - ou_reversal_kernels.V0) != 0


@pytest.mark.slow
def test_backward_kernels_satisfy_chapman_kolmogorov():  # ~2 s of sympy
    assert ou_reversal_kernels.check_chapman_kolmogorov().truth is Truth.PROVED


def test_affine_drift_gives_gaussian_kernels_and_a_cubic_drift_does_not():
    assert linear_sde.check_affine_gaussian_kernel(1).truth is Truth.PROVED
    assert linear_sde.check_affine_gaussian_kernel(1, "cubic").truth is Truth.FAILS


@pytest.mark.slow
def test_affine_drift_gaussian_kernel_in_two_dimensions():
    assert linear_sde.check_affine_gaussian_kernel(2).truth is Truth.PROVED


def test_vp_terminal_kl_vanishes_only_for_the_prior_or_infinite_horizon():
    kl = linear_sde.vp_terminal_kl()
    assert float(kl(0.5, 0.0, 1.0)) == pytest.approx(0.0, abs=1e-15)  # p_0 = N(0, 1) stays N(0, 1)
    assert float(kl(0.5, 3.0, 1.0)) > 0.1
    assert sp.limit(kl.expr, linear_sde.ALPHA, 0, "+") == 0


def test_mixture_terminal_kl_is_small_only_when_alpha_is():
    from theorylab.claims.seed002_sde import mixture_terminal_kl

    assert mixture_terminal_kl(0.0) == pytest.approx(0.0, abs=1e-9)
    assert mixture_terminal_kl(0.9) > 1.0


FAST_FINDINGS = [
    ("000.gan.kernel-reduction", Verdict.PROVED),
    ("000.gan.discriminator-probability", Verdict.PROVED),
    ("000.gan.pushforward-generator", Verdict.PROVED_SPECIAL_CASE),  # d = 1 only
    ("000.sm.integrated-loss-weights", Verdict.CORRECTED),  # lambda_k > 0, not >= 0
    ("000.reversal.general-diffusions", Verdict.CONDITIONAL),  # needs div(Sigma) for state-dependent Sigma
    ("002.sde.flow-every-diffusion", Verdict.PROVED_SPECIAL_CASE),  # d = 1, 2
    ("002.sde.terminal-prior", Verdict.CONDITIONAL),  # p_T only approximates the prior
]
SLOW_FINDINGS = [
    ("000.debortoli.backward-semigroup", Verdict.CORRECTED),  # a two-parameter propagator, not a semigroup
    ("000.debortoli.markov-contraction", Verdict.VERIFIED),
    ("002.kernels.affine-gaussian", Verdict.PROVED_SPECIAL_CASE),  # d = 1, 2
    ("002.conditional.reverse-sde", Verdict.PROVED_SPECIAL_CASE),  # Gaussian class conditionals
]


@pytest.mark.parametrize("claim_id, verdict",
                         FAST_FINDINGS + [pytest.param(*f, marks=pytest.mark.slow) for f in SLOW_FINDINGS])
def test_new_claims_verdicts(claim_id, verdict):
    outcome = get_claim(claim_id).check()
    assert outcome.verdict is verdict, (claim_id, outcome.one_line())
    if verdict is Verdict.CORRECTED:
        assert outcome.correction.holds and any(not e.supports for e in outcome.evidence)
