"""Trace estimators of the probability-flow Jacobian: exact, or Hutchinson's with fixed probes.

The divergence :math:`\\nabla\\cdot u = \\operatorname{tr} J` of the PF-ODE velocity is needed at every time of the
ODE solve. Exactly it costs :math:`d` vector-Jacobian products (or nothing when the Jacobian is known: affine
scores). Hutchinson (1989; FFJORD, Grathwohl et al. 2019; score_sde_pytorch ``likelihood.py``) replaces it by
:math:`\\varepsilon^\\top J\\varepsilon` with :math:`\\mathbb E[\\varepsilon\\varepsilon^\\top] = I`, the probe drawn
**once per ODE solve** and kept along the path, so that
:math:`\\int \\varepsilon^\\top J(t)\\varepsilon\\,dt` is unbiased for :math:`\\int\\operatorname{tr} J(t)\\,dt`.

Variance for a symmetric :math:`J` (Hutchinson 1989; Avron & Toledo 2011): Rademacher probes give
:math:`2\\sum_{i\\ne j}J_{ij}^2` (zero for a diagonal :math:`J`), Gaussian probes :math:`2\\|J\\|_F^2`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from theorylab.errors import ConfigError

__all__ = ["PROBES", "draw_probes"]

Probe = Literal["rademacher", "gaussian"]
PROBES: tuple[str, ...] = ("rademacher", "gaussian")


def draw_probes(kind: str, k: int, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` probes per data point, shape ``(k, n, d)``, float64, :math:`\\mathbb E[\\varepsilon\\varepsilon^\\top] = I`.

    ``numpy.random.Generator.choice``/``standard_normal`` are used directly: no library routine draws the probe
    *and* keeps it fixed along an external ODE solve, which is the point here.
    """
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(k, n, d))
    if kind == "gaussian":
        return rng.standard_normal((k, n, d))
    raise ConfigError(f"likelihood.probe: must be one of {PROBES}, got {kind!r}")
