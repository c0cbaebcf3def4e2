"""Monte Carlo estimates of TV, KL, JS and Hellinger between two laws with known log-densities, any dimension.

Each divergence is an expectation under one of the laws of a function of the log-density ratio, so an average
over independent samples is unbiased and its CLT interval is a genuine confidence interval for the **true** value
(unlike the density-estimate routes of :mod:`theorylab.divergences.samples`). With
:math:`r(x) = \\log q(x) - \\log p(x)`:

.. math::

    TV = E_P\\big[(1 - e^{r(X)})_+\\big], \\qquad KL(P\\|Q) = E_P[-r(X)], \\qquad
    H^2 = 1 - E_P\\big[e^{r(X)/2}\\big],

    JS = \\tfrac12 E_P\\Big[\\log\\frac{2p}{p+q}(X)\\Big] + \\tfrac12 E_Q\\Big[\\log\\frac{2q}{p+q}(Y)\\Big].

The TV and :math:`H^2` integrands lie in :math:`[0, 1]`, the JS ones in :math:`(-\\infty, \\ln 2]`. The interval is
the normal (CLT) interval :math:`\\bar f \\pm z_{(1+\\text{level})/2}\\, s/\\sqrt n`, :math:`s` the sample standard
deviation. Useful where no closed form or 1D quadrature exists: Gaussian mixtures in :math:`d \\ge 2`, JS between
Gaussians in :math:`d \\ge 2`, TV between Gaussians in :math:`d \\ge 3` (cf. :func:`~theorylab.divergences.gaussian.
tv_gaussian_bounds`).

Seed 000, slide "Esquema de la Demostración", controls TV through :math:`KL` (Pinsker); with these estimators both
sides of such inequalities can be measured in any dimension.

Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL, JS natural log (:math:`JS \\le \\ln 2`); Hellinger
:math:`H^2 = 1 - \\int\\sqrt{pq}`, value :math:`H`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

from theorylab.divergences.bootstrap import check_level
from theorylab.divergences.estimate import Estimate, Uncertainty
from theorylab.errors import ConfigError

__all__ = ["hellinger_monte_carlo", "js_monte_carlo", "kl_monte_carlo", "tv_monte_carlo"]

_LN2 = math.log(2.0)


def _check(p: Any, q: Any, n: int, level: float) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ConfigError(f"n: must be an integer >= 2, got {n!r}")
    check_level(level, 2)
    if p.dim != q.dim:
        raise ValueError(f"dimensions differ: {p.dim} and {q.dim}")
    return int(n)


def _log_ratio(p: Any, q: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(q.logpdf(x)) - np.asarray(p.logpdf(x))


def _clt(values: np.ndarray, level: float) -> tuple[float, float, float]:
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1)) / math.sqrt(values.shape[0])
    z = float(special.ndtri(0.5 * (1.0 + level)))
    return mean, mean - z * se, mean + z * se


def _estimate(name: str, mean: float, lo: float, hi: float, level: float, n: int, method: str,
              clip: tuple[float, float]) -> Estimate:
    value = min(max(mean, clip[0]), clip[1])
    lo, hi = max(lo, clip[0]), min(hi, clip[1])
    note = f"CLT normal interval, n = {n} independent samples"
    return Estimate(name, value, method, Uncertainty("ci", min(lo, value), max(hi, value), float(level), note))


def tv_monte_carlo(p: Any, q: Any, n: int, rng: np.random.Generator, *, level: float = 0.95) -> Estimate:
    """Total variation :math:`\\tfrac12\\|p - q\\|_1 = E_P[(1 - q/p)_+]` by Monte Carlo, with a CLT interval.

    Parameters
    ----------
    p, q : Distribution
        Laws with ``logpdf``; ``p`` also needs ``sample``.
    n : int
        Number of samples from ``p``.
    rng : numpy.random.Generator
    level : float
        Confidence level.
    """
    n = _check(p, q, n, level)
    r = _log_ratio(p, q, p.sample(n, rng))
    values = -np.expm1(np.minimum(r, 0.0))
    return _estimate("TV", *_clt(values, level), level, n, "Monte Carlo E_P[(1 - q/p)_+]", (0.0, 1.0))


def kl_monte_carlo(p: Any, q: Any, n: int, rng: np.random.Generator, *, level: float = 0.95) -> Estimate:
    """:math:`KL(P\\|Q) = E_P[\\log p - \\log q]` (natural log) by Monte Carlo, with a CLT interval."""
    n = _check(p, q, n, level)
    values = -_log_ratio(p, q, p.sample(n, rng))
    return _estimate("KL", *_clt(values, level), level, n, "Monte Carlo E_P[log p - log q]", (0.0, math.inf))


def js_monte_carlo(p: Any, q: Any, n: int, rng: np.random.Generator, *, level: float = 0.95) -> Estimate:
    """Jensen–Shannon :math:`\\tfrac12 KL(P\\|M) + \\tfrac12 KL(Q\\|M)` (natural log) by Monte Carlo: ``n`` samples
    from each law, :math:`\\log\\frac{2p}{p+q} = \\ln 2 - \\operatorname{softplus}(\\log q - \\log p)`; the two
    independent averages are combined (variances add)."""
    n = _check(p, q, n, level)
    rp = _log_ratio(p, q, p.sample(n, rng))  # log q - log p under P
    rq = -_log_ratio(p, q, q.sample(n, rng))  # log p - log q under Q
    fp = _LN2 - np.logaddexp(0.0, rp)
    fq = _LN2 - np.logaddexp(0.0, rq)
    mean = 0.5 * (float(np.mean(fp)) + float(np.mean(fq)))
    se = 0.5 * math.sqrt(float(np.var(fp, ddof=1)) / n + float(np.var(fq, ddof=1)) / n)
    z = float(special.ndtri(0.5 * (1.0 + level)))
    return _estimate("JS", mean, mean - z * se, mean + z * se, level, n,
                     "Monte Carlo (E_P[log 2p/(p+q)] + E_Q[log 2q/(p+q)])/2", (0.0, _LN2))


def hellinger_monte_carlo(p: Any, q: Any, n: int, rng: np.random.Generator, *, level: float = 0.95) -> Estimate:
    """Hellinger distance :math:`H`, :math:`H^2 = 1 - E_P[\\sqrt{q/p}]`, by Monte Carlo; the CLT interval on
    :math:`H^2` is mapped through the square root."""
    n = _check(p, q, n, level)
    r = _log_ratio(p, q, p.sample(n, rng))
    values = -np.expm1(0.5 * r)  # 1 - sqrt(q/p), mean H^2
    h2, lo, hi = _clt(values, level)
    h2c = min(max(h2, 0.0), 1.0)
    note = f"CLT normal interval on H^2, n = {n} independent samples, mapped through sqrt"
    unc = Uncertainty("ci", math.sqrt(min(max(lo, 0.0), h2c)), math.sqrt(min(max(hi, h2c), 1.0)), float(level), note)
    return Estimate("Hellinger", math.sqrt(h2c), "Monte Carlo 1 - E_P[sqrt(q/p)]", unc)
