"""``reverse-sde``: Euler--Maruyama on the reverse SDE of any forward process (Song et al. 2021; seed 002,
slide 'Gerando amostras da SDE reversa').

.. math::

    Y_{n+1} = Y_n + h_n\\big[-f(t_n, Y_n) + g(t_n)^2 s(t_n, Y_n)\\big] + g(t_n)\\sqrt{h_n}\\,Z_{n+1},
    \\qquad t_n = F_{N-n},\\ h_n = \\gamma_{N-1-n},

built from :meth:`Process.reverse` (score_sde_pytorch's ``EulerMaruyamaPredictor``, on an arbitrary grid and
horizon). For OU it *is* ``reverse-em`` (same loop, same time map, same arithmetic: bit-identical output). It
differs from score_sde_pytorch's ``ReverseDiffusionPredictor``, which replaces :math:`h\\,g^2` by the discrete
DDPM/SMLD increments (:math:`\\beta_i`, :math:`\\sigma_i^2-\\sigma_{i-1}^2`).
"""

from __future__ import annotations

from theorylab.samplers.em import EulerMaruyamaSampler

__all__ = ["ReverseSDESampler"]


class ReverseSDESampler(EulerMaruyamaSampler):
    """Euler--Maruyama on the reverse SDE of any forward process (Song et al. 2021; score_sde_pytorch's
    ``EulerMaruyamaPredictor``)."""

    name = "reverse-sde"
    convention = "reverse-em"
    processes = None
