"""Provenance of stored sweep rows (issue 10, part 2): every row is stamped, stale rows are recomputed on resume and
refused by the readers unless asked for, a store made before stamps opens and reads as stale.

A source edit is simulated by patching :func:`theorylab.provenance._file_digest` for one file the stamps list (the
real package is never edited): the stored stamps then record another digest than the "current" one.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3

import pandas as pd
import pytest

from theorylab import provenance
from theorylab.bounds.table import read_cells
from theorylab.cli import main
from theorylab.errors import ConfigError
from theorylab.experiments import expand, export_results, parse_sweep, results_table, run_sweep
from theorylab.experiments.cells import effective_config
from theorylab.experiments.store import StaleRowsError, Store

from .helpers import exact_config

#: A file every cell's stamp lists (the worker ran measure); its "edit" makes every row stale.
EDITED = "theorylab/measure.py"
GAMMAS = [0.1, 0.05]


def _edit(monkeypatch, relative: str = EDITED) -> None:
    """Make ``relative`` look edited: its current digest differs from the one the stored stamps hold."""
    real = provenance._file_digest
    monkeypatch.setattr(provenance, "_file_digest", lambda f: "0" * 64 if f == relative else real(f))


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "run"
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=out, progress=False)
    assert summary.computed == 2 and summary.stale == 0
    return out


def _rows(run_dir):
    with sqlite3.connect(run_dir / "results.sqlite") as conn:
        rows = conn.execute("SELECT r.cell, r.stamp, r.config_hash, g.config, g.seed, r.finished FROM results r "
                            "JOIN grid g ON g.cell = r.cell").fetchall()
        stamps = {sid: (source, json.loads(files)) for sid, source, files in
                  conn.execute("SELECT id, source_hash, source_files FROM stamps")}
    return rows, stamps


def test_every_row_is_stamped(run):
    rows, stamps = _rows(run)
    assert len(rows) == 2
    for _, sid, chash, config, seed, _ in rows:
        source, files = stamps[sid]
        # the code that computed the row: the worker's imported theorylab files, each with its current digest
        assert {EDITED, "theorylab/experiments/cells.py", "theorylab/samplers/em.py"} <= set(files)
        assert files[EDITED] == provenance._file_digest(EDITED)
        assert source == provenance.source_hash(files)
        # the config it was computed from: the cell's config with metrics.seed = the cell's seed
        assert chash == provenance.config_hash(effective_config(config, seed))
        assert effective_config(config, seed)["metrics"]["seed"] == seed != json.loads(config)["metrics"]["seed"]
    assert len(stamps) <= len(rows)  # the file list is stored once per distinct set, not per row
    table = results_table(run)
    assert (table["stale"] == "").all()
    assert table["source"].tolist() == [stamps[sid][0][:12] for sid in
                                        [dict((r[0], r[1]) for r in rows)[c] for c in table["cell"]]]


def test_an_edited_source_makes_rows_stale_and_readers_refuse_them(run, monkeypatch, capsys, tmp_path):
    _edit(monkeypatch)
    with Store(run / "results.sqlite") as store:
        assert store.staleness() == {c: (f"source changed ({EDITED})",) for c in results_table_cells(run)}
    expected = (rf"^{re.escape(str(run))}: 2 of 2 stored rows are stale \(source changed \({EDITED}\)\); refresh "
                rf"them with `theorylab sweep CONFIG --out {re.escape(str(run))}`, or pass --allow-stale")
    with pytest.raises(StaleRowsError, match=expected):
        results_table(run)
    with pytest.raises(StaleRowsError, match=expected):
        export_results(run, "csv")
    # the CLI: one line, exit code 2, for results and report alike
    assert main(["results", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "2 of 2 stored rows are stale" in err and "theorylab sweep" in err
    assert main(["report", str(run), "--reports", str(tmp_path / "reports")]) == 2
    assert "stale" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()
    # opting in shows them, with why
    assert main(["results", str(run), "--allow-stale"]) == 0
    out = capsys.readouterr().out
    header = [c.strip() for c in out.splitlines()[0].strip("|").split("|")]
    assert "stale" in header and out.count(f"source changed ({EDITED})") == 2
    table = results_table(run, allow_stale=True)
    assert (table["stale"] == f"source changed ({EDITED})").all() and table.attrs["stale"] == 2


def results_table_cells(run_dir) -> list[str]:
    with sqlite3.connect(run_dir / "results.sqlite") as conn:
        return [c for (c,) in conn.execute("SELECT cell FROM grid")]


def test_read_cells_refuses_stale_rows_unless_allowed(run, monkeypatch):
    _edit(monkeypatch)
    table = results_table(run, allow_stale=True)
    cells = read_cells(table)  # the opt-in of results_table carries (attrs)
    assert cells.usable.all() and any("2 stale rows used" in n for n in cells.notes)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(run))}: 2 of 2 rows are stale \(source changed"):
        read_cells(table, allow_stale=False)
    # a CSV export of the table has no attrs: refused by default too
    back = pd.read_csv(__import__("io").StringIO(table.to_csv(index=False)))
    with pytest.raises(ConfigError, match=r"^df: 2 of 2 rows are stale"):
        read_cells(back)
    assert read_cells(back, allow_stale=True).n == 2
    # a fresh table (empty stale column, NaN once read back from CSV) is read as before
    fresh = back.assign(stale=float("nan"))
    assert read_cells(fresh).usable.all()


def test_resume_recomputes_stale_rows_and_says_why(run, monkeypatch):
    before = {r[0]: r[5] for r in _rows(run)[0]}
    _edit(monkeypatch)
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=run, progress=False)
    assert (summary.computed, summary.skipped, summary.stale) == (2, 0, 2)
    assert summary.stale_why == f"source changed ({EDITED})"
    assert f"2 stale recomputed: source changed ({EDITED})" in str(summary)
    assert f"2 stored cells stale (source changed ({EDITED})); recomputing" in (run / "sweep.log").read_text()
    rows, stamps = _rows(run)
    assert all(finished > before[cell] for cell, *_, finished in rows)  # recomputed, not skipped
    assert all(stamps[sid][1][EDITED] == "0" * 64 for _, sid, *_ in rows)  # stamped by the "edited" code
    assert (results_table(run)["stale"] == "").all()  # fresh again: readable without opting in
    again = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=run, progress=False)
    assert (again.computed, again.skipped, again.stale) == (0, 2, 0)


def test_diverged_and_failed_rows_follow_the_same_rule(run, monkeypatch):
    (first, second) = results_table_cells(run)
    with sqlite3.connect(run / "results.sqlite") as conn:  # as if the cells had diverged / failed
        conn.execute("UPDATE results SET status = 'diverged' WHERE cell = ?", (first,))
        conn.execute("UPDATE results SET status = 'failed' WHERE cell = ?", (second,))
    unchanged = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=run, progress=False)
    assert (unchanged.computed, unchanged.stale) == (1, 0)  # a fresh diverged row is finished; failed is retried
    _edit(monkeypatch)
    with Store(run / "results.sqlite") as store:
        assert set(store.staleness()) == {first, second}
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=run, progress=False)
    assert (summary.computed, summary.stale) == (2, 2) and summary.counts["ok"] == 2


def test_a_changed_cell_seed_makes_a_row_stale(run):
    # a row computed with another seed than the grid now gives its cell (the seed derivation changed, say) is not
    # this cell's row: the grid is rewritten at the start of a run, as run_sweep does
    cells, _ = expand(parse_sweep(exact_config(**{"sampler.gamma": GAMMAS})))
    cells[0] = dataclasses.replace(cells[0], seed=cells[0].seed + 1)
    with Store(run / "results.sqlite") as store:
        store.set_grid(cells)
        assert store.staleness() == {cells[0].key: ("config changed",)}


#: The schema of a store made before stamps existed (schema version 1), as that code created it.
_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL, state TEXT NOT NULL,
    executor TEXT NOT NULL, workers INTEGER NOT NULL, cells INTEGER NOT NULL);
CREATE TABLE grid (cell TEXT PRIMARY KEY, idx INTEGER NOT NULL, config TEXT NOT NULL, seed INTEGER NOT NULL,
    sweep TEXT NOT NULL);
CREATE TABLE results (cell TEXT PRIMARY KEY, config TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'diverged', 'failed')), message TEXT NOT NULL, seconds REAL,
    started REAL, finished REAL, recorded REAL NOT NULL, run INTEGER REFERENCES runs(id), law TEXT, versions TEXT,
    worker TEXT);
CREATE TABLE metrics (cell TEXT NOT NULL REFERENCES results(cell) ON DELETE CASCADE, name TEXT NOT NULL,
    position INTEGER NOT NULL, value REAL, method TEXT, kind TEXT, lower REAL, upper REAL, level REAL, note TEXT,
    PRIMARY KEY (cell, name));
INSERT INTO meta VALUES ('schema', '1');
"""


def test_a_store_of_the_previous_schema_opens_and_reads_as_stale(run, tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("config.json", "cells.json"):
        (old / name).write_bytes((run / name).read_bytes())
    with sqlite3.connect(old / "results.sqlite") as conn:  # the same rows, in a version-1 store
        conn.executescript(_V1)
        conn.execute("ATTACH DATABASE ? AS new", (str(run / "results.sqlite"),))
        conn.execute("INSERT INTO runs SELECT * FROM new.runs")
        conn.execute("INSERT INTO grid SELECT cell, idx, config, seed, sweep FROM new.grid")
        conn.execute("INSERT INTO results SELECT cell, config, seed, status, message, seconds, started, finished, "
                     "recorded, run, law, versions, worker FROM new.results")
        conn.execute("INSERT INTO metrics SELECT * FROM new.metrics")
    with Store(old / "results.sqlite") as store:  # migrated in place
        columns = {row[1] for row in store.conn.execute("PRAGMA table_info(results)")}
        assert {"stamp", "config_hash"} <= columns
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("2",)
        assert store.staleness() == dict.fromkeys(results_table_cells(run), ("no provenance stamp",))
    with pytest.raises(StaleRowsError, match=r"2 of 2 stored rows are stale \(no provenance stamp\)"):
        results_table(old)
    shown = results_table(old, allow_stale=True)
    assert (shown["stale"] == "no provenance stamp").all() and (shown["source"] == "").all()
    pd.testing.assert_series_equal(shown["tv"], results_table(run)["tv"])  # the old numbers, shown as they were
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=old, progress=False)
    assert (summary.computed, summary.stale, summary.stale_why) == (2, 2, "no provenance stamp")
    assert (results_table(old)["stale"] == "").all()
    with Store(old / "results.sqlite") as store:  # a grid row without its hash: computed from its config and seed
        store.conn.execute("UPDATE grid SET config_hash = NULL")
        assert store.staleness() == {}
        store.conn.execute("UPDATE grid SET seed = seed + 1")
        assert set(store.staleness().values()) == {("config changed",)}


def test_the_refresh_command_names_the_source_and_profile(run):
    from theorylab.experiments.store import RunFolder

    # a reproduce run folder keeps its source.toml: the command reruns it with the profile that made the folder
    frozen = json.loads((run / "config.json").read_text())
    sweep = frozen.pop("sweep")
    lines = [f"[{table}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
             for table, values in frozen.items()]
    lines.append('[sweep]\n"sampler.gamma" = [0.4, 0.2, 0.1, 0.05]\n[quick]\n"sweep.sampler.gamma" = '
                 f"{json.dumps(sweep['sampler.gamma'])}\n")
    (run / "source.toml").write_text("".join(lines))
    assert RunFolder(run).refresh_command() == f"theorylab sweep {run / 'source.toml'} --quick --out {run}"
    (run / "source.toml").write_text("".join(lines[:-1]) + '[sweep]\n"sampler.gamma" = [0.1, 0.05]\n')
    assert RunFolder(run).refresh_command() == f"theorylab sweep {run / 'source.toml'} --out {run}"
    (run / "source.toml").unlink()
    assert RunFolder(run).refresh_command() == f"theorylab sweep CONFIG --out {run}"


def test_report_states_provenance_and_flags_stale_rows(run, monkeypatch, tmp_path):
    reports = tmp_path / "reports"
    assert main(["report", str(run), "--reports", str(reports)]) == 0
    text = (reports / "run" / "report.md").read_text()
    (source,) = set(results_table(run)["source"])
    assert f"source hash `{source}`" in text and "Stale rows" not in text
    _edit(monkeypatch)
    assert main(["report", str(run), "--reports", str(reports), "--allow-stale"]) == 0
    text = (reports / "run" / "report.md").read_text()
    assert f"**Stale rows: 2 of 2 rows were computed by other code than the current tree (2: source changed " \
           f"({EDITED}))" in text
    assert f"`theorylab sweep CONFIG --out {run}`" in text
    assert "| stale" in (reports / "run" / "results.md").read_text()


def test_rows_computed_by_other_code_than_the_tree_are_flagged(tmp_path, monkeypatch):
    # a worker whose files differ from the driver's tree (another install on a Dask cluster): its stamps are stale
    # on arrival; the summary and the log say so instead of leaving a folder that every rerun recomputes silently
    from theorylab.experiments import cells

    real = cells.stamp_outcome

    def other_code(config, seed):
        stamp = real(config, seed)
        files = {**stamp["source_files"], EDITED: "1" * 64}
        return {**stamp, "source_files": files, "source_hash": "1" * 64}

    monkeypatch.setattr(cells, "stamp_outcome", other_code)
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=tmp_path, progress=False)
    assert summary.computed == 2 and summary.foreign == 2
    assert "2 computed by other code than this tree" in str(summary)
    assert "the workers run other code than the driver" in (tmp_path / "sweep.log").read_text()
    with pytest.raises(StaleRowsError, match=rf"source changed \({EDITED}\)"):
        results_table(tmp_path)


def test_stale_summary_groups_reasons():
    from theorylab.experiments.store import stale_summary

    assert stale_summary({"a": ("no provenance stamp",), "b": ("no provenance stamp",)}) == "no provenance stamp"
    many = {"a": ("x", "config changed"), "b": ("y",), "c": ("y",), "d": ("z",), "e": ("w",)}
    assert stale_summary(many) == "2: y | 1: w | 1: x; config changed | 1 more with other reasons"
