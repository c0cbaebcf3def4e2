"""Score plus a smooth, non-constant perturbation of sup-norm exactly M.

Seed 000, slide 'Convergencia de modelos de difusión' (De Bortoli et al. 2021).

The theorem's hypothesis :math:`\\sup_{t,x}\\|s(t,x) - \\nabla\\log p_t(x)\\| \\le M` is met *with equality* by

.. math::

    e(t, x) = M\\,u\\,\\sin(\\omega\\langle v, x\\rangle + \\varphi t + \\theta_0),
    \\qquad \\|u\\| = \\|v\\| = 1,\\ \\omega > 0.

Why the supremum is exactly :math:`M`, and attained: :math:`\\|e(t,x)\\| = M|\\sin(\\cdot)| \\le M`; for every
:math:`t` the set :math:`\\{x : \\omega\\langle v, x\\rangle + \\varphi t + \\theta_0 = \\pi/2\\}` is a non-empty
hyperplane (:math:`\\omega v \\ne 0`), on which :math:`\\|e\\| = M`. So
:math:`\\sup_{t,x}\\|e\\| = \\max_x\\|e(t,x)\\| = M`
at every time. The field is :math:`C^\\infty`, non-constant for :math:`M > 0`, with
:math:`\\|\\nabla_x e\\| = M\\omega|\\cos(\\cdot)| \\le M\\omega` (Lipschitz constant :math:`M\\omega`) and
:math:`|\\partial_t e| \\le M|\\varphi|`; unlike a constant bias it does not keep Gaussian laws Gaussian.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theorylab.errors import ConfigError
from theorylab.scores.base import Score, as_like, check_nonnegative, work_of
from theorylab.scores.biased import unit_vector

__all__ = ["SmoothPerturbedScore"]


class SmoothPerturbedScore(Score):
    """:math:`s(t, x) = s_{\\text{base}}(t, x) + M u \\sin(\\omega\\langle v, x\\rangle + \\varphi t + \\theta_0)`.

    Parameters
    ----------
    base : callable ``base(t, x)``
        Score to perturb.
    M : float
        Sup-norm of the perturbation, ``>= 0`` (``ConfigError`` ``"score.M: must be >= 0"``).
    frequency : float
        Spatial frequency :math:`\\omega > 0`.
    direction : array_like (d,), optional
        :math:`u`, normalised; default :math:`e_1`.
    wave_vector : array_like (d,), optional
        :math:`v`, normalised; default :math:`u`.
    time_frequency : float
        :math:`\\varphi` (any real); default 1.
    phase : float
        :math:`\\theta_0`; default 0.
    """

    def __init__(self, base, M: float, frequency: float = 1.0, direction=None, wave_vector=None,
                 time_frequency: float = 1.0, phase: float = 0.0):
        self.base = base
        self.M = check_nonnegative("score.M", M)
        try:
            self.frequency = float(frequency)
        except (TypeError, ValueError):
            raise ConfigError(f"score.frequency: must be > 0, got {frequency!r}") from None
        if not (math.isfinite(self.frequency) and self.frequency > 0):
            raise ConfigError(f"score.frequency: must be > 0, got {frequency!r}")
        for name, value in (("score.time_frequency", time_frequency), ("score.phase", phase)):
            if not math.isfinite(float(value)):
                raise ConfigError(f"{name}: must be finite, got {value!r}")
        self.time_frequency = float(time_frequency)
        self.phase = float(phase)
        self.dim = getattr(base, "dim", None)
        self.direction = unit_vector(direction, self.dim)
        if self.dim is None:
            self.dim = int(self.direction.size)
        self.wave_vector = (
            self.direction.copy() if wave_vector is None
            else unit_vector(wave_vector, self.dim, name="score.wave_vector")
        )

    def phase_at(self, t: float, x):
        """The argument :math:`\\omega\\langle v, x\\rangle + \\varphi t + \\theta_0`, shape ``(...)``."""
        v = as_like(self.wave_vector, x)
        return self.frequency * (x @ v) + (self.time_frequency * float(t) + self.phase)

    def perturbation(self, t: float, x):
        """:math:`e(t, x)`, same shape and kind as ``x``."""
        arg = self.phase_at(t, x)
        amp = self.M * (torch.sin(arg) if isinstance(arg, torch.Tensor) else np.sin(arg))
        return amp[..., None] * as_like(self.direction, x)

    def __call__(self, t: float, x):
        return self.base(t, x) + self.perturbation(t, x)

    def work_per_particle(self) -> float | None:
        """The base score's work plus the perturbation's few passes (a dot product, a sine, a product, a sum);
        ``None`` when the base's is unknown."""
        return work_of(self.base, plus=10 * self.dim)

    def affine(self, t: float):
        """Not affine unless ``M == 0`` (then the base score's ``affine``)."""
        if self.M == 0.0:
            base_affine = getattr(self.base, "affine", None)
            return base_affine(t) if base_affine is not None else None
        return None

    def __repr__(self) -> str:
        return (f"SmoothPerturbedScore({self.base!r}, M={self.M!r}, frequency={self.frequency!r}, "
                f"time_frequency={self.time_frequency!r}, phase={self.phase!r})")
