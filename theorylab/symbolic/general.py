"""Symbolic proofs on the *whole* stated domain of claims whose first checks covered special cases only.

Each function proves a step of a general argument with sympy on undefined functions (``sympy.Function``), so no
family (Gaussian, affine, two-point) is assumed; what the argument still needs (differentiation under the integral,
vanishing boundary terms, a true martingale) is written in the function's docstring and in the ``scope`` the claims
give the evidence.

* :func:`check_tweedie_general` - Tweedie/Efron (seed 000, 'Score-matching'), any p_0 and any kernel;
* :func:`check_projection` - the L2 characterisation of E[X|U] (seed 000, 'Score matching');
* :func:`check_integration_by_parts` - the ISM / Hyvarinen step (seed 000 'Implicit Score matching', seed 002
  'Teorema 1');
* :func:`check_fokker_planck_general` - time reversal and the probability-flow ODE for any density p_t solving the
  forward Fokker--Planck equation (seed 000 'Time Reversal', seed 002 'SDE reversa', 'Fluxo de probabilidade');
* :func:`check_ito_generator` - the one-step expansion E f(X_{t+h}) - f(x) = h A f(x) + o(h) for a general C^2 f in
  d = 1, 2 (seed 000, 'Punto Técnico': Dynkin);
* :func:`check_js_integrand_nonnegative` - C(mu_G) + ln 4 is the integral of a non-negative integrand that vanishes
  only where the densities agree (seed 000, 'Generador Óptimo');
* :func:`check_inner_product_expansion` - the quadratic expansion of '¿Cómo invertimos...?' in any inner-product
  space;
* :func:`check_coupling_inequality` - the last step of the W2 bound of 'Análisis del proceso OU'.
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from theorylab.symbolic.result import IdentityCheck, check_identity

__all__ = [
    "check_coupling_inequality",
    "check_fokker_planck_general",
    "check_inner_product_expansion",
    "check_integration_by_parts",
    "check_ito_generator",
    "check_js_integrand_nonnegative",
    "check_projection",
    "check_tweedie_general",
]

_x, _y = sp.symbols("x y", real=True)
_t = sp.Symbol("t", real=True)


@cache
def check_tweedie_general() -> IdentityCheck:
    r"""Tweedie/Efron for any p_0 and any positive differentiable transition density K(x, y) = p_{k|0}(x|y).

    :math:`\partial_x \log\int K(x,y)p_0(y)dy` is differentiated by sympy (Leibniz rule: differentiation under the
    integral sign, which needs a dominating function) and compared with
    :math:`\int \partial_x\log K(x,y)\,K(x,y)p_0(y)dy / p_k(x)`, the expectation of the kernel's score under
    :math:`p_{0|k}(\cdot|x) = K(x,\cdot)p_0/p_k` (Bayes). ``y`` stands for x_0 in R^d and ``x`` for any coordinate of
    x_k: the computation is the same for every coordinate. Efron (2011), eq. (2.8).
    """
    K, p0 = sp.Function("K", positive=True), sp.Function("p0", positive=True)
    marginal = sp.Integral(K(_x, _y) * p0(_y), (_y, -sp.oo, sp.oo))
    lhs = sp.diff(sp.log(marginal), _x)  # sympy applies Leibniz: Integral(Derivative(K) p0) / Integral(K p0)
    numerator, denominator = sp.fraction(sp.together(lhs))
    if not (isinstance(numerator, sp.Integral) and denominator == marginal):
        raise ValueError(f"unexpected form of d/dx log p_k: {lhs}")
    posterior_mean_integrand = sp.diff(sp.log(K(_x, _y)), _x) * K(_x, _y) * p0(_y)
    return check_identity(numerator.function, posterior_mean_integrand)


@cache
def check_projection() -> IdentityCheck:
    r"""The L2 characterisation of the conditional expectation, for any square-integrable X and any U.

    With :math:`m = \mathbb{E}[X|U]` and any :math:`f(U)\in L^2`:
    :math:`|X - f|^2 - |X - m|^2 - |m - f|^2 = 2(X - m)(m - f)` is affine in X with a U-measurable coefficient, so
    its conditional expectation given U is obtained by substituting X -> m (linearity, 'taking out what is known'),
    which gives 0. Hence :math:`\mathbb{E}|X-f(U)|^2 = \mathbb{E}|X-m|^2 + \mathbb{E}|m-f(U)|^2`, minimal iff
    f(U) = m a.s. Per coordinate (the squared norm is a sum over coordinates).
    """
    X, m, f = sp.symbols("X m f", real=True)
    residual = sp.expand((X - f) ** 2 - (X - m) ** 2 - (m - f) ** 2)
    if sp.Poly(residual, X).degree() > 1:
        raise ValueError("the cross term must be affine in X")
    return check_identity(residual.subs(X, m), sp.Integer(0))


@cache
def check_integration_by_parts(d: int = 2) -> IdentityCheck:
    r""":math:`\langle f, \nabla p\rangle = \mathrm{div}(f p) - p\,\mathrm{div} f` for general functions f (vector
    field) and p on R^d (d = 1, 2): with the boundary term :math:`\int \mathrm{div}(fp) = 0` (the hypothesis
    :math:`\lim_{|x|\to\infty} p f = 0`, coordinate by coordinate), :math:`\mathbb{E}_p\langle f, \nabla\log p\rangle
    = -\mathbb{E}_p\,\mathrm{div} f`: Hyvärinen (2005), Theorem 1; the slide's ISM step with p = p_{k|0}(.|x_0)."""
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    p = sp.Function("p", positive=True)(*xs)
    f = [sp.Function(f"f{i + 1}")(*xs) for i in range(d)]
    lhs = sum(f[i] * sp.diff(p, xs[i]) for i in range(d))
    rhs = sum(sp.diff(f[i] * p, xs[i]) for i in range(d)) - p * sum(sp.diff(f[i], xs[i]) for i in range(d))
    return check_identity(lhs, rhs)


@cache
def check_fokker_planck_general(kind: str, d: int = 1) -> IdentityCheck:
    r"""Fokker--Planck residual for a general density :math:`p(t, x)` of :math:`dX = f(X,t)dt + g(t)dW` in R^d.

    ``kind``:

    * ``"time-reversal"``: :math:`q_s = p_{T-s}` solves the Fokker--Planck equation of
      :math:`dY = [-f(Y,T-s) + g(T-s)^2\nabla\log p_{T-s}(Y)]ds + g(T-s)dB` (Anderson 1982; marginals only);
    * ``"probability-flow"``: :math:`p_t` solves the continuity equation of
      :math:`\dot x = f(x,t) - \tfrac12 g(t)^2\nabla\log p_t(x)` (Song et al. 2021, eq. (13));
    * ``"probability-flow-half-g"``: the same with :math:`\tfrac12 g(t)` (seed 002 as written; fails).

    :math:`\partial_t p` is replaced by the forward equation :math:`-\mathrm{div}(fp) + \tfrac12 g^2\Delta p`, so the
    residual must vanish identically in the undefined functions f, g, p.
    """
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    p = sp.Function("p", positive=True)(_t, *xs)
    g = sp.Function("g", positive=True)(_t)
    f = [sp.Function(f"f{i + 1}")(*xs, _t) for i in range(d)]

    def div(field):
        return sum(sp.diff(field[i], xs[i]) for i in range(d))

    laplacian = sum(sp.diff(p, xi, 2) for xi in xs)
    dp_dt = -div([fi * p for fi in f]) + g**2 * laplacian / 2  # forward Fokker--Planck
    grad_log = [sp.diff(p, xi) / p for xi in xs]
    if kind == "time-reversal":
        # in reversed time s = T - t: d/ds q = -dp/dt; drift b = -f + g^2 grad log p; diffusion g^2
        drift = [-f[i] + g**2 * grad_log[i] for i in range(d)]
        residual = -dp_dt + div([b * p for b in drift]) - g**2 * laplacian / 2
    elif kind in ("probability-flow", "probability-flow-half-g"):
        coeff = g**2 / 2 if kind == "probability-flow" else g / 2
        velocity = [f[i] - coeff * grad_log[i] for i in range(d)]
        residual = dp_dt + div([v * p for v in velocity])
    else:
        raise ValueError(f"kind: 'time-reversal', 'probability-flow' or 'probability-flow-half-g', got {kind!r}")
    if kind == "probability-flow-half-g":
        # a witness: f = 0, g = 4 (constant), p the heat kernel N(0, 1 + g^2 t) in d = 1 (generic f, g do not make
        # a numeric witness); the residual must not vanish
        var = 1 + 16 * _t
        heat = sp.exp(-sum(xi**2 for xi in xs) / (2 * var)) / (2 * sp.pi * var) ** sp.Rational(d, 2)
        concrete = residual.subs({fi: 0 for fi in f}).subs(g, 4).subs(p, heat).doit()
        return check_identity(concrete, sp.Integer(0), domain={_t: (0.1, 2.0), **{xi: (-2.0, 2.0) for xi in xs}})
    return check_identity(residual, sp.Integer(0))


@cache
def check_ito_generator(d: int = 2, sigma_form: str = "sigma sigma^T") -> IdentityCheck:
    r"""The one-step expansion behind Dynkin's formula for a general :math:`f\in C^2(\mathbb{R}^d)` (d = 1, 2),
    general drift b and a general (full, non-symmetric) d x d diffusion matrix :math:`\sigma`.

    :math:`\mathbb{E}f(x + bh + \sigma\sqrt h\,\xi) - f(x)`, :math:`\xi\sim N(0, I)` (moments 0, 1, 0, 3), is
    expanded by sympy to order h and compared with :math:`h\,[\langle b,\nabla f\rangle + \tfrac12\langle\Sigma,
    \nabla^2 f\rangle]` for ``sigma_form`` :math:`\Sigma = \sigma\sigma^\top` (Itô) or :math:`\sigma^\top\sigma`
    (the slide). This is the derivative at h = 0 of :math:`\mathbb{E}f(X_{t+h})` given X_t = x; Dynkin's formula
    follows when the Itô integral :math:`\int\nabla f^\top\sigma\,dB` is a true martingale (the slide's
    'moralmente'; a local martingale is not enough).
    """
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    b = sp.symbols(f"b1:{d + 1}", real=True)
    sig = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"s{i + 1}{j + 1}", real=True))
    xi = sp.symbols(f"xi1:{d + 1}", real=True)
    eps = sp.Symbol("epsilon", positive=True)  # sqrt(h)
    f = sp.Function("f")(*xs)
    shift = [b[i] * eps**2 + eps * sum(sig[i, j] * xi[j] for j in range(d)) for i in range(d)]
    # second-order Taylor polynomial of f at x (exact to O(eps^3) because the shift is O(eps))
    taylor = f + sum(sp.diff(f, xs[i]) * shift[i] for i in range(d)) + sp.Rational(1, 2) * sum(
        sp.diff(f, xs[i], xs[j]) * shift[i] * shift[j] for i in range(d) for j in range(d))
    poly = sp.Poly(sp.expand(taylor), *xi)
    moments = {0: 1, 1: 0, 2: 1, 3: 0, 4: 3}
    expectation = sum(coeff * sp.prod([moments[k] for k in monom]) for monom, coeff in poly.terms())
    first_order = sp.expand(expectation - f).coeff(eps, 2)
    Sigma = sig * sig.T if sigma_form == "sigma sigma^T" else sig.T * sig
    generator = sum(b[i] * sp.diff(f, xs[i]) for i in range(d)) + sp.Rational(1, 2) * sum(
        Sigma[i, j] * sp.diff(f, xs[i], xs[j]) for i in range(d) for j in range(d))
    if sigma_form == "sigma sigma^T":
        return check_identity(first_order, generator)
    # the slide's Sigma: a numeric witness needs a concrete f; f = x_d^2 (the generator slide's counterexample)
    concrete = {f: xs[-1] ** 2}
    return check_identity(first_order.subs(concrete).doit(), generator.subs(concrete).doit())


@cache
def check_js_integrand_nonnegative() -> dict[str, IdentityCheck | bool]:
    r"""The integrand of :math:`C(\mu_G) + \ln 4 = \int g(p, q)\,d\nu`, :math:`g = p\ln\frac{2p}{p+q} +
    q\ln\frac{2q}{p+q}` (densities w.r.t. :math:`\nu = \pi + \mu_G`), is :math:`\ge 0` and vanishes only at p = q.

    g is 1-homogeneous: :math:`g(p, q) = q\,h(p/q)` with :math:`h(r) = r\ln\frac{2r}{r+1} + \ln\frac{2}{r+1}`;
    sympy gives h(1) = 0, h'(1) = 0 and h''(r) = 1/(r(r+1)) > 0, so h > 0 on r != 1; at q = 0, g = p ln 2 > 0.
    Hence the global minimum of C is at mu_G = pi only (nu-a.e. equality), for any pi and mu_G.
    """
    r = sp.Symbol("r", positive=True)
    h = r * sp.log(2 * r / (r + 1)) + sp.log(2 / (r + 1))
    second = sp.simplify(sp.diff(h, r, 2))
    p, q = sp.symbols("p q", positive=True)
    g = p * sp.log(2 * p / (p + q)) + q * sp.log(2 * q / (p + q))
    return {
        "homogeneous": check_identity(g, q * h.subs(r, p / q)),
        "h(1) = 0": check_identity(h.subs(r, 1), sp.Integer(0)),
        "h'(1) = 0": check_identity(sp.diff(h, r).subs(r, 1), sp.Integer(0)),
        "h'' = 1/(r(r+1))": check_identity(second, 1 / (r * (r + 1))),
        "h'' > 0": bool(second.is_positive),
        "g(p, 0) = p ln 2 > 0": bool(sp.limit(g, q, 0).equals(p * sp.log(2))),
    }


@cache
def check_inner_product_expansion() -> IdentityCheck:
    r"""The slide's expansion :math:`\|x_{k+1}-(1-\gamma)x_k\|^2 = \|x_k-(1+\gamma)x_{k+1}\|^2 - 2\gamma\|x_{k+1}-x_k\|^2
    + \gamma^2(\|x_k\|^2 - \|x_{k+1}\|^2)` in any inner-product space: every squared norm of
    :math:`\alpha x_k + \beta x_{k+1}` is :math:`\alpha^2 A + 2\alpha\beta B + \beta^2 C` with the Gram entries
    :math:`A = \langle x_k, x_k\rangle`, :math:`B = \langle x_k, x_{k+1}\rangle`, :math:`C = \langle x_{k+1},
    x_{k+1}\rangle` (bilinearity), so the identity is a polynomial identity in (A, B, C, gamma)."""
    A, B, C, g = sp.symbols("A B C gamma", real=True)

    def sq(alpha, beta):  # |alpha x_k + beta x_{k+1}|^2
        return alpha**2 * A + 2 * alpha * beta * B + beta**2 * C

    lhs = sq(-(1 - g), 1)
    rhs = sq(1, -(1 + g)) - 2 * g * sq(-1, 1) + g**2 * (A - C)
    return check_identity(lhs, rhs)


@cache
def check_coupling_inequality() -> sp.Set:
    r"""The set of u = e^{-t} in [0, 1] where :math:`1 - \sqrt{1-u^2} \le u` (sympy's
    ``solve_univariate_inequality``); it must be all of [0, 1].

    With the synchronous coupling :math:`X_t = uX_0 + \sqrt{1-u^2}Z`, :math:`Z\sim\mu_Z` and Minkowski:
    :math:`W_2(\mathcal{L}(X_t),\mu_Z) \le \|uX_0 + (\sqrt{1-u^2}-1)Z\|_{L^2} \le u\,\mathbb{E}^{1/2}\|X_0\|^2 +
    (1-\sqrt{1-u^2})\sqrt d`, and this inequality gives the slide's bound for any X_0 in L^2 and any d.
    """
    u = sp.Symbol("u", real=True)
    return sp.solve_univariate_inequality(1 - sp.sqrt(1 - u**2) <= u, u, relational=False,
                                          domain=sp.Interval(0, 1))
