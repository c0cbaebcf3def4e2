"""``theorylab train``'s output: train, then measure the score's error where the target has an exact score.

Next to the checkpoint ``PATH.pt`` it writes ``PATH.loss.csv`` (the loss history) and, for a target with closed-form
marginals (Gaussian, mixture), the M profile of :mod:`theorylab.learning.error`: ``PATH.profile.csv`` and
``PATH.profile.png`` — the sup of :math:`\\|s_\\theta(t,\\cdot) - \\nabla\\log p_t\\|` over the high-density region of
:math:`p_t` and the :math:`L^2(p_t)` error with its confidence interval, per time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["profile_times_for", "train_and_report"]


def profile_times_for(process: Any, t_min: float, n: int = 24) -> np.ndarray:
    """The M profile's times: :func:`~theorylab.learning.error.default_error_times` from the training's smallest
    time (at least :math:`10^{-3}T`) to :math:`T`."""
    from theorylab.learning.error import default_error_times

    return default_error_times(process, n=n, t_min=max(float(t_min), 1e-3 * float(process.T)))


def train_and_report(cfg: Any, *, checkpoint: str | Path | None = None, device: str | None = None,
                     force: bool = False, progress: bool = True, n_samples: int = 4096) -> dict[str, Any]:
    """Train ``cfg`` (resuming a matching checkpoint), write the loss history and the M profile; a summary dict."""
    from theorylab.distributions import make_target
    from theorylab.learning.score import LearnedScore
    from theorylab.learning.training import train

    result = train(cfg, checkpoint=checkpoint, device=device, progress=progress, force=force)
    path = result.checkpoint
    summary: dict[str, Any] = {
        "checkpoint": str(path) if path else None, "steps": result.steps_done, "stopped": result.stopped,
        "seconds": round(result.meta.get("seconds_total", result.seconds), 3), "device": result.device,
        "final_loss": result.history["loss"][-1] if result.history["loss"] else None, "files": [],
    }
    lines = [f"trained {result.steps_done} steps ({result.stopped}) on {result.device} in {summary['seconds']:.1f} s; "
             f"final loss {summary['final_loss']:.5g}" if summary["final_loss"] is not None else
             f"trained {result.steps_done} steps ({result.stopped})"]
    if path is not None:
        loss_csv = path.with_suffix(".loss.csv")
        pd.DataFrame(result.history).to_csv(loss_csv, index=False)
        summary["files"].append(str(loss_csv))
        lines.append(f"checkpoint: {path}")
    if result.classifier is not None:
        acc = result.classifier.history.get("accuracy", [])
        summary["classifier_accuracy_last"] = acc[-1] if acc else None
        lines.append(f"classifier: {result.classifier.n_classes} classes, training accuracy on noised data "
                     f"{acc[-1]:.3f} (last record)" if acc else "classifier trained")

    target = make_target(cfg.target)
    if hasattr(target, "ou_marginal"):
        from theorylab.learning.error import score_error_profile

        score = (LearnedScore.from_checkpoint(path, device="cpu") if path is not None
                 else LearnedScore(result.ema_model.to("cpu"), cfg.training.t_min, cfg))
        times = profile_times_for(score.process, cfg.training.t_min)
        profile = score_error_profile(score, target, score.process, times, n_samples=n_samples,
                                      seed=cfg.training.seed)
        avg, lo, hi = profile.l2_average(max(0.05 * score.process.T, times[0]), score.process.T)
        summary["score_error"] = {"M_sup": profile.M_sup, "M_l2": profile.M_l2,
                                  "l2_average": [avg, lo, hi], "profile": profile.to_json()}
        lines.append(f"score error (M profile, {profile.region}):")
        lines.append(f"  sup over t of the sup-norm error M = {profile.M_sup:.4g}; max L2(p_t) error = "
                     f"{profile.M_l2:.4g}; L2(p_t) averaged over t in [{0.05 * score.process.T:.3g}, "
                     f"{score.process.T:.3g}] = {avg:.4g} [{lo:.4g}, {hi:.4g}] (95% CI)")
        frame = profile.to_frame()
        lines.append(frame.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        if path is not None:
            csv, png = path.with_suffix(".profile.csv"), path.with_suffix(".profile.png")
            frame.to_csv(csv, index=False)
            profile.plot(png)
            summary["files"] += [str(csv), str(png)]
    else:
        lines.append(f"score error: target.kind {cfg.target['kind']!r} has no exact score; no M profile")
    summary["text"] = "\n".join(lines)
    return summary
