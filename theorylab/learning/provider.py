"""Where a measure config's learned score comes from: a checkpoint, or training one on the fly (cached).

``[score] kind = "learned"`` takes either

* ``checkpoint = "path.pt"`` — a score trained by ``theorylab train``; its forward process must be the one the
  measure config names (same kind and parameters; for VP and VE the same horizon, since their schedules are laid
  out on :math:`[0, T]`; for OU any horizon up to the trained one), or
* a ``[score.train]`` table — the ``network``, ``training`` (and ``classifier``) tables of a train config, with the
  target and the process taken from the measure config. The trained checkpoint is cached under ``score.cache``
  (default ``.theorylab/scores/<config hash>.pt``), so the cells of a sweep that share a score train it once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from theorylab.errors import ConfigError

__all__ = ["DEFAULT_CACHE", "learned_score", "train_config_for"]

#: Folder of scores trained on the fly, keyed by the hash of their train config.
DEFAULT_CACHE = ".theorylab/scores"


def train_config_for(score_cfg: Any, target: dict[str, Any], process_cfg: Any, T: float):
    """The :class:`~theorylab.learning.config.TrainConfig` of a ``[score.train]`` table in a measure config."""
    from theorylab.config import validate
    from theorylab.learning.config import TrainConfig

    table = dict(score_cfg.train or {})
    for key in ("target", "process", "output"):
        if key in table:
            raise ConfigError(f"score.train.{key}: set by the measure config; remove it from [score.train]")
    raw = {"target": target, "process": {**process_cfg.model_dump(), "T": T}, **table}
    try:
        return validate(raw, TrainConfig)
    except ConfigError as exc:
        raise ConfigError(f"score.train.{exc}") from None


def _check_process(score: Any, process: Any) -> None:
    trained = score.process
    if trained.name != process.name:
        raise ConfigError(f"process.kind: the checkpoint's score was trained for {trained.name!r}, "
                          f"the config names {process.name!r}")
    mine, theirs = dict(trained._params()), dict(process._params())
    T_trained, T = mine.pop("T"), theirs.pop("T")
    for key, value in mine.items():
        if abs(theirs[key] - value) > 1e-12 * max(1.0, abs(value)):
            raise ConfigError(f"process.{key}: the checkpoint's score was trained with {key} = {value}, "
                              f"the config has {theirs[key]}")
    if process.name == "ou":
        if T > T_trained * (1 + 1e-12):
            raise ConfigError(f"sampler.T: {T} exceeds the horizon the score was trained on ({T_trained})")
    elif abs(T - T_trained) > 1e-12 * T_trained:
        raise ConfigError(f"sampler.T: the {process.name} score was trained on [0, {T_trained}], the sampler's "
                          f"horizon is {T} (a {process.name} schedule depends on T)")


def learned_score(score_cfg: Any, target: dict[str, Any], process_cfg: Any, process: Any, *,
                  progress: bool = False):
    """The :class:`~theorylab.learning.score.LearnedScore` a ``[score]`` table with ``kind = "learned"`` names."""
    from theorylab.learning.config import config_hash
    from theorylab.learning.score import LearnedScore
    from theorylab.learning.training import train

    if (score_cfg.checkpoint is None) == (score_cfg.train is None):
        raise ConfigError("score.checkpoint: kind 'learned' takes either checkpoint = PATH or a [score.train] table")
    if score_cfg.checkpoint is not None:
        score = LearnedScore.from_checkpoint(score_cfg.checkpoint, weights=score_cfg.weights)
    else:
        cfg = train_config_for(score_cfg, target, process_cfg, float(process.T))
        from theorylab.cost import check_train

        check_train(cfg, prefix="score.train.")
        path = Path(score_cfg.cache or DEFAULT_CACHE) / f"{config_hash(cfg)}.pt"
        train(cfg, checkpoint=path, progress=progress, device="cpu")
        score = LearnedScore.from_checkpoint(path, weights=score_cfg.weights)
    _check_process(score, process)
    return score
