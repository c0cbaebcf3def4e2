"""Executors of a sweep: one interface (``submit`` / ``as_completed`` / ``close``) over three back ends.

* :class:`InProcessExecutor` (``workers=1``, no scheduler): cells run one after the other in the driver, lazily as
  :meth:`as_completed` is iterated (so progress and Ctrl-C land between cells).
* :class:`PoolExecutor` (``workers=N > 1``): :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn``
  start method (a fresh interpreter per worker: safe with torch, whose thread pools do not survive ``fork``);
  workers ignore SIGINT, so Ctrl-C reaches the driver only, which cancels what is pending and stops the workers.
* :class:`DaskExecutor` (``scheduler="tcp://host:port"`` or ``"local"``): Dask distributed, through
  ``distributed.Client(address)`` for a running cluster (its workers must be able to import theorylab) or a
  ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)`` started and stopped here. Dask is the
  optional extra ``dask`` (``pip install theorylab[dask]``), imported only when asked for.

Every back end runs the same picklable function on plain data (:func:`theorylab.experiments.cells.run_cell`), and
only the driver writes results; so a cell's row does not depend on the back end (timing aside).
"""

from __future__ import annotations

import abc
import concurrent.futures as cf
import logging
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from theorylab.errors import ConfigError

__all__ = ["DaskExecutor", "Executor", "InProcessExecutor", "PoolExecutor", "check_options", "make_executor"]

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


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class PoolExecutor(Executor):
    """``ProcessPoolExecutor(workers, spawn)`` whose workers ignore SIGINT."""

    name = "process-pool"

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_ignore_sigint)

    def submit(self, fn, /, *args):
        return self._pool.submit(fn, *args)

    def as_completed(self, futures):
        return cf.as_completed(list(futures))

    def close(self, cancel: bool = False) -> None:
        if cancel:
            # stop the workers now rather than after their current cells (ProcessPoolExecutor has no public way
            # before Python 3.14's terminate_workers)
            processes = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in processes:
                if p.is_alive():
                    p.terminate()
            for p in processes:
                p.join(timeout=5)
        else:
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
