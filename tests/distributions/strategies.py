"""Hypothesis strategies for Gaussian and Gaussian-mixture parameters, with explicit, commented bounds.

Covariances are :math:`\\Sigma = AA^\\top + \\varepsilon I` with entries of :math:`A` in [-1, 1] and
:math:`\\varepsilon \\in [0.1, 2]`: eigenvalues in [0.1, d + 2], so condition numbers stay below ~60 for d <= 4
and every float64 route (Cholesky, eigh, sqrtm) is accurate to ~1e-13 relative.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

# means: finite, moderate (a few standard deviations apart at most ~10), no NaN/inf
MEAN = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False, allow_infinity=False)
# entries of the covariance factor A
FACTOR = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False, allow_infinity=False)
# ridge added to A A^T: keeps the smallest eigenvalue >= 0.1
RIDGE = st.floats(min_value=0.1, max_value=2.0, allow_nan=False, allow_infinity=False)
# 1D standard deviations: two decades, so tails and narrow peaks are both exercised
STD = st.floats(min_value=0.2, max_value=5.0, allow_nan=False, allow_infinity=False)
# mixture weights before normalisation: bounded away from 0 so every component matters
RAW_WEIGHT = st.floats(min_value=0.1, max_value=1.0, allow_nan=False, allow_infinity=False)


@st.composite
def means(draw, d: int) -> np.ndarray:
    return np.array([draw(MEAN) for _ in range(d)])


@st.composite
def covariances(draw, d: int) -> np.ndarray:
    a = np.array([[draw(FACTOR) for _ in range(d)] for _ in range(d)])
    return a @ a.T + draw(RIDGE) * np.eye(d)


@st.composite
def gaussian_params(draw, d: int) -> tuple[np.ndarray, np.ndarray]:
    return draw(means(d)), draw(covariances(d))


@st.composite
def mixture_params(draw, d: int, max_components: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = draw(st.integers(min_value=1, max_value=max_components))
    raw = np.array([draw(RAW_WEIGHT) for _ in range(k)])
    return raw / raw.sum(), np.stack([draw(means(d)) for _ in range(k)]), np.stack([draw(covariances(d))
                                                                                    for _ in range(k)])


@st.composite
def mixture_params_1d(draw, max_components: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = draw(st.integers(min_value=1, max_value=max_components))
    raw = np.array([draw(RAW_WEIGHT) for _ in range(k)])
    return raw / raw.sum(), np.array([draw(MEAN) for _ in range(k)]), np.array([draw(STD) ** 2 for _ in range(k)])
