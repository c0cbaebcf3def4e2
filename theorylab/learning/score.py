"""A trained score network as a theorylab :class:`~theorylab.scores.Score`: ``s(t, x)`` with a float ``t``.

This is the adapter between training (batched times, the network's dtype and device) and every consumer of
scores — the samplers, the grid propagator of :mod:`theorylab.laws`, :mod:`theorylab.learning.error` — which call
``score(t, x)`` with a float forward time and float64 particles (numpy or torch, any device). The result comes back
in ``x``'s kind, dtype and device. Gradients flow through when ``x`` requires them (the probability-flow grid route
differentiates the score); otherwise the network runs under ``torch.no_grad``.

Times below the smallest training time ``t_min`` are evaluated at ``t_min``: the network never saw them, and the
noise parameterisation :math:`\\mathrm{net}/\\sigma_t` is singular at :math:`t = 0`. Samplers feed times
:math:`\\ge \\gamma > 0`; the clamp only matters for a sampler step below ``t_min``, and :attr:`LearnedScore.t_min`
says where it sits.
"""

from __future__ import annotations

from pathlib import Path
import numpy as np
import torch

from theorylab.errors import ConfigError
from theorylab.learning.checkpoint import load_checkpoint
from theorylab.learning.config import DTYPES, TrainConfig, make_process, resolve_device
from theorylab.learning.model import ScoreModel
from theorylab.scores.base import Score

__all__ = ["LearnedScore"]


class LearnedScore(Score):
    """:math:`s_\\theta(t, x)` of a trained :class:`~theorylab.learning.model.ScoreModel`.

    Parameters
    ----------
    model : ScoreModel
        The trained model (its process defines :math:`\\sigma_t` and the horizon).
    t_min : float
        Smallest training time (see the module docstring).
    config : TrainConfig, optional
        The config it was trained with (kept for provenance).
    """

    def __init__(self, model: ScoreModel, t_min: float = 0.0, config: TrainConfig | None = None):
        self.model = model.eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.process = model.process
        self.t_min = float(t_min)
        self.config = config
        first = next(iter(model.parameters()))
        self.device, self.dtype = first.device, first.dtype
        self.dim = getattr(model.net, "dim", None)

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, weights: str = "ema", device: str | None = "cpu",
                        key: str = "score.checkpoint") -> LearnedScore:
        """Load a checkpoint (``torch.load(weights_only=True)``) and rebuild its model.

        Parameters
        ----------
        weights : {"ema", "raw"}
            The EMA average :math:`\\bar\\theta` (default; what the seed's EMA slide recommends for sampling) or
            the last iterate.
        device : {"cpu", "cuda", "auto"}
            Where the network runs (default CPU: the verification layers work on CPU float64).
        """
        from theorylab.config import validate
        from theorylab.learning.networks import build_network

        if weights not in ("ema", "raw"):
            raise ConfigError(f"score.weights: must be 'ema' or 'raw', got {weights!r}")
        data = load_checkpoint(path, key=key)
        cfg = validate(data["config"], TrainConfig)
        process = make_process(cfg.process, cfg.process.T)
        net = build_network(data["network"], int(data["dim"]))
        model = ScoreModel(net, process, cfg.parameterisation)
        model = model.to(dtype=DTYPES[cfg.training.dtype])
        model.load_state_dict(data["ema" if weights == "ema" else "model"])
        score = cls(model.to(resolve_device(device)), cfg.training.t_min, cfg)
        score.dim = int(data["dim"])
        score.checkpoint = data
        return score

    def batched(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """The network on a batch of times ``t`` ``(n,)`` (clamped to ``t_min``) in its own dtype and device."""
        t = torch.clamp(t.to(device=self.device, dtype=self.dtype), min=self.t_min)
        return self.model(t, x.to(device=self.device, dtype=self.dtype))

    def __call__(self, t: float, x):
        t = float(t)
        if not np.isfinite(t) or t < 0 or t > self.process.T * (1 + 1e-12):
            raise ConfigError(f"score.t: must lie in [0, T={self.process.T}] (the trained range), got {t!r}")
        if isinstance(x, torch.Tensor):
            flat = x.reshape(-1, x.shape[-1])
            times = torch.full(flat.shape[:1], t, dtype=self.dtype, device=self.device)
            with torch.set_grad_enabled(x.requires_grad):
                out = self.batched(times, flat)
            return out.to(device=x.device, dtype=x.dtype).reshape(x.shape)
        arr = np.asarray(x, dtype=np.float64)
        flat = torch.as_tensor(arr.reshape(-1, arr.shape[-1]))
        with torch.no_grad():
            out = self.batched(torch.full(flat.shape[:1], t, dtype=self.dtype), flat)
        return out.to("cpu", torch.float64).numpy().reshape(arr.shape)

    def __repr__(self) -> str:
        return f"LearnedScore({type(self.model.net).__name__}, process={self.process!r}, t_min={self.t_min})"
