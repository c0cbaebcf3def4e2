"""Ornstein--Uhlenbeck forward process, the seeds' reference noising (seed 000, slide 'Análisis del proceso OU').

.. math::

    dX_t = -X_t\\,dt + \\sqrt{2}\\,dB_t, \\qquad X_t = e^{-t}X_0 + \\sqrt{1 - e^{-2t}}\\,Z,

whose Euler--Maruyama chain is :math:`X_{k+1} = (1-\\gamma)X_k + \\sqrt{2\\gamma}Z_{k+1}` (seed 000, 'El Proceso
Forward'). The seed writes the solution as :math:`X_t = e^{-t}X_0 + B_{1-e^{-2t}}`, the same law.
"""

from __future__ import annotations

import numpy as np

from theorylab.processes.base import Process, as_time, check_positive

__all__ = ["OrnsteinUhlenbeck"]


class OrnsteinUhlenbeck(Process):
    """OU process :math:`f(t, x) = -x`, :math:`g(t) = \\sqrt 2` on :math:`[0, T]`.

    Parameters
    ----------
    T : float
        Horizon (> 0).

    Notes
    -----
    :math:`\\alpha_t = e^{-t}`, :math:`\\sigma_t^2 = 1 - e^{-2t}` (computed with ``expm1`` for accuracy at small
    ``t``); prior :math:`N(0, I)`, the stationary law.
    """

    name = "ou"

    def __init__(self, T: float = 1.0):
        self.T = check_positive("process.T", T)

    def drift(self, t, x):
        return -x

    def diffusion_squared(self, t):
        t = as_time(t)
        return 2.0 if np.ndim(t) == 0 else np.full_like(t, 2.0)

    def marginal_coefficients(self, t):
        t = as_time(t)
        return as_time(np.exp(-t)), as_time(np.sqrt(-np.expm1(-2.0 * np.asarray(t))))

    def score_integral(self, t_lo, t_hi):
        """Closed form :math:`2(e^{t_{hi}-t_{lo}} - 1)`."""
        return 2.0 * float(np.expm1(float(t_hi) - float(t_lo)))

    @property
    def prior_std(self) -> float:
        return 1.0
