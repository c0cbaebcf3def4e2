"""The seed review's experiments (seed 002, slides 'Mistura de gaussianas', 'Sorriso', 'Dígitos escritos a mão'),
reproduced with their costs: ``theorylab experiment experiments/seed002_<name>.toml``.

An experiment file is a train config (``theorylab.learning.config``) plus an ``[experiment]`` table whose ``kind``
names a module here (one per experiment); ``[quick]`` holds dotted overrides for the default (quick) profile, as
for sweeps. :func:`~theorylab.studies.reproductions.runner.run_experiment` runs it in a child process (so that its
peak memory is its own), and writes ``reports/learning/<name>/``: ``report.md``, figures, ``result.json``.
"""

from theorylab.studies.reproductions.runner import EXPERIMENTS, run_experiment

__all__ = ["EXPERIMENTS", "run_experiment"]
