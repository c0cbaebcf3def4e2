"""``measure``: one configuration in, every requested divergence between the sampler's output law and the target
out, each with its method and uncertainty.

This is the layer the CLI (``theorylab measure``) and the sweeps call. It assembles the objects a config names
(target, forward process, time grid, score, sampler), asks :func:`theorylab.laws.law_of_output` for the law of the
sampler's output by the most exact route available, and compares it with the target through
:mod:`theorylab.divergences`. Conventions: TV :math:`= \\tfrac12\\|p-q\\|_1`; KL is :math:`KL(\\text{output}\\|\\pi)`,
natural log; JS :math:`\\tfrac12`-weighted, natural log; Hellinger :math:`H^2 = 1-\\int\\sqrt{pq}`; W2 the distance.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from theorylab.config import MeasureConfig
from theorylab.errors import ConfigError
from theorylab.limits import DEFAULT_LIMITS, Limits

__all__ = ["MeasureResult", "Setup", "build_setup", "check_device", "measure"]

@dataclass(frozen=True)
class Setup:
    """The objects a measure config names."""

    target: Any
    process: Any
    grid: Any
    sampler: Any
    score: Any
    initial: Any = None  #: the law of the starting points (None: the process prior)


@dataclass(frozen=True)
class MeasureResult:
    """The output law of one configuration and its divergences to the target."""

    config: MeasureConfig
    output: Any  #: theorylab.laws.OutputLaw
    estimates: tuple[Any, ...]  #: theorylab.divergences.Estimate, one per metric
    seconds: float
    details: dict = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema: ``metrics`` (name, value, method, uncertainty), ``law`` (method, error control,
        mean and variance where known), ``config`` and ``seconds``."""
        law: dict[str, Any] = {
            "method": self.output.method,
            "sampler": self.output.sampler,
            "error_control": {"kind": self.output.error.kind, "tv_bound": self.output.error.tv_bound,
                              "note": self.output.error.note},
        }
        try:
            law["mean"] = self.output.mean().tolist()
            if self.output.dim <= LAW_JSON_MAX_DIM:
                law["covariance"] = self.output.covariance().tolist()
            else:  # O(d) summary: a d x d matrix per sweep row would be ~d^2 numbers (1.1 GB at d = 10^4)
                law["covariance"] = None
                law["variances"] = _variances(self.output.law).tolist()
        except (NotImplementedError, AttributeError):
            law["mean"] = law["covariance"] = None
        return {
            "metrics": [_estimate_json(e) for e in self.estimates],
            "law": law,
            "config": self.config.model_dump(),
            "seconds": round(self.seconds, 4),
        }


#: Largest dimension whose output covariance is written in full into ``--json`` and sweep rows; above it only the
#: variances (the diagonal) are, so a row stays O(d).
LAW_JSON_MAX_DIM: int = 64


def _variances(law: Any) -> np.ndarray:
    """The diagonal of the law's covariance without building it when the law is stored by its eigendecomposition
    (:math:`\\Sigma_{ii} = \\sum_j U_{ij}^2\\lambda_j`)."""
    parts = getattr(law, "eigen_parts", None)
    if parts is not None:
        lam, basis = parts()
        return np.asarray(lam, dtype=np.float64).copy() if basis is None else (basis * basis) @ lam
    return np.diag(np.atleast_2d(np.asarray(law.covariance(), dtype=np.float64))).copy()


def _estimate_json(e: Any) -> dict[str, Any]:
    u = e.uncertainty
    return {
        "name": e.name,
        "value": float(e.value),
        "method": e.method,
        "uncertainty": {"kind": u.kind, "lower": float(u.lower), "upper": float(u.upper), "level": u.level,
                        "note": u.note},
    }


def _build_process(cfg: MeasureConfig, T: float, sampler: Any):
    from theorylab.processes import PROCESSES

    p = cfg.process
    allowed = getattr(sampler, "processes", None)
    if allowed is not None and p.kind not in allowed:
        raise ConfigError(f"process.kind: sampler {cfg.sampler.kind!r} is defined for {', '.join(allowed)} only, "
                          f"got {p.kind!r}")
    cls = PROCESSES[p.kind]
    options = {name: getattr(p, name) for name in ("beta_min", "beta_max", "sigma_min", "sigma_max")
               if name in cls.__init__.__code__.co_varnames}
    return cls(**options, T=T)


def _build_grid(cfg: MeasureConfig, process_for: Any):
    from theorylab.samplers import TimeGrid

    s = cfg.sampler
    if s.schedule is None:
        grid = TimeGrid.constant(s.T, s.gamma)
    elif s.schedule.kind == "constant":
        grid = TimeGrid.constant(s.T, s.T / s.schedule.N)
    elif s.schedule.kind == "linear":
        grid = TimeGrid.linear(s.schedule.gamma_min, s.linear_gamma_max(), s.schedule.N)
    elif s.schedule.kind == "karras":
        sch = s.schedule
        grid = TimeGrid.karras(process_for(s.T), sch.N, sch.rho, sch.sigma_min, sch.sigma_max)
    else:
        grid = TimeGrid.cosine(s.schedule.N, s.T, s.schedule.s)
    return grid.early_stopped(s.early_stop) if s.early_stop is not None else grid


def _build_sampler(cfg: MeasureConfig):
    from theorylab.config import sampler_options
    from theorylab.samplers import get_sampler
    from theorylab.samplers.denoise import TweedieDenoised

    sampler = get_sampler(cfg.sampler.kind, **sampler_options(cfg.sampler))
    return TweedieDenoised(sampler) if cfg.sampler.denoise else sampler


def _build_score(cfg: MeasureConfig, target: Any, sampler: Any, grid: Any, process: Any):
    from theorylab.laws import default_score
    from theorylab.scores import BiasedScore, SmoothPerturbedScore

    sc = cfg.score
    if sc.kind == "learned":
        from theorylab.learning.provider import learned_score

        return learned_score(sc, cfg.target, cfg.process, process)
    if not hasattr(target, "ou_marginal"):
        raise ConfigError(
            f"score.kind: {sc.kind!r} needs a target with a density; target.kind {cfg.target['kind']!r} is sample-only"
        )
    base = default_score(target, sampler, grid, process)
    if sc.kind == "exact":
        return base
    if sc.error == "bias":
        return BiasedScore(base, sc.M)
    return SmoothPerturbedScore(base, sc.M, frequency=sc.frequency)


def build_setup(cfg: MeasureConfig) -> Setup:
    """Target, process, grid, sampler and score named by ``cfg`` (ConfigError naming the key otherwise)."""
    from theorylab.distributions import make_target

    target = make_target(cfg.target)
    sampler = _build_sampler(cfg)
    grid = _build_grid(cfg, lambda T: _build_process(cfg, float(T), sampler))
    process = _build_process(cfg, float(grid.T), sampler)
    score = _build_score(cfg, target, sampler, grid, process)
    initial = None
    if cfg.sampler.start == "marginal":
        if not hasattr(target, "affine_pushforward"):
            raise ConfigError(f"sampler.start: 'marginal' needs a target with exact marginals; target.kind "
                              f"{cfg.target['kind']!r} is sample-only")
        alpha, sigma = process.marginal_coefficients(grid.T)
        initial = target.affine_pushforward(float(alpha), 0.0, float(sigma) ** 2)
    return Setup(target, process, grid, sampler, score, initial)


def check_device(device: Any, key: str = "--device") -> Any:
    """``device`` if torch can use it here (None passes): a one-line :class:`ConfigError` naming ``key`` for a name
    torch does not know (``foo``) or a device this machine lacks (``cuda`` on a CPU-only torch, ``cuda:3`` with
    one GPU, ``mps`` off Apple silicon). Checked on every route, so a typo is never silently ignored."""
    if device is None:
        return None
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ConfigError(f"{key}: unknown torch device {device!r} (use cpu, cuda or cuda:<index>)") from None
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(f"{key}: {device!r} requested but torch sees no CUDA device (use cpu)")
        if dev.index is not None and dev.index >= count:
            raise ConfigError(f"{key}: {device!r} requested but torch sees {count} CUDA device(s)")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ConfigError(f"{key}: 'mps' requested but torch sees no MPS device (use cpu)")
    elif dev.type != "cpu":
        raise ConfigError(f"{key}: device type {dev.type!r} is not supported (use cpu or cuda)")
    return device


def measure(cfg: MeasureConfig, *, device: Any = None, limits: Limits | None = DEFAULT_LIMITS,
            progress: bool = False) -> MeasureResult:
    """Law of the sampler's output for ``cfg`` and its divergences to the target (one per ``metrics.names``).

    Parameters
    ----------
    cfg : MeasureConfig
    device : str, optional
        Torch device of the samples route; checked on every route (:func:`check_device`).
    limits : Limits or None
        The cost estimate of ``cfg`` (:func:`theorylab.cost.check_measure`) is refused above these before anything
        is built; None skips the check (a sweep's driver checked its cells already).
    progress : bool
        A tqdm bar on stderr over the time steps (shown only when the measurement lasts more than 2 s).
    """
    from theorylab.laws import law_of_output
    from theorylab.divergences import compare

    start = time.perf_counter()
    check_device(device)
    if limits is not None:
        from theorylab.cost import check_measure

        check_measure(cfg, limits)
    setup = build_setup(cfg)
    m = cfg.metrics
    bar = None
    score = setup.score
    if progress:
        from theorylab.progress import StepProgress

        bar = StepProgress(score, float(setup.grid.T), int(setup.grid.N))
        score = bar
    try:
        output = law_of_output(
            setup.target,
            score,
            setup.sampler,
            setup.grid,
            method=m.method,
            n_samples=m.n_samples,
            seed=m.seed,
            process=setup.process,
            initial=setup.initial,
            device=device,
        )
    finally:
        if bar is not None:
            bar.close()
    estimates = []
    for name in m.names:
        options: Mapping[str, Any] = {}
        if output.method == "samples":
            options = {"rng": np.random.default_rng([m.seed, _name_key(name)])}
        estimates.append(compare(output, name, setup.target, **options))
    details: dict[str, Any] = {"N": int(setup.grid.N), "T": float(setup.grid.T)}
    if cfg.score.kind == "learned" and cfg.score.profile_times > 0 and hasattr(setup.target, "ou_marginal"):
        profile_estimates, details["score_error"] = _measured_M(cfg, setup)
        estimates.extend(profile_estimates)
    return MeasureResult(cfg, output, tuple(estimates), time.perf_counter() - start, details)


def _measured_M(cfg: MeasureConfig, setup: Setup) -> tuple[list[Any], dict[str, Any]]:
    """The learned score's measured error at ``score.profile_times`` of the sampler's score times.

    Two estimates join the metrics (so sweep tables carry them): ``score_sup`` — the largest, over those times, of
    the sup of :math:`\\|s_\\theta - \\nabla\\log p_t\\|` over the high-density region of :math:`p_t` (the bound's
    :math:`M`), and ``score_l2`` — the largest :math:`L^2(p_t)` error, with its confidence interval.
    """
    from theorylab.divergences.estimate import Estimate, Uncertainty
    from theorylab.learning.error import score_error_profile

    times = np.asarray(setup.grid.forward_times, dtype=np.float64)
    pick = np.unique(np.linspace(0, times.size - 1, min(cfg.score.profile_times, times.size)).round().astype(int))
    profile = score_error_profile(setup.score, setup.target, setup.process, np.sort(times[pick]),
                                  seed=cfg.metrics.seed)
    i_sup, i_l2 = int(np.argmax(profile.sup)), int(np.argmax(profile.l2))
    sup = Estimate("score_sup", float(profile.sup[i_sup]), f"max over {pick.size} score times of the sup over "
                   f"{profile.region}", Uncertainty("grid", float(profile.sup[i_sup]), float(profile.sup[i_sup]),
                                                    note="a maximum over evaluated points (a lower bound of the sup)"))
    l2 = Estimate("score_l2", float(profile.l2[i_l2]), f"max over {pick.size} score times of the L2(p_t) error "
                  f"({profile.method})", Uncertainty("ci", float(profile.l2_lower[i_l2]),
                                                     float(profile.l2_upper[i_l2]), level=0.95,
                                                     note=f"at t = {profile.times[i_l2]:.4g}"))
    return [sup, l2], profile.to_json()


def _name_key(name: str) -> int:
    """A stable integer per metric name (seeds each metric's bootstrap independently of the others' order)."""
    return int.from_bytes(name.encode(), "little") % (2**31)
