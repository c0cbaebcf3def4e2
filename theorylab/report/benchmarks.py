"""The README's "Performance" section, rendered from the benchmark artefacts (never typed in).

Each benchmark script under ``benchmarks/`` writes a JSON file under ``benchmarks/results/``; ``theorylab
reproduce`` writes ``reports/reproduce_timing.json``. This module reads those plain JSON files and renders one
Markdown bullet per benchmark: what it compares (the command that makes the JSON), the setting, the headline
ratios read from the JSON, and the machine facts the JSON records (load average, CPUs, versions). A file that is
not there renders as ``not measured yet (run: COMMAND)``; a key a file does not have is left out (or said to be
not recorded), never invented.

Qualitative statements are computed from the numbers: e.g. "faster by the paired median in k of m settings"
counts the settings whose median ratio is above 1; the fastest executor is the one with the smallest median time.
A ratio ``theorylab / X`` or a "speed-up against X" above 1 means theorylab is faster, as in the scripts.

The blocks are listed in :data:`BENCHMARKS` (block name -> :class:`Benchmark`) and rendered by :func:`render`;
:mod:`theorylab.report.readme` fills the README's ``<!-- generated:perf-... -->`` blocks with them.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BENCHMARKS", "Benchmark", "DOC_BLOCKS", "DocBlock", "machine_facts", "not_measured", "render",
           "render_doc", "REPRODUCE_TIMING"]

#: The timing record of ``theorylab reproduce`` (under ``reports/``), one entry per profile.
REPRODUCE_TIMING = "reproduce_timing.json"


# ------------------------------------------------------------------------------------------------- formatting
def _r(x: float) -> str:
    """A ratio or a time, two decimals (three significant digits below 0.1)."""
    return f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.2g}"


def _g(x: float) -> str:
    return f"{x:.3g}"


def _e(x: float, digits: int = 1) -> str:
    """Scientific notation without padding: ``8.4e-8``, ``1.0e5`` (``digits`` decimals of the mantissa)."""
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _spread(d: Mapping[str, float]) -> str:
    """``median [min-max]`` of a ``{median, min, max}`` dict."""
    return f"{_r(d['median'])} [{_r(d['min'])}–{_r(d['max'])}]"


def _n(n: str | int) -> str:
    """A particle count written as a power of ten when it is one (``100000`` -> ``1e5``)."""
    n = int(n)
    s = f"{n:.0e}".replace("e+0", "e").replace("e+", "e")
    return s if float(s) == n else str(n)


def _count(hits: int, total: int) -> str:
    """``in every setting`` / ``in no setting`` / ``in k of m settings``."""
    if hits == total:
        return "in every setting" if total > 1 else "in the one setting"
    return "in no setting" if hits == 0 else f"in {hits} of {total} settings"


def _find(data: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` found in ``data`` or in its ``machine`` / ``environment`` table."""
    for table in (data, data.get("machine") or {}, data.get("environment") or {}):
        for key in keys:
            if isinstance(table, Mapping) and table.get(key) is not None:
                return table[key]
    return None


def machine_facts(data: Mapping[str, Any]) -> str:
    """The machine facts a result JSON records: CPUs, load average (1-minute; start -> end when both are recorded),
    torch version; ``load average not recorded`` when it has none."""
    parts = []
    cpus = _find(data, "cpu_count", "cpus")
    if cpus is not None:
        parts.append(f"{cpus} CPUs")
    start = _find(data, "load_average_start", "loadavg_start", "load_average")
    end = _find(data, "load_average_end", "loadavg_end", "load_average_at_end")
    if start is not None and end is not None and start is not end:
        parts.append(f"load average {_r(start[0])} → {_r(end[0])}")
    elif start is not None or end is not None:
        parts.append(f"load average {_r((start or end)[0])}" + (" at the end" if start is None else ""))
    else:
        parts.append("load average not recorded")
    torch = _find(data, "torch")
    if isinstance(torch, str):
        parts.append(f"torch {torch}")
    return ", ".join(parts)


def _facts(data: Mapping[str, Any]) -> str:
    """:func:`machine_facts` as a sentence."""
    text = machine_facts(data)
    return text[0].upper() + text[1:] + "."


def not_measured(title: str, command: str) -> str:
    """The line of a benchmark whose JSON is missing."""
    return f"* {title}: not measured yet (run: `{command}`)."


# ------------------------------------------------------------------------------------------------- renderers
def _grid_vs_mc(d: dict) -> str:
    s, g, mc, r = d["setting"], d["grid"], d["monte_carlo"], d["ratios"]
    goal = 2.0  # seconds: the goal for the grid route at TV precision 1e-6 on one core
    return (f"Setting: the seed GMM {s['target']}, T = {s['T']}, γ = {s['gamma']} (N = {s['N']}), {s['sampler']}, "
            f"{s['score']} score, {s['dtype']}, {s['threads']} thread. The grid reaches a TV precision of "
            f"{_e(g['tv_estimate'])} (target {_e(g['target_tv'])}) in {_g(g['seconds_median_warm'])} s "
            f"(median of warm runs; goal < {goal:.0f} s: {'met' if g['seconds_median_warm'] < goal else 'not met'}). "
            f"Monte Carlo in {_r(r['mc_seconds_over_grid_seconds'])}× that wall time ({mc['particles']} particles) "
            f"reaches a histogram-TV CI half-width of {_e(mc['histogram_tv_ci_half_width'])}, "
            f"{_e(r['mc_ci_half_width_over_grid_estimate'])} times the grid's error; to reach the target it would "
            f"need about {_e(r['mc_seconds_to_reach_target_by_histogram_tv'] / g['seconds_median_warm'])} times the "
            f"grid's time by the histogram TV ({_e(r['speedup_grid_vs_mc_by_ks'])} by the KS distance). "
            f"{_facts(d)}")


def _reverse_em(d: dict) -> str:
    rep, mem = d["replay_check"], d["memory"]
    rows, faster = [], {}
    blocks = sorted(d["timing"].values(), key=lambda b: b["torch_threads"])
    others = list(dict.fromkeys(k for b in blocks for row in b["by_particles"].values()
                                for k in row["ratios_theorylab_speedup"]))  # torchsde is absent when not installed
    for block in blocks:
        for n, row in block["by_particles"].items():
            ratios = row["ratios_theorylab_speedup"]
            rows.append(f"  | {block['torch_threads']} | {_n(n)} | "
                        + " | ".join(_r(ratios[k]) if k in ratios else "—" for k in others) + " |")
            for k, v in ratios.items():
                faster.setdefault(k, []).append(v > 1)
    table = ["  | torch threads | particles | " + " | ".join(f"theorylab / {k}" for k in others) + " |",
             "  |---|---|" + "---|" * len(others)] + rows
    verdict = _tally(faster, "theorylab")
    allocs = mem["by_allocator"]
    first = next(iter(allocs))
    th = allocs[first]["theorylab"]
    steps = sorted(int(k) for k in th if k.isdigit())
    return (f"Setting: {d['setting']['target']}, {d['setting']['score']}, N = {d['setting']['N']} steps, "
            f"{d['setting']['dtype']}, {d['setting']['device']}; torchsde is a benchmark-only dependency "
            f"(`pip install torchsde`). With the same noise the particles agree to "
            f"{_e(max(rep['max_abs_diff_theorylab_numpy'], rep['max_abs_diff_theorylab_torchsde']))} "
            f"(|y| ≤ {_g(rep['max_abs_output'])}). Particle-steps per second, median:\n\n" + "\n".join(table)
            + f"\n\n  {verdict} (median ratio > 1). Extra peak memory of theorylab at {_n(mem['particles'])} "
            f"particles: {_g(th[str(steps[0])]['extra_peak_in_n_by_d_arrays'])} particle-sized arrays at "
            f"N = {steps[0]}, ratio N = {steps[-1]} / N = {steps[0]}: {_r(th['ratio_rss'])} ({first}). "
            f"{_facts(d)}")


def _speed_table(timing: Sequence[dict], key: str) -> tuple[list[str], dict[str, list[bool]]]:
    """Markdown rows of the paired CPU-time medians ``key`` (``theorylab_speedup_cpu`` ...) and, per other
    implementation, whether each setting's median is above 1."""
    others: list[str] = []
    for block in timing:
        for row in block["by_particles"].values():
            others += [k for k in row.get(key, {}) if k not in others]
    lines = ["  | threads (OpenMP wait) | particles | theorylab's threads | " + " | ".join(others) + " |",
             "  |---|---|---|" + "---|" * len(others)]
    faster: dict[str, list[bool]] = {k: [] for k in others}
    for block in timing:
        for n, row in block["by_particles"].items():
            if key not in row:
                continue
            cells = []
            for k in others:
                if k in row[key]:
                    cells.append(_spread(row[key][k]))
                    faster[k].append(row[key][k]["median"] > 1)
                else:
                    cells.append("—")
            used = row.get("theorylab_threads_used", "not recorded")
            lines.append(f"  | {block['threads']} ({block.get('omp_wait_policy', '?')}) | {_n(n)} | {used} | "
                         + " | ".join(cells) + " |")
    return lines, faster


def _tally(faster: dict[str, list[bool]], who: str) -> str:
    """Per other implementation, in how many settings ``who`` is faster (median ratio above 1)."""
    return "; ".join(f"{who} is faster than {k} {_count(sum(v), len(v))}" for k, v in faster.items() if v)


def _sampler_speed(d: dict) -> str:
    s, env, prof = d["setting"], d["environment"], d["profile"]["ns_per_particle_cpu"]
    out = [f"Setting: the seed GMM, T = {s['T']}, γ = {s['gamma']} ({s['steps']} steps), {s['dtype']}, "
           f"{s['device']}; each repetition runs every implementation once (rotating order); ratios are paired per "
           f"repetition, CPU time, median [min–max], > 1: theorylab faster. The implementations are listed in "
           f"`benchmarks/bench_sampler_speed.py`. \"threads\" are those available; theorylab's own runs use as many "
           f"as their step's counted work is worth (`theorylab.threads`), the loops use all of them. All agree to round-off: "
           f"{'yes' if d['agreement']['all_within_roundoff'] else 'NO'} (max |Δ| "
           f"{_e(max(d['agreement']['max_abs_diff'].values()))}); the fused route equals the generic one bit for "
           f"bit: {'yes' if d['agreement']['fused_equals_generic_bitwise'] else 'NO'}.", ""]
    table, faster = _speed_table(d["timing"], "theorylab_speedup_cpu")
    out += ["  theorylab against the others:", ""] + table + ["", "  " + _tally(faster, "theorylab") + "."]
    if any("numpy_stream_speedup_cpu" in row for b in d["timing"] for row in b["by_particles"].values()):
        table, faster = _speed_table(d["timing"], "numpy_stream_speedup_cpu")
        out += ["", "  theorylab with the numpy random stream (`theorylab-numpy-stream`) against the loops. Like for "
                "like: `theorylab` draws the torch loops' normals and `theorylab-numpy-stream` the numpy loop's (same "
                "seed, same particles to round-off):", ""]
        out += table + ["", "  " + _tally(faster, "the numpy stream") + "."]
    randn, np_normal = prof.get("torch.randn(out=buffer)"), prof.get("numpy standard_normal")
    tail = []
    if randn and np_normal:
        tail.append(f"One float64 normal costs {_g(randn['median'])} ns by `torch.randn(out=)` and "
                    f"{_g(np_normal['median'])} ns by numpy's `standard_normal` (CPU, one thread, "
                    f"{_n(d['profile']['particles'])} particles; ratio {_r(randn['median'] / np_normal['median'])}).")
    if "memory" in d:
        m = d["memory"]["by_steps"]
        steps = sorted(int(k) for k in m if k.isdigit())
        tail.append(f"Extra peak memory: {_g(m[str(steps[0])]['extra_peak_in_n_by_d_arrays'])} particle-sized arrays "
                    f"at N = {steps[0]}, ratio N = {steps[-1]} / N = {steps[0]}: {_r(m['ratio_120_over_30'])}.")
    tail.append(f"{_facts(d)[:-1]}; the run took {env['seconds']:.0f} s.")
    return "\n".join(out) + "\n\n  " + " ".join(tail)


def _sweep_executors(files: dict[str, dict]) -> str:
    lines = ["Rows identical across executors in every run: "
             + ("yes" if all(d["rows_identical_across_executors"] for d in files.values()) else "NO") + "."]
    for d in files.values():
        med = d["median_seconds"]
        fastest = min(med, key=med.get)
        lines.append(f"  * `{d['experiment']}` ({d['profile']} profile, {d['cells']} cells, {d['repeats']} "
                     f"repeat(s)): " + ", ".join(f"{k} {_g(v)} s" for k, v in med.items())
                     + f" (median); fastest: {fastest}; 2 workers / 1: {_r(d['speedup_2_workers_vs_1'])}× "
                     f"(speed-up), Dask / pool: {_r(d['dask_over_pool_2_workers'])}× the time. "
                     f"{_facts(d)}")
    return "\n".join(lines)


def _sweep_scaling(d: dict) -> str:
    wall = {k: statistics.median(v) for k, v in d["wall_seconds"].items()}
    cpu = {k: statistics.median(v) for k, v in d["cell_cpu_seconds"].items()}
    fastest = min(wall, key=wall.get)
    return (f"{d['cells']} cells of {_n(d['n_samples'])} particles (samples route, seconds of torch work per cell), "
            f"{d['repeats']} repeat(s). Wall time: " + ", ".join(f"{k} {v:.0f} s" for k, v in wall.items())
            + f"; fastest: {fastest}; 2-worker pool / 1 worker: {_r(d['speedup_2_workers'])}× (speed-up, ratio of the "
            f"median wall times{_per_repeat(d)}). CPU time "
            f"inside the cells: " + ", ".join(f"{k} {_g(v)} s" for k, v in cpu.items())
            + f". Rows identical: {'yes' if d['rows_identical'] else 'NO'}."
            + _pool_lifecycle(d) + f" {_facts(d)}")


def _per_repeat(d: dict) -> str:
    """``; per repeat: a, b, c`` -- the 1-worker / pool wall ratio of each repeat (paired), when there are several."""
    serial, pool = d["wall_seconds"].get("1 worker (in-process)"), d["wall_seconds"].get("2 workers (process pool)")
    if not serial or not pool or len(serial) < 2:
        return ""
    return "; per repeat: " + ", ".join(_r(a / b) for a, b in zip(serial, pool))


def _pool_lifecycle(d: dict) -> str:
    """The pool's start-up and close seconds (medians over the repeats), when the JSON records them."""
    ready, close = d.get("pool_worker_ready_seconds"), d.get("pool_close_seconds")
    if not ready or not close:
        return ""
    return (f" A 2-worker pool's spawned worker answered {_r(statistics.median(ready))} s after the pool was created "
            f"(the driver lane computes meanwhile); closing the idle pool took {_r(statistics.median(close))} s "
            f"(medians).")


def _thread_grain(d: dict) -> str:
    s = d["setting"]
    hits = d["policy_right"]
    shown = "; ".join(f"{k}: {_break_even(v, d['by_target'].get(k, []))}"
                      for k, v in d.get("break_even_step_work", {}).items())
    return (f"Setting: {s['sampler']}, {s['score']} score, T = {s['T']}, γ = {s['gamma']}, {s['dtype']}, "
            f"{s['device']}, {s['random_stream']} random stream, OpenMP wait {s['omp_wait_policy']}, "
            f"{s['repeats']} paired repetitions. The policy (`theorylab.threads`, a second thread from "
            f"{_e(2 * d['min_step_work_per_thread'])} counted flops per step) picked the faster of 1 and 2 threads "
            f"(wall, paired median) in {hits['hits']} of {hits['settings']} settings. Break-even of two threads "
            f"(counted flops per step, interpolated): {shown}. {_facts(d)}")


def _break_even(value: float | None, rows: Sequence[dict]) -> str:
    """A target's break-even step work, or which way the measured range fell when the ratio never crossed one."""
    if value is not None:
        return _e(value)
    paid = [r["one_over_two"]["wall"]["median"] >= 1.0 for r in rows]
    if paid and all(paid):
        return "two threads paid at every size measured"
    if paid and not any(paid):
        return "two threads never paid in the measured range"
    return "no single crossing in the measured range"


def _thread_grain_table(d: dict) -> str:
    """Per target and particle count: step work, the policy's choice, 1/2-thread ratios, ns per particle-step."""
    rows = []
    for label, table in d.get("by_target", {}).items():
        for r in table:
            ns = r["ns_per_particle_step"]
            rows.append([label, _n(r["particles"]), _e(r["step_work"]), str(r["policy_threads"]),
                         _spread(r["one_over_two"]["wall"]), _spread(r["one_over_two"]["cpu"]),
                         " / ".join(_g(ns[k]["wall"]) for k in ("1 thread", "2 threads", "policy"))])
    return ("* Per setting (ratios: 1-thread time / 2-thread time, paired median [min–max], > 1: the second thread "
            "pays):\n\n" + _table(["target", "particles", "step work", "policy threads", "1/2 wall", "1/2 CPU",
                                    "wall ns per particle-step: 1 / 2 / policy"], rows))


def _interval(r: Mapping[str, float]) -> str:
    """``value [lower, upper]`` of a score-error record (``l2_average``, ``lower``, ``upper``)."""
    return f"{_g(r['l2_average'])} [{_g(r['lower'])}, {_g(r['upper'])}]"


def _training(d: dict) -> str:
    tp = d["throughput"]
    med, ratios = tp["median_steps_per_s"], tp["ratios"]
    out = [f"Batch {tp['batch_size']}, CPU, {tp['repeats']} repeats of {_g(tp['cell_seconds'])} s cells, median "
           f"steps/s at 1 thread:"]
    models = sorted({k.split(" ")[0] for k in med})
    parts = []
    for m in models:
        f64, f32 = med.get(f"{m} float64 1thr cpu"), med.get(f"{m} float32 1thr cpu")
        if f64 is not None and f32 is not None:
            r = ratios.get(f"{m} 1 thr: float32/float64")
            parts.append(f"{m} {_g(f64)} in float64, {_g(f32)} in float32"
                         + (f" (paired ratio {_spread(r)})" if r else ""))
    out.append("; ".join(parts) + ".")
    thread = []
    for m in models:
        for dtype in ("float64", "float32"):
            spin, passive = ratios.get(f"{m} {dtype}: 2 thr/1 thr"), ratios.get(f"{m} {dtype}: 2 thr passive/1 thr")
            if spin and passive:
                thread.append(f"{m} {dtype} {_spread(spin)} spinning, {_spread(passive)} passive")
    if thread:
        out.append("2 threads / 1 thread (steps/s, OpenMP's default spinning wait vs `OMP_WAIT_POLICY=PASSIVE`): "
                   + "; ".join(thread) + ".")
    split = d.get("step_split", {})
    if split:
        fb = [seg["segments"]["network forward"]["share"] + seg["segments"]["backward"]["share"]
              for seg in split.values()]
        coef = [seg["segments"]["coefficients (numpy round trip)"]["share"] for seg in split.values()]
        out.append(f"Network forward + backward: {min(fb):.0%}–{max(fb):.0%} of a step; the process-coefficient "
                   f"round trip through numpy: {max(coef):.1%} at most.")
    epm = d.get("error_per_minute")
    if epm:
        rows = "; ".join(f"{r['budget_s']:.0f} s: {_interval(r)}" for r in epm["rows"])
        out.append(f"GMM score error (L2 average) after a training budget on {epm['threads']} threads: {rows} (zero "
                   f"score: {_g(epm['zero_score']['l2_average'])}); goal \"{epm['goal']}\": "
                   + ("met" if epm.get("goal_met") else "not met") + ".")
    out.append(f"{_facts(d)}")
    return " ".join(out)


def _likelihood(d: dict) -> str:
    ratio = d["ratio_exact_over_hutchinson"]
    ok = all(r["in_ci"] for r in d["rows"])
    return (f"PF-ODE NLL of {d['n']} points of a diagonal Gaussian in d dimensions, RK45 at rtol {d['rtol']:g}: "
            f"exact trace / Hutchinson time " + ", ".join(f"{_r(v)}× at d = {k}" for k, v in ratio.items())
            + f"; closed form inside every CI: {'yes' if ok else 'NO'}. {_facts(d)}")


def _sliced_w2(d: dict) -> str:
    text = (f"n = {d['n']}, L = {d['L']} directions, d = {d['d']}: values {d['value_ours']:.6g} (ours) and "
            f"{d['value_pot']:.6g} (POT), |Δ| = {_e(d['abs_diff'])}")
    if "ratio_pot_over_ours" in d:
        text += f"; POT / ours time: {_r(d['ratio_pot_over_ours'])}×"
    else:
        text += "; times not recorded in this JSON (re-run the script)"
    return text + f". {_facts(d)}"


def _store_read(files: dict[str, dict]) -> str:
    after, before = files.get("after"), files.get("before")
    parts = []
    for label, d in (("with stamps (after)", after), ("without stamps (before)", before)):
        if d is not None:
            parts.append(f"{label}: {d['rows']} rows, read median {_g(d['read_seconds_median'])} s wall, "
                         f"{_g(d['read_cpu_seconds_median'])} s CPU, first read {_g(d['first_read_seconds'])} s "
                         f"({machine_facts(d)})")
    text = "`results_table`: " + "; ".join(parts)
    if after and before:
        text += (f". After / before: {_r(after['read_cpu_seconds_median'] / before['read_cpu_seconds_median'])}× the "
                 f"CPU time, {_r(after['store_bytes'] / before['store_bytes'])}× the file size")
    return text + "."


def _power_smile(d: dict) -> str:
    models = d["models"]
    return (f"n = {d['n']}, {d['repeats']} repeats per model. The SW2-excess threshold must be at least "
            f"{_g(d['delta_sw2_min'])} for the perfect model to pass with probability ≥ 0.8; the largest threshold "
            f"at which each defect still fails with probability ≥ 0.8: "
            + ", ".join(f"{k}: {_g(v['max_delta_failing_w_p0.8'])}" for k, v in models.items() if k != "perfect")
            + f". {_facts(d)}")


def _reproduce(d: dict) -> str:
    out = []
    for profile in ("quick", "full"):
        run = d.get(profile)
        if run is None:
            out.append(f"{profile.capitalize()} profile: not measured yet (run: `theorylab reproduce"
                       + (" --full" if profile == "full" else "") + "`)")
            continue
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in run["stages"].items())
        extra = f"; {run['failures']} part(s) failed" if run.get("failures") else ""
        out.append(f"{profile.capitalize()} profile: {run['total_seconds']:.0f} s with {run['workers']} worker(s) "
                   f"({stages}{extra}; {machine_facts(run)})")
    return "; ".join(out) + "."


# ------------------------------------------------------------------- details for benchmarks/README.md
# The README bullet is the summary of a benchmark; ``benchmarks/README.md`` shows it too (same renderer) and adds
# the detail tables below, which render facts the bullet does not show. Every key but the ones a bullet already
# needs is read defensively: a key a file lacks leaves its row or sentence out, or says it is not recorded.
def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (two-space indented, as inside a bullet of the document)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join("  " + line for line in lines)


def _yes(flag: Any) -> str:
    """``yes`` / ``NO`` / ``not recorded`` of a recorded boolean."""
    return "not recorded" if flag is None else ("yes" if flag else "NO")


def _versions(data: Mapping[str, Any]) -> str:
    """``python 3.x, torch ..., ...``: the versions a result JSON records (``machine`` or ``environment``)."""
    keys = ("python", "torch", "numpy", "torchsde")
    found = [(k, _find(data, k)) for k in keys]
    return ", ".join(f"{k} {v}" for k, v in found if isinstance(v, str))


def _mib(n_bytes: float) -> str:
    return f"{_g(n_bytes / 2 ** 20)} MiB"


def _reverse_em_setting(d: dict) -> str:
    """The setting keys of ``reverse_em.json`` the bullet does not show, the versions and the run time."""
    s = d.get("setting", {})
    parts = [f"{label} `{s[key]}`" for label, key in (("SDE", "sde"), ("torchsde call", "torchsde")) if key in s]
    parts += [f"{label} = {s[key]}" for label, key in (("T", "T"), ("γ", "gamma")) if key in s]
    if "throughput_unit" in s:
        parts.append(f"throughput: {s['throughput_unit']}")
    text = "* Setting (from the JSON): " + "; ".join(parts) + "."
    if _versions(d):
        text += f" Versions: {_versions(d)}."
    if "seconds_total" in d:
        text += f" The run took {d['seconds_total']:.0f} s."
    return text


def _reverse_em_checks(d: dict) -> str:
    """The replay check, torchsde's step count and the moment check of ``reverse_em.json``."""
    out = []
    rep = d.get("replay_check")
    if rep:
        diffs = ", ".join(f"theorylab against {k.rsplit('_', 1)[-1]} {_e(v)}" for k, v in rep.items()
                          if k.startswith("max_abs_diff_"))
        out.append(f"* Replay (same initial points and increments, {_n(rep['particles'])} particles): max |Δ| "
                   f"{diffs}; outputs |y| ≤ {_g(rep['max_abs_output'])}; identical up to round-off (relative "
                   f"tolerance {rep.get('tolerance_relative', float('nan')):g}): "
                   f"{_yes(rep.get('identical_up_to_roundoff'))}.")
        if "torchsde_euler_steps" in rep:
            out.append(f"* torchsde took {rep['torchsde_euler_steps']} Euler steps for N = "
                       f"{d.get('setting', {}).get('N', '?')} ({rep.get('torchsde_sliver_steps', '?')} of them a "
                       f"sliver step) and {rep.get('torchsde_drift_evaluations', '?')} drift evaluations.")
    mom, big = d.get("moment_check"), d.get("moments_at_largest_n", {})
    if mom:
        n = {v["n"] for v in big.values() if "n" in v}
        at = f" at {', '.join(_n(k) for k in sorted(n))} particles" if n else ""
        exact = mom.get("exact", {})
        out.append(f"* Moments with independent seeds{at}: the largest |z| of the mean and variance, between "
                   f"implementations and against the exact law of the EM chain (`{exact.get('route', '?')}`: mean "
                   f"{_g(exact.get('mean', float('nan')))}, variance {_g(exact.get('var', float('nan')))}), is "
                   f"{_r(mom['max_abs_z'])} standard errors; within the tolerance of "
                   f"{_g(mom.get('mc_sigma', float('nan')))} standard errors: {_yes(mom.get('agree_within_mc_error'))}.")
    return "\n".join(out)


def _reverse_em_rates(d: dict) -> str:
    """Particle-steps per second (median) of every implementation, per torch threads and particle count."""
    blocks = sorted(d.get("timing", {}).values(), key=lambda b: b.get("torch_threads", 0))
    impls = list(dict.fromkeys(k for b in blocks for row in b["by_particles"].values() for k, v in row.items()
                               if isinstance(v, Mapping) and "particle_steps_per_second" in v))
    rows = []
    for b in blocks:
        for n, row in b["by_particles"].items():
            rows.append([str(b.get("torch_threads", "?")), _n(n), str(b.get("repeats", {}).get(n, "?"))]
                        + [_e(row[k]["particle_steps_per_second"], 2) if k in row else "—" for k in impls])
    return ("* Particle-steps per second (median over the repeats):\n\n"
            + _table(["torch threads", "particles", "repeats", *impls], rows))


def _reverse_em_memory(d: dict) -> str:
    """Extra peak memory of one call, in particle-sized arrays, per allocator and implementation."""
    mem = d.get("memory")
    if not mem:
        return "* Peak memory: not recorded in this JSON."
    steps = [str(k) for k in mem.get("steps", [])]
    rows = []
    for alloc, impls in mem.get("by_allocator", {}).items():
        env = (mem.get("allocators") or {}).get(alloc) or {}
        label = ", ".join(f"`{k}={v}`" for k, v in env.items()) or "glibc default"
        for impl, rec in impls.items():
            cells = [_g(rec[k]["extra_peak_in_n_by_d_arrays"]) if k in rec else "—" for k in steps]
            rows.append([f"{alloc} ({label})", impl, *cells, _r(rec["ratio_rss"]) if "ratio_rss" in rec else "—"])
    text = (f"* Extra peak memory of one call at {_n(mem.get('particles', 0))} particles, "
            f"{mem.get('threads', '?')} thread(s), in particle-sized arrays (one `(n, d)` float64 array: "
            f"{_mib(mem.get('particles', 0) * mem.get('dim', 1) * 8)}):\n\n"
            + _table(["allocator", "implementation", *(f"N = {k}" for k in steps),
                      f"ratio N = {steps[-1]} / N = {steps[0]}" if steps else "ratio"], rows))
    tm = [(a, r["numpy"]["ratio_tracemalloc"]) for a, r in mem.get("by_allocator", {}).items()
          if "ratio_tracemalloc" in r.get("numpy", {})]
    if tm:
        text += ("\n\n  numpy's ratio by tracemalloc (live Python allocations): "
                 + ", ".join(f"{_r(v)} ({a})" for a, v in tm) + ".")
    return text


def _block_label(block: Mapping[str, Any]) -> str:
    """``threads (OpenMP wait)`` of a ``sampler_speed.json`` timing block, with the threads used when recorded."""
    used = block.get("threads_used")
    extra = f"; threads used: {used}" if used is not None and not isinstance(used, (dict, list)) else ""
    return f"{block['threads']} ({block.get('omp_wait_policy', '?')}{extra})"


def _settings(d: dict) -> list[tuple[str, str, dict]]:
    """``(block label, particles, row)`` of every setting of ``sampler_speed.json``."""
    return [(_block_label(b), _n(n), row) for b in d.get("timing", []) for n, row in b["by_particles"].items()]


def _implementations(d: dict) -> list[str]:
    """The implementations timed in ``sampler_speed.json`` (the rows with ``cpu_seconds``), in order."""
    return list(dict.fromkeys(k for _, _, row in _settings(d) for k, v in row.items()
                              if isinstance(v, Mapping) and "cpu_seconds" in v))


def _sampler_speed_runs(d: dict) -> str:
    """The repetitions per setting, the versions and the compile times of ``sampler_speed.json``."""
    reps = "; ".join(f"{_block_label(b)}: " + ", ".join(f"{v} at {_n(n)}" for n, v in b.get("repeats", {}).items())
                     for b in d.get("timing", []))
    text = f"* Repetitions per setting (threads, OpenMP wait policy): {reps}."
    env = d.get("environment", {})
    if _versions(d):
        text += f" Versions: {_versions(d)}."
    comp = env.get("compile_seconds")
    if isinstance(comp, Mapping) and comp:
        text += (" Compile time (s) of the compiled paths, by particle count or part: "
                 + ", ".join(f"{_n(k) if str(k).isdigit() else k} {_g(v)}" for k, v in comp.items())
                 + " (whether inductor's disk cache was warm is not recorded).")
    return text


def _paired_median(ours: Sequence[float], theirs: Sequence[float]) -> dict[str, float]:
    """Median [min, max] of the per-repetition ratios ``theirs / ours`` (> 1: ours faster), as the script pairs."""
    ratios = [b / a for a, b in zip(ours, theirs)]
    return {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


def _sampler_speed_compiled(d: dict) -> str:
    """``theorylab-compiled`` against every other implementation: paired CPU-time medians from the per-repetition
    CPU seconds (the JSON records the ratios against ``theorylab`` only)."""
    who = "theorylab-compiled"
    others = [k for k in _implementations(d) if k != who]
    rows = [[label, n] + [_spread(_paired_median(row[who]["cpu_seconds"], row[k]["cpu_seconds"])) if k in row
                          else "—" for k in others]
            for label, n, row in _settings(d) if who in row]
    if not rows:
        return f"* `{who}`: not timed in this JSON."
    return (f"* `{who}` against the others (paired CPU-time ratios, median [min–max], > 1: {who} faster):\n\n"
            + _table(["threads (OpenMP wait)", "particles", *others], rows))


def _sampler_speed_ns(d: dict) -> str:
    """CPU and wall nanoseconds per particle-step (median over the repetitions) of every implementation."""
    settings = _settings(d)
    rows = [[k] + [f"{_g(row[k]['cpu_ns_per_particle_step'])} ({_g(row[k]['wall_ns_per_particle_step'])})"
                   if k in row else "—" for _, _, row in settings] for k in _implementations(d)]
    return ("* Nanoseconds per particle-step, CPU (wall), median over the repetitions:\n\n"
            + _table(["implementation", *(f"{label}, {n}" for label, n, _ in settings)], rows))


def _sampler_speed_profile(d: dict) -> str:
    """The profile table (CPU ns per particle or per element) and theorylab's and numpy's non-random part."""
    prof = d.get("profile")
    if not prof:
        return "* Profile: not recorded in this JSON."
    ns = prof.get("ns_per_particle_cpu", {})
    text = (f"* Profile, CPU ns per particle (per element where the operation says so), {prof.get('threads', '?')} "
            f"thread(s), {_n(prof.get('particles', 0))} particles, median [min–max] over the blocks:\n\n"
            + _table(["operation", "ns"], [[k, f"{_g(v['median'])} [{_g(v['min'])}–{_g(v['max'])}]"]
                                           for k, v in ns.items()]))
    row = next((r for b in d.get("timing", []) if b.get("threads") == prof.get("threads")
                for n, r in b["by_particles"].items() if str(n) == str(prof.get("particles"))), None)
    draws = {"theorylab": ns.get("torch.randn(out=buffer)"), "numpy": ns.get("numpy standard_normal")}
    if row is not None and all(draws.values()) and all(k in row for k in draws):
        rest = ", ".join(f"{k} {_g(row[k]['cpu_ns_per_particle_step'])} − {_g(v['median'])} = "
                         f"{_g(row[k]['cpu_ns_per_particle_step'] - v['median'])}" for k, v in draws.items())
        text += (f"\n\n  The non-random part of a step (CPU ns per particle-step at this setting, less the median "
                 f"cost of its normal draw): {rest}.")
    return text


def _sampler_speed_memory(d: dict) -> str:
    """Says that the peak memory is not recorded when the JSON lacks it (the bullet renders it when present)."""
    return "" if "memory" in d else "* Peak memory: not recorded in this JSON."


def _sampler_speed_not_faster(d: dict) -> str:
    """Per other implementation, the settings where theorylab's paired CPU-time median is at most one."""
    slow: dict[str, list[str]] = {}
    for label, n, row in _settings(d):
        for k, v in row.get("theorylab_speedup_cpu", {}).items():
            if v["median"] <= 1:
                slow.setdefault(k, []).append(f"{label} at {n}")
    if not slow:
        return "* theorylab is faster than every other implementation in every setting (paired CPU-time median)."
    return ("* Where theorylab is not faster (paired CPU-time median at most one): "
            + "; ".join(f"against {k}: {', '.join(v)}" for k, v in slow.items()) + ".")


def _sweep_scaling_detail(d: dict) -> str:
    """Per executor: wall, in-cell CPU and driver-plus-children CPU seconds over the repeats; the other ratios."""
    series = [("wall s", "wall_seconds"), ("CPU s in the cells", "cell_cpu_seconds"),
              ("driver + children CPU s", "driver_and_children_cpu_seconds")]
    series = [(label, d[key]) for label, key in series if isinstance(d.get(key), Mapping)]
    executors = list(dict.fromkeys(k for _, table in series for k in table))
    rows = [[k] + [(", ".join(_g(x) for x in table[k]) if k in table else "—") for _, table in series]
            for k in executors]
    text = "* Seconds per repeat:\n\n" + _table(["executor", *(label for label, _ in series)], rows)
    ratios = {k: v for k, v in d.items() if ("_over_" in k or k.startswith("speedup")) and isinstance(v, (int, float))}
    ratios.pop("speedup_2_workers", None)  # in the bullet
    if ratios:
        text += "\n\n  Other ratios (from the JSON): " + ", ".join(f"`{k}` {_r(v)}" for k, v in ratios.items()) + "."
    used = d.get("threads_used")
    if used is not None:
        shown = ", ".join(f"{k}: {v}" for k, v in used.items()) if isinstance(used, Mapping) else str(used)
        text += f" Threads used: {shown}."
    return text


def _training_throughput(d: dict) -> str:
    """Median steps/s per network, dtype and thread setting; ``*``: a repeat fitted too few steps in its cell."""
    tp = d.get("throughput", {})
    med, runs = tp.get("median_steps_per_s", {}), tp.get("runs", {})
    columns = [("1 thread", "1thr cpu"), ("2 threads", "2thr cpu"), ("2 threads, passive wait", "2thr passive cpu")]
    if any(k.endswith("cuda") for k in med):
        columns.append(("CUDA", "cuda"))
    keys = {tuple(k.split(" ")[:2]) for k in med}
    rows = []
    for net, dtype in sorted(keys):
        cells = []
        for _, suffix in columns:
            key = f"{net} {dtype} {suffix}"
            few = any("few" in str(r.get("rate_from", "")) for r in runs.get(key, []))
            cells.append(f"{_g(med[key])}{'*' if few else ''}" if key in med else "—")
        rows.append([net, dtype, *cells])
    text = ("* Steps/s (median over the repeats; `*`: some repeat fitted so few steps into its cell that its rate "
            "includes the first steps):\n\n" + _table(["network", "dtype", *(c for c, _ in columns)], rows))
    if "cuda" in tp:
        text += f"\n\n  CUDA: {tp['cuda']}."
    if "wall_seconds" in d:
        text += f" The run (`--quick`: {d.get('quick', 'not recorded')}) took {d['wall_seconds']:.0f} s."
    return text


def _training_split(d: dict) -> str:
    """The split of one step: median ms (share of the sum of segment medians) per segment and model."""
    split = d.get("step_split", {})
    if not split:
        return "* Split of one step: not recorded in this JSON."
    segments = list(dict.fromkeys(k for v in split.values() for k in v.get("segments", {})))
    rows = [[seg] + [f"{_g(v['segments'][seg]['median_ms'])} ({v['segments'][seg]['share']:.1%})"
                     if seg in v.get("segments", {}) else "—" for v in split.values()] for seg in segments]
    rows.append(["typical step (sum of medians)"] + [_g(v["sum_of_segment_medians_ms"])
                                                     if "sum_of_segment_medians_ms" in v else "—"
                                                     for v in split.values()])
    rows.append(["step median (all stalls included)"] + [_g(v["step_median_ms"]) if "step_median_ms" in v else "—"
                                                         for v in split.values()])
    text = "* Split of one step, ms (share):\n\n" + _table(["segment", *split], rows)
    coef = [(k, v["coefficients_vs_torch"]) for k, v in split.items() if "coefficients_vs_torch" in v]
    if coef:
        text += ("\n\n  One call of the process coefficients in a tight loop, through numpy against the same formulas "
                 "in torch (µs; largest relative difference): "
                 + "; ".join(f"{k}: {_g(c['round_trip_us'])} against {_g(c['torch_on_device_us'])} "
                             f"({_e(c['max_relative_difference'])})" for k, c in coef) + ".")
    return text


def _training_error(d: dict) -> str:
    """The seed GMM's error after each training budget: wall and CPU seconds, steps, L2 average [bounds]."""
    epm = d.get("error_per_minute")
    if not epm:
        return "* Error per minute of training: not recorded in this JSON."
    train = (epm.get("config") or {}).get("training", {})
    rows = [[f"{r['budget_s']:.0f} s", _g(r.get("train_wall_s", float("nan"))), _g(r.get("train_cpu_s", float("nan"))),
             str(r.get("steps", "?")), str(r.get("stopped", "?")), _interval(r)] for r in epm.get("rows", [])]
    times = epm.get("times", [])
    span = f"{len(times)} times in [{_g(min(times))}, {_g(max(times))}]" if times else "times not recorded"
    return (f"* Seed GMM (`{epm.get('config_source', '?')}`: {train.get('steps', '?')} steps, batch "
            f"{train.get('batch_size', '?')}, {train.get('dtype', '?')}), {epm.get('threads', '?')} threads; error "
            f"over {span}, {epm.get('n_samples', '?')} draws each:\n\n"
            + _table(["training budget", "wall s", "CPU s", "steps", "stopped by", "L2 average [bounds]"], rows)
            + f"\n\n  Goal met at budget: {epm.get('goal_met_at_budget_s') or 'none'}; by the upper bound: "
              f"{epm.get('goal_met_by_upper_bound_at_budget_s') or 'none'}.")


def _store_read_detail(files: dict[str, dict]) -> str:
    """Per store: size, build time and every read's wall seconds; the stamps' bytes per row."""
    rows = [[label, str(d.get("rows", "?")), _mib(d["store_bytes"]) if "store_bytes" in d else "—",
             _g(d["build_seconds"]) if "build_seconds" in d else "—",
             ", ".join(_g(x) for x in d.get("reads", [])) or "—"] for label, d in sorted(files.items())]
    text = "* Per store:\n\n" + _table(["store", "rows", "size", "build s", "reads, wall s"], rows)
    after, before = files.get("after", {}), files.get("before", {})
    if "store_bytes" in after and "store_bytes" in before and after.get("rows"):
        extra = after["store_bytes"] - before["store_bytes"]
        text += f"\n\n  The stamps add {_mib(extra)}, {extra / after['rows']:.0f} bytes a row."
    return text


# ------------------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Benchmark:
    """One benchmark's README bullet.

    ``title``: what it compares; ``command``: the command that writes ``files`` (``glob`` patterns relative to the
    benchmark results folder, or to ``reports/`` when ``under_reports``); ``renderer``: the text after the title,
    from the parsed JSON (one file) or from ``{label: parsed JSON}`` when the pattern has a ``*`` (label: the
    part the ``*`` matched).
    """

    title: str
    command: str
    pattern: str
    renderer: Callable[[Any], str]
    under_reports: bool = False

    def files(self, benchmarks: Path, reports: Path) -> list[Path]:
        root = reports if self.under_reports else benchmarks
        return sorted(root.glob(self.pattern))

    def load(self, benchmarks: Path, reports: Path) -> Any:
        """The parsed JSON (``{label: parsed JSON}`` for a ``*`` pattern); ``None`` when no file is there."""
        files = self.files(Path(benchmarks), Path(reports))
        if not files:
            return None
        if "*" in self.pattern:
            prefix, suffix = self.pattern.split("*")
            return {p.name[len(prefix):len(p.name) - len(suffix)]: _load(p) for p in files}
        return _load(files[0])

    def bullet(self, data: Any) -> str:
        """The README bullet of the parsed ``data``."""
        return f"* {self.title} (`{self.command}`). {self.renderer(data)}"

    def render(self, benchmarks: Path, reports: Path) -> str:
        data = self.load(benchmarks, reports)
        return not_measured(self.title, self.command) if data is None else self.bullet(data)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


#: Block name (``perf-...``) -> benchmark, in the README's order.
BENCHMARKS: dict[str, Benchmark] = {
    "perf-grid-vs-mc": Benchmark("Grid law vs Monte Carlo in the same wall time",
                                 "python benchmarks/bench_grid_vs_mc.py", "grid_vs_mc.json", _grid_vs_mc),
    "perf-reverse-em": Benchmark("reverse-em against `torchsde.sdeint` (Euler) and a numpy loop",
                                 "python benchmarks/bench_reverse_em.py", "reverse_em.json", _reverse_em),
    "perf-sampler-speed": Benchmark("reverse-em against tight hand-written loops, issue 15",
                                    "python benchmarks/bench_sampler_speed.py", "sampler_speed.json", _sampler_speed),
    "perf-sweep-executors": Benchmark("Sweep executors on the shipped grids",
                                      "python benchmarks/bench_sweep_executors.py", "sweep_executors_*.json",
                                      _sweep_executors),
    "perf-sweep-scaling": Benchmark("Sweep executors on heavy cells", "python benchmarks/bench_sweep_scaling.py",
                                    "sweep_scaling.json", _sweep_scaling),
    "perf-thread-grain": Benchmark("When a second intra-op thread pays (the samplers' thread policy)",
                                   "python benchmarks/bench_thread_grain.py", "thread_grain.json", _thread_grain),
    "perf-reproduce": Benchmark("The main job's wall time by stage", "theorylab reproduce", REPRODUCE_TIMING,
                                _reproduce, under_reports=True),
    "perf-training": Benchmark("Score-network training", "python benchmarks/bench_training.py", "training.json",
                               _training),
    "perf-likelihood": Benchmark("PF-ODE likelihood, exact trace vs Hutchinson",
                                 "python benchmarks/bench_likelihood.py", "likelihood.json", _likelihood),
    "perf-sliced-w2": Benchmark("The smile reproduction's sliced W2 against POT's",
                                "python benchmarks/bench_sliced_w2.py", "sliced_w2.json", _sliced_w2),
    "perf-store-read": Benchmark("Reading a large sweep store", "python benchmarks/bench_store_read.py",
                                 "store_read_*.json", _store_read),
    "perf-power-smile": Benchmark("Power of the smile reproduction's criteria (a simulation, not a timing)",
                                  "python benchmarks/power_smile.py", "power_smile.json", _power_smile),
}


@dataclass(frozen=True)
class DocBlock:
    """One generated block of ``benchmarks/README.md``: the README bullet of :data:`BENCHMARKS` ``[bullet]`` (the same
    renderer, so a number is formatted in one place) followed by ``details``, renderers of the same parsed JSON."""

    bullet: str
    details: tuple[Callable[[Any], str], ...] = ()

    def render(self, benchmarks: Path, reports: Path) -> str:
        bench = BENCHMARKS[self.bullet]
        data = bench.load(Path(benchmarks), Path(reports))
        if data is None:
            return not_measured(bench.title, bench.command)
        parts = [bench.bullet(data)] + [detail(data) for detail in self.details]
        return "\n\n".join(part for part in parts if part)


#: Block name (``bench-...``) of ``benchmarks/README.md`` -> its content, in the document's order.
DOC_BLOCKS: dict[str, DocBlock] = {
    "bench-reverse-em": DocBlock("perf-reverse-em", (_reverse_em_setting, _reverse_em_checks, _reverse_em_rates,
                                                     _reverse_em_memory)),
    "bench-sampler-speed": DocBlock("perf-sampler-speed", (_sampler_speed_runs, _sampler_speed_not_faster,
                                                           _sampler_speed_compiled, _sampler_speed_ns,
                                                           _sampler_speed_profile, _sampler_speed_memory)),
    "bench-sweep-executors": DocBlock("perf-sweep-executors"),
    "bench-sweep-scaling": DocBlock("perf-sweep-scaling", (_sweep_scaling_detail,)),
    "bench-thread-grain": DocBlock("perf-thread-grain", (_thread_grain_table,)),
    "bench-training": DocBlock("perf-training", (_training_throughput, _training_split, _training_error)),
    "bench-store-read": DocBlock("perf-store-read", (_store_read_detail,)),
    "bench-grid-vs-mc": DocBlock("perf-grid-vs-mc"),
    "bench-likelihood": DocBlock("perf-likelihood"),
    "bench-sliced-w2": DocBlock("perf-sliced-w2"),
    "bench-power-smile": DocBlock("perf-power-smile"),
}


def render_doc(name: str, benchmarks: str | Path, reports: str | Path) -> str:
    """The body of block ``name`` (a key of :data:`DOC_BLOCKS`) of ``benchmarks/README.md``, read from the JSON
    files under ``benchmarks`` (``benchmarks/results``)."""
    return DOC_BLOCKS[name].render(Path(benchmarks), Path(reports))


def render(name: str, benchmarks: str | Path, reports: str | Path) -> str:
    """The README bullet of benchmark block ``name`` (a key of :data:`BENCHMARKS`), read from the JSON files under
    ``benchmarks`` (``benchmarks/results``) or, for ``theorylab reproduce``, ``reports``."""
    return BENCHMARKS[name].render(Path(benchmarks), Path(reports))
