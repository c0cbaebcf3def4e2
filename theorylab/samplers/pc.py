"""``pc``: predictor--corrector sampling (Song et al. 2021, Algorithm 1 "PC sampling"; seed 002, slide
'Gerando amostras da SDE reversa', Preditor-Corretor).

At each backward step :math:`n` (forward time :math:`t_n = F_{N-n}`, step :math:`h_n = \\gamma_{N-1-n}`), as in
score_sde_pytorch's ``pc_sampler`` (corrector first, then predictor):

1. *Corrector*: ``n_corrector`` Langevin steps targeting :math:`p_{t_n}`,

   .. math::

       x \\leftarrow x + \\varepsilon\\, s(t_n, x) + \\sqrt{2\\varepsilon}\\,z, \\qquad
       \\varepsilon = 2\\alpha_n \\Big(\\text{snr}\\,\\frac{\\overline{\\|z\\|}}{\\overline{\\|s(t_n,x)\\|}}\\Big)^2,

   where :math:`\\overline{\\|\\cdot\\|}` is the per-particle Euclidean norm averaged over particles (one step size
   for the batch, exactly score_sde_pytorch's ``LangevinCorrector``) and :math:`\\alpha_n =
   (\\alpha_{t_n}/\\alpha_{t_n - h_n})^2` is the discrete DDPM factor :math:`1 - \\beta_n` read from the process's
   marginals (:meth:`Process.corrector_alpha`: 1 for VE, the same number for OU and the VP process with the same
   clock). If every score is 0 the step is skipped (:math:`\\varepsilon = 0`). With ``step_size=`` a fixed
   :math:`\\varepsilon` replaces the rule: each corrector step is then the Gaussian transition
   :math:`\\mu(x) = x + \\varepsilon s(t_n, x)`, :math:`v = 2\\varepsilon`, with exact and grid laws.
2. *Predictor*: one reverse-SDE Euler--Maruyama step from :math:`t_n` with step :math:`h_n`
   (:mod:`theorylab.samplers.reverse_sde`).

Output: the particles after the last predictor step (no extra denoising step). With ``n_corrector = 0`` this is
``reverse-sde`` exactly.
"""

from __future__ import annotations

import math

import torch

from theorylab.errors import ConfigError
from theorylab.samplers.base import Sampler
from theorylab.samplers.em import em_transition
from theorylab.samplers.kernel import Chain, Transition, chain_over_grid

__all__ = ["PredictorCorrectorSampler", "langevin_step_size"]


def langevin_step_size(score_value: torch.Tensor, z: torch.Tensor, snr: float, alpha: float) -> float:
    """Langevin step :math:`\\varepsilon = 2\\alpha(\\text{snr}\\,\\overline{\\|z\\|}/\\overline{\\|s\\|})^2`.

    The bars are per-particle norms averaged over particles; 0 if every score is 0.
    """
    n = score_value.shape[0]
    grad_norm = float(torch.linalg.vector_norm(score_value.reshape(n, -1), dim=-1).mean())
    noise_norm = float(torch.linalg.vector_norm(z.reshape(n, -1), dim=-1).mean())
    if grad_norm == 0.0:
        return 0.0
    return 2.0 * alpha * (snr * noise_norm / grad_norm) ** 2


class PredictorCorrectorSampler(Sampler):
    """Predictor--corrector sampling: EM predictor + Langevin corrector (Song et al. 2021, Algorithm 1).

    Parameters
    ----------
    snr : float
        Target signal-to-noise ratio of the corrector (score_sde_pytorch: 0.16 for VE, 0.01 for VP), ``>= 0``.
    n_corrector : int
        Corrector steps per predictor step (``n_steps_each`` there), ``>= 0``.
    step_size : float, optional
        A fixed Langevin step :math:`\\varepsilon > 0` instead of the ``snr`` rule (then every step is a
        per-particle Gaussian transition: exact and grid laws exist).

    Notes
    -----
    Orders: the Langevin step :math:`\\varepsilon` is set by ``snr`` (or fixed), not by the grid, so with
    ``n_corrector > 0`` the scheme has no convergence order in the step size (its bias tends to an
    :math:`\\varepsilon`-dependent floor as :math:`h \\to 0`): ``weak_order = strong_order = None``. With
    ``n_corrector = 0`` it is the EM predictor (orders 1, 1).
    """

    name = "pc"

    def __init__(self, snr: float = 0.16, n_corrector: int = 1, step_size: float | None = None):
        if not (math.isfinite(float(snr)) and float(snr) >= 0):
            raise ConfigError(f"sampler.snr: must be >= 0, got {snr!r}")
        if int(n_corrector) != n_corrector or int(n_corrector) < 0:
            raise ConfigError(f"sampler.n_corrector: must be an integer >= 0, got {n_corrector!r}")
        if step_size is not None and not (math.isfinite(float(step_size)) and float(step_size) > 0):
            raise ConfigError(f"sampler.step_size: must be > 0, got {step_size!r}")
        self.snr = float(snr)
        self.n_corrector = int(n_corrector)
        self.step_size = None if step_size is None else float(step_size)
        self.weak_order = 1.0 if self.n_corrector == 0 else None
        self.strong_order = 1.0 if self.n_corrector == 0 else None

    def _corrector(self, process, t: float, h: float) -> Transition:
        if self.step_size is not None:
            eps = self.step_size

            def mean(y, ev):
                return y + eps * ev.score(t, y)

            return Transition(mean, 2.0 * eps, (t,))
        alpha = process.corrector_alpha(t, h)
        snr = self.snr

        def coupled(y, ev, draw):
            grad = ev.score(t, y)
            z = draw()
            eps = langevin_step_size(grad, z, snr, alpha)
            return y + eps * grad + math.sqrt(2.0 * eps) * z

        return Transition(None, times=(t,), coupled=coupled, draws=1, coupled_reason=(
            "the Langevin corrector's step size depends on the norms of the whole batch, so the update is not "
            "affine per particle (give step_size= for a fixed step)"))

    def declare(self, grid, process) -> Chain:
        def build(n, t_hi, t_lo, h):
            return [*(self._corrector(process, t_hi, h) for _ in range(self.n_corrector)),
                    em_transition(process, t_hi, h)]

        return chain_over_grid(grid, build)
