"""The instantaneous change of variables checked numerically along the PF-ODE of a target with exact marginals.

For a target whose marginals :math:`p_t` are known in closed form (Gaussians and Gaussian mixtures under OU, VP,
VE: ``ExactScore.law(t)``), integrate :math:`\\dot x = \\tilde f(x, t) = f - \\tfrac12 g^2\\nabla\\log p_t` from
:math:`t_0` to :math:`t_1` together with :math:`\\int\\nabla\\cdot\\tilde f` (autograd, exact trace), and compare the
two sides of

.. math:: \\log p_{t_1}(x(t_1)) - \\log p_{t_0}(x(t_0)) = -\\int_{t_0}^{t_1}\\nabla\\cdot\\tilde f(x(t), t)\\,dt .

The left side is read from the exact marginal densities, the right side from the ODE: an independent route.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.likelihood.field import TorchField
from theorylab.likelihood.ode import integrate_divergence

__all__ = ["change_of_variables_errors"]


def change_of_variables_errors(target: Any, process: Any, x0: np.ndarray, t0: float, t1: float, *,
                               rtol: float = 1e-10, atol: float = 1e-10, sign: float = -1.0) -> np.ndarray:
    """Per point, :math:`|\\log p_{t_1}(x_{t_1}) - \\log p_{t_0}(x_{t_0}) - \\text{sign}\\int\\nabla\\cdot\\tilde f|`.

    ``sign = +1`` is the sign slip (a mutation the check must catch).
    """
    from theorylab.scores import ExactScore

    score = ExactScore(target, process=process)
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1, int(target.dim))
    sol = integrate_divergence(TorchField(process, score, exact=True, probes=None), x0, t0, t1, rtol=rtol,
                               atol=atol, method="DOP853")
    lhs = np.asarray(score.law(t1).logpdf(sol.x_end)) - np.asarray(score.law(t0).logpdf(x0))
    return np.abs(lhs - sign * sol.int_exact)
