r"""Recover the exact law of a linear-Gaussian sampler by probing it as a black box.

A sampler built from linear operations on its state and on Gaussian noise — DDPM ancestral steps, DDIM (any
:math:`\eta`), Euler--Maruyama or probability-flow Euler steps — driven by an *affine* score (the exact score of a
Gaussian target is :math:`s(t, x) = -C_t^{-1}(x - m_t)`) is an affine map of its random inputs:

.. math::

    Y = A\,u + b, \qquad u = (x_T, z_1, \dots, z_K) \in \mathbb{R}^{n},

with :math:`x_T` the initial state and :math:`z_k` the noise of step :math:`k`. Probing recovers :math:`A` and
:math:`b` exactly (up to float64 round-off) with :math:`n + 1` runs: :math:`b = \mathrm{run}(0)` and the
:math:`i`-th column :math:`A e_i = \mathrm{run}(e_i) - b` (unit inputs). One more run at a random input
:math:`u` checks affinity: the residual :math:`\max|\mathrm{run}(u) - (Au + b)|` is reported and compared with
:data:`~theorylab.tolerances.PROBE_AFFINE_RTOL`. If :math:`u \sim N(m, S)` the output law is then exactly

.. math::

    Y \sim N(A m + b,\; A S A^\top),

which for the usual inputs (:math:`x_T \sim N(m_T, S_T)`, independent :math:`z_k \sim N(0, I)`) is
:math:`S = \mathrm{diag}(S_T, I, \dots, I)`.

Why probing and not autograd (``torch.func.jacfwd``): the sampler may be any Python callable (numpy, torch,
a library's loop) and need not be differentiable; :math:`n + 2` calls of the callable itself are exact for an
affine map, and the affinity residual says whether the premise holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import block_diag

from theorylab.errors import ConfigError
from theorylab.tolerances import PROBE_AFFINE_RTOL

__all__ = ["AffineProbe", "probe_affine"]

#: ``run(x_T, noises) -> Y``: x_T of shape (d,), noises a list of K arrays of shape (m,); Y of shape (p,).
Run = Callable[[np.ndarray, list[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class AffineProbe:
    """The affine map ``Y = A u + b`` recovered by probing, and how affine the callable was found to be.

    Attributes
    ----------
    A : ndarray, shape (p, n)
        Columns ordered as u = (x_T, z_1, ..., z_K).
    b : ndarray, shape (p,)
    state_dim, noise_dims : int, tuple of int
        Sizes of x_T and of each z_k.
    residual : float
        max |run(u) - (A u + b)| / (1 + max |run(u)|) at a standard normal input u (seeded).
    """

    A: np.ndarray
    b: np.ndarray
    state_dim: int
    noise_dims: tuple[int, ...]
    residual: float

    @property
    def affine(self) -> bool:
        """Whether the residual is within :data:`~theorylab.tolerances.PROBE_AFFINE_RTOL`."""
        return bool(self.residual <= PROBE_AFFINE_RTOL)

    def input_covariance(self, prior_cov: np.ndarray) -> np.ndarray:
        """S = diag(prior_cov, I, ..., I): x_T ~ N(., prior_cov) independent of standard normal noises."""
        return block_diag(np.atleast_2d(prior_cov), *(np.eye(m) for m in self.noise_dims))

    def law(self, prior_mean: np.ndarray, prior_cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of Y when x_T ~ N(prior_mean, prior_cov) and z_k ~ N(0, I) independently:
        (A m + b, A S A^T) with m = (prior_mean, 0, ..., 0)."""
        if not self.affine:
            raise ValueError(f"the sampler is not affine in its inputs (residual {self.residual:.3g} > "
                             f"{PROBE_AFFINE_RTOL:g}): its law is not N(Am + b, A S A^T)")
        m = np.concatenate([np.atleast_1d(np.asarray(prior_mean, dtype=np.float64)),
                            np.zeros(sum(self.noise_dims))])
        S = self.input_covariance(np.asarray(prior_cov, dtype=np.float64))
        cov = self.A @ S @ self.A.T
        return self.A @ m + self.b, 0.5 * (cov + cov.T)


def _split(u: np.ndarray, state_dim: int, noise_dims: Sequence[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    offsets = np.cumsum([state_dim, *noise_dims])
    parts = np.split(u, offsets[:-1])
    return parts[0], list(parts[1:])


def probe_affine(run: Run, state_dim: int, noise_dims: Sequence[int], *, seed: int = 0) -> AffineProbe:
    """Recover (A, b) of ``run`` by unit inputs, and check affinity at one seeded random input.

    Parameters
    ----------
    run : callable
        ``run(x_T, noises) -> Y`` (module docstring); called ``n + 2`` times, n = state_dim + sum(noise_dims).
    state_dim : int
        Size of x_T.
    noise_dims : sequence of int
        Size of each step's noise z_k (K entries; 0 entries are allowed for deterministic steps).
    seed : int
        Seed of the random input of the affinity check.
    """
    if state_dim < 1 or any(m < 0 for m in noise_dims):
        raise ConfigError(f"probe_affine: state_dim must be >= 1 and noise sizes >= 0, got {state_dim}, "
                          f"{list(noise_dims)}")
    noise_dims = tuple(int(m) for m in noise_dims)
    n = state_dim + sum(noise_dims)

    def call(u: np.ndarray) -> np.ndarray:
        x, z = _split(u, state_dim, noise_dims)
        return np.atleast_1d(np.asarray(run(x.copy(), [zk.copy() for zk in z]), dtype=np.float64))

    b = call(np.zeros(n))
    A = np.empty((b.shape[0], n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        A[:, i] = call(e) - b
    u = np.random.default_rng(seed).standard_normal(n)
    y = call(u)
    residual = float(np.max(np.abs(y - (A @ u + b))) / (1.0 + np.max(np.abs(y))))
    return AffineProbe(A, b, state_dim, noise_dims, residual)
