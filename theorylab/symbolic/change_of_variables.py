r"""The instantaneous change of variables along the probability-flow ODE, derived by sympy for Gaussian marginals.

Chen et al. (2018, Theorem 1); Song et al. (2021, eq. 39): along :math:`\dot x = \tilde f(x, t)` with
:math:`\tilde f = f - \tfrac12 g^2\nabla\log p_t` (the probability-flow velocity, forward time),

.. math::

    \frac{d}{dt}\log p_t(x(t)) = \partial_t\log p_t + \tilde f\,\partial_x\log p_t = -\nabla\cdot\tilde f(x(t), t).

Equivalent to the continuity equation :math:`\partial_t p + \nabla\cdot(\tilde f p) = 0` divided by :math:`p`.
:func:`check_instantaneous_cov` forms the residual :math:`\partial_t\log p + \tilde f\partial_x\log p +
\partial_x\tilde f` with the Gaussian marginals that :func:`theorylab.symbolic.reverse_sde.gaussian_marginal`
derives (``sympy.dsolve`` of the moment ODEs) for OU and VP (linear :math:`\beta`), any :math:`\mu_0`,
:math:`v_0 > 0`, and simplifies it to 0. ``sign=+1`` checks the wrong sign (a mutation that must fail).
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import IdentityCheck, check_identity
from theorylab.symbolic.reverse_sde import DOMAIN, gaussian_marginal, linear_sde

__all__ = ["check_instantaneous_cov"]

_t = sp.Symbol("t", nonnegative=True)
_x = sp.Symbol("x", real=True)


@cache
def check_instantaneous_cov(name: str = "ou", sign: int = -1) -> IdentityCheck:
    r""":math:`\tfrac{d}{dt}\log p_t(x(t)) = \text{sign}\cdot\nabla\cdot\tilde f` along the PF-ODE of ``name``.

    Parameters
    ----------
    name : {"ou", "vp"}
        Forward process (:data:`theorylab.symbolic.reverse_sde.PROCESSES`).
    sign : {-1, +1}
        -1 is the theorem; +1 the sign slip (refuted with a witness).
    """
    if sign not in (-1, 1):
        raise ConfigError(f"sign: must be -1 or +1, got {sign!r}")
    sde, marg = linear_sde(name), gaussian_marginal(name)
    mean, var = marg.mean.expr, marg.variance.expr
    log_p = -((_x - mean) ** 2) / (2 * var) - sp.log(2 * sp.pi * var) / 2
    score = sp.diff(log_p, _x)
    velocity = sde.drift(_x, _t) - sde.g2 / 2 * score
    total_derivative = sp.diff(log_p, _t) + velocity * score
    return check_identity(total_derivative, sign * sp.diff(velocity, _x), domain=DOMAIN)
