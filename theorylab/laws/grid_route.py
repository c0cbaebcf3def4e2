"""The output law of a sampler on a 1D or 2D grid, for any score, with refinement and truncation control.

Routes (seed 000, slides "En la práctica" / "¿Y ahora qué?"; seed 002, "Fluxo de probabilidade"), read from the
sampler's declaration (:mod:`theorylab.samplers.kernel`), never from its class:

=====================================  ==========================================================================
declaration                            how the density is propagated
=====================================  ==========================================================================
stochastic transitions of a chain      Gaussian-kernel quadrature of the step (:mod:`theorylab.laws.chain_grid`)
deterministic transitions of a chain   Newton inversion of each step + log-determinant
                                       (:mod:`theorylab.laws.flow_grid`), evaluated exactly at the nodes
continuous flow (``pf-ode-adaptive``)  backward characteristics + instantaneous change of variables (same module)
batch-coupled transition               none: e.g. ``pc``'s snr rule depends on the whole batch
                                       (:class:`~theorylab.laws.base.NoGridRouteError`)
=====================================  ==========================================================================

Domain (override with ``domain=``): per axis, the union of :math:`m \\pm c\\,s` over the initial law, the initial
law widened by the largest EM kernel (:math:`s^2 + \\max_n g^2h`), and every component of the target
(``c`` = :data:`DOMAIN_N_STD`; the forward marginals interpolate between prior and target, so the intermediate laws
live there too; what leaves the domain anyway is counted in the truncated mass). Resolution (override with
``n=``): :data:`POINTS_PER_SCALE` nodes per :math:`\\ell`, the smallest of the kernel standard deviations
:math:`\\sqrt{g^2h}` (EM), the target's component standard deviations and the initial standard deviation.

Cost: the 1D EM step is banded (each node meets the means within ``KERNEL_CUTOFF`` kernel widths), so a step costs
:math:`O(n \\cdot \\text{reach})`; the seed mixture reaches TV 1e-6 in ~0.1 s on one core
(``benchmarks/bench_grid_vs_mc.py``). The 2D step is blocked the same way but costs
:math:`O(n^2 \\cdot \\text{reach}^2)` per step, and a refinement multiplies it by ~16: seconds for short grids with
~100 nodes per axis, minutes for long grids with small kernels (VP near :math:`t = 0`). One uniform grid serves
every step, so a schedule whose kernels span decades (VE with a cosine grid) needs many nodes.

Error control, reported with the result: the law is computed with :math:`n` and :math:`2n - 1` nodes per axis (the
coarse nodes are every other fine node) and their TV distance (``theorylab.divergences.tv_grid`` on the coarse
nodes) is the discretisation error estimate; with ``tol=`` the grid is refined (:math:`n \\to 2n - 1`) until that
estimate is below ``tol``. The truncated mass (mass outside the domain; for EM, exact bookkeeping of the mass each
step sends out) is reported; the TV it causes is half of it.

Array backend: numpy float64 for the kernel sums (BLAS matrix products; the banded 1D step needs ``searchsorted``
and slicing that numpy does with no overhead), torch float64 only where the score is called (as the samplers call
it) and where autograd is needed (flows).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from scipy import special

from theorylab.errors import ConfigError
from theorylab.laws.base import (ErrorControl, NoGridRouteError, OutputLaw, check_process, initial_law,
                                 resolve_sampler, score_dim)
from theorylab.laws.chain_grid import propagate_chain, transition_widths
from theorylab.laws.flow_grid import adaptive_flow_log_density, check_differentiable
from theorylab.laws.grid_law import GridLaw

__all__ = [
    "DOMAIN_N_STD",
    "MAX_NODES",
    "POINTS_PER_SCALE",
    "auto_domain",
    "grid_output_law",
]

#: Half-width of the automatic domain in standard deviations: a Gaussian puts 2 Phi(-8) ~ 1.2e-15 of its mass
#: beyond 8 standard deviations (per axis), below the 1e-12 level the grid is accurate to.
DOMAIN_N_STD: float = 8.0
#: Nodes per resolution scale of the coarse run (the fine run has twice as many). The rectangle rule on a
#: Gaussian-like integrand of width l with spacing l/1.5 errs by ~2 exp(-2 pi^2 * 1.5^2) ~ 1e-19 (Poisson
#: summation); the margin covers maps that stretch (|mu'| > 1). The refinement estimate checks it.
POINTS_PER_SCALE: float = 1.5
#: Largest automatic number of nodes per axis (1D, 2D): beyond, the grid route is refused (NoGridRouteError),
#: and law_of_output falls back to samples. An explicit ``n`` is not capped.
MAX_NODES: dict[int, int] = {1: 40001, 2: 401}


def _component_scales(law: Any) -> tuple[np.ndarray, np.ndarray]:
    """Means ``(K, d)`` and standard deviations ``(K, d)`` of the components of a Gaussian (mixture), else of the
    law."""
    if hasattr(law, "as_mixture"):
        mix = law.as_mixture()
        means = np.asarray(mix.means, dtype=np.float64)
        stds = np.sqrt(np.einsum("kii->ki", np.asarray(mix.covs, dtype=np.float64)))
        return means, stds
    mean = np.atleast_1d(np.asarray(law.mean(), dtype=np.float64))
    std = np.sqrt(np.diag(np.atleast_2d(np.asarray(law.covariance(), dtype=np.float64))))
    return mean[None, :], std[None, :]


def auto_domain(dim: int, initial: Any, target: Any = None, n_std: float = DOMAIN_N_STD,
                spread: float = 0.0) -> list[tuple[float, float]]:
    """Per axis ``(lo, hi)``: the union of ``mean +/- n_std * std`` over the initial law and the target's components;
    with ``spread`` (the largest EM kernel standard deviation), also the initial law widened by it,
    ``mean +/- n_std * sqrt(std^2 + spread^2)`` (a first step with a wide kernel spreads the prior before the
    drift contracts it: VE's first steps)."""
    means, stds = _component_scales(initial)
    if spread > 0.0:
        means, stds = np.vstack([means, means]), np.vstack([stds, np.sqrt(stds**2 + spread**2)])
    if target is not None:
        try:
            tm, ts = _component_scales(target)
            means, stds = np.vstack([means, tm]), np.vstack([stds, ts])
        except (NotImplementedError, AttributeError):
            pass
    lo = np.min(means - n_std * stds, axis=0)
    hi = np.max(means + n_std * stds, axis=0)
    return [(float(lo[a]), float(hi[a])) for a in range(dim)]


def _parse_domain(domain: Any, dim: int) -> list[tuple[float, float]]:
    arr = np.asarray(domain, dtype=np.float64)
    if arr.shape == (2,):
        arr = np.tile(arr, (dim, 1))
    if arr.shape != (dim, 2) or not np.all(np.isfinite(arr)) or np.any(arr[:, 1] <= arr[:, 0]):
        raise ConfigError(f"metrics.grid_domain: must be (lo, hi) or {dim} pairs (lo, hi) with lo < hi, got {domain!r}")
    return [(float(a), float(b)) for a, b in arr]


class _Route:
    """Computes the output density on given axes from the sampler's declaration (a chain or a continuous flow)."""

    def __init__(self, declared: Any, name: str, score: Any, grid: Any, process: Any, init: Any):
        from theorylab.samplers.kernel import ContinuousFlow, TorchEvaluator

        self.name = name
        self.init = init
        self.info: dict[str, Any] = {}
        self.flow = isinstance(declared, ContinuousFlow)
        if self.flow:
            self.kind = "flow"
            self.reverse = process.reverse(score, probability_flow=True)
            self.T = grid.T
            self.transitions: list[Any] = []
        else:
            reason = declared.coupled_reason
            if reason is not None:
                raise NoGridRouteError(f"{name}: {reason}; no grid law (use the samples route)")
            self.transitions = declared.transitions
            self.kind = "flow-steps" if declared.deterministic else (
                "kernel" if all(not tr.deterministic for tr in self.transitions) else "kernel+flow-steps")
            self.ev = TorchEvaluator(score)
        if self.flow or any(tr.deterministic for tr in self.transitions):
            try:
                check_differentiable(score, grid.T, init.dim)
            except NotImplementedError as exc:
                raise NoGridRouteError(f"{name}: {exc}") from None

    def log_p0(self, pts: np.ndarray) -> np.ndarray:
        return np.asarray(self.init.logpdf(np.ascontiguousarray(pts)), dtype=np.float64)

    def kernel_scale(self) -> float:
        widths = transition_widths(self.transitions)
        return float(np.min(widths)) if widths.size else math.inf

    def kernel_spread(self) -> float:
        widths = transition_widths(self.transitions)
        return float(np.max(widths)) if widths.size else 0.0

    def _initial_cdf(self):
        """1D: the initial law's CDF (Gaussian), or None."""
        if self.init.dim != 1 or not hasattr(self.init, "cholesky"):
            return None
        m, s = float(self.init.mean()[0]), float(math.sqrt(self.init.covariance()[0, 0]))
        return lambda x: special.ndtr((np.asarray(x) - m) / s)

    def run(self, axes: list[np.ndarray]) -> GridLaw:
        if self.flow:
            return self._run_flow(axes)
        try:
            res = propagate_chain(self.transitions, self.ev, axes, self.log_p0, name=self.name,
                                  initial_cdf=self._initial_cdf())
        except NotImplementedError as exc:
            raise NoGridRouteError(f"{self.name}: {exc}") from None
        except RuntimeError as exc:  # Newton failed: a deterministic step cannot be inverted on this grid
            raise NoGridRouteError(str(exc)) from None
        self.info.update(res.info or {})
        return GridLaw(axes, res.density, truncated_mass=res.truncated_mass, log_evaluator=res.log_evaluator,
                       cdf_evaluator=res.cdf_evaluator)

    def _flow_log_density(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, self.init.dim)
        try:
            log_d, pre, info = adaptive_flow_log_density(self.reverse, self.T, pts, self.log_p0)
        except NotImplementedError as exc:
            raise NoGridRouteError(f"{self.name}: {exc}") from None
        except RuntimeError as exc:  # the ODE solver failed
            raise NoGridRouteError(str(exc)) from None
        self.info.update(info)
        return log_d, pre

    def _run_flow(self, axes: list[np.ndarray]) -> GridLaw:
        dim = len(axes)
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
        cdf0 = self._initial_cdf()
        if dim == 1 and cdf0 is not None:  # the two edges too: exact mass outside via the initial CDF
            edges = np.array([[axes[0][0]], [axes[0][-1]]])
            log_d, pre = self._flow_log_density(np.vstack([mesh, edges]))
            log_d, (x_lo, x_hi) = log_d[:-2], pre[-2:, 0]
            truncated = float(cdf0(x_lo) + (1.0 - cdf0(x_hi)))
        else:
            log_d, _ = self._flow_log_density(mesh)
            truncated = None
        shape = tuple(ax.size for ax in axes)
        law = GridLaw(axes, np.exp(log_d).reshape(shape), truncated_mass=0.0,
                      log_evaluator=lambda pts: self._flow_log_density(pts)[0],
                      cdf_evaluator=(lambda x: cdf0(self._flow_log_density(np.reshape(x, (-1, 1)))[1][:, 0]))
                      if (dim == 1 and cdf0 is not None) else None)
        law.truncated_mass = truncated if truncated is not None else max(1.0 - law.mass(), 0.0)
        return law


def _axes(domain: list[tuple[float, float]], n: int) -> list[np.ndarray]:
    return [np.linspace(lo, hi, n) for lo, hi in domain]


def _refinement_tv(fine: GridLaw, coarse: GridLaw) -> float:
    """TV between the coarse run and the fine run at the coarse nodes (every other fine node), trapezoid rule."""
    sub = fine.density[::2] if fine.dim == 1 else fine.density[::2, ::2]
    return coarse.tv_to(sub)


def grid_output_law(score: Any, sampler: Any, grid: Any, *, target: Any = None, process: Any = None,
                    initial: Any = None, dim: Any = None, n: int | None = None, domain: Any = None,
                    tol: float | None = None, n_std: float = DOMAIN_N_STD, max_nodes: int | None = None,
                    sampler_options: dict | None = None) -> OutputLaw:
    """The output law of ``sampler`` on a uniform grid, for any score, in d = 1 or 2.

    Parameters
    ----------
    score : callable ``score(t, x)``
        Any score (torch float64 in, torch out), e.g. :class:`~theorylab.scores.ExactScore` of a Gaussian mixture.
    sampler : str or Sampler
        ``reverse-em``, ``ancestral``, ``reverse-sde``, ``pf-ode``, ``pf-ode-adaptive``, ``pc`` (0 correctors).
    grid : TimeGrid
        The sampler's time grid.
    target : Distribution, optional
        Only used to choose the domain and the resolution (its component scales).
    process, initial, dim, sampler_options
        As for :func:`theorylab.laws.gaussian.gaussian_output_law`.
    n : int, optional
        Nodes per axis of the coarse run (default: from the resolution scale, see module docstring).
    domain : (lo, hi) or sequence of (lo, hi), optional
        The domain per axis (default :func:`auto_domain`).
    tol : float, optional
        Refine (:math:`n \\to 2n-1`) until the refinement TV estimate is ``<= tol`` (or the node cap is reached;
        the note then says so). Without ``tol``: one refinement pair.
    n_std : float
        Half-width of the automatic domain in standard deviations.
    max_nodes : int, optional
        Node cap per axis (default :data:`MAX_NODES`).

    Returns
    -------
    OutputLaw
        ``method="grid"``, ``law`` a :class:`~theorylab.laws.grid_law.GridLaw` (the finer run), error kind
        ``grid`` with ``tv_bound = refinement estimate + truncated_mass / 2``.

    Raises
    ------
    NoGridRouteError
        d > 2, ``pc`` with correctors, a grid too large for the automatic resolution, a non-differentiable score
        for the flow routes.
    """
    sampler = resolve_sampler(sampler, sampler_options)
    process = check_process(sampler, grid, process)
    d = score_dim(score, target, dim)
    if d > 2:
        raise NoGridRouteError(f"{sampler.name}: the grid route is implemented for d <= 2, got d = {d}")
    init = initial_law(process, d, initial)
    route = _Route(sampler.declare(grid, process), sampler.name, score, grid, process, init)
    kind = route.kind
    dom = auto_domain(d, init, target, n_std, route.kernel_spread()) if domain is None else _parse_domain(domain, d)
    cap = MAX_NODES[d] if max_nodes is None else int(max_nodes)
    scales = [route.kernel_scale(), float(np.min(_component_scales(init)[1]))]
    if target is not None:
        try:
            scales.append(float(np.min(_component_scales(target)[1])))
        except (NotImplementedError, AttributeError):
            pass
    scale = min(scales)
    width = max(hi - lo for lo, hi in dom)
    if n is None:
        n = int(math.ceil(width * POINTS_PER_SCALE / scale)) + 1
        if n > cap:
            raise NoGridRouteError(f"{sampler.name}: resolving scale {scale:.3g} on a domain of width {width:.3g} "
                                   f"needs {n} nodes per axis (cap {cap}); pass n= or domain=")
    elif isinstance(n, bool) or int(n) != n or int(n) < 3:
        raise ConfigError(f"metrics.grid_n: must be an integer >= 3, got {n!r}")
    n = int(n)
    if tol is not None and not (isinstance(tol, (int, float)) and tol > 0):
        raise ConfigError(f"metrics.grid_tol: must be > 0, got {tol!r}")
    t0 = time.perf_counter()
    coarse = route.run(_axes(dom, n))
    history = []
    while True:
        fine = route.run(_axes(dom, 2 * n - 1))
        estimate = _refinement_tv(fine, coarse)
        history.append((n, 2 * n - 1, estimate))
        if tol is None or estimate <= tol or 2 * (2 * n - 1) - 1 > cap:
            break
        n, coarse = 2 * n - 1, fine
    elapsed = time.perf_counter() - t0
    fine.error_estimate = estimate
    reached = "" if tol is None else (f"; tolerance {tol:g} reached" if estimate <= tol else
                                      f"; tolerance {tol:g} NOT reached at the node cap {cap}")
    how = {"kernel": "Gaussian-kernel quadrature of every step",
           "flow-steps": "Newton inversion of every deterministic step (pointwise exact to the Newton tolerance)",
           "kernel+flow-steps": "Gaussian-kernel quadrature of the stochastic steps, Newton inversion of the "
                                "deterministic ones",
           "flow": "backward characteristics with the change-of-variables log-det (solve_ivp DOP853)"}[kind]
    note = (f"grid ({how}); {fine.shape[0]} nodes per axis on {[(round(a, 6), round(b, 6)) for a, b in dom]}; "
            f"refinement TV(n={history[-1][0]}, 2n-1={history[-1][1]}) = {estimate:.3g}; truncated mass "
            f"{fine.truncated_mass:.3g}{reached}")
    fine.note = note
    details = {"nodes": fine.shape, "dx": fine.dx, "domain": dom, "refinements": history, "seconds": elapsed,
               "resolution_scale": scale, "route": kind, **route.info}
    error = ErrorControl("grid", fine.tv_bound, note)
    return OutputLaw(fine, "grid", sampler.name, error, details)
