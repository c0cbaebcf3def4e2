"""``reverse-em``: Euler--Maruyama on the time-reversed OU SDE (seed 000, slide 'En la práctica').

.. math::

    Y_0 \\sim N(0, I), \\qquad
    Y_{k+1} = Y_k + \\gamma_k\\{Y_k + 2 s(t_k, Y_k)\\} + \\sqrt{2\\gamma_k}\\,Z_{k+1}, \\qquad
    t_k = T - (\\gamma_0 + \\dots + \\gamma_{k-1}),

output :math:`Y_N`; for constant steps :math:`t_k = T - k\\gamma = (N-k)\\gamma`, the seed's
:math:`s_{\\theta^*}((N-k)\\gamma, Y_k)`. With a schedule, the :math:`\\gamma_k` here are the backward-ordered
steps (``TimeGrid.backward_gammas[k]`` = forward step :math:`\\gamma_{N-1-k}`, the one adjacent to :math:`t_k`),
so :math:`t_k = F_{N-k}` is the upper end of that forward step (see :mod:`theorylab.samplers.grid`).
"""

from __future__ import annotations

from theorylab.samplers.em import EulerMaruyamaSampler

__all__ = ["ReverseEMSampler"]


class ReverseEMSampler(EulerMaruyamaSampler):
    """Euler--Maruyama on the reversed OU SDE, the score fed the upper end of each step, :math:`t_k = F_{N-k}` (seed
    000, 'En la práctica'; OU only)."""

    name = "reverse-em"
    convention = "reverse-em"
    processes = ("ou",)
