r"""Time reversal and the probability-flow ODE for diffusions with a *state-dependent* diffusion matrix.

Seed 000, slide ''Time Reversal' (reversión temporal)', says the reversal formula "es válida para difusiones más
complicadas" (Anderson 1982; Haussmann & Pardoux 1986); seed 002, slide 'Fluxo de probabilidade e ODEs neurais',
says "para todo processo de difusão, existe um processo determinístico" with the same marginals. For

.. math:: dX = b(X, t)\,dt + \sigma(X, t)\,dW,\qquad \Sigma = \sigma\sigma^\top,\qquad
          \partial_t p = -\nabla\cdot(bp) + \tfrac12\sum_{ij}\partial_i\partial_j(\Sigma_{ij}p),

the reversed marginals :math:`q_s = p_{T-s}` solve the Fokker--Planck equation of the drift
:math:`-b + \nabla\cdot(\Sigma p)/p = -b + \Sigma\nabla\log p + \nabla\cdot\Sigma` (Haussmann & Pardoux 1986, eq.
(2.3)), and :math:`p_t` solves the continuity equation of the velocity
:math:`b - \tfrac12\nabla\cdot(\Sigma p)/p` (Song et al. 2021, eq. (D.1)-(D.3), their
:math:`-\tfrac12\nabla\cdot[GG^\top] - \tfrac12 GG^\top\nabla\log p`). The *naive* forms, which copy the
state-independent formulas (:math:`-b + \Sigma\nabla\log p` and :math:`b - \tfrac12\Sigma\nabla\log p`), miss
:math:`\nabla\cdot\Sigma` and fail as soon as :math:`\Sigma` depends on x.

Both statements are about marginals (Fokker--Planck / continuity equations); that the reversed *process* is a
diffusion with that drift is Haussmann & Pardoux's theorem, not checked here. The residuals are computed on
undefined sympy functions in d = 1 and d = 2 (a general symmetric 2x2 :math:`\Sigma`), with :math:`\partial_t p`
replaced by the forward equation.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import IdentityCheck, check_identity

__all__ = ["FORMS", "check_flow_state_dependent", "check_reversal_state_dependent"]

#: ``"divergence"``: the Haussmann--Pardoux / Song et al. forms with nabla.(Sigma p)/p; ``"naive"``: Sigma grad log p.
FORMS = ("divergence", "naive")

_t = sp.Symbol("t", real=True)


def _setup(d: int):
    if d not in (1, 2):
        raise ConfigError(f"d: must be 1 or 2, got {d!r}")
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    p = sp.Function("p", positive=True)(_t, *xs)
    b = [sp.Function(f"b{i + 1}")(*xs, _t) for i in range(d)]
    entries = {}
    for i in range(d):
        for j in range(i, d):
            entries[(i, j)] = entries[(j, i)] = sp.Function(f"a{i + 1}{j + 1}")(*xs, _t)
    sigma = [[entries[(i, j)] for j in range(d)] for i in range(d)]
    dp_dt = (-sum(sp.diff(b[i] * p, xs[i]) for i in range(d))
             + sum(sp.diff(sigma[i][j] * p, xs[i], xs[j]) for i in range(d) for j in range(d)) / 2)
    return xs, p, b, sigma, dp_dt


def _correction(xs, p, sigma, form: str) -> list[sp.Expr]:
    """The term that multiplies 1 (reversal) or -1/2 (flow) in the drift: nabla.(Sigma p)/p or Sigma grad log p."""
    d = len(xs)
    if form == "divergence":
        return [sum(sp.diff(sigma[i][j] * p, xs[j]) for j in range(d)) / p for i in range(d)]
    if form == "naive":
        return [sum(sigma[i][j] * sp.diff(p, xs[j]) for j in range(d)) / p for i in range(d)]
    raise ConfigError(f"form: must be one of {', '.join(FORMS)}, got {form!r}")


def _witness_values(xs):
    """A concrete case for the naive form (undefined functions give no numeric witness): p a Gaussian bump,
    b = 0, Sigma = (1 + x1^2) I (state-dependent)."""
    bump = sp.exp(-sum(x**2 for x in xs) / 2 - _t)
    return bump, 1 + xs[0] ** 2


def _decide(residual: sp.Expr, xs, p, b, sigma, form: str) -> IdentityCheck:
    if form == "divergence":
        return check_identity(sp.expand(residual), sp.Integer(0))
    bump, diag = _witness_values(xs)
    d = len(xs)
    subs = {b[i]: 0 for i in range(d)}
    concrete = residual.subs(subs)
    for i in range(d):
        for j in range(d):
            concrete = concrete.subs(sigma[i][j], diag if i == j else 0)
    concrete = concrete.subs(p, bump).doit()
    return check_identity(concrete, sp.Integer(0), domain={_t: (0.1, 1.0), **{x: (0.2, 1.5) for x in xs}})


@cache
def check_reversal_state_dependent(d: int = 1, form: str = "divergence") -> IdentityCheck:
    r"""Fokker--Planck residual of the reversed marginals :math:`q_s = p_{T-s}` under the drift
    :math:`-b + c` and diffusion :math:`\Sigma` (both evaluated at T - s), with ``c`` the ``form``'s correction.

    Returns the identity check of the residual against 0: proved for ``"divergence"``; for ``"naive"`` the residual
    is :math:`-\nabla\cdot((\nabla\cdot\Sigma)p)`, evaluated on the witness of :func:`_witness_values`.
    """
    xs, p, b, sigma, dp_dt = _setup(d)
    c = _correction(xs, p, sigma, form)
    drift = [-b[i] + c[i] for i in range(d)]
    # reversed time: d/ds q = -dp/dt must equal -div(drift q) + 1/2 sum d_i d_j (Sigma_ij q)
    rhs = (-sum(sp.diff(drift[i] * p, xs[i]) for i in range(d))
           + sum(sp.diff(sigma[i][j] * p, xs[i], xs[j]) for i in range(d) for j in range(d)) / 2)
    return _decide(-dp_dt - rhs, xs, p, b, sigma, form)


@cache
def check_flow_state_dependent(d: int = 1, form: str = "divergence") -> IdentityCheck:
    r"""Continuity-equation residual :math:`\partial_t p + \nabla\cdot(vp)` of the velocity
    :math:`v = b - \tfrac12 c` (``c`` the ``form``'s correction): 0 for ``"divergence"``."""
    xs, p, b, sigma, dp_dt = _setup(d)
    c = _correction(xs, p, sigma, form)
    velocity = [b[i] - c[i] / 2 for i in range(d)]
    residual = dp_dt + sum(sp.diff(velocity[i] * p, xs[i]) for i in range(d))
    return _decide(residual, xs, p, b, sigma, form)
