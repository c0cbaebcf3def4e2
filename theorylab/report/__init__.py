"""Reports of sweep runs, made from the results store alone (no recomputation): Markdown + PNG figures + tables.

* :mod:`.figures` — error against each swept numeric key, log-log rates with the fitted slope, (T, gamma) heatmap,
  bound curves (De Bortoli fit, Chen et al. 2022) over the measured points;
* :mod:`.document` — ``reports/<run>/report.md`` with the figures, the results table (Markdown and CSV), the fitted
  constants, the empirical rates and the decomposition of the error;
The main job that runs the sweeps and writes these reports, `theorylab reproduce`, lives above, in
:mod:`theorylab.studies.reproduce` (report does not depend on claims or on the studies).
"""

from theorylab.report.document import make_report

__all__ = ["make_report"]
