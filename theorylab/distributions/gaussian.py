"""The Gaussian law :math:`\\mathcal N(\\mu, \\Sigma)` on :math:`\\mathbb R^d`, full covariance, any ``d``.

.. math::

    \\log p(x) = -\\tfrac12\\big(d\\log 2\\pi + \\log\\det\\Sigma + (x-\\mu)^\\top\\Sigma^{-1}(x-\\mu)\\big),
    \\qquad \\nabla\\log p(x) = -\\Sigma^{-1}(x-\\mu),

computed in torch float64 through the Cholesky factor :math:`\\Sigma = LL^\\top` (see
:mod:`theorylab.distributions.mvn`). The family is closed under the forward OU process, its Euler–Maruyama chain
and affine maps plus independent Gaussian noise (seed 000, slides "El Proceso Forward" and "Análisis del proceso
Ornstein-Uhlenbeck": "(X_t) es un proceso Gaussiano").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.distributions.affine import parse_affine, pushforward_gaussian
from theorylab.distributions.base import Distribution, to_float64_tensor
from theorylab.distributions.marginals import ForwardMarginalsMixin
from theorylab.distributions.mvn import component_log_densities, component_scores
from theorylab.distributions.validation import key_of, validate_cov, validate_mean
from theorylab.errors import ConfigError

__all__ = ["Gaussian"]


class Gaussian(ForwardMarginalsMixin, Distribution):
    """Multivariate normal law :math:`\\mathcal N(\\mu, \\Sigma)`.

    Parameters
    ----------
    mean : float or array_like, shape ``(d,)``
        Mean :math:`\\mu` (a scalar means ``d = 1``).
    cov : float or array_like, shape ``(d,)`` or ``(d, d)``
        Covariance :math:`\\Sigma`: a scalar :math:`s` means :math:`sI_d`, a vector a diagonal; it must be
        symmetric positive definite.
    key : str, optional
        Config prefix used in error messages (``"target"`` gives ``"target.cov: ..."``).

    Raises
    ------
    ConfigError
        On non-finite values, shape mismatch, or a covariance that is not symmetric positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> from theorylab.distributions import Gaussian
    >>> g = Gaussian([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]])
    >>> g.ou_marginal(0.0).mean()
    array([0., 1.])
    """

    def __init__(self, mean: Any, cov: Any, *, key: str = ""):
        self._mean = validate_mean(mean, key_of(key, "mean"))
        self.dim = int(self._mean.shape[0])
        self._cov = validate_cov(cov, key_of(key, "cov"), self.dim)
        self._chol = np.linalg.cholesky(self._cov)
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    # ---- parameters ---------------------------------------------------------------------------------------------
    def mean(self) -> np.ndarray:
        """Mean :math:`\\mu`, shape ``(d,)`` (a copy)."""
        return self._mean.copy()

    def covariance(self) -> np.ndarray:
        """Covariance :math:`\\Sigma`, shape ``(d, d)`` (a copy)."""
        return self._cov.copy()

    @property
    def cholesky(self) -> np.ndarray:
        """Lower Cholesky factor :math:`L`, :math:`\\Sigma = LL^\\top`, shape ``(d, d)`` (a copy)."""
        return self._chol.copy()

    def as_mixture(self) -> Any:
        """The same law as a one-component :class:`~theorylab.distributions.mixture.GaussianMixture`."""
        from theorylab.distributions.mixture import GaussianMixture

        return GaussianMixture([1.0], self._mean[None, :], self._cov[None, :, :])

    # ---- torch kernels ------------------------------------------------------------------------------------------
    def _params(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._cache:
            self._cache[device] = (
                to_float64_tensor(self._mean[None, :], device),
                to_float64_tensor(self._chol[None, :, :], device),
            )
        return self._cache[device]

    def _logpdf(self, x: torch.Tensor) -> torch.Tensor:
        mean, chol = self._params(x.device)
        return component_log_densities(x, mean, chol)[..., 0]

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        mean, chol = self._params(x.device)
        return component_scores(x, mean, chol)[..., 0, :]

    # ---- sampling -----------------------------------------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points :math:`\\mu + LZ`, :math:`Z \\sim \\mathcal N(0, I_d)`; shape ``(n, d)``, float64."""
        n = self._check_sample_args(n, rng)
        z = rng.standard_normal((n, self.dim))
        return self._mean + z @ self._chol.T

    # ---- closed family ------------------------------------------------------------------------------------------
    def affine_pushforward(self, A: Any, b: Any, noise_cov: Any) -> Gaussian:
        """Law of :math:`AX + b + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, N)` independent:
        :math:`\\mathcal N(A\\mu + b, A\\Sigma A^\\top + N)`. Shapes as in :mod:`theorylab.distributions.affine`."""
        matrix, shift, noise = parse_affine(A, b, noise_cov, self.dim)
        mean, cov = pushforward_gaussian(self._mean, self._cov, matrix, shift, noise)
        try:
            return Gaussian(mean, cov)
        except ConfigError:
            raise ConfigError(
                "A: the pushed-forward covariance A cov A^T + noise_cov is not positive definite"
            ) from None

    def __repr__(self) -> str:
        return f"Gaussian(mean={self._mean.tolist()!r}, cov={self._cov.tolist()!r})"
