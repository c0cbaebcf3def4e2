"""run_sweep: one row per cell, resume, diverged/failed cells, refused config changes, executors giving equal rows."""

from __future__ import annotations

import json
import sqlite3
import sys

import pytest

from theorylab.config import validate
from theorylab.errors import ConfigError
from theorylab.experiments import default_run_dir, results_table, run_sweep
from theorylab.experiments.executors import make_executor
from theorylab.measure import measure

from .helpers import exact_config, same_rows, samples_config, stored_rows

GAMMAS = [0.1, 0.05, 0.025]


def test_rows_hold_what_measure_computes(tmp_path):
    raw = exact_config(**{"sampler.gamma": GAMMAS, "score.M": [0.0, 0.3]})
    summary = run_sweep(raw, config_name="x", out=tmp_path / "run", progress=False)
    assert summary.counts == {"ok": 6, "diverged": 0, "failed": 0} and summary.complete
    assert (summary.computed, summary.skipped, summary.total) == (6, 0, 6)
    table = results_table(tmp_path / "run")
    assert len(table) == 6
    for _, row in table.iterrows():
        plain = exact_config()
        plain["sampler"]["gamma"] = row["sampler.gamma"]
        plain["score"]["M"] = row["score.M"]
        direct = {e.name.lower(): e for e in measure(validate(plain)).estimates}
        for name in ("tv", "w2"):
            assert row[name] == direct[name].value  # exact: the store round-trips float64
            assert row[f"{name}_lower"] == direct[name].uncertainty.lower
            assert row[f"{name}_method"] == direct[name].method
        assert row["status"] == "ok" and row["message"] == ""
    # the frozen config and the cell list sit beside the store
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == raw
    cells = json.loads((tmp_path / "run" / "cells.json").read_text())
    assert [c["cell"] for c in cells] == list(table["cell"])


def test_rerun_skips_finished_cells(tmp_path):
    raw = exact_config(**{"sampler.gamma": GAMMAS})
    run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    before = stored_rows(tmp_path)
    again = run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    assert (again.computed, again.skipped) == (0, 3) and again.executor == "none"
    assert stored_rows(tmp_path) == before  # not one row rewritten (recorded time, run id unchanged)


def test_adding_values_computes_only_the_new_cells(tmp_path):
    run_sweep(exact_config(**{"sampler.gamma": GAMMAS[:2]}), config_name="x", out=tmp_path, progress=False)
    before = stored_rows(tmp_path)
    with pytest.raises(ConfigError, match=r"holds a different config \(sweep\.sampler\.gamma differs\); use --force"):
        run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=tmp_path, progress=False)
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=tmp_path, force=True,
                        progress=False)
    assert (summary.computed, summary.skipped) == (1, 2)
    after = stored_rows(tmp_path)
    assert {k: after[k] for k in before} == before


def test_a_changed_config_is_refused_without_force(tmp_path):
    raw = exact_config(**{"sampler.gamma": GAMMAS})
    run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    frozen = (tmp_path / "config.json").read_text()
    changed = exact_config(**{"sampler.gamma": GAMMAS})
    changed["sampler"]["T"] = 2.0
    with pytest.raises(ConfigError) as err:
        run_sweep(changed, config_name="x", out=tmp_path, progress=False)
    assert str(err.value) == f"{tmp_path}: holds a different config (sampler.T differs); use --force or another --out"
    assert (tmp_path / "config.json").read_text() == frozen
    summary = run_sweep(changed, config_name="x", out=tmp_path, force=True, progress=False)
    assert summary.computed == 3 and len(stored_rows(tmp_path)) == 3  # old cells deleted, new ones stored
    assert results_table(tmp_path)["sampler.T"].tolist() == [2.0] * 3


def test_a_respelled_config_is_the_same_config(tmp_path):
    run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="x", out=tmp_path, progress=False)
    respelled = exact_config(sampler={"gamma": GAMMAS})
    respelled["process"] = {"kind": "ou"}  # a default written out
    summary = run_sweep(respelled, config_name="x", out=tmp_path, progress=False)
    assert (summary.computed, summary.skipped) == (0, 3)


def test_diverged_cell_is_stored_and_the_sweep_goes_on(tmp_path):
    raw = exact_config(**{"sampler.snr": [0.16, 1e80], "sampler.gamma": [0.5, 0.25]})
    raw["score"] = {"kind": "exact"}
    raw["sampler"] = {"kind": "pc", "T": 1.0, "gamma": 0.5}
    raw["metrics"] = {"names": ["tv", "w2"], "method": "samples", "n_samples": 500}
    summary = run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    assert summary.counts == {"ok": 2, "diverged": 2, "failed": 0}
    table = results_table(tmp_path)
    diverged = table[table["sampler.snr"] == 1e80]
    assert (diverged["status"] == "diverged").all()
    assert diverged["message"].str.startswith("non-finite").all()
    ok = table[table["sampler.snr"] == 0.16]
    assert (ok["status"] == "ok").all() and ok["tv"].between(0, 1).all()
    # diverged is finished: a rerun does not recompute it
    assert run_sweep(raw, config_name="x", out=tmp_path, progress=False).computed == 0
    assert "diverged" in (tmp_path / "sweep.log").read_text()


def test_failed_cells_are_retried_and_stay_one_row(tmp_path):
    raw = exact_config(**{"sampler.kind": ["reverse-em", "pc"]})
    raw["score"] = {"kind": "exact"}
    raw["sampler"]["gamma"] = 0.5
    first = run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    assert first.counts == {"ok": 1, "diverged": 0, "failed": 1} and not first.complete
    before = stored_rows(tmp_path)
    second = run_sweep(raw, config_name="x", out=tmp_path, progress=False)
    assert (second.computed, second.skipped) == (1, 1)
    after = stored_rows(tmp_path)
    assert len(after) == 2
    (failed,) = [k for k, v in after.items() if v[0] == "failed"]
    assert after[failed][3] == before[failed][3] + 1  # recomputed by the second run
    with sqlite3.connect(tmp_path / "results.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM metrics WHERE cell = ?", (failed,)).fetchone() == (0,)
    table = results_table(tmp_path)
    assert table.loc[table["status"] == "failed", "message"].iloc[0].startswith("ConfigError: metrics.method")


def test_two_workers_and_reversed_order_give_the_same_rows(tmp_path):
    # samples route: values depend on the seeds, so equal rows mean the seeds follow the cells, not the schedule
    gammas, ms = [0.1, 0.05], [0.0, 0.2]
    one = run_sweep(samples_config(**{"sampler.gamma": gammas, "score.M": ms}), config_name="x",
                    out=tmp_path / "one", progress=False)
    two = run_sweep(samples_config(**{"score.M": ms[::-1], "sampler.gamma": gammas[::-1]}), config_name="x",
                    out=tmp_path / "two", workers=2, progress=False)
    assert two.executor == "process-pool"
    a, b = results_table(one.run_dir), results_table(two.run_dir)
    assert a["tv_kind"].eq("ci").all() and a["tv"].nunique() == 4
    same_rows(a, b)


@pytest.mark.slow  # the address path (test_scale_out.py) runs by default; this one adds only the LocalCluster start
def test_dask_local_cluster_gives_the_same_rows(tmp_path):
    # compared with the in-process run (the pool is compared with it above): ~8 s, mostly starting two workers
    pytest.importorskip("distributed")
    sweep = {"sampler.gamma": [0.1, 0.05], "score.M": [0.0, 0.2]}
    here = run_sweep(samples_config(**sweep), config_name="x", out=tmp_path / "here", progress=False)
    dask = run_sweep(samples_config(**sweep), config_name="x", out=tmp_path / "dask", workers=2, scheduler="local",
                     progress=False)
    assert (here.executor, dask.executor) == ("in-process", "dask-local")
    same_rows(results_table(here.run_dir), results_table(dask.run_dir))


def test_unusable_scheduler_address_names_the_option():
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match=r"^--scheduler: cannot connect to 'nonsense'"):
        make_executor(2, "nonsense")


def test_scheduler_without_dask_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    for call in (lambda: make_executor(2, "local"),
                 lambda: run_sweep(exact_config(), config_name="x", out=tmp_path / "r", scheduler="local")):
        with pytest.raises(ConfigError) as err:
            call()
        assert str(err.value) == "--scheduler: needs the 'dask' extra: pip install theorylab[dask]"
    assert not (tmp_path / "r").exists()  # refused before anything was written


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_workers_is_refused(tmp_path, workers):
    with pytest.raises(ConfigError, match="^--workers:"):
        run_sweep(exact_config(), config_name="x", out=tmp_path, workers=workers, progress=False)


def test_progress_callback_and_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    calls = []
    summary = run_sweep(exact_config(**{"sampler.gamma": GAMMAS}), config_name="experiments/my_sweep.toml",
                        progress=lambda done, total, info: calls.append((done, total, info["status"])))
    assert summary.run_dir == default_run_dir("my_sweep") == tmp_path.joinpath("runs", "my_sweep").relative_to(
        tmp_path)
    assert calls == [(1, 3, "ok"), (2, 3, "ok"), (3, 3, "ok")]
    assert capsys.readouterr().err == ""  # a callback replaces the bar
    assert str(summary).startswith("runs/my_sweep: 3 cells: 3 ok, 0 diverged, 0 failed (3 computed")
