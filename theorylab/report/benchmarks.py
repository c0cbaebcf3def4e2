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

__all__ = ["BENCHMARKS", "Benchmark", "machine_facts", "not_measured", "render", "REPRODUCE_TIMING"]

#: The timing record of ``theorylab reproduce`` (under ``reports/``), one entry per profile.
REPRODUCE_TIMING = "reproduce_timing.json"


# ------------------------------------------------------------------------------------------------- formatting
def _r(x: float) -> str:
    """A ratio or a time, two decimals (three significant digits below 0.1)."""
    return f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.2g}"


def _g(x: float) -> str:
    return f"{x:.3g}"


def _e(x: float) -> str:
    """Scientific notation without padding: ``8.4e-8``, ``1.0e5``."""
    mantissa, exponent = f"{x:.1e}".split("e")
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
    lines = ["  | threads (OpenMP wait) | particles | " + " | ".join(others) + " |",
             "  |---|---|" + "---|" * len(others)]
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
            lines.append(f"  | {block['threads']} ({block.get('omp_wait_policy', '?')}) | {_n(n)} | "
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
           f"`benchmarks/bench_sampler_speed.py`. All agree to round-off: "
           f"{'yes' if d['agreement']['all_within_roundoff'] else 'NO'} (max |Δ| "
           f"{_e(max(d['agreement']['max_abs_diff'].values()))}); the fused route equals the generic one bit for "
           f"bit: {'yes' if d['agreement']['fused_equals_generic_bitwise'] else 'NO'}.", ""]
    table, faster = _speed_table(d["timing"], "theorylab_speedup_cpu")
    out += ["  theorylab against the others:", ""] + table + ["", "  " + _tally(faster, "theorylab") + "."]
    if any("numpy_stream_speedup_cpu" in row for b in d["timing"] for row in b["by_particles"].values()):
        table, faster = _speed_table(d["timing"], "numpy_stream_speedup_cpu")
        out += ["", "  theorylab with the numpy random stream (`theorylab-numpy-stream`) against the loops:", ""]
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
            + f"; fastest: {fastest}; 2-worker pool / 1 worker: {_r(d['speedup_2_workers'])}× (speed-up). CPU time "
            f"inside the cells: " + ", ".join(f"{k} {_g(v)} s" for k, v in cpu.items())
            + f". Rows identical: {'yes' if d['rows_identical'] else 'NO'}. {_facts(d)}")


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
        rows = "; ".join(f"{r['budget_s']:.0f} s: {_g(r['l2_average'])} [{_g(r['lower'])}, {_g(r['upper'])}]"
                         for r in epm["rows"])
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

    def render(self, benchmarks: Path, reports: Path) -> str:
        files = self.files(Path(benchmarks), Path(reports))
        if not files:
            return not_measured(self.title, self.command)
        if "*" in self.pattern:
            prefix, suffix = self.pattern.split("*")
            data = {p.name[len(prefix):len(p.name) - len(suffix)]: _load(p) for p in files}
        else:
            data = _load(files[0])
        return f"* {self.title} (`{self.command}`). {self.renderer(data)}"


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


def render(name: str, benchmarks: str | Path, reports: str | Path) -> str:
    """The README bullet of benchmark block ``name`` (a key of :data:`BENCHMARKS`), read from the JSON files under
    ``benchmarks`` (``benchmarks/results``) or, for ``theorylab reproduce``, ``reports``."""
    return BENCHMARKS[name].render(Path(benchmarks), Path(reports))
