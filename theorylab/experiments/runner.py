"""``run_sweep``: expand a sweep, skip what its run folder already holds, run the rest, store each cell as it ends.

The driver (this process) is the only writer of the results store: executors return each cell's outcome as plain
data and the driver commits it in its own transaction, so a sweep killed at any moment and re-run ends with exactly
one row per cell (:mod:`theorylab.experiments.store`). Finished cells (``ok``, ``diverged``) are not recomputed
while their provenance stamp matches the current tree and cell; a stored row computed by other code (or an unstamped
row of an older store) is *stale* and is recomputed, and the run log and the summary say how many and why.
``failed`` cells are retried on the next run. Per-cell seeds come from the cells' configurations
(:mod:`theorylab.experiments.cells`), so rows do not depend on execution order, worker count or back end
(:mod:`theorylab.experiments.executors`), timing aside. DESIGN.md, "Configs, runs and results".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from theorylab.errors import ConfigError
from theorylab.experiments.cells import STATUSES, one_line, run_cell, stamp_outcome
from theorylab.experiments.executors import check_options, make_executor
from theorylab.experiments.store import RunFolder, Store, stale_summary
from theorylab.experiments.sweep import expand, parse_sweep
from theorylab.limits import Limits, split_limits

__all__ = ["ProgressCallback", "SweepSummary", "default_run_dir", "run_sweep"]

#: ``progress(done, total, info)``: called after each cell is stored; ``info`` has ``cell``, ``index``, ``status``,
#: ``seconds`` (wall), ``cpu_seconds`` (CPU of the worker process), ``worker`` (host:pid) and ``counts`` (cells by
#: status so far).
ProgressCallback = Callable[[int, int, Mapping[str, Any]], None]


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep left in its run folder.

    Attributes
    ----------
    run_dir : Path
        The run folder.
    total : int
        Cells of the sweep (after dropping duplicates).
    counts : dict
        Cells by status in the store (``ok``, ``diverged``, ``failed``); cells never run are ``pending``.
    computed : int
        Cells computed by this call.
    skipped : int
        Cells already finished before this call (resumed), with a fresh provenance stamp.
    stale : int
        Stored rows of this sweep's cells (any status) found stale at the start of this call, hence recomputed.
    stale_why : str
        Why they were stale (:func:`~theorylab.experiments.store.stale_summary`); empty when none was.
    foreign : int
        Cells computed by this call whose stamp is already stale for the driver's tree: the workers run other code
        than the driver (a Dask cluster with another install, or a file edited while the sweep ran). Readers refuse
        those rows and every rerun would recompute them; the summary and the run log say so.
    duplicates : int
        Expanded cells dropped because their full config repeats an earlier cell's.
    seconds : float
        Wall time of this call.
    executor : str
        The back end that ran the cells (``in-process``, ``process-pool``, ``dask-local``, ``dask tcp://...``;
        ``none`` when nothing was left to run).
    """

    run_dir: Path
    total: int
    counts: dict[str, int] = field(default_factory=dict)
    computed: int = 0
    skipped: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    executor: str = "none"
    stale: int = 0
    stale_why: str = ""
    foreign: int = 0

    @property
    def pending(self) -> int:
        return self.total - sum(self.counts.get(s, 0) for s in STATUSES)

    @property
    def complete(self) -> bool:
        """Every cell finished (``ok`` or ``diverged``): nothing failed, nothing pending."""
        return self.counts.get("ok", 0) + self.counts.get("diverged", 0) == self.total

    def __str__(self) -> str:
        parts = [f"{self.counts.get(s, 0)} {s}" for s in STATUSES]
        if self.pending:
            parts.append(f"{self.pending} pending")
        stale = f", {self.stale} stale recomputed: {self.stale_why}" if self.stale else ""
        foreign = (f"; {self.foreign} computed by other code than this tree (stale on arrival: the workers run "
                   "other code)") if self.foreign else ""
        return (f"{self.run_dir}: {self.total} cells: {', '.join(parts)} "
                f"({self.computed} computed, {self.skipped} already done{stale}) in {self.seconds:.1f} s{foreign}")


def default_run_dir(config_name: str) -> Path:
    """``runs/<config name>`` (a ``.toml`` or ``.json`` suffix and any folder part dropped)."""
    name = Path(str(config_name)).name
    for suffix in (".toml", ".json"):
        name = name.removesuffix(suffix)
    if not name or name in (".", ".."):
        raise ConfigError(f"config_name: cannot name a run folder after {config_name!r}; give --out")
    return Path("runs") / name


class _Progress:
    """A tqdm bar on stderr (cells done/total, ETA, counts by status) or a user callback."""

    def __init__(self, progress: bool | ProgressCallback, total: int, initial: int, counts: dict[str, int]):
        self.total, self.done, self.counts = total, initial, dict(counts)
        self.callback = progress if callable(progress) else None
        self.bar = None
        if progress is True:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=initial, desc="cells", unit="cell", file=sys.stderr,
                            disable=None, dynamic_ncols=True)

    def update(self, cell: Any, outcome: Mapping[str, Any], previous: str | None) -> None:
        """One more cell stored (``previous``: its status from an earlier run, i.e. ``failed``, or None)."""
        if previous is not None:
            self.counts[previous] -= 1
        self.counts[outcome["status"]] += 1
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(", ".join(f"{s}={self.counts[s]}" for s in STATUSES), refresh=False)
            self.bar.update(1)
        if self.callback is not None:
            self.callback(self.done, self.total, {"cell": cell.key, "index": cell.index, "status": outcome["status"],
                                                  "seconds": outcome.get("seconds"),
                                                  "cpu_seconds": outcome.get("cpu_seconds"),
                                                  "worker": outcome.get("worker"), "counts": dict(self.counts)})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _failed(cell: Any, exc: BaseException) -> dict[str, Any]:
    """The outcome of a cell whose worker was lost: failed, stamped by the driver (whose code decided it)."""
    return {"status": "failed", "message": one_line(f"{type(exc).__name__}: {exc}"), "metrics": [], "law": None,
            "seconds": None, "started": None, "finished": time.time(), "versions": None, "worker": None,
            "stamp": stamp_outcome(cell.config_json, cell.seed)}


def run_sweep(raw_config: Mapping[str, Any], *, config_name: str, out: str | Path | None = None, workers: int = 1,
              scheduler: str | None = None, force: bool = False,
              progress: bool | ProgressCallback = True, limits: Limits | None = None) -> SweepSummary:
    """Run (or resume) the sweep of a measure config; one stored row per cell.

    Parameters
    ----------
    raw_config : mapping
        The config as read from TOML with ``--set`` overrides applied (:func:`theorylab.config.apply_overrides`),
        with an optional ``[sweep]`` table (:mod:`theorylab.experiments.sweep`); without one, a single cell.
    config_name : str
        The config's name (file name or stem); the run folder defaults to ``runs/<name>``.
    out : path, optional
        The run folder (``--out``).
    workers : int
        ``1``: cells run in this process; ``N > 1``: a spawn process pool of N workers; with ``scheduler="local"``
        the number of Dask workers.
    scheduler : str, optional
        ``"tcp://host:port"`` (a running Dask scheduler) or ``"local"`` (a Dask LocalCluster); needs the ``dask``
        extra.
    force : bool
        Let a folder that holds a different config take this one: the frozen config and cell list are replaced,
        stored rows of cells that are still in the sweep are kept (same key = same full config), the others are
        deleted.
    progress : bool or callable
        ``True``: a tqdm bar on stderr (cells done/total, ETA); ``False``: silent; a callable
        ``progress(done, total, info)`` is called after each stored cell instead (see :data:`ProgressCallback`).
    limits : Limits, optional
        Cost limits (:mod:`theorylab.limits`): the number of cells and each cell's estimate are checked before
        anything runs. Default: the config's ``[limits]`` table (which is not part of the frozen config, so
        changing a limit never invalidates a run folder), else the defaults.

    Returns
    -------
    SweepSummary
        Counts by status, cells computed, skipped and found stale, the run folder.

    Raises
    ------
    ConfigError
        Before anything runs or is written: a bad ``[sweep]`` table or cell (naming the key and the cell), a
        folder holding a different config without ``force``, bad ``workers``/``scheduler``, a scheduler without
        the ``dask`` extra. An unreachable scheduler is found when the run starts (no stored row is touched).
    KeyboardInterrupt
        On Ctrl-C, after cancelling pending cells and closing the run; stored rows are kept (rerun to resume).
    """
    start = time.perf_counter()
    check_options(workers, scheduler)
    if not isinstance(raw_config, Mapping):
        raise ConfigError(f"config: expected a table, got {type(raw_config).__name__}")
    raw_config, table_limits = split_limits(raw_config)
    limits = limits if limits is not None else table_limits
    run_dir = Path(out) if out is not None else default_run_dir(config_name)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out: {run_dir} exists and is not a folder")
    cells, duplicates = expand(parse_sweep(raw_config), limits=limits)
    keys = {c.key for c in cells}
    folder = RunFolder(run_dir)
    replacing = folder.check(raw_config, keys, force=force)

    folder.freeze(raw_config, cells)
    computed, executor_name, foreign = 0, "none", 0
    with Store(folder.db) as store:
        store.set_grid(cells)
        if replacing:
            pruned = store.prune(keys)
            folder.log(f"--force: config replaced; {pruned} stored cells no longer in the sweep deleted")
        stale = store.staleness()  # rows of this grid computed by other code or for another config: recomputed
        stale_why = stale_summary(stale) if stale else ""
        if stale:
            folder.log(f"{len(stale)} stored cells stale ({stale_why}); recomputing")
        done = (store.finished() & keys) - set(stale)
        previous = {k: s for k, s in store.statuses().items() if k in keys}
        todo = [c for c in cells if c.key not in done]
        bar = _Progress(progress, len(cells), len(done), store.counts(keys))
        try:
            if todo:
                executor = make_executor(min(workers, len(todo)), scheduler)
                executor_name = executor.name
                run = store.begin_run(executor.name, executor.workers, len(todo))
                folder.log(f"run {run}: {len(todo)} of {len(cells)} cells to compute "
                           f"({executor.name}, {executor.workers} worker(s))")
                state = "interrupted"
                try:
                    futures = {executor.submit(run_cell, c.config_json, c.seed): c for c in todo}
                    for future in executor.as_completed(futures):
                        cell = futures[future]
                        try:
                            outcome = future.result()
                        except Exception as exc:  # noqa: BLE001 - a lost worker fails its cell; rerun retries it
                            outcome = _failed(cell, exc)
                        store.record(cell, outcome, run)
                        computed += 1
                        if outcome["status"] != "ok":
                            folder.log(f"cell {cell.index} {cell.key[:12]} ({cell.label()}): {outcome['status']}: "
                                       f"{outcome['message']}")
                        bar.update(cell, outcome, previous.pop(cell.key, None))
                    state = "completed"
                finally:
                    executor.close(cancel=state != "completed")
                    store.end_run(run, state)
                    folder.log(f"run {run}: {state}, {computed} cells computed")
        finally:
            bar.close()
        if computed:  # rows stale on arrival: the workers ran other code than this tree
            todo_keys = {c.key for c in todo}
            arrived = {k: why for k, why in store.staleness().items() if k in todo_keys}
            foreign = len(arrived)
            if foreign:
                folder.log(f"{foreign} cells computed by this run are stale for this tree ({stale_summary(arrived)}): "
                           "the workers run other code than the driver; install the same tree on every worker")
        counts = store.counts(keys)
    return SweepSummary(run_dir, len(cells), counts, computed, len(done), duplicates,
                        time.perf_counter() - start, executor_name, len(stale), stale_why, foreign)
