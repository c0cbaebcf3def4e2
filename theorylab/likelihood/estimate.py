"""Mean NLL with an interval that counts the data sampling and the Hutchinson noise together; bits per dimension.

Each data point :math:`x_i` gets its own NLL estimate :math:`Y_i = -\\log\\pi(x_i(T)) - \\int \\hat\\delta_i`, with
its own Hutchinson probes; the pairs (data point, probes) are i.i.d., so the :math:`Y_i` are i.i.d. with mean
:math:`\\mathbb E_{p_{\\rm data}}[-\\log q_\\varepsilon]` (plus the ODE solver's bias) and a variance that is the
sum of the data variance and the mean Hutchinson variance (law of total variance). The Student-t interval
:math:`\\bar Y \\pm t_{n-1, (1+\\ell)/2}\\, s/\\sqrt n` (``scipy.stats.t``) therefore covers both noises; its coverage
on the closed form is tested in ``tests/likelihood/test_coverage.py``. It does not cover the ODE discretisation
bias, which is reported apart (the gap decomposition).

Bits per dimension: :math:`\\text{bpd} = \\text{NLL}/(d\\ln 2)` for continuous data. Discrete data (``levels`` =
:math:`L`): integer codes :math:`k \\in \\{0,\\dots,L-1\\}^d` are uniformly dequantised, :math:`y = (k + U)/L`,
:math:`U\\sim U[0,1)^d` (Theis et al. 2016; the convention of score_sde_pytorch's ``bpd`` with its offset), and
:math:`-\\log P(k) \\le \\mathbb E_U[-\\log q(y)] + d\\ln L` by Jensen, so the reported
:math:`\\text{bpd} = (\\text{NLL}_y + d\\ln L)/(d\\ln 2)` is an upper bound of the discrete bits per dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from theorylab.divergences.estimate import wilson_interval

__all__ = ["NLLSummary", "summarise", "wilson_interval"]


@dataclass(frozen=True)
class NLLSummary:
    """Mean NLL per sample (nats) and its interval."""

    value: float
    lower: float
    upper: float
    level: float
    std: float
    n: int

    def bits_per_dim(self, d: int, levels: int = 0) -> tuple[float, float, float]:
        """``(bpd, lower, upper)``: :math:`(\\text{NLL} + d\\ln L)/(d\\ln 2)` (no :math:`\\ln L` term for
        continuous data)."""
        shift = d * math.log(levels) if levels else 0.0
        scale = d * math.log(2.0)
        return ((self.value + shift) / scale, (self.lower + shift) / scale, (self.upper + shift) / scale)


def summarise(values: np.ndarray, level: float = 0.95) -> NLLSummary:
    """Mean and Student-t interval of i.i.d. per-sample NLLs ``values`` (shape ``(n,)``, ``n >= 2``)."""
    values = np.asarray(values, dtype=np.float64)
    n = int(values.size)
    mean = float(values.mean())
    sd = float(values.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * sd / math.sqrt(n)
    return NLLSummary(mean, mean - half, mean + half, float(level), sd, n)


