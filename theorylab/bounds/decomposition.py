"""The two terms of the De Bortoli et al. proof: approximation error and mixing time, computed exactly.

Seed 000, slide 'Esquema de la Demostración' (TV :math:`= \\tfrac12\\|p - q\\|_1`, :math:`\\pi_0 = N(0, I_d)`):

.. math::

    \\|\\pi_0\\hat R_N - \\pi\\|_{TV} \\le \\underbrace{\\|\\pi_0\\hat R_N - \\pi_0 Q_T\\|_{TV}}_{\\text{approximation}}
    + \\underbrace{\\|\\pi P_T - \\pi_0\\|_{TV}}_{\\text{mixing}},

where :math:`\\pi_0\\hat R_N` is the sampler's output law, :math:`Q_T` the exact backward semigroup (reverse SDE with
the true score, run for time :math:`T` from :math:`\\pi_0`) and :math:`\\pi P_T = p_T` the forward OU marginal
(:math:`dX = -X\\,dt + \\sqrt2\\,dB`). The first inequality is the triangle inequality through :math:`\\pi_0 Q_T`, the
second is data processing (:math:`\\|p_T Q_T - \\pi_0 Q_T\\| \\le \\|p_T - \\pi_0\\|`, and :math:`p_T Q_T = \\pi`).

* :func:`mixing_term` -- :math:`TV(p_T, \\pi_0)` with ``p_T = target.ou_marginal(T)``: exact in 1D for a Gaussian
  (:func:`~theorylab.divergences.tv_gaussian_1d`), quadrature in 2D and a rigorous interval in :math:`d \\ge 3`
  (:func:`theorylab.divergences.tv`), 1D quadrature for a Gaussian mixture, Monte Carlo (CLT interval) for a mixture
  in :math:`d \\ge 2` when an ``rng`` is given.
* :func:`approximation_term` -- :math:`TV(\\text{output}, \\pi_0 Q_T)` with :math:`\\pi_0 Q_T` from
  :func:`theorylab.laws.continuous.reverse_sde_law` (moment ODEs, true score) for a Gaussian target; for other
  targets pass the reference law yourself.
* :func:`decomposition` -- both terms, their sum and the total :math:`TV(\\text{output}, \\pi)`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.divergences import Estimate, compare
from theorylab.errors import ConfigError

__all__ = ["Decomposition", "approximation_term", "decomposition", "mixing_term", "reverse_reference"]

#: Monte Carlo samples of the mixing term for mixtures in d >= 2 (CLT half-width ~ 2/sqrt(n) ~ 2e-3).
DEFAULT_MC_SAMPLES = 1_000_000


def _check_T(T: Any) -> float:
    try:
        value = float(T)
    except (TypeError, ValueError):
        raise ConfigError(f"T: must be a number, got {T!r}") from None
    if not (math.isfinite(value) and value > 0.0):
        raise ConfigError(f"T: must be finite and > 0, got {T!r}")
    return value


def _prior(d: int):
    from theorylab.distributions import Gaussian

    return Gaussian(np.zeros(d), np.eye(d))


def _is_gaussian(law: Any) -> bool:
    from theorylab.distributions import Gaussian

    return isinstance(law, Gaussian)


def _check_target(target: Any) -> None:
    if not hasattr(target, "ou_marginal") or not hasattr(target, "dim"):
        raise ConfigError(f"target: must be a Gaussian or GaussianMixture (with ou_marginal), got "
                          f"{type(target).__name__}")


def mixing_term(target: Any, T: float, *, rng: np.random.Generator | None = None,
                n_samples: int = DEFAULT_MC_SAMPLES) -> Estimate:
    """:math:`\\|\\pi P_T - \\pi_0\\|_{TV} = TV(p_T, N(0, I_d))`, the mixing-time term (seed 000, 'Esquema de la
    Demostración'; TV :math:`= \\tfrac12\\|p-q\\|_1`).

    Parameters
    ----------
    target : Gaussian or GaussianMixture
        :math:`\\pi`; its OU marginal :math:`p_T` = ``target.ou_marginal(T)``.
    T : float
        Horizon (> 0).
    rng : numpy.random.Generator, optional
        Only for a mixture in :math:`d \\ge 2` (no deterministic route): Monte Carlo with ``n_samples`` draws.

    Returns
    -------
    Estimate
        Exact (1D Gaussian), quadrature (2D Gaussian, 1D mixture), rigorous bounds (Gaussian, :math:`d \\ge 3`) or a
        CLT interval (mixture, :math:`d \\ge 2`).

    Raises
    ------
    NotImplementedError
        A mixture in :math:`d \\ge 2` without ``rng``.
    """
    from theorylab.divergences import tv, tv_gaussian_1d, tv_monte_carlo

    _check_target(target)
    T = _check_T(T)
    p_T = target.ou_marginal(T)
    prior = _prior(int(target.dim))
    if _is_gaussian(p_T) and p_T.dim == 1:
        return tv_gaussian_1d(p_T, prior)
    if _is_gaussian(p_T) or p_T.dim == 1:
        return tv(p_T, prior)
    if rng is None:
        raise NotImplementedError(f"mixing_term: a mixture in d = {p_T.dim} has no deterministic TV route; pass "
                                  "rng= for a Monte Carlo estimate")
    return tv_monte_carlo(p_T, prior, int(n_samples), rng)


def reverse_reference(target: Any, T: float):
    """:math:`\\pi_0 Q_T`: the law at time :math:`T` of the reverse SDE :math:`dY = \\{Y + 2\\nabla\\log p_{T-t}(Y)\\}dt
    + \\sqrt2\\,dB` with the true score, started from :math:`N(0, I_d)`, for a Gaussian target
    (:func:`theorylab.laws.continuous.reverse_sde_law`: moment ODEs, DOP853). Returns a Gaussian."""
    from theorylab.laws.continuous import reverse_sde_law
    from theorylab.processes import OrnsteinUhlenbeck
    from theorylab.scores import ExactScore

    _check_target(target)
    T = _check_T(T)
    if not _is_gaussian(target):
        raise NotImplementedError("reverse_reference: pi_0 Q_T has a closed form for Gaussian targets only; pass "
                                  "reference= (e.g. a fine-step grid law of the reverse SDE) for other targets")
    return reverse_sde_law(ExactScore(target), OrnsteinUhlenbeck(T), _prior(int(target.dim)))


def _tv(output: Any, other: Any) -> Estimate:
    """TV between an output law (an OutputLaw, or a Distribution) and ``other``, by the law's representation."""
    return compare(output, "tv", other)


def approximation_term(target: Any, output_law: Any, T: float, *, reference: Any = None) -> Estimate:
    """:math:`\\|\\pi_0\\hat R_N - \\pi_0 Q_T\\|_{TV}`, the approximation term (seed 000, 'Esquema de la Demostración').

    Parameters
    ----------
    target : Gaussian or GaussianMixture
    output_law : OutputLaw or Distribution
        The sampler's output law :math:`\\pi_0\\hat R_N` (e.g. ``law_of_output(...)``).
    T : float
        Horizon of the sampler (:math:`T = N\\gamma`).
    reference : Distribution, optional
        :math:`\\pi_0 Q_T`; default :func:`reverse_reference` (Gaussian targets).

    Returns
    -------
    Estimate
        TV between the output law and :math:`\\pi_0 Q_T` (route chosen by :mod:`theorylab.divergences` /
        :meth:`OutputLaw.divergence`).
    """
    ref = reverse_reference(target, T) if reference is None else reference
    return _tv(output_law, ref)


@dataclass(frozen=True)
class Decomposition:
    """The decomposition of seed 000, 'Esquema de la Demostración', for one output law.

    Attributes
    ----------
    total : Estimate
        :math:`TV(\\text{output}, \\pi)`.
    approximation : Estimate
        :math:`TV(\\text{output}, \\pi_0 Q_T)`.
    mixing : Estimate
        :math:`TV(p_T, \\pi_0)`.
    T : float
    """

    total: Estimate
    approximation: Estimate
    mixing: Estimate
    T: float

    @property
    def sum(self) -> float:
        """approximation + mixing (point values)."""
        return float(self.approximation.value + self.mixing.value)

    @property
    def gap(self) -> float:
        """sum − total (>= 0 by the triangle inequality and data processing)."""
        return self.sum - float(self.total.value)

    @property
    def holds(self) -> bool:
        """The inequality is consistent with the uncertainties: total.lower <= approximation.upper + mixing.upper."""
        return bool(self.total.uncertainty.lower <= self.approximation.uncertainty.upper
                    + self.mixing.uncertainty.upper)

    @property
    def mixing_share(self) -> float:
        """mixing / (approximation + mixing): which term dominates (``NaN`` if both are 0)."""
        s = self.sum
        return float(self.mixing.value / s) if s > 0.0 else math.nan

    def to_dict(self) -> dict[str, float]:
        """Flat numbers (for tables)."""
        return {"T": self.T, "total": float(self.total.value), "approximation": float(self.approximation.value),
                "mixing": float(self.mixing.value), "sum": self.sum, "gap": self.gap,
                "mixing_share": self.mixing_share, "holds": self.holds}


def decomposition(target: Any, output_law: Any, T: float, *, reference: Any = None,
                  rng: np.random.Generator | None = None) -> Decomposition:
    """Both terms of the De Bortoli et al. decomposition and the total they bound (seed 000, 'Esquema de la
    Demostración'; TV :math:`= \\tfrac12\\|p-q\\|_1`).

    Parameters
    ----------
    target : Gaussian or GaussianMixture
        :math:`\\pi`.
    output_law : OutputLaw or Distribution
        :math:`\\pi_0\\hat R_N`.
    T : float
        Horizon.
    reference : Distribution, optional
        :math:`\\pi_0 Q_T` (default: :func:`reverse_reference`, Gaussian targets).
    rng : numpy.random.Generator, optional
        For the mixing term of a mixture in :math:`d \\ge 2` (:func:`mixing_term`).

    Returns
    -------
    Decomposition
    """
    T = _check_T(T)
    mixing = mixing_term(target, T, rng=rng)
    approx = approximation_term(target, output_law, T, reference=reference)
    total = _tv(output_law, target)
    return Decomposition(total, approx, mixing, T)


#: Gauss-Hermite nodes of :func:`reverse_reference_pdf_1d`. The integrand pi_0(y)/p_T(y) is smooth (a ratio of a
#: Gaussian and a mixture with component variances >= min(1, sigma^2)); 120 nodes resolve it to ~1e-12 for the
#: seed mixture at T >= 0.1 (the reported mass defect is the check).
REFERENCE_GH_NODES = 120


def reverse_reference_pdf_1d(target: Any, T: float, x: Any) -> np.ndarray:
    """Density of :math:`\\pi_0 Q_T` for any 1D target with exact OU marginals (Gaussian or mixture), at ``x``.

    The reverse SDE with the true score, started at a point :math:`y`, is the forward process conditioned on
    :math:`X_T = y` run backwards, so its law at time :math:`T` is the posterior :math:`L(X_0 | X_T = y)`; averaging
    over :math:`y \\sim \\pi_0`,

    .. math:: \\pi_0 Q_T(x) = \\pi(x)\\,E\\Big[\\frac{\\pi_0(Y)}{p_T(Y)}\\Big],\\qquad
              Y = e^{-T}x + \\sqrt{1 - e^{-2T}}\\,Z,

    (Bayes: :math:`p(x|y) = \\pi(x)p_{T|0}(y|x)/p_T(y)`), computed by Gauss--Hermite quadrature in :math:`Z`
    (:data:`REFERENCE_GH_NODES`). For a Gaussian target it agrees with :func:`reverse_reference` (tested).
    """
    _check_target(target)
    T = _check_T(T)
    if int(target.dim) != 1:
        raise ConfigError(f"target: reverse_reference_pdf_1d is for d = 1, got d = {target.dim}")
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    z, w = np.polynomial.hermite_e.hermegauss(REFERENCE_GH_NODES)
    w = w / math.sqrt(2.0 * math.pi)
    a, s = math.exp(-T), math.sqrt(-math.expm1(-2.0 * T))
    p_T = target.ou_marginal(T)
    y = a * x[:, None] + s * z[None, :]
    log_ratio = -0.5 * y**2 - 0.5 * math.log(2.0 * math.pi) - np.asarray(p_T.logpdf(y[..., None]))
    return np.asarray(target.pdf(x[:, None])) * (np.exp(log_ratio) @ w)
