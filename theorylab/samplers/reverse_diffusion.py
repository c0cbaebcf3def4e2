"""``reverse-diffusion``: the reverse-diffusion predictor of score_sde_pytorch (Song et al., ICLR 2021, eq. 46;
``ReverseDiffusionPredictor``), one of the two discretisations seed 002 names ('SMLD e DDPM como discretizações').

The forward process discretised on the grid, :math:`X_{t^+} = X_{t^-} + f_i(X_{t^-}) + G_i Z`, is reversed step by
step as

.. math:: Y' = Y - f_i(Y) + G_i^2\\, s(t^+, Y) + G_i Z.

score_sde_pytorch's ``SDE.discretize`` uses, for VP, :math:`f_i(x) = (\\sqrt{1-\\beta_i} - 1)x`,
:math:`G_i = \\sqrt{\\beta_i}`, and for VE :math:`f_i = 0`, :math:`G_i^2 = \\sigma_i^2 - \\sigma_{i-1}^2`; both are
the forward transition :math:`X_{t^+} = aX_{t^-} + \\sqrt{\\beta}Z` of the grid step
(:meth:`Process.transition_coefficients`), with :math:`f_i(x) = (a - 1)x` and :math:`G_i^2 = \\beta`, which is how
it is written here for every process:

.. math:: Y' = (2 - a)\\,Y + \\beta\\, s(t^+, Y) + \\sqrt{\\beta}\\,Z.

(score_sde_pytorch takes :math:`\\beta_i = \\beta(t_i)/N` on a uniform grid of VP; the exact discrete
:math:`\\beta = 1 - \\bar\\alpha_{t^+}/\\bar\\alpha_{t^-}` used here agrees to first order.) It differs from DDPM
(``ddpm``) only in the mean's factor, :math:`2 - a` instead of :math:`1/a` (equal to first order in the step) and
in taking the forward variance. Weak and strong order 1.
"""

from __future__ import annotations


from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["ReverseDiffusionSampler", "reverse_diffusion_transition"]


def reverse_diffusion_transition(process, t_hi: float, t_lo: float) -> Transition:
    """The reverse-diffusion predictor's transition from ``t_hi`` to ``t_lo`` (module docstring)."""
    a, beta = process.transition_coefficients(t_lo, t_hi)
    keep = 2.0 - a

    def mean(y, ev):
        return keep * y + beta * ev.score(t_hi, y)

    return Transition(mean, beta, (t_hi,))


class ReverseDiffusionSampler(Sampler):
    """score_sde_pytorch's reverse-diffusion predictor (Song et al. 2021, eq. 46) for any process."""

    name = "reverse-diffusion"
    weak_order = 1.0
    strong_order = 1.0

    def declare(self, grid, process) -> Chain:
        return chain_over_grid(grid, lambda n, hi, lo, h: [reverse_diffusion_transition(process, hi, lo)])


