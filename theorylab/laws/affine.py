"""The exact route: a scheme's declared steps run on affine values, for an affine score.

If the score is affine in the state, :math:`s(t, y) = A_t y + b_t` (``score.affine(t) -> (A, b)``; seed 000, slide
"Análisis del proceso Ornstein-Uhlenbeck": with a Gaussian target every :math:`p_t` is Gaussian, so its score is
affine), then every mean map :math:`\\mu` of a :class:`~theorylab.samplers.kernel.Transition` — a composition of
score evaluations, additions and multiplications by scalars — is affine too. This module runs the sampler's *own*
mean maps on :class:`Affine` values :math:`x = M y + m` (``y`` the transition's input), which gives the transition
as :math:`Y' = M Y + m + \\sqrt{v} Z` with no step re-derived by hand: Euler–Maruyama gives
:math:`M = I + h B_t`, Heun :math:`M = I + \\tfrac h2(B_{t^+} + B_{t^-} + hB_{t^-}B_{t^+})`, and every other scheme
(exponential integrator, DDPM, DDIM, DPM-Solver, EDM, RK4, annealed Langevin) what its step function computes.

The output of the chain started from :math:`Y_0 \\sim \\mathcal N(m_0, S_0)` is then :math:`\\mathcal N(m_N, S_N)`:

.. math:: m' = M m + m^{(n)}, \\qquad S' = M S M^\\top + v I,

exact up to float64 round-off (the same arithmetic as the samplers, with the same times and steps, on moments).

Operators are kept as small as they can be: a Python float (a multiple of the identity), a 1-D array (a diagonal
matrix) or a 2-D array. A score whose :math:`A_t` is diagonal therefore costs :math:`O(d)` per evaluation; dense
scores cost a :math:`d \\times d` product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.laws.base import NoClosedFormError

__all__ = [
    "Affine",
    "AffineEvaluator",
    "AffineStep",
    "affine_steps",
    "compose_steps",
    "reverse_drift_affine",
    "score_affine",
    "transition_map",
]

#: An operator: a float (multiple of I), a 1-D array (diagonal) or a 2-D array (dense).
Operator = float | np.ndarray


def op_matmul(a: Operator, b: Operator) -> Operator:
    """The product :math:`ab` of two operators, in the smallest representation."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return a * b
    if np.ndim(a) == 1 and np.ndim(b) == 1:
        return a * b
    if np.ndim(a) == 1:
        return a[:, None] * b
    if np.ndim(b) == 1:
        return a * b[None, :]
    return a @ b


def op_apply(a: Operator, v: np.ndarray) -> np.ndarray:
    """:math:`a v` for a vector ``v``."""
    return a @ v if np.ndim(a) == 2 else a * v


def op_add(a: Operator, b: Operator) -> Operator:
    """:math:`a + b`, promoting to the larger representation."""
    if np.ndim(a) == 2 and np.ndim(b) < 2:
        b = np.diag(np.broadcast_to(b, (a.shape[0],)))
    elif np.ndim(b) == 2 and np.ndim(a) < 2:
        a = np.diag(np.broadcast_to(a, (b.shape[0],)))
    return a + b


def op_dense(a: Operator, dim: int) -> np.ndarray:
    """``a`` as a ``(dim, dim)`` matrix."""
    if np.ndim(a) == 2:
        return np.asarray(a, dtype=np.float64)
    return np.diag(np.broadcast_to(np.asarray(a, dtype=np.float64), (dim,)).copy())


class Affine:
    """An affine function :math:`x = M y + m` of a transition's input ``y``, with the arithmetic of a tensor.

    Supports ``+``/``-`` (with another :class:`Affine`, a constant vector or scalar), multiplication and division
    by a scalar, and negation: the operations the mean maps of :mod:`theorylab.samplers` use. numpy scalars defer
    to these methods (``__array_ufunc__ = None``).
    """

    __slots__ = ("M", "m")
    __array_ufunc__ = None

    def __init__(self, M: Operator, m: np.ndarray):
        self.M = M
        self.m = m

    def _lift(self, other: Any) -> Affine:
        if isinstance(other, Affine):
            return other
        return Affine(0.0, np.asarray(other, dtype=np.float64) + np.zeros_like(self.m))

    def __add__(self, other: Any) -> Affine:
        o = self._lift(other)
        return Affine(op_add(self.M, o.M), self.m + o.m)

    __radd__ = __add__

    def __neg__(self) -> Affine:
        return Affine(-1.0 * self.M, -self.m)

    def __sub__(self, other: Any) -> Affine:
        return self + (-self._lift(other))

    def __rsub__(self, other: Any) -> Affine:
        return self._lift(other) + (-self)

    def __mul__(self, c: Any) -> Affine:
        if isinstance(c, Affine) or np.ndim(c) != 0:
            raise NoClosedFormError("a mean map multiplies the state by a non-scalar: not an affine step")
        c = float(c)
        return Affine(c * self.M, c * self.m)

    __rmul__ = __mul__

    def __truediv__(self, c: Any) -> Affine:
        return self * (1.0 / float(c))

    def clone(self) -> Affine:  # the torch route's ``y.clone()``
        return self


def score_affine(score: Any, t: float, sampler_name: str) -> tuple[Operator, np.ndarray]:
    """``score.affine(t)`` as float64 ``(A, b)``; :class:`NoClosedFormError` if the score is not affine.

    ``A`` may be returned as a dense ``(d, d)`` matrix or as a ``(d,)`` diagonal.
    """
    getter = getattr(score, "affine", None)
    if getter is None:
        raise NoClosedFormError(f"{sampler_name}: the score {type(score).__name__} has no affine(t); "
                                "a closed-form output law needs an affine score (Gaussian target)")
    ab = getter(float(t))
    if ab is None:
        raise NoClosedFormError(f"{sampler_name}: the score is not affine at t = {float(t):.6g} (non-Gaussian "
                                "target or non-affine perturbation); no closed-form output law")
    A, b = ab
    A = np.asarray(A, dtype=np.float64)
    return (A if A.ndim == 1 else np.atleast_2d(A)), np.atleast_1d(np.asarray(b, dtype=np.float64))


class AffineEvaluator:
    """The exact route's evaluator: ``score(t, x)`` of an :class:`Affine` ``x`` is :math:`A_t x + b_t`."""

    def __init__(self, score: Any, dim: int, sampler_name: str):
        self._score = score
        self.dim = dim
        self.name = sampler_name
        self._cache: dict[float, tuple[Operator, np.ndarray]] = {}

    def affine(self, t: float) -> tuple[Operator, np.ndarray]:
        t = float(t)
        if t not in self._cache:
            A, b = score_affine(self._score, t, self.name)
            d = self.dim
            if A.shape not in ((d, d), (d,)) or b.shape != (d,):
                raise NoClosedFormError(f"{self.name}: score.affine returned shapes {A.shape}, {b.shape}; "
                                        f"expected ({d}, {d}) or ({d},), and ({d},)")
            self._cache[t] = (A, b)
        return self._cache[t]

    def score(self, t: float, x: Affine) -> Affine:
        A, b = self.affine(t)
        return Affine(op_matmul(A, x.M), op_apply(A, x.m) + b)


@dataclass(frozen=True)
class AffineStep:
    """One transition :math:`Y' = M Y + m + \\sqrt{v} Z`, :math:`Z \\sim \\mathcal N(0, I_d)`, as dense arrays.

    Attributes
    ----------
    matrix : numpy.ndarray, shape ``(d, d)``
    shift : numpy.ndarray, shape ``(d,)``
    noise_var : float
        :math:`v` (0 for deterministic transitions).
    times : tuple of float
        Forward times fed to the score in this transition.
    step : float
        The step size :math:`h` of the backward step the transition belongs to.
    """

    matrix: np.ndarray
    shift: np.ndarray
    noise_var: float
    times: tuple[float, ...]
    step: float


def transition_map(transition: Any, ev: AffineEvaluator, identity: Operator = 1.0) -> Affine:
    """``(M, m)`` of a transition's mean map, by running it on the affine identity :math:`x = y`."""
    if transition.coupled is not None:
        raise NoClosedFormError(f"{ev.name}: {transition.coupled_reason or 'a batch-coupled step'}; no closed-form "
                                "output law (use the samples route)")
    out = transition.mean(Affine(identity, np.zeros(ev.dim)), ev)
    if not isinstance(out, Affine):
        out = Affine(0.0, np.asarray(out, dtype=np.float64))
    return out


def affine_steps(sampler: Any, score: Any, grid: Any, process: Any, dim: int) -> list[AffineStep]:
    """The sampler's transitions as dense :class:`AffineStep` maps, in the order the sampler applies them.

    Raises
    ------
    NoClosedFormError
        For a continuous flow (``pf-ode-adaptive``: see :func:`theorylab.laws.gaussian.gaussian_output_law`), a
        batch-coupled transition, or a score that is not affine.
    """
    chain = chain_of(sampler, grid, process)
    ev = AffineEvaluator(score, dim, sampler.name)
    out = []
    for step in chain.steps:
        for tr in step.transitions:
            a = transition_map(tr, ev)
            out.append(AffineStep(op_dense(a.M, dim), np.asarray(a.m, dtype=np.float64), float(tr.var),
                                  tuple(tr.times), float(step.h)))
    return out


def chain_of(sampler: Any, grid: Any, process: Any):
    """The sampler's declaration, which must be a :class:`~theorylab.samplers.kernel.Chain`."""
    from theorylab.samplers.kernel import Chain

    declared = sampler.declare(grid, process)
    if not isinstance(declared, Chain):
        raise NoClosedFormError(f"{sampler.name}: a continuous flow, not a chain of steps (use gaussian_output_law)")
    return declared


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


def reverse_drift_affine(score: Any, process: Any, t: float, dim: int, probability_flow: bool,
                         sampler_name: str = "sampler") -> tuple[np.ndarray, np.ndarray]:
    """:math:`(B_t, \\beta_t)` of the reverse drift :math:`b_c(t, y) = -a(t) y + c\\,g(t)^2 (A_t y + b_t)`
    (:math:`c = 1/2` for the probability flow), dense; used by the continuous flow map."""
    A, b = score_affine(score, t, sampler_name)
    c_g2 = (0.5 if probability_flow else 1.0) * float(process.diffusion_squared(float(t)))
    B = op_add(-float(process.drift_rate(float(t))), c_g2 * A)
    return op_dense(B, dim), c_g2 * b
