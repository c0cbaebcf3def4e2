"""Time reversal of a forward process (seed 000, slide 'Time Reversal'; seed 002, 'Obtendo amostras com a SDE reversa').

For :math:`dX_t = f(t, X_t)dt + g(t)dB_t` with marginals :math:`p_t`, the reversed process
:math:`Y_s = X_{T-s}` solves (Anderson 1982; Haussmann & Pardoux 1986)

.. math::

    dY_s = \\big[-f(T-s, Y_s) + g(T-s)^2 \\nabla\\log p_{T-s}(Y_s)\\big]ds + g(T-s)\\,dB_s,

and the probability-flow ODE :math:`dY_s/ds = -f(T-s, Y_s) + \\tfrac12 g(T-s)^2 \\nabla\\log p_{T-s}(Y_s)` has the
same one-time marginals (Song et al. 2021). For OU (:math:`f = -x`, :math:`g^2 = 2`) the drift is
:math:`Y + 2\\nabla\\log p_{T-s}(Y)`, the seed's formula.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from theorylab.processes.base import Process

__all__ = ["ReverseProcess"]


class ReverseProcess:
    """Drift and diffusion of the reversed SDE (or probability-flow ODE) in running time :math:`s = T - t`.

    Parameters
    ----------
    forward : Process
        The forward process.
    score : callable ``score(t, x)``
        Approximation of :math:`\\nabla \\log p_t` at forward time ``t``; ``x`` of shape ``(..., d)``.
    probability_flow : bool
        ``True`` for the probability-flow ODE (factor 1/2 on the score term, zero diffusion).

    Notes
    -----
    The ``*_at`` methods take the **forward** time :math:`t = T - s` directly; samplers use them so that the time
    fed to the score is exactly the grid's forward time (no round trip :math:`T - (T - t)` in floating point).
    """

    def __init__(self, forward: Process, score, probability_flow: bool = False):
        self.forward = forward
        self.score = score
        self.probability_flow = bool(probability_flow)
        self.T = forward.T
        self._c = 0.5 if self.probability_flow else 1.0

    # reversed running time s
    def drift(self, s: float, y):
        """Reverse drift :math:`-f(T-s, y) + c\\,g(T-s)^2\\,\\text{score}(T-s, y)`, same shape as ``y``."""
        return self.drift_at(self.T - float(s), y)

    def diffusion(self, s: float) -> float:
        """Reverse diffusion :math:`g(T-s)` (0 for the probability-flow ODE)."""
        return 0.0 if self.probability_flow else float(self.forward.diffusion(self.T - float(s)))

    # forward time t = T - s
    def drift_at(self, t: float, y):
        """Reverse drift evaluated at forward time ``t`` (the score is fed ``t``)."""
        t = float(t)
        g2 = self.forward.diffusion_squared(t)
        out = (self._c * g2) * self.score(t, y)  # a fresh tensor: safe to update in place
        out -= self.forward.drift(t, y)
        return out

    def diffusion_squared_at(self, t: float) -> float:
        """:math:`g(t)^2` of the reverse SDE at forward time ``t`` (0 for the probability-flow ODE)."""
        return 0.0 if self.probability_flow else float(self.forward.diffusion_squared(float(t)))
