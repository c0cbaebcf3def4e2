"""The continuous reverse-SDE law: started from p_T it returns the target (time reversal, seed 000), and the
reverse-EM output law converges to it at the sampler's weak order 1 as the step shrinks."""

import numpy as np
from scipy import stats

from theorylab.distributions import Gaussian
from theorylab.laws import law_of_output
from theorylab.laws.continuous import reverse_sde_law
from theorylab.processes import OrnsteinUhlenbeck, VariancePreserving
from theorylab.samplers import TimeGrid
from theorylab.scores import ExactScore
from theorylab.tolerances import CLOSED_FORM_RTOL, RATE_SLOPE_ATOL

TARGET_2D = Gaussian([1.0, -2.0], [[0.5, 0.2], [0.2, 0.3]])


def test_started_from_p_T_returns_the_target_ou_and_vp():
    for process in (OrnsteinUhlenbeck(2.5), VariancePreserving(0.1, 20.0, 1.0)):
        score = ExactScore(TARGET_2D, process=process)
        p_T = TARGET_2D.affine_pushforward(*_marginal_map(process, process.T))
        law = reverse_sde_law(score, process, p_T)
        np.testing.assert_allclose(law.mean(), TARGET_2D.mean(), rtol=CLOSED_FORM_RTOL * 1e3, atol=1e-9)
        np.testing.assert_allclose(law.covariance(), TARGET_2D.covariance(), rtol=CLOSED_FORM_RTOL * 1e3, atol=1e-9)


def _marginal_map(process, t):
    alpha, sigma = process.marginal_coefficients(t)
    return alpha * np.eye(2), np.zeros(2), sigma**2 * np.eye(2)


def test_reverse_em_converges_to_the_continuous_law_at_order_one():
    T = 2.0
    process = OrnsteinUhlenbeck(T)
    score = ExactScore(TARGET_2D)
    limit = reverse_sde_law(score, process, Gaussian(np.zeros(2), np.eye(2)))
    gammas = np.array([0.1, 0.05, 0.025, 0.0125])
    errors = []
    for g in gammas:
        out = law_of_output(TARGET_2D, score, "reverse-em", TimeGrid.constant(T, g), method="exact").law
        errors.append(np.abs(out.covariance() - limit.covariance()).max() + np.abs(out.mean() - limit.mean()).max())
    fit = stats.linregress(np.log(gammas), np.log(errors))
    assert abs(fit.slope - 1.0) <= RATE_SLOPE_ATOL
