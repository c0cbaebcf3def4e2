"""Configs of ``theorylab train`` (and of ``[score] kind = "learned"`` with on-the-fly training): keys and checks.

Every key is documented here. Validation errors are one line naming the dotted key and become exit code 2.

.. code-block:: toml

    [target]                  # the data: any theorylab target (theorylab.distributions.factory); a law with a
    kind = "gmm"              # density gives n_data fresh draws, a data set ("smile", "digits") its own points
    weights = [0.5, 0.5]
    means = [-3.0, 3.0]
    covs = [0.25, 1.0]

    [process]                 # the forward SDE the score is learned for
    kind = "vp"               # "ou" | "vp" (beta_min, beta_max) | "ve" (sigma_min, sigma_max)
    T = 1.0                   # horizon; the network sees t / T

    [network]                 # theorylab.learning.networks.build_network keys, plus:
    kind = "mlp"              # "mlp" (ScoreMLP) | "conv" (ScoreConvNet, 8x8 images)
    parameterisation = "noise"  # s = net / sigma_t ("noise") or s = net ("direct")

    [training]
    loss = "dsm"              # "dsm" | "ism"
    weighting = "sigma2"      # lambda(t): "sigma2" | "constant" | "likelihood" (g(t)^2)
    divergence = "auto"       # ism only: "auto" | "exact" | "hutchinson"
    steps = 3000              # optimiser steps
    batch_size = 1024
    lr = 2e-3                 # Adam learning rate
    lr_schedule = "cosine"    # "constant" | "cosine" (decay to lr * lr_final_fraction)
    lr_final_fraction = 0.05
    grad_clip = 1.0           # max gradient norm (0: no clipping)
    ema = 0.01                # EMA rate m of seed 000: theta_bar <- (1 - m) theta_bar + m theta
    t_min = 1e-3              # smallest training time
    time_sampling = "stratified"  # "uniform" | "stratified"
    n_data = 5000             # training points drawn from a target with a density (seed 002: 5000)
    seed = 0
    device = "auto"           # "auto" (cuda if available) | "cpu" | "cuda"
    dtype = "float64"         # "float64" | "float32" (speed)
    max_seconds = 0           # wall-clock budget (0: none); training stops early and says so

    [classifier]              # optional: also train a time-dependent classifier p_t(y | x_t) (targets with labels)
    kind = "mlp"              # "mlp" | "conv"; other TimeClassifier keys (hidden, depth, ...)
    steps = 2000
    batch_size = 256
    lr = 2e-3

    [output]
    checkpoint = "runs/scores/gmm.pt"
    log_every = 100           # steps between progress/loss records
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

import torch
from pydantic import Field, field_validator, model_validator

from theorylab.config import MAX_SEED, ProcessConfig, _Strict, kind_table

__all__ = ["DTYPES", "ClassifierConfig", "TrainConfig", "TrainingConfig", "config_hash", "make_process", "resolve_device"]


#: ``training.dtype`` -> torch dtype
DTYPES = {"float64": torch.float64, "float32": torch.float32}


class TrainProcessConfig(ProcessConfig):
    T: float = Field(1.0, gt=0)


class TrainingConfig(_Strict):
    loss: Literal["dsm", "ism"] = "dsm"
    weighting: Literal["sigma2", "constant", "likelihood"] = "sigma2"
    divergence: Literal["auto", "exact", "hutchinson"] = "auto"
    n_probes: int = Field(1, ge=1)
    steps: int = Field(3000, ge=1)
    batch_size: int = Field(1024, ge=1)
    lr: float = Field(2e-3, gt=0)
    lr_schedule: Literal["constant", "cosine"] = "cosine"
    lr_final_fraction: float = Field(0.05, ge=0, le=1)
    grad_clip: float = Field(1.0, ge=0)
    ema: float = Field(0.01, gt=0, le=1)
    t_min: float = Field(1e-3, ge=0)
    time_sampling: Literal["uniform", "stratified"] = "stratified"
    n_data: int = Field(5000, ge=2)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["float64", "float32"] = "float64"
    max_seconds: float = Field(0.0, ge=0)


class ClassifierConfig(_Strict):
    kind: Literal["mlp", "conv"] = "mlp"
    options: dict[str, Any] = Field(default_factory=dict)
    steps: int = Field(2000, ge=1)
    batch_size: int = Field(256, ge=1)
    lr: float = Field(2e-3, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _collect_network_keys(cls, data: Any):
        """Keys other than kind/steps/batch_size/lr are TimeClassifier options (checked when it is built)."""
        if isinstance(data, dict):
            own = {"kind", "steps", "batch_size", "lr", "options"}
            data = dict(data)
            extra = {k: data.pop(k) for k in list(data) if k not in own}
            data["options"] = {**data.get("options", {}), **extra}
        return data


class OutputConfig(_Strict):
    checkpoint: str | None = None
    log_every: int = Field(100, ge=1)


class TrainConfig(_Strict):
    """A validated ``train`` config (see the module docstring for the keys)."""

    target: dict[str, Any]
    process: TrainProcessConfig = Field(default_factory=lambda: TrainProcessConfig(kind="vp"))
    network: dict[str, Any] = Field(default_factory=lambda: {"kind": "mlp"})
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    classifier: ClassifierConfig | None = None
    output: OutputConfig = Field(default_factory=OutputConfig)

    @field_validator("target", "network")
    @classmethod
    def _has_kind(cls, v, info):
        return kind_table(v, info.field_name)

    @model_validator(mode="after")
    def _t_min_below_T(self):
        if not self.training.t_min < self.process.T:
            raise ValueError(f"training: t_min={self.training.t_min} must be < process.T={self.process.T}")
        return self

    def network_spec(self) -> dict[str, Any]:
        """The ``[network]`` table without ``parameterisation`` (what ``build_network`` takes)."""
        return {k: v for k, v in self.network.items() if k != "parameterisation"}

    @property
    def parameterisation(self) -> str:
        return str(self.network.get("parameterisation", "noise"))

    def identity(self) -> dict[str, Any]:
        """The keys that determine the trained weights (everything but output paths, logging, device, budget)."""
        data = self.model_dump()
        data.pop("output")
        data["training"].pop("device")
        data["training"].pop("max_seconds")
        return data


def config_hash(cfg: TrainConfig) -> str:
    """sha256 of the canonical JSON of :meth:`TrainConfig.identity` (names cached scores; checks resumes)."""
    text = json.dumps(cfg.identity(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def resolve_device(name: str | None) -> torch.device:
    """``"auto"``/None: CUDA when available, else CPU; ``"cuda"`` without CUDA is a one-line error."""
    from theorylab.errors import ConfigError

    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("training.device: 'cuda' requested but torch sees no CUDA device (use 'auto' or 'cpu')")
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"training.device: must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


def make_process(cfg: ProcessConfig, T: float):
    """The forward process a ``[process]`` table names, on the horizon ``T``."""
    from theorylab.processes import OrnsteinUhlenbeck, VarianceExploding, VariancePreserving

    if cfg.kind == "ou":
        return OrnsteinUhlenbeck(T)
    if cfg.kind == "vp":
        return VariancePreserving(cfg.beta_min, cfg.beta_max, T)
    return VarianceExploding(cfg.sigma_min, cfg.sigma_max, T)
