"""The law of the *continuous-time* reverse SDE (no discretisation) started from a Gaussian, for an affine score.

Seed 000, slide 'Esquema de la Demostración': the proof of the De Bortoli et al. bound compares the sampler's
output :math:`\\pi_0\\hat R_N` with :math:`\\pi_0 Q_T`, the exact backward semigroup applied to
:math:`\\pi_0 = N(0, I)` (not to :math:`p_T`). With an affine score :math:`s(t, y) = A_t y + b_t` the reverse drift
is affine, :math:`B_t y + \\beta_t` (:func:`theorylab.laws.affine.reverse_drift_affine`), so in running time
:math:`u = T - t` the law stays Gaussian with moments solving

.. math::

    \\dot m = B_{T-u} m + \\beta_{T-u}, \\qquad \\dot C = B_{T-u} C + C B_{T-u}^\\top + g(T-u)^2 I,

integrated here with ``scipy.integrate.solve_ivp`` (DOP853, rtol :data:`FLOW_RTOL`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from theorylab.laws.affine import reverse_drift_affine
from theorylab.laws.gaussian import FLOW_ATOL, FLOW_RTOL

__all__ = ["reverse_sde_law"]


def reverse_sde_law(score: Any, process: Any, initial: Any, *, rtol: float = FLOW_RTOL, atol: float = FLOW_ATOL):
    """Gaussian law at running time :math:`T` (= ``process.T``) of the exact reverse SDE started from ``initial``.

    Parameters
    ----------
    score : affine score (``score.affine(t) -> (A, b)``), fed the forward time :math:`t = T - u`.
    process : Process
        Forward process (OU, VP, VE); its horizon ``T`` is the time run.
    initial : Gaussian
        Law of :math:`Y_0` (e.g. ``N(0, I)`` for :math:`\\pi_0 Q_T`, or :math:`p_T` to recover :math:`\\pi`).

    Returns
    -------
    Gaussian
        The law of :math:`Y_T`; accurate to the ODE tolerances (``rtol``, ``atol``).
    """
    from theorylab.distributions import Gaussian

    d = int(initial.dim)
    T = float(process.T)

    def field(u: float, state: np.ndarray) -> np.ndarray:
        t = T - u
        B, beta = reverse_drift_affine(score, process, t, d, False, "reverse-sde (continuous)")
        m, C = state[:d], state[d:].reshape(d, d)
        g2 = float(process.diffusion_squared(t))
        return np.concatenate([B @ m + beta, (B @ C + C @ B.T + g2 * np.eye(d)).reshape(-1)])

    start = np.concatenate([np.asarray(initial.mean(), dtype=np.float64),
                            np.asarray(initial.covariance(), dtype=np.float64).reshape(-1)])
    sol = solve_ivp(field, (0.0, T), start, method="DOP853", rtol=rtol, atol=atol, t_eval=[T])
    if not sol.success:  # pragma: no cover - smooth linear ODE
        raise RuntimeError(f"reverse_sde_law: solve_ivp failed: {sol.message}")
    end = sol.y[:, -1]
    C = end[d:].reshape(d, d)
    return Gaussian(end[:d], 0.5 * (C + C.T))
