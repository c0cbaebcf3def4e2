r"""SDEs with an affine drift: Gaussian perturbation kernels, and how far the terminal law is from the prior.

Seed 002, slide 'SMLD e DDPM como discretizações de SDEs': "Coeficientes de drift afins levam a kernels de
perturbação gaussianos". For :math:`dx = (a(t)x + b(t))dt + g(t)dW` the kernel :math:`p_{0t}(\cdot|x_0)` is
:math:`N(m(t), v(t))` with

.. math:: m' = a\,m + b,\quad m(0) = x_0,\qquad v' = 2a\,v + g^2,\quad v(0) = 0,

(Särkkä & Solin 2019, eqs. (6.2)-(6.3)): :func:`check_affine_gaussian_kernel` substitutes the Gaussian density with
these moment ODEs into the Fokker--Planck equation, for general functions a, b, g (d = 1) and for a general 2x2
matrix A(t), vector b(t) and scalar g(t) (d = 2, covariance ODE :math:`P' = AP + PA^\top + g^2 I`). With a
non-affine drift the Gaussian ansatz leaves a residual (``drift="cubic"``).

Seed 002, slide 'Perturbando os dados com SDEs': ":math:`x_T\sim p_T`, onde :math:`p_T` é uma distribuição a
priori". For the VP SDE and :math:`p_0 = N(\mu, s^2)`: :math:`p_T = N(\alpha\mu, 1 - \alpha^2 + \alpha^2 s^2)` with
:math:`\alpha = e^{-\frac12\int_0^T\beta}`: :func:`vp_terminal_kl` is :math:`KL(p_T\|N(0,1))`, which depends on
:math:`p_0` for every finite T and tends to 0 as :math:`\int_0^T\beta\to\infty`.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = ["ALPHA", "check_affine_gaussian_kernel", "vp_terminal_kl"]

_t = sp.Symbol("t", real=True)
#: alpha = exp(-1/2 int_0^T beta) in (0, 1]: the VP mean factor at the horizon.
ALPHA = sp.Symbol("alpha", positive=True)


def _fp_residual_1d(drift: sp.Expr, x: sp.Symbol, m, v, g) -> sp.Expr:
    density = sp.exp(-((x - m) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    residual = sp.diff(density, _t) + sp.diff(drift * density, x) - g**2 / 2 * sp.diff(density, x, 2)
    return sp.simplify(residual / density)


@cache
def check_affine_gaussian_kernel(d: int = 1, drift: str = "affine") -> IdentityCheck:
    r"""Fokker--Planck residual (divided by the density) of :math:`N(m(t), v(t))` with the moment ODEs above.

    Parameters
    ----------
    d : {1, 2}
    drift : {"affine", "cubic"}
        ``"cubic"`` (d = 1) adds :math:`c\,x^3` to the drift (moment ODEs unchanged): not a solution.
    """
    if drift not in ("affine", "cubic"):
        raise ConfigError(f"drift: must be 'affine' or 'cubic', got {drift!r}")
    g = sp.Function("g", positive=True)(_t)
    if d == 1:
        x = sp.Symbol("x", real=True)
        a, b = sp.Function("a")(_t), sp.Function("b")(_t)
        m, v = sp.Function("m")(_t), sp.Function("v", positive=True)(_t)
        f = a * x + b
        if drift == "cubic":
            f = f + sp.Rational(1, 3) * x**3
        residual = _fp_residual_1d(f, x, m, v, g)
        residual = residual.subs({sp.Derivative(m, _t): a * m + b, sp.Derivative(v, _t): 2 * a * v + g**2})
        if drift == "cubic":
            concrete = residual.subs({a: -1, b: 0, g: sp.sqrt(2), m: 0, v: 1}).doit()
            return check_identity(concrete, sp.Integer(0), domain={x: (0.5, 2.0), _t: (0.1, 1.0)})
        return check_identity(sp.expand(residual), sp.Integer(0))
    if d != 2 or drift != "affine":
        raise ConfigError(f"d: must be 1 (any drift) or 2 (affine drift), got d={d!r}, drift={drift!r}")
    xs = sp.Matrix(sp.symbols("x1 x2", real=True))
    A = sp.Matrix(2, 2, [sp.Function(f"A{i}{j}")(_t) for i in (1, 2) for j in (1, 2)])
    b = sp.Matrix([sp.Function(f"b{i}")(_t) for i in (1, 2)])
    m = sp.Matrix([sp.Function(f"m{i}")(_t) for i in (1, 2)])
    p11, p12, p22 = (sp.Function(n)(_t) for n in ("P11", "P12", "P22"))
    P = sp.Matrix([[p11, p12], [p12, p22]])
    det = p11 * p22 - p12**2
    Pinv = sp.Matrix([[p22, -p12], [-p12, p11]]) / det
    r = xs - m
    log_density = -(r.T * Pinv * r)[0] / 2 - sp.log(det) / 2  # up to -log(2 pi)
    # FP divided by the density, written with log-derivatives: d_t log p + div f + f.grad log p
    #   - g^2/2 (Laplacian log p + |grad log p|^2) = 0
    grad = [sp.diff(log_density, xi) for xi in xs]
    fvec = A * xs + b
    residual = (sp.diff(log_density, _t) + A.trace() + sum(fvec[i] * grad[i] for i in range(2))
                - g**2 / 2 * sum(sp.diff(grad[i], xs[i]) + grad[i] ** 2 for i in range(2)))
    dm = A * m + b
    dP = A * P + P * A.T + g**2 * sp.eye(2)
    residual = residual.subs({sp.Derivative(m[0], _t): dm[0], sp.Derivative(m[1], _t): dm[1],
                              sp.Derivative(p11, _t): dP[0, 0], sp.Derivative(p12, _t): dP[0, 1],
                              sp.Derivative(p22, _t): dP[1, 1]})
    return check_identity(sp.cancel(sp.together(residual)), sp.Integer(0))


@cache
def vp_terminal_kl() -> Derivation:
    r""":math:`KL(N(\alpha\mu, 1 - \alpha^2 + \alpha^2 s^2)\,\|\,N(0, 1))` as a function of (alpha, mu, s)."""
    mu = sp.Symbol("mu", real=True)
    s = sp.Symbol("s", positive=True)
    var = 1 - ALPHA**2 + ALPHA**2 * s**2
    kl = (var + (ALPHA * mu) ** 2 - 1 - sp.log(var)) / 2
    return Derivation("KL(p_T || N(0,1))", kl, (ALPHA, mu, s), "002 / Perturbando os dados com SDEs",
                      "Gaussian KL of the VP marginal N(alpha mu, 1 - alpha^2 + alpha^2 s^2) to N(0, 1)")
