"""Coverage of confidence intervals at their nominal level: an exact two-sided binomial test, and its power.

An interval labelled ``level`` that covers a known value in ``hits`` of ``repeats`` independent repeats is accepted
iff ``scipy.stats.binomtest(hits, repeats, level).pvalue >= COVERAGE_ALPHA``. :func:`coverage_power` gives the
probability that an interval whose true coverage is ``actual`` is rejected, so a test can state (and assert) that a
mislabelled level would be caught.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from theorylab.tolerances import COVERAGE_ALPHA


def coverage_accepted(hits: int, repeats: int, level: float, alpha: float = COVERAGE_ALPHA) -> bool:
    """Whether ``hits``/``repeats`` is compatible with coverage ``level`` (two-sided exact binomial test)."""
    return bool(stats.binomtest(int(hits), int(repeats), level).pvalue >= alpha)


def coverage_power(repeats: int, level: float, actual: float, alpha: float = COVERAGE_ALPHA) -> float:
    """Probability that the test at nominal ``level`` rejects intervals whose true coverage is ``actual``."""
    accepted = np.array([coverage_accepted(h, repeats, level, alpha) for h in range(repeats + 1)])
    return float(np.sum(stats.binom.pmf(np.arange(repeats + 1), repeats, actual)[~accepted]))


def assert_nominal(hits: int, repeats: int, level: float) -> None:
    """Assert the observed coverage is compatible with ``level``, and that this test has power against the
    mislabelled levels 75% and 99.9% (true coverage 0.75 and, conservatively, 0.99)."""
    assert coverage_power(repeats, level, 0.75) >= 0.8, f"{repeats} repeats cannot catch a 75% interval"
    assert coverage_power(repeats, level, 0.99) >= 0.8, f"{repeats} repeats cannot catch a 99.9% interval"
    p = stats.binomtest(int(hits), int(repeats), level).pvalue
    assert coverage_accepted(hits, repeats, level), (hits, repeats, level, p)
