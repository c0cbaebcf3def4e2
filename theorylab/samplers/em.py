"""One Euler--Maruyama step for every backward SDE scheme (reverse-em, ancestral, reverse-sde).

.. math::

    Y_{n+1} = Y_n + h_n\\big[-a(t_n) Y_n + g(t_n)^2\\,s(t_n, Y_n)\\big] + \\sqrt{g(t_n)^2 h_n}\\;Z_{n+1},
    \\qquad h_n = \\gamma_{N-1-n},

for backward steps :math:`n = 0, \\dots, N-1`, with :math:`f(t, y) = a(t)y` the forward drift. The schemes differ
**only** in the time map :math:`n \\mapsto t_n` (``TimeGrid.score_times``): ``reverse-em`` feeds :math:`F_{N-n}`,
``ancestral`` feeds :math:`F_{N-1-n}`. For OU (:math:`a = -1`, :math:`g^2 = 2`) this is the seeds' update
:math:`Y + \\gamma(Y + 2s) + \\sqrt{2\\gamma}Z` (seed 000, 'En la práctica' and '¿Y ahora qué?').
"""

from __future__ import annotations

import math

from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["EulerMaruyamaSampler", "em_transition"]


def em_transition(process, t: float, h: float) -> Transition:
    """The EM transition of the reverse SDE at forward time ``t`` with step ``h``:
    :math:`\\mu(y) = (1 - h a(t))y + h g(t)^2 s(t, y)`, :math:`v = g(t)^2 h`.

    ``fused`` is the same step in place for the torch route (:attr:`Transition.fused`): the score is written into a
    workspace buffer, then ``y <- keep*y``, ``s <- push*s``, ``y <- y + s``, ``z <- sqrt(v)*z``, ``y <- y + z``: the
    operations of ``keep*y + push*s + sqrt(v)*z``, each rounded once as there (``add_(alpha=)`` would fuse a
    multiply-add and change the last bit), so both forms give the same particles.
    """
    g2 = float(process.diffusion_squared(t))
    keep = 1.0 - h * process.drift_rate(t)
    push = h * g2
    var = g2 * h
    root = math.sqrt(var)

    def mean(y, ev):
        return keep * y + push * ev.score(t, y)

    def fused(y, ev, z):
        s = ev.score_into(t, y, ev.buffer("em.score", y))
        y.mul_(keep).add_(s.mul_(push))
        if z is not None:
            y.add_(z.mul_(root))
        return y

    return Transition(mean, var, (t,), fused=fused)


class EulerMaruyamaSampler(Sampler):
    """Generic backward EM sampler; subclasses choose ``convention`` (the time map) and the allowed processes.

    Orders: the noise is additive (:math:`g` depends on time only), so EM has strong order 1 and weak order 1
    (Kloeden & Platen 1992, Thms 10.2.2 and 14.5.1), for the SDE with the score it is given.
    """

    convention: str = "reverse-em"
    weak_order = 1.0
    strong_order = 1.0

    def declare(self, grid, process) -> Chain:
        times = grid.score_times(self.convention).tolist()
        return chain_over_grid(grid, lambda n, hi, lo, h: [em_transition(process, times[n], h)])
