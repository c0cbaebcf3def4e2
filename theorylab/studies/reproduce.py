"""``theorylab reproduce``: the main job. The seed review's learned-score experiments (``experiments/*.toml`` with
an ``[experiment]`` table, written to ``reports/learning/``; first, because the ledger's ``002.experiments.*``
claims read their results), the claims ledger, then every shipped sweep experiment (``experiments/*.toml`` with a
``[sweep]`` table) run and reported, the GAN experiments, then ``reports/index.md``.

Profiles: an experiment file holds its full grid in ``[sweep]`` and, optionally, a ``[quick]`` table of dotted
overrides (e.g. ``"sweep.sampler.gamma" = [0.1, 0.05]``) applied by default; ``full=True`` (``--full``) ignores
``[quick]``. Runs go to ``runs/<name>`` (quick) or ``runs/<name>-full``; they resume, so an interrupted
``reproduce`` re-run finishes the cells it had not reached and recomputes nothing else.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from theorylab.config import apply_profile
from theorylab.errors import ConfigError

__all__ = ["apply_profile", "reproduce", "shipped_experiments"]


def experiments_with(table: str, directory: str | Path = "experiments") -> list[Path]:
    """The experiment files of ``directory`` with a ``[<table>]`` table, sorted by name."""
    from theorylab.config import load_toml

    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no experiments folder")
    return [p for p in sorted(directory.glob("*.toml")) if table in load_toml(p)]


def shipped_experiments(directory: str | Path = "experiments") -> list[Path]:
    """The experiment files with a ``[sweep]`` table, sorted by name."""
    return experiments_with("sweep", directory)


def gan_experiments(directory: str | Path = "experiments") -> list[Path]:
    """The experiment files with a ``[gan]`` table, sorted by name."""
    return experiments_with("gan", directory)


def _gan_summary(result: dict[str, Any]) -> str:
    mode = result.get("mode")
    if mode == "exact":
        return f"V = {result['value']:.6g}, 2 JS - ln 4 = {result['two_js_minus_log4']:.6g}, difference {result['difference']:.2g}"
    if mode == "train":
        a, b = result["js_initial"], result["js_final"]
        return (f"smoothed JS {a['value']:.3f} -> {b['value']:.3f} [{b['lower']:.3f}, {b['upper']:.3f}]; modes covered "
                f"{result['modes_covered_final']}/{result['n_modes']}")
    if mode == "discriminator":
        return "; ".join(f"n = {f['sample_size']}: L2 gap to D* {f['l2_gap']:.3g}, value gap {f['value_gap']:.3g}"
                         for f in result.get("final", []))
    return str(mode)


def question_of(path: Path) -> str:
    """The leading comment block of an experiment file (its question)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    text = " ".join(lines).removeprefix("Question:").strip()
    return text[: text.index("?") + 1] if "?" in text else text  # the question itself, not the notes after it


def reproduce(*, full: bool = False, workers: int = 1, experiments: str | Path = "experiments",
              runs: str | Path = "runs", reports: str | Path = "reports",
              log: Callable[[str], None] = print, claims: bool = True, atlas: bool = True) -> Path:
    """Run the ledger and every shipped experiment; write ``reports/`` with ``index.md``; return the index path.
    ``atlas=False`` skips the bound atlas (``reports/atlas``, :mod:`theorylab.bounds.theorems.atlas`)."""
    from theorylab.claims.ledger import render_markdown, run_ledger
    from theorylab.config import load_toml
    from theorylab.experiments import run_sweep
    from theorylab.report.document import make_report

    reports, runs = Path(reports), Path(runs)
    reports.mkdir(parents=True, exist_ok=True)
    start, load_start = time.perf_counter(), os.getloadavg()
    stages: dict[str, float] = {}
    failures: list[str] = []
    learning_rows = _learning_experiments(experiments, reports, full, log, failures)
    stages["seed-002 reproductions"] = time.perf_counter() - start
    ledger = []
    if claims:
        log("claims ledger ...")
        t0 = time.perf_counter()
        ledger = run_ledger(reports=reports)
        (reports / "claims.md").write_text(render_markdown(ledger), encoding="utf-8")
        stages["claims ledger"] = time.perf_counter() - t0
    crashed = [r.claim.id for r in ledger if r.outcome is None]
    counts: dict[str, int] = {}
    for r in ledger:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    rows = []
    for path in shipped_experiments(experiments):
        name = path.stem + ("-full" if full else "")
        log(f"experiment {path.name} ({'full' if full else 'quick'}) ...")
        t0 = time.perf_counter()
        raw = apply_profile(load_toml(path), full)
        summary = run_sweep(raw, config_name=name, out=runs / name, workers=workers, progress=True)
        shutil.copyfile(path, runs / name / "source.toml")
        try:
            report = make_report(runs / name, reports)
        except Exception as exc:  # a report that cannot be made is listed, the other experiments still run
            failures.append(f"{name}: report failed: {type(exc).__name__}: {exc}")
            report = None
        rows.append((path, name, summary, report, time.perf_counter() - t0))
    stages["sweeps"] = sum(row[-1] for row in rows)
    gan_rows = []
    t_gan = time.perf_counter()
    for path in gan_experiments(experiments):
        from theorylab.gan import run_gan

        log(f"GAN experiment {path.name} ...")
        t0 = time.perf_counter()
        raw = apply_profile(load_toml(path), full)
        try:
            result = run_gan(raw, out_dir=reports / "gan" / path.stem).to_json()
        except Exception as exc:  # listed in the index; the other experiments still run
            failures.append(f"{path.stem}: GAN run failed: {type(exc).__name__}: {exc}")
            continue
        gan_rows.append((path, result, time.perf_counter() - t0))
    stages["GAN runs"] = time.perf_counter() - t_gan
    if atlas:
        t0 = time.perf_counter()
        atlas_line = _atlas(reports, full, log, failures)
        stages["bound atlas"] = time.perf_counter() - t0
    else:
        atlas_line = ""
    elapsed = time.perf_counter() - start
    lines = [
        "# theorylab reports",
        "",
        f"Profile: {'full' if full else 'quick'}; made by `theorylab reproduce{' --full' if full else ''}` "
        f"in {elapsed:.0f} s.",
        "",
        "## Claims ledger",
        "",
        f"[claims.md](claims.md): {len(ledger)} claims: " + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
        + (f"; crashed checks: {', '.join(crashed)}" if crashed else "") + ".",
        "",
        "## Experiments",
        "",
        "| experiment | question | cells | time |",
        "|---|---|---|---|",
    ]
    for path, name, summary, report, seconds in rows:
        status = ", ".join(f"{n} {s}" for s, n in sorted(summary.counts.items()) if n)
        link = f"[{name}]({report.relative_to(reports).as_posix()})" if report is not None else f"{name} (no report)"
        lines.append(f"| {link} | {question_of(path)} | {status} | {seconds:.0f} s |")
    if gan_rows:
        lines += ["", "## GAN lab", "", "| experiment | question | result | time |", "|---|---|---|---|"]
        for path, result, seconds in gan_rows:
            lines.append(f"| [{path.stem}](gan/{path.stem}/) | {question_of(path)} | {_gan_summary(result)} | "
                         f"{seconds:.0f} s |")
    if learning_rows:
        from theorylab.studies.reproductions.summary import cost_line

        lines += ["", "## Learned scores: the seed review's experiments", "",
                  "| experiment | question | headline | cost |", "|---|---|---|---|"]
        for path, result in learning_rows:
            headline = "; ".join(result.get("headline", []))
            lines.append(f"| [{path.stem}](learning/{path.stem}/report.md) | {question_of(path)} | {headline} | "
                         f"{cost_line(result)} |")
    if atlas_line:
        lines += ["", "## The bound atlas", "", atlas_line]
    if failures:
        lines += ["", "## Failures", ""] + [f"- {f}" for f in failures]
    index = reports / "index.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _write_timing(reports, full=full, workers=workers, total=elapsed, stages=stages, load_start=load_start,
                  parts={"seed-002 reproductions": {path.stem: result.get("cost", {}).get("seconds")
                                                    for path, result in learning_rows},
                         "sweeps": {name: seconds for _, name, _, _, seconds in rows},
                         "GAN runs": {path.stem: seconds for path, _, seconds in gan_rows}},
                  failures=len(failures) + len(crashed))
    readme = Path("README.md")
    if claims and readme.is_file() and "<!-- generated:" in readme.read_text(encoding="utf-8"):
        from theorylab.report.readme import update_readme

        log(f"README.md and benchmarks/README.md: {update_readme(readme, reports)} generated blocks rewritten from "
            f"{reports} and benchmarks/results")
    if failures or crashed:
        raise ReproduceError(f"{index} written, but {len(failures) + len(crashed)} parts failed: "
                             + "; ".join(failures + [f"check {c} crashed" for c in crashed]))
    return index


def _write_timing(reports: Path, *, full: bool, workers: int, total: float, stages: dict[str, float],
                  load_start: tuple[float, float, float], parts: dict[str, dict[str, float]], failures: int) -> Path:
    """Record this run's wall time in ``reports/reproduce_timing.json`` (the README's Performance section reads it:
    :mod:`theorylab.report.benchmarks`), under its profile (``quick`` or ``full``), keeping the other profile's
    record: total and per-stage wall seconds (stages skipped by ``claims=False`` / ``atlas=False`` are absent),
    the seconds of each sweep and GAN run, the worker count, the CPU count and the load average at start and end,
    the number of failed parts, and a provenance stamp of the code that ran."""
    import platform

    import torch

    from theorylab.provenance import make_stamp

    path = reports / "reproduce_timing.json"
    record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    profile = "full" if full else "quick"
    config = {"profile": profile, "workers": workers, "stages": sorted(stages)}
    stamp = make_stamp(config)
    record[profile] = {"profile": profile, "total_seconds": total, "stages": stages, "parts": parts,
                       "workers": workers, "failures": failures, "cpu_count": os.cpu_count(),
                       "load_average_start": list(load_start), "load_average_end": list(os.getloadavg()),
                       "python": platform.python_version(), "torch": torch.__version__,
                       "torch_threads": torch.get_num_threads(),
                       "stamp": {k: v for k, v in stamp.items() if k != "source_files"},
                       "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return path


def _atlas(reports: Path, full: bool, log, failures: list[str]) -> str:
    """The bound atlas (issue 13: theorylab.bounds.theorems.atlas), written to ``reports/atlas/``."""
    from theorylab.bounds.theorems.atlas import run_atlas

    log(f"bound atlas ({'full' if full else 'quick'}) ...")
    t0 = time.perf_counter()
    try:
        path = run_atlas(reports / "atlas", full=full, log=log)
    except Exception as exc:  # listed in the index; the rest of the reports stand
        failures.append(f"atlas: failed: {type(exc).__name__}: {exc}")
        return ""
    return (f"[atlas/atlas.md]({path.relative_to(reports).as_posix()}): each convergence theorem against the exact "
            f"error of the sampler it is proved for, rates predicted vs measured, seed 000's proof link by link "
            f"({time.perf_counter() - t0:.0f} s).")


def learning_experiments(directory: str | Path = "experiments") -> list[Path]:
    """The experiment files whose ``[experiment]`` kind is a seed-002 reproduction (:data:`EXPERIMENTS`), sorted by
    name (other studies, e.g. the likelihood bound, have their own commands)."""
    from theorylab.config import load_toml
    from theorylab.studies.reproductions.runner import EXPERIMENTS

    return [p for p in experiments_with("experiment", directory)
            if load_toml(p)["experiment"].get("kind") in EXPERIMENTS]


def _learning_experiments(directory, reports: Path, full: bool, log, failures: list[str]) -> list[tuple]:
    """Run the seed-002 reproductions first (the ledger's ``002.experiments.*`` claims read their results)."""
    from theorylab.studies.reproductions import run_experiment

    rows = []
    for path in learning_experiments(directory):
        log(f"learned-score experiment {path.name} ({'full' if full else 'quick'}) ...")
        try:
            rows.append((path, run_experiment(path, out_root=reports / "learning", full=full)))
        except Exception as exc:  # listed in the index; the other experiments still run
            failures.append(f"{path.stem}: failed: {type(exc).__name__}: {exc}")
    return rows


class ReproduceError(RuntimeError):
    """Some experiment's report or some ledger check failed (the index is written and lists them)."""
