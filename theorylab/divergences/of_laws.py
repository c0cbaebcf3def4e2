"""Divergences between a sampler's output law and another law: one estimator dispatch keyed by the divergence and the
law's representation (DESIGN.md, "Laws are tagged by representation"; laws do not import divergences).

=================  ==========================================================================================
representation     route
=================  ==========================================================================================
``closed-form``    (the exact route's Gaussian, any :class:`~theorylab.distributions.Distribution`):
                   :func:`theorylab.divergences.divergence` (closed forms between Gaussians, 1D quadrature against
                   1D mixtures); where it has no deterministic route and ``d <= 2``, both laws are tabulated on a
                   common grid (:func:`tabulate`) and compared as grid laws
``grid``           :func:`grid_law_divergence`: the grid functions of :mod:`theorylab.divergences.grid` on the
                   law's nodes (refined with its exact evaluator), the law's refinement error folded into the
                   interval where a TV bound exists
``samples``        :func:`sample_law_divergence`: :mod:`theorylab.divergences.samples` (bootstrap CIs)
=================  ==========================================================================================

A law declares its representation with a ``representation`` attribute (:class:`~theorylab.laws.grid_law.GridLaw`:
``"grid"``, :class:`~theorylab.laws.samples.SampleLaw`: ``"samples"``; anything else is ``"closed-form"``). A new
representation is one function plus one line in :data:`ESTIMATORS`.

Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL natural log, :math:`KL(\\text{output}\\|\\text{other})`; JS
:math:`\\tfrac12`-weighted, natural log; Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}`; W2 the distance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from theorylab.divergences.dispatch import DIVERGENCES, divergence
from theorylab.divergences.estimate import Estimate, Uncertainty
from theorylab.errors import ConfigError

__all__ = ["ESTIMATORS", "GAUSSIAN_GRID_POINTS_PER_STD", "compare", "grid_law_divergence", "representation_of",
           "sample_law_divergence", "tabulate"]

#: Nodes per smallest standard deviation when a Gaussian output law is tabulated for a grid comparison: spacing
#: sigma/10 puts the O(dx^2) kink error of the TV integrand below ~1e-4 of its size, and the grid functions report
#: their own refinement error on top.
GAUSSIAN_GRID_POINTS_PER_STD: float = 10.0


def check_name(name: Any) -> str:
    """The registry key of a divergence name (ConfigError naming ``metrics.divergence`` otherwise)."""
    key = str(name).lower()
    if key not in DIVERGENCES:
        raise ConfigError(f"metrics.divergence: unknown divergence {name!r}; choose one of {list(DIVERGENCES)}")
    return key


def representation_of(law: Any) -> str:
    """``law.representation`` (``"grid"``, ``"samples"``), else ``"closed-form"``."""
    return str(getattr(law, "representation", "closed-form"))


def tabulate(law: Any, other: Any = None, points_per_std: float = GAUSSIAN_GRID_POINTS_PER_STD):
    """A :class:`~theorylab.laws.grid_law.GridLaw` of a 1D/2D law with a density on the union of the automatic
    domains of ``law`` and ``other`` (exact density values at the nodes; the law is its own evaluator)."""
    from theorylab.laws.grid_law import GridLaw
    from theorylab.laws.grid_route import _component_scales, auto_domain

    d = int(law.dim)
    if d > 2:
        raise NotImplementedError(f"tabulate: grids are 1D or 2D, got d = {d}")
    dom = auto_domain(d, law, other)
    scales = [float(np.min(_component_scales(law)[1]))]
    if other is not None:
        try:
            scales.append(float(np.min(_component_scales(other)[1])))
        except (NotImplementedError, AttributeError):
            pass
    dx = min(scales) / points_per_std
    n = int(math.ceil(max(hi - lo for lo, hi in dom) / dx)) + 1
    axes = [np.linspace(lo, hi, n) for lo, hi in dom]
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    grid_law = GridLaw(axes, np.asarray(law.pdf(mesh), dtype=np.float64), error_estimate=0.0,
                       log_evaluator=lambda pts: np.asarray(law.logpdf(pts), dtype=np.float64),
                       note="exact density values tabulated on a grid")
    grid_law.truncated_mass = max(1.0 - grid_law.mass(), 0.0)
    return grid_law


def closed_form_divergence(law: Any, name: str, other: Any, **options: Any) -> Estimate:
    """A law with a density in closed form (the exact route): deterministic routes, else a grid in d <= 2."""
    if options:
        raise ConfigError(f"metrics.divergence: options {sorted(options)} apply to grid or sample laws only")
    try:
        return divergence(name, law, other)
    except (NotImplementedError, ConfigError):
        if int(law.dim) > 2:
            raise NotImplementedError(
                f"{name}: no deterministic route between the Gaussian output law and {type(other).__name__} in "
                f"d = {law.dim}; use theorylab.divergences.montecarlo") from None
        return grid_law_divergence(tabulate(law, other), name, other)


def grid_law_divergence(law: Any, name: str, other: Any, axes: Any = None, refine: int | None = None) -> Estimate:
    """Divergence between a :class:`~theorylab.laws.grid_law.GridLaw` and ``other`` (anything with ``logpdf``).

    Parameters
    ----------
    name : {"tv", "kl", "js", "hellinger", "w2"}
        KL is :math:`KL(\\text{law}\\|\\text{other})`; W2 is 1D only.
    axes : sequence of arrays, optional
        Evaluate both laws on these axes instead of the law's nodes.
    refine : int, optional
        Without ``axes``: evaluate on the same domain with ``refine`` times finer spacing (the TV integrand has kinks,
        whose quadrature error is :math:`O(\\Delta x^2)`). Default 4 for a 1D law with an exact evaluator (off-node
        values cost one last step or one flow inversion), else 1 (in 2D a factor k costs k^2 more evaluations).

    Returns
    -------
    Estimate
        From :mod:`theorylab.divergences.grid` (``log=True``). The law's own discretisation error is folded into the
        interval where the divergence is controlled by TV: TV widens by ``error_estimate`` (triangle inequality),
        Hellinger by :math:`\\sqrt{\\text{err}}` (:math:`H^2 \\le TV`), JS in :math:`\\sqrt{JS}` (a metric) by
        :math:`\\sqrt{\\ln 2\\,\\text{err}}` (:math:`JS \\le \\ln 2\\,TV`). KL and W2 have no such bound: the note says so.
    """
    from theorylab.divergences.grid import hellinger_grid, js_grid, kl_grid, tv_grid, w2_grid_1d

    key = check_name(name)
    if axes is None:
        default = 4 if (law.has_evaluator and law.dim == 1) else 1
        factor = default if refine is None else int(refine)
        if factor < 1:
            raise ConfigError(f"metrics.grid_refine: must be an integer >= 1, got {refine!r}")
        if factor > 1:
            axes = [np.linspace(a[0], a[-1], factor * (a.size - 1) + 1) for a in law.axes]
    fine = law if axes is None else law.on_grid(*axes)
    if getattr(other, "dim", None) != law.dim:
        raise ValueError(f"{key}: dimensions differ ({law.dim} and {getattr(other, 'dim', None)})")
    mesh = fine.mesh()
    with np.errstate(divide="ignore"):
        log_p = np.log(fine.density)
    log_q = np.asarray(other.logpdf(mesh), dtype=np.float64)
    coords = fine.axes
    if key == "w2" and law.dim == 2:
        return _w2_grid_2d(law, other)
    if key == "w2":
        est = w2_grid_1d(log_p, log_q, coords[0], log=True)
    else:
        func = {"tv": tv_grid, "kl": kl_grid, "js": js_grid, "hellinger": hellinger_grid}[key]
        est = func(log_p, log_q, *coords, log=True)
    err = law.error_estimate
    u = est.uncertainty
    if err is None or key in ("kl", "w2"):
        extra = "; the law's own discretisation error is not folded in" + (
            f" (refinement TV {err:.3g}; {key.upper()} has no TV bound)" if err is not None else "")
        return Estimate(est.name, est.value, est.method, Uncertainty(u.kind, u.lower, u.upper, u.level,
                                                                       u.note + extra))
    if key == "tv":
        lo, hi = max(u.lower - err, 0.0), min(u.upper + err, 1.0)
    elif key == "hellinger":
        r = math.sqrt(err)
        lo, hi = max(u.lower - r, 0.0), min(u.upper + r, 1.0)
    else:  # js: sqrt(JS) is a metric and JS(p_h, p) <= ln2 TV(p_h, p)
        r = math.sqrt(math.log(2.0) * err)
        lo = max(math.sqrt(max(u.lower, 0.0)) - r, 0.0) ** 2
        hi = min((math.sqrt(max(u.upper, 0.0)) + r) ** 2, math.log(2.0))
    note = u.note + f"; widened by the law's refinement TV estimate {err:.3g}"
    return Estimate(est.name, est.value, est.method + " (grid law)", Uncertainty("grid", lo, hi, None, note))


def _w2_grid_2d(law: Any, other: Any) -> Estimate:
    """W2 in 2D by exact transport between node masses (:func:`~theorylab.divergences.grid_w2.w2_grid_2d`); the law's
    own refinement TV error ``e`` is folded in through :math:`W_2 \\le D\\sqrt{TV}` on the grid's domain of diameter
    :math:`D` (Villani 2009, Thm 6.15: :math:`W_2^2 \\le D^2\\,TV` on a set of diameter D)."""
    from theorylab.divergences.grid_w2 import w2_grid_2d

    est = w2_grid_2d(law.density, law.axes, other)
    err = law.error_estimate
    u = est.uncertainty
    if not err:
        return est
    diameter = math.hypot(*(a[-1] - a[0] for a in law.axes))
    widen = diameter * math.sqrt(err)
    return Estimate(est.name, est.value, est.method + " (grid law)",
                    Uncertainty("grid", max(u.lower - widen, 0.0), u.upper + widen, None,
                                u.note + f"; widened by D sqrt(refinement TV {err:.3g}) = {widen:.3g}"))


def sample_law_divergence(law: Any, name: str, other: Any, rng: np.random.Generator | int | None = None,
                          **options: Any) -> Estimate:
    """Divergence between a :class:`~theorylab.laws.samples.SampleLaw`'s particles and ``other``, with a bootstrap CI.

    ``tv``, ``kl``, ``js``, ``hellinger``: :func:`theorylab.divergences.tv_samples` etc. (``d <= 2``; options
    ``estimator``, ``bins``, ``n_boot``, ``level``, ``grid_size``); ``w2``: :func:`theorylab.divergences.w2_samples`.
    ``rng`` (a generator or an integer seed; default the law's seed) drives the bootstrap.
    """
    from theorylab.divergences.samples import hellinger_samples, js_samples, kl_samples, tv_samples, w2_samples

    funcs = {"tv": tv_samples, "kl": kl_samples, "js": js_samples, "hellinger": hellinger_samples,
             "w2": w2_samples}
    key = check_name(name)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(law.seed if rng is None else rng)
    return funcs[key](law.samples, other, rng, **options)


#: The estimator of each law representation.
ESTIMATORS: dict[str, Callable[..., Estimate]] = {
    "closed-form": closed_form_divergence,
    "grid": grid_law_divergence,
    "samples": sample_law_divergence,
}


def compare(law: Any, name: str, other: Any, **options: Any) -> Estimate:
    """Divergence ``name`` between ``law`` (an :class:`~theorylab.laws.base.OutputLaw` or a bare law) and ``other``,
    by the estimator of the law's representation (module docstring)."""
    inner = getattr(law, "law", law) if hasattr(law, "error") else law
    key = check_name(name)
    return ESTIMATORS[representation_of(inner)](inner, key, other, **options)
