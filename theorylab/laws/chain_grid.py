"""Propagation of a density on a uniform 1D/2D grid through a sampler's declared chain of transitions, any score.

Every stochastic transition of a :class:`~theorylab.samplers.kernel.Chain` (an Euler–Maruyama step of
``reverse-em``, ``ancestral`` or ``reverse-sde``, seed 000 slides "En la práctica" and "¿Y ahora qué?"; an
exponential-integrator, DDPM or DDIM step; a Langevin step; EDM's churn) is

.. math::

    Y' = \\mu(Y) + \\sqrt{v}\\,Z,

with the mean map :math:`\\mu` the sampler's own (evaluated on the grid nodes in torch, exactly as the sampler
calls it; for EM :math:`\\mu(y) = y + h\\,b(t, y)`, :math:`v = g(t)^2 h`). Its transition kernel is Gaussian, so
the density maps as

.. math::

    p'(y) = \\int p(x)\\,\\varphi_v(y - \\mu(x))\\,dx \\approx \\sum_j \\Delta\\, p(x_j)\\,\\varphi_v(y - \\mu(x_j)),

the composite rectangle (= trapezoid, the density being negligible at the ends) rule on the nodes :math:`x_j`,
:math:`\\Delta` the cell volume. For an integrand that is smooth on the scale :math:`\\ell` and decays fast, this rule
converges geometrically, with error :math:`\\sim 2e^{-2\\pi^2\\ell^2/\\Delta x^2}` (Poisson summation; Trefethen &
Weideman, SIAM Review 56 (2014), "The exponentially convergent trapezoidal rule"); here
:math:`\\ell \\ge \\min(\\sqrt v/|\\mu'|, \\text{scale of } p)`, so a grid with a few nodes per kernel width is accurate
to round-off. Why not scipy: ``scipy.signal.fftconvolve`` / ``scipy.ndimage.gaussian_filter`` need a
shift-invariant kernel on the grid, and this one is not (:math:`\\mu(x) - x` varies with :math:`x`); making it so
would need the pushforward by :math:`\\mu` interpolated back onto the grid at every step (:math:`O(\\Delta x^4)` at
best), which loses the geometric convergence. So the step is a kernel sum, cut at :data:`KERNEL_CUTOFF` kernel
widths: in 1D the means are sorted and each block of output nodes meets a contiguous range of them (one BLAS
matrix-vector product per block); in 2D the isotropic kernel is separable,
:math:`\\varphi_v(y - \\mu) = \\varphi_v(y_1 - \\mu_1)\\varphi_v(y_2 - \\mu_2)`, so a block of outputs is
:math:`p'[A, B] = K_1[A, J] \\operatorname{diag}(\\Delta p_J) K_2[B, J]^\\top` (one BLAS matrix product), numpy float64.
The score is evaluated once per step on all nodes, in torch float64, exactly as the samplers call it.

Truncation. Only nodes in the domain are kept: the computed :math:`q_k` is the chain with a sub-Markov kernel
:math:`1_D K`. By induction :math:`q_k \\le p_k` pointwise, so
:math:`\\|p_N - q_N\\|_1 = 1 - \\int q_N`: the truncated mass (initial mass outside the cells, plus, at every step,
:math:`\\sum_j \\Delta p(x_j)(1 - \\text{kernel mass inside the cells})`, computed exactly with ``scipy.special.ndtr``)
is exactly twice the TV the truncation causes. Nodes whose weight is below :data:`PRUNE_RTOL` times the largest are
skipped (their mass is counted as truncated).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy import special

__all__ = ["KERNEL_CUTOFF", "PRUNE_RTOL", "EMGridResult", "propagate_chain", "transition_widths"]

#: Nodes with weight below this fraction of the largest weight are skipped in a step (their mass, at most
#: n_nodes * 1e-30 of the total, is added to the truncated mass, so the accounting stays exact).
PRUNE_RTOL: float = 1e-30
#: Kernel cut-off, in kernel standard deviations: beyond it :math:`\varphi` is below :math:`e^{-50} \approx
#: 2\times10^{-22}` of its peak, so a dropped term changes a density value by at most 2e-22 of the peak density
#: and the dropped tail mass is :math:`2\Phi(-10) \approx 1.5\times10^{-23}` per unit of mass: far below the
#: 1e-12 level the propagation is accurate to.
KERNEL_CUTOFF: float = 10.0
#: Output nodes per block of the banded 1D step, and per block side in 2D.
_BLOCK = 64
_BLOCK_2D = 32
#: Largest number of kernel entries built at once when evaluating the last step off the grid (memory bound).
_CHUNK_ENTRIES = 4_000_000
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass
class EMGridResult:
    """Density after the last transition, its truncated mass, exact evaluators off the grid, route information."""

    density: np.ndarray
    truncated_mass: float
    log_evaluator: Callable[[np.ndarray], np.ndarray]
    cdf_evaluator: Callable[[np.ndarray], np.ndarray] | None
    info: dict | None = None


def _mesh(axes: list[np.ndarray]) -> np.ndarray:
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


def _gauss_block(y: np.ndarray, mu: np.ndarray, v: float) -> np.ndarray:
    """:math:`\\exp(-(y_i - \\mu_j)^2 / 2v)`, shape ``(len(y), len(mu))``, computed in place (one buffer)."""
    buf = np.subtract.outer(y, mu)
    buf *= 1.0 / math.sqrt(2.0 * v)
    np.square(buf, out=buf)
    np.negative(buf, out=buf)
    return np.exp(buf, out=buf)


def _step_1d(y: np.ndarray, mu: np.ndarray, wp: np.ndarray, v: float) -> np.ndarray:
    """:math:`\\sum_j w_j\\varphi_v(y_i - \\mu_j)` with the kernel cut at :data:`KERNEL_CUTOFF` standard deviations:
    the means are sorted once and each block of output nodes only meets the means within reach (a contiguous range
    of the sorted means, whether or not :math:`\\mu` is monotone)."""
    order = np.argsort(mu, kind="stable")
    mus, ws = mu[order], wp[order]
    reach = KERNEL_CUTOFF * math.sqrt(v)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], _BLOCK):
        yb = y[start:start + _BLOCK]
        lo = int(np.searchsorted(mus, yb[0] - reach, side="left"))
        hi = int(np.searchsorted(mus, yb[-1] + reach, side="right"))
        out[start:start + _BLOCK] = _gauss_block(yb, mus[lo:hi], v) @ ws[lo:hi] if hi > lo else 0.0
    return out / math.sqrt(2.0 * math.pi * v)


def _step_2d(axes: list[np.ndarray], mu: np.ndarray, wp: np.ndarray, v: float) -> np.ndarray:
    """Separable kernel on blocks of output nodes: for a block :math:`A \\times B` of nodes, only the means within
    :data:`KERNEL_CUTOFF` standard deviations of it contribute, and
    :math:`p'[A, B] = K_1[A, J] \\operatorname{diag}(w_J) K_2[B, J]^\\top` is one BLAS matrix product. The means are
    sorted by their first coordinate once, so the candidates of a block row are a contiguous range; the second
    coordinate is then filtered by a mask."""
    order = np.argsort(mu[:, 0], kind="stable")
    mu, wp = mu[order], wp[order]
    reach = KERNEL_CUTOFF * math.sqrt(v)
    y0, y1 = axes
    out = np.zeros((y0.size, y1.size))
    for a0 in range(0, y0.size, _BLOCK_2D):
        ya = y0[a0:a0 + _BLOCK_2D]
        lo = int(np.searchsorted(mu[:, 0], ya[0] - reach, side="left"))
        hi = int(np.searchsorted(mu[:, 0], ya[-1] + reach, side="right"))
        if hi <= lo:
            continue
        mu_row, w_row = mu[lo:hi], wp[lo:hi]
        for b0 in range(0, y1.size, _BLOCK_2D):
            yb = y1[b0:b0 + _BLOCK_2D]
            keep = (mu_row[:, 1] >= yb[0] - reach) & (mu_row[:, 1] <= yb[-1] + reach)
            if not np.any(keep):
                continue
            k0 = _gauss_block(ya, mu_row[keep, 0], v)
            k0 *= w_row[keep]
            out[a0:a0 + _BLOCK_2D, b0:b0 + _BLOCK_2D] = k0 @ _gauss_block(yb, mu_row[keep, 1], v).T
    return out.reshape(-1) / (2.0 * math.pi * v)


def _inside_mass(axes: list[np.ndarray], mu: np.ndarray, v: float) -> np.ndarray:
    """Kernel mass of every node's Gaussian inside the cells :math:`[lo - \\Delta/2, hi + \\Delta/2]` per axis."""
    sd = math.sqrt(v)
    inside = np.ones(mu.shape[0])
    for a, ax in enumerate(axes):
        half = 0.5 * (ax[1] - ax[0])
        upper = (ax[-1] + half - mu[:, a]) / sd
        lower = (ax[0] - half - mu[:, a]) / sd
        # difference of upper tails on the right of the mean, of lower tails on the left: no cancellation
        inside *= np.where(mu[:, a] >= 0.5 * (ax[0] + ax[-1]), special.ndtr(-lower) - special.ndtr(-upper),
                           special.ndtr(upper) - special.ndtr(lower))
    return np.clip(inside, 0.0, 1.0)


def _last_step_evaluators(mu: np.ndarray, wp: np.ndarray, v: float, dim: int):
    sd = math.sqrt(v)

    def log_eval(pts: np.ndarray) -> np.ndarray:
        pts = np.asarray(pts, dtype=np.float64).reshape(-1, dim)
        out = np.empty(pts.shape[0])
        chunk = max(1, _CHUNK_ENTRIES // max(mu.shape[0], 1))
        for start in range(0, pts.shape[0], chunk):
            block = pts[start:start + chunk]
            sq = np.zeros((block.shape[0], mu.shape[0]))
            for a in range(dim):
                sq += (block[:, a:a + 1] - mu[None, :, a]) ** 2
            dens = np.exp(-sq / (2.0 * v)) @ wp
            with np.errstate(divide="ignore"):
                out[start:start + chunk] = np.log(dens) - dim * (_LOG_SQRT_2PI + math.log(sd))
        return out

    def cdf_eval(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        out = np.empty(x.shape[0])
        chunk = max(1, _CHUNK_ENTRIES // max(mu.shape[0], 1))
        for start in range(0, x.shape[0], chunk):
            out[start:start + chunk] = special.ndtr((x[start:start + chunk, None] - mu[None, :, 0]) / sd) @ wp
        return out

    return log_eval, (cdf_eval if dim == 1 else None)


@dataclass
class _Density:
    """The current density: node values (or None until needed) and an exact evaluator off the grid.

    ``lost_eval`` is the mass the evaluator's (sub-)density has lost so far (pruned nodes, initial mass outside the
    cells); ``lost_values`` the mass the node values have lost (that, plus the kernel mass that left the cells).
    """

    values: np.ndarray | None
    log_eval: Callable[[np.ndarray], np.ndarray]
    cdf_eval: Callable[[np.ndarray], np.ndarray] | None
    lost_eval: float
    lost_values: float = 0.0


def _materialise(state: _Density, nodes: np.ndarray, cell: float) -> None:
    if state.values is None:
        state.values = np.exp(np.asarray(state.log_eval(nodes), dtype=np.float64))
        state.lost_values = state.lost_eval + max((1.0 - state.lost_eval) - cell * float(np.sum(state.values)), 0.0)


def transition_widths(transitions: list[Any]) -> np.ndarray:
    """:math:`\\sqrt{v}` of every stochastic transition (the kernel standard deviations)."""
    return np.array([math.sqrt(tr.var) for tr in transitions if tr.var > 0.0])


def propagate_chain(transitions: list[Any], ev: Any, axes: list[np.ndarray],
                    log_p0: Callable[[np.ndarray], np.ndarray], *, name: str = "sampler",
                    initial_cdf: Callable[[np.ndarray], np.ndarray] | None = None) -> EMGridResult:
    """Propagate the density :math:`e^{\\log p_0}` on the grid ``axes`` through the transitions (module docstring).

    Stochastic transitions are kernel sums on the nodes; a run of deterministic transitions is applied by change of
    variables through their inverses (:func:`~theorylab.laws.flow_grid.pullback_log_density`), evaluated exactly at
    the nodes (or off the grid) from the density before the run.

    Parameters
    ----------
    transitions : list of Transition
        Per-particle transitions (no batch-coupled ones), in the order the sampler applies them.
    ev : ScoreEvaluator
        The torch evaluator of the score (:class:`~theorylab.samplers.kernel.TorchEvaluator`).
    axes : list of numpy.ndarray
        Uniform node coordinates per axis (1 or 2 axes); the same grid at every step.
    log_p0 : callable
        Log-density of the initial law at points ``(m, d)``.
    initial_cdf : callable, optional
        1D only: the initial CDF; when the whole chain is deterministic, it gives the exact mass outside the domain
        and the output CDF (the map is increasing).

    Returns
    -------
    EMGridResult
    """
    from theorylab.laws.flow_grid import pullback_log_density

    dim = len(axes)
    nodes = _mesh(axes)
    cell = float(np.prod([ax[1] - ax[0] for ax in axes]))
    shape = tuple(ax.size for ax in axes)
    state = _Density(None, log_p0, None, 0.0)
    pending: list[Any] = []
    info: dict[str, Any] = {}

    def flush() -> None:
        nonlocal pending
        if not pending:
            return
        evaluate, run_info = pullback_log_density(pending, ev, state.log_eval, name)
        previous_cdf = state.cdf_eval if dim == 1 else None
        state.log_eval = lambda pts: evaluate(pts)[0]
        state.cdf_eval = (lambda x: previous_cdf(evaluate(np.reshape(x, (-1, 1)))[1][:, 0])) \
            if previous_cdf is not None else None
        state.values = None
        info.setdefault("runs", []).append(run_info)
        pending = []

    state.cdf_eval = initial_cdf if dim == 1 else None
    for tr in transitions:
        if tr.deterministic:
            pending.append(tr)
            continue
        flush()
        _materialise(state, nodes, cell)
        weights = cell * state.values
        active = weights > PRUNE_RTOL * float(np.max(weights)) if np.any(weights > 0) else weights > 0
        lost = state.lost_values + float(np.sum(weights[~active]))
        x, wp = nodes[active], weights[active]
        v = float(tr.var)
        with torch.no_grad():
            mu = np.asarray(tr.mean(torch.from_numpy(x), ev).detach().cpu().numpy(), dtype=np.float64)
        outside = float(np.sum(wp * (1.0 - _inside_mass(axes, mu, v))))
        values = _step_1d(axes[0], mu[:, 0], wp, v) if dim == 1 else _step_2d(axes, mu, wp, v)
        log_eval, cdf_eval = _last_step_evaluators(mu, wp, v, dim)
        state = _Density(values, log_eval, cdf_eval, lost, lost + outside)
    flush()
    if state.values is None:
        _materialise(state, nodes, cell)
    truncated = state.lost_values
    if all(tr.deterministic for tr in transitions) and dim == 1 and initial_cdf is not None:
        # an increasing map in 1D: the mass outside is the initial mass beyond the pre-images of the two edges
        pre = _pullback_edges(transitions, ev, axes[0], name)
        truncated = float(initial_cdf(pre[0]) + (1.0 - initial_cdf(pre[1])))
    result = EMGridResult(state.values.reshape(shape), min(max(truncated, 0.0), 1.0), state.log_eval, state.cdf_eval)
    result.info = {k: v for run in info.get("runs", []) for k, v in run.items()}
    return result


def _pullback_edges(transitions: list[Any], ev: Any, axis: np.ndarray, name: str):
    from theorylab.laws.flow_grid import pullback_log_density

    evaluate, _ = pullback_log_density(transitions, ev, lambda pts: np.zeros(len(pts)), name)
    return evaluate(np.array([[axis[0]], [axis[-1]]]))[1][:, 0]
