r"""The backward kernel :math:`p_{k|k+1}` of the Euler--Maruyama chain and the slide's Gaussian approximation of it.

Seed 000, slides '¿Cómo invertimos el proceso forward?'. Forward chain (repository convention)
:math:`X_{k+1} = (1-\gamma)X_k + \sqrt{2\gamma}Z_{k+1}`, so
:math:`p_{k+1|k}(x_{k+1}|x_k) \propto \exp[-\|x_{k+1} - (1-\gamma)x_k\|^2/(4\gamma)]`. The slides

(a) expand :math:`\|x_{k+1} - (1-\gamma)x_k\|^2` around :math:`\|x_k - (1+\gamma)x_{k+1}\|^2`
    (:func:`check_quadratic_expansion`: true);
(b) bound the difference of the two squares by :math:`4C\gamma^2` under :math:`\|x_{k+1}-x_k\|^2\le C\gamma`,
    :math:`\max(\|x_k\|, \|x_{k+1}\|)\le C` (:func:`quadratic_bound_supremum`: the exact supremum; the bound is
    false for some admissible :math:`(C, \gamma)`, :func:`quadratic_bound_counterexample`, and true exactly on
    :func:`quadratic_bound_valid_region`);
(c) write Taylor's formula with an integral remainder that lacks the factor :math:`(1-t)`
    (:func:`check_taylor_remainder`: the slide form fails, the corrected form is proved);
(d) approximate :math:`p_{k|k+1}(\cdot|x_{k+1})` by
    :math:`N(x_{k+1} + \gamma\{x_{k+1} + 2\nabla\log p_k(x_{k+1})\}, 2\gamma\,\mathrm{Id})`; for a Gaussian
    :math:`p_k` the exact kernel is Gaussian too (:func:`backward_kernel_exact`) and the two differ by
    :math:`O(\gamma^2)` in mean, variance and KL (:func:`kernel_discrepancy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "KernelDiscrepancy",
    "KernelMoments",
    "QuadraticBoundCounterexample",
    "QuadraticBoundRegion",
    "backward_kernel_approx",
    "backward_kernel_exact",
    "chain_marginal",
    "check_approx_kernel_matches_slide",
    "check_quadratic_expansion",
    "check_taylor_remainder",
    "kernel_discrepancy",
    "leading_term",
    "quadratic_bound_counterexample",
    "quadratic_bound_supremum",
    "quadratic_bound_valid_region",
]

SOURCE = "000 / ¿Cómo invertimos el proceso forward?"

# Symbols: gamma the step; C the constant of the slide's assumptions; delta = ||x_{k+1} - x_k||,
# rho = ||x_{k+1}||, r = ||x_k||; x the conditioning point x_{k+1}; xk the integration variable x_k;
# mu, v the mean and variance of p_k (1D); s, mu0 those of p_0; k the step index.
_gamma = sp.Symbol("gamma", positive=True)
_C = sp.Symbol("C", positive=True)
_delta, _rho, _r = sp.symbols("delta rho r", nonnegative=True)
_x, _xk, _mu, _mu0 = sp.symbols("x x_k mu mu0", real=True)
_v, _s = sp.symbols("v s", positive=True)
_k = sp.Symbol("k", integer=True, nonnegative=True)
_t, _h = sp.symbols("t h", real=True)

#: Domain of the step in every numerical search: the slides take gamma in (0, 1).
GAMMA_DOMAIN = (0.01, 0.99)


# ----------------------------------------------------------------------------------------------------------------
# (a) the quadratic expansion
# ----------------------------------------------------------------------------------------------------------------


def _norm2(vec: sp.Matrix) -> sp.Expr:
    return (vec.T * vec)[0, 0]


@cache
def check_quadratic_expansion(dim: int = 3) -> IdentityCheck:
    r"""Prove the slide's expansion for vectors of dimension ``dim``:

    .. math::

        \|x_{k+1} - (1-\gamma)x_k\|^2 = \|x_k - (1+\gamma)x_{k+1}\|^2 - 2\gamma\|x_{k+1}-x_k\|^2
        + \gamma^2\{\|x_k\|^2 - \|x_{k+1}\|^2\}.

    Both sides are quadratic forms in :math:`(x_k, x_{k+1})`, so sympy's ``expand`` on symbolic coordinate vectors
    is a proof for that ``dim``; the identity only uses inner-product algebra, so ``dim = 3`` covers all the
    bilinear cross terms that occur in any dimension.

    Raises
    ------
    ConfigError
        If ``dim < 1``.
    """
    if dim < 1:
        raise ConfigError(f"dim: must be a positive integer, got {dim}")
    a = sp.Matrix(sp.symbols(f"a0:{dim}", real=True))  # x_{k+1}
    b = sp.Matrix(sp.symbols(f"b0:{dim}", real=True))  # x_k
    g = _gamma
    lhs = _norm2(a - (1 - g) * b)
    rhs = _norm2(b - (1 + g) * a) - 2 * g * _norm2(a - b) + g**2 * (_norm2(b) - _norm2(a))
    return check_identity(lhs, rhs)


# ----------------------------------------------------------------------------------------------------------------
# (b) the bound 4 C gamma^2 and its exact supremum
# ----------------------------------------------------------------------------------------------------------------


@cache
def quadratic_bound_supremum() -> Derivation:
    r"""Exact supremum :math:`S(C,\gamma)` of :math:`|\|x_{k+1}-(1-\gamma)x_k\|^2 - \|x_k-(1+\gamma)x_{k+1}\|^2|`
    under the slide's assumptions :math:`\|x_{k+1}-x_k\|^2\le C\gamma` and :math:`\max(\|x_k\|,\|x_{k+1}\|)\le C`.

    .. math::

        S(C,\gamma) = \begin{cases} 2C\gamma^2 + 2C^{3/2}\gamma^{5/2} - C\gamma^3, & \gamma \le 4C,\\
        8C^2\gamma, & \gamma > 4C, \end{cases} \qquad 0 < \gamma < 2 .

    Derivation (with :math:`a = x_{k+1}`, :math:`b = x_k`, :math:`\delta = \|a-b\|`, :math:`\rho = \|a\|`,
    :math:`r = \|b\|`). By (a) the difference is :math:`D(a,b) = -2\gamma\delta^2 + \gamma^2(r^2-\rho^2)`. The
    constraints are symmetric in :math:`(a,b)` and :math:`D(a,b) + D(b,a) = -4\gamma\delta^2 \le 0`, so
    :math:`\sup D \le \sup(-D)` and :math:`S = \sup(-D) = \sup[2\gamma\delta^2 + \gamma^2(\rho^2-r^2)]`. For given
    :math:`(\rho,\delta)` the triangle inequality gives :math:`r\ge|\rho-\delta|` (attained by collinear vectors);
    sympy finds :math:`\partial_\rho = 2\gamma^2\delta \ge 0` at :math:`r = |\rho-\delta|`, so :math:`\rho = C`,
    and then :math:`\partial_\delta = 2\gamma(2-\gamma)\delta + 2C\gamma^2 > 0`, so :math:`\delta` is as large as
    allowed: :math:`\delta = \min(\sqrt{C\gamma}, 2C)` (:math:`\delta\le\rho+r\le 2C`). The worst case is
    :math:`x_{k+1} = C e_1`, :math:`x_k = (C - \sqrt{C\gamma})e_1`.

    Returns
    -------
    Derivation
        ``args = (C, gamma)``; a ``Piecewise`` expression.
    """
    g, c = _gamma, _C
    objective = 2 * g * _delta**2 + g**2 * (_rho**2 - _r**2)
    on_triangle = sp.expand(objective.subs(_r, _rho - _delta))  # r^2 = (rho - delta)^2 on the boundary
    d_rho = sp.factor(sp.diff(on_triangle, _rho))
    if sp.simplify(d_rho - 2 * g**2 * _delta) != 0:
        raise RuntimeError(f"unexpected d/drho: {d_rho}")
    profile = on_triangle.subs(_rho, c)
    d_delta = sp.expand(sp.diff(profile, _delta))
    # d_delta = 2 gamma (2 - gamma) delta + 2 C gamma^2: positive for 0 < gamma < 2 and delta >= 0.
    if sp.expand(d_delta - (2 * g * (2 - g) * _delta + 2 * c * g**2)) != 0:
        raise RuntimeError(f"unexpected d/ddelta: {d_delta}")
    interior = sp.expand(profile.subs(_delta, sp.sqrt(c * g)))
    capped = sp.expand(profile.subs(_delta, 2 * c))
    sup = sp.Piecewise((interior, g <= 4 * c), (capped, True))
    return Derivation(
        "S(C, gamma)",
        sup,
        (c, g),
        f"{SOURCE} (bound 4 C gamma^2)",
        "swap symmetry => sup|D| = sup(-D); triangle inequality r >= |rho - delta| (collinear); "
        "sympy.diff: increasing in rho and delta; rho = C, delta = min(sqrt(C gamma), 2C)",
    )


@dataclass(frozen=True)
class QuadraticBoundCounterexample:
    """Two vectors satisfying the slide's assumptions for which the slide's bound :math:`4C\\gamma^2` fails.

    Attributes
    ----------
    C, gamma : sympy.Rational
        The constants (``gamma`` in (0, 1)).
    x_k, x_k1 : sympy.Matrix
        :math:`x_k` and :math:`x_{k+1}` (2-dimensional, exact).
    lhs : sympy.Expr
        :math:`|\\|x_{k+1}-(1-\\gamma)x_k\\|^2 - \\|x_k-(1+\\gamma)x_{k+1}\\|^2|`, exact.
    bound : sympy.Expr
        :math:`4C\\gamma^2`.
    """

    C: sp.Expr
    gamma: sp.Expr
    x_k: sp.Matrix
    x_k1: sp.Matrix
    lhs: sp.Expr
    bound: sp.Expr

    @property
    def admissible(self) -> bool:
        """Whether the assumptions hold: ``||x_{k+1}-x_k||^2 <= C gamma``, both norms ``<= C``, ``0 < gamma < 1``."""
        return bool(
            _norm2(self.x_k1 - self.x_k) <= self.C * self.gamma
            and sp.sqrt(_norm2(self.x_k)) <= self.C
            and sp.sqrt(_norm2(self.x_k1)) <= self.C
            and 0 < self.gamma < 1
        )

    @property
    def violates(self) -> bool:
        """Whether ``lhs > bound`` (decided exactly by sympy)."""
        return bool(sp.simplify(self.lhs - self.bound) > 0)


@cache
def quadratic_bound_counterexample(
    C: int | sp.Rational = 4, gamma: sp.Rational = sp.Rational(1, 2)  # noqa: N803 (the slide's name)
) -> QuadraticBoundCounterexample:
    r"""The worst case of :func:`quadratic_bound_supremum` at ``(C, gamma)``, default :math:`(4, 1/2)`.

    :math:`x_{k+1} = (C, 0)`, :math:`x_k = (C-\sqrt{C\gamma}, 0)`. At :math:`(4, 1/2)`:
    :math:`\|x_{k+1}-x_k\|^2 = 2 = C\gamma`, the norms are :math:`4` and :math:`4-\sqrt2`, and the difference of the
    squares is :math:`3/2 + 2\sqrt2 \approx 4.33 > 4 = 4C\gamma^2`.

    Raises
    ------
    ConfigError
        If ``C <= 0``, ``gamma`` is not in (0, 1), or ``gamma > 4 C`` (the worst case is then antipodal).
    """
    c, g = sp.nsimplify(C), sp.nsimplify(gamma)
    if not c > 0:
        raise ConfigError(f"C: must be positive, got {C}")
    if not 0 < g < 1:
        raise ConfigError(f"gamma: must lie in (0, 1), got {gamma}")
    if g > 4 * c:
        raise ConfigError(f"gamma: the collinear worst case needs gamma <= 4 C, got gamma={gamma}, C={C}")
    x_k1 = sp.Matrix([c, 0])
    x_k = sp.Matrix([c - sp.sqrt(c * g), 0])
    lhs = sp.Abs(sp.expand(_norm2(x_k1 - (1 - g) * x_k) - _norm2(x_k - (1 + g) * x_k1)))
    return QuadraticBoundCounterexample(c, g, x_k, x_k1, sp.nsimplify(sp.simplify(lhs)), 4 * c * g**2)


@dataclass(frozen=True)
class QuadraticBoundRegion:
    r"""Where the slide's bound :math:`S(C,\gamma) \le 4C\gamma^2` holds.

    Attributes
    ----------
    c_max : Derivation
        :math:`C_{\max}(\gamma) = (2+\gamma)^2/(4\gamma)`: the bound holds iff :math:`C \le C_{\max}(\gamma)`.
    gamma_max : Derivation
        For :math:`C > 2`: the bound holds for :math:`\gamma\in(0,1)` iff
        :math:`\gamma \le \gamma_{\max}(C) = 2C - 2 - 2\sqrt{C(C-2)} = (\sqrt C - \sqrt{C-2})^2`
        (the other root exceeds 2). As :math:`C\to\infty`, :math:`\gamma_{\max}\sim 1/C`: the bound always holds
        for :math:`\gamma` small enough.
    c_uniform : sympy.Expr
        :math:`\inf_{\gamma\in(0,1]} C_{\max}(\gamma) = 9/4`: for :math:`C\le 9/4` the bound holds for every
        :math:`\gamma\in(0,1)`.
    """

    c_max: Derivation
    gamma_max: Derivation
    c_uniform: sp.Expr


@cache
def quadratic_bound_valid_region() -> QuadraticBoundRegion:
    r"""Solve :math:`S(C,\gamma) = 4C\gamma^2` for :math:`C` and for :math:`\gamma` (sympy.solve).

    In the branch :math:`\gamma\le 4C`, :math:`(S - 4C\gamma^2)/(C\gamma^2) = 2\sqrt{C\gamma} - \gamma - 2`, which
    is :math:`\le 0` iff :math:`C \le (2+\gamma)^2/(4\gamma)`. In the branch :math:`\gamma > 4C`,
    :math:`S = 8C^2\gamma \le 4C\gamma^2` iff :math:`\gamma\ge 2C`, which holds there; and
    :math:`C < \gamma/4 \le (2+\gamma)^2/(4\gamma)`, so the single condition :math:`C\le C_{\max}(\gamma)` is exact
    for every :math:`\gamma\in(0,2)`. :math:`C_{\max}` has its only critical point at :math:`\gamma = 2`, so it is
    decreasing on :math:`(0,1]` and its infimum there is :math:`C_{\max}(1) = 9/4`
    (``sympy.calculus.util.minimum``).
    """
    c, g = _C, _gamma
    interior = quadratic_bound_supremum().expr.args[0][0]
    reduced = sp.simplify((interior - 4 * c * g**2) / (c * g**2))
    c_roots = sp.solve(reduced, c)
    if len(c_roots) != 1:
        raise RuntimeError(f"expected one root in C, got {c_roots}")
    c_max = sp.factor(c_roots[0])
    g_roots = sp.solve(reduced, g)
    # The smaller root (sqrt(C) - sqrt(C-2))^2 lies in (0, 1] for C >= 9/4; the larger is >= 2.
    g_small = min(g_roots, key=lambda e: float(e.subs(c, 3)))
    critical = sp.solve(sp.diff(c_max, g), g)
    if any(0 < float(z) <= 1 for z in critical):
        raise RuntimeError(f"C_max has a critical point in (0, 1]: {critical}")
    c_uniform = sp.calculus.util.minimum(c_max, g, sp.Interval.Lopen(0, 1))
    return QuadraticBoundRegion(
        c_max=Derivation("C_max(gamma)", c_max, (g,), SOURCE, "sympy.solve of S(C, gamma) = 4 C gamma^2 for C"),
        gamma_max=Derivation(
            "gamma_max(C)", g_small, (c,), SOURCE, "sympy.solve of S(C, gamma) = 4 C gamma^2 for gamma (C >= 2)"
        ),
        c_uniform=c_uniform,
    )


# ----------------------------------------------------------------------------------------------------------------
# (c) Taylor's formula with integral remainder
# ----------------------------------------------------------------------------------------------------------------


@cache
def check_taylor_remainder(form: str = "slide", case: str = "witness") -> IdentityCheck:
    r"""Check Taylor's formula with integral remainder as written on the slide, or corrected.

    .. math::

        f(x_k) = f(x_{k+1}) + \langle\nabla f(x_{k+1}), x_k-x_{k+1}\rangle
                 + \int_0^1 w(t)\,\nabla^2 f((1-t)x_{k+1}+tx_k)(x_k-x_{k+1})^{\otimes 2}\,dt

    with :math:`w(t) = 1` (``form="slide"``) or :math:`w(t) = 1-t` (``form="corrected"``).

    ``case``:

    * ``"witness"``: :math:`f = \log p = -x^2/2` in 1D (:math:`p` standard Gaussian, up to its constant). The slide
      form fails: its remainder is :math:`-h^2` where the truth is :math:`-h^2/2` (residual :math:`h^2/2`,
      :math:`h = x_k-x_{k+1}`). Each check compares :math:`f(x_k) - f(x_{k+1}) - \langle\nabla f(x_{k+1}), h\rangle`
      with the remainder.
    * ``"quartic"``: a generic polynomial of degree 4 in 2 variables (15 symbolic coefficients), Hessian quadratic
      form written out; ``sympy.integrate`` in :math:`t`.
    * ``"general"``: an undefined function :math:`\varphi(t) = f(x_{k+1} + t(x_k-x_{k+1}))`, for which
      :math:`\varphi'(0) = \langle\nabla f(x_{k+1}), h\rangle` and :math:`\varphi''(t) = \nabla^2 f(\cdot)h^{\otimes2}`
      (chain rule); sympy integrates :math:`\int_0^1 (1-t)\varphi''` by parts to
      :math:`\varphi(1)-\varphi(0)-\varphi'(0)`, which proves the corrected form for every :math:`C^2` function in
      every dimension (only with ``form="corrected"``: an undefined function gives no numeric witness).

    Raises
    ------
    ConfigError
        For an unknown ``form`` or ``case``.
    """
    if form not in ("slide", "corrected"):
        raise ConfigError(f"form: must be 'slide' or 'corrected', got {form!r}")
    weight = sp.Integer(1) if form == "slide" else 1 - _t
    if case == "witness":
        f = sp.Lambda(_xk, -(_xk**2) / 2)
        x1, h = _x, _h
        remainder = sp.integrate(weight * sp.diff(f(_xk), _xk, 2).subs(_xk, x1 + _t * h) * h**2, (_t, 0, 1))
        # Compared as f(x+h) - f(x) - f'(x) h == remainder (x cancels from both sides, so a witness is in h alone).
        lhs = sp.expand(f(x1 + h) - f(x1) - sp.diff(f(_xk), _xk).subs(_xk, x1) * h)
        return check_identity(lhs, remainder)
    if case == "quartic":
        y1, y2, h1, h2 = sp.symbols("y1 y2 h1 h2", real=True)
        monomials = [y1**i * y2**j for i in range(5) for j in range(5 - i)]
        coeffs = sp.symbols(f"c0:{len(monomials)}", real=True)
        f = sum(cf * mono for cf, mono in zip(coeffs, monomials, strict=True))
        point, step = sp.Matrix([y1, y2]), sp.Matrix([h1, h2])
        variables = sp.Matrix([y1, y2])
        grad = sp.Matrix([sp.diff(f, z) for z in variables])
        hess = sp.hessian(f, variables)
        along = {y1: y1 + _t * h1, y2: y2 + _t * h2}
        quad_form = (step.T * hess.subs(along, simultaneous=True) * step)[0, 0]
        remainder = sp.integrate(sp.expand(weight * quad_form), (_t, 0, 1))
        shifted = f.subs({y1: point[0] + h1, y2: point[1] + h2}, simultaneous=True)
        return check_identity(sp.expand(shifted - f - (grad.T * step)[0, 0]), remainder)
    if case == "general":
        if form == "slide":
            raise ConfigError("case: 'general' cannot give a numeric witness; refute the slide form with 'witness'")
        phi = sp.Function("phi")
        remainder = sp.integrate(weight * sp.diff(phi(_t), _t, 2), (_t, 0, 1))
        dphi0 = sp.Subs(sp.Derivative(phi(_t), _t), _t, 0)
        return check_identity(phi(1) - phi(0) - dphi0, remainder)
    raise ConfigError(f"case: must be 'witness', 'quartic' or 'general', got {case!r}")


# ----------------------------------------------------------------------------------------------------------------
# (d) Gaussian p_k: exact backward kernel against the slide's approximation
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelMoments:
    """Mean and variance of a 1D Gaussian law, as two Derivations.

    For the kernels :math:`x_k \\mid x_{k+1}` the args are ``(x, gamma, mu, v)``: ``x`` is :math:`x_{k+1}`, ``mu``
    and ``v`` the mean and variance of :math:`p_k`; for :func:`chain_marginal` they are ``(mu0, s, gamma, k)``.
    """

    mean: Derivation
    variance: Derivation


def _gaussian_logpdf(z: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return -((z - mean) ** 2) / (2 * var) - sp.log(2 * sp.pi * var) / 2


def _complete_square(exponent: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """Mean and variance of the Gaussian density in ``var`` proportional to ``exp(exponent)`` (quadratic)."""
    poly = sp.Poly(sp.expand(exponent), var)
    if poly.degree() != 2:
        raise RuntimeError(f"exponent is not quadratic in {var}: {exponent}")
    precision = sp.simplify(-2 * poly.coeff_monomial(var**2))
    return sp.simplify(poly.coeff_monomial(var) / precision), sp.simplify(1 / precision)


_KERNEL_ARGS = (_x, _gamma, _mu, _v)


@cache
def backward_kernel_exact() -> KernelMoments:
    r"""The exact backward kernel :math:`p_{k|k+1}(x_k|x_{k+1})` for :math:`p_k = N(\mu, v)` (1D).

    Bayes: :math:`p_{k|k+1}(x_k|x) \propto N(x; (1-\gamma)x_k, 2\gamma)\,N(x_k;\mu, v)`, a Gaussian in
    :math:`x_k` with precision :math:`1/v + (1-\gamma)^2/(2\gamma)` and mean
    :math:`[(1-\gamma)x/(2\gamma) + \mu/v]/\text{precision}` (completing the square with ``sympy.Poly``).
    For the chain started at :math:`p_0 = N(\mu_0, s^2)`, :math:`(\mu, v) = (m_k\mu_0, s_k^2)` from
    :func:`chain_marginal`.
    """
    log_joint = _gaussian_logpdf(_x, (1 - _gamma) * _xk, 2 * _gamma) + _gaussian_logpdf(_xk, _mu, _v)
    mean, var = _complete_square(log_joint, _xk)
    method = "Bayes p(x_k|x) ∝ N(x; (1-gamma) x_k, 2 gamma) N(x_k; mu, v); complete the square in x_k"
    return KernelMoments(
        Derivation("mean p_{k|k+1}", mean, _KERNEL_ARGS, SOURCE, method),
        Derivation("var p_{k|k+1}", var, _KERNEL_ARGS, SOURCE, method),
    )


@cache
def backward_kernel_approx() -> KernelMoments:
    r"""The slide's approximation of :math:`p_{k|k+1}` for :math:`p_k = N(\mu, v)` (1D).

    Derived from the slide's first approximate line,
    :math:`\exp[-\|x_k-(1+\gamma)x_{k+1}\|^2/(4\gamma) + \langle\nabla\log p_k(x_{k+1}), x_k - x_{k+1}\rangle]`,
    by completing the square in :math:`x_k` (with :math:`\nabla\log p_k` from ``sympy.diff``): mean
    :math:`x + \gamma\{x + 2\nabla\log p_k(x)\}` and variance :math:`2\gamma`, which
    :func:`check_approx_kernel_matches_slide` confirms equal the slide's second line.
    """
    score_at_x = sp.diff(_gaussian_logpdf(_xk, _mu, _v), _xk).subs(_xk, _x)
    exponent = -((_xk - (1 + _gamma) * _x) ** 2) / (4 * _gamma) + score_at_x * (_xk - _x)
    mean, var = _complete_square(exponent, _xk)
    method = "complete the square in the slide's exponent -|x_k-(1+gamma)x|^2/(4 gamma) + <score(x), x_k - x>"
    return KernelMoments(
        Derivation("mean approx", mean, _KERNEL_ARGS, SOURCE, method),
        Derivation("var approx", var, _KERNEL_ARGS, SOURCE, method),
    )


@cache
def check_approx_kernel_matches_slide() -> IdentityCheck:
    r"""Prove that completing the square in the slide's exponent gives the slide's
    :math:`N(x_{k+1} + \gamma\{x_{k+1} + 2\nabla\log p_k(x_{k+1})\}, 2\gamma)` (mean and variance, as a 2-vector)."""
    approx = backward_kernel_approx()
    score_at_x = -(_x - _mu) / _v
    slide = sp.Matrix([_x + _gamma * (_x + 2 * score_at_x), 2 * _gamma])
    return check_identity(sp.Matrix([approx.mean.expr, approx.variance.expr]), slide)


def leading_term(expr: sp.Expr, var: sp.Symbol = _gamma, max_order: int = 8) -> tuple[int, sp.Expr]:
    """Order and coefficient of the leading term of ``expr`` as ``var -> 0`` (``sympy.series``).

    Returns ``(n, c)`` with ``expr = c var^n + o(var^n)``; raises ``RuntimeError`` if the series vanishes up to
    ``max_order``.
    """
    for order in range(1, max_order + 1):
        approx = sp.expand(sp.simplify(sp.series(expr, var, 0, order).removeO()))
        if approx != 0:
            poly = sp.Poly(approx, var)
            n = min(m[0] for m in poly.monoms())
            return n, sp.factor(poly.coeff_monomial(var**n))
    raise RuntimeError(f"series of {expr} vanishes to order {max_order}")


@dataclass(frozen=True)
class KernelDiscrepancy:
    r"""Leading terms, as :math:`\gamma\to0` at fixed :math:`(x, \mu, v)`, of the gaps between the exact and the
    approximate backward kernel. Each ``*_coeff`` is a Derivation in ``(x, mu, v)``; each ``*_order`` the power
    of :math:`\gamma`."""

    mean_order: int
    mean_coeff: Derivation
    variance_order: int
    variance_coeff: Derivation
    kl_order: int
    kl_coeff: Derivation


@cache
def kernel_discrepancy() -> KernelDiscrepancy:
    r"""Series in :math:`\gamma` of the mean gap, variance gap and :math:`KL(\text{exact}\,\|\,\text{approx})`.

    With :math:`p_k = N(\mu, v)` and :math:`x = x_{k+1}`:

    .. math::

        m_{\rm exact} - m_{\rm approx} &= \gamma^2\,\frac{4\mu(v-1) + x(v^2-6v+4)}{v^2} + O(\gamma^3),\\
        v_{\rm exact} - 2\gamma &= 4\gamma^2\,\frac{v-1}{v} + O(\gamma^3),\\
        KL &= \gamma^2\,\frac{(v-1)^2}{v^2} + O(\gamma^3)

    (sympy ``series``; the KL is the closed form between two 1D Gaussians). The per-step KL is
    :math:`O(\gamma^2)`, so over :math:`N = T/\gamma` steps the accumulated error is :math:`O(\gamma)`. When
    :math:`v = 1` (the stationary law of the OU process) the variance and KL gaps start one order later.
    """
    exact, approx = backward_kernel_exact(), backward_kernel_approx()
    mean_gap = exact.mean.expr - approx.mean.expr
    var_gap = exact.variance.expr - approx.variance.expr
    ratio = exact.variance.expr / approx.variance.expr
    kl = (ratio - 1 - sp.log(ratio) + mean_gap**2 / approx.variance.expr) / 2
    args = (_x, _mu, _v)
    out = {}
    for name, expr in (("mean", mean_gap), ("variance", var_gap), ("kl", kl)):
        order, coeff = leading_term(expr)
        out[f"{name}_order"] = order
        out[f"{name}_coeff"] = Derivation(
            f"[gamma^{order}] {name} gap", coeff, args, SOURCE, f"sympy.series in gamma of the {name} gap"
        )
    return KernelDiscrepancy(**out)


@cache
def chain_marginal() -> KernelMoments:
    r"""Law of :math:`X_k` of the chain :math:`X_{k+1} = (1-\gamma)X_k + \sqrt{2\gamma}Z_{k+1}`,
    :math:`X_0\sim N(\mu_0, s^2)` (1D): :math:`N(m_k\mu_0, s_k^2)`.

    .. math:: m_k = (1-\gamma)^k,\qquad s_k^2 = (1-\gamma)^{2k}s^2 + \sigma_k^2,\quad
              \sigma_k^2 = \frac{1-(1-\gamma)^{2k}}{1-\gamma/2}

    ``sympy.rsolve`` of :math:`\mu_{k+1} = (1-\gamma)\mu_k` and :math:`v_{k+1} = (1-\gamma)^2 v_k + 2\gamma`.
    Derivations in ``(mu0, s, gamma, k)``.
    """
    mf, vf = sp.Function("m"), sp.Function("v")
    mean = sp.rsolve(mf(_k + 1) - (1 - _gamma) * mf(_k), mf(_k), {mf(0): _mu0})
    var = sp.rsolve(vf(_k + 1) - (1 - _gamma) ** 2 * vf(_k) - 2 * _gamma, vf(_k), {vf(0): _s**2})
    # rsolve writes (gamma - 1)^(2k); with 2k even this is (1 - gamma)^(2k).
    var = var.replace(
        lambda e: e.is_Pow and e.base == _gamma - 1 and e.exp == 2 * _k, lambda e: (1 - _gamma) ** (2 * _k)
    )
    args = (_mu0, _s, _gamma, _k)
    src = "000 / Denoising Score matching (m_k, sigma_k^2)"
    return KernelMoments(
        Derivation("m_k mu0", mean, args, src, "sympy.rsolve of mu_{k+1} = (1-gamma) mu_k"),
        Derivation("s_k^2", sp.simplify(var), args, src, "sympy.rsolve of v_{k+1} = (1-gamma)^2 v_k + 2 gamma"),
    )
