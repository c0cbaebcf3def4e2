"""The tightest constants of the De Bortoli et al. TV bound on a table of measured cells.

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)': if the score error is bounded,
:math:`\\|s_{\\theta^*}(t, x) - \\nabla\\log p_t(x)\\| \\le M`, then there are :math:`B, C, D \\ge 0` such that for
every :math:`N` and step :math:`\\gamma` (:math:`T = N\\gamma`)

.. math:: \\|\\mathcal L(Y_N) - \\pi\\|_{TV} \\le b(T, \\gamma, M) = B e^{-T} + C(M + \\gamma^{1/2}) e^{DT}.

(TV :math:`= \\tfrac12\\|p - q\\|_1`.) The theorem asserts existence only. :func:`fit_debortoli` finds, on a table of
measured cells, the *tightest* constants for which the bound holds on every cell, conservatively: the bound must
exceed each cell's **upper** uncertainty limit :math:`u_i` (``tv_upper``), not just its point value.

**The fit.** For a fixed :math:`D` (and exponent :math:`a`, :math:`\\tfrac12` in the theorem) the bound is linear in
:math:`(B, C)`, :math:`b_i = B P_i + C Q_i` with :math:`P_i = e^{-T_i}`, :math:`Q_i = (M_i + \\gamma_i^a)e^{DT_i}`,
so the tightest :math:`(B, C)` solve a linear programme (``scipy.optimize.linprog``, HiGHS):

.. math::

    \\min_{B, C \\ge 0} \\; \\frac1n\\sum_i \\frac{b_i}{u_i} \\quad\\text{s.t.}\\quad b_i \\ge u_i \\;\\; \\forall i.

The default objective (``"mean_ratio"``) is the mean over cells of bound / measured upper limit. Why: measured
errors span decades (large :math:`\\gamma` at small :math:`T` against small :math:`\\gamma` at large :math:`T`), so
the sum of the bounds themselves (``"sum"``) is decided by the few largest-error cells and leaves the bound loose
by orders of magnitude on the small-error ones, whereas ratios are scale-free; and the mean, unlike the maximum
ratio (``"max_ratio"``, an epigraph LP), lets every cell shape the fit and has a unique optimum in most cases (the
min-max LP is degenerate: once the worst cell's ratio is fixed, the others are free). All three are offered.

The LP is solved with rows divided by :math:`u_i` and columns by their largest entry (the raw coefficients can span
hundreds of orders of magnitude), at HiGHS feasibility tolerances of :data:`_HIGHS_TOL`; the constants are then
multiplied by the smallest factor :math:`\\ge 1` that makes every :math:`b_i \\ge u_i` hold in float64 (the bound is
homogeneous in :math:`(B, C)`), so "the bound holds on every cell" is an exact statement about the reported
numbers, not about a solver tolerance.

:math:`D` is searched on a grid (default :math:`[0, \\min(3, 700/T_{max})]`, so that :math:`e^{DT}` cannot overflow)
and refined with ``scipy.optimize.minimize_scalar`` (bounded Brent) between the grid neighbours of the best point.
With ``free_exponent=True`` the fit is repeated with :math:`\\gamma^{1/2}` replaced by :math:`\\gamma^a`, :math:`a`
free: a grid over :math:`(a, D)` refined by Nelder–Mead; the tightest :math:`a` says whether the data follow
:math:`\\sqrt\\gamma` or a faster rate (for errors :math:`\\propto \\gamma` the tightest fit has :math:`a = 1`: every
:math:`a \\ne 1` leaves the bound loose at one end of the :math:`\\gamma` range).

**Cells.** Excluded: status not ok, or non-finite numbers (:mod:`theorylab.bounds.table`). *Uncoverable*: usable
cells whose predictors both vanish in float64 (:math:`e^{-T_i} = 0`, i.e. :math:`T_i > 745`, and
:math:`M_i = \\gamma_i = 0`) while :math:`u_i > 0`: no finite constants cover them; they are left out of the LP and
make :attr:`DeBortoliFit.holds` false. Cells with :math:`u_i = 0` constrain nothing (their ratio is reported as
``inf`` if the bound is positive).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from theorylab.bounds.table import Cells, Columns, read_cells
from theorylab.errors import ConfigError
from theorylab.tolerances import EPS, RATE_SLOPE_ATOL

__all__ = ["OBJECTIVES", "DeBortoliFit", "FreeExponentFit", "debortoli_bound", "fit_debortoli"]

#: Tightness objectives of the LP (see the module docstring).
OBJECTIVES = ("mean_ratio", "sum", "max_ratio")
#: HiGHS primal/dual feasibility tolerances on the scaled LP (entries <= 1, right-hand sides 1): a constraint can be
#: violated by at most ~1e-10 relative before the float64 inflation step removes the violation exactly.
_HIGHS_TOL = 1e-10
#: xatol of the bounded Brent search in D: e^{DT} then moves by < T_max * 1e-10 relative, far below any measured
#: uncertainty.
_D_XATOL = 1e-10
#: A cell is reported as binding when its slack is within this fraction of its upper limit (the LP optimum puts
#: binding cells at slack ~ 1e-10 relative; a non-binding cell is typically >= 1e-3 away).
_BINDING_RTOL = 1e-6
#: e^{x} overflows float64 beyond x ~ 709.8; the D range keeps D T_max <= this.
_MAX_EXPONENT = 700.0


def debortoli_bound(T: Any, gamma: Any, M: Any, B: float, C: float, D: float, a: float = 0.5) -> np.ndarray:
    """The bound :math:`B e^{-T} + C(M + \\gamma^a)e^{DT}` (seed 000, De Bortoli slide; :math:`a = \\tfrac12` there).

    Parameters
    ----------
    T, gamma, M : array_like, broadcastable
    B, C, D, a : float

    Returns
    -------
    numpy.ndarray, float64, the broadcast shape
    """
    T, gamma, M = (np.asarray(v, dtype=np.float64) for v in (T, gamma, M))
    return B * np.exp(-T) + C * (M + gamma**a) * np.exp(D * T)


@dataclass(frozen=True)
class FreeExponentFit:
    """The tightest fit of :math:`B e^{-T} + C(M + \\gamma^a)e^{DT}` with the exponent :math:`a` free.

    Attributes
    ----------
    a, B, C, D : float
        The tightest constants and exponent.
    objective : float
        Objective at ``(a, B, C, D)``.
    objective_at_half : float
        Objective of the theorem's form (:math:`a = \\tfrac12`), for comparison.
    profile : pandas.DataFrame
        Columns ``a``, ``D``, ``objective``: for each grid value of :math:`a`, the best grid :math:`D` and its
        objective (before refinement).
    a_at_edge : bool
        The refined :math:`a` lies at an end of its range (the range should be widened).
    """

    a: float
    B: float
    C: float
    D: float
    objective: float
    objective_at_half: float
    profile: pd.DataFrame
    a_at_edge: bool


@dataclass(frozen=True)
class DeBortoliFit:
    """Everything :func:`fit_debortoli` found.

    Attributes
    ----------
    B, C, D : float
        The tightest constants (:math:`a = \\tfrac12`).
    objective_name : str
        One of :data:`OBJECTIVES`.
    objective : float
        Its value at ``(B, C, D)``.
    cells : pandas.DataFrame
        One row per table row (same index): ``T``, ``gamma``, ``M``, ``value``, ``lower``, ``upper``, ``flag``
        (``""`` used, ``"status"``/``"nonfinite"`` excluded, ``"uncoverable"``), ``included`` (in the LP),
        ``bound``, ``slack`` (bound − upper limit, >= 0 on every included cell), ``slack_value`` (bound − point
        value), ``ratio`` (bound / point value), ``binding`` (slack within ``1e-6`` of the upper limit).
    holds : bool
        The bound holds on every usable cell (no uncoverable cell, every included slack >= 0) and at least one cell
        was fitted.
    n_cells, n_excluded, n_uncoverable : int
        Included cells, rows excluded (status or non-finite), usable cells no constants cover.
    D_profile : pandas.DataFrame
        Columns ``D``, ``objective`` (the grid search).
    D_at_edge : bool
        The best :math:`D` is at the upper end of its range (the bound wants faster growth than the range allows).
    free : FreeExponentFit or None
        The fit with :math:`\\gamma^a`, :math:`a` free (``free_exponent=True``).
    columns : Columns
    notes : tuple of str
    """

    B: float
    C: float
    D: float
    objective_name: str
    objective: float
    cells: pd.DataFrame
    holds: bool
    n_cells: int
    n_excluded: int
    n_uncoverable: int
    D_profile: pd.DataFrame
    D_at_edge: bool
    free: FreeExponentFit | None
    columns: Columns
    notes: tuple[str, ...] = field(default_factory=tuple)

    def bound(self, T: Any, gamma: Any, M: Any) -> np.ndarray:
        """The fitted bound at ``(T, gamma, M)``."""
        return debortoli_bound(T, gamma, M, self.B, self.C, self.D)

    @property
    def summary(self) -> str:
        """One paragraph: constants, coverage, slack and ratios, binding cells, the free-exponent fit."""
        return _summary(self)


# ---------------------------------------------------------------------------------------------------------------------
# the LP at fixed (a, D)
# ---------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Problem:
    """The included cells: predictors' ingredients and upper limits."""

    T: np.ndarray
    gamma: np.ndarray
    M: np.ndarray
    upper: np.ndarray
    objective: str


def _predictors(prob: _Problem, a: float, D: float) -> tuple[np.ndarray, np.ndarray]:
    return np.exp(-prob.T), (prob.M + prob.gamma**a) * np.exp(D * prob.T)


def _objective_value(name: str, bound: np.ndarray, upper: np.ndarray) -> float:
    pos = upper > 0.0
    if name == "sum":
        return float(np.sum(bound))
    if not np.any(pos):
        return 0.0
    ratio = bound[pos] / upper[pos]
    return float(np.mean(ratio)) if name == "mean_ratio" else float(np.max(ratio))


def _solve(prob: _Problem, a: float, D: float) -> tuple[float, float, float]:
    """Tightest (B, C) at fixed (a, D): returns (B, C, objective)."""
    P, Q = _predictors(prob, a, D)
    u = prob.upper
    rows = u > 0.0
    if not np.any(rows):
        return 0.0, 0.0, _objective_value(prob.objective, np.zeros_like(u), u)
    p, q = P[rows] / u[rows], Q[rows] / u[rows]
    sP, sQ = float(np.max(p)), float(np.max(q))
    bounds = [(0.0, None) if sP > 0.0 else (0.0, 0.0), (0.0, None) if sQ > 0.0 else (0.0, 0.0)]
    sP, sQ = (sP if sP > 0.0 else 1.0), (sQ if sQ > 0.0 else 1.0)
    A = np.column_stack([p / sP, q / sQ])
    ones = np.ones(A.shape[0])
    if prob.objective == "mean_ratio":
        c, A_ub, b_ub = A.mean(axis=0), -A, -ones
    elif prob.objective == "sum":
        c = np.array([np.sum(P) / sP, np.sum(Q) / sQ])
        c, A_ub, b_ub = c / np.max(c), -A, -ones
    else:  # max_ratio: min t s.t. b_i/u_i >= 1 and b_i/u_i <= t
        c = np.array([0.0, 0.0, 1.0])
        A_ub = np.vstack([np.column_stack([-A, np.zeros(A.shape[0])]), np.column_stack([A, -ones])])
        b_ub = np.concatenate([-ones, np.zeros(A.shape[0])])
        bounds = bounds + [(0.0, None)]
    res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs",
                           options={"primal_feasibility_tolerance": _HIGHS_TOL,
                                    "dual_feasibility_tolerance": _HIGHS_TOL})
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded (all entries >= 0, c >= 0)
        raise RuntimeError(f"fit_debortoli: linprog failed at a={a}, D={D}: {res.message}")
    B, C = float(res.x[0]) / sP, float(res.x[1]) / sQ
    # exact feasibility in float64: inflate by the smallest factor >= 1 (the bound is homogeneous in (B, C)); the
    # bound is evaluated by the same expression as debortoli_bound, so the cell table sees the same floats
    bound = debortoli_bound(prob.T, prob.gamma, prob.M, B, C, D, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = float(np.max(np.where(rows, u / bound, 0.0)))
    if need > 1.0 or not math.isfinite(need):
        if not math.isfinite(need):  # pragma: no cover - a zero bound on a positive cell is excluded upstream
            raise RuntimeError("fit_debortoli: zero bound on a cell with a positive upper limit")
        factor = need * (1.0 + 8.0 * EPS)
        B, C, bound = B * factor, C * factor, bound * factor
    return B, C, _objective_value(prob.objective, bound, u)


def _best_D(prob: _Problem, a: float, grid: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
    """Grid search over D, then bounded Brent between the grid neighbours: (D, B, C, objective, grid values)."""
    values = np.array([_solve(prob, a, float(D))[2] for D in grid])
    k = int(np.argmin(values))
    best = (float(grid[k]), *_solve(prob, a, float(grid[k])))
    if grid.size > 1:
        lo, hi = float(grid[max(k - 1, 0)]), float(grid[min(k + 1, grid.size - 1)])
        res = optimize.minimize_scalar(lambda D: _solve(prob, a, float(D))[2], bounds=(lo, hi), method="bounded",
                                       options={"xatol": _D_XATOL})
        cand = (float(res.x), *_solve(prob, a, float(res.x)))
        if cand[3] < best[3]:
            best = cand
    D, B, C, obj = best
    return D, B, C, obj, values


def _free_fit(prob: _Problem, a_grid: np.ndarray, D_grid: np.ndarray, objective_at_half: float) -> FreeExponentFit:
    table = np.array([[_solve(prob, float(a), float(D))[2] for D in D_grid] for a in a_grid])
    ia, iD = np.unravel_index(int(np.argmin(table)), table.shape)
    profile = pd.DataFrame({"a": a_grid, "D": D_grid[np.argmin(table, axis=1)], "objective": table.min(axis=1)})
    a_lo, a_hi = float(a_grid[0]), float(a_grid[-1])
    D_lo, D_hi = float(D_grid[0]), float(D_grid[-1])

    def f(z: np.ndarray) -> float:
        a, D = float(np.clip(z[0], a_lo, a_hi)), float(np.clip(z[1], D_lo, D_hi))
        return _solve(prob, a, D)[2]

    x0 = np.array([a_grid[ia], D_grid[iD]], dtype=np.float64)
    da = float(a_grid[1] - a_grid[0]) if a_grid.size > 1 else 0.1
    dD = float(D_grid[1] - D_grid[0]) if D_grid.size > 1 else 0.1
    simplex = np.array([x0, x0 + [da, 0.0], x0 + [0.0, dD]])
    res = optimize.minimize(f, x0, method="Nelder-Mead", bounds=[(a_lo, a_hi), (D_lo, D_hi)],
                            options={"initial_simplex": simplex, "xatol": 1e-9, "fatol": 1e-13, "maxiter": 2000})
    a, D = float(np.clip(res.x[0], a_lo, a_hi)), float(np.clip(res.x[1], D_lo, D_hi))
    B, C, obj = _solve(prob, a, D)
    if obj > float(table[ia, iD]):  # keep the grid point if the simplex did not improve on it
        a, D = float(a_grid[ia]), float(D_grid[iD])
        B, C, obj = _solve(prob, a, D)
    edge = bool(a_grid.size > 1 and (abs(a - a_lo) <= 0.5 * da or abs(a - a_hi) <= 0.5 * da))
    return FreeExponentFit(a, B, C, D, obj, objective_at_half, profile, edge)


# ---------------------------------------------------------------------------------------------------------------------
# public entry point
# ---------------------------------------------------------------------------------------------------------------------
def _check_grid(values: Any, key: str, lower: float, upper: float) -> np.ndarray:
    try:
        arr = np.unique(np.asarray(values, dtype=np.float64).reshape(-1))
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: must be a list of numbers, got {values!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or arr[0] < lower or arr[-1] > upper:
        raise ConfigError(f"{key}: must be non-empty, finite and within [{lower:g}, {upper:g}], got {values!r}")
    return arr


def fit_debortoli(df: pd.DataFrame, *, columns: Columns | dict | None = None, objective: str = "mean_ratio",
                  D_grid: Any = None, free_exponent: bool = True, a_grid: Any = None,
                  free_D_grid: Any = None) -> DeBortoliFit:
    """The tightest :math:`B, C, D \\ge 0` for which :math:`B e^{-T} + C(M + \\gamma^{1/2})e^{DT}` covers the measured
    upper limit of every cell (seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)').

    Parameters
    ----------
    df : pandas.DataFrame
        One row per cell (see :mod:`theorylab.bounds.table`); TV :math:`= \\tfrac12\\|p-q\\|_1`.
    columns : Columns, dict or None
        Column names (default: the sweep store's ``sampler.T``, ``sampler.gamma``, ``score.M``, ``tv``,
        ``tv_lower``, ``tv_upper``, ``status``).
    objective : {"mean_ratio", "sum", "max_ratio"}
        Tightness objective of the LP (module docstring says why ``mean_ratio`` is the default).
    D_grid : array_like, optional
        Grid of :math:`D` (default 41 points on :math:`[0, \\min(3, 700/T_{max})]`); the best point is refined by
        bounded Brent between its neighbours.
    free_exponent : bool
        Also fit :math:`\\gamma^a` with :math:`a` free (:class:`FreeExponentFit`).
    a_grid, free_D_grid : array_like, optional
        Grids of the free-exponent search (default :math:`a \\in [0.1, 2.5]` step 0.1, :math:`D` 13 points on the
        range of ``D_grid``), refined by Nelder–Mead.

    Returns
    -------
    DeBortoliFit
        With ``summary`` (one paragraph).

    Raises
    ------
    ConfigError
        Bad table/columns (message names ``columns.<key>``), unknown ``objective``, a bad grid, or no usable cell.
    """
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective: must be one of {OBJECTIVES}, got {objective!r}")
    cells = read_cells(df, columns)
    flag = cells.flag.copy()
    uncoverable = cells.usable & (np.exp(-cells.T) == 0.0) & (cells.M + cells.gamma == 0.0) & (cells.upper > 0.0)
    flag[uncoverable] = "uncoverable"
    included = cells.usable & ~uncoverable
    if not np.any(included):
        raise ConfigError(f"df: no usable cell to fit ({int(np.sum(~cells.usable))} excluded, "
                          f"{int(np.sum(uncoverable))} uncoverable)")
    prob = _Problem(cells.T[included], cells.gamma[included], cells.M[included], cells.upper[included], objective)
    D_cap = _MAX_EXPONENT / max(float(np.max(prob.T)), 1e-300)  # keeps e^{D T} finite
    grid = np.linspace(0.0, min(3.0, D_cap), 41) if D_grid is None else _check_grid(D_grid, "D_grid", 0.0, D_cap)
    D, B, C, obj, values = _best_D(prob, 0.5, grid)
    free = None
    if free_exponent:
        a_arr = np.round(np.arange(0.1, 2.5 + 1e-9, 0.1), 10) if a_grid is None else _check_grid(a_grid, "a_grid",
                                                                                                    1e-6, 20.0)
        fD = (np.linspace(float(grid[0]), float(grid[-1]), 13) if free_D_grid is None
              else _check_grid(free_D_grid, "free_D_grid", 0.0, D_cap))
        free = _free_fit(prob, a_arr, fD, obj)
    table = _cell_table(cells, flag, included, B, C, D)
    slack_ok = bool(np.all(table.loc[included, "slack"].to_numpy() >= 0.0))
    notes = list(cells.notes)
    edge = bool(grid.size > 1 and D >= grid[-1] - 0.5 * (grid[-1] - grid[-2]))
    return DeBortoliFit(B, C, D, objective, obj, table, bool(slack_ok and not np.any(uncoverable)),
                        int(np.sum(included)), int(np.sum(~cells.usable)), int(np.sum(uncoverable)),
                        pd.DataFrame({"D": grid, "objective": values}), edge, free, cells.columns, tuple(notes))


def _cell_table(cells: Cells, flag: np.ndarray, included: np.ndarray, B: float, C: float, D: float) -> pd.DataFrame:
    table = cells.frame()
    table["flag"] = flag
    table["included"] = included
    with np.errstate(over="ignore", invalid="ignore"):
        bound = debortoli_bound(cells.T, cells.gamma, cells.M, B, C, D)
    table["bound"] = bound
    table["slack"] = bound - cells.upper
    table["slack_value"] = bound - cells.value
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ratio"] = np.where(cells.value > 0.0, bound / np.where(cells.value > 0.0, cells.value, 1.0),
                                  np.where(bound > 0.0, np.inf, np.nan))
    table["binding"] = included & (table["slack"].to_numpy() <= _BINDING_RTOL * cells.upper)
    return table


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def _summary(fit: DeBortoliFit) -> str:
    t = fit.cells[fit.cells["included"]]
    parts = [f"De Bortoli et al. form TV <= B e^(-T) + C(M + gamma^(1/2)) e^(DT) (TV = 1/2 ||p - q||_1) fitted to "
             f"{fit.n_cells} cells"]
    dropped = []
    if fit.n_excluded:
        dropped.append(f"{fit.n_excluded} excluded (status not ok or non-finite)")
    if fit.n_uncoverable:
        dropped.append(f"{fit.n_uncoverable} uncoverable (both predictors vanish: T > 745 with M = gamma = 0)")
    if dropped:
        parts[0] += " (" + "; ".join(dropped) + ")"
    objective = {"mean_ratio": "mean of bound / measured upper limit", "sum": "sum of the bounds",
                 "max_ratio": "max of bound / measured upper limit"}[fit.objective_name]
    parts.append(f"the tightest constants (objective: {objective} = {_fmt(fit.objective)}) are B = {_fmt(fit.B)}, "
                 f"C = {_fmt(fit.C)}, D = {_fmt(fit.D)}" + (" (D at the upper end of its range)" if fit.D_at_edge
                                                            else ""))
    if fit.holds:
        parts.append(f"with them the bound covers the measured upper limit of all {fit.n_cells} cells")
    elif fit.n_uncoverable:
        parts.append(f"no constants cover the {fit.n_uncoverable} uncoverable cells, so the bound fails there")
    ratio = t["ratio"].to_numpy()
    finite = ratio[np.isfinite(ratio)]
    if finite.size:
        parts.append(f"slack (bound - upper) from {_fmt(t['slack'].min())} to {_fmt(t['slack'].max())}, ratio "
                     f"bound/value median {_fmt(float(np.median(finite)))}, max {_fmt(float(np.max(finite)))}; "
                     f"{int(t['binding'].sum())} binding cells")
    if fit.free is not None:
        f = fit.free
        faster = ("consistent with" if abs(f.a - 0.5) <= RATE_SLOPE_ATOL else
                  "faster than" if f.a > 0.5 else "slower than")
        parts.append(f"with gamma^a free the tightest fit has a = {f.a:.3g} (objective {_fmt(f.objective)} against "
                     f"{_fmt(f.objective_at_half)} at a = 1/2; B = {_fmt(f.B)}, C = {_fmt(f.C)}, D = {_fmt(f.D)}), "
                     f"i.e. a rate {faster} the theorem's gamma^(1/2)"
                     + (" (a at the end of its range)" if f.a_at_edge else ""))
    parts.append("note that finitely many cells with positive predictors can always be covered by large enough "
                 "constants: the fit measures how tight the form can be, the rates say whether its exponents match")
    return "; ".join(parts) + "."
