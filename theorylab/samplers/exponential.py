"""``exponential-integrator``: the reverse SDE with its linear part integrated exactly and the score frozen at the
start of each step — the scheme the convergence theorems of Chen, Chewi, Li, Li, Salim & Zhang (ICLR 2023, eq. 2.4)
and Benton, De Bortoli, Doucet & Deligiannidis (ICLR 2024, eq. 4) are proved for.

For the forward SDE :math:`dX = a(t)X\\,dt + g(t)\\,dB` with marginals :math:`X_t = \\alpha_t X_0 + \\sigma_t Z`, the
reverse SDE on a backward step from forward time :math:`t^+` down to :math:`t^-`, with the score frozen at
:math:`s(t^+, Y)`, is linear with additive noise and integrates exactly to

.. math::

    Y' = \\frac{\\alpha_{t^-}}{\\alpha_{t^+}}\\,Y
         + \\Big(\\alpha_{t^-}\\int_{t^-}^{t^+}\\frac{g(u)^2}{\\alpha_u}du\\Big)\\, s(t^+, Y)
         + \\sqrt{v}\\,Z, \\qquad
    v = \\Big(\\frac{\\alpha_{t^-}}{\\alpha_{t^+}}\\Big)^2\\sigma_{t^+}^2 - \\sigma_{t^-}^2

(:math:`v` from :math:`d(\\sigma_u^2/\\alpha_u^2)/du = g(u)^2/\\alpha_u^2`; the score integral is
:meth:`Process.score_integral`, closed form for OU/VP/VE/sub-VP). For OU with step :math:`h`:
:math:`Y' = e^hY + 2(e^h - 1)s + \\sqrt{e^{2h} - 1}\\,Z` (Chen et al.'s eq. 2.4 with :math:`T - t_k` the forward time).

Orders: weak and strong order 1 in the step for a smooth score (the frozen score is the only error; Benton et al.
2024 prove a KL bound linear in the step size). With an exact score on a Gaussian target the error per step is
:math:`O(h^2)` in the mean/covariance, so the fitted weak order is 1 (checked in tests).
"""

from __future__ import annotations

import math

from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["ExponentialIntegratorSampler", "exponential_transition"]


def exponential_transition(process, t_hi: float, t_lo: float) -> Transition:
    """The exponential-integrator transition from forward time ``t_hi`` down to ``t_lo`` (module docstring)."""
    a_hi, s_hi = (float(v) for v in process.marginal_coefficients(t_hi))
    a_lo, s_lo = (float(v) for v in process.marginal_coefficients(t_lo))
    ratio = a_lo / a_hi
    push = float(process.score_integral(t_lo, t_hi))
    var = max(ratio * ratio * s_hi * s_hi - s_lo * s_lo, 0.0)

    def mean(y, ev):
        return ratio * y + push * ev.score(t_hi, y)

    return Transition(mean, var, (t_hi,))


class ExponentialIntegratorSampler(Sampler):
    """Exponential integrator of the reverse SDE, for any linear-drift process (OU, VP, VE, sub-VP)."""

    name = "exponential-integrator"
    weak_order = 1.0
    strong_order = 1.0

    def declare(self, grid, process) -> Chain:
        return chain_over_grid(grid, lambda n, hi, lo, h: [exponential_transition(process, hi, lo)])
