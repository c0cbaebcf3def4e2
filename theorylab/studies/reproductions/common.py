"""Shared pieces of the seed-002 reproductions: options, training, estimates as plain dicts, tables, figures, report.

Every experiment module (:mod:`~theorylab.studies.reproductions.gmm`, ``smile``, ``digits``) follows the contract
of :mod:`theorylab.studies.reproductions.runner`: train through :func:`theorylab.learning.training.train`,
evaluate, write figures and ``report.md`` into ``out_dir``, return a JSON-serialisable dict whose estimates are
``{"value", "lower", "upper", "method"}`` (:func:`estimate_dict`). Nothing here is specific to one experiment.

Figures use matplotlib's Agg canvas directly (no pyplot, no global backend switch), as
:meth:`theorylab.learning.error.ScoreErrorProfile.plot` does.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from theorylab.errors import ConfigError

__all__ = [
    "COST_PLACEHOLDER",
    "TrainedScore",
    "check_options",
    "estimate_dict",
    "fmt_estimate",
    "interval_dict",
    "markdown_table",
    "new_figure",
    "plot_loss",
    "positive_int",
    "save_figure",
    "stage",
    "train_score",
    "training_lines",
    "write_report",
]

#: Where the lead inserts the cost line (from ``result.json``) into ``report.md``.
COST_PLACEHOLDER = "<!-- cost -->"


# ------------------------------------------------------------------------------------------------------- options
def check_options(options: Mapping[str, Any], defaults: Mapping[str, Any], *, prefix: str = "experiment") -> dict:
    """``defaults`` updated with ``options``; an unknown key, or a value of another type than its default, is a
    one-line :class:`~theorylab.errors.ConfigError` naming ``experiment.<key>``.

    Types: an int default accepts ints (not bools); a float default accepts ints and floats (finite); a list
    default accepts lists (element types are the caller's to check); a str/bool default accepts that type.
    """
    out = dict(defaults)
    for key, value in dict(options).items():
        if key not in defaults:
            raise ConfigError(f"{prefix}.{key}: unknown key; known keys are {sorted(defaults)}")
        default = defaults[key]
        ok = True
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))
            value = float(value) if ok else value
        elif isinstance(default, (list, tuple)):
            ok = isinstance(value, (list, tuple))
            value = list(value) if ok else value
        elif isinstance(default, str):
            ok = isinstance(value, str)
        if not ok:
            raise ConfigError(f"{prefix}.{key}: must be of the type of its default {default!r}, got {value!r}")
        out[key] = value
    return out


def positive_int(options: Mapping[str, Any], key: str, minimum: int = 1, *, prefix: str = "experiment") -> int:
    """``options[key]`` as an int ``>= minimum`` (ConfigError naming the key otherwise)."""
    value = options[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{prefix}.{key}: must be an integer >= {minimum}, got {value!r}")
    return int(value)


# ------------------------------------------------------------------------------------------------------- progress
def stage(progress: bool, message: str) -> None:
    """One line on stderr (when ``progress``): what the experiment is doing now."""
    if progress:
        print(f"[theorylab] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------------- training
class TrainedScore:
    """What :func:`train_score` returns: the :class:`~theorylab.learning.training.TrainResult`, the EMA score
    on the CPU (:class:`~theorylab.learning.score.LearnedScore`, float64 or the training dtype), the checkpoint
    path, and the training cost measured around ``train`` (wall and CPU seconds of this call)."""

    def __init__(self, result: Any, score: Any, checkpoint: Path, wall: float, cpu: float):
        self.result = result
        self.score = score
        self.checkpoint = checkpoint
        self.wall = wall
        self.cpu = cpu

    def summary(self) -> dict[str, Any]:
        """Plain dict: steps, stop reason, seconds (this call and total over resumes), CPU seconds, final loss."""
        r = self.result
        loss = r.history["loss"][-1] if r.history["loss"] else None
        return {"steps": int(r.steps_done), "stopped": r.stopped, "device": r.device,
                "seconds": float(r.meta.get("seconds_total", r.seconds)), "seconds_this_call": float(r.seconds),
                "cpu_seconds_this_call": float(self.cpu), "final_loss": None if loss is None else float(loss),
                "checkpoint": str(self.checkpoint)}


def train_score(cfg: Any, out_dir: Path, *, progress: bool) -> TrainedScore:
    """Train ``cfg`` into ``output.checkpoint`` or ``out_dir/score.pt`` (resumed when it holds the same config).

    A checkpoint at the default ``out_dir/score.pt`` that holds *another* config (the quick and full profiles
    share ``out_dir``) is overwritten, as ``report.md`` and ``result.json`` are; a user-given
    ``output.checkpoint`` of another config is the usual one-line error.
    """
    from theorylab.learning.score import LearnedScore
    from theorylab.learning.training import train

    own = cfg.output.checkpoint is None
    path = out_dir / "score.pt" if own else Path(cfg.output.checkpoint)
    stage(progress, f"training the score ({cfg.training.steps} steps) -> {path}")
    wall, cpu = time.perf_counter(), time.process_time()
    result = train(cfg, checkpoint=path, progress=progress, force=own)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    score = LearnedScore.from_checkpoint(path, weights="ema", device="cpu", key="output.checkpoint")
    return TrainedScore(result, score, path, wall, cpu)


def training_lines(trained: TrainedScore) -> list[str]:
    """Markdown lines on the training run (steps, time, loss, checkpoint, device)."""
    s = trained.summary()
    cfg = trained.result.config
    tr = cfg.training
    lines = [f"- {s['steps']} Adam steps ({s['stopped']}), batch {tr.batch_size}, lr {tr.lr:g} "
             f"({tr.lr_schedule}), {tr.loss.upper()} loss with weighting {tr.weighting}, times "
             f"{tr.time_sampling} on [{tr.t_min:g}, T], EMA rate {tr.ema:g}, {tr.dtype}, on {s['device']}.",
             f"- Training time: {s['seconds']:.1f} s wall in total"
             + (f" ({s['seconds_this_call']:.1f} s wall and {s['cpu_seconds_this_call']:.1f} s CPU in this run)"
                if s["stopped"] != "already trained" else " (resumed a finished checkpoint: no training in this run)")
             + ".",
             f"- Final running loss: {s['final_loss']:.5g}." if s["final_loss"] is not None else "- No loss record.",
             f"- Network: `{json.dumps(dict(trained.score.model.net.spec))}`, parameterisation "
             f"`{cfg.parameterisation}`; the EMA weights are used for everything below.",
             f"- Checkpoint: `{Path(s['checkpoint']).name}` (loss history in `loss.csv`, figure `loss.png`)."]
    return lines


# ------------------------------------------------------------------------------------------------------- estimates
def interval_dict(value: float, lower: float, upper: float, method: str, **extra: Any) -> dict[str, Any]:
    """``{"value", "lower", "upper", "method", **extra}`` with plain floats."""
    return {"value": float(value), "lower": float(lower), "upper": float(upper), "method": str(method), **extra}


def estimate_dict(est: Any, **extra: Any) -> dict[str, Any]:
    """An :class:`~theorylab.divergences.Estimate` as ``{"value", "lower", "upper", "method", "name", "kind",
    "level", "note"}`` (``kind``: the uncertainty's kind, e.g. ``ci`` or ``grid``)."""
    u = est.uncertainty
    return interval_dict(est.value, u.lower, u.upper, est.method, name=est.name, kind=u.kind,
                         level=None if u.level is None else float(u.level), note=u.note, **extra)


def fmt_estimate(d: Mapping[str, Any] | None, digits: int = 4) -> str:
    """``"value [lower, upper]"`` of an estimate dict (``"n/a"`` for None)."""
    if d is None:
        return "n/a"
    v, lo, hi = (float(d[k]) for k in ("value", "lower", "upper"))
    return f"{v:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (cells converted with ``str``; ``|`` escaped)."""
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------- figures
def new_figure(width: float = 7.0, height: float = 4.2, ncols: int = 1, nrows: int = 1):
    """``(fig, axes)`` on an Agg canvas; ``axes`` a flat list of ``nrows * ncols`` axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(nrows, ncols, i + 1) for i in range(nrows * ncols)]
    return fig, axes


def save_figure(fig: Any, path: Path, dpi: int = 120) -> Path:
    """Write ``fig`` as a PNG (tight bounding box); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path


def plot_loss(history: Mapping[str, Sequence[float]], out_dir: Path) -> list[Path]:
    """``loss.csv`` and ``loss.png`` (running loss against the step) in ``out_dir``."""
    import pandas as pd

    csv, png = out_dir / "loss.csv", out_dir / "loss.png"
    pd.DataFrame({k: list(v) for k, v in history.items()}).to_csv(csv, index=False)
    fig, (ax,) = new_figure(6.0, 3.2)
    steps, loss = np.asarray(history["step"]), np.asarray(history["loss"])
    if steps.size:
        ax.plot(steps, loss, "-", color="C0", lw=1)
        if np.all(loss > 0):
            ax.set_yscale("log")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("training loss (running mean)")
    ax.set_title("DSM training loss", fontsize=10)
    save_figure(fig, png)
    return [csv, png]


# ------------------------------------------------------------------------------------------------------- report
def config_block(raw: Mapping[str, Any]) -> str:
    """The config as an indented JSON code block (the exact values the run used)."""
    return "```json\n" + json.dumps(raw, indent=2, sort_keys=True, default=str) + "\n```"


def write_report(out_dir: Path, title: str, sections: Sequence[tuple[str, Sequence[str] | str]], *,
                 config: Mapping[str, Any] | None = None, options: Mapping[str, Any] | None = None) -> Path:
    """Write ``out_dir/report.md``: a title, the :data:`COST_PLACEHOLDER` line, the sections (heading, lines or a
    block of text), then the config and the experiment options that produced the numbers."""
    parts = [f"# {title}", "", COST_PLACEHOLDER, ""]
    for heading, body in sections:
        parts += [f"## {heading}", ""]
        parts += [body] if isinstance(body, str) else list(body)
        parts.append("")
    if config is not None or options is not None:
        parts += ["## Configuration", ""]
        if options is not None:
            parts += ["Experiment options (`[experiment]`, defaults filled in):", "", config_block(options), ""]
        if config is not None:
            parts += ["Training config (validated):", "", config_block(config), ""]
    path = Path(out_dir) / "report.md"
    path.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    return path
