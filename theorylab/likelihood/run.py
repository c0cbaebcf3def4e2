"""``likelihood``: a config in, the model's NLL of the data under the probability-flow ODE out, checked against the
closed form wherever the target allows.

Two routes, chosen from the config:

* **affine** -- Gaussian target with ``score.kind = "exact"`` or a ``"perturbed"`` ``"bias"`` score: the flow is
  linear with a diagonal Jacobian in the target's eigenbasis (:mod:`theorylab.likelihood.gaussian`). The ODE is
  still integrated by ``solve_ivp`` (so the solver's error is measured), but the trace is analytic and a probe costs
  :math:`O(d)`; the closed-form expected NLL ``exact_nll_nats`` and the gap decomposition are reported.
* **autograd** -- any other score (mixture targets, smooth perturbations, trained networks): the divergence by
  autograd (:class:`~theorylab.likelihood.field.TorchField`).

Gap decomposition (affine route; nats per sample, each a difference of two numbers named in
:meth:`~theorylab.likelihood.gaussian.DiagonalGaussianFlow.gap_chain`)::

    reported nll = H(p_data) + score_error + prior_mismatch + eps_truncation      (= exact_nll_nats, closed form)
                   + data_sampling        (mean of the closed-form per-sample NLLs - exact_nll_nats)
                   + ode_discretisation   (mean of the exact-trace ODE NLLs - mean of the closed-form ones)
                   + hutchinson_noise     (mean of the Hutchinson NLLs - mean of the exact-trace ODE ones)

The last three are measured on the same data points and the same ODE trajectories, so they add up exactly.

Cost guard: ``d * n_data * p * nfev`` with ``p`` = probes (Hutchinson), ``d`` (exact trace by autograd) or 1
(analytic trace), and ``nfev`` the expected number of field evaluations of the solver, ``6 (2 + rtol^{-1/5})``
for the RK45 family (the step of an order-5 method scales as :math:`\\text{rtol}^{1/5}`; 6 stages per step). Observed
on the Gaussian runs of the tests and of ``benchmarks/bench_likelihood.py``: 27 evaluations at rtol 1e-3 (formula
36), 39-51 at 1e-5 (72), 63-69 at 1e-6 (107), 87-357 at 1e-8 (251; VE the largest): within a factor 2. Above
``likelihood.max_cost`` the run is refused with a ConfigError naming the key.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from theorylab.errors import ConfigError
from theorylab.likelihood.config import LikelihoodConfig
from theorylab.likelihood.estimate import NLLSummary, summarise
from theorylab.likelihood.field import AffineDiagonalField, TorchField
from theorylab.likelihood.gaussian import LOG_2PI, DiagonalGaussianFlow, eigenbasis
from theorylab.likelihood.ode import integrate_divergence
from theorylab.likelihood.trace import draw_probes

__all__ = ["LikelihoodResult", "build_process", "expected_nfev", "likelihood", "load_data"]

#: Largest d at which the autograd route also integrates the exact trace beside a Hutchinson estimate, to split the
#: Hutchinson noise from the ODE error (d extra vector-Jacobian products per evaluation).
COMPANION_EXACT_MAX_DIM = 16


def expected_nfev(rtol: float) -> float:
    """Expected field evaluations of an RK45-family solve at tolerance ``rtol`` (see the module docstring)."""
    return 6.0 * (2.0 + rtol ** (-0.2))


def build_process(cfg: LikelihoodConfig):
    """The forward process of ``[process]`` (horizon ``process.T``)."""
    from theorylab.processes import OrnsteinUhlenbeck, VariancePreserving, VarianceExploding

    p = cfg.process
    if p.kind == "ou":
        return OrnsteinUhlenbeck(p.T)
    if p.kind == "vp":
        return VariancePreserving(p.beta_min, p.beta_max, p.T)
    return VarianceExploding(p.sigma_min, p.sigma_max, p.T)


def load_data(cfg: LikelihoodConfig, target: Any, rng: np.random.Generator) -> np.ndarray:
    """The data points ``(n, d)``: read from ``likelihood.data`` or drawn from the target; dequantised if
    ``levels > 0`` (integer codes ``0..L-1`` -> ``(k + U)/L``)."""
    lk = cfg.likelihood
    d = int(target.dim)
    if lk.data is not None:
        path = Path(lk.data)
        try:
            x = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"likelihood.data: cannot read {str(path)!r} as a .npy array ({type(exc).__name__})") \
                from None
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1 and d == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != d or x.shape[0] < 2:
            raise ConfigError(f"likelihood.data: must be an (n >= 2, d = {d}) array, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ConfigError("likelihood.data: all entries must be finite")
    else:
        try:
            x = target.sample(lk.n_samples, rng)
        except NotImplementedError:
            raise ConfigError(f"likelihood.n_data: target.kind {cfg.target['kind']!r} cannot be sampled; "
                              "give data = FILE") from None
    if lk.levels:
        if not (np.all(x == np.round(x)) and x.min() >= 0 and x.max() <= lk.levels - 1):
            raise ConfigError(f"likelihood.levels: data must be integer codes in 0..{lk.levels - 1} when levels = "
                              f"{lk.levels}")
        x = (x + rng.random(x.shape)) / lk.levels
    return x


def _affine_route(cfg: LikelihoodConfig, target: Any) -> bool:
    from theorylab.distributions import Gaussian

    sc = cfg.score
    return isinstance(target, Gaussian) and (sc.kind == "exact" or (sc.kind == "perturbed" and sc.error == "bias"))


def _build_score(cfg: LikelihoodConfig, target: Any, process: Any):
    from theorylab.scores import BiasedScore, ExactScore, SmoothPerturbedScore

    sc = cfg.score
    if sc.kind == "learned":
        from theorylab.learning.provider import learned_score

        return learned_score(sc, cfg.target, cfg.process, process)
    if not hasattr(target, "ou_marginal"):
        raise ConfigError(f"score.kind: {sc.kind!r} needs a target with a density; target.kind "
                          f"{cfg.target['kind']!r} is sample-only")
    base = ExactScore(target, process=process)
    if sc.kind == "exact":
        return base
    if sc.error == "bias":
        return BiasedScore(base, sc.M)
    return SmoothPerturbedScore(base, sc.M, frequency=sc.frequency)


@dataclass(frozen=True)
class LikelihoodResult:
    """Everything ``theorylab likelihood`` prints (``to_json`` is the ``--json`` schema)."""

    config: LikelihoodConfig
    dim: int
    route: str
    summary: NLLSummary
    per_sample: np.ndarray = field(repr=False)
    nfev: int
    cost: float
    seconds: float
    exact_nll: float | None = None
    gap: dict[str, float] | None = None
    note: str = ""

    @property
    def dequantisation(self) -> str:
        L = self.config.likelihood.levels
        if not L:
            return "continuous data: bits_per_dim = nll_nats / (d ln 2)"
        return (f"integer codes 0..{L - 1} uniformly dequantised, y = (k + U)/{L}; bits_per_dim = (nll_nats + "
                f"d ln {L}) / (d ln 2), an upper bound of the discrete bits per dimension (Jensen)")

    def to_json(self) -> dict[str, Any]:
        s = self.summary
        lk = self.config.likelihood
        bpd, bpd_lo, bpd_hi = s.bits_per_dim(self.dim, lk.levels)
        return {
            "nll_nats": s.value,
            "bits_per_dim": bpd,
            "ci": {"lower": s.lower, "upper": s.upper, "level": s.level,
                   "note": "Student-t interval over data points; counts the data sampling and the Hutchinson "
                           "noise, not the ODE discretisation (see gap)"},
            "bits_per_dim_ci": {"lower": bpd_lo, "upper": bpd_hi, "level": s.level},
            "exact_nll_nats": self.exact_nll,
            "gap": self.gap,
            "dequantisation": self.dequantisation,
            "method": lk.method,
            "probe": lk.probe_kind if lk.method == "hutchinson" else None,
            "probes": lk.n_probes if lk.method == "hutchinson" else None,
            "route": self.route,
            "d": self.dim,
            "n_data": s.n,
            "std_per_sample": s.std,
            "eps": lk.eps,
            "rtol": lk.rtol,
            "atol": lk.atol,
            "nfev": self.nfev,
            "cost_estimate": self.cost,
            "note": self.note,
            "config": self.config.model_dump(),
            "seconds": round(self.seconds, 4),
        }

    def text(self) -> str:
        j = self.to_json()
        ci = j["ci"]
        lines = [
            f"NLL = {j['nll_nats']:.6f} nats/sample  [{ci['lower']:.6f}, {ci['upper']:.6f}] ({ci['level']:.0%} CI, "
            f"n = {j['n_data']}, d = {j['d']})",
            f"bits/dim = {j['bits_per_dim']:.6f}  [{j['bits_per_dim_ci']['lower']:.6f}, "
            f"{j['bits_per_dim_ci']['upper']:.6f}]  ({j['dequantisation']})",
            f"method: {j['method']}" + (f" ({j['probes']} {j['probe']} probe(s))" if j["probe"] else "")
            + f", route {j['route']}, eps = {j['eps']:g}, rtol = {j['rtol']:g}, atol = {j['atol']:g}, "
              f"nfev = {j['nfev']}",
        ]
        if self.exact_nll is not None:
            lines.append(f"exact_nll = {self.exact_nll:.6f} nats/sample (closed form, continuous PF-ODE model); "
                         f"in CI: {ci['lower'] <= self.exact_nll <= ci['upper']}")
        if self.gap:
            lines.append("gap (nats/sample):")
            lines += [f"  {k:>20} = {v:+.3e}" for k, v in self.gap.items()]
        if self.note:
            lines.append(self.note)
        lines.append(f"({self.seconds:.2f} s)")
        return "\n".join(lines)


def likelihood(cfg: LikelihoodConfig) -> LikelihoodResult:
    """The model's NLL of the data under the PF-ODE of ``cfg`` (see the module docstring)."""
    from theorylab.distributions import make_target

    start = time.perf_counter()
    lk = cfg.likelihood
    target = make_target(cfg.target)
    process = build_process(cfg)
    d = int(target.dim)
    data = load_data(cfg, target, np.random.default_rng([lk.seed, 0]))
    n = data.shape[0]
    T, eps = float(process.T), float(lk.eps)
    c2 = float(process.prior_std) ** 2 if lk.prior == "process" else 1.0
    prior_mean, prior_var = np.zeros(d), np.full(d, c2)
    affine = _affine_route(cfg, target)
    hutch = lk.method == "hutchinson"

    per_call = lk.n_probes if hutch else (1 if affine else d)
    companion = hutch and (affine or d <= COMPANION_EXACT_MAX_DIM)
    if hutch and companion and not affine:
        per_call += d
    cost = float(d) * n * per_call * expected_nfev(lk.rtol)
    if cost > lk.max_cost:
        raise ConfigError(f"likelihood.max_cost: estimated cost d * n_data * probes * nfev = {cost:.3g} exceeds "
                          f"max_cost = {lk.max_cost:.3g}; lower n_data, use method = 'hutchinson', or raise max_cost")

    probes = draw_probes(lk.probe_kind, lk.n_probes, n, d, np.random.default_rng([lk.seed, 1])) if hutch else None
    exact_nll = gap = None
    note = ""
    if affine:
        lam, Q = eigenbasis(target.covariance())
        rot = (lambda v: v) if Q is None else (lambda v: v @ Q)
        bias = np.zeros(d)
        if cfg.score.kind == "perturbed":
            from theorylab.scores.biased import unit_vector

            bias = cfg.score.M * unit_vector(None, d)  # BiasedScore's default direction e_1
        flow = DiagonalGaussianFlow(process, lam, rot(target.mean()), rot(bias))
        z = rot(data)
        fld = AffineDiagonalField(flow, exact=True, probes=probes, Q=Q)
        sol = integrate_divergence(fld, z, eps, T, rtol=lk.rtol, atol=lk.atol, method=lk.solver)
        chain = flow.gap_chain(eps, T, prior_mean, prior_var)
        exact_nll = chain["exact_nll"]
        closed = -flow.log_model_density(z, eps, T, prior_mean, prior_var)
    else:
        score = _build_score(cfg, target, process)
        fld = TorchField(process, score, exact=(not hutch) or companion, probes=probes)
        sol = integrate_divergence(fld, data, eps, T, rtol=lk.rtol, atol=lk.atol, method=lk.solver)
        note = ("no closed form for this target/score: exact_nll_nats is reported for Gaussian targets with the "
                "exact or a bias-perturbed score")
    log_prior = -0.5 * np.sum(sol.x_end**2 / prior_var + np.log(prior_var) + LOG_2PI, axis=-1)
    nll_exact_trace = None if sol.int_exact is None else -(log_prior + sol.int_exact)
    nll_hutch = None if sol.int_hutch is None else -(log_prior + sol.int_hutch)
    per_sample = nll_hutch if hutch else nll_exact_trace
    summary = summarise(per_sample, lk.level)
    if affine:
        gap = {k: v for k, v in chain.items() if k != "exact_nll"}
        gap["data_sampling"] = float(closed.mean() - exact_nll)
        gap["ode_discretisation"] = float(nll_exact_trace.mean() - closed.mean())
        gap["hutchinson_noise"] = float(nll_hutch.mean() - nll_exact_trace.mean()) if hutch else 0.0
        gap["reported_minus_exact"] = float(summary.value - exact_nll)
    elif hutch and nll_exact_trace is not None:
        gap = {"hutchinson_noise": float(nll_hutch.mean() - nll_exact_trace.mean())}
    return LikelihoodResult(cfg, d, "affine" if affine else "autograd", summary, per_sample, sol.nfev, cost,
                            time.perf_counter() - start, exact_nll, gap, note)


def nats_to_bits_per_dim(nats: float, d: int) -> float:
    """:math:`\\text{nats}/(d\\ln 2)`."""
    return nats / (d * math.log(2.0))
