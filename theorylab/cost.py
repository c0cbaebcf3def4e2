"""Cost estimates of a measurement, a training run and a GAN-lab run, made from the config before anything runs.

The estimates count what dominates, to within a small constant factor; they exist to refuse work that cannot finish
or fit (:mod:`theorylab.limits`), not to predict run times. For a measure config with ``N`` time steps, target
dimension ``d``, ``K`` mixture components and ``n`` particles (``metrics.n_samples``):

========  ==========================================================  ============================================
route     flops                                                       memory (bytes)
========  ==========================================================  ============================================
exact     :math:`4 N d^3` (per step :math:`\\Sigma \\leftarrow A\\Sigma A^T + Q`:  :math:`16 \\cdot 8 d^2` (a few d x d
          two d x d products)                                          matrices per step, kept for the grid)
grid      :math:`N \\cdot 3\\cdot 10^7` in 1D, :math:`N \\cdot 5\\cdot 10^8`     (idem)
          in 2D (a propagation over the refined grid per step and
          refinement; order of magnitude from measured runs)
samples   :math:`N n (50 d + K (100 d + d^2))` (per particle and     :math:`8 n d (8 + 3K)` (state, noise, drift,
          step: noise and update, and per component a density,         score buffers; per-component terms)
          a log-sum-exp and a d x d solve; the constants are
          calibrated on a measured cell: 4 s CPU for N = 200,
          n = 10^5, d = 1, K = 2, i.e. ~1.3e9 counted flop/s)
========  ==========================================================  ============================================

The route is the one :func:`theorylab.laws.law_of_output` takes for ``metrics.method`` (``auto``: exact for a
Gaussian target with an exact or biased score, grid in ``d <= 2``, samples otherwise). Multi-stage schemes (Heun,
RK4, predictor-corrector) evaluate the score a few times per step: a constant factor the limits leave room for.
Building the target costs :math:`d^3` (a Cholesky factor) and :math:`8 d^2` bytes per component, counted too.

Training: the data (:math:`8\\, n_{\\text{data}} d`) and one batch's activations, kept for the backward pass
(:math:`4 \\cdot 8\\, B \\max(d, W) L`, width W = ``network.hidden``, depth L = ``network.depth``). GAN lab: the
evaluation grid (``grid_points`` per axis, :math:`G^d` nodes, ~16 arrays of 8 bytes per node) and the Monte Carlo
and batch samples.

No library offers this: the counts follow the arrays theorylab's own routes allocate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from theorylab.limits import DEFAULT_LIMITS, Limits

__all__ = ["Cost", "check_gan", "check_measure", "check_sweep_size", "check_train", "grid_steps", "measure_cost",
           "mixture_score_flops", "samples_step_flops", "target_shape"]

_F64 = 8  # bytes per float64
#: Counted work of one step of the grid route (refinements included), 1D and 2D: orders of magnitude from runs of
#: the 1D mixture at the default refinement tolerance (> 30 ms of CPU per step) and 2D's ~16x per refinement.
_GRID_STEP_FLOPS_1D, _GRID_STEP_FLOPS_2D = 3e7, 5e8


def mixture_score_flops(d: int, K: int = 1) -> float:
    """Counted work of one exact score evaluation per particle, :math:`K (100 d + d^2)`, for a mixture of ``K``
    Gaussians in dimension ``d`` (per component a density, a log-sum-exp term and a ``d x d`` solve; the samples
    row of the table above)."""
    return float(K) * (100.0 * d + d * d)


def samples_step_flops(n: int, d: int, score_flops: float) -> float:
    """Counted work of one step of the samples route: ``n`` particles times the step's own noise and update
    (:math:`50 d`) plus one score evaluation (``score_flops`` per particle, e.g. :func:`mixture_score_flops`)."""
    return float(n) * (50.0 * d + score_flops)


@dataclass(frozen=True)
class Cost:
    """An estimate: ``steps`` (time steps N), ``memory`` (bytes) with the key that dominates it, ``flops``."""

    steps: int
    memory: float
    memory_key: str
    flops: float
    flops_key: str
    route: str


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, list) else None


def target_shape(table: Mapping[str, Any]) -> tuple[int, int]:
    """``(d, K)``: dimension and number of components a ``[target]`` table describes, read without building it
    (building a d = 10**5 Gaussian would itself allocate 80 GB)."""
    kind = table.get("kind")
    if kind == "gaussian":
        mean, cov = table.get("mean"), table.get("cov")
        return max(_length(mean) or _length(cov) or 1, 1), 1
    if kind == "gmm":
        means, weights = table.get("means"), table.get("weights")
        K = _length(weights) or 1
        first = means[0] if isinstance(means, list) and means else None
        return max(_length(first) or 1, 1), K
    if kind == "smile":
        return 2, 3
    if kind == "digits":
        return 64, 1
    return 1, 1


def grid_steps(sampler: Any) -> int:
    """N, the number of time steps of a validated ``[sampler]`` table (``round(T/gamma)`` or ``schedule.N``)."""
    if sampler.schedule is not None:
        return int(sampler.schedule.N)
    ratio = sampler.T / sampler.gamma
    return int(min(ratio, 1e300)) if math.isfinite(ratio) else 10**300


def _route(cfg: Any, d: int) -> str:
    method = cfg.metrics.method
    if method != "auto":
        return method
    affine = cfg.score.kind == "exact" or (cfg.score.kind == "perturbed" and cfg.score.error == "bias")
    if cfg.target.get("kind") == "gaussian" and affine:
        return "exact"
    return "grid" if d <= 2 else "samples"


def measure_cost(cfg: Any) -> Cost:
    """The :class:`Cost` of a validated :class:`~theorylab.config.MeasureConfig` (see the module docstring)."""
    d, K = target_shape(cfg.target)
    N = grid_steps(cfg.sampler)
    route = _route(cfg, d)
    memory = {"target": 2.0 * K * _F64 * d * d}
    flops = {"target": float(K) * d**3}
    if route in ("exact", "grid"):
        memory["target"] += 16.0 * _F64 * d * d
        flops["sampler"] = 4.0 * N * d**3 if route == "exact" else N * (_GRID_STEP_FLOPS_1D if d == 1 else
                                                                         _GRID_STEP_FLOPS_2D)
    else:
        n = cfg.metrics.n_samples
        memory["metrics.n_samples"] = float(_F64) * n * d * (8 + 3 * K)
        flops["sampler"] = N * samples_step_flops(n, d, mixture_score_flops(d, K))
    memory_key = max(memory, key=memory.get)
    flops_key = max(flops, key=flops.get)
    return Cost(N, sum(memory.values()), memory_key, sum(flops.values()), flops_key, route)


def _steps_key(sampler: Any) -> tuple[str, str]:
    if sampler.schedule is not None:
        return "sampler.schedule.N", "N"
    return "sampler.gamma", f"N = T/gamma (T = {sampler.T:g}, gamma = {sampler.gamma:g})"


def check_measure(cfg: Any, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """Refuse a measure config whose estimated cost exceeds ``limits`` (one-line :class:`ConfigError` naming the key
    that drives it); return the estimate otherwise."""
    cost = measure_cost(cfg)
    key, what = _steps_key(cfg.sampler)
    limits.check("max_steps", cost.steps, key, what, "every route loops over the steps in Python")
    d, _ = target_shape(cfg.target)
    memory_key = {"target": "target", "metrics.n_samples": "metrics.n_samples"}[cost.memory_key]
    limits.check("max_memory_gb", cost.memory, memory_key, f"estimated memory ({cost.route} route, d = {d})")
    flops_key = {"target": "target", "sampler": "metrics.n_samples" if cost.route == "samples" else "target"}
    limits.check("max_flops", cost.flops, flops_key[cost.flops_key],
                 f"estimated work ({cost.route} route, d = {d}, N = {cost.steps}) in flops")
    return cost


def check_sweep_size(n_cells: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a sweep of more than ``limits.max_cells`` cells (naming the ``sweep`` table)."""
    limits.check("max_cells", n_cells, "sweep", "number of cells (product of the swept lists)",
                 "each cell is validated and stored before anything runs")


def _int_option(table: Mapping[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, list):
        value = max((v for v in value if isinstance(v, int | float)), default=default)
    return int(value) if isinstance(value, int | float) and math.isfinite(value) else default


def check_train(cfg: Any, limits: Limits = DEFAULT_LIMITS, prefix: str = "") -> None:
    """Refuse a :class:`~theorylab.learning.config.TrainConfig` whose data or batch activations exceed
    ``limits.max_memory_gb`` (naming ``training.n_data`` or ``training.batch_size``)."""
    d, _ = target_shape(cfg.target)
    t = cfg.training
    width = max(_int_option(cfg.network, "hidden", 128), d)
    depth = _int_option(cfg.network, "depth", 3) + 2
    terms = {"training.n_data": float(_F64) * t.n_data * d,
             "training.batch_size": 4.0 * _F64 * t.batch_size * width * depth * max(t.n_probes, 1)}
    if cfg.classifier is not None:
        terms["classifier.batch_size"] = 4.0 * _F64 * cfg.classifier.batch_size * width * depth
    key = max(terms, key=terms.get)
    limits.check("max_memory_gb", sum(terms.values()), prefix + key, f"estimated memory (d = {d})")


def check_gan(cfg: Any, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a validated GAN-lab config whose evaluation grid or samples exceed ``limits.max_memory_gb``."""
    g = cfg.gan
    d, _ = target_shape(g.pi)
    default_points = {"exact": (801, 201)}.get(g.mode, (2001, 301))  # theorylab.gan.run's defaults
    points = getattr(g, "grid_points", None) or default_points[0 if d == 1 else 1]
    terms = {"gan.grid_points": 16.0 * _F64 * float(points) ** d}
    for name in ("n_mc", "m", "n_eval"):
        value = getattr(g, name, None)
        if value is not None:
            terms[f"gan.{name}"] = 8.0 * _F64 * value * d
    key = max(terms, key=terms.get)
    what = f"estimated memory ({points}^{d} grid nodes)" if key == "gan.grid_points" else "estimated memory"
    limits.check("max_memory_gb", sum(terms.values()), key, what)
