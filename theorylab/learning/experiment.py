"""An experiment file of the learned-score studies: a train config plus an ``[experiment]`` table (and a ``[quick]``
profile), read and validated here, below the studies that run it (:mod:`theorylab.studies`) and the claims that read
their results (:mod:`theorylab.claims.seed002`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from theorylab.errors import ConfigError

__all__ = ["load_experiment"]


def load_experiment(path: str | Path, overrides: Sequence[str] = (), *, full: bool = False,
                    kinds: Collection[str] | None = None):
    """``(name, kind, options, TrainConfig, raw)`` of an experiment file (``[quick]`` applied unless ``full``);
    ``kinds``: the accepted ``experiment.kind`` values (the studies' registry; None accepts any string).

    ``options`` is the ``[experiment]`` table without ``kind`` and ``threads`` (the runner's torch threads);
    ``raw`` holds the whole table again under ``"experiment"``.
    """
    from theorylab.config import apply_overrides, apply_profile, load_toml, validate
    from theorylab.learning.config import TrainConfig

    path = Path(path)
    raw = apply_overrides(apply_profile(load_toml(path), full), list(overrides))
    table = dict(raw.pop("experiment", {}) or {})
    if not table:
        raise ConfigError(f"{path}: no [experiment] table (train-only configs run with `theorylab train`)")
    kind = table.pop("kind", None)
    if not isinstance(kind, str) or (kinds is not None and kind not in kinds):
        raise ConfigError(f"experiment.kind: must be one of {sorted(kinds or [])}, got {kind!r}")
    threads = table.pop("threads", None)  # the runner's, not the experiment's (see run_experiment)
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise ConfigError(f"experiment.threads: must be an integer >= 1, got {threads!r}")
    cfg = validate(raw, TrainConfig)
    return path.stem, kind, table, cfg, {**raw, "experiment": {"kind": kind, "threads": threads, **table}}
