"""One Euler--Maruyama loop for every backward SDE scheme (reverse-em, ancestral, reverse-sde).

.. math::

    Y_{n+1} = Y_n + h_n\\big[-f(t_n, Y_n) + g(t_n)^2\\,s(t_n, Y_n)\\big] + \\sqrt{g(t_n)^2 h_n}\\;Z_{n+1},
    \\qquad h_n = \\gamma_{N-1-n},

for backward steps :math:`n = 0, \\dots, N-1`. The schemes differ **only** in the time map
:math:`n \\mapsto t_n` (``TimeGrid.score_times``): ``reverse-em`` feeds :math:`F_{N-n}`, ``ancestral`` feeds
:math:`F_{N-1-n}`. For OU (:math:`f = -y`, :math:`g^2 = 2`) this is the seeds' update
:math:`Y + \\gamma(Y + 2s) + \\sqrt{2\\gamma}Z` (seed 000, 'En la práctica' and '¿Y ahora qué?').
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theorylab.samplers.base import NoiseSource, Sampler

__all__ = ["EulerMaruyamaSampler", "reverse_euler_maruyama"]


def reverse_euler_maruyama(reverse, times: np.ndarray, steps: np.ndarray, y: torch.Tensor, noise: NoiseSource,
                           trajectory: list[torch.Tensor] | None = None) -> torch.Tensor:
    """Euler--Maruyama on the reverse SDE, feeding forward time ``times[n]`` with step ``steps[n]``.

    Parameters
    ----------
    reverse : ReverseProcess
        Supplies ``drift_at(t, y)`` and ``diffusion_squared_at(t)`` at forward time ``t``.
    times, steps : numpy.ndarray, shape (N,)
        Forward time fed at backward step ``n`` and the step size used there.
    y : torch.Tensor, shape ``(n, *event_shape)``
        Initial particles.
    noise : NoiseSource
        One draw per step.
    trajectory : list, optional
        States appended after every step.
    """
    # One working copy updated in place (the caller's tensor is never modified; peak memory stays O(n d) whatever
    # the number of steps, and no new state tensor is allocated per step).
    y = y.clone()
    for t, h in zip(times.tolist(), steps.tolist()):
        y.add_(reverse.drift_at(t, y), alpha=h)
        y.add_(noise.draw(), alpha=math.sqrt(reverse.diffusion_squared_at(t) * h))
        if trajectory is not None:
            trajectory.append(y.clone())
    return y


class EulerMaruyamaSampler(Sampler):
    """Generic backward EM sampler; subclasses choose ``convention`` (the time map) and the allowed processes.

    Orders: the noise is additive (:math:`g` depends on time only), so EM has strong order 1 and weak order 1
    (Kloeden & Platen 1992, Thms 10.2.2 and 14.5.1), for the SDE with the score it is given.
    """

    convention: str = "reverse-em"
    weak_order = 1.0
    strong_order = 1.0

    def noise_draws(self, grid) -> int:
        return grid.N

    def _run(self, score, grid, process, y, noise, trajectory):
        reverse = process.reverse(score)
        return reverse_euler_maruyama(reverse, grid.score_times(self.convention), grid.backward_gammas, y, noise,
                                      trajectory)
