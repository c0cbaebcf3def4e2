r"""The forward Ornstein--Uhlenbeck process :math:`dX_t = -X_t\,dt + \sqrt{2}\,dB_t`, solved by sympy.

Seed 000, slides 'Modelos en el caso Continuo' and 'Análisis del proceso Ornstein-Uhlenbeck'. The process is
isotropic, so 1D scalar symbols suffice: every coordinate of :math:`X_t \in \mathbb{R}^d` is an independent 1D OU
process (for isotropic initial laws :math:`N(\mu, s^2 I_d)` the dimension enters only through :math:`\|\mu\|` and
:math:`d`, as in :func:`w2_exact`).

Derived here:

* the moment ODEs from the generator :math:`\mathcal{A}f = -x f' + f''`: :math:`m' = -m`, :math:`v' = -2v + 2`,
  and their solutions by ``dsolve``: :math:`m_t = e^{-t} x_0`, :math:`v_t = 1 + (v_0 - 1)e^{-2t}`;
* the closed form :math:`X_t = e^{-t}X_0 + \sqrt{1-e^{-2t}}\,Z` (and the slide's :math:`e^{-t}X_0 + B_{1-e^{-2t}}`)
  has those moments (:func:`check_closed_form`);
* the EM chain's moments tend to the OU moments as :math:`\gamma = t/k`, :math:`k\to\infty` (:func:`em_limit`);
* the exact :math:`W_2(\mathcal{L}(X_t), N(0, I_d))` for :math:`X_0\sim N(\mu, s^2 I_d)` and the slide's bound
  :math:`e^{-t}\{E^{1/2}\|X_0\|^2 + \sqrt d\}` (:func:`check_w2_bound`);
* :math:`KL(\mathcal{L}(X_t)\|N(0,1)) \le e^{-2t} KL(\mathcal{L}(X_0)\|N(0,1))` for Gaussian :math:`X_0`
  (log-Sobolev contraction), proved by concavity (:func:`check_kl_contraction`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic import em_chain
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "D",
    "MU",
    "S",
    "T",
    "V0",
    "X",
    "X0",
    "KLContraction",
    "W2BoundCheck",
    "check_closed_form",
    "check_kl_contraction",
    "check_w2_bound",
    "em_limit",
    "gaussian_expectation",
    "generator",
    "kl_at_time",
    "kl_contraction_ratio",
    "kl_gaussian_to_standard",
    "mean",
    "moment_odes",
    "transition_variance",
    "variance",
    "w2_bound",
    "w2_exact",
]

_SOURCE = "000 / Análisis del proceso Ornstein-Uhlenbeck"
_SOURCE_CONT = "000 / Modelos en el caso Continuo"

#: Time.
T = sp.Symbol("t", positive=True)
#: State variable.
X = sp.Symbol("x", real=True)
#: Initial point (or initial mean).
X0 = sp.Symbol("x0", real=True)
#: Initial variance (per coordinate).
V0 = sp.Symbol("v0", nonnegative=True)
#: Norm of the initial mean, ||mu||, for X_0 ~ N(mu, s^2 I_d).
MU = sp.Symbol("mu", nonnegative=True)
#: Initial standard deviation s.
S = sp.Symbol("s", positive=True)
#: Dimension.
D = sp.Symbol("d", positive=True, integer=True)

_Z = sp.Symbol("Z", real=True)  # standard normal variable in expectations
_Z0 = sp.Symbol("Z0", real=True)  # independent standard normal for a Gaussian X_0
_M = sp.Symbol("m", real=True)  # generic mean
_VAR = sp.Symbol("v", positive=True)  # generic variance
_U = sp.Symbol("u", positive=True)  # e^{-2t} in (0, 1)
_W = sp.Symbol("w", positive=True)  # s^2
_Q = sp.Symbol("q", positive=True)  # u = 1/(1+q), q > 0  <=>  u in (0, 1)
_KSTEPS = sp.Symbol("k", positive=True)  # number of EM steps, continuous for the limit


def generator(f: sp.Expr, x: sp.Symbol = X) -> sp.Expr:
    r"""OU generator :math:`\mathcal{A}f(x) = -x f'(x) + f''(x)` (1D; drift :math:`-x`, diffusion :math:`\sqrt 2`).

    It is :math:`b f' + \tfrac12 g^2 f''` with :math:`b = -x`, :math:`g = \sqrt2` (Itô); the multidimensional
    generator and its diffusion-matrix convention are in :mod:`theorylab.symbolic.generator`.
    """
    return sp.expand(-x * sp.diff(f, x) + sp.Rational(1, 2) * 2 * sp.diff(f, x, 2))


def gaussian_expectation(expr: sp.Expr, normals: Sequence[sp.Symbol]) -> sp.Expr:
    r""":math:`E[\text{expr}]` for a polynomial in independent standard normals ``normals``.

    Each monomial :math:`\prod_i Z_i^{n_i}` is replaced by :math:`\prod_i E Z^{n_i}`, with
    :math:`E Z^n = (n-1)!!` for even :math:`n` and 0 for odd :math:`n`. Written here because ``sympy.stats.E``
    is much slower on these symbolic polynomials and the rule is exact.
    """
    poly = sp.Poly(sp.expand(expr), *normals)
    total = sp.S.Zero
    for exponents, coeff in poly.terms():
        moment = sp.S.One
        for n in exponents:
            moment *= 0 if n % 2 else sp.factorial2(n - 1)
        total += coeff * moment
    return sp.expand(total)


@cache
def moment_odes() -> tuple[sp.Eq, sp.Eq]:
    r"""The ODEs of :math:`m_t = E X_t` and :math:`v_t = \mathrm{Var} X_t`, from the generator.

    Dynkin: :math:`\tfrac{d}{dt}E f(X_t) = E\,\mathcal{A}f(X_t)`. With :math:`f = x`: :math:`m' = -m`. With
    :math:`f = x^2`: :math:`(E X^2)' = -2E X^2 + 2`, and :math:`v = E X^2 - m^2` gives
    :math:`v' = (E X^2)' - 2 m m' = -2v + 2`. The expectations of the (polynomial) generator outputs are taken over
    a Gaussian with mean :math:`m` and variance :math:`v`; only the first two moments enter, so the ODEs hold for
    any initial law with finite variance.

    Returns
    -------
    tuple of sympy.Eq
        ``(Eq(m'(t), ...), Eq(v'(t), ...))`` in the functions ``m(t)``, ``v(t)``.
    """
    m, v = sp.Function("m")(T), sp.Function("v")(T)
    law = _M + sp.sqrt(_VAR) * _Z
    dm = gaussian_expectation(generator(X).subs(X, law), [_Z])
    dsecond = gaussian_expectation(generator(X**2).subs(X, law), [_Z])
    dv = sp.expand(dsecond - 2 * _M * dm)
    return (
        sp.Eq(m.diff(T), dm.subs({_M: m, _VAR: v})),
        sp.Eq(v.diff(T), dv.subs({_M: m, _VAR: v})),
    )


@cache
def mean() -> Derivation:
    r""":math:`E[X_t \mid X_0 = x_0] = e^{-t} x_0`, by ``dsolve`` of :math:`m' = -m`, :math:`m(0) = x_0`.

    Returns
    -------
    Derivation
        Expression in ``(t, x0)``.
    """
    m = sp.Function("m")
    ode = moment_odes()[0]
    sol = sp.dsolve(ode, m(T), ics={m(0): X0})
    return Derivation("E X_t", sol.rhs, (T, X0), _SOURCE, "dsolve of m' = E[A x] = -m, m(0) = x0")


@cache
def variance() -> Derivation:
    r""":math:`\mathrm{Var} X_t = 1 + (v_0 - 1)e^{-2t}`, by ``dsolve`` of :math:`v' = -2v + 2`, :math:`v(0) = v_0`.

    Returns
    -------
    Derivation
        Expression in ``(t, v0)``.
    """
    v = sp.Function("v")
    ode = moment_odes()[1]
    sol = sp.dsolve(ode, v(T), ics={v(0): V0})
    return Derivation(
        "Var X_t", sp.expand(sol.rhs), (T, V0), _SOURCE, "dsolve of v' = E[A x^2] - 2 m m' = -2v + 2, v(0) = v0"
    )


@cache
def transition_variance() -> Derivation:
    r"""Variance of :math:`X_t \mid X_0`: :math:`1 - e^{-2t}` (:func:`variance` at :math:`v_0 = 0`)."""
    return Derivation(
        "Var(X_t | X_0)", variance().expr.subs(V0, 0), (T,), _SOURCE, variance().method + ", v0 = 0"
    )


@cache
def check_closed_form() -> dict[str, IdentityCheck]:
    r"""The slide's closed form has the dsolve moments.

    For :math:`X_0 = x_0 + \sqrt{v_0} Z_0` independent of :math:`Z`, the mean and variance of
    :math:`e^{-t}X_0 + \sqrt{1-e^{-2t}}Z` are computed by Gaussian expectation and compared with :func:`mean` and
    :func:`variance`. The slide's :math:`e^{-t}X_0 + B_{1-e^{-2t}}` has the same law because
    :math:`B_s \sim N(0, s)`: its variance :math:`s = 1 - e^{-2t}` is compared with :func:`transition_variance`.
    Both processes are Gaussian given :math:`X_0`, so equal first two moments mean equal laws.

    Returns
    -------
    dict of str to IdentityCheck
        Keys ``"mean"``, ``"variance"``, ``"brownian_form_variance"``; all proved.
    """
    x0_rv = X0 + sp.sqrt(V0) * _Z0
    closed = sp.exp(-T) * x0_rv + sp.sqrt(1 - sp.exp(-2 * T)) * _Z
    first = gaussian_expectation(closed, [_Z0, _Z])
    second = gaussian_expectation(closed**2, [_Z0, _Z])
    brownian_time = 1 - sp.exp(-2 * T)
    brownian_variance = gaussian_expectation((sp.sqrt(brownian_time) * _Z) ** 2, [_Z])  # B_s = sqrt(s) Z in law
    return {
        "mean": check_identity(first, mean().expr),
        "variance": check_identity(second - first**2, variance().expr),
        "brownian_form_variance": check_identity(brownian_variance, transition_variance().expr),
    }


@cache
def em_limit() -> dict[str, IdentityCheck]:
    r"""The EM chain's moments at :math:`k` steps of size :math:`\gamma = t/k` tend to the OU moments.

    .. math::

        \lim_{k\to\infty}(1 - t/k)^k = e^{-t}, \qquad
        \lim_{k\to\infty}\frac{1-(1-t/k)^{2k}}{1-t/(2k)} = 1 - e^{-2t},

    both by ``limit`` of :func:`theorylab.symbolic.em_chain.mean_coefficient` and
    :func:`~theorylab.symbolic.em_chain.noise_variance` (seed 000, slide 'Modelos en el caso Continuo': the
    chain is the EM discretisation of the OU process).

    Returns
    -------
    dict of str to IdentityCheck
        ``"mean_coefficient"`` (limit vs :math:`e^{-t}`, i.e. :func:`mean` at :math:`x_0 = 1`) and
        ``"variance"`` (limit vs :func:`transition_variance`); both proved.
    """
    step = {em_chain.GAMMA: T / _KSTEPS, em_chain.K: _KSTEPS}
    m_lim = sp.limit(em_chain.mean_coefficient().expr.subs(step), _KSTEPS, sp.oo)
    v_lim = sp.limit(em_chain.noise_variance().expr.subs(step), _KSTEPS, sp.oo)
    return {
        "mean_coefficient": check_identity(m_lim, mean().expr.subs(X0, 1)),
        "variance": check_identity(v_lim, transition_variance().expr),
    }


@cache
def w2_exact() -> Derivation:
    r"""Exact :math:`W_2(\mathcal{L}(X_t), N(0, I_d))` for :math:`X_0 \sim N(\mu, s^2 I_d)`.

    :math:`X_t \sim N(e^{-t}\mu, v_t I_d)` with :math:`v_t = 1 + (s^2-1)e^{-2t}` (:func:`mean`,
    :func:`variance`). The Bures--Wasserstein formula
    :math:`W_2^2 = \|m_1 - m_2\|^2 + \mathrm{tr}(A + B - 2(A^{1/2}BA^{1/2})^{1/2})` with :math:`A = v_t I_d`,
    :math:`B = I_d` gives

    .. math:: W_2 = \sqrt{e^{-2t}\|\mu\|^2 + d(\sqrt{v_t} - 1)^2}.

    Returns
    -------
    Derivation
        Expression in ``(t, mu, s, d)`` with ``mu`` the norm of the initial mean.
    """
    v_t = variance().expr.subs(V0, S**2)
    m_t = mean().expr.subs(X0, MU)
    # Isotropic: tr(vI + I - 2 (sqrt(v) I sqrt(v))^{1/2}) = d (v + 1 - 2 sqrt(v)); with v = r^2 it factors as
    # d (r - 1)^2. r - 1 is then written (v - 1)/(r + 1), the same number without float64 cancellation as v -> 1
    # (v_t - 1 = (s^2 - 1) e^{-2t} is computed without subtraction of nearly equal terms).
    r = sp.Symbol("r", positive=True)
    bures_trace = sp.factor((D * (_VAR + 1 - 2 * sp.sqrt(sp.sqrt(_VAR) * 1 * sp.sqrt(_VAR)))).subs(_VAR, r**2))
    stable = bures_trace.subs(r - 1, (r**2 - 1) / (r + 1))
    expr = sp.sqrt(m_t**2 + stable.subs(r**2 - 1, sp.factor(v_t - 1)).subs(r, sp.sqrt(v_t)))
    return Derivation(
        "W2(L(X_t), N(0, I_d))",
        expr,
        (T, MU, S, D),
        _SOURCE,
        "Bures-Wasserstein closed form for N(e^{-t} mu, v_t I_d) vs N(0, I_d) with dsolve moments",
    )


@cache
def w2_bound() -> Derivation:
    r"""The slide's bound :math:`e^{-t}\{E^{1/2}\|X_0\|^2 + \sqrt d\}` with :math:`E\|X_0\|^2 = \|\mu\|^2 + d s^2`.

    Returns
    -------
    Derivation
        Expression in ``(t, mu, s, d)``.
    """
    x0_rv = MU + S * _Z0  # one coordinate along mu; the others are s Z_i
    second_moment = gaussian_expectation(x0_rv**2, [_Z0]) + (D - 1) * gaussian_expectation((S * _Z) ** 2, [_Z])
    expr = sp.exp(-T) * (sp.sqrt(sp.expand(second_moment)) + sp.sqrt(D))
    return Derivation(
        "e^{-t}(E^{1/2}||X_0||^2 + sqrt(d))", expr, (T, MU, S, D), _SOURCE, "slide's bound, E||X_0||^2 by expectation"
    )


@dataclass(frozen=True)
class W2BoundCheck:
    """Exact W2 against the slide's bound on a grid.

    Attributes
    ----------
    ratio : numpy.ndarray, shape (len(mu), len(s), len(d), len(t))
        ``W2_exact / bound`` on the grid.
    max_ratio : float
        Its maximum (the bound holds on the grid iff ``<= 1``).
    argmax : dict[str, float]
        Grid point of the maximum.
    holds : bool
        ``max_ratio <= 1``.
    """

    ratio: np.ndarray
    max_ratio: float
    argmax: dict[str, float]
    holds: bool


def _as_grid(name: str, values: Sequence[float] | np.ndarray, low: float, strict: bool) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    bad = (arr <= low) if strict else (arr < low)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(bad):
        rel = ">" if strict else ">="
        raise ConfigError(f"{name}: must be a non-empty grid of finite values {rel} {low}")
    return arr


def check_w2_bound(
    mu: Sequence[float], s: Sequence[float], d: Sequence[int], t: Sequence[float]
) -> W2BoundCheck:
    r"""Evaluate :math:`W_2/\text{bound}` (:func:`w2_exact` / :func:`w2_bound`) on a grid of :math:`(\mu,s,d,t)`.

    The bound holds in general (couple :math:`X_0` with :math:`Y_0\sim N(0,I_d)` and use the same noise:
    :math:`W_2(\mathcal{L}(X_t), N(0,I_d)) \le e^{-t}W_2(\mathcal{L}(X_0), N(0,I_d))
    \le e^{-t}(E^{1/2}\|X_0\|^2 + \sqrt d)`), so ``max_ratio <= 1`` is expected.

    Parameters
    ----------
    mu : sequence of float
        Norms of the initial mean (>= 0).
    s : sequence of float
        Initial standard deviations (> 0).
    d : sequence of int
        Dimensions (>= 1).
    t : sequence of float
        Times (>= 0).

    Returns
    -------
    W2BoundCheck
    """
    mu_g = _as_grid("mu", mu, 0.0, strict=False)
    s_g = _as_grid("s", s, 0.0, strict=True)
    d_g = _as_grid("d", d, 1.0, strict=False)
    t_g = _as_grid("t", t, 0.0, strict=False)
    grids = np.meshgrid(mu_g, s_g, d_g, t_g, indexing="ij")
    args = (grids[3], grids[0], grids[1], grids[2])  # (t, mu, s, d)
    ratio = w2_exact()(*args) / w2_bound()(*args)
    idx = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    argmax = {"mu": float(mu_g[idx[0]]), "s": float(s_g[idx[1]]), "d": float(d_g[idx[2]]), "t": float(t_g[idx[3]])}
    max_ratio = float(ratio[idx])
    return W2BoundCheck(ratio=ratio, max_ratio=max_ratio, argmax=argmax, holds=max_ratio <= 1.0)


@cache
def kl_gaussian_to_standard() -> Derivation:
    r""":math:`KL(N(m, v)\,\|\,N(0,1)) = \tfrac12(v + m^2 - 1 - \ln v)` (1D).

    Derived as :math:`E_p[\log p(X) - \log q(X)]` with :math:`X = m + \sqrt v Z` (the integrand is a polynomial in
    :math:`Z`). For :math:`N(\mu, vI_d)` against :math:`N(0,I_d)` the divergence is the sum over coordinates.

    Returns
    -------
    Derivation
        Expression in ``(m, v)``.
    """
    log_p = -((X - _M) ** 2) / (2 * _VAR) - sp.log(2 * sp.pi * _VAR) / 2
    log_q = -(X**2) / 2 - sp.log(2 * sp.pi) / 2
    integrand = sp.expand(sp.expand_log(log_p - log_q, force=True).subs(X, _M + sp.sqrt(_VAR) * _Z))
    expr = sp.simplify(gaussian_expectation(integrand, [_Z]))
    return Derivation("KL(N(m,v) || N(0,1))", expr, (_M, _VAR), _SOURCE, "E_p[log p - log q] by Gaussian moments")


@cache
def kl_at_time() -> Derivation:
    r""":math:`KL(\mathcal{L}(X_t)\,\|\,N(0,1))` for :math:`X_0 \sim N(\mu, s^2)` (1D).

    Returns
    -------
    Derivation
        Expression in ``(t, mu, s)``.
    """
    expr = kl_gaussian_to_standard().expr.subs(
        {_M: mean().expr.subs(X0, MU), _VAR: variance().expr.subs(V0, S**2)}, simultaneous=True
    )
    return Derivation("KL(L(X_t) || N(0,1))", expr, (T, MU, S), _SOURCE, "KL closed form at the dsolve moments")


@dataclass(frozen=True)
class KLContraction:
    r"""Proof that :math:`KL_t \le e^{-2t} KL_0` for Gaussian :math:`X_0 \sim N(\mu, s^2)`.

    With :math:`u = e^{-2t}\in(0,1]` and :math:`w = s^2`, the gap :math:`G(u) = u\,KL_0 - KL_t` is
    :math:`\tfrac12\{\ln(1+(w-1)u) - u\ln w\}` (the :math:`\mu` terms cancel exactly); :math:`G(0) = G(1) = 0` and
    :math:`G'' \le 0`, so :math:`G \ge 0` on :math:`[0,1]`.

    Attributes
    ----------
    gap : sympy.Expr
        :math:`G(u)` in ``u`` and ``w``.
    gap_second_derivative : sympy.Expr
        :math:`G''(u)`.
    concave : bool
        sympy's verdict that :math:`G''\le 0` on :math:`u = 1/(1+q)`, :math:`q > 0`, :math:`w > 0`.
    endpoints : tuple of sympy.Expr
        :math:`(G(0), G(1))`, both 0.
    proved : bool
        ``concave`` and both endpoints are 0.
    """

    gap: sp.Expr
    gap_second_derivative: sp.Expr
    concave: bool
    endpoints: tuple[sp.Expr, sp.Expr]
    proved: bool


@cache
def check_kl_contraction() -> KLContraction:
    r"""Prove :math:`KL(\mathcal{L}(X_t)\|N(0,1)) \le e^{-2t}KL(\mathcal{L}(X_0)\|N(0,1))` for Gaussian :math:`X_0`.

    The seed (slide 'Análisis del proceso Ornstein-Uhlenbeck') invokes the log-Sobolev inequality of
    :math:`N(0, I_d)` (Bakry et al. 2014); for Gaussian initial laws the contraction is proved here directly by
    concavity in :math:`u = e^{-2t}` (see :class:`KLContraction`). In :math:`d` dimensions with
    :math:`N(\mu, s^2 I_d)` the gap is :math:`d` times the 1D one, so the same proof applies.
    """
    kl_t = kl_at_time().expr
    kl_0 = kl_t.subs(T, 0)
    gap_t = sp.exp(-2 * T) * kl_0 - kl_t
    gap = sp.expand_log(sp.expand(gap_t.subs(S, sp.sqrt(_W))), force=True)
    gap = sp.expand(sp.expand_log(gap.subs(sp.exp(-2 * T), _U).subs(sp.exp(-T), sp.sqrt(_U)), force=True))
    second = sp.factor(sp.diff(gap, _U, 2))
    concave = bool(sp.factor(second.subs(_U, 1 / (1 + _Q))).is_nonpositive)
    endpoints = (sp.simplify(gap.subs(_U, 0)), sp.simplify(gap.subs(_U, 1)))
    proved = concave and all(e == 0 for e in endpoints) and not gap.has(T) and not gap.has(MU)
    return KLContraction(gap=gap, gap_second_derivative=second, concave=concave, endpoints=endpoints, proved=proved)


def kl_contraction_ratio() -> Callable[..., np.ndarray]:
    r"""Numeric :math:`KL_t / (e^{-2t} KL_0)` as a function of ``(t, mu, s)`` (<= 1 by :func:`check_kl_contraction`)."""
    kl = kl_at_time()

    def ratio(t: np.ndarray, mu: np.ndarray, s: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        return kl(t, mu, s) / (np.exp(-2 * t) * kl(np.zeros_like(t), mu, s))

    return ratio

