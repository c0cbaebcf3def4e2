"""Variance-exploding SDE (SMLD/NCSN's continuous limit; seed 002, slide 'SMLD e DDPM como discretizações').

.. math::

    dX_t = \\sqrt{\\tfrac{d\\sigma^2(t)}{dt}}\\,dB_t, \\qquad
    \\sigma(t) = \\sigma_{\\min}\\,(\\sigma_{\\max}/\\sigma_{\\min})^{t/T},

so :math:`g(t) = \\sigma(t)\\sqrt{2\\ln(\\sigma_{\\max}/\\sigma_{\\min})/T}`, :math:`\\alpha_t = 1` and
:math:`\\sigma_t^2 = \\sigma(t)^2 - \\sigma(0)^2` (the seed's kernel :math:`[\\sigma^2(t)-\\sigma^2(0)]I`;
score_sde_pytorch's ``marginal_prob`` returns :math:`\\sigma(t)` itself, an approximation for
:math:`\\sigma_{\\min} \\ll \\sigma(t)`). The prior is :math:`N(0, \\sigma_{\\max}^2 I)`.
"""

from __future__ import annotations

import math

import numpy as np

from theorylab.errors import ConfigError
from theorylab.processes.base import Process, as_time, check_positive

__all__ = ["VarianceExploding"]


class VarianceExploding(Process):
    """VE SDE with a geometric noise scale on :math:`[0, T]`.

    Parameters
    ----------
    sigma_min, sigma_max : float
        :math:`0 < \\sigma_{\\min} < \\sigma_{\\max}`.
    T : float
        Horizon (> 0).
    """

    name = "ve"

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 50.0, T: float = 1.0):
        self.sigma_min = check_positive("process.sigma_min", sigma_min)
        self.sigma_max = check_positive("process.sigma_max", sigma_max)
        if not self.sigma_max > self.sigma_min:
            raise ConfigError(f"process.sigma_max: must be > sigma_min={sigma_min}, got {sigma_max}")
        self.T = check_positive("process.T", T)
        self._log_ratio = math.log(self.sigma_max / self.sigma_min)

    def sigma(self, t):
        """Noise scale :math:`\\sigma(t) = \\sigma_{\\min}(\\sigma_{\\max}/\\sigma_{\\min})^{t/T}`."""
        t = np.asarray(as_time(t))
        return as_time(self.sigma_min * np.exp(self._log_ratio * t / self.T))

    def drift(self, t, x):
        return 0.0 * x

    def diffusion_squared(self, t):
        s = np.asarray(self.sigma(t))
        return as_time(s**2 * (2.0 * self._log_ratio / self.T))

    def marginal_coefficients(self, t):
        t = np.asarray(as_time(t))
        # sigma(t)^2 - sigma_min^2 = sigma_min^2 (exp(2 L t / T) - 1), with expm1 for accuracy at small t
        var = self.sigma_min**2 * np.expm1(2.0 * self._log_ratio * t / self.T)
        return as_time(np.ones_like(t)), as_time(np.sqrt(var))

    def score_integral(self, t_lo, t_hi):
        """Closed form :math:`\\sigma_{hi}^2 - \\sigma_{lo}^2` (:math:`\\alpha = 1`, :math:`\\int g^2 = \\Delta\\sigma^2`)."""
        return float(self.marginal_coefficients(t_hi)[1]) ** 2 - float(self.marginal_coefficients(t_lo)[1]) ** 2

    @property
    def prior_std(self) -> float:
        return self.sigma_max

    def _params(self):
        return {"sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "T": self.T}
