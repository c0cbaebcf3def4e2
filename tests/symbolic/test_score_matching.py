"""Tests of theorylab.symbolic.score_matching: Tweedie's identity against quadrature and finite differences, the
DSM/ISM losses against Monte Carlo with fixed seeds, minimisers against least squares, and the seed slips."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from theorylab.errors import ConfigError
from theorylab.symbolic import score_matching as sm
from theorylab.symbolic.result import Truth
from theorylab.tolerances import (
    CLOSED_FORM_ATOL,
    CLOSED_FORM_RTOL,
    FD_STEP,
    FINITE_DIFFERENCE_RTOL,
    MC_SIGMA,
    QUADRATURE_ATOL,
)

# Points and means: O(1) reals.
reals = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
# Standard deviations of p_0 and of the noise: (0.1, 5) for s, (0.2, 3) for sigma.
data_stds = st.floats(min_value=0.1, max_value=5.0, allow_nan=False, allow_infinity=False)
noise_stds = st.floats(min_value=0.2, max_value=3.0, allow_nan=False, allow_infinity=False)
# Mean factor m of p_{k|0} in (0.05, 1]: a contraction, as (1-gamma)^k and e^{-t} are.
factors = st.floats(min_value=0.05, max_value=1.0, allow_nan=False, allow_infinity=False)
# Mixture weight of the first component.
weights = st.floats(min_value=0.05, max_value=0.95, allow_nan=False, allow_infinity=False)
# Affine model coefficients.
coeffs = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
# Mixture component stds in (0.3, 2): wide enough for quad on a +-15 std window.
component_stds = st.floats(min_value=0.3, max_value=2.0, allow_nan=False, allow_infinity=False)
# Gaussian law of Theorem 1: mean in (-2, 2), variance in (0.2, 3), the domain of check_theorem1's search.
thm_means = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False, allow_infinity=False)
thm_vars = st.floats(min_value=0.2, max_value=3.0, allow_nan=False, allow_infinity=False)


def _quad(f, lo: float = -60.0, hi: float = 60.0, points=None) -> float:
    # Relative accuracy only when the integrals can be tiny (p_k far in its tail): an absolute floor would let quad
    # stop at ~1e-3 relative error there. ``points`` tells quad where the integrand peaks.
    epsabs = 0.0 if points is not None else QUADRATURE_ATOL / 100
    value, err = integrate.quad(f, lo, hi, epsabs=epsabs, epsrel=1e-12, limit=400, points=points)
    return value


def _mixture_p_k(x: float, w: float, mus, ss, m: float, sigma: float) -> tuple[float, float]:
    """p_k(x) and E[grad log p_{k|0}(x|X_0) p_{k|0}] (unnormalised Tweedie numerator) by quadrature over x_0."""
    def joint(x0: float) -> float:
        p0 = w * stats.norm.pdf(x0, mus[0], ss[0]) + (1 - w) * stats.norm.pdf(x0, mus[1], ss[1])
        return p0 * stats.norm.pdf(x, m * x0, sigma)

    lo = min(mus) - 15 * max(ss)
    hi = max(mus) + 15 * max(ss)
    # each component's posterior of x0 given x_k = x peaks at (mu/s^2 + m x/sigma^2) / (1/s^2 + m^2/sigma^2)
    peaks = sorted({min(max((mu / s**2 + m * x / sigma**2) / (1 / s**2 + m**2 / sigma**2), lo), hi)
                    for mu, s in zip(mus, ss)})
    den = _quad(joint, lo, hi, peaks)
    num = _quad(lambda x0: -(x - m * x0) / sigma**2 * joint(x0), lo, hi, peaks)
    return den, num


@pytest.mark.parametrize("target", ["gaussian", "mixture"])
def test_tweedie_holds(target: str) -> None:
    check = sm.check_tweedie(target)
    assert check.holds
    assert check.truth in (Truth.PROVED, Truth.NUMERIC)


def test_tweedie_rejects_unknown_target() -> None:
    with pytest.raises(ConfigError, match="target"):
        sm.check_tweedie("laplace")


@settings(max_examples=12, deadline=None)
@given(x=reals, w=weights, mu1=reals, s1=component_stds, mu2=reals, s2=component_stds, m=factors, sigma=noise_stds)
def test_mixture_score_matches_quadrature_and_finite_differences(
    x: float, w: float, mu1: float, s1: float, mu2: float, s2: float, m: float, sigma: float
) -> None:
    score = float(sm.mixture_marginal_score()(x, w, mu1, s1, mu2, s2, m, sigma))
    den, num = _mixture_p_k(x, w, (mu1, mu2), (s1, s2), m, sigma)
    np.testing.assert_allclose(score, num / den, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL)
    step = FD_STEP * max(1.0, abs(x))
    up, _ = _mixture_p_k(x + step, w, (mu1, mu2), (s1, s2), m, sigma)
    down, _ = _mixture_p_k(x - step, w, (mu1, mu2), (s1, s2), m, sigma)
    fd = (math.log(up) - math.log(down)) / (2 * step)
    np.testing.assert_allclose(score, fd, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL)


@settings(max_examples=30, deadline=None)
@given(x=reals, mu=reals, s=data_stds, m=factors, sigma=noise_stds)
def test_gaussian_score_matches_convolution_formula(x: float, mu: float, s: float, m: float, sigma: float) -> None:
    # p_k = N(m mu, m^2 s^2 + sigma^2) by the rule for sums of independent Gaussians (scipy logpdf, FD).
    law = stats.norm(m * mu, math.sqrt(m**2 * s**2 + sigma**2))
    step = FD_STEP * max(1.0, abs(x))
    fd = (law.logpdf(x + step) - law.logpdf(x - step)) / (2 * step)
    score = float(sm.gaussian_marginal_score()(x, mu, s, m, sigma))
    np.testing.assert_allclose(score, fd, rtol=FINITE_DIFFERENCE_RTOL, atol=FINITE_DIFFERENCE_RTOL)


def test_dsm_target_slide_form_fails_and_corrected_holds() -> None:
    slide = sm.check_dsm_target("slide")
    assert slide.truth is Truth.FAILS
    sigma, z = slide.witness["sigma"], slide.witness["z"]
    assert 0.1 <= sigma <= 3.0 and -3.0 <= z <= 3.0 and sigma != 1.0
    np.testing.assert_allclose(slide.witness["residual"], abs(-z / sigma + z / sigma**2), rtol=CLOSED_FORM_RTOL)
    assert sm.check_dsm_target("corrected").proved
    with pytest.raises(ConfigError, match="form"):
        sm.check_dsm_target("other")


def test_dsm_target_equals_minus_noise_over_sigma_on_simulated_pairs() -> None:
    rng = np.random.default_rng(7)
    m, sigma = 0.6, 0.8
    x0, z = rng.normal(1.0, 2.0, 1000), rng.normal(size=1000)
    xk = m * x0 + sigma * z
    kernel_score = -(xk - m * x0) / sigma**2  # gradient of log N(x; m x0, sigma^2), by hand
    np.testing.assert_allclose(sm.dsm_target()(z, sigma), kernel_score, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)
    assert not np.allclose(-z / sigma**2, kernel_score)  # the slide's form


def _mc_losses(a: float, b: float, mu: float, s: float, m: float, sigma: float, n: int, seed: int):
    rng = np.random.default_rng(seed)
    x0 = rng.normal(mu, s, n)
    z = rng.normal(size=n)
    xk = m * x0 + sigma * z
    f = a * xk + b
    dsm = (f + z / sigma) ** 2
    ism = f**2 + 2 * a
    return dsm, ism


@pytest.mark.parametrize(
    ("a", "b", "mu", "s", "m", "sigma"),
    [(-0.5, 0.2, 1.0, 1.5, 0.7, 0.6), (1.0, -1.0, -0.5, 0.5, 0.3, 1.2), (0.0, 0.0, 2.0, 1.0, 1.0, 0.4)],
)
def test_dsm_and_ism_match_monte_carlo(a: float, b: float, mu: float, s: float, m: float, sigma: float) -> None:
    dsm, ism = _mc_losses(a, b, mu, s, m, sigma, 400_000, seed=11)
    exact_dsm, exact_ism = sm.dsm_affine()(a, b, mu, s, m, sigma), sm.ism_affine()(a, b, mu, s, m, sigma)
    for samples, exact in ((dsm, exact_dsm), (ism, exact_ism)):
        se = samples.std(ddof=1) / math.sqrt(samples.size)
        assert abs(samples.mean() - float(exact)) <= MC_SIGMA * se
    np.testing.assert_allclose(exact_ism / 2, sm.ism_affine("half")(a, b, mu, s, m, sigma), rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("form", ["full", "half"])
def test_dsm_equals_ism_plus_constant(form: str) -> None:
    assert sm.check_ism_equivalence(form).proved


@settings(max_examples=40, deadline=None)
@given(a=coeffs, b=coeffs, mu=reals, s=data_stds, m=factors, sigma=noise_stds)
def test_dsm_minus_ism_is_one_over_sigma_squared(
    a: float, b: float, mu: float, s: float, m: float, sigma: float
) -> None:
    gap = float(sm.dsm_affine()(a, b, mu, s, m, sigma) - sm.ism_affine()(a, b, mu, s, m, sigma))
    np.testing.assert_allclose(gap, 1 / sigma**2, rtol=CLOSED_FORM_RTOL, atol=CLOSED_FORM_ATOL)


def test_dsm_equals_esm_plus_constant() -> None:
    assert sm.check_dsm_esm_gap().proved


@settings(max_examples=5, deadline=None)
@given(a=coeffs, b=coeffs)
def test_esm_matches_monte_carlo(a: float, b: float) -> None:
    rng = np.random.default_rng(13)
    mu, s, m, sigma, n = 0.4, 1.2, 0.8, 0.5, 200_000
    xk = m * rng.normal(mu, s, n) + sigma * rng.normal(size=n)
    total_var = m**2 * s**2 + sigma**2
    samples = (a * xk + b + (xk - m * mu) / total_var) ** 2  # p_k = N(m mu, m^2 s^2 + sigma^2), score by hand
    se = samples.std(ddof=1) / math.sqrt(n)
    assert abs(samples.mean() - float(sm.esm_affine()(a, b, mu, s, m, sigma))) <= MC_SIGMA * se


@pytest.mark.parametrize("loss", ["dsm", "ism", "ism_half"])
def test_affine_minimisers_are_the_exact_score(loss: str) -> None:
    assert sm.check_affine_minimiser_is_score(loss).proved


def test_dsm_minimiser_matches_least_squares_on_samples() -> None:
    # E[X | U] is the L2 projection: regress the DSM target on (X_k, 1).
    rng = np.random.default_rng(3)
    mu, s, m, sigma, n = 0.8, 1.3, 0.5, 0.7, 400_000
    x0, z = rng.normal(mu, s, n), rng.normal(size=n)
    xk = m * x0 + sigma * z
    target = -z / sigma
    design = np.column_stack([xk, np.ones(n)])
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    resid = target - design @ coef
    cov = resid.var() * np.linalg.inv(design.T @ design)
    a_star, b_star = (float(d(mu, s, m, sigma)) for d in sm.affine_minimiser("dsm"))
    assert abs(coef[0] - a_star) <= MC_SIGMA * math.sqrt(cov[0, 0])
    assert abs(coef[1] - b_star) <= MC_SIGMA * math.sqrt(cov[1, 1])


def test_affine_minimiser_rejects_unknown_loss() -> None:
    with pytest.raises(ConfigError, match="loss"):
        sm.affine_minimiser("nce")


def test_theorem1_affine_is_proved() -> None:
    assert sm.check_theorem1("affine").proved
    with pytest.raises(ConfigError, match="model"):
        sm.check_theorem1("relu")


@pytest.mark.slow  # 60-digit mpmath quadrature; test_theorem1_tanh_by_scipy_quadrature checks the same by default
def test_theorem1_tanh_holds_numerically() -> None:
    assert sm.check_theorem1("tanh").truth is Truth.NUMERIC


@settings(max_examples=10, deadline=None)
@given(mu=thm_means, v=thm_vars)
def test_theorem1_tanh_by_scipy_quadrature(mu: float, v: float) -> None:
    sd = math.sqrt(v)

    def p(x: float) -> float:
        return stats.norm.pdf(x, mu, sd)

    def score(x: float) -> float:
        return -(x - mu) / v

    lhs = _quad(lambda x: (math.tanh(x) - score(x)) ** 2 * p(x), mu - 40 * sd, mu + 40 * sd)
    rhs = _quad(lambda x: (math.tanh(x) ** 2 + 2 / math.cosh(x) ** 2) * p(x), mu - 40 * sd, mu + 40 * sd)
    assert abs(lhs - (rhs + 1 / v)) <= 10 * QUADRATURE_ATOL
    # Without the constant C = E|grad log p|^2 = 1/v the identity fails by exactly C.
    assert abs(lhs - rhs) > 1 / v - 10 * QUADRATURE_ATOL


def test_quadrature_identity_can_fail() -> None:
    # The helper behind check_theorem1("tanh") returns FAILS with a witness for a false identity.
    mu, v = sp.Symbol("mu", real=True), sp.Symbol("v", positive=True)
    check = sm._quadrature_identity(
        lambda a, b: a + b, lambda a, b: a + b + b**2, (mu, v), {mu: (-1.0, 1.0), v: (0.5, 2.0)}, (mu, v), n_points=2
    )
    assert check.truth is Truth.FAILS
    assert 0.5 <= check.witness["v"] <= 2.0


def test_kernel_score_energy_and_weight() -> None:
    sigma = sp.Symbol("sigma", positive=True)
    assert sp.simplify(sm.kernel_score_energy(3).expr - 3 / sigma**2) == 0
    np.testing.assert_allclose(sm.kernel_score_energy()(5, 0.5), 20.0, rtol=CLOSED_FORM_RTOL)
    np.testing.assert_allclose(sm.dsm_weight()(4, 0.5), 0.0625, rtol=CLOSED_FORM_RTOL)


def test_kernel_score_energy_by_monte_carlo_in_dimension_3() -> None:
    rng = np.random.default_rng(5)
    sigma, n, d = 0.4, 200_000, 3
    z = rng.normal(size=(n, d))
    sq = np.sum((-z / sigma) ** 2, axis=1)
    se = sq.std(ddof=1) / math.sqrt(n)
    assert abs(sq.mean() - float(sm.kernel_score_energy()(d, sigma))) <= MC_SIGMA * se
    # The weighted loss lambda * |grad log p_{t|0}|^2 has mean 1 at every noise level.
    weighted = float(sm.dsm_weight()(d, sigma)) * sq
    assert abs(weighted.mean() - 1.0) <= MC_SIGMA * weighted.std(ddof=1) / math.sqrt(n)


def test_normalisation_and_bayes_are_proved() -> None:
    assert sm.check_normalisation_invariance().proved
    assert sm.check_bayes_conditional_score().proved


def test_conditional_expectation_is_the_affine_projection() -> None:
    check = sm.check_conditional_expectation_affine()
    assert check.proved
    # Independent route: regression of X on U from simulated bivariate Gaussians, against the proved expression.
    rng = np.random.default_rng(9)
    mean = np.array([0.5, -1.0])
    cov = np.array([[2.0, 0.9], [0.9, 1.5]])
    xu = rng.multivariate_normal(mean, cov, size=400_000)
    coef, *_ = np.linalg.lstsq(np.column_stack([xu[:, 1], np.ones(len(xu))]), xu[:, 0], rcond=None)
    symbols = {s.name: s for s in check.lhs.free_symbols}
    det = cov[0, 0] * cov[1, 1] - cov[0, 1] ** 2
    values = {"mu_x": mean[0], "mu_u": mean[1], "sigma_u": math.sqrt(cov[1, 1]), "r": cov[0, 1], "D": det}
    projection = check.lhs.subs({symbols[k]: v for k, v in values.items() if k in symbols})
    u = symbols["u"]
    slope = float(sp.diff(projection, u))
    intercept = float(projection.subs(u, 0))
    n, resid_var = len(xu), det / cov[1, 1]  # residual variance of X given U
    se_slope = math.sqrt(resid_var / (n * cov[1, 1]))
    se_intercept = math.sqrt(resid_var / n * (1 + mean[1] ** 2 / cov[1, 1]))
    assert abs(coef[0] - slope) <= MC_SIGMA * se_slope
    assert abs(coef[1] - intercept) <= MC_SIGMA * se_intercept
