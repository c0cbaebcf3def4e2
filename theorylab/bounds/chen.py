"""Chen et al. (2022)'s TV bound for DDPM, in its stated form, to overlay on measured errors.

Seed 000, slide 'Convergencia de modelos de difusión De Bortoli et al. (2021a)' says the factor :math:`e^{DT}` "can
be improved to a polynomial dependence (Lee et al. 2022; Chen et al. 2022, 2023)". The bound overlaid here is

    S. Chen, S. Chewi, J. Li, Y. Li, A. Salim, A. R. Zhang, "Sampling is as easy as learning the score: theory for
    diffusion models with minimal data assumptions", ICLR 2023 (arXiv:2209.11215), Theorem 2:

.. math::

    TV(p_T, q) \\lesssim \\sqrt{KL(q\\,\\|\\,N(0, I_d))}\\,e^{-T} + (L\\sqrt{dh} + L m_2 h)\\sqrt T
    + \\varepsilon_{score}\\sqrt T,

for the DDPM sampler run for time :math:`T` with step :math:`h = T/N \\lesssim 1/L`, under

* Assumption 1: :math:`\\nabla\\log q_t` is :math:`L`-Lipschitz for every :math:`t \\ge 0` (the theorem takes
  :math:`L \\ge 1`);
* Assumption 2: :math:`m_2^2 = E_q\\|X\\|^2 < \\infty`;
* Assumption 3: :math:`E_{q_{kh}}\\|s_{kh} - \\nabla\\log q_{kh}\\|^2 \\le \\varepsilon_{score}^2` at every grid time
  (an :math:`L^2` error: a sup-norm error :math:`M`, as in the seed's theorem, gives
  :math:`\\varepsilon_{score} \\le M`).

The forward process is the same OU process as here, :math:`dX = -X\\,dt + \\sqrt2\\,dB`, but the sampler is the
**exponential integrator** :math:`dY_t = \\{Y_t + 2 s_{T-kh}(Y_{kh})\\}dt + \\sqrt2\\,dB_t` on
:math:`[kh, (k+1)h]` (linear drift integrated exactly, score frozen), **not** plain Euler–Maruyama (``reverse-em``,
which differs at :math:`O(h^2)` per step). The :math:`\\lesssim` hides an absolute constant that the paper does not
give: :func:`chen_bound` takes it as the explicit argument ``constant`` (default 1), so the overlay shows the bound's
*shape*; its level is known only up to that constant.

Lipschitz constants (:func:`score_lipschitz`): for :math:`N(\\mu, \\Sigma)`, :math:`\\nabla\\log q_t(x) =
-\\Sigma_t^{-1}(x - \\mu_t)` with :math:`\\Sigma_t = e^{-2t}\\Sigma + (1-e^{-2t})I`, whose smallest eigenvalue moves
monotonically from :math:`\\lambda_{min}(\\Sigma)` to 1, so :math:`L = \\sup_t\\|\\Sigma_t^{-1}\\| =
\\max(1, 1/\\lambda_{min}(\\Sigma))` exactly. For a mixture the Hessian of :math:`\\log q_t` is
:math:`\\sum_k r_k(s_k s_k^\\top - A_k) - \\bar s\\bar s^\\top` (:math:`A_k` the component precisions, :math:`s_k` the
component scores, :math:`r_k` the responsibilities); its spectral norm is maximised over a grid of :math:`(t, x)`,
together with its limits along rays to infinity (an estimate from below of the supremum), and, when all components
share one covariance, bounded rigorously by

.. math::

    L \\le \\max\\Big(\\kappa,\\; \\tfrac14\\kappa^2\\max_{j,k}\\|\\mu_j - \\mu_k\\|^2 - \\min(1, 1/\\lambda_{max}(\\Sigma))\\Big),
    \\qquad \\kappa = \\max(1, 1/\\lambda_{min}(\\Sigma)),

because then the Hessian is :math:`\\operatorname{Cov}_r(e^{-t}A_t\\mu_k) - A_t`, the covariance of points within
:math:`e^{-t}\\|A_t\\|\\operatorname{diam}` of each other has norm at most a quarter of that squared (Popoviciu), and
:math:`e^{-t}\\|A_t\\| \\le \\kappa` for all :math:`t`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from theorylab.bounds.table import Columns, read_cells
from theorylab.errors import ConfigError

__all__ = ["CHEN_NOTE", "ChenBound", "Lipschitz", "chen_bound", "chen_table", "gmm_log_hessian",
           "kl_to_standard_normal", "score_lipschitz", "second_moment"]

#: Stated assumptions and scope of the overlay (also the ``note`` of every :class:`ChenBound`).
CHEN_NOTE = (
    "Chen, Chewi, Li, Li, Salim, Zhang (2022, ICLR 2023), 'Sampling is as easy as learning the score', Theorem 2: "
    "TV <~ sqrt(KL(pi || N(0, I))) e^(-T) + (L sqrt(d h) + L m2 h) sqrt(T) + eps_score sqrt(T); '<~' hides an "
    "unspecified absolute constant, taken here as the argument `constant` (default 1), so only the shape is "
    "meaningful. Assumptions: the score of every OU marginal q_t is L-Lipschitz (L >= 1), m2^2 = E||X||^2 finite, L2 "
    "score error <= eps_score at the grid times (a sup-norm error M gives eps_score <= M), step h = T/N <~ 1/L. "
    "Proved for the exponential-integrator DDPM sampler dY = {Y + 2 s(T - kh, Y_kh)} dt + sqrt(2) dB on each step, "
    "NOT for plain Euler-Maruyama (reverse-em); forward OU dX = -X dt + sqrt(2) dB as here. TV = 1/2 ||p - q||_1."
)

#: Default time grid of the mixture Lipschitz search: t = 0 and 200 log-spaced times in [1e-4, 20] (beyond t = 20
#: every component covariance is I up to e^{-40}, and the Hessian is -I to that accuracy).
_T_GRID = np.concatenate([[0.0], np.geomspace(1e-4, 20.0, 200)])


@dataclass(frozen=True)
class Lipschitz:
    """A Lipschitz constant of the OU-marginal scores :math:`\\nabla\\log q_t`, :math:`t \\ge 0` (or :math:`t \\le T`).

    Attributes
    ----------
    value : float
        The constant used (``upper`` when a rigorous bound exists, else ``estimate``).
    estimate : float
        The largest Hessian norm found (exact for a Gaussian; a grid maximum, i.e. an estimate from below of the
        supremum, for a mixture).
    upper : float
        A rigorous upper bound (exact for a Gaussian; equal-covariance mixtures; ``inf`` when none is available).
    kind : str
        ``"exact"``, ``"rigorous upper bound"`` or ``"grid estimate"``.
    note : str
    """

    value: float
    estimate: float
    upper: float
    kind: str
    note: str


def _check_target(target: Any) -> None:
    if not hasattr(target, "ou_marginal") or not hasattr(target, "as_mixture"):
        raise ConfigError(f"target: must be a Gaussian or GaussianMixture, got {type(target).__name__}")


def gmm_log_hessian(law: Any, x: Any) -> np.ndarray:
    """Hessian of :math:`\\log p` of a Gaussian mixture at points ``x`` (numpy, closed form).

    .. math:: \\nabla^2\\log p = \\sum_k r_k(s_k s_k^\\top - A_k) - \\bar s\\bar s^\\top, \\quad
              s_k = -A_k(x - \\mu_k),\\ \\bar s = \\sum_k r_k s_k,

    :math:`A_k = \\Sigma_k^{-1}`, :math:`r_k` the responsibilities (log-space softmax).

    Parameters
    ----------
    law : Gaussian or GaussianMixture
    x : array_like, shape ``(n, d)``

    Returns
    -------
    numpy.ndarray, shape ``(n, d, d)``
    """
    mix = law.as_mixture()
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    prec = np.linalg.inv(mix.covs)  # (K, d, d)
    diff = x[:, None, :] - mix.means[None, :, :]  # (n, K, d)
    s = -np.einsum("kij,nkj->nki", prec, diff)  # component scores
    _, logdet = np.linalg.slogdet(mix.covs)
    logp = np.log(mix.weights) - 0.5 * logdet - 0.5 * np.einsum("nki,nki->nk", diff, -s)
    r = np.exp(logp - logp.max(axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)
    sbar = np.einsum("nk,nki->ni", r, s)
    second = np.einsum("nk,nki,nkj->nij", r, s, s) - np.einsum("nk,kij->nij", r, prec)
    return second - np.einsum("ni,nj->nij", sbar, sbar)


def _points(law: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """Search points for the sup over x: a dense line in 1D; samples, means and midpoints in d >= 2."""
    mix = law.as_mixture()
    stds = np.sqrt(np.einsum("kii->ki", mix.covs))
    if law.dim == 1:
        lo = float(np.min(mix.means[:, 0] - 10.0 * stds[:, 0]))
        hi = float(np.max(mix.means[:, 0] + 10.0 * stds[:, 0]))
        return np.linspace(lo, hi, n)[:, None]
    K = mix.means.shape[0]
    mids = [(1 - w) * mix.means[j] + w * mix.means[k] for j in range(K) for k in range(j + 1, K)
            for w in np.linspace(0.0, 1.0, 41)]
    return np.vstack([mix.means, np.array(mids).reshape(-1, law.dim), law.sample(n, rng)])


def _tail_norm(law: Any, rng: np.random.Generator) -> float:
    r"""Largest :math:`\|A_k\|` among the components that dominate along some ray :math:`x = rv`, :math:`r \to
    \infty` (there the responsibilities concentrate on :math:`\arg\min_k v^\top A_k v` and the Hessian tends to
    :math:`-A_k`): the value of :math:`\|\nabla^2\log q_t\|` at infinity, which a finite grid only approaches.
    Directions: :math:`\pm` the eigenvectors of every :math:`A_k` and 256 random ones."""
    mix = law.as_mixture()
    prec = np.linalg.inv(mix.covs)
    eig = np.linalg.eigh(prec)[1]  # (K, d, d), columns are eigenvectors
    dirs = np.vstack([eig.transpose(0, 2, 1).reshape(-1, law.dim), rng.normal(size=(256, law.dim))])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    quad = np.einsum("nd,kde,ne->nk", dirs, prec, dirs)
    winners = np.unique(np.argmin(quad, axis=1))
    return float(max(np.linalg.eigvalsh(prec[k])[-1] for k in winners))


def score_lipschitz(target: Any, *, T: float | None = None, n_points: int = 2001,
                    rng: np.random.Generator | None = None) -> Lipschitz:
    """A Lipschitz constant :math:`L` of :math:`x \\mapsto \\nabla\\log q_t(x)` over :math:`t \\ge 0` (or
    :math:`0 \\le t \\le T`), :math:`q_t` the OU marginal (Chen et al. 2022, Assumption 1; module docstring).

    Parameters
    ----------
    target : Gaussian or GaussianMixture
    T : float, optional
        Restrict to :math:`t \\le T` (default: all :math:`t \\ge 0`, as the theorem assumes).
    n_points : int
        Mixtures: points per time of the grid search (1D line; samples in :math:`d \\ge 2`).
    rng : numpy.random.Generator, optional
        Mixtures in :math:`d \\ge 2` (sample points); default ``np.random.default_rng(0)``.

    Returns
    -------
    Lipschitz
    """
    _check_target(target)
    mix = target.as_mixture()
    lam = np.linalg.eigvalsh(mix.covs)  # (K, d), ascending
    if mix.means.shape[0] == 1:
        lam_min = float(lam[0, 0])
        at_inf = 1.0 if T is None else 1.0 / (math.exp(-2.0 * T) * lam_min - math.expm1(-2.0 * T))
        value = max(1.0 / lam_min, at_inf)
        return Lipschitz(value, value, value, "exact",
                         "sup_t ||Sigma_t^-1||, Sigma_t = e^(-2t) Sigma + (1 - e^(-2t)) I (monotone in t)")
    rng = np.random.default_rng(0) if rng is None else rng
    times = _T_GRID if T is None else np.unique(np.concatenate([[0.0], np.linspace(0.0, float(T), 201)]))
    best = 0.0
    for t in times:
        law = target.ou_marginal(float(t)) if t > 0.0 else target
        H = gmm_log_hessian(law, _points(law, int(n_points), rng))
        best = max(best, float(np.max(np.abs(np.linalg.eigvalsh(H)))), _tail_norm(law, rng))
    if T is None:
        best = max(best, 1.0)  # t -> infinity: the Hessian tends to -I
    note = (f"maximum of ||Hess log q_t(x)|| over {times.size} times, {n_points} points per time and the limits "
            "along rays to infinity (an estimate from below of the supremum)")
    same_cov = bool(np.allclose(mix.covs, mix.covs[0], rtol=1e-12, atol=0.0))
    if same_cov:
        kappa = max(1.0, 1.0 / float(lam[0, 0]))
        diam = max(float(np.linalg.norm(a - b)) for a in mix.means for b in mix.means)
        upper = max(kappa, 0.25 * kappa**2 * diam**2 - min(1.0, 1.0 / float(lam[0, -1])))
        return Lipschitz(upper, best, upper, "rigorous upper bound",
                         note + "; rigorous bound for equal covariances (Popoviciu on Cov_r(e^-t A_t mu_k))")
    return Lipschitz(best, best, math.inf, "grid estimate", note + "; no rigorous bound (unequal covariances)")


def second_moment(target: Any) -> float:
    """:math:`m_2 = (E\\|X\\|^2)^{1/2} = (\\operatorname{tr}\\Sigma + \\|\\mu\\|^2)^{1/2}` (from the law's mean and
    covariance)."""
    mean = np.asarray(target.mean(), dtype=np.float64)
    cov = np.atleast_2d(np.asarray(target.covariance(), dtype=np.float64))
    return float(math.sqrt(np.trace(cov) + mean @ mean))


def kl_to_standard_normal(target: Any, *, rng: np.random.Generator | None = None, n_samples: int = 1_000_000):
    """:math:`KL(\\pi\\,\\|\\,N(0, I_d))` (natural log) as an :class:`~theorylab.divergences.Estimate`: closed form
    for a Gaussian, quadrature for a 1D mixture, Monte Carlo (needs ``rng``) for a mixture in :math:`d \\ge 2`."""
    from theorylab.distributions import Gaussian
    from theorylab.divergences import kl, kl_monte_carlo

    _check_target(target)
    prior = Gaussian(np.zeros(target.dim), np.eye(target.dim))
    if isinstance(target, Gaussian) or target.dim == 1:
        return kl(target, prior)
    if rng is None:
        raise NotImplementedError(f"kl_to_standard_normal: a mixture in d = {target.dim} needs rng= (Monte Carlo)")
    return kl_monte_carlo(target, prior, int(n_samples), rng)


@dataclass(frozen=True)
class ChenBound:
    """Chen et al. (2022), Theorem 2, evaluated (arrays broadcast over ``T``, ``h``, ``eps_score``).

    Attributes
    ----------
    total : numpy.ndarray
        ``constant * (mixing + discretisation + score)``.
    mixing, discretisation, score : numpy.ndarray
        :math:`\\sqrt{KL}e^{-T}`, :math:`(L\\sqrt{dh} + Lm_2h)\\sqrt T`, :math:`\\varepsilon_{score}\\sqrt T` (without
        the constant).
    step_ok : numpy.ndarray of bool
        :math:`hL \\le 1` (the theorem's :math:`h \\lesssim 1/L`, read with constant 1).
    T, h, eps_score : numpy.ndarray
    L, m2, kl : float
        Constants used (``L`` already raised to at least 1).
    d : int
    constant : float
    note : str
        Assumptions, sampler and the meaning of ``constant`` (:data:`CHEN_NOTE` plus where L came from).
    """

    total: np.ndarray
    mixing: np.ndarray
    discretisation: np.ndarray
    score: np.ndarray
    step_ok: np.ndarray
    T: np.ndarray
    h: np.ndarray
    eps_score: np.ndarray
    L: float
    m2: float
    kl: float
    d: int
    constant: float
    note: str

    def frame(self) -> pd.DataFrame:
        """The arrays (flattened) as a table."""
        arrays = np.broadcast_arrays(self.T, self.h, self.eps_score, self.mixing, self.discretisation, self.score,
                                     self.total, self.step_ok)
        names = ["T", "h", "eps_score", "mixing", "discretisation", "score", "total", "step_ok"]
        return pd.DataFrame({k: np.ravel(v) for k, v in zip(names, arrays)})


def _positive(value: Any, key: str, allow_zero: bool = True) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: must be a number or an array of numbers, got {value!r}") from None
    bad = ~np.isfinite(arr) | (arr < 0.0) | ((arr == 0.0) if not allow_zero else False)
    if np.any(bad):
        raise ConfigError(f"{key}: must be finite and {'>=' if allow_zero else '>'} 0, got {value!r}")
    return arr


def chen_bound(target: Any = None, *, T: Any, h: Any, eps_score: Any = 0.0, L: float | None = None,
               m2: float | None = None, kl: float | None = None, d: int | None = None, constant: float = 1.0,
               rng: np.random.Generator | None = None) -> ChenBound:
    """Chen et al. (2022), Theorem 2 (module docstring; assumptions and sampler in :data:`CHEN_NOTE`):

    .. math:: TV \\le c\\,\\big[\\sqrt{KL(\\pi\\|N(0,I_d))}e^{-T} + (L\\sqrt{dh} + Lm_2h)\\sqrt T
              + \\varepsilon_{score}\\sqrt T\\big],

    with the theorem's unspecified absolute constant :math:`c` = ``constant`` (**default 1**: the level is then
    illustrative, the shape is the theorem's).

    Parameters
    ----------
    target : Gaussian or GaussianMixture, optional
        Supplies ``L`` (:func:`score_lipschitz`), ``m2`` (:func:`second_moment`), ``kl``
        (:func:`kl_to_standard_normal`) and ``d`` when they are not given.
    T, h, eps_score : float or array_like (broadcast)
        Horizon, step :math:`h = T/N` and :math:`L^2` score error (a sup-norm error :math:`M` is a valid
        ``eps_score``).
    L, m2, kl : float, optional
        Lipschitz constant (raised to 1 if smaller, as the theorem takes :math:`L \\ge 1`), :math:`m_2`, and
        :math:`KL(\\pi\\|N(0, I_d))` (natural log).
    d : int, optional
        Dimension.
    constant : float
        The absolute constant hidden in :math:`\\lesssim` (> 0; default 1).
    rng : numpy.random.Generator, optional
        For Monte Carlo KL / Lipschitz search of a mixture in :math:`d \\ge 2`.

    Returns
    -------
    ChenBound
    """
    T_arr = _positive(T, "T", allow_zero=False)
    h_arr = _positive(h, "h", allow_zero=False)
    eps = _positive(eps_score, "eps_score")
    c = float(_positive(constant, "constant", allow_zero=False))
    notes = [CHEN_NOTE]
    if target is None and any(v is None for v in (L, m2, kl, d)):
        raise ConfigError("target: give a target or all of L, m2, kl and d")
    if target is not None:
        _check_target(target)
    if L is None:
        lip = score_lipschitz(target, rng=rng)
        L_val = lip.value
        notes.append(f"L = {L_val:.6g} ({lip.kind}: {lip.note})")
    else:
        L_val = float(_positive(L, "L", allow_zero=False))
    if L_val < 1.0:
        notes.append(f"L = {L_val:.6g} raised to 1 (the theorem takes L >= 1)")
        L_val = 1.0
    m2_val = second_moment(target) if m2 is None else float(_positive(m2, "m2"))
    if kl is None:
        est = kl_to_standard_normal(target, rng=rng)
        kl_val = max(float(est.value), 0.0)
        notes.append(f"KL(pi || N(0, I)) = {kl_val:.6g} ({est.method})")
    else:
        kl_val = float(_positive(kl, "kl"))
    if d is None:
        d_val = int(target.dim)
    else:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ConfigError(f"d: must be an integer >= 1, got {d!r}")
        d_val = int(d)
    sqrtT = np.sqrt(T_arr)
    mixing = math.sqrt(kl_val) * np.exp(-T_arr)
    disc = (L_val * np.sqrt(d_val * h_arr) + L_val * m2_val * h_arr) * sqrtT
    score = eps * sqrtT
    total = c * (mixing + disc + score)
    return ChenBound(total, mixing, disc, score, h_arr * L_val <= 1.0, T_arr, h_arr, eps, L_val, m2_val, kl_val,
                     d_val, c, " ".join(notes))


def chen_table(df: pd.DataFrame, target: Any, *, columns: Columns | dict | None = None, constant: float = 1.0,
               rng: np.random.Generator | None = None) -> pd.DataFrame:
    """Chen et al. (2022)'s bound at every usable cell of a table (step :math:`h = \\gamma`, :math:`\\varepsilon_{score}
    = M`, the sup-norm error bounding the :math:`L^2` one), beside the measured value.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df`` (usable cells only): ``T``, ``gamma``, ``M``, ``value``, ``upper``, ``chen`` (the bound
        with ``constant``), ``chen_mixing``, ``chen_discretisation``, ``chen_score``, ``step_ok``, ``ratio``
        (``chen / value``). The assumptions are in ``DataFrame.attrs["note"]``. Cells with :math:`\\gamma = 0` are
        dropped (the theorem needs a step).
    """
    cells = read_cells(df, columns)
    keep = cells.usable & (cells.gamma > 0.0) & (cells.T > 0.0)
    frame = cells.frame()[keep]
    cb = chen_bound(target, T=frame["T"].to_numpy(), h=frame["gamma"].to_numpy(), eps_score=frame["M"].to_numpy(),
                    constant=constant, rng=rng)
    out = frame[["T", "gamma", "M", "value", "upper"]].copy()
    out["chen"] = cb.total
    out["chen_mixing"] = cb.mixing
    out["chen_discretisation"] = cb.discretisation
    out["chen_score"] = cb.score
    out["step_ok"] = cb.step_ok
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio"] = np.where(out["value"] > 0.0, out["chen"] / out["value"], np.inf)
    out.attrs["note"] = cb.note
    return out
