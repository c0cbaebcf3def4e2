r"""The Euler--Maruyama chain of the forward Ornstein--Uhlenbeck process, solved by sympy.

The chain is

.. math::

    X_{k+1} = (1-\gamma) X_k + \sqrt{2\gamma}\, Z_{k+1}, \qquad Z_{k+1} \sim N(0, I_d) \text{ i.i.d.},

(seed 000, slides 'El Proceso Forward' and 'Denoising Score matching'). Its law is isotropic, so every coordinate
evolves independently with the same scalar recursion: all derivations below use 1D scalar symbols and hold
coordinate-wise in :math:`\mathbb{R}^d` (the covariance of :math:`X_k \mid X_0` is :math:`\sigma_k^2 I_d`).

Derived here (never typed in):

* :math:`m_k = (1-\gamma)^k` by ``rsolve`` of :math:`m_{k+1} = (1-\gamma) m_k,\ m_0 = 1`;
* :math:`\sigma_k^2` by ``rsolve`` of :math:`v_{k+1} = (1-\gamma)^2 v_k + 2\gamma,\ v_0 = 0`;
* the stationary variance :math:`\lim_k \sigma_k^2 = 1/(1-\gamma/2)` for :math:`\gamma \in (0, 2)` by ``limit``;
* the transition score :math:`\nabla_x \log p_{k|0}(x \mid x_0) = -(x - m_k x_0)/\sigma_k^2` by differentiating
  the Gaussian log-density, and its value :math:`-z/\sigma_k` at :math:`x = m_k x_0 + \sigma_k z`;
* the variance of the sum form :math:`\sqrt{2\gamma}\sum_{j=1}^k (1-\gamma)^{k-j} Z_j` by ``summation``.

The ``check_*`` functions take a candidate expression (as written on a slide) and return an
:class:`~theorylab.symbolic.result.IdentityCheck` against the derived form on the stated domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation, IdentityCheck, check_identity

__all__ = [
    "DEFAULT_CHECK_DOMAIN",
    "GAMMA",
    "K",
    "SIGMA",
    "X",
    "X0",
    "Z",
    "ChainConvergence",
    "check_noise_variance",
    "check_score_in_noise",
    "check_stationary_variance",
    "check_sum_form_variance",
    "convergence_report",
    "mean_coefficient",
    "noise_variance",
    "stationary_variance",
    "sum_form_variance",
    "transition_score",
    "transition_score_in_noise",
]

_SOURCE_FORWARD = "000 / El Proceso Forward"
_SOURCE_DSM = "000 / Denoising Score matching"

#: Step size of the chain.
GAMMA = sp.Symbol("gamma", positive=True)
#: Step index.
K = sp.Symbol("k", integer=True, nonnegative=True)
#: Point at which the transition density / score is evaluated.
X = sp.Symbol("x", real=True)
#: Initial point of the chain.
X0 = sp.Symbol("x0", real=True)
#: Standard normal noise variable (the :math:`\hat Z_k` of the slide).
Z = sp.Symbol("z", real=True)
#: Placeholder for :math:`\sigma_k = \sqrt{\sigma_k^2}` in candidate expressions (replaced before checking).
SIGMA = sp.Symbol("sigma_k", positive=True)

# Private symbols used during derivations.
_RHO = sp.Symbol("rho", positive=True)  # contraction factor (1 - gamma)^2 of the variance recursion
_LAMBDA = sp.Symbol("lambda", positive=True)  # rho = exp(-lambda) (rho < 1) or exp(lambda) (rho > 1)
_J = sp.Symbol("j", integer=True, positive=True)
_M = sp.Symbol("M", positive=True)  # generic mean coefficient of a Gaussian transition
_V = sp.Symbol("V", positive=True)  # generic variance of a Gaussian transition

#: Domain on which the ``check_*`` functions search for witnesses. gamma in (0, 1) is the regime of the slides
#: (small steps) and keeps (1 - gamma)^k real when the search draws non-integer k; k >= 1 keeps sigma_k > 0.
DEFAULT_CHECK_DOMAIN: dict[sp.Symbol, tuple[float, float]] = {
    GAMMA: (0.001, 0.999),
    K: (1.0, 100.0),
    X: (-3.0, 3.0),
    X0: (-3.0, 3.0),
    Z: (-3.0, 3.0),
}


@cache
def mean_coefficient() -> Derivation:
    r"""Mean coefficient :math:`m_k` of :math:`X_k \mid X_0 = x_0` (so :math:`E[X_k \mid X_0] = m_k x_0`).

    .. math:: m_{k+1} = (1-\gamma) m_k,\quad m_0 = 1 \;\Longrightarrow\; m_k = (1-\gamma)^k.

    Returns
    -------
    Derivation
        Expression in ``(gamma, k)``; seed 000, slide 'Denoising Score matching'.
    """
    m = sp.Function("m")
    expr = sp.rsolve(m(K + 1) - (1 - GAMMA) * m(K), m(K), {m(0): 1})
    return Derivation("m_k", expr, (GAMMA, K), _SOURCE_DSM, "rsolve of m_{k+1} = (1-gamma) m_k, m_0 = 1")


@cache
def noise_variance() -> Derivation:
    r"""Variance :math:`\sigma_k^2` of :math:`X_k \mid X_0` (per coordinate).

    .. math::

        v_{k+1} = (1-\gamma)^2 v_k + 2\gamma,\quad v_0 = 0
        \;\Longrightarrow\; \sigma_k^2 = \frac{2\{1-(1-\gamma)^{2k}\}}{2-\gamma}.

    The recursion is solved with the contraction factor :math:`\rho = (1-\gamma)^2` as a symbol
    (``rsolve`` needs :math:`\rho \ne 1`, i.e. :math:`\gamma \ne 0, 2`), then :math:`\rho` is substituted back, so
    the result is written with powers of :math:`(1-\gamma)` as on the slide.

    Returns
    -------
    Derivation
        Expression in ``(gamma, k)``; seed 000, slide 'Denoising Score matching'.
    """
    v = sp.Function("v")
    general = sp.rsolve(v(K + 1) - _RHO * v(K) - 2 * GAMMA, v(K), {v(0): 0})
    expr = sp.simplify(general.subs(_RHO, (1 - GAMMA) ** 2))
    return Derivation(
        "sigma_k^2",
        expr,
        (GAMMA, K),
        _SOURCE_DSM,
        "rsolve of v_{k+1} = rho v_k + 2 gamma, v_0 = 0, then rho = (1-gamma)^2",
    )


def _limit_in_k(expr_in_rho: sp.Expr, contracting: bool) -> sp.Expr:
    """Limit k -> oo of an expression containing rho**k: rho = exp(-lambda) (rho < 1) or 1 + lambda (rho > 1),
    lambda > 0, so that sympy knows which side of 1 the contraction factor lies."""
    rho = sp.exp(-_LAMBDA) if contracting else 1 + _LAMBDA
    return sp.simplify(sp.limit(expr_in_rho.subs(_RHO, rho), K, sp.oo))


@cache
def stationary_variance() -> Derivation:
    r"""Limit :math:`\lim_{k\to\infty}\sigma_k^2` for :math:`\gamma \in (0, 2)`.

    .. math:: \lim_{k\to\infty} \sigma_k^2 = \frac{1}{1-\gamma/2},

    so the chain converges to :math:`N(0, I_d/(1-\gamma/2))` (seed 000, slide 'El Proceso Forward'). The limit is
    taken with :math:`(1-\gamma)^2 = e^{-\lambda}`, :math:`\lambda > 0`, which is exactly :math:`\gamma\in(0,2)`.

    Returns
    -------
    Derivation
        Expression in ``(gamma,)``.
    """
    v = sp.Function("v")
    general = sp.rsolve(v(K + 1) - _RHO * v(K) - 2 * GAMMA, v(K), {v(0): 0})
    limit = _limit_in_k(general, contracting=True)
    expr = sp.factor(sp.simplify(limit.subs(sp.exp(-_LAMBDA), _RHO).subs(_RHO, (1 - GAMMA) ** 2)))
    return Derivation(
        "sigma_inf^2",
        expr,
        (GAMMA,),
        _SOURCE_FORWARD,
        "limit k->oo of the rsolve solution with (1-gamma)^2 = exp(-lambda), lambda > 0",
    )


@cache
def transition_score() -> Derivation:
    r"""Score of the transition density :math:`p_{k|0}(x \mid x_0) = N(x; m_k x_0, \sigma_k^2)`.

    .. math:: \nabla_x \log p_{k|0}(x \mid x_0) = -\frac{x - m_k x_0}{\sigma_k^2}.

    Obtained by differentiating the Gaussian log-density built from :func:`mean_coefficient` and
    :func:`noise_variance` (isotropic: the same formula holds coordinate-wise in :math:`\mathbb{R}^d`).

    Returns
    -------
    Derivation
        Expression in ``(x, x0, gamma, k)``; seed 000, slide 'Denoising Score matching'.
    """
    logpdf = -((X - _M * X0) ** 2) / (2 * _V) - sp.log(2 * sp.pi * _V) / 2
    generic = sp.diff(logpdf, X)
    expr = generic.subs({_M: mean_coefficient().expr, _V: noise_variance().expr})
    return Derivation(
        "score_k|0",
        expr,
        (X, X0, GAMMA, K),
        _SOURCE_DSM,
        "d/dx of the Gaussian log-density N(x; M x0, V), then M = m_k, V = sigma_k^2",
    )


@cache
def transition_score_in_noise() -> Derivation:
    r"""The transition score along the dynamics, :math:`x = m_k x_0 + \sigma_k z`.

    .. math:: \nabla_x \log p_{k|0}(m_k x_0 + \sigma_k z \mid x_0) = -\frac{z}{\sigma_k}.

    The slide writes :math:`-\hat Z_k/\sigma_k^2`, which is wrong (see :func:`check_score_in_noise`).

    Returns
    -------
    Derivation
        Expression in ``(z, gamma, k)``; seed 000, slide 'Denoising Score matching'.
    """
    logpdf = -((X - _M * X0) ** 2) / (2 * _V) - sp.log(2 * sp.pi * _V) / 2
    generic = sp.simplify(sp.diff(logpdf, X).subs(X, _M * X0 + sp.sqrt(_V) * Z))
    expr = generic.subs({_M: mean_coefficient().expr, _V: noise_variance().expr})
    return Derivation(
        "score_k|0(m_k x0 + sigma_k z)",
        expr,
        (Z, GAMMA, K),
        _SOURCE_DSM,
        "d/dx of log N(x; M x0, V) at x = M x0 + sqrt(V) z, simplified, then M = m_k, V = sigma_k^2",
    )


@cache
def sum_form_variance() -> Derivation:
    r"""Variance of the noise part of the sum form of the chain.

    Unrolling the recursion gives :math:`X_k = m_k X_0 + \sqrt{2\gamma}\sum_{j=1}^k (1-\gamma)^{k-j} Z_j`; the
    :math:`Z_j` being independent, the variance of the sum is

    .. math:: 2\gamma \sum_{j=1}^{k} (1-\gamma)^{2(k-j)},

    evaluated here by ``summation`` (seed 000, slide 'Denoising Score matching').

    Returns
    -------
    Derivation
        Expression in ``(gamma, k)``.
    """
    total = sp.simplify(sp.summation(2 * GAMMA * _RHO ** (K - _J), (_J, 1, K)))
    # summation returns Piecewise((2 gamma k rho^k, rho == 1), (generic, True)); rho = (1-gamma)^2 != 1 on (0, 2).
    generic = total.args[-1][0] if isinstance(total, sp.Piecewise) else total
    expr = sp.simplify(generic.subs(_RHO, (1 - GAMMA) ** 2))
    return Derivation(
        "Var(sqrt(2 gamma) sum_j (1-gamma)^(k-j) Z_j)",
        expr,
        (GAMMA, K),
        _SOURCE_DSM,
        "summation of 2 gamma rho^(k-j), j = 1..k (branch rho != 1), then rho = (1-gamma)^2",
    )


def _domain(domain: dict[sp.Symbol, tuple[float, float]] | None) -> dict[sp.Symbol, tuple[float, float]]:
    merged = dict(DEFAULT_CHECK_DOMAIN)
    merged.update(domain or {})
    return merged


def check_noise_variance(candidate: sp.Expr, domain: dict | None = None) -> IdentityCheck:
    r"""Check a candidate :math:`\sigma_k^2` (in :data:`GAMMA`, :data:`K`) against :func:`noise_variance`.

    The slide's :math:`\{1-(1-\gamma)^{2k}\}/(1-\gamma/2)` is proved.

    Parameters
    ----------
    candidate : sympy.Expr
        Expression in ``GAMMA`` and ``K``.
    domain : dict, optional
        Overrides of :data:`DEFAULT_CHECK_DOMAIN` for the witness search.
    """
    return check_identity(sp.sympify(candidate), noise_variance().expr, domain=_domain(domain))


def check_stationary_variance(candidate: sp.Expr, domain: dict | None = None) -> IdentityCheck:
    r"""Check a candidate stationary variance (in :data:`GAMMA`) against :func:`stationary_variance`.

    The slide's :math:`1/(1-\gamma/2)` is proved; the witness search uses :math:`\gamma\in(0, 2)`.
    """
    dom = _domain({GAMMA: (0.001, 1.999)})
    dom.update(domain or {})
    return check_identity(sp.sympify(candidate), stationary_variance().expr, domain=dom)


def check_score_in_noise(candidate: sp.Expr, domain: dict | None = None) -> IdentityCheck:
    r"""Check a candidate for :math:`\nabla\log p_{k|0}(X_k \mid X_0)` written in the noise :math:`\hat Z_k`.

    ``candidate`` is an expression in :data:`Z`, :data:`GAMMA`, :data:`K` and optionally :data:`SIGMA`
    (standing for :math:`\sigma_k`, replaced by :math:`\sqrt{\sigma_k^2}` before checking). The slide's
    ``-Z / SIGMA**2`` is refuted with a witness; ``-Z / SIGMA`` is proved.
    """
    expr = sp.sympify(candidate).subs(SIGMA, sp.sqrt(noise_variance().expr))
    return check_identity(expr, transition_score_in_noise().expr, domain=_domain(domain))


def check_sum_form_variance() -> IdentityCheck:
    r"""Check that the variance of the sum form equals the rsolve :math:`\sigma_k^2` (proved)."""
    return check_identity(sum_form_variance().expr, noise_variance().expr, domain=_domain(None))


@dataclass(frozen=True)
class ChainConvergence:
    """Where the moments of the EM chain converge, and a divergent witness outside that set.

    Attributes
    ----------
    domain : sympy.Set
        Set of gamma > 0 where the variance recursion contracts, solved from ``(1-gamma)^2 < 1``: ``(0, 2)``.
    stationary_mean : sympy.Expr
        Limit of ``m_k^2 x0^2`` on the domain (0: the mean forgets ``x0``).
    stationary_variance : Derivation
        ``1/(1-gamma/2)`` on the domain.
    witness_gamma : float
        A step ``>= 2`` outside the domain.
    witness_limit : sympy.Expr
        ``lim_k sigma_k^2`` at steps ``> 2`` (``oo``), or ``lim_k v_k`` at ``gamma = 2`` (``oo``).
    witness_variances : numpy.ndarray, shape (k_max + 1,)
        ``v_k`` from the recursion (float64) at ``witness_gamma``: grows without bound.
    witness_means : numpy.ndarray, shape (k_max + 1,)
        ``m_k`` from the recursion at ``witness_gamma``: alternates in sign, ``|m_k| = |1-gamma|^k``.
    boundary_variance : Derivation
        ``v_k`` at ``gamma = 2`` by rsolve (``4k``): diverges linearly.
    """

    domain: sp.Set
    stationary_mean: sp.Expr
    stationary_variance: Derivation
    witness_gamma: float
    witness_limit: sp.Expr
    witness_variances: np.ndarray
    witness_means: np.ndarray
    boundary_variance: Derivation


def convergence_report(gamma_witness: float = 2.5, k_max: int = 20) -> ChainConvergence:
    r"""Convergence domain of the EM chain's moments, and a divergent witness.

    The variance recursion :math:`v_{k+1} = (1-\gamma)^2 v_k + 2\gamma` is an affine map with slope
    :math:`(1-\gamma)^2`; its iterates converge iff :math:`|1-\gamma| < 1`, i.e. :math:`\gamma\in(0,2)` (solved
    with ``solve_univariate_inequality``). There the law tends to :math:`N(0, 1/(1-\gamma/2))` per coordinate; for
    :math:`\gamma > 2` the limit is :math:`+\infty` (``limit`` with :math:`(1-\gamma)^2 = e^{\lambda}`), and at
    :math:`\gamma = 2` rsolve gives :math:`v_k = 4k`. Seed 000, slide 'El Proceso Forward' (which states the
    convergence without the condition on :math:`\gamma`).

    Parameters
    ----------
    gamma_witness : float
        Step outside the domain, ``>= 2`` (default 2.5).
    k_max : int
        Number of recursion steps for the numeric witness (>= 1).

    Returns
    -------
    ChainConvergence

    Raises
    ------
    ConfigError
        If ``gamma_witness < 2`` or ``k_max < 1``.
    """
    if not np.isfinite(gamma_witness) or gamma_witness < 2:
        raise ConfigError(f"gamma_witness: must be a finite number >= 2 (outside the domain), got {gamma_witness}")
    if int(k_max) != k_max or k_max < 1:
        raise ConfigError(f"k_max: must be an integer >= 1, got {k_max}")
    domain = sp.solve_univariate_inequality((1 - GAMMA) ** 2 < 1, GAMMA, relational=False)
    mean_sq = _limit_in_k(_RHO**K * X0**2, contracting=True)
    v = sp.Function("v")
    general = sp.rsolve(v(K + 1) - _RHO * v(K) - 2 * GAMMA, v(K), {v(0): 0})
    boundary = sp.rsolve(v(K + 1) - v(K) - 4, v(K), {v(0): 0})  # gamma = 2: (1-gamma)^2 = 1, 2 gamma = 4
    if gamma_witness > 2:
        witness_limit = _limit_in_k(general, contracting=False)
    else:
        witness_limit = sp.limit(boundary, K, sp.oo)
    means = np.empty(k_max + 1)
    variances = np.empty(k_max + 1)
    means[0], variances[0] = 1.0, 0.0
    for k in range(k_max):
        means[k + 1] = (1.0 - gamma_witness) * means[k]
        variances[k + 1] = (1.0 - gamma_witness) ** 2 * variances[k] + 2.0 * gamma_witness
    return ChainConvergence(
        domain=domain,
        stationary_mean=mean_sq,
        stationary_variance=stationary_variance(),
        witness_gamma=float(gamma_witness),
        witness_limit=witness_limit,
        witness_variances=variances,
        witness_means=means,
        boundary_variance=Derivation(
            "v_k at gamma=2", boundary, (K,), _SOURCE_FORWARD, "rsolve of v_{k+1} = v_k + 4, v_0 = 0"
        ),
    )
