"""theorylab's ``reverse-em`` against tight hand-written loops, side by side in one process (issue 15, part 2).

Setting (seed 002, slide "Mistura de gaussianas"; seed 000, slide "En la práctica"): target
:math:`\\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)`, exact score of its OU marginal, :math:`T = 3`,
:math:`\\gamma = 0.05` (:math:`N = 60` steps), float64, CPU, the ``reverse-em`` chain

.. math:: Y_{k+1} = Y_k + \\gamma\\big(Y_k + 2 s(T - k\\gamma, Y_k)\\big) + \\sqrt{2\\gamma}\\,Z_{k+1}.

Implementations (all timed in the same process, interleaved):

``theorylab``
    ``get_sampler("reverse-em").sample(ExactScore(target), grid, n, generator=seed)``: the declared chain through
    the torch route's fused in-place path (:attr:`theorylab.samplers.kernel.Transition.fused`, workspace buffers,
    one ``torch.randn(out=buffer)`` per step, the in-place two-component mixture kernel
    :mod:`theorylab.distributions.diagonal_mixture`).
``theorylab-before``
    The code path before this change, rebuilt in-process: the generic route ``run_chain(..., fused=False)`` (mean
    map out of place, then ``+ sqrt(v) * draw()``) with the general Cholesky kernel
    :func:`theorylab.distributions.mvn.mixture_score` as the score. Same random stream; its particles equal
    ``theorylab``'s to round-off (checked below).
``theorylab-compiled``
    The same call inside :func:`theorylab.distributions.diagonal_mixture.compiled_kernel`: the optional compiled
    path (the two-component mixture kernel through :func:`torch.compile`; the sampler code is unchanged).
``torch``
    A tight hand-written torch loop: ``y = y + g*(y + 2*s(t, y)) + root*torch.randn(...)`` with a hand-written
    component-major torch mixture score (:class:`TorchMixtureScore`, ``torch.softmax``), out of place, as one
    writes it. Same generator and draws as theorylab.
``torch-inplace``
    The same loop written for speed: preallocated buffers, ``out=``/in-place operations, ``torch.randn(out=)``,
    the same general (any K, softmax) score (:class:`TorchInplaceMixtureScore`).
``torch-compile``
    ``torch.compile`` of one whole step (score and update, coefficients passed as 0-d/1-d tensors so that the 60
    steps share one graph), the draws made outside by ``torch.randn`` (same stream). Skipped if compilation fails.
``theorylab-numpy-stream``
    ``theorylab`` with ``generator=numpy.random.default_rng(seed)``: the numpy random stream
    (:mod:`theorylab.samplers.base`), numpy's ``standard_normal`` written in place into the draw buffer. It draws
    what the ``numpy`` loop draws with the same seed, in the same order, so their particles agree to round-off
    (checked); its speed-ups against the loops are reported as ``numpy_stream_speedup_*``.
``numpy``
    The tight numpy loop of ``benchmarks/bench_reverse_em.py`` (:class:`NumpyMixtureScore`; numpy's own PCG64
    normal draws, which are cheaper than torch's float64 ``randn``: see *profile*).
``torchsde``
    ``torchsde.sdeint(method="euler")`` as in ``bench_reverse_em.py``, when torchsde is installed (it is a
    benchmark-only dependency).

Measurements. The machine is shared (2 cores, several other jobs), so: every repetition runs every implementation
once, in an order that rotates between repetitions; each call records its **CPU time** of the process
(``time.process_time``, which other jobs do not inflate by descheduling us, though they still slow caches and
memory) and its wall time; ratios are computed per repetition (paired) and their **median** reported, with the
range. At 2 threads the CPU time counts both threads (OpenMP spinning included), so it measures cost, not
latency; the wall ratio shows what the second thread buys, and is noisier. The 2-thread block runs twice: in a child
interpreter with ``OMP_WAIT_POLICY=passive`` (1e5 and 1e6; OpenMP reads the variable only at start-up), and in this
process with the default (spinning) policy at 1e5, which on a loaded machine makes every torch row wait at each
parallel region for a descheduled thread (``benchmarks/README.md``, *bench_training*). numpy is single-threaded in
every block. The load average is recorded. "2 threads" means two are *available*: theorylab's own runs use as many as
their step's counted work is worth (:mod:`theorylab.threads`; one at 1e5 particles of this 1-D mixture, both at
1e6), recorded per size as ``theorylab_threads_used``; the hand-written loops use both.

Checks in the same run: with the same initial points and draws, every implementation gives the same particles as
``theorylab`` within :data:`~theorylab.tolerances.LINALG_RTOL` relative (round-off), and ``theorylab`` equals the
generic route bit for bit.

Profile (1 thread, 1e5 particles, CPU ns per particle): the draws (``torch.randn`` allocating, into a buffer, and
10 at once; ``torch.rand``, the uniforms that float64 ``randn`` transforms, i.e. the generator's share; numpy's
``standard_normal``), the score (general Cholesky kernel, new kernel allocating and in place, the hand-written torch
and numpy scores), and the price of allocating particle-sized temporaries (4 live ``(2, n)`` products, as a
component-major score makes, against ``x.mul_``). The range over blocks is kept: allocation cost swings by 20x with
the state of glibc's heap (whether freed memory went back to the OS and must be faulted in again).

Memory: the extra resident peak of one theorylab call at N = 30 and 120 steps (5e5 particles, glibc mmap threshold
64 KiB so that the figure is the peak of live arrays), through ``bench_reverse_em.py --memory-probe``.

Run from the repository root: ``python benchmarks/bench_sampler_speed.py`` (about 15 minutes on the 2-core machine at
load average 9; ``--quick`` about 8 minutes). Results: ``benchmarks/results/sampler_speed.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_reverse_em import (  # noqa: E402
    NumpyMixtureScore,
    ReverseOUSDE,
    numpy_reverse_em,
    torchsde,
    torchsde_reverse_em,
)
from theorylab.distributions import GaussianMixture  # noqa: E402
from theorylab.distributions.diagonal_mixture import compiled_kernel, compiled_status  # noqa: E402
from theorylab.distributions.mvn import mixture_score  # noqa: E402
from theorylab.samplers import TimeGrid, get_sampler  # noqa: E402
from theorylab.samplers.base import NoiseSource, make_generator, run_threads  # noqa: E402
from theorylab.samplers.kernel import run_chain  # noqa: E402
from theorylab.scores import ExactScore  # noqa: E402
from theorylab.tolerances import LINALG_RTOL  # noqa: E402
from theorylab.workspace import Workspace  # noqa: E402

T = 3.0
GAMMA = 0.05
WEIGHTS, MEANS, COVS = [0.5, 0.5], [-3.0, 3.0], [0.25, 1.0]
SEED = 20261203
OUT = ROOT / "benchmarks" / "results" / "sampler_speed.json"


# ------------------------------------------------------------------------------------------------- torch baselines
class TorchMixtureScore:
    """Score of the OU marginal of a diagonal Gaussian mixture in torch float64, written as one would by hand.

    :math:`p_t = \\sum_k w_k \\mathcal N(e^{-t}\\mu_k, \\operatorname{diag}(e^{-2t}v_k + 1 - e^{-2t}))`;
    :math:`\\nabla\\log p_t(x) = -\\sum_k r_k P_k(x - m_k)`, :math:`r = \\operatorname{softmax}_k(\\ell)`,
    :math:`\\ell_k = \\log w_k - \\tfrac12\\sum_i\\log(2\\pi C_{k,i}) - \\tfrac12 (x-m_k)^\\top P_k (x-m_k)`.
    Component-major ``(K, n, d)``, :func:`torch.softmax` over the components (twice as fast here as the written-out
    logsumexp that :class:`NumpyMixtureScore` uses); per-time parameters cached.
    """

    def __init__(self, weights, means, variances):
        self.log_w = torch.log(torch.as_tensor(weights, dtype=torch.float64))
        self.means = torch.as_tensor(means, dtype=torch.float64).reshape(len(self.log_w), -1)
        self.vars = torch.as_tensor(variances, dtype=torch.float64).reshape(len(self.log_w), -1)
        self._cache: dict[float, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def params(self, t: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(m, P, c)`` at time ``t``: means ``(K, d)``, precisions ``(K, d)``, constants ``(K,)``."""
        if t not in self._cache:
            alpha, var = math.exp(-t), -math.expm1(-2.0 * t)
            c = alpha * alpha * self.vars + var
            self._cache[t] = (alpha * self.means, 1.0 / c,
                              self.log_w - 0.5 * torch.log(2.0 * math.pi * c).sum(dim=1))
        return self._cache[t]

    def __call__(self, t: float, x: torch.Tensor) -> torch.Tensor:
        m, p, c = self.params(float(t))
        diff = x.unsqueeze(0) - m.unsqueeze(1)  # (K, n, d)
        u = diff * p.unsqueeze(1)
        ell = c.unsqueeze(1) - 0.5 * (diff * u).sum(dim=2)  # (K, n)
        return -(torch.softmax(ell, dim=0).unsqueeze(2) * u).sum(dim=0)


class TorchInplaceMixtureScore(TorchMixtureScore):
    """:class:`TorchMixtureScore` with every intermediate in a preallocated buffer (``out=``, in place)."""

    def into(self, t: float, x: torch.Tensor, out: torch.Tensor, buf: dict) -> torch.Tensor:
        m, p, c = self.params(float(t))
        K, (n, d) = m.shape[0], x.shape
        if "diff" not in buf or buf["diff"].shape != (K, n, d):
            buf.update(diff=torch.empty(K, n, d, dtype=x.dtype), u=torch.empty(K, n, d, dtype=x.dtype),
                       ell=torch.empty(K, n, dtype=x.dtype), top=torch.empty(n, dtype=x.dtype))
        diff, u, ell, top = buf["diff"], buf["u"], buf["ell"], buf["top"]
        torch.sub(x.unsqueeze(0), m.unsqueeze(1), out=diff)
        torch.mul(diff, p.unsqueeze(1), out=u)
        torch.sum(diff.mul_(u), dim=2, out=ell)
        ell.mul_(-0.5).add_(c.unsqueeze(1))
        torch.amax(ell, dim=0, out=top)
        ell.sub_(top).exp_()
        ell.div_(torch.sum(ell, dim=0, out=top))
        torch.sum(u.mul_(ell.unsqueeze(2)), dim=0, out=out)
        return out.neg_()


def torch_reverse_em(score: TorchMixtureScore, n: int, seed: int) -> torch.Tensor:
    """The tight out-of-place torch loop (``Y_0`` then one ``randn`` per step from one seeded generator)."""
    gen = torch.Generator().manual_seed(seed)
    N, root = round(T / GAMMA), math.sqrt(2.0 * GAMMA)
    y = torch.randn((n, 1), generator=gen, dtype=torch.float64)
    for k in range(N):
        y = y + GAMMA * (y + 2.0 * score((N - k) * GAMMA, y)) + root * torch.randn((n, 1), generator=gen,
                                                                                    dtype=torch.float64)
    return y


def torch_inplace_reverse_em(score: TorchInplaceMixtureScore, n: int, seed: int) -> torch.Tensor:
    """The tight in-place torch loop: ``s = score(y)``; ``s *= 2g``; ``y *= 1+g``; ``y += s``; ``z *= root``;
    ``y += z`` (the same roundings as the out-of-place expression regrouped as ``(1+g)y + 2g s + root z``)."""
    gen = torch.Generator().manual_seed(seed)
    N, root = round(T / GAMMA), math.sqrt(2.0 * GAMMA)
    y = torch.randn((n, 1), generator=gen, dtype=torch.float64)
    s, z, buf = torch.empty_like(y), torch.empty_like(y), {}
    for k in range(N):
        score.into((N - k) * GAMMA, y, s, buf)
        y.mul_(1.0 + GAMMA).add_(s.mul_(2.0 * GAMMA))
        torch.randn((n, 1), generator=gen, dtype=torch.float64, out=z)
        y.add_(z.mul_(root))
    return y


def _step(y, z, m, p, c, keep, push, root):
    """One reverse-em step for ``torch.compile``: score of the diagonal mixture, then ``keep y + push s + root z``."""
    diff = y.unsqueeze(0) - m.unsqueeze(1)
    u = diff * p.unsqueeze(1)
    ell = c.unsqueeze(1) - 0.5 * (diff * u).sum(dim=2)
    r = torch.softmax(ell, dim=0)
    s = -(r.unsqueeze(2) * u).sum(dim=0)
    return keep * y + push * s + root * z


class CompiledLoop:
    """``torch.compile`` of :func:`_step` (compiled lazily; ``error`` holds the reason if compilation failed)."""

    def __init__(self, score: TorchMixtureScore):
        self.score, self.error, self.compile_seconds = score, None, {}
        self.fn = torch.compile(_step, dynamic=False)
        N = round(T / GAMMA)
        self.params = [score.params((N - k) * GAMMA) for k in range(N)]
        self.coefs = [torch.tensor(v, dtype=torch.float64) for v in (1.0 + GAMMA, 2.0 * GAMMA,
                                                                      math.sqrt(2.0 * GAMMA))]

    def __call__(self, n: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        y = torch.randn((n, 1), generator=gen, dtype=torch.float64)
        z = torch.empty_like(y)
        for m, p, c in self.params:
            torch.randn((n, 1), generator=gen, dtype=torch.float64, out=z)
            y = self.fn(y, z, m, p, c, *self.coefs)
        return y

    def warm(self, sizes) -> bool:
        try:
            for n in sizes:
                t0 = time.perf_counter()
                self(n, 0)
                self.compile_seconds[str(n)] = time.perf_counter() - t0
            return True
        except Exception as exc:  # noqa: BLE001 - any compiler failure means "not available on this build"
            self.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            return False


# ------------------------------------------------------------------------------------------------- theorylab rows
class LegacyExactScore:
    """The score as theorylab computed it before issue 15 part 2: the OU marginal's parameters through the general
    Cholesky kernel :func:`theorylab.distributions.mvn.mixture_score` (out of place; no ``score_into``)."""

    def __init__(self, exact: ExactScore):
        self.exact, self.dim = exact, exact.dim

    def __call__(self, t: float, x: torch.Tensor) -> torch.Tensor:
        law = self.exact.law(t)
        log_w, means, chols = law._params(x.device)
        return mixture_score(x, log_w, means, chols)


def theorylab_before(sampler, score, grid, n: int, seed, x_init=None, noise=None) -> torch.Tensor:
    """``Sampler.sample`` as it ran before: prior draw, then the generic route (``fused=False``)."""
    from theorylab.processes import OrnsteinUhlenbeck

    process = OrnsteinUhlenbeck(grid.T)
    gen = make_generator(seed) if seed is not None else None
    if x_init is None:
        y = process.prior_std * NoiseSource(gen, (n, 1), "cpu", torch.float64).draw()
    else:
        y = torch.as_tensor(x_init, dtype=torch.float64)
    source = NoiseSource(gen, (n, 1), "cpu", torch.float64, noise=noise,
                         needed=None if noise is None else noise.shape[0])
    with torch.no_grad():
        return run_chain(sampler.declare(grid, process), score, y, source.draw, fused=False)


def _compiled_sample(sampler, score, grid, n: int, seed) -> torch.Tensor:
    with compiled_kernel():
        return sampler.sample(score, grid, n, generator=seed)


def setup() -> dict:
    target = GaussianMixture(WEIGHTS, MEANS, COVS)
    exact = ExactScore(target)
    env = {"grid": TimeGrid.constant(T, GAMMA), "sampler": get_sampler("reverse-em"), "score": exact,
           "legacy": LegacyExactScore(exact), "np_score": NumpyMixtureScore(WEIGHTS, MEANS, COVS),
           "torch_score": TorchMixtureScore(WEIGHTS, MEANS, COVS),
           "torch_inplace_score": TorchInplaceMixtureScore(WEIGHTS, MEANS, COVS)}
    env["compiled"] = CompiledLoop(env["torch_score"])
    env["sde"] = ReverseOUSDE(exact, T) if torchsde is not None else None
    return env


def runners(env: dict, with_compile: bool) -> dict[str, Callable[[int, int], object]]:
    grid, sampler = env["grid"], env["sampler"]
    out = {
        "theorylab": lambda n, seed: sampler.sample(env["score"], grid, n, generator=seed),
        "theorylab-before": lambda n, seed: theorylab_before(sampler, env["legacy"], grid, n, seed),
        "torch": lambda n, seed: torch_reverse_em(env["torch_score"], n, seed),
        "torch-inplace": lambda n, seed: torch_inplace_reverse_em(env["torch_inplace_score"], n, seed),
        "numpy": lambda n, seed: numpy_reverse_em(env["np_score"], T, GAMMA, n, rng=np.random.default_rng(seed)),
        "theorylab-numpy-stream": lambda n, seed: sampler.sample(env["score"], grid, n,
                                                                 generator=np.random.default_rng(seed)),
    }
    if with_compile:
        out["torch-compile"] = env["compiled"]
        out["theorylab-compiled"] = lambda n, seed: _compiled_sample(sampler, env["score"], grid, n, seed)
    if torchsde is not None:
        out["torchsde"] = lambda n, seed: torchsde_reverse_em(env["sde"], T, GAMMA, n, seed)
    return out


# ------------------------------------------------------------------------------------------------- checks
def agreement(env: dict, with_compile: bool, n: int = 4096) -> dict:
    """Same seed for the torch-stream implementations (same draws); numpy and torchsde with replayed draws."""
    grid, sampler, seed = env["grid"], env["sampler"], SEED
    ref = sampler.sample(env["score"], grid, n, generator=seed)
    scale = float(ref.abs().max())
    rows = {"theorylab-before": theorylab_before(sampler, env["legacy"], grid, n, seed),
            "torch": torch_reverse_em(env["torch_score"], n, seed),
            "torch-inplace": torch_inplace_reverse_em(env["torch_inplace_score"], n, seed)}
    if with_compile:
        rows["torch-compile"] = env["compiled"](n, seed)
        rows["theorylab-compiled"] = _compiled_sample(sampler, env["score"], grid, n, seed)
    # replay: theorylab's own draws (prior first, then 60 increments) fed to numpy (and torchsde)
    gen = torch.Generator().manual_seed(seed)
    draws = torch.randn((grid.N + 1, n, 1), generator=gen, dtype=torch.float64)
    y0, z = draws[0], draws[1:]
    replay = sampler.sample(env["score"], grid, n, x_init=y0, noise=z)
    rows["numpy"] = torch.from_numpy(numpy_reverse_em(env["np_score"], T, GAMMA, n, x_init=y0.numpy(),
                                                       noise=z.numpy()))
    # the numpy stream (generator = numpy Generator) draws what the numpy loop draws, in the same order
    rows["theorylab-numpy-stream"] = sampler.sample(env["score"], grid, n, generator=np.random.default_rng(seed))
    numpy_same_seed = torch.from_numpy(numpy_reverse_em(env["np_score"], T, GAMMA, n, rng=np.random.default_rng(seed)))
    out = {"particles": n, "max_abs_output": scale, "tolerance_relative": LINALG_RTOL, "max_abs_diff": {}}
    for name, y in rows.items():
        base = {"numpy": replay, "theorylab-numpy-stream": numpy_same_seed}.get(name, ref)
        out["max_abs_diff"][name] = float((y - base).abs().max())
    generic = theorylab_before(sampler, env["score"], grid, n, seed)  # new kernel, generic route
    out["fused_equals_generic_bitwise"] = bool(torch.equal(generic, ref))
    out["all_within_roundoff"] = bool(max(out["max_abs_diff"].values()) <= LINALG_RTOL * scale)
    return out


# ------------------------------------------------------------------------------------------------- timing
def timing(runs: dict, threads: int, sizes: dict[int, int], steps: int) -> dict:
    torch.set_num_threads(threads)
    names = list(runs)
    for name in names:
        runs[name](2_048, SEED)  # warm-up: marginal caches, lazy imports
    result = {}
    for n, repeats in sizes.items():
        cpu = {k: [] for k in names}
        wall = {k: [] for k in names}
        for rep in range(repeats):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                gc.collect()
                c0, w0 = time.process_time(), time.perf_counter()
                y = runs[name](n, SEED + rep)
                cpu[name].append(time.process_time() - c0)
                wall[name].append(time.perf_counter() - w0)
                del y
        row: dict = {}
        for name in names:
            row[name] = {"cpu_seconds": cpu[name], "wall_seconds": wall[name],
                         "cpu_ns_per_particle_step": statistics.median(cpu[name]) / (n * steps) * 1e9,
                         "wall_ns_per_particle_step": statistics.median(wall[name]) / (n * steps) * 1e9}
        for clock, data in (("cpu", cpu), ("wall", wall)):
            ratios = {}
            for other in names:
                if other == "theorylab":
                    continue
                paired = [b / a for a, b in zip(data["theorylab"], data[other])]  # > 1: theorylab faster
                ratios[other] = {"median": statistics.median(paired), "min": min(paired), "max": max(paired)}
            row[f"theorylab_speedup_{clock}"] = ratios
            if "theorylab-numpy-stream" in data:  # the numpy stream against the loops (> 1: theorylab faster)
                row[f"numpy_stream_speedup_{clock}"] = {
                    other: _paired(data["theorylab-numpy-stream"], data[other])
                    for other in ("numpy", "torch", "torch-inplace") if other in data}
        # the intra-op threads theorylab's own runs used (theorylab.threads: the policy, given `threads`)
        row["theorylab_threads_used"] = run_threads(ExactScore(GaussianMixture(WEIGHTS, MEANS, COVS)), n, 1, threads)
        result[str(n)] = row
    return {"threads": threads, "repeats": {str(k): v for k, v in sizes.items()}, "by_particles": result}


def _paired(ours: list[float], theirs: list[float]) -> dict:
    ratios = [b / a for a, b in zip(ours, theirs)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


# ------------------------------------------------------------------------------------------------- profile
def profile(env: dict, n: int = 100_000, inner: int = 20, reps: int = 7) -> dict:
    """ns per particle (CPU time, median of ``reps`` blocks of ``inner`` calls), one thread."""
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    x = 2.0 * torch.randn((n, 1), generator=gen, dtype=torch.float64)
    law = env["score"].law(1.0)
    log_w, means, chols = law._params(x.device)
    out, work, zbuf = torch.empty_like(x), Workspace(), torch.empty_like(x)
    xn = x.numpy()
    x2 = torch.randn((2, n, 1), generator=gen, dtype=torch.float64)
    block = torch.empty((10, n, 1), dtype=torch.float64)
    items = {
        "torch.randn (allocating)": (lambda: torch.randn((n, 1), generator=gen, dtype=torch.float64), 1),
        "torch.randn(out=buffer)": (lambda: torch.randn((n, 1), generator=gen, dtype=torch.float64, out=zbuf), 1),
        "torch.randn, 10 draws in one block": (
            lambda: torch.randn((10, n, 1), generator=gen, dtype=torch.float64, out=block), 10),
        "torch.rand (the uniforms of randn alone)": (
            lambda: torch.rand((n, 1), generator=gen, dtype=torch.float64, out=zbuf), 1),
        "numpy standard_normal": (lambda: rng.standard_normal((n, 1)), 1),
        "score: general Cholesky kernel (before)": (lambda: mixture_score(x, log_w, means, chols), 1),
        "score: diagonal kernel, allocating": (lambda: law.score(x), 1),
        "score: diagonal kernel, score_into": (lambda: law.score_into(x, out, work), 1),
        "score: hand-written torch": (lambda: env["torch_score"](1.0, x), 1),
        "score: numpy": (lambda: env["np_score"](1.0, xn), 1),
        "4 live (2, n) temporaries x2 * 2.0, per element": (lambda: [x2 * 2.0 for _ in range(4)], 8),
        "x.mul_(1.0) (in place), per element": (lambda: x.mul_(1.0), 1),
    }
    result = {}
    for name, (f, per) in items.items():
        f()
        blocks = []
        for _ in range(reps):
            c0 = time.process_time()
            for _ in range(inner):
                f()
            blocks.append((time.process_time() - c0) / inner / (n * per) * 1e9)
        result[name] = {"median": statistics.median(blocks), "min": min(blocks), "max": max(blocks)}
    return {"particles": n, "threads": 1, "ns_per_particle_cpu": result}


def memory() -> dict:
    """Extra peak RSS of one theorylab call at N = 30 and 120 (fresh processes; ``bench_reverse_em.py`` probe)."""
    env = {k: v for k, v in os.environ.items()} | {"MALLOC_MMAP_THRESHOLD_": "65536"}
    n, rows = 500_000, {}
    for N in (30, 120):
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_reverse_em.py"), "--memory-probe",
                               "theorylab", str(N), str(n)], capture_output=True, text=True, check=True, env=env,
                              cwd=ROOT)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["extra_peak_in_n_by_d_arrays"] = row["extra_peak_bytes"] / (n * 8)
        rows[str(N)] = row
    rows["ratio_120_over_30"] = rows["120"]["extra_peak_bytes"] / rows["30"]["extra_peak_bytes"]
    return {"particles": n, "allocator": "MALLOC_MMAP_THRESHOLD_=65536", "by_steps": rows}


# ------------------------------------------------------------------------------------------------- main
def _warm_compiled(env: dict, sizes) -> bool:
    """Compile both compiled paths for every size (outside the timed region); False if torch.compile fails."""
    torch.set_num_threads(1)
    ok = env["compiled"].warm([2_048, 4096, *sizes])
    if ok:
        t0 = time.perf_counter()
        for n in (2_048, 4096, *sizes):
            _compiled_sample(env["sampler"], env["score"], env["grid"], n, 0)
        env["compiled"].compile_seconds["theorylab_all_sizes"] = time.perf_counter() - t0
        ok = compiled_status()["error"] is None
    return ok


def child_timing(threads: int, sizes: dict[int, int], with_compile: bool) -> dict:
    """Timing block in a fresh interpreter with ``OMP_WAIT_POLICY=passive`` (OpenMP reads it only at start-up)."""
    env = {k: v for k, v in os.environ.items()} | {"OMP_WAIT_POLICY": "passive"}
    cmd = [sys.executable, __file__, "--timing-only", str(threads),
           "--sizes", json.dumps({str(k): v for k, v in sizes.items()})] + ([] if with_compile else ["--no-compile"])
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env, cwd=ROOT)
    block = json.loads(proc.stdout.strip().splitlines()[-1])
    block["omp_wait_policy"] = "passive"
    return block


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, no memory probe")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    parser.add_argument("--timing-only", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--sizes", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    start, load_start = time.perf_counter(), os.getloadavg()
    env = setup()
    steps = env["grid"].N
    if args.timing_only:
        sizes = {int(k): v for k, v in json.loads(args.sizes).items()}
        with_compile = not args.no_compile and _warm_compiled(env, sizes)
        print(json.dumps(timing(runners(env, with_compile), args.timing_only, sizes, steps)))
        return {}
    one = {100_000: 3, 1_000_000: 1} if args.quick else {100_000: 5, 1_000_000: 3}
    two_passive = {100_000: 3, 1_000_000: 1} if args.quick else {100_000: 5, 1_000_000: 2}
    two_spinning = {100_000: 2}
    with_compile = not args.no_compile and _warm_compiled(env, one)
    if not args.no_compile and not with_compile:
        print(f"torch.compile unavailable: {env['compiled'].error or compiled_status()['error']}")
    if torchsde is None:
        print("torchsde is not importable: skipping it (benchmark-only dependency)")
    torch.set_num_threads(1)
    result = {"setting": {"target": {"weights": WEIGHTS, "means": MEANS, "covs": COVS}, "T": T, "gamma": GAMMA,
                          "steps": steps, "dtype": "float64", "device": "cpu"},
              "environment": {"python": platform.python_version(), "torch": torch.__version__,
                              "numpy": np.__version__, "machine": platform.processor() or platform.machine(),
                              "cpu_count": os.cpu_count(), "load_average_start": load_start,
                              "torchsde": getattr(torchsde, "__version__", None),
                              "torch_compile": with_compile or env["compiled"].error,
                              "compile_seconds": env["compiled"].compile_seconds},
              "agreement": agreement(env, with_compile), "profile": profile(env)}
    runs = runners(env, with_compile)
    result["timing"] = [timing(runs, 1, one, steps)]
    result["timing"][0]["omp_wait_policy"] = "default"
    result["timing"].append(child_timing(2, two_passive, with_compile))
    spinning = timing(runs, 2, two_spinning, steps)
    spinning["omp_wait_policy"] = "default"
    result["timing"].append(spinning)
    if not args.quick:
        result["memory"] = memory()
    result["environment"]["load_average_end"] = os.getloadavg()
    result["environment"]["seconds"] = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    return result


def summary(result: dict) -> str:
    lines = [f"agreement: {json.dumps(result['agreement'])}", "profile (ns per particle, CPU, 1 thread, 1e5):"]
    for name, v in result["profile"]["ns_per_particle_cpu"].items():
        lines.append(f"  {name:45s} {v['median']:7.2f}  [{v['min']:.2f}, {v['max']:.2f}]")
    for block in result["timing"]:
        for n, row in block["by_particles"].items():
            lines.append(f"threads={block['threads']} (OMP_WAIT_POLICY {block.get('omp_wait_policy')}) n={n}")
            lines.append(f"  theorylab ran on {row.get('theorylab_threads_used', '?')} thread(s)")
            for name, v in row.items():
                if "_speedup_" in name or not isinstance(v, dict):
                    continue
                lines.append(f"  {name:18s} cpu {v['cpu_ns_per_particle_step']:7.2f} ns  "
                             f"wall {v['wall_ns_per_particle_step']:7.2f} ns")
            for clock in ("cpu", "wall"):
                for key, label in (("theorylab_speedup", "theorylab"), ("numpy_stream_speedup", "numpy stream")):
                    ratios = row.get(f"{key}_{clock}", {})
                    lines.append(f"  {label} speed-up ({clock}): " + ", ".join(
                        f"{k} {v['median']:.2f} [{v['min']:.2f}-{v['max']:.2f}]" for k, v in ratios.items()))
    if "memory" in result:
        m = result["memory"]["by_steps"]
        lines.append(f"memory: N=30 {m['30']['extra_peak_in_n_by_d_arrays']:.1f} arrays, "
                     f"N=120 {m['120']['extra_peak_in_n_by_d_arrays']:.1f} arrays, ratio {m['ratio_120_over_30']:.2f}")
    lines.append(f"load average {result['environment']['load_average_start']} -> "
                 f"{result['environment']['load_average_end']}, {result['environment']['seconds']:.0f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    _result = main()
    if _result:
        print(summary(_result))
