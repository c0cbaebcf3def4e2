"""Divergences from samples, each with its method named and a percentile-bootstrap confidence interval.

Two families:

* :func:`w2_samples` — Wasserstein-2 between the empirical measure of the samples and a reference (a law, or
  another sample), through POT or the exact 1D quantile formula.
* :func:`tv_samples`, :func:`kl_samples`, :func:`js_samples`, :func:`hellinger_samples` — against a law with a
  known density, through a density estimate of the samples (histogram or Gaussian KDE).

**What the interval means.** Every interval here is a percentile bootstrap interval
(:mod:`theorylab.divergences.bootstrap`): it covers the *sampling variability* of the estimator, not its bias.
The plug-in W2 between empirical measures is biased upward (in 1D by :math:`O(n^{-1/2})` when the laws are equal, by
:math:`O(1/n)`-ish terms when they differ; :math:`O(n^{-1/d})` in dimension :math:`d \\ge 3`), and a density-estimate
divergence is biased by the smoothing/binning of the estimate (see :func:`tv_samples`). The interval is therefore
trustworthy as a statement about the true divergence only when the bias is small against its width (e.g. 1D W2
between different laws, large ``n``).

Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL natural log; JS :math:`\\tfrac12`-weighted, natural log;
Hellinger :math:`H^2 = 1 - \\int\\sqrt{pq}`, value :math:`H`; W2 the distance (``SW2`` the sliced distance).
Seed 002 compares generated samples with the data by eye (slides "Mistura de gaussianas", "Sorriso"); these functions
put a number with an interval on that comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special, stats

from theorylab.divergences.bootstrap import check_level, percentile_interval
from theorylab.divergences.estimate import Estimate, Uncertainty
from theorylab.divergences.grid import hellinger_grid, js_grid, kl_grid, tv_grid
from theorylab.divergences.univariate import Mixture1D
from theorylab.errors import ConfigError

__all__ = [
    "DEFAULT_N_PROJECTIONS",
    "EMD_MAX_POINTS",
    "hellinger_samples",
    "js_samples",
    "kl_samples",
    "tv_samples",
    "w2_samples",
]

#: Largest sample size for exact optimal transport (``ot.emd2``: an n x m cost matrix and a network simplex,
#: ~1 s at 5000 x 5000); larger samples in d >= 2 fall back to the sliced distance.
EMD_MAX_POINTS = 5000
#: Number of random directions of the sliced W2 (Monte Carlo error of SW2^2 ~ its spread / sqrt(200), a few %).
DEFAULT_N_PROJECTIONS = 200
_W2_METHODS = ("auto", "quantile", "sorted", "bounds", "emd", "sliced")


def _as_samples(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise ValueError(f"{name}: expected samples of shape (n,) or (n, d) with n >= 2, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: samples must be finite")
    return arr


def _is_law(obj: Any) -> bool:
    return hasattr(obj, "sample") and hasattr(obj, "dim")


# ---------------------------------------------------------------------------------------------------------------------
# W2
# ---------------------------------------------------------------------------------------------------------------------
def _quantile_cells(law: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:math:`(\\int_{cell_i} G^{-1}, \\int_{cell_i} (G^{-1})^2)` over the cells :math:`((i-1)/n, i/n]` of ``[0, 1]``,
    i.e. the partial moments of the law between its quantiles :math:`G^{-1}((i-1)/n)` and :math:`G^{-1}(i/n)`."""
    mix = Mixture1D.from_law(law)
    i = np.arange(1, n)
    lower_half = i <= n - i
    edges = np.empty(n + 1)
    edges[0], edges[-1] = -np.inf, np.inf
    edges[1:-1][lower_half] = mix.quantile_from_log(np.log(i[lower_half] / n))
    edges[1:-1][~lower_half] = mix.quantile_from_log(np.log((n - i[~lower_half]) / n), upper=True)
    b1, b2 = mix.partial_moments_below(edges)
    a1, a2 = mix.partial_moments_above(edges)
    use_below = np.arange(n) < (n // 2)  # cells in the lower half: differences of "below" moments (no cancellation)
    m1 = np.where(use_below, b1[1:] - b1[:-1], a1[:-1] - a1[1:])
    m2 = np.where(use_below, b2[1:] - b2[:-1], a2[:-1] - a2[1:])
    return m1, m2


def _w2_quantile_stat(m1: np.ndarray, m2: np.ndarray) -> Callable[[np.ndarray], float]:
    n = m1.shape[0]

    def stat(xs: np.ndarray) -> float:
        s = np.sort(xs[:, 0])
        return math.sqrt(max(float(np.sum(s * s / n - 2.0 * s * m1 + m2)), 0.0))

    return stat


def _w2_sorted(xs: np.ndarray, ys: np.ndarray) -> float:
    import ot  # POT is imported where it is used (divergences/__init__ says why)
    return math.sqrt(max(float(ot.wasserstein_1d(xs[:, 0], ys[:, 0], p=2)), 0.0))


def _w2_emd(xs: np.ndarray, ys: np.ndarray) -> float:
    import ot  # POT is imported where it is used (divergences/__init__ says why)
    a = np.full(xs.shape[0], 1.0 / xs.shape[0])
    b = np.full(ys.shape[0], 1.0 / ys.shape[0])
    cost = ot.dist(xs, ys, metric="sqeuclidean")
    return math.sqrt(max(float(ot.emd2(a, b, cost, numItermax=10_000_000)), 0.0))


def w2_samples(
    x: Any,
    reference: Any,
    rng: np.random.Generator,
    *,
    method: str = "auto",
    n_boot: int = 200,
    level: float = 0.95,
    n_reference: int | None = None,
    n_projections: int = DEFAULT_N_PROJECTIONS,
) -> Estimate:
    """Wasserstein-2 distance between the empirical law of ``x`` and a reference, with a bootstrap CI.

    Methods (``method="auto"`` picks the first that applies; in ``d >= 2`` it is ``"bounds"``):

    * ``"bounds"`` (any d, the default in ``d >= 2``): a confidence interval for the **true** W2
      (:func:`theorylab.divergences.w2_bounds.w2_samples_bounds`: Gelbrich and DKW-projection lower bounds, a
      batch Jensen upper bound); unlike the plug-in routes below its interval does not inherit the plug-in bias.
      ``n_boot`` and ``level`` are passed on; ``n_reference`` and ``n_projections`` are not used.

    * ``"quantile"`` (1D, reference a Gaussian or Gaussian mixture): the exact distance between the empirical
      measure :math:`\\hat P_n` and the law :math:`G`,

      .. math:: W_2^2(\\hat P_n, G) = \\sum_{i=1}^n \\int_{(i-1)/n}^{i/n} (x_{(i)} - G^{-1}(u))^2 du
                = \\sum_i \\Big(\\frac{x_{(i)}^2}{n} - 2x_{(i)}M_{1,i} + M_{2,i}\\Big),

      :math:`M_{k,i}` the partial moments of :math:`G` between its quantiles :math:`G^{-1}((i-1)/n)` and
      :math:`G^{-1}(i/n)` (closed form for mixtures; quantiles by bisection on the log-CDF). No reference sample.
    * ``"sorted"`` (1D): ``ot.wasserstein_1d(x, y, p=2)`` between two samples (sorting; equal to the quantile
      formula between the two empirical measures — checked in the tests); a law is sampled first
      (``n_reference`` points, default ``len(x)``).
    * ``"emd"`` (any d, both sizes <= :data:`EMD_MAX_POINTS`): exact OT between the empirical measures,
      ``ot.emd2`` with squared Euclidean cost.
    * ``"sliced"`` (any d, larger samples): the **sliced** distance ``ot.sliced_wasserstein_distance(..., p=2)``
      with ``n_projections`` random directions (drawn once from ``rng`` and kept for the bootstrap), reported as
      ``"SW2"``: :math:`SW_2 \\le W_2`, a different quantity (equal to W2 in 1D).

    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n, d)``
    reference : Distribution or array_like, shape ``(m,)`` or ``(m, d)``
    rng : numpy.random.Generator
        For the reference sample, the projections and the bootstrap resamples.
    method : {"auto", "quantile", "sorted", "emd", "sliced"}
    n_boot : int
        Bootstrap resamples ``B`` (``x``, and the reference sample if any, resampled independently).
    level : float
        Confidence level of the percentile interval.
    n_reference : int, optional
        Size of the reference sample drawn from a law (default ``len(x)``).
    n_projections : int
        Directions of the sliced distance.

    Returns
    -------
    Estimate
        ``name="W2"`` (or ``"SW2"``), the statistic on the given samples, uncertainty ``ci`` at ``level``. The
        interval covers sampling variability only (see the module docstring on bias).
    """
    if method not in _W2_METHODS:
        raise ConfigError(f"method: must be one of {', '.join(_W2_METHODS)}, got {method!r}")
    check_level(level, n_boot)
    xs = _as_samples(x, "x")
    n, d = xs.shape
    law = reference if _is_law(reference) else None
    if law is not None and law.dim != d:
        raise ValueError(f"reference has dimension {law.dim}, samples have {d}")
    exact_1d = law is not None and d == 1 and hasattr(law, "as_mixture")
    if method == "auto":
        if exact_1d:
            method = "quantile"
        elif d == 1:
            method = "sorted"
        elif d >= 2:
            method = "bounds"
        else:
            if law is not None:
                m = int(n_reference) if n_reference is not None else n
            else:
                m = _as_samples(reference, "reference").shape[0]
            method = "emd" if max(n, m) <= EMD_MAX_POINTS else "sliced"
    if method == "bounds":
        from theorylab.divergences.w2_bounds import w2_samples_bounds

        ref = reference if law is not None else _as_samples(reference, "reference")
        return w2_samples_bounds(xs, ref, rng, level=level, n_boot=n_boot)
    if method == "quantile":
        if not exact_1d:
            raise ConfigError("method: 'quantile' needs 1D samples and a Gaussian or GaussianMixture reference")
        m1, m2 = _quantile_cells(law, n)
        stat = _w2_quantile_stat(m1, m2)
        value = stat(xs)
        lower, upper, _ = percentile_interval(stat, [xs], rng, n_boot, level)
        name, what = "W2", "exact W2 between the empirical measure and the law (quantile formula, partial moments)"
        resampled = "x"
    else:
        if law is not None:
            ys = law.sample(int(n_reference) if n_reference is not None else n, rng)
            source = f"a sample of {ys.shape[0]} points from the reference law"
        else:
            ys = _as_samples(reference, "reference")
            source = f"the reference sample ({ys.shape[0]} points)"
        if ys.shape[1] != d:
            raise ValueError(f"reference samples have dimension {ys.shape[1]}, samples have {d}")
        if method == "sorted":
            if d != 1:
                raise ConfigError("method: 'sorted' needs 1D samples")
            stat2: Callable[[np.ndarray, np.ndarray], float] = _w2_sorted
            name, what = "W2", f"empirical W2 by sorting (ot.wasserstein_1d, p=2) against {source}"
        elif method == "emd":
            stat2 = _w2_emd
            name, what = "W2", f"exact OT between empirical measures (ot.emd2, squared Euclidean cost) against {source}"
        else:
            import ot  # POT is imported where it is used (divergences/__init__ says why)

            projections = ot.sliced.get_random_projections(d, int(n_projections),
                                                           seed=int(rng.integers(0, 2**31 - 1)))

            def stat2(a: np.ndarray, b: np.ndarray) -> float:
                return float(ot.sliced_wasserstein_distance(a, b, projections=projections, p=2))

            name = "SW2"
            what = f"sliced W2 (ot.sliced_wasserstein_distance, {int(n_projections)} projections) against {source}"
        value = stat2(xs, ys)
        lower, upper, _ = percentile_interval(stat2, [xs, ys], rng, n_boot, level)
        resampled = "x and the reference sample independently"
    note = (f"percentile bootstrap, B = {int(n_boot)}, resampling {resampled}; covers sampling variability only "
            "(the empirical W2 is biased upward; see theorylab.divergences.samples)")
    return Estimate(name, value, f"{what}; n = {n}",
                    Uncertainty("ci", min(lower, value), max(upper, value), float(level), note))


# ---------------------------------------------------------------------------------------------------------------------
# density-estimate divergences
# ---------------------------------------------------------------------------------------------------------------------
_GL1_NODES, _GL1_WEIGHTS = np.polynomial.legendre.leggauss(8)
_GL2_NODES, _GL2_WEIGHTS = np.polynomial.legendre.leggauss(4)


def _bin_probabilities(law: Any, edges: list[np.ndarray]) -> np.ndarray:
    """Law probabilities of the histogram bins: exact CDF differences for 1D Gaussian (mixture) laws, otherwise
    Gauss–Legendre (8 nodes per bin in 1D, 4 x 4 in 2D) on ``law.pdf``."""
    if len(edges) == 1:
        e = edges[0]
        if hasattr(law, "as_mixture"):
            mix = Mixture1D.from_law(law)
            cdf, sf = mix.cdf(e), mix.sf(e)
            mid = 0.5 * (e[:-1] + e[1:])
            upper_tail = mid > float(law.mean()[0])
            return np.where(upper_tail, sf[:-1] - sf[1:], cdf[1:] - cdf[:-1])
        mid, half = 0.5 * (e[:-1] + e[1:]), 0.5 * np.diff(e)
        pts = mid[:, None] + half[:, None] * _GL1_NODES
        return np.sum(np.asarray(law.pdf(pts[..., None])) * _GL1_WEIGHTS, axis=1) * half
    ex, ey = edges
    mx, hx = 0.5 * (ex[:-1] + ex[1:]), 0.5 * np.diff(ex)
    my, hy = 0.5 * (ey[:-1] + ey[1:]), 0.5 * np.diff(ey)
    px = mx[:, None] + hx[:, None] * _GL2_NODES  # (bx, 4)
    py = my[:, None] + hy[:, None] * _GL2_NODES  # (by, 4)
    pts = np.stack(np.broadcast_arrays(px[:, None, :, None], py[None, :, None, :]), axis=-1)  # (bx, by, 4, 4, 2)
    dens = np.asarray(law.pdf(pts))
    w = _GL2_WEIGHTS[:, None] * _GL2_WEIGHTS[None, :]
    return np.sum(dens * w, axis=(2, 3)) * hx[:, None] * hy[None, :]


def _discrete_divergence(name: str, p: np.ndarray, q: np.ndarray) -> float:
    """Divergence between two discrete laws on the same cells (the last cell may be 'outside the bins')."""
    if name == "TV":
        return 0.5 * float(np.sum(np.abs(p - q)))
    if name == "KL":
        return float(np.sum(special.rel_entr(p, q)))
    if name == "JS":
        m = 0.5 * (p + q)
        return 0.5 * float(np.sum(special.rel_entr(p, m) + special.rel_entr(q, m)))
    if name == "Hellinger":
        return math.sqrt(max(1.0 - float(np.sum(np.sqrt(p * q))), 0.0))
    raise ValueError(name)


_GRID_FUNCS = {"TV": tv_grid, "KL": kl_grid, "JS": js_grid, "Hellinger": hellinger_grid}
_ESTIMATORS = ("histogram", "kde")


def _density_divergence(
    name: str, x: Any, law: Any, rng: np.random.Generator, estimator: str, bins: Any, n_boot: int, level: float,
    grid_size: int | None,
) -> Estimate:
    if estimator not in _ESTIMATORS:
        raise ConfigError(f"estimator: must be one of {', '.join(_ESTIMATORS)}, got {estimator!r}")
    check_level(level, n_boot)
    xs = _as_samples(x, "x")
    n, d = xs.shape
    if not _is_law(law) or law.dim != d:
        raise ValueError(f"law must be a Distribution of dimension {d}")
    if d > 2:
        raise ValueError("density-estimate divergences are implemented in d = 1 and d = 2 only")
    if estimator == "histogram":
        try:
            edges = [np.histogram_bin_edges(xs[:, j], bins=bins) for j in range(d)]
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"bins: invalid bin rule or count {bins!r} ({exc})") from None
        q_bins = np.clip(_bin_probabilities(law, edges), 0.0, None).reshape(-1)
        q_all = np.append(q_bins, max(1.0 - float(np.sum(q_bins)), 0.0))

        def stat(s: np.ndarray) -> float:
            if d == 1:
                counts = np.histogram(s[:, 0], bins=edges[0])[0]
            else:
                counts = np.histogram2d(s[:, 0], s[:, 1], bins=edges)[0]
            p_all = np.append(counts.reshape(-1) / s.shape[0], 0.0)
            return _discrete_divergence(name, p_all, q_all)

        shape = "x".join(str(len(e) - 1) for e in edges)
        method = (f"histogram ({shape} bins, rule {bins!r}) vs the law's bin probabilities (+ one cell for the mass "
                  f"outside the bins); n = {n}")
        extra = ""
    else:
        size = grid_size if grid_size is not None else (2049 if d == 1 else 129)
        axes = _kde_axes(xs, law, size)
        mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
        log_q = np.asarray(law.logpdf(mesh))
        flat = mesh.reshape(-1, d).T

        def stat(s: np.ndarray) -> float:
            kde = stats.gaussian_kde(s.T)
            log_p = kde.logpdf(flat).reshape(log_q.shape)
            return _GRID_FUNCS[name](log_p, log_q, *axes, log=True).value

        point = _GRID_FUNCS[name](stats.gaussian_kde(xs.T).logpdf(flat).reshape(log_q.shape), log_q, *axes, log=True)
        method = f"Gaussian KDE (scipy.stats.gaussian_kde, Scott's rule) vs the law's density on a grid; n = {n}"
        extra = f"; grid error of the point estimate +/- {point.uncertainty.half_width:.3g}"
    value = stat(xs)
    lower, upper, _ = percentile_interval(stat, [xs], rng, n_boot, level)
    note = (f"percentile bootstrap, B = {int(n_boot)}; covers sampling variability only: the density-estimate "
            f"divergence is biased (binning/smoothing){extra}")
    return Estimate(name, value, method, Uncertainty("ci", min(lower, value), max(upper, value), float(level), note))


def _kde_axes(xs: np.ndarray, law: Any, size: int) -> list[np.ndarray]:
    kde_std = np.sqrt(np.diag(np.atleast_2d(stats.gaussian_kde(xs.T).covariance)))
    lo, hi = xs.min(axis=0) - 5.0 * kde_std, xs.max(axis=0) + 5.0 * kde_std
    try:
        centre, spread = law.mean(), np.sqrt(np.diag(law.covariance()))
        lo, hi = np.minimum(lo, centre - 8.0 * spread), np.maximum(hi, centre + 8.0 * spread)
    except (NotImplementedError, AttributeError):
        pass
    return [np.linspace(lo[j], hi[j], size) for j in range(xs.shape[1])]


_DENSITY_DOC = """
    Parameters
    ----------
    x : array_like, shape ``(n,)`` or ``(n, d)``, ``d`` in {1, 2}
        Samples (e.g. the output of a sampler).
    law : Distribution
        The reference law; needs ``pdf`` (histogram) or ``logpdf`` (KDE).
    rng : numpy.random.Generator
        For the bootstrap resamples.
    estimator : {"histogram", "kde"}
        ``"histogram"``: the samples are binned (edges from ``numpy.histogram_bin_edges`` with rule ``bins``, per
        axis; default Freedman–Diaconis ``"fd"``) and compared with the law's probabilities of the same bins plus
        one cell for the law's mass outside them: a divergence between two discrete laws. ``"kde"``:
        ``scipy.stats.gaussian_kde`` (Scott's bandwidth) compared with the law's density by grid quadrature
        (:mod:`theorylab.divergences.grid`, ``grid_size`` nodes per axis, default 2049 in 1D, 129 in 2D).
    bins : str or int
        Bin rule or count for ``numpy.histogram_bin_edges``.
    n_boot, level : int, float
        Bootstrap resamples and confidence level of the percentile interval.
    grid_size : int, optional
        KDE grid nodes per axis.

    Returns
    -------
    Estimate
        Uncertainty ``ci`` at ``level``.

    Notes
    -----
    **The estimate is biased, and the interval covers sampling variability only.** A histogram divergence is the
    divergence between the *binned* laws, which is at most the true one (data processing), plus an upward plug-in
    bias from the noise of the counts (for TV up to :math:`\\tfrac12\\sum_b\\sqrt{p_b/n}`); a KDE divergence
    compares the smoothed law :math:`p * K_h` with :math:`q`, biased by the smoothing. Neither bias is in the interval.
"""


def tv_samples(x: Any, law: Any, rng: np.random.Generator, *, estimator: str = "histogram", bins: Any = "fd",
               n_boot: int = 200, level: float = 0.95, grid_size: int | None = None) -> Estimate:
    """Total variation :math:`\\tfrac12\\|\\hat p - q\\|_1` between a density estimate of samples and a law."""
    return _density_divergence("TV", x, law, rng, estimator, bins, n_boot, level, grid_size)


def kl_samples(x: Any, law: Any, rng: np.random.Generator, *, estimator: str = "histogram", bins: Any = "fd",
               n_boot: int = 200, level: float = 0.95, grid_size: int | None = None) -> Estimate:
    """:math:`KL(\\hat P\\|Q)` (samples' law first, natural log) between a density estimate of samples and a law."""
    return _density_divergence("KL", x, law, rng, estimator, bins, n_boot, level, grid_size)


def js_samples(x: Any, law: Any, rng: np.random.Generator, *, estimator: str = "histogram", bins: Any = "fd",
               n_boot: int = 200, level: float = 0.95, grid_size: int | None = None) -> Estimate:
    """Jensen–Shannon (:math:`\\tfrac12`-weighted, natural log) between a density estimate of samples and a law."""
    return _density_divergence("JS", x, law, rng, estimator, bins, n_boot, level, grid_size)


def hellinger_samples(x: Any, law: Any, rng: np.random.Generator, *, estimator: str = "histogram",
                      bins: Any = "fd", n_boot: int = 200, level: float = 0.95,
                      grid_size: int | None = None) -> Estimate:
    """Hellinger distance :math:`H` (:math:`H^2 = 1 - \\int\\sqrt{\\hat p q}`) between a density estimate and a law."""
    return _density_divergence("Hellinger", x, law, rng, estimator, bins, n_boot, level, grid_size)


for _f in (tv_samples, kl_samples, js_samples, hellinger_samples):
    _f.__doc__ = (_f.__doc__ or "").rstrip() + "\n" + _DENSITY_DOC
