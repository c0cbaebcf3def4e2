"""Validation of user-supplied distribution parameters, with one-line :class:`ConfigError` messages naming the key.

Every check here turns a malformed parameter into e.g. ``ConfigError("target.covs: covariance 1 is not positive
definite")``. The ``key`` argument is the name the user typed (``"cov"`` for the Python constructor,
``"target.cov"`` for a TOML ``[target]`` table), so the message points at the line to fix.

Accepted shapes (``d`` the dimension, ``K`` the number of mixture components):

==============  =======================================================================
mean            scalar (``d = 1``) or ``(d,)``
cov             scalar :math:`s` (:math:`s I_d`), ``(d,)`` (diagonal) or ``(d, d)`` (full)
weights         ``(K,)``, positive, summing to 1 within :data:`~theorylab.tolerances.MIXTURE_WEIGHT_SUM_ATOL`
means           ``(K,)`` (``d = 1``) or ``(K, d)``
covs            ``(K,)`` (isotropic :math:`s_k I_d`), ``(K, d)`` (diagonal) or ``(K, d, d)`` (full)
==============  =======================================================================
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.errors import ConfigError
from theorylab.tolerances import COV_SYMMETRY_RTOL, MIXTURE_WEIGHT_SUM_ATOL, PSD_EIGEN_RTOL

__all__ = [
    "as_float_array",
    "key_of",
    "validate_cov",
    "validate_covs",
    "validate_eigenvalues",
    "validate_mean",
    "validate_means",
    "validate_weights",
]


def key_of(prefix: str, name: str) -> str:
    """Join a config prefix and a parameter name: ``key_of("target", "cov") == "target.cov"``."""
    return f"{prefix}.{name}" if prefix else name


def as_float_array(value: Any, key: str) -> np.ndarray:
    """Convert ``value`` to a finite float64 array, or raise :class:`ConfigError` naming ``key``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ConfigError(f"{key}: must be a number or a (nested) list of numbers, got {value!r}")
    try:
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().numpy()
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{key}: must be a number or a rectangular (nested) list of numbers ({exc})") from None
    if not np.all(np.isfinite(array)):
        raise ConfigError(f"{key}: all entries must be finite, got {_short(array)}")
    return array


def validate_mean(mean: Any, key: str) -> np.ndarray:
    """Return a mean vector of shape ``(d,)`` (a scalar means ``d = 1``)."""
    array = as_float_array(mean, key)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size == 0:
        raise ConfigError(f"{key}: must be a number or a non-empty list of numbers, got shape {array.shape}")
    return array


def validate_cov(cov: Any, key: str, dim: int, what: str = "covariance", *,
                 allow_singular: bool = False) -> np.ndarray:
    """Return a symmetric positive definite ``(dim, dim)`` matrix from a scalar, a diagonal or a full matrix.

    With ``allow_singular``, a positive **semi**-definite matrix is accepted too: its smallest eigenvalue may be 0
    (down to :math:`-` :data:`~theorylab.tolerances.PSD_EIGEN_RTOL` times the largest, round-off).

    Raises
    ------
    ConfigError
        If the shape does not match ``dim``, the matrix is not symmetric (relative tolerance
        :data:`~theorylab.tolerances.COV_SYMMETRY_RTOL`), its Cholesky factorisation fails (without
        ``allow_singular``) or it has a negative eigenvalue (with ``allow_singular``).
    """
    array = as_float_array(cov, key)
    if array.ndim == 0:
        matrix = float(array) * np.eye(dim)
    elif array.ndim == 1:
        if array.shape[0] != dim:
            raise ConfigError(f"{key}: diagonal {what} has length {array.shape[0]}, expected {dim}")
        matrix = np.diag(array)
    elif array.ndim == 2:
        if array.shape != (dim, dim):
            raise ConfigError(f"{key}: {what} has shape {array.shape}, expected ({dim}, {dim})")
        matrix = array.copy()
    else:
        raise ConfigError(f"{key}: {what} must be a scalar, a diagonal or a matrix, got shape {array.shape}")
    scale = float(np.max(np.abs(matrix))) if matrix.size else 0.0
    if float(np.max(np.abs(matrix - matrix.T))) > COV_SYMMETRY_RTOL * scale:
        raise ConfigError(f"{key}: {what} is not symmetric")
    matrix = 0.5 * (matrix + matrix.T)
    diagonal = np.diag(matrix)
    if np.count_nonzero(matrix - np.diag(diagonal)) == 0:  # diagonal: its entries are its eigenvalues, no O(d^3)
        smallest = float(np.min(diagonal)) if diagonal.size else 0.0
        if smallest <= 0.0 and not allow_singular:
            raise ConfigError(f"{key}: {what} is not positive definite")
        if smallest < -PSD_EIGEN_RTOL * max(float(np.max(diagonal)), 0.0):
            raise ConfigError(f"{key}: {what} is not positive semi-definite (smallest eigenvalue {smallest:.3g})")
        return matrix
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        if not allow_singular:
            raise ConfigError(f"{key}: {what} is not positive definite") from None
        eigenvalues = np.linalg.eigvalsh(matrix)
        if float(eigenvalues[0]) < -PSD_EIGEN_RTOL * max(float(eigenvalues[-1]), 0.0):
            raise ConfigError(f"{key}: {what} is not positive semi-definite (smallest eigenvalue "
                              f"{float(eigenvalues[0]):.3g})") from None
    return matrix


def validate_eigenvalues(values: Any, key: str, dim: int | None = None) -> np.ndarray:
    """Return covariance eigenvalues (or variances) ``(d,)``: finite and ``>= 0`` (zeros allowed: a singular law;
    all zeros is a Dirac mass); ``dim``, if given, checks the length."""
    array = as_float_array(values, key)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size == 0:
        raise ConfigError(f"{key}: must be a non-empty list of numbers, got shape {array.shape}")
    if dim is not None and array.shape[0] != dim:
        raise ConfigError(f"{key}: has length {array.shape[0]}, expected {dim}")
    for index, v in enumerate(array):
        if not v >= 0.0:
            raise ConfigError(f"{key}: entry {index} must be >= 0, got {float(v)!r}")
    return array


def validate_weights(weights: Any, key: str) -> np.ndarray:
    """Return mixture weights ``(K,)``: positive, summing to 1 within a named tolerance, then renormalised."""
    array = as_float_array(weights, key)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1 or array.size == 0:
        raise ConfigError(f"{key}: must be a non-empty list of numbers, got shape {array.shape}")
    for index, w in enumerate(array):
        if not w > 0.0:
            raise ConfigError(f"{key}: weight {index} must be positive, got {w!r}")
    total = float(np.sum(array))
    if abs(total - 1.0) > MIXTURE_WEIGHT_SUM_ATOL:
        raise ConfigError(f"{key}: must sum to 1 (within {MIXTURE_WEIGHT_SUM_ATOL:g}), got sum {total!r}")
    return array / total


def validate_means(means: Any, key: str, n_components: int) -> np.ndarray:
    """Return component means ``(K, d)`` from ``(K,)`` (``d = 1``) or ``(K, d)``."""
    array = as_float_array(means, key)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ConfigError(f"{key}: must be a list of K numbers or K lists of d numbers, got shape {array.shape}")
    if array.shape[0] != n_components:
        raise ConfigError(f"{key}: has {array.shape[0]} components, but weights has {n_components}")
    return array


def validate_covs(covs: Any, key: str, n_components: int, dim: int) -> np.ndarray:
    """Return component covariances ``(K, d, d)`` from ``(K,)``, ``(K, d)`` or ``(K, d, d)``.

    Each covariance is checked by :func:`validate_cov`; a failure names its index, e.g.
    ``"target.covs: covariance 1 is not positive definite"``.
    """
    array = as_float_array(covs, key)
    if array.ndim == 0 or array.ndim > 3:
        raise ConfigError(f"{key}: must be a list of K scalars, K diagonals or K matrices, got shape {array.shape}")
    if array.shape[0] != n_components:
        raise ConfigError(f"{key}: has {array.shape[0]} components, but weights has {n_components}")
    return np.stack([validate_cov(array[k], key, dim, what=f"covariance {k}") for k in range(n_components)])


def _short(array: np.ndarray) -> str:
    text = np.array2string(array, threshold=6, precision=4)
    return " ".join(text.split())
