"""A law tabulated on a uniform 1D or 2D grid, with its error control: :class:`GridLaw`.

Produced by :func:`theorylab.laws.propagate.grid_output_law` (the output law of a sampler computed on a grid), and
usable wherever a law with a density is: ``pdf``/``logpdf`` at any point, ``cdf`` (1D), ``mean``/``covariance``,
the density on another grid (:meth:`GridLaw.on_grid`); divergences against any law with a ``logpdf`` are computed
by :func:`theorylab.divergences.compare` (representation ``"grid"``: laws do not import divergences).

Evaluation off the nodes. A grid law may carry an *evaluator*: a function that computes the log-density exactly (to
the accuracy of the propagation) at arbitrary points, e.g. the last Euler–Maruyama step's kernel sum
:math:`p_N(y) = \\sum_j w_j p_{N-1}(x_j)\\,\\varphi_v(y - \\mu(x_j))`, or the inverse flow map of an ODE sampler.
Without one, values between nodes come from a cubic spline of the log-density (``scipy.interpolate.CubicSpline`` in 1D,
``RegularGridInterpolator(method="cubic")`` in 2D), which is exact for Gaussian laws (log-density quadratic) and
:math:`O(\\Delta x^4)` accurate for smooth log-densities. Outside the domain the density is 0 (the truncated mass).

Error control (:attr:`GridLaw.tv_bound`): ``error_estimate`` (TV between the law computed with :math:`n` and
:math:`2n-1` nodes per axis, an estimate of the discretisation error of the coarser, hence conservative for the
reported finer one) plus :math:`\\tfrac12` ``truncated_mass`` (mass lost outside the domain; for a sub-Markov
truncation of a Markov chain this is exactly twice the TV it causes, see :mod:`theorylab.laws.propagate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import integrate, interpolate

from theorylab.errors import ConfigError

__all__ = ["GridLaw", "LOG_FLOOR"]

#: Log-density floor used only for spline interpolation where the tabulated density underflows to 0
#: (exp(-700) ~ 1e-304, just above the smallest normal float64).
LOG_FLOOR: float = -700.0



def _as_points(x: Any, dim: int) -> tuple[np.ndarray, tuple[int, ...]]:
    arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise ValueError(f"points must have shape (..., {dim}), got {arr.shape}")
    return arr.reshape(-1, dim), arr.shape[:-1]


class GridLaw:
    """Density values on a uniform grid (1D or 2D) with their error control.

    Parameters
    ----------
    axes : sequence of numpy.ndarray
        One uniformly spaced, increasing coordinate array per dimension (``d = len(axes)`` in {1, 2}).
    density : numpy.ndarray, shape ``(n,)`` or ``(n1, n2)``
        Density values at the nodes (``indexing="ij"``), ``>= 0``.
    error_estimate : float, optional
        Refinement estimate of the TV discretisation error (see module docstring).
    truncated_mass : float
        Probability mass of the law outside the domain (``>= 0``).
    note : str
        How the law was computed.
    log_evaluator : callable, optional
        ``f(points (m, d)) -> log-density (m,)`` exact off the nodes (see module docstring).
    cdf_evaluator : callable, optional
        1D only: ``F(x (m,)) -> (m,)``, the exact CDF (of the untruncated law).
    """

    #: How :func:`theorylab.divergences.compare` dispatches on this law.
    representation = "grid"

    def __init__(self, axes: Any, density: Any, *, error_estimate: float | None = None, truncated_mass: float = 0.0,
                 note: str = "", log_evaluator: Callable[[np.ndarray], np.ndarray] | None = None,
                 cdf_evaluator: Callable[[np.ndarray], np.ndarray] | None = None):
        self.axes = [np.asarray(a, dtype=np.float64).reshape(-1) for a in axes]
        self.dim = len(self.axes)
        if self.dim not in (1, 2):
            raise ValueError(f"a grid law is 1D or 2D, got {self.dim} axes")
        self.density = np.asarray(density, dtype=np.float64)
        shape = tuple(a.size for a in self.axes)
        if self.density.shape != shape:
            raise ValueError(f"density has shape {self.density.shape}, expected {shape}")
        if np.any(~np.isfinite(self.density)) or np.any(self.density < 0):
            raise ValueError("density values must be finite and >= 0")
        self.dx = tuple(float(a[1] - a[0]) for a in self.axes)
        self.error_estimate = None if error_estimate is None else float(error_estimate)
        self.truncated_mass = float(truncated_mass)
        self.note = note
        self._log_evaluator = log_evaluator
        self._cdf_evaluator = cdf_evaluator
        self._spline = None

    # ---- geometry ---------------------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.density.shape

    @property
    def domain(self) -> list[tuple[float, float]]:
        """``[(lo, hi)]`` per axis (first and last node)."""
        return [(float(a[0]), float(a[-1])) for a in self.axes]

    @property
    def has_evaluator(self) -> bool:
        """Whether off-node values come from an exact evaluator (else from a spline of the log-density)."""
        return self._log_evaluator is not None

    def tv_to(self, density: np.ndarray) -> float:
        """:math:`\\tfrac12\\int|p - q|` against node values ``density`` on the same nodes (trapezoid rule): the
        refinement estimate of the grid route; at most 1, as any TV, when the nodes under-resolve the densities."""
        return min(0.5 * self._integrate(np.abs(self.density - np.asarray(density, dtype=np.float64))), 1.0)

    @property
    def tv_bound(self) -> float | None:
        """``error_estimate + truncated_mass / 2`` (None without a refinement estimate)."""
        if self.error_estimate is None:
            return None
        return self.error_estimate + 0.5 * self.truncated_mass

    def mesh(self) -> np.ndarray:
        """Node coordinates, shape ``(*shape, d)`` (``indexing="ij"``)."""
        return np.stack(np.meshgrid(*self.axes, indexing="ij"), axis=-1)

    def _integrate(self, f: np.ndarray) -> float:
        out = f
        for ax in reversed(self.axes):
            out = integrate.trapezoid(out, ax, axis=-1)
        return float(out)

    def mass(self) -> float:
        """:math:`\\int_{\\text{domain}} p` by the trapezoid rule."""
        return self._integrate(self.density)

    # ---- densities --------------------------------------------------------------------------------------------
    def _interp_log(self, pts: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_d = np.maximum(np.log(self.density), LOG_FLOOR)
        if self._spline is None:
            if self.dim == 1:
                self._spline = interpolate.CubicSpline(self.axes[0], log_d, extrapolate=False)
            else:
                self._spline = interpolate.RegularGridInterpolator(self.axes, log_d, method="cubic",
                                                                   bounds_error=False, fill_value=None)
        inside = np.ones(pts.shape[0], dtype=bool)
        for j, ax in enumerate(self.axes):
            inside &= (pts[:, j] >= ax[0]) & (pts[:, j] <= ax[-1])
        out = np.full(pts.shape[0], -np.inf)
        if np.any(inside):
            vals = self._spline(pts[inside, 0]) if self.dim == 1 else self._spline(pts[inside])
            out[inside] = np.where(vals <= LOG_FLOOR, -np.inf, vals)
        return out

    def logpdf(self, x: Any) -> np.ndarray:
        """Log-density at points ``(..., d) -> (...)`` (evaluator if any, else spline of the log-density; ``-inf``
        outside the domain for the spline)."""
        pts, batch = _as_points(x, self.dim)
        if self._log_evaluator is not None:
            vals = np.asarray(self._log_evaluator(pts), dtype=np.float64)
        else:
            vals = self._interp_log(pts)
        return vals.reshape(batch)

    def pdf(self, x: Any) -> np.ndarray:
        """Density at points ``(..., d) -> (...)``."""
        return np.exp(self.logpdf(x))

    def cdf(self, x: Any) -> np.ndarray:
        """1D: :math:`F(x) = P(X \\le x)`; exact if the law carries a CDF evaluator, else
        :math:`\\int_{\\text{lo}}^x` of the cubic spline of the density (0 below the domain, the in-domain mass
        above)."""
        if self.dim != 1:
            raise NotImplementedError("cdf: defined for 1D grid laws only")
        xs = np.asarray(x, dtype=np.float64)
        if self._cdf_evaluator is not None:
            return np.asarray(self._cdf_evaluator(xs.reshape(-1)), dtype=np.float64).reshape(xs.shape)
        ax = self.axes[0]
        anti = interpolate.CubicSpline(ax, self.density).antiderivative()
        clipped = np.clip(xs, ax[0], ax[-1])
        return np.asarray(anti(clipped) - anti(ax[0]), dtype=np.float64)

    # ---- moments ----------------------------------------------------------------------------------------------
    def mean(self) -> np.ndarray:
        """Mean of the in-domain law (normalised by :meth:`mass`), shape ``(d,)``."""
        mesh = self.mesh()
        m = self.mass()
        return np.array([self._integrate(self.density * mesh[..., j]) / m for j in range(self.dim)])

    def covariance(self) -> np.ndarray:
        """Covariance of the in-domain law (normalised by :meth:`mass`), shape ``(d, d)``."""
        mesh = self.mesh() - self.mean()
        m = self.mass()
        cov = np.empty((self.dim, self.dim))
        for i in range(self.dim):
            for j in range(self.dim):
                cov[i, j] = self._integrate(self.density * mesh[..., i] * mesh[..., j]) / m
        return 0.5 * (cov + cov.T)

    def var(self) -> np.ndarray:
        """Variances, shape ``(d,)``."""
        return np.diag(self.covariance()).copy()

    # ---- other grids ------------------------------------------------------------------------------------------
    def on_grid(self, *axes: Any) -> GridLaw:
        """The same law on other uniform axes (one array per dimension): values from :meth:`pdf` (exact with an
        evaluator, spline otherwise). Error estimate and truncated mass are carried over; mass outside the new
        domain but inside the old one is added to the truncated mass."""
        if len(axes) != self.dim:
            raise ValueError(f"on_grid: expected {self.dim} axes, got {len(axes)}")
        axes_arr = [np.asarray(a, dtype=np.float64).reshape(-1) for a in axes]
        mesh = np.stack(np.meshgrid(*axes_arr, indexing="ij"), axis=-1)
        dens = self.pdf(mesh)
        new = GridLaw(axes_arr, dens, error_estimate=self.error_estimate, truncated_mass=self.truncated_mass,
                      note=self.note + "; resampled on another grid", log_evaluator=self._log_evaluator,
                      cdf_evaluator=self._cdf_evaluator)
        new.truncated_mass = self.truncated_mass + max(self.mass() - new.mass(), 0.0)  # never decreases
        return new

    # ---- sampling (for sample-based comparisons) --------------------------------------------------------------
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """1D only: ``n`` draws from the piecewise-linear interpolant of the density on the grid (renormalised),
        by exact inversion of its piecewise-quadratic CDF. An :math:`O(\\Delta x^2)` approximation of the law."""
        if self.dim != 1:
            raise NotImplementedError("sample: defined for 1D grid laws only")
        x, p = self.axes[0], self.density
        h = np.diff(x)
        cell = 0.5 * h * (p[:-1] + p[1:])
        total = float(np.sum(cell))
        u = rng.random(int(n)) * total
        cum = np.concatenate([[0.0], np.cumsum(cell)])
        k = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(cell) - 1)
        r = u - cum[k]  # mass to cover inside cell k: p_a s + (p_b - p_a) s^2 / (2 h) = r
        pa, pb, hk = p[k], p[k + 1], h[k]
        slope = (pb - pa) / hk
        disc = np.sqrt(np.maximum(pa * pa + 2.0 * slope * r, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(np.abs(slope) > 1e-300, (disc - pa) / np.where(slope == 0, 1.0, slope),
                         r / np.where(pa > 0, pa, 1.0))
        return (x[k] + np.clip(s, 0.0, hk))[:, None]

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.shape)
        err = "None" if self.error_estimate is None else f"{self.error_estimate:.3g}"
        return (f"GridLaw(dim={self.dim}, nodes={shape}, domain={self.domain}, error_estimate={err}, "
                f"truncated_mass={self.truncated_mass:.3g})")
