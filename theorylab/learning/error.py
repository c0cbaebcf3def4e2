"""The score error of any score against the exact score, as a function of time: the "M profile".

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)': the bound
:math:`\\|\\mathcal L(Y_N) - \\pi\\|_{TV} \\le B e^{-T} + C(M + \\gamma^{1/2})e^{DT}` assumes a **uniform** bound

.. math::

    \\|s_\\theta(t, x) - \\nabla\\log p_t(x)\\| \\le M \\qquad \\text{for all } t \\in [0, T],\\ x \\in \\mathbb R^d,

while Chen et al. (2022, 'Sampling is as easy as learning the score', Assumption 3; listed on the slide's last
bullet) only need the :math:`L^2(p_t)` error :math:`E_{p_t}\\|s_\\theta(t, X) - \\nabla\\log p_t(X)\\|^2 \\le
\\varepsilon_{score}^2` at the grid times. For a target with closed-form marginals (Gaussian, Gaussian mixture,
under OU, VP or VE; :class:`~theorylab.scores.ExactScore`) this module measures both, per time :math:`t`, for any
score :math:`s` (learned, biased, perturbed): with :math:`e_t(x) = s(t, x) - \\nabla\\log p_t(x)`,

.. math::

    \\ell_2(t) = \\big(E_{p_t}\\|e_t(X)\\|^2\\big)^{1/2}, \\qquad
    \\operatorname{sup}(t) = \\sup_{x \\in R_t}\\|e_t(x)\\|, \\qquad
    R_t = \\{x : p_t(x) \\ge c_t\\},\\ P_t(R_t) = \\text{mass}.

The supremum is taken over the highest-density region :math:`R_t`, not :math:`\\mathbb R^d`: a learned score is
only trained where :math:`p_t` puts mass, and far out any network's error grows without bound (the slide's
hypothesis "for all :math:`x`" is then false for every learned score; the profile shows how large the error is
where the sampler actually goes).

Routes
------
* :math:`\\ell_2`, ``route="monte-carlo"`` (any :math:`d`): the mean of :math:`\\|e_t(X_i)\\|^2` over ``n_samples``
  independent draws :math:`X_i \\sim p_t`; interval: the CLT normal interval
  :math:`\\bar m \\pm z_{(1+\\text{level})/2}\\,s/\\sqrt n` on the mean squared error, lower end clipped at 0, then
  the square root (a monotone map, so the coverage is that of the interval on the mean).
* :math:`\\ell_2`, ``route="quadrature"`` (:math:`d \\le 2`): :math:`p_t = \\sum_k w_k\\mathcal N(\\mu_k, L_kL_k^\\top)`
  is a Gaussian mixture, so :math:`E_{p_t} f = \\sum_k w_k E f(\\mu_k + L_k Z)`, each by tensor Gauss–Hermite
  (``numpy.polynomial.hermite_e.hermegauss``, exact for polynomials of degree :math:`\\le 2n - 1`; the error of an
  affine score, a degree-2 integrand, is exact to rounding). Interval: :math:`\\pm|Q_n - Q_{\\lceil n/2\\rceil}|`,
  a refinement estimate, not a confidence interval. Written here (not ``scipy.integrate``) because the score is a
  batched torch callable: one call on all nodes instead of one call per point.
* sup, :math:`d \\le 2`: the maximum of :math:`\\|e_t\\|` over a uniform grid (``grid_points`` per axis) on the
  bounding box of :math:`R_t`, restricted to :math:`R_t`. It is below the true supremum by at most
  :math:`\\operatorname{Lip}(\\|e_t\\|)\\,\\sqrt d\\,h/2` for a spacing :math:`h` (stored per time).
* sup, :math:`d > 2`: the maximum over the draws that fall in :math:`R_t` -- a **lower bound** of the supremum.
* :math:`c_t`: exact for a Gaussian :math:`p_t` (:math:`R_t` is the ellipsoid of squared Mahalanobis radius
  :math:`\\chi^2_{d}` quantile at ``mass``); for a mixture in :math:`d \\le 2`, from Riemann sums of :math:`p_t` on a
  grid covering all but :math:`10^{-3}(1 - \\text{mass})` of the mass (error :math:`O(h)`); for a mixture in
  :math:`d > 2`, the :math:`(1 - \\text{mass})` quantile of :math:`p_t(X_i)` over the draws.

Randomness: the draws at time :math:`t` come from ``numpy.random.default_rng(SeedSequence([seed, bits(t)]))``, with
``bits(t)`` the two 32-bit halves of :math:`t`'s float64 representation, so a profile does not depend on the order
(or the set) of the times it is computed at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import special, stats

from theorylab.errors import ConfigError

__all__ = ["ERROR_ROUTES", "ScoreErrorProfile", "default_error_times", "hpd_threshold", "score_error_profile"]

#: Routes of the :math:`L^2(p_t)` error (module docstring).
ERROR_ROUTES = ("monte-carlo", "quadrature")

#: Default points per axis of the sup grid, by dimension (2001 in 1D, 201 x 201 in 2D).
_DEFAULT_GRID_POINTS = {1: 2001, 2: 201}
#: Default Gauss--Hermite nodes per axis and per component, by dimension.
_DEFAULT_QUADRATURE_NODES = {1: 64, 2: 48}
#: The grid on which c_t of a mixture is found covers all but this fraction of (1 - mass) of p_t's mass.
_TAIL_FRACTION = 1e-3
#: Relative padding of the sup grid's box around the bounding box of R_t (so R_t's boundary is not a grid line).
_BOX_PAD = 0.01
#: Rows per call of the score.
_CHUNK = 65536
#: Smallest value drawn on the log axis of :meth:`ScoreErrorProfile.plot` (zeros, e.g. an exact score, sit on it).
_PLOT_FLOOR = 1e-16


# ---------------------------------------------------------------------------------------------------- result
def _frozen(values: Any) -> np.ndarray:
    arr = np.array(values, dtype=np.float64).reshape(-1)
    arr.setflags(write=False)
    return arr


def _plain(arr: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(float(v)) else None for v in arr]


@dataclass(frozen=True, eq=False)
class ScoreErrorProfile:
    """Per-time score error :math:`e_t = s(t,\\cdot) - \\nabla\\log p_t`: :math:`L^2(p_t)` norm and sup over
    :math:`R_t` (module docstring; seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)').

    Attributes
    ----------
    times : numpy.ndarray, shape (m,)
        Forward times, increasing.
    l2 : numpy.ndarray, shape (m,)
        :math:`(E_{p_t}\\|e_t\\|^2)^{1/2}`.
    l2_lower, l2_upper : numpy.ndarray, shape (m,)
        Interval on ``l2`` (CLT at ``level`` for Monte Carlo; refinement estimate for quadrature).
    sup : numpy.ndarray, shape (m,)
        :math:`\\max\\|e_t\\|` over the grid points (``d <= 2``) or the draws (``d > 2``) inside :math:`R_t`.
    region : str
        One line: what :math:`R_t` is and how the sup was taken (grid spacing, or "lower bound").
    n_samples, seed : int
        Draws per time and the seed they come from.
    method : str
        One line: the :math:`L^2` route and its interval.
    level : float
        Confidence level of the interval (``nan`` for the quadrature route).
    mass : float
        :math:`P_t(R_t)`.
    mse_halfwidth : numpy.ndarray, shape (m,)
        Half-width of the interval on :math:`E\\|e_t\\|^2` (:math:`z\\,s/\\sqrt n`, or :math:`|Q_n - Q_{n/2}|`).
    grid_spacing : numpy.ndarray, shape (m,)
        Largest spacing of the sup grid per time (``nan`` when ``d > 2``).
    log_threshold : numpy.ndarray, shape (m,)
        :math:`\\log c_t`.
    """

    times: np.ndarray
    l2: np.ndarray
    l2_lower: np.ndarray
    l2_upper: np.ndarray
    sup: np.ndarray
    region: str
    n_samples: int
    seed: int
    method: str
    level: float = 0.95
    mass: float = 0.999
    mse_halfwidth: np.ndarray = field(default_factory=lambda: _frozen([]))
    grid_spacing: np.ndarray = field(default_factory=lambda: _frozen([]))
    log_threshold: np.ndarray = field(default_factory=lambda: _frozen([]))

    _ARRAYS = ("times", "l2", "l2_lower", "l2_upper", "sup", "mse_halfwidth", "grid_spacing", "log_threshold")

    def __post_init__(self):
        m = np.asarray(self.times).size
        for name in self._ARRAYS:
            arr = _frozen(getattr(self, name))
            if arr.size == 0 and name in ("mse_halfwidth", "grid_spacing", "log_threshold"):
                arr = _frozen(np.full(m, np.nan))
            if arr.size != m:
                raise ValueError(f"ScoreErrorProfile.{name}: expected {m} values, got {arr.size}")
            object.__setattr__(self, name, arr)

    # ---- summaries ------------------------------------------------------------------------------------------------
    @property
    def M_sup(self) -> float:
        """:math:`\\max_t \\operatorname{sup}(t)`: the empirical :math:`M` of the slide (over :math:`R_t` only)."""
        return float(np.max(self.sup))

    @property
    def M_l2(self) -> float:
        """:math:`\\max_t \\ell_2(t)`: Chen et al.'s :math:`\\varepsilon_{score}` over the stored times."""
        return float(np.max(self.l2))

    def l2_average(self, t_min: float | None = None, t_max: float | None = None, *,
                   squared: bool = False) -> tuple[float, float, float]:
        """Trapezoid time average of ``l2`` over the stored times in ``[t_min, t_max]``, with bounds averaged alike.

        .. math::

            \\bar\\ell_2 = \\frac{1}{t_b - t_a}\\int_{t_a}^{t_b}\\ell_2(t)\\,dt, \\qquad
            \\bar\\ell_2^{\\,\\mathrm{rms}} = \\Big(\\frac{1}{t_b - t_a}\\int_{t_a}^{t_b}\\ell_2(t)^2\\,dt\\Big)^{1/2}

        (integrals by the trapezoid rule on the stored times :math:`t_a \\le \\dots \\le t_b` in the window; the
        second, returned when ``squared`` is true, is the time-averaged form that Chen et al. 2022 remark suffices).
        The averaged bounds contain the average whenever every per-time interval holds; their joint coverage is not
        ``level`` (no multiplicity correction). A single stored time in the window returns its own values.

        Returns
        -------
        (value, lower, upper) : tuple of float
        """
        lo = -math.inf if t_min is None else float(t_min)
        hi = math.inf if t_max is None else float(t_max)
        keep = (self.times >= lo) & (self.times <= hi)
        if not np.any(keep):
            raise ConfigError(f"l2_average.t_min: no stored time lies in [{t_min}, {t_max}]")
        t = self.times[keep]
        out = []
        for arr in (self.l2, self.l2_lower, self.l2_upper):
            y = arr[keep] ** 2 if squared else arr[keep]
            avg = float(y[0]) if t.size == 1 else float(np.trapezoid(y, t) / (t[-1] - t[0]))
            out.append(math.sqrt(avg) if squared else avg)
        return out[0], out[1], out[2]

    # ---- export ---------------------------------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per time: ``t, l2, l2_lower, l2_upper, sup, mse_halfwidth, grid_spacing, log_threshold``."""
        return pd.DataFrame({"t": self.times, **{name: getattr(self, name) for name in self._ARRAYS[1:]}})

    def to_json(self) -> dict[str, Any]:
        """Plain ``dict`` (lists of floats, ``None`` for NaN) that :meth:`from_json` reads back."""
        out: dict[str, Any] = {name: _plain(getattr(self, name)) for name in self._ARRAYS}
        out.update(region=self.region, n_samples=int(self.n_samples), seed=int(self.seed), method=self.method,
                   level=float(self.level) if math.isfinite(self.level) else None, mass=float(self.mass),
                   M_sup=self.M_sup, M_l2=self.M_l2)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScoreErrorProfile:
        """Inverse of :meth:`to_json` (figures and tables are re-made from stored results, DESIGN.md)."""
        def arr(name):
            return [math.nan if v is None else float(v) for v in data[name]]

        level = data.get("level")
        return cls(**{name: arr(name) for name in cls._ARRAYS}, region=str(data["region"]),
                   n_samples=int(data["n_samples"]), seed=int(data["seed"]), method=str(data["method"]),
                   level=math.nan if level is None else float(level), mass=float(data["mass"]))

    def plot(self, path: str | Path) -> Path:
        """Log-y plot of ``l2`` with its interval band and of ``sup`` against ``t`` (log-x); writes a PNG.

        Values below :data:`_PLOT_FLOOR` (an exact score's zeros) are drawn at it. Uses the Agg canvas directly (no
        pyplot, no global backend switch).
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        path = Path(path)
        floor = _PLOT_FLOOR
        fig = Figure(figsize=(7.0, 4.2))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        t = self.times
        ax.fill_between(t, np.maximum(self.l2_lower, floor), np.maximum(self.l2_upper, floor), alpha=0.25,
                        color="C0", label=f"L2 interval ({self._interval_label()})")
        ax.plot(t, np.maximum(self.l2, floor), "o-", color="C0", ms=3,
                label=r"$(E_{p_t}\|s - \nabla\log p_t\|^2)^{1/2}$")
        ax.plot(t, np.maximum(self.sup, floor), "s-", color="C3", ms=3,
                label=rf"$\sup_{{R_t}}\|s - \nabla\log p_t\|$, $P_t(R_t) = {self.mass:g}$")
        ax.axhline(max(self.M_sup, floor), color="C3", lw=0.8, ls="--", label=f"M_sup = {self.M_sup:.3g}")
        shown = np.maximum(np.concatenate([self.l2_lower, self.l2_upper, self.sup]), floor)
        if np.max(shown) <= np.min(shown) * (1.0 + 1e-9):  # a flat profile (e.g. all zeros): give the axis a decade
            ax.set_ylim(np.min(shown) / 10.0, np.min(shown) * 10.0)
        ax.set_yscale("log")
        if np.all(t > 0) and t.size > 1 and t[-1] / t[0] > 20:
            ax.set_xscale("log")
        ax.set_xlabel("forward time t")
        ax.set_ylabel("score error")
        ax.set_title("Score error profile (seed 000: the bound's M)", fontsize=10)
        ax.legend(fontsize=7, loc="best")
        fig.text(0.01, -0.02, self.region, fontsize=5, va="top")  # below the axis label (bbox "tight" keeps it)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120, bbox_inches="tight")
        return path

    def _interval_label(self) -> str:
        return f"CLT {self.level:g}" if math.isfinite(self.level) else "quadrature refinement"


# ---------------------------------------------------------------------------------------------------- validation
def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < minimum:
        raise ConfigError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_open_unit(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: must lie in (0, 1), got {value!r}") from None
    if not (0.0 < v < 1.0):
        raise ConfigError(f"{name}: must lie in (0, 1), got {value!r}")
    return v


def _check_times(times: Any, T: float) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(times, dtype=np.float64))
    except (TypeError, ValueError):
        raise ConfigError(f"score_error.times: must be numbers, got {times!r}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ConfigError(f"score_error.times: must be a non-empty 1D list of times, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0.0) or np.any(arr > T):
        raise ConfigError(f"score_error.times: every time must lie in (0, T={T}], got {arr.tolist()!r}")
    arr = np.sort(arr)
    if np.any(np.diff(arr) == 0.0):
        raise ConfigError("score_error.times: duplicate times")
    return arr


def _check_target(target: Any) -> None:
    from theorylab.distributions import Gaussian, GaussianMixture

    if not isinstance(target, (Gaussian, GaussianMixture)):
        raise ConfigError(f"score_error.target: needs closed-form marginals (Gaussian or GaussianMixture), "
                          f"got {type(target).__name__}")


# ---------------------------------------------------------------------------------------------------- HPD region
def _log_normaliser(covs: np.ndarray) -> np.ndarray:
    """:math:`\\log\\big((2\\pi)^{-d/2}\\det\\Sigma_k^{-1/2}\\big)` per component, shape ``(K,)``."""
    d = covs.shape[-1]
    return -0.5 * (d * math.log(2.0 * math.pi) + np.linalg.slogdet(covs)[1])


def _component_box(means: np.ndarray, covs: np.ndarray, radii2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding box of the union of the ellipsoids :math:`(x-\\mu_k)^\\top\\Sigma_k^{-1}(x-\\mu_k) \\le \\rho_k^2`
    (components with :math:`\\rho_k^2 < 0` are empty): :math:`\\mu_{k,i} \\pm \\rho_k\\sqrt{\\Sigma_{k,ii}}`."""
    keep = radii2 >= 0.0
    if not np.any(keep):  # rounding at a threshold equal to the top density: keep the densest component
        keep = radii2 == np.max(radii2)
        radii2 = np.maximum(radii2, 0.0)
    half = np.sqrt(radii2[keep])[:, None] * np.sqrt(np.einsum("kii->ki", covs[keep]))
    return np.min(means[keep] - half, axis=0), np.max(means[keep] + half, axis=0)


def _grid(lo: np.ndarray, hi: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform tensor grid, points of shape ``(n**d, d)`` and spacings ``(d,)``."""
    axes = [np.linspace(a, b, n) for a, b in zip(lo, hi)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], axis=-1), (hi - lo) / (n - 1)


def hpd_threshold(law: Any, mass: float, *, grid_points: int | None = None,
                  draws_logpdf: np.ndarray | None = None) -> tuple[float, str]:
    """:math:`\\log c` with :math:`P(p \\ge c) = \\text{mass}` for a Gaussian or Gaussian-mixture ``law``.

    Gaussian: :math:`\\log c = \\log\\mathcal N(\\mu;\\mu,\\Sigma) - \\tfrac12\\chi^2_{d}(\\text{mass})` (exact).
    Mixture, :math:`d \\le 2`: the density level at which the Riemann sum of :math:`p` over the grid nodes sorted by
    decreasing density reaches ``mass``, on a grid (``grid_points`` per axis) covering the component ellipsoids of
    mass :math:`1 - 10^{-3}(1-\\text{mass})` each. Mixture, :math:`d > 2`: the :math:`(1-\\text{mass})` quantile of
    ``draws_logpdf`` (log-densities of draws from ``law``).

    Returns
    -------
    (log_c, how) : (float, str)
        The log-threshold and a few words on how it was found.
    """
    mass = _check_open_unit("hpd_threshold.mass", mass)
    mix = law.as_mixture()
    d = int(law.dim)
    if mix.n_components == 1:
        r2 = float(stats.chi2.ppf(mass, d))
        return float(_log_normaliser(mix.covs)[0]) - 0.5 * r2, "exact (chi-square quantile of the Mahalanobis radius)"
    if d <= 2:
        n = _DEFAULT_GRID_POINTS[d] if grid_points is None else int(grid_points)
        r2 = float(stats.chi2.ppf(1.0 - _TAIL_FRACTION * (1.0 - mass), d))
        lo, hi = _component_box(mix.means, mix.covs, np.full(mix.n_components, r2))
        pts, h = _grid(lo, hi, n)
        logp = np.sort(np.asarray(law.logpdf(pts)))[::-1]
        cum = np.cumsum(np.exp(logp)) * float(np.prod(h))
        j = min(int(np.searchsorted(cum, mass)), logp.size - 1)
        return float(logp[j]), f"from Riemann sums of p_t on a {n}-point-per-axis grid"
    if draws_logpdf is None:
        raise ValueError("hpd_threshold: a mixture in d > 2 needs draws_logpdf")
    return (float(np.quantile(np.asarray(draws_logpdf, dtype=np.float64), 1.0 - mass)),
            "the (1 - mass) quantile of p_t(X) over the draws")


def _region_box(law: Any, log_c: float) -> tuple[np.ndarray, np.ndarray]:
    """A box containing :math:`\\{p \\ge c\\}`: :math:`p \\le \\max_k\\mathcal N_k`, so :math:`p(x) \\ge c` forces
    :math:`\\mathcal N_k(x) \\ge c` for some :math:`k`, an ellipsoid; padded by :data:`_BOX_PAD` of its width."""
    mix = law.as_mixture()
    radii2 = 2.0 * (_log_normaliser(mix.covs) - log_c)
    lo, hi = _component_box(mix.means, mix.covs, radii2)
    pad = _BOX_PAD * (hi - lo)
    return lo - pad, hi + pad


# ---------------------------------------------------------------------------------------------------- evaluation
def _rng_for(seed: int, t: float) -> np.random.Generator:
    bits = int(np.float64(t).view(np.uint64))
    return np.random.default_rng(np.random.SeedSequence([int(seed), bits >> 32, bits & 0xFFFFFFFF]))


def _sq_error(score: Any, exact: Any, t: float, x: np.ndarray) -> np.ndarray:
    """:math:`\\|s(t, x) - \\nabla\\log p_t(x)\\|^2` per row of ``x`` (n, d), computed in float64, in chunks of
    :data:`_CHUNK` rows (a learned score's activations on a fine 2D grid would not fit in memory at once)."""
    if x.shape[0] > _CHUNK:
        return np.concatenate([_sq_error(score, exact, t, x[i:i + _CHUNK]) for i in range(0, x.shape[0], _CHUNK)])
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    with torch.no_grad():
        s = score(float(t), xt)
        s = s.detach().to(device="cpu", dtype=torch.float64) if isinstance(s, torch.Tensor) \
            else torch.as_tensor(np.asarray(s, dtype=np.float64))
        if tuple(s.shape) != tuple(xt.shape):
            raise ConfigError(f"score_error.score: returned shape {tuple(s.shape)} for points of shape "
                              f"{tuple(xt.shape)}")
        e = s - exact(float(t), xt).to(torch.float64)
    return torch.sum(e * e, dim=-1).numpy()


def _gauss_hermite(score: Any, exact: Any, t: float, law: Any, nodes: int) -> float:
    """:math:`E_{p_t}\\|e_t\\|^2 = \\sum_k w_k E\\|e_t(\\mu_k + L_kZ)\\|^2` by tensor Gauss--Hermite with ``nodes``
    per axis (probabilists' weight :math:`e^{-z^2/2}`)."""
    mix = law.as_mixture()
    d = int(law.dim)
    z1, w1 = np.polynomial.hermite_e.hermegauss(int(nodes))
    w1 = w1 / math.sqrt(2.0 * math.pi)
    z = np.stack([m.reshape(-1) for m in np.meshgrid(*([z1] * d), indexing="ij")], axis=-1)
    w = np.prod(np.stack([m.reshape(-1) for m in np.meshgrid(*([w1] * d), indexing="ij")], axis=-1), axis=-1)
    chols = np.linalg.cholesky(mix.covs)
    x = (mix.means[:, None, :] + np.einsum("kij,nj->kni", chols, z)).reshape(-1, d)
    sq = _sq_error(score, exact, t, x).reshape(mix.n_components, -1)
    return float(mix.weights @ (sq @ w))


def _sup_grid(score: Any, exact: Any, t: float, law: Any, log_c: float, n: int) -> tuple[float, float]:
    lo, hi = _region_box(law, log_c)
    pts, h = _grid(lo, hi, n)
    inside = pts[np.asarray(law.logpdf(pts)) >= log_c]
    if inside.shape[0] == 0:  # R_t thinner than the grid: its densest node is the best point available
        inside = pts[[int(np.argmax(np.asarray(law.logpdf(pts))))]]
    return float(np.sqrt(np.max(_sq_error(score, exact, t, inside)))), float(np.max(h))


# ---------------------------------------------------------------------------------------------------- public
def score_error_profile(score: Any, target: Any, process: Any, times: Any, *, n_samples: int = 4096,
                        mass: float = 0.999, seed: int = 0, grid_points: int | None = None, level: float = 0.95,
                        route: str = "monte-carlo", quadrature_nodes: int | None = None) -> ScoreErrorProfile:
    """The "M profile" of ``score``: :math:`L^2(p_t)` and sup-over-:math:`R_t` error against
    :math:`\\nabla\\log p_t` at each time (module docstring for the routes).

    Parameters
    ----------
    score : callable ``score(t: float, x) -> (n, d)``
        A theorylab :class:`~theorylab.scores.Score` (exact, perturbed or learned); ``x`` is a CPU float64 tensor
        ``(n, d)``; any float tensor (or array) of the same shape is accepted back and cast to float64. Called under
        ``torch.no_grad``.
    target : Gaussian or GaussianMixture
        :math:`\\pi = p_0`.
    process : OrnsteinUhlenbeck, VariancePreserving or VarianceExploding
        The forward process; :math:`p_t` = ``ExactScore(target, process=process).law(t)``.
    times : array_like, shape (m,)
        Forward times in :math:`(0, T]`, distinct; the profile stores them sorted.
    n_samples : int
        Draws of :math:`p_t` per time (Monte Carlo :math:`L^2`; the sup for :math:`d > 2`), ``>= 2``.
    mass : float
        :math:`P_t(R_t)`, in :math:`(0, 1)`.
    seed : int
        Seed of the draws (per time, see the module docstring), ``>= 0``.
    grid_points : int, optional
        Sup grid points per axis for :math:`d \\le 2` (default 2001 in 1D, 201 in 2D); ignored for :math:`d > 2`.
    level : float
        Confidence level of the Monte Carlo interval.
    route : {"monte-carlo", "quadrature"}
        :math:`L^2` route (quadrature: :math:`d \\le 2` only).
    quadrature_nodes : int, optional
        Gauss--Hermite nodes per axis and component (default 64 in 1D, 48 in 2D).

    Returns
    -------
    ScoreErrorProfile

    Raises
    ------
    ConfigError
        Naming the argument (``score_error.times``, ``score_error.n_samples``, ...).
    """
    from theorylab.scores import ExactScore

    _check_target(target)
    T = float(process.T)
    times = _check_times(times, T)
    n_samples = _check_int("score_error.n_samples", n_samples, 2)
    mass = _check_open_unit("score_error.mass", mass)
    seed = _check_int("score_error.seed", seed, 0)
    level = _check_open_unit("score_error.level", level)
    if route not in ERROR_ROUTES:
        raise ConfigError(f"score_error.route: must be one of {ERROR_ROUTES}, got {route!r}")
    d = int(target.dim)
    sdim = getattr(score, "dim", None)
    if sdim is not None and int(sdim) != d:
        raise ConfigError(f"score_error.score: has dim {sdim}, the target has dim {d}")
    if route == "quadrature" and d > 2:
        raise ConfigError(f"score_error.route: 'quadrature' is for d <= 2, the target has d = {d}")
    gp = _DEFAULT_GRID_POINTS.get(d, 0) if grid_points is None else _check_int("score_error.grid_points",
                                                                                 grid_points, 2)
    nodes = _DEFAULT_QUADRATURE_NODES.get(d, 0) if quadrature_nodes is None else _check_int(
        "score_error.quadrature_nodes", quadrature_nodes, 2)

    exact = ExactScore(target, process=process)
    z = float(special.ndtri(0.5 * (1.0 + level)))
    rows = {k: np.empty(times.size) for k in ("mse", "half", "sup", "h", "logc")}
    how = ""
    for i, t in enumerate(times):
        t = float(t)
        law = exact.law(t)
        draws = law.sample(n_samples, _rng_for(seed, t)) if route == "monte-carlo" or d > 2 else None
        logp_draws = np.asarray(law.logpdf(draws)) if d > 2 else None
        log_c, how = hpd_threshold(law, mass, grid_points=gp if d <= 2 else None, draws_logpdf=logp_draws)
        if route == "monte-carlo":
            sq = _sq_error(score, exact, t, draws)
            mse = float(np.mean(sq))
            half = z * float(np.std(sq, ddof=1)) / math.sqrt(n_samples)
        else:
            mse = _gauss_hermite(score, exact, t, law, nodes)
            half = abs(mse - _gauss_hermite(score, exact, t, law, (nodes + 1) // 2))
        if d <= 2:
            sup, h = _sup_grid(score, exact, t, law, log_c, gp)
        else:
            inside = draws[logp_draws >= log_c]
            sup = float(np.sqrt(np.max(_sq_error(score, exact, t, inside)))) if inside.shape[0] else math.nan
            h = math.nan
        rows["mse"][i], rows["half"][i], rows["sup"][i], rows["h"][i], rows["logc"][i] = mse, half, sup, h, log_c

    mse = rows["mse"]
    if d <= 2:
        region = (f"HPD region R_t = {{p_t >= c_t}}, P_t(R_t) = {mass:g}, c_t {how}; sup over a uniform "
                  f"{gp}-point-per-axis grid on the bounding box of R_t (spacing <= {float(np.max(rows['h'])):.3g})")
    else:
        region = (f"HPD region R_t = {{p_t >= c_t}}, P_t(R_t) = {mass:g}, c_t {how}; sup = max over the "
                  f"{n_samples} draws inside R_t, a LOWER BOUND of the sup over R_t")
    if route == "monte-carlo":
        method = (f"Monte Carlo: mean of ||s - grad log p_t||^2 over n = {n_samples} draws of p_t per time "
                  f"(seed {seed}); CLT normal interval at level {level:g} on the mean, lower end clipped at 0, "
                  f"then sqrt")
    else:
        method = (f"Gauss-Hermite quadrature per mixture component, {nodes} nodes per axis; interval "
                  f"+-|Q_{nodes} - Q_{(nodes + 1) // 2}| on the mean squared error, then sqrt")
    return ScoreErrorProfile(
        times=times, l2=np.sqrt(np.maximum(mse, 0.0)), l2_lower=np.sqrt(np.maximum(mse - rows["half"], 0.0)),
        l2_upper=np.sqrt(np.maximum(mse + rows["half"], 0.0)), sup=rows["sup"], region=region,
        n_samples=n_samples, seed=seed, method=method, level=level if route == "monte-carlo" else math.nan,
        mass=mass, mse_halfwidth=rows["half"], grid_spacing=rows["h"], log_threshold=rows["logc"])


def default_error_times(process: Any, n: int = 32, t_min: float | None = None) -> np.ndarray:
    """A time grid for a profile: geometric on :math:`[t_{\\min}, T/10]` (where the error of a learned score changes
    fastest, :math:`\\sigma_t \\to 0`), then uniform on :math:`(T/10, T]`, half the points each.

    Parameters
    ----------
    process : Process
        Gives :math:`T`.
    n : int
        Number of times, ``>= 2``.
    t_min : float, optional
        Smallest time, in :math:`(0, T)`; default :math:`10^{-3}T`. When :math:`t_{\\min} \\ge T/10` the grid is
        geometric on :math:`[t_{\\min}, T]`.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Increasing times in :math:`(0, T]`, the last one :math:`T`.
    """
    T = float(process.T)
    n = _check_int("score_error.n_times", n, 2)
    t0 = 1e-3 * T if t_min is None else float(t_min)
    if not (math.isfinite(t0) and 0.0 < t0 < T):
        raise ConfigError(f"score_error.t_min: must lie in (0, T={T}), got {t_min!r}")
    switch = 0.1 * T
    if t0 >= switch:
        return np.geomspace(t0, T, n)
    n_geo = n // 2
    geo = np.geomspace(t0, switch, n_geo)  # includes T/10
    uni = np.linspace(switch, T, n - n_geo + 1)[1:]  # (T/10, T]
    return np.concatenate([geo, uni])
