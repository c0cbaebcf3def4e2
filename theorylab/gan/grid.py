"""Uniform evaluation grids and the trapezoid rule with a refinement error, for functions that are only available
pointwise (a learned discriminator :math:`D_\\theta`, whose value and gaps to :math:`D^*` are integrated against
:math:`\\pi + \\mu_G`).

The rule is the one of :mod:`theorylab.divergences.grid` (kept private there): the composite trapezoid rule
:math:`T_h` (``scipy.integrate.trapezoid`` along each axis) with the error estimate :math:`|T_h - T_{2h}|`
(every other node, on grids with an odd number of nodes per axis so that the coarse grid spans the same box) plus a
round-off floor :math:`N\\epsilon\\int|f|`. For piecewise-smooth integrands (an MLP with kinks) the rule is
:math:`O(h^2)` and the estimate, by Richardson's argument, about 3x conservative; it presumes the grid resolves the
densities (spacing well below their smallest standard deviation), which :func:`evaluation_grid` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate, special

from theorylab.gan.quadrature import component_scales, uniform_axes

__all__ = ["EvaluationGrid", "evaluation_grid", "trapezoid_with_error"]


@dataclass(frozen=True)
class EvaluationGrid:
    """A uniform grid over a box around two laws.

    Attributes
    ----------
    axes : list of numpy.ndarray
        Node coordinates per axis (odd counts).
    points : numpy.ndarray, shape ``(n_1, ..., n_d, d)``
    n_std : float
        Half-width of the box in component standard deviations.
    resolved : bool
        Whether the spacing is at most half the smallest component standard deviation of either law.
    tail_mass : float
        Union bound on the mass of :math:`\\pi + \\mu_G` outside the box (:math:`2\\cdot 2d\\,\\Phi(-n_{std})`).
    """

    axes: list[np.ndarray]
    points: np.ndarray
    n_std: float
    resolved: bool
    tail_mass: float


def evaluation_grid(laws: tuple[Any, ...], n_points: int, n_std: float = 8.0) -> EvaluationGrid:
    """Uniform grid with ``n_points`` nodes per axis (made odd) over every component :math:`\\pm` ``n_std``
    standard deviations (default 8: the mass outside is below :math:`10^{-14}`)."""
    n = int(n_points) + (1 - int(n_points) % 2)
    axes = uniform_axes(laws, n, n_std)
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    smallest = min(float(np.min(component_scales(law)[2])) for law in laws)
    spacing = max(float(ax[1] - ax[0]) for ax in axes)
    d = laws[0].dim
    return EvaluationGrid(axes, points, float(n_std), spacing <= 0.5 * smallest,
                          len(laws) * 2 * d * float(special.ndtr(-n_std)))


def _trapezoid(f: np.ndarray, axes: list[np.ndarray]) -> float:
    out = f
    for ax in reversed(axes):
        out = integrate.trapezoid(out, ax, axis=-1)
    return float(out)


def trapezoid_with_error(values: np.ndarray, axes: list[np.ndarray]) -> tuple[float, float]:
    """:math:`(T_h, |T_h - T_{2h}| + N\\epsilon\\int|f|)` for values on a uniform grid with odd node counts.

    Parameters
    ----------
    values : numpy.ndarray, shape ``(n_1, ..., n_d)``
    axes : list of numpy.ndarray
    """
    fine = _trapezoid(values, axes)
    sub = tuple(slice(None, None, 2) for _ in axes)
    coarse = _trapezoid(values[sub], [ax[::2] for ax in axes])
    roundoff = values.size * float(np.finfo(np.float64).eps) * _trapezoid(np.abs(values), axes)
    return fine, abs(fine - coarse) + roundoff
