"""Variance-preserving SDE (DDPM's continuous limit; seed 002, slide 'SMLD e DDPM como discretizações de SDEs').

.. math::

    dX_t = -\\tfrac12\\beta(t)X_t\\,dt + \\sqrt{\\beta(t)}\\,dB_t, \\qquad
    \\beta(t) = \\beta_{\\min} + (\\beta_{\\max} - \\beta_{\\min})\\,t/T,

so that with :math:`B(t) = \\int_0^t \\beta = \\beta_{\\min}t + (\\beta_{\\max}-\\beta_{\\min})t^2/(2T)`,

.. math::

    \\alpha_t = e^{-B(t)/2}, \\qquad \\sigma_t^2 = 1 - e^{-B(t)}.

The seed's perturbation kernel writes the mean as :math:`x(0)\\exp(-\\int_0^t\\beta)`, missing the factor 1/2
(Song et al. 2021, eq. 29, has :math:`e^{-\\frac12\\int\\beta}`); the variance :math:`1 - e^{-\\int\\beta}` is right.
VP is OU run on the clock :math:`\\tau(t) = B(t)/2`.
"""

from __future__ import annotations

import numpy as np

from theorylab.errors import ConfigError
from theorylab.processes.base import Process, as_time, check_positive

__all__ = ["VariancePreserving"]


class VariancePreserving(Process):
    """VP SDE with a linear :math:`\\beta` schedule on :math:`[0, T]` (defaults of Song et al. 2021).

    Parameters
    ----------
    beta_min, beta_max : float
        :math:`\\beta(0)` and :math:`\\beta(T)`; ``0 <= beta_min <= beta_max``, ``beta_max > 0``.
    T : float
        Horizon (> 0). The schedule is linear over ``[0, T]`` whatever ``T`` is.
    """

    name = "vp"

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0, T: float = 1.0):
        self.beta_min = check_positive("process.beta_min", beta_min, allow_zero=True)
        self.beta_max = check_positive("process.beta_max", beta_max)
        if self.beta_max < self.beta_min:
            raise ConfigError(f"process.beta_max: must be >= beta_min={beta_min}, got {beta_max}")
        self.T = check_positive("process.T", T)

    def beta(self, t):
        """:math:`\\beta(t) = \\beta_{\\min} + (\\beta_{\\max}-\\beta_{\\min})t/T`."""
        t = as_time(t)
        return as_time(self.beta_min + (self.beta_max - self.beta_min) * np.asarray(t) / self.T)

    def beta_integral(self, t):
        """:math:`B(t) = \\int_0^t \\beta(u)\\,du = \\beta_{\\min}t + (\\beta_{\\max}-\\beta_{\\min})t^2/(2T)`."""
        t = np.asarray(as_time(t))
        return as_time(self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2 / self.T)

    def drift(self, t, x):
        return (-0.5 * float(self.beta(t))) * x

    def diffusion_squared(self, t):
        return self.beta(t)

    def marginal_coefficients(self, t):
        b = np.asarray(self.beta_integral(t))
        return as_time(np.exp(-0.5 * b)), as_time(np.sqrt(-np.expm1(-b)))

    @property
    def prior_std(self) -> float:
        return 1.0

    def score_integral(self, t_lo, t_hi):
        """Closed form :math:`2(\\alpha_{lo}/\\alpha_{hi} - 1)` (since :math:`d(1/\\alpha_u)/du = \\tfrac12\\beta(u)/\\alpha_u`)."""
        a_lo, a_hi = float(self.marginal_coefficients(t_lo)[0]), float(self.marginal_coefficients(t_hi)[0])
        return 2.0 * (a_lo / a_hi - 1.0)

    def _params(self):
        return {"beta_min": self.beta_min, "beta_max": self.beta_max, "T": self.T}
