"""Executors of a sweep: one interface (``submit`` / ``as_completed`` / ``close``) over three back ends.

* :class:`InProcessExecutor` (``workers=1``, no scheduler): cells run one after the other in the driver, lazily as
  :meth:`as_completed` is iterated (so progress and Ctrl-C land between cells).
* :class:`PoolExecutor` (``workers=N > 1``): N lanes pulling from one queue: the driver's own (a thread, imports
  already done) and N - 1 processes of a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn`` start
  method (a fresh interpreter per worker: safe with torch, whose thread pools do not survive ``fork``); workers
  ignore SIGINT, so Ctrl-C reaches the driver only, which cancels what is pending, stops the workers and the lane.
* :class:`DaskExecutor` (``scheduler="tcp://host:port"`` or ``"local"``): Dask distributed, through
  ``distributed.Client(address)`` for a running cluster (its workers must be able to import theorylab) or a
  ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)`` started and stopped here. Dask is the
  optional extra ``dask`` (``pip install theorylab[dask]``), imported only when asked for.

Every back end runs the same picklable function on plain data (:func:`theorylab.experiments.cells.run_cell`), and
only the driver writes results; so a cell's row does not depend on the back end (timing aside).

Workers are started ready (measured in ``benchmarks/bench_sweep_scaling.py``): each worker process runs with one
thread per numerical library (:data:`WORKER_ENV`, set before the libraries load, as Dask's nanny does; N workers
then use N cores instead of N x cores of spinning OpenMP/BLAS threads), and imports what a cell needs
(:func:`warm_worker`: torch, the samplers, laws and divergences, ~2-3 s) when it starts, all workers at once,
instead of inside its first cell. On Dask, the glibc malloc setting its nanny imposes is undone per worker
(:func:`theorylab.experiments.cells.prepare_worker`: it doubled the CPU time of a samples-route cell).
"""

from __future__ import annotations

import abc
import atexit
import collections
import concurrent.futures as cf
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from theorylab.errors import ConfigError

__all__ = ["WORKER_ENV", "DaskExecutor", "Executor", "InProcessExecutor", "PoolExecutor", "check_options",
           "make_executor", "warm_worker"]

#: Environment of a worker process: one OpenMP (torch), MKL and OpenBLAS thread. These are read once, when the
#: libraries load, so they must be in the environment the worker starts with (``torch.set_num_threads`` later does
#: not shrink an OpenBLAS pool numpy already started). Dask's nanny sets the same three by default.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """``os.environ`` updated with ``values`` inside the block (what spawned children inherit), restored after."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def warm_worker() -> int:
    """Run once in each worker when it starts: one torch thread, and the imports a cell needs done now (in
    parallel across workers) rather than inside the worker's first cell. Returns the worker's pid."""
    import torch

    from theorylab.experiments.cells import prepare_worker

    torch.set_num_threads(1)
    prepare_worker()
    import theorylab.divergences  # noqa: F401
    import theorylab.laws  # noqa: F401
    import theorylab.measure  # noqa: F401
    import theorylab.samplers  # noqa: F401

    return os.getpid()

_DASK_MISSING = "--scheduler: needs the 'dask' extra: pip install theorylab[dask]"


class Executor(abc.ABC):
    """Submit functions, collect their futures as they complete, close."""

    name: str
    workers: int

    @abc.abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any:
        """Schedule ``fn(*args)``; a future with ``.result()``."""

    @abc.abstractmethod
    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        """The futures, each as soon as it is done."""

    def close(self, cancel: bool = False) -> None:
        """Release the workers; ``cancel=True`` drops what has not started (after an interrupt)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


class InProcessExecutor(Executor):
    """Run each cell in the driver, lazily, in submission order."""

    name = "in-process"
    workers = 1

    def __init__(self) -> None:
        self._pending: dict[cf.Future, tuple[Callable[..., Any], tuple]] = {}

    def submit(self, fn, /, *args):
        future: cf.Future = cf.Future()
        self._pending[future] = (fn, args)
        return future

    def as_completed(self, futures):
        for future in futures:
            call = self._pending.pop(future, None)
            if call is not None:
                fn, args = call
                try:
                    future.set_result(fn(*args))
                except Exception as exc:  # noqa: BLE001 - surfaces through future.result(), as in a pool
                    future.set_exception(exc)
            yield future

    def close(self, cancel: bool = False) -> None:
        self._pending.clear()


def _exit_now() -> None:
    """The spawned worker's last ``atexit`` handler: flush the standard streams and leave without finalising the
    interpreter (``os._exit``).

    Why: a pool worker reaches interpreter exit only after its loop has taken the shutdown sentinel, so every
    result it computed has already been written to the driver (ProcessPoolExecutor's result queue is written
    synchronously) and nothing it holds needs finalising; but tearing down an interpreter with torch and the sampler
    stack loaded took ~0.7 s of wall time that the driver's ``shutdown(wait=True)`` waited for at the end of every
    sweep (``benchmarks/bench_sweep_scaling.py``, ``close_seconds``). The exit status is 0 either way: the pool
    ignores its workers' status at shutdown, and a worker lost mid-cell is detected by its sentinel, not its status.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(_exit_now)  # registered last, so it runs first: see _exit_now
    warm_worker()


def _raise_in_thread(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    """Ask ``thread`` to raise ``exc_type`` at its next Python bytecode (``PyThreadState_SetAsyncExc``, CPython's
    documented API): a cell running in a thread stops within one Python-level step, as the main thread does on
    Ctrl-C. Native code (a torch op, a LAPACK call) is not interrupted; the exception lands when it returns."""
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))


class PoolExecutor(Executor):
    """``workers`` cells at a time: one *driver lane*, a thread of the driver that runs cells itself, and
    ``workers - 1`` spawned processes (:class:`~concurrent.futures.ProcessPoolExecutor`, ``spawn`` start method: a
    fresh interpreter per worker, safe with torch; SIGINT ignored; one thread per library, :data:`WORKER_ENV`;
    warmed by :func:`warm_worker`).

    Why a driver lane: the driver has its imports done and otherwise only waits for results, while a spawned worker
    first spends ~2.8 s importing torch and the sampler stack (``benchmarks/bench_sweep_scaling.py``). The lane
    starts computing at once, so the start-up of the spawned workers overlaps useful work instead of delaying the
    sweep. All lanes pull from one queue (each process holds at most one cell), so the split adapts to cell costs.
    Every cell runs :func:`theorylab.experiments.cells.run_cell` on plain data, so a row does not depend on the
    lane; the driver's main thread records each cell as soon as it completes, whichever lane ran it, so a kill
    loses nothing finished. The driver lane's cells run with one torch intra-op thread (``run_cell``); the
    OpenMP/BLAS variables of :data:`WORKER_ENV` are the driver's own.

    Interrupts (:meth:`close` with ``cancel=True``): queued cells are dropped, the spawned workers are terminated,
    and the driver lane is stopped by a ``KeyboardInterrupt`` raised in its thread (:func:`_raise_in_thread`) and
    joined, so that no thread is inside torch when the interpreter exits.
    """

    name = "process-pool"

    def __init__(self, workers: int):
        if workers < 2:
            raise ValueError("PoolExecutor needs workers >= 2 (the driver lane plus at least one process)")
        self.workers = workers
        self._queue: collections.deque[tuple[cf.Future, Callable[..., Any], tuple]] = collections.deque()
        self._ready = threading.Condition()
        self._closed = False
        self._lanes: list[threading.Thread] = []
        self._pool = cf.ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_worker_init)
        try:
            with _environment(WORKER_ENV):  # every worker is spawned by these submits (one per submit while < max)
                for _ in range(workers - 1):
                    self._pool.submit(os.getpid)  # start (and warm) them now, without waiting for them
        except BaseException:  # Ctrl-C while the workers start: stop them, as for an interrupted sweep
            self.close(cancel=True)
            raise
        # one lane per concurrent cell: the driver's own (index 0), and one forwarding to each spawned process
        self._lanes = [threading.Thread(target=self._run_lane, args=(i > 0,), daemon=True, name=f"theorylab-lane-{i}")
                       for i in range(workers)]
        for lane in self._lanes:
            lane.start()

    def submit(self, fn, /, *args):
        future: cf.Future = cf.Future()
        with self._ready:
            self._queue.append((future, fn, args))
            self._ready.notify()
        return future

    def as_completed(self, futures):
        return cf.as_completed(list(futures))

    def _next(self) -> tuple[cf.Future, Callable[..., Any], tuple] | None:
        """The next queued call whose future is not cancelled; waits for one; None once closed and drained."""
        with self._ready:
            while True:
                while self._queue:
                    item = self._queue.popleft()
                    if item[0].set_running_or_notify_cancel():
                        return item
                if self._closed:
                    return None
                self._ready.wait()

    def _run_lane(self, remote: bool) -> None:
        """Run queued calls one at a time: here (the driver lane), or in the process pool (``remote``: the pool has
        one process per remote lane, so each call starts at once on a free process)."""
        try:
            while (item := self._next()) is not None:
                future, fn, args = item
                try:
                    result = self._pool.submit(fn, *args).result() if remote else fn(*args)
                except BaseException as exc:  # noqa: BLE001 - surfaces through future.result(), as in a pool
                    future.set_exception(exc)
                    if isinstance(exc, KeyboardInterrupt):
                        return
                else:
                    future.set_result(result)
        except KeyboardInterrupt:  # raised by close(cancel=True) while the lane waited for work
            return

    def close(self, cancel: bool = False) -> None:
        with self._ready:
            self._closed = True
            if cancel:
                for future, _, _ in self._queue:
                    future.cancel()
                self._queue.clear()
            self._ready.notify_all()
        if cancel:
            # stop the workers now rather than after their current cells (ProcessPoolExecutor has no public way
            # before Python 3.14's terminate_workers), then the driver lane, which runs Python between torch ops
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                if p.is_alive():
                    p.terminate()
            for p in processes:
                p.join(timeout=5)
            if self._lanes:
                _raise_in_thread(self._lanes[0], KeyboardInterrupt)
        for lane in self._lanes:
            lane.join()
        if not cancel:
            self._pool.shutdown(wait=True)


class DaskExecutor(Executor):
    """Dask distributed: a running scheduler (``tcp://host:port``) or a ``LocalCluster`` (``"local"``)."""

    def __init__(self, scheduler: str, workers: int):
        try:
            import distributed
        except ImportError:
            raise ConfigError(_DASK_MISSING) from None
        self._distributed = distributed
        self._cluster = None
        self._submitted: list[Any] = []
        if scheduler == "local":
            self.name, self.workers = "dask-local", workers
            self._cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                     dashboard_address=None, silence_logs=logging.ERROR)
            self._client = distributed.Client(self._cluster)
        else:
            self.name, self.workers = f"dask {scheduler}", workers
            try:
                self._client = distributed.Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                message = " ".join(str(exc).split())
                raise ConfigError(f"--scheduler: cannot connect to {scheduler!r} ({message})") from None
            self.workers = max(len(self._client.scheduler_info().get("workers", {})), 1)
        try:  # every worker imports what a cell needs now, in parallel (and says so if it cannot)
            self._client.run(warm_worker)
        except ImportError as exc:
            self.close()
            raise ConfigError(f"--scheduler: the Dask workers cannot import theorylab ({exc}); install it where "
                              "they run (docs/scale-out.md)") from None

    def submit(self, fn, /, *args):
        future = self._client.submit(fn, *args, pure=False)
        self._submitted.append(future)
        return future

    def as_completed(self, futures):
        return self._distributed.as_completed(list(futures))

    def close(self, cancel: bool = False) -> None:
        try:
            if cancel:
                self._client.cancel(self._submitted)
            self._client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def check_options(workers: int = 1, scheduler: str | None = None) -> None:
    """Refuse bad ``--workers`` / ``--scheduler`` values, and a scheduler without the ``dask`` extra, up front.

    (Whether a scheduler address answers is only known when :func:`make_executor` connects.)
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers: must be a positive integer, got {workers!r}")
    if scheduler is not None:
        if not isinstance(scheduler, str) or not scheduler.strip():
            raise ConfigError(f"--scheduler: expected an address (tcp://host:port) or 'local', got {scheduler!r}")
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ConfigError(_DASK_MISSING) from None


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--workers N`` and ``--scheduler ADDRESS|local``.

    Raises
    ------
    ConfigError
        ``--workers`` not a positive integer; ``--scheduler`` given without the ``dask`` extra, or unreachable.
    """
    check_options(workers, scheduler)
    if scheduler is not None:
        return DaskExecutor(scheduler.strip(), workers)
    if workers == 1:
        return InProcessExecutor()
    return PoolExecutor(workers)
