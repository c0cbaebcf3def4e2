r"""The exact "network" of a Gaussian target, in each library's model-output convention.

For a target :math:`X_0 \sim N(\mu, \Sigma)` and a noisy state :math:`x = \alpha X_0 + \sigma Z` (VP:
:math:`\alpha^2 + \sigma^2 = 1`; VE/EDM: :math:`\alpha = 1`), the law of :math:`x` is
:math:`N(\alpha\mu, C)`, :math:`C = \alpha^2\Sigma + \sigma^2 I`, and its score is affine:

.. math::

    s(x) = -C^{-1}(x - \alpha\mu).

Every model-output convention is an affine function of the score (Tweedie's formula,
:math:`E[X_0 \mid x] = (x + \sigma^2 s(x))/\alpha`):

* :math:`\epsilon`-prediction (Ho et al. 2020, eq. 11): :math:`\hat\epsilon = -\sigma\, s(x)`;
* :math:`x_0`-prediction (diffusers ``"sample"``): :math:`\hat x_0 = (x + \sigma^2 s(x))/\alpha`;
* :math:`v`-prediction (Salimans & Ho 2022, eq. 9 ff.): :math:`\hat v = \alpha\hat\epsilon - \sigma\hat x_0`;
* the EDM denoiser (Karras et al. 2022, eq. 2, VE state :math:`\tilde x = x/\alpha`, level
  :math:`\tilde\sigma = \sigma/\alpha`): :math:`D(\tilde x; \tilde\sigma) = \tilde x + \tilde\sigma^2\,
  \nabla\log p_{\tilde\sigma}(\tilde x)` with :math:`p_{\tilde\sigma} = N(\mu, \Sigma + \tilde\sigma^2 I)`.

These are exact, so a sampler fed them is audited for its discretisation alone. Computed in float64 torch on
``(..., d)`` tensors; the inverse :math:`C^{-1}` by ``torch.linalg.solve`` on the float64 matrix.
"""

from __future__ import annotations

import numpy as np
import torch

from theorylab.errors import ConfigError

__all__ = ["PREDICTION_TYPES", "GaussianModel"]

#: Model-output conventions: the names diffusers uses (``"sample"`` is x0-prediction).
PREDICTION_TYPES = ("epsilon", "sample", "v_prediction")


class GaussianModel:
    """Exact predictions for the Gaussian target ``N(mean, cov)`` (module docstring).

    Parameters
    ----------
    mean : array, shape (d,)
    cov : array, shape (d, d), symmetric positive definite
    """

    def __init__(self, mean, cov):
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.cov = np.asarray(cov, dtype=np.float64)
        self.dim = int(self.mean.size)
        if self.cov.shape != (self.dim, self.dim):
            raise ConfigError(f"target.cov: must be {self.dim}x{self.dim}, got shape {self.cov.shape}")
        self._mean_t = torch.from_numpy(self.mean)
        self._cov_t = torch.from_numpy(self.cov)

    def score(self, x: torch.Tensor, alpha: float, sigma: float) -> torch.Tensor:
        """:math:`-C^{-1}(x - \\alpha\\mu)`, :math:`C = \\alpha^2\\Sigma + \\sigma^2 I`, for ``x`` of shape (..., d)."""
        alpha, sigma = float(alpha), float(sigma)
        x = torch.as_tensor(x, dtype=torch.float64)
        C = alpha * alpha * self._cov_t + sigma * sigma * torch.eye(self.dim, dtype=torch.float64)
        r = (x - alpha * self._mean_t).reshape(-1, self.dim).T
        return (-torch.linalg.solve(C, r)).T.reshape(x.shape)

    def predict(self, x: torch.Tensor, alpha: float, sigma: float, prediction_type: str) -> torch.Tensor:
        """The model output in the convention ``prediction_type`` (one of :data:`PREDICTION_TYPES`)."""
        if prediction_type not in PREDICTION_TYPES:
            raise ConfigError(f"prediction_type: must be one of {PREDICTION_TYPES}, got {prediction_type!r}")
        s = self.score(x, alpha, sigma)
        x = torch.as_tensor(x, dtype=torch.float64)
        eps = -float(sigma) * s
        x0 = (x + float(sigma) ** 2 * s) / float(alpha)
        if prediction_type == "epsilon":
            return eps
        if prediction_type == "sample":
            return x0
        return float(alpha) * eps - float(sigma) * x0

    def denoiser(self, x: torch.Tensor, level: float) -> torch.Tensor:
        """EDM's :math:`D(x;\\sigma) = x + \\sigma^2\\nabla\\log N(\\mu, \\Sigma + \\sigma^2 I)(x)` (VE state)."""
        return torch.as_tensor(x, dtype=torch.float64) + float(level) ** 2 * self.score(x, 1.0, level)
