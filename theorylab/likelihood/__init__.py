"""Likelihood of data under the probability-flow ODE, checked against closed forms (issue 17).

* :func:`likelihood` -- config -> NLL (nats, bits/dim) with a CI, the closed form and the gap decomposition
  (:mod:`theorylab.likelihood.run`);
* :class:`DiagonalGaussianFlow` -- closed forms of the PF-ODE model on Gaussian targets (exact or biased score);
* :func:`integrate_divergence` -- the instantaneous change of variables integrated by ``solve_ivp``;
* :mod:`theorylab.likelihood.bound` -- Song, Durkan, Murray & Ermon (2021), Theorem 1, on Gaussian targets.
"""

from theorylab.likelihood.config import LikelihoodConfig
from theorylab.likelihood.estimate import NLLSummary, summarise, wilson_interval
from theorylab.likelihood.gaussian import DiagonalGaussianFlow, eigenbasis
from theorylab.likelihood.ode import FlowSolution, integrate_divergence
from theorylab.likelihood.run import LikelihoodResult, likelihood

__all__ = [
    "DiagonalGaussianFlow",
    "FlowSolution",
    "LikelihoodConfig",
    "LikelihoodResult",
    "NLLSummary",
    "eigenbasis",
    "integrate_divergence",
    "likelihood",
    "summarise",
    "wilson_interval",
]
