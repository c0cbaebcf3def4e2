"""Tiny sweep configs shared by the tests of theorylab.experiments (1D Gaussian target: each cell takes ms)."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

GAUSSIAN = {"kind": "gaussian", "mean": [0.5], "cov": [[0.4]]}


def exact_config(**sweep: Any) -> dict[str, Any]:
    """reverse-em on a 1D Gaussian, closed-form law (exact metrics), with ``sweep`` as the [sweep] table."""
    raw: dict[str, Any] = {
        "target": copy.deepcopy(GAUSSIAN),
        "sampler": {"kind": "reverse-em", "T": 1.0, "gamma": 0.1},
        "score": {"kind": "perturbed", "error": "bias", "M": 0.0},
        "metrics": {"names": ["tv", "w2"], "method": "exact", "seed": 3},
    }
    if sweep:
        raw["sweep"] = sweep
    return raw


def samples_config(n_samples: int = 2000, **sweep: Any) -> dict[str, Any]:
    """Same sampler, law from torch samples: metrics carry CIs and depend on the cell's seed."""
    raw = exact_config(**sweep)
    raw["metrics"] = {"names": ["tv", "w2"], "method": "samples", "n_samples": n_samples, "seed": 3}
    return raw


def stored_rows(run_dir: Path) -> dict[str, tuple]:
    """``cell -> (status, recorded, finished, run)`` read straight from the SQLite store."""
    with sqlite3.connect(Path(run_dir) / "results.sqlite") as conn:
        return {row[0]: row[1:] for row in conn.execute("SELECT cell, status, recorded, finished, run FROM results")}


def same_rows(a, b) -> None:
    """Assert two results tables hold the same rows (timing and provenance aside), whatever order their cells ran in.

    ``source`` is left out: a stamp lists the theorylab files the worker process had imported, and an in-process
    run (the test process imports much more) and a pool worker import different sets of the same code.
    """
    import pandas as pd

    a = a.drop(columns=["seconds", "source"]).sort_values("cell").reset_index(drop=True)
    b = b.drop(columns=["seconds", "source"]).sort_values("cell").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
