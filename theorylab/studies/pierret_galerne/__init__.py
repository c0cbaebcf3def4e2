"""Pierret & Galerne (ICML 2025, arXiv:2405.14250): their ablation of initialisation, truncation and discretisation
errors (exact W2 on the Gaussian fitted to CIFAR-10), recomputed on theorylab's exact route.

* :mod:`~theorylab.studies.pierret_galerne.conventions` -- their conventions and the theorylab scheme each of theirs
  is (the one place they are written down);
* :mod:`~theorylab.studies.pierret_galerne.spectrum` -- the target's spectrum: a file (the CIFAR-10 Gaussian) or the
  documented synthetic stand-in;
* :mod:`~theorylab.studies.pierret_galerne.continuous` -- the exact backward SDE / flow ODE (the *Continuous*
  columns);
* :mod:`~theorylab.studies.pierret_galerne.published` -- the published numbers as printed;
* :mod:`~theorylab.studies.pierret_galerne.study` -- config, computation and timing;
* :mod:`~theorylab.studies.pierret_galerne.report` -- ``reports/pierret_galerne/`` (Markdown + CSV).

Run: ``python -m theorylab study experiments/pierret_galerne.toml``.
"""

from theorylab.studies.pierret_galerne.report import write_report
from theorylab.studies.pierret_galerne.study import StudyConfig, run_study, study_from_raw

__all__ = ["StudyConfig", "run_study", "study_from_raw", "write_report"]
