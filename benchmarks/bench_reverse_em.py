"""``reverse-em`` on CPU against torchsde and a plain numpy loop: throughput and peak memory, side by side.

Setting (seed 002, slide "Mistura de gaussianas"; seed 000, slide "En la práctica"): target
:math:`\\tfrac12\\mathcal N(-3, 1/4) + \\tfrac12\\mathcal N(3, 1)`, its exact score :math:`s(t, y)` (OU marginal,
:class:`theorylab.scores.ExactScore`), :math:`T = 3`, :math:`\\gamma = 0.05` (:math:`N = 60`), float64, CPU. The
reverse SDE, in running time :math:`u \\in [0, T]`, is

.. math::

    dY_u = \\big(Y_u + 2 s(T - u, Y_u)\\big)\\,du + \\sqrt2\\,dB_u, \\qquad Y_0 \\sim \\mathcal N(0, 1),

and Euler--Maruyama with step :math:`\\gamma` is the ``reverse-em`` chain
:math:`Y_{k+1} = Y_k + \\gamma(Y_k + 2 s(T - k\\gamma, Y_k)) + \\sqrt{2\\gamma}Z_{k+1}`. Three implementations:

1. ``theorylab``: ``get_sampler("reverse-em").sample(score, grid, n, generator=seed)``.
2. ``torchsde``: ``torchsde.sdeint(sde, y0, [0, T], method="euler", dt=gamma, adaptive=False)`` with
   ``noise_type="diagonal"``, ``sde_type="ito"``, :math:`f(u, y) = y + 2 s(T - u, y)`, :math:`g(u, y) = \\sqrt2`
   (sdeint integrates forward in its own time :math:`u`, so the score is fed :math:`T - u`), the same
   :class:`ExactScore`, its default Brownian motion (a seeded ``BrownianInterval``). torchsde accumulates its time
   (``u + dt`` sixty times ends at :math:`3 - 2.7\\cdot10^{-15}`), so it takes a 61st step of length
   :math:`\\sim 10^{-15}`: one extra score evaluation, counted here as overhead (throughput uses 60 steps for all).
   torchsde is a benchmark-only dependency (``pip install torchsde``); it is skipped, with a message, when absent.
3. ``numpy``: a vectorised numpy float64 loop over steps with a numpy Gaussian-mixture score written here
   (:class:`NumpyMixtureScore`).

Checks (same run): the three give the same output mean and variance within Monte Carlo error (:data:`MC_SIGMA`
standard errors, :func:`theorylab.laws.samples.moment_standard_errors`), and all agree with the exact moments of the
EM output law (theorylab's grid route, TV error ~1e-10); with the same initial points and Gaussian increments
replayed (theorylab's ``x_init=``/``noise=``, a replaying torchsde Brownian motion, numpy) the three produce the same
particles up to round-off (:data:`LINALG_RTOL`).

Throughput: particle-steps per second (``n * 60 / seconds``) at 1e5 and 1e6 particles, interleaved repetitions in one
process (the order rotates between repetitions), median; with torch's default intra-op thread count and with one
thread. theorylab and torchsde call the same score (theorylab's ``GaussianMixture._score``, i.e.
:func:`theorylab.distributions.mvn.mixture_score`), so their ratio measures the integration loops; the numpy row
uses its own score.

Peak memory: each (implementation, N) pair runs in a fresh subprocess (one thread, :data:`MEMORY_PARTICLES`
particles, ``T = 3``, N = 30 and 120). The extra peak is the rise of the resident-set high-water mark during the call
(``VmHWM`` reset through ``/proc/self/clear_refs`` just before; ``ru_maxrss`` where that is unavailable), and, for
numpy, also tracemalloc's peak; with glibc's mmap threshold pinned at 64 KiB (exact peak of live arrays) and with its
default (adds heap fragmentation; see :func:`memory`). A sampler whose extra memory is :math:`O(n d)` and independent
of the number of steps has ratio N=120 / N=30 close to 1.

Results: ``benchmarks/results/reverse_em.json``. Run: ``python benchmarks/bench_reverse_em.py`` from the repository
root (about 2 minutes on 2 cores; the machine's load average is recorded, as other processes distort timings,
the multi-threaded ones most of all).
"""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from theorylab.distributions import GaussianMixture  # noqa: E402
from theorylab.laws import grid_output_law  # noqa: E402
from theorylab.laws.samples import moment_standard_errors  # noqa: E402
from theorylab.samplers import TimeGrid, get_sampler  # noqa: E402
from theorylab.scores import ExactScore  # noqa: E402
from theorylab.tolerances import LINALG_RTOL, MC_SIGMA  # noqa: E402

try:
    import torchsde
except ImportError:  # benchmark-only dependency
    torchsde = None

T = 3.0
GAMMA = 0.05
WEIGHTS, MEANS, COVS = [0.5, 0.5], [-3.0, 3.0], [0.25, 1.0]
SEED = 20240607
#: particles -> interleaved repetitions per implementation (fewer at 1e6 to keep the run within minutes)
REPEATS = {100_000: 3, 1_000_000: 2}
REPLAY_PARTICLES = 10_000
MEMORY_PARTICLES = 500_000
MEMORY_STEPS = (30, 120)
OUT = Path(__file__).resolve().parent / "results" / "reverse_em.json"


# ---------------------------------------------------------------------------------------------------------- numpy
class NumpyMixtureScore:
    """Score of the OU marginal :math:`p_t` of a Gaussian mixture, numpy float64, any ``d`` and ``K``.

    :math:`p_t = \\sum_k w_k \\mathcal N(e^{-t}\\mu_k, e^{-2t}\\Sigma_k + (1 - e^{-2t})I)`, and

    .. math::

        \\nabla\\log p_t(x) = -\\sum_k r_k(x)\\,P_k(x - m_k), \\qquad
        r_k = \\exp\\big(\\ell_k - \\operatorname{logsumexp}_j \\ell_j\\big), \\quad
        \\ell_k = \\log w_k - \\tfrac12\\log\\det(2\\pi C_k) - \\tfrac12 (x - m_k)^\\top P_k (x - m_k),

    :math:`m_k, C_k` the component means and covariances at time ``t`` and :math:`P_k = C_k^{-1}`. Arrays are kept
    component-major, ``(K, n, d)``, so that the reductions over components run over the leading axis. The
    logsumexp is written out (max-shift, one ``exp``, one ``log``) rather than :func:`scipy.special.logsumexp`,
    which measured ~5x slower on ``(2, 1e5)`` arrays (its generality: weights, signs, array-API dispatch).
    Marginal parameters are cached per time.
    """

    def __init__(self, weights, means, covs):
        self.log_w = np.log(np.asarray(weights, dtype=np.float64))
        self.means = np.asarray(means, dtype=np.float64).reshape(len(self.log_w), -1)  # (K, d)
        d = self.means.shape[1]
        covs = np.asarray(covs, dtype=np.float64)
        self.covs = covs.reshape(-1, 1, 1) * np.eye(d) if covs.ndim == 1 else covs  # (K, d, d)
        self.dim = d
        self._cache: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _marginal(self, t: float):
        if t not in self._cache:
            alpha, var = math.exp(-t), -math.expm1(-2.0 * t)
            m = alpha * self.means
            c = alpha**2 * self.covs + var * np.eye(self.dim)
            precision = np.linalg.inv(c)
            _, logdet = np.linalg.slogdet(2.0 * np.pi * c)
            self._cache[t] = (m, precision, self.log_w - 0.5 * logdet)
        return self._cache[t]

    def __call__(self, t: float, x: np.ndarray) -> np.ndarray:
        m, precision, const = self._marginal(float(t))
        diff = x[None, :, :] - m[:, None, :]  # (K, n, d)
        solved = np.einsum("knd,kde->kne", diff, precision)  # P_k (x - m_k)
        logj = const[:, None] - 0.5 * np.einsum("knd,knd->kn", diff, solved)  # (K, n)
        top = logj.max(axis=0)
        lse = top + np.log(np.exp(logj - top).sum(axis=0))
        resp = np.exp(logj - lse)  # (K, n)
        return -np.einsum("kn,knd->nd", resp, solved)


def numpy_reverse_em(score: NumpyMixtureScore, T: float, gamma: float, n: int, rng=None, x_init=None, noise=None):
    """The ``reverse-em`` chain in numpy: ``Y_{k+1} = Y_k + gamma (Y_k + 2 s(T - k gamma, Y_k)) + sqrt(2 gamma) Z``.

    ``x_init`` ``(n, d)`` and ``noise`` ``(N, n, d)`` replay given draws; otherwise ``rng`` draws ``Y_0`` then one
    ``(n, d)`` standard normal per step. Returns ``Y_N``, shape ``(n, d)``.
    """
    N = int(round(T / gamma))
    y = rng.standard_normal((n, score.dim)) if x_init is None else np.array(x_init, dtype=np.float64)
    root = math.sqrt(2.0 * gamma)
    for k in range(N):
        z = rng.standard_normal(y.shape) if noise is None else noise[k]
        y = y + gamma * (y + 2.0 * score((N - k) * gamma, y)) + root * z
    return y


# ---------------------------------------------------------------------------------------------------------- torchsde
class ReverseOUSDE(torch.nn.Module):
    """The reverse OU SDE in torchsde's convention (forward in running time ``u``): ``f = y + 2 s(T - u, y)``,
    ``g = sqrt(2)`` (diagonal, Ito). ``calls`` counts drift evaluations (one per Euler step)."""

    noise_type = "diagonal"
    sde_type = "ito"

    def __init__(self, score, T: float):
        super().__init__()
        self.score, self.T, self.calls = score, float(T), 0

    def f(self, u, y):
        self.calls += 1
        return y + 2.0 * self.score(self.T - float(u), y)

    def g(self, u, y):
        return torch.full_like(y, math.sqrt(2.0))


if torchsde is not None:

    class ReplayBrownian(torchsde.BaseBrownian):
        """Brownian increments replayed from ``noise`` ``(N, n, d)``: ``W(u_k + gamma) - W(u_k) = sqrt(gamma) Z_k``.

        torchsde's final sliver step (length ~1e-15, see module docstring) gets a zero increment, so that the path
        is exactly the 60-step chain (a genuine increment there would be ~5e-8).
        """

        def __init__(self, noise: torch.Tensor, gamma: float):
            self.noise, self.gamma = noise, float(gamma)
            self.calls, self.sliver_steps = 0, 0

        def __call__(self, ta, tb=None, return_U=False, return_A=False):
            ta, tb = float(ta), float(tb)
            self.calls += 1
            k = int(round(ta / self.gamma))
            if k < self.noise.shape[0] and abs((tb - ta) - self.gamma) <= 1e-6 * self.gamma:
                return math.sqrt(self.gamma) * self.noise[k]
            self.sliver_steps += 1
            return torch.zeros_like(self.noise[0])

        def __repr__(self):
            return f"ReplayBrownian(steps={self.noise.shape[0]}, gamma={self.gamma})"

        @property
        def dtype(self):
            return self.noise.dtype

        @property
        def device(self):
            return self.noise.device

        @property
        def shape(self):
            return tuple(self.noise.shape[1:])

        @property
        def levy_area_approximation(self):
            return "none"


def torchsde_reverse_em(sde: ReverseOUSDE, T: float, gamma: float, n: int, seed: int, x_init=None, bm=None):
    """Euler--Maruyama through ``torchsde.sdeint`` (fixed step ``gamma``); returns ``Y_T``, shape ``(n, d)``.

    Default: ``Y_0`` from a torch generator seeded ``seed`` and a ``BrownianInterval`` with ``entropy=seed``.
    """
    d = sde.score.dim
    if x_init is None:
        x_init = torch.randn((n, d), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    if bm is None:
        bm = torchsde.BrownianInterval(t0=0.0, t1=T, size=(n, d), dtype=torch.float64, entropy=seed)
    ts = torch.tensor([0.0, T], dtype=torch.float64)
    with torch.no_grad():
        return torchsde.sdeint(sde, x_init, ts, bm=bm, method="euler", dt=gamma, adaptive=False)[-1]


# ---------------------------------------------------------------------------------------------------------- setup
def setup(N: int | None = None) -> dict:
    target = GaussianMixture(WEIGHTS, MEANS, COVS)
    gamma = GAMMA if N is None else T / N
    grid = TimeGrid.constant(T, gamma)
    score = ExactScore(target)
    return {"target": target, "grid": grid, "gamma": gamma, "score": score, "sampler": get_sampler("reverse-em"),
            "np_score": NumpyMixtureScore(WEIGHTS, MEANS, COVS),
            "sde": ReverseOUSDE(score, T) if torchsde is not None else None}


def runners(env: dict) -> dict:
    """name -> run(n, seed) returning the output particles as a numpy array ``(n, d)``."""
    grid, gamma = env["grid"], env["gamma"]
    out = {
        "theorylab": lambda n, seed: env["sampler"].sample(env["score"], grid, n, generator=seed).numpy(),
        "numpy": lambda n, seed: numpy_reverse_em(env["np_score"], T, gamma, n, rng=np.random.default_rng(seed)),
    }
    if torchsde is not None:
        out["torchsde"] = lambda n, seed: torchsde_reverse_em(env["sde"], T, gamma, n, seed).numpy()
    return out


# ---------------------------------------------------------------------------------------------------------- checks
def replay_check(env: dict) -> dict:
    """Same Y_0 and increments for all three: maximum particle differences (round-off only if the SDEs agree)."""
    n, N = REPLAY_PARTICLES, env["grid"].N
    rng = np.random.default_rng(SEED)
    y0 = rng.standard_normal((n, 1))
    z = rng.standard_normal((N, n, 1))
    y_tl = env["sampler"].sample(env["score"], env["grid"], n, x_init=torch.from_numpy(y0),
                                 noise=torch.from_numpy(z)).numpy()
    y_np = numpy_reverse_em(env["np_score"], T, env["gamma"], n, x_init=y0, noise=z)
    scale = float(np.max(np.abs(y_tl)))
    result = {"particles": n, "max_abs_output": scale, "tolerance_relative": LINALG_RTOL,
              "max_abs_diff_theorylab_numpy": float(np.max(np.abs(y_tl - y_np)))}
    if torchsde is not None:
        sde = ReverseOUSDE(env["score"], T)
        bm = ReplayBrownian(torch.from_numpy(z), env["gamma"])
        y_ts = torchsde_reverse_em(sde, T, env["gamma"], n, 0, x_init=torch.from_numpy(y0), bm=bm).numpy()
        result.update({"max_abs_diff_theorylab_torchsde": float(np.max(np.abs(y_tl - y_ts))),
                       "torchsde_euler_steps": bm.calls, "torchsde_sliver_steps": bm.sliver_steps,
                       # one more than the steps: sdeint evaluates f once at y0 to check shapes
                       "torchsde_drift_evaluations": sde.calls})
    diffs = [v for k, v in result.items() if k.startswith("max_abs_diff")]
    result["identical_up_to_roundoff"] = bool(max(diffs) <= LINALG_RTOL * scale)
    return result


def moment_check(stats: dict, exact: dict) -> dict:
    """z-scores of mean and variance: each implementation vs the exact EM output law, and pairwise."""
    out = {"exact": exact, "mc_sigma": MC_SIGMA, "vs_exact": {}, "pairwise": {}}
    for name, s in stats.items():
        out["vs_exact"][name] = {"z_mean": (s["mean"] - exact["mean"]) / s["mean_se"],
                                 "z_var": (s["var"] - exact["var"]) / s["var_se"]}
    names = sorted(stats)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            sa, sb = stats[a], stats[b]
            out["pairwise"][f"{a}-{b}"] = {
                "z_mean": (sa["mean"] - sb["mean"]) / math.hypot(sa["mean_se"], sb["mean_se"]),
                "z_var": (sa["var"] - sb["var"]) / math.hypot(sa["var_se"], sb["var_se"])}
    zs = [abs(v) for group in ("vs_exact", "pairwise") for d in out[group].values() for v in d.values()]
    out["max_abs_z"] = max(zs)
    out["agree_within_mc_error"] = bool(max(zs) <= MC_SIGMA)
    return out


def moments(y: np.ndarray) -> dict:
    mean, mean_se, cov, cov_se = moment_standard_errors(y)
    return {"n": int(y.shape[0]), "mean": float(mean[0]), "mean_se": float(mean_se[0]), "var": float(cov[0, 0]),
            "var_se": float(cov_se[0, 0])}


# ---------------------------------------------------------------------------------------------------------- timing
def timing(runs: dict, threads: int, steps: int) -> dict:
    torch.set_num_threads(threads)
    names = list(runs)
    for name in names:  # warm-up: caches of marginals, allocator, lazy imports
        runs[name](2_000, SEED)
    result, outputs = {}, {}
    for n, repeats in REPEATS.items():
        secs = {name: [] for name in names}
        for rep in range(repeats):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                gc.collect()
                t0 = time.perf_counter()
                y = runs[name](n, SEED + 1000 * rep + names.index(name))
                secs[name].append(time.perf_counter() - t0)
                if rep == 0 and n == max(REPEATS):
                    outputs[name] = moments(y)
                del y
        med = {name: statistics.median(v) for name, v in secs.items()}
        row = {name: {"seconds": secs[name], "seconds_median": med[name],
                      "particle_steps_per_second": n * steps / med[name]} for name in names}
        row["ratios_theorylab_speedup"] = {  # > 1: theorylab faster
            other: med[other] / med["theorylab"] for other in names if other != "theorylab"}
        result[str(n)] = row
    return {"torch_threads": torch.get_num_threads(), "repeats": {str(k): v for k, v in REPEATS.items()},
            "by_particles": result}, outputs


# ---------------------------------------------------------------------------------------------------------- memory
def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def memory_probe(name: str, N: int, n: int) -> dict:
    """Run in a fresh process: extra peak resident memory (and tracemalloc peak for numpy) of one call."""
    torch.set_num_threads(1)
    env = setup(N)
    run = runners(env)[name]
    run(1_000, SEED)  # warm-up on the same grid (marginal caches filled)
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset VmHWM to the current RSS
        method = "VmHWM after reset - VmRSS before"
    except OSError:
        method = "ru_maxrss after - VmRSS before (upper bound if the high-water mark was already higher)"
    before = _status_kib("VmRSS")
    y = run(n, SEED)
    peak = _status_kib("VmHWM") if method.startswith("VmHWM") else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del y
    out = {"impl": name, "steps": N, "particles": n, "extra_peak_bytes": (peak - before) * 1024, "method": method}
    if name == "numpy":
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        y = run(n, SEED)
        out["tracemalloc_extra_peak_bytes"] = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        del y
    return out


def memory(names: list[str]) -> dict:
    """Extra peak memory of each implementation at N = 30 and 120 (fresh subprocess per run).

    Two allocator settings: ``MALLOC_MMAP_THRESHOLD_=65536`` (glibc serves every array of >= 64 KiB by its own
    mmap and unmaps it when freed, so the high-water mark is the peak of live array bytes: the primary, noise-free
    measure) and glibc's default (dynamic threshold: freed arrays stay in the heap, so the figure adds
    fragmentation and varies by a few arrays from run to run; what a user sees).
    """
    result = {"particles": MEMORY_PARTICLES, "dim": 1, "steps": list(MEMORY_STEPS), "threads": 1,
              "allocators": {"mmap_threshold_64k": {"MALLOC_MMAP_THRESHOLD_": "65536"}, "glibc_default": {}},
              "by_allocator": {}}
    unit = MEMORY_PARTICLES * 1 * 8  # bytes of one (n, d) float64 array
    for alloc, extra_env in result["allocators"].items():
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"} | extra_env
        by_impl = {}
        for name in names:
            rows = {}
            for N in MEMORY_STEPS:
                proc = subprocess.run([sys.executable, __file__, "--memory-probe", name, str(N),
                                       str(MEMORY_PARTICLES)], capture_output=True, text=True, check=True, env=env)
                row = json.loads(proc.stdout.strip().splitlines()[-1])
                row["extra_peak_in_n_by_d_arrays"] = row["extra_peak_bytes"] / unit
                rows[str(N)] = row
            lo, hi = (rows[str(N)] for N in MEMORY_STEPS)
            rows["ratio_rss"] = hi["extra_peak_bytes"] / lo["extra_peak_bytes"]
            if "tracemalloc_extra_peak_bytes" in lo:
                rows["ratio_tracemalloc"] = hi["tracemalloc_extra_peak_bytes"] / lo["tracemalloc_extra_peak_bytes"]
            by_impl[name] = rows
        result["by_allocator"][alloc] = by_impl
    return result


# ---------------------------------------------------------------------------------------------------------- main
def main() -> dict:
    start = time.perf_counter()
    load_start = os.getloadavg()
    default_threads = torch.get_num_threads()
    if torchsde is None:
        print("torchsde is not importable: skipping it (benchmark-only dependency: `pip install torchsde`)")
    env = setup()
    grid = env["grid"]

    # --- correctness: replayed noise, then exact moments of the EM output law -------------------------------------
    torch.set_num_threads(1)
    replay = replay_check(env)
    exact_law = grid_output_law(env["score"], env["sampler"], grid, target=env["target"], tol=1e-10).law
    exact = {"mean": float(exact_law.mean()[0]), "var": float(exact_law.var()[0]), "route": "grid_output_law tol=1e-10"}

    # --- throughput ----------------------------------------------------------------------------------------------
    runs = runners(env)
    timings = {}
    timings["threads_default"], _ = timing(runs, default_threads, grid.N)
    timings["threads_1"], outputs = timing(runs, 1, grid.N)
    moment = moment_check(outputs, exact)

    # --- memory --------------------------------------------------------------------------------------------------
    mem = memory(list(runs))
    torch.set_num_threads(default_threads)

    result = {
        "setting": {"target": "1/2 N(-3, 1/4) + 1/2 N(3, 1)", "score": "exact (ExactScore, OU marginal)",
                    "sde": "dY = (Y + 2 s(T - u, Y)) du + sqrt(2) dB, Y_0 ~ N(0, 1)", "T": T, "gamma": GAMMA,
                    "N": grid.N, "dtype": "float64", "device": "cpu",
                    "throughput_unit": "particle-steps per second = particles * 60 / seconds (median)",
                    "torchsde": "sdeint(method='euler', dt=gamma, adaptive=False), noise_type='diagonal', "
                                "sde_type='ito', default BrownianInterval" if torchsde else "not installed: skipped"},
        "replay_check": replay,
        "moment_check": moment,
        "moments_at_largest_n": outputs,
        "timing": timings,
        "memory": mem,
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                    "torchsde": getattr(torchsde, "__version__", None), "cpu_count": os.cpu_count(),
                    "torch_default_threads": default_threads,
                    "processor": platform.processor() or platform.machine(),
                    "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "seconds_total": time.perf_counter() - start,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    return result


def summary(r: dict) -> str:
    s, rp, mc = r["setting"], r["replay_check"], r["moment_check"]
    lines = [f"reverse-em on the seed GMM, exact score, T={s['T']}, gamma={s['gamma']} (N={s['N']}), float64, CPU"]
    diffs = ", ".join(f"{k[13:]} {v:.1e}" for k, v in rp.items() if k.startswith("max_abs_diff"))
    lines.append(f"  replayed noise ({rp['particles']} particles): max |diff| {diffs} "
                 f"(|y| <= {rp['max_abs_output']:.1f}) -> identical up to round-off: {rp['identical_up_to_roundoff']}"
                 + (f"; torchsde took {rp['torchsde_euler_steps']} Euler steps"
                    if "torchsde_euler_steps" in rp else ""))
    n_mom = next(iter(r["moments_at_largest_n"].values()))["n"]
    lines.append(f"  moments at n={n_mom:.0e} vs exact EM law (mean {mc['exact']['mean']:.5f}, "
                 f"var {mc['exact']['var']:.5f}) "
                 f"and pairwise: max |z| = {mc['max_abs_z']:.2f} -> within {mc['mc_sigma']:.0f} SE: "
                 f"{mc['agree_within_mc_error']}")
    for key, t in r["timing"].items():
        lines.append(f"  throughput, torch threads = {t['torch_threads']} (particle-steps/s, median; "
                     f"repeats {t['repeats']}):")
        for n, row in t["by_particles"].items():
            cells = "  ".join(f"{name} {v['particle_steps_per_second']:.2e}" for name, v in row.items()
                              if isinstance(v, dict) and "seconds" in v)
            ratios = ", ".join(f"theorylab/{k} {v:.2f}x" for k, v in row["ratios_theorylab_speedup"].items())
            lines.append(f"    n={int(n):.0e}: {cells}")
            lines.append(f"             speed ratios: {ratios}")
    m = r["memory"]
    for alloc, by_impl in m["by_allocator"].items():
        lines.append(f"  extra peak memory ({alloc}), {m['particles']} particles, N = {m['steps'][0]} -> "
                     f"{m['steps'][1]} (MiB; in units of one (n, d) float64 array):")
        for name, rows in by_impl.items():
            lo, hi = rows[str(m["steps"][0])], rows[str(m["steps"][1])]
            extra = (f"; tracemalloc {lo['tracemalloc_extra_peak_bytes'] / 2**20:.1f} -> "
                     f"{hi['tracemalloc_extra_peak_bytes'] / 2**20:.1f} MiB (ratio {rows['ratio_tracemalloc']:.2f})"
                     if "ratio_tracemalloc" in rows else "")
            lines.append(f"    {name:9s}: {lo['extra_peak_bytes'] / 2**20:6.1f} -> "
                         f"{hi['extra_peak_bytes'] / 2**20:6.1f} MiB ({lo['extra_peak_in_n_by_d_arrays']:.1f} -> "
                         f"{hi['extra_peak_in_n_by_d_arrays']:.1f} arrays), ratio {rows['ratio_rss']:.2f}{extra}")
    mach = r["machine"]
    lines.append(f"  load average start {mach['loadavg_start'][0]:.2f}, end {mach['loadavg_end'][0]:.2f} "
                 f"on {mach['cpu_count']} cores; total {r['seconds_total']:.0f} s; written to {OUT}")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--memory-probe":
        print(json.dumps(memory_probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(summary(main()))
