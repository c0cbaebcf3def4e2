"""What a score is, for every layer (``docs/architecture.md``, section *scores*).

A score is any callable ``s(t, x)``: ``t`` a float, the **forward** time fed to the score, and ``x`` a torch
tensor (or numpy array) of shape ``(..., d)``; it returns an object of the same kind, shape, device and dtype,
approximating :math:`\\nabla \\log p_t(x)` (seed 000, slide 'Score-matching': the Stein score). Scores that are
affine in ``x`` also expose ``affine(t) -> (A, b)`` with :math:`s(t, x) = x A^\\top + b` (numpy float64,
shapes ``(d, d)`` and ``(d,)``), which ``laws`` uses for closed forms; others return ``None``.
"""

from __future__ import annotations

import abc
import math
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import torch

from theorylab.errors import ConfigError

__all__ = ["LRUCache", "Score", "as_like", "check_nonnegative", "work_of"]


class Score(abc.ABC):
    """Base class of theorylab's scores: ``__call__(t, x)`` and ``affine(t)`` (``None`` unless affine).

    Attributes
    ----------
    dim : int or None
        Event dimension :math:`d` when known.
    """

    dim: int | None = None

    @abc.abstractmethod
    def __call__(self, t: float, x):
        """Score at forward time ``t`` for points ``x`` of shape ``(..., d)``; same shape and kind as ``x``."""

    def affine(self, t: float) -> tuple[np.ndarray, np.ndarray] | None:
        """``(A, b)`` with :math:`s(t, x) = x A^\\top + b`, or ``None`` when the score is not affine in ``x``."""
        return None

    def work_per_particle(self) -> float | None:
        """Counted work of one evaluation per particle (the unit of :mod:`theorylab.cost`), or ``None`` when it is
        not known.

        Declared by scores whose evaluation is a fixed number of passes over particle-sized tensors (the analytic
        scores); the samplers use it to choose how many intra-op threads a run is worth
        (:func:`theorylab.threads.threads_for`). ``None`` (the default, e.g. a network) leaves the thread count to
        the caller.
        """
        return None

    def score_into(self, t: float, x: torch.Tensor, out: torch.Tensor, work=None) -> torch.Tensor:
        """Write ``self(t, x)`` into ``out`` (a tensor of ``x``'s layout) and return it.

        The samplers' torch route calls this with a :class:`~theorylab.workspace.Workspace` ``work`` reused at
        every step; scores with an allocation-free kernel override it (same values as ``__call__``), the default
        copies.
        """
        return out.copy_(self(t, x))

    def eigenbasis(self) -> tuple[bool, np.ndarray | None]:
        """``(available, U)``: whether :meth:`eigen_affine` is available, and the fixed orthonormal basis
        :math:`U` (None: the standard basis) in which every :math:`A_t` is diagonal."""
        return False, None

    def eigen_affine(self, t: float) -> tuple[np.ndarray, np.ndarray] | None:
        """``(a, c)`` with :math:`A_t = U\\operatorname{diag}(a)U^\\top` and :math:`b_t = Uc` (the score in the
        coordinates :math:`\\tilde y = U^\\top y`: :math:`\\tilde s = a \\odot \\tilde y + c`), or None. O(d) per
        time: the exact route of :mod:`theorylab.laws` then costs O(d) per step."""
        return None


def check_nonnegative(name: str, value: Any) -> float:
    """Validate a finite scalar ``>= 0`` (ConfigError ``"<name>: must be >= 0"`` otherwise)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: must be >= 0, got {value!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise ConfigError(f"{name}: must be >= 0, got {value!r}")
    return v


def as_like(vec: np.ndarray, x):
    """``vec`` (numpy float64) as a tensor on ``x``'s device and dtype, or as numpy when ``x`` is numpy."""
    if isinstance(x, torch.Tensor):
        return torch.as_tensor(vec, dtype=x.dtype, device=x.device)
    return np.asarray(vec, dtype=np.result_type(np.asarray(x).dtype, np.float64))


class LRUCache:
    """A small least-recently-used cache ``key -> value`` (bounded: adaptive solvers query many distinct ``t``)."""

    def __init__(self, maxsize: int = 4096):
        self.maxsize = int(maxsize)
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]):
        if key in self._data:
            self._data.move_to_end(key)
            return self._data[key]
        value = make()
        self._data[key] = value
        if len(self._data) > self.maxsize:
            self._data.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._data)


def work_of(score: Callable, plus: float = 0.0) -> float | None:
    """``score.work_per_particle() + plus`` when ``score`` declares its work (:meth:`Score.work_per_particle`; any
    callable may), else ``None``."""
    declared = getattr(score, "work_per_particle", None)
    work = declared() if callable(declared) else None
    return None if work is None else float(work) + float(plus)
