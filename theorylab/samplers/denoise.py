"""A final Tweedie denoising step after any chain sampler (Song et al. 2021's ``noise_removal``; Jolicoeur-Martineau
et al. 2021), for early stopping at :math:`t = \\epsilon` (``sampler.early_stop``, ``sampler.denoise``).

Tweedie's formula gives the posterior mean of the data given the state at time :math:`\\epsilon`,
:math:`E[X_0 | X_\\epsilon = x] = (x + \\sigma_\\epsilon^2\\nabla\\log p_\\epsilon(x))/\\alpha_\\epsilon`; with the
score in place of :math:`\\nabla\\log p_\\epsilon` it is the deterministic transition

.. math:: Y' = \\frac{Y + \\sigma_\\epsilon^2\\, s(\\epsilon, Y)}{\\alpha_\\epsilon},

appended to the sampler's declared chain as one more step (its orders are the base sampler's: the step adds an
:math:`O(\\sigma_\\epsilon^2)` bias, not a discretisation error).
"""

from __future__ import annotations

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Step, Transition

__all__ = ["TweedieDenoised", "tweedie_transition"]


def tweedie_transition(process, t: float) -> Transition:
    """The Tweedie denoising transition at forward time ``t`` (module docstring)."""
    alpha, sigma = (float(v) for v in process.marginal_coefficients(t))
    keep, push = 1.0 / alpha, sigma * sigma / alpha

    def mean(y, ev):
        return keep * y + push * ev.score(t, y)

    return Transition(mean, 0.0, (t,))


class TweedieDenoised(Sampler):
    """``base`` followed by a Tweedie step at the grid's first time :math:`F_0 = \\epsilon` (must be > 0)."""

    def __init__(self, base: Sampler):
        self.base = base
        self.name = f"{base.name}+denoise"
        self.processes = base.processes
        self.convention = getattr(base, "convention", "reverse-em")

    @property
    def weak_order(self):
        return self.base.weak_order

    @property
    def strong_order(self):
        return self.base.strong_order

    def declare(self, grid, process) -> Chain:
        chain = self.base.declare(grid, process)
        if not isinstance(chain, Chain):
            raise ConfigError(f"sampler.denoise: {self.base.name!r} is not a chain of steps (a continuous flow); "
                              "no denoising step can be appended")
        eps = float(grid.cumulative_times[0])
        if not eps > 0.0:
            raise ConfigError("sampler.denoise: needs a grid that stops at t = eps > 0 (sampler.early_stop)")
        return Chain((*chain.steps, Step((tweedie_transition(process, eps),), eps, eps, 0.0)))
