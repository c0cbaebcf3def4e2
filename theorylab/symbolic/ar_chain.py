r"""The autoregressive forward chain of seed 000, solved by sympy, and the domain where it converges.

.. math:: X_{k+1} = \alpha X_k + \sqrt{1-\alpha^2}\, Z_{k+1}, \qquad Z_{k+1} \sim N(0, I_d) \text{ i.i.d.}

Seed 000, slide 'El Proceso Forward', claims: for :math:`\alpha < 1`, :math:`\mathrm{Law}(X_k) \to N(0, I_d)`
exponentially fast in Wasserstein and TV. The law is isotropic when :math:`X_0` is, so 1D scalar symbols suffice
(each coordinate follows the same recursion; for Gaussian :math:`X_0 \sim N(m_0, v_0)` coordinate-wise).

Derived here:

* :math:`E X_k = \alpha^k m_0` and :math:`\mathrm{Var} X_k = \alpha^{2k}(v_0-1) + 1` by ``rsolve``;
* their limits :math:`0` and :math:`1` for :math:`|\alpha| < 1` by ``limit``;
* the exact :math:`W_2(\mathrm{Law}(X_k), N(0,1))` for Gaussian :math:`X_0` and its decay rate: :math:`|\alpha|^k`
  (:math:`\alpha^{2k}` when :math:`m_0 = 0`), by ``limit`` of the ratio.

The slide's condition :math:`\alpha < 1` is not sufficient: at :math:`\alpha = -1` the chain is
:math:`X_{k+1} = -X_k` and its law alternates (see :func:`convergence_counterexample`); for :math:`\alpha < -1`
the noise coefficient :math:`\sqrt{1-\alpha^2}` is imaginary. The correct condition is :math:`|\alpha| < 1`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from theorylab.errors import ConfigError
from theorylab.symbolic.result import Derivation

__all__ = [
    "ALPHA",
    "K",
    "M0",
    "V0",
    "ArCounterexample",
    "convergence_counterexample",
    "convergence_domain",
    "mean",
    "stationary_moments",
    "variance",
    "w2_decay_constant",
    "w2_to_standard_normal",
]

_SOURCE = "000 / El Proceso Forward"

#: Autoregression coefficient (real; the slide only says alpha < 1).
ALPHA = sp.Symbol("alpha", real=True)
#: Step index.
K = sp.Symbol("k", integer=True, nonnegative=True)
#: Mean of X_0.
M0 = sp.Symbol("m0", real=True)
#: Variance of X_0.
V0 = sp.Symbol("v0", nonnegative=True)

_RHO = sp.Symbol("rho", positive=True)  # alpha^2, the slope of the variance recursion
_LAMBDA = sp.Symbol("lambda", positive=True)  # alpha^2 = exp(-lambda) on |alpha| < 1
_U = sp.Symbol("u", positive=True)  # |alpha|^k, which tends to 0+ on |alpha| < 1


@cache
def mean() -> Derivation:
    r""":math:`E X_k = \alpha^k m_0`, by ``rsolve`` of :math:`m_{k+1} = \alpha m_k`, :math:`m_0`.

    Returns
    -------
    Derivation
        Expression in ``(alpha, k, m0)``.
    """
    m = sp.Function("m")
    expr = sp.rsolve(m(K + 1) - ALPHA * m(K), m(K), {m(0): M0})
    return Derivation("E X_k", expr, (ALPHA, K, M0), _SOURCE, "rsolve of m_{k+1} = alpha m_k, m_0 = m0")


@cache
def _variance_in_rho() -> sp.Expr:
    v = sp.Function("v")
    return sp.rsolve(v(K + 1) - _RHO * v(K) - (1 - _RHO), v(K), {v(0): V0})


@cache
def variance() -> Derivation:
    r""":math:`\mathrm{Var} X_k = \alpha^{2k}(v_0 - 1) + 1`.

    By ``rsolve`` of :math:`v_{k+1} = \rho v_k + 1 - \rho`, :math:`v_0`, with :math:`\rho = \alpha^2` as a symbol,
    then substituted back. Valid for :math:`|\alpha| \le 1` (for :math:`|\alpha| > 1` the chain is not real).

    Returns
    -------
    Derivation
        Expression in ``(alpha, k, v0)``.
    """
    expr = sp.expand(_variance_in_rho().subs(_RHO, ALPHA**2))
    return Derivation(
        "Var X_k",
        expr,
        (ALPHA, K, V0),
        _SOURCE,
        "rsolve of v_{k+1} = rho v_k + 1 - rho, v_0 = v0, then rho = alpha^2",
    )


@cache
def stationary_moments() -> tuple[sp.Expr, sp.Expr]:
    r"""Limits :math:`(\lim E X_k^2 \text{ of the mean part}, \lim \mathrm{Var} X_k)` for :math:`|\alpha| < 1`.

    Computed with :math:`\alpha^2 = e^{-\lambda}`, :math:`\lambda > 0` (exactly :math:`0<|\alpha|<1`):
    the squared mean :math:`\alpha^{2k} m_0^2 \to 0` and the variance :math:`\to 1`, i.e. the law tends to
    :math:`N(0, 1)` (per coordinate).

    Returns
    -------
    tuple of sympy.Expr
        ``(lim (E X_k)^2, lim Var X_k)`` = ``(0, 1)``.
    """
    rho = sp.exp(-_LAMBDA)
    mean_sq = sp.limit(rho**K * M0**2, K, sp.oo)
    var = sp.simplify(sp.limit(_variance_in_rho().subs(_RHO, rho), K, sp.oo))
    return mean_sq, var


def convergence_domain() -> sp.Set:
    r"""Set of real :math:`\alpha` where the chain is real and its moments converge: :math:`(-1, 1)`.

    The intersection of :math:`1-\alpha^2 \ge 0` (real noise coefficient) and :math:`\alpha^2 < 1` (contracting
    variance recursion), each solved by ``solve_univariate_inequality``. The slide's ``alpha < 1`` is the
    interval :math:`(-\infty, 1)`, which is strictly larger.
    """
    real_noise = sp.solve_univariate_inequality(1 - ALPHA**2 >= 0, ALPHA, relational=False)
    contracting = sp.solve_univariate_inequality(ALPHA**2 < 1, ALPHA, relational=False)
    return sp.Intersection(real_noise, contracting)


@dataclass(frozen=True)
class ArCounterexample:
    """A case satisfying the slide's hypothesis ``alpha < 1`` where ``Law(X_k)`` does not tend to ``N(0, 1)``.

    Attributes
    ----------
    alpha, m0, v0 : float
        The chain coefficient and the Gaussian initial law ``N(m0, v0)``.
    means, variances : numpy.ndarray, shape (k_max + 1,)
        ``E X_k`` and ``Var X_k`` from the recursion (float64): the mean alternates ``+m0, -m0, ...``.
    w2 : numpy.ndarray, shape (k_max + 1,)
        Exact ``W2(Law(X_k), N(0, 1))``; constant, so it does not tend to 0.
    noise_coefficient_real : dict[float, bool]
        Whether ``sqrt(1 - alpha^2)`` is real at a few ``alpha < 1`` (False for ``alpha < -1``).
    slide_domain, correct_domain : sympy.Set
        ``(-oo, 1)`` as written and ``(-1, 1)`` as derived by :func:`convergence_domain`.
    """

    alpha: float
    m0: float
    v0: float
    means: np.ndarray
    variances: np.ndarray
    w2: np.ndarray
    noise_coefficient_real: dict[float, bool]
    slide_domain: sp.Set
    correct_domain: sp.Set


def convergence_counterexample(m0: float = 1.0, v0: float = 1.0, k_max: int = 10) -> ArCounterexample:
    r"""The chain at :math:`\alpha = -1` (allowed by the slide's :math:`\alpha < 1`) does not converge.

    With :math:`\alpha = -1`, :math:`\sqrt{1-\alpha^2} = 0` and :math:`X_{k+1} = -X_k`, so
    :math:`\mathrm{Law}(X_k) = \mathrm{Law}((-1)^k X_0)`: for :math:`X_0 \sim N(1, 1)` the law alternates between
    :math:`N(1,1)` and :math:`N(-1,1)` and :math:`W_2(\mathrm{Law}(X_k), N(0,1)) = 1` for every :math:`k`. (With
    a symmetric :math:`X_0` the law is constant, and equals the target only if :math:`X_0 \sim N(0,1)` already.)
    For :math:`\alpha < -1` the recursion is not even real. Seed 000, slide 'El Proceso Forward'.

    Parameters
    ----------
    m0, v0 : float
        Initial law ``N(m0, v0)``; ``v0 > 0``.
    k_max : int
        Number of steps (>= 1).

    Returns
    -------
    ArCounterexample

    Raises
    ------
    ConfigError
        If ``v0 <= 0`` or ``k_max < 1``.
    """
    if not np.isfinite(v0) or v0 <= 0:
        raise ConfigError(f"v0: must be a finite number > 0, got {v0}")
    if not np.isfinite(m0):
        raise ConfigError(f"m0: must be finite, got {m0}")
    if int(k_max) != k_max or k_max < 1:
        raise ConfigError(f"k_max: must be an integer >= 1, got {k_max}")
    alpha = -1.0
    means = np.empty(k_max + 1)
    variances = np.empty(k_max + 1)
    means[0], variances[0] = m0, v0
    for k in range(k_max):
        means[k + 1] = alpha * means[k]
        variances[k + 1] = alpha**2 * variances[k] + (1.0 - alpha**2)
    w2 = np.sqrt(means**2 + (np.sqrt(variances) - 1.0) ** 2)
    noise_real = {a: bool(sp.sqrt(1 - sp.Rational(str(a)) ** 2).is_real) for a in (0.5, -0.5, -1.0, -2.0)}
    return ArCounterexample(
        alpha=alpha,
        m0=float(m0),
        v0=float(v0),
        means=means,
        variances=variances,
        w2=w2,
        noise_coefficient_real=noise_real,
        slide_domain=sp.solve_univariate_inequality(ALPHA < 1, ALPHA, relational=False),
        correct_domain=convergence_domain(),
    )


@cache
def _w2_general() -> Derivation:
    # 1D Gaussians: W2^2(N(m, v), N(0, 1)) = m^2 + (sqrt(v) - 1)^2 (quantile coupling). sqrt(v) - 1 is written as
    # (v - 1)/(sqrt(v) + 1): algebraically the same, but without the cancellation of sqrt(1 + eps) - 1 in float64
    # when v -> 1 (the regime of interest), where v - 1 = alpha^{2k}(v0 - 1) is computed without subtraction.
    var = variance().expr
    excess = sp.factor(var - 1)
    expr = sp.sqrt(mean().expr ** 2 + (excess / (sp.sqrt(var) + 1)) ** 2)
    return Derivation(
        "W2(Law X_k, N(0,1))",
        expr,
        (ALPHA, K, M0, V0),
        _SOURCE,
        "1D Gaussian W2^2 = (mean)^2 + (sd - 1)^2 with the rsolve mean and variance, sd - 1 = (v-1)/(sd+1)",
    )


def w2_to_standard_normal(k: int | sp.Expr | None = None) -> Derivation:
    r"""Exact :math:`W_2(\mathrm{Law}(X_k), N(0,1))` for :math:`X_0 \sim N(m_0, v_0)` (1D, per coordinate).

    .. math::

        W_2^2 = (\alpha^k m_0)^2 + \Big(\sqrt{\alpha^{2k}(v_0-1)+1} - 1\Big)^2.

    In :math:`d` dimensions with :math:`X_0 \sim N(m_0, v_0 I_d)` the squared distance adds over coordinates.

    Parameters
    ----------
    k : int or sympy.Expr, optional
        Step; when given, substituted (and dropped from the arguments if numeric).

    Returns
    -------
    Derivation
        Expression in ``(alpha, k, m0, v0)`` (or ``(alpha, m0, v0)`` for a numeric ``k``).
    """
    base = _w2_general()
    if k is None:
        return base
    if isinstance(k, (int, np.integer)) and k < 0:
        raise ConfigError(f"k: must be a non-negative integer, got {k}")
    expr = base.expr.subs(K, k)
    args = base.args if sp.sympify(k).free_symbols else tuple(a for a in base.args if a is not K)
    return Derivation(f"W2(Law X_{k}, N(0,1))", expr, args, base.source, base.method + f", k = {k}")


@cache
def w2_decay_constant() -> tuple[sp.Expr, sp.Expr]:
    r"""Leading constants of :math:`W_2` as :math:`k\to\infty`, for :math:`|\alpha|<1`.

    Writing :math:`u = |\alpha|^k \to 0^+` (so :math:`\alpha^{2k} = u^2`):

    .. math::

        \lim_{u\to 0^+} W_2/u = |m_0|, \qquad \text{and if } m_0 = 0:\ \lim_{u\to 0^+} W_2/u^2 = |v_0-1|/2,

    i.e. :math:`W_2 \sim |m_0|\,|\alpha|^k` (rate :math:`|\alpha|`), and :math:`\sim |v_0-1|\alpha^{2k}/2` for
    a centred start (rate :math:`\alpha^2`). Both by ``limit``.

    Returns
    -------
    tuple of sympy.Expr
        ``(lim W2/|alpha|^k, lim W2/alpha^(2k) at m0 = 0)``.
    """
    # Limits of the squared ratios (a polynomial-in-sqrt expression), then the square root: taking the limit of
    # sqrt(...) directly lets sympy drop the absolute value of (v0 - 1).
    w2_sq = _U**2 * M0**2 + (sp.sqrt(_U**2 * (V0 - 1) + 1) - 1) ** 2
    first = sp.sqrt(sp.factor(sp.limit(w2_sq / _U**2, _U, 0, "+")))
    second = sp.sqrt(sp.factor(sp.limit(w2_sq.subs(M0, 0) / _U**4, _U, 0, "+")))
    return first, second
