"""How training draws its times :math:`t \\in [t_{\\min}, T]` (seed 002, eq. (1): :math:`t \\sim \\mathcal U[0, T]`).

``"uniform"``: i.i.d. :math:`\\mathcal U[t_{\\min}, T]`, the seed's choice (with :math:`t_{\\min} > 0`: the loss
weighted by :math:`\\sigma_t^2` is finite at 0, but :math:`1/\\sigma_t` in the model is not).
``"stratified"``: one uniform draw in each of the :math:`n` equal strata of :math:`[t_{\\min}, T]`, in a random
order — the same marginal law per example, so the loss is unbiased, with a lower variance of its time average
(the "low-discrepancy sampler" of Kingma et al. 2021, *Variational diffusion models*, App. I).
"""

from __future__ import annotations

import torch

from theorylab.errors import ConfigError

__all__ = ["TIME_SAMPLINGS", "sample_times"]

TIME_SAMPLINGS = ("uniform", "stratified")


def sample_times(n: int, t_min: float, T: float, kind: str = "uniform", *, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64, device=None) -> torch.Tensor:
    """``n`` training times in :math:`[t_{\\min}, T]`, shape ``(n,)``, drawn on ``generator``'s device.

    Both kinds give each entry the law :math:`\\mathcal U[t_{\\min}, T]`; ``"stratified"`` makes the entries
    negatively dependent (exactly one per stratum).
    """
    if kind not in TIME_SAMPLINGS:
        raise ConfigError(f"training.time_sampling: must be one of {TIME_SAMPLINGS}, got {kind!r}")
    if not 0.0 <= t_min < T:
        raise ConfigError(f"training.t_min: must lie in [0, T={T}), got {t_min!r}")
    gen_device = generator.device if generator is not None else "cpu"
    u = torch.rand(n, generator=generator, dtype=dtype, device=gen_device)
    if kind == "stratified":
        order = torch.randperm(n, generator=generator, device=gen_device)
        u = (order.to(dtype) + u) / n
    t = t_min + (T - t_min) * u
    return t.to(device) if device is not None else t
