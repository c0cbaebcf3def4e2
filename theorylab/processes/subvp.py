"""Sub-variance-preserving SDE (Song et al., ICLR 2021, eq. 11; seed 002 lists VE, VP and sub-VP).

.. math::

    dX_t = -\\tfrac12\\beta(t)X_t\\,dt + \\sqrt{\\beta(t)\\big(1 - e^{-2B(t)}\\big)}\\,dB_t,
    \\qquad B(t) = \\int_0^t\\beta,

with the linear :math:`\\beta` of :class:`~theorylab.processes.VariancePreserving`. Its marginals are
:math:`\\alpha_t = e^{-B(t)/2}` (as VP) and :math:`\\sigma_t = 1 - e^{-B(t)}` (Song et al., eq. 29), so
:math:`\\sigma_t^2 \\le` VP's :math:`1 - e^{-B(t)}` ("sub"); the prior is :math:`N(0, I)` as in score_sde_pytorch.
"""

from __future__ import annotations

import numpy as np

from theorylab.processes.base import as_time
from theorylab.processes.vp import VariancePreserving

__all__ = ["SubVariancePreserving"]


class SubVariancePreserving(VariancePreserving):
    """sub-VP SDE with a linear :math:`\\beta` schedule on :math:`[0, T]` (same parameters as VP)."""

    name = "subvp"

    def diffusion_squared(self, t):
        b = np.asarray(self.beta_integral(t))
        return as_time(np.asarray(self.beta(t)) * (-np.expm1(-2.0 * b)))

    def marginal_coefficients(self, t):
        b = np.asarray(self.beta_integral(t))
        return as_time(np.exp(-0.5 * b)), as_time(-np.expm1(-b))

    def score_integral(self, t_lo, t_hi):
        """Closed form :math:`\\alpha_{lo}[2(1/\\alpha_{hi} - 1/\\alpha_{lo}) + \\tfrac23(\\alpha_{hi}^3 -
        \\alpha_{lo}^3)]` (from :math:`d\\alpha/du = -\\tfrac12\\beta\\alpha`)."""
        a_lo, a_hi = float(self.marginal_coefficients(t_lo)[0]), float(self.marginal_coefficients(t_hi)[0])
        return a_lo * (2.0 * (1.0 / a_hi - 1.0 / a_lo) + (2.0 / 3.0) * (a_hi**3 - a_lo**3))
