"""Each step of a sampler with an affine score, as an affine map plus Gaussian noise.

If the score is affine in the state, :math:`s(t, y) = A_t y + b_t` (``score.affine(t) -> (A, b)``; seed 000, slide
"Análisis del proceso Ornstein-Uhlenbeck": with a Gaussian target every :math:`p_t` is Gaussian, so its score is
affine), and the forward drift is linear, :math:`f(t, y) = F_t y` (OU, VP, VE), the reverse drift of
:meth:`~theorylab.processes.Process.reverse` is affine too:

.. math::

    b_c(t, y) = -F_t y + c\\,g(t)^2 (A_t y + b_t) = B_t y + \\beta_t, \\qquad
    B_t = -F_t + c\\,g(t)^2 A_t, \\quad \\beta_t = c\\,g(t)^2 b_t,

with :math:`c = 1` (reverse SDE) or :math:`c = 1/2` (probability-flow ODE). Every step of the samplers of
:mod:`theorylab.samplers` is then :math:`Y' = M Y + m + \\sqrt v\\,Z`:

* Euler–Maruyama (``reverse-em``, ``ancestral``, ``reverse-sde``; :mod:`theorylab.samplers.em`), backward step
  :math:`n`, score time :math:`t_n` = ``grid.score_times(sampler.convention)[n]``, step
  :math:`h_n` = ``grid.backward_gammas[n]``:

  .. math:: M = I + h_n B_{t_n}, \\quad m = h_n \\beta_{t_n}, \\quad v = g(t_n)^2 h_n;

* Heun on the probability flow (``pf-ode``; :class:`~theorylab.samplers.HeunPFODESampler`), times
  :math:`t^+ = F_{N-n}`, :math:`t^- = F_{N-1-n}`:

  .. math:: M = I + \\tfrac h2\\big(B_{t^+} + B_{t^-} + h B_{t^-}B_{t^+}\\big), \\quad
            m = \\tfrac h2\\big(\\beta_{t^+} + \\beta_{t^-} + h B_{t^-}\\beta_{t^+}\\big), \\quad v = 0

  (expand :math:`k_1 = b(t^+, y)`, :math:`k_2 = b(t^-, y + h k_1)`, :math:`y' = y + \\tfrac h2(k_1 + k_2)`);
* ``pc`` with ``n_corrector = 0`` is ``reverse-sde`` exactly (same loop); with correctors its Langevin step
  :math:`\\varepsilon = 2\\alpha(\\text{snr}\\,\\overline{\\|z\\|}/\\overline{\\|s\\|})^2` is a function of the whole
  batch, so a particle's update is not an affine map of that particle: no closed form
  (:class:`~theorylab.laws.base.NoClosedFormError`).

The times and steps are read from :class:`~theorylab.samplers.TimeGrid` (``score_times``, ``backward_gammas``,
``cumulative_times``) exactly as the samplers read them, so the maps replicate the samplers' indexing for every grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.laws.base import NoClosedFormError

__all__ = ["AffineStep", "affine_steps", "check_pc_grid", "compose_steps", "reverse_drift_affine", "score_affine"]


@dataclass(frozen=True)
class AffineStep:
    """One sampler step :math:`Y' = M Y + m + \\sqrt{v} Z`, :math:`Z \\sim \\mathcal N(0, I_d)`.

    Attributes
    ----------
    matrix : numpy.ndarray, shape ``(d, d)``
    shift : numpy.ndarray, shape ``(d,)``
    noise_var : float
        :math:`v` (0 for ODE steps).
    times : tuple of float
        Forward times fed to the score in this step.
    step : float
        The step size :math:`h`.
    """

    matrix: np.ndarray
    shift: np.ndarray
    noise_var: float
    times: tuple[float, ...]
    step: float


def score_affine(score: Any, t: float, sampler_name: str) -> tuple[np.ndarray, np.ndarray]:
    """``score.affine(t)`` as float64 ``(A, b)``; :class:`NoClosedFormError` if the score is not affine."""
    getter = getattr(score, "affine", None)
    if getter is None:
        raise NoClosedFormError(f"{sampler_name}: the score {type(score).__name__} has no affine(t); "
                                "a closed-form output law needs an affine score (Gaussian target)")
    ab = getter(float(t))
    if ab is None:
        raise NoClosedFormError(f"{sampler_name}: the score is not affine at t = {float(t):.6g} (non-Gaussian "
                                "target or non-affine perturbation); no closed-form output law")
    A, b = ab
    return np.atleast_2d(np.asarray(A, dtype=np.float64)), np.atleast_1d(np.asarray(b, dtype=np.float64))


def forward_drift_matrix(process: Any, t: float, dim: int) -> np.ndarray:
    """:math:`F_t` with :math:`f(t, y) = F_t y`, read off the process's own drift: rows of ``drift(t, I)`` are
    :math:`f(t, e_i)^\\top = (F_t e_i)^\\top`, so ``drift(t, I)`` is :math:`F_t^\\top`."""
    return np.asarray(process.drift(float(t), np.eye(dim)), dtype=np.float64).T


def reverse_drift_affine(score: Any, process: Any, t: float, dim: int, probability_flow: bool,
                         sampler_name: str = "sampler") -> tuple[np.ndarray, np.ndarray]:
    """:math:`(B_t, \\beta_t)` of the reverse drift :math:`b_c(t, y) = B_t y + \\beta_t` (module docstring)."""
    A, b = score_affine(score, t, sampler_name)
    if A.shape != (dim, dim) or b.shape != (dim,):
        raise NoClosedFormError(f"{sampler_name}: score.affine returned shapes {A.shape}, {b.shape}; "
                                f"expected ({dim}, {dim}), ({dim},)")
    c_g2 = (0.5 if probability_flow else 1.0) * float(process.diffusion_squared(float(t)))
    return -forward_drift_matrix(process, t, dim) + c_g2 * A, c_g2 * b


def _em_steps(score, grid, process, dim, convention, name) -> list[AffineStep]:
    eye = np.eye(dim)
    steps = []
    reverse = process.reverse(score)
    for t, h in zip(grid.score_times(convention).tolist(), grid.backward_gammas.tolist()):
        B, beta = reverse_drift_affine(score, process, t, dim, False, name)
        steps.append(AffineStep(eye + h * B, h * beta, float(reverse.diffusion_squared_at(t)) * h, (t,), h))
    return steps


def _heun_steps(score, grid, process, dim, name) -> list[AffineStep]:
    eye = np.eye(dim)
    F = grid.cumulative_times.tolist()
    h_back = grid.backward_gammas.tolist()
    N = grid.N
    steps = []
    for n in range(N):
        t_hi, t_lo, h = F[N - n], F[N - 1 - n], h_back[n]
        B_hi, beta_hi = reverse_drift_affine(score, process, t_hi, dim, True, name)
        B_lo, beta_lo = reverse_drift_affine(score, process, t_lo, dim, True, name)
        M = eye + 0.5 * h * (B_hi + B_lo + h * (B_lo @ B_hi))
        m = 0.5 * h * (beta_hi + beta_lo + h * (B_lo @ beta_hi))
        steps.append(AffineStep(M, m, 0.0, (t_hi, t_lo), h))
    return steps


def check_pc_grid(sampler: Any, grid: Any, process: Any) -> None:
    """Refuse what :class:`~theorylab.samplers.PredictorCorrectorSampler` refuses: it checks the Langevin factor
    :math:`\alpha_n = ` ``process.corrector_alpha(t_n, h_n)`` > 0 at every step, even with ``n_corrector = 0``, so
    a law is not reported for a run the sampler would not make (same ConfigError)."""
    from theorylab.errors import ConfigError

    for t, h in zip(grid.forward_times.tolist(), grid.backward_gammas.tolist()):
        alpha = process.corrector_alpha(t, h)
        if not alpha > 0.0:
            raise ConfigError(
                f"sampler.grid: Langevin factor alpha = {alpha:.3g} <= 0 at t = {t:.6g} (VP: 1 - beta(t) h); "
                "use smaller steps")


def affine_steps(sampler: Any, score: Any, grid: Any, process: Any, dim: int) -> list[AffineStep]:
    """The sampler's steps as :class:`AffineStep` maps, in the order the sampler applies them.

    Raises
    ------
    NoClosedFormError
        For ``pc`` with correctors, for ``pf-ode-adaptive`` (continuous flow: see
        :func:`theorylab.laws.gaussian.gaussian_output_law`), for unknown samplers, or if the score is not affine.
    """
    from theorylab.samplers import AdaptivePFODESampler, HeunPFODESampler, PredictorCorrectorSampler
    from theorylab.samplers.em import EulerMaruyamaSampler

    name = getattr(sampler, "name", type(sampler).__name__)
    if isinstance(sampler, EulerMaruyamaSampler):
        return _em_steps(score, grid, process, dim, sampler.convention, name)
    if isinstance(sampler, PredictorCorrectorSampler):
        if sampler.n_corrector == 0:  # the pc loop is then reverse-sde, step for step
            check_pc_grid(sampler, grid, process)
            return _em_steps(score, grid, process, dim, "reverse-em", name)
        raise NoClosedFormError(
            f"{name}: the Langevin corrector's step size depends on the norms of the whole batch, so the update is "
            "not affine per particle; no closed-form output law (use the samples route)")
    if isinstance(sampler, HeunPFODESampler):
        return _heun_steps(score, grid, process, dim, name)
    if isinstance(sampler, AdaptivePFODESampler):
        raise NoClosedFormError(f"{name}: a continuous flow, not a chain of steps (use gaussian_output_law)")
    raise NoClosedFormError(f"{name}: no closed-form output law is known for this sampler")


def compose_steps(steps: list[AffineStep], dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P, q, Q)`` with :math:`Y_N = P Y_0 + q + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, Q)`
    independent of :math:`Y_0` (composition of the steps: :math:`P \\leftarrow MP`, :math:`q \\leftarrow Mq + m`,
    :math:`Q \\leftarrow MQM^\\top + vI`)."""
    P, q, Q = np.eye(dim), np.zeros(dim), np.zeros((dim, dim))
    for s in steps:
        P = s.matrix @ P
        q = s.matrix @ q + s.shift
        Q = s.matrix @ Q @ s.matrix.T + s.noise_var * np.eye(dim)
        Q = 0.5 * (Q + Q.T)
    return P, q, Q
