"""One-dimensional Gaussian mixtures as scalar numpy/scipy functions: density, CDF, quantiles, partial moments.

Why this module exists next to :class:`~theorylab.distributions.GaussianMixture` (which computes densities in torch):
``scipy.integrate.quad`` calls its integrand with one scalar at a time, thousands of times, and one torch call costs
~0.1 ms, which would make every 1D quadrature take seconds. The parameters are read from the law itself
(:meth:`Mixture1D.from_law`) and the tests check :meth:`Mixture1D.logpdf` against the law's ``logpdf``. Quantities
that the torch class does not provide (CDF, quantile function, partial moments) are here as well.

For :math:`p = \\sum_k w_k \\mathcal N(\\mu_k, \\sigma_k^2)`, with :math:`z_k = (x-\\mu_k)/\\sigma_k`:

.. math::

    \\log F(x) = \\operatorname{logsumexp}_k(\\log w_k + \\log\\Phi(z_k)), \\qquad
    \\log \\bar F(x) = \\operatorname{logsumexp}_k(\\log w_k + \\log\\Phi(-z_k)),

    E[X\\,1\\{X \\le y\\}] = \\sum_k w_k(\\mu_k\\Phi(z_k) - \\sigma_k\\varphi(z_k)), \\qquad
    E[X^2 1\\{X \\le y\\}] = \\sum_k w_k\\big((\\mu_k^2+\\sigma_k^2)\\Phi(z_k)
        - \\sigma_k(\\mu_k + y)\\varphi(z_k)\\big).

``log_ndtr`` keeps :math:`\\log\\Phi` accurate far in the tails, so quantiles are found from log-probabilities
(lower tail through :math:`\\log F`, upper tail through :math:`\\log\\bar F`), never from :math:`1 - u`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

__all__ = ["Mixture1D"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: Bisection steps of :meth:`Mixture1D.quantile_from_log`: the bracket shrinks by 2^-80 ~ 1e-24 (relative to its
#: width), below float64 resolution, so the result is the correctly bracketed float up to one ulp.
_BISECTION_STEPS = 80


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """logsumexp over the last axis without warnings (all entries finite or -inf)."""
    top = np.max(a, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - top), axis=-1)) + top[..., 0]


@dataclass(frozen=True)
class Mixture1D:
    """A 1D Gaussian mixture :math:`\\sum_k w_k\\mathcal N(\\mu_k, \\sigma_k^2)` (a Gaussian is ``K = 1``).

    Parameters
    ----------
    weights, means, stds : numpy.ndarray, shape ``(K,)``
    """

    weights: np.ndarray
    means: np.ndarray
    stds: np.ndarray

    @classmethod
    def from_law(cls, law: Any) -> Mixture1D:
        """Parameters of a 1D :class:`~theorylab.distributions.Gaussian` or
        :class:`~theorylab.distributions.GaussianMixture`."""
        if getattr(law, "dim", None) != 1 or not hasattr(law, "as_mixture"):
            raise TypeError(f"expected a 1D Gaussian or GaussianMixture, got {law!r}")
        mix = law.as_mixture()
        return cls(mix.weights, mix.means[:, 0], np.sqrt(mix.covs[:, 0, 0]))

    @property
    def log_weights(self) -> np.ndarray:
        return np.log(self.weights)

    def _z(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return (x[..., None] - self.means) / self.stds

    # ---- densities and probabilities ------------------------------------------------------------------------------
    def logpdf(self, x: Any) -> np.ndarray:
        """:math:`\\log p(x)`, any shape."""
        z = self._z(x)
        return _logsumexp_rows(self.log_weights - 0.5 * z * z - np.log(self.stds) - _LOG_SQRT_2PI)

    def logcdf(self, x: Any) -> np.ndarray:
        """:math:`\\log F(x)` (accurate in the lower tail)."""
        return _logsumexp_rows(self.log_weights + special.log_ndtr(self._z(x)))

    def logsf(self, x: Any) -> np.ndarray:
        """:math:`\\log(1 - F(x))` (accurate in the upper tail)."""
        return _logsumexp_rows(self.log_weights + special.log_ndtr(-self._z(x)))

    def cdf(self, x: Any) -> np.ndarray:
        """:math:`F(x)`."""
        return np.sum(self.weights * special.ndtr(self._z(x)), axis=-1)

    def sf(self, x: Any) -> np.ndarray:
        """:math:`1 - F(x)`, computed directly (no cancellation)."""
        return np.sum(self.weights * special.ndtr(-self._z(x)), axis=-1)

    # ---- quantiles ----------------------------------------------------------------------------------------------
    def quantile_from_log(self, log_prob: Any, upper: bool = False) -> np.ndarray:
        """The :math:`x` with :math:`\\log F(x) =` ``log_prob`` (or :math:`\\log\\bar F(x) =` ``log_prob`` if
        ``upper``), vectorised bisection.

        The bracket is closed form: with :math:`q_k = \\mu_k + \\sigma_k\\Phi^{-1}(u)` the component quantiles,
        :math:`F(\\min_k q_k) \\le \\sum_k w_k u = u \\le F(\\max_k q_k)` (``scipy.special.ndtri_exp`` keeps
        :math:`\\Phi^{-1}(u)` accurate for tiny :math:`u`). The upper tail is the lower tail of :math:`-X`.
        """
        lp = np.asarray(log_prob, dtype=np.float64)
        if np.any(lp > 0.0):
            raise ValueError("log-probabilities must be <= 0")
        sign = -1.0 if upper else 1.0
        means = sign * self.means  # mirror: the upper tail of X is the lower tail of -X
        component_quantiles = means + self.stds * special.ndtri_exp(lp[..., None])
        lo = np.min(component_quantiles, axis=-1)
        hi = np.max(component_quantiles, axis=-1)
        mirrored = Mixture1D(self.weights, means, self.stds)
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            below = mirrored.logcdf(mid) < lp
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return sign * 0.5 * (lo + hi)

    def quantile(self, u: Any) -> np.ndarray:
        """:math:`F^{-1}(u)` for :math:`u \\in (0, 1)` (lower half via :math:`\\log u`, upper via
        :math:`\\log(1-u)`; pass log-probabilities to :meth:`quantile_from_log` when :math:`1-u` is tiny)."""
        u = np.asarray(u, dtype=np.float64)
        if np.any((u <= 0.0) | (u >= 1.0)):
            raise ValueError("u must lie in (0, 1)")
        lower = self.quantile_from_log(np.log(np.minimum(u, 0.5)))
        upper = self.quantile_from_log(np.log1p(-np.maximum(u, 0.5)), upper=True)
        return np.where(u <= 0.5, lower, upper)

    # ---- partial moments ----------------------------------------------------------------------------------------
    def partial_moments_below(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(E[X 1\\{X\\le y\\}], E[X^2 1\\{X\\le y\\}])` (``y = -inf`` gives 0, ``+inf`` the moments)."""
        y = np.asarray(y, dtype=np.float64)
        z = self._z(y)
        phi_cdf = special.ndtr(z)
        with np.errstate(invalid="ignore"):
            dens = np.where(np.isfinite(z), np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi), 0.0)
            m1 = np.sum(self.weights * (self.means * phi_cdf - self.stds * dens), axis=-1)
            yy = np.where(np.isfinite(y), y, 0.0)[..., None]
            m2 = np.sum(
                self.weights * ((self.means**2 + self.stds**2) * phi_cdf - self.stds * (self.means + yy) * dens),
                axis=-1,
            )
        return m1, m2

    def partial_moments_above(self, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(E[X 1\\{X > y\\}], E[X^2 1\\{X > y\\}])`, computed directly (accurate in the upper tail)."""
        y = np.asarray(y, dtype=np.float64)
        z = self._z(y)
        phi_sf = special.ndtr(-z)
        with np.errstate(invalid="ignore"):
            dens = np.where(np.isfinite(z), np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi), 0.0)
            m1 = np.sum(self.weights * (self.means * phi_sf + self.stds * dens), axis=-1)
            yy = np.where(np.isfinite(y), y, 0.0)[..., None]
            m2 = np.sum(
                self.weights * ((self.means**2 + self.stds**2) * phi_sf + self.stds * (self.means + yy) * dens),
                axis=-1,
            )
        return m1, m2

    # ---- geometry for quadrature --------------------------------------------------------------------------------
    def breakpoints(self, widths: tuple[float, ...] = (0.0, 1.0, 3.0, 8.0, 20.0)) -> np.ndarray:
        """Points :math:`\\mu_k \\pm c\\,\\sigma_k` for ``c`` in ``widths`` (where a density changes shape)."""
        pts = [self.means + s * c * self.stds for c in widths for s in (-1.0, 1.0)]
        return np.unique(np.concatenate(pts))

    def support(self, n_std: float = 40.0) -> tuple[float, float]:
        """:math:`[\\min_k \\mu_k - c\\sigma_k, \\max_k \\mu_k + c\\sigma_k]`; beyond ``c = 40`` every density is
        below :math:`e^{-800}`, which underflows to 0 in float64."""
        return float(np.min(self.means - n_std * self.stds)), float(np.max(self.means + n_std * self.stds))
