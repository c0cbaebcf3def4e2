"""``ddpm-euler``: DDPM's ancestral step with the *Euler-discretised* noise schedule
:math:`\\beta_n = g(t^+)^2 h_n`, noise on every step (Song et al. 2021, score_sde_pytorch ``sampling.py``,
``AncestralSamplingPredictor.vpsde_update_fn``; Pierret & Galerne, ICML 2025, the DDPM scheme of their Table 1).

On the backward step from forward time :math:`t^+` down to :math:`t^- = t^+ - h`,

.. math::

    \\beta = g(t^+)^2\\,h, \\qquad
    Y' = \\frac{Y + \\beta\\, s(t^+, Y)}{\\sqrt{1 - \\beta}} + \\sqrt{\\beta}\\,Z .

For the VP SDE :math:`dX = -\\tfrac12\\beta(t)X\\,dt + \\sqrt{\\beta(t)}\\,dB` this is :math:`\\beta_n = \\beta(t^+)h`,
score_sde_pytorch's ``discrete_betas = linspace(beta_min/N, beta_max/N, N)`` read at the step's upper time; in
Pierret & Galerne's units (:math:`dx = -\\beta_t x\\,dt + \\sqrt{2\\beta_t}\\,dw`, their :math:`\\beta_t` half of
Song's) it is their :math:`\\beta_k^{\\text{DDPM}} = 2\\Delta_t\\beta_{T-t_k}` with covariance recursion
:math:`\\lambda' = (1-\\beta_k)^{-1}(1 - \\beta_k/\\lambda_{T-t_k})^2\\lambda + \\beta_k`.

How it differs from ``ddpm`` (Ho et al. 2020, Algorithm 2, as theorylab writes it): there the step's
:math:`\\beta = 1 - \\alpha_{t^-}^2/\\alpha_{t^+}^2` is read from the continuous schedule's marginals (exact for the
marginals at the grid times) and the last step adds no noise; here :math:`\\beta` is the first-order (Euler)
increment :math:`g(t^+)^2 h` and every step, the last included, adds :math:`N(0, \\beta)`. The two agree to
:math:`O(h^2)` per step, so on a coarse grid their outputs differ at first order in the step (both rows are in
``reports/pierret_galerne/``).

Defined for the variance-preserving processes (drift :math:`-\\tfrac12 g^2 x`: ``vp``, and ``ou`` with
:math:`g^2 = 2`), where :math:`1/\\sqrt{1-\\beta}` is the step's inverse signal decay to first order. Requires
:math:`\\beta_n < 1` on every step (``ConfigError`` naming the grid otherwise).

Orders: the mean map is :math:`(1 + \\tfrac12\\beta)Y + \\beta s + O(h^2)`, the Euler--Maruyama step of the reverse
SDE up to :math:`O(h^2)`, and the noise is the Brownian increment's variance :math:`g(t^+)^2h`: weak and strong
order 1 (additive noise), checked by the fitted orders in ``tests/samplers/test_schemes.py``.
"""

from __future__ import annotations

import math

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["DDPMEulerSampler", "ddpm_euler_transition"]


def ddpm_euler_transition(process, t_hi: float, h: float, noise: bool = True) -> Transition:
    """The transition from forward time ``t_hi`` with step ``h`` (module docstring); ``noise=False`` drops the
    :math:`\\sqrt{\\beta}Z` term (not used by the sampler; kept for the tests' comparisons)."""
    beta = float(process.diffusion_squared(t_hi)) * h
    if not 0.0 < beta < 1.0:
        raise ConfigError(f"sampler.grid: step h={h!r} at t={t_hi!r} gives beta = g(t)^2 h = {beta!r}, outside (0, 1); "
                          "use more steps")
    scale = 1.0 / math.sqrt(1.0 - beta)
    push = beta * scale

    def mean(y, ev):
        return scale * y + push * ev.score(t_hi, y)

    return Transition(mean, beta if noise else 0.0, (t_hi,))


class DDPMEulerSampler(Sampler):
    """DDPM ancestral step with Euler-discretised :math:`\\beta_n = g(t_n)^2 h_n` and noise on every step
    (score_sde_pytorch's VP ancestral predictor; Pierret & Galerne 2025's DDPM)."""

    name = "ddpm-euler"
    weak_order = 1.0
    strong_order = 1.0
    processes = ("vp", "ou")

    def declare(self, grid, process) -> Chain:
        rate, g2 = process.drift_rate(grid.T), float(process.diffusion_squared(grid.T))
        if not math.isclose(rate, -0.5 * g2, rel_tol=1e-12):  # guards direct calls; Sampler.sample checks the name
            raise ConfigError(f"sampler.process: 'ddpm-euler' needs a variance-preserving drift -g^2/2 x, got "
                              f"{process!r}")
        return chain_over_grid(grid, lambda n, hi, lo, h: [ddpm_euler_transition(process, hi, h)])
