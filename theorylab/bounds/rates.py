"""Empirical rates of a measured error in :math:`\\gamma`, :math:`M` and :math:`T`, side by side with the exponents of
the De Bortoli et al. bound.

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)':
:math:`TV \\le B e^{-T} + C(M + \\gamma^{1/2})e^{DT}` (TV :math:`= \\tfrac12\\|p - q\\|_1`). The bound's shape makes
three predictions, each checked by a least-squares slope (``scipy.stats.linregress``, with its standard error):

==========================  ==========================================================  ========================
quantity                    regression (cells selected)                                 bound's exponent
==========================  ==========================================================  ========================
``gamma exponent``          :math:`\\log e` on :math:`\\log\\gamma` (fixed :math:`T`, :math:`M = 0`)   :math:`\\tfrac12`
``M slope``                 :math:`e` on :math:`M` (fixed :math:`T, \\gamma`)            linear (slope
                                                                                            :math:`C e^{DT}`: no
                                                                                            exponent, ``NaN``)
``M exponent``              :math:`\\log(e - e_{M=0})` on :math:`\\log M` (fixed         1
                            :math:`T, \\gamma`, :math:`M > 0`)
``T decay``                 :math:`\\log e` on :math:`T` (fixed :math:`\\gamma, M`; the   :math:`-1` (:math:`e^{-T}`)
                            mixing-dominated cells)
==========================  ==========================================================  ========================

The standard error is ``linregress``'s: it measures the scatter of the points about the line (noise, and curvature
when the power law holds only asymptotically), not the cells' own uncertainty intervals. The slopes use the point
values; cells with a non-positive value (or difference) cannot enter a log and are dropped (counted in ``note``).

Fixed values not given are chosen as the value with the most distinct levels of the regressor (ties: the largest
:math:`T`, the smallest :math:`\\gamma`, the smallest :math:`M`), i.e. the best-resolved slice of the sweep.

Mixing-dominated regime of the ``T decay``: at fixed :math:`(\\gamma, M)` the error tends to a floor (the
discretisation and score terms) as :math:`T` grows; the cells kept are those with error at least ``floor_factor``
(default 10) times the error at the largest :math:`T`, so the floor contributes at most ~10% to each; or give
``T_range=(lo, hi)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from theorylab.bounds.table import Columns, read_cells
from theorylab.errors import ConfigError
from theorylab.tolerances import GRID_TIME_RTOL

__all__ = ["RATE_COLUMNS", "fit_slope", "rates"]

#: Columns of the table :func:`rates` returns.
RATE_COLUMNS = ("quantity", "fitted", "stderr", "bound_exponent", "n_cells", "intercept", "fixed", "note")


def fit_slope(x: Any, y: Any) -> tuple[float, float, float, int]:
    r"""Least-squares slope of ``y`` on ``x`` with ``scipy.stats.linregress``: ``(slope, stderr, intercept, n)``.

    The standard error is the usual OLS one, :math:`\sqrt{\sum_i r_i^2 / ((n-2) S_{xx})}` with the residuals
    :math:`r_i` of linregress's line, computed from the residuals rather than taken from linregress: linregress
    forms it as :math:`|b|\sqrt{(1 - R^2)/(n-2)}`, which cancels at a near-perfect fit (:math:`1 - R^2` is known only
    to ~EPS, so it reports ~1e-8 |b| for an exact power law); the two agree otherwise.
    Fewer than 3 finite points (no residual degree of freedom) or a constant ``x`` give ``NaN`` slope/stderr.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 3 or np.ptp(x) == 0.0:
        return math.nan, math.nan, math.nan, n
    res = stats.linregress(x, y)
    resid = y - (res.intercept + res.slope * x)
    sxx = float(np.sum((x - x.mean()) ** 2))
    stderr = math.sqrt(float(np.sum(resid * resid)) / ((n - 2) * sxx))
    return float(res.slope), stderr, float(res.intercept), n


def _same(values: np.ndarray, target: float) -> np.ndarray:
    if target == 0.0:
        return values == 0.0
    return np.isclose(values, target, rtol=GRID_TIME_RTOL, atol=0.0)


def _levels(values: np.ndarray) -> np.ndarray:
    """Distinct values up to GRID_TIME_RTOL (sorted)."""
    out: list[float] = []
    for v in np.sort(values):
        if not out or not _same(np.array([v]), out[-1])[0]:
            out.append(float(v))
    return np.array(out)


def _choose(frame: pd.DataFrame, by: list[str], regressor: str, prefer: list[tuple[str, int]]) -> dict | None:
    """The slice (values of ``by``) with the most distinct levels of ``regressor``; ties broken by ``prefer``
    (column, +1 for larger / -1 for smaller)."""
    if frame.empty:
        return None
    best, best_key = None, None
    keys = frame[by].drop_duplicates().to_dict("records")
    for rec in keys:
        mask = np.ones(len(frame), dtype=bool)
        for col, val in rec.items():
            mask &= _same(frame[col].to_numpy(), float(val))
        n_levels = _levels(frame.loc[mask, regressor].to_numpy()).size
        key = (n_levels, *[sign * float(rec[col]) for col, sign in prefer])
        if best_key is None or key > best_key:
            best, best_key = rec, key
    return best


def _select(frame: pd.DataFrame, fixed: dict) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for col, val in fixed.items():
        mask &= _same(frame[col].to_numpy(), float(val))
    return frame[mask]


def _fixed_text(fixed: dict) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in fixed.items())


def _row(quantity: str, slope: float, stderr: float, bound: float, n: int, intercept: float, fixed: dict,
         note: str) -> dict:
    if not np.isfinite(slope):
        note += "; fewer than 3 usable cells (or a constant regressor): no fit"
        if quantity == "T decay":
            note += " (give T_range, a lower floor_factor, or sweep smaller T)"
    return {"quantity": quantity, "fitted": slope, "stderr": stderr, "bound_exponent": bound, "n_cells": n,
            "intercept": intercept, "fixed": _fixed_text(fixed), "note": note}


def _empty(quantity: str, bound: float, reason: str, fixed: dict | None = None) -> dict:
    return _row(quantity, math.nan, math.nan, bound, 0, math.nan, fixed or {}, reason)


def _gamma_rate(frame: pd.DataFrame, T: float | None) -> dict:
    q = "gamma exponent"
    base = frame[frame["M"] == 0.0]
    if T is None:
        pick = _choose(base, ["T"], "gamma", [("T", +1)])
        if pick is None:
            return _empty(q, 0.5, "no cell with M = 0")
        T = float(pick["T"])
    fixed = {"T": T, "M": 0.0}
    sub = _select(base, {"T": T})
    pos = sub[sub["value"] > 0.0]
    slope, se, icpt, n = fit_slope(np.log(pos["gamma"].where(pos["gamma"] > 0.0)), np.log(pos["value"]))
    dropped = len(sub) - n
    return _row(q, slope, se, 0.5, n, icpt, fixed,
                "slope of log error on log gamma" + (f"; {dropped} cells with value or gamma <= 0 dropped"
                                                     if dropped else ""))


def _M_rates(frame: pd.DataFrame, T: float | None, gamma: float | None) -> list[dict]:
    q1, q2 = "M slope", "M exponent"
    if T is None or gamma is None:
        sub0 = frame
        if T is not None:
            sub0 = _select(sub0, {"T": T})
        if gamma is not None:
            sub0 = _select(sub0, {"gamma": gamma})
        pick = _choose(sub0, ["T", "gamma"], "M", [("T", +1), ("gamma", -1)])
        if pick is None:
            return [_empty(q1, math.nan, "no cells"), _empty(q2, 1.0, "no cells")]
        T, gamma = float(pick["T"]), float(pick["gamma"])
    fixed = {"T": T, "gamma": gamma}
    sub = _select(frame, fixed)
    slope, se, icpt, n = fit_slope(sub["M"], sub["value"])
    first = _row(q1, slope, se, math.nan, n, icpt, fixed,
                 "slope of error on M; the bound is linear in M with slope C e^(DT) (no exponent)")
    zero = sub[sub["M"] == 0.0]
    if zero.empty:
        return [first, _empty(q2, 1.0, "no M = 0 cell at these (T, gamma)", fixed)]
    base = float(zero["value"].mean())
    pos = sub[sub["M"] > 0.0]
    diff = pos["value"].to_numpy() - base
    ok = diff > 0.0
    slope, se, icpt, n = fit_slope(np.log(pos["M"].to_numpy()[ok]), np.log(diff[ok]))
    dropped = int(np.sum(~ok))
    return [first, _row(q2, slope, se, 1.0, n, icpt, fixed,
                        "slope of log(error - error at M = 0) on log M"
                        + (f"; {dropped} cells with error <= error at M = 0 dropped" if dropped else ""))]


def _T_rate(frame: pd.DataFrame, gamma: float | None, M: float | None, floor_factor: float,
            T_range: tuple[float, float] | None) -> dict:
    q = "T decay"
    if gamma is None or M is None:
        sub0 = frame
        if gamma is not None:
            sub0 = _select(sub0, {"gamma": gamma})
        if M is not None:
            sub0 = _select(sub0, {"M": M})
        pick = _choose(sub0, ["gamma", "M"], "T", [("M", -1), ("gamma", -1)])
        if pick is None:
            return _empty(q, -1.0, "no cells")
        gamma, M = float(pick["gamma"]), float(pick["M"])
    fixed = {"gamma": gamma, "M": M}
    sub = _select(frame, fixed).sort_values("T")
    sub = sub[sub["value"] > 0.0]
    if sub.empty:
        return _empty(q, -1.0, "no cell with a positive value", fixed)
    if T_range is not None:
        lo, hi = T_range
        kept = sub[(sub["T"] >= lo) & (sub["T"] <= hi)]
        how = f"cells with T in [{lo:g}, {hi:g}]"
    else:
        floor = float(sub["value"].iloc[-1])
        kept = sub[sub["value"] >= floor_factor * floor]
        how = (f"mixing-dominated cells: error >= {floor_factor:g} x the error at the largest T "
               f"({sub['T'].iloc[-1]:.6g})")
    slope, se, icpt, n = fit_slope(kept["T"], np.log(kept["value"]))
    return _row(q, slope, se, -1.0, n, icpt, fixed, "slope of log error on T; " + how)


def rates(df: pd.DataFrame, *, columns: Columns | dict | None = None, T: float | None = None,
          gamma: float | None = None, M: float | None = None, floor_factor: float = 10.0,
          T_range: tuple[float, float] | None = None) -> pd.DataFrame:
    """Empirical rates in :math:`\\gamma`, :math:`M`, :math:`T` against the De Bortoli bound's exponents.

    Parameters
    ----------
    df : pandas.DataFrame
        Table of measured cells (:mod:`theorylab.bounds.table`); cells whose status is not ok are not used.
    columns : Columns, dict or None
        Column names.
    T : float, optional
        Horizon of the ``gamma exponent`` and ``M`` slices (default: best-resolved slice, see module docstring).
    gamma : float, optional
        Step of the ``M`` and ``T decay`` slices.
    M : float, optional
        Score error of the ``T decay`` slice (the ``gamma exponent`` always uses :math:`M = 0`).
    floor_factor : float
        Mixing-dominated cells of the ``T decay``: error >= ``floor_factor`` x the error at the largest :math:`T`.
    T_range : (float, float), optional
        Use the cells with :math:`T` in this range for the ``T decay`` instead.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS` (``quantity``, ``fitted``, ``stderr``, ``bound_exponent``, ``n_cells``,
        ``intercept``, ``fixed``, ``note``); one row each for ``gamma exponent``, ``M slope``, ``M exponent``,
        ``T decay``; ``NaN`` where the slice has fewer than 3 usable cells.
    """
    if not (isinstance(floor_factor, (int, float)) and math.isfinite(floor_factor) and floor_factor >= 1.0):
        raise ConfigError(f"floor_factor: must be a finite number >= 1, got {floor_factor!r}")
    if T_range is not None:
        try:
            lo, hi = (float(v) for v in T_range)
        except (TypeError, ValueError):
            raise ConfigError(f"T_range: must be a pair (lo, hi), got {T_range!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise ConfigError(f"T_range: must be finite with lo <= hi, got {T_range!r}")
        T_range = (lo, hi)
    for key, val in (("T", T), ("gamma", gamma), ("M", M)):
        if val is not None and not (isinstance(val, (int, float)) and math.isfinite(val) and val >= 0):
            raise ConfigError(f"{key}: must be a finite number >= 0, got {val!r}")
    cells = read_cells(df, columns)
    frame = cells.frame()[cells.usable]
    out = [_gamma_rate(frame, T)]
    out.extend(_M_rates(frame, T, gamma))
    out.append(_T_rate(frame, gamma, M, float(floor_factor), T_range))
    return pd.DataFrame(out, columns=list(RATE_COLUMNS))
