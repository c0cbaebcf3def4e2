"""Propagation of a density on a uniform 1D/2D grid through Euler–Maruyama steps with any score.

One backward step of ``reverse-em``, ``ancestral`` or ``reverse-sde`` (seed 000, slides "En la práctica" and
"¿Y ahora qué?"; :mod:`theorylab.samplers.em`) is

.. math::

    Y' = \\mu(Y) + \\sqrt{v}\\,Z, \\qquad \\mu(y) = y + h\\,b(t, y), \\quad v = g(t)^2 h,

with :math:`b` the reverse drift (:math:`y + 2s(t, y)` for OU). Its transition kernel is Gaussian, so the density
maps as

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

__all__ = ["KERNEL_CUTOFF", "PRUNE_RTOL", "EMGridResult", "em_kernel_widths", "propagate_em"]

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
    """Density after the last step, its truncated mass, and exact evaluators of the last step."""

    density: np.ndarray
    truncated_mass: float
    log_evaluator: Callable[[np.ndarray], np.ndarray]
    cdf_evaluator: Callable[[np.ndarray], np.ndarray] | None


def em_kernel_widths(reverse: Any, times: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """:math:`\\sqrt{g(t_n)^2 h_n}`, the kernel standard deviation of every step."""
    return np.array([math.sqrt(reverse.diffusion_squared_at(t) * h) for t, h in zip(times.tolist(), steps.tolist())])


def _mesh(axes: list[np.ndarray]) -> np.ndarray:
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))


def _means(reverse: Any, t: float, h: float, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        xt = torch.from_numpy(x)
        out = xt + h * reverse.drift_at(t, xt)
    return np.asarray(out.detach().cpu().numpy(), dtype=np.float64)


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


def propagate_em(reverse: Any, times: np.ndarray, steps: np.ndarray, axes: list[np.ndarray],
                 log_p0: Callable[[np.ndarray], np.ndarray]) -> EMGridResult:
    """Propagate the density :math:`e^{\\log p_0}` on the grid ``axes`` through the EM steps (module docstring).

    Parameters
    ----------
    reverse : ReverseProcess
        Supplies ``drift_at(t, y)`` (torch) and ``diffusion_squared_at(t)``.
    times, steps : numpy.ndarray, shape (N,)
        Score time and step size of every backward step (``grid.score_times(convention)``,
        ``grid.backward_gammas``), as in :func:`theorylab.samplers.em.reverse_euler_maruyama`.
    axes : list of numpy.ndarray
        Uniform node coordinates per axis (1 or 2 axes); the same grid at every step.
    log_p0 : callable
        Log-density of the initial law at points ``(m, d)``.

    Returns
    -------
    EMGridResult
    """
    dim = len(axes)
    nodes = _mesh(axes)
    cell = float(np.prod([ax[1] - ax[0] for ax in axes]))
    shape = tuple(ax.size for ax in axes)
    p = np.exp(np.asarray(log_p0(nodes), dtype=np.float64))
    truncated = max(1.0 - cell * float(np.sum(p)), 0.0)
    mu = wp = None
    v = 1.0
    for t, h in zip(times.tolist(), steps.tolist()):
        weights = cell * p
        active = weights > PRUNE_RTOL * float(np.max(weights)) if np.any(weights > 0) else weights > 0
        truncated += float(np.sum(weights[~active]))
        x, wp = nodes[active], weights[active]
        v = float(reverse.diffusion_squared_at(t)) * h
        mu = _means(reverse, t, h, x)
        truncated += float(np.sum(wp * (1.0 - _inside_mass(axes, mu, v))))
        p = _step_1d(axes[0], mu[:, 0], wp, v) if dim == 1 else _step_2d(axes, mu, wp, v)
    if mu is None:  # pragma: no cover - a grid has N >= 1 steps
        raise ValueError("no steps to propagate")
    log_eval, cdf_eval = _last_step_evaluators(mu, wp, v, dim)
    return EMGridResult(p.reshape(shape), min(truncated, 1.0), log_eval, cdf_eval)
