"""Deterministic divergences between two laws, routed to the best exact method available.

=========  =====================================================  ===========================================
name       two Gaussians                                          two 1D Gaussians / Gaussian mixtures
=========  =====================================================  ===========================================
``tv``     exact (d=1), quadrature (d=2), MC + bounds (d>=3)      quadrature
``kl``     closed form (any d)                                    quadrature
``js``     quadrature (d=1), MC + bounds (d>=2)                   quadrature
``hellinger`` closed form (any d)                                 quadrature
``w2``     closed form, Bures–Wasserstein (any d)                 quantile formula (quadrature)
=========  =====================================================  ===========================================

Gaussians may be singular (:mod:`theorylab.divergences.singular`: exact values for mutually singular laws, else
the route on the common support). The Monte Carlo routes (:mod:`theorylab.divergences.gaussian_mc`) are seeded with
a fixed seed here, so the dispatch is deterministic.

Typical use: the distance between a target (seed 002's mixture, slide "Mistura de gaussianas") and the exact law of
a sampler's output, e.g. ``divergence("tv", target, target.chain_marginal(k, gamma))``.

Anything else (mixtures in d >= 2, sample-only data sets) has no deterministic route here: use
:mod:`theorylab.divergences.montecarlo` (laws with densities) or :mod:`theorylab.divergences.samples` (samples).
A new divergence is one function plus one line in :data:`DIVERGENCES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from theorylab.divergences import gaussian as g
from theorylab.divergences import quadrature as qd
from theorylab.divergences.estimate import Estimate
from theorylab.errors import ConfigError

__all__ = ["DIVERGENCES", "divergence", "hellinger", "js", "kl", "tv", "w2"]


def _is_gaussian(law: Any) -> bool:
    return hasattr(law, "eigh") and hasattr(law, "sqrt_factor")


def _is_1d_mixture(law: Any) -> bool:
    return getattr(law, "dim", None) == 1 and hasattr(law, "as_mixture")


def _route(name: str, p: Any, q: Any, gaussian: Callable[[Any, Any], Estimate] | None,
           mixture_1d: Callable[[Any, Any], Estimate]) -> Estimate:
    if getattr(p, "dim", None) != getattr(q, "dim", None):
        raise ValueError(f"{name}: dimensions differ ({getattr(p, 'dim', None)} and {getattr(q, 'dim', None)})")
    if gaussian is not None and _is_gaussian(p) and _is_gaussian(q):
        return gaussian(p, q)
    if _is_1d_mixture(p) and _is_1d_mixture(q):
        return mixture_1d(p, q)
    raise NotImplementedError(
        f"{name}: no deterministic route between {type(p).__name__} and {type(q).__name__} in d = {p.dim}; use "
        "theorylab.divergences.montecarlo or theorylab.divergences.samples")


def tv(p: Any, q: Any) -> Estimate:
    """Total variation :math:`\\tfrac12\\|p-q\\|_1` (see the table in the module docstring)."""
    return _route("tv", p, q, g.tv_gaussian, qd.tv_quad_1d)


def kl(p: Any, q: Any) -> Estimate:
    """:math:`KL(P\\|Q)`, natural log."""
    return _route("kl", p, q, g.kl_gaussian, qd.kl_quad_1d)


def js(p: Any, q: Any) -> Estimate:
    """Jensen–Shannon, :math:`\\tfrac12`-weighted, natural log (:math:`\\le \\ln 2`)."""
    return _route("js", p, q, g.js_gaussian, qd.js_quad_1d)


def hellinger(p: Any, q: Any) -> Estimate:
    """Hellinger distance :math:`H`, :math:`H^2 = 1 - \\int\\sqrt{pq}`."""
    return _route("hellinger", p, q, g.hellinger_gaussian, qd.hellinger_quad_1d)


def w2(p: Any, q: Any) -> Estimate:
    """Wasserstein-2 distance (not squared)."""
    return _route("w2", p, q, g.w2_gaussian, qd.w2_quantile_1d)


#: name -> function(p, q) -> Estimate.
DIVERGENCES: dict[str, Callable[[Any, Any], Estimate]] = {
    "tv": tv,
    "kl": kl,
    "js": js,
    "hellinger": hellinger,
    "w2": w2,
}


def divergence(name: str, p: Any, q: Any) -> Estimate:
    """``DIVERGENCES[name](p, q)``; an unknown name raises :class:`ConfigError`."""
    if name not in DIVERGENCES:
        raise ConfigError(f"divergence: unknown name {name!r} (expected one of {', '.join(DIVERGENCES)})")
    return DIVERGENCES[name](p, q)
