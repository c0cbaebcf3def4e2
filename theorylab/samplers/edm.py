"""``edm``: the sampler of Karras, Aittala, Aila & Laine (NeurIPS 2022, "Elucidating the design space",
Algorithm 2): Heun's method on the probability-flow ODE in the noise level :math:`\\sigma`, with optional
stochastic "churn", usually on the Karras schedule (:meth:`TimeGrid.karras`, :math:`\\rho = 7`).

Karras et al. write the flow for the scaled state :math:`\\tilde x = x/\\alpha_t` and the noise level
:math:`\\tilde\\sigma_t = \\sigma_t/\\alpha_t` (their eq. 4 with :math:`s(t) = \\alpha_t`), where it is

.. math:: \\frac{d\\tilde x}{d\\tilde\\sigma} = -\\tilde\\sigma\\,\\nabla_{\\tilde x}\\log\\tilde p
          = -\\tilde\\sigma\\,\\alpha_t\\, s(t, \\alpha_t\\tilde x)

(for VE, :math:`\\alpha = 1`: :math:`dx/d\\sigma = -\\sigma s`). A step from :math:`t^+` to :math:`t^-`
(:math:`\\tilde\\sigma_i > \\tilde\\sigma_{i+1}`):

1. churn (if ``s_churn > 0`` and :math:`\\tilde\\sigma_i \\in [s_{tmin}, s_{tmax}]`): :math:`\\gamma =
   \\min(s_{churn}/N, \\sqrt2 - 1)`, :math:`\\hat\\sigma = \\tilde\\sigma_i(1+\\gamma)` (capped at
   :math:`\\tilde\\sigma_T`), :math:`\\hat x = \\tilde x + \\sqrt{\\hat\\sigma^2 - \\tilde\\sigma_i^2}\\,s_{noise}Z`;
   a Gaussian transition (identity mean, in the unscaled state a rescaling);
2. Heun from :math:`\\hat\\sigma` to :math:`\\tilde\\sigma_{i+1}`, or Euler when :math:`\\tilde\\sigma_{i+1} = 0` (the
   last step to :math:`t = 0`); a deterministic transition.

Both are written on the unscaled state (multiply by :math:`\\alpha` at the step's ends), so the sampler composes
with every process and route. Orders: Heun's 2 (deterministic, ``s_churn = 0``); with churn the scheme injects
noise at a rate set by ``s_churn``, and no order is claimed (``None``).
"""

from __future__ import annotations

import math

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["EDMSampler"]


def _flow_slope(process, t: float, level: float):
    """:math:`d\\tilde x/d\\tilde\\sigma` at time ``t`` as a function of the *unscaled* state ``x``:
    :math:`-\\tilde\\sigma\\,\\alpha_t\\,s(t, x)`."""
    alpha = float(process.marginal_coefficients(t)[0])
    c = -level * alpha

    def slope(x, ev):
        return c * ev.score(t, x)

    return slope, alpha


def heun_sigma_transition(process, t_from: float, t_to: float) -> Transition:
    """Heun (Euler when the target level is 0) in :math:`\\tilde\\sigma` from ``t_from`` to ``t_to``, on the unscaled
    state."""
    s_from, s_to = process.noise_to_signal(t_from), process.noise_to_signal(t_to)
    slope_from, a_from = _flow_slope(process, t_from, s_from)
    a_to = float(process.marginal_coefficients(t_to)[0])
    d_sigma = s_to - s_from
    if s_to == 0.0:
        def euler(x, ev):
            return (a_to / a_from) * x + (a_to * d_sigma) * slope_from(x, ev)

        return Transition(euler, 0.0, (t_from,))
    slope_to, _ = _flow_slope(process, t_to, s_to)

    def heun(x, ev):
        d1 = slope_from(x, ev)
        x_tilde = (1.0 / a_from) * x
        euler_tilde = x_tilde + d_sigma * d1
        d2 = slope_to(a_to * euler_tilde, ev)
        return a_to * (x_tilde + (0.5 * d_sigma) * (d1 + d2))

    return Transition(heun, 0.0, (t_from, t_to))


class EDMSampler(Sampler):
    """Heun in the noise level with optional churn (Karras et al. 2022, Algorithm 2).

    Parameters
    ----------
    s_churn, s_tmin, s_tmax, s_noise : float
        Karras et al.'s churn parameters (defaults: deterministic sampler, ``s_churn = 0``).
    """

    name = "edm"

    def __init__(self, s_churn: float = 0.0, s_tmin: float = 0.0, s_tmax: float = math.inf, s_noise: float = 1.0):
        values = {"s_churn": s_churn, "s_tmin": s_tmin, "s_tmax": s_tmax, "s_noise": s_noise}
        for key, value in values.items():
            try:
                v = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"sampler.{key}: must be a number >= 0, got {value!r}") from None
            if math.isnan(v) or v < 0 or (key != "s_tmax" and math.isinf(v)):
                raise ConfigError(f"sampler.{key}: must be a finite number >= 0, got {value!r}")
            setattr(self, key, v)

    @property
    def weak_order(self) -> float | None:
        return 2.0 if self.s_churn == 0.0 else None

    @property
    def strong_order(self) -> float | None:
        return self.weak_order

    def declare(self, grid, process) -> Chain:
        gamma_max = min(self.s_churn / grid.N, math.sqrt(2.0) - 1.0)
        level_cap = process.noise_to_signal(grid.T)

        def build(n, t_hi, t_lo, h):
            level = process.noise_to_signal(t_hi)
            out = []
            t_from = t_hi
            if gamma_max > 0.0 and self.s_tmin <= level <= self.s_tmax:
                hat = min(level * (1.0 + gamma_max), level_cap)
                if hat > level:
                    t_from = process.time_of_noise_to_signal(hat)
                    a_hi, a_hat = (float(process.marginal_coefficients(t)[0]) for t in (t_hi, t_from))
                    ratio = a_hat / a_hi
                    var = (a_hat * self.s_noise) ** 2 * (hat * hat - level * level)

                    def churn(x, ev, ratio=ratio):
                        return ratio * x

                    out.append(Transition(churn, var, ()))
            out.append(heun_sigma_transition(process, t_from, t_lo))
            return out

        return chain_over_grid(grid, build)
