"""Synthetic tables of measured cells for the bounds tests (plain column names and the sweep store's names)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from theorylab.bounds import debortoli_bound

#: Plain column names used by most tests (the sweep store's names are the default of theorylab.bounds.Columns).
PLAIN = {"T": "T", "gamma": "gamma", "M": "M", "value": "tv", "lower": "lo", "upper": "hi", "status": "status"}

#: A sweep-like design: 5 horizons x 4 steps x 3 score errors.
T_LEVELS = (0.25, 0.5, 1.0, 2.0, 3.0)
GAMMA_LEVELS = (0.01, 0.03, 0.1, 0.3)
M_LEVELS = (0.0, 0.05, 0.2)


def design() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T, gamma, M) of every cell of the full factorial design."""
    T, g, M = np.meshgrid(T_LEVELS, GAMMA_LEVELS, M_LEVELS, indexing="ij")
    return T.ravel(), g.ravel(), M.ravel()


def table(value: np.ndarray, T: np.ndarray, gamma: np.ndarray, M: np.ndarray, upper: np.ndarray | None = None,
          lower: np.ndarray | None = None, status: list[str] | None = None) -> pd.DataFrame:
    """A table with the :data:`PLAIN` column names."""
    upper = value if upper is None else upper
    lower = value if lower is None else lower
    status = ["ok"] * len(value) if status is None else status
    return pd.DataFrame({"T": T, "gamma": gamma, "M": M, "tv": value, "lo": lower, "hi": upper, "status": status})


def exact_table(B: float, C: float, D: float, a: float = 0.5) -> pd.DataFrame:
    """Cells whose measured value is exactly the bound with constants (B, C, D) and exponent a."""
    T, g, M = design()
    return table(debortoli_bound(T, g, M, B, C, D, a), T, g, M)
