"""results_table and export_results: columns named by dotted config keys and metrics, every format, errors."""

from __future__ import annotations

import importlib.util
import io
import json

import pandas as pd
import pytest

from theorylab.errors import ConfigError
from theorylab.experiments import export_results, results_table, run_sweep

from .helpers import exact_config

GAMMAS = [0.1, 0.05]
MS = [0.0, 0.3]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "run"
    raw = exact_config(**{"sampler.gamma": GAMMAS, "score.M": MS})
    run_sweep(raw, config_name="x", out=out, progress=False)
    return out


def test_table_columns(run_dir):
    table = results_table(run_dir)
    for column in ("target.kind", "target.mean", "sampler.kind", "sampler.T", "sampler.gamma", "score.M",
                   "metrics.seed", "tv", "tv_method", "tv_uncertainty", "tv_lower", "tv_upper", "tv_kind", "w2",
                   "w2_uncertainty", "seed", "status", "message", "seconds", "cell"):
        assert column in table.columns, column
    assert table["target.mean"].tolist() == ["[0.5]"] * 4  # a list is a JSON string
    assert table[["sampler.gamma", "score.M"]].values.tolist() == [[g, m] for g in GAMMAS for m in MS]
    # exact closed forms: zero-width uncertainty; half-width = (upper - lower) / 2 in general
    assert (table["tv_uncertainty"] == (table["tv_upper"] - table["tv_lower"]) / 2).all()
    assert (table["tv_kind"] == "exact").all()
    # the swept values reached the computation: every cell has its own numbers
    assert table["tv"].nunique() == 4 and table["w2"].nunique() == 4


def test_csv_round_trips_the_table(run_dir):
    table = results_table(run_dir)
    back = pd.read_csv(io.StringIO(export_results(run_dir, "csv")), keep_default_na=False, na_values=[""])
    assert list(back.columns) == list(table.columns)
    for column in ("sampler.gamma", "score.M", "tv", "w2", "tv_upper"):
        assert back[column].tolist() == table[column].tolist()  # repr-exact floats in CSV
    assert back["cell"].tolist() == table["cell"].tolist()


def test_markdown_is_compact_and_lists_the_constants(run_dir):
    text = export_results(run_dir, "markdown")
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == ["sampler.gamma", "score.M", "tv", "tv_uncertainty", "w2", "w2_uncertainty", "status"]
    assert set(lines[1]) <= set("|-: ")
    table = results_table(run_dir)
    body = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:6]]
    assert [r[2] for r in body] == [f"{v:.6g}" for v in table["tv"]]  # printed to 6 significant digits
    assert lines[6] == ""
    assert "`sampler.kind = reverse-em`" in lines[7] and "`tv_kind = exact`" in lines[7]
    full_header = [c.strip() for c in export_results(run_dir, "markdown", full=True).splitlines()[0].split("|")]
    assert {"process.beta_min", "tv_method", "tv_lower", "cell"} <= set(full_header)


def test_latex_escapes_and_parses(run_dir):
    text = export_results(run_dir, "latex")
    assert "\\begin{tabular}" in text and "\\end{tabular}" in text
    assert "tv\\_uncertainty" in text
    assert text.count("\\\\") == 1 + 4  # header row + one row per cell
    assert text.startswith("% constant: ")


def test_parquet(run_dir, tmp_path):
    if not any(importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
        with pytest.raises(ConfigError, match=r"^--format: parquet needs the 'pyarrow' package"):
            export_results(run_dir, "parquet", path=tmp_path / "r.parquet")
        return
    path = export_results(run_dir, "parquet", path=tmp_path / "r.parquet")
    back = pd.read_parquet(path)
    assert back["tv"].tolist() == results_table(run_dir)["tv"].tolist()


def test_path_writes_the_text(run_dir, tmp_path):
    text = export_results(run_dir, "csv", path=tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_text() == text


def test_errors_name_the_argument(run_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"^--format: must be one of csv, parquet, markdown, latex, got 'xlsx'$"):
        export_results(run_dir, "xlsx")
    with pytest.raises(ConfigError, match=r"not a sweep run folder"):
        results_table(tmp_path / "nothing")


def test_table_is_made_from_the_store_only(run_dir, tmp_path):
    # the cell list and frozen config beside the store are for people; the table needs results.sqlite alone
    copy = tmp_path / "only-db"
    copy.mkdir()
    (copy / "results.sqlite").write_bytes((run_dir / "results.sqlite").read_bytes())
    pd.testing.assert_frame_equal(results_table(copy), results_table(run_dir))
    assert json.loads((run_dir / "cells.json").read_text())[0]["cell"] == results_table(copy)["cell"].iloc[0]
