"""Configs of ``theorylab measure`` (and the layers built on it): the TOML keys, their validation, overrides.

Every key is documented here, in one place. Validation errors are one line naming the dotted key
(``sampler.gamma: must lie in (0, 1), got 1.5``) and become exit code 2 in the CLI.

.. code-block:: toml

    [target]                 # kind = "gaussian" | "gmm" | "smile" | "digits"; keys: theorylab.distributions.factory
    kind = "gmm"
    weights = [0.5, 0.5]
    means = [[-3.0], [3.0]]
    covs = [[[0.25]], [[1.0]]]

    [process]                # optional; the forward SDE, a name of theorylab.processes.PROCESSES: "ou" (default)
    kind = "ou"              # | "vp" | "ve" | "subvp"; vp/subvp: beta_min, beta_max; ve: sigma_min, sigma_max
                             # (horizon = sampler.T)

    [sampler]
    kind = "reverse-em"      # a name of theorylab.samplers.SAMPLERS (`theorylab samplers` lists them with orders)
    T = 3.0                  # horizon; with gamma, T must be a multiple of gamma (N = T / gamma steps)
    gamma = 0.05             # constant step in (0, 1); or a [sampler.schedule] table instead:
    # [sampler.schedule]     kind = "constant" (N; horizon T) | "linear" (gamma_min, N and gamma_max or T)
    #                        | "cosine" (N, s; horizon T) | "karras" (N, rho = 7, sigma_min = 0.002, sigma_max;
    #                        horizon T; Karras et al. 2022's noise levels on the process's clock)
    start = "prior"          # "prior" (N(0, prior_std^2 I), default) | "marginal" (the exact p_T of the target)
    early_stop = 1e-3        # optional: stop at forward time eps > 0 (the grid is mapped onto [eps, T])
    denoise = false          # with early_stop: a final Tweedie step x + sigma_eps^2 s(eps, x), divided by alpha_eps
    # any other key is an option of the chosen sampler (its constructor's keyword), e.g.
    snr = 0.16               # pc: signal-to-noise ratio of the Langevin corrector (Song et al. 2021)
    # n_corrector (pc), step_size (pc), rtol/atol/method (pf-ode-adaptive), eta (ddim), variance (ddpm),
    # eps/n_steps_each (annealed-langevin), s_churn/s_tmin/s_tmax/s_noise (edm); unknown keys are refused

    [score]
    kind = "exact"           # "exact" | "perturbed" | "learned"
    error = "bias"           # with kind = "perturbed": "bias" (constant vector of norm M) | "smooth" (sup-norm M)
    M = 0.1                  # sup-norm of the score error, >= 0
    frequency = 1.0          # error = "smooth": spatial frequency of the perturbation
    # kind = "learned": checkpoint = "runs/scores/gmm.pt" (from `theorylab train`), or a [score.train] table with
    #   the network/training tables of a train config (theorylab.learning.config; target and process from here),
    #   trained once and cached under cache (default .theorylab/scores/<hash>.pt)
    weights = "ema"          # learned: the EMA weights (default) or "raw" (last iterate)
    profile_times = 12       # learned, target with exact marginals: times at which the score error (M) is measured

    [metrics]
    names = ["tv", "kl", "js", "w2"]   # names of theorylab.divergences.DIVERGENCES: "tv", "kl", "js", "hellinger", "w2"
    method = "auto"          # "exact" | "grid" | "samples"; auto takes the most exact one available
    n_samples = 100000       # samples when method resolves to "samples"
    seed = 0                 # the run's one integer seed

Overrides: ``--set sampler.gamma=0.1`` (the value is parsed as a TOML value; bare words are strings).
"""

from __future__ import annotations

import json
import math
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from theorylab.errors import ConfigError
from theorylab.limits import MAX_SCORE_ERROR
from theorylab.tolerances import GRID_TIME_RTOL

__all__ = [
    "MeasureConfig",
    "apply_profile",
    "apply_overrides",
    "deep_copy",
    "load_toml",
    "parse_override",
    "validate",
]



#: Largest accepted seed: numpy and torch generators take seeds below 2**64; per-cell seeds use 63 bits.
MAX_SEED = 2**63 - 1


def _kinds(annotation: Any) -> set[type]:
    """The plain types a field annotation admits (``float | None`` -> {float, NoneType})."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return set().union(*(_kinds(a) for a in args))
    if typing.get_origin(annotation) is typing.Annotated:
        return _kinds(args[0])
    return {annotation} if isinstance(annotation, type) else set()


def refuse_coercion(model: type[BaseModel], data: Any) -> Any:
    """Refuse what pydantic's lax mode would silently convert: a string or a boolean for a number
    (``sampler.gamma = "0.1"``, ``sampler.T = true``), anything but a boolean for a boolean (``denoise = 1``).

    pydantic's ``strict=True`` would also refuse ``n_samples = 1e5`` (an integral float for an int), which TOML users
    write; this check keeps that and refuses only the conversions that hide a typo."""
    if not isinstance(data, Mapping):
        return data
    for name, info in model.model_fields.items():
        if name not in data:
            continue
        kinds, value = _kinds(info.annotation), data[name]
        if kinds & {int, float} and bool not in kinds and isinstance(value, str | bool):
            raise ValueError(f"{name}: must be a number, got {value!r}")
        if kinds == {bool} and not isinstance(value, bool):
            raise ValueError(f"{name}: must be true or false, got {value!r}")
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        return refuse_coercion(cls, data)


def _registered(registry: Mapping[str, Any], what: str, value: Any) -> str:
    """``value`` if it names an entry of ``registry``, else a ValueError listing the names (from the registry)."""
    if not isinstance(value, str) or value not in registry:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(registry)}")
    return value


class ProcessConfig(_Strict):
    kind: str = "ou"
    beta_min: float = Field(0.1, gt=0)
    beta_max: float = Field(20.0, gt=0)
    sigma_min: float = Field(0.01, gt=0)
    sigma_max: float = Field(50.0, gt=0)

    @field_validator("kind")
    @classmethod
    def _known_process(cls, v):
        from theorylab.processes import PROCESSES

        return _registered(PROCESSES, "process", v)


class ScheduleConfig(_Strict):
    """``[sampler.schedule]``: ``kind = "constant"`` (N steps of T/N), ``"linear"`` (seed 000's
    gamma_k = gamma_min + (gamma_max - gamma_min)(N - k)/N, given gamma_max, or given the horizon ``sampler.T``, from
    which gamma_max = gamma_min + 2(T - N gamma_min)/(N + 1)), or ``"cosine"`` (Nichol & Dhariwal, horizon T).
    ``gamma_min``/``gamma_max`` are used by ``linear`` only, so one sweep can compare the three kinds at equal N, T."""

    kind: Literal["constant", "linear", "cosine", "karras"]
    gamma_min: float | None = Field(None, ge=0, lt=1)
    gamma_max: float | None = Field(None, gt=0, lt=1)
    N: int = Field(gt=0)
    s: float = Field(0.008, ge=0)
    rho: float = Field(7.0, gt=0)
    sigma_min: float = Field(0.002, gt=0)
    sigma_max: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _linear_needs_bounds(self):
        if self.kind == "linear":
            if self.gamma_min is None:
                raise ValueError("gamma_min: required for a linear schedule")
            if self.gamma_max is not None and self.gamma_max < self.gamma_min:
                raise ValueError(f"gamma_max: must be >= gamma_min={self.gamma_min}, got {self.gamma_max}")
        return self


class SamplerConfig(BaseModel):
    """``[sampler]``: the grid keys, ``start``/``early_stop``/``denoise``, and the chosen sampler's own options
    (every other key, checked against the sampler's constructor: :func:`sampler_options`)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False, frozen=True)

    kind: str
    T: float | None = Field(None, gt=0)
    gamma: float | None = None
    schedule: ScheduleConfig | None = None
    start: Literal["prior", "marginal"] = "prior"
    early_stop: float | None = Field(None, gt=0)
    denoise: bool = False

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data: Any) -> Any:
        return refuse_coercion(cls, data)

    @field_validator("kind")
    @classmethod
    def _known_sampler(cls, v):
        from theorylab.samplers import SAMPLERS

        return _registered(SAMPLERS, "sampler", v)

    @model_validator(mode="after")
    def _options_belong_to_the_sampler(self):
        sampler_options(self)
        if self.denoise and self.early_stop is None:
            raise ValueError("denoise: needs early_stop (the Tweedie step is taken at t = early_stop)")
        return self

    @field_validator("gamma")
    @classmethod
    def _gamma_in_unit_interval(cls, v):
        if v is not None and not 0 < v < 1:
            raise ValueError(f"must lie in (0, 1), got {v}")
        return v

    @model_validator(mode="after")
    def _grid_is_defined(self):
        if self.schedule is None:
            if self.gamma is None:
                raise ValueError("gamma: required (or give a [sampler.schedule] table)")
            if self.T is None:
                raise ValueError("T: required with a constant step gamma")
            ratio = self.T / self.gamma
            N = max(round(ratio), 1)
            if abs(N * self.gamma - self.T) > GRID_TIME_RTOL * self.T:
                raise ValueError(
                    f"T: T={self.T} is not a multiple of gamma={self.gamma} (T/gamma = {ratio:.6g}); "
                    f"use N = {N} steps, i.e. gamma = T/N = {self.T / N:.10g}"
                )
        else:
            sch = self.schedule
            if self.gamma is not None:
                raise ValueError("gamma: give either gamma or a [sampler.schedule] table, not both")
            if sch.kind in ("constant", "cosine", "karras") and self.T is None:
                raise ValueError(f"T: required with a {sch.kind} schedule")
            if sch.kind == "linear":
                if (sch.gamma_max is None) == (self.T is None):
                    raise ValueError("T: a linear schedule takes either schedule.gamma_max or the horizon T, not both")
                if self.T is not None and not sch.N * sch.gamma_min < self.T:
                    raise ValueError(f"T: must exceed N gamma_min = {sch.N * sch.gamma_min} for a linear schedule")
                gmax = self.linear_gamma_max()
                if not gmax < 1:
                    raise ValueError(f"T: gives gamma_max = {gmax:.6g} >= 1 for this linear schedule; raise schedule.N")
            if sch.kind == "constant" and not self.T / sch.N < 1:
                raise ValueError(f"T: T/N = {self.T / sch.N:.6g} must be < 1; raise schedule.N")
        return self

    def linear_gamma_max(self) -> float:
        """gamma_max of a linear schedule: given, or solved from the horizon, sum_k gamma_k = T."""
        sch = self.schedule
        if sch.gamma_max is not None:
            return sch.gamma_max
        return sch.gamma_min + 2.0 * (self.T - sch.N * sch.gamma_min) / (sch.N + 1)


def sampler_option_names(kind: str | None = None) -> set[str]:
    """The keyword options of sampler ``kind``'s constructor (of every registered sampler when ``kind`` is None)."""
    import inspect

    from theorylab.samplers import SAMPLERS

    names: set[str] = set()
    for cls in ([SAMPLERS[kind]] if kind is not None else SAMPLERS.values()):
        names |= {name for name, p in inspect.signature(cls.__init__).parameters.items()
                  if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return names


def sampler_options(cfg: SamplerConfig) -> dict[str, Any]:
    """The ``[sampler]`` keys that are options of the chosen sampler: its constructor's keyword parameters (read from
    the registry's class, so the accepted keys are never listed twice). Unknown keys: ValueError naming the key and
    the sampler's options."""
    import inspect

    from theorylab.samplers import SAMPLERS

    params = sampler_option_names(cfg.kind)
    signature = inspect.signature(SAMPLERS[cfg.kind].__init__).parameters
    extra = dict(cfg.model_extra or {})
    for key, value in extra.items():
        if key not in params:
            takes = ", ".join(sorted(params)) or "no options"
            raise ValueError(f"{key}: unknown key (sampler {cfg.kind!r} takes: {takes})")
        default = signature[key].default
        if isinstance(default, str):
            if not isinstance(value, str):
                raise ValueError(f"{key}: must be a string, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key}: must be a number, got {value!r}")
        elif isinstance(value, float) and not math.isfinite(value) and not (key == "s_tmax" and value > 0):
            raise ValueError(f"{key}: must be finite, got {value!r}")
    return extra


class ScoreConfig(_Strict):
    kind: Literal["exact", "perturbed", "learned"] = "exact"
    error: Literal["bias", "smooth"] | None = None
    M: float = Field(0.0, ge=0, le=MAX_SCORE_ERROR)  # theorylab.limits.MAX_SCORE_ERROR says why
    frequency: float = Field(1.0, gt=0)
    checkpoint: str | None = None
    train: dict[str, Any] | None = None
    weights: Literal["ema", "raw"] = "ema"
    cache: str | None = None
    profile_times: int = Field(12, ge=0)

    @model_validator(mode="after")
    def _error_with_perturbed(self):
        if self.kind == "perturbed" and self.error is None:
            raise ValueError("error: required with kind = 'perturbed' ('bias' or 'smooth')")
        if self.kind != "perturbed" and self.error is not None:
            raise ValueError(f"error: only with kind = 'perturbed', not {self.kind!r}")
        if self.kind != "learned":
            for key in ("checkpoint", "train", "cache"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key}: only with kind = 'learned', not {self.kind!r}")
        elif (self.checkpoint is None) == (self.train is None):
            raise ValueError("checkpoint: kind = 'learned' takes either checkpoint = PATH or a [score.train] table")
        return self


class MetricsConfig(_Strict):
    names: list[str] = Field(default_factory=lambda: ["tv", "kl", "js", "w2"], min_length=1)
    method: Literal["auto", "exact", "grid", "samples"] = "auto"
    n_samples: int = Field(100_000, gt=1)
    seed: int = Field(0, ge=0, le=MAX_SEED)


    @field_validator("names")
    @classmethod
    def _known_divergences(cls, v):
        from theorylab.divergences import DIVERGENCES

        for name in v:
            _registered(DIVERGENCES, "divergence", name)
        return v


class MeasureConfig(_Strict):
    """A validated ``measure`` config (see the module docstring for the keys)."""

    target: dict[str, Any]
    process: ProcessConfig = Field(default_factory=ProcessConfig)
    sampler: SamplerConfig
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)

    @field_validator("target")
    @classmethod
    def _target_has_kind(cls, v, info):
        return kind_table(v, info.field_name)


def kind_table(value: dict[str, Any], key: str) -> dict[str, Any]:
    """Check a free-form table with a ``kind`` (``[target]``, ``[network]``): ``kind`` present, numbers finite."""
    if "kind" not in value:
        raise ValueError("kind: missing")
    try:
        _reject_non_finite(value, key)
    except ConfigError as exc:  # re-raised for pydantic, which prefixes the table's own key
        raise ValueError(str(exc).removeprefix(f"{key}.")) from None
    return value


def _reject_non_finite(value: Any, key: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key}: must be finite, got {value}")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _reject_non_finite(v, f"{key}.{k}")
    elif isinstance(value, list):
        for v in value:
            _reject_non_finite(v, key)


def _one_line(exc: ValidationError) -> str:
    """The first validation error as ``dotted.key: message``."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = err["msg"].removeprefix("Value error, ")
    # model validators report their own key as "key: message"; attach it to the table's path
    if ":" in msg.split(" ", 1)[0]:
        key, msg = msg.split(":", 1)
        loc.append(key)
        msg = msg.strip()
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "missing (required)"
    elif "input" in err and err["type"] not in ("value_error",) and not isinstance(err["input"], dict):
        msg = f"{msg}, got {err['input']!r}"
    return f"{'.'.join(loc)}: {msg}".replace("\n", " ")


def validate(raw: Mapping[str, Any], model: type[BaseModel] = MeasureConfig) -> BaseModel:
    """Validate a raw config mapping; :class:`ConfigError` (one line, dotted key) when invalid."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config; :class:`ConfigError` naming the file when it is missing or malformed."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a TOML config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (TOML must be UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML ({exc})") from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse ``dotted.key=value`` (the value as a TOML value; a bare word is a string)."""
    if "=" not in text:
        raise ConfigError(f"--set: expected key=value, got {text!r}")
    key, value = text.split("=", 1)
    path = [p.strip() for p in key.strip().split(".")]
    if not all(path):
        raise ConfigError(f"--set: malformed key {key!r}")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return path, parsed


def apply_overrides(raw: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of ``raw`` with each ``key=value`` override set (tables are created as needed)."""
    out = deep_copy(raw)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {'.'.join(path)}: {part!r} is not a table")
            node = child
        node[path[-1]] = value
    return out


def deep_copy(value: Any) -> Any:
    """A copy of a raw config (nested tables and lists copied; scalars shared)."""
    if isinstance(value, Mapping):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def apply_profile(raw: dict[str, Any], full: bool) -> dict[str, Any]:
    """The config with its ``[quick]`` overrides applied (unless ``full``) and the ``[quick]`` table removed."""
    raw = dict(raw)
    quick = raw.pop("quick", {})
    if full or not quick:
        return raw
    overrides = []
    sweep = dict(raw.get("sweep", {}))
    for key, value in _flatten(quick):
        if key.startswith("sweep."):
            # a sweep axis is replaced under the spelling the [sweep] table uses (a quoted dotted key)
            sweep[key.removeprefix("sweep.")] = value
        else:
            overrides.append(f"{key}={_toml_value(value)}")
    if sweep:
        raw["sweep"] = sweep
    return apply_overrides(raw, overrides)


def _flatten(table: dict[str, Any], prefix: str = ""):
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, path + ".")
        else:
            yield path, value


def _toml_value(value: Any) -> str:
    return json.dumps(value)  # JSON scalars and lists are valid TOML values
