"""The likelihood bound of Song, Durkan, Murray & Ermon (2021, Theorem 1), exactly, on Gaussian targets.

Theorem 1 (arXiv:2101.09258): for the SDE model :math:`p_\\theta^{\\rm SDE}` (the time-0 law of the reverse SDE
:math:`dY = [f - g^2 s_\\theta]dt + g\\,d\\bar W` started from :math:`\\pi` at :math:`T`),

.. math::

    \\mathrm{KL}(p_{\\rm data}\\,\\|\\,p_\\theta^{\\rm SDE}) \\le \\mathcal J_{\\rm SM}(\\theta; g^2) + \\mathrm{KL}(p_T\\,\\|\\,\\pi),
    \\qquad \\mathcal J_{\\rm SM}(\\theta;\\lambda) = \\tfrac12\\int_0^T \\lambda(t)\\,\\mathbb E_{p_t}
    \\|\\nabla\\log p_t - s_\\theta(\\cdot, t)\\|^2\\,dt .

The right side is the KL between the path measures (Girsanov + data processing); the bound is the loss of the
time-0 projection. On a Gaussian target :math:`N(m, Q\\Lambda Q^\\top)` with the biased score :math:`s_\\theta =
\\nabla\\log p_t + b` (:class:`~theorylab.scores.BiasedScore`, :math:`\\|b\\| = M`), every term is exact:

* :math:`\\mathcal J_{\\rm SM} = \\tfrac12 M^2\\int_0^T g^2` (the error is the constant :math:`b` everywhere);
* :math:`\\mathrm{KL}(p_T\\|\\pi)` between Gaussians;
* :math:`p_\\theta^{\\rm SDE} = N(m + e_0, \\mathrm{diag}(\\lambda + \\delta_0))` in the eigenbasis, where, writing
  :math:`k(t) = a(t) + g(t)^2/v(t)`, the mean error :math:`e = E[Y] - \\mu_t` and the variance error
  :math:`\\delta = \\mathrm{Var}\\,Y - v(t)` solve, backward from :math:`e_T = \\mu_\\pi - \\mu_T`,
  :math:`\\delta_T = c^2 - v(T)`,

  .. math:: \\dot e = k e - g^2 b, \\qquad \\dot\\delta = 2k\\delta

  (subtract the exact marginal's moment ODEs :math:`\\dot\\mu = a\\mu`, :math:`\\dot v = 2av + g^2` from those of the
  reverse SDE). :math:`\\delta_0 = \\delta_T (v_0/v_T)\\exp(-\\int_0^T g^2/v)` in closed form; :math:`e_0` by
  ``solve_ivp`` (DOP853, rtol :data:`MOMENT_RTOL`), vectorised over the coordinates.

The PF-ODE model's KL (the likelihood that ``theorylab likelihood`` reports, at :math:`\\varepsilon = 0`) is
reported beside it: Theorem 1 bounds the SDE model, not the ODE model (Song et al. 2021, sec. 4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.integrate import quad, quad_vec, solve_ivp

from theorylab.likelihood.gaussian import DiagonalGaussianFlow, drift_rate
from theorylab.tolerances import LIKELIHOOD_QUAD_EPSABS, LIKELIHOOD_QUAD_EPSREL

__all__ = ["BoundTerms", "MOMENT_RTOL", "gaussian_kl_diag", "likelihood_bound", "sde_model_moments"]

#: Tolerance of the moment ODE of the SDE model's mean (linear, smooth): global error ~1e-11 relative.
MOMENT_RTOL = 1e-12


def gaussian_kl_diag(m1: np.ndarray, v1: np.ndarray, m2: np.ndarray, v2: np.ndarray) -> float:
    """:math:`\\mathrm{KL}(N(m_1, \\mathrm{diag}\\,v_1)\\,\\|\\,N(m_2, \\mathrm{diag}\\,v_2))` (nats)."""
    r = v1 / v2
    return float(0.5 * np.sum(r - 1.0 - np.log(r) + (m1 - m2) ** 2 / v2))


def sde_model_moments(flow: DiagonalGaussianFlow, prior_mean: np.ndarray, prior_var: np.ndarray,
                      T: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (eigenbasis) of the reverse SDE's time-0 law with the flow's (biased) score, from
    :math:`\\pi = N(\\mu_\\pi, \\mathrm{diag}\\,c^2)` at ``T`` (see the module docstring)."""
    process = flow.process
    lam = flow.lam

    def inv_var_rate(t: float) -> np.ndarray:
        return float(process.diffusion_squared(float(t))) / flow.variance(t)

    integral, _ = quad_vec(inv_var_rate, 0.0, float(T), epsabs=LIKELIHOOD_QUAD_EPSABS, epsrel=LIKELIHOOD_QUAD_EPSREL)
    delta_T = prior_var - flow.variance(T)
    delta_0 = delta_T * (flow.variance(0.0) / flow.variance(T)) * np.exp(-integral)

    def rhs(t: float, e: np.ndarray) -> np.ndarray:
        g2 = float(process.diffusion_squared(float(t)))
        return (drift_rate(process, t) + g2 / flow.variance(t)) * e - g2 * flow.bias

    e_T = prior_mean - flow.mean(T)
    if not (np.any(e_T) or np.any(flow.bias)):  # e = 0 solves the ODE (and DOP853's error norm would be 0/0)
        return flow.m.copy(), lam + delta_0
    sol = solve_ivp(rhs, (float(T), 0.0), e_T, method="DOP853", rtol=MOMENT_RTOL, atol=MOMENT_RTOL * 1e-2)
    e_0 = sol.y[:, -1]
    return flow.m + e_0, lam + delta_0


@dataclass(frozen=True)
class BoundTerms:
    """Theorem 1's terms and the exact KLs (nats)."""

    j_sm: float  #: J_SM(theta; g^2)
    prior_kl: float  #: KL(p_T || pi)
    bound: float  #: j_sm + prior_kl
    kl_sde: float  #: KL(p_data || p_theta^SDE), exact
    kl_ode: float  #: KL(p_data || q_0^ODE), the PF-ODE model at eps = 0, exact

    @property
    def tightness(self) -> float:
        """``kl_sde / bound`` (1: tight; NaN when the bound is 0)."""
        return self.kl_sde / self.bound if self.bound > 0 else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "tightness": self.tightness}


def likelihood_bound(flow: DiagonalGaussianFlow, prior_mean: np.ndarray, prior_var: np.ndarray, T: float
                     ) -> BoundTerms:
    """Theorem 1's two terms, their sum, and the exact KLs of the SDE and ODE models, for ``flow``'s bias."""
    process = flow.process
    g2_integral, _ = quad(lambda t: float(process.diffusion_squared(t)), 0.0, float(T),
                          epsabs=LIKELIHOOD_QUAD_EPSABS, epsrel=LIKELIHOOD_QUAD_EPSREL)
    j_sm = 0.5 * float(np.sum(flow.bias**2)) * g2_integral
    prior_kl = gaussian_kl_diag(flow.mean(T), flow.variance(T), prior_mean, prior_var)
    mean, var = sde_model_moments(flow, prior_mean, prior_var, T)
    kl_sde = gaussian_kl_diag(flow.m, flow.lam, mean, var)
    kl_ode = flow.expected_nll(0.0, T, prior_mean, prior_var) - flow.entropy()
    return BoundTerms(j_sm, prior_kl, j_sm + prior_kl, kl_sde, kl_ode)


def bound_row(process: Any, lam: float, M: float, prior: str = "process") -> dict[str, float]:
    """One row of the study: a 1D target :math:`N(0, \\lambda)`, bias :math:`M`, prior ``process`` or ``p_T``."""
    flow = DiagonalGaussianFlow(process, np.array([float(lam)]), np.zeros(1), np.array([float(M)]))
    T = float(process.T)
    if prior == "p_T":
        pm, pv = flow.mean(T), flow.variance(T)
    else:
        pm, pv = np.zeros(1), np.full(1, float(process.prior_std) ** 2)
    return likelihood_bound(flow, pm, pv, T).as_dict()
