r"""The transition kernels of the time-reversed OU process for a Gaussian data law, in closed form.

Seed 000, slide 'Esquema de la Demostración', writes :math:`(Q_t)_{t\in[0,T]}` for "el semi-grupo de
Ornstein-Uhlenbeck hacia atrás" and uses :math:`\pi = p_TQ_T` and
:math:`\|p_TQ_T - \pi_0Q_T\|_{TV} \le \|\pi P_T - \pi_0\|_{TV}`.

For :math:`dX = -X\,dt + \sqrt2\,dB`, :math:`X_0\sim\pi = N(\mu, v)` (d = 1), :math:`X` is a Gaussian process with
:math:`m(a) = e^{-a}\mu`, :math:`V(a) = 1 + (v-1)e^{-2a}` and :math:`\mathrm{Cov}(X_a, X_b) = e^{-(b-a)}V(a)`
(:math:`a \le b`). The reversed process :math:`Y_s = X_{T-s}` is Markov; its kernel from reverse time s to r
(:math:`0\le s\le r\le T`) is the Gaussian conditional law

.. math:: Q_{s,r}(y, \cdot) = \mathrm{Law}(X_{T-r} \mid X_{T-s} = y) = N(k\,y + c,\ w),\quad
          k = e^{-(r-s)}\frac{V(T-r)}{V(T-s)},\ c = m(T-r) - k\,m(T-s),\
          w = V(T-r) - e^{-2(r-s)}\frac{V(T-r)^2}{V(T-s)}.

These kernels satisfy Chapman--Kolmogorov :math:`Q_{s,u}Q_{u,r} = Q_{s,r}` (a two-parameter propagator) but
:math:`Q_{0,s}Q_{0,t} \neq Q_{0,s+t}` unless :math:`\pi = N(0, 1)` (then Y is the stationary, reversible OU): the
reversed process is time-inhomogeneous, so "semi-grupo" is a slip. A kernel is a triple (k, c, w):
:math:`y \mapsto N(ky + c, w)`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.symbolic.result import IdentityCheck, check_identity

__all__ = [
    "MU",
    "V0",
    "backward_kernel",
    "check_chapman_kolmogorov",
    "check_reversal_reproduces_data",
    "check_semigroup",
    "compose",
    "push",
]

MU = sp.Symbol("mu", real=True)
V0 = sp.Symbol("v", positive=True)
_T = sp.Symbol("T", positive=True)
_S, _U, _R = sp.symbols("s u r", nonnegative=True)


def _mean(a, mu=MU):
    return sp.exp(-a) * mu


def _var(a, v=V0):
    return 1 + (v - 1) * sp.exp(-2 * a)


def backward_kernel(s, r, T=_T, mu=MU, v=V0) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(k, c, w) of Q_{s,r}: the law of X_{T-r} given X_{T-s} = y is N(k y + c, w) (0 <= s <= r <= T)."""
    a, b = T - r, T - s
    k = sp.exp(-(b - a)) * _var(a, v) / _var(b, v)
    c = _mean(a, mu) - k * _mean(b, mu)
    w = _var(a, v) - sp.exp(-2 * (b - a)) * _var(a, v) ** 2 / _var(b, v)
    return k, c, w


def compose(first, second) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The kernel 'first, then second': y -> N(k2 (k1 y + c1) + c2, k2^2 w1 + w2)."""
    k1, c1, w1 = first
    k2, c2, w2 = second
    return k2 * k1, k2 * c1 + c2, k2**2 * w1 + w2


def push(law, kernel) -> tuple[sp.Expr, sp.Expr]:
    """The law N(m, V) pushed through the kernel (k, c, w): N(k m + c, k^2 V + w)."""
    m, var = law
    k, c, w = kernel
    return k * m + c, k**2 * var + w


def _check_triples(lhs, rhs, domain=None) -> IdentityCheck:
    return check_identity(sp.Matrix(list(lhs)), sp.Matrix(list(rhs)), domain=domain)


@cache
def check_chapman_kolmogorov() -> IdentityCheck:
    """Q_{s,u} then Q_{u,r} equals Q_{s,r} for all 0 <= s <= u <= r <= T, all mu, v > 0 (u = s + h, r = u + h')."""
    h1, h2 = sp.symbols("h1 h2", nonnegative=True)
    u, r = _S + h1, _S + h1 + h2
    lhs = compose(backward_kernel(_S, u), backward_kernel(u, r))
    return _check_triples(lhs, backward_kernel(_S, r))


@cache
def check_semigroup(mu=MU, v=V0) -> IdentityCheck:
    """Q_{0,s} then Q_{0,t} against Q_{0,s+t} (what a semigroup (Q_t) would satisfy), for the given data law N(mu, v).

    Fails for a generic N(mu, v) (the witness), proved for mu = 0, v = 1 (pi = pi_0: the reversal is the OU)."""
    t = sp.Symbol("t", nonnegative=True)
    lhs = compose(backward_kernel(0, _S, mu=mu, v=v), backward_kernel(0, t, mu=mu, v=v))
    rhs = backward_kernel(0, _S + t, mu=mu, v=v)
    # s + t <= T: the witness search draws T in [2, 2.5] and s, t in [0.1, 1]
    return _check_triples(lhs, rhs, domain={_T: (2.0, 2.5), _S: (0.1, 1.0), t: (0.1, 1.0)})


@cache
def check_reversal_reproduces_data() -> IdentityCheck:
    """p_T Q_{0,T} = pi: N(m(T), V(T)) pushed through Q_{0,T} is N(mu, v) (the first equality of the sketch)."""
    return _check_triples(push((_mean(_T), _var(_T)), backward_kernel(0, _T)), (MU, V0))
