"""Exact forward marginals of the Ornstein–Uhlenbeck process and of its Euler–Maruyama chain.

Conventions (fixed, DESIGN.md): forward OU :math:`dX_t = -X_t\\,dt + \\sqrt2\\,dB_t`, and its Euler–Maruyama chain
:math:`X_{k+1} = (1-\\gamma_k) X_k + \\sqrt{2\\gamma_k} Z_{k+1}` (seed 000, slides "El Proceso Forward" and
"Análisis del proceso Ornstein-Uhlenbeck"). Both maps are affine in :math:`X_0` plus independent Gaussian noise,

.. math::

    X = \\alpha X_0 + \\sigma Z, \\qquad Z \\sim \\mathcal N(0, I_d) \\perp X_0,

so a Gaussian (mixture) initial law stays a Gaussian (mixture): every component
:math:`\\mathcal N(\\mu, \\Sigma)` becomes :math:`\\mathcal N(\\alpha\\mu, \\alpha^2\\Sigma + \\sigma^2 I)`.

* OU at time :math:`t`: :math:`\\alpha = e^{-t}`, :math:`\\sigma^2 = 1 - e^{-2t}` (seed 000 writes
  :math:`X_t = e^{-t}X_0 + B_{1-e^{-2t}}`, the same law).
* Chain after :math:`k` constant steps :math:`\\gamma`: :math:`\\alpha = m_k = (1-\\gamma)^k`,
  :math:`\\sigma^2 = \\sigma_k^2 = \\dfrac{1 - (1-\\gamma)^{2k}}{1 - \\gamma/2}` (solution of
  :math:`v_{k+1} = (1-\\gamma)^2 v_k + 2\\gamma`, :math:`v_0 = 0`; its limit :math:`1/(1-\\gamma/2)` is the
  stationary variance :math:`N(0, I_d/(1-\\gamma/2))` of seed 000, slide "El Proceso Forward").
* Chain with a schedule :math:`\\gamma_0, \\dots, \\gamma_{k-1}`: :math:`\\alpha = \\prod_j (1-\\gamma_j)`,
  :math:`\\sigma^2` by the same recursion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from theorylab.errors import ConfigError

__all__ = [
    "ForwardMarginalsMixin",
    "chain_coefficients",
    "chain_schedule_coefficients",
    "ou_coefficients",
]


def _check_time(t: Any) -> float:
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise ConfigError(f"t: must be a number, got {t!r}") from None
    if not math.isfinite(value) or value < 0.0:
        raise ConfigError(f"t: must be finite and >= 0, got {t!r}")
    return value


def _check_gamma(gamma: Any, key: str = "gamma") -> float:
    try:
        value = float(gamma)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: must be a number, got {gamma!r}") from None
    if not (0.0 < value < 2.0):
        raise ConfigError(f"{key}: must lie in (0, 2) (the chain is stable there; 0 < gamma <= 1 in practice), "
                          f"got {gamma!r}")
    return value


def ou_coefficients(t: float) -> tuple[float, float]:
    """Return :math:`(\\alpha, \\sigma^2) = (e^{-t}, 1 - e^{-2t})` of the OU marginal at time ``t >= 0``.

    :math:`1 - e^{-2t}` is evaluated as ``-expm1(-2t)``, accurate to machine precision for small ``t``.
    """
    t = _check_time(t)
    return math.exp(-t), -math.expm1(-2.0 * t)


def chain_coefficients(k: int, gamma: float) -> tuple[float, float]:
    """Return :math:`(m_k, \\sigma_k^2)` of the Euler–Maruyama chain after ``k`` steps of size ``gamma``.

    .. math::

        m_k = (1-\\gamma)^k, \\qquad \\sigma_k^2 = \\frac{1 - (1-\\gamma)^{2k}}{1-\\gamma/2}.

    The numerator is evaluated as ``-expm1(2k log|1-gamma|)`` (accurate when ``k gamma`` is small).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ConfigError(f"k: must be an integer >= 0, got {k!r}")
    gamma = _check_gamma(gamma)
    k = int(k)
    m = (1.0 - gamma) ** k
    if k == 0:
        return 1.0, 0.0
    if gamma == 1.0:
        numerator = 1.0
    else:
        numerator = -math.expm1(2.0 * k * math.log(abs(1.0 - gamma)))
    return m, numerator / (1.0 - gamma / 2.0)


def chain_schedule_coefficients(gammas: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Return :math:`(\\alpha, \\sigma^2)` after the steps ``gammas[0], ..., gammas[k-1]`` (recursion, exact)."""
    try:
        values = np.asarray(gammas, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ConfigError(f"gammas: must be a list of numbers, got {gammas!r}") from None
    alpha, var = 1.0, 0.0
    for j, gamma in enumerate(values):
        g = _check_gamma(gamma, key=f"gammas[{j}]")
        alpha *= 1.0 - g
        var = (1.0 - g) ** 2 * var + 2.0 * g
    return alpha, var


class ForwardMarginalsMixin:
    """Adds :meth:`ou_marginal`, :meth:`chain_marginal` and :meth:`chain_marginal_schedule` to any law that
    implements ``affine_pushforward(A, b, noise_cov)`` (Gaussian and GaussianMixture)."""

    def _isotropic(self, alpha: float, var: float) -> Any:
        return self.affine_pushforward(alpha, 0.0, var)  # type: ignore[attr-defined]

    def ou_marginal(self, t: float) -> Any:
        """Law of :math:`X_t` for :math:`dX = -X\\,dt + \\sqrt2\\,dB`, :math:`X_0 \\sim` ``self`` (same family)."""
        return self._isotropic(*ou_coefficients(t))

    def chain_marginal(self, k: int, gamma: float) -> Any:
        """Law of :math:`X_k`, :math:`X_{j+1} = (1-\\gamma)X_j + \\sqrt{2\\gamma}Z_{j+1}`,
        :math:`X_0 \\sim` ``self``."""
        return self._isotropic(*chain_coefficients(k, gamma))

    def chain_marginal_schedule(self, gammas: Sequence[float] | np.ndarray) -> Any:
        """Law after the steps ``gammas[0], ..., gammas[k-1]`` of the chain (an empty schedule gives ``self``)."""
        return self._isotropic(*chain_schedule_coefficients(gammas))
