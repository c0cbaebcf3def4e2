"""``annealed-langevin``: annealed Langevin dynamics of SMLD (Song & Ermon, NeurIPS 2019, Algorithm 1; seed 002,
'SMLD e DDPM como discretizações').

For noise levels :math:`\\sigma_1 > \\dots > \\sigma_L`, run :math:`K` Langevin steps at each level,

.. math:: x \\leftarrow x + \\tfrac{\\alpha_i}{2}\\, s(\\sigma_i, x) + \\sqrt{\\alpha_i}\\,z, \\qquad
          \\alpha_i = \\epsilon\\,\\sigma_i^2/\\sigma_L^2,

each a Gaussian transition with mean map :math:`x + \\tfrac{\\alpha_i}2 s` and variance :math:`\\alpha_i` (exact and
grid laws exist). The levels here are the grid's backward times :math:`t_n = F_{N-n}`, :math:`n = 0..N-1` (the
upper end of each backward step, as ``reverse-em``), with :math:`\\sigma_i = \\sigma_{t}` the noise scale of the
marginal :math:`X_t = \\alpha_tX_0 + \\sigma_tZ` (VE's :math:`\\sigma(t)`; for VP and OU the scale of the noise in
the unscaled state, which keeps the step below the width of :math:`p_t`); Langevin at level :math:`t` targets
:math:`p_t`, whose score is fed. The output is the state after the last level, :math:`t = F_1` (Song & Ermon output the last iterate at
:math:`\\sigma_L`, without a denoising step).

Orders: none in the step size — the bias at a fixed :math:`\\epsilon` does not vanish as the grid is refined
(``weak_order = strong_order = None``); it vanishes as :math:`\\epsilon \\to 0` with :math:`K\\epsilon` large.
"""

from __future__ import annotations

import math

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["AnnealedLangevinSampler"]


class AnnealedLangevinSampler(Sampler):
    """SMLD's annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1): Langevin steps at every noise level.

    Parameters
    ----------
    eps : float
        Step parameter :math:`\\epsilon > 0` (Song & Ermon: 2e-5 for images with :math:`\\sigma_L = 0.01`).
    n_steps_each : int
        Langevin steps :math:`K \\ge 1` per noise level (Song & Ermon: 100).
    """

    name = "annealed-langevin"
    weak_order = None
    strong_order = None

    def __init__(self, eps: float = 2e-5, n_steps_each: int = 100):
        try:
            eps = float(eps)
        except (TypeError, ValueError):
            raise ConfigError(f"sampler.eps: must be a number > 0, got {eps!r}") from None
        if not (math.isfinite(eps) and eps > 0):
            raise ConfigError(f"sampler.eps: must be > 0, got {eps!r}")
        if isinstance(n_steps_each, bool) or int(n_steps_each) != n_steps_each or int(n_steps_each) < 1:
            raise ConfigError(f"sampler.n_steps_each: must be an integer >= 1, got {n_steps_each!r}")
        self.eps = eps
        self.n_steps_each = int(n_steps_each)

    def declare(self, grid, process) -> Chain:
        sigma_last = float(process.marginal_coefficients(float(grid.cumulative_times[1]))[1])
        if not sigma_last > 0.0:
            raise ConfigError("sampler.grid: the smallest noise level is 0; annealed Langevin needs sigma_L > 0")

        def build(n, t_hi, t_lo, h):
            step = self.eps * (float(process.marginal_coefficients(t_hi)[1]) / sigma_last) ** 2
            half = 0.5 * step

            def mean(y, ev, t=t_hi):
                return y + half * ev.score(t, y)

            return [Transition(mean, step, (t_hi,)) for _ in range(self.n_steps_each)]

        return chain_over_grid(grid, build)
