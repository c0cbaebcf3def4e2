"""Training a score network by denoising (or implicit) score matching, with Adam and an EMA of the weights.

Seed 002, slide 'Treinando o score' (Teorema 1): minimise
:math:`\\mathbb E_t\\,\\lambda(t)\\,\\mathbb E_{x_0}\\mathbb E_{x_t\\mid x_0}\\|s_\\theta(x_t,t)-\\nabla\\log p_{t|0}(x_t\\mid x_0)\\|^2`
(:func:`theorylab.learning.losses.dsm_loss`), or the implicit form (:func:`~theorylab.learning.losses.ism_loss`).
Seed 000, slide 'Exponential Moving Average (EMA)': the weights used for sampling are the average
:math:`\\bar\\theta` (:class:`~theorylab.learning.ema.EMA`).

Randomness: one CPU :class:`torch.Generator` seeded with ``training.seed`` draws, per step and in this order, the
batch indices, the times and the noise; the training data are drawn once from a numpy generator seeded with
``[seed, 0]``. The stream is therefore the same on CPU and CUDA (the arithmetic differs by rounding only), and a
resumed run continues the stream of the interrupted one (the generator's state is in the checkpoint).

Interruption loses nothing finished: a checkpoint is written every ``output.save_every`` steps, at the end, and
on Ctrl-C; re-running the same config resumes from it (a checkpoint of a *different* config is never overwritten
without ``force=True``).
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from theorylab.errors import ConfigError
from theorylab.learning.checkpoint import cpu_copy, load_checkpoint, save_checkpoint
from theorylab.learning.config import DTYPES, TrainConfig, config_hash, make_process, resolve_device
from theorylab.learning.ema import EMA
from theorylab.learning.model import ScoreModel
from theorylab.learning.times import sample_times

__all__ = ["TrainResult", "build_score_model", "train", "training_data"]


#: Largest acceptable weight :math:`(1-m)^{\text{steps}}` of the *initial* weights in the EMA at the end of training
#: (seed 000's EMA slide; :func:`theorylab.symbolic.ema.initial_weight`). The networks start with a zero output, so
#: an average still dominated by them is a near-zero score, and VP sampling with it diverges (found on the digits:
#: m = 0.002 over 600 steps leaves weight 0.30 and 92% of the pixels out of range). Above this, ``train`` warns.
EMA_INITIAL_WEIGHT_WARNING = 0.01


@dataclass
class TrainResult:
    """What :func:`train` returns: the models, the loss history and the cost."""

    config: TrainConfig
    model: ScoreModel  #: last iterate
    ema_model: ScoreModel  #: the EMA weights (used for sampling)
    history: dict[str, list[float]]
    steps_done: int
    seconds: float  #: wall time of this call's training (excludes a resumed run's earlier time)
    stopped: str  #: "completed" | "time budget" | "already trained"
    device: str
    checkpoint: Path | None = None
    classifier: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


def training_data(cfg: TrainConfig, target: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """The training points ``(n, d)`` and their labels (``None`` when the target has none).

    A data set (``smile``, ``digits``) gives its fixed points; a law with a density gives ``training.n_data``
    draws (seed 002: 5000 points of the mixture) from ``numpy.random.default_rng([seed, 0])``.
    """
    if hasattr(target, "data") and not hasattr(target, "ou_marginal"):
        data = np.asarray(target.data, dtype=np.float64)
        labels = np.asarray(target.labels) if hasattr(target, "labels") else None
        return data, labels
    rng = np.random.default_rng([cfg.training.seed, 0])
    return np.asarray(target.sample(cfg.training.n_data, rng), dtype=np.float64), None


def build_score_model(cfg: TrainConfig, dim: int, process: Any | None = None) -> ScoreModel:
    """A fresh :class:`ScoreModel` for ``cfg`` (network initialised from ``training.seed``)."""
    from theorylab.learning.networks import build_network

    if process is None:
        process = make_process(cfg.process, cfg.process.T)
    init = torch.Generator().manual_seed(cfg.training.seed)
    torch.manual_seed(cfg.training.seed)  # layers without a generator argument initialise from the global stream
    net = build_network(cfg.network_spec(), dim, generator=init)
    return ScoreModel(net, process, cfg.parameterisation)


def _loss(cfg: TrainConfig, model, x0, t, process, gen):
    from theorylab.learning.losses import dsm_loss, ism_loss

    tr = cfg.training
    if tr.loss == "dsm":
        return dsm_loss(model, x0, t, process, weighting=tr.weighting, generator=gen)
    return ism_loss(model, x0, t, process, weighting=tr.weighting, divergence=tr.divergence, n_probes=tr.n_probes,
                    generator=gen)


def _cosine_or_constant(opt, cfg: TrainConfig):
    tr = cfg.training
    if tr.lr_schedule == "constant":
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=tr.steps, eta_min=tr.lr * tr.lr_final_fraction)


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="step", file=sys.stderr, disable=not enabled or None)


def train(cfg: TrainConfig, *, checkpoint: str | Path | None = None, device: str | None = None,
          progress: bool = True, force: bool = False, save_every: int = 1000,
          on_record: Callable[[dict], None] | None = None) -> TrainResult:
    """Train the score (and the optional classifier) that ``cfg`` describes.

    Parameters
    ----------
    cfg : TrainConfig
        Validated config.
    checkpoint : path, optional
        Where to save (default ``output.checkpoint``; ``None`` for both: nothing is saved). An existing checkpoint
        of the same config is resumed (or returned as is when complete); one of another config is an error unless
        ``force``.
    device : {"auto", "cpu", "cuda"}, optional
        Overrides ``training.device``.
    progress : bool
        A progress bar on stderr with the running loss.
    save_every : int
        Steps between checkpoints (also saved at the end and on Ctrl-C).
    on_record : callable, optional
        Called with each history record ``{"step", "loss", "seconds", "lr"}``.

    Returns
    -------
    TrainResult
    """
    from theorylab.distributions import make_target

    tr = cfg.training
    initial_weight = (1.0 - tr.ema) ** tr.steps
    if initial_weight > EMA_INITIAL_WEIGHT_WARNING:
        warnings.warn(f"training.ema: after {tr.steps} steps the EMA still weighs the initial (zero-output) weights "
                      f"by (1 - m)^steps = {initial_weight:.3g}; raise training.ema or training.steps",
                      stacklevel=2)
    dev = resolve_device(device if device is not None else tr.device)
    dtype = DTYPES[tr.dtype]
    path = Path(checkpoint) if checkpoint is not None else (
        Path(cfg.output.checkpoint) if cfg.output.checkpoint else None)
    digest = config_hash(cfg)

    target = make_target(cfg.target)
    process = make_process(cfg.process, cfg.process.T)
    data_np, labels_np = training_data(cfg, target)
    dim = int(data_np.shape[1])
    if cfg.classifier is not None and labels_np is None:
        raise ConfigError(f"classifier: target.kind {cfg.target['kind']!r} has no labels to classify")

    model = build_score_model(cfg, dim, process).to(device=dev, dtype=dtype)
    ema = EMA(model, tr.ema)
    opt = torch.optim.Adam(model.parameters(), lr=tr.lr)
    sched = _cosine_or_constant(opt, cfg)
    gen = torch.Generator().manual_seed(tr.seed)
    history: dict[str, list[float]] = {"step": [], "loss": [], "seconds": [], "lr": []}
    steps_done, earlier_seconds = 0, 0.0

    saved = _existing(path, digest, force)
    if saved is not None:
        model.load_state_dict(saved["model"])
        ema.load_state_dict(saved["ema_state"])
        opt.load_state_dict(saved["optimizer"]["adam"])
        sched.load_state_dict(saved["optimizer"]["schedule"])
        gen.set_state(saved["generator"])
        history = {k: list(v) for k, v in saved["history"].items()}
        steps_done = int(saved["steps_done"])
        earlier_seconds = float(saved["meta"].get("seconds", 0.0))

    data = torch.as_tensor(data_np, dtype=dtype).to(dev)
    n_data = data.shape[0]
    stopped = "completed" if steps_done < tr.steps else "already trained"
    start = time.perf_counter()

    def payload(complete: bool) -> dict[str, Any]:
        return {
            "config": cfg.model_dump(), "config_hash": digest, "dim": dim, "network": dict(model.net.spec),
            "model": cpu_copy(model.state_dict()), "ema": cpu_copy(ema.module.state_dict()),
            "ema_state": cpu_copy(ema.state_dict()), "optimizer": {
                "adam": opt.state_dict(), "schedule": sched.state_dict()},
            "generator": gen.get_state(), "steps_done": steps_done, "complete": complete, "history": history,
            "meta": {"seconds": earlier_seconds + time.perf_counter() - start, "device": str(dev),
                     "dtype": tr.dtype, "stopped": stopped, "torch": str(torch.__version__),
                     "threads": torch.get_num_threads()},
        }

    bar = _progress(tr.steps, steps_done, progress, "train score")
    running, count = 0.0, 0
    try:
        model.train()
        while steps_done < tr.steps:
            if tr.max_seconds and time.perf_counter() - start > tr.max_seconds:
                stopped = "time budget"
                break
            idx = torch.randint(n_data, (tr.batch_size,), generator=gen).to(dev)
            t = sample_times(tr.batch_size, tr.t_min, process.T, tr.time_sampling, generator=gen,
                             dtype=dtype).to(dev)
            loss = _loss(cfg, model, data[idx], t, process, gen)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if tr.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), tr.grad_clip)
            opt.step()
            sched.step()
            ema.update(model)
            steps_done += 1
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(f"training: loss is {value} at step {steps_done} (lower training.lr)")
            running += value
            count += 1
            bar.update()
            if steps_done % cfg.output.log_every == 0 or steps_done == tr.steps:
                record = {"step": steps_done, "loss": running / count,
                          "seconds": earlier_seconds + time.perf_counter() - start, "lr": sched.get_last_lr()[0]}
                for k, v in record.items():
                    history[k].append(float(v))
                bar.set_postfix(loss=f"{running / count:.4g}")
                running, count = 0.0, 0
                if on_record is not None:
                    on_record(record)
            if path is not None and steps_done % save_every == 0 and steps_done < tr.steps:
                save_checkpoint(path, payload(False))
    except KeyboardInterrupt:
        if path is not None:
            stopped = "interrupted"
            save_checkpoint(path, payload(False))
            print(f"\ntheorylab: saved {steps_done} steps to {path}; run again to resume", file=sys.stderr)
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - start

    classifier, prior = None, None
    if cfg.classifier is not None:
        from theorylab.learning.classifier import train_classifier

        labels = torch.as_tensor(labels_np, dtype=torch.long).to(dev)
        prior = saved.get("classifier") if saved is not None else None
        classifier = train_classifier(cfg, data, labels, process, generator=gen, progress=progress, saved=prior)

    result = TrainResult(cfg, model, ema.module, history, steps_done, seconds, stopped, str(dev), path, classifier)
    if path is not None and not (stopped == "already trained" and (cfg.classifier is None or prior is not None)):
        body = payload(steps_done >= tr.steps)
        if classifier is not None:
            body["classifier"] = classifier.to_checkpoint()
        save_checkpoint(path, body)
    result.meta = {"seconds_total": earlier_seconds + seconds}
    return result


def _existing(path: Path | None, digest: str, force: bool) -> dict[str, Any] | None:
    """The checkpoint at ``path`` to resume from (same config), None if absent; a different config is an error."""
    if path is None or not path.exists():
        return None
    data = load_checkpoint(path, key="output.checkpoint")
    if data.get("config_hash") == digest:
        return data
    if force:
        return None
    raise ConfigError(f"output.checkpoint: {str(path)!r} holds a score trained with another config "
                      "(use --force to overwrite, or another path)")
