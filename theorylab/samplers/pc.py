"""``pc``: predictor--corrector sampling (Song et al. 2021, Algorithm 1 "PC sampling"; seed 002, slide
'Gerando amostras da SDE reversa', Preditor-Corretor).

At each backward step :math:`n` (forward time :math:`t_n = F_{N-n}`, step :math:`h_n = \\gamma_{N-1-n}`), as in
score_sde_pytorch's ``pc_sampler`` (corrector first, then predictor):

1. *Corrector*: ``n_corrector`` Langevin steps targeting :math:`p_{t_n}`,

   .. math::

       x \\leftarrow x + \\varepsilon\\, s(t_n, x) + \\sqrt{2\\varepsilon}\\,z, \\qquad
       \\varepsilon = 2\\alpha_n \\Big(\\text{snr}\\,\\frac{\\overline{\\|z\\|}}{\\overline{\\|s(t_n,x)\\|}}\\Big)^2,

   where :math:`\\overline{\\|\\cdot\\|}` is the per-particle Euclidean norm averaged over particles (one step size
   for the batch, exactly score_sde_pytorch's ``LangevinCorrector``), :math:`\\alpha_n = 1` for OU and VE and
   :math:`\\alpha_n = 1 - \\beta(t_n)h_n` for VP (:meth:`Process.corrector_alpha`; ``ConfigError`` if it is not
   positive, i.e. the grid is too coarse for the DDPM factor). If every score is 0 the step
   is skipped (:math:`\\varepsilon = 0`).
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
from theorylab.samplers.em import reverse_euler_maruyama

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
    """Reverse-diffusion (EM) predictor + Langevin corrector.

    Parameters
    ----------
    snr : float
        Target signal-to-noise ratio of the corrector (score_sde_pytorch: 0.16 for VE, 0.01 for VP), ``>= 0``.
    n_corrector : int
        Corrector steps per predictor step (``n_steps_each`` there), ``>= 0``.

    Notes
    -----
    Orders: the Langevin step :math:`\\varepsilon` is set by ``snr``, not by the grid, so with ``n_corrector > 0``
    the scheme has no convergence order in the step size (its bias tends to an ``snr``-dependent floor as
    :math:`h \\to 0`): ``weak_order = strong_order = None``. With ``n_corrector = 0`` it is the EM predictor
    (orders 1, 1).
    """

    name = "pc"

    def __init__(self, snr: float = 0.16, n_corrector: int = 1):
        if not (math.isfinite(float(snr)) and float(snr) >= 0):
            raise ConfigError(f"sampler.snr: must be >= 0, got {snr!r}")
        if int(n_corrector) != n_corrector or int(n_corrector) < 0:
            raise ConfigError(f"sampler.n_corrector: must be an integer >= 0, got {n_corrector!r}")
        self.snr = float(snr)
        self.n_corrector = int(n_corrector)
        self.weak_order = 1.0 if self.n_corrector == 0 else None
        self.strong_order = 1.0 if self.n_corrector == 0 else None

    def noise_draws(self, grid) -> int:
        return grid.N * (self.n_corrector + 1)

    def _run(self, score, grid, process, y, noise, trajectory):
        reverse = process.reverse(score)
        times = grid.forward_times
        steps = grid.backward_gammas
        for n in range(grid.N):
            t, h = float(times[n]), float(steps[n])
            alpha = process.corrector_alpha(t, h)
            if not alpha > 0.0:
                raise ConfigError(
                    f"sampler.grid: Langevin factor alpha = {alpha:.3g} <= 0 at t = {t:.6g} (VP: 1 - beta(t) h); "
                    "use smaller steps"
                )
            for _ in range(self.n_corrector):
                grad = score(t, y)
                z = noise.draw()
                eps = langevin_step_size(grad, z, self.snr, alpha)
                y = y + eps * grad + math.sqrt(2.0 * eps) * z
            y = reverse_euler_maruyama(reverse, times[n:n + 1], steps[n:n + 1], y, noise)
            if trajectory is not None:
                trajectory.append(y.clone())
        return y
