"""``ddpm``: ancestral sampling (Ho, Jain & Abbeel 2020, Algorithm 2; seed 002, 'SMLD e DDPM como discretizações').

DDPM's step from :math:`x_t` to :math:`x_{t-1}` is

.. math::

    x_{t-1} = \\frac{1}{\\sqrt{1-\\beta_t}}\\Big(x_t - \\frac{\\beta_t}{\\sqrt{1-\\bar\\alpha_t}}\\,
              \\epsilon_\\theta(x_t, t)\\Big) + \\sigma_t z
            = \\frac{x_t + \\beta_t\\, s(t, x_t)}{\\sqrt{1-\\beta_t}} + \\sigma_t z,

using :math:`\\epsilon_\\theta = -\\sqrt{1-\\bar\\alpha_t}\\,s`. Here it is written for any process with marginals
:math:`X_t = \\alpha_tX_0 + \\sigma_tZ` through the forward transition of the grid step,
:math:`X_{t^+} = a X_{t^-} + \\sqrt{\\beta}\\,Z` (:meth:`Process.transition_coefficients`: :math:`a =
\\alpha_{t^+}/\\alpha_{t^-}`, :math:`\\beta = \\sigma_{t^+}^2 - a^2\\sigma_{t^-}^2`):

.. math:: Y' = \\frac{Y + \\beta\\, s(t^+, Y)}{a} + \\sqrt{v}\\,Z,

the posterior mean :math:`E[X_{t^-} | X_{t^+}]` by Tweedie's formula when :math:`s` is exact. For VP this is Ho et
al.'s step with :math:`\\beta_t = 1 - \\bar\\alpha_t/\\bar\\alpha_{t-1}` and :math:`\\bar\\alpha_t = \\alpha_t^2`
read from the continuous schedule at the grid times (the discretisation DDIM uses, exact for the marginals at the
grid times; score_sde_pytorch's ancestral predictor and Pierret & Galerne use the Euler-discretised
:math:`\\beta_n = g(t^+)^2 h` instead: ``ddpm-euler``); for VE it is SMLD's ancestral sampler (score_sde_pytorch
``AncestralSamplingPredictor``: :math:`a = 1`, :math:`\\beta = \\sigma_{t^+}^2 - \\sigma_{t^-}^2`).

The last step adds no noise (Ho et al.'s Algorithm 2, :math:`z = 0` at :math:`t = 1`; diffusers' ``DDPMScheduler``
likewise): with the forward variance it would otherwise add :math:`N(0, \\beta_1)` to the output (found by
``theorylab audit``).

``variance`` chooses Ho et al.'s two choices of :math:`\\sigma_t^2` (their section 3.2): ``"posterior"``,
:math:`\\tilde\\beta = \\beta\\,\\sigma_{t^-}^2/\\sigma_{t^+}^2` (optimal for a point mass at the data; the variance
of :math:`X_{t^-}` given :math:`X_{t^+}` and :math:`X_0`), or ``"forward"``, :math:`\\beta` (optimal for
:math:`X_0 \\sim N(0, I)`).

Orders: weak order 1 in the step (the step is the reverse SDE's Euler--Maruyama step up to :math:`O(h^2)`). Strong
order only 1/2: the noiseless last step drops one Brownian increment of variance :math:`O(h)`, and with the posterior
variance, near :math:`t = 0` the step's noise
variance :math:`\\tilde\\beta = \\beta\\,\\sigma_{t^-}^2/\\sigma_{t^+}^2` differs from the Brownian increment's
:math:`\\beta` by a factor :math:`(k-1)/k` on the k-th step from the data (:math:`\\sigma_t^2 \\propto t`), a mismatch
whose squares sum to :math:`O(h)` (measured by the coupled-noise test: fitted slopes 0.68, 0.63, 0.56, 0.52 for N
from 64 to 16384).
"""

from __future__ import annotations

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["DDPMSampler", "ddpm_transition"]

VARIANCES = ("posterior", "forward")


def ddpm_transition(process, t_hi: float, t_lo: float, variance: str = "posterior", last: bool = False) -> Transition:
    """The DDPM ancestral transition from ``t_hi`` to ``t_lo`` (module docstring); ``last``: the final step, which
    adds no noise (Ho et al.'s Algorithm 2: :math:`z = 0` if :math:`t = 1`)."""
    a, beta = process.transition_coefficients(t_lo, t_hi)
    s_lo, s_hi = float(process.marginal_coefficients(t_lo)[1]), float(process.marginal_coefficients(t_hi)[1])
    inv_a = 1.0 / a
    push = beta / a
    var = beta * (s_lo * s_lo) / (s_hi * s_hi) if variance == "posterior" else beta
    if last:
        var = 0.0

    def mean(y, ev):
        return inv_a * y + push * ev.score(t_hi, y)

    return Transition(mean, var, (t_hi,))


class DDPMSampler(Sampler):
    """DDPM ancestral sampling (Ho et al. 2020, Algorithm 2) for any process, posterior or forward variance.

    Parameters
    ----------
    variance : {"posterior", "forward"}
        :math:`\\tilde\\beta` or :math:`\\beta` (Ho et al. 2020, section 3.2).
    """

    name = "ddpm"
    weak_order = 1.0

    def __init__(self, variance: str = "posterior"):
        if variance not in VARIANCES:
            raise ConfigError(f"sampler.variance: must be one of {VARIANCES}, got {variance!r}")
        self.variance = variance

    #: 1/2 for both variances: the noiseless last step drops an O(sqrt(h)) increment (and the posterior variance is
    #: not 1 + O(h) times the Brownian increment's near t = 0); see the module docstring
    strong_order = 0.5

    def declare(self, grid, process) -> Chain:
        last = grid.N - 1
        return chain_over_grid(grid, lambda n, hi, lo, h: [ddpm_transition(process, hi, lo, self.variance, n == last)])
