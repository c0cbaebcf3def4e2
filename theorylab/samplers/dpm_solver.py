"""``dpm-solver-2``: the second-order singlestep DPM-Solver (Lu, Zhou, Bao, Chen, Li & Zhu, NeurIPS 2022,
Algorithm 1 with :math:`r_1 = 1/2`), an exponential integrator of the probability-flow ODE in the half log-SNR
:math:`\\lambda_t = \\log(\\alpha_t/\\sigma_t)`.

With :math:`\\hat\\epsilon(x, t) = -\\sigma_t s(t, x)` and a step from forward time :math:`t^+` to :math:`t^-`,
:math:`h = \\lambda_{t^-} - \\lambda_{t^+}`, and the midpoint :math:`u` with :math:`\\lambda_u = \\lambda_{t^+} + h/2`:

.. math::

    x_u = \\frac{\\alpha_u}{\\alpha_{t^+}}x - \\sigma_u(e^{h/2} - 1)\\,\\hat\\epsilon(x, t^+), \\qquad
    Y' = \\frac{\\alpha_{t^-}}{\\alpha_{t^+}}x - \\sigma_{t^-}(e^{h} - 1)\\,\\hat\\epsilon(x_u, u).

:math:`u` is found from :math:`\\sigma_u/\\alpha_u = e^{-\\lambda_u}` (:meth:`Process.time_of_noise_to_signal`).
A last step to :math:`\\sigma_{t^-} = 0` (:math:`\\lambda = \\infty`, the grid's :math:`t = 0`) is the limit of the
formula, the first-order (DDIM) denoising step :math:`Y' = (\\alpha_{t^-}/\\alpha_{t^+})(x + \\sigma_{t^+}^2
s(t^+, x))`; Lu et al. avoid it by stopping at :math:`t = \\epsilon` (``sampler.early_stop``).

Order 2 (deterministic: weak = strong), for a grid that stops at :math:`t = \\epsilon > 0`.
"""

from __future__ import annotations

import math

from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["DPMSolver2Sampler", "dpm_solver_2_transition"]


def dpm_solver_2_transition(process, t_hi: float, t_lo: float) -> Transition:
    """One DPM-Solver-2 step from ``t_hi`` to ``t_lo`` (module docstring)."""
    a_hi, s_hi = (float(v) for v in process.marginal_coefficients(t_hi))
    a_lo, s_lo = (float(v) for v in process.marginal_coefficients(t_lo))
    if s_lo == 0.0:  # the limit lambda -> infinity: Tweedie's denoising step
        keep, push = a_lo / a_hi, a_lo / a_hi * s_hi * s_hi

        def denoise(y, ev):
            return keep * y + push * ev.score(t_hi, y)

        return Transition(denoise, 0.0, (t_hi,))
    lam_hi, lam_lo = math.log(a_hi / s_hi), math.log(a_lo / s_lo)
    h = lam_lo - lam_hi
    t_mid = process.time_of_noise_to_signal(math.exp(-(lam_hi + 0.5 * h)))
    a_mid, s_mid = (float(v) for v in process.marginal_coefficients(t_mid))
    # x_u = a_mid/a_hi x + s_mid (e^{h/2} - 1) s_hi s(t_hi, x);  Y' = a_lo/a_hi x + s_lo (e^h - 1) s_mid s(t_mid, x_u)
    keep_mid, push_mid = a_mid / a_hi, s_mid * math.expm1(0.5 * h) * s_hi
    keep, push = a_lo / a_hi, s_lo * math.expm1(h) * s_mid

    def mean(y, ev):
        x_mid = keep_mid * y + push_mid * ev.score(t_hi, y)
        return keep * y + push * ev.score(t_mid, x_mid)

    return Transition(mean, 0.0, (t_hi, t_mid))


class DPMSolver2Sampler(Sampler):
    """DPM-Solver-2 (singlestep, midpoint in :math:`\\lambda`) on the probability-flow ODE of any process."""

    name = "dpm-solver-2"
    weak_order = 2.0
    strong_order = 2.0

    def declare(self, grid, process) -> Chain:
        return chain_over_grid(grid, lambda n, hi, lo, h: [dpm_solver_2_transition(process, hi, lo)])
