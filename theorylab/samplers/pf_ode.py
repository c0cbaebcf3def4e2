"""``pf-ode`` and ``pf-ode-adaptive``: the probability-flow ODE (Song et al. 2021, eq. 13; seed 002, slide
'Fluxo de probabilidade e ODEs neurais').

In reversed running time :math:`s = T - t`,

.. math::

    \\frac{dY_s}{ds} = -f(T-s, Y_s) + \\tfrac12 g(T-s)^2\\, \\text{score}(T-s, Y_s),

which transports :math:`p_T` to :math:`p_0` with the same one-time marginals as the reverse SDE. (The seed writes
:math:`f - \\tfrac12 g\\,\\nabla\\log p_t`; the factor is :math:`g^2`, as in Song et al.) For OU the field is
:math:`y + \\text{score}(T-s, y)`.

* ``pf-ode`` -- Heun's method (explicit trapezoid, 2nd order) on the grid's backward steps; two score
  evaluations per step, at the upper (:math:`F_{N-n}`) and lower (:math:`F_{N-1-n}`) ends of the step.
* ``pf-ode-adaptive`` -- :func:`scipy.integrate.solve_ivp` (RK45 by default; ``rtol``/``atol`` exposed) on the
  flattened particle array, the route of score_sde_pytorch's ``get_ode_sampler``. torchdiffeq is not installed
  in theorylab's environment, so scipy is used (state copied to numpy float64 at each evaluation). The grid is
  used for its horizon only (and for the trajectory's output times); the score is queried at the solver's own
  times, so it must be a continuous-time score (an ``ancestral`` :class:`ExactScore` refuses off-grid times).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.integrate import solve_ivp

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler

__all__ = ["AdaptivePFODESampler", "HeunPFODESampler"]


class HeunPFODESampler(Sampler):
    """Heun (explicit trapezoidal rule) on the probability-flow ODE.

    .. math::

        k_1 = b(t_n, Y_n),\\quad \\tilde Y = Y_n + h_n k_1,\\quad k_2 = b(t_{n+1}, \\tilde Y),\\quad
        Y_{n+1} = Y_n + \\tfrac{h_n}{2}(k_1 + k_2),

    :math:`b` the reverse ODE drift at forward time, :math:`t_n = F_{N-n}`, :math:`h_n = \\gamma_{N-1-n}`.
    Order 2 (global error :math:`O(h^2)` for a smooth field); deterministic given the initial points, so weak
    and strong order coincide.
    """

    name = "pf-ode"
    weak_order = 2.0
    strong_order = 2.0

    def noise_draws(self, grid) -> int:
        return 0

    def _run(self, score, grid, process, y, noise, trajectory):
        reverse = process.reverse(score, probability_flow=True)
        F = grid.cumulative_times.tolist()
        h_back = grid.backward_gammas.tolist()
        N = grid.N
        for n in range(N):
            t_hi, t_lo, h = F[N - n], F[N - 1 - n], h_back[n]
            k1 = reverse.drift_at(t_hi, y)
            k2 = reverse.drift_at(t_lo, y + h * k1)
            y = y + (0.5 * h) * (k1 + k2)
            if trajectory is not None:
                trajectory.append(y.clone())
        return y


class AdaptivePFODESampler(Sampler):
    """Adaptive probability-flow ODE through :func:`scipy.integrate.solve_ivp`.

    Parameters
    ----------
    rtol, atol : float
        Tolerances passed to ``solve_ivp`` (score_sde_pytorch uses 1e-5 for both).
    method : str
        Any ``solve_ivp`` method; default ``"RK45"`` (Dormand--Prince 5(4), propagating the 5th-order solution).

    Notes
    -----
    ``weak_order``/``strong_order`` = 5 are those of RK45's propagated solution; the error is controlled by
    ``rtol``/``atol``, not by the grid. ``last_nfev`` holds the number of drift evaluations of the last run.
    """

    name = "pf-ode-adaptive"
    weak_order = 5.0
    strong_order = 5.0

    def __init__(self, rtol: float = 1e-5, atol: float = 1e-5, method: str = "RK45"):
        for key, value in (("rtol", rtol), ("atol", atol)):
            if not (np.isfinite(value) and value > 0):
                raise ConfigError(f"sampler.{key}: must be > 0, got {value!r}")
        self.rtol, self.atol, self.method = float(rtol), float(atol), str(method)
        self.last_nfev: int | None = None

    def noise_draws(self, grid) -> int:
        return 0

    def _run(self, score, grid, process, y, noise, trajectory):
        reverse = process.reverse(score, probability_flow=True)
        shape, device, dtype = y.shape, y.device, y.dtype
        T = grid.T

        def field(s, flat):
            state = torch.from_numpy(flat.reshape(shape)).to(device=device, dtype=dtype)
            return reverse.drift_at(T - s, state).detach().cpu().numpy().astype(np.float64).reshape(-1)

        # t_eval = [T] keeps only the end state (solve_ivp would otherwise store every accepted step: O(steps n d))
        t_eval = np.clip(T - grid.cumulative_times[::-1], 0.0, T) if trajectory is not None else np.array([T])
        sol = solve_ivp(field, (0.0, T), y.detach().cpu().numpy().astype(np.float64).reshape(-1),
                        method=self.method, rtol=self.rtol, atol=self.atol, t_eval=t_eval)
        if not sol.success:  # pragma: no cover - depends on the score
            raise RuntimeError(f"solve_ivp failed: {sol.message}")
        self.last_nfev = int(sol.nfev)
        if trajectory is not None:
            states = torch.from_numpy(sol.y.T.copy()).to(device=device, dtype=dtype).reshape(-1, *shape)
            trajectory.extend(list(states[1:]))
            return states[-1]
        return torch.from_numpy(sol.y[:, -1].copy()).to(device=device, dtype=dtype).reshape(shape)
