"""A sweep's run folder and its results store (embedded SQLite, written by the driver process only).

Layout of a run folder (DESIGN.md, "Configs, runs and results"):

.. code-block:: text

    runs/<config name>/
        config.json      the config as given (after --set overrides), [sweep] included: the frozen reference
        cells.json       the expanded cell list: index, cell key, seed, swept values, full validated config
        results.sqlite   the results store (WAL journal: results.sqlite-wal/-shm beside it while open)
        sweep.log        one line per run start/end and per cell that diverged or failed

Tables of ``results.sqlite``:

``grid``
    The current cell list: ``cell`` (key, primary), ``idx``, ``config`` (JSON), ``seed``, ``sweep`` (JSON of
    the swept values). Rewritten at the start of each run.
``results``
    **One row per cell**, primary key ``cell``: ``config`` (JSON), ``seed``, ``status`` (``ok`` | ``diverged`` |
    ``failed``), ``message``, ``seconds`` (wall time of the measurement), ``started``/``finished`` (worker Unix
    times), ``recorded`` (driver Unix time of the commit), ``run`` (id in ``runs``), ``law`` (JSON: method, error
    control, mean, covariance), ``versions`` (JSON: theorylab, numpy, scipy, torch, sympy, pot), ``worker``.
``metrics``
    One row per (cell, metric): ``name`` (lower case), ``position``, ``value``, ``method``, ``kind``, ``lower``,
    ``upper``, ``level``, ``note`` (the :class:`~theorylab.divergences.Estimate` and its uncertainty). A NaN value is
    stored as NULL (SQLite has no NaN).
``runs``
    One row per invocation: ``started``, ``finished``, ``state`` (``running`` | ``completed`` | ``interrupted``),
    ``executor``, ``workers``, ``cells``.

Durability: each finished cell is committed in its own transaction (its ``results`` row and its ``metrics`` rows
together), so a driver killed at any moment (SIGINT, SIGKILL) leaves whole rows only; a rerun skips the finished
ones. The journal is WAL with ``synchronous=NORMAL``: a process kill loses no committed row; an OS crash or power
loss may lose the last few, which a rerun recomputes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from theorylab.errors import ConfigError
from theorylab.experiments.cells import STATUSES, canonical_json

__all__ = ["FINISHED", "RunFolder", "Store", "first_difference"]

#: Statuses that count as finished: never recomputed on a rerun (``failed`` cells are retried).
FINISHED = ("ok", "diverged")

_SCHEMA_VERSION = "1"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL, state TEXT NOT NULL,
    executor TEXT NOT NULL, workers INTEGER NOT NULL, cells INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS grid (
    cell TEXT PRIMARY KEY, idx INTEGER NOT NULL, config TEXT NOT NULL, seed INTEGER NOT NULL, sweep TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    cell TEXT PRIMARY KEY, config TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
    message TEXT NOT NULL, seconds REAL, started REAL, finished REAL, recorded REAL NOT NULL,
    run INTEGER REFERENCES runs(id), law TEXT, versions TEXT, worker TEXT);
CREATE TABLE IF NOT EXISTS metrics (
    cell TEXT NOT NULL REFERENCES results(cell) ON DELETE CASCADE, name TEXT NOT NULL, position INTEGER NOT NULL,
    value REAL, method TEXT, kind TEXT, lower REAL, upper REAL, level REAL, note TEXT,
    PRIMARY KEY (cell, name));
"""


class Store:
    """The SQLite results store of one run folder (one connection; use from the driver process only)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.conn = sqlite3.connect(self.path, timeout=60.0)
        except sqlite3.Error as exc:
            raise ConfigError(f"{self.path}: cannot open the results store ({exc})") from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            with self.conn:
                self.conn.executescript(_SCHEMA)
                self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:  # a corrupt or foreign file: the user's input, not a bug
            self.conn.close()
            raise ConfigError(f"{self.path}: not a readable theorylab results store ({exc}); move it away and rerun "
                              "the sweep to recompute") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the cell list -------------------------------------------------------------------------------------------
    def set_grid(self, cells: Iterable[Any]) -> None:
        """Replace the cell list (``Cell`` objects of :mod:`theorylab.experiments.sweep`)."""
        rows = [(c.key, c.index, c.config_json, c.seed, json.dumps(c.sweep)) for c in cells]
        with self.conn:
            self.conn.execute("DELETE FROM grid")
            self.conn.executemany("INSERT INTO grid VALUES (?, ?, ?, ?, ?)", rows)

    def grid_keys(self) -> set[str]:
        return {k for (k,) in self.conn.execute("SELECT cell FROM grid")}

    def prune(self, keep: Iterable[str]) -> int:
        """Delete the results of cells not in ``keep``; the number deleted."""
        keep = set(keep)
        stale = [(k,) for (k,) in self.conn.execute("SELECT cell FROM results") if k not in keep]
        with self.conn:
            self.conn.executemany("DELETE FROM results WHERE cell = ?", stale)
        return len(stale)

    # -- results -------------------------------------------------------------------------------------------------
    def statuses(self) -> dict[str, str]:
        """The stored status of every cell that has a row."""
        return dict(self.conn.execute("SELECT cell, status FROM results"))

    def finished(self) -> set[str]:
        """Keys of the cells whose status is finished (``ok`` or ``diverged``)."""
        marks = ", ".join("?" for _ in FINISHED)
        return {k for (k,) in self.conn.execute(f"SELECT cell FROM results WHERE status IN ({marks})", FINISHED)}

    def record(self, cell: Any, outcome: Mapping[str, Any], run: int | None) -> None:
        """Write one finished cell (its row and its metrics) in one transaction, replacing an earlier attempt."""
        row = (cell.key, cell.config_json, cell.seed, outcome["status"], outcome.get("message", ""),
               outcome.get("seconds"), outcome.get("started"), outcome.get("finished"), time.time(), run,
               None if outcome.get("law") is None else json.dumps(outcome["law"]),
               json.dumps(outcome.get("versions") or {}, sort_keys=True), outcome.get("worker"))
        metrics = [(cell.key, m["name"], i, m["value"], m["method"], m["kind"], m["lower"], m["upper"], m["level"],
                    m.get("note")) for i, m in enumerate(outcome.get("metrics") or ())]
        with self.conn:
            self.conn.execute("DELETE FROM results WHERE cell = ?", (cell.key,))
            self.conn.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            self.conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", metrics)

    def counts(self, keys: Iterable[str] | None = None) -> dict[str, int]:
        """Cells by status (``ok``, ``diverged``, ``failed``), among ``keys`` (default: the grid)."""
        keys = self.grid_keys() if keys is None else set(keys)
        out = dict.fromkeys(STATUSES, 0)
        for key, status in self.conn.execute("SELECT cell, status FROM results"):
            if key in keys:
                out[status] += 1
        return out

    # -- runs ----------------------------------------------------------------------------------------------------
    def begin_run(self, executor: str, workers: int, cells: int) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO runs (started, state, executor, workers, cells) VALUES (?, 'running', ?, ?, ?)",
                (time.time(), executor, workers, cells))
        return int(cur.lastrowid)

    def end_run(self, run: int, state: str) -> None:
        with self.conn:
            self.conn.execute("UPDATE runs SET finished = ?, state = ? WHERE id = ?", (time.time(), state, run))


def first_difference(old: Any, new: Any, prefix: str = "") -> str | None:
    """The first dotted key whose value differs between two raw configs (None when they are equal)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in list(old) + [k for k in new if k not in old]:
            if key not in old or key not in new:
                return f"{prefix}{key}"
            found = first_difference(old[key], new[key], f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    if canonical_json({"v": old}) != canonical_json({"v": new}):
        return prefix.rstrip(".") or "config"
    return None


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class RunFolder:
    """A sweep's folder: frozen config, cell list, store and log (see the module docstring)."""

    CONFIG, CELLS, DB, LOG = "config.json", "cells.json", "results.sqlite", "sweep.log"

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @property
    def db(self) -> Path:
        return self.path / self.DB

    def exists(self) -> bool:
        return (self.path / self.CONFIG).is_file() or self.db.is_file()

    def frozen_config(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.path / self.CONFIG).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

    def check(self, raw: Mapping[str, Any], keys: set[str], *, force: bool) -> bool:
        """Refuse to mix two configs in one folder; True when ``force`` replaces a different config.

        The folder's config and the new one are the same when their raw configs are equal, or when they expand
        to the same set of cells (a respelling: a default written out, axes reordered).

        Raises
        ------
        ConfigError
            ``runs/x: holds a different config (sampler.T differs); use --force or another --out``.
        """
        if not self.exists():
            return False
        old = self.frozen_config()
        if old is not None and canonical_json(old) == canonical_json(raw):
            return False
        old_keys: set[str] = set()
        if self.db.is_file():
            with Store(self.db) as store:
                old_keys = store.grid_keys()
        if old_keys and old_keys == keys:
            return False
        if force:
            return True
        what = first_difference(old, raw) if old is not None else None
        reason = f"{what} differs" if what else "its cells differ"
        raise ConfigError(f"{self.path}: holds a different config ({reason}); use --force or another --out")

    def freeze(self, raw: Mapping[str, Any], cells: Iterable[Any]) -> None:
        """Write ``config.json`` and ``cells.json`` (atomically: a kill leaves the old file or the new one)."""
        self.path.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.path / self.CONFIG, json.dumps(raw, indent=2, default=str) + "\n")
        listing = [{"index": c.index, "cell": c.key, "seed": c.seed, "sweep": c.sweep,
                    "config": json.loads(c.config_json)} for c in cells]
        _write_atomic(self.path / self.CELLS, json.dumps(listing, indent=1) + "\n")

    def log(self, line: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with (self.path / self.LOG).open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {line}\n")
