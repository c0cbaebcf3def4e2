"""Reading tables of measured cells: which column holds what, and the per-cell arrays the fits use.

A *cell* is one configuration of a sweep (horizon :math:`T`, step :math:`\\gamma`, score error :math:`M`) with the
measured distance between the sampler's output law and the target (TV :math:`= \\tfrac12\\|p-q\\|_1`) and its
uncertainty interval. The sweep store exports one row per cell with columns such as ``sampler.T``,
``sampler.gamma``, ``score.M``, ``tv``, ``tv_lower``, ``tv_upper``, ``status``; every function of
:mod:`theorylab.bounds` takes a ``columns`` argument (a :class:`Columns` or a dict of overrides such as
``{"T": "T", "gamma": "step"}``), so any table with plain columns works.

Which cells are used: rows whose ``status`` is not in ``Columns.ok_status`` are *excluded* (kept in the result
tables with the flag ``"status"``), and so are rows with a non-finite or negative ``T``, ``gamma``, ``M`` or
measured value (flag ``"nonfinite"``).

Stale rows are refused: a table with a non-empty ``stale`` column (rows of a sweep store computed by other code than
the current tree: :func:`theorylab.experiments.results_table` with ``allow_stale=True``, or its CSV export) raises
a one-line :class:`~theorylab.errors.ConfigError` unless ``allow_stale`` is True (by default: the table's own
``attrs["allow_stale"]``, set by ``results_table(..., allow_stale=True)``, so that one explicit opt-in carries to the
fits); the rows are then used and a note says how many were stale.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from theorylab.errors import ConfigError

__all__ = ["Cells", "Columns", "read_cells", "resolve_columns"]


@dataclass(frozen=True)
class Columns:
    """Names of the columns of a table of measured cells.

    Parameters
    ----------
    T, gamma : str
        Horizon :math:`T = N\\gamma` and (constant) step :math:`\\gamma`.
    M : str or None
        Sup-norm score error :math:`M` (seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al.
        (2021a)'); None means every cell has :math:`M = 0` (exact score). Cells with a learned score
        (``score.kind == "learned"``) take their *measured* :math:`M` from the column ``measured_M`` (default
        ``"score_sup"``, the sup of the score error over the high-density region, written by ``measure``) instead.
    measured_M : str or None
        Column of the measured score error of learned cells (see ``M``).
    value : str
        Measured distance (point estimate), e.g. ``"tv"``.
    lower, upper : str or None
        Ends of the measured value's uncertainty interval (``Estimate.uncertainty``); None (or a column absent from
        the table) means the interval is the point value itself (exact numbers).
    status : str or None
        Cell status; None (or absent) means every cell is usable.
    ok_status : tuple of str
        Status values of usable cells.
    """

    T: str = "sampler.T"
    gamma: str = "sampler.gamma"
    M: str | None = "score.M"
    measured_M: str | None = "score_sup"
    value: str = "tv"
    lower: str | None = "tv_lower"
    upper: str | None = "tv_upper"
    status: str | None = "status"
    ok_status: tuple[str, ...] = ("ok",)


def resolve_columns(columns: Columns | dict | None) -> Columns:
    """A :class:`Columns` from ``None`` (the sweep store's names), a :class:`Columns`, or a dict of overrides."""
    if columns is None:
        return Columns()
    if isinstance(columns, Columns):
        return columns
    if isinstance(columns, dict):
        known = {f.name for f in fields(Columns)}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise ConfigError(f"columns: unknown key {unknown[0]!r} (expected some of {', '.join(sorted(known))})")
        overrides = dict(columns)
        if "ok_status" in overrides:
            ok = overrides["ok_status"]
            overrides["ok_status"] = (ok,) if isinstance(ok, str) else tuple(ok)
        return replace(Columns(), **overrides)
    raise ConfigError(f"columns: expected a Columns, a dict or None, got {type(columns).__name__}")


@dataclass(frozen=True)
class Cells:
    """Per-cell arrays of a table (all of length ``n``, in the table's row order).

    Attributes
    ----------
    index : pandas.Index
        The table's index (to join results back).
    T, gamma, M, value, lower, upper : numpy.ndarray, float64
    usable : numpy.ndarray of bool
        Status ok and all numbers finite and non-negative.
    flag : numpy.ndarray of object
        ``""`` for usable cells, else ``"status"`` or ``"nonfinite"``.
    columns : Columns
    notes : tuple of str
        What was assumed (no upper column, no M column, ...).
    """

    index: pd.Index
    T: np.ndarray
    gamma: np.ndarray
    M: np.ndarray
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    usable: np.ndarray
    flag: np.ndarray
    columns: Columns
    notes: tuple[str, ...]

    @property
    def n(self) -> int:
        return int(self.T.shape[0])

    def frame(self) -> pd.DataFrame:
        """The arrays as a DataFrame with plain column names (``T``, ``gamma``, ``M``, ``value``, ``lower``,
        ``upper``, ``flag``), indexed like the input table."""
        return pd.DataFrame({"T": self.T, "gamma": self.gamma, "M": self.M, "value": self.value,
                             "lower": self.lower, "upper": self.upper, "flag": self.flag}, index=self.index)


def _numeric(df: pd.DataFrame, name: str, key: str) -> np.ndarray:
    try:
        return pd.to_numeric(df[name], errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"columns.{key}: column {name!r} is not numeric") from None


def _stale_rows(df: pd.DataFrame) -> pd.Series:
    """The non-empty entries of the table's ``stale`` column (empty Series when there is none)."""
    if "stale" not in df.columns:
        return pd.Series([], dtype=object)
    text = df["stale"].map(lambda v: "" if pd.isna(v) else str(v).strip())
    return text[text != ""]


def read_cells(df: Any, columns: Columns | dict | None = None, *, allow_stale: bool | None = None) -> Cells:
    """Extract the per-cell arrays of a table of measured cells.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per cell.
    columns : Columns, dict or None
        Column names (:func:`resolve_columns`).
    allow_stale : bool, optional
        Use rows whose ``stale`` column is non-empty (computed by other code than the current tree). Default: the
        table's ``attrs["allow_stale"]`` (set when the table was read with ``results_table(...,
        allow_stale=True)``), else False.

    Returns
    -------
    Cells

    Raises
    ------
    ConfigError
        ``df`` not a DataFrame, or a required column (``T``, ``gamma``, ``value``; ``M`` unless set to None)
        missing; the message names the ``columns.<key>``. Stale rows without ``allow_stale``: the message names
        the run folder when the table knows it and the command that refreshes it.
    """
    if not isinstance(df, pd.DataFrame):
        raise ConfigError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    cols = resolve_columns(columns)
    stale = _stale_rows(df)
    if allow_stale is None:
        allow_stale = bool(df.attrs.get("allow_stale", False))
    if len(stale) and not allow_stale:
        where = df.attrs.get("run_dir")
        why = stale.value_counts()
        reason = why.index[0] + (f" and {len(why) - 1} other reason(s)" if len(why) > 1 else "")
        if where:
            from theorylab.experiments.store import RunFolder

            refresh = f"`{RunFolder(where).refresh_command()}`"
        else:
            refresh = "`theorylab sweep CONFIG --out FOLDER`"
        raise ConfigError(f"{where or 'df'}: {len(stale)} of {len(df)} rows are stale ({reason}); refresh them with "
                          f"{refresh}, or pass allow_stale=True to use them anyway")
    for key in ("T", "gamma", "value", "M"):
        name = getattr(cols, key)
        if name is not None and name not in df.columns:
            raise ConfigError(f"columns.{key}: column {name!r} not in the table (columns: {list(df.columns)})")
    notes = []
    if len(stale):
        notes.append(f"{len(stale)} stale rows used (allow_stale): computed by other code than the current tree")
    T = _numeric(df, cols.T, "T")
    gamma = _numeric(df, cols.gamma, "gamma")
    value = _numeric(df, cols.value, "value")
    if cols.M is None:
        M = np.zeros_like(T)
        notes.append("no M column: M = 0 (exact score) in every cell")
    else:
        M = _numeric(df, cols.M, "M")
    learned = (df["score.kind"].astype(str) == "learned").to_numpy() if "score.kind" in df.columns else None
    if learned is not None and learned.any():
        if cols.measured_M is None or cols.measured_M not in df.columns:
            raise ConfigError(f"columns.measured_M: learned-score cells need the measured M column "
                              f"{cols.measured_M!r} (written by measure with score.profile_times > 0)")
        M = np.where(learned, _numeric(df, cols.measured_M, "measured_M"), M)
        notes.append(f"learned-score cells: M is the measured {cols.measured_M!r}")
    bounds = {}
    for key in ("lower", "upper"):
        name = getattr(cols, key)
        if name is not None and name in df.columns:
            bounds[key] = _numeric(df, name, key)
        else:
            bounds[key] = value.copy()
            notes.append(f"no {key} column: the {key} limit is the point value")
    lower, upper = bounds["lower"], bounds["upper"]
    with np.errstate(invalid="ignore"):
        upper = np.where(np.isfinite(upper), np.maximum(upper, value), upper)
        lower = np.where(np.isfinite(lower), np.minimum(lower, value), lower)
    flag = np.full(T.shape, "", dtype=object)
    numbers = np.stack([T, gamma, M, value, upper])
    finite = np.all(np.isfinite(numbers), axis=0) & np.all(numbers >= 0.0, axis=0)
    flag[~finite] = "nonfinite"
    if cols.status is not None and cols.status in df.columns:
        ok = df[cols.status].astype(str).isin(cols.ok_status).to_numpy()
        flag[~ok] = "status"
    else:
        notes.append("no status column: every row is a finished cell")
    usable = flag == ""
    return Cells(df.index, T, gamma, M, value, lower, upper, usable, flag, cols, tuple(notes))
