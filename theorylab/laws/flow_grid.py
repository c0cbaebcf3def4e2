"""Output density of the deterministic samplers (probability-flow ODE) at any point, by inverting the flow.

Seed 002, slide "Fluxo de probabilidade e ODEs neurais": the probability-flow ODE transports the prior to the data
law deterministically. A deterministic map :math:`\\Psi` pushes the initial density :math:`p_0` to

.. math::

    p_{\\text{out}}(y) = p_0(x)\\,\\big|\\det D\\Psi(x)\\big|^{-1}, \\qquad x = \\Psi^{-1}(y)

(change of variables). Rather than pushing grid values forward and interpolating them back onto the grid at every
step (:math:`O(\\Delta x^4)` per step with cubic splines, accumulating over :math:`N` steps), each output node is
pulled back to its pre-image, so the value is exact up to the inversion tolerance and round-off, for any score:

* deterministic transitions of a declared chain (``pf-ode-euler``, ``pf-ode`` = Heun, ``pf-ode-rk4``, DDIM with
  :math:`\\eta = 0`, DPM-Solver, EDM's Heun step, ...; :mod:`theorylab.samplers.kernel`): each step's mean map
  :math:`\\mu` is inverted in turn, from the last step to the first, by Newton's method,
  :math:`x \\leftarrow x - D\\mu(x)^{-1}(\\mu(x) - y)`, started from the first-order inverse :math:`2y - \\mu(y)`,
  with the Jacobian by torch autograd through the step (``d`` backward passes; particles are independent, so one
  pass per output coordinate gives every particle's row); the log-determinants add up. Iterations stop at
  :data:`NEWTON_RTOL`.
* ``pf-ode-adaptive`` (:class:`~theorylab.samplers.AdaptivePFODESampler`, the exact flow): the characteristic
  through each output node is integrated *backwards* with ``scipy.integrate.solve_ivp`` (DOP853, tolerances
  :data:`CHARACTERISTIC_RTOL`, :data:`CHARACTERISTIC_ATOL`), together with the instantaneous change of variables
  (Chen et al. 2018, "Neural ODEs"; seed 002 "EDO de fluxo"):
  :math:`\\frac{d}{ds}\\log p_s(Y_s) = -\\operatorname{tr}\\partial_y b(T-s, Y_s)`, the trace by autograd. This is
  the law of the exact flow, which the torch sampler approximates to its own ``rtol``/``atol``.

Both need a score that torch autograd can differentiate (every score of :mod:`theorylab.scores` can); otherwise
:class:`NotImplementedError` is raised, and :func:`~theorylab.laws.dispatch.law_of_output` falls back to samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.integrate import solve_ivp

__all__ = [
    "CHARACTERISTIC_ATOL",
    "CHARACTERISTIC_RTOL",
    "NEWTON_MAX_HALVINGS",
    "NEWTON_MAX_ITER",
    "NEWTON_RTOL",
    "adaptive_flow_log_density",
    "check_differentiable",
    "invert_transition",
    "pullback_log_density",
]

#: Newton stops when :math:`\\max_i|\\Psi(x_i) - y_i| \\le` NEWTON_RTOL :math:`(1 + \\max_i|y_i|)`. The forward map is
#: evaluated with :math:`O(N)` roundings of relative size EPS ~ 2.2e-16 (N <= 10^3 steps gives ~1e-13), so 1e-12
#: is reachable yet 4 orders of magnitude below any density error that matters (1e-8 in TV).
NEWTON_RTOL: float = 1e-12
#: Newton iterations allowed (quadratic convergence from an O(h^2) start needs 2-4; damped steps far from the
#: solution need more).
NEWTON_MAX_ITER: int = 50
#: Step halvings tried per Newton iteration before a point is left where it is for this iteration.
NEWTON_MAX_HALVINGS: int = 30
#: Tolerances of the backward characteristic integration (DOP853). The log-density is a component of the state, so
#: its error is ~ the tolerance: 1e-11 relative error in the density, 1e-11 in TV.
CHARACTERISTIC_RTOL: float = 1e-11
CHARACTERISTIC_ATOL: float = 1e-11


def check_differentiable(score: Any, t: float, dim: int) -> None:
    """Raise :class:`NotImplementedError` unless ``score(t, x)`` is a tensor connected to ``x`` in torch's autograd
    graph (a score computed outside torch, e.g. through numpy, would silently give a wrong Jacobian: the reverse
    drift's linear part is differentiable on its own)."""
    x = torch.linspace(-1.0, 1.0, 2 * dim, dtype=torch.float64).reshape(2, dim).requires_grad_(True)
    with torch.enable_grad():
        value = score(float(t), x)
    if not (isinstance(value, torch.Tensor) and value.requires_grad):
        raise NotImplementedError("the score is not differentiable by torch autograd (the flow's Jacobian is "
                                  "needed for the grid route)")


def _logabsdet(J: torch.Tensor) -> torch.Tensor:
    return torch.linalg.slogdet(J)[1]


def _jacobian(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(fn(x), J)`` with ``J[i] = D fn(x_i)`` for a map acting on each row independently; shapes ``(m, d)``,
    ``(m, d, d)``."""
    d = x.shape[1]
    xg = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = fn(xg)
        if not y.requires_grad:
            raise NotImplementedError("the score is not differentiable by torch autograd (the flow's Jacobian "
                                      "is needed for the grid route)")
        rows = [torch.autograd.grad(y[:, k].sum(), xg, retain_graph=k < d - 1)[0] for k in range(d)]
    return y.detach(), torch.stack(rows, dim=1)


def _damped_update(forward: Callable[[torch.Tensor], torch.Tensor], target: torch.Tensor, x: torch.Tensor,
                   r: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Newton step with backtracking, point by point: the full step is taken where it reduces the residual norm,
    else it is halved (up to :data:`NEWTON_MAX_HALVINGS` times); far from the solution (where the backward-Heun
    start is poor: strongly contracting or stretching regions of the map) the full step can overshoot."""
    norm = torch.linalg.vector_norm(r, dim=-1)
    lam = torch.ones_like(norm)
    pending = torch.ones_like(norm, dtype=torch.bool)
    new_x = x.clone()
    with torch.no_grad():
        for _ in range(NEWTON_MAX_HALVINGS):
            trial = x[pending] - lam[pending, None] * step[pending]
            trial_norm = torch.linalg.vector_norm(forward(trial) - target[pending], dim=-1)
            better = torch.isfinite(trial_norm) & (trial_norm < norm[pending])
            idx = torch.nonzero(pending).squeeze(-1)
            new_x[idx[better]] = trial[better]
            pending[idx[better]] = False
            lam[pending] *= 0.5
            if not bool(pending.any()):
                break
    return new_x


def invert_transition(mean_map: Callable[[torch.Tensor], torch.Tensor], y: torch.Tensor,
                      name: str = "sampler") -> tuple[torch.Tensor, torch.Tensor, int, float]:
    """Solve :math:`\\mu(x) = y` row by row for a deterministic transition's mean map, by damped Newton.

    The start is the first-order inverse :math:`x_0 = 2y - \\mu(y)` (exact to :math:`O(h^2)` for a step
    :math:`\\mu = \\mathrm{id} + O(h)`); the Jacobian comes from torch autograd (one backward pass per coordinate:
    rows are independent). Stops when :math:`\\max_i|\\mu(x_i) - y_i| \\le` :data:`NEWTON_RTOL`
    :math:`(1 + \\max_i|y_i|)`.

    Returns
    -------
    (x, log|det Dmu(x)|, iterations, residual)
    """
    with torch.no_grad():
        x = 2.0 * y - mean_map(y)
    scale = 1.0 + float(y.abs().max()) if y.numel() else 1.0
    residual = math.inf
    J = None
    for iteration in range(1, NEWTON_MAX_ITER + 1):
        value, J = _jacobian(mean_map, x)
        r = value - y
        residual = float(r.abs().max()) if r.numel() else 0.0
        if not math.isfinite(residual) or residual <= NEWTON_RTOL * scale:
            break
        x = _damped_update(mean_map, y, x, r, torch.linalg.solve(J, r.unsqueeze(-1)).squeeze(-1))
    if not residual <= NEWTON_RTOL * scale:
        raise RuntimeError(f"{name}: Newton inversion of a deterministic step did not converge (max residual "
                           f"{residual:.3g}); is the step a bijection at this step size?")
    return x.detach(), _logabsdet(J).detach(), iteration, residual


def pullback_log_density(transitions: list[Any], ev: Any, log_density: Callable[[np.ndarray], np.ndarray],
                         name: str = "sampler") -> tuple[Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], dict]:
    """The log-density after a run of deterministic transitions, by change of variables through their inverses.

    .. math:: \\log p_{\\text{out}}(y) = \\log p(x) - \\textstyle\\sum_j \\log|\\det D\\mu_j(x_j)|,

    with :math:`x_j` the pre-images of :math:`y` through the transitions taken in reverse order (each inverted by
    :func:`invert_transition`).

    Returns
    -------
    (evaluate, info)
        ``evaluate(points (m, d)) -> (log_density (m,), preimages (m, d))``; ``info`` is updated with the largest
        Newton iteration count and residual seen.
    """
    info: dict[str, Any] = {"newton_iterations": 0, "newton_residual": 0.0}

    def evaluate(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = torch.from_numpy(np.ascontiguousarray(points, dtype=np.float64))
        total = torch.zeros(y.shape[0], dtype=torch.float64)
        for tr in reversed(transitions):
            y, logdet, iterations, residual = invert_transition(lambda x, tr=tr: tr.mean(x, ev), y, name)
            total = total + logdet
            info["newton_iterations"] = max(info["newton_iterations"], iterations)
            info["newton_residual"] = max(info["newton_residual"], residual)
        pre = y.numpy().copy()
        return np.asarray(log_density(pre), dtype=np.float64) - total.numpy(), pre

    return evaluate, info


def adaptive_flow_log_density(reverse: Any, T: float, points: np.ndarray,
                              log_p0: Callable[[np.ndarray], np.ndarray],
                              rtol: float = CHARACTERISTIC_RTOL,
                              atol: float = CHARACTERISTIC_ATOL) -> tuple[np.ndarray, np.ndarray, dict]:
    """Log-density of the exact probability-flow output at ``points`` ``(m, d)``, by backward characteristics.

    The state is :math:`(Y_s, \\ell_s)` with :math:`dY/ds = b(T-s, Y)` and :math:`d\\ell/ds = \\operatorname{tr}
    \\partial_y b(T-s, Y)`, integrated from :math:`s = T` (:math:`Y = y`, :math:`\\ell = 0`) down to :math:`s = 0`;
    then :math:`\\log p_{\\text{out}}(y) = \\log p_0(Y_0) + \\ell_0` (since :math:`\\ell_0 = -\\int_0^T
    \\operatorname{tr}\\partial_y b`).

    Returns
    -------
    (log_density (m,), preimages (m, d), info)
    """
    pts = np.ascontiguousarray(points, dtype=np.float64)
    m, d = pts.shape

    def field(s: float, state: np.ndarray) -> np.ndarray:
        y = torch.from_numpy(state[: m * d].reshape(m, d).copy())
        b, J = _jacobian(lambda z: reverse.drift_at(T - s, z), y)
        trace = torch.diagonal(J, dim1=-2, dim2=-1).sum(-1)
        return np.concatenate([b.numpy().reshape(-1), trace.numpy()])

    start = np.concatenate([pts.reshape(-1), np.zeros(m)])
    sol = solve_ivp(field, (float(T), 0.0), start, method="DOP853", rtol=rtol, atol=atol, t_eval=[0.0])
    if not sol.success:  # pragma: no cover - depends on the score
        raise RuntimeError(f"pf-ode-adaptive: backward characteristics failed: {sol.message}")
    end = sol.y[:, -1]
    x0 = end[: m * d].reshape(m, d)
    log_dens = np.asarray(log_p0(x0), dtype=np.float64) + end[m * d:]
    return log_dens, x0, {"nfev": int(sol.nfev), "rtol": rtol, "atol": atol}
