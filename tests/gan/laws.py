"""Laws shared by the GAN-lab tests, each with its source."""

from __future__ import annotations

import numpy as np

from theorylab.distributions import Gaussian, GaussianMixture

#: Seed 002, slide "Mistura de gaussianas": 1/2 N(-3, 1/4) + 1/2 N(3, 1) (variances).
SEED_GMM = GaussianMixture([0.5, 0.5], [-3.0, 3.0], [0.25, 1.0])
#: The generator law at initialisation of theorylab.gan.networks.Generator (latent_dim = d): N(0, I).
STANDARD_1D = Gaussian([0.0], [1.0])
STANDARD_2D = Gaussian([0.0, 0.0], 1.0)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """The ring of Gaussians of the mode-collapse literature (Metz et al. 2017): equal weights, isotropic."""
    angles = 2.0 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(np.full(n_modes, 1.0 / n_modes), means, np.full(n_modes, std**2))


#: A 2D pair with correlated, unequal covariances (cheap: smallest std ~0.5).
PI_2D = GaussianMixture([0.3, 0.7], [[0.0, 0.0], [2.0, 1.0]], [[[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.1], [0.1, 0.3]]])
MU_2D = Gaussian([0.5, -0.2], [[1.0, 0.3], [0.3, 0.5]])
