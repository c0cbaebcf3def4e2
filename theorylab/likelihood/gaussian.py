"""Closed forms of the probability-flow ODE model on a Gaussian target with the exact or a biased (affine) score.

Setting (every process of :mod:`theorylab.processes`: OU, VP, VE). The forward SDE has linear drift
:math:`f(t, x) = a(t)x` and diffusion :math:`g(t)`, so :math:`X_t = \\alpha_t X_0 + \\sigma_t Z`. The target
:math:`p_{\\rm data} = N(m, S)` with :math:`S = Q\\Lambda Q^\\top`; in the eigenbasis (coordinates :math:`z = Q^\\top x`)
every marginal is diagonal,

.. math::

    p_t = N(\\mu_t, \\operatorname{diag} v(t)), \\qquad \\mu_t = \\alpha_t m, \\qquad v_k(t) = \\alpha_t^2\\lambda_k
    + \\sigma_t^2 .

The score is :math:`s(t, z) = -(z - \\mu_t)/v(t) + b` with a constant bias :math:`b` (:math:`b = 0`: the exact
score; :class:`~theorylab.scores.BiasedScore`: :math:`b = M Q^\\top u`). The probability-flow ODE in forward time,
:math:`\\dot z = f - \\tfrac12 g^2 s` (Song et al. 2021, eq. 13), is linear with a diagonal Jacobian

.. math::

    J_k(t) = a(t) + \\frac{g(t)^2}{2 v_k(t)} = \\frac{d}{dt}\\log\\sqrt{v_k(t)}
    \\quad (\\text{since } \\dot v_k = 2 a v_k + g^2),

so its flow map from :math:`t_0` to :math:`t_1` is, coordinate by coordinate,

.. math::

    z_{t_1} = \\mu_{t_1} + r_k (z_{t_0} - \\mu_{t_0}) + \\beta_k, \\qquad r_k = \\sqrt{v_k(t_1)/v_k(t_0)}, \\qquad
    \\beta_k = -\\tfrac12 b_k \\int_{t_0}^{t_1} \\sqrt{v_k(t_1)/v_k(\\tau)}\\, g(\\tau)^2\\,d\\tau,

(the exact score maps :math:`p_{t_0}` onto :math:`p_{t_1}` by standardisation; the bias adds a forced term). No ODE
per coordinate: :math:`\\beta` is one vector-valued quadrature (``scipy.integrate.quad_vec``) over the coordinates
with :math:`b_k \\ne 0`. The model of the likelihood computation (score_sde_pytorch ``likelihood.py``;
Song et al. 2021, sec. 4.3 and app. D.2) puts a data point at time :math:`\\varepsilon`, flows it to :math:`T` and
reads the prior :math:`\\pi = N(\\mu_\\pi, \\operatorname{diag} c^2)` there:

.. math::

    \\log q_\\varepsilon(x) = \\log\\pi(F(x)) + \\sum_k \\log r_k , \\qquad
    \\mathbb E_{p_{\\rm data}}[-\\log q_\\varepsilon] = \\sum_k \\tfrac12\\Big[\\frac{(\\bar F_k - \\mu_{\\pi,k})^2
    + r_k^2\\lambda_k}{c_k^2} + \\log(2\\pi c_k^2)\\Big] - \\sum_k\\log r_k ,

with :math:`\\bar F = \\mu_T + r(m - \\mu_\\varepsilon) + \\beta`. This is the closed-form expected NLL
(cross-entropy :math:`H(p_{\\rm data}, q_\\varepsilon)`) that ``theorylab likelihood`` reports as
``exact_nll_nats``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import quad_vec

from theorylab.tolerances import LIKELIHOOD_QUAD_EPSABS, LIKELIHOOD_QUAD_EPSREL

__all__ = ["DiagonalGaussianFlow", "drift_rate", "eigenbasis"]

LOG_2PI = float(np.log(2.0 * np.pi))


def drift_rate(process: Any, t: float) -> float:
    """:math:`a(t)` of the linear drift :math:`f(t, x) = a(t)x` (read from ``process.drift`` at :math:`x = 1`)."""
    return float(np.asarray(process.drift(float(t), np.ones(1)))[0])


def eigenbasis(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(lam, Q)`` with ``cov = Q diag(lam) Q^T``; ``Q = None`` when ``cov`` is diagonal (no rotation needed).

    A diagonal covariance skips ``numpy.linalg.eigh`` (:math:`O(d^3)`; 10 s at :math:`d = 3072` on a loaded CPU).
    """
    cov = np.asarray(cov, dtype=np.float64)
    diag = np.diag(cov).copy()
    if np.count_nonzero(cov - np.diag(diag)) == 0:
        return diag, None
    lam, Q = np.linalg.eigh(cov)
    return lam, Q


@dataclass(frozen=True)
class DiagonalGaussianFlow:
    """The probability-flow ODE of a Gaussian target in its eigenbasis, exact score plus a constant bias ``b``.

    Parameters
    ----------
    process : Process
        Forward process (linear drift, scalar diffusion).
    lam : ndarray (d,)
        Eigenvalues :math:`\\lambda_k > 0` of the target covariance.
    m : ndarray (d,)
        Target mean in the eigenbasis (:math:`Q^\\top m`).
    bias : ndarray (d,)
        Score bias in the eigenbasis (zeros for the exact score).
    """

    process: Any
    lam: np.ndarray
    m: np.ndarray
    bias: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.lam.size)

    # ---------------------------------------------------------------- marginals and field
    def variance(self, t: float) -> np.ndarray:
        """:math:`v(t) = \\alpha_t^2\\lambda + \\sigma_t^2`, shape ``(d,)``."""
        alpha, sigma = self.process.marginal_coefficients(float(t))
        return alpha**2 * self.lam + sigma**2

    def mean(self, t: float) -> np.ndarray:
        """:math:`\\mu_t = \\alpha_t m`."""
        alpha, _ = self.process.marginal_coefficients(float(t))
        return alpha * self.m

    def jacobian_diagonal(self, t: float) -> np.ndarray:
        """:math:`J_k(t) = a(t) + g(t)^2/(2 v_k(t))`: the PF-ODE Jacobian is :math:`Q\\,\\mathrm{diag}(J)Q^\\top`."""
        g2 = float(self.process.diffusion_squared(float(t)))
        return drift_rate(self.process, t) + 0.5 * g2 / self.variance(t)

    def velocity(self, t: float, z: np.ndarray) -> np.ndarray:
        """PF-ODE velocity :math:`a z - \\tfrac12 g^2 s(t, z)` for points ``z`` of shape ``(n, d)`` (eigenbasis)."""
        t = float(t)
        g2 = float(self.process.diffusion_squared(t))
        score = -(z - self.mean(t)) / self.variance(t) + self.bias
        return drift_rate(self.process, t) * z - 0.5 * g2 * score

    # ---------------------------------------------------------------- flow map
    def flow_coefficients(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        """``(r, beta)`` of the flow map :math:`z_{t_1} = \\mu_{t_1} + r(z_{t_0} - \\mu_{t_0}) + \\beta`."""
        v1 = self.variance(t1)
        r = np.sqrt(v1 / self.variance(t0))
        beta = np.zeros(self.dim)
        active = np.flatnonzero(self.bias)
        if active.size and t1 != t0:
            lam = self.lam[active]

            def integrand(tau: float) -> np.ndarray:
                alpha, sigma = self.process.marginal_coefficients(float(tau))
                g2 = float(self.process.diffusion_squared(float(tau)))
                return g2 / np.sqrt(alpha**2 * lam + sigma**2)

            integral, _ = quad_vec(integrand, float(t0), float(t1), epsabs=LIKELIHOOD_QUAD_EPSABS,
                                   epsrel=LIKELIHOOD_QUAD_EPSREL)
            beta[active] = -0.5 * self.bias[active] * np.sqrt(v1[active]) * integral
        return r, beta

    def flow(self, z: np.ndarray, t0: float, t1: float) -> np.ndarray:
        """The exact flow map applied to points ``z`` ``(n, d)``."""
        r, beta = self.flow_coefficients(t0, t1)
        return self.mean(t1) + r * (z - self.mean(t0)) + beta

    # ---------------------------------------------------------------- the likelihood model
    def log_model_density(self, z: np.ndarray, eps: float, T: float, prior_mean: np.ndarray,
                          prior_var: np.ndarray) -> np.ndarray:
        """:math:`\\log q_\\varepsilon(z) = \\log\\pi(F(z)) + \\sum_k\\log r_k` per point, shape ``(n,)``."""
        r, beta = self.flow_coefficients(eps, T)
        zT = self.mean(T) + r * (z - self.mean(eps)) + beta
        log_prior = -0.5 * np.sum((zT - prior_mean) ** 2 / prior_var + np.log(prior_var) + LOG_2PI, axis=-1)
        return log_prior + float(np.sum(np.log(r)))

    def expected_nll(self, eps: float, T: float, prior_mean: np.ndarray, prior_var: np.ndarray) -> float:
        """:math:`\\mathbb E_{p_{\\rm data}}[-\\log q_\\varepsilon(X)]` (nats, whole vector), closed form."""
        r, beta = self.flow_coefficients(eps, T)
        mean_T = self.mean(T) + r * (self.m - self.mean(eps)) + beta
        var_T = r**2 * self.lam
        ce = 0.5 * np.sum(((mean_T - prior_mean) ** 2 + var_T) / prior_var + np.log(prior_var) + LOG_2PI)
        return float(ce - np.sum(np.log(r)))

    def entropy(self) -> float:
        """:math:`H(p_{\\rm data}) = \\tfrac12\\sum_k\\log(2\\pi e\\lambda_k)`: the NLL of a perfect model."""
        return float(0.5 * np.sum(np.log(self.lam) + LOG_2PI + 1.0))

    def gap_chain(self, eps: float, T: float, prior_mean: np.ndarray, prior_var: np.ndarray) -> dict[str, float]:
        """The expected NLL built up cause by cause, each step a difference of two closed forms (nats).

        Order of the chain (each term changes one thing, the previous ones kept):

        1. ``entropy`` :math:`H(p_{\\rm data})`: exact score, prior :math:`p_T`, :math:`\\varepsilon = 0`;
        2. ``score_error``: the model's score instead of the exact one;
        3. ``prior_mismatch``: the prior :math:`\\pi` instead of :math:`p_T`;
        4. ``eps_truncation``: the data placed at :math:`\\varepsilon` instead of 0.

        ``exact_nll`` = the sum = :meth:`expected_nll` ``(eps, T, prior)``.
        """
        p_T_mean, p_T_var = self.mean(T), self.variance(T)
        h = self.entropy()
        with_score = self.expected_nll(0.0, T, p_T_mean, p_T_var)
        with_prior = self.expected_nll(0.0, T, prior_mean, prior_var)
        exact = self.expected_nll(eps, T, prior_mean, prior_var)
        return {
            "entropy": h,
            "score_error": with_score - h,
            "prior_mismatch": with_prior - with_score,
            "eps_truncation": exact - with_prior,
            "exact_nll": exact,
        }
