"""Percentile bootstrap confidence intervals for sample-based divergence estimates.

The percentile interval at level :math:`1-\\alpha` is
:math:`[\\hat\\theta^*_{(\\alpha/2)}, \\hat\\theta^*_{(1-\\alpha/2)}]`, the empirical quantiles (order statistics,
rounded outwards) of the statistic recomputed on ``B`` resamples drawn with replacement (Efron & Tibshirani 1993,
ch. 13). It reflects **sampling variability only**: a statistic whose expectation differs from the target
(plug-in divergences between empirical measures, density-estimate divergences) is not corrected for its bias.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["check_level", "percentile_interval"]


def check_level(level: float, n_boot: int) -> None:
    """Raise :class:`ConfigError` unless ``0 < level < 1`` and ``n_boot >= 2``."""
    if not (isinstance(level, (int, float)) and 0.0 < float(level) < 1.0):
        raise ConfigError(f"level: must lie in (0, 1), got {level!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 2:
        raise ConfigError(f"n_boot: must be an integer >= 2, got {n_boot!r}")


def percentile_interval(
    statistic: Callable[..., float],
    samples: Sequence[np.ndarray],
    rng: np.random.Generator,
    n_boot: int,
    level: float,
) -> tuple[float, float, np.ndarray]:
    """Percentile bootstrap interval of ``statistic(*samples)``, each sample resampled independently along axis 0.

    Parameters
    ----------
    statistic : callable
        Takes the (resampled) arrays, returns a float.
    samples : sequence of numpy.ndarray
        The data sets; each is resampled with replacement, keeping its size.
    rng : numpy.random.Generator
    n_boot : int
        Number of resamples ``B``.
    level : float
        Confidence level :math:`1 - \\alpha`.

    Returns
    -------
    (lower, upper, replicates)
        The interval and the ``B`` bootstrap replicates.
    """
    check_level(level, n_boot)
    replicates = np.empty(int(n_boot))
    for b in range(int(n_boot)):
        resampled = [s[rng.integers(0, s.shape[0], size=s.shape[0])] for s in samples]
        replicates[b] = statistic(*resampled)
    alpha = 1.0 - float(level)
    # order statistics without interpolation (outward-rounded; also well defined when a replicate is +inf)
    lower = float(np.quantile(replicates, alpha / 2.0, method="lower"))
    upper = float(np.quantile(replicates, 1.0 - alpha / 2.0, method="higher"))
    return lower, upper, replicates
