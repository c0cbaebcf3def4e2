"""Target laws: Gaussians and Gaussian mixtures with exact forward marginals, and sample-only data sets.

* :class:`Gaussian`, :class:`GaussianMixture` — densities, scores, sampling, and exact laws of the forward OU process
  (:meth:`~Gaussian.ou_marginal`), of its Euler–Maruyama chain (:meth:`~Gaussian.chain_marginal`,
  :meth:`~Gaussian.chain_marginal_schedule`) and of affine maps plus Gaussian noise
  (:meth:`~Gaussian.affine_pushforward`), all in the same family.
* :class:`SmileDataset`, :class:`DigitsDataset` — sample-only (:class:`SampleDataset`).
* :func:`make_target` — build any of them from a ``[target]`` TOML table.

Densities are computed in torch float64; numpy in gives numpy out, a tensor in gives a tensor out on the same device
and dtype (:mod:`theorylab.distributions.base`).
"""

from theorylab.distributions.base import Distribution
from theorylab.distributions.datasets import DigitsDataset, SampleDataset, SmileDataset
from theorylab.distributions.factory import TARGET_BUILDERS, make_target
from theorylab.distributions.gaussian import Gaussian
from theorylab.distributions.marginals import chain_coefficients, chain_schedule_coefficients, ou_coefficients
from theorylab.distributions.mixture import GaussianMixture

__all__ = [
    "DigitsDataset",
    "Distribution",
    "Gaussian",
    "GaussianMixture",
    "SampleDataset",
    "SmileDataset",
    "TARGET_BUILDERS",
    "chain_coefficients",
    "chain_schedule_coefficients",
    "make_target",
    "ou_coefficients",
]
