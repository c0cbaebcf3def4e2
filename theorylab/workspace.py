"""Reusable scratch tensors for in-place kernels (issue 15: samplers at the speed of a hand-written loop).

Why: on CPU, a float64 tensor of 10^5 elements or more is large enough for glibc to serve it by ``mmap`` or from
the top of the heap, and whenever freed memory has gone back to the operating system its pages are faulted in (and
zeroed) again on first touch. Measured on the 2-core build machine at 10^5 particles, one thread
(``benchmarks/bench_sampler_speed.py``, section *profile*, and the scratch runs behind it): out-of-place products
cost between 0.25 and 6 ns per element depending on the state of the heap, against 0.16 ns for an in-place
``x.mul_``; the two-component mixture score cost 7.5--8.6 ns per particle in place against 8--33 ns allocating its
temporaries. A :class:`Workspace` hands out named buffers that live as long as the workspace (one sampler run), so
a step allocates nothing after the first one: memory stays :math:`O(n d)` (a fixed number of buffers of the
particles' size), independent of the number of steps.

PyTorch's CPU caching allocator is not used for this because it is an opt-in, process-wide setting
(``PYTORCH_CPU_ALLOCATOR``/``c10`` configuration) that would change every allocation of the user's process;
a workspace scoped to one run changes nothing outside it.
"""

from __future__ import annotations

import torch

__all__ = ["Workspace"]


class Workspace:
    """Named scratch tensors, reused while shape, dtype and device stay the same.

    Examples
    --------
    >>> import torch
    >>> work = Workspace()
    >>> a = work.get("tmp", (3, 2), torch.float64, torch.device("cpu"))
    >>> a is work.get("tmp", (3, 2), torch.float64, torch.device("cpu"))
    True
    """

    def __init__(self) -> None:
        self._buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """An uninitialised contiguous tensor for ``name`` (the same object on every call with the same layout)."""
        shape = tuple(int(s) for s in shape)
        buf = self._buffers.get(name)
        if buf is None or tuple(buf.shape) != shape or buf.dtype != dtype or buf.device != torch.device(device):
            buf = torch.empty(shape, dtype=dtype, device=device)
            self._buffers[name] = buf
        return buf

    def like(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """:meth:`get` with ``x``'s shape, dtype and device."""
        return self.get(name, tuple(x.shape), x.dtype, x.device)

    def __len__(self) -> int:
        return len(self._buffers)

    def nbytes(self) -> int:
        """Bytes held by the buffers."""
        return sum(b.numel() * b.element_size() for b in self._buffers.values())
