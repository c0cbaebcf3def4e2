"""Seed 000's proof measured link by link: where the slack of the De Bortoli bound lives.

Seed 000, 'Esquema de la Demostración' (TV :math:`= \\tfrac12\\|p - q\\|_1`, KL natural log):

.. math::

    \\underbrace{\\|\\pi_0\\hat R_N - \\pi\\|}_{\\text{total}}
    \\overset{(1)}{\\le} \\underbrace{\\|\\pi_0\\hat R_N - \\pi_0Q_T\\|}_{\\text{approximation}}
      + \\underbrace{\\|\\pi P_T - \\pi_0\\|}_{\\text{mixing}},\\qquad
    \\text{approximation} \\overset{(2)}{\\le} \\sqrt{\\tfrac12 KL(\\pi_0\\hat R_N\\|\\pi_0Q_T)}
      \\overset{(3)}{\\le} \\sqrt{\\tfrac12 KL(\\hat{\\mathbb P}\\|\\mathbb P)},

(1) triangle inequality + data processing, (2) Pinsker, (3) data processing from path measures to time-:math:`T`
marginals, the path KL computed by Girsanov (:func:`~theorylab.bounds.theorems.girsanov.path_kl`). The proof's
bound is :math:`\\text{mixing} + \\sqrt{KL_{path}/2}`. :func:`proof_chain` measures every quantity; the ratio of the
two sides of each link says which link is loose and by how much. Built on
:mod:`theorylab.bounds.decomposition` (mixing and approximation terms, :math:`\\pi_0Q_T`).

Routes: Gaussian target + affine score -- everything exact (output law, :math:`\\pi_0Q_T` by moment ODEs, KL closed
form, path KL by exact marginals). 1D mixture -- the output by the grid route (``law_of_output(method="grid")``),
:math:`\\pi_0Q_T` by :func:`~theorylab.bounds.decomposition.reverse_reference_pdf_1d`, TV and KL by the trapezoid
rule on a common uniform grid, the path KL by Monte Carlo (95% CLT interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["ProofChain", "proof_chain"]

#: Nodes of the common uniform grid of the 1D mixture route (spacing ~0.006 on [-14, 14]: the trapezoid rule on
#: these smooth densities is accurate to far below the Monte Carlo half-width of the path KL).
MIXTURE_GRID_NODES = 4801


@dataclass(frozen=True)
class ProofChain:
    """Every quantity of seed 000's proof at one cell (module docstring); ``*_ci`` are (lower, upper)."""

    total: float
    approximation: float
    mixing: float
    kl_marginal: float
    kl_path: float
    kl_path_ci: tuple[float, float]
    method: str

    @property
    def pinsker_marginal(self) -> float:
        return math.sqrt(max(self.kl_marginal, 0.0) / 2.0)

    @property
    def pinsker_path(self) -> float:
        return math.sqrt(max(self.kl_path, 0.0) / 2.0)

    @property
    def proof_bound(self) -> float:
        """mixing + sqrt(KL_path / 2): what the proof bounds the total by (before De Bortoli's constants)."""
        return self.mixing + self.pinsker_path

    def links(self) -> dict[str, float]:
        """Ratio of the right side to the left side of each link (>= 1 when the link holds)."""
        r = lambda a, b: a / b if b > 0 else math.inf  # noqa: E731
        return {"(1) triangle+DP": r(self.approximation + self.mixing, self.total),
                "(2) Pinsker": r(self.pinsker_marginal, self.approximation),
                "(3) path->marginal": r(self.pinsker_path, self.pinsker_marginal),
                "overall": r(self.proof_bound, self.total)}

    def to_dict(self) -> dict[str, Any]:
        out = {"total": self.total, "approximation": self.approximation, "mixing": self.mixing,
               "kl_marginal": self.kl_marginal, "kl_path": self.kl_path, "kl_path_lower": self.kl_path_ci[0],
               "kl_path_upper": self.kl_path_ci[1], "pinsker_marginal": self.pinsker_marginal,
               "pinsker_path": self.pinsker_path, "proof_bound": self.proof_bound, "method": self.method}
        out.update({f"ratio {k}": v for k, v in self.links().items()})
        return out


def proof_chain(target: Any, score: Any, sampler: str, grid: Any, *, n_paths: int = 20_000,
                seed: int = 0) -> ProofChain:
    """Measure seed 000's proof at one cell (module docstring).

    Parameters
    ----------
    target : Gaussian (any d) or GaussianMixture (d = 1)
    score : callable ``score(t, x)``
        The sampler's score (affine for the exact route).
    sampler : str
        ``"reverse-em"`` (the seed's chain) or ``"exponential-integrator"``.
    grid : TimeGrid
        Without early stopping.
    n_paths, seed : int
        Monte Carlo paths of the path KL (mixtures).
    """
    from theorylab.bounds.decomposition import mixing_term, reverse_reference
    from theorylab.bounds.theorems.girsanov import path_kl
    from theorylab.distributions import Gaussian
    from theorylab.divergences import compare, kl_gaussian
    from theorylab.laws import law_of_output

    T = float(grid.T)
    kl_p = path_kl(target, score, sampler, grid, n_paths=n_paths, seed=seed)
    mixing = float(mixing_term(target, T).value)
    if isinstance(target, Gaussian):
        out = law_of_output(target, score, sampler, grid, method="exact")
        ref = reverse_reference(target, T)
        total = float(compare(out, "tv", target).value)
        approx = float(compare(out, "tv", ref).value)
        kl_m = float(kl_gaussian(out.law, ref).value)
        method = "exact (Gaussian closed forms)"
    else:
        if int(target.dim) != 1:
            raise ConfigError(f"target: the mixture route of proof_chain is 1D, got d = {target.dim}")
        from theorylab.bounds.decomposition import reverse_reference_pdf_1d

        out = law_of_output(target, score, sampler, grid, method="grid")
        x = np.linspace(-14.0, 14.0, MIXTURE_GRID_NODES)
        p = np.maximum(np.asarray(out.law.pdf(x[:, None]), dtype=np.float64).reshape(-1), 0.0)
        r = reverse_reference_pdf_1d(target, T, x)
        pi = np.asarray(target.pdf(x[:, None]), dtype=np.float64).reshape(-1)
        total = 0.5 * float(np.trapezoid(np.abs(p - pi), x))
        approx = 0.5 * float(np.trapezoid(np.abs(p - r), x))
        with np.errstate(divide="ignore", invalid="ignore"):
            integrand = np.where(p > 0.0, p * (np.log(p) - np.log(r)), 0.0)
        kl_m = float(np.trapezoid(integrand, x))
        method = f"grid law ({out.error.note[:60]}...), Gauss-Hermite pi_0 Q_T, Monte Carlo path KL"
    lo, hi = kl_p.uncertainty.lower, kl_p.uncertainty.upper
    return ProofChain(total, approx, mixing, kl_m, float(kl_p.value), (float(lo), float(hi)), method)
