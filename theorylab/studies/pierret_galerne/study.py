"""The ablation table of Pierret & Galerne on theorylab's exact route: config, computation, timing.

Every discrete cell is :func:`theorylab.laws.gaussian_output_law` of the registered sampler that *is* the paper's
scheme (:data:`~theorylab.studies.pierret_galerne.conventions.SCHEMES`) on the paper's grid
(:func:`~theorylab.studies.pierret_galerne.conventions.paper_grid`), from :math:`p_T` or :math:`\\mathcal N(0, I)`,
then :func:`theorylab.divergences.w2_gaussian` to the target: both O(d) in the target's eigenbasis (a diagonal
target here, since only the spectrum is known; :mod:`~theorylab.studies.pierret_galerne.spectrum`). The values
are exact up to float64 rounding (the law is a moment recursion, not an estimate). Continuous cells use the
closed forms of :mod:`~theorylab.studies.pierret_galerne.continuous`.

Timing: each cell (one scheme, NFE, :math:`\\varepsilon`, start) is timed with ``time.perf_counter`` around the law
and the :math:`W_2`; the report gives these measured times, never typed ones.

Config keys (``experiments/pierret_galerne.toml``; every key optional but ``study.kind``)::

    [study]    kind = "pierret-galerne"
    [target]   eigenvalues_file = "../shared/data/cifar10_gaussian.npz"  (relative to the working directory)
               on_missing = "synthetic" | "error"
               [target.synthetic] side, channels, exponent, f0, channel_shares, pixel_variance
    [process]  beta_min = 0.05, beta_max = 10.0, T = 1.0       (the paper's units: dx = -beta_t x dt + sqrt(2 beta_t) dw)
    [table]    nfe = [50, 250, 500, 1000], eps = [0.0, 1e-5, 1e-4, 1e-3], schemes = [labels], continuous = true
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from theorylab.errors import ConfigError
from theorylab.studies.pierret_galerne.conventions import (PAPER_PROCESS, SCHEMES, paper_grid, scheme,
                                                           theorylab_process)
from theorylab.studies.pierret_galerne.continuous import continuous_law
from theorylab.studies.pierret_galerne.published import INITS
from theorylab.studies.pierret_galerne.spectrum import Spectrum, load_spectrum, synthetic_spectrum

__all__ = ["Cell", "StudyConfig", "StudyResult", "load_target", "run_study"]

#: The dimension of the CIFAR-10 Gaussian: the published column is shown only for a file spectrum of this size.
CIFAR10_DIM = 3072


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class StudyTable(_Strict):
    kind: Literal["pierret-galerne"]
    title: str = "Pierret & Galerne (ICML 2025), Table 1: exact W2 errors on the CIFAR-10 Gaussian"


class SyntheticConfig(_Strict):
    side: int = Field(32, ge=2, le=256)
    channels: int = Field(3, ge=1, le=8)
    exponent: float = Field(2.0, gt=0.0)
    f0: float = Field(1.0, gt=0.0)
    channel_shares: tuple[float, ...] = (0.90, 0.07, 0.03)
    pixel_variance: float = Field(0.25, gt=0.0)

    @model_validator(mode="after")
    def _shares(self):
        if len(self.channel_shares) != self.channels:
            raise ValueError(f"channel_shares: needs {self.channels} entries (one per channel), got "
                             f"{len(self.channel_shares)}")
        if any(s <= 0 for s in self.channel_shares) or not math.isclose(sum(self.channel_shares), 1.0,
                                                                        rel_tol=1e-9):
            raise ValueError(f"channel_shares: must be > 0 and sum to 1, got {list(self.channel_shares)}")
        return self


class TargetConfig(_Strict):
    eigenvalues_file: str = "../shared/data/cifar10_gaussian.npz"
    on_missing: Literal["synthetic", "error"] = "synthetic"
    synthetic: SyntheticConfig = SyntheticConfig()


class ProcessConfig(_Strict):
    beta_min: float = Field(PAPER_PROCESS["beta_min"], ge=0.0)
    beta_max: float = Field(PAPER_PROCESS["beta_max"], gt=0.0)
    T: float = Field(PAPER_PROCESS["T"], gt=0.0)

    @model_validator(mode="after")
    def _order(self):
        if self.beta_max < self.beta_min:
            raise ValueError(f"beta_max: must be >= beta_min = {self.beta_min}, got {self.beta_max}")
        return self


class TableConfig(_Strict):
    nfe: tuple[int, ...] = (50, 250, 500, 1000)
    eps: tuple[float, ...] = (0.0, 1e-5, 1e-4, 1e-3)
    schemes: tuple[str, ...] = tuple(s.label for s in SCHEMES)
    continuous: bool = True

    @field_validator("nfe")
    @classmethod
    def _nfe(cls, v):
        if not v or any(n < 8 for n in v):
            raise ValueError(f"must be a non-empty list of integers >= 8 (RK4 uses NFE/4 points), got {list(v)}")
        return v

    @field_validator("eps")
    @classmethod
    def _eps(cls, v):
        if not v or any(e < 0 for e in v):
            raise ValueError(f"must be a non-empty list of times >= 0, got {list(v)}")
        return v

    @field_validator("schemes")
    @classmethod
    def _schemes(cls, v):
        for label in v:
            try:
                scheme(label)
            except ConfigError as exc:
                raise ValueError(str(exc).removeprefix("table.schemes: ")) from None
        return v


class StudyConfig(_Strict):
    """The validated ``experiments/pierret_galerne.toml`` (module docstring)."""

    study: StudyTable
    target: TargetConfig = TargetConfig()
    process: ProcessConfig = ProcessConfig()
    table: TableConfig = TableConfig()

    @model_validator(mode="after")
    def _eps_below_T(self):
        if any(e >= self.process.T for e in self.table.eps):
            raise ValueError(f"table: every eps must be < process.T = {self.process.T}")
        return self


@dataclass(frozen=True)
class Cell:
    """One cell of the table: the exact :math:`W_2` (None where undefined, with the reason) and its cost."""

    scheme: str
    sampler: str
    column: str | int  # NFE, or "continuous"
    eps: float
    init: str  # "p_T" or "N_0"
    points: int | None
    evaluations: int | None
    w2: float | None
    seconds: float
    note: str = ""


@dataclass
class StudyResult:
    config: StudyConfig
    spectrum: Spectrum
    cells: list[Cell] = field(default_factory=list)
    total_seconds: float = 0.0

    @property
    def compare(self) -> bool:
        """Whether the published CIFAR-10 numbers apply: a spectrum read from a file, of dimension 3072."""
        return self.spectrum.source == "file" and self.spectrum.dim == CIFAR10_DIM


def load_target(cfg: TargetConfig) -> Spectrum:
    """The spectrum file if it exists; else the synthetic spectrum (or ``ConfigError`` when ``on_missing = "error"``)."""
    path = Path(cfg.eigenvalues_file)
    if path.exists():
        return load_spectrum(path)
    if cfg.on_missing == "error":
        raise ConfigError(f"target.eigenvalues_file: {path} does not exist (on_missing = 'error')")
    s = cfg.synthetic
    return synthetic_spectrum(s.side, s.channels, s.exponent, s.f0, s.channel_shares, s.pixel_variance)


def _laws(spectrum: Spectrum, process):
    """The target, its score and the two starts, as O(d) diagonal Gaussians built once (the exact route reads the
    start's covariance; building it once keeps the per-cell cost to the recursion)."""
    from theorylab.distributions import Gaussian
    from theorylab.scores import ExactScore

    lam, mean = spectrum.eigenvalues, np.sqrt(spectrum.mean_sq)
    target = Gaussian.from_eigen(mean, lam)
    alpha, sigma = (float(v) for v in process.marginal_coefficients(process.T))
    starts = {"p_T": Gaussian.from_eigen(alpha * mean, alpha * alpha * lam + sigma * sigma),
              "N_0": Gaussian.from_eigen(np.zeros_like(lam), np.ones_like(lam))}
    for law in starts.values():
        law.covariance()  # noqa: B018 - builds and caches the dense covariance the exact route copies
    return target, ExactScore(target, process=process), starts


def _discrete_cell(spec, nfe: int, eps: float, init: str, target, score, start, process) -> Cell:
    from theorylab.divergences import w2_gaussian
    from theorylab.laws import NoClosedFormError, gaussian_output_law
    from theorylab.samplers import get_sampler

    points = spec.points(nfe)
    grid = paper_grid(points, eps, process.T)
    t0 = time.perf_counter()
    try:
        out = gaussian_output_law(score, get_sampler(spec.sampler, **spec.options), grid, process=process,
                                  initial=start)
        w2, note = w2_gaussian(out.law, target).value, ""
    except NoClosedFormError:
        w2 = None
        note = ("undefined: the scheme evaluates the score at forward time 0, where the singular target has none "
                "(the paper prints '-')")
    except ConfigError as exc:  # a scheme refusing this grid (ddpm-euler with beta_n = g^2 h >= 1)
        w2, note = None, f"not defined on this grid: {exc}"
    return Cell(spec.label, spec.sampler, nfe, eps, init, points, spec.evaluations(nfe), w2,
                time.perf_counter() - t0, note)


def _continuous_cell(spec, eps: float, init: str, spectrum: Spectrum, target, start, process) -> Cell:
    from theorylab.distributions import Gaussian
    from theorylab.divergences import w2_gaussian

    t0 = time.perf_counter()
    lam0, _ = start.eigen_parts()
    mean, var = continuous_law(process, spectrum.eigenvalues, np.sqrt(spectrum.mean_sq), eps, spec.family,
                               start.mean(), lam0)
    w2 = w2_gaussian(Gaussian.from_eigen(mean, var), target).value
    family = "backward SDE" if spec.family == "sde" else "flow ODE"
    return Cell(spec.label, f"exact {family}", "continuous", eps, init, None, None, w2,
                time.perf_counter() - t0, "closed form (no discretisation)")


def run_study(cfg: StudyConfig, progress=None) -> StudyResult:
    """Compute every cell of the configured table (module docstring). ``progress(line)`` is called per
    (scheme, NFE) group with its measured time."""
    from theorylab.divergences import w2_gaussian  # noqa: F401 - imported before the clock starts: cells time
    from theorylab.laws import gaussian_output_law  # noqa: F401 - the computation, not the first call's imports
    from theorylab.samplers import get_sampler  # noqa: F401

    spectrum = load_target(cfg.target)
    process = theorylab_process(cfg.process.beta_min, cfg.process.beta_max, cfg.process.T)
    target, score, starts = _laws(spectrum, process)
    result = StudyResult(cfg, spectrum)
    t_all = time.perf_counter()
    for label in cfg.table.schemes:
        spec = scheme(label)
        if cfg.table.continuous:
            for eps in cfg.table.eps:
                for init in INITS:
                    result.cells.append(_continuous_cell(spec, eps, init, spectrum, target, starts[init], process))
        for nfe in cfg.table.nfe:
            group = []
            for eps in cfg.table.eps:
                for init in INITS:
                    group.append(_discrete_cell(spec, nfe, eps, init, target, score, starts[init], process))
            result.cells.extend(group)
            if progress is not None:
                progress(f"{label:<34} NFE {nfe:>5}: {len(group)} cells in {sum(c.seconds for c in group):.2f} s "
                         f"(max {max(c.seconds for c in group):.2f} s)")
    result.total_seconds = time.perf_counter() - t_all
    return result


def study_from_raw(raw: dict[str, Any]) -> StudyConfig:
    """Validate a raw config (``ConfigError``: one line, dotted key)."""
    from theorylab.config import validate

    return validate(raw, StudyConfig)
