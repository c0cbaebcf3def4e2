"""Limits on the work a command may start: named, justified, overridable, in one place.

Every route of theorylab can be asked for work that never ends or cannot fit in memory (``N = 10**9`` steps,
``n_samples = 10**11`` particles, a sweep of ``10**9`` cells, a ``2000``-dimensional exact law). Such work is
estimated *before it starts* (:mod:`theorylab.cost`) and refused above these limits with one line naming the key
that drives the cost and the limit to raise, e.g.::

    theorylab: error: sampler.gamma: N = T/gamma = 1e+09 steps exceeds limits.max_steps = 100000 (about 1 s per
    10^4 steps on the exact route); raise it with --set limits.max_steps=... if the run is intended

A limit is overridden by a ``[limits]`` table in the config file or on the command line
(``--set limits.max_steps=1e7``); it is not part of the experiment's identity (a sweep's cells, keys and stored
rows do not depend on it). Values are estimates' bounds, not promises: the estimates count the dominant arrays
and arithmetic only (:mod:`theorylab.cost` says what each counts).

Why these values (measured on one core of the 2-core CI machine, float64):

``max_steps = 100_000``
    Every route loops over the time grid in Python: the exact Gaussian recursion costs ~0.25 ms of CPU per step in
    1D (measured: 0.46 s for N = 2000), so ``10**5`` exact steps are ~25 s of CPU, the longest a single measurement
    of the shipped studies should take (the finest shipped grid has ``N = 2048``); ``10**6`` steps took > 2 min
    with no output. The grid route (> 30 ms per step in 1D) and the samples route (~20 ms per step at ``10**5``
    particles) are bounded sooner by ``max_flops``.
``max_memory_gb = 4.0``
    The largest arrays the estimate can see (particles, covariance matrices, grids, training data and batch
    activations) must fit in 4 GiB: below the free memory of an 8 GiB laptop and of a CI runner, and > 100x what
    the shipped experiments need (the largest, the digits samples route, holds ~40 MB). Beyond it the process is
    killed by the OS with no message (measured: N = 10**9 killed at 3 GB).
``max_flops = 2e11``
    Counted floating-point operations (:mod:`theorylab.cost`, calibrated on a measured samples-route cell at
    ~1.3e9 counted flop/s on one core), so 2e11 is ~2-3 min; the shipped experiments need < 1e11 per cell
    (asserted by ``tests/test_bad_inputs.py``). A d = 2000 exact Gaussian law (~3e10 flops per step) is refused
    beyond a few steps.
``max_cells = 100_000``
    Each cell of a sweep is validated and built before anything runs (~1 ms), keyed, and stored as a row: 10**5
    cells are ~2 min of validation and a ~100 MB store; a product of 10**9 cells would never finish expanding.

Training (``theorylab train``, ``[score.train]``) is checked for memory only: its duration is bounded by
``training.steps`` and ``training.max_seconds``, and it shows progress.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from theorylab.errors import ConfigError

__all__ = ["DEFAULT_LIMITS", "MAX_SCORE_ERROR", "Limits", "split_limits"]

#: Largest accepted sup-norm ``score.M`` of a perturbed score (not overridable: a domain bound, not a cost). A bias
#: of M shifts the output mean by ~M; once M exceeds ~40 standard deviations of the target, TV is 1 and KL ~ M^2
#: to float64 precision, so nothing is learned above 1e6, while M^2 terms overflow near 1e154 and
#: ``score.M = 1e308`` returned NaN/inf metrics with a NumPy warning only.
MAX_SCORE_ERROR: float = 1e6

_GIB = 2.0**30


@dataclass(frozen=True)
class Limits:
    """The limits of one command (see the module docstring for their values' justification).

    Attributes
    ----------
    max_steps : int
        Largest number of time steps ``N`` of a sampler's grid.
    max_memory_gb : float
        Largest estimated memory of the dominant arrays, GiB.
    max_flops : float
        Largest estimated floating-point operations of one measurement.
    max_cells : int
        Largest number of cells of a sweep (before duplicates are dropped).
    """

    max_steps: int = 100_000
    max_memory_gb: float = 4.0
    max_flops: float = 2e11
    max_cells: int = 100_000

    @classmethod
    def from_table(cls, table: Any, key: str = "limits") -> Limits:
        """Limits from a ``[limits]`` table (missing keys keep their defaults).

        Raises
        ------
        ConfigError
            Not a table, an unknown key, or a value that is not a positive finite number (naming ``limits.<key>``).
        """
        if table is None:
            return cls()
        if not isinstance(table, Mapping):
            raise ConfigError(f"{key}: must be a table of limits, got {table!r}")
        names = [f.name for f in fields(cls)]
        values: dict[str, Any] = {}
        for name, value in table.items():
            if name not in names:
                raise ConfigError(f"{key}.{name}: unknown key (limits: {', '.join(names)})")
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
                    or value <= 0:
                raise ConfigError(f"{key}.{name}: must be a positive finite number, got {value!r}")
            values[name] = value
        return cls(**values)

    @property
    def max_memory_bytes(self) -> float:
        return self.max_memory_gb * _GIB

    def check(self, name: str, estimate: float, key: str, what: str, hint: str = "") -> None:
        """Refuse ``estimate`` above the limit ``name``: :class:`ConfigError` naming ``key`` and ``limits.<name>``.

        Parameters
        ----------
        name : str
            ``"max_steps"``, ``"max_memory_gb"``, ``"max_flops"`` or ``"max_cells"``.
        estimate : float
            In the limit's unit (bytes for ``max_memory_gb``).
        key : str
            The config key (or keys) that drive the estimate, named first in the message.
        what : str
            What was estimated, e.g. ``"N = T/gamma"``.
        hint : str
            Optional text in parentheses after the limit.
        """
        limit = getattr(self, name)
        bound = self.max_memory_bytes if name == "max_memory_gb" else float(limit)
        if not estimate > bound:
            return
        shown = f"{estimate / _GIB:.3g} GiB" if name == "max_memory_gb" else f"{estimate:.3g}"
        extra = f" ({hint})" if hint else ""
        raise ConfigError(f"{key}: {what} = {shown} exceeds limits.{name} = {limit:g}{extra}; raise it with "
                          f"--set limits.{name}=... (or a [limits] table) if the run is intended")


#: The limits used when a config has no ``[limits]`` table.
DEFAULT_LIMITS = Limits()


def split_limits(raw: Mapping[str, Any]) -> tuple[dict[str, Any], Limits]:
    """``raw`` without its ``[limits]`` table, and the :class:`Limits` that table gives (defaults when absent)."""
    if not isinstance(raw, Mapping):
        return raw, DEFAULT_LIMITS  # the caller refuses a non-table config with its own message
    rest = {k: v for k, v in raw.items() if k != "limits"}
    return rest, Limits.from_table(raw.get("limits"))
