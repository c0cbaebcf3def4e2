"""The forward process's coefficients at a batch of times, as torch tensors (what training needs per step).

Training draws one time per example, so it needs :math:`\\alpha_t`, :math:`\\sigma_t` and :math:`g(t)^2` of
:math:`X_t = \\alpha_t X_0 + \\sigma_t Z` (seed 002, slide 'Perturbando os dados com SDEs') at a tensor ``t`` of
shape ``(n,)``. The formulas live once, in :mod:`theorylab.processes` (numpy, float64); this module evaluates
them there and moves the result to ``t``'s device and dtype, instead of re-writing each process in torch. Measured
(``benchmarks/bench_training.py``, CPU): a call takes 30-38 us, of which the trip through numpy is 5-9 us (the same
VP formulas in torch take 25-29 us); two calls per step are 1.3% of a float64 MLP step and < 0.5% of a conv step.
On CUDA each call also synchronises the device (not measured: no GPU was lent so far).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

__all__ = ["ProcessCoefficients", "coefficients"]


class ProcessCoefficients(tuple):
    """``(alpha, sigma, g2)``: tensors shaped like ``t``."""

    __slots__ = ()

    def __new__(cls, alpha: torch.Tensor, sigma: torch.Tensor, g2: torch.Tensor):
        return super().__new__(cls, (alpha, sigma, g2))

    alpha = property(lambda self: self[0])
    sigma = property(lambda self: self[1])
    g2 = property(lambda self: self[2])


def coefficients(process: Any, t: torch.Tensor) -> ProcessCoefficients:
    """:math:`(\\alpha_t, \\sigma_t, g(t)^2)` of ``process`` at forward times ``t`` (any shape), like ``t``.

    Parameters
    ----------
    process : theorylab.processes.Process
        The forward SDE (OU, VP or VE).
    t : torch.Tensor
        Forward times in ``[0, process.T]``; not differentiated through.

    Returns
    -------
    ProcessCoefficients
        ``alpha``, ``sigma``, ``g2`` with ``t``'s shape, device and dtype.
    """
    times = t.detach().to("cpu", torch.float64).numpy()
    alpha, sigma = process.marginal_coefficients(times)
    g2 = process.diffusion_squared(times)

    def like(values) -> torch.Tensor:
        arr = np.array(np.broadcast_to(np.asarray(values, dtype=np.float64), times.shape))  # owned, writable
        return torch.from_numpy(arr).to(device=t.device, dtype=t.dtype)

    return ProcessCoefficients(like(alpha), like(sigma), like(g2))
