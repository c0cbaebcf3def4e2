"""Exact scores of Gaussian and Gaussian-mixture targets under the forward OU process, its EM chain, VP and VE.

Two conventions (``docs/architecture.md``; ``DESIGN.md`` *Conventions*):

* ``"reverse-em"`` (continuous time; seed 000, slide 'Time Reversal'): :math:`s(t, x) = \\nabla\\log p_t(x)`, with
  :math:`p_t` the law of :math:`X_t` under :math:`dX = -X\\,dt + \\sqrt2\\,dB` (``target.ou_marginal(t)``). With
  ``process=`` a VP or VE process, :math:`X_t = \\alpha_t X_0 + \\sigma_t Z`, so
  :math:`p_t` = ``target.affine_pushforward(alpha_t I, 0, sigma_t^2 I)``.
* ``"ancestral"`` (discrete time; seed 000, slide '¿Cómo invertimos el proceso forward?'):
  :math:`s(t, x) = \\nabla\\log p_k(x)`, :math:`p_k` the law of the forward EM chain
  :math:`X_{j+1} = (1-\\gamma_j)X_j + \\sqrt{2\\gamma_j}Z_{j+1}` after :math:`k` steps of the grid, where
  :math:`k` is recovered from the forward time :math:`t = F_k = \\gamma_0 + \\dots + \\gamma_{k-1}` within
  :data:`theorylab.tolerances.GRID_TIME_RTOL` (``ConfigError`` if ``t`` is not a grid time).

Marginals are cached per time (per ``k`` for ``ancestral``).
"""

from __future__ import annotations

import numpy as np

from theorylab.errors import ConfigError
from theorylab.scores.base import LRUCache, Score

__all__ = ["ExactScore"]

CONVENTIONS = ("reverse-em", "ancestral")


def _is_gaussian(law) -> bool:
    from theorylab.distributions import Gaussian

    return isinstance(law, Gaussian)


class ExactScore(Score):
    """:math:`\\nabla \\log p_t` (or :math:`\\nabla\\log p_k`) of a target with closed-form marginals.

    Parameters
    ----------
    target : Distribution
        A :class:`~theorylab.distributions.Gaussian` or :class:`~theorylab.distributions.GaussianMixture` (anything
        with ``ou_marginal``, ``chain_marginal(_schedule)``, ``affine_pushforward`` and ``score``).
    convention : {"reverse-em", "ancestral"}
        Continuous-time marginal :math:`p_t` or EM-chain marginal :math:`p_k` (see module docstring).
    grid : TimeGrid, optional
        Required for (and only used by) ``"ancestral"``.
    process : Process, optional
        Forward process of the continuous convention; ``None`` or an ``OrnsteinUhlenbeck`` uses
        ``target.ou_marginal``; VP/VE use ``marginal_coefficients``. ``"ancestral"`` is defined for OU only.
    cache_size : int
        Number of marginals kept (least recently used are dropped).

    Examples
    --------
    ``ExactScore(Gaussian(m, S))(t, x)`` equals :math:`-\\Sigma_t^{-1}(x - \\mu_t)` with
    :math:`\\mu_t = e^{-t}m`, :math:`\\Sigma_t = e^{-2t}S + (1 - e^{-2t})I`.
    """

    def __init__(self, target, convention: str = "reverse-em", grid=None, process=None, cache_size: int = 4096):
        if convention not in CONVENTIONS:
            raise ConfigError(f"score.convention: must be one of {CONVENTIONS}, got {convention!r}")
        from theorylab.processes import OrnsteinUhlenbeck

        self.target = target
        self.dim = int(target.dim)
        self.convention = convention
        self.process = process
        self._ou = process is None or isinstance(process, OrnsteinUhlenbeck)
        if convention == "ancestral":
            if grid is None:
                raise ConfigError("score.grid: convention 'ancestral' needs a TimeGrid (the chain's steps)")
            if not self._ou:
                raise ConfigError(
                    f"score.process: convention 'ancestral' is the OU Euler-Maruyama chain; got {process!r}"
                )
        elif grid is not None:
            raise ConfigError("score.grid: only used with convention 'ancestral'")
        self.grid = grid
        self._laws = LRUCache(cache_size)
        self._affine = LRUCache(cache_size)

    # ------------------------------------------------------------------ marginals
    def _key(self, t: float):
        return self.grid.index_of_time(t) if self.convention == "ancestral" else float(t)

    def _make_law(self, key):
        if self.convention == "ancestral":
            k = int(key)
            if k == 0:
                return self.target
            if self.grid.kind == "constant":
                return self.target.chain_marginal(k, float(self.grid.gammas[0]))
            return self.target.chain_marginal_schedule(self.grid.gammas[:k])
        t = float(key)
        if self._ou:
            return self.target.ou_marginal(t)
        alpha, sigma = self.process.marginal_coefficients(t)
        d = self.dim
        return self.target.affine_pushforward(alpha * np.eye(d), np.zeros(d), sigma**2 * np.eye(d))

    def law(self, t: float):
        """The marginal whose score is returned at forward time ``t`` (:math:`p_t` or :math:`p_k`), cached."""
        key = self._key(t)
        return self._laws.get(key, lambda: self._make_law(key))

    # ------------------------------------------------------------------ score
    def __call__(self, t: float, x):
        """:math:`\\nabla\\log p(x)` of :meth:`law` ``(t)``; ``x`` of shape ``(..., d)``, result like ``x``."""
        return self.law(t).score(x)

    def score_into(self, t: float, x, out, work=None):
        """:meth:`__call__` written into ``out``: in place through the marginal's ``score_into`` when it has one
        (:meth:`GaussianMixture.score_into <theorylab.distributions.GaussianMixture.score_into>`), else copied."""
        law = self.law(t)
        into = getattr(law, "score_into", None)
        if into is None:
            return out.copy_(law.score(x))
        return into(x, out, work)

    def work_per_particle(self) -> float:
        """:func:`theorylab.cost.mixture_score_flops` of the target's dimension and number of components (one for a
        Gaussian): every marginal is a mixture of as many Gaussians."""
        from theorylab.cost import mixture_score_flops

        return mixture_score_flops(self.dim, int(getattr(self.target, "n_components", 1)))

    def affine(self, t: float):
        """Gaussian marginal :math:`N(\\mu_t, \\Sigma_t)`: :math:`A = -\\Sigma_t^{-1}`, :math:`b = -A\\mu_t`.

        Returns ``None`` for mixtures (the score is then not affine in ``x``).
        """
        key = self._key(t)

        def make():
            law = self._laws.get(key, lambda: self._make_law(key))
            if not _is_gaussian(law):
                return None
            cov = np.asarray(law.covariance(), dtype=np.float64)
            mean = np.asarray(law.mean(), dtype=np.float64)
            precision = np.linalg.inv(cov)
            precision = 0.5 * (precision + precision.T)
            return -precision, precision @ mean

        return self._affine.get(key, make)

    # ------------------------------------------------------------------ eigen form (O(d) exact route)
    def eigenbasis(self):
        """``(True, U)`` for a Gaussian target in the continuous convention (U from ``target.eigen_parts()``, None when
        the covariance is diagonal), else ``(False, None)``."""
        if self.convention != "reverse-em" or not _is_gaussian(self.target) or not hasattr(self.target, "eigen_parts"):
            return False, None
        return True, self.target.eigen_parts()[1]

    def eigen_affine(self, t: float):
        """In the target's eigenbasis, :math:`p_t = \\mathcal N(\\alpha_t\\mu, \\alpha_t^2\\Sigma + \\sigma_t^2 I)` has
        :math:`a = -1/(\\alpha_t^2\\lambda + \\sigma_t^2)` and :math:`c = \\alpha_t\\tilde\\mu/(\\alpha_t^2\\lambda +
        \\sigma_t^2)`, :math:`\\tilde\\mu = U^\\top\\mu` (O(d) per time after the one decomposition). None where
        :math:`p_t` is singular (t = 0 with a singular target) or the form does not apply."""
        available, basis = self.eigenbasis()
        if not available:
            return None
        t = float(t)
        if self._ou:
            alpha, var = float(np.exp(-t)), float(-np.expm1(-2.0 * t))
        else:
            a, sg = self.process.marginal_coefficients(t)
            alpha, var = float(a), float(sg) ** 2
        lam, _ = self.target.eigen_parts()
        if getattr(self, "_eigen_mean", None) is None:  # U^T mu once (O(d^2)), then O(d) per time
            mean = self.target.mean()
            self._eigen_mean = mean if basis is None else basis.T @ mean
        mu = self._eigen_mean
        total = alpha * alpha * lam + var
        if not np.all(total > 0.0):
            return None
        return -1.0 / total, alpha * mu / total

    def __repr__(self) -> str:
        extra = f", grid={self.grid!r}" if self.grid is not None else ""
        extra += f", process={self.process!r}" if self.process is not None else ""
        return f"ExactScore({self.target!r}, convention={self.convention!r}{extra})"
