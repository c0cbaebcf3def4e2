"""Scores ``s(t, x)`` (layer ``scores``; see ``docs/architecture.md``).

* :class:`ExactScore` -- :math:`\\nabla\\log p_t` (continuous OU/VP/VE marginal) or :math:`\\nabla\\log p_k` (EM chain);
* :class:`BiasedScore` -- exact + constant bias :math:`Mu` (sup-norm error exactly :math:`M`; keeps affinity);
* :class:`SmoothPerturbedScore` -- exact + :math:`Mu\\sin(\\omega\\langle v,x\\rangle+\\varphi t+\\theta_0)`
  (sup-norm error exactly :math:`M`, attained; smooth, non-constant).

Learned scores come later (``learning/``) with the same call signature.
"""

from theorylab.scores.base import Score
from theorylab.scores.biased import BiasedScore
from theorylab.scores.exact import ExactScore
from theorylab.scores.smooth import SmoothPerturbedScore

SCORES: dict[str, type[Score]] = {
    "exact": ExactScore,
    "biased": BiasedScore,
    "smooth": SmoothPerturbedScore,
}

__all__ = ["SCORES", "BiasedScore", "ExactScore", "Score", "SmoothPerturbedScore"]
