"""The GAN lab: the optimal discriminator, the value of the game and GAN training, checked against known laws.

Seed 000, part 'Generative Adversarial Networks (GANs)': slides 'Definición Formal de una GAN' (the value
:math:`V(\\mu_G, \\mu_D)`, the optimal discriminator :math:`D^* = d\\pi/d(\\pi + \\mu_G)`, :math:`V(\\mu_G, D^*)`
and JS)
and 'Entrenando a tu GAN' (alternating stochastic gradient training). The symbolic side is
:mod:`theorylab.symbolic.gan`; this package supplies the numbers.

* :mod:`~theorylab.gan.config` — the ``[gan]`` table (``mode = "exact" | "discriminator" | "train"``),
  :class:`GanConfig`, :func:`load_gan_config`.
* :mod:`~theorylab.gan.quadrature` — integrals against two laws in 1D (quad) and 2D (product Gauss–Legendre) with
  error estimates.
* :mod:`~theorylab.gan.exact` — :math:`D^*`, :math:`V(\\mu_G, D^*)`, the identity :math:`V = 2\\mathrm{JS} - \\ln 4`,
  pointwise and perturbative optimality of :math:`D^*`.
* :mod:`~theorylab.gan.networks`, :mod:`~theorylab.gan.discriminator` — a learned :math:`D_\\theta` against a fixed
  generator law and its gaps to :math:`D^*`.
* :mod:`~theorylab.gan.kde`, :mod:`~theorylab.gan.modes`, :mod:`~theorylab.gan.training` — GAN training with JS
  (smoothed, with a Monte Carlo interval), value and mode coverage tracked.
* :mod:`~theorylab.gan.figures`, :mod:`~theorylab.gan.run` — :func:`run_gan`, tables first, figures from them.

Conventions: JS :math:`= \\tfrac12 KL(P\\|M) + \\tfrac12 KL(Q\\|M)`, natural log (so :math:`V(\\mu_G, D^*) =
2\\mathrm{JS} - \\ln 4`; the slide's :math:`\\mathrm{JS} - 2\\ln 2` is the un-halved convention).
"""

from theorylab.gan.config import GanConfig, load_gan_config
from theorylab.gan.exact import (
    check_pointwise_optimality,
    check_value_identity,
    js_exact,
    optimal_discriminator,
    perturbation_gaps,
    pointwise_objective,
    value_at_optimum,
    value_monte_carlo,
    value_of_logit,
)
from theorylab.gan.kde import IsotropicKDE, smoothed_js, smoothed_js_floor
from theorylab.gan.modes import ModeCoverage, mode_coverage
from theorylab.gan.run import GanResult, default_out_dir, run_gan

__all__ = [
    "GanConfig",
    "GanResult",
    "IsotropicKDE",
    "ModeCoverage",
    "check_pointwise_optimality",
    "check_value_identity",
    "default_out_dir",
    "js_exact",
    "load_gan_config",
    "mode_coverage",
    "optimal_discriminator",
    "perturbation_gaps",
    "pointwise_objective",
    "run_gan",
    "smoothed_js",
    "smoothed_js_floor",
    "value_at_optimum",
    "value_monte_carlo",
    "value_of_logit",
]
