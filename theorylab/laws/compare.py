"""Divergences between an :class:`~theorylab.laws.base.OutputLaw` and another law, through
:mod:`theorylab.divergences` (no divergence is re-implemented here).

* ``exact`` (a Gaussian): :func:`theorylab.divergences.divergence` (closed forms between Gaussians, 1D quadrature
  against 1D mixtures); where it has no deterministic route (e.g. a 2D Gaussian against a 2D mixture) and
  ``d <= 2``, both laws are tabulated on a common grid (:func:`~theorylab.laws.grid_route.auto_domain` of both,
  spacing a tenth of the smallest standard deviation) and compared with the grid functions
  (:meth:`~theorylab.laws.grid_law.GridLaw.divergence`).
* ``grid``: :meth:`GridLaw.divergence <theorylab.laws.grid_law.GridLaw.divergence>` (the law's refinement error folded
  into the interval where a TV bound exists).
* ``samples``: :meth:`SampleLaw.divergence <theorylab.laws.samples.SampleLaw.divergence>` (bootstrap CIs).

Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL natural log, :math:`KL(\\text{output}\\|\\text{other})`; JS
:math:`\\tfrac12`-weighted, natural log; Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}`; W2 the distance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["GAUSSIAN_GRID_POINTS_PER_STD", "compare", "tabulate"]

#: Nodes per smallest standard deviation when a Gaussian output law is tabulated for a grid comparison: spacing
#: sigma/10 puts the O(dx^2) kink error of the TV integrand below ~1e-4 of its size, and the grid functions report
#: their own refinement error on top.
GAUSSIAN_GRID_POINTS_PER_STD: float = 10.0
_NAMES = ("tv", "kl", "js", "hellinger", "w2")


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


def compare(output: Any, name: str, other: Any, **options: Any):
    """Divergence ``name`` between ``output.law`` and ``other`` (see module docstring); returns an
    :class:`~theorylab.divergences.Estimate`."""
    from theorylab.divergences import divergence

    key = str(name).lower()
    if key not in _NAMES:
        raise ConfigError(f"metrics.divergence: unknown divergence {name!r}; choose one of {list(_NAMES)}")
    if output.method == "exact":
        if options:
            raise ConfigError(f"metrics.divergence: options {sorted(options)} apply to grid or sample laws only")
        try:
            return divergence(key, output.law, other)
        except NotImplementedError:
            if output.dim > 2:
                raise NotImplementedError(
                    f"{key}: no deterministic route between the Gaussian output law and {type(other).__name__} in "
                    f"d = {output.dim}; use theorylab.divergences.montecarlo") from None
            return tabulate(output.law, other).divergence(key, other)
    return output.law.divergence(key, other, **options)
