"""Score with a constant bias of norm M (seed 000, slide 'Convergencia de modelos de difusión').

The convergence theorem of De Bortoli et al. (2021) assumes :math:`\\|s_\\theta(t,x) - \\nabla\\log p_t(x)\\| \\le M`
for all :math:`t, x`. The simplest score meeting it with equality everywhere is

.. math::

    s(t, x) = s_{\\text{base}}(t, x) + M u, \\qquad \\|u\\| = 1,

which keeps affine scores affine (only :math:`b` moves), so Gaussian laws stay Gaussian through the samplers.
"""

from __future__ import annotations

import numpy as np

from theorylab.errors import ConfigError
from theorylab.scores.base import Score, as_like, check_nonnegative, work_of

__all__ = ["BiasedScore", "unit_vector"]


def unit_vector(direction, dim: int | None, name: str = "score.direction") -> np.ndarray:
    """Normalise ``direction`` (default: the first basis vector :math:`e_1` of :math:`\\mathbb R^d`)."""
    if direction is None:
        if dim is None:
            raise ConfigError(f"{name}: the base score has no known dim; pass an explicit direction")
        u = np.zeros(int(dim))
        u[0] = 1.0
        return u
    u = np.asarray(direction, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(u))
    if not np.all(np.isfinite(u)) or norm == 0.0:
        raise ConfigError(f"{name}: must be a finite non-zero vector, got {direction!r}")
    if dim is not None and u.size != int(dim):
        raise ConfigError(f"{name}: must have length d={dim}, got {u.size}")
    return u / norm


class BiasedScore(Score):
    """:math:`s(t, x) = s_{\\text{base}}(t, x) + M u` with :math:`\\|u\\| = 1`; sup-norm error exactly :math:`M`.

    Parameters
    ----------
    base : callable ``base(t, x)``
        The score to perturb (typically an :class:`~theorylab.scores.ExactScore`).
    M : float
        Size of the bias, ``>= 0`` (``ConfigError`` ``"score.M: must be >= 0"``).
    direction : array_like, shape (d,), optional
        Direction of the bias, normalised to unit length; default :math:`e_1 = (1, 0, \\dots, 0)`.
    """

    def __init__(self, base, M: float, direction=None):
        self.base = base
        self.M = check_nonnegative("score.M", M)
        self.dim = getattr(base, "dim", None)
        self.direction = unit_vector(direction, self.dim)
        if self.dim is None:
            self.dim = int(self.direction.size)
        self._shift = self.M * self.direction

    def __call__(self, t: float, x):
        return self.base(t, x) + as_like(self._shift, x)

    def work_per_particle(self) -> float | None:
        """The base score's work plus one pass over the particle (the shift); ``None`` when the base's is unknown."""
        return work_of(self.base, plus=self.dim)

    def affine(self, t: float):
        """``(A, b + M u)`` when the base score is affine, else ``None``."""
        base_affine = getattr(self.base, "affine", None)
        ab = base_affine(t) if base_affine is not None else None
        if ab is None:
            return None
        A, b = ab
        return np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64) + self._shift

    def eigenbasis(self):
        """The base score's eigenbasis (a constant bias keeps :math:`A_t`)."""
        getter = getattr(self.base, "eigenbasis", None)
        return getter() if getter is not None else (False, None)

    def eigen_affine(self, t: float):
        """``(a, c + M U^T u)`` when the base score has an eigen form, else ``None``."""
        getter = getattr(self.base, "eigen_affine", None)
        ac = getter(t) if getter is not None else None
        if ac is None:
            return None
        _, basis = self.eigenbasis()
        shift = self._shift if basis is None else basis.T @ self._shift
        return ac[0], ac[1] + shift

    def __repr__(self) -> str:
        return f"BiasedScore({self.base!r}, M={self.M!r}, direction={self.direction.tolist()!r})"
