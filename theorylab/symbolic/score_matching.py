r"""Score matching: Tweedie's identity, denoising and implicit score matching, the loss weighting, and the
elementary properties of scores used in the seeds.

Seed 000, slides 'Score-matching', 'Score matching', 'Denoising Score matching', 'Implicit Score matching',
'¿Cómo hacemos este Score-Matching?', 'Ponderación de la función de pérdida'; seed 002, slides 'Por que o uso da
função score é importante?', 'Estimando Scores para a SDE' (Theorem 1) and 'Geração Condicional'.

Setting (1D unless said otherwise): :math:`X_k = m X_0 + \sigma Z`, :math:`Z\sim N(0,1)` independent of
:math:`X_0`, so :math:`p_{k|0}(x|x_0) = N(x; m x_0, \sigma^2)`. For the Euler--Maruyama chain of the repository
:math:`m = m_k = (1-\gamma)^k` and :math:`\sigma^2 = \sigma_k^2 = \{1-(1-\gamma)^{2k}\}/(1-\gamma/2)`
(:func:`theorylab.symbolic.backward_kernel.chain_marginal`); for the OU process :math:`m = e^{-t}`,
:math:`\sigma^2 = 1-e^{-2t}`. The data law is :math:`p_0 = N(\mu, s^2)` or a two-component Gaussian mixture.

Every expectation below is computed by sympy: Gaussian integrals (Tweedie, conditional means; the base
integral by ``sympy.integrate``, moments by differentiating it) or ``sympy.stats.E`` of polynomials in
independent normals (losses); minimisers by ``sympy.solve`` of the first-order conditions. The one non-polynomial check (Theorem 1 with :math:`s = \tanh`)
is numerical: mpmath quadrature on :math:`\mathbb{R}` at 60 digits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import cache

import mpmath
import sympy as sp
from sympy import stats

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation, IdentityCheck, Truth, check_identity
from theorylab.tolerances import SYMBOLIC_NUMERIC_ZERO

__all__ = [
    "affine_minimiser",
    "check_affine_minimiser_is_score",
    "check_bayes_conditional_score",
    "check_conditional_expectation_affine",
    "check_dsm_esm_gap",
    "check_dsm_target",
    "check_ism_equivalence",
    "check_normalisation_invariance",
    "check_theorem1",
    "check_tweedie",
    "dsm_affine",
    "dsm_target",
    "dsm_weight",
    "esm_affine",
    "gaussian_marginal_score",
    "integrated_loss_free_indices",
    "ism_affine",
    "kernel_score_energy",
    "mixture_marginal_score",
]

SRC_000 = "000"
SRC_002 = "002"

# Symbols. x: the point X_k = x; x0: the data point; z: the noise; m, sigma: mean factor and std of p_{k|0};
# mu, s: mean and std of a Gaussian p_0; w, mu1, s1, mu2, s2: a two-component mixture p_0; a, b: an affine
# model f(x) = a x + b; d: the dimension.
_x, _x0, _z, _mu, _mu1, _mu2 = sp.symbols("x x0 z mu mu1 mu2", real=True)
_m, _sigma, _s, _s1, _s2 = sp.symbols("m sigma s s1 s2", positive=True)
_w = sp.Symbol("w", positive=True)
_a, _b = sp.symbols("a b", real=True)
_d = sp.Symbol("d", integer=True, positive=True)

#: Domains of the numerical searches: m in (0, 1] (a contraction, as for the chain and OU), noise std and data
#: std in (0.1, 3), mixture weight in (0.05, 0.95).
_DOMAIN = {
    _m: (0.05, 1.0),
    _sigma: (0.1, 3.0),
    _s: (0.1, 3.0),
    _s1: (0.1, 3.0),
    _s2: (0.1, 3.0),
    _w: (0.05, 0.95),
}


def _normal_pdf(y: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return sp.exp(-((y - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


_alpha = sp.Symbol("alpha", positive=True)
_beta = sp.Symbol("beta", real=True)


@cache
def _gaussian_base_integral() -> sp.Expr:
    r""":math:`\int_{\mathbb{R}} e^{-\alpha y^2 + \beta y}\,dy = \sqrt{\pi/\alpha}\,e^{\beta^2/(4\alpha)}`, by
    ``sympy.integrate`` (once) and ``simplify``."""
    y = sp.Dummy("y", real=True)
    return sp.simplify(sp.integrate(sp.exp(-_alpha * y**2 + _beta * y), (y, -sp.oo, sp.oo), conds="none"))


def _gaussian_integral(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    r""":math:`\int_{\mathbb{R}}` of a sum of terms :math:`c(\text{var})\,e^{Q(\text{var})}`, :math:`c` polynomial
    and :math:`Q` quadratic with negative leading coefficient, in ``var``.

    Each term is :math:`\sum_n c_n\,\partial_\beta^n I(\alpha,\beta)\,e^{Q(0)}` with
    :math:`I = \int e^{-\alpha y^2+\beta y}dy` from :func:`_gaussian_base_integral` (``sympy.diff``), at
    :math:`-\alpha, \beta` the quadratic and linear coefficients of :math:`Q`. Written here because
    ``sympy.integrate`` on these integrands with five symbolic parameters takes several seconds per call (it
    goes through Meijer-G); this route is exact and takes milliseconds. :func:`check_tweedie`'s tests compare
    its results with scipy quadrature.
    """
    base = _gaussian_base_integral()
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.powsimp(sp.expand(expr), combine="exp")):
        coeff, exponent = sp.Integer(1), sp.Integer(0)
        for factor in sp.Mul.make_args(term):
            if isinstance(factor, sp.exp):
                exponent += factor.args[0]
            else:
                coeff *= factor
        quad = sp.Poly(sp.expand(exponent), var)
        if quad.degree() != 2:
            raise RuntimeError(f"exponent is not quadratic in {var}: {exponent}")
        a2, a1, a0 = (quad.coeff_monomial(var**j) for j in (2, 1, 0))
        for (n,), c_n in sp.Poly(coeff, var).terms():
            moment = sp.diff(base, _beta, n).subs({_alpha: -a2, _beta: a1}, simultaneous=True)
            total += c_n * moment * sp.exp(a0)
    return total


def _kernel_score(x: sp.Expr, x0: sp.Expr) -> sp.Expr:
    r""":math:`\nabla_x\log p_{k|0}(x|x_0)`, by ``sympy.diff`` of the log of the Gaussian kernel."""
    y = sp.Dummy("y", real=True)
    return sp.diff(sp.log(_normal_pdf(y, _m * x0, _sigma**2)), y).subs(y, x)


# ----------------------------------------------------------------------------------------------------------------
# (a) Tweedie / Efron
# ----------------------------------------------------------------------------------------------------------------


@cache
def _component_integrals() -> tuple[sp.Expr, sp.Expr]:
    r"""For :math:`p_0 = N(\mu, s^2)`: :math:`\int \nabla\log p_{k|0}(x|x_0)\,p_0(x_0)p_{k|0}(x|x_0)\,dx_0` and
    :math:`p_k(x) = \int p_0(x_0)p_{k|0}(x|x_0)\,dx_0` (:func:`_gaussian_integral` over :math:`\mathbb{R}`)."""
    joint = _normal_pdf(_x0, _mu, _s**2) * _normal_pdf(_x, _m * _x0, _sigma**2)
    marginal = _gaussian_integral(joint, _x0)
    weighted = _gaussian_integral(_kernel_score(_x, _x0) * joint, _x0)
    return weighted, marginal


def _mixture_integrals() -> tuple[sp.Expr, sp.Expr]:
    weighted, marginal = _component_integrals()
    comps = ({_mu: _mu1, _s: _s1}, {_mu: _mu2, _s: _s2})
    weights = (_w, 1 - _w)
    num = sum(wt * weighted.subs(c, simultaneous=True) for wt, c in zip(weights, comps, strict=True))
    den = sum(wt * marginal.subs(c, simultaneous=True) for wt, c in zip(weights, comps, strict=True))
    return num, den


_GAUSS_ARGS = (_x, _mu, _s, _m, _sigma)
_MIX_ARGS = (_x, _w, _mu1, _s1, _mu2, _s2, _m, _sigma)


@cache
def gaussian_marginal_score() -> Derivation:
    r"""Score of :math:`p_k = \int N(x_0;\mu,s^2)\,N(\cdot; m x_0, \sigma^2)\,dx_0`:
    :math:`\nabla\log p_k(x) = -(x - m\mu)/(m^2s^2+\sigma^2)`.

    Gaussian integral of the joint density over :math:`x_0` (:func:`_gaussian_integral`), then ``diff`` of the log. Args
    ``(x, mu, s, m, sigma)``.
    """
    _, marginal = _component_integrals()
    return Derivation(
        "score p_k (Gaussian p_0)",
        sp.factor(sp.simplify(sp.diff(sp.log(marginal), _x))),
        _GAUSS_ARGS,
        f"{SRC_000} / Score-matching",
        "integral over x0 of N(x0; mu, s^2) N(x; m x0, sigma^2) (complete the square), then d/dx log",
    )


@cache
def mixture_marginal_score() -> Derivation:
    r"""Score of :math:`p_k` when :math:`p_0 = wN(\mu_1,s_1^2) + (1-w)N(\mu_2,s_2^2)`.

    Args ``(x, w, mu1, s1, mu2, s2, m, sigma)``. Same derivation as :func:`gaussian_marginal_score`, by linearity
    of the integral in :math:`p_0`.
    """
    _, den = _mixture_integrals()
    return Derivation(
        "score p_k (mixture p_0)",
        sp.diff(sp.log(den), _x),
        _MIX_ARGS,
        f"{SRC_000} / Score-matching",
        "integral over x0 of each component's joint density, mixture by linearity, then d/dx log",
    )


@cache
def check_tweedie(target: str = "gaussian") -> IdentityCheck:
    r"""Tweedie/Efron: :math:`\nabla\log p_k(x) = \mathbb{E}[\nabla\log p_{k|0}(x|X_0)\mid X_k = x]`.

    Seed 000, slide 'Score-matching' (identity attributed to Efron (2011)). The left side is
    :func:`gaussian_marginal_score` / :func:`mixture_marginal_score`; the right side is computed independently as
    :math:`\int\nabla\log p_{k|0}(x|x_0)\,p_0(x_0)p_{k|0}(x|x_0)\,dx_0 / p_k(x)` (Gaussian integrals over
    :math:`x_0` by completing the square, :func:`_gaussian_integral`).

    Parameters
    ----------
    target : {"gaussian", "mixture"}
        :math:`p_0 = N(\mu, s^2)`, or a two-component Gaussian mixture (the posterior is then a mixture too). Both
        are proved symbolically (``cancel`` of the residual); ``Truth.NUMERIC`` (50 digits at random points) would
        be reported if a sympy version failed to simplify.
    """
    if target == "gaussian":
        weighted, marginal = _component_integrals()
        score = gaussian_marginal_score().expr
    elif target == "mixture":
        weighted, marginal = _mixture_integrals()
        score = mixture_marginal_score().expr
    else:
        raise ConfigError(f"target: must be 'gaussian' or 'mixture', got {target!r}")
    return check_identity(score, weighted / marginal, domain=_DOMAIN)


# ----------------------------------------------------------------------------------------------------------------
# (b) the DSM target in terms of the noise
# ----------------------------------------------------------------------------------------------------------------


@cache
def dsm_target() -> Derivation:
    r""":math:`\nabla\log p_{k|0}(X_k|X_0)` at :math:`X_k = mX_0 + \sigma Z`: :math:`-Z/\sigma`.

    Seed 000, slide 'Denoising Score matching'. Args ``(z, sigma)``.
    """
    expr = sp.simplify(_kernel_score(_m * _x0 + _sigma * _z, _x0))
    return Derivation(
        "grad log p_{k|0}(X_k|X_0)",
        expr,
        (_z, _sigma),
        f"{SRC_000} / Denoising Score matching",
        "sympy.diff of log N(x; m x0, sigma^2) in x, at x = m x0 + sigma z",
    )


@cache
def check_dsm_target(form: str = "slide") -> IdentityCheck:
    r"""Check the slide's :math:`\nabla\log p_{k|0}(X_k|X_0) = -\hat Z_k/\sigma_k^2` (``form="slide"``) or the
    corrected :math:`-\hat Z_k/\sigma_k` (``form="corrected"``), with :math:`\hat Z_k\sim N(0,\mathrm{Id})` as the
    slide defines it (:math:`X_k = m_kX_0 + \sigma_k\hat Z_k`).

    The slide form fails for every :math:`\sigma_k \ne 1`, :math:`\hat Z_k\ne0` (it is right only if
    :math:`\hat Z_k` denotes the unnormalised noise :math:`\sigma_k\hat Z_k = X_k - m_kX_0`).
    """
    if form == "slide":
        rhs = -_z / _sigma**2
    elif form == "corrected":
        rhs = -_z / _sigma
    else:
        raise ConfigError(f"form: must be 'slide' or 'corrected', got {form!r}")
    return check_identity(dsm_target().expr, rhs, domain=_DOMAIN)


# ----------------------------------------------------------------------------------------------------------------
# (c), (d) DSM and ISM for affine models
# ----------------------------------------------------------------------------------------------------------------


def _noise_model() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """Random variables ``(X0, Z, X_k)`` of sympy.stats, with X0 ~ N(mu, s^2), Z ~ N(0, 1) independent."""
    x0 = stats.Normal("X0", _mu, _s)
    z = stats.Normal("Z", 0, 1)
    return x0, z, _m * x0 + _sigma * z


def _affine(y: sp.Expr) -> sp.Expr:
    return _a * y + _b


_AFFINE_ARGS = (_a, _b, _mu, _s, _m, _sigma)


@cache
def dsm_affine() -> Derivation:
    r""":math:`\mathrm{DSM}(f) = \mathbb{E}[(f(X_k) - \nabla\log p_{k|0}(X_k|X_0))^2]` for :math:`f(x) = ax+b`,
    :math:`p_0 = N(\mu, s^2)` (``sympy.stats.E``). Args ``(a, b, mu, s, m, sigma)``.

    Seed 000, slide 'Denoising Score matching'.
    """
    x0, _, xk = _noise_model()
    expr = stats.E(sp.expand((_affine(xk) - _kernel_score(xk, x0)) ** 2))
    return Derivation(
        "DSM(ax+b)", sp.expand(expr), _AFFINE_ARGS, f"{SRC_000} / Denoising Score matching", "sympy.stats.E"
    )


@cache
def ism_affine(form: str = "full") -> Derivation:
    r"""Implicit score matching loss of :math:`f(x) = ax+b`, :math:`p_0 = N(\mu, s^2)` (``sympy.stats.E``).

    ``form="full"``: :math:`\mathbb{E}[f(X_k)^2 + 2f'(X_k)]` (seed 000, slide 'Implicit Score matching', the
    expansion; seed 002, Theorem 1). ``form="half"``: :math:`\mathbb{E}[\tfrac12 f(X_k)^2 + f'(X_k)]` (seed 000,
    the :math:`\mathrm{ISM}_k` of '¿Cómo hacemos este Score-Matching?'). Args ``(a, b, mu, s, m, sigma)``.
    """
    if form not in ("full", "half"):
        raise ConfigError(f"form: must be 'full' or 'half', got {form!r}")
    _, _, xk = _noise_model()
    y = sp.Dummy("y", real=True)
    div = sp.diff(_affine(y), y)
    scale = 1 if form == "full" else sp.Rational(1, 2)
    expr = stats.E(sp.expand(scale * (_affine(xk) ** 2 + 2 * div)))
    return Derivation(
        f"ISM[{form}](ax+b)", sp.expand(expr), _AFFINE_ARGS, f"{SRC_000} / Implicit Score matching", "sympy.stats.E"
    )


def _expect_with_score(integrand: Callable[[sp.Expr], sp.Expr], xk: sp.Expr) -> sp.Expr:
    """``E[integrand(grad log p_k(X_k))]``: the score is affine, ``A x + B``; the expectation is taken with
    placeholder symbols ``A, B`` (``sympy.stats.E`` is slow on rational coefficients) and they are substituted
    afterwards."""
    score = sp.Poly(gaussian_marginal_score().expr, _x)
    if score.degree() != 1:
        raise RuntimeError(f"score of a Gaussian p_k is not affine: {score}")
    slope, intercept = sp.symbols("A B", real=True)
    value = stats.E(sp.expand(integrand(slope * xk + intercept)))
    return sp.expand(value.subs({slope: score.coeff_monomial(_x), intercept: score.coeff_monomial(1)}))


@cache
def esm_affine() -> Derivation:
    r"""Explicit score matching :math:`\mathrm{ESM}(f) = \mathbb{E}[(f(X_k) - \nabla\log p_k(X_k))^2]` for
    :math:`f(x) = ax+b`, :math:`p_0 = N(\mu, s^2)`, with :math:`\nabla\log p_k` from
    :func:`gaussian_marginal_score` (``sympy.stats.E``). Args ``(a, b, mu, s, m, sigma)``.

    Seed 002, slide 'Estimando Scores para a SDE', equation (1) (at one time, :math:`\lambda = 1`).
    """
    _, _, xk = _noise_model()
    expr = _expect_with_score(lambda score: (_affine(xk) - score) ** 2, xk)
    return Derivation(
        "ESM(ax+b)", sp.expand(expr), _AFFINE_ARGS, f"{SRC_002} / Estimando Scores para a SDE", "sympy.stats.E"
    )


@cache
def check_dsm_esm_gap() -> IdentityCheck:
    r"""Seed 002, 'Estimando Scores para a SDE': equation (1) equals the denoising form plus a constant,
    :math:`\mathrm{DSM}(f) = \mathrm{ESM}(f) + \mathbb{E}\|\nabla\log p_{k|0}\|^2 - \mathbb{E}\|\nabla\log p_k\|^2`
    (affine :math:`f`, Gaussian :math:`p_0`; the constant does not depend on :math:`(a, b)`). Both energies by
    ``sympy.stats.E``."""
    _, _, xk = _noise_model()
    marginal_energy = _expect_with_score(lambda score: score**2, xk)
    constant = kernel_score_energy(1).expr - marginal_energy
    return check_identity(dsm_affine().expr - esm_affine().expr, constant, domain=_DOMAIN)


@cache
def kernel_score_energy(dim: int | None = None) -> Derivation:
    r""":math:`\mathbb{E}\|\nabla\log p_{k|0}(X_k|X_0)\|^2 = d/\sigma^2` in dimension :math:`d`.

    Each coordinate is :math:`-Z_i/\sigma` (:func:`dsm_target`), so the expectation is a sum of :math:`d`
    identical one-dimensional expectations (``sympy.stats.E`` then ``sympy.Sum``). ``dim=None`` keeps :math:`d`
    symbolic; args ``(d, sigma)`` or ``(sigma,)``.
    """
    z = stats.Normal("Z", 0, 1)
    one = stats.E(dsm_target().expr.subs(_z, z) ** 2)
    i = sp.Symbol("i", integer=True, positive=True)
    n = _d if dim is None else sp.Integer(dim)
    expr = sp.simplify(sp.Sum(one, (i, 1, n)).doit())
    args = (_d, _sigma) if dim is None else (_sigma,)
    return Derivation(
        "E||grad log p_{k|0}||^2",
        expr,
        args,
        f"{SRC_002} / Estimando Scores para a SDE",
        "sympy.stats.E of (-Z/sigma)^2, summed over d independent coordinates",
    )


@cache
def dsm_weight() -> Derivation:
    r"""The weighting :math:`\lambda = 1/\mathbb{E}\|\nabla\log p_{t|0}(X_t|X_0)\|^2 = \sigma_t^2/d`.

    Seed 002, slide 'Estimando Scores para a SDE' (recommendation of Song et al. 2021); seed 000, slide
    'Ponderación de la función de pérdida' (:math:`\lambda_k` a function of :math:`\sigma_k`). With this weight
    :math:`\lambda\,\mathrm{DSM}(f) = \mathbb{E}\|\sigma f(X_t) + Z\|^2/d`, of order 1 at every noise level.
    Args ``(d, sigma)``.
    """
    return Derivation(
        "lambda(sigma)",
        sp.simplify(1 / kernel_score_energy().expr),
        (_d, _sigma),
        f"{SRC_002} / Estimando Scores para a SDE; {SRC_000} / Ponderación de la función de pérdida",
        "reciprocal of E||grad log p_{t|0}||^2 (kernel_score_energy)",
    )


@cache
def check_ism_equivalence(form: str = "full") -> IdentityCheck:
    r"""DSM = ISM + constant, for affine models and Gaussian :math:`p_0`.

    ``form="full"``: :math:`\mathrm{DSM}(f) - \mathbb{E}[f^2 + 2f'] = \mathbb{E}\|\nabla\log p_{k|0}\|^2`
    (:math:`= 1/\sigma^2`, independent of :math:`(a, b)`), seed 000 slide 'Implicit Score matching'.
    ``form="half"``: :math:`\mathrm{DSM}(f) - 2\,\mathbb{E}[\tfrac12 f^2 + f'] = \mathbb{E}\|\nabla\log p_{k|0}\|^2`;
    the slide's :math:`\mathrm{ISM}_k` is half the full form, so it has the same minimiser
    (:func:`affine_minimiser`).
    """
    if form not in ("full", "half"):
        raise ConfigError(f"form: must be 'full' or 'half', got {form!r}")
    scale = 1 if form == "full" else 2
    return check_identity(dsm_affine().expr - scale * ism_affine(form).expr, kernel_score_energy(1).expr)


@cache
def affine_minimiser(loss: str = "dsm") -> tuple[Derivation, Derivation]:
    r"""Minimiser :math:`(a^*, b^*)` of a score-matching loss over affine models :math:`f(x) = ax+b`.

    ``sympy.solve`` of :math:`\partial_a L = \partial_b L = 0` (the losses are convex quadratics in
    :math:`(a,b)`). For ``"dsm"``, ``"ism"`` (full) and ``"ism_half"`` the result is
    :math:`a^* = -1/(m^2s^2+\sigma^2)`, :math:`b^* = m\mu/(m^2s^2+\sigma^2)`: the exact score of :math:`p_k`
    (:func:`check_affine_minimiser_is_score`). Args of each Derivation ``(mu, s, m, sigma)``.

    Seed 000, slides 'Score matching' (the score is the minimiser of DSM) and 'Implicit Score matching'.
    """
    losses: dict[str, Callable[[], Derivation]] = {
        "dsm": dsm_affine,
        "ism": lambda: ism_affine("full"),
        "ism_half": lambda: ism_affine("half"),
    }
    if loss not in losses:
        raise ConfigError(f"loss: must be one of {', '.join(losses)}, got {loss!r}")
    objective = losses[loss]().expr
    sol = sp.solve([sp.diff(objective, _a), sp.diff(objective, _b)], [_a, _b], dict=True)
    if len(sol) != 1:
        raise RuntimeError(f"expected a unique stationary point, got {sol}")
    args = (_mu, _s, _m, _sigma)
    src = f"{SRC_000} / Score matching; Implicit Score matching"
    method = f"sympy.solve of grad_(a,b) {loss} = 0"
    return (
        Derivation(f"a* [{loss}]", sp.factor(sol[0][_a]), args, src, method),
        Derivation(f"b* [{loss}]", sp.factor(sol[0][_b]), args, src, method),
    )


@cache
def check_affine_minimiser_is_score(loss: str = "dsm") -> IdentityCheck:
    r"""Prove that :math:`a^*x + b^*` from :func:`affine_minimiser` equals :func:`gaussian_marginal_score`."""
    a_star, b_star = affine_minimiser(loss)
    return check_identity(a_star.expr * _x + b_star.expr, gaussian_marginal_score().expr, domain=_DOMAIN)


# ----------------------------------------------------------------------------------------------------------------
# Theorem 1 of seed 002: E_p|s - grad log p|^2 = E_p[|s|^2 + 2 div s] + E_p|grad log p|^2
# ----------------------------------------------------------------------------------------------------------------


def _quadrature_identity(
    lhs: Callable[..., mpmath.mpf],
    rhs: Callable[..., mpmath.mpf],
    params: tuple[sp.Symbol, ...],
    domain: dict[sp.Symbol, tuple[float, float]],
    record: tuple[sp.Basic, sp.Basic],
    *,
    n_points: int = 6,
    digits: int = 60,
    seed: int = 0,
) -> IdentityCheck:
    """Compare two integrals over R computed by mpmath.quad at ``digits`` precision at random rational points.

    Written here because :func:`~theorylab.symbolic.result.check_identity` needs sympy to evaluate the residual,
    and sympy's numerical evaluation of an unevaluated ``Integral`` over R with a non-polynomial integrand
    (tanh against a Gaussian) tries symbolic integration first and does not return in reasonable time; mpmath's
    tanh-sinh quadrature reaches the working precision on these smooth, Gaussian-decaying integrands.
    """
    rng = random.Random(seed)
    with mpmath.workdps(digits):
        for _ in range(n_points):
            point = {}
            for sym in params:
                lo, hi = domain[sym]
                fraction = mpmath.mpf(rng.randint(0, 10**6)) / 10**6
                point[sym] = mpmath.mpf(lo) + (mpmath.mpf(hi) - mpmath.mpf(lo)) * fraction
            values = [point[sym] for sym in params]
            left, right = lhs(*values), rhs(*values)
            if abs(left - right) > SYMBOLIC_NUMERIC_ZERO * (1 + abs(left)):
                witness = {sym.name: float(val) for sym, val in point.items()}
                witness["residual"] = float(abs(left - right))
                return IdentityCheck(
                    record[0], record[1], sp.Float(witness["residual"]), Truth.FAILS,
                    f"mpmath.quad on R at {digits} digits", witness,
                )
    return IdentityCheck(
        record[0], record[1], sp.Integer(0), Truth.NUMERIC,
        f"mpmath.quad on R at {digits} digits: zero to {digits - 30}+ digits at {n_points} random points",
    )


@cache
def check_theorem1(model: str = "affine") -> IdentityCheck:
    r"""Seed 002, Theorem 1 (Hyvärinen): for :math:`p = N(\mu, v)`,

    .. math::

        \mathbb{E}_p[(s - \nabla\log p)^2] = \mathbb{E}_p[s^2 + 2s'] + C,
        \qquad C = \mathbb{E}_p[(\nabla\log p)^2] = 1/v .

    ``model="affine"``: :math:`s = ax+b`, proved with ``sympy.stats.E``. ``model="tanh"``: :math:`s = \tanh x`
    (non-polynomial, satisfies :math:`p\,s\to0` at infinity), both sides by mpmath quadrature at 60 digits at
    random :math:`(\mu, v)` (``Truth.NUMERIC`` when they agree).
    """
    mean, var = sp.Symbol("mu", real=True), sp.Symbol("v", positive=True)
    y = sp.Symbol("y", real=True)
    density = _normal_pdf(y, mean, var)
    score = sp.diff(sp.log(density), y)
    if model == "affine":
        xr = stats.Normal("X", mean, sp.sqrt(var))
        s_expr = _a * y + _b
        lhs = stats.E(sp.expand(((s_expr - score) ** 2).subs(y, xr)))
        rhs = stats.E(sp.expand((s_expr**2 + 2 * sp.diff(s_expr, y)).subs(y, xr)))
        const = stats.E(sp.expand((score**2).subs(y, xr)))
        return check_identity(sp.expand(lhs), sp.expand(rhs + const))
    if model == "tanh":
        s_expr = sp.tanh(y)
        lhs_integrand = (s_expr - score) ** 2 * density
        rhs_integrand = (s_expr**2 + 2 * sp.diff(s_expr, y) + score**2) * density
        f_lhs = sp.lambdify((y, mean, var), lhs_integrand, "mpmath")
        f_rhs = sp.lambdify((y, mean, var), rhs_integrand, "mpmath")

        def integral(f: Callable[..., mpmath.mpf]) -> Callable[..., mpmath.mpf]:
            return lambda mu_, v_: mpmath.quad(lambda t: f(t, mu_, v_), [-mpmath.inf, mu_, mpmath.inf])

        record = (
            sp.Integral(lhs_integrand, (y, -sp.oo, sp.oo)),
            sp.Integral(rhs_integrand, (y, -sp.oo, sp.oo)),
        )
        return _quadrature_identity(
            integral(f_lhs), integral(f_rhs), (mean, var), {mean: (-2.0, 2.0), var: (0.2, 3.0)}, record
        )
    raise ConfigError(f"model: must be 'affine' or 'tanh', got {model!r}")


# ----------------------------------------------------------------------------------------------------------------
# (f) normalisation invariance and Bayes for conditional scores
# ----------------------------------------------------------------------------------------------------------------


@cache
def check_normalisation_invariance() -> IdentityCheck:
    r""":math:`\nabla\log(p(x)/Z) = \nabla\log p(x)` for any positive :math:`p` and constant :math:`Z>0` (2D
    gradient, :math:`p` an undefined sympy Function). Seed 002, 'Por que o uso da função score é importante?'."""
    x1, x2 = sp.symbols("x1 x2", real=True)
    norm = sp.Symbol("Z", positive=True)
    p = sp.Function("p", positive=True)(x1, x2)
    grad = lambda e: sp.Matrix([sp.diff(e, x1), sp.diff(e, x2)])  # noqa: E731
    return check_identity(grad(sp.log(p / norm)), grad(sp.log(p)))


@cache
def check_bayes_conditional_score() -> IdentityCheck:
    r""":math:`\nabla_x\log p_t(x|y) = \nabla_x\log p_t(y|x) + \nabla_x\log p_t(x)` with
    :math:`p_t(x|y) = p_t(y|x)p_t(x)/p_t(y)` (2D gradient, undefined sympy Functions; :math:`p_t(y)` is constant
    in :math:`x`). Seed 002, slide 'Geração Condicional'."""
    x1, x2, y = sp.symbols("x1 x2 y", real=True)
    lik = sp.Function("p_y_given_x", positive=True)(y, x1, x2)
    prior = sp.Function("p_x", positive=True)(x1, x2)
    evidence = sp.Function("p_y", positive=True)(y)
    grad = lambda e: sp.Matrix([sp.diff(e, x1), sp.diff(e, x2)])  # noqa: E731
    return check_identity(grad(sp.log(lik * prior / evidence)), grad(sp.log(lik)) + grad(sp.log(prior)))


# ----------------------------------------------------------------------------------------------------------------
# (g) conditional expectation as an L2 projection
# ----------------------------------------------------------------------------------------------------------------


@cache
def check_conditional_expectation_affine() -> IdentityCheck:
    r"""The minimiser of :math:`\mathbb{E}(X - \alpha U - \beta)^2` over affine maps is :math:`\mathbb{E}[X|U]`,
    for :math:`(X, U)` bivariate Gaussian.

    Seed 000, slide 'Score matching' (:math:`\mathbb{E}[X|U] = \arg\min\mathbb{E}\|X-f(U)\|^2`). Left side:
    ``sympy.solve`` of the normal equations, with expectations by ``sympy.stats.E`` on the representation
    :math:`U = \mu_u + \sigma_u W_1`, :math:`X = \mu_x + (r/\sigma_u)W_1 + \sqrt{D}/\sigma_u\,W_2`
    (covariance :math:`r`, determinant :math:`D = \sigma_x^2\sigma_u^2 - r^2 > 0`). Right side:
    :math:`\int x\,p(x,u)\,dx / \int p(x,u)\,dx`, Gaussian integrals of the bivariate density (precision
    matrix = adjugate / D) by :func:`_gaussian_integral`.
    """
    xs, us, mx, mu_u = sp.symbols("x u mu_x mu_u", real=True)
    su, det = sp.symbols("sigma_u D", positive=True)
    r, alpha, beta = sp.symbols("r alpha beta", real=True)
    sx2 = (det + r**2) / su**2  # sigma_x^2 from D = sigma_x^2 sigma_u^2 - r^2
    w1, w2 = stats.Normal("W1", 0, 1), stats.Normal("W2", 0, 1)
    u_rv = mu_u + su * w1
    x_rv = mx + (r / su) * w1 + sp.sqrt(det) / su * w2
    risk = stats.E(sp.expand((x_rv - alpha * u_rv - beta) ** 2))
    sol = sp.solve([sp.diff(risk, alpha), sp.diff(risk, beta)], [alpha, beta], dict=True)
    if len(sol) != 1:
        raise RuntimeError(f"expected unique normal-equation solution, got {sol}")
    projection = sol[0][alpha] * us + sol[0][beta]
    centred = sp.Matrix([xs - mx, us - mu_u])
    adjugate = sp.Matrix([[su**2, -r], [-r, sx2]])
    density = sp.exp(-sp.expand((centred.T * adjugate * centred)[0, 0]) / (2 * det))
    num = _gaussian_integral(xs * density, xs)
    den = _gaussian_integral(density, xs)
    return check_identity(sp.simplify(projection), sp.simplify(num / den))


def integrated_loss_free_indices(weights) -> tuple[int, ...]:
    r"""Indices k at which a minimiser of :math:`\ell^{DSM}(f) = \sum_k\lambda_k DSM_k(f(k,\cdot))` is *not* forced
    to equal the score.

    Seed 000, '¿Cómo hacemos este Score-Matching?': "una función de ponderación de cada tiempo
    :math:`\lambda_k\ge0`", then :math:`s_{\theta^*}(k,\cdot)\approx\nabla\log p_k` for every k. By the projection
    identity (:func:`theorylab.symbolic.general.check_projection`) :math:`DSM_k(f_k) = e_k + c_k` with
    :math:`e_k = \mathbb{E}\|f_k(X_k) - \nabla\log p_k(X_k)\|^2\ge0` and :math:`c_k` free of f, so
    :math:`\ell(f) - \min\ell = \sum_k\lambda_k e_k`. For each k, sympy decides whether
    :math:`e_k > 0` (all other :math:`e_j\ge0`) forces :math:`\sum_j\lambda_je_j > 0`; the indices where it does
    not are returned (those with :math:`\lambda_k = 0`). The same holds for :math:`\ell^{ISM}`, which is
    :math:`\tfrac12\ell^{DSM}` up to a constant.

    Parameters
    ----------
    weights : sequence of sympy numbers or symbols
        :math:`\lambda_1, \dots, \lambda_N`; a symbol declared ``positive=True`` stands for any positive weight.
    """
    weights = [sp.sympify(w) for w in weights]
    if not weights or any(w.is_negative for w in weights):
        raise ConfigError(f"weights: a non-empty sequence of non-negative weights, got {weights!r}")
    free = []
    for k in range(len(weights)):
        errs = [sp.Symbol(f"e{j}", positive=True) if j == k else sp.Symbol(f"e{j}", nonnegative=True)
                for j in range(len(weights))]
        excess = sum(w * e for w, e in zip(weights, errs))
        if excess.is_positive is not True:
            free.append(k + 1)
    return tuple(free)
