"""Score-network training: throughput (float64 vs float32, 1 vs 2 threads, CPU vs CUDA), the cost split of one
step, and the seed GMM's score error reached per minute of training on 2 CPU threads.

Run: ``python benchmarks/bench_training.py [--quick] [--repeats 3] [--cell-seconds 2] [--parts 1,2,3]
[--gmm-threads 2] [--budgets 15 30 60 120]`` from the repository root (default about 5 min on 2 busy cores,
``--quick`` about 30 s). Writes ``benchmarks/results/training.json`` (``--out`` to change) and prints Markdown tables.

1. **Throughput.** Optimiser steps per second at batch 1024 through the real step of
   :func:`theorylab.learning.training.train` (time sampling, DSM loss, backward, gradient clipping, Adam, cosine
   schedule, EMA), for the seed GMM's ``ScoreMLP`` (d = 1, default network) and the digits ``ScoreConvNet``
   (d = 64, the network of ``experiments/seed002_digits.toml``). Each measurement is one ``train`` call with
   ``training.max_seconds`` as budget and ``output.log_every = 1``; the rate is taken from the per-step records
   after the first two steps (warm-up excluded). All CPU cells of a repeat run one after the other, in reversed
   order every other repeat (ABCD DCBA ...), so a drift of the machine's load hits every cell alike; ratios are
   the medians of the per-repeat (paired) ratios. The 2-thread cells are measured again in a child interpreter
   with ``OMP_WAIT_POLICY=passive`` (OpenMP reads it once, at start-up): on a busy machine torch's default
   spinning pool makes 2 threads far slower than 1 (``benchmarks/README.md``).
2. **Split of one step.** The loop body of ``train`` re-run with timers (same objects: ``build_score_model``,
   ``sample_times``, ``dsm_loss``, ``EMA``, ``Adam``): the network's forward (hooks on ``model.net``), backward,
   the numpy round trip of :func:`theorylab.learning.coefficients.coefficients` (wrapped where ``losses`` and
   ``model`` call it; twice per step), the rest of the loss (noise, :math:`x_t`, the norm), clipping, Adam, EMA,
   the loss read-back. On CUDA every segment ends with ``torch.cuda.synchronize`` (so the split attributes GPU
   time, at the cost of the overlap the real loop would get). The round trip is compared with the same
   coefficients computed by torch on the device (VP closed form).
3. **Error per minute.** The seed GMM config (``experiments/seed002_gmm.toml`` when present, full profile;
   otherwise the same keys by hand: :math:`\\tfrac12 N(-3, 1/4) + \\tfrac12 N(3, 1)`, VP, T = 1, n_data = 5000)
   trained on 2 threads in slices of ``training.max_seconds``, resuming from the checkpoint, and evaluated after
   15, 30, 60 and 120 s of training: the :math:`L^2(p_t)` error of the EMA score averaged over
   :math:`t \\in [0.05, 1]` (:func:`theorylab.learning.error.score_error_profile`, Monte Carlo, 95% CLT bounds
   averaged alike). Evaluation and resuming are not counted as training time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from theorylab.config import validate  # noqa: E402
from theorylab.learning.config import TrainConfig, make_process  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "results" / "training.json"
GMM_FILE = ROOT / "experiments" / "seed002_gmm.toml"
DIGITS_FILE = ROOT / "experiments" / "seed002_digits.toml"
BATCH = 1024
WARMUP_STEPS = 2

#: The seed GMM (seed 002, slide 'Mistura de gaussianas') when experiments/seed002_gmm.toml is absent.
GMM_RAW: dict[str, Any] = {
    "target": {"kind": "gmm", "weights": [0.5, 0.5], "means": [-3.0, 3.0], "covs": [0.25, 1.0]},
    "process": {"kind": "vp", "beta_min": 0.1, "beta_max": 20.0, "T": 1.0},
    "network": {"kind": "mlp"},
    "training": {"n_data": 5000, "batch_size": BATCH},
}
#: The digits network of experiments/seed002_digits.toml when that file is absent.
DIGITS_RAW: dict[str, Any] = {
    "target": {"kind": "digits", "scale": "unit"},
    "process": {"kind": "vp", "beta_min": 0.1, "beta_max": 20.0, "T": 1.0},
    "network": {"kind": "conv", "channels": [32, 64], "fourier_features": 64},
    "training": {},
}


# ---------------------------------------------------------------------------------------------------- configs
def _experiment_raw(path: Path, fallback: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The train-config part of an experiment file (full profile), or ``fallback``; and where it came from."""
    if path.exists():
        from theorylab.studies.reproductions.runner import load_experiment

        _, _, _, _, raw = load_experiment(path, full=True)
        raw = {k: v for k, v in raw.items() if k in ("target", "process", "network", "training", "output")}
        return json.loads(json.dumps(raw)), str(path.relative_to(ROOT))
    return json.loads(json.dumps(fallback)), "built in (same keys as the seed)"


def _models() -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The raw train configs of the two throughput networks and where they come from: the seed GMM's target and
    process with the *default* ``ScoreMLP`` (``network = {kind = "mlp"}``), and the digits config's ``ScoreConvNet``.
    Their ``[training]`` tables are dropped: part 1 sets every key it varies and leaves the rest at the defaults."""
    gmm, gmm_source = _experiment_raw(GMM_FILE, GMM_RAW)
    digits, digits_source = _experiment_raw(DIGITS_FILE, DIGITS_RAW)
    gmm = {"target": gmm["target"], "process": gmm["process"], "network": {"kind": "mlp"}}
    digits = {"target": digits["target"], "process": digits["process"], "network": digits["network"]}
    return ({"gmm-mlp": gmm, "digits-conv": digits},
            {"gmm-mlp": f"target and process of {gmm_source}; default ScoreMLP (network = {{kind = 'mlp'}})",
             "digits-conv": f"target, process and network of {digits_source}"})


def _config(raw: dict[str, Any], **training: Any) -> TrainConfig:
    raw = json.loads(json.dumps(raw))
    raw.setdefault("training", {}).update(training)
    raw["output"] = {"checkpoint": None, "log_every": 1}
    return validate(raw, TrainConfig)


# ---------------------------------------------------------------------------------------------------- 1. throughput
def _steps_per_second(raw: dict[str, Any], dtype: str, device: str, seconds: float) -> dict[str, Any]:
    """One ``train`` call with a wall budget; steps/s over the records after the warm-up steps."""
    from theorylab.learning.training import train

    cfg = _config(raw, dtype=dtype, device=device, batch_size=BATCH, steps=10**7, max_seconds=seconds)
    records: list[tuple[int, float]] = []
    result = train(cfg, checkpoint=None, progress=False, on_record=lambda r: records.append((r["step"], r["seconds"])))
    if len(records) > WARMUP_STEPS + 1:
        (s0, t0), (s1, t1) = records[WARMUP_STEPS - 1], records[-1]
        rate, how = (s1 - s0) / (t1 - t0), f"steps {s0 + 1}-{s1}"
    else:  # too slow for a warm-up-free rate: the whole call, first step included
        rate, how = result.steps_done / result.seconds, f"all {result.steps_done} steps (few)"
    return {"steps_per_s": rate, "steps": result.steps_done, "seconds": result.seconds, "rate_from": how}


def _child_cells(cells: list[tuple[str, str]], seconds: float, env: dict[str, str]) -> list[dict[str, Any]]:
    """The 2-thread CPU cells ``(model, dtype)`` measured in a fresh interpreter with extra environment ``env`` (the
    OpenMP wait policy is read once, when the runtime starts, so it cannot be changed in this process)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps({"cells": cells, "seconds": seconds})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"child benchmark failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _run_child(spec: str) -> None:
    spec_ = json.loads(spec)
    models, _ = _models()
    torch.set_num_threads(2)
    print(json.dumps([_steps_per_second(models[m], dt, "cpu", spec_["seconds"]) for m, dt in spec_["cells"]]))


def throughput(models: dict[str, dict[str, Any]], repeats: int, seconds: float) -> dict[str, Any]:
    cells = [(m, dt, th) for m in models for dt in ("float64", "float32") for th in (1, 2)]
    runs: dict[str, list[dict[str, Any]]] = {_key(*c, "cpu"): [] for c in cells}
    passive_cells = [(m, dt) for m in models for dt in ("float64", "float32")]
    for m, dt in passive_cells:
        runs[_key(m, dt, 2, "cpu", passive=True)] = []

    def passive() -> None:
        outs = _child_cells(passive_cells, seconds, {"OMP_WAIT_POLICY": "passive"})
        for (m, dt), out in zip(passive_cells, outs):
            runs[_key(m, dt, 2, "cpu", passive=True)].append(out)
            print(f"  repeat {r}: {m:11s} {dt} 2 thr cpu OMP_WAIT_POLICY=passive: {out['steps_per_s']:8.2f} steps/s "
                  f"({out['steps']} steps)", flush=True)

    for r in range(repeats):
        if r % 2 == 1:
            passive()
        for model, dtype, threads in (cells if r % 2 == 0 else cells[::-1]):
            torch.set_num_threads(threads)
            out = _steps_per_second(models[model], dtype, "cpu", seconds)
            runs[_key(model, dtype, threads, "cpu")].append(out)
            print(f"  repeat {r}: {model:11s} {dtype} {threads} thr cpu: {out['steps_per_s']:8.2f} steps/s "
                  f"({out['steps']} steps)", flush=True)
        if r % 2 == 0:
            passive()
    cuda_note = None
    if torch.cuda.is_available():
        torch.set_num_threads(2)
        gpu_cells = [(m, dt) for m in models for dt in ("float64", "float32")]
        for c in gpu_cells:
            runs[_key(c[0], c[1], 2, "cuda")] = []
        for r in range(repeats):
            for model, dtype in (gpu_cells if r % 2 == 0 else gpu_cells[::-1]):
                out = _steps_per_second(models[model], dtype, "cuda", seconds)
                runs[_key(model, dtype, 2, "cuda")].append(out)
                print(f"  repeat {r}: {model:11s} {dtype} cuda: {out['steps_per_s']:8.2f} steps/s", flush=True)
    else:
        cuda_note = "skipped: torch.cuda.is_available() is False on this machine"
    torch.set_num_threads(2)

    med = {k: statistics.median(o["steps_per_s"] for o in v) for k, v in runs.items()}
    ratios: dict[str, Any] = {}
    for model in models:
        for threads in (1, 2):
            ratios[f"{model} {threads} thr: float32/float64"] = _paired(
                runs[_key(model, "float32", threads, "cpu")], runs[_key(model, "float64", threads, "cpu")])
        for dtype in ("float64", "float32"):
            one = runs[_key(model, dtype, 1, "cpu")]
            ratios[f"{model} {dtype}: 2 thr/1 thr"] = _paired(runs[_key(model, dtype, 2, "cpu")], one)
            ratios[f"{model} {dtype}: 2 thr passive/1 thr"] = _paired(
                runs[_key(model, dtype, 2, "cpu", passive=True)], one)
        if torch.cuda.is_available():
            for dtype in ("float64", "float32"):
                ratios[f"{model} {dtype}: cuda/cpu 1 thr"] = _paired(
                    runs[_key(model, dtype, 2, "cuda")], runs[_key(model, dtype, 1, "cpu")])
    return {"runs": runs, "median_steps_per_s": med, "ratios": ratios, "cuda": cuda_note,
            "cell_seconds": seconds, "repeats": repeats, "batch_size": BATCH,
            "passive": "2-thread cells re-measured in a child interpreter with OMP_WAIT_POLICY=passive "
                       "(one child per repeat, run after the in-process cells on even repeats, before on odd)"}


def _key(model: str, dtype: str, threads: int, device: str, passive: bool = False) -> str:
    if device == "cuda":
        return f"{model} {dtype} {device}"
    return f"{model} {dtype} {threads}thr{' passive' if passive else ''} {device}"


def _paired(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> dict[str, float]:
    """Median (and range) of the per-repeat ratios a/b of steps/s."""
    r = [x["steps_per_s"] / y["steps_per_s"] for x, y in zip(a, b)]
    return {"median": statistics.median(r), "min": min(r), "max": max(r)}


# ---------------------------------------------------------------------------------------------------- 2. step split
class _Timers:
    def __init__(self, device: torch.device):
        self.device = device
        self.acc: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    @contextlib.contextmanager
    def __call__(self, name: str):
        self.sync()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.sync()
            self.acc[name] = self.acc.get(name, 0.0) + time.perf_counter() - start
            self.calls[name] = self.calls.get(name, 0) + 1


def _torch_vp_coefficients(process: Any, t: torch.Tensor):
    """VP :math:`(\\alpha_t, \\sigma_t, g^2)` in torch on ``t``'s device (the comparison route)."""
    b = process.beta_min * t + 0.5 * (process.beta_max - process.beta_min) * t * t / process.T
    return torch.exp(-0.5 * b), torch.sqrt(-torch.expm1(-b)), process.beta_min + (
        process.beta_max - process.beta_min) * t / process.T


def step_split(raw: dict[str, Any], dtype_name: str, device_name: str, seconds: float,
               max_steps: int = 400) -> dict[str, Any]:
    """Re-run ``train``'s loop body with timers; per segment the median time (ms) and its share of the sum of the
    segment medians (a typical step without the stalls that a shared machine adds to some steps)."""
    import theorylab.learning.losses as losses_mod
    import theorylab.learning.model as model_mod
    from theorylab.distributions import make_target
    from theorylab.learning.coefficients import coefficients as real_coefficients
    from theorylab.learning.ema import EMA
    from theorylab.learning.times import sample_times
    from theorylab.learning.training import _DTYPES, _cosine_or_constant, build_score_model, training_data

    cfg = _config(raw, dtype=dtype_name, device=device_name, batch_size=BATCH, steps=10**7)
    tr = cfg.training
    dev, dtype = torch.device(device_name), _DTYPES[dtype_name]
    process = make_process(cfg.process, cfg.process.T)
    data_np, _ = training_data(cfg, make_target(cfg.target))
    model = build_score_model(cfg, int(data_np.shape[1]), process).to(device=dev, dtype=dtype)
    ema = EMA(model, tr.ema)
    opt = torch.optim.Adam(model.parameters(), lr=tr.lr)
    sched = _cosine_or_constant(opt, cfg)
    gen = torch.Generator().manual_seed(tr.seed)
    data = torch.as_tensor(data_np, dtype=dtype).to(dev)
    timers = _Timers(dev)

    def timed_coefficients(process_, t):
        with timers("coefficients (numpy round trip)"):
            return real_coefficients(process_, t)

    net_start: list[float] = []

    def pre_hook(_module, _inputs):
        timers.sync()
        net_start.append(time.perf_counter())

    def post_hook(_module, _inputs, _output):
        timers.sync()
        timers.acc["network forward"] = timers.acc.get("network forward", 0.0) + time.perf_counter() - net_start.pop()

    handles = [model.net.register_forward_pre_hook(pre_hook), model.net.register_forward_hook(post_hook)]
    saved = (losses_mod.coefficients, model_mod.coefficients)
    losses_mod.coefficients = model_mod.coefficients = timed_coefficients
    per_step: list[dict[str, float]] = []
    try:
        model.train()
        begin = time.perf_counter()
        while len(per_step) < max_steps and (time.perf_counter() - begin < seconds or len(per_step) < 4):
            timers.acc = {}
            timers.sync()
            step_start = time.perf_counter()
            with timers("draw indices and times"):
                idx = torch.randint(data.shape[0], (tr.batch_size,), generator=gen).to(dev)
                t = sample_times(tr.batch_size, tr.t_min, process.T, tr.time_sampling, generator=gen,
                                 dtype=dtype).to(dev)
            with timers("loss (whole)"):
                loss = losses_mod.dsm_loss(model, data[idx], t, process, weighting=tr.weighting, generator=gen)
            with timers("backward"):
                opt.zero_grad(set_to_none=True)
                loss.backward()
            with timers("gradient clipping"):
                if tr.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), tr.grad_clip)
            with timers("optimiser (Adam + schedule)"):
                opt.step()
                sched.step()
            with timers("EMA update"):
                ema.update(model)
            with timers("loss read-back"):
                float(loss.detach())
            timers.sync()
            total = time.perf_counter() - step_start
            acc = dict(timers.acc)
            acc["loss: noise, x_t, norm"] = acc.pop("loss (whole)") - acc["network forward"] - acc[
                "coefficients (numpy round trip)"]
            acc["untimed glue"] = total - sum(acc.values())
            acc["step total"] = total
            per_step.append(acc)
    finally:
        losses_mod.coefficients, model_mod.coefficients = saved
        for h in handles:
            h.remove()
    kept = per_step[WARMUP_STEPS:]
    names = [k for k in kept[0] if k != "step total"]
    medians = {name: statistics.median(s[name] for s in kept) for name in names}
    typical = sum(medians.values())
    segments = {name: {"median_ms": 1e3 * medians[name], "share": medians[name] / typical} for name in names}
    # the same coefficients computed by torch on the device, for comparison (VP only)
    comparison = None
    if cfg.process.kind == "vp":
        t = sample_times(tr.batch_size, tr.t_min, process.T, tr.time_sampling, generator=gen, dtype=dtype).to(dev)
        ref = real_coefficients(process, t)
        mine = _torch_vp_coefficients(process, t)
        agree = max(float(torch.max(torch.abs(a - b) / torch.abs(a).clamp_min(1e-30))) for a, b in zip(ref, mine))
        rt, tt = [], []
        for _ in range(200):
            timers.sync()
            s = time.perf_counter()
            real_coefficients(process, t)
            timers.sync()
            rt.append(time.perf_counter() - s)
            s = time.perf_counter()
            _torch_vp_coefficients(process, t)
            timers.sync()
            tt.append(time.perf_counter() - s)
        comparison = {"round_trip_us": 1e6 * statistics.median(rt), "torch_on_device_us": 1e6 * statistics.median(tt),
                      "max_relative_difference": agree}
    return {"steps": len(kept), "step_median_ms": 1e3 * statistics.median(s["step total"] for s in kept),
            "sum_of_segment_medians_ms": 1e3 * typical,
            "coefficient_calls_per_step": timers.calls.get("coefficients (numpy round trip)", 0) // max(len(
                per_step), 1), "segments": segments, "coefficients_vs_torch": comparison}


# ---------------------------------------------------------------------------------------------------- 3. error/minute
def error_per_minute(raw: dict[str, Any], source: str, budgets: list[float], n_samples: int, n_times: int,
                     threads: int = 2) -> dict[str, Any]:
    from theorylab.distributions import make_target
    from theorylab.learning.error import score_error_profile
    from theorylab.learning.score import LearnedScore
    from theorylab.learning.training import train

    torch.set_num_threads(threads)
    base = _config(raw, device="cpu")
    target = make_target(base.target)
    process = make_process(base.process, base.process.T)
    times = np.linspace(0.05, 1.0, n_times)

    def evaluate(score) -> dict[str, float]:
        torch.set_num_threads(1)  # not timed as training; one thread is the fastest on a busy machine
        start = time.perf_counter()
        prof = score_error_profile(score, target, process, times, n_samples=n_samples, seed=0)
        value, lower, upper = prof.l2_average(0.05, 1.0)
        torch.set_num_threads(threads)
        return {"l2_average": value, "lower": lower, "upper": upper, "eval_seconds": time.perf_counter() - start}

    zero = evaluate(lambda t, x: torch.zeros_like(x))  # the zero-initialised output layer's score, before training
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "gmm.pt"
        done, cpu_total = 0.0, 0.0
        for budget in budgets:
            cfg = _config(raw, device="cpu", max_seconds=max(budget - done, 1e-3))
            cpu = time.process_time()
            result = train(cfg, checkpoint=ckpt, progress=False, save_every=10**9)
            cpu_total += time.process_time() - cpu
            done = float(result.meta["seconds_total"])
            row = {"budget_s": budget, "train_wall_s": done, "train_cpu_s": cpu_total, "steps": result.steps_done,
                   "stopped": result.stopped, "last_loss": result.history["loss"][-1] if result.history["loss"]
                   else None, **evaluate(LearnedScore(result.ema_model, cfg.training.t_min))}
            rows.append(row)
            print(f"  {budget:6.0f} s budget: {row['steps']:6d} steps, {row['train_wall_s']:6.1f} s wall, "
                  f"{row['train_cpu_s']:6.1f} s CPU, L2 avg {row['l2_average']:.4f} "
                  f"[{row['lower']:.4f}, {row['upper']:.4f}]", flush=True)
            if result.stopped == "completed" or result.stopped == "already trained":
                break
    in_time = [r for r in rows if r["train_wall_s"] <= 120.0 + 1.0]  # one step of overshoot past 120 s allowed
    goal = next((r for r in in_time if r["l2_average"] < 0.1), None)
    goal_upper = next((r for r in in_time if r["upper"] < 0.1), None)
    return {"config_source": source, "config": base.model_dump(), "threads": threads, "times": times.tolist(),
            "n_samples": n_samples, "zero_score": zero, "rows": rows,
            "goal": f"L2 average over t in [0.05, 1] < 0.1 within 120 s of training on {threads} CPU threads",
            "goal_met": goal is not None, "goal_met_at_budget_s": goal["budget_s"] if goal else None,
            "goal_met_by_upper_bound_at_budget_s": goal_upper["budget_s"] if goal_upper else None}


# ---------------------------------------------------------------------------------------------------- report
def _rate(tp: dict[str, Any], key: str) -> str:
    """Median steps/s of a cell, starred when some repeat had too few steps for a warm-up-free rate."""
    if key not in tp["median_steps_per_s"]:
        return "-"
    few = any(o["rate_from"].endswith("(few)") for o in tp["runs"][key])
    return f"{tp['median_steps_per_s'][key]:.3g}{'*' if few else ''}"


def _throughput_md(tp: dict[str, Any], models: list[str]) -> list[str]:
    lines = [f"### Throughput (steps/s at batch {tp['batch_size']}, median of {tp['repeats']}, "
             f"{tp['cell_seconds']:g} s per cell)", "",
             "| network | dtype | CPU 1 thr | CPU 2 thr | 2 thr/1 thr | CPU 2 thr, passive wait | passive/1 thr "
             "| CUDA |", "|---|---|---|---|---|---|---|---|"]
    for model in models:
        if _key(model, "float64", 1, "cpu") not in tp["median_steps_per_s"]:
            continue
        for dtype in ("float64", "float32"):
            ratio = tp["ratios"]
            lines.append(f"| {model} | {dtype} | {_rate(tp, _key(model, dtype, 1, 'cpu'))} | "
                         f"{_rate(tp, _key(model, dtype, 2, 'cpu'))} | "
                         f"{ratio[f'{model} {dtype}: 2 thr/1 thr']['median']:.2f} | "
                         f"{_rate(tp, _key(model, dtype, 2, 'cpu', passive=True))} | "
                         f"{ratio[f'{model} {dtype}: 2 thr passive/1 thr']['median']:.2f} | "
                         f"{_rate(tp, _key(model, dtype, 2, 'cuda'))} |")
    lines += ["", "\\* some repeat finished fewer than 4 steps in its budget: rate over the whole call, first step "
              "included.", "", "| ratio (paired per repeat) | median | range |", "|---|---|---|"]
    for name, r in tp["ratios"].items():
        lines.append(f"| {name} | {r['median']:.2f} | {r['min']:.2f}-{r['max']:.2f} |")
    if tp["cuda"]:
        lines += ["", f"CUDA: {tp['cuda']}."]
    return lines


def _split_md(splits: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for label, split in splits.items():
        lines += ["", f"### Split of one step: {label} (median step {split['step_median_ms']:.2f} ms, sum of segment "
                  f"medians {split['sum_of_segment_medians_ms']:.2f} ms, {split['steps']} steps; "
                  f"{split['coefficient_calls_per_step']} coefficient calls per step)", "",
                  "| segment | median ms | share of the sum of medians |", "|---|---|---|"]
        for name, seg in sorted(split["segments"].items(), key=lambda kv: -kv[1]["share"]):
            lines.append(f"| {name} | {seg['median_ms']:.3f} | {100 * seg['share']:.1f}% |")
        c = split["coefficients_vs_torch"]
        if c:
            lines.append(f"\nOne coefficients call: numpy round trip {c['round_trip_us']:.0f} us, torch on the "
                         f"device {c['torch_on_device_us']:.0f} us (max relative difference "
                         f"{c['max_relative_difference']:.1e}).")
    return lines


def _error_md(err: dict[str, Any]) -> list[str]:
    z = err["zero_score"]
    lines = ["", f"### Seed GMM: L2 error averaged over t in [0.05, 1] ({err['config_source']}, "
             f"{err['threads']} threads, {err['n_samples']} draws x {len(err['times'])} times)", "",
             "| budget s | train wall s | train CPU s | steps | stopped | L2 average [95% bounds] |",
             "|---|---|---|---|---|---|",
             f"| 0 (zero score) | 0 | 0 | 0 | - | {z['l2_average']:.4f} [{z['lower']:.4f}, {z['upper']:.4f}] |"]
    for r in err["rows"]:
        lines.append(f"| {r['budget_s']:g} | {r['train_wall_s']:.1f} | {r['train_cpu_s']:.1f} | {r['steps']} | "
                     f"{r['stopped']} | {r['l2_average']:.4f} [{r['lower']:.4f}, {r['upper']:.4f}] |")
    up = err["goal_met_by_upper_bound_at_budget_s"]
    verdict = "NOT met."
    if err["goal_met"]:
        verdict = (f"met at the {err['goal_met_at_budget_s']:g} s budget (point estimate); upper bound below 0.1 "
                   + (f"from the {up:g} s budget." if up is not None else "at no budget."))
    lines.append(f"\nGoal ({err['goal']}): {verdict}")
    return lines


def _markdown(res: dict[str, Any]) -> str:
    lines: list[str] = []
    if res["throughput"]:
        lines += _throughput_md(res["throughput"], list(res["models"]))
    if res["step_split"]:
        lines += _split_md(res["step_split"])
    if res["error_per_minute"]:
        lines += _error_md(res["error_per_minute"])
    m = res["machine"]
    lines.append(f"\nload average {m['loadavg_start'][0]:.2f} -> {m['loadavg_end'][0]:.2f}; {m['cpus']} CPUs; "
                 f"OMP_WAIT_POLICY={m['omp_wait_policy']}; torch {m['torch']}; total {res['wall_seconds']:.0f} s.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run (< 60 s): 1 repeat, short cells, the GMM network only in part 1, 4 + 4 s of "
                             "GMM training")
    parser.add_argument("--repeats", type=int, default=None, help="throughput repeats (default 3, quick 1)")
    parser.add_argument("--cell-seconds", type=float, default=None,
                        help="budget per throughput cell in seconds (default 2, quick 1)")
    parser.add_argument("--budgets", type=float, nargs="+", default=None,
                        help="cumulative training seconds at which the GMM error is measured (default 15 30 60 120)")
    parser.add_argument("--gmm-threads", type=int, default=2, help="torch threads of the GMM training (default 2)")
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (comma-separated, default 1,2,3)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _run_child(args.child)
        return {}
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    cell = args.cell_seconds or (1.0 if quick else 2.0)
    parts = {p.strip() for p in args.parts.split(",")}
    budgets = args.budgets or ([4.0, 8.0] if quick else [15.0, 30.0, 60.0, 120.0])
    wall = time.perf_counter()
    load_start = os.getloadavg()
    gmm_raw, gmm_source = _experiment_raw(GMM_FILE, GMM_RAW)
    models, sources = _models()
    tp_models = {"gmm-mlp": models["gmm-mlp"]} if quick else models

    tp: dict[str, Any] | None = None
    if "1" in parts:
        print(f"1. throughput ({repeats} repeats, {cell:g} s per cell)", flush=True)
        tp = throughput(tp_models, repeats, cell)

    split: dict[str, Any] = {}
    if "2" in parts:
        print("2. split of one step", flush=True)
        split_cells = [("gmm-mlp", "float64"), ("gmm-mlp", "float32"), ("digits-conv", "float32")]
        if not quick:
            split_cells.insert(2, ("digits-conv", "float64"))
        torch.set_num_threads(1)
        for model, dtype in split_cells:
            split[f"{model} {dtype} cpu 1thr"] = step_split(models[model], dtype, "cpu", 0.5 if quick else 2.0)
        if torch.cuda.is_available():
            for model, dtype in split_cells:
                split[f"{model} {dtype} cuda"] = step_split(models[model], dtype, "cuda", 0.5 if quick else 2.0)
        torch.set_num_threads(2)

    err: dict[str, Any] | None = None
    if "3" in parts:
        print(f"3. GMM error per minute of training ({args.gmm_threads} threads)", flush=True)
        err = error_per_minute(gmm_raw, gmm_source, budgets, n_samples=1024 if quick else 4096,
                               n_times=8 if quick else 20, threads=args.gmm_threads)

    result = {
        "quick": quick, "models": sources,
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                    "machine": platform.machine(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                    "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                    "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "throughput": tp, "step_split": split, "error_per_minute": err,
        "wall_seconds": time.perf_counter() - wall,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=_json_default) + "\n")
    print()
    print(_markdown(result))
    print(f"\nwrote {args.out}")
    return result


def _json_default(obj: Any):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return str(obj)


if __name__ == "__main__":
    main()
