"""The :class:`Distribution` interface and the numpy/torch boundary every density method goes through.

Every target law of theorylab (the data distribution :math:`\\pi` of seed 000, slide "El Proceso Forward", and the
data sets of seed 002, slides "Mistura de gaussianas", "Sorriso", "Dígitos escritos a mão") is a
:class:`Distribution`. Densities are computed **once**, in torch float64, and served to three kinds of callers:

* numpy callers (quadrature, grids, scipy): numpy in -> numpy out (float64);
* torch CPU callers and CUDA callers (samplers, learned scores): tensor in -> tensor out, on the same device and
  with the same dtype as the input (the arithmetic itself is float64 whatever the input dtype).

Points are arrays of shape ``(..., d)``; ``logpdf``/``pdf`` return shape ``(...)`` and ``score`` returns
``(..., d)``.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["Distribution", "ArrayAdapter", "to_float64_tensor"]


@dataclass(frozen=True)
class ArrayAdapter:
    """Remembers what kind of array a caller passed, so that a result can be handed back in the same kind.

    Parameters
    ----------
    is_tensor : bool
        True when the caller passed a :class:`torch.Tensor`.
    device : torch.device
        Device of the input tensor (CPU for numpy input).
    dtype : torch.dtype
        Dtype of the input tensor (float64 for numpy input).
    """

    is_tensor: bool
    device: torch.device
    dtype: torch.dtype

    @classmethod
    def wrap(cls, x: Any) -> tuple[ArrayAdapter, torch.Tensor]:
        """Return the adapter for ``x`` and ``x`` as a float64 tensor on its own device (CPU for numpy input)."""
        if isinstance(x, torch.Tensor):
            adapter = cls(True, x.device, x.dtype if x.is_floating_point() else torch.float64)
            return adapter, x.to(dtype=torch.float64)
        array = np.asarray(x, dtype=np.float64)
        return cls(False, torch.device("cpu"), torch.float64), torch.from_numpy(np.ascontiguousarray(array))

    def unwrap(self, y: torch.Tensor) -> np.ndarray | torch.Tensor:
        """Hand ``y`` (float64) back as the caller's kind: numpy float64, or a tensor of the caller's dtype."""
        if self.is_tensor:
            return y.to(dtype=self.dtype)
        return y.detach().cpu().numpy()


def to_float64_tensor(values: np.ndarray, device: torch.device) -> torch.Tensor:
    """Copy a float64 numpy parameter array to a float64 tensor on ``device``."""
    return torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=torch.float64, device=device)


class Distribution(abc.ABC):
    """A probability law on :math:`\\mathbb{R}^d`.

    Subclasses implement the torch float64 kernels :meth:`_logpdf` and :meth:`_score`; the public methods accept
    numpy arrays or torch tensors of shape ``(..., d)`` and return the same kind (see the module docstring).

    Attributes
    ----------
    dim : int
        The dimension :math:`d`.
    """

    dim: int

    # ---- public, array-kind preserving -------------------------------------------------------------------------
    def logpdf(self, x: Any) -> np.ndarray | torch.Tensor:
        """Log-density :math:`\\log p(x)`, shape ``(..., d) -> (...)``."""
        return self._apply(self._logpdf, x)

    def pdf(self, x: Any) -> np.ndarray | torch.Tensor:
        """Density :math:`p(x) = \\exp \\log p(x)`, shape ``(..., d) -> (...)``."""
        return self._apply(lambda t: torch.exp(self._logpdf(t)), x)

    def score(self, x: Any) -> np.ndarray | torch.Tensor:
        """Score :math:`\\nabla_x \\log p(x)`, shape ``(..., d) -> (..., d)``."""
        return self._apply(self._score, x)

    @abc.abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` independent points, shape ``(n, d)``, float64, from the numpy generator ``rng``."""

    @abc.abstractmethod
    def mean(self) -> np.ndarray:
        """Mean vector, shape ``(d,)``."""

    @abc.abstractmethod
    def covariance(self) -> np.ndarray:
        """Covariance matrix, shape ``(d, d)``."""

    # ---- kernels ------------------------------------------------------------------------------------------------
    def _logpdf(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - overridden where defined
        raise NotImplementedError(f"{type(self).__name__} has no density")

    def _score(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - overridden where defined
        raise NotImplementedError(f"{type(self).__name__} has no score")

    # ---- helpers ------------------------------------------------------------------------------------------------
    def _apply(self, kernel: Callable[[torch.Tensor], torch.Tensor], x: Any) -> np.ndarray | torch.Tensor:
        adapter, t = ArrayAdapter.wrap(x)
        if t.ndim == 0 or t.shape[-1] != self.dim:
            raise ValueError(f"points must have shape (..., {self.dim}), got {tuple(t.shape)}")
        with contextlib.nullcontext() if t.requires_grad else torch.no_grad():
            return adapter.unwrap(kernel(t))

    @staticmethod
    def _check_sample_args(n: int, rng: Any) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        return int(n)

