"""A score network as a score: :math:`s_\\theta(t, x) = \\mathrm{net}(t/T, x)/\\sigma_t` (the noise parameterisation).

The exact score of :math:`p_t` near :math:`t = 0` has size :math:`1/\\sigma_t` (for data on a lower-dimensional set
it blows up like that), while :math:`\\sigma_t\\nabla\\log p_t(x_t) = -\\mathbb E[Z \\mid X_t = x_t]` stays of order
one. Dividing the network's output by :math:`\\sigma_t` lets it learn the bounded quantity; with the weighting
:math:`\\lambda(t) = \\sigma_t^2` the DSM loss becomes :math:`\\|\\mathrm{net} + Z\\|^2`, the noise-prediction loss
of DDPM (Ho et al. 2020; Song et al. 2021, the ``score_sde`` tutorial's ``marginal_prob_std`` division). The network
sees the normalised time :math:`\\tau = t/T \\in [0, 1]`, so one architecture serves any horizon.

``parameterisation="direct"`` drops the division (the network outputs the score itself), for comparisons.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from theorylab.errors import ConfigError
from theorylab.learning.coefficients import coefficients

__all__ = ["PARAMETERISATIONS", "ScoreModel"]

PARAMETERISATIONS = ("noise", "direct")


class ScoreModel(nn.Module):
    """A batched score function :math:`s_\\theta(t, x)` built from a raw network (``docs/learning.md``).

    Parameters
    ----------
    net : torch.nn.Module
        Called as ``net(tau, x)`` with ``tau`` of shape ``(n,)`` in ``[0, 1]`` and ``x`` of shape ``(n, d)``.
    process : theorylab.processes.Process
        The forward SDE whose :math:`\\sigma_t` scales the output and whose horizon :math:`T` normalises time.
    parameterisation : {"noise", "direct"}
        ``net / sigma_t`` (default) or ``net`` itself.
    """

    def __init__(self, net: nn.Module, process: Any, parameterisation: str = "noise"):
        super().__init__()
        if parameterisation not in PARAMETERISATIONS:
            raise ConfigError(f"network.parameterisation: must be one of {PARAMETERISATIONS}, got {parameterisation!r}")
        self.net = net
        self.process = process
        self.parameterisation = parameterisation

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """:math:`s_\\theta(t, x)` for forward times ``t`` of shape ``(n,)`` and points ``x`` of shape ``(n, d)``."""
        out = self.net(t / float(self.process.T), x)
        if self.parameterisation == "direct":
            return out
        sigma = coefficients(self.process, t).sigma
        return out / sigma.reshape((-1,) + (1,) * (out.ndim - 1))
