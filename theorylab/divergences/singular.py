"""Supports of (possibly singular) Gaussians, and the divergences that singularity makes exact.

A Gaussian :math:`P = \\mathcal N(\\mu, \\Sigma)` with :math:`\\Sigma` positive semi-definite of rank :math:`r` lives
on its affine hull :math:`A_P = \\mu + \\operatorname{range}\\Sigma` (dimension :math:`r`) and, restricted to it, has
a positive density w.r.t. the :math:`r`-dimensional Lebesgue measure of :math:`A_P`.

**Fact 1 (different hulls: mutual singularity).** If :math:`A_P \\ne A_Q` then :math:`P \\perp Q`. Proof: the
intersection :math:`A_P \\cap A_Q` is a proper affine subspace of :math:`A_P` or of :math:`A_Q`, say of :math:`A_P`
(the other case is symmetric). A proper affine subspace of :math:`A_P` has :math:`P`-measure 0 (:math:`P` has a
density on :math:`A_P`). Take :math:`S = A_Q`: :math:`Q(S) = 1` and :math:`P(S) = P(A_P \\cap A_Q) = 0`. Hence

.. math:: TV = 1, \\qquad H^2 = 1 - \\int\\sqrt{pq} = 1, \\qquad JS = \\ln 2, \\qquad KL(P\\|Q) = KL(Q\\|P) = +\\infty,

exactly (the convention values: JS is maximal, :math:`\\ln 2`, iff the laws are mutually singular). :math:`A_P = A_Q`
iff :math:`\\operatorname{range}\\Sigma_P = \\operatorname{range}\\Sigma_Q` and :math:`\\mu_P - \\mu_Q \\in
\\operatorname{range}\\Sigma_P`; both are decided with the tolerance :data:`~theorylab.tolerances.SUPPORT_RTOL`.
(Two *definite* Gaussians always share the hull :math:`\\mathbb R^d`.)

**Fact 2 (same hull: reduction).** If :math:`A_P = A_Q = \\mu_Q + \\operatorname{range}V` (:math:`V` a
:math:`d\\times r` orthonormal basis), the map :math:`x \\mapsto V^\\top(x - \\mu_Q)` is a bijection of the common
support onto :math:`\\mathbb R^r`, so every f-divergence (TV, KL, JS, Hellinger) equals that of the reduced, definite
pair :math:`\\mathcal N(V^\\top(\\mu_P - \\mu_Q), V^\\top\\Sigma_P V)`, :math:`\\mathcal N(0, V^\\top\\Sigma_Q V)`.
W2 needs neither fact: the Bures formula holds for PSD covariances (:func:`theorylab.divergences.gaussian.w2_gaussian`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.divergences.estimate import Estimate, exact_estimate
from theorylab.tolerances import SUPPORT_RTOL

__all__ = ["affine_hull", "is_singular", "mutually_singular_estimate", "reduce_to_common_support"]

_MUTUAL = {"TV": 1.0, "Hellinger": 1.0, "JS": math.log(2.0), "KL": math.inf}


def is_singular(law: Any) -> bool:
    """Whether a Gaussian law has a singular covariance."""
    return bool(getattr(law, "is_singular", False))


def affine_hull(law: Any) -> tuple[np.ndarray, np.ndarray, float]:
    """``(mu, V, scale)``: the mean, an orthonormal basis ``(d, r)`` of :math:`\\operatorname{range}\\Sigma` (the
    eigenvectors of :meth:`~theorylab.distributions.Gaussian.eigh` with a positive eigenvalue) and
    :math:`\\sqrt{\\lambda_{\\max}}` (the length scale for the tolerance)."""
    lam, u = law.eigh()
    keep = lam > 0.0
    return law.mean(), u[:, keep], math.sqrt(float(np.max(lam))) if np.any(keep) else 0.0


def _same_hull(p: Any, q: Any) -> tuple[bool, np.ndarray]:
    mp, vp, sp = affine_hull(p)
    mq, vq, sq = affine_hull(q)
    if vp.shape[1] != vq.shape[1]:
        return False, vq
    if vp.shape[1] > 0:
        # sine of the largest principal angle between the ranges: ||(I - Vq Vq^T) Vp||_2
        resid = vp - vq @ (vq.T @ vp)
        if float(np.linalg.norm(resid, 2)) > SUPPORT_RTOL:
            return False, vq
    delta = mp - mq
    off = delta - vq @ (vq.T @ delta)
    scale = max(float(np.linalg.norm(delta)), sp, sq)
    return float(np.linalg.norm(off)) <= SUPPORT_RTOL * scale, vq


def reduce_to_common_support(p: Any, q: Any) -> tuple[Any, Any] | None:
    """The reduced definite pair of Fact 2 (module docstring), or None when the affine hulls differ (Fact 1).

    Returns ``(p_r, q_r)`` :class:`~theorylab.distributions.Gaussian` laws in dimension ``r`` (``r = 0``: both
    laws are the same Dirac mass; then ``()`` is returned)."""
    from theorylab.distributions import Gaussian

    same, v = _same_hull(p, q)
    if not same:
        return None
    if v.shape[1] == 0:
        return ()  # type: ignore[return-value]
    mq = q.mean()
    pr = Gaussian(v.T @ (p.mean() - mq), v.T @ p.covariance() @ v)
    qr = Gaussian(np.zeros(v.shape[1]), v.T @ q.covariance() @ v)
    return pr, qr


def mutually_singular_estimate(name: str, p: Any, q: Any) -> Estimate:
    """The exact value of ``name`` (``"TV"``, ``"KL"``, ``"JS"``, ``"Hellinger"``) for mutually singular laws."""
    value = _MUTUAL[name]
    why = (f"mutually singular: different affine hulls (ranks {p.rank}, {q.rank}; a hull is mean + range(cov)); "
           "exact by singularity")
    return exact_estimate(name, value, why, note="exact: P(S) = 0 and Q(S) = 1 for S the hull of one law")


def zero_estimate(name: str) -> Estimate:
    """The divergence between a Dirac mass and itself: exactly 0."""
    return exact_estimate(name, 0.0, "identical Dirac masses (rank 0, same point)")


def reduced_method(est: Estimate, r: int, d: int) -> Estimate:
    """``est`` with its method saying that it was computed on the common support of dimension ``r``."""
    return Estimate(est.name, est.value, f"{est.method}; on the common support (dimension {r} of {d})",
                    est.uncertainty)
