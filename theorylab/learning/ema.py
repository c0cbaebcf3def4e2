"""The exponential moving average of the weights (seed 000, slide 'Exponential Moving Average (EMA)').

.. math:: \\bar\\theta_{n+1} = (1-m)\\,\\bar\\theta_n + m\\,\\theta_{n+1}, \\qquad \\bar\\theta_0 = \\theta_0,

with :math:`m` the slide's rate ("the forgetting of the initial conditions"; :mod:`theorylab.symbolic.ema` derives
the closed form and the half-life :math:`\\ln 2/(-\\ln(1-m))` steps). The averaging is torch's own
(:class:`torch.optim.swa_utils.AveragedModel` with ``get_ema_multi_avg_fn(decay=1-m)``, a fused ``lerp``); this
class fixes the slide's parameterisation by the rate :math:`m` rather than torch's decay :math:`1-m`, and averages
buffers too (the fixed Fourier projections are constant, so averaging them leaves them unchanged).
"""

from __future__ import annotations

import math

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from theorylab.errors import ConfigError

__all__ = ["EMA"]


class EMA:
    """An exponential moving average :math:`\\bar\\theta` of a module's weights with rate ``m``.

    Parameters
    ----------
    model : torch.nn.Module
        The trained module; :attr:`module` is a deep copy holding :math:`\\bar\\theta`.
    rate : float
        :math:`m \\in (0, 1]`; ``m = 1`` makes the average the last iterate.

    Notes
    -----
    The first :meth:`update` copies :math:`\\theta` (torch's convention, :math:`\\bar\\theta_0 = \\theta_0`); each
    later call applies the update above.
    """

    def __init__(self, model: nn.Module, rate: float):
        rate = float(rate)
        if not (math.isfinite(rate) and 0.0 < rate <= 1.0):
            raise ConfigError(f"training.ema: must lie in (0, 1], got {rate!r}")
        self.rate = rate
        self._averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay=1.0 - rate), use_buffers=True)

    @property
    def module(self) -> nn.Module:
        """The module holding the averaged weights :math:`\\bar\\theta`."""
        return self._averaged.module

    @property
    def n_updates(self) -> int:
        return int(self._averaged.n_averaged)

    def update(self, model: nn.Module) -> None:
        """:math:`\\bar\\theta \\leftarrow (1-m)\\bar\\theta + m\\theta` (a copy of :math:`\\theta` the first time)."""
        self._averaged.update_parameters(model)

    def state_dict(self) -> dict:
        return self._averaged.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self._averaged.load_state_dict(state)
