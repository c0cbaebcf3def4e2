"""The probability-flow ODE (Song et al. 2021, eq. 13; seed 002, slide 'Fluxo de probabilidade e ODEs neurais'),
solved by explicit Runge--Kutta methods on the grid (``pf-ode-euler``, ``pf-ode`` = Heun, ``pf-ode-rk4``) or by an
adaptive solver (``pf-ode-adaptive``).

In reversed running time :math:`s = T - t`,

.. math::

    \\frac{dY_s}{ds} = b(T - s, Y_s), \\qquad b(t, y) = -a(t)\\,y + \\tfrac12 g(t)^2\\, \\text{score}(t, y),

which transports :math:`p_T` to :math:`p_0` with the same one-time marginals as the reverse SDE. (The seed writes
:math:`f - \\tfrac12 g\\,\\nabla\\log p_t`; the factor is :math:`g^2`, as in Song et al.) For OU the field is
:math:`y + \\text{score}(T-s, y)`.

An explicit Runge--Kutta method is its Butcher tableau :math:`(A, b, c)` (as in diffrax): backward step :math:`n`
from forward time :math:`t^+ = F_{N-n}` with step :math:`h = \\gamma_{N-1-n}` evaluates

.. math:: k_i = b\\big(t^+ - c_i h,\\; Y + h\\textstyle\\sum_{j<i} A_{ij}k_j\\big), \\qquad
          Y' = Y + h \\textstyle\\sum_i b_i k_i,

one declared transition (deterministic) per step, read by every route. ``pf-ode-adaptive`` uses
:func:`scipy.integrate.solve_ivp` (RK45 by default) on the flattened particle array, the route of score_sde_pytorch's
``get_ode_sampler``; the grid is used for its horizon only, and the score is queried at the solver's own times, so it
must be a continuous-time score (an ``ancestral`` :class:`ExactScore` refuses off-grid times).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.integrate import solve_ivp

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, ContinuousFlow, Transition, chain_over_grid

__all__ = [
    "AdaptivePFODESampler",
    "ButcherTableau",
    "EULER",
    "HEUN",
    "RK4",
    "EulerPFODESampler",
    "HeunPFODESampler",
    "RK4PFODESampler",
    "RungeKuttaPFODESampler",
    "pf_ode_drift",
]


@dataclass(frozen=True)
class ButcherTableau:
    """An explicit Runge--Kutta method: stage matrix ``a`` (strictly lower triangular), weights ``b``, nodes ``c``
    and its classical order."""

    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    c: tuple[float, ...]
    order: int


#: Forward Euler (order 1).
EULER = ButcherTableau(a=((),), b=(1.0,), c=(0.0,), order=1)
#: Heun's method, the explicit trapezoidal rule (order 2).
HEUN = ButcherTableau(a=((), (1.0,)), b=(0.5, 0.5), c=(0.0, 1.0), order=2)
#: The classical Runge--Kutta method (order 4; Kutta 1901).
RK4 = ButcherTableau(a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)), b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
                     c=(0.0, 0.5, 0.5, 1.0), order=4)


def pf_ode_drift(process, t: float):
    """The probability-flow field at forward time ``t`` as a function ``(y, ev) -> -a(t) y + g(t)^2/2 s(t, y)``."""
    keep = -process.drift_rate(t)
    half_g2 = 0.5 * float(process.diffusion_squared(t))

    def field(y, ev):
        return keep * y + half_g2 * ev.score(t, y)

    return field


def rk_transition(tableau: ButcherTableau, process, t_hi: float, t_lo: float, h: float) -> Transition:
    """One explicit RK step of the probability flow from forward time ``t_hi`` down to ``t_lo`` (step ``h``; the
    stage at :math:`c_i = 1` is fed ``t_lo`` itself, the grid's time, not :math:`t^+ - h`)."""
    times = tuple(t_hi if c == 0.0 else t_lo if c == 1.0 else t_hi - c * h for c in tableau.c)
    fields = [pf_ode_drift(process, t) for t in times]

    def mean(y, ev):
        ks = []
        for i, field in enumerate(fields):
            x = y
            for aij, kj in zip(tableau.a[i], ks):
                if aij != 0.0:
                    x = x + (h * aij) * kj
            ks.append(field(x, ev))
        out = y
        for bi, ki in zip(tableau.b, ks):
            out = out + (h * bi) * ki
        return out

    return Transition(mean, 0.0, times)


class RungeKuttaPFODESampler(Sampler):
    """An explicit Runge--Kutta method on the probability-flow ODE, on the sampler's grid.

    Deterministic given the initial points, so weak and strong order coincide: the tableau's order (global error
    :math:`O(h^p)` for a smooth field).
    """

    tableau: ButcherTableau = HEUN

    @property
    def weak_order(self) -> float:
        return float(self.tableau.order)

    @property
    def strong_order(self) -> float:
        return float(self.tableau.order)

    def declare(self, grid, process) -> Chain:
        return chain_over_grid(grid, lambda n, hi, lo, h: [rk_transition(self.tableau, process, hi, lo, h)])


class EulerPFODESampler(RungeKuttaPFODESampler):
    """Forward Euler on the probability-flow ODE (order 1)."""

    name = "pf-ode-euler"
    tableau = EULER


class HeunPFODESampler(RungeKuttaPFODESampler):
    """Heun (explicit trapezoidal rule) on the probability-flow ODE (order 2).

    .. math::

        k_1 = b(t_n, Y_n),\\quad \\tilde Y = Y_n + h_n k_1,\\quad k_2 = b(t_{n+1}, \\tilde Y),\\quad
        Y_{n+1} = Y_n + \\tfrac{h_n}{2}(k_1 + k_2),

    :math:`t_n = F_{N-n}`, :math:`t_{n+1} = F_{N-1-n}`, :math:`h_n = \\gamma_{N-1-n}`.
    """

    name = "pf-ode"
    tableau = HEUN


class RK4PFODESampler(RungeKuttaPFODESampler):
    """The classical 4-stage Runge--Kutta method on the probability-flow ODE (order 4)."""

    name = "pf-ode-rk4"
    tableau = RK4


class AdaptivePFODESampler(Sampler):
    """The probability-flow ODE by an adaptive solver (scipy ``solve_ivp``, RK45; score_sde_pytorch's ODE sampler).

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

    def declare(self, grid, process) -> ContinuousFlow:
        return ContinuousFlow(grid.T, self.rtol, self.atol, self.method)

    def _run(self, score, grid, process, y, noise, trajectory, declared=None):
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
