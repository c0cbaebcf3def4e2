"""Reports of sweep runs, made from the results store alone (no recomputation): Markdown + PNG figures + tables.

* :mod:`.figures` — error against each swept numeric key, log-log rates with the fitted slope, (T, gamma) heatmap,
  bound curves (De Bortoli fit, Chen et al. 2022) over the measured points;
* :mod:`.document` — ``reports/<run>/report.md`` with the figures, the results table (Markdown and CSV), the fitted
  constants, the empirical rates and the decomposition of the error;
* :mod:`.reproduce` — the main job: the claims ledger and every shipped experiment, with an index page.
"""

from theorylab.report.document import make_report

__all__ = ["make_report"]
