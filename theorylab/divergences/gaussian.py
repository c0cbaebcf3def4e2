"""Divergences between two Gaussians :math:`P = \\mathcal N(\\mu_1, \\Sigma_1)`, :math:`Q = \\mathcal N(\\mu_2,
\\Sigma_2)` on :math:`\\mathbb R^d`: closed forms, an exact 1D TV, rigorous TV intervals and a 2D TV quadrature.

Why these matter in the seeds: with a Gaussian target the law of every sampler output is Gaussian (seed 000, slide
"Análisis del proceso Ornstein-Uhlenbeck"), so the distances of the convergence theorem of seed 000, slide
"Convergencia de modelos de difusión De Bortoli et al. (2021a)" (TV), of its proof sketch (KL via Pinsker, slide
"Esquema de la Demostración") and of the OU bound :math:`W_2(\\mathcal L(X_t), \\mu_Z) \\le e^{-t}(\\ldots)` are
exact numbers here.

Methods by divergence and dimension (every function also accepts **singular** Gaussians: laws with different affine
hulls are mutually singular and get the exact values TV = 1, KL = inf, JS = ln 2, H = 1; laws with the same hull
are reduced to it, :mod:`theorylab.divergences.singular`; W2 needs no reduction):

=========  ===========================================================================================
KL         closed form, any d (whitened, cancellation-free)
Hellinger  closed form (Bhattacharyya coefficient), any d
W2         closed form (Bures–Wasserstein, Procrustes form with PSD square-root factors), any d
TV         exact (d = 1), 1D quadrature of an exact inner integral (d = 2), Monte Carlo in diagonalised
           coordinates with a CLT interval intersected with rigorous bounds (d >= 3,
           :mod:`theorylab.divergences.gaussian_mc`); ``method="bounds"``: the rigorous interval only
JS         quadrature (d = 1), Monte Carlo in diagonalised coordinates (d >= 2), as TV
=========  ===========================================================================================

Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL natural log; JS :math:`\\tfrac12`-weighted, natural log
(:math:`\\le \\ln 2`); Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}`, value :math:`H`; W2 the distance (not squared).

Closed forms (:math:`\\Delta = \\mu_1 - \\mu_2`, :math:`\\bar\\Sigma = (\\Sigma_1+\\Sigma_2)/2`):

.. math::

    KL(P\\|Q) = \\tfrac12\\big(\\operatorname{tr}(\\Sigma_2^{-1}\\Sigma_1) + \\Delta^\\top\\Sigma_2^{-1}\\Delta - d
        + \\log\\det\\Sigma_2 - \\log\\det\\Sigma_1\\big),

    W_2^2 = \\|\\Delta\\|^2 + \\operatorname{tr}\\big(\\Sigma_1 + \\Sigma_2
        - 2(\\Sigma_1^{1/2}\\Sigma_2\\Sigma_1^{1/2})^{1/2}\\big) \\quad\\text{(Bures–Wasserstein)},

    1 - H^2 = \\int\\sqrt{pq} = \\frac{\\det(\\Sigma_1)^{1/4}\\det(\\Sigma_2)^{1/4}}{\\det(\\bar\\Sigma)^{1/2}}
        \\exp\\big(-\\tfrac18\\Delta^\\top\\bar\\Sigma^{-1}\\Delta\\big).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import integrate, linalg, special

from theorylab.divergences import singular as sg
from theorylab.divergences.estimate import Estimate, Uncertainty, exact_estimate
from theorylab.divergences.quadrature import js_quad_1d
from theorylab.errors import ConfigError

__all__ = [
    "hellinger_gaussian",
    "js_gaussian",
    "kl_gaussian",
    "tv_gaussian",
    "tv_gaussian_1d",
    "tv_gaussian_2d_quad",
    "tv_gaussian_bounds",
    "w2_gaussian",
]

_EPSABS = 1e-13
_EPSREL = 1e-11


def _params(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    for law in (p, q):
        if not (hasattr(law, "mean") and hasattr(law, "covariance") and hasattr(law, "eigh")):
            raise TypeError(f"expected a Gaussian, got {law!r}")
    if p.dim != q.dim:
        raise ValueError(f"dimensions differ: {p.dim} and {q.dim}")
    return p.mean(), p.covariance(), q.mean(), q.covariance()


def _singular_route(name: str, p: Any, q: Any, func: Any) -> Estimate | None:
    """None for two definite laws; otherwise the exact value for mutually singular laws, or ``func`` on the
    common support (:mod:`theorylab.divergences.singular`)."""
    _params(p, q)
    if not (sg.is_singular(p) or sg.is_singular(q)):
        return None
    pair = sg.reduce_to_common_support(p, q)
    if pair is None:
        return sg.mutually_singular_estimate(name, p, q)
    if pair == ():
        return sg.zero_estimate(name)
    return sg.reduced_method(func(*pair), pair[0].dim, p.dim)


# ---------------------------------------------------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------------------------------------------------
def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    """:math:`x - \\log(1+x)` for :math:`x > -1` without cancellation near 0.

    With :math:`u = x/(2+x)` (so :math:`\\log(1+x) = 2\\operatorname{atanh} u`, :math:`x = 2u/(1-u)`),
    :math:`x - \\log(1+x) = 2\\sum_{k\\ge2} c_k u^k`, :math:`c_k = 1` for even :math:`k`, :math:`1 - 1/k` for odd
    :math:`k`; for :math:`|x| \\le 1/2`, :math:`|u| \\le 1/3` and 40 terms leave a remainder below
    :math:`3^{-40} \\approx 8\\cdot10^{-20}` relative. Elsewhere the direct formula has no cancellation.
    """
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) <= 0.5
    u = np.where(small, x / (2.0 + x), 0.0)
    series = np.zeros_like(x)
    power = u * u
    for k in range(2, 42):
        series += (1.0 if k % 2 == 0 else 1.0 - 1.0 / k) * power
        power = power * u
    direct = x - np.log1p(np.where(small, 0.0, x))
    return np.where(small, 2.0 * series, direct)


def _whitened(m1: np.ndarray, c1: np.ndarray, m2: np.ndarray, c2: np.ndarray):
    """Everything in the coordinates whitened by :math:`\\Sigma_2 = L_2L_2^\\top`.

    Returns ``(x, v, w, l1, l2)``: the eigenvalues :math:`x_i` of :math:`AA^\\top - I`, :math:`A = L_2^{-1}L_1`
    (so :math:`1 + x_i` are the eigenvalues of :math:`\\Sigma_2^{-1}\\Sigma_1`), computed from
    :math:`D = A - I` as :math:`DD^\\top + D + D^\\top` (accurate when :math:`\\Sigma_1 \\approx \\Sigma_2`), their
    eigenvectors ``v``, the whitened mean difference :math:`w = L_2^{-1}(\\mu_1 - \\mu_2)`, and the Cholesky factors.
    """
    l1, l2 = np.linalg.cholesky(c1), np.linalg.cholesky(c2)
    a = linalg.solve_triangular(l2, l1, lower=True)
    dmat = a - np.eye(a.shape[0])
    m = dmat @ dmat.T + dmat + dmat.T
    x, v = np.linalg.eigh(0.5 * (m + m.T))
    w = linalg.solve_triangular(l2, m1 - m2, lower=True)
    return np.maximum(x, -1.0 + np.finfo(np.float64).tiny), v, w, l1, l2


def _kl_raw(m1: np.ndarray, c1: np.ndarray, m2: np.ndarray, c2: np.ndarray) -> float:
    x, _, w, _, _ = _whitened(m1, c1, m2, c2)
    return max(0.5 * (float(np.sum(_x_minus_log1p(x))) + float(w @ w)), 0.0)


def _common_eigenbasis(p: Any, q: Any, definite: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(lambda_p, lambda_q, U^T(mu_p - mu_q))`` when both laws are definite Gaussians stored with the same
    eigenbasis (:meth:`~theorylab.distributions.Gaussian.eigen_parts`: both diagonal, or equal bases, as the exact
    route's output law and its target are): the closed forms are then sums over coordinates, O(d) after the one
    projection of the means, and no dense covariance is built. None otherwise. ``definite=False`` also accepts
    zero eigenvalues (singular laws), for the forms that stay defined there (:math:`W_2`)."""
    if not (hasattr(p, "eigen_parts") and hasattr(q, "eigen_parts")) or p.dim != q.dim:
        return None
    if p._eigen is None or q._eigen is None:  # not given by eigendecomposition: the dense forms apply
        return None
    (lp, up), (lq, uq) = p.eigen_parts(), q.eigen_parts()
    if not ((up is None and uq is None) or (up is not None and uq is not None and (up is uq or np.array_equal(up, uq)))):
        return None
    if definite and not (np.all(lp > 0.0) and np.all(lq > 0.0)):
        return None
    delta = p.mean() - q.mean()
    return lp, lq, (delta if up is None else up.T @ delta)


def kl_gaussian(p: Any, q: Any) -> Estimate:
    """:math:`KL(P\\|Q)` between Gaussians in any dimension (closed form, natural log).

    Evaluated in the coordinates whitened by :math:`\\Sigma_2` as

    .. math:: KL = \\tfrac12\\Big(\\sum_i \\big(x_i - \\log(1+x_i)\\big) + \\|L_2^{-1}\\Delta\\|^2\\Big),

    :math:`1 + x_i` the eigenvalues of :math:`\\Sigma_2^{-1}\\Sigma_1` (:func:`_whitened`), with
    :math:`x - \\log(1+x)` summed as a series near 0. This equals the textbook formula but does not cancel: when
    :math:`\\Sigma_1 \\approx \\Sigma_2` (a sampler's output law close to its target, the regime of every rate
    claim) the textbook terms are O(1) and their sum O(KL), so KL below ~1e-14 would be lost.

    Returns
    -------
    Estimate
        ``name="KL"``, uncertainty ``exact``.
    """
    common = _common_eigenbasis(p, q)
    if common is not None:  # sum over the shared eigen-coordinates of x - log(1 + x), x = lp/lq - 1
        lp, lq, delta = common
        x = (lp - lq) / lq
        value = 0.5 * float(np.sum(x - np.log1p(x)) + np.sum(delta * delta / lq))
        return exact_estimate("KL", max(value, 0.0), "closed form (Gaussian KL in the shared eigenbasis, O(d))")
    special_case = _singular_route("KL", p, q, kl_gaussian)
    if special_case is not None:
        return special_case
    m1, c1, m2, c2 = _params(p, q)
    return exact_estimate("KL", _kl_raw(m1, c1, m2, c2), "closed form (Gaussian KL, whitened, cancellation-free)")


def w2_gaussian(p: Any, q: Any) -> Estimate:
    """Wasserstein-2 **distance** between Gaussians in any dimension (Bures–Wasserstein closed form).

    .. math::

        W_2^2 = \\|\\Delta\\|^2 + \\min_{U \\text{ orthogonal}} \\|L_1 - L_2U\\|_F^2
              = \\|\\Delta\\|^2 + \\operatorname{tr}\\Sigma_1 + \\operatorname{tr}\\Sigma_2
                - 2\\|L_1^\\top L_2\\|_*,

    the minimum attained at :math:`U = QP^\\top` for the SVD :math:`L_1^\\top L_2 = PSQ^\\top` (the nuclear norm
    :math:`\\|L_1^\\top L_2\\|_*` equals :math:`\\operatorname{tr}(\\Sigma_1^{1/2}\\Sigma_2\\Sigma_1^{1/2})^{1/2}`
    for any square-root factors). The first form is evaluated: it has no cancellation, so :math:`W_2` keeps its relative
    accuracy as :math:`\\Sigma_2 \\to \\Sigma_1`.

    Why not POT's ``ot.gaussian.bures_wasserstein_distance`` (which does return the distance, not its square)?
    It evaluates the trace form, whose O(1) terms cancel: its absolute error on :math:`W_2^2` is ~EPS tr(Sigma),
    i.e. ~1e-8 on :math:`W_2`; it returns 0 for a true :math:`W_2 = 10^{-8}` and is off by 6e-5 relative at
    :math:`W_2 = 5\\cdot10^{-7}`, which would flatten the log-log fits of the convergence claims. The tests check
    both against each other where POT is accurate, and against 50-digit mpmath near 0.

    Singular (PSD) covariances: the Procrustes identity holds for any factors :math:`\\Sigma_i = A_iA_i^\\top`, so
    the eigen factors :math:`U\\operatorname{diag}(\\sqrt\\lambda)` of a singular law are used
    (:meth:`~theorylab.distributions.Gaussian.sqrt_factor`); ``scipy.linalg.sqrtm`` is avoided (inaccurate, possibly
    complex, on singular matrices). The tests compare with POT's ``bures_wasserstein_distance`` on singular pairs.

    Returns
    -------
    Estimate
        ``name="W2"``, uncertainty ``exact``.
    """
    common = _common_eigenbasis(p, q, definite=False)
    if common is not None:  # commuting covariances: W2^2 = |Delta|^2 + sum (sqrt lp - sqrt lq)^2, cancellation-free
        lp, lq, delta = common  # PSD allowed (a singular target: Pierret & Galerne's CIFAR-10 Gaussian has rank d - 1)
        roots = np.sqrt(lp) + np.sqrt(lq)
        root_gap = np.divide(lp - lq, roots, out=np.zeros_like(roots), where=roots > 0.0)
        value = math.sqrt(float(np.sum(delta * delta) + np.sum(root_gap * root_gap)))
        return exact_estimate("W2", value, "closed form (Bures-Wasserstein, commuting covariances in the shared "
                                           "eigenbasis, O(d))")
    m1, _, m2, _ = _params(p, q)
    l1, l2 = p.sqrt_factor(), q.sqrt_factor()
    pmat, _, qmat_t = np.linalg.svd(l1.T @ l2)
    u = qmat_t.T @ pmat.T
    bures_sq = float(np.sum((l1 - l2 @ u) ** 2))
    value = math.sqrt(float(np.sum((m1 - m2) ** 2)) + bures_sq)
    return exact_estimate("W2", value, "closed form (Bures-Wasserstein, orthogonal Procrustes form)")


def _log_bhattacharyya(p: Any, q: Any) -> float:
    """:math:`\\log\\int\\sqrt{pq} = \\sum_i \\tfrac14\\log\\big(1 - x_i^2/(2+x_i)^2\\big) - \\tfrac18
    \\sum_i (V^\\top w)_i^2/(1 + x_i/2)` in the whitened coordinates of :func:`_whitened` (:math:`\\bar\\Sigma`
    whitened is :math:`I + M/2`); the log-determinant part is written without cancellation, using
    :math:`(1+x)/(1+x/2)^2 = 1 - x^2/(2+x)^2`."""
    m1, c1, m2, c2 = _params(p, q)
    x, v, w, _, _ = _whitened(m1, c1, m2, c2)
    logdet_part = 0.25 * float(np.sum(np.log1p(-((x / (2.0 + x)) ** 2))))
    proj = v.T @ w
    return logdet_part - 0.125 * float(np.sum(proj * proj / (1.0 + 0.5 * x)))


def hellinger_gaussian(p: Any, q: Any) -> Estimate:
    """Hellinger distance :math:`H` between Gaussians in any dimension, :math:`H^2 = 1 - \\int\\sqrt{pq}` (closed
    form of the Bhattacharyya coefficient, evaluated without cancellation (:func:`_log_bhattacharyya`);
    :math:`H^2` computed as ``-expm1(log BC)``, accurate when small).

    Returns
    -------
    Estimate
        ``name="Hellinger"`` (the value is :math:`H \\in [0, 1]`), uncertainty ``exact``.
    """
    common = _common_eigenbasis(p, q)
    if common is not None:  # log BC = sum 1/4 log(1 - r^2) - 1/4 sum delta^2/(lp + lq), r = (lp - lq)/(lp + lq)
        lp, lq, delta = common
        r = (lp - lq) / (lp + lq)
        log_bc = 0.25 * float(np.sum(np.log1p(-r * r))) - 0.25 * float(np.sum(delta * delta / (lp + lq)))
        h2 = -math.expm1(min(log_bc, 0.0))
        return exact_estimate("Hellinger", math.sqrt(max(h2, 0.0)), "closed form (Bhattacharyya coefficient in the "
                                                                     "shared eigenbasis, O(d))")
    special_case = _singular_route("Hellinger", p, q, hellinger_gaussian)
    if special_case is not None:
        return special_case
    h2 = -math.expm1(min(_log_bhattacharyya(p, q), 0.0))
    return exact_estimate("Hellinger", math.sqrt(max(h2, 0.0)), "closed form (Bhattacharyya coefficient)")


def js_gaussian(p: Any, q: Any, *, n: int | None = None, rng: np.random.Generator | None = None,
                level: float = 0.95) -> Estimate:
    """Jensen–Shannon divergence between Gaussians in any dimension, :math:`\\tfrac12 KL(P\\|M) + \\tfrac12
    KL(Q\\|M)`, natural log (no closed form exists: :math:`M` is a mixture).

    * ``d = 1``: ``scipy.integrate.quad`` (uncertainty ``quadrature``, quad's error estimate);
    * ``d >= 2``: Monte Carlo in simultaneously diagonalised coordinates, CLT interval at ``level`` intersected with
      rigorous bounds (:func:`theorylab.divergences.gaussian_mc.js_gaussian_mc`; ``n`` draws per law, default
      :data:`~theorylab.divergences.gaussian_mc.DEFAULT_MC_SAMPLES`; ``rng`` default seeded, deterministic);
    * singular laws: exact :math:`\\ln 2` for different affine hulls, else the above on the common support.
    """
    from theorylab.divergences import gaussian_mc as mc

    def route(a: Any, b: Any) -> Estimate:
        if a.dim == 1:
            return js_quad_1d(a, b)
        return mc.js_gaussian_mc(a, b, mc.DEFAULT_MC_SAMPLES if n is None else n, rng, level=level)

    special_case = _singular_route("JS", p, q, route)
    return special_case if special_case is not None else route(p, q)


# ---------------------------------------------------------------------------------------------------------------------
# total variation
# ---------------------------------------------------------------------------------------------------------------------
def _interval_prob(a: float, b: float, mean: float, std: float) -> float:
    """:math:`P(a < X < b)` for :math:`X \\sim \\mathcal N(m, s^2)`, from the side of the tail (no cancellation)."""
    if b <= a:
        return 0.0
    za, zb = (a - mean) / std, (b - mean) / std
    if za > 0.0:
        return float(special.ndtr(-za) - special.ndtr(-zb))
    return float(special.ndtr(zb) - special.ndtr(za))


def _quadratic_roots(a: float, b: float, c: float) -> tuple[float, float] | None:
    """Real roots ``r1 <= r2`` of ``a x^2 + b x + c`` (``a != 0``), by the cancellation-free formula; None if
    the discriminant is <= 0."""
    disc = b * b - 4.0 * a * c
    if not disc > 0.0:
        return None
    s = -0.5 * (b + math.copysign(math.sqrt(disc), b))
    r1 = s / a
    r2 = c / s if s != 0.0 else -r1
    return (r1, r2) if r1 <= r2 else (r2, r1)


def _real_roots(coeffs: np.ndarray) -> list[float]:
    """Real roots of the polynomial ``coeffs[0] x^2 + coeffs[1] x + coeffs[2]`` (degenerate degrees included)."""
    a, b, c = (float(v) for v in coeffs)
    if a != 0.0:
        roots = _quadratic_roots(a, b, c)
        return list(roots) if roots is not None else []
    if b != 0.0:
        return [-c / b]
    return []


def _tv_1d(m1: float, s1: float, m2: float, s2: float) -> float:
    if s1 == s2:
        return float(special.erf(abs(m1 - m2) / (2.0 * math.sqrt(2.0) * s1)))
    # log p - log q = 0  <=>  A x^2 + B x + C = 0 (multiplied by 2 s1^2 s2^2)
    a = s1 * s1 - s2 * s2
    b = 2.0 * (s2 * s2 * m1 - s1 * s1 * m2)
    c = s1 * s1 * m2 * m2 - s2 * s2 * m1 * m1 + 2.0 * s1 * s1 * s2 * s2 * math.log(s2 / s1)
    roots = _quadratic_roots(a, b, c)
    if roots is None:  # cannot happen for s1 != s2 (the narrower density is larger at its mode); kept for safety
        return 0.0
    x1, x2 = roots
    (ms, ss), (ml, sl) = ((m1, s1), (m2, s2)) if s1 < s2 else ((m2, s2), (m1, s1))
    return min(max(_interval_prob(x1, x2, ms, ss) - _interval_prob(x1, x2, ml, sl), 0.0), 1.0)


def tv_gaussian_1d(p: Any, q: Any) -> Estimate:
    """Exact total variation :math:`\\tfrac12\\int|p-q|` between two 1D Gaussians.

    For :math:`\\sigma_1 \\ne \\sigma_2` the densities cross at the two roots :math:`x_1 < x_2` of
    :math:`(\\sigma_1^2-\\sigma_2^2)x^2 + 2(\\sigma_2^2\\mu_1 - \\sigma_1^2\\mu_2)x + \\sigma_1^2\\mu_2^2 -
    \\sigma_2^2\\mu_1^2 + 2\\sigma_1^2\\sigma_2^2\\log(\\sigma_2/\\sigma_1) = 0` (i.e. :math:`\\log p = \\log q`,
    solved without cancellation), the narrower density is the larger one on :math:`(x_1, x_2)`, and

    .. math:: TV = P_{\\text{narrow}}(x_1, x_2) - P_{\\text{wide}}(x_1, x_2)

    (normal CDFs, each interval probability taken from its tail side). For :math:`\\sigma_1 = \\sigma_2 = \\sigma`:
    :math:`TV = \\operatorname{erf}(|\\mu_1-\\mu_2| / (2\\sqrt2\\sigma)) = 2\\Phi(|\\Delta|/2\\sigma) - 1`.

    Returns
    -------
    Estimate
        ``name="TV"``, uncertainty ``exact``.
    """
    m1, c1, m2, c2 = _params(p, q)
    if p.dim != 1:
        raise ValueError(f"tv_gaussian_1d needs d = 1, got d = {p.dim}")
    value = _tv_1d(float(m1[0]), math.sqrt(float(c1[0, 0])), float(m2[0]), math.sqrt(float(c2[0, 0])))
    return exact_estimate("TV", value, "closed form (1D: crossing points + normal CDFs)")


def _projection_directions(m1: np.ndarray, c1: np.ndarray, m2: np.ndarray, c2: np.ndarray) -> list[np.ndarray]:
    delta = m1 - m2
    directions = list(linalg.eigh(c2, c1)[1].T)  # generalised eigenvectors: Sigma_2 v = lambda Sigma_1 v
    if np.any(delta != 0.0):
        directions.append(delta)
        directions.append(np.linalg.solve(0.5 * (c1 + c2), delta))
    return directions


def tv_gaussian_bounds(p: Any, q: Any) -> Estimate:
    """A rigorous interval for the total variation between two Gaussians in any dimension.

    Lower bounds (the largest is kept):

    * :math:`TV \\ge H^2 = 1 - BC` (Le Cam), with the closed-form Bhattacharyya coefficient :math:`BC`;
    * :math:`TV \\ge TV(v^\\top P, v^\\top Q)` for every direction :math:`v` (data processing), evaluated exactly
      in 1D (:func:`tv_gaussian_1d`) along the generalised eigenvectors of :math:`(\\Sigma_2, \\Sigma_1)`, along
      :math:`\\Delta` and along :math:`\\bar\\Sigma^{-1}\\Delta`;
    * equal means only: :math:`TV \\ge \\tfrac{1}{100}\\min\\{1, \\|\\lambda\\|_2\\}` (DMR, below).

    Upper bounds (the smallest is kept):

    * :math:`TV \\le \\sqrt{1 - BC^2} = H\\sqrt{2 - H^2}` (Le Cam);
    * Pinsker :math:`TV \\le \\sqrt{KL/2}` and Bretagnolle–Huber :math:`TV \\le \\sqrt{1 - e^{-KL}}`, with both
      :math:`KL(P\\|Q)` and :math:`KL(Q\\|P)`;
    * equal means only: :math:`TV \\le \\tfrac32\\min\\{1, \\|\\lambda\\|_2\\}` (DMR).

    **Theorem** (Devroye, Mehrabian & Reddad 2018, "The total variation distance between high-dimensional
    Gaussians", arXiv:1810.08693, Theorem 1.1). Let :math:`\\mu \\in \\mathbb R^d`, :math:`\\Sigma_1, \\Sigma_2`
    positive definite, and :math:`\\lambda_1, \\dots, \\lambda_d` the eigenvalues of :math:`\\Sigma_1^{-1}\\Sigma_2
    - I_d`. Then

    .. math:: \\frac{1}{100} \\le \\frac{TV(\\mathcal N(\\mu, \\Sigma_1), \\mathcal N(\\mu, \\Sigma_2))}
              {\\min\\{1, \\sqrt{\\sum_i \\lambda_i^2}\\}} \\le \\frac32.

    The 2018 version also stated a bound for different means (Theorem 1.2); later arXiv versions retitled the paper
    "... with the same mean" and leave different means open, so that bound is **not** used here: for
    :math:`\\mu_1 \\ne \\mu_2` only the general inequalities above apply.

    Returns
    -------
    Estimate
        ``name="TV"``, uncertainty ``bounds`` ``[lower, upper]``; ``value`` is the midpoint of the interval (a point
        inside it, not an estimate); the note lists every bound.
    """
    m1, c1, m2, c2 = _params(p, q)
    h2 = -math.expm1(min(_log_bhattacharyya(p, q), 0.0))
    bc = 1.0 - h2
    lowers = {"Hellinger^2": h2}
    proj = 0.0
    for v in _projection_directions(m1, c1, m2, c2):
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            continue
        v = v / norm
        proj = max(proj, _tv_1d(float(v @ m1), math.sqrt(float(v @ c1 @ v)), float(v @ m2),
                                math.sqrt(float(v @ c2 @ v))))
    lowers["projection"] = proj
    kl_pq, kl_qp = _kl_raw(m1, c1, m2, c2), _kl_raw(m2, c2, m1, c1)
    kl = min(kl_pq, kl_qp)
    uppers = {
        "LeCam sqrt(1-BC^2)": math.sqrt(max(0.0, (1.0 - bc) * (1.0 + bc))),
        "Pinsker": math.sqrt(kl / 2.0),
        "Bretagnolle-Huber": math.sqrt(-math.expm1(-kl)),
        "trivial": 1.0,
    }
    if np.array_equal(m1, m2):
        x = _whitened(m1, c1, m2, c2)[0]  # eigenvalues of Sigma_2^{-1} Sigma_1 - I, accurate near 0
        lam = -x / (1.0 + x)  # eigenvalues of Sigma_1^{-1} Sigma_2 - I
        scale = min(1.0, float(np.sqrt(np.sum(lam * lam))))
        lowers["DMR Thm 1.1"] = scale / 100.0
        uppers["DMR Thm 1.1"] = 1.5 * scale
    lower, upper = max(lowers.values()), min(uppers.values())
    if lower > upper * (1.0 + 1e-12) + 1e-15:
        raise RuntimeError(f"inconsistent TV bounds: lower {lowers} > upper {uppers}")
    lower = min(lower, upper)
    note = ("lower: " + ", ".join(f"{k}={v:.6g}" for k, v in lowers.items())
            + "; upper: " + ", ".join(f"{k}={v:.6g}" for k, v in uppers.items())
            + "; value is the midpoint")
    return Estimate("TV", 0.5 * (lower + upper), "rigorous bounds (Le Cam, Pinsker, BH, projections, DMR)",
                    Uncertainty("bounds", lower, upper, None, note))


def _tv_2d_inner(x1: float, mp: tuple, mq: tuple) -> float:
    """:math:`\\int (p - q)_+(x_1, x_2)\\,dx_2`, exactly: for fixed :math:`x_1`, :math:`\\log p - \\log q` is a
    quadratic in :math:`x_2`, so :math:`\\{p > q\\}` is a union of at most two intervals whose conditional
    probabilities are normal CDFs."""
    (mu1p, v1p, cp, vcp), (mu1q, v1q, cq, vcq) = mp, mq
    lp1 = -0.5 * ((x1 - mu1p) ** 2 / v1p + math.log(2.0 * math.pi * v1p))
    lq1 = -0.5 * ((x1 - mu1q) ** 2 / v1q + math.log(2.0 * math.pi * v1q))
    mcp, mcq = cp[0] + cp[1] * x1, cq[0] + cq[1] * x1  # conditional means of x2 given x1
    sp, sq = math.sqrt(vcp), math.sqrt(vcq)
    a = -0.5 / vcp + 0.5 / vcq
    b = mcp / vcp - mcq / vcq
    c = lp1 - lq1 - 0.5 * math.log(vcp / vcq) - 0.5 * mcp * mcp / vcp + 0.5 * mcq * mcq / vcq
    inf = math.inf
    if a == 0.0:
        if b == 0.0:
            intervals = [(-inf, inf)] if c > 0.0 else []
        else:
            r = -c / b
            intervals = [(r, inf)] if b > 0.0 else [(-inf, r)]
    else:
        roots = _quadratic_roots(a, b, c)
        if roots is None:
            intervals = [(-inf, inf)] if a > 0.0 else []
        elif a < 0.0:
            intervals = [roots]
        else:
            intervals = [(-inf, roots[0]), (roots[1], inf)]
    wp, wq = math.exp(lp1), math.exp(lq1)
    total = sum(wp * _interval_prob(lo, hi, mcp, sp) - wq * _interval_prob(lo, hi, mcq, sq) for lo, hi in intervals)
    return max(total, 0.0)


def tv_gaussian_2d_quad(p: Any, q: Any) -> Estimate:
    """Total variation between two Gaussians in :math:`d = 2`, by one-dimensional adaptive quadrature of an exact
    inner integral.

    .. math:: TV = \\int_{\\mathbb R} \\Big(\\int_{\\{x_2:\\,p > q\\}} (p - q)(x_1, x_2)\\,dx_2\\Big) dx_1,

    where for fixed :math:`x_1` the set :math:`\\{p > q\\}` is cut out by a quadratic in :math:`x_2` and
    :math:`p(x_1, \\cdot) = p_1(x_1)\\,\\mathcal N(x_2; m(x_1), v)` (Gaussian conditioning), so the inner integral is
    a combination of normal CDFs. The outer integral (``scipy.integrate.quad``) is cut where the discriminant of
    that quadratic (itself a quadratic in :math:`x_1`) vanishes, i.e. where the inner integrand has square-root
    kinks, and at the marginal means :math:`\\pm\\{0,1,3,8,20\\}` standard deviations, over :math:`\\pm 40` of them.

    Returns
    -------
    Estimate
        ``name="TV"``, uncertainty ``quadrature`` (quad's error estimate); the note carries the rigorous interval of
        :func:`tv_gaussian_bounds`.
    """
    m1, c1, m2, c2 = _params(p, q)
    if p.dim != 2:
        raise ValueError(f"tv_gaussian_2d_quad needs d = 2, got d = {p.dim}")

    def split(m: np.ndarray, c: np.ndarray) -> tuple:
        slope = c[1, 0] / c[0, 0]
        return (float(m[0]), float(c[0, 0]), (float(m[1] - slope * m[0]), float(slope)),
                float(c[1, 1] - slope * c[0, 1]))

    mp, mq = split(m1, c1), split(m2, c2)

    def coefficients(x1: float) -> tuple[float, float, float]:
        """(a, b, c) of log p - log q = a x2^2 + b x2 + c at fixed x1 (as in :func:`_tv_2d_inner`)."""
        (mu1p, v1p, cp, vcp), (mu1q, v1q, cq, vcq) = mp, mq
        mcp, mcq = cp[0] + cp[1] * x1, cq[0] + cq[1] * x1
        a = -0.5 / vcp + 0.5 / vcq
        b = mcp / vcp - mcq / vcq
        c = (-0.5 * ((x1 - mu1p) ** 2 / v1p + math.log(v1p)) + 0.5 * ((x1 - mu1q) ** 2 / v1q + math.log(v1q))
             - 0.5 * math.log(vcp / vcq) - 0.5 * mcp * mcp / vcp + 0.5 * mcq * mcq / vcq)
        return a, b, c

    centres = np.array([m1[0], m2[0]])
    stds = np.sqrt([c1[0, 0], c2[0, 0]])
    lo, hi = float(np.min(centres - 40 * stds)), float(np.max(centres + 40 * stds))
    cuts = [lo, hi]
    for k in (0.0, 1.0, 3.0, 8.0, 20.0):
        cuts.extend((centres - k * stds).tolist() + (centres + k * stds).tolist())
    # the inner integrand changes form (square-root kinks, or a jump of the set {p > q} when a = b = 0) where the
    # discriminant D = b^2 - 4ac, the constant c or the slope b vanish; b is linear and c, D quadratic in x1, so
    # their roots are found exactly from three evaluations
    xs = np.array([centres.mean() - 1.0, centres.mean(), centres.mean() + 1.0])
    abc = np.array([coefficients(float(x)) for x in xs])
    for values in (abc[:, 1], abc[:, 2], abc[:, 1] ** 2 - 4.0 * abc[:, 0] * abc[:, 2]):
        cuts.extend(_real_roots(np.polyfit(xs, values, 2)))
    cuts_arr = np.unique(np.clip(np.array(cuts), lo, hi))
    total, error = 0.0, 0.0
    for a, b in zip(cuts_arr[:-1], cuts_arr[1:]):
        value, err = integrate.quad(_tv_2d_inner, a, b, args=(mp, mq), epsabs=_EPSABS, epsrel=_EPSREL, limit=200)
        total += value
        error += err
    total = min(max(total, 0.0), 1.0)
    bounds = tv_gaussian_bounds(p, q)
    note = (f"scipy.integrate.quad absolute error estimate; rigorous bounds [{bounds.uncertainty.lower:.6g}, "
            f"{bounds.uncertainty.upper:.6g}] ({bounds.uncertainty.note})")
    return Estimate("TV", total, "2D: exact inner integral (normal CDFs) + quad over x1",
                    Uncertainty("quadrature", max(total - error, 0.0), min(total + error, 1.0), None, note))


_TV_METHODS = ("auto", "bounds", "mc")


def tv_gaussian(p: Any, q: Any, *, method: str = "auto", n: int | None = None,
                rng: np.random.Generator | None = None, level: float = 0.95) -> Estimate:
    """Total variation :math:`\\tfrac12\\|p - q\\|_1` between Gaussians in any dimension.

    ``method="auto"``: exact in ``d = 1`` (:func:`tv_gaussian_1d`), quadrature in ``d = 2``
    (:func:`tv_gaussian_2d_quad`), Monte Carlo in diagonalised coordinates with a CLT interval at ``level``
    intersected with the rigorous bounds in ``d >= 3`` (:func:`theorylab.divergences.gaussian_mc.tv_gaussian_mc`;
    ``n``, ``rng`` as in :func:`js_gaussian`). ``"mc"``: that Monte Carlo route in any ``d``. ``"bounds"``: the
    rigorous interval of :func:`tv_gaussian_bounds` only (no randomness; Devroye–Mehrabian–Reddad for equal
    means). Singular laws: exactly 1 for different affine hulls, else the above on the common support."""
    from theorylab.divergences import gaussian_mc as mc

    if method not in _TV_METHODS:
        raise ConfigError(f"method: must be one of {', '.join(_TV_METHODS)}, got {method!r}")

    def route(a: Any, b: Any) -> Estimate:
        if method == "bounds":
            return tv_gaussian_bounds(a, b)
        if method == "auto" and a.dim == 1:
            return tv_gaussian_1d(a, b)
        if method == "auto" and a.dim == 2:
            return tv_gaussian_2d_quad(a, b)
        return mc.tv_gaussian_mc(a, b, mc.DEFAULT_MC_SAMPLES if n is None else n, rng, level=level)

    special_case = _singular_route("TV", p, q, route)
    return special_case if special_case is not None else route(p, q)
