"""``ancestral``: the discrete-time backward chain of the OU Euler--Maruyama chain (seed 000, slide '¿Y ahora qué?').

.. math::

    X_N \\sim N(0, I), \\qquad
    X_k = X_{k+1} + \\gamma_k\\{X_{k+1} + 2 s(t, X_{k+1})\\} + \\sqrt{2\\gamma_k}\\,Z_{k+1}, \\quad k = N-1, \\dots, 0,

with :math:`t = \\gamma_0 + \\dots + \\gamma_{k-1} = F_k`, the forward time of :math:`p_k` (:math:`k\\gamma` for
constant steps, the seed's :math:`s_{\\theta^*}(k\\gamma, X_{k+1})`); output :math:`X_0`. The update is the
Gaussian approximation of :math:`p_{k|k+1}` derived on slide '¿Cómo invertimos el proceso forward?'.
It is the same loop as ``reverse-em`` (:mod:`theorylab.samplers.em`): only the time fed to the score differs
(the lower end :math:`F_k` of forward step :math:`k` instead of its upper end :math:`F_{k+1}`).
"""

from __future__ import annotations

from theorylab.samplers.em import EulerMaruyamaSampler

__all__ = ["AncestralSampler"]


class AncestralSampler(EulerMaruyamaSampler):
    """The backward chain of the OU Euler--Maruyama chain, the score of :math:`p_k` fed the lower end :math:`F_k` of
    each step (seed 000, '¿Y ahora qué?'; OU only)."""

    name = "ancestral"
    convention = "ancestral"
    processes = ("ou",)
