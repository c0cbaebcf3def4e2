"""A scheme's backward step, declared once as data that every route reads (DESIGN.md, "A scheme is data").

A sampler does not run itself: it *declares* its scheme on a given grid and process, and three consumers read that
one declaration:

* the torch sampler (:meth:`theorylab.samplers.Sampler.sample`, :func:`run_chain`) draws particles;
* the exact Gaussian law (:mod:`theorylab.laws.affine`) runs the same step functions on affine values
  :math:`P y_0 + q` when the score is affine;
* the 1D/2D grid law (:mod:`theorylab.laws.grid_route`) propagates a density through the same steps.

Two kinds of declaration exist, and a sampler returns one of them from ``declare(grid, process)``:

:class:`Chain`
    A list of backward steps, each a short list of :class:`Transition` s. A transition is a Gaussian transition
    kernel with an isotropic covariance,

    .. math:: Y' = \\mu(Y) + \\sqrt{v}\\,Z, \\qquad Z \\sim \\mathcal N(0, I),

    where the mean map :math:`\\mu` is a Python function written with the arithmetic that torch tensors and
    :class:`~theorylab.laws.affine.Affine` values share (``+``, ``-``, multiplication by Python floats) and the
    score evaluations ``ev.score(t, x)`` of a :class:`ScoreEvaluator`. ``var = 0`` is a deterministic map (an ODE
    step, possibly with several score evaluations: a Runge--Kutta step). A transition whose update couples the
    particles of a batch (the predictor--corrector step size of score_sde_pytorch, a function of the batch's norms)
    gives ``coupled=`` instead of a mean map and the reason no per-particle law exists: the torch route runs it,
    the exact and grid routes refuse it with that reason.
:class:`ContinuousFlow`
    The exact probability-flow ODE solved by an adaptive solver (``pf-ode-adaptive``): not a chain of steps; the
    exact route integrates its flow map, the grid route its backward characteristics.

Why functions on a shared arithmetic rather than matrices: a step such as Heun's or RK4's is a composition of score
evaluations at intermediate points; written once as ``y + h/2*(k1 + k2)``, it runs on particles (torch), on affine
values (the exact law: an affine score makes every stage affine) and on grid nodes (the mean map of the grid
propagator), so no route re-implements a step. This is diffrax's "a solver is a tableau every routine consumes",
with the tableau replaced by the step function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import torch

from theorylab.workspace import Workspace

__all__ = [
    "Chain",
    "ContinuousFlow",
    "Declaration",
    "FusedStep",
    "ScoreEvaluator",
    "Step",
    "TorchEvaluator",
    "Transition",
    "chain_over_grid",
    "run_chain",
]

State = TypeVar("State")


class ScoreEvaluator(Protocol):
    """What a mean map may call: the score at forward time ``t`` on the route's values (tensors or affine values)."""

    def score(self, t: float, x: Any) -> Any:  # pragma: no cover - protocol
        ...


#: A mean map :math:`\mu(y)`: ``mean(y, ev)`` with ``ev`` a :class:`ScoreEvaluator`.
MeanMap = Callable[[Any, ScoreEvaluator], Any]
#: A batch-coupled step ``coupled(y, ev, draw)`` with ``draw()`` returning one standard Gaussian draw of y's shape.
CoupledStep = Callable[[torch.Tensor, ScoreEvaluator, Callable[[], torch.Tensor]], torch.Tensor]
#: The torch route's optional in-place form of a transition: ``fused(y, ev, z)`` (see :class:`Transition`).
FusedStep = Callable[[torch.Tensor, "TorchEvaluator", "torch.Tensor | None"], torch.Tensor]


@dataclass(frozen=True)
class Transition:
    """One Gaussian transition :math:`Y' = \\mu(Y) + \\sqrt{v}Z` of a backward step (module docstring).

    Attributes
    ----------
    mean : callable ``mean(y, ev)`` or None
        The mean map :math:`\\mu`; ``None`` only for a batch-coupled transition.
    var : float
        The isotropic noise variance :math:`v \\ge 0` (0: deterministic map).
    times : tuple of float
        Forward times at which ``mean`` evaluates the score (informative: reported by the routes).
    coupled : callable ``coupled(y, ev, draw)`` or None
        A batch-coupled update used by the torch route instead of ``mean``/``var``; it draws its own noise.
    coupled_reason : str
        Why a coupled transition has no per-particle law (shown by the exact and grid routes).
    draws : int
        Standard Gaussian draws the torch route consumes (1 when ``var > 0``; a coupled transition states its own).
    fused : callable ``fused(y, ev, z)`` or None
        Optional in-place form of the same transition, read by the torch route only (:func:`run_chain`); the exact
        and grid routes always run ``mean``. It receives the particles ``y`` (a tensor the route owns: it may be
        overwritten), a :class:`TorchEvaluator` ``ev`` (``ev.score_into``, ``ev.buffer``) and ``z``, the standard
        Gaussian draw (a route-owned buffer it may overwrite; ``None`` when ``var == 0``), and returns
        :math:`\\mu(y) + \\sqrt{v}\\,z` computed with the same floating-point operations in the same order as
        ``mean(y, ev) + math.sqrt(var) * z`` (so the particles are the same bits; tested in
        ``tests/samplers/test_fused.py``), usually into ``y`` itself, allocating nothing.
    """

    mean: MeanMap | None
    var: float = 0.0
    times: tuple[float, ...] = ()
    coupled: CoupledStep | None = None
    coupled_reason: str = ""
    draws: int = -1
    fused: FusedStep | None = None

    def __post_init__(self) -> None:
        if (self.mean is None) == (self.coupled is None):
            raise ValueError("a Transition has either a mean map or a coupled update")
        if not (math.isfinite(self.var) and self.var >= 0.0):
            raise ValueError(f"Transition.var must be finite and >= 0, got {self.var!r}")
        if self.draws < 0:
            object.__setattr__(self, "draws", 1 if (self.coupled is None and self.var > 0.0) else 0)
        if self.fused is not None and self.mean is None:
            raise ValueError("Transition.fused is the in-place form of a mean map; a coupled transition has none")

    @property
    def deterministic(self) -> bool:
        return self.coupled is None and self.var == 0.0


@dataclass(frozen=True)
class Step:
    """One backward grid step (from forward time ``t_hi`` down to ``t_lo``): its transitions, applied in order."""

    transitions: tuple[Transition, ...]
    t_hi: float
    t_lo: float
    h: float


@dataclass(frozen=True)
class Chain:
    """A scheme as a chain of backward steps (module docstring)."""

    steps: tuple[Step, ...]

    @property
    def transitions(self) -> list[Transition]:
        return [tr for step in self.steps for tr in step.transitions]

    @property
    def noise_draws(self) -> int:
        return sum(tr.draws for tr in self.transitions)

    @property
    def coupled_reason(self) -> str | None:
        """The reason of the first batch-coupled transition, or None if every transition is per-particle."""
        for tr in self.transitions:
            if tr.coupled is not None:
                return tr.coupled_reason or "a batch-coupled step"
        return None

    @property
    def deterministic(self) -> bool:
        return all(tr.deterministic for tr in self.transitions)


@dataclass(frozen=True)
class ContinuousFlow:
    """The probability-flow ODE solved by :func:`scipy.integrate.solve_ivp` (``pf-ode-adaptive``)."""

    T: float
    rtol: float
    atol: float
    method: str = "RK45"
    info: dict = field(default_factory=dict)


Declaration = Chain | ContinuousFlow


class TorchEvaluator:
    """The torch route's evaluator: calls the score on particles (float forward time, tensor in, tensor out).

    It also holds the run's :class:`~theorylab.workspace.Workspace`, so that fused steps (:attr:`Transition.fused`)
    and scores that can write in place (``score.score_into(t, x, out, work)``, e.g.
    :class:`~theorylab.scores.ExactScore` of a Gaussian mixture) reuse the same buffers at every step.
    """

    def __init__(self, score: Callable[[float, torch.Tensor], torch.Tensor], workspace: Workspace | None = None):
        self._score = score
        self._into = getattr(score, "score_into", None)
        self.workspace = Workspace() if workspace is None else workspace

    def score(self, t: float, x: torch.Tensor) -> torch.Tensor:
        return self._score(float(t), x)

    def score_into(self, t: float, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """The score at ``(t, x)`` written into ``out`` (the same values as :meth:`score`; in place when the score
        offers ``score_into``, else copied)."""
        if self._into is not None:
            return self._into(float(t), x, out, self.workspace)
        return out.copy_(self._score(float(t), x))

    def buffer(self, name: str, like: torch.Tensor) -> torch.Tensor:
        """A scratch tensor of ``like``'s layout, reused for the whole run (:meth:`Workspace.like`)."""
        return self.workspace.like(name, like)


def _draw_into(draw: Callable[[], torch.Tensor], out: torch.Tensor) -> torch.Tensor:
    """The next standard Gaussian draw, written into ``out``; the same values, and the same generator state after,
    as ``draw()``.

    When ``draw`` is the ``draw`` method of a noise stream that can also write into a buffer (``draw_into``, as
    :class:`theorylab.samplers.base.NoiseSource` does: ``torch.randn(out=)`` or numpy's ``standard_normal(out=)``),
    that method fills ``out`` without allocating; anything else (another callable) is called and copied.
    """
    into = getattr(getattr(draw, "__self__", None), "draw_into", None)
    if callable(into) and getattr(draw, "__name__", "") == "draw":
        return into(out)
    return out.copy_(draw())


def run_chain(chain: Chain, score: Callable, y: torch.Tensor, draw: Callable[[], torch.Tensor],
              trajectory: list[torch.Tensor] | None = None, *, fused: bool = True) -> torch.Tensor:
    """The torch route: apply every transition of ``chain`` to the particles ``y``.

    Parameters
    ----------
    chain : Chain
    score : callable ``score(t, x)``
    y : torch.Tensor, shape ``(n, *event_shape)``
        Initial particles (not modified).
    draw : callable
        Returns the next standard Gaussian draw of ``y``'s shape (the sampler's noise stream).
    trajectory : list, optional
        The state after every backward step is appended (``N`` states).
    fused : bool
        Run a transition's in-place form :attr:`Transition.fused` where it declares one (default). The particles
        are the same bits either way (the fused form repeats the mean map's operations in place); ``False`` runs
        ``mean(y) + sqrt(var) * draw()`` everywhere (the reference the tests compare with).

    Notes
    -----
    Fast path (issue 15): the particles are copied once into a tensor the route owns, each fused transition
    updates it in place, the Gaussian draws go into one preallocated buffer (``torch.randn(out=)``, the documented
    stream unchanged), and the score writes into a workspace buffer when it can (``score_into``): after the first
    step nothing is allocated, and the extra memory is a fixed number of particle-sized buffers, :math:`O(n d)`.
    """
    ev = TorchEvaluator(score)
    owned = False
    for step in chain.steps:
        for tr in step.transitions:
            if tr.coupled is not None:
                y, owned = tr.coupled(y, ev, draw), False
                continue
            if fused and tr.fused is not None and y.is_contiguous() and not y.requires_grad:
                if not owned:
                    y, owned = y.clone(memory_format=torch.contiguous_format), True
                z = _draw_into(draw, ev.buffer("run_chain.z", y)) if tr.var > 0.0 else None
                y = tr.fused(y, ev, z)
                continue
            mean = tr.mean(y, ev)
            if tr.var > 0.0:
                mean = mean + math.sqrt(tr.var) * draw()
            y, owned = mean, False
        if trajectory is not None:
            trajectory.append(y.clone())
    return y


def chain_over_grid(grid: Any, build: Callable[[int, float, float, float], Sequence[Transition]]) -> Chain:
    """A :class:`Chain` with one step per backward step of ``grid``: ``build(n, t_hi, t_lo, h)`` returns the
    transitions of backward step ``n``, from forward time ``t_hi = F_{N-n}`` down to ``t_lo = F_{N-1-n}`` with
    step ``h = backward_gammas[n]`` (:mod:`theorylab.samplers.grid`)."""
    F = grid.cumulative_times.tolist()
    hs = grid.backward_gammas.tolist()
    N = grid.N
    return Chain(tuple(Step(tuple(build(n, F[N - n], F[N - 1 - n], hs[n])), F[N - n], F[N - 1 - n], hs[n])
                       for n in range(N)))
