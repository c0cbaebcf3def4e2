"""Learned scores: networks, score-matching losses, training, checkpoints and the measured score error.

Seed 002 (slides 'Treinando o score', 'Geração Condicional', the experiments) and seed 000 (slides
'Score-matching', 'Denoising Score matching', 'Exponential Moving Average (EMA)'). See ``docs/learning.md``.

==================  ==========================================================================================
module              concept
==================  ==========================================================================================
``coefficients``    :math:`\\alpha_t, \\sigma_t, g(t)^2` of a process at a batch of times (torch)
``networks``        ScoreMLP (Gaussian Fourier time features), ScoreConvNet (8x8), TimeClassifier
``model``           ScoreModel: :math:`s_\\theta(t,x) = \\mathrm{net}(t/T, x)/\\sigma_t`
``losses``          DSM with :math:`\\lambda(t)`, ISM with exact or Hutchinson divergence
``times``           training-time sampling (uniform, stratified)
``ema``             :math:`\\bar\\theta \\leftarrow (1-m)\\bar\\theta + m\\theta`
``config``          ``theorylab train`` config keys
``training``        the training loop (Adam, EMA, checkpoints, resume)
``checkpoint``      save / ``torch.load(weights_only=True)``
``score``           LearnedScore: a trained model as a ``Score`` for every sampler
``classifier``      time-dependent classifier :math:`p_t(y\\mid x_t)`
``guidance``        classifier guidance :math:`\\nabla\\log p_t(x|y) = \\nabla\\log p_t(y|x) + \\nabla\\log p_t(x)`
``error``           the score error profile (sup over a region and L2(p_t) against the exact score): the M profile
==================  ==========================================================================================

Submodules are imported on first use (``theorylab.learning.train`` and friends), so ``import theorylab`` stays
light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "train": "training", "TrainResult": "training", "TrainConfig": "config", "LearnedScore": "score",
    "ScoreModel": "model", "EMA": "ema", "dsm_loss": "losses", "ism_loss": "losses", "loss_weight": "losses",
    "score_error_profile": "error", "ScoreErrorProfile": "error", "ClassifierGuidedScore": "guidance",
    "train_classifier": "classifier", "TrainedClassifier": "classifier", "build_network": "networks",
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint", "sample_times": "times",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"theorylab.learning.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'theorylab.learning' has no attribute {name!r}")
