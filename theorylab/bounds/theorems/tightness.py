"""Rates, predicted vs measured, and the verdict of each theorem on each swept parameter.

For a sweep of one parameter :math:`p` (:math:`h`, :math:`T`, :math:`d` or :math:`\\varepsilon`) with the others
fixed, the measured exponent is the least-squares slope of :math:`\\log(\\text{measured})` on :math:`\\log p`
(``scipy.stats.linregress``, with its standard error), beside the theorem's predicted exponent (its dominant term).
The verdict compares the measured exponent with the predicted one:

* ``|measured - predicted| <= max(ATLAS_RATE_ATOL, 2 SE)`` -- same rate: ``tight`` if the median ratio bound /
  measured is at most :data:`~theorylab.tolerances.ATLAS_TIGHT_RATIO`, else ``loose by a constant`` (the median
  ratio is reported);
* otherwise ``loose in rate`` (the measured error moves faster or slower than the theorem says).

Where the theorem states no power law in :math:`p` (``predicted`` is ``None``: De Bortoli's :math:`e^{DT}`) the
slope :math:`\\sigma` of :math:`\\log(\\text{bound}/\\text{measured})` takes its place (same rule with 0 as the
prediction). The predicted exponent is that of the theorem's dominant term; at the shipped cells other terms may
still weigh (e.g. the discretisation term in an :math:`\\varepsilon` sweep), which is why the fitted bound's own
slope is reported beside it.

The bound is the fitted one (constants the paper does not give are fitted on all cells of the theorem at once, so a
single constant cannot absorb a rate mismatch along any axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from theorylab.tolerances import ATLAS_RATE_ATOL, ATLAS_TIGHT_RATIO

__all__ = ["Rate", "rate_row"]


@dataclass(frozen=True)
class Rate:
    """One row of the tightness table."""

    theorem: str
    parameter: str
    predicted: float | None
    measured: float
    measured_se: float
    bound_slope: float
    ratio_slope: float
    ratio_slope_se: float
    ratio_min: float
    ratio_median: float
    ratio_max: float
    verdict: str
    n: int

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if x.size < 3:
        res = stats.linregress(np.log(x), np.log(y)) if x.size == 2 else None
        return (float(res.slope), math.nan) if res is not None else (math.nan, math.nan)
    res = stats.linregress(np.log(x), np.log(y))
    return float(res.slope), float(res.stderr)


def rate_row(theorem: str, parameter: str, predicted: float | None, values, measured, bound) -> Rate:
    """Measured vs predicted exponent in ``parameter`` and the verdict (module docstring); cells with a measured
    value <= 0 are left out (their logarithm is undefined)."""
    x = np.asarray(values, dtype=np.float64)
    m = np.asarray(measured, dtype=np.float64)
    b = np.asarray(bound, dtype=np.float64)
    keep = (x > 0) & (m > 0) & (b > 0) & np.isfinite(m) & np.isfinite(b)
    x, m, b = x[keep], m[keep], b[keep]
    if x.size < 2:
        return Rate(theorem, parameter, predicted, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan,
                    math.nan, math.nan, "too few cells", int(x.size))
    meas, meas_se = _slope(x, m)
    bslope, _ = _slope(x, b)
    rslope, rse = _slope(x, b / m)
    ratio = b / m
    med = float(np.median(ratio))
    if predicted is None:
        gap, se = rslope, rse
    else:
        gap, se = meas - float(predicted), meas_se
    tol = max(ATLAS_RATE_ATOL, 2.0 * se) if math.isfinite(se) else ATLAS_RATE_ATOL
    if abs(gap) <= tol:
        verdict = "tight" if med <= ATLAS_TIGHT_RATIO else f"loose by a constant (x{med:.3g})"
    else:
        verdict = f"loose in rate (bound/error ~ {parameter}^{rslope:+.2f})"
    return Rate(theorem, parameter, predicted, meas, meas_se, bslope, rslope, rse, float(ratio.min()), med,
                float(ratio.max()), verdict, int(x.size))
