"""A time-dependent classifier :math:`p_t(y \\mid x_t)`, trained by cross-entropy on noised data.

Seed 002, slide 'Geração Condicional': "treinamos um classificador que aproxima :math:`p_t(y|x(t))` minimizando uma
simples entropia cruzada". With :math:`x_t = \\alpha_t x_0 + \\sigma_t z` for a labelled pair :math:`(x_0, y)` and
:math:`t \\sim \\mathcal U[t_{\\min}, T]`, the minimiser of :math:`\\mathbb E[-\\log q_\\phi(y \\mid x_t, t)]` over all
functions is :math:`q = p_t(y \\mid x_t)` (the cross-entropy is a proper scoring rule), whose input gradient is the
guidance term :math:`\\nabla_x \\log p_t(y\\mid x)` (:mod:`theorylab.learning.guidance`).

Its random stream continues the score's training generator (indices, times, noise per step), so one seed fixes both.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from theorylab.learning.checkpoint import cpu_copy
from theorylab.learning.coefficients import coefficients
from theorylab.learning.times import sample_times

__all__ = ["TrainedClassifier", "train_classifier"]


@dataclass
class TrainedClassifier:
    """A trained :class:`~theorylab.learning.networks.TimeClassifier` with the process it was trained for."""

    module: nn.Module  #: called as ``module(t / T, x)`` -> logits ``(n, n_classes)``
    process: Any
    n_classes: int
    t_min: float
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def logits(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits of :math:`p_t(\\cdot \\mid x)` at forward times ``t`` ``(n,)`` (clamped to ``t_min``)."""
        p = next(iter(self.module.parameters()))
        t = torch.clamp(t.to(device=p.device, dtype=p.dtype), min=self.t_min)
        return self.module(t / float(self.process.T), x.to(device=p.device, dtype=p.dtype))

    def to_checkpoint(self) -> dict[str, Any]:
        return {"network": dict(self.module.spec), "n_classes": self.n_classes, "t_min": self.t_min,
                "state": cpu_copy(self.module.state_dict()),
                "history": self.history, "seconds": self.seconds}

    @classmethod
    def from_checkpoint(cls, entry: dict[str, Any], dim: int, process: Any, dtype=torch.float64,
                        device="cpu") -> TrainedClassifier:
        module = _build(entry["network"], dim, int(entry["n_classes"]))
        module.load_state_dict(entry["state"])
        module = module.to(device=device, dtype=dtype).eval()
        return cls(module, process, int(entry["n_classes"]), float(entry["t_min"]), dict(entry["history"]),
                   float(entry.get("seconds", 0.0)))


def _build(spec: dict[str, Any], dim: int, n_classes: int, generator: torch.Generator | None = None) -> nn.Module:
    from theorylab.learning.networks import build_classifier

    return build_classifier(spec, dim, n_classes=n_classes, generator=generator)


def train_classifier(cfg: Any, data: torch.Tensor, labels: torch.Tensor, process: Any, *,
                     generator: torch.Generator, progress: bool = True,
                     saved: dict[str, Any] | None = None) -> TrainedClassifier:
    """Train :math:`q_\\phi(y \\mid x_t, t)` by cross-entropy on :math:`x_t = \\alpha_t x_0 + \\sigma_t z` (Adam).

    Parameters
    ----------
    cfg : TrainConfig
        Uses ``classifier`` (network kind and options, steps, batch size, lr) and ``training`` (t_min,
        time_sampling, seed, dtype).
    data, labels : torch.Tensor
        Training points ``(n, d)`` and integer labels ``(n,)`` on the training device.
    saved : dict, optional
        A checkpoint's ``classifier`` entry: returned as is instead of training again.
    """
    from tqdm import tqdm

    cc, tr = cfg.classifier, cfg.training
    dim = int(data.shape[1])
    n_classes = int(labels.max().item()) + 1
    if saved is not None:
        return TrainedClassifier.from_checkpoint(saved, dim, process, data.dtype, data.device)
    torch.manual_seed(tr.seed + 1)
    module = _build({"kind": cc.kind, **cc.options}, dim, n_classes,
                    generator=torch.Generator().manual_seed(tr.seed + 1)).to(device=data.device, dtype=data.dtype)
    opt = torch.optim.Adam(module.parameters(), lr=cc.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cc.steps, eta_min=cc.lr * tr.lr_final_fraction)
    history: dict[str, list[float]] = {"step": [], "loss": [], "accuracy": [], "seconds": []}
    bar = tqdm(total=cc.steps, desc="train classifier", unit="step", file=sys.stderr, disable=not progress or None)
    start = time.perf_counter()
    running = correct = seen = 0.0
    for step in range(1, cc.steps + 1):
        idx = torch.randint(data.shape[0], (cc.batch_size,), generator=generator).to(data.device)
        t = sample_times(cc.batch_size, tr.t_min, process.T, tr.time_sampling, generator=generator,
                         dtype=data.dtype).to(data.device)
        z = torch.randn((cc.batch_size, dim), generator=generator, dtype=data.dtype).to(data.device)
        alpha, sigma, _ = coefficients(process, t)
        xt = alpha[:, None] * data[idx] + sigma[:, None] * z
        logits = module(t / float(process.T), xt)
        loss = F.cross_entropy(logits, labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += float(loss.detach())
        correct += float((logits.argmax(1) == labels[idx]).sum())
        seen += cc.batch_size
        bar.update()
        if step % cfg.output.log_every == 0 or step == cc.steps:
            count = cfg.output.log_every if step % cfg.output.log_every == 0 else step % cfg.output.log_every
            history["step"].append(step)
            history["loss"].append(running / count)
            history["accuracy"].append(correct / seen)
            history["seconds"].append(time.perf_counter() - start)
            bar.set_postfix(loss=f"{running / count:.4g}", acc=f"{correct / seen:.3f}")
            running = correct = seen = 0.0
    bar.close()
    module.eval()
    return TrainedClassifier(module, process, n_classes, tr.t_min, history, time.perf_counter() - start)
