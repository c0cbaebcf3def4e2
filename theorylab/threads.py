"""How many torch intra-op threads a sampler run is worth, and a scoped way to run on that many.

Why a policy. torch splits an elementwise operation over its intra-op (OpenMP) threads as soon as the tensor has
more than ``at::internal::GRAIN_SIZE`` = 32768 elements, a grain tuned for threads that spin while they wait. theorylab
runs with ``OMP_WAIT_POLICY=PASSIVE`` whenever it is given more than one thread (:func:`theorylab.cli.main`:
spinning threads are 10-50x slower on a loaded machine, ``benchmarks/bench_training.py``), so every parallel region
first wakes a sleeping thread. For the analytic scores the samplers are checked with (a Gaussian mixture's score is a
dozen passes over particle-sized tensors), that wake-up costs more than the split saves until the particle tensors
are large: on the 2-core development machine, reverse-em on the seed mixture (``d = 1``, ``K = 2``) and on a
``d = 8`` mixture ran up to about twice as slow on 2 threads as on 1, in CPU and in wall time, at small particle
counts; the loss shrank as the particles grew, and above about ``1e6`` particles of the seed mixture the two were
within the run-to-run noise (a few per cent either way between runs). ``benchmarks/bench_thread_grain.py`` measures
this; its JSON holds the table, the policy's choice per setting and, when the wall ratio crosses one in the measured
range, the break-even. The torch grain cannot be changed
from Python, so the samplers choose the *number of threads* instead:

.. math:: \\text{threads} = \\min\\Big(\\text{available},\\ \\max\\big(1, \\big\\lfloor W / W_{\\min} \\big\\rfloor\\big)\\Big),

with :math:`W` the counted work of one step (:func:`theorylab.cost.samples_step_flops`: :math:`n` particles times
the step's own passes plus the score's :meth:`~theorylab.scores.Score.work_per_particle`) and :math:`W_{\\min}`
= :data:`MIN_STEP_WORK_PER_THREAD`. A score that does not declare its work (a network: its matrix products use
threads well at any batch size) leaves the thread count alone.

What it changes and what it does not. Results never depend on the thread count (every parallel torch kernel used
here is elementwise or a reduction over a particle's own coordinates); only the speed does. The change is scoped:
:func:`torch_threads` sets ``torch.set_num_threads`` for the duration of the run and restores the previous value on
exit, also on an exception. With torch's OpenMP back end the count is held per calling thread (``omp_set_num_threads``
sets the caller's ICV; torch reads ``omp_get_max_threads``), so a run in one Python thread does not change the count
another already-running thread uses; threads started *during* the run inherit the reduced default. The same scoped
helper serves the other places that pin torch to one thread (the sweep cells, the GAN lab, the GAN claim).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["MIN_STEP_WORK_PER_THREAD", "threads_for", "torch_threads"]

#: Counted work of one sampler step (:func:`theorylab.cost.samples_step_flops`) per intra-op thread below which an
#: extra thread is not worth its wake-ups. Calibrated by ``benchmarks/bench_thread_grain.py`` (``OMP_WAIT_POLICY``
#: passive, 2 cores): a second thread is used from ``2.5e8`` counted flops per step on (``1e6`` particles of the
#: seed mixture, ``1.2e5`` of the ``d = 8`` mixture), where the first calibration run saw two threads start to pay and
#: later runs saw them level within noise; below it every run measured a loss from the second thread
#: (``tests/samplers/test_threads.py`` checks this on the committed JSON). A machine whose idle cores wake faster
#: would pay earlier: lower it there after re-running the benchmark.
MIN_STEP_WORK_PER_THREAD = 1.25e8


def threads_for(step_work: float | None, available: int | None = None) -> int:
    """The number of intra-op threads a run whose steps each cost ``step_work`` counted flops is worth.

    Parameters
    ----------
    step_work : float or None
        Counted work of one step (:func:`theorylab.cost.samples_step_flops`); ``None`` (unknown, e.g. a learned
        score) returns ``available`` unchanged.
    available : int, optional
        Threads the caller may use (default: ``torch.get_num_threads()``).

    Returns
    -------
    int
        :math:`\\min(\\text{available}, \\max(1, \\lfloor W / W_{\\min}\\rfloor))`, see the module docstring.
    """
    available = torch.get_num_threads() if available is None else int(available)
    if step_work is None or available <= 1:
        return max(1, available)
    return max(1, min(available, int(step_work // MIN_STEP_WORK_PER_THREAD)))


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[int]:
    """Run the ``with`` body on ``n`` torch intra-op threads; the previous count is restored on exit.

    Yields the number of threads in force. Setting the count is skipped when it already equals ``n`` (the call is
    not free: it also resets MKL's count).
    """
    n = max(1, int(n))
    previous = torch.get_num_threads()
    if n != previous:
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)
