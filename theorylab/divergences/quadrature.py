"""TV, KL, JS, Hellinger and W2 between one-dimensional Gaussian mixtures by adaptive quadrature.

The laws are 1D :class:`~theorylab.distributions.Gaussian` or :class:`~theorylab.distributions.GaussianMixture`
(seed 002, slide "Mistura de gaussianas": :math:`\\tfrac12\\mathcal N(-3,1/4) + \\tfrac12\\mathcal N(3,1)`).
TV, KL, JS and Hellinger integrate with ``scipy.integrate.quad`` (QUADPACK QAGS) and report quad's own absolute
error estimate as the uncertainty (kind ``"quadrature"``); W2 uses the vectorised ``scipy.integrate.tanhsinh`` and
its error estimate (see :func:`w2_quantile_1d` for why).

Conventions: TV :math:`= \\tfrac12\\int|p-q|`; KL :math:`= \\int p\\log(p/q)`; JS :math:`= \\tfrac12 KL(P\\|M) +
\\tfrac12 KL(Q\\|M)`, natural log (:math:`\\le \\ln 2`); Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq} =
\\tfrac12\\int(\\sqrt p - \\sqrt q)^2` (the second form is integrated: no cancellation when :math:`H` is small), value
:math:`H`; W2 the distance.

Integration domain: :math:`[\\min_k\\mu_k - 40\\sigma_k, \\max_k\\mu_k + 40\\sigma_k]` over both laws (beyond it
every density is below :math:`e^{-800}`, i.e. 0 in float64), cut at :math:`\\mu_k \\pm \\{0,1,3,8,20\\}\\sigma_k`
and, for TV, at the crossing points of the two densities (found as sign changes of :math:`\\log p - \\log q` on a
fine grid, refined by ``brentq``), so that quad sees a smooth integrand on every piece.

W2 uses the quantile formula :math:`W_2^2 = \\int_0^1 |F^{-1}(u) - G^{-1}(u)|^2\\,du` with quantiles by root finding
on the mixture CDFs (:class:`~theorylab.divergences.univariate.Mixture1D`), split at :math:`u = 1/2` and
integrated in :math:`s = -\\log u` (resp. :math:`-\\log(1-u)`), so that the tails :math:`u \\to 0, 1` are resolved
through log-probabilities.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import integrate, optimize

from theorylab.divergences.estimate import Estimate, Uncertainty
from theorylab.divergences.univariate import Mixture1D

__all__ = ["hellinger_quad_1d", "js_quad_1d", "kl_quad_1d", "tv_quad_1d", "w2_quantile_1d"]

#: Absolute and relative tolerances requested from quad on each piece (the reported error is quad's estimate).
_EPSABS = 1e-13
_EPSREL = 1e-11
_LIMIT = 200
#: Grid used to locate the crossing points of two densities before ``brentq`` refines them.
_CROSSING_GRID = 4001
_LN2 = math.log(2.0)


def _pair(p: Any, q: Any) -> tuple[Mixture1D, Mixture1D]:
    return Mixture1D.from_law(p), Mixture1D.from_law(q)


def _pieces(mp: Mixture1D, mq: Mixture1D, extra: np.ndarray | None = None) -> np.ndarray:
    lo_p, hi_p = mp.support()
    lo_q, hi_q = mq.support()
    lo, hi = min(lo_p, lo_q), max(hi_p, hi_q)
    pts = [np.array([lo, hi]), mp.breakpoints(), mq.breakpoints()]
    if extra is not None:
        pts.append(extra)
    cuts = np.unique(np.concatenate(pts))
    return cuts[(cuts >= lo) & (cuts <= hi)]


def _crossings(mp: Mixture1D, mq: Mixture1D) -> np.ndarray:
    """Points where :math:`\\log p = \\log q` (sign changes on a fine grid, refined by brentq)."""
    base = _pieces(mp, mq)
    grid = np.unique(np.concatenate([base, np.linspace(base[0], base[-1], _CROSSING_GRID)]))
    diff = mp.logpdf(grid) - mq.logpdf(grid)
    roots = []
    for i in np.nonzero(np.sign(diff[:-1]) * np.sign(diff[1:]) < 0)[0]:
        roots.append(optimize.brentq(lambda x: float(mp.logpdf(x) - mq.logpdf(x)), grid[i], grid[i + 1],
                                     xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return np.asarray(roots, dtype=np.float64)


def integrate_pieces(f: Callable[[float], float], cuts: np.ndarray, *, epsabs: float = _EPSABS,
                     epsrel: float = _EPSREL, limit: int = _LIMIT) -> tuple[float, float, list[str]]:
    """Sum of ``scipy.integrate.quad`` over consecutive pieces ``[cuts[i], cuts[i+1]]``: (value, total absolute
    error estimate, first lines of the warnings quad raised)."""
    total, error, messages = 0.0, 0.0, []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b <= a:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", integrate.IntegrationWarning)
            value, err = integrate.quad(f, a, b, epsabs=epsabs, epsrel=epsrel, limit=limit)
        messages.extend(str(w.message).splitlines()[0] for w in caught)
        total += value
        error += err
    return total, error, messages


def _estimate(name: str, value: float, error: float, method: str, messages: list[str],
              lower_clip: float = -math.inf, upper_clip: float = math.inf) -> Estimate:
    note = "scipy.integrate.quad absolute error estimate, summed over pieces"
    if messages:
        note += "; quad warned: " + "; ".join(sorted(set(messages)))
    lower = max(value - error, lower_clip)
    upper = min(value + error, upper_clip)
    value = min(max(value, lower_clip), upper_clip)
    return Estimate(name, value, method, Uncertainty("quadrature", min(lower, value), max(upper, value), None, note))


def tv_quad_1d(p: Any, q: Any) -> Estimate:
    """Total variation :math:`\\tfrac12\\int|p - q|` between 1D Gaussian mixtures, by adaptive quadrature.

    Parameters
    ----------
    p, q : Gaussian or GaussianMixture, ``dim == 1``

    Returns
    -------
    Estimate
        ``name="TV"``, uncertainty ``quadrature`` (quad's error estimate), clipped to :math:`[0, 1]`.
    """
    mp, mq = _pair(p, q)
    cuts = _pieces(mp, mq, _crossings(mp, mq))

    def f(x: float) -> float:
        return 0.5 * abs(math.exp(float(mp.logpdf(x))) - math.exp(float(mq.logpdf(x))))

    value, error, msgs = integrate_pieces(f, cuts)
    return _estimate("TV", value, error, "quad of |p - q|/2, cut at the density crossings", msgs, 0.0, 1.0)


def kl_quad_1d(p: Any, q: Any) -> Estimate:
    """Kullback–Leibler divergence :math:`KL(P\\|Q) = \\int p\\log(p/q)` (natural log), by adaptive quadrature.

    The integrand is :math:`e^{\\log p}(\\log p - \\log q)`, with both log-densities from logsumexp, so it stays finite
    where the densities underflow.
    """
    mp, mq = _pair(p, q)

    def f(x: float) -> float:
        lp, lq = float(mp.logpdf(x)), float(mq.logpdf(x))
        return math.exp(lp) * (lp - lq)

    value, error, msgs = integrate_pieces(f, _pieces(mp, mq))
    return _estimate("KL", value, error, "quad of p log(p/q)", msgs, 0.0)


def js_quad_1d(p: Any, q: Any) -> Estimate:
    """Jensen–Shannon divergence :math:`\\tfrac12 KL(P\\|M) + \\tfrac12 KL(Q\\|M)`, :math:`M = (P+Q)/2`, natural log
    (so :math:`0 \\le JS \\le \\ln 2`), by adaptive quadrature. Seed 000, slide "Definición Formal de una GAN"."""
    mp, mq = _pair(p, q)

    def f(x: float) -> float:
        lp, lq = float(mp.logpdf(x)), float(mq.logpdf(x))
        lm = float(np.logaddexp(lp, lq)) - _LN2
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    value, error, msgs = integrate_pieces(f, _pieces(mp, mq))
    return _estimate("JS", value, error, "quad of (p log(p/m) + q log(q/m))/2", msgs, 0.0, _LN2)


def hellinger_quad_1d(p: Any, q: Any) -> Estimate:
    """Hellinger distance :math:`H`, :math:`H^2 = 1 - \\int\\sqrt{pq} = \\tfrac12\\int(\\sqrt p-\\sqrt q)^2`, by
    adaptive quadrature of the second form; the interval is :math:`\\sqrt{H^2 \\mp \\text{err}}`."""
    mp, mq = _pair(p, q)

    def f(x: float) -> float:
        return 0.5 * (math.exp(0.5 * float(mp.logpdf(x))) - math.exp(0.5 * float(mq.logpdf(x)))) ** 2

    h2, error, msgs = integrate_pieces(f, _pieces(mp, mq))
    h2 = min(max(h2, 0.0), 1.0)
    note = "sqrt of H^2 -/+ scipy.integrate.quad absolute error estimate"
    if msgs:
        note += "; quad warned: " + "; ".join(sorted(set(msgs)))
    unc = Uncertainty("quadrature", math.sqrt(max(h2 - error, 0.0)), math.sqrt(min(h2 + error, 1.0)), None, note)
    return Estimate("Hellinger", math.sqrt(h2), "quad of (sqrt p - sqrt q)^2/2, H = sqrt(H^2)", unc)


#: Cuts of the integral over s = -log u in [ln 2, S_MAX]: the integrand decays like s e^{-s}; beyond S_MAX = 700
#: the weight e^{-s} < 1e-304, so the truncated tail is below float64 resolution of any W2^2 >= 1e-290.
_S_CUTS = np.array([_LN2, 2.0, 5.0, 12.0, 30.0, 80.0, 250.0, 700.0])


def w2_quantile_1d(p: Any, q: Any) -> Estimate:
    """Wasserstein-2 distance between 1D Gaussian mixtures from their quantile functions.

    .. math::

        W_2^2 = \\int_0^1 |F^{-1}(u) - G^{-1}(u)|^2 du
              = \\int_{\\ln 2}^{\\infty} \\big(|F^{-1} - G^{-1}|^2(e^{-s})
                + |\\bar F^{-1} - \\bar G^{-1}|^2(e^{-s})\\big) e^{-s}\\,ds,

    where :math:`\\bar F^{-1}(v)` is the :math:`x` with :math:`1 - F(x) = v`. Quantiles come from (vectorised)
    bisection on :math:`\\log F` and :math:`\\log(1-F)` (:meth:`Mixture1D.quantile_from_log`), accurate far in both
    tails.

    The integral is computed with ``scipy.integrate.tanhsinh`` rather than ``quad``: tanh-sinh calls the integrand
    on whole arrays of nodes, so all quantiles of one refinement level come from one vectorised bisection (``quad``
    asks for one scalar at a time: ~30x slower here), and its double-exponential nodes suit the :math:`s e^{-s}`
    decay. Its error estimate (difference between successive levels) is reported.

    Returns
    -------
    Estimate
        ``name="W2"`` (the distance, not squared); uncertainty ``quadrature``: the error estimate on
        :math:`W_2^2`, mapped through the square root.
    """
    mp, mq = _pair(p, q)

    def f(s: np.ndarray) -> np.ndarray:
        lp = -np.asarray(s, dtype=np.float64)
        lower = mp.quantile_from_log(lp) - mq.quantile_from_log(lp)
        upper = mp.quantile_from_log(lp, upper=True) - mq.quantile_from_log(lp, upper=True)
        return (lower * lower + upper * upper) * np.exp(-s)

    res = integrate.tanhsinh(f, _S_CUTS[:-1], _S_CUTS[1:], atol=_EPSABS, rtol=_EPSREL)
    w2sq = max(float(np.sum(res.integral)), 0.0)
    error = float(np.sum(res.error))
    note = "sqrt of W2^2 -/+ scipy.integrate.tanhsinh error estimate, summed over pieces of s = -log u"
    if np.any(res.status != 0):
        note += f"; tanhsinh status {sorted(set(res.status.tolist()))} (0 = converged)"
    unc = Uncertainty("quadrature", math.sqrt(max(w2sq - error, 0.0)), math.sqrt(w2sq + error), None, note)
    return Estimate("W2", math.sqrt(w2sq), "quantile formula int_0^1 |F^-1 - G^-1|^2 du (tanh-sinh in s = -log u)",
                    unc)
