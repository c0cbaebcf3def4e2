"""Bounds on tables of measured cells: fits, rates, decompositions and overlays (layer ``bounds``).

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)':
:math:`\\|\\mathcal L(Y_N) - \\pi\\|_{TV} \\le Be^{-T} + C(M + \\gamma^{1/2})e^{DT}`
(TV :math:`= \\tfrac12\\|p-q\\|_1`), and its proof sketch ('Esquema de la Demostración').

* :mod:`~theorylab.bounds.table` -- which column holds what (:class:`Columns`; the sweep store's names by default).
* :mod:`~theorylab.bounds.debortoli` -- :func:`fit_debortoli`: the tightest :math:`B, C, D` (LP per :math:`D`,
  HiGHS), per-cell slack and ratio, uncoverable cells, the fit with :math:`\\gamma^a` free.
* :mod:`~theorylab.bounds.rates` -- :func:`rates`: slopes in :math:`\\gamma`, :math:`M`, :math:`T` with standard
  errors, against the bound's exponents.
* :mod:`~theorylab.bounds.decomposition` -- :func:`decomposition`: approximation and mixing terms, exactly.
* :mod:`~theorylab.bounds.chen` -- :func:`chen_bound`: Chen et al. (2022), Theorem 2, in its stated form.
* :mod:`~theorylab.bounds.verdict` -- :func:`debortoli_verdict_evidence`: evidence for the ledger claim.
"""

from theorylab.bounds.chen import (CHEN_NOTE, ChenBound, Lipschitz, chen_bound, chen_table, gmm_log_hessian,
                                   kl_to_standard_normal, score_lipschitz, second_moment)
from theorylab.bounds.debortoli import OBJECTIVES, DeBortoliFit, FreeExponentFit, debortoli_bound, fit_debortoli
from theorylab.bounds.decomposition import (Decomposition, approximation_term, decomposition, mixing_term,
                                            reverse_reference)
from theorylab.bounds.rates import RATE_COLUMNS, fit_slope, rates
from theorylab.bounds.table import Cells, Columns, read_cells, resolve_columns
from theorylab.bounds.verdict import debortoli_verdict_evidence

__all__ = [
    "CHEN_NOTE",
    "OBJECTIVES",
    "RATE_COLUMNS",
    "Cells",
    "ChenBound",
    "Columns",
    "DeBortoliFit",
    "Decomposition",
    "FreeExponentFit",
    "Lipschitz",
    "approximation_term",
    "chen_bound",
    "chen_table",
    "debortoli_bound",
    "debortoli_verdict_evidence",
    "decomposition",
    "fit_debortoli",
    "fit_slope",
    "gmm_log_hessian",
    "kl_to_standard_normal",
    "mixing_term",
    "rates",
    "read_cells",
    "resolve_columns",
    "reverse_reference",
    "score_lipschitz",
    "second_moment",
]
