"""Assumption checks of the convergence theorems, computed on the target (never assumed).

* :func:`lipschitz_check` -- :math:`\\nabla\\log p_t` is :math:`L`-Lipschitz for every :math:`t` (Chen et al. 2022,
  Assumption 1; De Bortoli et al. 2021's regularity): :func:`theorylab.bounds.chen.score_lipschitz` (exact for a
  Gaussian, rigorous for equal-covariance mixtures, a grid estimate otherwise).
* :func:`second_moment_check` -- :math:`m_2^2 = E\\|X\\|^2 < \\infty` (closed form from the mean and covariance).
* :func:`log_concavity_check` -- the smallest eigenvalue :math:`\\lambda` of :math:`-\\nabla^2\\log\\pi` over a
  search grid (exact for a Gaussian: :math:`1/\\lambda_{max}(\\Sigma)`; a mixture whose modes are separated has
  :math:`\\lambda < 0`: not log-concave). No theorem of the atlas needs log-concavity; it is reported because the
  seed's regularity conditions and the Wasserstein results that do need it are often quoted without it.
* :func:`fisher_check` -- the relative Fisher information :math:`I(\\pi\\,|\\,\\gamma_d) = E_\\pi\\|\\nabla\\log\\pi(X)
  + X\\|^2` (Conforti, Durmus & Gentiloni Silveri 2023): closed form for a Gaussian
  (:math:`\\operatorname{tr}(\\Sigma^{-1} - 2I + \\Sigma) + \\|\\mu\\|^2`), Gauss--Hermite quadrature per component
  for a 1D mixture, Monte Carlo (CLT interval in ``detail``) otherwise.
* :func:`kl_prior_check` -- :math:`KL(\\pi\\,\\|\\,N(0, I_d)) < \\infty`
  (:func:`theorylab.bounds.chen.kl_to_standard_normal`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.bounds.theorems.base import AssumptionCheck

__all__ = ["fisher_check", "fisher_information", "kl_prior_check", "lipschitz_check", "log_concavity_check",
           "second_moment_check"]

#: Gauss-Hermite nodes per mixture component in the 1D Fisher-information quadrature. The integrand is
#: (score + x)^2 times a Gaussian; the score of a mixture is analytic with poles only off the real line, so 80 nodes
#: resolve it to ~1e-12 relative for the separations used here (checked against 160 nodes in the tests).
FISHER_GH_NODES = 80


def lipschitz_check(target: Any) -> AssumptionCheck:
    """:math:`\\sup_{t \\ge 0}\\|\\nabla^2\\log p_t\\| = L < \\infty` (module docstring)."""
    from theorylab.bounds.chen import score_lipschitz

    lip = score_lipschitz(target)
    return AssumptionCheck("score Lipschitz in x, uniformly in t", bool(math.isfinite(lip.value)), float(lip.value),
                           f"L = {lip.value:.6g} ({lip.kind})")


def second_moment_check(target: Any) -> AssumptionCheck:
    """:math:`m_2 = (E\\|X\\|^2)^{1/2} < \\infty`."""
    from theorylab.bounds.chen import second_moment

    m2 = second_moment(target)
    return AssumptionCheck("finite second moment", bool(math.isfinite(m2)), m2,
                           f"m2 = (tr Sigma + |mu|^2)^(1/2) = {m2:.6g} (closed form)")


def log_concavity_check(target: Any, n_points: int = 4001) -> AssumptionCheck:
    """:math:`\\inf_x \\lambda_{min}(-\\nabla^2\\log\\pi(x))` on a search grid (exact for a Gaussian)."""
    from theorylab.bounds.chen import _points, gmm_log_hessian

    mix = target.as_mixture()
    if mix.means.shape[0] == 1:
        lam = 1.0 / float(np.linalg.eigvalsh(mix.covs[0])[-1])
        return AssumptionCheck("log-concave (strongly)", lam > 0.0, lam, "1/lambda_max(Sigma), exact")
    H = gmm_log_hessian(target, _points(target, int(n_points), np.random.default_rng(0)))
    lam = float(np.min(np.linalg.eigvalsh(-H)))
    return AssumptionCheck("log-concave", lam >= 0.0, lam,
                           f"min over {n_points} search points of lambda_min(-Hess log pi) = {lam:.6g} (a grid "
                           "minimum: a negative value proves non-log-concavity; a positive one is an estimate)")


def fisher_information(target: Any, *, n_mc: int = 200_000, seed: int = 0) -> tuple[float, float, str]:
    """:math:`I(\\pi\\,|\\,N(0, I_d)) = E_\\pi\\|\\nabla\\log\\pi(X) + X\\|^2`: ``(value, half_width, method)``
    (module docstring; ``half_width`` 0 for deterministic routes, a 95% CLT half-width for Monte Carlo)."""
    from theorylab.distributions import Gaussian

    if isinstance(target, Gaussian):
        S = np.atleast_2d(target.covariance())
        mu = np.asarray(target.mean(), dtype=np.float64)
        P = np.linalg.inv(S)
        d = S.shape[0]
        # E||-P(X - mu) + X||^2 = E||(I - P)(X - mu) + mu||^2 = tr((I-P) S (I-P)) + |mu|^2
        value = float(np.trace((np.eye(d) - P) @ S @ (np.eye(d) - P)) + mu @ mu)
        return value, 0.0, "closed form tr((I - Sigma^-1) Sigma (I - Sigma^-1)) + |mu|^2"
    mix = target.as_mixture()
    if target.dim == 1:
        z, w = np.polynomial.hermite_e.hermegauss(FISHER_GH_NODES)
        w = w / math.sqrt(2.0 * math.pi)
        total = 0.0
        for k in range(mix.means.shape[0]):
            x = mix.means[k, 0] + math.sqrt(mix.covs[k, 0, 0]) * z
            s = np.asarray(target.score(x[:, None]))[:, 0]
            total += mix.weights[k] * float(np.sum(w * (s + x) ** 2))
        return float(total), 0.0, f"Gauss-Hermite quadrature, {FISHER_GH_NODES} nodes per component"
    rng = np.random.default_rng(seed)
    x = target.sample(int(n_mc), rng)
    v = np.sum((np.asarray(target.score(x)) + x) ** 2, axis=1)
    return float(v.mean()), float(1.96 * v.std(ddof=1) / math.sqrt(v.size)), f"Monte Carlo, n = {n_mc}"


def fisher_check(target: Any) -> AssumptionCheck:
    """Finite relative Fisher information :math:`I(\\pi\\,|\\,\\gamma_d)` (Conforti et al. 2023's only assumption)."""
    value, half, method = fisher_information(target)
    return AssumptionCheck("finite Fisher information relative to N(0, I)", bool(math.isfinite(value)), value,
                           f"I = {value:.6g}" + (f" +- {half:.2g}" if half else "") + f" ({method})")


def kl_prior_check(target: Any) -> AssumptionCheck:
    """:math:`KL(\\pi\\,\\|\\,N(0, I_d)) < \\infty`."""
    from theorylab.bounds.chen import kl_to_standard_normal

    est = kl_to_standard_normal(target, rng=np.random.default_rng(0), n_samples=200_000)
    return AssumptionCheck("KL(pi || N(0, I)) finite", bool(math.isfinite(est.value)), float(est.value),
                           f"KL = {float(est.value):.6g} ({est.method})")
