r"""The optimal discriminator, the value of the GAN game at the optimum, and the optimal generator.

Seed 000, slides 'Definición Formal de una GAN' (theorems *Discriminador Óptimo* and *Generador Óptimo*).
The value of the game is

.. math::

    V(\mu_G, \mu_D) = \mathbb{E}_{X\sim\pi}\mathbb{E}_{Y\sim\mu_D(X)}[\ln Y]
                    + \mathbb{E}_{\tilde X\sim\mu_G}\mathbb{E}_{Y\sim\mu_D(\tilde X)}[\ln(1-Y)] .

Everything below is derived by sympy:

* :func:`pointwise_maximiser` solves :math:`\partial_y[a\ln y + b\ln(1-y)] = 0` on :math:`(0, 1)`;
* :func:`optimal_discriminator` is that maximiser at :math:`(a, b) = (p(x), q(x))`, with :math:`p` the density
  of :math:`\pi` and :math:`q` that of :math:`\mu_G` (both with respect to a common dominating measure);
* :func:`value_at_optimum` substitutes it in the integrand of :math:`V`;
* :func:`check_value_identity` compares :math:`V(\mu_G, D^*)` with the slide's
  :math:`\mathrm{JS}(\pi, \mu_G) - 2\ln 2` under either convention for JS, on the family of distributions on
  two points, where every quantity is a closed form;
* :func:`minimum_of_C` minimises :math:`C(\mu_G) = V(\mu_G, D^*)` over that family.

Conventions: :math:`\mathrm{JS} = \tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)`, :math:`M = (P+Q)/2`, natural log
(the repository's convention, ``"half"``); the slide's formula is right only for the un-halved
:math:`\mathrm{JS}_u = KL(P\|M) + KL(Q\|M) = 2\,\mathrm{JS}` (``"unnormalised"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "JS_CONVENTIONS",
    "check_discriminator_posterior",
    "check_quantile_pushforward",
    "kernel_reduction_curvature",
    "TWO_POINT_DOMAIN",
    "GeneratorOptimum",
    "check_value_decomposition",
    "check_value_identity",
    "js_two_point",
    "minimum_of_C",
    "optimal_discriminator",
    "pointwise_boundary_cases",
    "pointwise_curvature",
    "pointwise_maximiser",
    "value_at_optimum",
    "value_two_point",
]

SOURCE = "000 / Definición Formal de una GAN"

#: The two conventions for the Jensen--Shannon divergence: ``"half"`` is the repository's
#: :math:`\tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)`, ``"unnormalised"`` is :math:`KL(P\|M) + KL(Q\|M)`.
JS_CONVENTIONS: tuple[str, ...] = ("half", "unnormalised")

#: Weights of the two conventions in front of KL(P||M) + KL(Q||M).
_JS_WEIGHT = {"half": sp.Rational(1, 2), "unnormalised": sp.Integer(1)}

# Symbols. a, b: the weights of ln y and ln(1-y); y: the discriminator's output; p, q: densities of pi and mu_G
# at one point (for the two-point family: the mass of pi and of mu_G on the first point).
_a, _b = sp.symbols("a b", positive=True)
_y = sp.Symbol("y", positive=True)
_p, _q = sp.symbols("p q", positive=True)

#: Interior of the two-point family used for numerical searches of a witness (masses in (0, 1)).
TWO_POINT_DOMAIN = {_p: (0.01, 0.99), _q: (0.01, 0.99)}


def _objective(a: sp.Expr, b: sp.Expr, y: sp.Expr) -> sp.Expr:
    r""":math:`a\ln y + b\ln(1-y)`, the pointwise objective of the discriminator."""
    return a * sp.log(y) + b * sp.log(1 - y)


@cache
def pointwise_maximiser() -> Derivation:
    r"""Maximiser of :math:`h(y) = a\ln y + b\ln(1-y)` over :math:`y\in(0, 1)`, for :math:`a, b > 0`.

    .. math:: y^* = \frac{a}{a+b}

    Seed 000, slide 'Definición Formal de una GAN' (step 2 of the proof sketch of the optimal-discriminator
    theorem). Derived with ``sympy.solve`` of :math:`h'(y) = 0`; :math:`y^*` is the unique critical point and
    :func:`pointwise_curvature` shows :math:`h''(y^*) < 0` (indeed :math:`h'' < 0` on all of :math:`(0,1)`, so
    :math:`h` is strictly concave and the maximum is global).

    Edge cases (outside the domain :math:`a, b > 0`; see :func:`pointwise_boundary_cases`): for :math:`a = 0 < b`,
    :math:`h = b\ln(1-y)` is decreasing, its supremum 0 is approached as :math:`y\to 0^+` and is not attained in
    :math:`(0,1)` (only at the boundary :math:`y = 0` of :math:`[0, 1]`); for :math:`b = 0 < a` the supremum 0 is
    approached as :math:`y\to 1^-`. The formula :math:`a/(a+b)` still gives these boundary points (0 and 1). For
    :math:`a = b = 0` every :math:`y` is optimal. In the GAN this is :math:`D^* = 0` where :math:`p = 0` and
    :math:`D^* = 1` where :math:`q = 0`.

    Returns
    -------
    Derivation
        ``expr = a/(a+b)``, ``args = (a, b)``.
    """
    h = _objective(_a, _b, _y)
    critical = sp.solve(sp.diff(h, _y), _y)
    if len(critical) != 1:
        raise RuntimeError(f"expected one critical point of a ln y + b ln(1-y), got {critical}")
    return Derivation(
        "y*",
        sp.simplify(critical[0]),
        (_a, _b),
        f"{SOURCE} (proof sketch, step 2)",
        "sympy.solve of d/dy[a ln y + b ln(1-y)] = 0 on (0,1), a, b > 0; unique root; h'' < 0 (strictly concave)",
    )


@cache
def pointwise_curvature() -> Derivation:
    r"""Second derivative of :math:`h(y) = a\ln y + b\ln(1-y)` at the maximiser :math:`y^* = a/(a+b)`.

    .. math:: h''(y^*) = -\frac{(a+b)^3}{ab} < 0 \quad (a, b > 0)

    Derived with ``sympy.diff`` and ``factor``; sympy also decides the sign from the positivity of ``a, b``.
    """
    h2 = sp.diff(_objective(_a, _b, _y), _y, 2)
    at_max = sp.factor(sp.simplify(h2.subs(_y, pointwise_maximiser().expr)))
    if at_max.is_negative is not True:
        raise RuntimeError(f"h''(y*) = {at_max} is not negative for a, b > 0")
    return Derivation(
        "h''(y*)",
        at_max,
        (_a, _b),
        f"{SOURCE} (proof sketch, step 2)",
        "sympy.diff twice, substitute y*, factor; sign decided by sympy (a, b positive)",
    )


@cache
def pointwise_boundary_cases() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    r"""The degenerate cases :math:`a = 0` or :math:`b = 0` of :func:`pointwise_maximiser`.

    Returns
    -------
    dict
        ``{"a=0": (y_sup, sup), "b=0": (y_sup, sup)}``: the boundary point the supremum is approached at and the
        supremum itself, computed with ``sympy.limit`` (the supremum is not attained in the open interval).
        With ``b > 0`` (resp. ``a > 0``) :math:`h` is monotone, which ``sympy.solve`` confirms by finding no
        critical point.
    """
    out: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    for name, h, end, direction in (
        ("a=0", _objective(0, _b, _y), sp.Integer(0), "+"),
        ("b=0", _objective(_a, 0, _y), sp.Integer(1), "-"),
    ):
        if sp.solve(sp.diff(h, _y), _y):
            raise RuntimeError(f"{name}: unexpected interior critical point")
        out[name] = (end, sp.limit(h, _y, end, direction))
    return out


@cache
def optimal_discriminator() -> Derivation:
    r"""The optimal discriminator :math:`D^*(x) = \dfrac{p(x)}{p(x)+q(x)} = \dfrac{d\pi}{d(\pi+\mu_G)}(x)`.

    Seed 000, slide 'Definición Formal de una GAN' (theorem *Discriminador Óptimo*). For a fixed generator the
    value :math:`V = \int [p\ln D + q\ln(1-D)]`, and it is maximised pointwise: :func:`pointwise_maximiser` at
    :math:`(a, b) = (p(x), q(x))`.

    Returns
    -------
    Derivation
        ``args = (p, q)``: the two densities at a point (non-negative, not both 0).
    """
    d_star = pointwise_maximiser().expr.subs({_a: _p, _b: _q}, simultaneous=True)
    return Derivation(
        "D*",
        d_star,
        (_p, _q),
        f"{SOURCE} (Teorema, Discriminador Óptimo)",
        "pointwise maximiser y* = a/(a+b) of a ln y + b ln(1-y) at (a, b) = (p(x), q(x))",
    )


@cache
def value_at_optimum() -> Derivation:
    r"""Integrand of :math:`V(\mu_G, D^*)`: :math:`v(p, q) = p\ln\frac{p}{p+q} + q\ln\frac{q}{p+q}`.

    :math:`V(\mu_G, D^*) = \int v(p(x), q(x))\,dx`. Obtained by substituting :func:`optimal_discriminator` in
    :math:`p\ln D + q\ln(1-D)`; :func:`check_value_decomposition` rewrites it as
    :math:`[p\ln\frac{2p}{p+q} + q\ln\frac{2q}{p+q}] - (p+q)\ln 2`, whose integral is
    :math:`KL(P\|M) + KL(Q\|M) - 2\ln 2 = 2\,\mathrm{JS}(\pi,\mu_G) - \ln 4` (JS ½-weighted).

    Returns
    -------
    Derivation
        ``args = (p, q)``, positive densities at one point.
    """
    d_star = optimal_discriminator().expr
    integrand = _p * sp.log(d_star) + _q * sp.log(sp.simplify(1 - d_star))
    return Derivation(
        "v(p, q)",
        integrand,
        (_p, _q),
        f"{SOURCE} (Teorema, Discriminador Óptimo; proof step 3)",
        "substitute D* = p/(p+q) into p ln D + q ln(1 - D)",
    )


@cache
def check_value_decomposition() -> IdentityCheck:
    r"""Prove :math:`v(p,q) = \big[p\ln\tfrac{2p}{p+q} + q\ln\tfrac{2q}{p+q}\big] - (p+q)\ln 2` for :math:`p,q>0`.

    The bracket integrates to :math:`KL(P\|M) + KL(Q\|M)` and :math:`\int (p+q)\ln 2 = 2\ln 2`, hence
    :math:`V(\mu_G, D^*) = 2\,\mathrm{JS}(\pi, \mu_G) - \ln 4` (½-weighted JS).
    """
    m = (_p + _q) / 2
    bracket = _p * sp.log(_p / m) + _q * sp.log(_q / m)
    return check_identity(value_at_optimum().expr, bracket - (_p + _q) * sp.log(2))


def _kl(masses_p: tuple[sp.Expr, ...], masses_q: tuple[sp.Expr, ...]) -> sp.Expr:
    return sum(x * sp.log(x / z) for x, z in zip(masses_p, masses_q, strict=True))


def _two_point(mass: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    return (mass, 1 - mass)


@cache
def value_two_point() -> Derivation:
    r""":math:`V(\mu_G, D^*)` when :math:`\pi = (p, 1-p)` and :math:`\mu_G = (q, 1-q)` live on two points.

    .. math:: V = v(p, q) + v(1-p, 1-q), \qquad p, q \in (0, 1),

    with :math:`v` from :func:`value_at_optimum` (the integral against counting measure is a sum).
    """
    v = value_at_optimum().expr
    total = sum(v.subs({_p: x, _q: z}, simultaneous=True) for x, z in zip(_two_point(_p), _two_point(_q)))
    return Derivation(
        "V(mu_G, D*) [two-point]",
        total,
        (_p, _q),
        SOURCE,
        "sum of v(p(x), q(x)) over the two atoms",
    )


def _require_convention(convention: str) -> None:
    if convention not in JS_CONVENTIONS:
        raise ConfigError(f"convention: must be one of {', '.join(JS_CONVENTIONS)}, got {convention!r}")


@cache
def js_two_point(convention: str = "half") -> Derivation:
    r"""Jensen--Shannon divergence between :math:`(p, 1-p)` and :math:`(q, 1-q)` (natural log).

    ``"half"``: :math:`\tfrac12 KL(P\|M) + \tfrac12 KL(Q\|M)` (bounded by :math:`\ln 2`);
    ``"unnormalised"``: :math:`KL(P\|M) + KL(Q\|M)` (bounded by :math:`2\ln 2`).

    Raises
    ------
    ConfigError
        For an unknown ``convention``.
    """
    _require_convention(convention)
    pp, qq = _two_point(_p), _two_point(_q)
    mm = tuple((x + z) / 2 for x, z in zip(pp, qq, strict=True))
    js = _JS_WEIGHT[convention] * (_kl(pp, mm) + _kl(qq, mm))
    return Derivation(
        f"JS[{convention}] two-point", js, (_p, _q), SOURCE, f"definition, weight {_JS_WEIGHT[convention]} on each KL"
    )


@cache
def check_value_identity(convention: str = "half", form: str = "slide") -> IdentityCheck:
    r"""Check the value of the game at the optimal discriminator on the two-point family.

    ``form="slide"`` checks the slide's :math:`V(\mu_G, D^*) = \mathrm{JS}(\pi, \mu_G) - 2\ln 2`;
    ``form="corrected"`` checks :math:`V(\mu_G, D^*) = 2\,\mathrm{JS} - \ln 4` (``"half"``) or
    :math:`\mathrm{JS}_u - 2\ln 2` (``"unnormalised"``; identical to the slide form).

    Seed 000, slide 'Definición Formal de una GAN'. Under the repository's ½-weighted JS the slide form FAILS:
    the residual :math:`V - (\mathrm{JS} - 2\ln 2)` is exactly :math:`\mathrm{JS}(\pi,\mu_G)`, non-zero as soon
    as :math:`\mu_G \ne \pi`; the witness is two concrete distributions on two points, :math:`(p, 1-p)` and
    :math:`(q, 1-q)` with :math:`p, q\in(0.01, 0.99)`, and the residual a number. Under the un-halved convention
    the slide form is proved.

    Parameters
    ----------
    convention : {"half", "unnormalised"}
    form : {"slide", "corrected"}

    Raises
    ------
    ConfigError
        For an unknown ``convention`` or ``form``.
    """
    _require_convention(convention)
    js = js_two_point(convention).expr
    if form == "slide":
        rhs = js - 2 * sp.log(2)
    elif form == "corrected":
        rhs = (2 * js - sp.log(4)) if convention == "half" else (js - 2 * sp.log(2))
    else:
        raise ConfigError(f"form: must be 'slide' or 'corrected', got {form!r}")
    return check_identity(value_two_point().expr, rhs, domain=TWO_POINT_DOMAIN)


@dataclass(frozen=True)
class GeneratorOptimum:
    """Minimiser and minimum of :math:`C(q) = V(\\mu_G, D^*)` over the two-point family.

    Attributes
    ----------
    argmin : Derivation
        :math:`q^*(p)`, the minimising mass of :math:`\\mu_G` on the first point.
    minimum : Derivation
        :math:`C(q^*)`, as an expression in ``p`` (it does not depend on it).
    curvature : Derivation
        :math:`\\partial_q^2 C(q; p)`, positive on :math:`(0,1)^2`, so :math:`C` is strictly convex in ``q``
        and the critical point is the global minimum.
    convexity : IdentityCheck
        Proof that the curvature equals :math:`\\frac{p}{q(p+q)} + \\frac{1-p}{(1-q)(2-p-q)}`, a sum of two
        terms that are positive on :math:`(0,1)^2`.
    """

    argmin: Derivation
    minimum: Derivation
    curvature: Derivation
    convexity: IdentityCheck


@cache
def minimum_of_C() -> GeneratorOptimum:
    r"""Minimise :math:`C(\mu_G) = V(\mu_G, D^*)` over :math:`\mu_G = (q, 1-q)` for :math:`\pi = (p, 1-p)`.

    Seed 000, slide 'Definición Formal de una GAN' (theorem *Generador Óptimo*: the minimum is at
    :math:`\mu_G = \pi` with value :math:`-\ln 4`). ``sympy.solve`` of :math:`\partial_q C = 0` gives the unique
    critical point :math:`q = p`; :math:`\partial_q^2 C = \frac{p}{q(p+q)} + \frac{1-p}{(1-q)(2-p-q)} > 0`, so
    :math:`C` is strictly convex in :math:`q` and the minimum is global; the value is :math:`-\ln 4`.
    This is the two-point instance of :math:`C = 2\,\mathrm{JS} - \ln 4 \ge -\ln 4`, where
    :math:`\mathrm{JS}\ge 0` with equality iff :math:`\mu_G = \pi` by Gibbs' (log-sum) inequality.
    """
    c = value_two_point().expr
    # dC/dq is a difference of logarithms of rational functions: combine it into log(R) and solve R = 1.
    dc = sp.logcombine(sp.simplify(sp.diff(c, _q)), force=True)
    if not isinstance(dc, sp.log):
        raise RuntimeError(f"dC/dq did not combine into a single logarithm: {dc}")
    critical = sp.solve(sp.together(dc.args[0]) - 1, _q)
    if len(critical) != 1:
        raise RuntimeError(f"expected one critical point of C(q), got {critical}")
    q_star = sp.simplify(critical[0])
    minimum = sp.simplify(sp.expand_log(c.subs(_q, q_star), force=True))
    curvature = sp.simplify(sp.diff(c, _q, 2))
    method = "dC/dq = log R(p, q) (sympy logcombine); sympy.solve of R = 1; d2C/dq2 > 0 (strict convexity)"
    return GeneratorOptimum(
        argmin=Derivation("q*", q_star, (_p,), f"{SOURCE} (Teorema, Generador Óptimo)", method),
        minimum=Derivation("C(q*)", minimum, (_p,), f"{SOURCE} (Teorema, Generador Óptimo)", method),
        curvature=Derivation("d2C/dq2", curvature, (_p, _q), f"{SOURCE} (Teorema, Generador Óptimo)", "sympy.diff"),
        convexity=check_identity(
            curvature, _p / (_q * (_p + _q)) + (1 - _p) / ((1 - _q) * (2 - _p - _q)), domain=TWO_POINT_DOMAIN
        ),
    )


@cache
def kernel_reduction_curvature(form: str = "slide") -> Derivation:
    r"""Second derivative of the pointwise objective, the step that reduces Markov kernels to functions.

    Seed 000, 'Esquema de demostración', step 1: "Usando desigualdad de Jensen [...] maximizar
    :math:`V(\mu_G, \mu_D)` sobre :math:`\mu_D` equivale a maximizar sobre :math:`D:\mathcal X\to[0,1]`". For a
    kernel :math:`\mu_D(\cdot|x)` the integrand of V at x is :math:`\mathbb{E}_{Y\sim\mu_D(x)}h(Y)` with
    :math:`h(y) = p\ln y + q\ln(1-y)`; if h is concave, Jensen gives :math:`\mathbb{E}h(Y)\le h(\mathbb{E}Y)`, so
    the deterministic :math:`D(x) = \int y\,\mu_D(dy|x)` (measurable in x: a kernel's mean) does at least as well.

    ``form="slide"`` is h; ``form="convex"`` is the mutation :math:`p\ln y - q\ln(1-y)` (not concave), used to
    show the check can fail. Written at :math:`y = u/(1+u)`, :math:`u > 0` (so :math:`y\in(0,1)` is encoded by the
    sign assumptions of sympy).
    """
    u = sp.Symbol("u", positive=True)
    sign = {"slide": 1, "convex": -1}
    if form not in sign:
        raise ConfigError(f"form: must be 'slide' or 'convex', got {form!r}")
    h = _p * sp.log(_y) + sign[form] * _q * sp.log(1 - _y)
    curvature = sp.together(sp.diff(h, _y, 2).subs(_y, u / (1 + u)))
    return Derivation("h''(y)", sp.factor(curvature), (_p, _q, u), f"{SOURCE} (Esquema de demostración, paso 1)",
                      "sympy diff of p ln y + q ln(1-y) twice, at y = u/(1+u)")


@cache
def check_discriminator_posterior(prior: sp.Expr = sp.Rational(1, 2)) -> IdentityCheck:
    r"""Bayes: the posterior probability that x comes from :math:`\pi` when a draw is real with probability
    ``prior`` is :math:`\rho p/(\rho p + (1-\rho)q)`; compared with the optimal discriminator p/(p+q).

    Seed 000, 'Implementación Práctica de las GANs': ":math:`D(x;\theta_d)`, que da la probabilidad de que x
    provenga de :math:`\pi`". The game V weighs its two expectations equally, which is ``prior = 1/2``; any other
    prior makes the identity fail (the mutation).
    """
    rho = sp.sympify(prior)
    posterior = rho * _p / (rho * _p + (1 - rho) * _q)
    return check_identity(posterior, optimal_discriminator().expr)


@cache
def check_quantile_pushforward(noise: str = "gaussian") -> IdentityCheck:
    r"""The quantile transform :math:`G = F^{-1}\circ\Phi` pushes :math:`\mu_Z = N(0, 1)` to any law on
    :math:`\mathbb R` with a continuous, strictly increasing CDF F.

    Seed 000, 'Implementación Práctica de las GANs': "el generador [...] se plantea como una pushforward de una
    distribución conocida: :math:`\mu_G = G\#\mu_Z`". :math:`P(G(Z)\le x) = P(Z\le\Phi^{-1}(F(x))) =
    \Phi(\Phi^{-1}(u))` at :math:`u = F(x)\in(0,1)`, which must equal u. ``noise="logistic-cdf"`` is the mutation
    that applies the logistic CDF instead of :math:`\Phi` after :math:`\Phi^{-1}` (a wrong transform: fails).
    """
    u = sp.Symbol("u", positive=True)
    inverse = sp.sqrt(2) * sp.erfinv(2 * u - 1)  # Phi^{-1}(u)
    cdfs = {"gaussian": lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2, "logistic-cdf": lambda z: 1 / (1 + sp.exp(-z))}
    if noise not in cdfs:
        raise ConfigError(f"noise: must be one of {', '.join(cdfs)}, got {noise!r}")
    return check_identity(sp.simplify(cdfs[noise](inverse)), u, domain={u: (0.05, 0.95)})
