"""Gaussian mixtures :math:`p = \\sum_k w_k \\mathcal N(\\mu_k, \\Sigma_k)` on :math:`\\mathbb R^d`, any ``d``, ``K``.

.. math::

    \\log p(x) = \\operatorname{logsumexp}_k\\big(\\log w_k + \\log\\mathcal N(x; \\mu_k, \\Sigma_k)\\big), \\qquad
    \\nabla\\log p(x) = \\sum_k r_k(x)\\,\\big(-\\Sigma_k^{-1}(x-\\mu_k)\\big),

with responsibilities :math:`r_k(x) = \\operatorname{softmax}_k(\\log w_k + \\log\\mathcal N(x;\\mu_k,\\Sigma_k))`.
Both are evaluated in log space (``torch.logsumexp`` / ``torch.softmax``) with Cholesky solves, so they stay finite
and accurate far in the tails, where every component density underflows to 0.

The seed review uses :math:`\\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)` (seed 002, slide "Mistura de
gaussianas"). The family is closed under the forward OU process and its Euler–Maruyama chain: each component
moves as a Gaussian and the weights do not change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.distributions.affine import parse_affine, pushforward_gaussian
from theorylab.distributions.base import Distribution, to_float64_tensor
from theorylab.distributions.diagonal_mixture import DiagonalMixtureScore, diagonal_variances
from theorylab.distributions.gaussian import Gaussian
from theorylab.distributions.marginals import ForwardMarginalsMixin
from theorylab.distributions.mvn import component_log_densities, mixture_score
from theorylab.distributions.validation import key_of, validate_covs, validate_means, validate_weights
from theorylab.errors import ConfigError
from theorylab.workspace import Workspace

__all__ = ["GaussianMixture"]


class GaussianMixture(ForwardMarginalsMixin, Distribution):
    """Mixture of ``K`` Gaussians with full covariances.

    Parameters
    ----------
    weights : array_like, shape ``(K,)``
        Positive weights summing to 1 (within :data:`~theorylab.tolerances.MIXTURE_WEIGHT_SUM_ATOL`; they are
        then renormalised exactly).
    means : array_like, shape ``(K,)`` (``d = 1``) or ``(K, d)``
    covs : array_like, shape ``(K,)`` (isotropic), ``(K, d)`` (diagonal) or ``(K, d, d)`` (full)
        Each symmetric positive definite.
    key : str, optional
        Config prefix used in error messages (``"target"`` gives ``"target.covs: covariance 1 is not positive
        definite"``).

    Examples
    --------
    >>> from theorylab.distributions import GaussianMixture
    >>> gmm = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])  # seed 002, "Mistura de gaussianas"
    >>> gmm.dim, float(gmm.mean()[0])
    (1, 0.0)
    """

    def __init__(self, weights: Any, means: Any, covs: Any, *, key: str = ""):
        self._weights = validate_weights(weights, key_of(key, "weights"))
        k = self._weights.shape[0]
        self._means = validate_means(means, key_of(key, "means"), k)
        self.dim = int(self._means.shape[1])
        self._covs = validate_covs(covs, key_of(key, "covs"), k, self.dim)
        self._chols = np.linalg.cholesky(self._covs)
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        variances = diagonal_variances(self._covs)
        #: in-place kernel when every covariance is diagonal (always in d = 1), else None
        self._diagonal = (None if variances is None
                          else DiagonalMixtureScore(np.log(self._weights), self._means, variances))

    # ---- parameters ---------------------------------------------------------------------------------------------
    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return int(self._weights.shape[0])

    @property
    def weights(self) -> np.ndarray:
        """Weights :math:`w_k`, shape ``(K,)`` (a copy)."""
        return self._weights.copy()

    @property
    def means(self) -> np.ndarray:
        """Component means :math:`\\mu_k`, shape ``(K, d)`` (a copy)."""
        return self._means.copy()

    @property
    def covs(self) -> np.ndarray:
        """Component covariances :math:`\\Sigma_k`, shape ``(K, d, d)`` (a copy)."""
        return self._covs.copy()

    def component(self, k: int) -> Gaussian:
        """Component ``k`` as a :class:`Gaussian`."""
        return Gaussian(self._means[k], self._covs[k])

    def as_mixture(self) -> GaussianMixture:
        """``self`` (for symmetry with :meth:`Gaussian.as_mixture`)."""
        return self

    def mean(self) -> np.ndarray:
        """Mean :math:`\\sum_k w_k\\mu_k`, shape ``(d,)``."""
        return self._weights @ self._means

    def covariance(self) -> np.ndarray:
        """Covariance :math:`\\sum_k w_k(\\Sigma_k + \\mu_k\\mu_k^\\top) - \\bar\\mu\\bar\\mu^\\top`, shape ``(d, d)``
        (law of total covariance, written with centred means for accuracy)."""
        centred = self._means - self.mean()
        within = np.einsum("k,kij->ij", self._weights, self._covs)
        between = np.einsum("k,ki,kj->ij", self._weights, centred, centred)
        cov = within + between
        return 0.5 * (cov + cov.T)

    # ---- torch kernels ------------------------------------------------------------------------------------------
    def _params(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if device not in self._cache:
            self._cache[device] = (
                to_float64_tensor(np.log(self._weights), device),
                to_float64_tensor(self._means, device),
                to_float64_tensor(self._chols, device),
            )
        return self._cache[device]

    def _joint(self, x: torch.Tensor) -> torch.Tensor:
        log_w, means, chols = self._params(x.device)
        return log_w + component_log_densities(x, means, chols)  # (..., K)

    def _logpdf(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(self._joint(x), dim=-1)

    def _score(self, x: torch.Tensor) -> torch.Tensor:
        if self._diagonal is not None and not x.requires_grad:
            return self._diagonal(x)
        log_w, means, chols = self._params(x.device)
        return mixture_score(x, log_w, means, chols)

    def score_into(self, x: torch.Tensor, out: torch.Tensor, work: Workspace | None = None) -> torch.Tensor:
        """Write :math:`\\nabla\\log p(x)` into ``out`` and return it (the samplers' allocation-free route).

        ``x`` a float64 tensor ``(..., d)`` without gradient, ``out`` a contiguous tensor of the same shape, dtype
        and device (not aliasing ``x``), ``work`` a :class:`~theorylab.workspace.Workspace` reused across calls.
        Diagonal covariances use :class:`~theorylab.distributions.diagonal_mixture.DiagonalMixtureScore` in place
        (the same kernel as :meth:`score`, so both give the same bits); other mixtures copy :meth:`score`.
        """
        if (self._diagonal is not None and not x.requires_grad and x.dtype == torch.float64
                and out.dtype == torch.float64 and out.is_contiguous() and out.shape == x.shape
                and x.shape[-1] == self.dim):
            return self._diagonal.into(x, out, Workspace() if work is None else work)
        return out.copy_(self.score(x))

    def responsibilities(self, x: Any) -> np.ndarray | torch.Tensor:
        """Posterior component probabilities :math:`r_k(x)`, shape ``(..., d) -> (..., K)``."""
        return self._apply(lambda t: torch.softmax(self._joint(t), dim=-1), x)

    # ---- sampling -----------------------------------------------------------------------------------------------
    def sample_with_labels(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` points and their component labels: shapes ``(n, d)`` float64 and ``(n,)`` int."""
        n = self._check_sample_args(n, rng)
        labels = rng.choice(self.n_components, size=n, p=self._weights)
        z = rng.standard_normal((n, self.dim))
        x = self._means[labels] + np.einsum("nij,nj->ni", self._chols[labels], z)
        return x, labels

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` points: a component :math:`k \\sim w`, then :math:`\\mu_k + L_k Z`; shape ``(n, d)``."""
        return self.sample_with_labels(n, rng)[0]

    # ---- closed family ------------------------------------------------------------------------------------------
    def affine_pushforward(self, A: Any, b: Any, noise_cov: Any) -> GaussianMixture:
        """Law of :math:`AX + b + \\varepsilon`: components :math:`\\mathcal N(A\\mu_k + b, A\\Sigma_k A^\\top + N)`,
        same weights. Shapes as in :mod:`theorylab.distributions.affine`."""
        matrix, shift, noise = parse_affine(A, b, noise_cov, self.dim)
        pairs = [pushforward_gaussian(m, c, matrix, shift, noise) for m, c in zip(self._means, self._covs)]
        try:
            return GaussianMixture(self._weights, np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
        except ConfigError:
            raise ConfigError(
                "A: the pushed-forward covariance A cov A^T + noise_cov is not positive definite"
            ) from None

    def __repr__(self) -> str:
        return (f"GaussianMixture(weights={self._weights.tolist()!r}, means={self._means.tolist()!r}, "
                f"covs={self._covs.tolist()!r})")
