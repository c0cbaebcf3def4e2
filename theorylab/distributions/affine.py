"""Parsing of the affine map :math:`x \\mapsto A x + b + \\mathcal N(0, N)` used by ``affine_pushforward``.

The law of :math:`A X + b + \\varepsilon`, :math:`\\varepsilon \\sim \\mathcal N(0, N)` independent of :math:`X`, maps
each Gaussian component :math:`\\mathcal N(\\mu, \\Sigma)` to :math:`\\mathcal N(A\\mu + b, A\\Sigma A^\\top + N)`.
The forward OU process and its Euler–Maruyama chain are such maps with :math:`A = \\alpha I`,
:math:`N = \\sigma^2 I` (see :mod:`theorylab.distributions.marginals`); a projection :math:`A \\in
\\mathbb R^{d' \\times d}` gives a marginal law.

Accepted shapes (``d`` the input dimension, ``d'`` the output dimension):

* ``A``: scalar :math:`a` (:math:`a I_d`), ``(d,)`` (diagonal) or ``(d', d)``;
* ``b``: scalar (broadcast) or ``(d',)``;
* ``noise_cov``: scalar :math:`s \\ge 0` (:math:`s I_{d'}`), ``(d',)`` (diagonal, :math:`\\ge 0`) or ``(d', d')``
  symmetric positive semi-definite (zero allowed: a deterministic map).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.distributions.validation import as_float_array
from theorylab.errors import ConfigError
from theorylab.tolerances import COV_SYMMETRY_RTOL

__all__ = ["parse_affine", "pushforward_gaussian"]


def parse_affine(A: Any, b: Any, noise_cov: Any, dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(A, b, N)`` as float64 arrays of shapes ``(d', d)``, ``(d',)``, ``(d', d')``."""
    a = as_float_array(A, "A")
    if a.ndim == 0:
        matrix = float(a) * np.eye(dim)
    elif a.ndim == 1:
        if a.shape[0] != dim:
            raise ConfigError(f"A: diagonal has length {a.shape[0]}, expected {dim}")
        matrix = np.diag(a)
    elif a.ndim == 2:
        if a.shape[1] != dim:
            raise ConfigError(f"A: has shape {a.shape}, expected (d_out, {dim})")
        matrix = a
    else:
        raise ConfigError(f"A: must be a scalar, a diagonal or a matrix, got shape {a.shape}")
    d_out = matrix.shape[0]
    shift = as_float_array(b, "b")
    if shift.ndim == 0:
        shift = np.full(d_out, float(shift))
    if shift.shape != (d_out,):
        raise ConfigError(f"b: has shape {shift.shape}, expected ({d_out},)")
    n = as_float_array(noise_cov, "noise_cov")
    if n.ndim == 0:
        noise = float(n) * np.eye(d_out)
    elif n.ndim == 1 and n.shape[0] == d_out:
        noise = np.diag(n)
    elif n.shape == (d_out, d_out):
        noise = n.copy()
    else:
        raise ConfigError(f"noise_cov: has shape {n.shape}, expected a scalar, ({d_out},) or ({d_out}, {d_out})")
    scale = float(np.max(np.abs(noise))) if noise.size else 0.0
    if float(np.max(np.abs(noise - noise.T))) > COV_SYMMETRY_RTOL * scale:
        raise ConfigError("noise_cov: is not symmetric")
    noise = 0.5 * (noise + noise.T)
    if scale > 0.0 and float(np.min(np.linalg.eigvalsh(noise))) < -COV_SYMMETRY_RTOL * scale:
        raise ConfigError("noise_cov: must be positive semi-definite")
    return matrix, shift, noise


def pushforward_gaussian(
    mean: np.ndarray, cov: np.ndarray, A: np.ndarray, b: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (symmetrised) covariance of :math:`A X + b + \\varepsilon` for
    :math:`X \\sim \\mathcal N(\\mu, \\Sigma)`."""
    new_cov = A @ cov @ A.T + noise
    return A @ mean + b, 0.5 * (new_cov + new_cov.T)
