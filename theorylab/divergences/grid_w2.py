"""W2 between a law tabulated on a uniform 2D grid and another law (or grid), by exact optimal transport between the
node masses, with the discretisation error bounded from the cell size.

Discretisation. The grid law is the measure :math:`P_h = \\sum_{ij} a_{ij}\\delta_{x_{ij}}` with
:math:`a_{ij} \\propto p(x_{ij})\\,\\Delta x\\,\\Delta y` (its node values times the cell area, normalised); a law
:math:`Q` with a density is discretised on the same node-centred cells :math:`C_{ij} = [x_i \\pm \\Delta x/2] \\times
[y_j \\pm \\Delta y/2]` with its cell probabilities (4 x 4 Gauss–Legendre per cell), :math:`Q_h = \\sum_{ij}
Q(C_{ij})\\,\\delta_{x_{ij}}` (normalised: the mass outside the domain is reported). ``ot.emd2`` (network simplex)
gives :math:`W_2(P_h, Q_h)` exactly.

Error bound (derivation). Moving every point of :math:`C_{ij}` to its node :math:`x_{ij}` couples :math:`Q` restricted
to the cells with :math:`Q_h`, and every point of a cell is within half its diagonal of the node:

.. math:: W_2(Q, Q_h) \\le \\Big(\\sum_{ij}\\int_{C_{ij}} |x - x_{ij}|^2\\,dQ\\Big)^{1/2}
          \\le \\tfrac12\\sqrt{\\Delta x^2 + \\Delta y^2} \\;(= \\tfrac{\\sqrt d}{2}\\Delta x \\text{ for square cells}),

and the same for :math:`P` whose cell masses are the :math:`a_{ij}` (the grid law's own representation). When a law
with a density is given, the middle term (the cost of the cell-to-node coupling) is computed by the same quadrature
(about :math:`\\sqrt{(\\Delta x^2 + \\Delta y^2)/12}` for a density nearly uniform within each cell) and used
instead of the worst case. By the triangle inequality :math:`|W_2(P_h, Q_h) - W_2(P, Q)| \\le \\sqrt{\\Delta x^2 + \\Delta y^2}`. (For a density that
is nearly uniform within each cell the actual error is smaller, :math:`\\sqrt{(\\Delta x^2 + \\Delta y^2)/12}`, but
only the worst case is a bound.)

Size. The cost matrix has :math:`n_P n_Q` entries. Nodes with negligible mass are dropped (the smallest masses,
:math:`\\delta \\le` :data:`DROP_MASS` in total per law; on a domain of diameter :math:`D`, renormalising after
removing mass :math:`\\delta` moves the law by at most :math:`D\\sqrt{\\delta}` in W2, since
:math:`W_2^2 \\le D^2\\,TV` there; added to the bound). If more than ``max_nodes`` remain, ``k x k`` blocks of cells
are merged into their centres (``coarsen=True``; the bound becomes :math:`k\\sqrt{\\Delta x^2 + \\Delta y^2}`), or
the computation is refused (``coarsen=False``). ``max_nodes`` itself may not exceed :data:`GRID_W2_MAX_NODES`.

Why not POT's ``ot.emd2`` alone / ``ot.sliced``: ``emd2`` is what is used (exact); the sliced distance is a
different quantity. Semi-discrete or entropic solvers would avoid the coarsening but have no exact error statement.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from theorylab.divergences.estimate import Estimate, Uncertainty
from theorylab.errors import ConfigError

__all__ = ["DROP_MASS", "GRID_W2_MAX_NODES", "w2_grid_2d"]

#: Largest number of nodes per law given to ``ot.emd2`` (a 5000 x 5000 float64 cost matrix is 200 MB; ~5-20 s).
GRID_W2_MAX_NODES = 5000
#: Total mass of the lightest nodes dropped per law before the transport (its W2 effect is bounded and reported).
DROP_MASS = 1e-10
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(4)


def _cell_probabilities(law: Any, axes: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Q(C_ij) on the node-centred cells and the quantisation cost :math:`\\sum_{ij}\\int_{C_ij}|x - x_{ij}|^2 dQ`
    (the cost of the coupling that moves each cell to its node), 4 x 4 Gauss-Legendre on ``law.pdf``."""
    (x, y) = axes
    hx, hy = 0.5 * (x[1] - x[0]), 0.5 * (y[1] - y[0])
    px = x[:, None] + hx * _GL_NODES  # (n1, 4)
    py = y[:, None] + hy * _GL_NODES  # (n2, 4)
    pts = np.stack(np.broadcast_arrays(px[:, None, :, None], py[None, :, None, :]), axis=-1)  # (n1, n2, 4, 4, 2)
    dens = np.asarray(law.pdf(pts), dtype=np.float64)
    w = _GL_WEIGHTS[:, None] * _GL_WEIGHTS[None, :]
    offsets = (hx * _GL_NODES)[:, None] ** 2 + (hy * _GL_NODES)[None, :] ** 2  # |x - node|^2 at the GL points
    cells = np.sum(dens * w, axis=(2, 3)) * hx * hy
    cost = float(np.sum(dens * w * offsets) * hx * hy)
    return cells, cost / max(float(np.sum(cells)), 1e-300)


def _coarsen(mass: np.ndarray, axes: list[np.ndarray], k: int) -> tuple[np.ndarray, list[np.ndarray]]:
    n1, n2 = mass.shape
    m1, m2 = -(-n1 // k), -(-n2 // k)
    padded = np.zeros((m1 * k, m2 * k))
    padded[:n1, :n2] = mass
    blocks = padded.reshape(m1, k, m2, k).sum(axis=(1, 3))
    centres = []
    for ax, m in zip(axes, (m1, m2)):
        h = ax[1] - ax[0]
        start = ax[0] + 0.5 * (k - 1) * h
        centres.append(start + k * h * np.arange(m))
    return blocks, centres


def _support(mass: np.ndarray, axes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, float]:
    """Nodes kept after dropping the lightest (total <= DROP_MASS), their normalised masses, the dropped mass."""
    flat = mass.reshape(-1)
    order = np.argsort(flat)
    cum = np.cumsum(flat[order])
    n_drop = int(np.searchsorted(cum, DROP_MASS, side="right"))
    keep = np.sort(order[n_drop:])
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    dropped = float(cum[n_drop - 1]) if n_drop else 0.0
    return mesh[keep], flat[keep] / np.sum(flat[keep]), dropped


def w2_grid_2d(p: Any, axes: Any, q: Any, *, max_nodes: int = 2500, coarsen: bool = True) -> Estimate:
    """Wasserstein-2 distance between a density tabulated on a uniform 2D grid and a law (or a second density on
    the same grid), by exact transport between node masses, with a rigorous discretisation bound (module
    docstring).

    Parameters
    ----------
    p : array_like, shape ``(n1, n2)``
        Density values at the nodes (``indexing="ij"``), ``>= 0``.
    axes : pair of array_like
        Uniform, increasing node coordinates ``(x, y)``.
    q : Distribution with ``pdf``, or array_like ``(n1, n2)``
        The other law, or its density values on the same nodes (then its cell masses are values x area too).
    max_nodes : int
        Nodes per law given to ``ot.emd2`` (at most :data:`GRID_W2_MAX_NODES`).
    coarsen : bool
        Merge k x k blocks when more nodes remain (else refuse with a :class:`ConfigError`).

    Returns
    -------
    Estimate
        ``name="W2"`` (the distance), uncertainty ``grid``: ``[value - bound, value + bound]`` with the bound of the
        module docstring; the note gives the masses outside the domain, which the bound does not cover.
    """
    import ot  # POT is imported where it is used (divergences/__init__ says why)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or not \
            2 <= max_nodes <= GRID_W2_MAX_NODES:
        raise ConfigError(f"max_nodes: must be an integer in 2..{GRID_W2_MAX_NODES} (the n x n cost matrix of "
                          f"ot.emd2), got {max_nodes!r}")
    ax = [np.asarray(a, dtype=np.float64).reshape(-1) for a in axes]
    p_law = p if hasattr(p, "pdf") and hasattr(p, "dim") else None
    pa = np.zeros((ax[0].size, ax[1].size)) if p_law is not None else np.asarray(p, dtype=np.float64)
    if pa.ndim != 2 or len(ax) != 2 or pa.shape != (ax[0].size, ax[1].size):
        raise ValueError(f"p must be a 2D array matching the axes, got {pa.shape} and {[a.size for a in ax]}")
    if not np.all(np.isfinite(pa)) or np.any(pa < 0):
        raise ValueError("p: density values must be finite and >= 0")
    for name, a in zip("xy", ax):
        steps = np.diff(a)
        if a.size < 2 or np.any(steps <= 0) or np.max(np.abs(steps - steps.mean())) > 1e-6 * steps.mean():
            raise ValueError(f"{name}: coordinates must be increasing and uniformly spaced")
    dx, dy = ax[0][1] - ax[0][0], ax[1][1] - ax[1][0]
    area = dx * dy
    half_diag_sq = 0.25 * (dx * dx + dy * dy)
    mass_p, cost_p = pa * area, half_diag_sq
    if p_law is not None:
        if p_law.dim != 2:
            raise ValueError(f"p has dimension {p_law.dim}, expected 2")
        mass_p, cost_p = _cell_probabilities(p_law, ax)
    cost_q = half_diag_sq
    if hasattr(q, "pdf") and hasattr(q, "dim"):
        if q.dim != 2:
            raise ValueError(f"q has dimension {q.dim}, expected 2")
        mass_q, cost_q = _cell_probabilities(q, ax)
        q_what = "the law's cell probabilities (4 x 4 Gauss-Legendre per cell)"
    else:
        qa = np.asarray(q, dtype=np.float64)
        if qa.shape != pa.shape or not np.all(np.isfinite(qa)) or np.any(qa < 0):
            raise ValueError("q: must be a law with pdf or finite, non-negative density values on the same grid")
        mass_q = qa * area
        q_what = "density values x cell area"
    total_p, total_q = float(np.sum(mass_p)), float(np.sum(mass_q))
    if not (total_p > 0 and total_q > 0):
        raise ValueError("a density has no mass on the grid")
    k = 1
    axes_k = ax
    while True:
        mp, mq = mass_p, mass_q
        if k > 1:
            mp, axes_k = _coarsen(mass_p, ax, k)
            mq, _ = _coarsen(mass_q, ax, k)
        xp, wp, drop_p = _support(mp, axes_k)
        xq, wq, drop_q = _support(mq, axes_k)
        if max(xp.shape[0], xq.shape[0]) <= max_nodes:
            break
        if not coarsen:
            raise ConfigError(f"max_nodes: the grid has {max(xp.shape[0], xq.shape[0])} nodes with mass, above "
                              f"max_nodes = {max_nodes}; pass coarsen=True or a coarser grid")
        k += 1
    cost = ot.dist(xp, xq, metric="sqeuclidean")
    value = math.sqrt(max(float(ot.emd2(wp, wq, cost, numItermax=50_000_000)), 0.0))
    diameter = math.hypot(ax[0][-1] - ax[0][0] + dx, ax[1][-1] - ax[1][0] + dy)
    # quantisation of each law: the cell-to-node coupling cost (computed for a law, worst case (half diagonal)^2
    # for node values); k x k blocks: worst case for the block half-diagonal
    quant = (math.sqrt(cost_p) + math.sqrt(cost_q)) if k == 1 else k * math.hypot(dx, dy)
    bound = quant + diameter * (math.sqrt(drop_p) + math.sqrt(drop_q))
    note = (f"|W2(P_h, Q_h) - W2(P, Q)| <= quantisation (P {math.sqrt(cost_p):.3g}, Q {math.sqrt(cost_q):.3g}; "
            f"<= sqrt(dx^2 + dy^2)/2 each) + D sqrt(dropped mass) = {bound:.3g} with k = {k}, "
            f"dx = {dx:.3g}, dy = {dy:.3g}; {xp.shape[0]} x {xq.shape[0]} nodes; Q_h from {q_what}; grid masses "
            f"sum p dA = {total_p:.12g}, Q(domain) = {total_q:.12g} (mass outside the domain is not covered)")
    return Estimate("W2", value, "exact OT between grid node masses (ot.emd2)" + (f", {k}x{k} blocks" if k > 1
                                                                                      else ""),
                    Uncertainty("grid", max(value - bound, 0.0), value + bound, None, note))
