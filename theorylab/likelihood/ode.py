"""The instantaneous change of variables, integrated: :math:`\\log q_\\varepsilon(x) = \\log\\pi(x(T)) +
\\int_\\varepsilon^T \\nabla\\cdot u(t, x(t))\\,dt`.

Chen et al. 2018 (neural ODEs, Theorem 1): along :math:`\\dot x = u(t, x)` the log-density of the transported law
obeys :math:`\\tfrac{d}{dt}\\log p_t(x(t)) = -\\nabla\\cdot u(t, x(t))`. Starting a data point at time
:math:`\\varepsilon` and integrating to :math:`T` with the prior :math:`\\pi` read there gives the model's
log-likelihood (Song et al. 2021, eq. 39-40; score_sde_pytorch ``likelihood.py``, k-diffusion ``log_likelihood``).
One ``scipy.integrate.solve_ivp`` call integrates the whole batch: the state is the points ``(n, d)`` and one or two
running integrals per point (exact trace, Hutchinson estimate), as in score_sde_pytorch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

__all__ = ["FlowSolution", "integrate_divergence"]


@dataclass(frozen=True)
class FlowSolution:
    """End points and accumulated divergences of one batch solve.

    Attributes
    ----------
    x_end : ndarray (n, d)
        :math:`x(T)`.
    int_exact, int_hutch : ndarray (n,) or None
        :math:`\\int_\\varepsilon^T \\nabla\\cdot u\\,dt` (exact trace) and its Hutchinson estimate.
    nfev : int
        Evaluations of the field by the solver.
    """

    x_end: np.ndarray
    int_exact: np.ndarray | None
    int_hutch: np.ndarray | None
    nfev: int


def integrate_divergence(field: Any, x0: np.ndarray, t0: float, t1: float, *, rtol: float, atol: float,
                         method: str = "RK45") -> FlowSolution:
    """Integrate :math:`\\dot x = u`, :math:`\\dot\\ell = \\nabla\\cdot u` from ``t0`` to ``t1`` for every point.

    Parameters
    ----------
    field : callable ``field(t, x) -> (u, div_exact | None, div_hutch | None)`` (:mod:`theorylab.likelihood.field`)
    x0 : ndarray (n, d)
    rtol, atol : float
        Tolerances of ``solve_ivp`` (applied to the points and the integrals alike).
    """
    x0 = np.asarray(x0, dtype=np.float64)
    n, d = x0.shape
    u0, e0, h0 = field(t0, x0)
    cols = [c for c, v in (("exact", e0), ("hutch", h0)) if v is not None]
    k = len(cols)

    def rhs(t: float, y: np.ndarray) -> np.ndarray:
        x = y[: n * d].reshape(n, d)
        u, e, h = field(t, x)
        parts = [u.reshape(-1)] + [v for v in (e, h) if v is not None]
        return np.concatenate(parts)

    y0 = np.concatenate([x0.reshape(-1), np.zeros(n * k)])
    sol = solve_ivp(rhs, (float(t0), float(t1)), y0, method=method, rtol=rtol, atol=atol, t_eval=[float(t1)])
    if not sol.success:  # pragma: no cover - smooth fields
        raise RuntimeError(f"probability-flow ODE solve failed: {sol.message}")
    y = sol.y[:, -1]
    integrals = y[n * d:].reshape(k, n) if k else np.zeros((0, n))
    got = dict(zip(cols, integrals))
    return FlowSolution(y[: n * d].reshape(n, d), got.get("exact"), got.get("hutch"), int(sol.nfev) + 1)
