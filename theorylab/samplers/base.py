"""The sampler interface (``docs/architecture.md``, section *samplers*) and its shared plumbing.

Every sampler turns a score and a :class:`~theorylab.samplers.grid.TimeGrid` into particles approximately
distributed as the data, vectorised over particles, in torch (float64 by default, CPU or CUDA), with randomness
from a seeded :class:`torch.Generator`. Peak memory is :math:`O(n \\times d)` whatever the number of steps: no
state is kept unless ``return_trajectory=True``. Each sampler declares ``weak_order`` and ``strong_order``
(as torchsde and diffrax do) so that tests can compare a fitted rate with the declared one.

Random stream (part of the interface, so that results are reproducible and can be replayed in tests): the
initial point, when not given, is ``prior_std * randn((n, *event_shape))`` drawn first; then every Gaussian
increment is one ``randn((n, *event_shape))`` in the order the algorithm uses them. Draws are made on the
generator's device and moved to ``device``, so a CPU generator gives the same particles on CPU and CUDA.
Alternatively ``noise=`` supplies all increments explicitly, shape ``(K, n, *event_shape)`` with
``K = sampler.noise_draws(grid)``.

Two streams, chosen by the generator's type (:func:`make_generator`):

* a :class:`torch.Generator` or an ``int`` seed: ``torch.randn`` (the default; what every route of theorylab uses);
* a :class:`numpy.random.Generator`: its ``standard_normal`` (PCG64 + ziggurat) in the same order and shapes,
  drawn in float64 on the CPU, written straight into the particles' buffer when they live there (a zero-copy numpy
  view), else copied. On CPU float64 it costs about half of ``torch.randn`` per draw (9.7 vs 19.6 ns measured in
  ``benchmarks/bench_sampler_speed.py``, *profile*): the draws were the largest cost of a fused step left.
"""

from __future__ import annotations

import abc
from typing import Any

import numpy as np
import torch

from theorylab.cost import samples_step_flops
from theorylab.errors import ConfigError
from theorylab.samplers.grid import positive_int
from theorylab.samplers.kernel import Declaration, run_chain
from theorylab.scores.base import work_of
from theorylab.threads import threads_for, torch_threads
from theorylab.tolerances import GRID_TIME_RTOL

__all__ = ["NoiseSource", "Sampler", "make_generator", "run_threads"]


Generator = torch.Generator | np.random.Generator


def make_generator(generator: Any) -> Generator | None:
    """The random stream's generator: a :class:`torch.Generator` (given, or seeded by an ``int``) or a
    :class:`numpy.random.Generator` (used as it is: the numpy stream of the module docstring).

    ``None`` stays ``None`` (allowed only when nothing random is needed: ``x_init`` and ``noise`` given).
    """
    if generator is None or isinstance(generator, (torch.Generator, np.random.Generator)):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(int(generator))
    raise ConfigError(f"sampler.generator: must be a torch.Generator, numpy Generator or int seed, got {generator!r}")


class NoiseSource:
    """Standard Gaussian draws of shape ``(n, *event_shape)``: from a torch or numpy generator (module docstring),
    or replayed from a given tensor."""

    def __init__(self, generator: Generator | None, shape: tuple[int, ...], device, dtype,
                 noise: torch.Tensor | None = None, needed: int | None = None):
        self.generator = generator
        self.shape = tuple(shape)
        self.device = torch.device(device)
        self.dtype = dtype
        self.count = 0
        self.noise = None
        if noise is not None:
            noise = torch.as_tensor(noise).to(device=self.device, dtype=dtype)
            if tuple(noise.shape[1:]) != self.shape or (needed is not None and noise.shape[0] != needed):
                raise ConfigError(
                    f"sampler.noise: must have shape ({needed}, {', '.join(map(str, self.shape))}), "
                    f"got {tuple(noise.shape)}"
                )
            self.noise = noise

    def _generator(self) -> Generator:
        if self.generator is None:
            raise ConfigError("sampler.generator: a seeded generator is required (randomness is needed)")
        return self.generator

    def draw(self) -> torch.Tensor:
        """The next draw (a new tensor on ``device``)."""
        if self.noise is not None:
            if self.count >= self.noise.shape[0]:
                raise ConfigError(f"sampler.noise: only {self.noise.shape[0]} draws given, more are needed")
            z = self.noise[self.count]
        else:
            gen = self._generator()
            if isinstance(gen, np.random.Generator):
                z = torch.from_numpy(gen.standard_normal(self.shape)).to(device=self.device, dtype=self.dtype)
            else:
                z = torch.randn(self.shape, generator=gen, device=gen.device, dtype=self.dtype).to(self.device)
        self.count += 1
        return z

    def draw_into(self, out: torch.Tensor) -> torch.Tensor:
        """The next draw written into ``out``: the same values, and the same generator state after, as
        :meth:`draw` (tested bit for bit in ``tests/samplers/test_fused.py``), without allocating when ``out`` has
        the stream's shape, dtype and device (``torch.randn(out=)``; numpy's ``standard_normal(out=)`` on a view of
        a CPU float64 ``out``)."""
        gen = self.generator
        fits = (self.noise is None and gen is not None and tuple(out.shape) == self.shape and out.is_contiguous()
                and out.dtype == self.dtype and out.device == self.device)
        if fits and isinstance(gen, np.random.Generator) and out.device.type == "cpu" and out.dtype == torch.float64:
            gen.standard_normal(out=out.numpy())
        elif fits and isinstance(gen, torch.Generator) and torch.device(gen.device) == out.device:
            torch.randn(out.shape, generator=gen, device=out.device, dtype=out.dtype, out=out)
        else:
            return out.copy_(self.draw())
        self.count += 1
        return out


def run_threads(score, n: int, event_size: int, available: int | None = None) -> int:
    """The torch intra-op threads a CPU sampler run of ``n`` particles of ``event_size`` elements each uses with
    ``score`` when :meth:`Sampler.sample` is not given ``threads``: :func:`theorylab.threads.threads_for` of one
    step's counted work (:func:`theorylab.cost.samples_step_flops` with the score's declared
    :meth:`~theorylab.scores.Score.work_per_particle`), out of ``available`` (default ``torch.get_num_threads()``).
    The benchmarks record this same decision."""
    work = work_of(score)
    step = None if work is None else samples_step_flops(n, event_size, work)
    return threads_for(step, available)


class Sampler(abc.ABC):
    """Base class: validates inputs, builds the initial particles and the noise stream, calls :meth:`_run`.

    Subclasses set ``name``, ``weak_order``, ``strong_order`` (class attributes, or properties when they depend
    on the options) and ``processes``, and implement :meth:`declare`: the scheme as data, read by every route.
    """

    name: str = "sampler"
    weak_order: float | None = None
    strong_order: float | None = None
    #: processes the sampler is defined for (``None``: any :class:`~theorylab.processes.Process`)
    processes: tuple[str, ...] | None = None

    def sample(self, score, grid, n: int, generator=None, x_init=None, return_trajectory: bool = False,
               device=None, dtype: torch.dtype = torch.float64, *, process=None, dim=None, noise=None, rng=None,
               threads: int | None = None):
        """Run the sampler.

        Parameters
        ----------
        score : callable ``score(t, x)``
            Score fed the forward time ``t`` (float) and particles ``x`` of shape ``(n, *event_shape)``.
        grid : TimeGrid
            Step schedule; the horizon is ``grid.T``.
        n : int
            Number of particles.
        generator : torch.Generator, numpy.random.Generator or int, optional
            Source of randomness (see module docstring); required unless ``x_init`` and ``noise`` are given.
            ``rng=`` is accepted as an alias (the contract's ``rng | generator``).
        process : Process, optional
            Forward process; default ``OrnsteinUhlenbeck(grid.T)``. Its ``T`` must equal ``grid.T``.
        x_init : tensor, shape ``(n, *event_shape)``, optional
            Initial particles (default: ``n`` draws from ``process.prior``).
        dim : int or tuple of int, optional
            Event shape when ``x_init`` is not given (default ``score.dim``).
        noise : tensor, shape ``(noise_draws(grid), n, *event_shape)``, optional
            Explicit Gaussian increments (replaces the generator's draws after the initial point).
        return_trajectory : bool
            Also return the states after every step, shape ``(N + 1, n, *event_shape)``.
        device, dtype
            Torch device (default: that of ``x_init``, else CPU) and dtype (default float64).
        threads : int, optional
            Torch intra-op threads for the run on CPU, restored afterwards (:func:`theorylab.threads.torch_threads`).
            Default: as many of ``torch.get_num_threads()`` as the run is worth when the score declares its work
            (:meth:`~theorylab.scores.Score.work_per_particle`; :func:`theorylab.threads.threads_for`), else all of
            them. The particles do not depend on it.

        Returns
        -------
        torch.Tensor, shape ``(n, *event_shape)``
            Final particles; ``(final, trajectory)`` when ``return_trajectory``.
        """
        from theorylab.processes import OrnsteinUhlenbeck

        n = self._check_n(n)
        if process is None:
            process = OrnsteinUhlenbeck(grid.T)
        if abs(process.T - grid.T) > GRID_TIME_RTOL * grid.T:
            raise ConfigError(f"sampler.grid: grid.T={grid.T!r} differs from process.T={process.T!r}")
        if self.processes is not None and process.name not in self.processes:
            raise ConfigError(
                f"sampler.process: {self.name!r} is defined for {self.processes} only, got {process.name!r}; "
                "use 'reverse-sde' for a general process"
            )
        if device is None:
            device = x_init.device if isinstance(x_init, torch.Tensor) else torch.device("cpu")
        device = torch.device(device)
        if rng is not None:
            if generator is not None:
                raise ConfigError("sampler.generator: give either generator or rng, not both")
            generator = rng
        gen = make_generator(generator)
        if x_init is not None:
            y = torch.as_tensor(x_init).to(device=device, dtype=dtype)
            if y.ndim < 1 or y.shape[0] != n:
                raise ConfigError(f"sampler.x_init: must have shape (n={n}, ...), got {tuple(y.shape)}")
            event_shape = tuple(y.shape[1:])
        else:
            event_shape = self._event_shape(dim, score)
            init = NoiseSource(gen, (n, *event_shape), device, dtype)
            y = process.prior_std * init.draw()
        declared = self.declare(grid, process)  # once: EDM and DPM-Solver solve for times while declaring
        source = NoiseSource(gen, (n, *event_shape), device, dtype, noise=noise,
                             needed=int(getattr(declared, "noise_draws", 0)) if noise is not None else None)
        trajectory: list[torch.Tensor] | None = [y.clone()] if return_trajectory else None
        with torch.no_grad(), torch_threads(self._threads(threads, score, y, device)):
            y = self._run(score, grid, process, y, source, trajectory, declared)
        if return_trajectory:
            return y, torch.stack(trajectory)
        return y

    @abc.abstractmethod
    def declare(self, grid, process) -> Declaration:
        """The scheme on ``grid`` for ``process``, as data (:mod:`theorylab.samplers.kernel`): a
        :class:`~theorylab.samplers.kernel.Chain` of transitions, or a
        :class:`~theorylab.samplers.kernel.ContinuousFlow`. The torch sampler, the exact law and the grid law all
        read this one declaration."""

    def _run(self, score, grid, process, y: torch.Tensor, noise: NoiseSource,
             trajectory: list[torch.Tensor] | None, declared: Declaration | None = None) -> torch.Tensor:
        """Advance the particles ``y`` through the declared chain (``declared``, else ``self.declare(grid,
        process)``); append states to ``trajectory`` if not None.

        Samplers whose declaration is not a :class:`~theorylab.samplers.kernel.Chain` override this."""
        chain = declared if declared is not None else self.declare(grid, process)
        return run_chain(chain, score, y, noise.draw, trajectory)

    def noise_draws(self, grid, process=None) -> int:
        """Number of Gaussian increments (after the initial point) the sampler consumes on ``grid``."""
        from theorylab.processes import OrnsteinUhlenbeck

        declared = self.declare(grid, OrnsteinUhlenbeck(grid.T) if process is None else process)
        return int(getattr(declared, "noise_draws", 0))

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _threads(threads, score, y: torch.Tensor, device: torch.device) -> int:
        """The intra-op thread count of a run (see :meth:`sample`, ``threads``)."""
        if threads is not None:
            return positive_int("sampler.threads", threads)
        if device.type != "cpu":
            return torch.get_num_threads()
        return run_threads(score, y.shape[0], y[0].numel())

    @staticmethod
    def _check_n(n) -> int:
        return positive_int("sampler.n", n)

    @staticmethod
    def _event_shape(dim, score) -> tuple[int, ...]:
        if dim is None:
            dim = getattr(score, "dim", None)
        if dim is None:
            raise ConfigError("sampler.dim: give dim (or x_init): the score does not declare its dimension")
        shape = (int(dim),) if np.ndim(dim) == 0 else tuple(int(v) for v in dim)
        if not shape or any(v < 1 for v in shape):
            raise ConfigError(f"sampler.dim: must be a positive int or shape, got {dim!r}")
        return shape

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
