"""The ``[gan]`` config of the GAN lab: its keys, their validation, and the laws it names.

Every key is documented here, in one place. Validation errors are one line naming the dotted key
(``gan.steps: Input should be greater than 0, got -5``, ``gan.pi.cov: covariance is not positive definite``) and are
raised as :class:`~theorylab.errors.ConfigError`.

.. code-block:: toml

    [gan]
    mode = "exact"            # "exact" | "discriminator" | "train"
    name = "my_run"           # optional: output folder reports/gan/<name>/ (default "gan_<mode>")
    seed = 0                  # the run's one integer seed (all modes)

    [gan.pi]                  # the data law pi: kind = "gaussian" | "gmm", keys as [target]
    kind = "gmm"              # (theorylab.distributions.factory); dimension 1 or 2
    weights = [0.5, 0.5]
    means = [-3.0, 3.0]
    covs = [0.25, 1.0]

    [gan.generator]           # mode "exact" and "discriminator" only: the FIXED generator law mu_G
    kind = "gaussian"         # same keys as [gan.pi], same dimension
    mean = 0.0
    cov = 1.0

Keys by mode (a key that the mode does not use is refused, naming it):

* ``mode = "exact"`` (seed 000, 'Definición Formal de una GAN'): ``n_mc`` (100000, Monte Carlo cross-check of the
  value), ``perturbations`` ([0.1, 0.01, 0.001], sizes :math:`\\varepsilon` of the perturbed discriminators
  :math:`\\operatorname{expit}(\\operatorname{logit} D^* + \\varepsilon\\varphi)`), ``grid_points`` (801 in 1D,
  201 per axis in 2D when omitted; the grid of the pointwise check and of the figure).
* ``mode = "discriminator"`` (a learned :math:`D_\\theta` against a fixed :math:`\\mu_G`): ``steps`` (2000),
  ``m`` (minibatch, 256), ``lr`` (1e-3), ``hidden`` ([64, 64]), ``activation`` ("tanh"), ``optimizer``
  ("adam"), ``sample_sizes`` ([64, 1024]: finite data sets of n points from each law), ``online`` (true: one more
  run with fresh samples every step), ``eval_every`` (100), ``region_threshold`` (1e-3: the sup gap is taken
  over :math:`\\{m \\ge \\text{threshold}\\cdot\\max m\\}`, :math:`m = (p+q)/2`), ``grid_points`` (per axis;
  default 2001 in 1D, 301 in 2D), ``device`` ("auto" | "cpu" | "cuda"), ``dtype`` ("float64" | "float32").
* ``mode = "train"`` (seed 000, 'Entrenando a tu GAN'): ``steps`` (2000 generator steps), ``k`` (1 discriminator
  step per generator step), ``m`` (minibatch, 64), ``lr`` (2e-4), ``generator_loss`` ("minimax" |
  "non-saturating", default "non-saturating"), ``latent_dim`` (default: the dimension of pi), ``hidden``
  ([64, 64]), ``activation`` ("tanh" | "relu" | "leaky_relu" | "silu"), ``optimizer`` ("adam" | "sgd"),
  ``eval_every`` (100), ``n_eval`` (2000 generator samples per evaluation), ``n_mc`` (2000 Monte Carlo points
  of the smoothed JS), ``js_bandwidth`` (KDE bandwidth h; default a quarter (1D) or half (2D) of the smallest
  component standard deviation of pi), ``n_boot`` (100, bootstrap resamples of the histogram JS),
  ``mode_radius`` (3.0 standard deviations), ``mode_fraction`` (0.25: a mode k is covered when at least
  ``mode_fraction * w_k`` of the generator samples lie within ``mode_radius`` of it), ``snapshots`` (3 sample
  snapshots kept for the figure), ``device``, ``dtype``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from theorylab.config import validate
from theorylab.distributions import Distribution, make_target
from theorylab.errors import ConfigError

__all__ = [
    "DiscriminatorTable",
    "ExactTable",
    "GanConfig",
    "MODES",
    "TrainTable",
    "build_law",
    "load_gan_config",
]

#: The modes of the ``[gan]`` table.
MODES: tuple[str, ...] = ("exact", "discriminator", "train")
#: Kinds of ``[gan.pi]`` / ``[gan.generator]`` (laws with a density: the lab integrates them).
LAW_KINDS: tuple[str, ...] = ("gaussian", "gmm")

PositiveInt = Annotated[int, Field(gt=0)]
Activation = Literal["tanh", "relu", "leaky_relu", "silu"]
Device = Literal["auto", "cpu", "cuda"]
Dtype = Literal["float64", "float32"]


def build_law(table: Mapping[str, Any], key: str) -> Distribution:
    """Build a Gaussian or Gaussian mixture law of dimension 1 or 2 from a ``[gan.pi]``-like table.

    Parameters
    ----------
    table : mapping
        Keys of a ``[target]`` table (:func:`theorylab.distributions.make_target`), ``kind`` in :data:`LAW_KINDS`.
    key : str
        Dotted name of the table, used in error messages (``"gan.pi"``).

    Raises
    ------
    ConfigError
        One line naming ``<key>.<parameter>`` (e.g. ``"gan.pi.cov: covariance is not positive definite"``).
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"{key}: must be a table, got {type(table).__name__}")
    kind = table.get("kind")
    if kind not in LAW_KINDS:
        raise ConfigError(f"{key}.kind: must be one of {', '.join(LAW_KINDS)} (a law with a density), got {kind!r}")
    try:
        law = make_target(table)
    except ConfigError as exc:
        message = str(exc)
        if message.startswith("target."):
            message = message[len("target."):]
        raise ConfigError(f"{key}.{message}") from None
    if law.dim not in (1, 2):
        raise ConfigError(f"{key}: dimension {law.dim} is not supported (1 or 2)")
    if getattr(law, "is_singular", False):  # targets may be singular (issue 12); the GAN lab's laws need a density
        raise ConfigError(f"{key}.cov: must be positive definite (the GAN lab needs a law with a density)")
    return law


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)


class _Common(_Strict):
    name: str | None = None
    seed: int = Field(0, ge=0)
    pi: dict[str, Any]

    @field_validator("pi")
    @classmethod
    def _pi_is_a_law(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_law(v)
        return v

    @field_validator("name")
    @classmethod
    def _name_is_a_folder_name(cls, v: str | None) -> str | None:
        if v is not None and (not v or "/" in v or "\\" in v or v in (".", "..")):
            raise ValueError(f"must be a non-empty folder name without '/', got {v!r}")
        return v

    def pi_law(self) -> Distribution:
        """The law :math:`\\pi` of ``[gan.pi]``."""
        return build_law(self.pi, "gan.pi")


def _check_law(v: Mapping[str, Any]) -> None:
    """Validate a law table; a :class:`ConfigError` ``"gan.pi.cov: ..."`` becomes ``ValueError("cov: ...")`` so that
    pydantic attaches it to the table's own path."""
    try:
        build_law(v, "_")
    except ConfigError as exc:
        message = str(exc)
        raise ValueError(message[2:].lstrip() if message.startswith(("_.", "_:")) else message) from None


class _WithGenerator(_Common):
    generator: dict[str, Any]

    @field_validator("generator")
    @classmethod
    def _generator_is_a_law(cls, v: dict[str, Any]) -> dict[str, Any]:
        _check_law(v)
        return v

    @model_validator(mode="after")
    def _same_dimension(self):
        dp, dg = self.pi_law().dim, self.generator_law().dim
        if dp != dg:
            raise ValueError(f"generator: dimension {dg} differs from the dimension {dp} of gan.pi")
        return self

    def generator_law(self) -> Distribution:
        """The fixed generator law :math:`\\mu_G` of ``[gan.generator]``."""
        return build_law(self.generator, "gan.generator")


class ExactTable(_WithGenerator):
    """``[gan]`` with ``mode = "exact"``: :math:`D^*`, :math:`V(\\mu_G, D^*)` and JS by quadrature."""

    mode: Literal["exact"]
    n_mc: int = Field(100_000, ge=2)
    perturbations: list[Annotated[float, Field(gt=0)]] = Field(default_factory=lambda: [0.1, 0.01, 0.001],
                                                                 min_length=1)
    grid_points: int | None = Field(None, ge=11)


class DiscriminatorTable(_WithGenerator):
    """``[gan]`` with ``mode = "discriminator"``: a learned :math:`D_\\theta` against a fixed :math:`\\mu_G`."""

    mode: Literal["discriminator"]
    steps: int = Field(2000, gt=0)
    m: int = Field(256, gt=0)
    lr: float = Field(1e-3, gt=0)
    hidden: list[PositiveInt] = Field(default_factory=lambda: [64, 64], min_length=1)
    activation: Activation = "tanh"
    optimizer: Literal["adam", "sgd"] = "adam"
    sample_sizes: list[PositiveInt] = Field(default_factory=lambda: [64, 1024])
    online: bool = True
    eval_every: int = Field(100, gt=0)
    region_threshold: float = Field(1e-3, gt=0, lt=1)
    grid_points: int | None = Field(None, ge=11)
    device: Device = "auto"
    dtype: Dtype = "float64"

    @model_validator(mode="after")
    def _something_to_train(self):
        if not self.sample_sizes and not self.online:
            raise ValueError("sample_sizes: empty and online = false: nothing to train")
        return self


class TrainTable(_Common):
    """``[gan]`` with ``mode = "train"``: the alternating algorithm of seed 000, 'Entrenando a tu GAN'."""

    mode: Literal["train"]
    steps: int = Field(2000, gt=0)
    k: int = Field(1, gt=0)
    m: int = Field(64, gt=0)
    lr: float = Field(2e-4, gt=0)
    generator_loss: Literal["minimax", "non-saturating"] = "non-saturating"
    latent_dim: int | None = Field(None, gt=0)
    hidden: list[PositiveInt] = Field(default_factory=lambda: [64, 64], min_length=1)
    activation: Activation = "tanh"
    optimizer: Literal["adam", "sgd"] = "adam"
    eval_every: int = Field(100, gt=0)
    n_eval: int = Field(2000, ge=10)
    n_mc: int = Field(2000, ge=2)
    js_bandwidth: float | None = Field(None, gt=0)
    n_boot: int = Field(100, ge=2)
    mode_radius: float = Field(3.0, gt=0)
    mode_fraction: float = Field(0.25, gt=0, le=1)
    snapshots: int = Field(3, ge=1)
    device: Device = "auto"
    dtype: Dtype = "float64"

    def latent(self) -> int:
        """The latent dimension (``latent_dim``, or the dimension of :math:`\\pi` when omitted)."""
        return self.latent_dim if self.latent_dim is not None else self.pi_law().dim

    def bandwidth(self) -> float:
        """KDE bandwidth ``js_bandwidth``; when omitted, :math:`\\sigma_{\\min}/4` in 1D and :math:`\\sigma_{\\min}/2`
        in 2D, :math:`\\sigma_{\\min}` the smallest component standard deviation of :math:`\\pi` (square root of the
        smallest eigenvalue of any component covariance).

        The smoothed JS is blind to structure finer than :math:`h`, and its finite-sample bias grows like
        :math:`1/(n h^d)`: measured floors at :math:`n = 2000` are ~1e-3 (1D, :math:`h = \\sigma/4`) and ~5e-3
        (2D ring, :math:`h = \\sigma/2`; ~2e-2 at :math:`\\sigma/4`)."""
        if self.js_bandwidth is not None:
            return float(self.js_bandwidth)
        covs = self.pi_law().as_mixture().covs
        sigma_min = math.sqrt(float(np.min(np.linalg.eigvalsh(covs))))
        return sigma_min / (4.0 if covs.shape[1] == 1 else 2.0)


_TABLES: dict[str, type[_Common]] = {"exact": ExactTable, "discriminator": DiscriminatorTable, "train": TrainTable}


class GanConfig(_Strict):
    """A validated GAN-lab config: one ``[gan]`` table (see the module docstring for the keys).

    Build it with :func:`load_gan_config` (or ``theorylab.config.validate(raw, GanConfig)``); errors are one line
    naming the dotted key.
    """

    gan: ExactTable | DiscriminatorTable | TrainTable

    @model_validator(mode="before")
    @classmethod
    def _dispatch_on_mode(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValueError(f"gan: the config must be a table, got {type(data).__name__}")
        for key in data:
            if key != "gan":
                raise ValueError(f"{key}: unknown key (a GAN-lab config has one [gan] table)")
        table = data.get("gan")
        if isinstance(table, BaseModel):
            return data
        if not isinstance(table, Mapping):
            raise ValueError("gan: missing (required)" if table is None else
                             f"gan: must be a table, got {type(table).__name__}")
        mode = table.get("mode")
        if mode is None:
            raise ValueError(f"gan.mode: missing (one of {', '.join(MODES)})")
        if mode not in _TABLES:
            raise ValueError(f"gan.mode: unknown mode {mode!r} (expected one of {', '.join(MODES)})")
        try:
            parsed = validate(table, _TABLES[mode])
        except ConfigError as exc:
            message = str(exc)
            key = message.split(":", 1)[0]
            if message.endswith(": unknown key") and any(key in t.model_fields for t in _TABLES.values()):
                message = f"{key}: not used with mode {mode!r}"
            raise ValueError(f"gan.{message}") from None
        return {"gan": parsed}


def load_gan_config(raw: Mapping[str, Any]) -> GanConfig:
    """Validate a raw config mapping (parsed TOML with a ``[gan]`` table).

    Raises
    ------
    ConfigError
        One line naming the dotted key (``gan.mode``, ``gan.steps``, ``gan.pi.cov``, ...).
    """
    if isinstance(raw, GanConfig):
        return raw
    return validate(raw, GanConfig)  # type: ignore[return-value]
