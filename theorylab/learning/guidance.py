"""Classifier guidance: the score of :math:`p_t(x \\mid y)` from an unconditional score and a classifier.

Seed 002, slide 'Geração Condicional' (Bayes' rule):

.. math::

    p_t(x \\mid y) \\propto p_t(y \\mid x)\\,p_t(x) \\quad\\Longrightarrow\\quad
    \\nabla_x \\log p_t(x \\mid y) = \\nabla_x \\log p_t(y \\mid x) + \\nabla_x \\log p_t(x),

plugged into the reverse SDE :math:`dx = \\{f(x,t) - g(t)^2[\\nabla\\log p_t(y|x) + \\nabla\\log p_t(x)]\\}dt +
g(t)\\,d\\bar W` (or the probability-flow ODE). ``scale`` :math:`w` multiplies the classifier term
(:math:`w = 1` is the identity above; :math:`w > 1` sharpens :math:`p_t(y\\mid x)^w`, Dhariwal & Nichol 2021).
The classifier gradient is taken by autograd of :math:`\\log\\mathrm{softmax}` at the requested label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.errors import ConfigError
from theorylab.scores.base import Score

__all__ = ["ClassifierGuidedScore"]


class ClassifierGuidedScore(Score):
    """:math:`s(t, x) + w\\,\\nabla_x \\log q_\\phi(y \\mid x, t)` for requested labels ``y``.

    Parameters
    ----------
    score : Score
        Unconditional score :math:`\\approx\\nabla\\log p_t` (e.g. a :class:`~theorylab.learning.score.LearnedScore`).
    classifier : TrainedClassifier
        :math:`q_\\phi(y\\mid x_t, t) \\approx p_t(y \\mid x_t)`.
    labels : int or array of int, shape ``(n,)``
        The label of every particle (one int: all particles).
    scale : float
        Guidance weight :math:`w \\ge 0`.
    """

    def __init__(self, score: Score, classifier: Any, labels: Any, scale: float = 1.0):
        if not (np.isfinite(scale) and scale >= 0):
            raise ConfigError(f"guidance.scale: must be >= 0, got {scale!r}")
        labels = np.atleast_1d(np.asarray(labels))
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or labels.size == 0:
            raise ConfigError("guidance.labels: must be an integer or a 1D array of integers")
        if labels.min() < 0 or labels.max() >= classifier.n_classes:
            raise ConfigError(f"guidance.labels: must lie in 0..{classifier.n_classes - 1}, got {labels.tolist()[:5]}")
        self.score, self.classifier, self.scale = score, classifier, float(scale)
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.dim = getattr(score, "dim", None)

    def classifier_gradient(self, t: float, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\nabla_x \\log q_\\phi(y \\mid x, t)` per particle, like ``x``."""
        n = x.shape[0]
        labels = self.labels if self.labels.numel() > 1 else self.labels.expand(n)
        if labels.shape[0] != n:
            raise ConfigError(f"guidance.labels: {labels.shape[0]} labels for {n} particles")
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            times = torch.full((n,), float(t), dtype=x.dtype, device=x.device)
            logp = torch.log_softmax(self.classifier.logits(times, xg), dim=1)
            chosen = logp.gather(1, labels.to(logp.device)[:, None]).sum()
            (grad,) = torch.autograd.grad(chosen, xg)
        return grad.to(device=x.device, dtype=x.dtype)

    def __call__(self, t: float, x):
        if not isinstance(x, torch.Tensor):
            xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
            return self(t, xt).numpy()
        return self.score(t, x) + self.scale * self.classifier_gradient(t, x)
