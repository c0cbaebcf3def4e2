r"""The infinitesimal generator of an Itô SDE, derived from its definition, and the slide's convention for it.

Seed 000, slide 'Punto Técnico sobre soluciones a SDE', defines for :math:`dX = b\,dt + \sigma\,dB`

.. math:: \mathcal{A}f(x) = \langle b, \nabla f\rangle + \tfrac12\langle \Sigma, \nabla^2 f\rangle,
          \qquad \Sigma = \sigma^\top\sigma,

and says :math:`E[\mathcal{A}f(X_t)] = \lim_{h\to0}(E f(X_{t+h}) - E f(X_t))/h`. The diffusion matrix of
:math:`\sigma\,dB` is :math:`\sigma\sigma^\top` (the covariance of :math:`\sigma Z` for :math:`Z\sim N(0,I)`), not
:math:`\sigma^\top\sigma`; they differ whenever :math:`\sigma` is not normal (e.g. not symmetric).

Here the generator is *derived* from that limit: for constant :math:`b`, :math:`\sigma` (2×2, general symbols)
and a polynomial :math:`f`, one step of the SDE is exactly :math:`X_h = x + bh + \sigma\sqrt h Z`, and
:math:`E f(X_h)` is computed by Gaussian moments, then :math:`\lim_{h\to0}(E f(X_h) - f(x))/h`. The result is
compared with both conventions (:func:`check_generator_convention`): :math:`\sigma\sigma^\top` is proved,
:math:`\sigma^\top\sigma` refuted with the witness :math:`\sigma = [[1,1],[0,0]]`, :math:`f = x_2^2`.
:func:`check_dynkin_ou` checks :math:`E[\mathcal{A}f(X_t)] = \tfrac{d}{dt}E f(X_t)` for the OU process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic import ou
from theorylab.symbolic.ou import gaussian_expectation
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity, simplify_to_zero

__all__ = [
    "B_VEC",
    "SIGMA_MAT",
    "X_VEC",
    "ConventionCheck",
    "check_dynkin_ou",
    "check_generator_convention",
    "general_quadratic",
    "generator_by_ito",
    "generator_formula",
]

_SOURCE = "000 / Punto Técnico sobre soluciones a SDE"

#: State x = (x1, x2).
X_VEC = sp.Matrix(sp.symbols("x1 x2", real=True))
#: Constant drift b = (b1, b2).
B_VEC = sp.Matrix(sp.symbols("b1 b2", real=True))
#: Constant diffusion coefficient sigma (2x2, general).
SIGMA_MAT = sp.Matrix(2, 2, sp.symbols("s11 s12 s21 s22", real=True))

_H = sp.Symbol("h", positive=True)
_C = sp.symbols("c0 c1 c2 q11 q12 q22", real=True)


def _check(lhs: sp.Expr, rhs: sp.Expr) -> IdentityCheck:
    """check_identity on the simplified residual, then with the two sides put back.

    check_identity draws values only for the residual's free symbols but also evaluates |lhs| at that point; when
    symbols cancel in the residual (here b and c do) |lhs| stays symbolic, so the residual is checked against 0.
    """
    residual, _ = simplify_to_zero(lhs - rhs)
    return replace(check_identity(residual, sp.S.Zero), lhs=lhs, rhs=rhs)


def general_quadratic(x: sp.Matrix = X_VEC) -> sp.Expr:
    r"""A general quadratic :math:`c_0 + c_1x_1 + c_2x_2 + q_{11}x_1^2 + q_{12}x_1x_2 + q_{22}x_2^2` (symbols)."""
    c0, c1, c2, q11, q12, q22 = _C
    return c0 + c1 * x[0] + c2 * x[1] + q11 * x[0] ** 2 + q12 * x[0] * x[1] + q22 * x[1] ** 2


def generator_by_ito(f: sp.Expr, b: sp.Matrix = B_VEC, sigma: sp.Matrix = SIGMA_MAT, x: sp.Matrix = X_VEC) -> sp.Expr:
    r""":math:`\mathcal{A}f(x) = \lim_{h\to0}\{E f(x + bh + \sigma\sqrt h Z) - f(x)\}/h`, :math:`Z\sim N(0,I)`.

    Parameters
    ----------
    f : sympy.Expr
        Polynomial in the entries of ``x``.
    b : sympy.Matrix, shape (n, 1)
        Constant drift.
    sigma : sympy.Matrix, shape (n, m)
        Constant diffusion coefficient (the SDE is driven by an m-dimensional Brownian motion).
    x : sympy.Matrix, shape (n, 1)
        State symbols.

    Returns
    -------
    sympy.Expr
        The generator applied to ``f``, at ``x``.
    """
    z = sp.symbols(f"zeta0:{sigma.shape[1]}", real=True)
    step = x + b * _H + sigma * sp.Matrix(z) * sp.sqrt(_H)
    shifted = f.subs(dict(zip(list(x), list(step), strict=True)), simultaneous=True)
    expectation = gaussian_expectation(shifted, list(z))
    return sp.expand(sp.limit((expectation - f) / _H, _H, 0))


def generator_formula(f: sp.Expr, diffusion: sp.Matrix, b: sp.Matrix = B_VEC, x: sp.Matrix = X_VEC) -> sp.Expr:
    r""":math:`\langle b, \nabla f\rangle + \tfrac12\langle \Sigma, \nabla^2 f\rangle` for a given :math:`\Sigma`
    (Frobenius inner product :math:`\langle A, B\rangle = \mathrm{tr}(A^\top B)`)."""
    grad = sp.Matrix([sp.diff(f, xi) for xi in x])
    hess = sp.hessian(f, list(x))
    return sp.expand((b.T * grad)[0] + sp.Rational(1, 2) * (diffusion.T * hess).trace())


@dataclass(frozen=True)
class ConventionCheck:
    r"""The derived generator against the two diffusion-matrix conventions.

    Attributes
    ----------
    derived : Derivation
        :math:`\mathcal{A}f` for the general quadratic :math:`f` and general :math:`b`, :math:`\sigma`.
    sigma_sigma_t : IdentityCheck
        Against :math:`\Sigma = \sigma\sigma^\top`: proved.
    sigma_t_sigma : IdentityCheck
        Against the slide's :math:`\Sigma = \sigma^\top\sigma`: refuted (random witness in the symbols).
    witness : dict
        The concrete case :math:`\sigma = [[1,1],[0,0]]`, :math:`f = x_2^2`: ``"derived"`` (:math:`2b_2x_2`),
        ``"sigma_sigma_t"`` (same) and ``"sigma_t_sigma"`` (:math:`2b_2x_2 + 1`), as sympy expressions.
    """

    derived: Derivation
    sigma_sigma_t: IdentityCheck
    sigma_t_sigma: IdentityCheck
    witness: dict[str, sp.Expr]


@cache
def check_generator_convention() -> ConventionCheck:
    r"""Derive :math:`\mathcal{A}f` by Itô for a 2×2 :math:`\sigma` and compare :math:`\sigma\sigma^\top` with the
    slide's :math:`\sigma^\top\sigma` (seed 000, slide 'Punto Técnico sobre soluciones a SDE').

    In the witness, :math:`\sigma = [[1,1],[0,0]]` drives only :math:`X_1` (:math:`dX_2 = b_2\,dt`), so
    :math:`f(X) = X_2^2` has generator :math:`2b_2x_2`; with :math:`\sigma^\top\sigma = [[1,1],[1,1]]` the slide's
    formula adds a spurious :math:`+1`.
    """
    f = general_quadratic()
    derived = generator_by_ito(f)
    derivation = Derivation(
        "A f (quadratic f)",
        derived,
        (*X_VEC, *B_VEC, *SIGMA_MAT, *_C),
        _SOURCE,
        "lim_{h->0} (E f(x + b h + sigma sqrt(h) Z) - f(x)) / h with Gaussian moments of Z ~ N(0, I_2)",
    )
    correct = _check(derived, generator_formula(f, SIGMA_MAT * SIGMA_MAT.T))
    slide = _check(derived, generator_formula(f, SIGMA_MAT.T * SIGMA_MAT))
    sigma_w = sp.Matrix([[1, 1], [0, 0]])
    f_w = X_VEC[1] ** 2
    witness = {
        "derived": generator_by_ito(f_w, sigma=sigma_w),
        "sigma_sigma_t": generator_formula(f_w, sigma_w * sigma_w.T),
        "sigma_t_sigma": generator_formula(f_w, sigma_w.T * sigma_w),
    }
    return ConventionCheck(derived=derivation, sigma_sigma_t=correct, sigma_t_sigma=slide, witness=witness)


@cache
def check_dynkin_ou(power: int) -> dict[str, IdentityCheck]:
    r"""Dynkin's formula :math:`\tfrac{d}{dt}E f(X_t) = E[\mathcal{A}f(X_t)]` for the OU process, :math:`f = x^n`.

    Two routes, for :math:`X_0\sim N(x_0, v_0)`:

    * ``"law"``: :math:`X_t \sim N(m_t, v_t)` with the dsolve moments of :mod:`theorylab.symbolic.ou`;
      both sides computed by Gaussian expectation and compared (proved);
    * ``"moment_ode"``: the moment hierarchy :math:`M_n' = E[\mathcal{A}x^n] = -nM_n + n(n-1)M_{n-2}` solved by
      ``dsolve`` from the Gaussian initial moments, compared with :math:`E X_t^n` from the law (proved).

    Parameters
    ----------
    power : int
        Even power ``n >= 2`` of :math:`f(x) = x^n` (the brief's cases are 2 and 4).

    Returns
    -------
    dict of str to IdentityCheck
    """
    if int(power) != power or power < 2 or power % 2:
        raise ConfigError(f"power: must be an even integer >= 2, got {power}")
    t, x = ou.T, ou.X
    z = sp.Symbol("Z", real=True)
    m_t = ou.mean().expr
    v_t = ou.variance().expr
    law = m_t + sp.sqrt(v_t) * z

    def expect(g: sp.Expr) -> sp.Expr:
        return gaussian_expectation(g.subs(x, law), [z])

    lhs = sp.diff(expect(x**power), t)
    rhs = expect(ou.generator(x**power))
    by_law = check_identity(lhs, rhs)

    # Moment hierarchy: dsolve M_2, M_4, ... in order (M_0 = 1), from Gaussian initial moments.
    moments: dict[int, sp.Expr] = {0: sp.S.One}
    z0 = sp.Symbol("Z0", real=True)
    for n in range(2, power + 1, 2):
        mn = sp.Function(f"M{n}")
        # E[A x^n] = -n M_n + n(n-1) M_{n-2}, read off the generator's coefficients.
        a_xn = sp.Poly(ou.generator(x**n), x)
        rhs_n = a_xn.coeff_monomial(x**n) * mn(t) + a_xn.coeff_monomial(x ** (n - 2)) * moments[n - 2]
        init = gaussian_expectation((ou.X0 + sp.sqrt(ou.V0) * z0) ** n, [z0])
        moments[n] = sp.dsolve(sp.Eq(mn(t).diff(t), rhs_n), mn(t), ics={mn(0): init}).rhs
    # A x^n involves only x^n and x^(n-2), so the even moments form a closed hierarchy whatever x0 is.
    by_ode = check_identity(moments[power], expect(x**power))
    return {"law": by_law, "moment_ode": by_ode}
