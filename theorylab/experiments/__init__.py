"""Sweeps: a ``[sweep]`` table turns config keys into grids; each cell is measured, stored and resumable.

DESIGN.md, "Configs, runs and results". One module per concept:

* :mod:`~theorylab.experiments.sweep`     the ``[sweep]`` table (product / zip) and its expansion into cells;
* :mod:`~theorylab.experiments.cells`     cell identity (sha256 of the canonical config), per-cell seed, the worker
  function;
* :mod:`~theorylab.experiments.store`     the run folder and its SQLite results store (driver-written, WAL);
* :mod:`~theorylab.experiments.executors` in-process, process pool (spawn) and Dask back ends, one interface;
* :mod:`~theorylab.experiments.runner`    :func:`run_sweep` (resume, progress, interrupt);
* :mod:`~theorylab.experiments.export`    :func:`results_table` and :func:`export_results` from the store only.

Library use::

    from theorylab.config import load_toml
    from theorylab.experiments import run_sweep, results_table

    summary = run_sweep(load_toml("gamma_sweep.toml"), config_name="gamma_sweep", workers=4)
    df = results_table(summary.run_dir)          # one row per cell: sampler.gamma, tv, tv_uncertainty, ...
"""

from theorylab.experiments.cells import cell_key, cell_seed
from theorylab.experiments.export import FORMATS, export_results, results_table
from theorylab.experiments.runner import SweepSummary, default_run_dir, run_sweep
from theorylab.experiments.sweep import Cell, expand, parse_sweep

__all__ = [
    "FORMATS",
    "Cell",
    "SweepSummary",
    "cell_key",
    "cell_seed",
    "default_run_dir",
    "expand",
    "export_results",
    "parse_sweep",
    "results_table",
    "run_sweep",
]
