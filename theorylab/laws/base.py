"""What every route of :mod:`theorylab.laws` returns, and the checks the routes share.

The law of a sampler's output (seed 000, slide "Convergencia de modelos de difusión": the theorem bounds
:math:`\\|\\mathcal L(Y_N) - \\pi\\|_{TV}`, so :math:`\\mathcal L(Y_N)` itself is the object to compute) is returned as
an :class:`OutputLaw`: the law (a :class:`~theorylab.distributions.Gaussian`, a
:class:`~theorylab.laws.grid_law.GridLaw` or a :class:`~theorylab.laws.samples.SampleLaw`), the method that produced
it (``"exact"``, ``"grid"`` or ``"samples"``) and its error control (:class:`ErrorControl`), never a bare law whose
accuracy is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theorylab.errors import ConfigError
from theorylab.tolerances import GRID_TIME_RTOL

__all__ = [
    "ERROR_KINDS",
    "METHODS",
    "ErrorControl",
    "NoClosedFormError",
    "NoGridRouteError",
    "NoRouteError",
    "OutputLaw",
    "check_process",
    "initial_law",
    "resolve_sampler",
    "score_dim",
]

#: Methods an :class:`OutputLaw` can come from.
METHODS = ("exact", "grid", "samples")

#: Kinds of :class:`ErrorControl`.
#:
#: ``rounding``   a closed-form recursion in float64: exact up to round-off;
#: ``ode``        a closed form that integrates an ODE with ``solve_ivp`` (the note gives the tolerances);
#: ``grid``       a grid law: ``tv_bound`` = refinement TV estimate + half the truncated mass;
#: ``sampling``   samples of the torch sampler: moments carry standard errors, divergences carry CIs.
ERROR_KINDS = ("rounding", "ode", "grid", "sampling")


class NoRouteError(NotImplementedError):
    """A route of :mod:`theorylab.laws` does not apply to this sampler/score/target; the message names the sampler.

    :func:`~theorylab.laws.dispatch.law_of_output` catches it: with ``method="auto"`` it falls back to the next
    route (exact -> grid -> samples); with an explicit method it raises a :class:`~theorylab.errors.ConfigError`
    naming ``metrics.method``.
    """


class NoClosedFormError(NoRouteError):
    """The requested sampler (or score) has no closed-form output law (raised by
    :func:`~theorylab.laws.gaussian.gaussian_output_law`)."""


class NoGridRouteError(NoRouteError):
    """The grid route does not apply (d > 2, a batch-coupled sampler, a grid too large to resolve the steps, a
    score torch cannot differentiate where the flow's Jacobian is needed)."""


@dataclass(frozen=True)
class ErrorControl:
    """How far the reported law can be from the sampler's true output law.

    Parameters
    ----------
    kind : str
        One of :data:`ERROR_KINDS`.
    tv_bound : float or None
        An estimate (``grid``) or bound of the total variation :math:`\\tfrac12\\|p - \\hat p\\|_1` between the
        true output law and the reported one; 0 for ``rounding`` (round-off only), None where no TV statement is
        available (``sampling``: use the confidence intervals of the divergence estimates instead).
    note : str
        How the error is controlled (tolerances, refinement, truncated mass, number of samples, ...).
    """

    kind: str
    tv_bound: float | None
    note: str

    def __post_init__(self) -> None:
        if self.kind not in ERROR_KINDS:
            raise ValueError(f"error kind must be one of {ERROR_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class OutputLaw:
    """The law of a sampler's output, with the method used and its error control.

    Attributes
    ----------
    law : Gaussian, GridLaw or SampleLaw
        The law itself.
    method : str
        ``"exact"``, ``"grid"`` or ``"samples"``.
    sampler : str
        Registry name of the sampler.
    error : ErrorControl
    details : dict
        Route-specific numbers (grid sizes, solver tolerances, timings, fallback reason, ...).
    """

    law: Any
    method: str
    sampler: str
    error: ErrorControl
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")

    @property
    def dim(self) -> int:
        return int(self.law.dim)

    def mean(self) -> np.ndarray:
        """Mean of the output law, shape ``(d,)`` (sample mean for ``samples``)."""
        return np.asarray(self.law.mean(), dtype=np.float64)

    def covariance(self) -> np.ndarray:
        """Covariance of the output law, shape ``(d, d)``."""
        return np.atleast_2d(np.asarray(self.law.covariance(), dtype=np.float64))

    def summary(self) -> str:
        """One line: sampler, method, error kind and TV bound."""
        bound = "n/a" if self.error.tv_bound is None else f"{self.error.tv_bound:.3g}"
        return f"{self.sampler}: method={self.method}, error={self.error.kind} (TV bound {bound}); {self.error.note}"


def resolve_sampler(sampler: Any, options: dict | None = None):
    """A sampler instance from a registry name (with ``options``), or the given object when it declares a scheme
    (anything with ``declare(grid, process)``: a sampler defined outside the package too)."""
    from theorylab.samplers import get_sampler

    name = sampler
    if isinstance(name, str):
        return get_sampler(name, **(options or {}))
    if not callable(getattr(sampler, "declare", None)):
        raise ConfigError(f"sampler.name: must be a sampler name or a sampler (with declare()), got {sampler!r}")
    if options:
        raise ConfigError("sampler.options: give options only with a sampler name, not an instance")
    return sampler


def check_process(sampler: Any, grid: Any, process: Any):
    """The forward process the sampler will run with (default ``OrnsteinUhlenbeck(grid.T)``), validated exactly as
    :meth:`theorylab.samplers.Sampler.sample` validates it (same horizon, process allowed for the sampler)."""
    from theorylab.processes import OrnsteinUhlenbeck

    if process is None:
        process = OrnsteinUhlenbeck(grid.T)
    if abs(process.T - grid.T) > GRID_TIME_RTOL * grid.T:
        raise ConfigError(f"sampler.grid: grid.T={grid.T!r} differs from process.T={process.T!r}")
    allowed = getattr(sampler, "processes", None)
    if allowed is not None and process.name not in allowed:
        raise ConfigError(f"sampler.process: {sampler.name!r} is defined for {allowed} only, got {process.name!r}; "
                          "use 'reverse-sde' for a general process")
    return process


def initial_law(process: Any, dim: int, initial: Any = None):
    """The law of the sampler's starting points: ``initial`` if given, else ``process.prior(dim)`` (what the
    samplers draw, ``prior_std * randn``)."""
    if initial is None:
        return process.prior(dim)
    if getattr(initial, "dim", None) != dim:
        raise ConfigError(f"initial: must be a law of dimension {dim}, got {initial!r}")
    return initial


def score_dim(score: Any, target: Any = None, dim: Any = None) -> int:
    """The event dimension: ``dim``, else ``target.dim``, else ``score.dim`` (ConfigError naming sampler.dim)."""
    for value in (dim, getattr(target, "dim", None), getattr(score, "dim", None)):
        if value is not None:
            d = int(value)
            if d < 1:
                raise ConfigError(f"sampler.dim: must be >= 1, got {value!r}")
            return d
    raise ConfigError("sampler.dim: give dim (the score does not declare its dimension)")
