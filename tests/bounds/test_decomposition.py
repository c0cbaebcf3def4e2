"""The decomposition of seed 000, 'Esquema de la Demostración': mixing term against quadrature of the closed-form
OU marginal, pi_0 Q_T against its closed form, and the inequality total <= approximation + mixing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from theorylab.bounds import approximation_term, decomposition, fit_slope, mixing_term, reverse_reference
from theorylab.distributions import Gaussian, GaussianMixture
from theorylab.divergences import tv_gaussian_1d, tv_grid
from theorylab.errors import ConfigError
from theorylab.laws import law_of_output
from theorylab.samplers import TimeGrid
from theorylab.scores import BiasedScore, ExactScore
from theorylab.tolerances import CLOSED_FORM_ATOL, MC_SIGMA, ODE_AGREEMENT_ATOL, QUADRATURE_ATOL, RATE_SLOPE_ATOL

# target N(mu, s2): mean in [-3, 3], variance in [0.05, 4] (narrow to wide relative to N(0, 1)); horizons in
# [0.05, 3] (from barely mixed to nearly mixed; T <= 3 keeps the ODE comparison within ODE_AGREEMENT_ATOL)
MEAN = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
VAR = st.floats(0.05, 4.0, allow_nan=False, allow_infinity=False)
HORIZON = st.floats(0.05, 3.0, allow_nan=False, allow_infinity=False)


def _normal_pdf(m: float, v: float):
    c = 1.0 / math.sqrt(2.0 * math.pi * v)
    return lambda x: c * math.exp(-0.5 * (x - m) ** 2 / v)


def _quad_tv(pdf_p, pdf_q, centres, scale) -> float:
    """1/2 int |p - q| by scipy quad on [min centre - 15 scale, max centre + 15 scale] (wider for the N(0, 1) side),
    split where p - q changes sign (found by brentq on a fine grid), so that every piece is smooth."""
    lo, hi = min(min(centres) - 15.0 * scale, -15.0), max(max(centres) + 15.0 * scale, 15.0)
    grid = np.linspace(lo, hi, 20001)
    diff = np.array([pdf_p(x) - pdf_q(x) for x in grid])
    cuts = [lo, hi, *grid[diff == 0.0]]  # a crossing can fall on a grid point (symmetric cases)
    for i in np.nonzero(np.sign(diff[:-1]) * np.sign(diff[1:]) < 0)[0]:
        cuts.append(optimize.brentq(lambda x: pdf_p(x) - pdf_q(x), grid[i], grid[i + 1], xtol=1e-15))
    cuts = np.sort(cuts)
    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        total += abs(integrate.quad(lambda x: pdf_p(x) - pdf_q(x), a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0])
    return 0.5 * total


@settings(max_examples=15, deadline=None)
@given(mu=MEAN, s2=VAR, T=HORIZON)
def test_mixing_term_of_a_gaussian_against_quadrature_of_the_ou_marginal(mu, s2, T):
    """TV(N(mu e^-T, s2 e^-2T + 1 - e^-2T), N(0, 1)), by quad of the two normal densities."""
    m, v = mu * math.exp(-T), s2 * math.exp(-2.0 * T) - math.expm1(-2.0 * T)
    expected = _quad_tv(_normal_pdf(m, v), _normal_pdf(0.0, 1.0), [m, 0.0], min(math.sqrt(v), 1.0))
    est = mixing_term(Gaussian([mu], [[s2]]), T)
    assert est.uncertainty.kind == "exact"
    assert abs(est.value - expected) <= QUADRATURE_ATOL


def test_mixing_term_of_the_seed_mixture_against_quadrature():
    """Seed 002's 1/2 N(-3, 1/4) + 1/2 N(3, 1): each component moves as a Gaussian, weights fixed."""
    target = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    for T in (0.3, 1.0, 2.5):
        a, v = math.exp(-T), -math.expm1(-2.0 * T)
        c1, c2 = _normal_pdf(-3.0 * a, 0.25 * a * a + v), _normal_pdf(3.0 * a, a * a + v)
        expected = _quad_tv(lambda x: 0.5 * c1(x) + 0.5 * c2(x), _normal_pdf(0.0, 1.0), [-3.0 * a, 3.0 * a],
                            math.sqrt(0.25 * a * a + v))
        est = mixing_term(target, T)
        assert abs(est.value - expected) <= QUADRATURE_ATOL


def test_mixing_term_of_a_2d_mixture_by_monte_carlo_against_a_grid():
    target = GaussianMixture([0.3, 0.7], [[-1.0, 0.5], [1.0, -0.5]], [[0.3, 0.5], [0.6, 0.4]])
    with pytest.raises(NotImplementedError, match="rng"):
        mixing_term(target, 0.5)
    est = mixing_term(target, 0.5, rng=np.random.default_rng(0), n_samples=40_000)
    p_T, prior = target.ou_marginal(0.5), Gaussian([0.0, 0.0], np.eye(2))
    x = np.linspace(-9.0, 9.0, 601)
    mesh = np.stack(np.meshgrid(x, x, indexing="ij"), axis=-1)
    grid = tv_grid(p_T.pdf(mesh), prior.pdf(mesh), x, x)
    se = (est.uncertainty.upper - est.uncertainty.lower) / (2.0 * stats.norm.ppf(0.975))
    assert abs(est.value - grid.value) <= MC_SIGMA * se + grid.uncertainty.half_width


@settings(max_examples=10, deadline=None)
@given(mu=MEAN, s2=VAR, T=HORIZON)
def test_reverse_reference_against_its_closed_form(mu, s2, T):
    """pi_0 Q_T for N(mu, s2): the reverse SDE is linear, Y_T = a Y_0 + b + noise with
    a = exp(int_0^T (1 - 2/sigma_t^2) dt) = s2 e^-T / sigma_T^2, and started from p_T it returns N(mu, s2), so from
    N(0, 1) it gives N(mu (1 - a e^-T), s2 + a^2 (1 - sigma_T^2))."""
    sT2 = s2 * math.exp(-2.0 * T) - math.expm1(-2.0 * T)
    a = s2 * math.exp(-T) / sT2
    law = reverse_reference(Gaussian([mu], [[s2]]), T)
    assert abs(float(law.mean()[0]) - mu * (1.0 - a * math.exp(-T))) <= ODE_AGREEMENT_ATOL
    assert abs(float(law.covariance()[0, 0]) - (s2 + a * a * (1.0 - sT2))) <= ODE_AGREEMENT_ATOL


# step in {0.2, 0.1, 0.05} and score error in [0, 0.3]: sampler output laws from coarse to fine, exact or biased
@settings(max_examples=15, deadline=None)
@given(mu=MEAN, s2=VAR, T=st.sampled_from([0.6, 1.2, 2.4]), gamma=st.sampled_from([0.2, 0.1, 0.05]),
       M=st.floats(0.0, 0.3, allow_nan=False))
def test_decomposition_terms_and_inequality(mu, s2, T, gamma, M):
    target = Gaussian([mu], [[s2]])
    score = ExactScore(target) if M == 0.0 else BiasedScore(ExactScore(target), M)
    out = law_of_output(target, score, "reverse-em", TimeGrid.constant(T, gamma), method="exact")
    dec = decomposition(target, out, T)
    # each term by a separate route
    assert abs(dec.total.value - tv_gaussian_1d(out.law, target).value) <= CLOSED_FORM_ATOL
    assert abs(dec.mixing.value - mixing_term(target, T).value) <= CLOSED_FORM_ATOL
    sT2 = s2 * math.exp(-2.0 * T) - math.expm1(-2.0 * T)
    a = s2 * math.exp(-T) / sT2
    ref = Gaussian([mu * (1.0 - a * math.exp(-T))], [[s2 + a * a * (1.0 - sT2)]])
    assert abs(dec.approximation.value - tv_gaussian_1d(out.law, ref).value) <= ODE_AGREEMENT_ATOL
    # triangle inequality + data processing
    assert dec.holds and dec.gap >= -CLOSED_FORM_ATOL
    assert dec.to_dict()["sum"] == pytest.approx(dec.approximation.value + dec.mixing.value)


def test_approximation_term_vanishes_at_the_weak_order():
    """True score: pi_0 R_N -> pi_0 Q_T as gamma -> 0, at the reverse-em weak order 1."""
    target = Gaussian([1.0], [[0.5]])
    gammas = np.array([0.04, 0.02, 0.01, 0.005])
    approx = [approximation_term(target, law_of_output(target, ExactScore(target), "reverse-em",
                                                       TimeGrid.constant(2.0, g), method="exact"), 2.0).value
              for g in gammas]
    slope = fit_slope(np.log(gammas), np.log(approx))[0]
    assert abs(slope - 1.0) <= RATE_SLOPE_ATOL


def test_mixture_targets_need_a_reference_and_bad_T_is_refused():
    target = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
    out = Gaussian([0.0], [[4.0]])
    with pytest.raises(NotImplementedError, match="reference"):
        decomposition(target, out, 1.0)
    ref = Gaussian([0.1], [[3.5]])
    dec = decomposition(target, out, 1.0, reference=ref)
    assert dec.mixing.uncertainty.kind == "quadrature"
    assert dec.approximation.value == tv_gaussian_1d(out, ref).value
    with pytest.raises(ConfigError, match="^T: "):
        mixing_term(target, -1.0)
