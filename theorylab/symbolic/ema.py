r"""The exponential moving average of network weights, solved by sympy.

Seed 000, slide 'Exponential Moving Average (EMA)':

.. math:: \bar\theta_{n+1} = (1-m)\bar\theta_n + m\,\theta_n,

"the parameter :math:`m` is the forgetting of the initial conditions". Derived here:

* for constant :math:`\theta_n = \theta`, by ``rsolve``: :math:`\bar\theta_n = \theta + (1-m)^n(\bar\theta_0-\theta)`,
  so the weight of the initial condition is :math:`(1-m)^n` (:func:`initial_weight`);
* for general :math:`\theta_n`: :math:`\bar\theta_n = (1-m)^n\bar\theta_0 + m\sum_{j=0}^{n-1}(1-m)^{n-1-j}\theta_j`
  with weights summing to 1 (``summation``, :func:`check_weights_sum_to_one`);
* the half-life :math:`n_{1/2} = \ln 2/(-\ln(1-m))` (``solve`` of :math:`(1-m)^n = 1/2`).

The reading "m is the forgetting" holds for :math:`m\in(0,1]`: the initial weight :math:`(1-m)^n` decreases in
:math:`m` there and vanishes after one step at :math:`m = 1`. (Common code, e.g. Song et al.'s ``ema_rate = 0.999``,
parametrises by the *decay* :math:`1-m` instead.) Parameters are scalars; the update acts entry-wise on weights.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "M",
    "N",
    "THETA",
    "THETA_BAR0",
    "J",
    "check_weights_sum_to_one",
    "ema_constant_target",
    "half_life",
    "initial_weight",
    "weight_of_iterate",
]

_SOURCE = "000 / Exponential Moving Average (EMA)"

#: EMA rate m (the slide's "forgetting").
M = sp.Symbol("m", positive=True)
#: Step index.
N = sp.Symbol("n", integer=True, nonnegative=True)
#: Constant target theta.
THETA = sp.Symbol("theta", real=True)
#: Initial average.
THETA_BAR0 = sp.Symbol("theta_bar0", real=True)

#: Index of an iterate theta_j.
J = sp.Symbol("j", integer=True, nonnegative=True)
_J = J
_Q = sp.Symbol("q", positive=True)  # 1 - m, kept as a symbol for rsolve / summation


@cache
def ema_constant_target() -> Derivation:
    r""":math:`\bar\theta_n = \theta + (1-m)^n(\bar\theta_0 - \theta)` for constant :math:`\theta_n = \theta`.

    Returns
    -------
    Derivation
        Expression in ``(n, m, theta, theta_bar0)``, by ``rsolve``.
    """
    avg = sp.Function("theta_bar")
    expr = sp.rsolve(avg(N + 1) - (1 - M) * avg(N) - M * THETA, avg(N), {avg(0): THETA_BAR0})
    return Derivation(
        "theta_bar_n",
        sp.collect(sp.expand(expr), (1 - M) ** N),
        (N, M, THETA, THETA_BAR0),
        _SOURCE,
        "rsolve of theta_bar_{n+1} = (1-m) theta_bar_n + m theta, theta_bar_0",
    )


@cache
def initial_weight() -> Derivation:
    r"""Weight of the initial condition, :math:`\partial\bar\theta_n/\partial\bar\theta_0 = (1-m)^n`."""
    expr = sp.diff(ema_constant_target().expr, THETA_BAR0)
    return Derivation("d theta_bar_n / d theta_bar_0", expr, (N, M), _SOURCE, "derivative of the rsolve solution")


@cache
def half_life() -> Derivation:
    r"""Steps after which the initial weight has halved: :math:`n_{1/2} = \ln 2 / (-\ln(1-m))`, :math:`m\in(0,1)`.

    ``solve`` of :math:`q^n = 1/2` in :math:`n` with :math:`q = 1-m \in (0,1)`.
    """
    n_real = sp.Symbol("n", positive=True)
    sol = sp.solve(sp.Eq(_Q**n_real, sp.Rational(1, 2)), n_real)
    expr = sp.simplify(sol[0].subs(_Q, 1 - M))
    return Derivation("n_1/2", expr, (M,), _SOURCE, "solve (1-m)^n = 1/2 for n")


@cache
def weight_of_iterate() -> Derivation:
    r"""Weight of :math:`\theta_j` in :math:`\bar\theta_n` (:math:`0\le j<n`): :math:`m(1-m)^{n-1-j}`.

    :math:`\theta_j` enters :math:`\bar\theta_{j+1}` with weight :math:`m`, and each later update multiplies the
    weights by :math:`1-m`: with :math:`c_i` the weight of :math:`\theta_j` in :math:`\bar\theta_{j+1+i}`,
    ``rsolve`` of :math:`c_{i+1} = (1-m)c_i`, :math:`c_0 = m`, then :math:`i = n-1-j`.
    """
    c, i = sp.Function("c"), sp.Symbol("i", integer=True, nonnegative=True)
    expr = sp.rsolve(c(i + 1) - (1 - M) * c(i), c(i), {c(0): M}).subs(i, N - 1 - _J)
    return Derivation("w_j", expr, (N, _J, M), _SOURCE, "rsolve of c_{i+1} = (1-m) c_i, c_0 = m, at i = n-1-j")


@cache
def check_weights_sum_to_one() -> IdentityCheck:
    r""":math:`(1-m)^n + \sum_{j=0}^{n-1} m(1-m)^{n-1-j} = 1` (``summation``, proved): the EMA is an average."""
    weights = weight_of_iterate().expr.subs(M, 1 - _Q)
    total = sp.summation(weights, (_J, 0, N - 1))
    total = sp.simplify(total)
    generic = total.args[-1][0] if isinstance(total, sp.Piecewise) else total  # branch q != 1, i.e. m != 0
    return check_identity((_Q**N + generic).subs(_Q, 1 - M), sp.S.One, domain={M: (0.001, 0.999)})
