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
    the swept values), ``config_hash`` (of the cell's effective config, from ``config`` and ``seed``: what a fresh
    row's stamp must hold). Rewritten at the start of each run.
``results``
    **One row per cell**, primary key ``cell``: ``config`` (JSON), ``seed``, ``status`` (``ok`` | ``diverged`` |
    ``failed``), ``message``, ``seconds`` (wall time of the measurement), ``started``/``finished`` (worker Unix
    times), ``recorded`` (driver Unix time of the commit), ``run`` (id in ``runs``), ``law`` (JSON: method, error
    control, mean, covariance), ``versions`` (JSON: theorylab, numpy, scipy, torch, sympy, pot), ``worker``,
    ``stamp`` (id in ``stamps``: the code that computed the row) and ``config_hash`` (sha256 of the canonical JSON
    of the cell's effective config, :func:`~theorylab.experiments.cells.effective_config`: the config with
    ``metrics.seed`` set to the cell's seed).
``stamps``
    One row per distinct provenance stamp (:func:`theorylab.provenance.make_stamp`, minus the per-cell config
    hash): ``id`` (sha256 of the canonical JSON of the package version and the file list with digests),
    ``package_version``, ``source_hash``, ``source_files`` (JSON: relative path -> sha256). The cells of one run
    share a handful of stamps, so the store grows by one id per row, not by the file list.
``metrics``
    One row per (cell, metric): ``name`` (lower case), ``position``, ``value``, ``method``, ``kind``, ``lower``,
    ``upper``, ``level``, ``note`` (the :class:`~theorylab.divergences.Estimate` and its uncertainty). A NaN value is
    stored as NULL (SQLite has no NaN).
``runs``
    One row per invocation: ``started``, ``finished``, ``state`` (``running`` | ``completed`` | ``interrupted``),
    ``executor``, ``workers``, ``cells``.

Provenance: a stored row is *fresh* when its stamp's package version and source digests are those of the current
tree and its ``config_hash`` is that of the current grid's config and seed for its cell; otherwise it is *stale*
(:meth:`Store.staleness` says why: ``no provenance stamp`` for rows of a store made before stamps existed, whose
schema is migrated in place when it is opened; ``source changed (theorylab/...)``; ``package version ...``;
``config changed``). :func:`~theorylab.experiments.runner.run_sweep` recomputes stale rows instead of skipping
them, and the readers (``results_table``, ``theorylab results``, ``theorylab report``) refuse a store holding any
(:class:`StaleRowsError`) unless asked to show them (``allow_stale`` / ``--allow-stale``). The current digests are
computed once per distinct stamp, not per row.

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
from theorylab.experiments.cells import STATUSES, canonical_json, effective_config

__all__ = ["FINISHED", "RunFolder", "StaleRowsError", "Store", "first_difference", "stale_summary"]

#: Statuses that count as finished: never recomputed on a rerun (``failed`` cells are retried).
FINISHED = ("ok", "diverged")

#: Schema version in ``meta``: 1 had no provenance; 2 added ``stamps``, ``results.stamp``/``config_hash`` and
#: ``grid.config_hash`` (a version-1 store is migrated when opened: :data:`_ADDED_COLUMNS`; its rows then read as
#: unstamped, i.e. stale).
_SCHEMA_VERSION = "2"
#: (table, column, declaration) added since version 1, created by ``ALTER TABLE ... ADD COLUMN`` in older stores.
_ADDED_COLUMNS = (("results", "stamp", "TEXT REFERENCES stamps(id)"), ("results", "config_hash", "TEXT"),
                  ("grid", "config_hash", "TEXT"))
#: Reason given for a row without a stamp (a version-1 store's rows).
NO_STAMP = "no provenance stamp"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL, state TEXT NOT NULL,
    executor TEXT NOT NULL, workers INTEGER NOT NULL, cells INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stamps (
    id TEXT PRIMARY KEY, package_version TEXT NOT NULL, source_hash TEXT NOT NULL, source_files TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grid (
    cell TEXT PRIMARY KEY, idx INTEGER NOT NULL, config TEXT NOT NULL, seed INTEGER NOT NULL, sweep TEXT NOT NULL,
    config_hash TEXT);
CREATE TABLE IF NOT EXISTS results (
    cell TEXT PRIMARY KEY, config TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
    message TEXT NOT NULL, seconds REAL, started REAL, finished REAL, recorded REAL NOT NULL,
    run INTEGER REFERENCES runs(id), law TEXT, versions TEXT, worker TEXT,
    stamp TEXT REFERENCES stamps(id), config_hash TEXT);
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
                self._migrate()
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
        except sqlite3.DatabaseError as exc:  # a corrupt or foreign file: the user's input, not a bug
            self.conn.close()
            raise ConfigError(f"{self.path}: not a readable theorylab results store ({exc}); move it away and rerun "
                              "the sweep to recompute") from None

    def _migrate(self) -> None:
        """Add the columns a version-1 store lacks (NULL in its rows: unstamped, hence stale)."""
        for table, name, declaration in _ADDED_COLUMNS:
            if name not in {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}:
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the cell list -------------------------------------------------------------------------------------------
    def set_grid(self, cells: Iterable[Any]) -> None:
        """Replace the cell list (``Cell`` objects of :mod:`theorylab.experiments.sweep`)."""
        from theorylab.provenance import config_hash

        rows = [(c.key, c.index, c.config_json, c.seed, json.dumps(c.sweep),
                 config_hash(effective_config(c.config_json, c.seed))) for c in cells]
        with self.conn:
            self.conn.execute("DELETE FROM grid")
            self.conn.executemany("INSERT INTO grid (cell, idx, config, seed, sweep, config_hash) "
                                  "VALUES (?, ?, ?, ?, ?, ?)", rows)

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
        """Write one finished cell (its row, its metrics and its stamp) in one transaction, replacing an earlier
        attempt. ``outcome["stamp"]`` (:func:`~theorylab.experiments.cells.run_cell`) is stored once per distinct
        file list in ``stamps``; an outcome without one is stored unstamped (stale to every reader)."""
        stamp = outcome.get("stamp")
        stamp_id = None if not stamp else _stamp_id(stamp)
        row = (cell.key, cell.config_json, cell.seed, outcome["status"], outcome.get("message", ""),
               outcome.get("seconds"), outcome.get("started"), outcome.get("finished"), time.time(), run,
               None if outcome.get("law") is None else json.dumps(outcome["law"]),
               json.dumps(outcome.get("versions") or {}, sort_keys=True), outcome.get("worker"),
               stamp_id, None if not stamp else stamp.get("config_hash"))
        metrics = [(cell.key, m["name"], i, m["value"], m["method"], m["kind"], m["lower"], m["upper"], m["level"],
                    m.get("note")) for i, m in enumerate(outcome.get("metrics") or ())]
        with self.conn:
            if stamp_id is not None:
                self.conn.execute("INSERT OR IGNORE INTO stamps VALUES (?, ?, ?, ?)",
                                  (stamp_id, stamp["package_version"], stamp["source_hash"],
                                   json.dumps(stamp["source_files"], sort_keys=True, separators=(",", ":"))))
            self.conn.execute("DELETE FROM results WHERE cell = ?", (cell.key,))
            self.conn.execute(f"INSERT INTO results ({_RESULT_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)
            self.conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", metrics)

    # -- provenance ----------------------------------------------------------------------------------------------
    def staleness(self) -> dict[str, tuple[str, ...]]:
        """The stored rows of the current grid that are stale, with why: ``{cell key: reasons}`` (fresh rows absent).

        A row is fresh when its stamp's code matches the current tree
        (:func:`theorylab.provenance.code_stale_reasons`, evaluated once per distinct stamp: the digests of the
        current files are computed once per file per process) and its ``config_hash`` is the grid's for its cell
        (the hash of :func:`~theorylab.experiments.cells.effective_config`, written by :meth:`set_grid`; computed
        here only for a grid row that lacks it). Rows of cells no longer in the grid are not looked at. Every status
        (``ok``, ``diverged``, ``failed``) follows the same rule. Cost: one pass over the rows in SQL order plus
        one digest check per distinct stamp (measured on 10⁴ rows: ``benchmarks/bench_store_read.py``).
        """
        from theorylab.provenance import code_stale_reasons, config_hash

        code: dict[str, tuple[str, ...]] = {}
        for sid, version, source, files in self.conn.execute(
                "SELECT id, package_version, source_hash, source_files FROM stamps "
                "WHERE id IN (SELECT DISTINCT stamp FROM results)"):
            code[sid] = tuple(code_stale_reasons({"package_version": version, "source_hash": source,
                                                  "source_files": json.loads(files)}))
        out: dict[str, tuple[str, ...]] = {}
        for key, sid, chash, expected in self.conn.execute(
                "SELECT r.cell, r.stamp, r.config_hash, g.config_hash FROM results r JOIN grid g ON g.cell = r.cell"):
            if sid is None or sid not in code:
                out[key] = (NO_STAMP,)
                continue
            if expected is None:  # a grid row written without its hash (not by set_grid): from its config and seed
                config, seed = self.conn.execute("SELECT config, seed FROM grid WHERE cell = ?", (key,)).fetchone()
                expected = config_hash(effective_config(config, seed))
            reasons = code[sid] + (("config changed",) if chash != expected else ())
            if reasons:
                out[key] = reasons
        return out

    def stored(self) -> int:
        """Rows stored for cells of the current grid."""
        return self.conn.execute("SELECT count(*) FROM results r JOIN grid g ON g.cell = r.cell").fetchone()[0]

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


_RESULT_COLUMNS = ("cell, config, seed, status, message, seconds, started, finished, recorded, run, law, versions, "
                   "worker, stamp, config_hash")


def _stamp_id(stamp: Mapping[str, Any]) -> str:
    """Key of a stamp's code part in ``stamps``: sha256 of the canonical JSON of its version and file digests."""
    from theorylab.provenance import config_hash

    return config_hash({"package_version": stamp["package_version"], "source_files": stamp["source_files"]})


def stale_summary(stale: Mapping[str, Iterable[str]], limit: int = 3) -> str:
    """Why rows are stale, grouped: ``source changed (theorylab/samplers/em.py)`` when every row has that reason,
    else ``10: source changed (...) | 2: no provenance stamp`` (the ``limit`` largest groups, then ``N more with
    other reasons``); one row's several reasons are joined by ``; ``."""
    groups: dict[str, int] = {}
    for reasons in stale.values():
        text = "; ".join(reasons)
        groups[text] = groups.get(text, 0) + 1
    if len(groups) == 1:
        return next(iter(groups))
    ordered = sorted(groups.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{n}: {text}" for text, n in ordered[:limit]]
    if len(ordered) > limit:
        shown.append(f"{sum(n for _, n in ordered[limit:])} more with other reasons")
    return " | ".join(shown)


class StaleRowsError(ConfigError):
    """A reader met stored rows computed by other code (or for another config) and was not asked to show them."""


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

    def refresh_command(self) -> str:
        """The command that recomputes this folder's stale rows: ``theorylab sweep CONFIG --out FOLDER``.

        ``CONFIG`` is the folder's ``source.toml`` (kept by ``theorylab reproduce``) when it, with or without its
        ``[quick]`` profile (``--quick``), gives the frozen config; else the placeholder ``CONFIG``.
        """
        from theorylab.config import apply_profile, load_toml
        from theorylab.limits import split_limits

        command = f"--out {self.path}"
        source, frozen = self.path / "source.toml", self.frozen_config()
        if source.is_file() and frozen is not None:
            try:
                raw = load_toml(source)
                for full, flag in ((True, ""), (False, " --quick")):
                    if canonical_json(split_limits(apply_profile(raw, full))[0]) == canonical_json(frozen):
                        return f"theorylab sweep {source}{flag} {command}"
            except (ConfigError, ValueError, TypeError):
                pass
        return f"theorylab sweep CONFIG {command}"

    def refuse_stale(self, stale: Mapping[str, Iterable[str]], stored: int) -> StaleRowsError:
        """The one-line error of a reader that met ``stale`` rows among ``stored``."""
        return StaleRowsError(f"{self.path}: {len(stale)} of {stored} stored rows are stale ({stale_summary(stale)});"
                              f" refresh them with `{self.refresh_command()}`, or pass --allow-stale "
                              "(allow_stale=True) to read them anyway")

    def log(self, line: str) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with (self.path / self.LOG).open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} {line}\n")
