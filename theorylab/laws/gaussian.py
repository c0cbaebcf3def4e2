"""Closed-form output law of a sampler run with an affine score from a Gaussian start: a Gaussian.

Seed 000, slide "Análisis del proceso Ornstein-Uhlenbeck" ("(X_t) es un proceso Gaussiano"): with a Gaussian
target :math:`\\pi = \\mathcal N(\\mu, \\Sigma)` every marginal :math:`p_t` is Gaussian and its score is affine
(:class:`~theorylab.scores.ExactScore`; a constant bias, :class:`~theorylab.scores.BiasedScore`, keeps it affine).
Every step of the samplers is then :math:`Y' = MY + m + \\sqrt v Z` (:mod:`theorylab.laws.affine`), so the output
of the chain started from :math:`Y_0 \\sim \\mathcal N(m_0, S_0)` (the process prior, or ``initial``) is
:math:`\\mathcal N(m_N, S_N)` with the recursion

.. math::

    m_{n+1} = M_n m_n + m^{(n)}, \\qquad S_{n+1} = M_n S_n M_n^\\top + v_n I,

exact up to float64 round-off (``ErrorControl("rounding")``): the same arithmetic as the samplers, with the same
times and steps, but on moments instead of particles.

``pf-ode-adaptive`` integrates the probability-flow ODE :math:`dY/ds = B_{T-s}Y + \\beta_{T-s}` with an adaptive
solver. Its output is the exact flow map up to the solver's tolerance, and the map is affine,
:math:`Y_T = \\Phi(T) Y_0 + q(T)` with

.. math:: \\dot\\Phi = B_{T-s}\\Phi,\\ \\Phi(0) = I, \\qquad \\dot q = B_{T-s} q + \\beta_{T-s},\\ q(0) = 0,

which are integrated here with ``scipy.integrate.solve_ivp`` (DOP853) at tolerances :data:`FLOW_RTOL`,
:data:`FLOW_ATOL` (``ErrorControl("ode")``). Integrating :math:`\\Phi` rather than the covariance ODE
:math:`\\dot S = BS + SB^\\top` keeps :math:`S_T = \\Phi S_0\\Phi^\\top` positive semi-definite by construction. The law
is that of the *exact* flow; the torch sampler's own output differs from it by its solver error (its ``rtol``,
``atol``; RK45 step-size control is computed on the whole batch, so the sampler's map is not exactly affine per
particle).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from theorylab.errors import ConfigError
from theorylab.laws.affine import (AffineEvaluator, affine_steps, compose_steps, op_apply, op_dense, op_matmul,
                                   reverse_drift_affine, transition_map)
from theorylab.laws.base import (ErrorControl, NoClosedFormError, OutputLaw, check_process, initial_law,
                                 resolve_sampler, score_dim)

__all__ = ["FLOW_ATOL", "FLOW_RTOL", "affine_output_map", "flow_map", "gaussian_output_law"]

#: Relative tolerance of ``solve_ivp`` (DOP853) on the flow-map ODEs of ``pf-ode-adaptive``. DOP853 at 1e-12
#: reaches ~1e-12 relative accuracy on these smooth linear systems (d^2 + d unknowns) in a few hundred steps.
FLOW_RTOL: float = 1e-12
#: Absolute tolerance paired with :data:`FLOW_RTOL` (the entries of Phi and q are O(1) to O(prior_std^-1)).
FLOW_ATOL: float = 1e-13


def flow_map(score: Any, process: Any, T: float, dim: int, rtol: float = FLOW_RTOL, atol: float = FLOW_ATOL,
             sampler_name: str = "pf-ode-adaptive") -> tuple[np.ndarray, np.ndarray, int]:
    """``(Phi(T), q(T), nfev)`` of the exact probability-flow map :math:`Y_T = \\Phi(T)Y_0 + q(T)` (module docstring).

    The score is queried at forward time :math:`t = T - s`, as :class:`~theorylab.samplers.AdaptivePFODESampler`
    queries it.
    """

    def field(s: float, state: np.ndarray) -> np.ndarray:
        B, beta = reverse_drift_affine(score, process, T - s, dim, True, sampler_name)
        phi = state[: dim * dim].reshape(dim, dim)
        q = state[dim * dim:]
        return np.concatenate([(B @ phi).reshape(-1), B @ q + beta])

    start = np.concatenate([np.eye(dim).reshape(-1), np.zeros(dim)])
    sol = solve_ivp(field, (0.0, float(T)), start, method="DOP853", rtol=rtol, atol=atol, t_eval=[float(T)])
    if not sol.success:  # pragma: no cover - the field is smooth and linear
        raise RuntimeError(f"{sampler_name}: solve_ivp failed on the flow-map ODE: {sol.message}")
    end = sol.y[:, -1]
    return end[: dim * dim].reshape(dim, dim), end[dim * dim:], int(sol.nfev)


def affine_output_map(score: Any, sampler: Any, grid: Any, *, process: Any = None, dim: Any = None,
                      sampler_options: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P, q, Q)``: the sampler's output is :math:`Y_N = P Y_0 + q + \\varepsilon`, :math:`\\varepsilon \\sim
    \\mathcal N(0, Q)` independent of :math:`Y_0`, for an affine score.

    For the Euler–Maruyama samplers
    :math:`\\varepsilon = \\sum_n (M_{N-1}\\cdots M_{n+1})\\sqrt{v_n} Z_{n+1}`, so with
    explicit noise the output is determined exactly; for ``pf-ode`` (Heun) and ``pf-ode-adaptive`` (exact flow)
    :math:`Q = 0`.

    Raises
    ------
    NoClosedFormError
        If the sampler or the score has no closed form.
    """
    sampler = resolve_sampler(sampler, sampler_options)
    process = check_process(sampler, grid, process)
    d = score_dim(score, None, dim)
    from theorylab.samplers.kernel import ContinuousFlow

    declared = sampler.declare(grid, process)
    if isinstance(declared, ContinuousFlow):
        P, q, _ = flow_map(score, process, grid.T, d, sampler_name=sampler.name)
        return P, q, np.zeros((d, d))
    return compose_steps(affine_steps(sampler, score, grid, process, d), d)


def chain_moments(chain: Any, score: Any, dim: int, mean: np.ndarray, cov: np.ndarray,
                  sampler_name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Moments after a :class:`~theorylab.samplers.kernel.Chain` from :math:`\\mathcal N(m_0, S_0)`: the recursion
    :math:`m' = Mm + m^{(n)}`, :math:`S' = MSM^\\top + vI` over every transition (module docstring).

    Returns ``(mean, cov, transitions)``.
    """
    ev = AffineEvaluator(score, dim, sampler_name)
    count = 0
    for step in chain.steps:
        for tr in step.transitions:
            a = transition_map(tr, ev)
            mean = op_apply(a.M, mean) + a.m
            if np.ndim(cov) == 1 and np.ndim(a.M) <= 1:  # diagonal operators on a diagonal covariance: O(d)
                cov = a.M * a.M * cov + tr.var
            else:
                cov = op_matmul(op_matmul(a.M, cov), np.transpose(a.M) if np.ndim(a.M) == 2 else a.M)
                cov = op_dense(cov, dim)
                if tr.var > 0.0:
                    cov = cov + tr.var * np.eye(dim)
                cov = 0.5 * (cov + cov.T)
            count += 1
    return mean, cov, count


class _EigenScore:
    """A score seen in its eigenbasis: ``affine(t)`` returns the diagonal ``(a, c)`` of ``score.eigen_affine``."""

    def __init__(self, score: Any, dim: int):
        self._score = score
        self.dim = dim

    def affine(self, t: float):
        return self._score.eigen_affine(t)


def _eigen_route(score: Any, initial: Any) -> tuple[np.ndarray | None, np.ndarray, np.ndarray] | None:
    """``(U, mean, variances)`` of the initial law in the score's eigenbasis when the O(d) route applies: the score
    has an eigen form (:meth:`theorylab.scores.base.Score.eigenbasis`) and the initial law is isotropic (the process
    prior) or diagonal in the same basis. None otherwise (the dense recursion is used)."""
    getter = getattr(score, "eigenbasis", None)
    if getter is None:
        return None
    available, basis = getter()
    if not available or not hasattr(initial, "eigen_parts"):
        return None
    lam0, u0 = initial.eigen_parts()
    isotropic = bool(np.all(lam0 == lam0[0])) and (u0 is None or np.array_equal(initial.covariance(),
                                                                                lam0[0] * np.eye(lam0.size)))
    same = (u0 is None and basis is None) or (u0 is not None and basis is not None and
                                              (u0 is basis or np.array_equal(u0, basis)))
    if not (isotropic or same):
        return None
    mean = initial.mean()
    return basis, (mean if basis is None else basis.T @ mean), lam0.copy()


def _gaussian_moments(law: Any, name: str, dense: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """``(mean, covariance)`` of a Gaussian start (dense d x d); with ``dense=False`` only the check that it is
    Gaussian (the O(d) route never builds the dense covariance)."""
    from theorylab.distributions import Gaussian

    if not isinstance(law, Gaussian):
        raise NoClosedFormError(f"{name}: the initial law {type(law).__name__} is not Gaussian; no closed form")
    return (law.mean(), law.covariance()) if dense else None


def gaussian_output_law(score: Any, sampler: Any, grid: Any, *, process: Any = None, initial: Any = None,
                        dim: Any = None, sampler_options: dict | None = None) -> OutputLaw:
    """The exact (Gaussian) law of ``sampler``'s output for an affine ``score``.

    Parameters
    ----------
    score : callable with ``affine(t) -> (A, b)``
        E.g. :class:`~theorylab.scores.ExactScore` of a Gaussian, or a :class:`~theorylab.scores.BiasedScore` of it.
    sampler : str or Sampler
        ``reverse-em``, ``ancestral``, ``reverse-sde``, ``pf-ode``, ``pf-ode-adaptive`` or ``pc`` (the latter only
        with ``n_corrector = 0``).
    grid : TimeGrid
        Any grid (constant, linear, cosine, custom).
    process : Process, optional
        Forward process (default ``OrnsteinUhlenbeck(grid.T)``), as for the sampler.
    initial : Gaussian, optional
        Law of the starting points (default ``process.prior(d)``, what the samplers draw).
    dim : int, optional
        Dimension (default ``score.dim``).
    sampler_options : dict, optional
        Options of the sampler when ``sampler`` is a name (e.g. ``{"n_corrector": 0}``).

    Returns
    -------
    OutputLaw
        ``method="exact"``, ``law`` a :class:`~theorylab.distributions.Gaussian`; error kind ``rounding`` (chains)
        or ``ode`` (``pf-ode-adaptive``, with the solver tolerances in the note).

    Raises
    ------
    NoClosedFormError
        ``pc`` with correctors, a non-affine score, a non-Gaussian initial law (the message names the sampler).
    ConfigError
        Invalid process/grid combination (as the sampler would raise).
    """
    from theorylab.distributions import Gaussian
    from theorylab.samplers.kernel import ContinuousFlow

    sampler = resolve_sampler(sampler, sampler_options)
    process = check_process(sampler, grid, process)
    d = score_dim(score, None, dim)
    start = initial_law(process, d, initial)
    _gaussian_moments(start, sampler.name, dense=False)  # refuses a non-Gaussian start before any work
    details: dict[str, Any] = {"steps": grid.N, "grid": grid.kind}
    declared = sampler.declare(grid, process)
    if isinstance(declared, ContinuousFlow):
        mean, cov = _gaussian_moments(start, sampler.name)
        P, q, nfev = flow_map(score, process, grid.T, d, sampler_name=sampler.name)
        mean, cov = P @ mean + q, P @ cov @ P.T
        details.update(solver="DOP853", rtol=FLOW_RTOL, atol=FLOW_ATOL, nfev=nfev)
        error = ErrorControl("ode", None, (
            f"exact flow map of the probability-flow ODE integrated with solve_ivp DOP853 (rtol={FLOW_RTOL:g}, "
            f"atol={FLOW_ATOL:g}); the torch sampler differs from the exact flow by its own solver error "
            f"(rtol={declared.rtol:g}, atol={declared.atol:g})"))
    else:
        eigen = _eigen_route(score, start)
        if eigen is not None:
            basis, mean_t, var_t = eigen
            mean_t, var_t, count = chain_moments(declared, _EigenScore(score, d), d, mean_t, var_t, sampler.name)
            details.update(transitions=count, basis="target eigenbasis" if basis is not None else "standard (diagonal)")
            error = ErrorControl("rounding", 0.0, (
                f"exact to rounding: mean/variance recursion of the {count} affine transitions of {sampler.name!r} "
                f"({grid.N} steps; the sampler's own step functions run on diagonal affine values in the target's "
                "eigenbasis, O(d) per step), float64"))
            law = Gaussian.from_eigen(mean_t if basis is None else basis @ mean_t, np.maximum(var_t, 0.0),
                                      basis=basis, share_basis=True)
            return OutputLaw(law, "exact", sampler.name, error, details)
        mean, cov = _gaussian_moments(start, sampler.name)  # the dense route (no eigen form): d x d moments
        mean, cov, count = chain_moments(declared, score, d, mean, cov, sampler.name)
        details["transitions"] = count
        error = ErrorControl("rounding", 0.0, (
            f"exact to rounding: mean/covariance recursion of the {count} affine transitions of {sampler.name!r} "
            f"({grid.N} steps; the sampler's own step functions run on affine values), float64"))
    try:
        law = Gaussian(mean, 0.5 * (cov + cov.T))
    except ConfigError:
        raise NoClosedFormError(f"{sampler.name}: the output law is degenerate (covariance not positive definite: "
                                "a singular deterministic map)") from None
    return OutputLaw(law, "exact", sampler.name, error, details)
