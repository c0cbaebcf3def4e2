"""The output law of a sampler known only through its particles: :class:`SampleLaw` and :func:`sample_output_law`.

The fallback of :func:`~theorylab.laws.dispatch.law_of_output` when neither a closed form nor a grid applies
(non-affine scores in d >= 3, the ``pc`` sampler with correctors). The torch sampler is run with one integer seed
(reproducible), and the result carries what Monte Carlo can say about its accuracy: moments with standard errors,
and divergences with confidence intervals (:mod:`theorylab.divergences.samples`, whose notes say that the
intervals cover sampling variability only, not the bias of density-estimate divergences).

Standard errors. For :math:`n` i.i.d. particles, the sample mean has standard error :math:`\\sqrt{\\hat\\Sigma_{ii}/n}`
and a covariance entry :math:`\\hat\\Sigma_{ij} = \\overline{(X_i-\\bar X_i)(X_j - \\bar X_j)}` has standard error
:math:`\\operatorname{sd}\\big((X_i-\\bar X_i)(X_j-\\bar X_j)\\big)/\\sqrt n` (a fourth-moment quantity; for the
variance, :math:`\\sqrt{(\\hat\\mu_4 - \\hat\\sigma^4)/n}`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from theorylab.errors import ConfigError
from theorylab.laws.base import ErrorControl, OutputLaw, check_process, initial_law, resolve_sampler, score_dim

__all__ = ["SampleLaw", "moment_standard_errors", "sample_output_law"]


def moment_standard_errors(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, mean_se, cov, cov_se)`` of samples ``x`` ``(n, d)`` (module docstring); covariance normalised by n."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    mean = x.mean(axis=0)
    c = x - mean
    cov = c.T @ c / n
    # sd of the products c_i c_j: E[(c_i c_j)^2] - cov_ij^2 (matrix products: no (n, d, d) array)
    second = (c * c).T @ (c * c) / n
    cov_se = np.sqrt(np.maximum(second - cov * cov, 0.0) * n / (n - 1) / n)
    mean_se = np.sqrt(np.diag(cov) / n)
    return mean, mean_se, 0.5 * (cov + cov.T), cov_se


class SampleLaw:
    """Particles of a sampler's output, shape ``(n, d)``, with moment standard errors and sample divergences.

    Parameters
    ----------
    samples : array_like, shape ``(n, d)``
    seed : int or None
        The seed they were drawn with.
    """

    #: How :func:`theorylab.divergences.compare` dispatches on this law.
    representation = "samples"

    def __init__(self, samples: Any, seed: int | None = None):
        arr = samples.detach().cpu().numpy() if hasattr(samples, "detach") else samples
        self.samples = np.asarray(arr, dtype=np.float64)
        if self.samples.ndim != 2 or self.samples.shape[0] < 2:
            raise ValueError(f"samples must have shape (n >= 2, d), got {self.samples.shape}")
        self.dim = int(self.samples.shape[1])
        self.n = int(self.samples.shape[0])
        self.seed = seed
        self._moments = moment_standard_errors(self.samples)

    def mean(self) -> np.ndarray:
        """Sample mean, shape ``(d,)``."""
        return self._moments[0].copy()

    def mean_se(self) -> np.ndarray:
        """Standard errors of the sample mean, shape ``(d,)``."""
        return self._moments[1].copy()

    def covariance(self) -> np.ndarray:
        """Sample covariance (normalised by n), shape ``(d, d)``."""
        return self._moments[2].copy()

    def covariance_se(self) -> np.ndarray:
        """Standard errors of the covariance entries (fourth moments), shape ``(d, d)``."""
        return self._moments[3].copy()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` particles resampled with replacement (the empirical law)."""
        return self.samples[rng.integers(0, self.n, size=int(n))]

    def __repr__(self) -> str:
        return f"SampleLaw(n={self.n}, dim={self.dim}, seed={self.seed})"


def sample_output_law(score: Any, sampler: Any, grid: Any, *, n_samples: int = 100_000, seed: int = 0,
                      process: Any = None, initial: Any = None, dim: Any = None, device: Any = None,
                      sampler_options: dict | None = None) -> OutputLaw:
    """Run the torch sampler once (seeded) and wrap its particles as a :class:`SampleLaw`.

    Parameters
    ----------
    n_samples : int
        Number of particles.
    seed : int
        Seeds the sampler's ``torch.Generator`` (and, with ``initial``, the numpy generator drawing the starts).
    initial : Distribution, optional
        Law of the starting points (drawn with ``initial.sample``); default: the sampler draws from the prior.
    device : torch device, optional
        Where the sampler runs (CPU default).
    Other parameters as in :func:`theorylab.laws.gaussian.gaussian_output_law`.

    Returns
    -------
    OutputLaw
        ``method="samples"``, error kind ``sampling`` (no TV bound: use the CIs of the divergence estimates).
    """
    sampler = resolve_sampler(sampler, sampler_options)
    process = check_process(sampler, grid, process)
    d = score_dim(score, None, dim)
    if isinstance(n_samples, bool) or int(n_samples) != n_samples or int(n_samples) < 2:
        raise ConfigError(f"metrics.n_samples: must be an integer >= 2, got {n_samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"metrics.seed: must be an integer, got {seed!r}")
    n = int(n_samples)
    x_init = None
    if initial is not None:
        x_init = torch.from_numpy(initial_law(process, d, initial).sample(n, np.random.default_rng(int(seed))))
    t0 = time.perf_counter()
    out = sampler.sample(score, grid, n, generator=int(seed), x_init=x_init, process=process, dim=d, device=device)
    elapsed = time.perf_counter() - t0
    law = SampleLaw(out, seed=int(seed))
    se = float(np.max(law.mean_se()))
    note = (f"{n} particles of the torch sampler {sampler.name!r} (seed {int(seed)}); largest standard error of the "
            f"mean {se:.3g}; divergences carry bootstrap CIs (sampling variability only)")
    return OutputLaw(law, "samples", sampler.name, ErrorControl("sampling", None, note),
                     {"n_samples": n, "seed": int(seed), "seconds": elapsed})
