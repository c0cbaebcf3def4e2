"""The score-error profile ("M profile", seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al.
(2021a)') against values known by construction or derived by hand:

* exact score: error 0; ``BiasedScore(M)``: error exactly ``M`` everywhere; ``SmoothPerturbedScore(M)``:
  ``M cos(omega h / 2) <= sup <= M`` on a grid of spacing ``h`` once ``R_t`` spans a phase range >= pi;
* the score of a *different* Gaussian (affine error :math:`\\Delta A x + \\Delta b`): the :math:`L^2(p_t)` error
  :math:`\\operatorname{tr}(\\Delta A\\Sigma_t\\Delta A^\\top) + \\|\\Delta A\\mu_t + \\Delta b\\|^2`, with
  :math:`\\mu_t, \\Sigma_t` written out here from :math:`\\alpha_t, \\sigma_t` (not through the distributions
  layer), and in 1D the sup over :math:`R_t = [\\mu_t \\pm z_{(1+mass)/2}\\,sd_t]`;
* Gauss--Hermite route against Monte Carlo; the mixture HPD threshold against the fraction of independent draws.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special

from theorylab.distributions import Gaussian, GaussianMixture, SmileDataset
from theorylab.errors import ConfigError
from theorylab.learning.error import (
    ScoreErrorProfile,
    default_error_times,
    hpd_threshold,
    score_error_profile,
)
from theorylab.processes import OrnsteinUhlenbeck, VariancePreserving
from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore
from theorylab.tolerances import CLOSED_FORM_ATOL, CLOSED_FORM_RTOL, MC_SIGMA

OU = OrnsteinUhlenbeck(T=1.0)
VP = VariancePreserving(beta_min=0.1, beta_max=20.0, T=1.0)
TIMES = [0.02, 0.1, 0.4, 1.0]
G1 = Gaussian([0.5], [0.3])
GMM1 = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, slide 'Mistura de gaussianas'
G2 = Gaussian([0.0, 1.0], [[1.0, 0.3], [0.3, 0.5]])
GMM2 = GaussianMixture([0.3, 0.7], [[-2.0, 0.0], [1.5, 1.0]], [0.3, 0.6])
GMM3 = GaussianMixture([0.4, 0.6], [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]], [0.5, 1.0])
TARGETS = {"g1": G1, "gmm1": GMM1, "g2": G2, "gmm2": GMM2, "gmm3": GMM3}
PROCESSES = {"ou": OU, "vp": VP}
#: A confidence level whose CLT interval is the mean +- MC_SIGMA standard errors.
MC_LEVEL = float(special.erf(MC_SIGMA / math.sqrt(2.0)))
#: Unit round-off of float32 (the relative error of rounding a float64 to float32).
F32_UNIT_ROUNDOFF = float(torch.finfo(torch.float32).eps) / 2.0


def marginal(process, mean, cov, t):
    """:math:`N(\\alpha_t m, \\alpha_t^2 S + \\sigma_t^2 I)`, written out from the process's coefficients."""
    alpha, sigma = process.marginal_coefficients(t)
    mean, cov = np.atleast_1d(np.asarray(mean, float)), np.atleast_2d(np.asarray(cov, float))
    return alpha * mean, alpha**2 * cov + sigma**2 * np.eye(mean.size)


def affine_of(mean, cov):
    """Score of N(mean, cov) as (A, b): s(x) = A x + b."""
    prec = np.linalg.inv(cov)
    return -prec, prec @ mean


def covers(prof, i, value):
    """``value`` lies in the i-th interval of ``prof``, widened by float64 round-off only."""
    lo = prof.l2_lower[i] * (1.0 - CLOSED_FORM_RTOL) - CLOSED_FORM_ATOL
    hi = prof.l2_upper[i] * (1.0 + CLOSED_FORM_RTOL) + CLOSED_FORM_ATOL
    return lo <= value <= hi


# ---------------------------------------------------------------------------------------------- known errors
@pytest.mark.parametrize("process", PROCESSES.values(), ids=PROCESSES.keys())
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_exact_score_has_zero_profile(target, process):
    exact = ExactScore(target, process=process)
    prof = score_error_profile(exact, target, process, TIMES, n_samples=512)
    for arr in (prof.l2, prof.l2_lower, prof.l2_upper, prof.sup):
        assert np.all(np.abs(arr) <= CLOSED_FORM_ATOL)
    assert prof.M_sup <= CLOSED_FORM_ATOL and prof.M_l2 <= CLOSED_FORM_ATOL


@settings(max_examples=8, deadline=None)
@given(
    M=st.floats(min_value=1e-3, max_value=10.0, allow_nan=False),  # bias sizes from tiny to large
    direction=st.lists(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False), min_size=3, max_size=3),
    key=st.sampled_from(["g2", "gmm2", "gmm3", "g1"]),
    process=st.sampled_from(["ou", "vp"]),
)
def test_biased_score_error_is_M_everywhere(M, direction, key, process):
    target, proc = TARGETS[key], PROCESSES[process]
    u = direction[:target.dim]
    assume(np.linalg.norm(u) > 0.1)  # any direction, kept away from the zero vector
    score = BiasedScore(ExactScore(target, process=proc), M, direction=u)
    prof = score_error_profile(score, target, proc, TIMES, n_samples=256, grid_points=101)
    for arr in (prof.l2, prof.l2_lower, prof.l2_upper, prof.sup):
        np.testing.assert_allclose(arr, M, rtol=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("target,process", [(G1, OU), (GMM1, VP), (G2, VP), (GMM2, OU)],
                         ids=["g1-ou", "gmm1-vp", "g2-vp", "gmm2-ou"])
def test_smooth_perturbation_sup_is_M_on_the_grid(target, process):
    """Every R_t here spans > pi + 2 omega h of phase along e_1 (checked), so a maximiser of |sin| has a grid
    node within h/2 in x_1 inside R_t: M cos(omega h / 2) <= sup <= M."""
    M, omega = 0.7, 2.0
    score = SmoothPerturbedScore(ExactScore(target, process=process), M, frequency=omega, time_frequency=3.0)
    prof = score_error_profile(score, target, process, TIMES, n_samples=1024)
    z = float(special.ndtri(0.5 * (1.0 + prof.mass)))
    for t, h in zip(prof.times, prof.grid_spacing):
        law = ExactScore(target, process=process).law(t).as_mixture()
        widest = 2.0 * z * np.sqrt(law.covs[:, 0, 0].max())  # R_t contains the densest component's HPD chord
        assert omega * widest > math.pi + 2.0 * omega * h
    assert np.all(prof.sup <= M * (1.0 + CLOSED_FORM_RTOL))
    assert np.all(prof.sup >= M * np.cos(omega * prof.grid_spacing / 2.0) * (1.0 - CLOSED_FORM_RTOL))
    assert np.all(prof.l2_upper < M) and np.all(prof.l2 <= prof.sup)


def test_smooth_perturbation_in_3d_is_a_lower_bound():
    M = 0.4
    score = SmoothPerturbedScore(ExactScore(GMM3, process=OU), M, frequency=1.5)
    prof = score_error_profile(score, GMM3, OU, TIMES, n_samples=2048)
    assert "LOWER BOUND" in prof.region and np.all(np.isnan(prof.grid_spacing))
    assert np.all(prof.sup <= M * (1.0 + CLOSED_FORM_RTOL)) and np.all(prof.l2 <= prof.sup)
    # 2048 draws over a phase range of many periods: some land near a crest (|sin| >= 0.99), seed fixed
    assert np.all(prof.sup >= 0.99 * M)


# ---------------------------------------------------------------------------------------------- affine closed forms
gaussian_1d = st.tuples(
    st.floats(min_value=-2.0, max_value=2.0, allow_nan=False),  # target mean
    st.floats(min_value=0.2, max_value=3.0, allow_nan=False),  # target variance (well conditioned)
    st.floats(min_value=-2.0, max_value=2.0, allow_nan=False),  # wrong score's mean
    st.floats(min_value=0.2, max_value=3.0, allow_nan=False),  # wrong score's variance
)


@settings(max_examples=10, deadline=None)
@given(params=gaussian_1d, process=st.sampled_from(["ou", "vp"]))
def test_affine_error_1d_matches_closed_forms(params, process):
    m, v, m2, v2 = params
    proc = PROCESSES[process]
    wrong = ExactScore(Gaussian([m2], [v2]), process=proc)
    prof = score_error_profile(wrong, Gaussian([m], [v]), proc, TIMES, n_samples=2048, level=MC_LEVEL)
    for i, t in enumerate(prof.times):
        mu, cov = marginal(proc, m, v, t)
        A, b = affine_of(mu, cov)
        A2, b2 = affine_of(*marginal(proc, m2, v2, t))
        dA, db = (A2 - A)[0, 0], (b2 - b)[0]
        mse = dA**2 * cov[0, 0] + (dA * mu[0] + db) ** 2
        # MC interval at MC_SIGMA standard errors covers the closed form (to rounding: with equal variances the
        # error is constant and the interval has zero width)
        assert covers(prof, i, math.sqrt(mse))
        # sup of |dA x + db| over [mu -+ z sd]: at an end; the grid reaches within h of the ends
        z = float(special.ndtri(0.5 * (1.0 + prof.mass)))
        sd = math.sqrt(cov[0, 0])
        ends = np.array([mu[0] - z * sd, mu[0] + z * sd])
        sup = float(np.max(np.abs(dA * ends + db)))
        slack = abs(dA) * prof.grid_spacing[i]
        assert sup - slack - CLOSED_FORM_ATOL <= prof.sup[i] <= sup * (1.0 + CLOSED_FORM_RTOL) + CLOSED_FORM_ATOL
        # the HPD threshold is the density at the interval's ends
        log_c = -0.5 * math.log(2.0 * math.pi * cov[0, 0]) - 0.5 * z**2
        assert prof.log_threshold[i] == pytest.approx(log_c, rel=CLOSED_FORM_RTOL)


@pytest.mark.parametrize("process", PROCESSES.values(), ids=PROCESSES.keys())
def test_affine_error_2d_matches_closed_form(process):
    m, S = np.array([0.0, 1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    m2, S2 = np.array([0.5, -0.5]), np.array([[0.7, -0.2], [-0.2, 1.2]])
    wrong = ExactScore(Gaussian(m2, S2), process=process)
    mc = score_error_profile(wrong, Gaussian(m, S), process, TIMES, n_samples=4096, level=MC_LEVEL)
    quad = score_error_profile(wrong, Gaussian(m, S), process, TIMES, route="quadrature")
    for i, t in enumerate(TIMES):
        mu, cov = marginal(process, m, S, t)
        A, b = affine_of(mu, cov)
        A2, b2 = affine_of(*marginal(process, m2, S2, t))
        dA, db = A2 - A, b2 - b
        mse = float(np.trace(dA @ cov @ dA.T) + np.sum((dA @ mu + db) ** 2))
        assert covers(mc, i, math.sqrt(mse))
        # Gauss-Hermite is exact for this degree-2 integrand
        assert quad.l2[i] ** 2 == pytest.approx(mse, rel=CLOSED_FORM_RTOL)


# ---------------------------------------------------------------------------------------------- routes agree
@pytest.mark.parametrize("target,process", [(GMM1, OU), (GMM2, VP), (G1, VP)], ids=["gmm1-ou", "gmm2-vp", "g1-vp"])
def test_quadrature_route_within_monte_carlo_interval(target, process):
    score = SmoothPerturbedScore(ExactScore(target, process=process), 0.5, frequency=1.3, direction=[1.0] * target.dim)
    mc = score_error_profile(score, target, process, TIMES, n_samples=4096, level=MC_LEVEL)
    quad = score_error_profile(score, target, process, TIMES, route="quadrature")
    assert np.all(mc.l2_lower <= quad.l2) and np.all(quad.l2 <= mc.l2_upper)
    assert np.all(quad.mse_halfwidth <= CLOSED_FORM_ATOL)  # converged: 64 (48) nodes against 32 (24)
    np.testing.assert_array_equal(quad.sup, mc.sup)  # the sup does not depend on the L2 route
    assert "Gauss-Hermite" in quad.method and math.isnan(quad.level)


@pytest.mark.parametrize("target", [GMM1, GMM2], ids=["gmm1", "gmm2"])
def test_mixture_hpd_threshold_has_the_stated_mass(target):
    """Fraction of 200 000 independent draws with p_t >= c_t (binomial, MC_SIGMA standard errors)."""
    mass, n = 0.99, 200_000
    law = ExactScore(target, process=OU).law(0.05)
    log_c, how = hpd_threshold(law, mass)
    assert "Riemann" in how
    x = law.sample(n, np.random.default_rng(123))
    frac = float(np.mean(np.asarray(law.logpdf(x)) >= log_c))
    assert abs(frac - mass) <= MC_SIGMA * math.sqrt(mass * (1.0 - mass) / n)


# ---------------------------------------------------------------------------------------------- determinism, dtypes
def test_results_do_not_depend_on_the_order_or_set_of_times():
    score = SmoothPerturbedScore(ExactScore(GMM2, process=VP), 0.3)
    a = score_error_profile(score, GMM2, VP, [0.5, 0.01, 1.0, 0.2], n_samples=512, grid_points=61, seed=7)
    b = score_error_profile(score, GMM2, VP, [1.0, 0.2, 0.01, 0.5], n_samples=512, grid_points=61, seed=7)
    c = score_error_profile(score, GMM2, VP, [0.2, 1.0], n_samples=512, grid_points=61, seed=7)
    np.testing.assert_array_equal(a.times, [0.01, 0.2, 0.5, 1.0])
    for name in ("l2", "l2_lower", "l2_upper", "sup", "log_threshold"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name)[[1, 3]], getattr(c, name))
    d = score_error_profile(score, GMM2, VP, [0.5, 0.01, 1.0, 0.2], n_samples=512, grid_points=61, seed=8)
    assert not np.array_equal(a.l2, d.l2)


def test_float32_and_numpy_scores_are_accepted():
    """A float32 score differs from the exact one by rounding only: |e| <= u32 |s*| <= u32 z / sd_t on R_t."""
    exact = ExactScore(G1, process=OU)
    prof = score_error_profile(lambda t, x: exact(t, x).to(torch.float32), G1, OU, TIMES, n_samples=512)
    z = float(special.ndtri(0.5 * (1.0 + prof.mass)))
    sd = np.array([math.sqrt(marginal(OU, 0.5, 0.3, t)[1][0, 0]) for t in TIMES])
    assert np.all(prof.sup > 0.0) and np.all(prof.sup <= F32_UNIT_ROUNDOFF * z / sd * (1.0 + CLOSED_FORM_RTOL))
    as_numpy = score_error_profile(lambda t, x: exact(t, x.numpy()), G1, OU, TIMES, n_samples=512)
    assert np.all(as_numpy.l2 <= CLOSED_FORM_ATOL)


# ---------------------------------------------------------------------------------------------- bad inputs
EXACT_G2 = ExactScore(G2, process=OU)


@pytest.mark.parametrize("kwargs,key", [
    ({"times": [0.0, 0.5]}, "score_error.times"),
    ({"times": [0.5, 1.5]}, "score_error.times"),
    ({"times": [-0.1]}, "score_error.times"),
    ({"times": [float("nan")]}, "score_error.times"),
    ({"times": []}, "score_error.times"),
    ({"times": [0.5, 0.5]}, "score_error.times"),
    ({"times": "soon"}, "score_error.times"),
    ({"n_samples": 1}, "score_error.n_samples"),
    ({"n_samples": 2.5}, "score_error.n_samples"),
    ({"n_samples": True}, "score_error.n_samples"),
    ({"mass": 0.0}, "score_error.mass"),
    ({"mass": 1.0}, "score_error.mass"),
    ({"mass": "most"}, "score_error.mass"),
    ({"seed": -1}, "score_error.seed"),
    ({"grid_points": 1}, "score_error.grid_points"),
    ({"level": 1.2}, "score_error.level"),
    ({"route": "simpson"}, "score_error.route"),
    ({"quadrature_nodes": 0, "route": "quadrature"}, "score_error.quadrature_nodes"),
    ({"score": lambda t, x: x[:, :1]}, "score_error.score"),
    ({"score": ExactScore(G1, process=OU)}, "score_error.score"),
    ({"target": SmileDataset()}, "score_error.target"),
    ({"target": GMM3, "score": ExactScore(GMM3, process=OU), "route": "quadrature"}, "score_error.route"),
])
def test_bad_inputs_raise_config_error_naming_the_argument(kwargs, key):
    args = {"score": EXACT_G2, "target": G2, "process": OU, "times": [0.5], "n_samples": 64, **kwargs}
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        score_error_profile(args.pop("score"), args.pop("target"), args.pop("process"), args.pop("times"), **args)


# ---------------------------------------------------------------------------------------------- the result object
def linear_profile(times, a, b):
    t = np.asarray(times, float)
    l2 = a + b * t
    return ScoreErrorProfile(times=t, l2=l2, l2_lower=0.5 * l2, l2_upper=2.0 * l2, sup=3.0 * l2, region="r",
                             n_samples=10, seed=0, method="m", mse_halfwidth=np.zeros_like(t))


def test_l2_average_is_the_trapezoid_mean():
    """Trapezoid is exact on linear functions: mean of a + b t over [t0, t1] is a + b (t0 + t1) / 2."""
    times = [0.01, 0.05, 0.3, 0.31, 0.9]
    prof = linear_profile(times, 0.2, 1.5)
    value, lo, hi = prof.l2_average()
    expected = 0.2 + 1.5 * (0.01 + 0.9) / 2.0
    assert (value, lo, hi) == pytest.approx((expected, 0.5 * expected, 2.0 * expected), rel=CLOSED_FORM_RTOL)
    value, _, _ = prof.l2_average(0.04, 0.5)  # stored times 0.05, 0.3, 0.31
    assert value == pytest.approx(0.2 + 1.5 * (0.05 + 0.31) / 2.0, rel=CLOSED_FORM_RTOL)
    assert prof.l2_average(0.3, 0.3)[0] == pytest.approx(0.2 + 1.5 * 0.3, rel=CLOSED_FORM_RTOL)
    # squared: l2^2 = t is linear, so the RMS over [t0, t1] is sqrt((t0 + t1) / 2)
    sq = linear_profile(times, 0.0, 1.0)
    sq = ScoreErrorProfile(times=sq.times, l2=np.sqrt(sq.times), l2_lower=np.sqrt(sq.times),
                           l2_upper=np.sqrt(sq.times), sup=np.sqrt(sq.times), region="r", n_samples=1, seed=0,
                           method="m")
    assert sq.l2_average(squared=True)[0] == pytest.approx(math.sqrt((0.01 + 0.9) / 2.0), rel=CLOSED_FORM_RTOL)
    assert prof.M_l2 == pytest.approx(0.2 + 1.5 * 0.9) and prof.M_sup == pytest.approx(3.0 * (0.2 + 1.5 * 0.9))
    with pytest.raises(ConfigError, match="l2_average"):
        prof.l2_average(0.5, 0.6)


def test_profile_exports_round_trip(tmp_path):
    score = BiasedScore(ExactScore(GMM3, process=VP), 0.25)
    prof = score_error_profile(score, GMM3, VP, [0.1, 0.7], n_samples=128)
    data = json.loads(json.dumps(prof.to_json()))  # plain JSON types only (NaN grid spacing -> null)
    assert data["grid_spacing"] == [None, None] and data["M_sup"] == pytest.approx(0.25)
    back = ScoreErrorProfile.from_json(data)
    for name in ("times", "l2", "l2_lower", "l2_upper", "sup", "mse_halfwidth", "grid_spacing", "log_threshold"):
        np.testing.assert_array_equal(getattr(back, name), getattr(prof, name))
    assert (back.region, back.method, back.level, back.mass) == (prof.region, prof.method, prof.level, prof.mass)
    frame = prof.to_frame()
    assert list(frame.columns[:6]) == ["t", "l2", "l2_lower", "l2_upper", "sup", "mse_halfwidth"]
    np.testing.assert_array_equal(frame["sup"].to_numpy(), prof.sup)
    with pytest.raises(ValueError):
        prof.l2[0] = 1.0  # frozen arrays
    for p, name in ((prof, "biased.png"), (score_error_profile(ExactScore(G1, process=OU), G1, OU, [0.1, 1.0],
                                                               n_samples=64), "exact.png")):
        out = p.plot(tmp_path / name)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_error_times():
    times = default_error_times(VP, n=20, t_min=1e-3)
    assert times.size == 20 and times[0] == pytest.approx(1e-3) and times[-1] == pytest.approx(VP.T)
    assert np.all(np.diff(times) > 0)
    ratios = times[1:10] / times[:9]  # geometric part
    np.testing.assert_allclose(ratios, ratios[0], rtol=CLOSED_FORM_RTOL)
    assert default_error_times(OrnsteinUhlenbeck(T=2.0), n=5, t_min=0.5).tolist() == pytest.approx(
        np.geomspace(0.5, 2.0, 5).tolist())
    assert default_error_times(OU, n=2).tolist() == pytest.approx([1e-3, 1.0])
    score_error_profile(ExactScore(G1, process=OU), G1, OU, default_error_times(OU, n=6), n_samples=16)
    for kwargs, key in (({"n": 1}, "n_times"), ({"t_min": 0.0}, "t_min"), ({"t_min": 1.0}, "t_min")):
        with pytest.raises(ConfigError, match=key):
            default_error_times(OU, **kwargs)
