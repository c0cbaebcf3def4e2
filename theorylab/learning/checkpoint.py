"""Checkpoints: the trained weights with the config that made them, loadable with ``torch.load(weights_only=True)``.

A checkpoint is one ``torch.save`` of a dict of plain data and tensors only (no pickled classes), so loading it
never executes code from the file (``weights_only=True``, the safe loader):

==================  =================================================================================================
key                 value
==================  =================================================================================================
``format``          ``"theorylab-score/1"``
``config``          the validated :class:`~theorylab.learning.config.TrainConfig` as a plain dict
``config_hash``     :func:`~theorylab.learning.config.config_hash` (what the weights depend on)
``dim``             event size :math:`d`
``network``         the network's ``spec`` (rebuilt with ``build_network``)
``model``           ``state_dict`` of the trained :class:`~theorylab.learning.model.ScoreModel` (last iterate)
``ema``             ``state_dict`` of the EMA copy :math:`\\bar\\theta` (same keys as ``model``)
``ema_state``       the averager's own state (to resume the average)
``optimizer``       Adam's and the learning-rate schedule's state (to resume)
``generator``       the CPU torch generator's state (to resume with the same random stream)
``steps_done``      optimiser steps taken; ``complete`` whether all ``training.steps`` were taken
``history``         ``step``, ``loss`` (running mean since the previous record), ``seconds``, ``lr``
``classifier``      optional: ``network`` spec, ``state``, ``history``, ``n_classes``
``meta``            versions, device, dtype, wall time, stop reason
==================  =================================================================================================

Writes are atomic (a temporary file renamed over the target), so an interrupted save leaves the previous
checkpoint intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from theorylab.errors import ConfigError

__all__ = ["FORMAT", "cpu_copy", "load_checkpoint", "save_checkpoint"]

FORMAT = "theorylab-score/1"

#: Entries every checkpoint has (the table above; the others are optional or only needed to resume training).
REQUIRED = ("config", "config_hash", "dim", "network", "model", "ema")


def cpu_copy(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``state_dict`` detached and copied to the CPU (what a checkpoint stores, whatever the training device)."""
    return {k: v.detach().to("cpu").clone() for k, v in state.items()}


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plain data and tensors) to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save({"format": FORMAT, **payload}, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, *, key: str = "score.checkpoint") -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(..., weights_only=True, map_location="cpu")``.

    Raises
    ------
    ConfigError
        ``<key>: no such file``, not a theorylab checkpoint, or unreadable (one line).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{key}: no such checkpoint file {str(path)!r}")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's input error
        raise ConfigError(f"{key}: cannot read {str(path)!r} as a checkpoint ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{key}: {str(path)!r} is not a theorylab score checkpoint (format {FORMAT})")
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise ConfigError(f"{key}: {str(path)!r} lacks the entries {', '.join(missing)} of a {FORMAT} checkpoint "
                          "(written by another tool, or cut short)")
    return data
