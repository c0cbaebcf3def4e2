"""Evidence for the ledger claim ``000.debortoli.tv-bound`` from a fitted bound and a rate table.

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)': there exist :math:`B, C, D \\ge 0`
with :math:`\\|\\mathcal L(Y_N) - \\pi\\|_{TV} \\le Be^{-T} + C(M + \\gamma^{1/2})e^{DT}`
(TV :math:`= \\tfrac12\\|p-q\\|_1`).

What a finite table can say: the claim is existential, so on finitely many cells whose predictors are positive it
is always *satisfiable* (large constants cover anything); it fails on the table only if some usable cell is
uncoverable (both predictors vanish). Rates cannot refute it either: at fixed :math:`T` the bound tends to
:math:`Be^{-T} > 0` as :math:`\\gamma, M \\to 0`, and with :math:`D > 0` it grows without limit in :math:`T`, so a
measured :math:`\\gamma` exponent below :math:`\\tfrac12` only forces larger constants. The informative parts are
the tightest constants (how much room the form leaves) and the rates, reported against the bound's exponents: the
:math:`\\gamma` exponent against :math:`\\tfrac12`, the :math:`M` exponent against 1, the decay in :math:`T`
against :math:`e^{-T}`, each labelled *faster than*, *matching* or *slower than* the bound's (a difference beyond
:data:`~theorylab.tolerances.RATE_SLOPE_ATOL` plus ``MC_SIGMA`` standard errors). A faster measured rate means the
bound's exponent is not sharp for these laws.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from theorylab.bounds.debortoli import DeBortoliFit
from theorylab.errors import ConfigError
from theorylab.tolerances import MC_SIGMA, RATE_SLOPE_ATOL

__all__ = ["debortoli_verdict_evidence"]


def _row(rates: pd.DataFrame, quantity: str) -> dict | None:
    sel = rates[rates["quantity"] == quantity]
    if sel.empty or not np.isfinite(float(sel["fitted"].iloc[0])):
        return None
    return sel.iloc[0].to_dict()


def _pm(row: dict) -> str:
    return f"{row['fitted']:.3g} ± {row['stderr']:.2g}"


def debortoli_verdict_evidence(fit: DeBortoliFit,
                               rates: pd.DataFrame | None = None) -> tuple[bool, str, dict[str, Any]]:
    """Decide ``000.debortoli.tv-bound`` on a table: ``(holds, summary, details)``.

    Parameters
    ----------
    fit : DeBortoliFit
        From :func:`theorylab.bounds.fit_debortoli`.
    rates : pandas.DataFrame, optional
        From :func:`theorylab.bounds.rates`.

    Returns
    -------
    holds : bool
        The fitted constants cover every usable cell (``fit.holds``): no uncoverable cell. The rates do not enter
        (see the module docstring); ``details["rate_comparison"]`` labels each of them.
    summary : str
        One paragraph, e.g. "constants B=…, C=…, D=… make the bound hold on all n cells; max slack …; the data follow
        gamma^{0.98 ± 0.02}, faster than the bound's gamma^{1/2}".
    details : dict
        Constants, counts, slack and ratio ranges, free-exponent fit, the rate rows, and which checks failed.
    """
    if not isinstance(fit, DeBortoliFit):
        raise ConfigError(f"fit: expected a DeBortoliFit, got {type(fit).__name__}")
    cells = fit.cells[fit.cells["included"]]
    ratio = cells["ratio"].to_numpy()
    finite = ratio[np.isfinite(ratio)]
    details: dict[str, Any] = {
        "B": fit.B, "C": fit.C, "D": fit.D, "objective": fit.objective_name, "objective_value": fit.objective,
        "n_cells": fit.n_cells, "n_excluded": fit.n_excluded, "n_uncoverable": fit.n_uncoverable,
        "min_slack": float(cells["slack"].min()) if len(cells) else math.nan,
        "max_slack": float(cells["slack"].max()) if len(cells) else math.nan,
        "median_ratio": float(np.median(finite)) if finite.size else math.nan,
        "max_ratio": float(np.max(finite)) if finite.size else math.nan,
        "n_binding": int(cells["binding"].sum()) if len(cells) else 0,
        "D_at_edge": fit.D_at_edge,
        "failures": [],
    }
    if fit.free is not None:
        details["free_exponent"] = {"a": fit.free.a, "B": fit.free.B, "C": fit.free.C, "D": fit.free.D,
                                    "objective": fit.free.objective, "objective_at_half": fit.free.objective_at_half,
                                    "a_at_edge": fit.free.a_at_edge}
    failures: list[str] = details["failures"]
    if not fit.holds:
        failures.append(f"{fit.n_uncoverable} uncoverable cells" if fit.n_uncoverable else "a cell is not covered")
    if fit.n_uncoverable:
        text = (f"no constants B, C, D >= 0 cover {fit.n_uncoverable} of the {fit.n_cells + fit.n_uncoverable} usable "
                "cells (both predictors vanish there)")
    else:
        text = (f"constants B={fit.B:.3g}, C={fit.C:.3g}, D={fit.D:.3g} make the bound hold on all {fit.n_cells} "
                f"cells (measured upper limits); slack from {details['min_slack']:.3g} to {details['max_slack']:.3g}, "
                f"bound/value median {details['median_ratio']:.3g}, max {details['max_ratio']:.3g}")
    parts = [text]
    if fit.n_excluded:
        parts.append(f"{fit.n_excluded} cells excluded (status not ok or non-finite)")
    if rates is not None:
        if not isinstance(rates, pd.DataFrame) or "quantity" not in rates.columns:
            raise ConfigError("rates: expected the DataFrame returned by theorylab.bounds.rates")
        details["rates"] = rates.to_dict("records")
        comparison: dict[str, str] = {}
        details["rate_comparison"] = comparison
        for quantity, bound, name in (("gamma exponent", 0.5, "gamma^(1/2)"), ("M exponent", 1.0, "M^1")):
            row = _row(rates, quantity)
            if row is None:
                continue
            fitted, se = float(row["fitted"]), float(row["stderr"])
            margin = RATE_SLOPE_ATOL + MC_SIGMA * (se if np.isfinite(se) else 0.0)
            if fitted > bound + margin:
                rel = "faster than"
            elif fitted < bound - margin:
                rel = "slower than"
            else:
                rel = "matching"
            comparison[quantity] = rel
            base = "gamma" if quantity.startswith("gamma") else "M"
            parts.append(f"the data follow {base}^({_pm(row)}) ({row['n_cells']} cells, {row['fixed']}), {rel} the "
                         f"bound's {name}")
        row = _row(rates, "T decay")
        if row is not None:
            margin = RATE_SLOPE_ATOL + MC_SIGMA * (float(row["stderr"]) if np.isfinite(row["stderr"]) else 0.0)
            comparison["T decay"] = ("faster than" if row["fitted"] < -1.0 - margin else
                                     "slower than" if row["fitted"] > -1.0 + margin else "matching")
            parts.append(f"in the mixing-dominated cells the error decays like e^({_pm(row)} T), "
                         f"{comparison['T decay']} the bound's e^(-T) ({row['n_cells']} cells, {row['fixed']})")
    if fit.free is not None:
        parts.append(f"the tightest fit with gamma^a free has a = {fit.free.a:.3g}")
    parts.append("(any finite table with positive predictors can be covered by large constants: the rates carry the "
                 "information)")
    holds = not failures
    return holds, "; ".join(parts) + ".", details
